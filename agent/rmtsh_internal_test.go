package agent

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

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
	read   atomic.Int64 // output bytes handed to the agent
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

// frameWS records the binary frames the agent writes; each write first
// waits for gate when it is set.
type frameWS struct {
	gate   chan struct{}
	mu     sync.Mutex
	frames [][]byte
	texts  []string
	onBin  func(b []byte) // called with each binary frame, under mu
	closed atomic.Bool
}

func (w *frameWS) WriteMessage(typ int, b []byte) error {
	if w.gate != nil {
		<-w.gate
	}
	if w.closed.Load() {
		return errors.New("closed")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if typ == websocket.BinaryMessage {
		w.frames = append(w.frames, append([]byte(nil), b...))
		if w.onBin != nil {
			w.onBin(b)
		}
	} else {
		w.texts = append(w.texts, string(b))
	}
	return nil
}
func (w *frameWS) WriteControl(int, []byte, time.Time) error { return nil }
func (w *frameWS) SetWriteDeadline(time.Time) error          { return nil }
func (w *frameWS) Close() error                              { w.closed.Store(true); return nil }

// shellAgent is an agent with remote shells on, its connection on ws and
// shells from spawn.
func shellAgent(t testing.TB, ws wsConn, spawn func(string) (shell, error)) (*Agent, *conn, *logtest.Sink) {
	t.Helper()
	clock := sim.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	gw, err := sim.NewConcentrator(sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: 100}), "gw", sim.ConcentratorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	logs := logtest.New()
	a, err := New(Options{
		RouterEUI: [8]byte{1}, TC: Credentials{URI: "ws://127.0.0.1:1"}, Radio: gw,
		AllowRmtsh: true, Clock: fuzzClock{clock}, Logger: slog.New(logs),
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &conn{ws: ws, writeTimeout: time.Second}
	c.shells = a.newRmtshTable(c)
	c.shells.spawn = spawn
	return a, c, logs
}

func TestRmtshVersionFeatures(t *testing.T) {
	tests := []struct {
		name     string
		allow    bool
		features string
		want     string
	}{
		{"off", false, "", ""},
		{"off, not advertised even if asked", false, "rmtsh", ""},
		{"off, others kept", false, "gps rmtsh prod", "gps prod"},
		{"on", true, "", "rmtsh"},
		{"on, once", true, "rmtsh  gps", "gps rmtsh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Agent{opts: Options{AllowRmtsh: tt.allow, Version: station.Version{Features: tt.features}}}
			want := tt.want
			if !rmtshSupported {
				want = strings.TrimSpace(strings.ReplaceAll(want, "rmtsh", ""))
			}
			if got := a.version().Features; got != want {
				t.Errorf("features %q, want %q", got, want)
			}
			if a.opts.Version.Features != tt.features {
				t.Errorf("Options.Version.Features changed to %q", a.opts.Version.Features)
			}
		})
	}
}

// TestRmtshSlowLNS checks that a shell that prints without end, to an LNS
// that takes its frames slowly, is held back: never more than one frame's
// worth of output is read ahead of what was written.
func TestRmtshSlowLNS(t *testing.T) {
	ws := &frameWS{gate: make(chan struct{})}
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
	a, c, _ := shellAgent(t, ws, func(string) (shell, error) { return sh, nil })
	start := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.handleRmtsh(c, &station.Rmtsh{User: "u", Start: &start}, 0)
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
		c.shells.close()
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
	ws := &frameWS{}
	sh := newFakeShell(200)
	sh.stuck = true
	a, c, logs := shellAgent(t, ws, func(string) (shell, error) { return sh, nil })
	t.Cleanup(c.shells.close)
	start := 1
	a.handleRmtsh(c, &station.Rmtsh{User: "u", Start: &start}, 0)
	full := append([]byte{1}, make([]byte, rmtshInput)...)
	a.handleBinary(c, full)
	if n := logs.Count("rmtsh input overflow: the shell does not read; stopping it"); n != 0 {
		t.Fatalf("overflow after %d bytes, limit %d", rmtshInput, rmtshInput)
	}
	a.handleBinary(c, full)
	a.handleBinary(c, []byte{1, 'x'})
	logs.Wait(t, waitTimeoutInternal, "rmtsh input overflow: the shell does not read; stopping it", map[string]string{"index": "1", "pid": "200"}, strings.Contains)
	logs.Wait(t, waitTimeoutInternal, "rmtsh stopped", map[string]string{"index": "1", "reason": "input overflow"}, strings.Contains)
	ws.mu.Lock()
	frames := ws.frames
	ws.mu.Unlock()
	if len(frames) != 1 || string(frames[0]) != "\x01" {
		t.Errorf("frames %q, want the end of output of session 1", frames)
	}
	st := c.shells.status()
	if st.Sessions[1].Started {
		t.Errorf("session 1 %+v after overflow, want stopped", st.Sessions[1])
	}
}

// FuzzRmtsh feeds arbitrary rmtsh messages and binary frames to an agent
// with remote shells on (shells without processes that echo their input):
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
	ws := &frameWS{}
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
	a, c, _ := shellAgent(f, ws, spawn)
	ctx, cancel := context.WithCancel(context.Background())
	a.runCtx = ctx
	f.Cleanup(func() {
		cancel()
		c.shells.close()
		a.stopRadio()
		a.wg.Wait()
	})
	f.Fuzz(func(t *testing.T, msg []byte, binary bool) {
		if binary {
			a.handleBinary(c, msg)
		} else {
			_ = a.handleMessage(ctx, c, msg)
		}
		st := c.shells.status()
		if len(st.Sessions) != maxRmtsh {
			t.Fatalf("%d sessions in the answer, want %d", len(st.Sessions), maxRmtsh)
		}
		if n := bad.Load(); n != 0 {
			t.Fatalf("%d frames with a bad index or size", n)
		}
	})
}

var _ shell = (*fakeShell)(nil)
