package sx1301_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sx1301"
	"github.com/loraedge/loraedge/hal/sx1301/sx1301test"
)

// rig is a driver on a modelled chip.
type rig struct {
	chip  *sx1301test.Chip
	clock *sx1301test.Clock
	dev   *sx1301.Dev
	fw    [3][]byte // cal, agc, arb
	opts  sx1301.Options
}

// image returns a synthetic 8192-byte firmware image (random bytes: the
// model recognises images by content, not by what they would run).
func image(t *testing.T) []byte {
	t.Helper()
	fw := make([]byte, sx1301.FirmwareSize)
	if _, err := rand.Read(fw); err != nil {
		t.Fatal(err)
	}
	return fw
}

// writeFile writes b to a file in a temporary directory.
func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testCalOffsets are the TX DC offsets the modelled calibration measures.
func testCalOffsets() [32]int8 {
	var o [32]int8
	for i := range o {
		o[i] = int8(i*3 - 40)
	}
	return o
}

// newRig builds a model and a driver on it; chipOpts and tweak change
// the model and the driver's options before they are built.
func newRig(t *testing.T, faults *sx1301test.Faults, chipOpts func(*sx1301test.Options), tweak func(*sx1301.Options)) *rig {
	t.Helper()
	clk := &sx1301test.Clock{}
	fw := [3][]byte{image(t), image(t), image(t)}
	co := sx1301test.Options{Clock: clk, RadioVersion: 0x21, CalFirmware: fw[0], AGCFirmware: fw[1], ARBFirmware: fw[2],
		CalOffsets: testCalOffsets(), CounterStart: 0x7FFF_0000}
	if chipOpts != nil {
		chipOpts(&co)
	}
	chip, err := sx1301test.New(co)
	if err != nil {
		t.Fatal(err)
	}
	if faults != nil {
		chip.SetFaults(*faults)
	}
	opts := sx1301.Options{
		CalFirmware: writeFile(t, "cal.bin", fw[0]),
		AGCFirmware: writeFile(t, "agc.bin", fw[1]),
		ARBFirmware: writeFile(t, "arb.bin", fw[2]),
		// The HAL's waits advance the model's clock instead of sleeping.
		Wait: func(ctx context.Context, d time.Duration) error {
			clk.Advance(d)
			return ctx.Err()
		},
		MCUTimeout:   20 * time.Millisecond,
		PollInterval: time.Millisecond,
	}
	if tweak != nil {
		tweak(&opts)
	}
	dev, err := sx1301.New(chip, &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Stop() })
	return &rig{chip: chip, clock: clk, dev: dev, fw: fw, opts: opts}
}

// eu868 is the channel plan Basics Station's sx1301_conf gives an EU868
// gateway, plus the single-SF and FSK channels.
func eu868() hal.Config {
	var c hal.Config
	c.Radios[0] = hal.RFChain{Enable: true, Freq: 867_500_000, Type: "SX1257", RSSIOffset: -166, TxEnable: true,
		TxFreqMin: 863_000_000, TxFreqMax: 870_000_000}
	c.Radios[1] = hal.RFChain{Enable: true, Freq: 868_500_000, Type: "SX1257", RSSIOffset: -166}
	ifs := []struct {
		rf int
		f  int32
	}{{1, -400_000}, {1, -200_000}, {1, 0}, {0, -400_000}, {0, -200_000}, {0, 0}, {0, 200_000}, {0, 400_000}}
	for i, x := range ifs {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: x.rf, IF: x.f}
	}
	c.LoRaStd = hal.IFChain{Enable: true, RFChain: 1, IF: -200_000, Bandwidth: hal.BW250, SpreadingFactor: 7}
	c.FSK = hal.IFChain{Enable: true, RFChain: 1, IF: 300_000, DataRate: 50_000, Bandwidth: 125_000}
	return c
}

// start starts the rig's driver with cfg.
func (r *rig) start(t *testing.T, cfg hal.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.dev.Start(ctx, cfg); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

// receive returns the next frame the driver delivers.
func (r *rig) receive(t *testing.T) hal.RxPacket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p, err := r.dev.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive: %v", err)
	}
	return p
}

// waitTxDone advances the model's clock until a TX report arrives.
func (r *rig) waitTxDone(t *testing.T) hal.TxDone {
	t.Helper()
	ch := r.dev.TxDone()
	for range 2000 {
		select {
		case d, ok := <-ch:
			if !ok {
				t.Fatal("TxDone channel closed")
			}
			return d
		case <-time.After(2 * time.Millisecond):
			r.clock.Advance(10 * time.Millisecond)
		}
	}
	t.Fatal("no TxDone")
	return hal.TxDone{}
}
