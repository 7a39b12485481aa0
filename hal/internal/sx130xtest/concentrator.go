package sx130xtest

import (
	"context"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// Image returns a synthetic firmware image of the size both chips take
// (random bytes: the models compare or recognise what was written, they
// do not run it).
func Image(t *testing.T) []byte {
	t.Helper()
	fw := make([]byte, sx130x.FirmwareSize)
	if _, err := rand.Read(fw); err != nil {
		t.Fatal(err)
	}
	return fw
}

// WriteFile writes b to a file name in a temporary directory and returns
// its path.
func WriteFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// EU868 is a channel plan like the one Basics Station derives from an
// EU868 router_config, on two radios of type radioType with the board's
// rssiOffset, radio_0 enabled for TX in 863..870 MHz, plus a single-SF
// channel (SF7, 250 kHz) and an FSK channel (50 kbps) on radio_1.
func EU868(radioType string, rssiOffset float32) hal.Config {
	var c hal.Config
	c.Radios[0] = hal.RFChain{Enable: true, Freq: 867_500_000, Type: radioType, RSSIOffset: rssiOffset, TxEnable: true,
		TxFreqMin: 863_000_000, TxFreqMax: 870_000_000}
	c.Radios[1] = hal.RFChain{Enable: true, Freq: 868_500_000, Type: radioType, RSSIOffset: rssiOffset}
	ifs := []struct {
		rf int
		f  int32
	}{{1, -400_000}, {1, -200_000}, {1, 0}, {0, -400_000}, {0, -200_000}, {0, 0}, {0, 200_000}, {0, 400_000}}
	for i, x := range ifs {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: x.rf, IF: x.f}
	}
	c.LoRaStd = hal.IFChain{Enable: true, RFChain: 1, IF: -200_000, Bandwidth: hal.BW250, SpreadingFactor: 7}
	c.FSK = hal.IFChain{Enable: true, RFChain: 1, IF: 300_000, DataRate: 50_000}
	return c
}

// Start starts dev with cfg, failing the test on an error.
func Start(t *testing.T, dev hal.Concentrator, cfg hal.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := dev.Start(ctx, cfg); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// WaitTxDone advances clock, the model's, until a TX report arrives on
// ch, and returns it.
func WaitTxDone(t *testing.T, ch <-chan hal.TxDone, clock *Clock) hal.TxDone {
	t.Helper()
	for range 2000 {
		select {
		case d, ok := <-ch:
			if !ok {
				t.Fatal("TxDone channel closed")
			}
			return d
		case <-time.After(2 * time.Millisecond):
			clock.Advance(10 * time.Millisecond)
		}
	}
	t.Fatal("no TxDone")
	return hal.TxDone{}
}

// RefusedSend is a change to a valid frame that Send must refuse, and
// the error the refusal must wrap.
type RefusedSend struct {
	Name string
	Mod  func(*hal.TxPacket)
	Want error
}

// CheckSendRefused checks that a started dev (EU868) refuses changes of a
// valid timestamped LoRa frame on radio_0 at 868.1 MHz due 500 ms from
// now: too late, in the past, out of band, on a radio without TX, empty,
// and the driver's own cases.
func CheckSendRefused(t *testing.T, dev hal.Concentrator, own ...RefusedSend) {
	t.Helper()
	now, err := dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	base := hal.TxPacket{Mode: hal.TxTimestamped, CountUS: now + 500_000, Freq: 868_100_000, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, Payload: []byte{1}}
	cases := append([]RefusedSend{
		{"too late", func(p *hal.TxPacket) { p.CountUS = now + 1000 }, hal.ErrTooLate},
		{"in the past", func(p *hal.TxPacket) { p.CountUS = now - 1000 }, hal.ErrTooLate},
		{"out of band", func(p *hal.TxPacket) { p.Freq = 871_000_000 }, hal.ErrFreqOutOfRange},
		{"radio without tx", func(p *hal.TxPacket) { p.RFChain = 1 }, hal.ErrInvalid},
		{"empty", func(p *hal.TxPacket) { p.Payload = nil }, hal.ErrInvalid},
	}, own...)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			p := base
			c.Mod(&p)
			if err := dev.Send(context.Background(), p); !errors.Is(err, c.Want) {
				t.Errorf("Send: %v, want %v", err, c.Want)
			}
		})
	}
}

// CheckStop sends a frame due in 2 s on a started dev (EU868) and stops
// dev while a Receive waits: the frame must be reported with
// hal.ErrStopped, TxDone's channel closed, the Receive ended with
// hal.ErrStopped. aborted then checks the chip's side; after it, Counter
// must say hal.ErrStopped and a second Stop do nothing.
func CheckStop(t *testing.T, dev hal.Concentrator, aborted func(t *testing.T)) {
	t.Helper()
	now, err := dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	tx := hal.TxPacket{ID: 9, Mode: hal.TxTimestamped, CountUS: now + 2_000_000, Freq: 868_100_000, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, Payload: []byte{1}}
	if err := dev.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	ch := dev.TxDone()
	recvErr := make(chan error, 1)
	go func() {
		_, err := dev.Receive(context.Background())
		recvErr <- err
	}()
	if err := dev.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	d, ok := <-ch
	if !ok || d.ID != 9 || !errors.Is(d.Err, hal.ErrStopped) {
		t.Errorf("TxDone after Stop: %+v (ok %v), want ID 9 with ErrStopped", d, ok)
	}
	if _, ok := <-ch; ok {
		t.Error("TxDone channel still open after Stop")
	}
	if err := <-recvErr; !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Receive during Stop: %v, want ErrStopped", err)
	}
	aborted(t)
	if _, err := dev.Counter(); !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Counter after Stop: %v, want ErrStopped", err)
	}
	if err := dev.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
