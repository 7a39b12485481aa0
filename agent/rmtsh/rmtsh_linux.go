//go:build linux

package rmtsh

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Supported says whether remote shells can be started here.
const Supported = true

// rmtshDrain is how long the output of a shell that has exited is still
// read: enough for what it wrote last, bounded in case a process that left
// its process group holds the terminal open.
const rmtshDrain = time.Second

// ptyShell is "sh" on a pseudo-terminal.
type ptyShell struct {
	pty *os.File // master side, non-blocking (reads and writes return on Close)
	cmd *exec.Cmd

	mu     sync.Mutex // orders kill and reaping, so that a reaped pid is never signalled
	reaped bool
}

// startShell starts "sh" on a new pseudo-terminal in raw mode, as the
// leader of a new session whose controlling terminal it is, with TERM set
// to term (Station's startRmtsh). The shell runs as the agent's user.
func startShell(term string) (shell, error) {
	master, slave, err := openPTY()
	if err != nil {
		return nil, err
	}
	defer slave.Close()
	cmd := exec.Command("sh")
	cmd.Env = append(withoutEnv(os.Environ(), "TERM"), "TERM="+term)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		master.Close()
		return nil, fmt.Errorf("rmtsh: start sh: %w", err)
	}
	return &ptyShell{pty: master, cmd: cmd}, nil
}

// openPTY opens a new pseudo-terminal (/dev/ptmx, unlocked) and its slave
// side, the slave in raw mode as cfmakeraw sets it.
func openPTY() (master, slave *os.File, err error) {
	fd, err := unix.Open("/dev/ptmx", unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("rmtsh: open /dev/ptmx: %w", err)
	}
	// A non-blocking descriptor gives a File that the runtime poller
	// serves: Close then wakes a blocked Read or Write.
	master = os.NewFile(uintptr(fd), "/dev/ptmx")
	fail := func(what string, err error) (*os.File, *os.File, error) {
		master.Close()
		return nil, nil, fmt.Errorf("rmtsh: %s: %w", what, err)
	}
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		return fail("unlock pty", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		return fail("pty number", err)
	}
	name := fmt.Sprintf("/dev/pts/%d", n)
	sfd, err := unix.Open(name, unix.O_RDWR|unix.O_NOCTTY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fail("open "+name, err)
	}
	slave = os.NewFile(uintptr(sfd), name)
	tio, err := unix.IoctlGetTermios(sfd, unix.TCGETS)
	if err == nil {
		makeRaw(tio)
		err = unix.IoctlSetTermios(sfd, unix.TCSETS, tio)
	}
	if err != nil {
		slave.Close()
		return fail("raw mode", err)
	}
	return master, slave, nil
}

// makeRaw sets tio as cfmakeraw(3) does: no input or output processing,
// no echo, no line editing, no signals from characters, 8 bits.
func makeRaw(tio *unix.Termios) {
	tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	tio.Oflag &^= unix.OPOST
	tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
	tio.Cflag &^= unix.CSIZE | unix.PARENB
	tio.Cflag |= unix.CS8
	tio.Cc[unix.VMIN] = 1
	tio.Cc[unix.VTIME] = 0
}

// withoutEnv returns env without the variable key.
func withoutEnv(env []string, key string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if !strings.HasPrefix(kv, key+"=") {
			out = append(out, kv)
		}
	}
	return out
}

// Read reads the shell's output; once no process holds the terminal,
// Linux gives EIO, the end.
func (p *ptyShell) Read(b []byte) (int, error) { return p.pty.Read(b) }

func (p *ptyShell) Write(b []byte) (int, error) { return p.pty.Write(b) }

func (p *ptyShell) Close() error { return p.pty.Close() }

func (p *ptyShell) pid() int { return p.cmd.Process.Pid }

// kill kills every process of the shell's session: the shell runs its
// background jobs in process groups of their own, so killing the shell's
// group alone (as Station does) would leave them running.
func (p *ptyShell) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.reaped {
		killSession(p.pid())
	}
}

// wait waits for the shell to exit without reaping it, kills what is left
// of its session while its pid, and with it the session id, is still
// taken, then reaps it and gives its output rmtshDrain to be read.
func (p *ptyShell) wait() {
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, p.pid(), &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	p.mu.Lock()
	killSession(p.pid())
	_ = p.cmd.Wait()
	p.reaped = true
	p.mu.Unlock()
	_ = p.pty.SetReadDeadline(time.Now().Add(rmtshDrain))
}

// killSession sends SIGKILL to every process of session sid, found in
// /proc, until none is left (a process forking meanwhile is caught on the
// next pass; at most a few passes). A process that started a session of
// its own has left the shell's and is not found.
func killSession(sid int) {
	_ = unix.Kill(-sid, unix.SIGKILL)
	for range 8 {
		if killPass(sid) == 0 {
			return
		}
	}
}

// killPass kills the processes of session sid it finds and returns how
// many there were.
func killPass(sid int) int {
	d, err := os.Open("/proc")
	if err != nil {
		return 0
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	n := 0
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue
		}
		if s, ok := procSession(pid); ok && s == sid {
			_ = unix.Kill(pid, unix.SIGKILL)
			n++
		}
	}
	return n
}

// procSession reads the session id of process pid from /proc/<pid>/stat.
func procSession(pid int) (int, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false
	}
	// pid (comm) state ppid pgrp session ...; comm may hold anything.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 4 {
		return 0, false
	}
	sid, err := strconv.Atoi(f[3])
	return sid, err == nil
}
