package station

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// eu868DRs is the EU868 data rate table as Station reads it.
func eu868DRs() []DRDef {
	drs := []DRDef{{12, 125, false}, {11, 125, false}, {10, 125, false}, {9, 125, false},
		{8, 125, false}, {7, 125, false}, {7, 250, false}, {0, 0, false}}
	for len(drs) < 16 {
		drs = append(drs, DRDef{SF: -1})
	}
	return drs
}

func TestRouterConfigGolden(t *testing.T) {
	multi := func(radio int, ifreq int32) *IFChan { return &IFChan{Enable: true, Radio: radio, IF: ifreq} }
	tests := []struct {
		name string
		want *RouterConfig
	}{
		{"router_config", &RouterConfig{
			NetIDs:    []lorawan.NetID{{0, 0, 0x13}, {0, 0, 0}},
			JoinEUIs:  []JoinEUIRange{{Max: lorawan.EUI64{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}},
			Region:    "EU868",
			HWSpec:    HWSpecSX1301,
			FreqRange: [2]uint32{863000000, 870000000},
			DRs:       eu868DRs(),
			UpChannels: []UpChannel{
				{868100000, 0, 5}, {868300000, 0, 5}, {868500000, 0, 5}, {867100000, 0, 5}, {867300000, 0, 5},
				{867500000, 0, 5}, {867700000, 0, 5}, {867900000, 0, 5}, {868300000, 6, 6}, {868800000, 7, 7},
			},
			MaxEIRP: ptr(16.0),
			MuxTime: 1795783677.292109,
			SX130xConf: []SX130xConf{{
				Radios: [2]*RadioConf{{Enable: true, Freq: 867500000}, {Enable: true, Freq: 868500000}},
				MultiSF: [8]*IFChan{multi(1, -400000), multi(1, -200000), multi(1, 0), multi(0, -400000),
					multi(0, -200000), multi(0, 0), multi(0, 200000), multi(0, 400000)},
				LoraStd: &IFChan{Enable: true, Radio: 1, IF: -200000, Bandwidth: 250000, SpreadFactor: 7},
				FSK:     &IFChan{Enable: true, Radio: 1, IF: 300000, DataRate: 50000},
			}},
			SX130xConfKey: "sx1301_conf",
		}},
		{"router_config_upper", &RouterConfig{
			UpperEUIKeys: true,
			Region:       "US915",
			HWSpec:       HWSpecSX1301,
			FreqRange:    [2]uint32{902000000, 928000000},
			DRs: []DRDef{{10, 125, false}, {9, 125, false}, {8, 125, false}, {7, 125, false}, {8, 500, false},
				{SF: -1}, {SF: -1}, {SF: -1}, {12, 500, true}, {11, 500, true}, {10, 500, true}, {9, 500, true},
				{8, 500, true}, {7, 500, true}, {SF: -1}, {SF: -1}},
			UpChannels: []UpChannel{{902300000, 0, 3}, {903000000, 4, 4}},
			SX130xConf: []SX130xConf{{
				LorawanPublic: ptr(true),
				ClkSrc:        ptr(0),
				Radios: [2]*RadioConf{
					{Enable: true, Freq: 902700000, Type: "SX1250", RSSIOffset: ptr(-215.4), TxEnable: ptr(true)},
					{},
				},
				MultiSF: [8]*IFChan{multi(0, -400000)},
				LoraStd: &IFChan{},
				FSK:     &IFChan{},
			}},
			SX130xConfKey: "SX1302_conf",
			NoCCA:         ptr(true),
			NoDC:          ptr(false),
			NoDwell:       ptr(true),
			DeviceMode:    ptr(false),
			Bcning:        &Beaconing{DR: 8, Layout: [3]int{5, 11, 23}, Freqs: []uint32{923300000, 923900000}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
		})
	}
}

func TestRouterConfigVariants(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		check func(t *testing.T, rc *RouterConfig)
	}{
		{"JoinEui as EUI strings", `{"msgtype":"router_config","JoinEui":[["00-00-00-00-00-00-00-01","ffffffffffffffff"]]}`,
			func(t *testing.T, rc *RouterConfig) {
				want := []JoinEUIRange{{lorawan.EUI64{7: 1}, lorawan.EUI64{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}}}
				if !reflect.DeepEqual(rc.JoinEUIs, want) || rc.UpperEUIKeys {
					t.Errorf("JoinEUIs = %v, UpperEUIKeys = %v; want %v, false", rc.JoinEUIs, rc.UpperEUIKeys, want)
				}
			}},
		{"NetID empty array filters all", `{"msgtype":"router_config","NetID":[]}`,
			func(t *testing.T, rc *RouterConfig) {
				if rc.NetIDs == nil || len(rc.NetIDs) != 0 {
					t.Errorf("NetIDs = %#v, want an empty non-nil slice", rc.NetIDs)
				}
			}},
		{"NetID absent", `{"msgtype":"router_config"}`,
			func(t *testing.T, rc *RouterConfig) {
				if rc.NetIDs != nil || rc.JoinEUIs != nil || rc.SX130xConfKey != "" {
					t.Errorf("got %+v, want nil filters and no radio conf key", rc)
				}
			}},
		{"radio_conf key and Station's alternative channel keys", `{"msgtype":"router_config","radio_conf":[{"radio_01":{"enable":true,"freq":868500000},"chan_multiSF_0x7":{"enable":true,"rf_chain":1,"freq":-100000},"chan_multiSF_x":{"ignored":1},"tx_gain_lut":[]}]}`,
			func(t *testing.T, rc *RouterConfig) {
				if rc.SX130xConfKey != "radio_conf" || len(rc.SX130xConf) != 1 {
					t.Fatalf("key %q, %d confs", rc.SX130xConfKey, len(rc.SX130xConf))
				}
				c := rc.SX130xConf[0]
				if c.Radios[1] == nil || c.Radios[1].Freq != 868500000 {
					t.Errorf("radio_01 = %+v, want radio 1 at 868.5 MHz", c.Radios[1])
				}
				if want := (&IFChan{Enable: true, Radio: 1, IF: -100000}); !reflect.DeepEqual(c.MultiSF[7], want) {
					t.Errorf("chan_multiSF_0x7 = %+v, want %+v", c.MultiSF[7], want)
				}
			}},
		{"sx1302_conf null", `{"msgtype":"router_config","sx1302_conf":null}`,
			func(t *testing.T, rc *RouterConfig) {
				if rc.SX130xConfKey != "sx1302_conf" || rc.SX130xConf != nil {
					t.Errorf("key %q conf %v, want sx1302_conf and nil", rc.SX130xConfKey, rc.SX130xConf)
				}
			}},
		{"max_eirp fractional", `{"msgtype":"router_config","max_eirp":14.5}`,
			func(t *testing.T, rc *RouterConfig) {
				if rc.MaxEIRP == nil || *rc.MaxEIRP != 14.5 {
					t.Errorf("MaxEIRP = %v, want 14.5", rc.MaxEIRP)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, m.(*RouterConfig))
		})
	}
}

func TestRouterConfigRefused(t *testing.T) {
	tests := []struct {
		name, in, errHas string
	}{
		{"DR with two values", `{"msgtype":"router_config","DRs":[[7,125]]}`, "want 3"},
		{"upchannel DR 8", `{"msgtype":"router_config","upchannels":[[868100000,0,8]]}`, "outside 0..7"},
		{"upchannel negative freq", `{"msgtype":"router_config","upchannels":[[-1,0,5]]}`, "out of range"},
		{"freq_range with one value", `{"msgtype":"router_config","freq_range":[863000000]}`, "want 2"},
		{"JoinEui range with one value", `{"msgtype":"router_config","JoinEui":[[1]]}`, "want 2"},
		{"NetID above 24 bits", `{"msgtype":"router_config","NetID":[16777216]}`, "24 bits"},
		{"radio_2", `{"msgtype":"router_config","sx1301_conf":[{"radio_2":{"enable":true}}]}`, "index not in 0..1"},
		{"chan_multiSF_8", `{"msgtype":"router_config","sx1301_conf":[{"chan_multiSF_8":{}}]}`, "index not in 0..7"},
		{"radio conf not an array", `{"msgtype":"router_config","sx1301_conf":{"radio_0":{}}}`, "sx1301_conf"},
		{"nocca as number", `{"msgtype":"router_config","nocca":1}`, "bool"},
		{"11 JoinEui ranges", `{"msgtype":"router_config","JoinEui":[[1,1],[2,2],[3,3],[4,4],[5,5],[6,6],[7,7],[8,8],[9,9],[10,10],[11,11]]}`,
			"too many Join EUI filter ranges - max 10 supported"},
		{"antenna_gain as text", `{"msgtype":"router_config","sx1301_conf":[{"radio_0":{"antenna_gain":"3"}}]}`, "antenna_gain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("Decode = %#v, %v; want an error containing %q", m, err, tt.errHas)
			}
		})
	}
	if _, err := Encode(&RouterConfig{SX130xConfKey: "bogus"}); err == nil {
		t.Error("Encode with an unknown radio conf key: no error")
	}
	if _, err := Encode(&RouterConfig{MaxEIRP: ptr(math.Inf(1))}); err == nil {
		t.Error("Encode with an infinite max_eirp: no error")
	}
	eleven := make([]JoinEUIRange, MaxJoinEUIRanges+1)
	if _, err := Encode(&RouterConfig{JoinEUIs: eleven}); err == nil {
		t.Error("Encode with 11 JoinEui ranges, which Station refuses: no error")
	}
	if _, err := Encode(&RouterConfig{JoinEUIs: eleven[:MaxJoinEUIRanges]}); err != nil {
		t.Errorf("Encode with 10 JoinEui ranges: %v", err)
	}
}

