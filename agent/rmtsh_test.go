//go:build linux

package agent_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"golang.org/x/sys/unix"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/station"
)

// newShellScripted starts an agent with AllowRmtsh set to allow, reporting
// the given features, against a scripted LNS; it checks the version
// message's features and sends routerConfigEU.
func newShellScripted(t *testing.T, allow bool, features, wantFeatures string) *scripted {
	t.Helper()
	s := &scripted{w: newWorld(t, sim.ConcentratorOptions{}), lns: newScriptLNS(t), logs: newLogSink(), states: newStates(), mux: muxTime, muxAt: t0}
	pub, clk, txOn := true, 1, true
	a, err := agent.New(agent.Options{
		RouterEUI: routerEUI,
		TC:        agent.Credentials{URI: s.lns.uri()},
		Radio:     s.w.gw,
		Board: station.SX130xConf{LorawanPublic: &pub, ClkSrc: &clk,
			Radios: [2]*station.RadioConf{{Type: "SX1257", TxEnable: &txOn}, {Type: "SX1257"}}},
		Version:    station.Version{Station: "2.0.6(linux/std)", Firmware: "v1.2", Package: "v1.2", Features: features},
		AllowRmtsh: allow,
		Clock:      vclock{s.w.clock},
		Logger:     slog.New(s.logs),
		OnState:    s.states.on,
		Reconnect: agent.Reconnect{MuxsBackoff: []time.Duration{10 * time.Millisecond},
			InfosStep: 10 * time.Millisecond, InfosMax: 20 * time.Millisecond, Jitter: -1},
	})
	if err != nil {
		t.Fatal(err)
	}
	s.a = a
	runAgent(t, a)
	s.lns.discovery(t)
	s.conn = accept(t, s.lns.traffic)
	want := `{"msgtype":"version","station":"2.0.6(linux/std)","firmware":"v1.2","package":"v1.2","model":"linux","protocol":2,"features":"` + wantFeatures + `"}`
	if got := read(t, s.conn); got != want {
		t.Fatalf("version\n got %s\nwant %s", got, want)
	}
	write(t, s.conn, routerConfigEU)
	s.states.wait(t, agent.StateConnected, s.logs)
	return s
}

// shellPeer is the LNS's side of remote shells on a traffic socket: it
// files every message it reads.
type shellPeer struct {
	t      *testing.T
	c      *websocket.Conn
	logs   *logSink
	out    map[byte]*strings.Builder // output per session index
	eof    map[byte]bool             // end of output seen
	reuse  map[byte]bool             // a stop and start at the index was asked: a new stream follows its end
	events []string                  // "eof <idx>" and text messages, in order
}

func newShellPeer(t *testing.T, s *scripted) *shellPeer {
	return &shellPeer{t: t, c: s.conn, logs: s.logs, out: map[byte]*strings.Builder{}, eof: map[byte]bool{}, reuse: map[byte]bool{}}
}

// next reads and files one message.
func (p *shellPeer) next() {
	p.t.Helper()
	_ = p.c.SetReadDeadline(time.Now().Add(waitTimeout))
	typ, b, err := p.c.ReadMessage()
	if err != nil {
		p.t.Fatalf("read: %v\nlogs:\n%s", err, p.logs.text())
	}
	if typ == websocket.TextMessage {
		p.events = append(p.events, string(b))
		return
	}
	if len(b) == 0 {
		p.t.Fatal("empty binary frame from the agent")
	}
	if len(b) > 384 {
		p.t.Errorf("binary frame of %d bytes, want at most 384 (Station's chunk)", len(b))
	}
	idx := b[0]
	if p.eof[idx] {
		p.t.Errorf("frame for session %d after its end of output", idx)
	}
	if len(b) == 1 {
		// After the end of a shell stopped to start another at the same
		// index, the new shell's output follows (it may come before the
		// status answer): only its own end closes the index.
		p.eof[idx] = !p.reuse[idx]
		p.reuse[idx] = false
		p.events = append(p.events, fmt.Sprintf("eof %d", idx))
		return
	}
	if p.out[idx] == nil {
		p.out[idx] = &strings.Builder{}
	}
	p.out[idx].Write(b[1:])
}

// send writes a binary frame for session idx.
func (p *shellPeer) send(idx byte, data string) {
	p.t.Helper()
	if err := p.c.WriteMessage(websocket.BinaryMessage, append([]byte{idx}, data...)); err != nil {
		p.t.Fatalf("write: %v", err)
	}
}

// output returns what session idx has printed so far, carriage returns
// removed.
func (p *shellPeer) output(idx byte) string {
	if p.out[idx] == nil {
		return ""
	}
	return strings.ReplaceAll(p.out[idx].String(), "\r", "")
}

