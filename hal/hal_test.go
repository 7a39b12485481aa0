package hal_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
)

// validConfig is a two-radio EU868 plan.
func validConfig() hal.Config {
	c := hal.Config{
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 867_500_000, TxEnable: true, TxFreqMin: 863_000_000, TxFreqMax: 870_000_000},
			{Enable: true, Freq: 868_500_000},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 1, IF: -200_000, Bandwidth: hal.BW250, SpreadingFactor: 7},
		FSK:     hal.IFChain{Enable: true, RFChain: 1, IF: 300_000, DataRate: 50_000},
	}
	for i := range 5 {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: int32(-400_000 + 200_000*i)}
	}
	for i := range 3 {
		c.MultiSF[5+i] = hal.IFChain{Enable: true, RFChain: 1, IF: int32(-400_000 + 200_000*i)}
	}
	return c
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(c *hal.Config)
		want string // in the error; empty for valid
	}{
		{name: "valid", edit: func(*hal.Config) {}},
		{name: "no radio", edit: func(c *hal.Config) { *c = hal.Config{} }, want: "no radio enabled"},
		{name: "radio below 100 MHz", edit: func(c *hal.Config) { c.Radios[0].Freq = 50_000_000 }, want: "radio_0: frequency"},
		{name: "tx on a disabled radio", edit: func(c *hal.Config) {
			c.Radios[1] = hal.RFChain{TxEnable: true}
			c.MultiSF[5].Enable, c.MultiSF[6].Enable, c.MultiSF[7].Enable = false, false, false
			c.LoRaStd.Enable, c.FSK.Enable = false, false
		}, want: "radio_1: tx enabled on a disabled radio"},
		{name: "empty tx range", edit: func(c *hal.Config) { c.Radios[0].TxFreqMin = 871_000_000 }, want: "tx frequency range"},
		{name: "channel on a disabled radio", edit: func(c *hal.Config) { c.Radios[1].Enable = false }, want: "chan_multiSF_5: radio 1 is disabled"},
		{name: "channel on radio 2", edit: func(c *hal.Config) { c.MultiSF[0].RFChain = 2 }, want: "radio 2 does not exist"},
		{name: "IF beyond the radio bandwidth", edit: func(c *hal.Config) { c.MultiSF[0].IF = -740_000 }, want: "chan_multiSF_0: if offset -740000 Hz beyond ±737500 Hz"},
		{name: "IF at the edge", edit: func(c *hal.Config) { c.MultiSF[0].IF = 737_500 }},
		{name: "multi-SF at 250 kHz", edit: func(c *hal.Config) { c.MultiSF[1].Bandwidth = hal.BW250 }, want: "multi-SF channels are 125000"},
		{name: "LoRa std SF13", edit: func(c *hal.Config) { c.LoRaStd.SpreadingFactor = 13 }, want: "chan_Lora_std: spreading factor 13"},
		{name: "LoRa std no bandwidth", edit: func(c *hal.Config) { c.LoRaStd.Bandwidth = 0 }, want: "chan_Lora_std: bandwidth 0"},
		{name: "FSK no bit rate", edit: func(c *hal.Config) { c.FSK.DataRate = 0 }, want: "chan_FSK: bit rate 0"},
		{name: "clock source 3", edit: func(c *hal.Config) { c.ClockSource = 3 }, want: "clock source 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := validConfig()
			tc.edit(&c)
			err := c.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v, want nil", err)
				}
				return
			}
			if err == nil || !errors.Is(err, hal.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate: %v, want an ErrInvalid containing %q", err, tc.want)
			}
		})
	}
}

func TestChannelFreq(t *testing.T) {
	t.Parallel()
	c := validConfig()
	c.MultiSF[2].Enable = false
	for _, tc := range []struct {
		chain int
		want  uint32
	}{{0, 867_100_000}, {2, 0}, {4, 867_900_000}, {5, 868_100_000}, {hal.IFChainLoRaStd, 868_300_000}, {hal.IFChainFSK, 868_800_000}, {10, 0}, {-1, 0}} {
		if got := c.ChannelFreq(tc.chain); got != tc.want {
			t.Errorf("ChannelFreq(%d) = %d, want %d", tc.chain, got, tc.want)
		}
	}
}

// validTx is a LoRaWAN RX2 downlink.
func validTx() hal.TxPacket {
	return hal.TxPacket{Mode: hal.TxTimestamped, CountUS: 1, Freq: 869_525_000, Power: 14, Modulation: hal.ModulationLoRa,
		SpreadingFactor: 12, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, InvertPol: true, NoCRC: true, Payload: make([]byte, 12)}
}

func TestTxValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		edit func(p *hal.TxPacket)
		want error
	}{
		{name: "valid LoRa", edit: func(*hal.TxPacket) {}},
		{name: "valid FSK", edit: func(p *hal.TxPacket) { p.Modulation, p.DataRate, p.FreqDeviation = hal.ModulationFSK, 50_000, 25_000 }},
		{name: "no mode", edit: func(p *hal.TxPacket) { p.Mode = 0 }, want: hal.ErrInvalid},
		{name: "no modulation", edit: func(p *hal.TxPacket) { p.Modulation = 0 }, want: hal.ErrInvalid},
		{name: "256 bytes", edit: func(p *hal.TxPacket) { p.Payload = make([]byte, 256) }, want: hal.ErrInvalid},
		{name: "SF13", edit: func(p *hal.TxPacket) { p.SpreadingFactor = 13 }, want: hal.ErrInvalid},
		{name: "BW 62.5 kHz", edit: func(p *hal.TxPacket) { p.Bandwidth = 62_500 }, want: hal.ErrInvalid},
		{name: "no code rate", edit: func(p *hal.TxPacket) { p.CodeRate = 0 }, want: hal.ErrInvalid},
		{name: "preamble 5", edit: func(p *hal.TxPacket) { p.Preamble = 5 }, want: hal.ErrInvalid},
		{name: "rf chain 2", edit: func(p *hal.TxPacket) { p.RFChain = 2 }, want: hal.ErrInvalid},
		{name: "FSK without bit rate", edit: func(p *hal.TxPacket) { p.Modulation = hal.ModulationFSK }, want: hal.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := validTx()
			tc.edit(&p)
			if err := p.Validate(); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Validate: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestCheckTx(t *testing.T) {
	t.Parallel()
	c := validConfig()
	tests := []struct {
		name string
		edit func(p *hal.TxPacket)
		want error
	}{
		{name: "in range", edit: func(*hal.TxPacket) {}},
		{name: "at TxFreqMax", edit: func(p *hal.TxPacket) { p.Freq = 870_000_000 }},
		{name: "above TxFreqMax", edit: func(p *hal.TxPacket) { p.Freq = 870_000_001 }, want: hal.ErrFreqOutOfRange},
		{name: "below TxFreqMin", edit: func(p *hal.TxPacket) { p.Freq = 862_999_999 }, want: hal.ErrFreqOutOfRange},
		{name: "radio without TX", edit: func(p *hal.TxPacket) { p.RFChain = 1 }, want: hal.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := validTx()
			tc.edit(&p)
			if err := c.CheckTx(&p); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("CheckTx: %v, want %v", err, tc.want)
			}
		})
	}
	open := hal.Config{Radios: [2]hal.RFChain{{Enable: true, Freq: 915_000_000, TxEnable: true}}}
	p := validTx()
	p.Freq = 1_000_000_001
	if err := open.CheckTx(&p); !errors.Is(err, hal.ErrFreqOutOfRange) {
		t.Fatalf("CheckTx above 1 GHz without limits: %v, want ErrFreqOutOfRange", err)
	}
}

// TestAirTime checks the frame's own settings reach the formula: a
// LoRaWAN join-accept of 17 bytes at SF12/125 kHz without CRC (low data
// rate optimisation on) lasts 8+4.25 preamble symbols + 8 +
// ceil((136-48+28)/(4·10))·5 = 23 payload symbols, of 32.768 ms each.
func TestAirTime(t *testing.T) {
	t.Parallel()
	p := validTx()
	p.Payload = make([]byte, 17)
	want := time.Duration((12.25 + 23) * 32.768 * float64(time.Millisecond))
	if got := p.AirTime(); got != want {
		t.Fatalf("AirTime = %v, want %v", got, want)
	}
	p.Preamble = 10
	if got := p.AirTime(); got != want+2*32768*time.Microsecond {
		t.Fatalf("AirTime with a 10-symbol preamble = %v, want %v", got, want+2*32768*time.Microsecond)
	}
	p.SpreadingFactor = 4
	if got := p.AirTime(); got != 0 {
		t.Fatalf("AirTime of an invalid frame = %v, want 0", got)
	}
}

func TestStrings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ got, want string }{
		{hal.ModulationLoRa.String(), "LORA"},
		{hal.ModulationFSK.String(), "FSK"},
		{hal.Modulation(9).String(), "Modulation(9)"},
		{hal.CodeRate4_5.String(), "4/5"},
		{hal.CodeRate4_8.String(), "4/8"},
		{hal.CodeRate(0).String(), "CodeRate(0)"},
		{hal.CRCOK.String(), "ok"},
		{hal.CRCBad.String(), "bad"},
		{hal.CRCNone.String(), "none"},
		{hal.TxTimestamped.String(), "timestamped"},
		{hal.TxMode(0).String(), "TxMode(0)"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
}
