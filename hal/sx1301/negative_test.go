package sx1301_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sx1301"
	"github.com/loraedge/loraedge/hal/sx1301/sx1301test"
)

func TestStartFailures(t *testing.T) {
	cases := []struct {
		name     string
		faults   *sx1301test.Faults
		chipOpts func(*sx1301test.Options)
		tweak    func(*sx1301.Options)
		want     error
		msg      string
	}{
		{name: "firmware read-back mismatch", faults: &sx1301test.Faults{CorruptPROM: true, CorruptPROMOffset: 100},
			want: sx1301.ErrFirmware, msg: "read-back differs at byte 100"},
		{name: "calibration never finishes", faults: &sx1301test.Faults{CalNeverFinishes: true},
			want: sx1301.ErrTimeout, msg: "calibration not finished after 2.3s"},
		{name: "calibration cannot reach the chip", faults: &sx1301test.Faults{CalNoChipAccess: true},
			want: sx1301.ErrFirmware, msg: "no access to the SX1301 registers"},
		{name: "calibration firmware of another version", chipOpts: func(o *sx1301test.Options) { o.CalVersion = 9 },
			want: sx1301.ErrFirmware, msg: "calibration firmware version 9, want 2"},
		{name: "agc never boots", faults: &sx1301test.Faults{AGCNoBoot: true},
			want: sx1301.ErrTimeout, msg: "initialisation: status 0x00"},
		{name: "agc ignores a gain row", faults: &sx1301test.Faults{AGCStallStep: 2},
			want: sx1301.ErrTimeout, msg: "tx gain entry 1: status 0x30"},
		{name: "agc ignores the radio mapping", faults: &sx1301test.Faults{AGCStallStep: 6},
			want: sx1301.ErrTimeout, msg: "radio select: status 0x30"},
		{name: "radio PLL does not lock", faults: &sx1301test.Faults{PLLNoLock: [2]bool{false, true}},
			want: sx1301.ErrTimeout, msg: "radio 1 (SX1257): RX PLL not locked at 868500000 Hz after 5 attempts"},
		{name: "not an SX1301", chipOpts: func(o *sx1301test.Options) { o.Version = 0x10 },
			want: sx1301.ErrChip, msg: "version 16, want 103"},
		{name: "FPGA board", chipOpts: func(o *sx1301test.Options) { o.FPGAVersion = 33 },
			want: sx1301.ErrChip, msg: "FPGA (version 33)"},
		{name: "images swapped", tweak: func(o *sx1301.Options) { o.AGCFirmware, o.ARBFirmware = o.ARBFirmware, o.AGCFirmware },
			want: sx1301.ErrFirmware, msg: "agc firmware version 0, want 4"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.faults, c.chipOpts, c.tweak)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := r.dev.Start(ctx, eu868())
			if err == nil {
				t.Fatal("Start succeeded")
			}
			if !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q, want it to say %q", err, c.msg)
			}
			if _, err := r.dev.Receive(ctx); !errors.Is(err, hal.ErrStopped) {
				t.Errorf("Receive after a failed Start: %v, want ErrStopped", err)
			}
			if _, err := r.dev.Counter(); !errors.Is(err, hal.ErrStopped) {
				t.Errorf("Counter after a failed Start: %v, want ErrStopped", err)
			}
		})
	}
}

func TestStartTimeoutIsBounded(t *testing.T) {
	// A stalled AGC costs MCUTimeout of the chip's time, not a hang.
	r := newRig(t, &sx1301test.Faults{AGCNoBoot: true}, nil, func(o *sx1301.Options) { o.MCUTimeout = 300 * time.Millisecond })
	before := r.clock.Elapsed()
	if err := r.dev.Start(context.Background(), eu868()); !errors.Is(err, sx1301.ErrTimeout) {
		t.Fatalf("Start: %v, want ErrTimeout", err)
	}
	// Reset waits, the calibration time, then the AGC status polls.
	spent := r.clock.Elapsed() - before
	if min, max := 2300*time.Millisecond+300*time.Millisecond, 3500*time.Millisecond; spent < min || spent > max {
		t.Errorf("Start took %v of chip time, want %v..%v", spent, min, max)
	}
}

func TestStartCancelled(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.dev.Start(ctx, eu868()); !errors.Is(err, context.Canceled) {
		t.Errorf("Start with a cancelled context: %v, want context.Canceled", err)
	}
}

