package gateway

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/station"
)

func multi(freqs ...uint32) []upChannel {
	out := make([]upChannel, len(freqs))
	for i, f := range freqs {
		out[i] = upChannel{Freq: f, Kind: kindMultiSF, BW: 125000}
	}
	return out
}

// listened returns the absolute frequencies the configuration listens on,
// by chain kind.
func listened(c station.SX130xConf) (multiSF []uint32, std, fsk uint32) {
	abs := func(ch *station.IFChan) uint32 { return uint32(int64(c.Radios[ch.Radio].Freq) + int64(ch.IF)) }
	for _, ch := range c.MultiSF {
		if ch != nil && ch.Enable {
			multiSF = append(multiSF, abs(ch))
		}
	}
	if c.LoraStd != nil && c.LoraStd.Enable {
		std = abs(c.LoraStd)
	}
	if c.FSK != nil && c.FSK.Enable {
		fsk = abs(c.FSK)
	}
	return multiSF, std, fsk
}

func TestAllocateSX1301(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		chs        []upChannel
		wantRadios [2]uint32 // centre frequencies; 0 = radio disabled
	}{
		{
			// Semtech's EU868 reference layout: 867.1..867.9 on radio 0,
			// 868.1..868.5 plus SF7BW250 and FSK on radio 1.
			name: "EU868 with std and FSK",
			chs: append(multi(868100000, 868300000, 868500000, 867100000, 867300000, 867500000, 867700000, 867900000),
				upChannel{Freq: 868300000, Kind: kindLoRaStd, BW: 250000, SF: 7},
				upChannel{Freq: 868800000, Kind: kindFSK}),
			wantRadios: [2]uint32{867500000, 868400000},
		},
		{
			name:       "US915 sub-band 2",
			chs:        append(multi(903900000, 904100000, 904300000, 904500000, 904700000, 904900000, 905100000, 905300000), upChannel{Freq: 904600000, Kind: kindLoRaStd, BW: 500000, SF: 8}),
			wantRadios: [2]uint32{904300000, 905100000},
		},
		{
			name:       "three channels fit one radio",
			chs:        multi(922100000, 922300000, 922500000),
			wantRadios: [2]uint32{922300000, 0},
		},
		{
			name:       "IN865 defaults span more than one radio",
			chs:        multi(865062500, 865402500, 865985000),
			wantRadios: [2]uint32{865232500, 865985000},
		},
		{
			name:       "unsorted input",
			chs:        multi(867900000, 867100000, 867500000),
			wantRadios: [2]uint32{867500000, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conf, err := allocateSX1301(tt.chs)
			if err != nil {
				t.Fatalf("allocateSX1301: %v", err)
			}
			if err := CheckSX1301(conf); err != nil {
				t.Errorf("allocation breaks the hardware limits: %v", err)
			}
			for r, want := range tt.wantRadios {
				rc := conf.Radios[r]
				if want == 0 && rc.Enable {
					t.Errorf("radio_%d enabled at %d, want disabled", r, rc.Freq)
				}
				if want != 0 && (!rc.Enable || rc.Freq != want) {
					t.Errorf("radio_%d = %+v, want enabled at %d", r, *rc, want)
				}
			}
			// Every requested channel is listened on, by the right modem.
			gotMulti, gotStd, gotFSK := listened(conf)
			var wantMulti []uint32
			var wantStd, wantFSK uint32
			for _, ch := range tt.chs {
				switch ch.Kind {
				case kindMultiSF:
					wantMulti = append(wantMulti, ch.Freq)
				case kindLoRaStd:
					wantStd = ch.Freq
				case kindFSK:
					wantFSK = ch.Freq
				}
			}
			if !sameSet(gotMulti, wantMulti) {
				t.Errorf("multi-SF chains listen on %v, want %v", gotMulti, wantMulti)
			}
			if gotStd != wantStd || gotFSK != wantFSK {
				t.Errorf("std, FSK listen on %d, %d; want %d, %d", gotStd, gotFSK, wantStd, wantFSK)
			}
			for _, ch := range tt.chs {
				if ch.Kind == kindLoRaStd && (conf.LoraStd.Bandwidth != ch.BW || conf.LoraStd.SpreadFactor != ch.SF) {
					t.Errorf("chan_Lora_std = %+v, want BW %d SF %d", *conf.LoraStd, ch.BW, ch.SF)
				}
				if ch.Kind == kindFSK && conf.FSK.DataRate != 50000 {
					t.Errorf("chan_FSK datarate = %d, want 50000", conf.FSK.DataRate)
				}
			}
		})
	}
}

func sameSet(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	count := map[uint32]int{}
	for _, x := range a {
		count[x]++
	}
	for _, x := range b {
		count[x]--
	}
	for _, n := range count {
		if n != 0 {
			return false
		}
	}
	return true
}

