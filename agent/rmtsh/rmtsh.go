// Package rmtsh is the gateway agent's remote shells, as src-linux/rmtsh.c
// in Basics Station 2.0.6 has them: the LNS starts and stops shells by
// index with "rmtsh" messages, and the shells' input and output travel in
// binary frames whose first byte is the index; a frame with nothing after
// the index is the end of the output. It is apart from package agent so
// that what a shell may do to the connection is only what Conn offers.
package rmtsh

import (
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/station"
)

// Conn is what the shells need of the connection to the LNS. Writes may
// block while the connection is slow (that holds the shells' output back);
// a failed write is taken as the connection ending.
type Conn interface {
	// WriteBinary writes one binary message.
	WriteBinary(b []byte) error
	// WriteText writes one text message.
	WriteText(b []byte) error
}

// Clock gives the time in which the shells' ages are reported.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
}

const (
	// maxRmtsh is how many shells may run at once (Station's MAX_RMTSH):
	// session indices are 0 to maxRmtsh-1.
	maxRmtsh = 2
	// rmtshFrame is the largest output frame, index byte included
	// (Station's WS_CHUNKS, MIN_UPJSON_SIZE).
	rmtshFrame = 384
	// rmtshInput bounds the LNS's data not yet taken by a shell (Station's
	// DNBUFSZ); a shell with more waiting is stopped, as Station does.
	rmtshInput = 4096
	// rmtshDefaultTerm is TERM when the LNS names none.
	rmtshDefaultTerm = "dumb"
	// rmtshMaxTerm bounds the length of the TERM the LNS may ask for.
	rmtshMaxTerm = 64
)

// Why a remote shell ended, as logged.
const (
	rmtshByLNS      = "stopped by the LNS"
	rmtshExited     = "shell exited"
	rmtshConnClosed = "connection to the LNS closed"
	rmtshOverflow   = "input overflow"
	rmtshTermFailed = "terminal write failed"
	rmtshSendFailed = "output not sent"
)

// errRmtshUnsupported is what starting a shell gives where there are no
// pseudo-terminals to start it on.
var errRmtshUnsupported = errors.New("rmtsh: remote shells are supported on Linux only")

// shell is a running remote shell: the terminal's side the agent holds
// (reads give the shell's output, writes its input; Close makes blocked
// reads and writes return) and the shell's process.
type shell interface {
	io.ReadWriteCloser
	// pid is the shell's process id, also its process group's.
	pid() int
	// kill kills the shell's process group, unless the shell was reaped.
	kill()
	// wait returns once the shell has exited and been reaped; what is left
	// of its process group is killed then.
	wait()
}

// Shells holds the remote shells of one traffic connection: they end with
// it (Close).
type Shells struct {
	conn  Conn
	log   *slog.Logger
	clock Clock
	spawn func(term string) (shell, error)
	wg    sync.WaitGroup // every goroutine of every session

	mu     sync.Mutex // guards the fields below
	slots  [maxRmtsh]rmtshSlot
	closed bool
}

// rmtshSlot is one session index: its running session, if any, and what
// Station reports of the last one (user, last activity) after it ended.
type rmtshSlot struct {
	sess  *rmtshSession
	user  string
	mtime time.Time // last activity; zero when there was never a shell here
}

// rmtshSession is one running shell.
type rmtshSession struct {
	idx   int
	user  string
	sh    shell
	mtime atomic.Int64  // last activity, Unix µs of the agent's clock
	done  chan struct{} // closed when the output goroutine has finished

	quit    chan struct{} // closed by end
	endOnce sync.Once
	reason  string // why it ended; written once by end

	inMu sync.Mutex
	in   []byte        // input not yet written to the shell
	wake chan struct{} // input waiting (capacity 1)
}

// New returns the remote shells of connection c, which log to log and
// report ages by clock.
func New(c Conn, log *slog.Logger, clock Clock) *Shells {
	return &Shells{conn: c, log: log, clock: clock, spawn: startShell}
}

