package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/internal/promtest"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// abpTestDevice is a simulated ABP device of TestAgentSimABPDevices with
// the keys its agent configuration gives it.
type abpTestDevice struct {
	mac                                           lorawan.MACVersion
	devAddr                                       lorawan.DevAddr
	nwkSKey, fNwkSInt, sNwkSInt, nwkSEnc, appSKey string
	fcnt                                          uint32 // f_cnt_up: the first uplink's counter
	fport                                         uint8
	payload                                       []byte
}

// session returns the LoRaWAN session the device's keys make.
func (d abpTestDevice) session(t *testing.T) *lorawan.Session {
	t.Helper()
	key := func(s string) lorawan.AES128Key {
		k, err := lorawan.ParseAES128Key(s)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if d.mac == lorawan.MACVersion1_1 {
		return lorawan.NewSession11(key(d.fNwkSInt), key(d.sNwkSInt), key(d.nwkSEnc), key(d.appSKey))
	}
	return lorawan.NewSession10(key(d.nwkSKey), key(d.appSKey))
}

// TestAgentSimABPDevices runs `loraedge agent` with two simulated ABP
// devices, LoRaWAN 1.0.3 and 1.1, against a scripted LNS: without any
// join, each device's uplink arrives as an updf whose frame carries the
// configured DevAddr and first counter, a MIC valid under the configured
// session keys (and not under the other device's), and the payload
// encrypted with the configured AppSKey. No key reaches the log.
func TestAgentSimABPDevices(t *testing.T) {
	devs := map[lorawan.DevAddr]abpTestDevice{}
	for _, d := range []abpTestDevice{
		{mac: lorawan.MACVersion1_0, devAddr: lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda},
			nwkSKey: "99d58493d1205b43efff8a11e7b39e0b", appSKey: "0c4b3a7d1c5f8e2a6b9d0e1f2a3b4c5d",
			fcnt: 70_000, fport: 3, payload: []byte{0x0a, 0x0b}},
		{mac: lorawan.MACVersion1_1, devAddr: lorawan.DevAddr{0x26, 0x01, 0x1b, 0xdb},
			fNwkSInt: "a1a2a3a4a5a6a7a8a9aaabacadaeafa0", sNwkSInt: "b1b2b3b4b5b6b7b8b9babbbcbdbebfb0",
			nwkSEnc: "c1c2c3c4c5c6c7c8c9cacbcccdcecfc0", appSKey: "d1d2d3d4d5d6d7d8d9dadbdcdddedfd0",
			fport: 4, payload: []byte("abp 1.1")},
	} {
		devs[d.devAddr] = d
	}
	lns := newFakeLNS(t)
	dir := t.TempDir()
	writeTestFiles(t, dir, map[string]string{"agent.toml": `
router_eui = "b827ebfffe6151a5"
log_level = "debug"
[tc]
uri = "` + lns.wsURI() + `"
[metrics]
listen = "127.0.0.1:0"
[radio.sim]
path_loss = 100.0
[[radio.sim.devices]]
activation = "abp"
dev_eui = "70b3d57ed0000003"
dev_addr = "26011bda"
nwk_s_key = "99d58493d1205b43efff8a11e7b39e0b"
app_s_key = "0c4b3a7d1c5f8e2a6b9d0e1f2a3b4c5d"
f_cnt_up = 70000
mac_version = "1.0.3"
class = "C"
data_rate = 5
interval = "1s"
fport = 3
payload = "0a0b"
[[radio.sim.devices]]
activation = "abp"
dev_eui = "70b3d57ed0000004"
dev_addr = "26011bdb"
f_nwk_s_int_key = "a1a2a3a4a5a6a7a8a9aaabacadaeafa0"
s_nwk_s_int_key = "b1b2b3b4b5b6b7b8b9babbbcbdbebfb0"
nwk_s_enc_key = "c1c2c3c4c5c6c7c8c9cacbcccdcecfc0"
app_s_key = "d1d2d3d4d5d6d7d8d9dadbdcdddedfd0"
mac_version = "1.1"
class = "A"
data_rate = 4
interval = "1s"
fport = 4
payload = "61627020312e31"
`})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	logs := newLogWatcher()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"agent", "--config", filepath.Join(dir, "agent.toml"), "--data", filepath.Join(dir, "data")},
			&bytes.Buffer{}, logs)
	}()

	region, err := lorawan.RegionByName("EU868")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[lorawan.DevAddr]bool{}
	deadline := time.After(30 * time.Second)
	for len(seen) < len(devs) {
		var m map[string]any
		select {
		case m = <-lns.msgs:
		case c := <-code:
			t.Fatalf("agent exited with %d:\n%s", c, logs.String())
		case <-deadline:
			t.Fatalf("updf from %d of %d ABP devices:\n%s", len(seen), len(devs), logs.String())
		}
		switch m["msgtype"] {
		case "jreq":
			t.Fatalf("an ABP device sent a join-request: %v", m)
		case "updf":
		default:
			continue
		}
		up := decodeUpdf(t, m)
		d, ok := devs[up.Addr()]
		if !ok {
			t.Fatalf("updf from DevAddr %s, want one of the configured devices", up.Addr())
		}
		if seen[d.devAddr] {
			continue
		}
		seen[d.devAddr] = true
		t.Run(d.mac.String(), func(t *testing.T) { checkABPUplink(t, region, d, devs, up) })
	}

	for addr := range devs {
		logs.waitFor(t, "activated by personalisation", "devaddr="+addr.String())
	}
	checkAgentMetrics(t, logs, len(devs))
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit %d after interrupt, want 0:\n%s", c, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop")
	}
	out := logs.String()
	for _, d := range devs {
		for _, k := range []string{d.nwkSKey, d.fNwkSInt, d.sNwkSInt, d.nwkSEnc, d.appSKey} {
			if k != "" && strings.Contains(out, k) {
				t.Errorf("log carries a session key of %s", d.devAddr)
			}
		}
	}
}

