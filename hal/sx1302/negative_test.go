package sx1302_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sx1302"
	"github.com/loraedge/loraedge/hal/sx1302/sx1302test"
)

func TestStartFailures(t *testing.T) {
	cases := []struct {
		name   string
		faults *sx1302test.Faults
		tweak  func(*sx1302.Options)
		want   error
		msg    string
	}{
		{name: "firmware read-back mismatch", faults: &sx1302test.Faults{CorruptFirmwareReadback: 100},
			want: sx1302.ErrFirmware, msg: "read-back differs at byte 100"},
		{name: "agc never boots", faults: &sx1302test.Faults{AGCNoBoot: true, CorruptFirmwareReadback: -1},
			want: sx1302.ErrTimeout, msg: "agc status 0x00"},
		{name: "agc mailbox stalls", faults: &sx1302test.Faults{AGCStallCmd: 0x05, CorruptFirmwareReadback: -1},
			want: sx1302.ErrTimeout, msg: "want 0x06"},
		{name: "arb never boots", faults: &sx1302test.Faults{ARBNoBoot: true, CorruptFirmwareReadback: -1},
			want: sx1302.ErrTimeout, msg: "arb status"},
		{name: "image calibration error", faults: &sx1302test.Faults{ImageCalError: true, CorruptFirmwareReadback: -1},
			msg: "image calibration failed"},
		{name: "no temperature sensor", tweak: func(o *sx1302.Options) { o.I2C = &sx1302test.STTS751{Addr: 0x48} },
			msg: "no temperature sensor found"},
		{name: "no i2c bus", tweak: func(o *sx1302.Options) { o.I2C = nil }, msg: "no temperature sensor"},
		{name: "not an STTS751", tweak: func(o *sx1302.Options) { o.I2C = &sx1302test.STTS751{Addr: 0x39, ProductID: 7} },
			msg: "is not an STTS751"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, c.faults, c.tweak)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := r.dev.Start(ctx, eu868())
			if err == nil {
				t.Fatal("Start succeeded")
			}
			if c.want != nil && !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("error %q, want it to say %q", err, c.msg)
			}
			if _, err := r.dev.Receive(ctx); !errors.Is(err, hal.ErrStopped) {
				t.Errorf("Receive after a failed Start: %v, want ErrStopped", err)
			}
		})
	}
}

func TestStartConfigRefused(t *testing.T) {
	r := newRig(t, nil, nil)
	cfg := eu868()
	cfg.Radios[0].Type = "SX1257"
	if err := r.dev.Start(context.Background(), cfg); !errors.Is(err, hal.ErrInvalid) {
		t.Errorf("SX1257 radio: %v, want ErrInvalid", err)
	}
	cfg = eu868()
	cfg.Radios[0].Freq = 2_000_000_000
	if err := r.dev.Start(context.Background(), cfg); !errors.Is(err, hal.ErrInvalid) {
		t.Errorf("2 GHz radio: %v, want ErrInvalid", err)
	}
}

func TestNewFirmwareFiles(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.bin")
	if err := os.WriteFile(short, make([]byte, 100), 0o600); err != nil {
		t.Fatal(err)
	}
	arb, _ := firmwareFile(t, "arb.bin")
	cases := []struct {
		name, agc string
	}{
		{"missing path", ""},
		{"no such file", filepath.Join(dir, "nope.bin")},
		{"wrong size", short},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			chip, err := sx1302test.New(sx1302test.Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = sx1302.New(chip, &sx1302.Options{AGCFirmware: c.agc, ARBFirmware: arb})
			if !errors.Is(err, sx1302.ErrFirmware) {
				t.Errorf("New: %v, want ErrFirmware", err)
			}
		})
	}
}