// Handle handles an rmtsh message (s2e_handleRmtsh): it stops the session
// at index Stop, starts one at index Start, and answers with the state of
// every session. A message with an index out of range is ignored, as
// Station ignores one that fails to parse. Whether remote shells are
// allowed at all is the caller's decision.
func (t *Shells) Handle(m *station.Rmtsh) {
	for _, p := range []*int{m.Stop, m.Start} {
		if p != nil && (*p < 0 || *p >= maxRmtsh) {
			t.log.Warn("rmtsh request ignored: session index out of range", "index", *p, "max_sessions", maxRmtsh, "user", m.User)
			return
		}
	}
	if m.Stop != nil {
		t.stop(*m.Stop)
	}
	if m.Start != nil {
		t.start(*m.Start, m.User, m.Term)
	}
	b, err := station.Encode(t.status())
	if err == nil {
		err = t.conn.WriteText(b)
	}
	if err != nil {
		t.log.Info("rmtsh status not sent", "error", err)
	}
}

// Binary handles a binary frame from the LNS (s2e_onBinary): data for the
// shell whose index is the first byte. Frames for no running shell are
// logged and dropped.
func (t *Shells) Binary(b []byte) {
	idx, data, ok := parseRmtshFrame(b)
	switch {
	case !ok:
		t.log.Debug("empty binary message from the LNS ignored")
	case idx >= maxRmtsh:
		t.log.Warn("rmtsh data for an unknown session index dropped", "index", idx, "max_sessions", maxRmtsh, "bytes", len(data))
	default:
		t.input(idx, data)
	}
}

// parseRmtshFrame splits a binary frame into its session index and data;
// ok is false for an empty frame.
func parseRmtshFrame(b []byte) (idx int, data []byte, ok bool) {
	if len(b) == 0 {
		return 0, nil, false
	}
	return int(b[0]), b[1:], true
}

// now is the clock in Unix µs.
func (t *Shells) now() int64 { return t.clock.Now().UnixMicro() }

