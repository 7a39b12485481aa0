package agent

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/agent/internal/rctest"
	"github.com/loraedge/loraedge/station"
)

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
		p := a.nextPlan(rctest.RouterConfig(t, st.rc))
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
