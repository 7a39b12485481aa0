package rmtsh

import (
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/internal/logtest"
	"github.com/loraedge/loraedge/station"
)

// fakeShell is a shell without a process: Read serves out (nil: blocks
// until Close), Write blocks until Close when stuck, else echoes into
// echo (nil: discards).
type fakeShell struct {
	id     int
	out    func(b []byte) int // fills b with output, returns how many bytes
	stuck  bool
	echo   chan []byte
	closed chan struct{}
	once   sync.Once
	read   atomic.Int64 // output bytes read from it
}

func newFakeShell(id int) *fakeShell {
	return &fakeShell{id: id, closed: make(chan struct{})}
}

func (f *fakeShell) Read(b []byte) (int, error) {
	if f.out != nil {
		select {
		case <-f.closed:
			return 0, os.ErrClosed
		default:
		}
		n := f.out(b)
		f.read.Add(int64(n))
		return n, nil
	}
	select {
	case p := <-f.echo:
		n := copy(b, p)
		f.read.Add(int64(n))
		return n, nil
	case <-f.closed:
		return 0, os.ErrClosed
	}
}

func (f *fakeShell) Write(b []byte) (int, error) {
	if f.stuck {
		<-f.closed
		return 0, os.ErrClosed
	}
	if f.echo != nil {
		select {
		case f.echo <- append([]byte(nil), b...):
		case <-f.closed:
			return 0, os.ErrClosed
		}
	}
	return len(b), nil
}

func (f *fakeShell) Close() error { f.once.Do(func() { close(f.closed) }); return nil }
func (f *fakeShell) pid() int     { return f.id }
func (f *fakeShell) kill()        { f.Close() }
func (f *fakeShell) wait()        { <-f.closed }

// frameConn records the frames and text messages the shells write; each
// write first waits for gate when it is set.
type frameConn struct {
	gate   chan struct{}
	mu     sync.Mutex
	frames [][]byte
	texts  []string
	onBin  func(b []byte) // called with each binary frame, under mu
	closed atomic.Bool
}

func (w *frameConn) write(b []byte, binary bool) error {
	if w.gate != nil {
		<-w.gate
	}
	if w.closed.Load() {
		return errors.New("closed")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if binary {
		w.frames = append(w.frames, append([]byte(nil), b...))
		if w.onBin != nil {
			w.onBin(b)
		}
	} else {
		w.texts = append(w.texts, string(b))
	}
	return nil
}

func (w *frameConn) WriteBinary(b []byte) error { return w.write(b, true) }
func (w *frameConn) WriteText(b []byte) error   { return w.write(b, false) }
func (w *frameConn) Close()                     { w.closed.Store(true) }

// testShells returns the shells of a connection on conn, with shells from
// spawn.
func testShells(conn Conn, spawn func(string) (shell, error)) (*Shells, *logtest.Sink) {
	logs := logtest.New()
	s := New(conn, slog.New(logs), sim.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	s.spawn = spawn
	return s, logs
}

// TestRmtshSlowLNS checks that a shell that prints without end, to an LNS
// that takes its frames slowly, is held back: never more than one frame's
// worth of output is read ahead of what was written.
func TestRmtshSlowLNS(t *testing.T) {
	ws := &frameConn{gate: make(chan struct{})}
	sh := newFakeShell(100)
	sh.out = func(b []byte) int {
		for i := range b {
			b[i] = 'x'
		}
		return len(b)
	}
	var written, worst int64
	ws.onBin = func(b []byte) {
		written += int64(len(b) - 1)
		if d := sh.read.Load() - written; d > worst {
			worst = d
		}
		if len(b) > rmtshFrame {
			t.Errorf("frame of %d bytes, want at most %d", len(b), rmtshFrame)
		}
	}
	shells, _ := testShells(ws, func(string) (shell, error) { return sh, nil })
	start := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		shells.Handle(&station.Rmtsh{User: "u", Start: &start})
	}()
	const frames = 200
	for range frames {
		select {
		case ws.gate <- struct{}{}:
		case <-time.After(waitTimeoutInternal):
			t.Fatal("no frame written")
		}
	}
	ws.mu.Lock()
	got, w := len(ws.frames), worst
	ws.mu.Unlock()
	// One pass through the gate went to the answer, the last one may
	// still be on its way.
	if got < frames-2 {
		t.Errorf("%d frames written, want at least %d", got, frames-2)
	}
	if w > rmtshFrame-1 {
		t.Errorf("%d bytes read from the shell ahead of the LNS, want at most %d", w, rmtshFrame-1)
	}
	// The connection ends: the shell is killed and every goroutine ends.
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		ws.Close()
		close(ws.gate)
		shells.Close()
	}()
	select {
	case <-closed:
	case <-time.After(waitTimeoutInternal):
		t.Fatal("close did not return")
	}
	<-done
	select {
	case <-sh.closed:
	default:
		t.Error("the shell was not killed")
	}
}

