package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store/agentstore"
)

// eu868RouterConfig is a router_config as an LNS sends it for EU868: the
// radio configuration as an sx1301_conf array, the eight usual channels.
const eu868RouterConfig = `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1",
"freq_range":[863000000,870000000],"NetID":null,"JoinEui":null,
"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],
       [-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],
"sx1301_conf":[{"radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":true,"freq":868500000},
 "chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},"chan_multiSF_1":{"enable":true,"radio":1,"if":-200000},
 "chan_multiSF_2":{"enable":true,"radio":1,"if":0},"chan_multiSF_3":{"enable":true,"radio":0,"if":-400000},
 "chan_multiSF_4":{"enable":true,"radio":0,"if":-200000},"chan_multiSF_5":{"enable":true,"radio":0,"if":0},
 "chan_multiSF_6":{"enable":true,"radio":0,"if":200000},"chan_multiSF_7":{"enable":true,"radio":0,"if":400000},
 "chan_Lora_std":{"enable":true,"radio":1,"if":-200000,"bandwidth":250000,"spread_factor":7},
 "chan_FSK":{"enable":true,"radio":1,"if":300000,"datarate":50000}}],
"MuxTime":1700000000.5}`

// fakeLNS answers discovery, sends router_config after the version message
// and reports what the agent sends.
type fakeLNS struct {
	srv     *httptest.Server
	routers chan string         // router field of each discovery request
	msgs    chan map[string]any // every message on the traffic socket
}

func newFakeLNS(t *testing.T) *fakeLNS {
	t.Helper()
	l := &fakeLNS{routers: make(chan string, 8), msgs: make(chan map[string]any, 64)}
	var up websocket.Upgrader
	mux := http.NewServeMux()
	mux.HandleFunc("/router-info", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		var req struct {
			Router any `json:"router"`
		}
		if err := c.ReadJSON(&req); err != nil {
			return
		}
		router, _ := req.Router.(string)
		l.routers <- router
		c.WriteJSON(map[string]any{"router": req.Router, "muxs": "test-muxs", "uri": "ws://" + r.Host + "/traffic"})
	})
	mux.HandleFunc("/traffic", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			_, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&m); err != nil {
				t.Errorf("agent sent non-JSON %q", b)
				return
			}
			if m["msgtype"] == "version" {
				if err := c.WriteMessage(websocket.TextMessage, []byte(eu868RouterConfig)); err != nil {
					return
				}
			}
			select {
			case l.msgs <- m:
			default:
			}
		}
	})
	l.srv = httptest.NewServer(mux)
	t.Cleanup(l.srv.Close)
	return l
}

// wsURI is the LNS's tc.uri.
func (l *fakeLNS) wsURI() string { return "ws://" + strings.TrimPrefix(l.srv.URL, "http://") }

