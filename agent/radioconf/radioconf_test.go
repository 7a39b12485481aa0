package radioconf

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/agent/internal/rctest"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

func ptr[T any](v T) *T { return &v }

// TestBuild merges a router_config's sx1301_conf over station.conf's
// settings, and refuses router_configs Station closes the connection on.
func TestBuild(t *testing.T) {
	board := station.SX130xConf{
		LorawanPublic: ptr(false),
		ClkSrc:        ptr(1),
		Radios: [2]*station.RadioConf{
			{Type: "SX1257", RSSIOffset: ptr(-166.0), TxEnable: ptr(true)},
			{Type: "SX1255", Freq: 868_000_000, TxEnable: ptr(false)},
		},
	}
	rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":`+rctest.EU868DRs+`,`+
		`"SX1301_conf":[{"lorawan_public":true,"radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":true,"freq":868500000,"tx_enable":true},`+
		`"chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},"chan_multiSF_1":{"enable":true,"radio":0,"if":200000},`+
		`"chan_Lora_std":{"enable":true,"radio":1,"if":-200000,"bandwidth":250000,"spread_factor":7},"chan_FSK":{"enable":true,"radio":1,"if":300000}},{"radio_0":{"enable":false,"freq":0}}]}`)
	got, err := Build(rc, board)
	if err != nil {
		t.Fatal(err)
	}
	want := hal.Config{
		PrivateSyncWord: false, // router_config's lorawan_public wins over station.conf's
		ClockSource:     1,
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 867_500_000, Type: "SX1257", RSSIOffset: -166, TxEnable: true},
			{Enable: true, Freq: 868_500_000, Type: "SX1255", TxEnable: true},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 1, IF: -200_000, Bandwidth: hal.BW250, SpreadingFactor: 7},
		FSK:     hal.IFChain{Enable: true, RFChain: 1, IF: 300_000, DataRate: 50_000},
	}
	want.MultiSF[0] = hal.IFChain{Enable: true, RFChain: 1, IF: -400_000}
	want.MultiSF[1] = hal.IFChain{Enable: true, RFChain: 0, IF: 200_000}
	if got != want {
		t.Errorf("Build\n got %+v\nwant %+v", got, want)
	}

	bad := []struct{ name, js string }{
		{"no hwspec", `{"msgtype":"router_config","region":"EU868","sx1301_conf":[{"radio_0":{"enable":true,"freq":868000000}}]}`},
		{"other hwspec", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/2","sx1301_conf":[{"radio_0":{"enable":true,"freq":868000000}}]}`},
		{"no radio conf", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1"}`},
		{"empty array", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[]}`},
		{"channel on a disabled radio", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[{"radio_0":{"enable":true,"freq":868000000},"radio_1":{"enable":false,"freq":0},"chan_multiSF_0":{"enable":true,"radio":1,"if":0}}]}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			rc := rctest.RouterConfig(t, tt.js)
			if _, err := Build(rc, station.SX130xConf{}); err == nil || !strings.HasPrefix(err.Error(), "radioconf: ") {
				t.Errorf("Build: %v, want a radioconf error", err)
			}
		})
	}
}

// TestAllocChannels allocates EU868's eight LoRa channels, DR6 on 868.3 MHz
// and FSK on 868.8 MHz as Station's ral_challoc does (values worked out by
// hand from src/ral.c).
func TestAllocChannels(t *testing.T) {
	rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","DRs":`+rctest.EU868DRs+`,`+
		`"upchannels":[[868100000,0,5],[868300000,0,6],[868500000,0,5],[867100000,0,5],[867300000,0,5],[867500000,0,5],[867700000,0,5],[867900000,0,5],[868800000,7,7]],`+
		`"sx1301_conf":[{"radio_0":{"enable":false,"freq":0},"radio_1":{"enable":false,"freq":0}}]}`)
	got, err := Build(rc, station.SX130xConf{})
	if err != nil {
		t.Fatal(err)
	}
	want := hal.Config{
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 867_500_000, TxEnable: true},
			{Enable: true, Freq: 868_450_000},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 1, IF: -150_000, Bandwidth: hal.BW250, SpreadingFactor: 7},
		FSK:     hal.IFChain{Enable: true, RFChain: 1, IF: 350_000, DataRate: 50_000},
	}
	for i, off := range []int32{-400_000, -200_000, 0, 200_000, 400_000} {
		want.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: off, Bandwidth: hal.BW125}
	}
	for i, off := range []int32{-350_000, -150_000, 50_000} {
		want.MultiSF[5+i] = hal.IFChain{Enable: true, RFChain: 1, IF: off, Bandwidth: hal.BW125}
	}
	if got != want {
		t.Errorf("allocation\n got %+v\nwant %+v", got, want)
	}

	t.Run("too wide for one chip", func(t *testing.T) {
		// Channels 3 MHz apart: two radios take two, the third is left out.
		rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"US915","hwspec":"sx1301/1","DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0]],`+
			`"upchannels":[[902300000,0,3],[905300000,0,3],[908300000,0,3]],"sx1301_conf":[{}]}`)
		got, err := Build(rc, station.SX130xConf{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Radios[0].Freq != 902_300_000 || got.Radios[1].Freq != 905_300_000 || !got.MultiSF[0].Enable || !got.MultiSF[1].Enable || got.MultiSF[2].Enable {
			t.Errorf("got %+v, want 902.3 and 905.3 MHz on chains 0 and 1 only", got)
		}
	})
}