// waitTimeoutInternal bounds waits in this package's tests.
const waitTimeoutInternal = 10 * time.Second

// TestRmtshInputOverflow checks that a shell that does not take its input
// is stopped once rmtshInput bytes wait, as Station does, and not before.
func TestRmtshInputOverflow(t *testing.T) {
	ws := &frameConn{}
	sh := newFakeShell(200)
	sh.stuck = true
	shells, logs := testShells(ws, func(string) (shell, error) { return sh, nil })
	t.Cleanup(shells.Close)
	start := 1
	shells.Handle(&station.Rmtsh{User: "u", Start: &start})
	full := append([]byte{1}, make([]byte, rmtshInput)...)
	shells.Binary(full)
	if n := logs.Count("rmtsh input overflow: the shell does not read; stopping it"); n != 0 {
		t.Fatalf("overflow after %d bytes, limit %d", rmtshInput, rmtshInput)
	}
	shells.Binary(full)
	shells.Binary([]byte{1, 'x'})
	logs.Wait(t, waitTimeoutInternal, "rmtsh input overflow: the shell does not read; stopping it", map[string]string{"index": "1", "pid": "200"}, strings.Contains)
	logs.Wait(t, waitTimeoutInternal, "rmtsh stopped", map[string]string{"index": "1", "reason": "input overflow"}, strings.Contains)
	ws.mu.Lock()
	frames := ws.frames
	ws.mu.Unlock()
	if len(frames) != 1 || string(frames[0]) != "\x01" {
		t.Errorf("frames %q, want the end of output of session 1", frames)
	}
	st := shells.status()
	if st.Sessions[1].Started {
		t.Errorf("session 1 %+v after overflow, want stopped", st.Sessions[1])
	}
}

// FuzzRmtsh feeds arbitrary rmtsh messages and binary frames to the
// shells of a connection (shells without processes that echo their input):
// nothing may panic, the answer always has maxRmtsh entries, at most
// maxRmtsh shells run, and every frame written names a valid index.
func FuzzRmtsh(f *testing.F) {
	for _, s := range []struct {
		msg    string
		binary bool
	}{
		{`{"msgtype":"rmtsh","user":"root","start":0,"term":"xterm","MuxTime":1795783690.0}`, false},
		{`{"msgtype":"rmtsh","user":"root","start":1}`, false},
		{`{"msgtype":"rmtsh","stop":0,"start":0}`, false},
		{`{"msgtype":"rmtsh","stop":1}`, false},
		{`{"msgtype":"rmtsh","start":2}`, false},
		{`{"msgtype":"rmtsh","start":-1,"stop":300}`, false},
		{`{"msgtype":"rmtsh","start":0,"term":"\u0000"}`, false},
		{`{"msgtype":"rmtsh"}`, false},
		{"\x00echo hi\n", true},
		{"\x01exit\n", true},
		{"\x00", true},
		{"\x02x", true},
		{"\xff", true},
		{"", true},
	} {
		f.Add([]byte(s.msg), s.binary)
	}
	ws := &frameConn{}
	var bad atomic.Int64
	ws.onBin = func(b []byte) {
		if len(b) == 0 || int(b[0]) >= maxRmtsh || len(b) > rmtshFrame {
			bad.Add(1)
		}
	}
	var pids atomic.Int64
	spawn := func(string) (shell, error) {
		sh := newFakeShell(int(pids.Add(1)))
		sh.echo = make(chan []byte, 1)
		return sh, nil
	}
	shells, _ := testShells(ws, spawn)
	f.Cleanup(shells.Close)
	f.Fuzz(func(t *testing.T, msg []byte, binary bool) {
		if binary {
			shells.Binary(msg)
		} else if m, err := station.Decode(msg); err == nil {
			if r, ok := m.(*station.Rmtsh); ok {
				shells.Handle(r)
			}
		}
		st := shells.status()
		if len(st.Sessions) != maxRmtsh {
			t.Fatalf("%d sessions in the answer, want %d", len(st.Sessions), maxRmtsh)
		}
		if n := bad.Load(); n != 0 {
			t.Fatalf("%d frames with a bad index or size", n)
		}
	})
}

var _ shell = (*fakeShell)(nil)
