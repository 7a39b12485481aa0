package sx1302_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
	"github.com/loraedge/loraedge/hal/sx1302"
	"github.com/loraedge/loraedge/hal/sx1302/sx1302test"
)

// rig is a driver on a modelled chip.
type rig struct {
	chip  *sx1302test.Chip
	clock *sx1302test.Clock
	temp  *sx1302test.STTS751
	dev   *sx1302.Dev
	agcFW []byte
	opts  sx1302.Options
}

const testEUI = 0x0016C001F1500A42

// firmwareFile writes a synthetic 8192-byte image and returns its path.
func firmwareFile(t *testing.T, name string) (string, []byte) {
	t.Helper()
	fw := sx130xtest.Image(t)
	return sx130xtest.WriteFile(t, name, fw), fw
}

// newRig builds a model and a driver on it; tweak changes the options
// and faults before the driver is built.
func newRig(t *testing.T, faults *sx1302test.Faults, tweak func(*sx1302.Options)) *rig {
	t.Helper()
	clk := &sx1302test.Clock{}
	chip, err := sx1302test.New(sx1302test.Options{Clock: clk, EUI: testEUI, CounterStart: 0x12345678})
	if err != nil {
		t.Fatal(err)
	}
	if faults != nil {
		chip.SetFaults(*faults)
	}
	agc, agcFW := firmwareFile(t, "agc.bin")
	arb, _ := firmwareFile(t, "arb.bin")
	temp := &sx1302test.STTS751{Addr: 0x39, Temp: 25}
	opts := sx1302.Options{
		I2C:         temp,
		AGCFirmware: agc,
		ARBFirmware: arb,
		// The HAL's waits advance the model's clock instead of sleeping.
		Wait: func(ctx context.Context, d time.Duration) error {
			clk.Advance(d)
			return ctx.Err()
		},
		MCUTimeout:   50 * time.Millisecond,
		PollInterval: time.Millisecond,
	}
	if tweak != nil {
		tweak(&opts)
	}
	dev, err := sx1302.New(chip, &opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dev.Stop() })
	return &rig{chip: chip, clock: clk, temp: temp, dev: dev, agcFW: agcFW, opts: opts}
}

// eu868 is a channel plan like the one Basics Station derives from an
// EU868 router_config, plus the single-SF and FSK channels.
func eu868() hal.Config { return sx130xtest.EU868("SX1250", -215.4) }

// start starts the rig's driver with cfg.
func (r *rig) start(t *testing.T, cfg hal.Config) {
	t.Helper()
	sx130xtest.Start(t, r.dev, cfg)
}