// TestUpChannelDefsJSON checks that a decoded upchannel list keeps
// Station's order rules (a stable sort by frequency).
func TestUpChannelDefsJSON(t *testing.T) {
	var ups []station.UpChannel
	if err := json.Unmarshal([]byte(`[[868500000,0,5],[868100000,0,5],[868100000,6,6]]`), &ups); err != nil {
		t.Fatal(err)
	}
	drs := DataRates(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","DRs":`+rctest.EU868DRs+`}`))
	got := upChannelDefs(ups, &drs)
	want := []upChan{
		{freq: 868_100_000, kind: kindMultiSF},
		{freq: 868_100_000, kind: kindFast, bw: hal.BW250, sf: 7},
		{freq: 868_500_000, kind: kindMultiSF},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

// TestRadioEnableAbsent: Station parses station.conf's radio_N, then the
// router_config's, into one structure and writes only the keys present
// (parse_rfconf in src/sx130xconf.c): a router_config radio without
// "enable" keeps station.conf's setting.
func TestRadioEnableAbsent(t *testing.T) {
	board := station.SX130xConf{Radios: [2]*station.RadioConf{
		{Enable: true, Freq: 867_500_000, Type: "SX1257"},
		{Enable: false, Freq: 868_500_000, Type: "SX1257"},
	}}
	tests := []struct {
		name       string
		radios     string
		want0      bool
		want1      bool
		wantFreq0  uint32
		wantFreq1  uint32
		wantErrCfg bool
	}{
		{"absent keeps station.conf's", `"radio_0":{"freq":867300000},"radio_1":{"freq":868300000}`, true, false, 867_300_000, 868_300_000, false},
		{"present replaces it", `"radio_0":{"enable":true,"freq":867300000},"radio_1":{"enable":true,"freq":868300000}`, true, true, 867_300_000, 868_300_000, false},
		{"false disables", `"radio_0":{"enable":true,"freq":867300000},"radio_1":{"enable":false}`, true, false, 867_300_000, 868_500_000, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[{`+tt.radios+`}]}`)
			got, err := Build(rc, board)
			if err != nil {
				t.Fatal(err)
			}
			if got.Radios[0].Enable != tt.want0 || got.Radios[1].Enable != tt.want1 ||
				got.Radios[0].Freq != tt.wantFreq0 || got.Radios[1].Freq != tt.wantFreq1 {
				t.Errorf("radios %+v, want enable %v/%v at %d/%d Hz", got.Radios, tt.want0, tt.want1, tt.wantFreq0, tt.wantFreq1)
			}
		})
	}
}

// TestDataRates reads Station's DR table: -1 leaves an entry undefined, 0
// is FSK (no bandwidth), and entries past the sixteenth go over DR15.
func TestDataRates(t *testing.T) {
	eu := DataRates(rctest.RouterConfig(t, `{"msgtype":"router_config","DRs":`+rctest.EU868DRs+`}`))
	tests := []struct {
		name string
		dr   int
		want DR
	}{
		{"SF12/125", 0, DR{Defined: true, SF: 12, BW: hal.BW125}},
		{"SF7/250", 6, DR{Defined: true, SF: 7, BW: hal.BW250}},
		{"FSK", 7, DR{Defined: true, FSK: true}},
		{"undefined", 8, DR{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := eu[tt.dr]; got != tt.want {
				t.Errorf("DR%d %+v, want %+v", tt.dr, got, tt.want)
			}
		})
	}
	t.Run("past DR15", func(t *testing.T) {
		js := `[` + strings.Repeat(`[10,125,0],`, NumDRs) + `[8,500,1]]`
		got := DataRates(rctest.RouterConfig(t, `{"msgtype":"router_config","DRs":`+js+`}`))
		want := DR{Defined: true, SF: 8, BW: hal.BW500, DnOnly: true}
		if got[NumDRs-1] != want || got[NumDRs-2].SF != 10 {
			t.Errorf("DR15 %+v, DR14 %+v, want %+v and SF10", got[NumDRs-1], got[NumDRs-2], want)
		}
	})
}

// TestAntennaGain: the router_config's antenna_gain or txpow_adjust wins
// over station.conf's; neither leaves it unset.
func TestAntennaGain(t *testing.T) {
	board := rctest.RouterConfig(t, `{"msgtype":"router_config","sx1301_conf":[{"radio_1":{"antenna_gain":2}}]}`).SX130xConf[0]
	tests := []struct {
		name   string
		conf   string
		board  station.SX130xConf
		want   float64
		wantOK bool
	}{
		{"router_config's", `[{"radio_0":{"txpow_adjust":3.5}}]`, board, 3.5, true},
		{"board's", `[{"radio_0":{"freq":867500000}}]`, board, 2, true},
		{"no array: board's", `[]`, board, 2, true},
		{"neither", `[{}]`, station.SX130xConf{}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := rctest.RouterConfig(t, `{"msgtype":"router_config","sx1301_conf":`+tt.conf+`}`)
			got, ok := AntennaGain(rc, tt.board)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("AntennaGain %v, %v, want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}