func TestNewFirmwareVarFile(t *testing.T) {
	// Semtech ships the images as C arrays; they are read as they are.
	var b strings.Builder
	b.WriteString("static uint8_t agc_firmware[8192] = {\n")
	for i := range sx1302.FirmwareSize {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("0x")
		b.WriteString(strings.ToUpper(string("0123456789abcdef"[i>>4&15]) + string("0123456789abcdef"[i&15])))
	}
	b.WriteString("\n};\n")
	p := filepath.Join(t.TempDir(), "agc_fw_sx1250.var")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	r := newRig(t, nil, func(o *sx1302.Options) { o.AGCFirmware = p })
	r.start(t, eu868())
	got := r.chip.Mem(sx1302.AGCMemAddr, 256)
	for i, v := range got {
		if v != byte(i) {
			t.Fatalf("AGC RAM byte %d = 0x%02x, want 0x%02x", i, v, byte(i))
		}
	}
}

// receiveAfter checks that a good frame still comes through after a bad
// buffer, and returns the stats.
func receiveAfter(t *testing.T, r *rig) sx1302.Stats {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for r.chip.FIFOLen() > 0 {
		select {
		case <-ctx.Done():
			t.Fatal("FIFO never drained")
		case <-time.After(time.Millisecond):
		}
	}
	st := r.dev.Stats()
	p := []byte{9, 9, 9}
	if err := r.chip.InjectRecord(sx1302.PacketRecord{Channel: 1, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 8,
		Payload: p, RSSISignal: 100, Timestamp: r.chip.Counter(), CRC16: sx1302.PayloadCRC(p)}); err != nil {
		t.Fatal(err)
	}
	got, err := r.dev.Receive(ctx)
	if err != nil {
		t.Fatalf("Receive after a bad buffer: %v", err)
	}
	if got.SpreadingFactor != 8 || string(got.Payload) != string(p) {
		t.Errorf("got %+v, want the SF8 frame", got)
	}
	return st
}

func TestBadRXBuffers(t *testing.T) {
	good := func() []byte {
		p := []byte("hello")
		b, err := (&sx1302.PacketRecord{Channel: 2, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 7, Payload: p,
			Timestamp: 1, CRC16: sx1302.PayloadCRC(p)}).AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	cases := []struct {
		name   string
		inject func(c *sx1302test.Chip)
		want   error
	}{
		{"no sync word", func(c *sx1302test.Chip) {
			c.InjectRaw([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
		}, sx1302.ErrRXBuffer},
		{"bad checksum", func(c *sx1302test.Chip) { b := good(); b[len(b)-1]++; c.InjectRaw(b) }, sx1302.ErrRecordChecksum},
		{"truncated record", func(c *sx1302test.Chip) { b := good(); c.InjectRaw(b[:len(b)-3]) }, sx1302.ErrRecordShort},
		{"length beyond buffer", func(c *sx1302test.Chip) { b := good(); b[2] = 200; c.InjectRaw(b) }, sx1302.ErrRecordShort},
		{"bad spreading factor", func(c *sx1302test.Chip) {
			b := good()
			b[4] = b[4]&0x0F | 3<<4
			b[len(b)-1] = 0
			var s byte
			for _, v := range b[:len(b)-1] {
				s += v
			}
			b[len(b)-1] = s
			c.InjectRaw(b)
		}, sx1302.ErrRecordInvalid},
		{"payload crc16 mismatch", func(c *sx1302test.Chip) {
			c.InjectRecord(sx1302.PacketRecord{Channel: 2, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 7, Payload: []byte("x"), CRC16: 0xBEEF})
		}, sx1302.ErrRecordInvalid},
		{"oversize byte count", func(c *sx1302test.Chip) { c.InjectRaw(good()); c.SetByteCount(5000) }, sx1302.ErrRXBuffer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRig(t, nil, nil)
			r.start(t, eu868())
			c.inject(r.chip)
			st := receiveAfter(t, r)
			if !errors.Is(st.LastError, c.want) {
				t.Errorf("last error %v, want %v", st.LastError, c.want)
			}
			if st.Dropped == 0 || st.Received != 0 {
				t.Errorf("stats %+v, want a drop and nothing received", st)
			}
		})
	}
}
