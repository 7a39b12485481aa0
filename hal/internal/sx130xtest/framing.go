package sx130xtest

import (
	"bytes"
	"os"
	"testing"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/conn/v3/spi/spitest"
	"periph.io/x/host/v3"
)

// HWEnv names the SPI device on which the framing tests marked hw also
// run, through a recorder, when set (LORAEDGE_SPI=/dev/spidev0.0 on a Pi
// with the driver's board, reset and idle). The recorded writes must match
// the playback byte for byte; the replies are logged.
const HWEnv = "LORAEDGE_SPI"

// OnHW reports whether the framing tests run on hardware (values read are
// then the board's, not the playback's).
func OnHW() bool { return os.Getenv(HWEnv) != "" }

// Framing runs run on a connection at speed and checks the SPI transfers
// it makes: on a spitest.Playback of ops, every op consumed; or, when
// HWEnv names a device, on that device through spitest.Record, every
// write as ops says. A test that is not hw is skipped on hardware with
// the reason skip (it writes what a running board needs).
func Framing(t *testing.T, speed physic.Frequency, hw bool, skip string, ops []conntest.IO, run func(c spi.Conn) error) {
	t.Helper()
	if dev := os.Getenv(HWEnv); dev != "" {
		if !hw {
			t.Skipf("%s set: %s; playback only", HWEnv, skip)
		}
		hardware(t, dev, speed, ops, run)
		return
	}
	pb := &spitest.Playback{Playback: conntest.Playback{Ops: ops, DontPanic: true}}
	c, err := pb.Connect(speed, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(c); err != nil {
		t.Fatalf("run: %v", err)
	}
	if err := pb.Close(); err != nil {
		t.Errorf("playback not consumed: %v", err)
	}
}

// hardware runs the same ops on a real chip through spitest.Record and
// compares the bytes written.
func hardware(t *testing.T, dev string, speed physic.Frequency, ops []conntest.IO, run func(c spi.Conn) error) {
	t.Helper()
	if _, err := host.Init(); err != nil {
		t.Fatalf("host.Init: %v", err)
	}
	p, err := spireg.Open(dev)
	if err != nil {
		t.Fatalf("open %s: %v", dev, err)
	}
	rec := &spitest.Record{Port: p}
	defer rec.Close()
	c, err := rec.Connect(speed, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(c); err != nil {
		t.Fatalf("run on %s: %v", dev, err)
	}
	if len(rec.Ops) != len(ops) {
		t.Fatalf("%d transfers on %s, want %d", len(rec.Ops), dev, len(ops))
	}
	for i, op := range rec.Ops {
		if !bytes.Equal(op.W, ops[i].W) {
			t.Errorf("transfer %d wrote % x, want % x", i, op.W, ops[i].W)
		}
		t.Logf("transfer %d read % x", i, op.R)
	}
}

// PlaybackConn returns a connection on an empty playback, whose every
// transfer fails: for the tests of how a bus reports SPI errors.
func PlaybackConn(t *testing.T, speed physic.Frequency) spi.Conn {
	t.Helper()
	pb := &spitest.Playback{Playback: conntest.Playback{DontPanic: true}}
	c, err := pb.Connect(speed, spi.Mode0, 8)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
