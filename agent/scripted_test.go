package agent_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/station"
)

// muxTime is the MuxTime the scripted LNS sends with router_config.
const muxTime = 1795783677.292109

// routerConfigEU is a router_config as an LNS sends it to Station 2.0.6:
// the old region name, DRs, the radio configuration as an sx1301_conf
// array, the development switches, and a field Station does not know
// ("protocol"), all to be taken as Station takes them.
const routerConfigEU = `{"msgtype":"router_config","NetID":null,"JoinEui":null,"region":"EU863","hwspec":"sx1301/1",` +
	`"freq_range":[863000000,870000000],"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],` +
	`[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],"max_eirp":16.0,` +
	`"sx1301_conf":[{"radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":true,"freq":868500000},` +
	`"chan_FSK":{"enable":true,"radio":1,"if":300000},` +
	`"chan_Lora_std":{"enable":true,"radio":1,"if":-200000,"bandwidth":250000,"spread_factor":7},` +
	`"chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},"chan_multiSF_1":{"enable":true,"radio":1,"if":-200000},` +
	`"chan_multiSF_2":{"enable":true,"radio":1,"if":0},"chan_multiSF_3":{"enable":true,"radio":0,"if":-400000},` +
	`"chan_multiSF_4":{"enable":true,"radio":0,"if":-200000},"chan_multiSF_5":{"enable":true,"radio":0,"if":0},` +
	`"chan_multiSF_6":{"enable":true,"radio":0,"if":200000},"chan_multiSF_7":{"enable":true,"radio":0,"if":400000}}],` +
	`"nocca":true,"nodc":true,"nodwell":true,"MuxTime":1795783677.292109,"protocol":1}`

// scripted is an agent connected to a scripted LNS, on a simulated radio.
type scripted struct {
	w      *world
	lns    *scriptLNS
	a      *agent.Agent
	logs   *logSink
	states *states
	conn   *websocket.Conn // traffic socket
	mux    float64         // last MuxTime sent to the agent
	muxAt  time.Time       // when it was sent
	start  uint32          // the radio counter at t0
}

// newScripted starts an agent against a scripted LNS and plays discovery,
// version and routerConfigEU.
func newScripted(t *testing.T, copts sim.ConcentratorOptions, edit func(*agent.Options)) *scripted {
	t.Helper()
	return newScriptedRC(t, copts, routerConfigEU, edit)
}

// newScriptedRC is newScripted with the given router_config.
func newScriptedRC(t *testing.T, copts sim.ConcentratorOptions, rc string, edit func(*agent.Options)) *scripted {
	t.Helper()
	s := &scripted{w: newWorld(t, copts), lns: newScriptLNS(t), logs: newLogSink(), states: newStates(), mux: muxTime, muxAt: t0, start: copts.CounterStart}
	opts := scriptedOptions(s.w, s.lns, s.logs, s.states)
	if edit != nil {
		edit(&opts)
	}
	a, err := agent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.a = a
	runAgent(t, a)
	s.lns.discovery(t)
	s.conn = accept(t, s.lns.traffic)
	if got, want := read(t, s.conn), `{"msgtype":"version","station":"2.0.6(linux/std)","firmware":"v1.2","package":"v1.2","model":"linux","protocol":2,"features":""}`; got != want {
		t.Fatalf("version\n got %s\nwant %s", got, want)
	}
	write(t, s.conn, rc)
	s.states.wait(t, agent.StateConnected, s.logs)
	return s
}

// scriptedOptions are the options of an agent on w's radio that talks to
// lns: an SX1257 board, Station 2.0.6's version, short reconnect waits.
func scriptedOptions(w *world, lns *scriptLNS, logs *logSink, st *states) agent.Options {
	pub, clk := true, 1
	txOn := true
	return agent.Options{
		RouterEUI: routerEUI,
		TC:        agent.Credentials{URI: lns.uri()},
		Radio:     w.gw,
		Board: station.SX130xConf{LorawanPublic: &pub, ClkSrc: &clk,
			Radios: [2]*station.RadioConf{{Type: "SX1257", TxEnable: &txOn}, {Type: "SX1257"}}},
		Version: station.Version{Station: "2.0.6(linux/std)", Firmware: "v1.2", Package: "v1.2"},
		Clock:   vclock{w.clock},
		Logger:  slog.New(logs),
		OnState: st.on,
		Reconnect: agent.Reconnect{MuxsBackoff: []time.Duration{10 * time.Millisecond},
			InfosStep: 10 * time.Millisecond, InfosMax: 20 * time.Millisecond, Jitter: -1},
	}
}