// waitLine reads until session idx has printed a line that is want once a
// shell prompt ("$ " or "# ") is taken off its front: the shell's answer,
// not the terminal echoing the command.
func (p *shellPeer) waitLine(idx byte, want string) {
	p.t.Helper()
	for {
		for _, l := range strings.Split(p.output(idx), "\n") {
			for strings.HasPrefix(l, "$ ") || strings.HasPrefix(l, "# ") {
				l = l[2:]
			}
			if l == want {
				return
			}
		}
		p.next()
	}
}

// waitEOF reads until session idx's end of output.
func (p *shellPeer) waitEOF(idx byte) {
	p.t.Helper()
	for !p.eof[idx] {
		p.next()
	}
}

// status reads until an rmtsh answer and returns it with its position in
// events.
func (p *shellPeer) status() (string, int) {
	p.t.Helper()
	i := 0
	for {
		for ; i < len(p.events); i++ {
			if strings.HasPrefix(p.events[i], `{"msgtype":"rmtsh"`) {
				return p.events[i], i
			}
		}
		p.next()
	}
}

// sessions decodes an rmtsh answer.
func sessions(t *testing.T, msg string) []station.RmtshSession {
	t.Helper()
	var m station.Rmtsh
	if err := json.Unmarshal([]byte(msg), &m); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	return m.Sessions
}

// startShell asks for a shell at idx and returns its pid from the answer.
func (p *shellPeer) startShell(idx int, user string) int {
	p.t.Helper()
	write(p.t, p.c, fmt.Sprintf(`{"msgtype":"rmtsh","user":%q,"start":%d,"term":"xterm","MuxTime":1795783690.0}`, user, idx))
	msg, _ := p.status()
	p.events = nil
	st := sessions(p.t, msg)
	if len(st) != 2 {
		p.t.Fatalf("rmtsh answer %s: %d sessions, want 2", msg, len(st))
	}
	got := st[idx]
	if got.User != user || !got.Started || got.Age != 0 || got.PID <= 0 {
		p.t.Fatalf("session %d after start: %+v, want user %q started, age 0, a pid", idx, got, user)
	}
	return got.PID
}

// backgroundSleep starts a long sleep in the background of session idx
// and returns its pid.
func (p *shellPeer) backgroundSleep(idx byte) int {
	p.t.Helper()
	p.send(idx, "sleep 1000 & echo \"bg=$!\"\n")
	for {
		for _, l := range strings.Split(p.output(idx), "\n") {
			if i := strings.Index(l, "bg="); i >= 0 {
				if pid, err := strconv.Atoi(strings.TrimSpace(l[i+3:])); err == nil && pid > 0 {
					return pid
				}
			}
		}
		p.next()
	}
}

// process is a process watched through a pidfd.
type process struct {
	pid int
	fd  int
}

// watch opens a pidfd on pid, which must be running.
func watch(t *testing.T, pid int) process {
	t.Helper()
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		t.Fatalf("pidfd_open(%d): %v", pid, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	p := process{pid: pid, fd: fd}
	if p.exited(t, 0) {
		t.Fatalf("process %d has already exited", pid)
	}
	return p
}

// exited reports whether the process exits within timeout.
func (p process) exited(t *testing.T, timeout time.Duration) bool {
	t.Helper()
	for {
		n, err := unix.Poll([]unix.PollFd{{Fd: int32(p.fd), Events: unix.POLLIN}}, int(timeout/time.Millisecond))
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			t.Fatalf("poll pidfd of %d: %v", p.pid, err)
		}
		return n == 1
	}
}

// mustExit fails unless the process exits within waitTimeout.
func (p process) mustExit(t *testing.T, what string) {
	t.Helper()
	if !p.exited(t, waitTimeout) {
		t.Fatalf("%s (pid %d) still runs", what, p.pid)
	}
}

// childShells lists the processes named sh whose parent is this test.
func childShells(t *testing.T) []int {
	t.Helper()
	stats, err := filepath.Glob("/proc/[0-9]*/stat")
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue // gone meanwhile
		}
		// pid (comm) state ppid ...
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		j := strings.IndexByte(s, '(')
		if i < 0 || j < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) < 2 || s[j+1:i] != "sh" || fields[1] != strconv.Itoa(os.Getpid()) {
			continue
		}
		pid, _ := strconv.Atoi(strings.TrimSpace(s[:j]))
		pids = append(pids, pid)
	}
	return pids
}