func TestAllocateSX1301Refuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		chs  []upChannel
		want string
	}{
		{"nine multi-SF channels", multi(867100000, 867300000, 867500000, 867700000, 867900000, 868100000, 868300000, 868500000, 868700000), "8"},
		{"spread over 3 MHz", multi(863000000, 864500000, 866000000), "does not fit"},
		{"two std channels", []upChannel{{Freq: 868300000, Kind: kindLoRaStd, BW: 250000, SF: 7}, {Freq: 868500000, Kind: kindLoRaStd, BW: 250000, SF: 7}}, "one LoRa std"},
		{"two FSK channels", []upChannel{{Freq: 868800000, Kind: kindFSK}, {Freq: 868900000, Kind: kindFSK}}, "one FSK"},
		{"multi-SF at 250 kHz", []upChannel{{Freq: 868300000, Kind: kindMultiSF, BW: 250000}}, "125 kHz"},
		{"std bandwidth unknown", []upChannel{{Freq: 868300000, Kind: kindLoRaStd, BW: 62500, SF: 7}}, "not supported"},
		{"nothing", nil, "no uplink channels"},
		// 500 kHz may sit only 300 kHz from a radio centre; two radios both
		// pinned by 125 kHz channels 800 kHz apart leave no room for it.
		{"std out of reach", append(multi(903900000, 904700000, 905100000, 905900000), upChannel{Freq: 906700000, Kind: kindLoRaStd, BW: 500000, SF: 8}), "does not fit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := allocateSX1301(tt.chs)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("allocateSX1301 error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestCheckSX1301Limits(t *testing.T) {
	t.Parallel()
	on := func() *station.RadioConf { return &station.RadioConf{Enable: true, Freq: 868000000} }
	conf := func(edit func(c *station.SX130xConf)) station.SX130xConf {
		c := station.SX130xConf{}
		c.Radios[0] = on()
		edit(&c)
		return c
	}
	tests := []struct {
		name string
		conf station.SX130xConf
		ok   bool
	}{
		{"125 kHz at +400 kHz", conf(func(c *station.SX130xConf) { c.MultiSF[0] = &station.IFChan{Enable: true, IF: 400000} }), true},
		{"125 kHz at -400001 Hz", conf(func(c *station.SX130xConf) { c.MultiSF[0] = &station.IFChan{Enable: true, IF: -400001} }), false},
		{"250 kHz std at 375 kHz", conf(func(c *station.SX130xConf) {
			c.LoraStd = &station.IFChan{Enable: true, IF: 375000, Bandwidth: 250000, SpreadFactor: 7}
		}), true},
		{"250 kHz std at 376 kHz", conf(func(c *station.SX130xConf) {
			c.LoraStd = &station.IFChan{Enable: true, IF: 376000, Bandwidth: 250000, SpreadFactor: 7}
		}), false},
		{"500 kHz std at -300 kHz", conf(func(c *station.SX130xConf) {
			c.LoraStd = &station.IFChan{Enable: true, IF: -300000, Bandwidth: 500000, SpreadFactor: 8}
		}), true},
		{"500 kHz std at 301 kHz", conf(func(c *station.SX130xConf) {
			c.LoraStd = &station.IFChan{Enable: true, IF: 301000, Bandwidth: 500000, SpreadFactor: 8}
		}), false},
		{"std without spreading factor", conf(func(c *station.SX130xConf) { c.LoraStd = &station.IFChan{Enable: true, Bandwidth: 250000} }), false},
		{"FSK at 400 kHz", conf(func(c *station.SX130xConf) { c.FSK = &station.IFChan{Enable: true, IF: 400000, DataRate: 50000} }), true},
		{"FSK at 401 kHz", conf(func(c *station.SX130xConf) { c.FSK = &station.IFChan{Enable: true, IF: 401000, DataRate: 50000} }), false},
		{"chain on disabled radio", conf(func(c *station.SX130xConf) { c.MultiSF[0] = &station.IFChan{Enable: true, Radio: 1} }), false},
		{"two chains one frequency", conf(func(c *station.SX130xConf) {
			c.MultiSF[0] = &station.IFChan{Enable: true}
			c.MultiSF[1] = &station.IFChan{Enable: true}
		}), false},
		{"radio 0 disabled", conf(func(c *station.SX130xConf) { c.Radios[0] = &station.RadioConf{} }), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := CheckSX1301(tt.conf); (err == nil) != tt.ok {
				t.Errorf("CheckSX1301 = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestSX1301ConfJSON(t *testing.T) {
	t.Parallel()
	conf, err := allocateSX1301(append(multi(868100000, 868300000), upChannel{Freq: 868800000, Kind: kindFSK}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(conf)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	// Only the keys Station's parse_rfconf / parse_ifconf accept.
	allowed := map[string]bool{"enable": true, "freq": true, "radio": true, "if": true, "bandwidth": true, "spread_factor": true, "datarate": true}
	for name, obj := range m {
		for k := range obj {
			if !allowed[k] {
				t.Errorf("%s has key %q, which Station rejects", name, k)
			}
		}
	}
	if got := m["chan_multiSF_2"]["enable"]; got != false {
		t.Errorf("unused chain enable = %v, want false", got)
	}
	if got := m["chan_FSK"]["datarate"]; got != float64(50000) {
		t.Errorf("chan_FSK datarate = %v, want 50000", got)
	}
	for _, k := range []string{"radio_0", "radio_1", "chan_multiSF_0", "chan_multiSF_7", "chan_Lora_std", "chan_FSK"} {
		if _, ok := m[k]; !ok {
			t.Errorf("no %s in %s", k, b)
		}
	}
}
