package sx1302_test

import (
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
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

// firmwareFile writes a synthetic 8192-byte image (random bytes: the model
// only compares what was written) and returns its path.
func firmwareFile(t *testing.T, name string) (string, []byte) {
	t.Helper()
	fw := make([]byte, sx1302.FirmwareSize)
	if _, err := rand.Read(fw); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, fw, 0o600); err != nil {
		t.Fatal(err)
	}
	return p, fw
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
func eu868() hal.Config {
	var c hal.Config
	c.ClockSource = 0
	c.Radios[0] = hal.RFChain{Enable: true, Freq: 867_500_000, Type: "SX1250", RSSIOffset: -215.4, TxEnable: true, TxFreqMin: 863_000_000, TxFreqMax: 870_000_000}
	c.Radios[1] = hal.RFChain{Enable: true, Freq: 868_500_000, Type: "SX1250", RSSIOffset: -215.4}
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

// start starts the rig's driver with cfg.
func (r *rig) start(t *testing.T, cfg hal.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.dev.Start(ctx, cfg); err != nil {
		t.Fatalf("Start: %v", err)
	}
}