// TestRouterConfigFilterKeysAbsent: Station keeps its NetID and JoinEui
// filters when a router_config leaves the key out, and resets them on null
// (handle_router_config); Decode tells the three apart and Encode writes
// them back as they came.
func TestRouterConfigFilterKeysAbsent(t *testing.T) {
	tests := []struct {
		name                   string
		in                     string
		netAbsent, joinAbsent  bool
		netNil, joinNil, upper bool
	}{
		{"absent", `{"msgtype":"router_config"}`, true, true, true, true, false},
		{"null", `{"msgtype":"router_config","NetID":null,"JoinEui":null}`, false, false, true, true, false},
		{"upper-case null", `{"msgtype":"router_config","JoinEUI":null}`, true, false, true, true, true},
		{"arrays", `{"msgtype":"router_config","NetID":[1],"JoinEui":[[1,2]]}`, false, false, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			rc := m.(*RouterConfig)
			if rc.NetIDAbsent != tt.netAbsent || rc.JoinEUIAbsent != tt.joinAbsent || (rc.NetIDs == nil) != tt.netNil ||
				(rc.JoinEUIs == nil) != tt.joinNil || rc.UpperEUIKeys != tt.upper {
				t.Errorf("got absent %v/%v, nil %v/%v, upper %v; want %v/%v, %v/%v, %v", rc.NetIDAbsent, rc.JoinEUIAbsent,
					rc.NetIDs == nil, rc.JoinEUIs == nil, rc.UpperEUIKeys, tt.netAbsent, tt.joinAbsent, tt.netNil, tt.joinNil, tt.upper)
			}
			b, err := Encode(rc)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.in {
				t.Errorf("Encode = %s, want %s", b, tt.in)
			}
		})
	}
}

