package agent

import (
	"context"
	"errors"
	"os/exec"
	"strings"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/agent/rmtsh"
	"github.com/loraedge/loraedge/station"
)

// runcmdWaitDelay is how long a finished (or killed) runcmd's output is
// still read while a process it started keeps it open.
const runcmdWaitDelay = time.Second

// handleRuncmd refuses runcmd unless Options.AllowRunCmd; when allowed, it
// runs the program directly (no shell), detached from the connection as
// Station does, killed after RunCmdTimeout. Arguments are not logged:
// they may hold secrets.
func (a *Agent) handleRuncmd(m *station.Runcmd) {
	if !a.opts.AllowRunCmd {
		a.log.Warn("runcmd refused: not enabled in the configuration", "command", m.Command, "args", len(m.Arguments))
		return
	}
	if m.Command == "" {
		a.log.Error("runcmd without command ignored")
		return
	}
	if len(m.Arguments) > station.MaxRuncmdArgs {
		a.log.Warn("runcmd with too many arguments ignored", "args", len(m.Arguments), "max", station.MaxRuncmdArgs)
		return
	}
	ctx, cancel := context.WithTimeout(a.runCtx, a.opts.RunCmdTimeout)
	cmd := exec.CommandContext(ctx, m.Command, m.Arguments...)
	// A child the command leaves behind may hold its output open: stop
	// waiting for it soon after the command exits (or is killed), so that
	// neither the report nor Run's return waits on it.
	cmd.WaitDelay = runcmdWaitDelay
	a.log.Warn("runcmd: running a program at the LNS's request", "command", m.Command, "args", len(m.Arguments))
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer cancel()
		// The output is counted, not kept: only its size is reported, and a
		// chatty program must not grow the agent's memory.
		var out byteCounter
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		if errors.Is(err, exec.ErrWaitDelay) {
			a.log.Info("runcmd finished", "command", m.Command, "output_bytes", out.n.Load(), "children_left", true)
			return
		}
		if err != nil {
			a.log.Warn("runcmd finished with an error", "command", m.Command, "error", err, "output_bytes", out.n.Load())
			return
		}
		a.log.Info("runcmd finished", "command", m.Command, "output_bytes", out.n.Load())
	}()
}

// byteCounter is an io.Writer that only counts what it is given; exec
// writes stdout and stderr to it from one goroutine each.
type byteCounter struct{ n atomic.Int64 }

func (c *byteCounter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return len(p), nil
}

// version is the version message: Options.Version with "rmtsh" among its
// features exactly when remote shells are enabled and possible here.
func (a *Agent) version() *station.Version {
	v := a.opts.Version
	var fs []string
	for _, f := range strings.Fields(v.Features) {
		if f != station.MsgTypeRmtsh {
			fs = append(fs, f)
		}
	}
	if a.opts.AllowRmtsh && rmtsh.Supported {
		fs = append(fs, station.MsgTypeRmtsh)
	}
	v.Features = strings.Join(fs, " ")
	return &v
}

// handleRmtsh refuses an rmtsh message unless Options.AllowRmtsh, and
// otherwise hands it to the connection's shells (rmtsh.Shells.Handle).
func (a *Agent) handleRmtsh(c *conn, m *station.Rmtsh, rx int64) {
	if !a.opts.AllowRmtsh || c.shells == nil {
		a.log.Warn("rmtsh refused: not enabled in the configuration", "user", m.User)
		return
	}
	a.updateMuxTime(m.MuxTime, rx)
	c.shells.Handle(m)
}

// handleBinary hands a binary frame from the LNS to the connection's
// shells, or logs and drops it unless Options.AllowRmtsh; the connection
// stays up either way.
func (a *Agent) handleBinary(c *conn, b []byte) {
	if !a.opts.AllowRmtsh || c.shells == nil {
		a.log.Warn("binary message from the LNS ignored: rmtsh not enabled in the configuration", "bytes", len(b))
		return
	}
	c.shells.Binary(b)
}