// decodeUpdf turns the scripted LNS's view of a message back into the
// updf the agent sent.
func decodeUpdf(t *testing.T, m map[string]any) station.Updf {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	var up station.Updf
	if err := json.Unmarshal(b, &up); err != nil {
		t.Fatalf("updf %s: %v", b, err)
	}
	return up
}

// checkABPUplink checks one device's first uplink against its keys.
func checkABPUplink(t *testing.T, region *lorawan.Region, d abpTestDevice, all map[lorawan.DevAddr]abpTestDevice, up station.Updf) {
	frame, err := up.PHYPayload()
	if err != nil {
		t.Fatal(err)
	}
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(frame); err != nil {
		t.Fatal(err)
	}
	if p.MHDR.MType != lorawan.UnconfirmedDataUp {
		t.Errorf("MType = %s, want %s", p.MHDR.MType, lorawan.UnconfirmedDataUp)
	}
	fcnt := lorawan.FullFCnt(d.fcnt, p.FHDR.FCnt)
	if fcnt != d.fcnt {
		t.Errorf("FCnt = %d, want the configured first counter %d", fcnt, d.fcnt)
	}
	ch, err := region.UplinkChannelIndex(up.Freq)
	if err != nil {
		t.Fatalf("uplink on %d Hz: %v", up.Freq, err)
	}
	mic := func(s *lorawan.Session) [4]byte {
		got, err := s.UplinkMIC(frame[:len(frame)-4], d.devAddr, fcnt, 0, uint8(up.DR), uint8(ch))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := mic(d.session(t)); got != p.MIC {
		t.Errorf("MIC %x, want %x computed with the configured %s session keys", p.MIC, got, d.mac)
	}
	for _, other := range all {
		if other.devAddr != d.devAddr && mic(other.session(t)) == p.MIC {
			t.Errorf("MIC %x also holds under the keys of %s: the check proves nothing", p.MIC, other.devAddr)
		}
	}
	clear := make([]byte, len(p.FRMPayload))
	if err := d.session(t).XORFRMPayload(clear, p.FRMPayload, true, d.devAddr, fcnt, p.FPort); err != nil {
		t.Fatal(err)
	}
	if p.FPort != d.fport || !bytes.Equal(clear, d.payload) {
		t.Errorf("port %d payload %q, want port %d %q decrypted with the configured AppSKey", p.FPort, clear, d.fport, d.payload)
	}
	// A 1.1 ABP device announces itself with ResetInd in FOpts; a 1.0.3
	// one has nothing to say.
	if got, want := len(p.FHDR.FOpts) > 0, d.mac == lorawan.MACVersion1_1; got != want {
		t.Errorf("FOpts %x: want some only for LoRaWAN 1.1", p.FHDR.FOpts)
	}
}

// checkAgentMetrics scrapes the agent's /metrics (the address its log
// gives) and checks that it counts the connection and at least n frames
// heard and sent live.
func checkAgentMetrics(t *testing.T, logs *logWatcher, n int) {
	t.Helper()
	line := logs.waitFor(t, "metrics endpoint listening")
	_, addr, ok := strings.Cut(line, "addr=")
	if !ok {
		t.Fatalf("no addr in %q", line)
	}
	addr, _, _ = strings.Cut(addr, " ")
	// The agent counts an uplink once its write returned, which may be
	// after the LNS read it: scrape until the counts catch up.
	var body string
	value := func(series string) float64 { return promtest.Value(t, body, series) }
	counted := []string{"loraedge_agent_frames_received_total", `loraedge_agent_uplinks_sent_total{path="live"}`}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		body = promtest.Scrape(t, "http://"+addr+"/metrics")
		caught := true
		for _, series := range counted {
			caught = caught && value(series) >= float64(n)
		}
		if caught {
			break
		}
		if time.Now().After(deadline) {
			for _, series := range counted {
				t.Errorf("%s = %v, want at least %d", series, value(series), n)
			}
			break
		}
	}
	if v := value(`loraedge_agent_lns_state{state="connected"}`); v != 1 {
		t.Errorf("lns_state connected = %v, want 1", v)
	}
	if v := value("loraedge_agent_spool_length"); v != 0 {
		t.Errorf("spool_length = %v, want 0 while connected", v)
	}
}