// TestRadioConfStationKeys: a radio object's "enable" may be absent (Station
// keeps station.conf's), and "antenna_gain" and "txpow_adjust" set one
// board-wide value, the last one parsed winning (parse_rfconf).
func TestRadioConfStationKeys(t *testing.T) {
	tests := []struct {
		name         string
		conf         string
		enableAbsent [2]bool
		adjust       float64
		adjustSet    bool
		encoded      string
	}{
		{"no enable", `{"radio_0":{"freq":867500000},"radio_1":{"enable":false,"freq":0}}`, [2]bool{true, false}, 0, false,
			`{"radio_0":{"freq":867500000},"radio_1":{"enable":false,"freq":0}}`},
		{"enable null", `{"radio_0":{"enable":null,"freq":1}}`, [2]bool{true, false}, 0, false, `{"radio_0":{"freq":1}}`},
		{"antenna_gain", `{"radio_0":{"enable":true,"freq":1,"antenna_gain":3}}`, [2]bool{}, 3, true,
			`{"radio_0":{"enable":true,"freq":1,"antenna_gain":3}}`},
		{"txpow_adjust", `{"radio_1":{"enable":true,"freq":1,"txpow_adjust":-1.5}}`, [2]bool{}, -1.5, true,
			`{"radio_1":{"enable":true,"freq":1,"txpow_adjust":-1.5}}`},
		{"both in one radio, the last wins", `{"radio_0":{"enable":true,"freq":1,"txpow_adjust":2,"antenna_gain":0}}`, [2]bool{}, 0, true,
			`{"radio_0":{"enable":true,"freq":1,"antenna_gain":0}}`},
		{"radio_1 before radio_0, radio_0's wins", `{"radio_1":{"enable":true,"freq":2,"antenna_gain":5},"radio_0":{"enable":true,"freq":1,"antenna_gain":2}}`,
			[2]bool{}, 2, true, `{"radio_0":{"enable":true,"freq":1,"antenna_gain":2},"radio_1":{"enable":true,"freq":2}}`},
		{"a repeated radio key without one keeps it", `{"radio_0":{"enable":true,"freq":1,"antenna_gain":2},"radio_0":{"enable":true,"freq":3}}`,
			[2]bool{}, 2, true, `{"radio_0":{"enable":true,"freq":3,"antenna_gain":2}}`},
		{"radio_0 before radio_1, radio_1's wins", `{"radio_0":{"enable":true,"freq":1,"antenna_gain":2},"radio_1":{"enable":true,"freq":2,"txpow_adjust":5}}`,
			[2]bool{}, 5, true, `{"radio_0":{"enable":true,"freq":1},"radio_1":{"enable":true,"freq":2,"txpow_adjust":5}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(`{"msgtype":"router_config","sx1301_conf":[` + tt.conf + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			c := m.(*RouterConfig).SX130xConf[0]
			for i, r := range c.Radios {
				if r != nil && r.EnableAbsent != tt.enableAbsent[i] {
					t.Errorf("radio_%d EnableAbsent %v, want %v", i, r.EnableAbsent, tt.enableAbsent[i])
				}
			}
			if v, ok := c.TxPowAdjust(); v != tt.adjust || ok != tt.adjustSet {
				t.Errorf("TxPowAdjust() = %v, %v; want %v, %v", v, ok, tt.adjust, tt.adjustSet)
			}
			b, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tt.encoded {
				t.Errorf("encoded %s, want %s", b, tt.encoded)
			}
		})
	}
}

func TestCanonicalRegion(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"EU863", "EU868", true},
		{"EU868", "EU868", true},
		{"IL915", "IL915", true},
		{"KR920", "KR920", true},
		{"AS923JP", "AS923-1", true},
		{"AS923-1", "AS923-1", true},
		{"US902", "US915", true},
		{"US915", "US915", true},
		{"AU915", "AU915", true},
		{"AS923", "", false},
		{"CN470", "", false},
		{"eu868", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := CanonicalRegion(tt.in)
			if got != tt.want || ok != tt.ok {
				t.Errorf("CanonicalRegion(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}
