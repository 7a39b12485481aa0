package sx130xtest

import (
	"strings"
	"testing"
	"time"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

func TestPortConnect(t *testing.T) {
	cases := []struct {
		name  string
		speed physic.Frequency
		mode  spi.Mode
		bits  int
		msg   string // "" for success
	}{
		{"mode 0, 8 bits", 8 * physic.MegaHertz, spi.Mode0, 8, ""},
		{"mode 3", 8 * physic.MegaHertz, spi.Mode3, 8, "test: SPI mode Mode3 with 8 bits, the SX13XX needs mode 0, 8 bits"},
		{"16 bits", 8 * physic.MegaHertz, spi.Mode0, 16, "needs mode 0, 8 bits"},
		{"too fast", 12 * physic.MegaHertz, spi.Mode0, 8, "test: SPI clock 12MHz above the SX13XX's 10MHz"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			p := &Port{Name: "test", Chip: "SX13XX", MaxSpeed: 10 * physic.MegaHertz, Tx: func(w, r []byte) error {
				got = append(got, w...)
				copy(r, w)
				return nil
			}}
			c, err := p.Connect(tc.speed, tc.mode, tc.bits)
			if tc.msg != "" {
				if err == nil || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("Connect: %v, want %q", err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := make([]byte, 2)
			if err := c.Tx([]byte{0x80, 0x01}, r); err != nil || string(got) != "\x80\x01" || string(r) != "\x80\x01" {
				t.Errorf("Tx: %v, model got % x, read % x", err, got, r)
			}
			if err := c.TxPackets(nil); err == nil {
				t.Error("TxPackets succeeded on a model that handles Tx only")
			}
			if _, err := p.Connect(tc.speed, tc.mode, tc.bits); err == nil || !strings.Contains(err.Error(), "test: Connect called twice") {
				t.Errorf("second Connect: %v, want called twice", err)
			}
		})
	}
}

func TestClock(t *testing.T) {
	var c Clock
	c.Advance(3 * time.Second)
	c.Advance(-time.Second)
	c.Advance(0)
	if got := c.Elapsed(); got != 3*time.Second {
		t.Errorf("Elapsed %v, want 3s (negative and zero steps ignored)", got)
	}
}