// expectUpdf reads the updf of frame f, sent by d with frame counter fcnt,
// and checks it byte for byte; it returns the uplink's xtime.
func (s *scripted) expectUpdf(t *testing.T, d *abpDevice, f sim.Frame, fcnt int, gpstime station.GPSTime) station.XTime {
	t.Helper()
	got := read(t, s.conn)
	p := f.Payload
	frm := p[9 : len(p)-4]
	mic := int32(binary.LittleEndian.Uint32(p[len(p)-4:]))
	xt := s.xtimeAt(f.End)
	rssi, snr := s.w.rssiSNR(f)
	since := f.End.Sub(t0)
	want := fmt.Sprintf(`{"msgtype":"updf","MHdr":64,"DevAddr":%d,"FCtrl":0,"FCnt":%d,"FOpts":"","FPort":1,"FRMPayload":"%X","MIC":%d,`+
		`"RefTime":%s,"DR":5,"Freq":%d,"upinfo":{"rctx":0,"xtime":%d,"gpstime":%d,"fts":-1,"rssi":%d,"snr":%s,"rxtime":%s}}`,
		int32(binary.BigEndian.Uint32(d.devAddr[:])), fcnt, frm, mic, stationTime(s.mux, f.End.Sub(s.muxAt)), f.Freq, int64(xt), gpstime, rssi, snr, utcTime(muxTime, since))
	if got != want {
		t.Fatalf("updf\n got %s\nwant %s", got, want)
	}
	return xt
}

