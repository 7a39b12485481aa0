package agent

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/station"
)

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
			rc := decodeRC(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[{`+tt.radios+`}]}`)
			got, err := radioConfig(rc, board, newPlan(rc))
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

// TestFiltersKeptWhenAbsent: Station's NetID and JoinEui filters are
// globals that a router_config rewrites only when it has the key
// (handle_router_config); the "JoinEUI" spelling, once seen, stays.
func TestFiltersKeptWhenAbsent(t *testing.T) {
	frames := map[string]string{
		// DevAddr 0x27785634: NwkID 0x13, as NetID 000013.
		"ttn": "407856342700010001aa01020304",
		// DevAddr 0x49be7df1: NwkID 0x24.
		"other": "40f17dbe49000300012a3518af",
		// JoinEUI 0102030401020304.
		"join": "00040302010403020105040302050403022d106a990e12",
	}
	a := &Agent{}
	steps := []struct {
		name      string
		rc        string
		pass      map[string]bool
		wantUpper bool
	}{
		{"filters set", `{"msgtype":"router_config","region":"EU868","NetID":[19],"JoinEUI":[[1,2]]}`,
			map[string]bool{"ttn": true, "other": false, "join": false}, true},
		{"keys absent: filters kept", `{"msgtype":"router_config","region":"EU868"}`,
			map[string]bool{"ttn": true, "other": false, "join": false}, true},
		{"lower-case key: spelling kept", `{"msgtype":"router_config","region":"EU868","JoinEui":[[72623859723010820,72623859723010820]]}`,
			map[string]bool{"ttn": true, "other": false, "join": true}, true},
		{"null: filters off", `{"msgtype":"router_config","region":"EU868","NetID":null,"JoinEui":null}`,
			map[string]bool{"ttn": true, "other": true, "join": true}, true},
	}
	for _, st := range steps {
		p := a.nextPlan(decodeRC(t, st.rc))
		a.plan = p
		for name, want := range st.pass {
			b, err := hex.DecodeString(frames[name])
			if err != nil {
				t.Fatal(err)
			}
			_, err = p.filter.Split(b, station.UplinkMeta{})
			if got := err == nil; got != want || (err != nil && !errors.Is(err, station.ErrFiltered)) {
				t.Errorf("%s: %s frame: %v, want passed %v", st.name, name, err, want)
			}
		}
		if p.upperEUI != st.wantUpper {
			t.Errorf("%s: upper-case EUI keys %v, want %v", st.name, p.upperEUI, st.wantUpper)
		}
	}
}