// TestRmtshShell runs a shell as an LNS does: start, a command, the
// terminal type, exit, the end of output and the status after it.
func TestRmtshShell(t *testing.T) {
	s := newShellScripted(t, true, "gps", "gps rmtsh")
	p := newShellPeer(t, s)
	pid := p.startShell(0, "tester")
	s.logs.wait(t, "rmtsh: shell started at the LNS's request", map[string]string{"index": "0", "user": "tester", "pid": strconv.Itoa(pid), "term": "xterm"})
	sh := watch(t, pid)

	p.send(0, "echo hi\n")
	p.waitLine(0, "hi")
	p.send(0, "echo \"term=$TERM\"\n")
	p.waitLine(0, "term=xterm")
	if t.Failed() {
		return
	}

	p.send(0, "exit\n")
	p.waitEOF(0)
	sh.mustExit(t, "the shell")
	s.logs.wait(t, "rmtsh stopped", map[string]string{"index": "0", "user": "tester", "pid": strconv.Itoa(pid), "reason": "shell exited"})

	// Station keeps the user and the last activity of an ended session.
	s.w.clock.Advance(3 * time.Second)
	write(t, s.conn, `{"msgtype":"rmtsh"}`)
	got, _ := p.status()
	want := `{"msgtype":"rmtsh","rmtsh":[{"user":"tester","started":false,"age":3,"pid":0},{"user":"","started":false,"age":-1,"pid":0}]}`
	if got != want {
		t.Errorf("status after exit\n got %s\nwant %s", got, want)
	}

	p.send(0, "echo late\n")
	s.logs.wait(t, "rmtsh data for a session that is not running dropped", map[string]string{"index": "0", "bytes": "10"})
	if n := s.logs.count("rmtsh: shell started at the LNS's request"); n != 1 {
		t.Errorf("%d shells started, want 1", n)
	}
	for _, r := range []string{"echo", "$TERM"} {
		if strings.Contains(s.logs.text(), r) {
			t.Errorf("shell data %q logged:\n%s", r, s.logs.text())
		}
	}
}

// TestRmtshStop checks that stop kills the shell and its background jobs,
// that the end of output comes before the answer, and that the other
// session keeps running.
func TestRmtshStop(t *testing.T) {
	s := newShellScripted(t, true, "", "rmtsh")
	p := newShellPeer(t, s)
	pid0 := p.startShell(0, "alice")
	pid1 := p.startShell(1, "bob")
	sh0, sh1 := watch(t, pid0), watch(t, pid1)
	bg := watch(t, p.backgroundSleep(0))

	write(t, s.conn, `{"msgtype":"rmtsh","stop":0}`)
	msg, at := p.status()
	eof := -1
	for i, e := range p.events {
		if e == "eof 0" {
			eof = i
		}
	}
	if eof < 0 || eof > at {
		t.Errorf("events %q: want the end of output of session 0 before the answer", p.events)
	}
	st := sessions(t, msg)
	if st[0].Started || st[0].PID != 0 || st[0].User != "alice" || !st[1].Started || st[1].PID != pid1 || st[1].User != "bob" {
		t.Errorf("answer to stop: %s, want session 0 stopped, session 1 running as pid %d", msg, pid1)
	}
	sh0.mustExit(t, "the stopped shell")
	bg.mustExit(t, "the stopped shell's background job")
	s.logs.wait(t, "rmtsh stopped", map[string]string{"index": "0", "user": "alice", "pid": strconv.Itoa(pid0), "reason": "stopped by the LNS"})
	if sh1.exited(t, 0) {
		t.Fatal("session 1 ended with session 0")
	}
	p.send(1, "echo still here\n")
	p.waitLine(1, "still here")

	// Stop and start in one message: a fresh shell at the same index.
	p.events = nil
	p.reuse[1] = true
	write(t, s.conn, `{"msgtype":"rmtsh","user":"carol","stop":1,"start":1}`)
	msg, _ = p.status()
	st = sessions(t, msg)
	if !st[1].Started || st[1].PID == pid1 || st[1].User != "carol" {
		t.Errorf("answer to stop and start: %s, want a new shell for carol at 1", msg)
	}
	sh1.mustExit(t, "the restarted shell")
}

// TestRmtshDisconnect checks that the shells end with the connection.
func TestRmtshDisconnect(t *testing.T) {
	s := newShellScripted(t, true, "", "rmtsh")
	p := newShellPeer(t, s)
	sh := watch(t, p.startShell(1, "tester"))
	bg := watch(t, p.backgroundSleep(1))
	s.conn.Close()
	sh.mustExit(t, "the shell")
	bg.mustExit(t, "the shell's background job")
	s.logs.wait(t, "rmtsh stopped", map[string]string{"index": "1", "reason": "connection to the LNS closed"})
	// The agent connects again, without shells.
	c := accept(t, s.lns.traffic)
	if got := read(t, c); !strings.Contains(got, `"features":"rmtsh"`) {
		t.Errorf("version after reconnect: %s", got)
	}
	write(t, c, `{"msgtype":"rmtsh"}`)
	want := `{"msgtype":"rmtsh","rmtsh":[{"user":"","started":false,"age":-1,"pid":0},{"user":"","started":false,"age":-1,"pid":0}]}`
	if got := read(t, c); got != want {
		t.Errorf("status on the new connection\n got %s\nwant %s", got, want)
	}
}

