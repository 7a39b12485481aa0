package sx1301_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
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
func image(t *testing.T) []byte { return sx130xtest.Image(t) }

// writeFile writes b to a file in a temporary directory.
func writeFile(t *testing.T, name string, b []byte) string { return sx130xtest.WriteFile(t, name, b) }

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
// gateway, plus the single-SF and FSK channels (125 kHz, one of the
// SX1301's FSK bandwidths).
func eu868() hal.Config {
	c := sx130xtest.EU868("SX1257", -166)
	c.FSK.Bandwidth = 125_000
	return c
}

// start starts the rig's driver with cfg.
func (r *rig) start(t *testing.T, cfg hal.Config) {
	t.Helper()
	sx130xtest.Start(t, r.dev, cfg)
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
	return sx130xtest.WaitTxDone(t, r.dev.TxDone(), r.clock)
}