// TestAgentCommandEndToEnd runs `loraedge agent --home DIR --config FILE`
// with a simulated device against a fake LNS: the agent discovers with the
// home's router id, reports version.txt, takes the router_config, starts
// the simulated radio, and forwards the device's join-request as a jreq.
func TestAgentCommandEndToEnd(t *testing.T) {
	lns := newFakeLNS(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "station")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	writeTestFiles(t, home, map[string]string{
		"station.conf": `/* test home */ {"SX1301_conf": {"lorawan_public": true, "clksrc": 1,
			"radio_0": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": true}},
			"station_conf": {"routerid": "b827ebfffe6151a5", "log_level": "INFO"}}`,
		"tc.uri":      lns.wsURI() + "\n",
		"version.txt": "1.2.3-test\n",
	})
	data := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "agent.toml")
	writeTestFiles(t, dir, map[string]string{"agent.toml": `
log_level = "debug"
[radio.sim]
path_loss = 100.0
[[radio.sim.devices]]
dev_eui = "70b3d57ed0000042"
join_eui = "70b3d57ed0000000"
app_key = "2b7e151628aed2a6abf7158809cf4f3c"
nwk_key = ""
mac_version = "1.0.3"
class = "A"
data_rate = 5
interval = "1s"
fport = 1
payload = "01"
`})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &signalWriter{marker: "agent starting", ready: make(chan struct{})}
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"agent", "--home", home, "--config", conf, "--data", data}, &bytes.Buffer{}, stderr)
	}()

	select {
	case r := <-lns.routers:
		if r != "b827:ebff:fe61:51a5" {
			t.Errorf("router-info asked for %q, want the home's routerid as id6", r)
		}
	case c := <-code:
		t.Fatalf("agent exited with %d: %s", c, stderr.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("no discovery: %s", stderr.String())
	}
	var version, jreq map[string]any
	deadline := time.After(30 * time.Second)
	for jreq == nil {
		select {
		case m := <-lns.msgs:
			switch m["msgtype"] {
			case "version":
				version = m
			case "jreq":
				jreq = m
			}
		case c := <-code:
			t.Fatalf("agent exited with %d: %s", c, stderr.String())
		case <-deadline:
			t.Fatalf("no jreq from the simulated device (version %v): %s", version, stderr.String())
		}
	}
	if version == nil || version["firmware"] != "1.2.3-test" || version["package"] != "1.2.3-test" || version["model"] != "linux" {
		t.Errorf("version = %v, want firmware and package from version.txt, model linux", version)
	}
	if jreq["DevEui"] != "70-B3-D5-7E-D0-00-00-42" || jreq["JoinEui"] != "70-B3-D5-7E-D0-00-00-00" {
		t.Errorf("jreq = %v, want the simulated device's EUIs", jreq)
	}
	if up, ok := jreq["upinfo"].(map[string]any); !ok || up["xtime"] == nil {
		t.Errorf("jreq upinfo = %v, want xtime and the radio metadata", jreq["upinfo"])
	}

	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit %d after interrupt, want 0:\n%s", c, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop")
	}
	out := stderr.String()
	for _, want := range []string{"credentials imported", "set=tc", "NO-CUPS mode", "agent stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "2b7e151628aed2a6abf7158809cf4f3c") {
		t.Error("log carries the simulated device's AppKey")
	}

	// The credentials went into agent.db with the CRC Station computes over
	// the home's files (no trust, crt or key: the empty-set CRC).
	db, err := agentstore.Open(filepath.Join(data, agentstore.DefaultDBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c, err := db.Credentials(context.Background(), agentstore.KindTC, agentstore.SetReg)
	if err != nil || c.URI != lns.wsURI() || c.CRC() != cups.CredCRC(nil, nil, nil) {
		t.Errorf("stored tc set = %v, %v; want %s with the empty-set CRC", c, err, lns.wsURI())
	}
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}

func writeTestFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAgentCommandRefusals(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTestFiles(t, dir, map[string]string{
		"lgwsim.toml":  "router_eui = \"::1\"\n[tc]\nuri = \"ws://127.0.0.1:1\"\n[radio]\nbackend = \"lgwsim\"\n",
		"nouri.toml":   "router_eui = \"::1\"\n",
		"unknown.toml": "router_eui = \"::1\"\nrouter = \"x\"\n",
	})
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no configuration", nil, exitUsage, "give --config FILE, --home DIR or both"},
		{"stray argument", []string{"--config", "x", "extra"}, exitUsage, "unexpected argument"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.toml")}, exitUsage, "none.toml"},
		{"no server uri", []string{"--config", filepath.Join(dir, "nouri.toml")}, exitUsage, "no server URI"},
		{"unknown key", []string{"--config", filepath.Join(dir, "unknown.toml")}, exitUsage, "unknown keys router"},
		{"home without station.conf", []string{"--home", dir}, exitUsage, "station.conf"},
		{"lgwsim without a socket", []string{"--config", filepath.Join(dir, "lgwsim.toml"), "--data", filepath.Join(dir, "data")}, exitFailure, `radio backend lgwsim: set the radio device`},
	}
	// A store another agent holds is refused, not waited for.
	held, err := agentstore.Open(filepath.Join(dir, "held", agentstore.DefaultDBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	writeTestFiles(t, dir, map[string]string{"sim.toml": "router_eui = \"::1\"\n[tc]\nuri = \"ws://127.0.0.1:1\"\n"})
	tests = append(tests, struct {
		name string
		args []string
		code int
		want string
	}{"data directory in use", []string{"--config", filepath.Join(dir, "sim.toml"), "--data", filepath.Join(dir, "held")}, exitFailure, "database in use by another process"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			c := run(context.Background(), append([]string{"agent"}, tt.args...), &bytes.Buffer{}, &stderr)
			if c != tt.code || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", c, stderr.String(), tt.code, tt.want)
			}
		})
	}
}