// TestRmtshBadInput sends what an LNS should not: each is logged, nothing
// panics and the connection stays up.
func TestRmtshBadInput(t *testing.T) {
	s := newShellScripted(t, true, "", "rmtsh")
	p := newShellPeer(t, s)
	pid := p.startShell(0, "tester")
	p.startShell(1, "tester")
	getxtime := `{"msgtype":"getxtime","MuxTime":1795783700.5}`

	tests := []struct {
		name  string
		send  func()
		log   string
		attrs map[string]string
		reply bool // an rmtsh answer comes
	}{
		{"unknown index", func() { p.send(7, "ls\n") }, "rmtsh data for an unknown session index dropped", map[string]string{"index": "7", "bytes": "3"}, false},
		{"index in use", func() { write(t, s.conn, `{"msgtype":"rmtsh","user":"eve","start":0}`) },
			"rmtsh start refused: session index already in use", map[string]string{"index": "0", "user": "eve", "pid": strconv.Itoa(pid)}, true},
		{"too many sessions", func() { write(t, s.conn, `{"msgtype":"rmtsh","user":"eve","start":2}`) },
			"rmtsh request ignored: session index out of range", map[string]string{"index": "2", "max_sessions": "2"}, false},
		{"negative stop", func() { write(t, s.conn, `{"msgtype":"rmtsh","stop":-1}`) },
			"rmtsh request ignored: session index out of range", map[string]string{"index": "-1"}, false},
		{"bad term", func() { write(t, s.conn, `{"msgtype":"rmtsh","user":"eve","stop":1,"start":1,"term":"x\u0000y"}`) },
			"rmtsh start refused: unusable terminal type", map[string]string{"index": "1", "user": "eve"}, true},
		{"empty frame", func() {
			if err := s.conn.WriteMessage(websocket.BinaryMessage, nil); err != nil {
				t.Fatal(err)
			}
		}, "empty binary message from the LNS ignored", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p.events = nil
			tt.send()
			s.logs.wait(t, tt.log, tt.attrs)
			write(t, s.conn, getxtime)
			// Whatever else comes, the getxtime answer shows the
			// connection is up; an rmtsh answer comes only if expected.
			var rmtsh bool
			for {
				n := len(p.events)
				p.next()
				if len(p.events) == n {
					continue // shell output
				}
				last := p.events[n]
				if strings.HasPrefix(last, `{"msgtype":"getxtime"`) {
					break
				}
				rmtsh = rmtsh || strings.HasPrefix(last, `{"msgtype":"rmtsh"`)
			}
			if rmtsh != tt.reply {
				t.Errorf("rmtsh answer %v, want %v (events %q)", rmtsh, tt.reply, p.events)
			}
		})
	}
	// Session 0 is untouched by all this.
	p.send(0, "echo ok\n")
	p.waitLine(0, "ok")
}

// TestRmtshDisabled checks that, by default, rmtsh is refused and logged,
// no shell is started, it is not advertised, and the connection stays up.
func TestRmtshDisabled(t *testing.T) {
	before := len(childShells(t))
	s := newShellScripted(t, false, "rmtsh gps", "gps")
	write(t, s.conn, `{"msgtype":"rmtsh","user":"root","start":0,"term":"xterm"}`)
	if err := s.conn.WriteMessage(websocket.BinaryMessage, []byte("\x00echo hi\n")); err != nil {
		t.Fatal(err)
	}
	s.logs.wait(t, "rmtsh refused: not enabled in the configuration", map[string]string{"user": "root"})
	s.logs.wait(t, "binary message from the LNS ignored: rmtsh not enabled in the configuration", map[string]string{"bytes": "9"})
	write(t, s.conn, `{"msgtype":"getxtime","MuxTime":1795783700.5}`)
	if got := read(t, s.conn); !strings.HasPrefix(got, `{"msgtype":"getxtime"`) {
		t.Errorf("after a refused rmtsh: %s, want only the getxtime answer", got)
	}
	if n := s.logs.count("rmtsh: shell started at the LNS's request"); n != 0 {
		t.Errorf("%d shells started", n)
	}
	if after := childShells(t); len(after) != before {
		t.Errorf("child shells %v, want %d", after, before)
	}
}
