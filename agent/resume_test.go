package agent_test

import (
	"context"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store/agentstore"
)

// TestRadioResumesFromRememberedConfig: an agent remembers the LNS's
// router_config in its store; after a restart with the LNS unreachable, it
// starts the radio from it, spools what it hears, and sends that in order
// once the LNS answers, without restarting the radio when the LNS sends
// the same configuration again.
func TestRadioResumesFromRememberedConfig(t *testing.T) {
	ctx := context.Background()
	db, err := agentstore.Open(filepath.Join(t.TempDir(), "agent.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })

	// A first run: the LNS's router_config is remembered, without MuxTime.
	newScripted(t, sim.ConcentratorOptions{}, func(o *agent.Options) { o.ConfigMemory = db })
	b, err := db.LastRouterConfig(ctx)
	if err != nil || b == nil {
		t.Fatalf("LastRouterConfig = %q, %v; want the router_config", b, err)
	}
	m, err := station.Decode(b)
	if err != nil {
		t.Fatalf("remembered router_config: %v", err)
	}
	rc, ok := m.(*station.RouterConfig)
	if !ok || rc.MuxTime != 0 || len(rc.SX130xConf) != 1 {
		t.Fatalf("remembered %s; want a router_config with its sx1301_conf and no MuxTime", b)
	}

	// A restart while the LNS does not answer.
	w := newWorld(t, sim.ConcentratorOptions{})
	d := w.device(1, sim.ClassA)
	lns := newScriptLNS(t)
	logs, st := newLogSink(), newStates()
	opts := scriptedOptions(w, lns, logs, st)
	opts.ConfigMemory = db
	a, err := agent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	runAgent(t, a)
	logs.wait(t, "radio started from the remembered router_config; uplinks are spooled until the LNS answers", nil)
	var frames []sim.Frame
	for i := range 2 {
		frames = append(frames, w.uplink(d, fmt.Sprintf("heard offline %d", i)))
		w.clock.Advance(3 * time.Second) // past the device's RX2 window
	}
	deadline := time.Now().Add(waitTimeout)
	for a.Stats().Spooled < len(frames) {
		if time.Now().After(deadline) {
			t.Fatalf("stats %+v: want %d uplinks spooled\nlogs:\n%s", a.Stats(), len(frames), logs.text())
		}
		time.Sleep(time.Millisecond)
	}

	// The LNS comes back: the same configuration, then the spooled uplinks.
	lns.discovery(t)
	conn := accept(t, lns.traffic)
	if got := read(t, conn); !strings.Contains(got, `"msgtype":"version"`) {
		t.Fatalf("first message %s, want version", got)
	}
	write(t, conn, routerConfigEU)
	for i, f := range frames {
		got := read(t, conn)
		want := strings.ToUpper(hex.EncodeToString(f.Payload[9 : len(f.Payload)-4]))
		if !strings.Contains(got, `"msgtype":"updf"`) || !strings.Contains(got, `"FRMPayload":"`+want+`"`) ||
			!strings.Contains(got, fmt.Sprintf(`"Freq":%d`, f.Freq)) {
			t.Fatalf("uplink %d: got %s; want the updf of FRMPayload %s at %d Hz", i, got, want, f.Freq)
		}
	}
	st.wait(t, agent.StateConnected, logs)
	if s := a.Stats(); s.RadioStarts != 1 || s.Unspooled != len(frames) {
		t.Errorf("stats %+v: want 1 radio start (the same configuration) and %d unspooled", s, len(frames))
	}
}

// TestRadioWaitsWithoutRememberedConfig: with an empty store, or a
// remembered message that is not a usable router_config, the radio waits
// for the LNS as Station's does, and frames are not heard.
func TestRadioWaitsWithoutRememberedConfig(t *testing.T) {
	for _, tc := range []struct {
		name  string
		saved string
		log   string
	}{
		{"nothing remembered", "", ""},
		{"not JSON", "{", "remembered router_config not usable; the radio waits for the LNS"},
		{"another message", `{"msgtype":"timesync","txtime":1}`, "remembered router_config not usable; the radio waits for the LNS"},
		{"no radio configuration", `{"msgtype":"router_config","region":"EU863","hwspec":"sx1301/1","freq_range":[863000000,870000000]}`,
			"remembered router_config not usable; the radio waits for the LNS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := agentstore.Open(filepath.Join(t.TempDir(), "agent.db"), nil)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			if tc.saved != "" {
				if err := db.SaveRouterConfig(context.Background(), []byte(tc.saved)); err != nil {
					t.Fatal(err)
				}
			}
			w := newWorld(t, sim.ConcentratorOptions{})
			lns := newScriptLNS(t)
			logs, st := newLogSink(), newStates()
			opts := scriptedOptions(w, lns, logs, st)
			opts.ConfigMemory = db
			a, err := agent.New(opts)
			if err != nil {
				t.Fatal(err)
			}
			runAgent(t, a)
			// The agent is in discovery once the LNS has its router-info
			// request; by then a remembered config would have started the
			// radio.
			<-lns.reqs
			if tc.log != "" {
				logs.wait(t, tc.log, nil)
			}
			if s := a.Stats(); s.RadioStarts != 0 {
				t.Errorf("stats %+v: the radio started from %q", s, tc.saved)
			}
		})
	}
}