// start starts a shell at index idx (startRmtsh), unless one runs there.
func (t *Shells) start(idx int, user, term string) {
	log := t.log.With("index", idx, "user", user)
	if term == "" {
		term = rmtshDefaultTerm
	}
	if !validTerm(term) {
		log.Warn("rmtsh start refused: unusable terminal type", "term_bytes", len(term))
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if s := t.slots[idx].sess; s != nil {
		log.Warn("rmtsh start refused: session index already in use", "pid", s.sh.pid())
		return
	}
	sh, err := t.spawn(term)
	if err != nil {
		log.Error("rmtsh start failed", "error", err)
		return
	}
	s := &rmtshSession{idx: idx, user: user, sh: sh, done: make(chan struct{}), quit: make(chan struct{}), wake: make(chan struct{}, 1)}
	s.mtime.Store(t.now())
	t.slots[idx] = rmtshSlot{sess: s, user: user}
	t.wg.Add(3)
	go t.output(s)
	go t.inputLoop(s)
	go func() {
		defer t.wg.Done()
		s.sh.wait()
	}()
	log.Warn("rmtsh: shell started at the LNS's request", "pid", sh.pid(), "term", term)
}

// validTerm reports whether term can be given as TERM.
func validTerm(term string) bool {
	if len(term) > rmtshMaxTerm {
		return false
	}
	for i := 0; i < len(term); i++ {
		if term[i] <= ' ' || term[i] > '~' || term[i] == '=' {
			return false
		}
	}
	return true
}

// stop stops the shell at idx (stopRmtsh) and returns once its end of
// output has been sent, so that it comes before the status answer.
func (t *Shells) stop(idx int) {
	t.mu.Lock()
	s := t.slots[idx].sess
	t.mu.Unlock()
	if s == nil {
		t.log.Info("rmtsh stop: no shell at that index", "index", idx)
		return
	}
	s.end(rmtshByLNS)
	<-s.done
}

// status is the answer to every rmtsh request: one entry per index.
func (t *Shells) status() *station.Rmtsh {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	st := make([]station.RmtshSession, maxRmtsh)
	for i, sl := range t.slots {
		e := station.RmtshSession{User: sl.user, Age: -1}
		mtime := int64(0)
		if !sl.mtime.IsZero() {
			mtime = sl.mtime.UnixMicro()
		}
		if sl.sess != nil {
			e.Started, e.PID = true, sl.sess.sh.pid()
			mtime = sl.sess.mtime.Load()
		}
		if mtime != 0 {
			e.Age = int(time.Duration(now-mtime) * time.Microsecond / time.Second)
		}
		st[i] = e
	}
	return &station.Rmtsh{Sessions: st}
}

// input queues data for the shell at idx (dn_fill); a shell with more than
// rmtshInput bytes waiting is stopped.
func (t *Shells) input(idx int, data []byte) {
	t.mu.Lock()
	s := t.slots[idx].sess
	t.mu.Unlock()
	if s == nil {
		t.log.Warn("rmtsh data for a session that is not running dropped", "index", idx, "bytes", len(data))
		return
	}
	if len(data) == 0 {
		// Station writes nothing for an empty frame from the LNS.
		t.log.Debug("rmtsh empty data frame from the LNS ignored", "index", idx)
		return
	}
	s.inMu.Lock()
	over := len(s.in)+len(data) > rmtshInput
	if !over {
		s.in = append(s.in, data...)
	}
	s.inMu.Unlock()
	if over {
		t.log.Error("rmtsh input overflow: the shell does not read; stopping it", "index", idx, "user", s.user, "pid", s.sh.pid(), "limit", rmtshInput)
		s.end(rmtshOverflow)
		return
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// inputLoop writes the LNS's data to the shell (dn_write).
func (t *Shells) inputLoop(s *rmtshSession) {
	defer t.wg.Done()
	for {
		select {
		case <-s.wake:
		case <-s.quit:
			return
		}
		s.inMu.Lock()
		b := s.in
		s.in = nil
		s.inMu.Unlock()
		if _, err := s.sh.Write(b); err != nil {
			s.end(rmtshTermFailed)
			return
		}
		s.mtime.Store(t.now())
	}
}

// output sends the shell's output in binary frames (up_read) until the
// shell's terminal closes, then ends the session: the shell's process
// group is killed and, while the connection is up, the end of output
// (a frame with the index alone) is sent. Writing frames waits for the
// connection, so a slow LNS holds the shell back rather than filling
// memory.
func (t *Shells) output(s *rmtshSession) {
	defer t.wg.Done()
	defer close(s.done)
	buf := make([]byte, rmtshFrame)
	buf[0] = byte(s.idx)
	reason := rmtshExited
	for {
		n, err := s.sh.Read(buf[1:])
		if n > 0 {
			s.mtime.Store(t.now())
			if werr := t.conn.WriteBinary(buf[:1+n]); werr != nil {
				reason = rmtshSendFailed
				break
			}
		}
		if err != nil {
			break
		}
	}
	s.end(reason)
	t.mu.Lock()
	sl := &t.slots[s.idx]
	if sl.sess == s {
		sl.sess = nil
		sl.mtime = time.UnixMicro(s.mtime.Load())
	}
	closed := t.closed
	t.mu.Unlock()
	if !closed && s.reason != rmtshSendFailed {
		if err := t.conn.WriteBinary([]byte{byte(s.idx)}); err != nil {
			t.log.Info("rmtsh end of output not sent", "index", s.idx, "error", err)
		}
	}
	t.log.Info("rmtsh stopped", "index", s.idx, "user", s.user, "pid", s.sh.pid(), "reason", s.reason)
}

// end kills the shell and closes its terminal, once; reason says why.
func (s *rmtshSession) end(reason string) {
	s.endOnce.Do(func() {
		s.reason = reason
		close(s.quit)
		s.sh.kill()
		_ = s.sh.Close()
	})
}

// Close ends every shell (the connection has ended) and waits for all
// their goroutines. It may be called on a nil Shells.
func (t *Shells) Close() {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.closed = true
	var running []*rmtshSession
	for _, sl := range t.slots {
		if sl.sess != nil {
			running = append(running, sl.sess)
		}
	}
	t.mu.Unlock()
	for _, s := range running {
		s.end(rmtshConnClosed)
	}
	t.wg.Wait()
}