// expectDntxed reads a dntxed and checks it byte for byte.
func (s *scripted) expectDntxed(t *testing.T, d *abpDevice, diid, dr int, freq uint32, xt station.XTime) {
	t.Helper()
	got := read(t, s.conn)
	// The agent's clock (ustime) and the radio counter both started at t0.
	txtime, err := station.Seconds(float64(xt.Micros()-int64(s.start)) / 1e6).MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"msgtype":"dntxed","seqno":%d,"diid":%d,"DR":%d,"Freq":%d,"DevEui":"%s","rctx":0,"xtime":%d,"txtime":%s,"gpstime":0}`,
		diid, diid, dr, freq, station.FormatEUI(d.devEUI), int64(xt), txtime)
	if got != want {
		t.Fatalf("dntxed\n got %s\nwant %s", got, want)
	}
}

// xtimeAt is the xtime of instant at: the counter widened to 48 bits.
func (s *scripted) xtimeAt(at time.Time) station.XTime {
	return station.NewXTime(0, s.a.Stats().Session, int64(s.start)+at.Sub(t0).Microseconds())
}

// send writes a downlink message and waits until the radio has queued a
// frame (the simulated concentrator sets a timer for it).
func (s *scripted) send(t *testing.T, msg string) {
	t.Helper()
	set := s.w.clock.TimerSet()
	write(t, s.conn, msg)
	select {
	case <-set:
	case <-time.After(waitTimeout):
		t.Fatalf("no frame queued for %s\nlogs:\n%s", msg, s.logs.text())
	}
}

func dnmsgJSON(d *abpDevice, diid int, pdu []byte, rx1 bool, xt station.XTime) string {
	var b strings.Builder
	fmt.Fprintf(&b, `{"msgtype":"dnmsg","DevEui":"%s","dC":0,"diid":%d,"pdu":"%X","RxDelay":1,`, station.FormatEUI(d.devEUI), diid, pdu)
	if rx1 {
		b.WriteString(`"RX1DR":5,"RX1Freq":868100000,`)
	}
	fmt.Fprintf(&b, `"RX2DR":0,"RX2Freq":869525000,"priority":0,"xtime":%d}`, int64(xt))
	return b.String()
}

// TestScriptedLNS plays Station's peer against the agent: discovery,
// version, router_config with an sx1301_conf array, uplinks, every dnmsg
// variant and the messages the agent must refuse or ignore.
func TestScriptedLNS(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, nil)
	w := s.w
	d := w.device(1, sim.ClassA)

	t.Run("rx1", func(t *testing.T) {
		f := w.uplink(d, "a")
		if f.Freq != 868_100_000 && f.Freq != 868_300_000 && f.Freq != 868_500_000 {
			t.Fatalf("device sent on %d Hz", f.Freq)
		}
		xt := s.expectUpdf(t, d, f, 0, 0)
		// RX1 on the uplink's own channel (EU868), as an LNS asks.
		msg := strings.Replace(dnmsgJSON(d, 1, d.dataDown(t, "rx1"), true, xt), "868100000", fmt.Sprint(f.Freq), 1)
		s.send(t, msg)
		w.clock.AdvanceTo(f.End.Add(1500 * time.Millisecond))
		dn := w.nextFrame(true)
		if want := f.End.Add(time.Second); !dn.Start.Equal(want) || dn.Freq != f.Freq || dn.SpreadingFactor != 7 {
			t.Errorf("downlink at %v on %d Hz SF%d, want %v on %d Hz SF7", dn.Start, dn.Freq, dn.SpreadingFactor, want, f.Freq)
		}
		if dn.Power != 16 {
			t.Errorf("downlink at %.1f dBm, want 16 (EU868 default, max_eirp 16)", dn.Power)
		}
		d.expectDownlink(t, sim.WindowRX1, "rx1")
		s.expectDntxed(t, d, 1, 5, f.Freq, xt.Add(time.Second))
	})

	t.Run("rx1 too late, rx2", func(t *testing.T) {
		f := w.uplink(d, "b")
		xt := s.expectUpdf(t, d, f, 1, 0)
		w.clock.AdvanceTo(f.End.Add(1200 * time.Millisecond)) // RX1 has passed
		s.send(t, dnmsgJSON(d, 2, d.dataDown(t, "late"), true, xt))
		w.clock.AdvanceTo(f.End.Add(4 * time.Second))
		dn := w.nextFrame(true)
		if want := f.End.Add(2 * time.Second); !dn.Start.Equal(want) || dn.Freq != 869_525_000 || dn.SpreadingFactor != 12 {
			t.Errorf("downlink at %v on %d Hz SF%d, want %v on 869525000 Hz SF12", dn.Start, dn.Freq, dn.SpreadingFactor, want)
		}
		if dn.Power != 16 {
			t.Errorf("RX2 downlink at %.1f dBm, want 16 (max_eirp caps the 27 dBm band)", dn.Power)
		}
		d.expectDownlink(t, sim.WindowRX2, "late")
		s.expectDntxed(t, d, 2, 0, 869_525_000, xt.Add(2*time.Second))
	})

	t.Run("rx2 only", func(t *testing.T) {
		f := w.uplink(d, "c")
		xt := s.expectUpdf(t, d, f, 2, 0)
		s.send(t, dnmsgJSON(d, 3, d.dataDown(t, "rx2"), false, xt))
		w.clock.AdvanceTo(f.End.Add(4 * time.Second))
		dn := w.nextFrame(true)
		if want := f.End.Add(2 * time.Second); !dn.Start.Equal(want) || dn.Freq != 869_525_000 {
			t.Errorf("downlink at %v on %d Hz, want %v on 869525000 Hz", dn.Start, dn.Freq, want)
		}
		d.expectDownlink(t, sim.WindowRX2, "rx2")
		s.expectDntxed(t, d, 3, 0, 869_525_000, xt.Add(2*time.Second))
	})

	t.Run("rx1 busy, rx2", func(t *testing.T) {
		// Two answers to one uplink: the second overlaps the first in RX1,
		// the radio refuses it as busy, and it goes out in RX2.
		f := w.uplink(d, "e")
		xt := s.expectUpdf(t, d, f, 3, 0)
		rx1 := strings.Replace(dnmsgJSON(d, 5, d.dataDown(t, "first"), true, xt), "868100000", fmt.Sprint(f.Freq), 1)
		s.send(t, rx1)
		second := strings.Replace(dnmsgJSON(d, 6, []byte{0x60, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4}, true, xt), "868100000", fmt.Sprint(f.Freq), 1)
		s.send(t, second)
		w.clock.AdvanceTo(f.End.Add(4 * time.Second))
		for i, want := range []struct {
			at   time.Duration
			freq uint32
		}{{time.Second, f.Freq}, {2 * time.Second, 869_525_000}} {
			dn := w.nextFrame(true)
			if !dn.Start.Equal(f.End.Add(want.at)) || dn.Freq != want.freq {
				t.Errorf("downlink %d at %v on %d Hz, want %v on %d Hz", i, dn.Start.Sub(f.End), dn.Freq, want.at, want.freq)
			}
		}
		d.expectDownlink(t, sim.WindowRX1, "first")
		s.expectDntxed(t, d, 5, 5, f.Freq, xt.Add(time.Second))
		s.expectDntxed(t, d, 6, 0, 869_525_000, xt.Add(2*time.Second))
	})

	t.Run("class C", func(t *testing.T) {
		c := w.device(2, sim.ClassC)
		now := w.clock.Now()
		// The LNS's MuxTime moves the agent's RefTime on (not its UTC).
		s.send(t, fmt.Sprintf(`{"msgtype":"dnmsg","DevEui":"%s","dC":2,"diid":4,"pdu":"%X","RxDelay":0,"RX2DR":0,"RX2Freq":869525000,"priority":0,"MuxTime":1795783700.25}`,
			station.FormatEUI(c.devEUI), c.dataDown(t, "class c")))
		s.mux, s.muxAt = 1795783700.25, now
		w.clock.AdvanceTo(now.Add(2 * time.Second))
		dn := w.nextFrame(true)
		if want := now.Add(agent.DefaultTxLead); !dn.Start.Equal(want) || dn.Freq != 869_525_000 {
			t.Errorf("class C downlink at %v on %d Hz, want %v on 869525000 Hz", dn.Start, dn.Freq, want)
		}
		c.expectDownlink(t, sim.WindowC, "class c")
		s.expectDntxed(t, c, 4, 0, 869_525_000, station.NewXTime(0, s.a.Stats().Session, int64(counterAt(0, dn.Start))))
	})

	t.Run("refused", func(t *testing.T) {
		f := w.uplink(d, "d")
		xt := s.expectUpdf(t, d, f, 4, 0)
		before := s.a.Stats()
		other := station.NewXTime(0, s.a.Stats().Session^0x5a, xt.Micros())
		cases := []struct{ name, msg, reason string }{
			{"frequency outside freq_range", strings.Replace(dnmsgJSON(d, 10, []byte{1}, true, xt), "868100000", "915000000", 1), "illegal frequency value 915000000"},
			{"RX2 frequency outside freq_range", strings.Replace(dnmsgJSON(d, 11, []byte{1}, true, xt), "869525000", "862000000", 1), "illegal frequency value 862000000"},
			{"data rate not in DRs", strings.Replace(dnmsgJSON(d, 12, []byte{1}, true, xt), `"RX1DR":5`, `"RX1DR":9`, 1), "illegal datarate value 9"},
			{"xtime of another session", dnmsgJSON(d, 13, []byte{1}, true, other), "another radio session"},
			{"RX1 by halves", strings.Replace(dnmsgJSON(d, 14, []byte{1}, true, xt), `"RX1DR":5,`, "", 1), "must come together"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				write(t, s.conn, c.msg)
				s.logs.wait(t, "dnmsg refused", map[string]string{"reason": c.reason})
			})
		}
		w.clock.AdvanceTo(f.End.Add(4 * time.Second))
		after := s.a.Stats()
		if after.Downlinks != before.Downlinks || after.Refused != before.Refused+len(cases) {
			t.Errorf("downlinks %d→%d, refused %d→%d; want no downlink and %d refusals",
				before.Downlinks, after.Downlinks, before.Refused, after.Refused, len(cases))
		}
		select {
		case dn := <-w.frames:
			t.Errorf("a frame went on the air at %v: %+v", dn.Start, dn)
		default:
		}
	})

	t.Run("dnsched", func(t *testing.T) {
		// An absolute xtime: sent then, with no alternative and no dntxed.
		at := w.clock.Now().Add(500 * time.Millisecond)
		s.send(t, fmt.Sprintf(`{"msgtype":"dnsched","schedule":[{"diid":20,"priority":0,"DR":3,"Freq":869525000,"xtime":%d,"pdu":"E0010203","rctx":0}]}`,
			int64(s.xtimeAt(at))))
		w.clock.AdvanceTo(at.Add(time.Second))
		dn := w.nextFrame(true)
		if !dn.Start.Equal(at) || dn.Freq != 869_525_000 || dn.SpreadingFactor != 9 || string(dn.Payload) != "\xe0\x01\x02\x03" {
			t.Errorf("dnsched frame at %v on %d Hz SF%d %x, want %v on 869525000 Hz SF9 e0010203", dn.Start, dn.Freq, dn.SpreadingFactor, dn.Payload, at)
		}
		// No dntxed: the next message is the answer to this getxtime.
		write(t, s.conn, `{"msgtype":"getxtime","MuxTime":1795783700.5}`)
		if got := read(t, s.conn); !strings.HasPrefix(got, `{"msgtype":"getxtime"`) {
			t.Errorf("after a dnsched: %s, want no dntxed", got)
		}
	})

	t.Run("ignored and refused messages", func(t *testing.T) {
		marker := filepath.Join(t.TempDir(), "ran")
		for _, msg := range []string{
			`{"msgtype":"foobar","x":1}`,
			`{"msgtype":"error","error":"something went wrong"}`,
			`{"msgtype":"rmtsh","user":"root","start":0,"term":"xterm","MuxTime":1795783690.0}`,
			`{"msgtype":"runcmd","command":"/usr/bin/touch","arguments":["` + marker + `"]}`,
		} {
			write(t, s.conn, msg)
		}
		s.logs.wait(t, "unknown msgtype from the LNS ignored", nil)
		s.logs.wait(t, "LNS error message", map[string]string{"error": "something went wrong"})
		s.logs.wait(t, "rmtsh refused: not enabled in the configuration", nil)
		s.logs.wait(t, "runcmd refused: not enabled in the configuration", map[string]string{"command": "/usr/bin/touch"})
		// The connection is still up: getxtime is answered.
		now := w.clock.Now()
		write(t, s.conn, `{"msgtype":"getxtime","MuxTime":1795783700.5}`)
		got := read(t, s.conn)
		since := now.Sub(t0)
		xt := station.NewXTime(0, s.a.Stats().Session, int64(counterAt(0, now)))
		want := fmt.Sprintf(`{"msgtype":"getxtime","MuxTime":1795783700.500000,"ustime":%s,"UTCtime":%s,"xtimes":[%d,0,0,0]}`,
			secs(since), utcTime(muxTime, since), int64(xt))
		if got != want {
			t.Errorf("getxtime\n got %s\nwant %s", got, want)
		}
		if _, err := os.Stat(marker); !os.IsNotExist(err) {
			t.Errorf("runcmd was executed (stat: %v)", err)
		}
	})

	if st := s.a.Stats(); st.TimesyncSent != 0 {
		t.Errorf("%d timesync sent without a PPS", st.TimesyncSent)
	}
}

// TestRuncmdAllowed runs the LNS's command when the configuration allows
// it, without a shell.
func TestRuncmdAllowed(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, func(o *agent.Options) { o.AllowRunCmd = true })
	marker := filepath.Join(t.TempDir(), "a file; rm -rf /")
	write(t, s.conn, `{"msgtype":"runcmd","command":"/usr/bin/touch","arguments":["`+marker+`"]}`)
	s.logs.wait(t, "runcmd finished", map[string]string{"command": "/usr/bin/touch"})
	if _, err := os.Stat(marker); err != nil {
		t.Errorf("command not run: %v", err)
	}
	// Output is counted, stdout and stderr together, not kept.
	write(t, s.conn, `{"msgtype":"runcmd","command":"/bin/sh","arguments":["-c","head -c 3000000 /dev/zero; head -c 5 /dev/zero >&2"]}`)
	s.logs.wait(t, "runcmd finished", map[string]string{"command": "/bin/sh", "output_bytes": "3000005"})
}

// TestRuncmdBackgroundChild: a command that leaves a child behind holding
// its output (here a shell that starts "sleep" in the background and
// exits) is reported finished soon after it exits, and does not hold up
// the agent: Station does not wait for such commands at all.
func TestRuncmdBackgroundChild(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, func(o *agent.Options) { o.AllowRunCmd = true })
	write(t, s.conn, `{"msgtype":"runcmd","command":"/bin/sh","arguments":["-c","sleep 30 & exit 0"]}`)
	s.logs.wait(t, "runcmd finished", map[string]string{"command": "/bin/sh"})
}

// TestTimesync: with a PPS, the agent sends timesync once it has the PPS
// phase, pins GPS time from the LNS's answer, and then stamps uplinks with
// their GPS time. The LNS may also push the GPS time of an xtime.
func TestTimesync(t *testing.T) {
	t.Run("request and answer", func(t *testing.T) {
		s := newScripted(t, sim.ConcentratorOptions{PPS: true}, nil)
		w := s.w
		// A PPS seen at two counter reads in a row gives its phase (a
		// latch of 0, at the radio's start, does not count, as in Station).
		w.clock.AdvanceTo(t0.Add(2 * agent.DefaultTimesyncInterval))
		got := read(t, s.conn)
		txtime := 2 * agent.DefaultTimesyncInterval.Microseconds()
		if want := fmt.Sprintf(`{"msgtype":"timesync","txtime":%d}`, txtime); got != want {
			t.Fatalf("timesync\n got %s\nwant %s", got, want)
		}
		// The LNS reads it at once (the virtual clock stands still).
		gps := station.GPSTimeOf(w.clock.Now())
		write(t, s.conn, fmt.Sprintf(`{"msgtype":"timesync","txtime":%d,"gpstime":%d,"MuxTime":1795783680.000000}`, txtime, gps))
		s.logs.wait(t, "GPS time acquired from the LNS", nil)

		d := w.device(1, sim.ClassA)
		f := w.uplink(d, "gps")
		raw := read(t, s.conn)
		if got, want := jsonField(t, raw, "upinfo"), fmt.Sprintf(`"gpstime":%d`, station.GPSTimeOf(f.End)); !strings.Contains(string(got), want) {
			t.Errorf("upinfo %s, want %s", got, want)
		}

		// With GPS time known, a dnsched entry at a GPS time goes out then.
		at := f.End.Add(3 * time.Second)
		s.send(t, fmt.Sprintf(`{"msgtype":"dnsched","schedule":[{"diid":30,"DR":3,"Freq":869525000,"gpstime":%d,"pdu":"E0"}]}`, station.GPSTimeOf(at)))
		w.clock.AdvanceTo(at.Add(time.Second))
		if dn := w.nextFrame(true); !dn.Start.Equal(at) {
			t.Errorf("dnsched at GPS time: frame at %v, want %v", dn.Start, at)
		}
	})
	t.Run("push", func(t *testing.T) {
		s := newScripted(t, sim.ConcentratorOptions{}, nil)
		w := s.w
		xt := station.NewXTime(0, s.a.Stats().Session, 250_000)
		const g = 1_400_000_000_000_000
		write(t, s.conn, fmt.Sprintf(`{"msgtype":"timesync","xtime":%d,"gpstime":%d}`, int64(xt), g))
		s.logs.wait(t, "GPS time set by the LNS", nil)
		d := w.device(1, sim.ClassA)
		f := w.uplink(d, "gps")
		raw := read(t, s.conn)
		want := fmt.Sprintf(`"gpstime":%d`, g+int64(counterAt(0, f.End))-250_000)
		if got := jsonField(t, raw, "upinfo"); !strings.Contains(string(got), want) {
			t.Errorf("upinfo %s, want %s", got, want)
		}
		if st := s.a.Stats(); st.TimesyncSent != 0 {
			t.Errorf("%d timesync sent without a PPS", st.TimesyncSent)
		}
	})
}

// TestDntxedAtTxStart: Station sends dntxed once the radio is emitting,
// TXCHECK_FUDGE (5 ms) into the frame (s2e_nextTxAction), not when the
// frame has ended: an SF12 RX2 answer is reported 5 ms after it starts,
// while it is still on the air.
func TestDntxedAtTxStart(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, nil)
	w := s.w
	d := w.device(1, sim.ClassA)
	f := w.uplink(d, "a")
	xt := s.expectUpdf(t, d, f, 0, 0)
	write(t, s.conn, dnmsgJSON(d, 7, d.dataDown(t, "rx2 at SF12"), false, xt))
	s.logs.wait(t, "dnmsg queued", map[string]string{"diid": "7"})
	start := f.End.Add(2 * time.Second)
	w.clock.AdvanceTo(start.Add(5 * time.Millisecond))
	s.expectDntxed(t, d, 7, 0, 869_525_000, xt.Add(2*time.Second))
	dn := w.nextFrame(true)
	if !dn.Start.Equal(start) || !dn.End.After(w.clock.Now()) {
		t.Fatalf("frame on the air %v..%v, want from %v and still on at %v", dn.Start, dn.End, start, w.clock.Now())
	}
	w.clock.AdvanceTo(dn.End.Add(time.Second))
	d.expectDownlink(t, sim.WindowRX2, "rx2 at SF12")
	// Nothing more about this frame: the next message answers getxtime.
	write(t, s.conn, `{"msgtype":"getxtime","MuxTime":1795783700.5}`)
	if got := read(t, s.conn); !strings.HasPrefix(got, `{"msgtype":"getxtime"`) {
		t.Errorf("after the frame ended: %s, want no second dntxed", got)
	}
}

// TestDutyCycleFallback: without "nodc", an EU868 RX1 downlink blocks its
// 1 % band for 100 times its airtime; a second device's RX1 in that band
// then goes to RX2, in the 10 % band.
func TestDutyCycleFallback(t *testing.T) {
	rc := strings.Replace(routerConfigEU, `"nocca":true,"nodc":true,"nodwell":true,`, "", 1)
	s := newScriptedRC(t, sim.ConcentratorOptions{}, rc, nil)
	w := s.w
	d1, d2 := w.device(1, sim.ClassA), w.device(2, sim.ClassA)

	f := w.uplink(d1, "one")
	xt := s.expectUpdf(t, d1, f, 0, 0)
	s.send(t, strings.Replace(dnmsgJSON(d1, 1, d1.dataDown(t, "one"), true, xt), "868100000", fmt.Sprint(f.Freq), 1))
	w.clock.AdvanceTo(f.End.Add(1500 * time.Millisecond))
	if dn := w.nextFrame(true); !dn.Start.Equal(f.End.Add(time.Second)) {
		t.Fatalf("first downlink at %v, want RX1", dn.Start.Sub(f.End))
	}
	d1.expectDownlink(t, sim.WindowRX1, "one")
	s.expectDntxed(t, d1, 1, 5, f.Freq, xt.Add(time.Second))

	f = w.uplink(d2, "two")
	xt = s.expectUpdf(t, d2, f, 0, 0)
	s.send(t, strings.Replace(dnmsgJSON(d2, 2, d2.dataDown(t, "two"), true, xt), "868100000", fmt.Sprint(f.Freq), 1))
	w.clock.AdvanceTo(f.End.Add(4 * time.Second))
	if dn := w.nextFrame(true); !dn.Start.Equal(f.End.Add(2*time.Second)) || dn.Freq != 869_525_000 {
		t.Fatalf("second downlink at %v on %d Hz, want RX2", dn.Start.Sub(f.End), dn.Freq)
	}
	d2.expectDownlink(t, sim.WindowRX2, "two")
	s.expectDntxed(t, d2, 2, 0, 869_525_000, xt.Add(2*time.Second))
}

// TestNodcKept: Station's nodc is a switch that a router_config sets only
// when it carries the key (s2e_dcDisabled in handle_router_config): a
// later router_config without "nodc" leaves the duty cycle off, so two
// RX1 answers in one 1 % band both go out in RX1.
func TestNodcKept(t *testing.T) {
	s := newScripted(t, sim.ConcentratorOptions{}, nil) // nodc: true
	w := s.w
	write(t, s.conn, strings.Replace(routerConfigEU, `"nocca":true,"nodc":true,"nodwell":true,`, "", 1))
	s.logs.wait(t, "router_config applied", map[string]string{"radio_restarted": "false"})
	d1, d2 := w.device(1, sim.ClassA), w.device(2, sim.ClassA)
	for i, d := range []*abpDevice{d1, d2} {
		f := w.uplink(d, "up")
		xt := s.expectUpdf(t, d, f, 0, 0)
		s.send(t, strings.Replace(dnmsgJSON(d, i+1, d.dataDown(t, "down"), true, xt), "868100000", fmt.Sprint(f.Freq), 1))
		w.clock.AdvanceTo(f.End.Add(4 * time.Second))
		if dn := w.nextFrame(true); !dn.Start.Equal(f.End.Add(time.Second)) || dn.Freq != f.Freq {
			t.Fatalf("downlink %d at %v on %d Hz, want RX1 on %d Hz", i+1, dn.Start.Sub(f.End), dn.Freq, f.Freq)
		}
		d.expectDownlink(t, sim.WindowRX1, "down")
		s.expectDntxed(t, d, i+1, 5, f.Freq, xt.Add(time.Second))
	}
}

// TestReconnectSchedule follows Station's tc_continue (src/tc.c): after a
// traffic connection that was open closes, the agent retries the same
// traffic URI, once per MuxsBackoff entry while each retry opens and
// closes again; a retry that cannot open the socket at all (here the LNS
// answers 503) sends it back to router-info at once, as Station's
// TC_ERR_FAILED does.
func TestReconnectSchedule(t *testing.T) {
	const traffic, infos = "/traffic/b827ebfffe6151a5", "/router-info"
	backoff := []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond}
	start := func(t *testing.T) *scripted {
		s := newScripted(t, sim.ConcentratorOptions{}, func(o *agent.Options) {
			o.Reconnect = agent.Reconnect{MuxsBackoff: backoff, InfosStep: 5 * time.Millisecond, InfosMax: 10 * time.Millisecond, Jitter: -1}
		})
		for {
			select {
			case <-s.lns.reqs:
				continue
			default:
			}
			return s
		}
	}
	// requests returns the paths of the next n requests.
	requests := func(t *testing.T, s *scripted, n int, each func()) []string {
		t.Helper()
		var paths []string
		for len(paths) < n {
			select {
			case r := <-s.lns.reqs:
				paths = append(paths, r.URL.Path)
				if r.URL.Path == traffic && each != nil {
					each()
				}
			case <-time.After(waitTimeout):
				t.Fatalf("requests %v, then nothing", paths)
			}
		}
		return paths
	}
	// reconnect lets the agent in again and checks it comes back with the
	// same radio session.
	reconnect := func(t *testing.T, s *scripted) {
		t.Helper()
		s.lns.refuseTraffic.Store(false)
		s.lns.discovery(t)
		c := accept(t, s.lns.traffic)
		if got := read(t, c); !strings.HasPrefix(got, `{"msgtype":"version"`) {
			t.Fatalf("first message %s, want version", got)
		}
		write(t, c, routerConfigEU)
		s.states.wait(t, agent.StateConnected, s.logs)
		if st := s.a.Stats(); st.RadioStarts != 1 {
			t.Errorf("radio started %d times; the same router_config must keep it running", st.RadioStarts)
		}
	}

	t.Run("retry refused", func(t *testing.T) {
		s := start(t)
		s.lns.refuseTraffic.Store(true)
		s.conn.Close()
		s.states.wait(t, agent.StateDisconnected, s.logs)
		got := requests(t, s, 2, nil)
		if want := []string{traffic, infos}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("requests after the close: %v, want %v", got, want)
		}
		reconnect(t, s)
	})

	t.Run("retries that open and close", func(t *testing.T) {
		s := start(t)
		s.conn.Close()
		// Each retry is let in and closed before any router_config.
		closeNext := func() {
			c := accept(t, s.lns.traffic)
			read(t, c) // version
			c.Close()
		}
		got := requests(t, s, len(backoff)+1, closeNext)
		want := []string{traffic, traffic, traffic, infos}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("requests after the close: %v, want %v", got, want)
		}
		reconnect(t, s)
	})
}

// TestDiscovery checks what the agent makes of router-info answers: a
// traffic URI Station would refuse is a failure, an error or a missing URI
// a rejection (reported to OnRejected); either way it asks again.
func TestDiscovery(t *testing.T) {
	tests := []struct {
		name     string
		answer   string
		rejected bool
		logged   string
	}{
		{"error", `{"router":"b827:ebff:fe61:51a5","error":"unknown gateway"}`, true, "unknown gateway"},
		{"no uri", `{"router":"b827:ebff:fe61:51a5","muxs":"muxs-::0"}`, true, "rejected"},
		{"uri without port", `{"router":"b827:ebff:fe61:51a5","muxs":"muxs-::0","uri":"ws://127.0.0.1/traffic"}`, false, "port"},
		{"uri without path", `{"router":"b827:ebff:fe61:51a5","muxs":"muxs-::0","uri":"ws://127.0.0.1:1234"}`, false, "path"},
		{"http uri", `{"router":"b827:ebff:fe61:51a5","muxs":"muxs-::0","uri":"http://127.0.0.1:1234/traffic"}`, false, "ws"},
		{"not json", `router`, false, "router-info answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, sim.ConcentratorOptions{})
			lns := newScriptLNS(t)
			logs := newLogSink()
			rejected := make(chan error, 4)
			a, err := agent.New(agent.Options{
				RouterEUI: routerEUI, TC: agent.Credentials{URI: lns.uri()}, Radio: w.gw, Clock: vclock{w.clock},
				Logger: slog.New(logs), OnRejected: func(err error) { rejected <- err },
				Reconnect: agent.Reconnect{InfosStep: time.Millisecond, InfosMax: time.Millisecond, Jitter: -1},
			})
			if err != nil {
				t.Fatal(err)
			}
			runAgent(t, a)
			c := accept(t, lns.infos)
			read(t, c)
			write(t, c, tt.answer)
			logs.wait(t, "router-info failed", map[string]string{"error": tt.logged})
			accept(t, lns.infos) // it asks again, after deciding on OnRejected
			select {
			case err := <-rejected:
				if !tt.rejected || !errors.Is(err, agent.ErrRejected) {
					t.Errorf("OnRejected(%v); rejection expected: %v", err, tt.rejected)
				}
			default:
				if tt.rejected {
					t.Error("OnRejected not called")
				}
			}
		})
	}
}
