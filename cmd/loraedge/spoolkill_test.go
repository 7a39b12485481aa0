package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/loraedge/loraedge/cloud"
	"github.com/loraedge/loraedge/cloud/broker"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/agentstore"
)

// The simulated devices of the spool test: two LoRaWAN 1.0.3 class A
// devices (the agent's simulated devices are OTAA only).
var spoolDevices = []struct{ devEUI, appKey string }{
	{"70b3d57ed00000a1", "2b7e151628aed2a6abf7158809cf4f3c"},
	{"70b3d57ed00000a2", "000102030405060708090a0b0c0d0e0f"},
}

const (
	spoolGatewayEUI = "0016c001ff10a2a1"
	spoolJoinEUI    = "70b3d57ed0000000"
	spoolTopic      = "spooltest/{{.DevEui}}"
	spoolFilter     = "spooltest/#"
	// spoolInFlight is how long a frame the device reported sent may still
	// be on its way into the spool when the agent is killed: its time on
	// air (about 50 ms at DR5) and the agent's handling and bbolt commit.
	spoolInFlight = 1500 * time.Millisecond
	// spoolPerDevice is how many uplinks of each device the test waits to
	// see spooled before the kill.
	spoolPerDevice = 3
)

// TestAgentSpoolSurvivesSIGKILL runs the real binary's agent with simulated
// devices against a cloud on 127.0.0.1, stops the cloud so that the agent
// spools, kills the agent with SIGKILL, then restarts the cloud and the
// agent on the same data directories. The uplinks spooled before the kill
// must be intact in agent.db (bbolt and counter check), and must then
// reach the destination topic exactly once each, in order, with the radio
// metadata they were received with before the kill.
//
// The agent cannot spool before its first router_config (the radio starts
// with it, as Station's does) and its simulated devices are OTAA, so the
// test lets the agent connect and the devices join first, then takes the
// LNS away.
func TestAgentSpoolSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the agent binary and a cloud for about half a minute")
	}
	t.Setenv(store.EnvKEK, "")
	dir := t.TempDir()
	bin := buildLoraedge(t, dir)

	ctx, cancel := context.WithTimeout(context.Background(), 55*time.Second)
	defer cancel()
	// The destinations' broker runs beside the cloud, for the whole test:
	// the embedded one's shutdown can deadlock (mochi-mqtt/server#488), and
	// the subscription stays up across the cloud's restart.
	mqttBroker := startTestBroker(ctx, t)
	dest := watchDestination(ctx, t, mqttBroker)

	// The cloud's store, CA, gateway, destination and devices, and the
	// gateway's Station home, written by the admin commands.
	cloudConf := filepath.Join(dir, "cloud.toml")
	writeTestFiles(t, dir, map[string]string{"cloud.toml": fmt.Sprintf(`data_dir = %q
log_level = "info"
[gateways]
listen = "127.0.0.1:%d"
public_host = "127.0.0.1"
[mqtt]
broker = %q
[api]
listen = "127.0.0.1:0"
`, filepath.Join(dir, "cloud"), freePort(t), mqttBroker.URL())})
	admin := func(args ...string) {
		t.Helper()
		var out, errOut bytes.Buffer
		if c := run(ctx, append(args, "--config", cloudConf), &out, &errOut); c != exitOK {
			t.Fatalf("loraedge %s: exit %d\n%s%s", strings.Join(args, " "), c, out.String(), errOut.String())
		}
	}
	admin("gateway", "add", "--eui", spoolGatewayEUI, "--region", "EU868", "--name", "spool-gateway")
	admin("destination", "add", "spooltest", "--mqtt-topic", spoolTopic)
	for i, d := range spoolDevices {
		admin("device", "add", "--deveui", d.devEUI, "--joineui", spoolJoinEUI, "--appkey", d.appKey,
			"--mac", "1.0.3", "--class", "A", "--region", "EU868", "--destination", "spooltest",
			"--name", fmt.Sprintf("spool-%d", i+1))
	}
	home := filepath.Join(dir, "station")
	admin("gateway", "cert", "--eui", spoolGatewayEUI, "--out", home)

	agentData := filepath.Join(dir, "agent")
	agentConf := filepath.Join(dir, "agent.toml")
	var devs strings.Builder
	for _, d := range spoolDevices {
		fmt.Fprintf(&devs, `[[radio.sim.devices]]
dev_eui = %q
join_eui = %q
app_key = %q
mac_version = "1.0.3"
class = "A"
data_rate = 5
interval = "1s"
fport = 1
payload = "0102"
`, d.devEUI, spoolJoinEUI, d.appKey)
	}
	writeTestFiles(t, dir, map[string]string{"agent.toml": fmt.Sprintf(`data_dir = %q
log_level = "debug"
[radio]
backend = "sim"
[radio.sim]
region = "EU868"
path_loss = 110.0
%s
[reconnect]
muxs_backoff = "500ms"
infos_step = "1s"
infos_max = "2s"
`, agentData, devs.String())})

	cloudCfg, err := cloud.LoadConfig(cloudConf)
	if err != nil {
		t.Fatal(err)
	}
	var cloudLog1, cloudLog2 lockedBuffer
	var agent1, agent2 *agentProc
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, l := range []struct {
			name string
			text func() string
		}{
			{"first cloud", cloudLog1.String}, {"second cloud", cloudLog2.String},
			{"first agent", agent1.logText}, {"second agent", agent2.logText},
		} {
			t.Logf("%s log (tail):\n%s", l.name, tailLines(l.text(), 120))
		}
	})

	// 1. Cloud up, agent connected, both devices joined and sending live.
	cloud1 := startSpoolCloud(t, cloudCfg, &cloudLog1)
	agent1 = startAgentProcess(t, bin, home, agentConf)
	if !waitChange(ctx, &dest.n, func() bool {
		for _, d := range spoolDevices {
			if len(dest.uplinksOf(d.devEUI)) == 0 {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("no live uplink of every device on %s (got %d)", spoolFilter, len(dest.all()))
	}

	// 2. The LNS goes away, right after an uplink arrived (the next one is
	// about a second away). The agent keeps its radio and spools.
	stopped := time.Now()
	cloud1.stop(t)
	liveUps := dest.all()
	var disconnected time.Time
	if !waitChange(ctx, &agent1.log.n, func() bool {
		for _, e := range agent1.log.events() {
			if e.at.After(stopped.Add(-time.Second)) && (e.msg == "LNS closed the connection" || e.msg == "connection to the LNS lost") {
				disconnected = e.at
				return true
			}
		}
		return false
	}) {
		t.Fatal("the agent did not notice that the LNS went away")
	}
	if !waitChange(ctx, &agent1.log.n, func() bool {
		for _, d := range spoolDevices {
			if n := len(settledSends(agent1.log.events(), d.devEUI, disconnected, time.Now())); n < spoolPerDevice {
				return false
			}
		}
		return true
	}) {
		t.Fatalf("the devices did not send %d uplinks each while the LNS was away", spoolPerDevice)
	}

	// 3. kill -9.
	killed := time.Now()
	if err := agent1.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := agent1.wait(ctx); err == nil || !killedBySIGKILL(err) {
		t.Fatalf("first agent ended with %v, want killed by SIGKILL", err)
	}
	events1 := agent1.log.events()
	session1 := radioSessions(events1)
	if len(session1) != 1 {
		t.Fatalf("first agent started its radio with sessions %v, want exactly one", session1)
	}
	addrs := joinedAddrs(events1)
	for _, d := range spoolDevices {
		if addrs[d.devEUI] == "" {
			t.Fatalf("no join of %s in the first agent's log", d.devEUI)
		}
	}

	// The spool as the kill left it: intact, and holding what was sent
	// while the LNS was away.
	spooled := readSpool(t, filepath.Join(agentData, agentstore.DefaultDBFile))
	if len(spooled) < spoolPerDevice*len(spoolDevices) {
		t.Fatalf("%d uplinks in the spool after the kill, want at least %d", len(spooled), spoolPerDevice*len(spoolDevices))
	}
	checkSpoolRecords(t, spooled, addrs, session1[0], stopped, killed)
	checkNothingLost(t, events1, liveUps, spooled, addrs, stopped, disconnected, killed)

	// 4. The cloud back on the same port and data, then the agent on the
	// same home and data directory.
	if got := dest.all(); len(got) != len(liveUps) {
		t.Fatalf("%d uplinks reached the destination while the cloud was down", len(got)-len(liveUps))
	}
	cloud2 := startSpoolCloud(t, cloudCfg, &cloudLog2)
	restarted := time.Now()
	agent2 = startAgentProcess(t, bin, home, agentConf)
	old := map[string]bool{} // the first run's DevAddrs
	for _, a := range addrs {
		old[a] = true
	}
	oldUplinks := func() []destUplink {
		var out []destUplink
		for _, u := range dest.all()[len(liveUps):] {
			if old[u.DevAddr] {
				out = append(out, u)
			}
		}
		return out
	}
	if !waitChange(ctx, &dest.n, func() bool { return len(oldUplinks()) >= len(spooled) }) {
		t.Fatalf("%d of the %d spooled uplinks reached the destination after the restart", len(oldUplinks()), len(spooled))
	}
	delivered := time.Now()
	// Every spooled updf was read by the LNS before the last one was
	// routed (200 ms later): none was sent twice.
	st := cloud2.pipe.Stats()
	if got := st.Messages["updf"]; got != uint64(len(spooled)) {
		t.Errorf("the LNS got %d updf messages after the restart, want the %d spooled", got, len(spooled))
	}
	checkRedelivered(t, oldUplinks(), spooled, restarted)

	// 5. A clean stop leaves an empty, intact spool.
	if err := agent2.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := agent2.wait(ctx); err != nil {
		t.Errorf("second agent ended with %v after SIGINT, want exit 0", err)
	}
	cloud2.stop(t)
	st = cloud2.pipe.Stats()
	for _, r := range []string{"replay", "old_fcnt", "unknown_devaddr", "wrong_mic", "overload"} {
		if st.Refused[r] != 0 {
			t.Errorf("the LNS refused %d uplinks as %s after the restart, want none", st.Refused[r], r)
		}
	}
	if st.Dedup.Repeats != 0 || st.Dedup.Late != 0 {
		t.Errorf("the LNS saw %d repeated and %d late copies after the restart, want none", st.Dedup.Repeats, st.Dedup.Late)
	}
	if got := oldUplinks(); len(got) != len(spooled) {
		t.Errorf("%d uplinks of the first sessions reached the destination after the restart, want the %d spooled", len(got), len(spooled))
	}
	log2 := agent2.log.events()
	if n, ok := lastInt(log2, "uplinks spooled from an earlier run will be sent after connecting", "spooled"); !ok || n != len(spooled) {
		t.Errorf("second agent announced %d (found %v) spooled uplinks at start, want %d", n, ok, len(spooled))
	}
	// The second agent starts its radio from the remembered router_config
	// before it connects: a join-request heard in that moment is spooled
	// too, so it may send more than the first run's records.
	if n := sumInt(log2, "spooled uplinks sent", "count"); n < len(spooled) {
		t.Errorf("second agent logged %d spooled uplinks sent, want at least the %d of the first run", n, len(spooled))
	}
	if len(radioSessions(log2)) != 1 {
		t.Errorf("second agent started its radio with sessions %v, want exactly one (the remembered configuration is the LNS's)", radioSessions(log2))
	}
	db, err := agentstore.Open(filepath.Join(agentData, agentstore.DefaultDBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Check(context.Background()); err != nil {
		t.Errorf("agent.db after the second run: %v", err)
	}
	if s := db.SpoolStats(); s.Len != 0 || s.Dropped != 0 || s.DroppedByAge != 0 {
		t.Errorf("spool after the second run = %+v, want empty with nothing dropped", s)
	}
	for name, p := range map[string]*agentProc{"first": agent1, "second": agent2} {
		if strings.Contains(p.logText(), "WARNING: DATA RACE") {
			t.Errorf("the %s agent reported a data race", name)
		}
	}
	t.Logf("%d uplinks live, %d spooled and delivered after the kill; LNS stop→kill %v, restart→all delivered %v",
		len(liveUps), len(spooled), killed.Sub(stopped).Round(time.Millisecond), delivered.Sub(restarted).Round(time.Millisecond))
}

// spoolEntry is one spooled uplink, decoded.
type spoolEntry struct {
	id         uint64
	receivedAt time.Time
	devAddr    string // 8 hex digits
	up         *station.Updf
	mic        string // 8 hex digits, as the destination writes it
}

// readSpool opens agent.db of a dead agent, checks it and returns its spool.
func readSpool(t *testing.T, path string) []spoolEntry {
	t.Helper()
	db, err := agentstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if err := db.Check(ctx); err != nil {
		t.Errorf("agent.db after SIGKILL: %v", err)
	}
	st := db.SpoolStats()
	recs, err := db.SpoolPeek(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if st.Len != len(recs) || st.Dropped != 0 || st.DroppedByAge != 0 {
		t.Errorf("spool stats %+v with %d records, want the length and no drops", st, len(recs))
	}
	out := make([]spoolEntry, 0, len(recs))
	for _, r := range recs {
		m, err := station.Decode(r.Msg)
		if err != nil {
			t.Fatalf("spool record %d: %v: %s", r.ID, err, r.Msg)
		}
		up, ok := m.(*station.Updf)
		if !ok {
			t.Fatalf("spool record %d is a %s, want updf: %s", r.ID, m.MsgType(), r.Msg)
		}
		phy, err := up.PHYPayload()
		if err != nil {
			t.Fatalf("spool record %d: %v", r.ID, err)
		}
		out = append(out, spoolEntry{
			id: r.ID, receivedAt: r.ReceivedAt, up: up,
			devAddr: fmt.Sprintf("%08x", uint32(up.DevAddr)),
			mic:     hex.EncodeToString(phy[len(phy)-4:]),
		})
	}
	return out
}

// checkSpoolRecords checks the spooled uplinks themselves: the first run's
// devices and radio session, received between the LNS going away and the
// kill, in order of reception, each device's frame counters consecutive.
func checkSpoolRecords(t *testing.T, spooled []spoolEntry, addrs map[string]string, session uint8, stopped, killed time.Time) {
	t.Helper()
	known := map[string]bool{}
	for _, a := range addrs {
		known[a] = true
	}
	last := map[string]int{}
	for i, s := range spooled {
		if !known[s.devAddr] {
			t.Errorf("spool record %d from DevAddr %s, not one the first agent's devices joined with (%v)", s.id, s.devAddr, addrs)
		}
		if got := s.up.UpInfo.XTime.Session(); got != session {
			t.Errorf("spool record %d: xtime session %d, want the first agent's radio session %d", s.id, got, session)
		}
		if s.receivedAt.Before(stopped) || s.receivedAt.After(killed) {
			t.Errorf("spool record %d received at %v, want between the LNS stop (%v) and the kill (%v)", s.id, s.receivedAt, stopped, killed)
		}
		rx := s.up.UpInfo.RxTime.Time()
		if d := rx.Sub(s.receivedAt); d < -time.Second || d > time.Second {
			t.Errorf("spool record %d: rxtime %v, %v from its receive time", s.id, rx, d)
		}
		if i > 0 {
			prev := spooled[i-1]
			if s.id <= prev.id || s.up.UpInfo.XTime <= prev.up.UpInfo.XTime || s.receivedAt.Before(prev.receivedAt) {
				t.Errorf("spool records %d and %d out of reception order", prev.id, s.id)
			}
		}
		if n, ok := last[s.devAddr]; ok && int(s.up.FCnt) != n+1 {
			t.Errorf("spool: DevAddr %s FCnt %d follows %d", s.devAddr, s.up.FCnt, n)
		}
		last[s.devAddr] = int(s.up.FCnt)
	}
	for dev, a := range addrs {
		if _, ok := last[a]; !ok {
			t.Errorf("nothing spooled for %s (DevAddr %s)", dev, a)
		}
	}
}

// checkNothingLost accounts for every data uplink the first agent's devices
// reported sent: it reached the destination live or it is in the spool,
// never both, unless it could not be received (the gateway was
// transmitting), was on its way when the LNS was stopped (a frame the LNS's
// socket took as it closed) or when the agent was killed. Nothing is live
// or spooled that no device sent.
func checkNothingLost(t *testing.T, events []logEvent, live []destUplink, spooled []spoolEntry, addrs map[string]string, stopped, disconnected, killed time.Time) {
	t.Helper()
	type key struct {
		addr string
		fcnt uint32
	}
	seen := map[key]string{}
	for _, u := range live {
		k := key{u.DevAddr, u.FCnt}
		if seen[k] != "" {
			t.Errorf("DevAddr %s FCnt %d reached the destination twice before the kill", u.DevAddr, u.FCnt)
		}
		seen[k] = "live"
	}
	for _, s := range spooled {
		k := key{s.devAddr, uint32(s.up.FCnt)}
		if seen[k] != "" {
			t.Errorf("DevAddr %s FCnt %d is in the spool and was also %s", s.devAddr, s.up.FCnt, seen[k])
		}
		seen[k] = "spooled"
	}
	tx := transmissions(events, killed)
	sent := map[key]bool{}
	for dev, addr := range addrs {
		for _, e := range events {
			if e.msg != "simulated device sent" || e.f["sim_device"] != dev || e.f["mtype"] != "UnconfirmedDataUp" {
				continue
			}
			n, err := strconv.ParseUint(e.f["fcnt"], 10, 32)
			if err != nil {
				t.Fatalf("agent log: bad fcnt in %q", e.line)
			}
			k := key{addr, uint32(n)}
			sent[k] = true
			switch {
			case seen[k] != "":
			case e.at.After(killed.Add(-spoolInFlight)):
				// On the air or in the agent when it was killed.
			case overlaps(tx, e.at):
				// The concentrator is half duplex: a frame that arrives
				// while it transmits is not received (Station's too).
				t.Logf("%s FCnt %d, sent at %v while the gateway was transmitting, was not received", dev, n, e.at.Format(time.StampMilli))
			case !e.at.Before(stopped.Add(-500*time.Millisecond)) && !e.at.After(disconnected):
				// Written to the LNS's socket as it closed: Station's
				// protocol has no acknowledgement to catch this.
				t.Logf("%s FCnt %d, sent at %v as the LNS stopped (%v; agent disconnected %v), is neither live nor spooled",
					dev, n, e.at.Format(time.StampMilli), stopped.Format(time.StampMilli), disconnected.Format(time.StampMilli))
			default:
				t.Errorf("%s FCnt %d sent at %v was lost: not live, not spooled (LNS stopped %v, agent disconnected %v, killed %v)",
					dev, n, e.at.Format(time.StampMilli), stopped.Format(time.StampMilli), disconnected.Format(time.StampMilli), killed.Format(time.StampMilli))
			}
		}
	}
	for k, how := range seen {
		if !sent[k] {
			t.Errorf("DevAddr %s FCnt %d %s, but no device reported sending it", k.addr, k.fcnt, how)
		}
	}
}

// checkRedelivered compares what reached the destination after the restart
// from the first run's sessions with the spool: the same frames, each once,
// in each device's order, with the metadata received before the kill.
func checkRedelivered(t *testing.T, got []destUplink, spooled []spoolEntry, restarted time.Time) {
	t.Helper()
	byDev := map[string][]spoolEntry{}
	for _, s := range spooled {
		byDev[s.devAddr] = append(byDev[s.devAddr], s)
	}
	gotByDev := map[string][]destUplink{}
	for _, u := range got {
		gotByDev[u.DevAddr] = append(gotByDev[u.DevAddr], u)
	}
	for addr, want := range byDev {
		g := gotByDev[addr]
		if len(g) != len(want) {
			t.Errorf("DevAddr %s: %d uplinks after the restart, want the %d spooled", addr, len(g), len(want))
		}
		for i := range min(len(g), len(want)) {
			w, u := want[i], g[i]
			if u.FCnt != uint32(w.up.FCnt) {
				t.Errorf("DevAddr %s uplink %d after the restart: FCnt %d, want %d (spool order)", addr, i, u.FCnt, w.up.FCnt)
				continue
			}
			if u.MIC != w.mic || u.Frequency != strconv.FormatUint(uint64(w.up.Freq), 10) || u.DataRate != strconv.Itoa(w.up.DR) {
				t.Errorf("DevAddr %s FCnt %d: MIC %s freq %s DR %s, want the spooled %s, %d, %d", addr, u.FCnt, u.MIC, u.Frequency, u.DataRate, w.mic, w.up.Freq, w.up.DR)
			}
			if u.RSSI != w.up.UpInfo.RSSI || u.SNR != w.up.UpInfo.SNR {
				t.Errorf("DevAddr %s FCnt %d: RSSI %v SNR %v, want the spooled %v, %v", addr, u.FCnt, u.RSSI, u.SNR, w.up.UpInfo.RSSI, w.up.UpInfo.SNR)
			}
			if rx := w.up.UpInfo.RxTime.Time(); !rx.Before(restarted) || !w.receivedAt.Before(restarted) {
				t.Errorf("DevAddr %s FCnt %d: rxtime %v, spooled at %v, want both before the restart %v", addr, u.FCnt, rx, w.receivedAt, restarted)
			}
		}
	}
	for addr := range gotByDev {
		if _, ok := byDev[addr]; !ok {
			t.Errorf("DevAddr %s: %d uplinks after the restart, none spooled", addr, len(gotByDev[addr]))
		}
	}
}

// buildLoraedge builds the binary into dir, with the race detector when
// the test runs with it.
func buildLoraedge(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "loraedge")
	args := []string{"build", "-o", bin}
	if builtWithRace() {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// builtWithRace reports whether this test binary was built with -race.
func builtWithRace() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// startTestBroker starts an MQTT broker on 127.0.0.1 for the test's
// destination, closed at the end of the test.
func startTestBroker(ctx context.Context, t *testing.T) *broker.Broker {
	t.Helper()
	b := broker.New(broker.Options{Addr: "127.0.0.1:0", Logger: slog.New(slog.DiscardHandler)})
	if err := b.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// spoolCloud is a cloud running in the test process.
type spoolCloud struct {
	pipe   *uplink.Pipeline
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startSpoolCloud starts a cloud with cfg, logging into w; it is stopped
// at the end of the test if not before.
func startSpoolCloud(t *testing.T, cfg cloud.Config, w io.Writer) *spoolCloud {
	t.Helper()
	c, err := cloud.New(cfg, cloud.Options{Logger: slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &spoolCloud{pipe: c.Pipeline(), cancel: cancel, done: make(chan error, 1)}
	go func() { s.done <- c.Run(ctx) }()
	t.Cleanup(func() { s.stop(t) })
	return s
}

// stop stops the cloud and waits for Run to return.
func (s *spoolCloud) stop(t *testing.T) {
	t.Helper()
	s.once.Do(func() {
		s.cancel()
		select {
		case err := <-s.done:
			if err != nil {
				t.Errorf("cloud Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Errorf("cloud did not stop within 15 s; its goroutines:\n%s", cloudGoroutines())
		}
	})
}

// cloudGoroutines returns the stacks of this process's goroutines that
// run cloud or broker code, to show where a stop hangs.
func cloudGoroutines() string {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "loraedge/cloud") || strings.Contains(g, "mochi-mqtt") || strings.Contains(g, "paho") {
			out = append(out, g)
		}
	}
	return strings.Join(out, "\n\n")
}

// changeNotifier lets waiters know that something changed.
type changeNotifier struct {
	mu   sync.Mutex
	wake chan struct{}
}

func (n *changeNotifier) changed() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.wake == nil {
		n.wake = make(chan struct{})
	}
	return n.wake
}

func (n *changeNotifier) notify() {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.wake != nil {
		close(n.wake)
	}
	n.wake = make(chan struct{})
}

// waitChange evaluates cond at every change and every 100 ms (some conditions
// depend on time passing) until it holds, or ctx ends (false).
func waitChange(ctx context.Context, n *changeNotifier, cond func() bool) bool {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		ch := n.changed()
		if cond() {
			return true
		}
		select {
		case <-ch:
		case <-tick.C:
		case <-ctx.Done():
			return cond()
		}
	}
}

// destUplink is a data uplink as the destination topic carried it.
type destUplink struct {
	DevEui, DevAddr     string
	FCnt                uint32
	MIC                 string
	Frequency, DataRate string
	RSSI, SNR           float64
	Timestamp           string
}

// destWatch collects the data uplinks published on the destination topic.
type destWatch struct {
	n      changeNotifier
	client mqtt.Client
	mu     sync.Mutex
	ups    []destUplink
}

// watchDestination subscribes to the destination's topics on the broker,
// retrying the connection until ctx ends.
func watchDestination(ctx context.Context, t *testing.T, b *broker.Broker) *destWatch {
	t.Helper()
	w := &destWatch{}
	handler := func(_ mqtt.Client, m mqtt.Message) {
		var msg struct {
			Event            string
			WirelessMetadata *struct {
				LoRaWAN struct {
					DevEui, DevAddr     string
					FCnt                uint32
					MIC                 string
					Frequency, DataRate string
					Gateways            []struct{ Rssi, Snr float64 }
					Timestamp           string
				}
			}
		}
		if err := json.Unmarshal(m.Payload(), &msg); err != nil {
			t.Errorf("destination message on %s is not JSON: %v: %s", m.Topic(), err, m.Payload())
			return
		}
		if msg.Event != "" || msg.WirelessMetadata == nil {
			return // a join event
		}
		l := msg.WirelessMetadata.LoRaWAN
		u := destUplink{DevEui: l.DevEui, DevAddr: l.DevAddr, FCnt: l.FCnt, MIC: l.MIC,
			Frequency: l.Frequency, DataRate: l.DataRate, Timestamp: l.Timestamp}
		if len(l.Gateways) > 0 {
			u.RSSI, u.SNR = l.Gateways[0].Rssi, l.Gateways[0].Snr
		}
		if len(l.Gateways) != 1 {
			t.Errorf("DevAddr %s FCnt %d heard by %d gateways, want the one", l.DevAddr, l.FCnt, len(l.Gateways))
		}
		w.mu.Lock()
		w.ups = append(w.ups, u)
		w.mu.Unlock()
		w.n.notify()
	}
	opts := mqtt.NewClientOptions().AddBroker(b.URL()).SetClientID(fmt.Sprintf("spooltest-%d", time.Now().UnixNano())).
		SetAutoReconnect(false).SetConnectTimeout(2 * time.Second).SetOrderMatters(true)
	for {
		c := mqtt.NewClient(opts)
		tok := c.Connect()
		if tok.WaitTimeout(3*time.Second) && tok.Error() == nil {
			w.client = c
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cannot connect to the broker %s: %v", b.URL(), tok.Error())
		case <-time.After(100 * time.Millisecond):
		}
	}
	tok := w.client.Subscribe(spoolFilter, 1, handler)
	if !tok.WaitTimeout(5*time.Second) || tok.Error() != nil {
		t.Fatalf("subscribe %s: %v", spoolFilter, tok.Error())
	}
	// The broker is closed first and disconnects it: a client
	// disconnecting while the broker closes can deadlock the broker.
	t.Cleanup(func() {
		_ = b.Close()
		w.client.Disconnect(0)
	})
	return w
}

func (w *destWatch) all() []destUplink {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]destUplink(nil), w.ups...)
}

func (w *destWatch) uplinksOf(devEUI string) []destUplink {
	var out []destUplink
	for _, u := range w.all() {
		if u.DevEui == devEUI {
			out = append(out, u)
		}
	}
	return out
}

// agentProc is a running `loraedge agent`.
type agentProc struct {
	cmd    *exec.Cmd
	log    *processLog
	exited chan struct{}
	err    error // Wait's, once exited is closed
}

// startAgentProcess starts the binary's agent; it is killed at the end of the
// test if still running.
func startAgentProcess(t *testing.T, bin, home, conf string) *agentProc {
	t.Helper()
	p := &agentProc{cmd: exec.Command(bin, "agent", "--home", home, "--config", conf), log: &processLog{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
		p.log.n.notify()
	}()
	t.Cleanup(func() {
		select {
		case <-p.exited:
		default:
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// wait waits for the process to end and returns Wait's error.
func (p *agentProc) wait(ctx context.Context) error {
	select {
	case <-p.exited:
		return p.err
	case <-ctx.Done():
		return fmt.Errorf("agent still running: %w", ctx.Err())
	}
}

func (p *agentProc) logText() string {
	if p == nil {
		return ""
	}
	return p.log.text()
}

// killedBySIGKILL reports whether err is a process's end by SIGKILL.
func killedBySIGKILL(err error) bool {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		return false
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL
}

// processLog collects a process's output by lines.
type processLog struct {
	n       changeNotifier
	mu      sync.Mutex
	partial []byte
	lines   []string
}

func (l *processLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	l.mu.Unlock()
	l.n.notify()
	return len(p), nil
}

func (l *processLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n") + "\n" + string(l.partial)
}

// logEvent is one slog text line.
type logEvent struct {
	at   time.Time
	msg  string
	f    map[string]string
	line string
}

// events parses the lines logged so far (lines that are not slog's are
// left out).
func (l *processLog) events() []logEvent {
	l.mu.Lock()
	lines := append([]string(nil), l.lines...)
	l.mu.Unlock()
	out := make([]logEvent, 0, len(lines))
	for _, line := range lines {
		f := logFields(line)
		at, err := time.Parse(time.RFC3339Nano, f["time"])
		if err != nil || f["msg"] == "" {
			continue
		}
		out = append(out, logEvent{at: at, msg: f["msg"], f: f, line: line})
	}
	return out
}

// logFields splits a slog text line into its keys and values.
func logFields(line string) map[string]string {
	f := map[string]string{}
	s := strings.TrimSpace(line)
	for s != "" {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 || strings.ContainsAny(s[:eq], " \"") {
			break
		}
		key := s[:eq]
		s = s[eq+1:]
		var val string
		if strings.HasPrefix(s, `"`) {
			q, err := strconv.QuotedPrefix(s)
			if err != nil {
				break
			}
			val, _ = strconv.Unquote(q)
			s = s[len(q):]
		} else {
			sp := strings.IndexByte(s, ' ')
			if sp < 0 {
				sp = len(s)
			}
			val, s = s[:sp], s[sp:]
		}
		f[key] = val
		s = strings.TrimLeft(s, " ")
	}
	return f
}

// settledSends returns the data uplinks dev reported sent after since that
// had time to reach the spool by now.
func settledSends(events []logEvent, dev string, since, now time.Time) []logEvent {
	var out []logEvent
	for _, e := range events {
		if e.msg == "simulated device sent" && e.f["sim_device"] == dev && e.f["mtype"] == "UnconfirmedDataUp" &&
			e.at.After(since) && e.at.Before(now.Add(-spoolInFlight)) {
			out = append(out, e)
		}
	}
	return out
}

// transmissions returns when the agent's radio was transmitting, from its
// "… queued" (start: log time + in) and "TX done" lines; one not done by
// end lasts until end.
func transmissions(events []logEvent, end time.Time) [][2]time.Time {
	start := map[string]time.Time{}
	var order []string
	done := map[string]time.Time{}
	for _, e := range events {
		switch {
		case strings.HasSuffix(e.msg, " queued") && e.f["diid"] != "":
			if in, err := time.ParseDuration(e.f["in"]); err == nil {
				start[e.f["diid"]] = e.at.Add(in)
				order = append(order, e.f["diid"])
			}
		case e.msg == "TX done":
			done[e.f["diid"]] = e.at
		}
	}
	var out [][2]time.Time
	for _, id := range order {
		d, ok := done[id]
		if !ok {
			d = end
		}
		out = append(out, [2]time.Time{start[id], d})
	}
	return out
}

// overlaps reports whether a frame sent at "at" (on the air for well under
// 100 ms at DR5) overlaps one of the transmissions.
func overlaps(tx [][2]time.Time, at time.Time) bool {
	for _, iv := range tx {
		if at.After(iv[0].Add(-100*time.Millisecond)) && !at.After(iv[1]) {
			return true
		}
	}
	return false
}

// radioSessions returns the xtime session ids of every radio start.
func radioSessions(events []logEvent) []uint8 {
	var out []uint8
	for _, e := range events {
		if e.msg != "radio started" {
			continue
		}
		if n, err := strconv.ParseUint(e.f["session"], 10, 8); err == nil {
			out = append(out, uint8(n))
		}
	}
	return out
}

// joinedAddrs maps each simulated device to the DevAddr it last joined with.
func joinedAddrs(events []logEvent) map[string]string {
	out := map[string]string{}
	for _, e := range events {
		if e.msg == "simulated device joined" {
			out[e.f["sim_device"]] = e.f["devaddr"]
		}
	}
	return out
}

// lastInt returns the integer key of the last event with msg.
func lastInt(events []logEvent, msg, key string) (int, bool) {
	n, ok := 0, false
	for _, e := range events {
		if e.msg == msg {
			v, err := strconv.Atoi(e.f[key])
			n, ok = v, err == nil
		}
	}
	return n, ok
}

// sumInt adds up the integer key of every event with msg.
func sumInt(events []logEvent, msg, key string) int {
	n := 0
	for _, e := range events {
		if e.msg == msg {
			v, _ := strconv.Atoi(e.f[key])
			n += v
		}
	}
	return n
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// tailLines returns the last n lines of s.
func tailLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
