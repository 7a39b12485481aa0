package agent_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/station"
)

// rx1Power answers an uplink of a fresh device in RX1 and returns the
// power (dBm) the frame went out at.
func rx1Power(t *testing.T, s *scripted) float64 {
	t.Helper()
	w := s.w
	d := w.device(1, sim.ClassA)
	f := w.uplink(d, "p")
	xt := s.expectUpdf(t, d, f, 0, 0)
	s.send(t, strings.Replace(dnmsgJSON(d, 1, d.dataDown(t, "p"), true, xt), "868100000", fmt.Sprint(f.Freq), 1))
	w.clock.AdvanceTo(f.End.Add(1500 * time.Millisecond))
	return w.nextFrame(true).Power
}

// TestRouterConfigAntennaGain: Station takes antenna_gain (or its synonym
// txpow_adjust) from any radio_N object, station.conf's first and the
// router_config's over it, as one board-wide value in tenths of a dB
// (parse_rfconf in src/sx130xconf.c), and sends at the EIRP less it
// (ral_lgw.c: rf_power = (txpow - txpowAdjust)/TXPOW_SCALE). The EIRP here
// is routerConfigEU's max_eirp, 16 dBm.
func TestRouterConfigAntennaGain(t *testing.T) {
	radio0 := `"radio_0":{"enable":true,"freq":867500000}`
	radio1 := `"radio_1":{"enable":true,"freq":868500000}`
	tests := []struct {
		name      string
		confGain  float64 // station.conf's antenna_gain (Options.AntennaGain)
		from, to  string  // replaced in routerConfigEU
		wantPower float64
	}{
		{"station.conf's only", 1, "", "", 15},
		{"router_config's wins", 1, radio0, `"radio_0":{"enable":true,"freq":867500000,"antenna_gain":3}`, 13},
		{"txpow_adjust 0 on radio_1 wins", 1, radio1, `"radio_1":{"enable":true,"freq":868500000,"txpow_adjust":0}`, 16},
		{"tenths of a dB, truncated", 0, radio0, `"radio_0":{"enable":true,"freq":867500000,"antenna_gain":1.05}`, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := routerConfigEU
			if tt.from != "" {
				if !strings.Contains(rc, tt.from) {
					t.Fatalf("routerConfigEU has no %s", tt.from)
				}
				rc = strings.Replace(rc, tt.from, tt.to, 1)
			}
			s := newScriptedRC(t, sim.ConcentratorOptions{}, rc, func(o *agent.Options) { o.AntennaGain = tt.confGain })
			if got := rx1Power(t, s); got != tt.wantPower {
				t.Errorf("downlink at %.1f dBm, want %.1f", got, tt.wantPower)
			}
		})
	}
}

// TestRouterConfigTooManyJoinEUIRanges: Station reads at most 10 JoinEui
// ranges; an 11th makes it log "Too many Join EUI filter ranges - max 10
// supported" and fail the message's parse (handle_router_config), which it
// then ignores. The connection stays up, and the previous configuration
// (here max_eirp 16) stays in force.
func TestRouterConfigTooManyJoinEUIRanges(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, nil)
	starts := s.a.Stats().RadioStarts
	var ranges []string
	for i := range 11 {
		ranges = append(ranges, fmt.Sprintf("[%d,%d]", i+1, i+1))
	}
	rc := strings.Replace(routerConfigEU, `"JoinEui":null`, `"JoinEui":[`+strings.Join(ranges, ",")+`]`, 1)
	rc = strings.Replace(rc, `"max_eirp":16.0`, `"max_eirp":14.0`, 1)
	write(t, s.conn, rc)
	s.logs.wait(t, "router_config ignored: the previous configuration stays",
		map[string]string{"error": "too many Join EUI filter ranges - max 10 supported"})
	if got := rx1Power(t, s); got != 16 {
		t.Errorf("downlink at %.1f dBm, want 16 (the max_eirp of the router_config in force)", got)
	}
	if st := s.a.Stats(); st.RadioStarts != starts {
		t.Errorf("radio started %d times, want %d: the refused router_config must not touch it", st.RadioStarts, starts)
	}
}

// TestDnmsgMandatoryFields: Station ignores a dnmsg without DevEui, dC,
// diid or pdu ("Some mandatory fields are missing", handle_dnmsg) and a
// dnsched entry without DR, Freq, a time or pdu ("Some mandatory fields in
// dnsched.schedule[i] are missing", handle_dnsched), going on with the
// next entry. The connection stays up.
func TestDnmsgMandatoryFields(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, nil)
	w := s.w
	d := w.device(1, sim.ClassA)
	f := w.uplink(d, "m")
	xt := s.expectUpdf(t, d, f, 0, 0)
	pdu := d.dataDown(t, "m")
	full := strings.Replace(dnmsgJSON(d, 1, pdu, true, xt), "868100000", fmt.Sprint(f.Freq), 1)
	before := s.a.Stats()
	cases := []struct{ name, drop string }{
		{"DevEui", fmt.Sprintf(`"DevEui":"%s",`, station.FormatEUI(d.devEUI))},
		{"dC", `"dC":0,`},
		{"diid", `"diid":1,`},
		{"pdu", fmt.Sprintf(`"pdu":"%X",`, pdu)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(full, c.drop) {
				t.Fatalf("dnmsg %s has no %s", full, c.drop)
			}
			write(t, s.conn, strings.Replace(full, c.drop, "", 1))
			s.logs.wait(t, "dnmsg ignored: some mandatory fields are missing", map[string]string{"error": c.name})
		})
	}
	// A dnsched whose first entry has no DR: the second goes out alone.
	at := f.End.Add(3 * time.Second)
	s.send(t, fmt.Sprintf(`{"msgtype":"dnsched","schedule":[{"diid":20,"Freq":869525000,"xtime":%d,"pdu":"E001"},`+
		`{"diid":21,"DR":3,"Freq":869525000,"xtime":%d,"pdu":"E002"}]}`, int64(s.xtimeAt(at.Add(-time.Second))), int64(s.xtimeAt(at))))
	s.logs.wait(t, "dnsched entry ignored: some mandatory fields are missing", map[string]string{"entry": "0", "error": "DR"})
	w.clock.AdvanceTo(at.Add(time.Second))
	if dn := w.nextFrame(true); !dn.Start.Equal(at) || string(dn.Payload) != "\xe0\x02" {
		t.Errorf("downlink %x at %v, want e002 at %v (the dnsched's second entry)", dn.Payload, dn.Start, at)
	}
	select {
	case dn := <-w.frames:
		t.Errorf("another frame went on the air at %v: %x", dn.Start, dn.Payload)
	default:
	}
	after := s.a.Stats()
	if after.Downlinks != before.Downlinks+1 || after.Refused != before.Refused+len(cases)+1 {
		t.Errorf("downlinks %d→%d, refused %d→%d; want 1 downlink and %d refusals",
			before.Downlinks, after.Downlinks, before.Refused, after.Refused, len(cases)+1)
	}
	// The connection is still up.
	write(t, s.conn, `{"msgtype":"getxtime","MuxTime":1795783700.5}`)
	if got := read(t, s.conn); !strings.HasPrefix(got, `{"msgtype":"getxtime"`) {
		t.Errorf("after the ignored messages: %s, want the getxtime answer", got)
	}
}
