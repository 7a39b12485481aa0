package lgwsim_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/lgwsim"
)

// failAfter bounds every wait of these tests: a failure, never a pace.
const failAfter = 10 * time.Second

// socketPath returns a socket path in the test's temporary directory,
// failing if it is too long for sun_path (108 bytes).
func socketPath(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "spidev")
	if len(p) >= 104 {
		t.Fatalf("socket path %q too long", p)
	}
	return p
}

// rawSim is a minimal simulator written for these tests: it listens on a
// Unix socket and speaks the records byte for byte, independently of the
// package's Server.
type rawSim struct {
	t     *testing.T
	ln    net.Listener
	conns chan net.Conn
}

// newRawSim listens at path.
func newRawSim(t *testing.T, path string) *rawSim {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	s := &rawSim{t: t, ln: ln, conns: make(chan net.Conn, 4)}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				close(s.conns)
				return
			}
			t.Cleanup(func() { c.Close() })
			s.conns <- c
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return s
}

// accept returns the next gateway connection and its time-base record.
func (s *rawSim) accept() (net.Conn, []byte) {
	s.t.Helper()
	select {
	case c, ok := <-s.conns:
		if !ok {
			s.t.Fatal("listener closed")
		}
		return c, s.read(c, lgwsim.TxRecordSize)
	case <-time.After(failAfter):
		s.t.Fatal("no gateway connected")
	}
	return nil, nil
}

// read reads n bytes from c.
func (s *rawSim) read(c net.Conn, n int) []byte {
	s.t.Helper()
	b := make([]byte, n)
	c.SetReadDeadline(time.Now().Add(failAfter))
	if _, err := io.ReadFull(c, b); err != nil {
		s.t.Fatalf("read %d bytes: %v", n, err)
	}
	return b
}

// readTx reads one transmit record.
func (s *rawSim) readTx(c net.Conn) lgwsim.TxRecord {
	s.t.Helper()
	var r lgwsim.TxRecord
	if err := r.UnmarshalBinary(s.read(c, lgwsim.TxRecordSize)); err != nil {
		s.t.Fatal(err)
	}
	return r
}

// write writes raw bytes to c.
func (s *rawSim) write(c net.Conn, b []byte) {
	s.t.Helper()
	if _, err := c.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// writeRx writes one receive record.
func (s *rawSim) writeRx(c net.Conn, r lgwsim.RxRecord) {
	s.t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		s.t.Fatal(err)
	}
	s.write(c, b)
}

// timeBase decodes a time-base record.
func timeBase(t *testing.T, b []byte) (offset int64, unit uint8) {
	t.Helper()
	var r lgwsim.TxRecord
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	off, unit, ok := r.TimeBase()
	if !ok {
		t.Fatalf("first record has tx_mode %d, want the time base 255", r.TxMode)
	}
	return off, unit
}

// eu868 is an 8-channel EU868 radio configuration, radio 0 transmitting in
// 863..870 MHz.
func eu868() hal.Config {
	c := hal.Config{Radios: [2]hal.RFChain{
		{Enable: true, Freq: 867_500_000, Type: "SX1257", TxEnable: true, TxFreqMin: 863_000_000, TxFreqMax: 870_000_000},
		{Enable: true, Freq: 868_500_000, Type: "SX1257"},
	}}
	for i, off := range []int32{-400_000, -200_000, 0, 200_000, 400_000} {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: off}
	}
	for i, off := range []int32{-400_000, -200_000, 0} {
		c.MultiSF[5+i] = hal.IFChain{Enable: true, RFChain: 1, IF: off}
	}
	return c
}

// started returns a started concentrator for path, stopped at cleanup.
func started(t *testing.T, path string, opts lgwsim.Options) *lgwsim.Concentrator {
	t.Helper()
	c, err := lgwsim.New(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background(), eu868()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop() })
	return c
}

// waitConnected waits for the concentrator's connection.
func waitConnected(t *testing.T, c *lgwsim.Concentrator) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	if err := c.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
}

// receive returns the next frame.
func receive(t *testing.T, c hal.Concentrator) hal.RxPacket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), failAfter)
	defer cancel()
	p, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return p
}

// txDone returns the next TX report.
func txDone(t *testing.T, c hal.Concentrator) hal.TxDone {
	t.Helper()
	select {
	case d, ok := <-c.TxDone():
		if !ok {
			t.Fatal("TxDone channel closed")
		}
		return d
	case <-time.After(failAfter):
		t.Fatal("no TxDone")
	}
	return hal.TxDone{}
}

// logWatch is a slog handler that hands log messages containing a given
// text to a channel: a test's readiness signal for things only logged.
type logWatch struct {
	text string
	ch   chan string
}

func watchLog(text string) (*slog.Logger, <-chan string) {
	w := &logWatch{text: text, ch: make(chan string, 64)}
	return slog.New(w), w.ch
}

func (w *logWatch) Enabled(context.Context, slog.Level) bool { return true }
func (w *logWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, w.text) {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool { msg += " " + a.String(); return true })
		select {
		case w.ch <- msg:
		default:
		}
	}
	return nil
}
func (w *logWatch) WithAttrs([]slog.Attr) slog.Handler { return w }
func (w *logWatch) WithGroup(string) slog.Handler      { return w }

// wait returns the next value of ch, failing after failAfter.
func wait[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(failAfter):
		t.Fatalf("timed out waiting for %s", what)
	}
	var zero T
	return zero
}

// isErr reports whether err wraps every one of targets.
func isErr(err error, targets ...error) bool {
	for _, t := range targets {
		if !errors.Is(err, t) {
			return false
		}
	}
	return err != nil
}