func TestStartConfigRefused(t *testing.T) {
	cases := []struct {
		name string
		mod  func(*hal.Config)
		msg  string
	}{
		{"SX1250 radio", func(c *hal.Config) { c.Radios[0].Type = "SX1250" }, "SX1255 or SX1257"},
		{"radio_0 off", func(c *hal.Config) {
			c.Radios[0], c.ClockSource = hal.RFChain{}, 1
			for i := range c.MultiSF {
				c.MultiSF[i].RFChain = 1
			}
		}, "radio_0 must be enabled"},
		{"two radio types", func(c *hal.Config) { c.Radios[1].Type = "SX1255" }, "two types"},
		// 450 kHz + 62.5 kHz fits an SX1302's 1.6 MHz, not an SX125x's 925 kHz.
		{"IF beyond the SX125x band", func(c *hal.Config) { c.MultiSF[7].IF = 450_000 }, "beyond the radio's ±462500 Hz"},
		{"FSK bandwidth", func(c *hal.Config) { c.FSK.Bandwidth = 100_000 }, "chan_FSK: bandwidth 100000"},
		{"2 GHz", func(c *hal.Config) { c.Radios[0].Freq = 2_000_000_000 }, "outside"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil, nil, nil)
			cfg := eu868()
			c.mod(&cfg)
			err := r.dev.Start(context.Background(), cfg)
			if !errors.Is(err, hal.ErrInvalid) || !strings.Contains(err.Error(), c.msg) {
				t.Errorf("Start: %v, want ErrInvalid saying %q", err, c.msg)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.bin")
	if err := os.WriteFile(short, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	good := writeFile(t, "good.bin", image(t))
	cases := []struct {
		name string
		opts sx1301.Options
		want error
	}{
		{"no calibration firmware", sx1301.Options{AGCFirmware: good, ARBFirmware: good}, sx1301.ErrFirmware},
		{"no such file", sx1301.Options{CalFirmware: filepath.Join(dir, "nope"), AGCFirmware: good, ARBFirmware: good}, sx1301.ErrFirmware},
		{"wrong size", sx1301.Options{CalFirmware: good, AGCFirmware: short, ARBFirmware: good}, sx1301.ErrFirmware},
		{"mixer gain 5", sx1301.Options{CalFirmware: good, AGCFirmware: good, ARBFirmware: good,
			TxGainLUT: []sx1301.TxGain{{RFPower: 14, DACGain: 3, MixGain: 5}}}, hal.ErrInvalid},
		{"dac gain 2", sx1301.Options{CalFirmware: good, AGCFirmware: good, ARBFirmware: good,
			TxGainLUT: []sx1301.TxGain{{RFPower: 14, DACGain: 2, MixGain: 10}}}, hal.ErrInvalid},
		{"17 rows", sx1301.Options{CalFirmware: good, AGCFirmware: good, ARBFirmware: good,
			TxGainLUT: make([]sx1301.TxGain, 17)}, hal.ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fw := image(t)
			chip, err := sx1301test.New(sx1301test.Options{CalFirmware: fw, AGCFirmware: fw, ARBFirmware: fw})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sx1301.New(chip, &c.opts); !errors.Is(err, c.want) {
				t.Errorf("New: %v, want %v", err, c.want)
			}
		})
	}
}

// varFile writes fw as Semtech's .var files hold it: a licence comment,
// then a C array.
func varFile(t *testing.T, name string, fw []byte) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("/*\n  (C)2013 Semtech-Cycleo\n\nDescription:\n\tfirmware\n\nLicense: Revised BSD License\n*/\n\n")
	b.WriteString("static uint8_t fw[MCU_AGC_FW_BYTE] = {\n")
	for i, v := range fw {
		fmt.Fprintf(&b, "0x%02X, ", v)
		if i%16 == 15 {
			b.WriteString("\n")
		}
	}
	b.WriteString("};\n")
	return writeFile(t, name, []byte(b.String()))
}

func TestVarFirmwareFiles(t *testing.T) {
	var paths [3]string
	fw := [3][]byte{image(t), image(t), image(t)}
	for i, name := range []string{"cal_fw.var", "agc_fw.var", "arb_fw.var"} {
		paths[i] = varFile(t, name, fw[i])
	}
	clk := &sx1301test.Clock{}
	chip, err := sx1301test.New(sx1301test.Options{Clock: clk, CalFirmware: fw[0], AGCFirmware: fw[1], ARBFirmware: fw[2]})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := sx1301.New(chip, &sx1301.Options{CalFirmware: paths[0], AGCFirmware: paths[1], ARBFirmware: paths[2],
		Wait: func(ctx context.Context, d time.Duration) error { clk.Advance(d); return ctx.Err() }, PollInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Stop()
	if err := dev.Start(context.Background(), eu868()); err != nil {
		t.Fatalf("Start with .var files: %v", err)
	}
	if st := chip.MCU(1); st.Firmware != "agc" {
		t.Errorf("AGC runs %q, want the agc image", st.Firmware)
	}
	bad := writeFile(t, "bad.var", []byte("static uint8_t fw[8192] = {0x12, 0xZZ};"))
	if _, err := sx1301.New(chip, &sx1301.Options{CalFirmware: bad, AGCFirmware: paths[1], ARBFirmware: paths[2]}); !errors.Is(err, sx1301.ErrFirmware) {
		t.Errorf("New with a broken .var file: %v, want ErrFirmware", err)
	}
}

// receiveAfter waits for the FIFO to drain, then checks that a good frame
// still comes through, and returns the stats from before it.
func receiveAfter(t *testing.T, r *rig) sx1301.Stats {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for r.chip.FIFOLen() > 0 {
		select {
		case <-deadline:
			t.Fatal("FIFO never drained")
		case <-time.After(time.Millisecond):
		}
	}
	st := waitStats(t, r)
	p := []byte{9, 9, 9}
	if err := r.chip.InjectPacket(sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: p, IFChain: 1, SpreadingFactor: 8,
		CodingRate: 1, RSSI: 50, Timestamp: r.chip.Counter()}); err != nil {
		t.Fatal(err)
	}
	got := r.receive(t)
	if got.SpreadingFactor != 8 || string(got.Payload) != string(p) {
		t.Errorf("got %+v, want the SF8 frame", got)
	}
	return st
}

// waitStats returns the stats once the poll loop has counted a drop.
func waitStats(t *testing.T, r *rig) sx1301.Stats {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		st := r.dev.Stats()
		if st.Dropped > 0 {
			return st
		}
		select {
		case <-deadline:
			t.Fatalf("no drop counted: %+v", st)
		case <-time.After(time.Millisecond):
		}
	}
}

func TestCorruptFIFO(t *testing.T) {
	good := sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: []byte("hello"), IFChain: 2, SpreadingFactor: 7, CodingRate: 1, Timestamp: 1}
	raw := func(mod func(b []byte)) func(c *sx1301test.Chip) error {
		return func(c *sx1301test.Chip) error {
			b, err := good.AppendBinary(nil)
			if err != nil {
				return err
			}
			mod(b)
			return c.InjectRaw(good.Status, byte(len(good.Payload)), b)
		}
	}
	cases := []struct {
		name   string
		inject func(c *sx1301test.Chip) error
		want   error
	}{
		{"if chain 12", raw(func(b []byte) { b[5] = 12 }), sx1301.ErrRecordInvalid},
		{"spreading factor 3", raw(func(b []byte) { b[6] = 3<<4 | 1<<1 }), sx1301.ErrRecordInvalid},
		{"coding rate 0", raw(func(b []byte) { b[6] = 7 << 4 }), sx1301.ErrRecordInvalid},
		{"undefined crc status", func(c *sx1301test.Chip) error {
			b, _ := good.AppendBinary(nil)
			return c.InjectRaw(3, byte(len(good.Payload)), b)
		}, sx1301.ErrRecordInvalid},
		{"size beyond the data", func(c *sx1301test.Chip) error {
			b, _ := good.AppendBinary(nil)
			return c.InjectRaw(good.Status, 200, b)
		}, sx1301.ErrRecordInvalid},
		{"more entries than the FIFO holds", func(c *sx1301test.Chip) error {
			if err := c.InjectPacket(good); err != nil {
				return err
			}
			c.SetNumStored(40)
			return nil
		}, sx1301.ErrFIFO},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil, nil, nil)
			r.start(t, eu868())
			if err := c.inject(r.chip); err != nil {
				t.Fatal(err)
			}
			st := receiveAfter(t, r)
			if !errors.Is(st.LastError, c.want) || !errors.Is(st.LastError, sx1301.ErrFIFO) {
				t.Errorf("last error %v, want %v (and ErrFIFO)", st.LastError, c.want)
			}
			if st.Dropped != 1 || st.Received != 0 {
				t.Errorf("stats %+v, want one drop and nothing received", st)
			}
		})
	}
}

func TestFIFOFull(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	p := sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: make([]byte, 40), IFChain: 2, SpreadingFactor: 7, CodingRate: 1}
	for i := range sx1301.FIFOSize {
		if err := r.chip.InjectPacket(p); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
	if err := r.chip.InjectPacket(p); err == nil {
		t.Error("a 17th entry fitted in the FIFO")
	}
	r.start(t, eu868()) // the soft reset empties the FIFO
	for i := range sx1301.FIFOSize {
		p.Timestamp = uint32(i)
		if err := r.chip.InjectPacket(p); err != nil {
			t.Fatal(err)
		}
	}
	for i := range sx1301.FIFOSize {
		got := r.receive(t)
		if want := uint32(i) - sx1301.TimestampCorrection(false, hal.BW125, 7, 1, true, 40); got.CountUS != want {
			t.Fatalf("frame %d: counter %d, want %d (FIFO order)", i, got.CountUS, want)
		}
	}
}
