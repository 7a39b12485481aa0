package cloud

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestDefaultConfigIsValid(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("")
	if err != nil {
		t.Fatalf("LoadConfig(\"\"): %v", err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Errorf("LoadConfig(\"\") = %+v, want DefaultConfig()", cfg)
	}
	uri, err := cfg.TCURI()
	if err != nil || uri != "wss://127.0.0.1:6039" {
		t.Errorf("TCURI = %q, %v; want wss://127.0.0.1:6039", uri, err)
	}
}

// TestExampleConfig checks that cloud.example.toml documents every key and
// that the values it shows are the defaults.
func TestExampleConfig(t *testing.T) {
	t.Parallel()
	cfg, err := LoadConfig("cloud.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	// The example writes empty lists; the defaults leave them nil.
	cfg.Gateways.ExtraHosts = nilIfEmpty(cfg.Gateways.ExtraHosts)
	if len(cfg.Network.JoinEUIRanges) == 0 {
		cfg.Network.JoinEUIRanges = nil
	}
	if want := DefaultConfig(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("example config = %+v\nwant the defaults %+v", cfg, want)
	}
	var raw map[string]any
	md, err := toml.DecodeFile("cloud.example.toml", &raw)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range tomlKeys(reflect.TypeOf(Config{}), nil) {
		if !md.IsDefined(key...) {
			t.Errorf("cloud.example.toml does not document %s", strings.Join(key, "."))
		}
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// tomlKeys lists the key paths of every toml-tagged field.
func tomlKeys(typ reflect.Type, prefix []string) [][]string {
	var out [][]string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := f.Tag.Get("toml")
		if name == "" {
			continue
		}
		key := append(append([]string(nil), prefix...), name)
		if f.Type.Kind() == reflect.Struct {
			out = append(out, tomlKeys(f.Type, key)...)
			continue
		}
		out = append(out, key)
	}
	return out
}

func TestLoadConfigRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, toml, want string
	}{
		{"unknown key", "[gateways]\nlisen = \":6039\"\n", "unknown keys gateways.lisen"},
		{"bad duration", "[gateways]\nidle_timeout = \"soon\"\n", "soon"},
		{"ping not shorter than idle", "[gateways]\nping_interval = \"2m\"\nidle_timeout = \"1m\"\n", "ping_interval"},
		{"bad net id", "[network]\nnet_id = \"13\"\n", "net_id"},
		{"bad log level", "log_level = \"loud\"\n", "log_level"},
		{"bad listen", "[gateways]\nlisten = \"6039\"\n", "gateways.listen"},
		{"host with path", "[gateways]\npublic_host = \"lns.example.com/x\"\n", "public_host"},
		{"host too long for Station", "[gateways]\npublic_host = \"" + strings.Repeat("a", 120) + ".example.com\"\n", "public_host"},
		{"join range reversed", "[network]\njoin_eui_ranges = [[\"0000000000000002\", \"0000000000000001\"]]\n", "join_eui_ranges"},
		{"join range from 0", "[network]\njoin_eui_ranges = [[\"0000000000000000\", \"0000000000000001\"]]\n", "forward every join"},
		{"public port", "[gateways]\npublic_port = 70000\n", "public_port"},
		{"empty data dir", "data_dir = \"\"\n", "data_dir"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "cloud.toml")
			if err := os.WriteFile(path, []byte(tt.toml), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := LoadConfig(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadConfig error = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}

func TestPublicPortNeedsAFixedPort(t *testing.T) {
	t.Parallel()
	cfg := DefaultConfig()
	cfg.Gateways.Listen = "127.0.0.1:0"
	if err := cfg.Validate(); err != nil {
		t.Fatalf("listen on port 0 must be a valid config: %v", err)
	}
	if uri, err := cfg.TCURI(); err == nil {
		t.Errorf("TCURI = %q with no known port, want an error", uri)
	}
	cfg.Gateways.PublicPort = 443
	cfg.Gateways.PublicHost = "lns.example.com"
	if uri, err := cfg.TCURI(); err != nil || uri != "wss://lns.example.com:443" {
		t.Errorf("TCURI = %q, %v; want wss://lns.example.com:443", uri, err)
	}
}

// chanHandler hands uplinks to a channel.
type chanHandler chan gateway.Uplink

func (c chanHandler) HandleUplink(_ context.Context, up gateway.Uplink) { c <- up }

func testConfig(t *testing.T) Config {
	cfg := DefaultConfig()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Gateways.Listen = "127.0.0.1:0"
	cfg.MQTT.EmbeddedListen = "127.0.0.1:0"
	cfg.API.Listen = "127.0.0.1:0"
	cfg.LogLevel = "debug"
	return cfg
}

// TestCloudServesStation starts the cloud on a fresh data directory,
// registers a gateway in its store, issues the gateway a Station home with
// the cloud's CA, and runs a Station exchange with those files.
func TestCloudServesStation(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	ups := make(chan gateway.Uplink, 4)
	c, err := New(cfg, Options{Handler: chanHandler(ups)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return after cancel")
		}
	}
	t.Cleanup(stop)

	// Files of a first start, keys private.
	for _, f := range []string{pki.CAKeyFile, pki.ServerKeyFile, store.DefaultKEKFile} {
		fi, err := os.Stat(filepath.Join(cfg.DataDir, f))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %o, want 600", f, fi.Mode().Perm())
		}
	}

	eui := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	if err := c.Store().PutGateway(ctx, store.Gateway{EUI: eui, Region: "US915", SubBand: 2}); err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.IssueGatewayCert(eui, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := pki.WriteStationHome(home, c.TCURI(), ca.CertPEM(), kp); err != nil {
		t.Fatal(err)
	}

	dialer := stationDialer(t, home)
	tcURI := readFile(t, home, pki.StationURIFile)
	info, err := routerInfo(dialer, tcURI+"/router-info", `{"router":"b827:ebff:fe61:51a5"}`)
	if err != nil {
		t.Fatal(err)
	}
	uri, _ := info["uri"].(string)
	if uri != tcURI+"/traffic/b827ebfffe6151a5" {
		t.Fatalf("router-info = %v, want uri %s/traffic/b827ebfffe6151a5", info, tcURI)
	}
	conn, _, err := dialer.Dial(uri, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"2.0.6(linux/std)","firmware":"","package":"","model":"linux","protocol":2,"features":""}`)); err != nil {
		t.Fatal(err)
	}
	_, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	m, err := station.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	rc, ok := m.(*station.RouterConfig)
	if !ok || rc.Region != "US915" || rc.HWSpec != "sx1301/1" {
		t.Fatalf("router_config = %s", b)
	}
	// filter_net_id with NetID 000000: only DevAddrs 00000000-01ffffff.
	if len(rc.NetIDs) != 1 || rc.NetIDs[0] != (lorawan.NetID{}) {
		t.Errorf("NetID filter = %v, want [0]", rc.NetIDs)
	}
	updf := `{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":0,"DR":2,"Freq":904100000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795783677.288253}}`
	if err := conn.WriteMessage(websocket.TextMessage, []byte(updf)); err != nil {
		t.Fatal(err)
	}
	select {
	case up := <-ups:
		if up.Gateway != eui || up.Message.MsgType() != "updf" {
			t.Errorf("uplink = %+v", up)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no uplink reached the handler")
	}
	// /metrics on the API listener, without a token: the connected
	// gateway; no pipeline families, since a handler replaced it.
	resp, err := http.Get("http://" + c.APIAddr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "\nloraedge_gateways_connected 1\n") ||
		strings.Contains(string(body), "loraedge_uplinks_accepted_total") {
		t.Errorf("/metrics: %s\n%s\nwant loraedge_gateways_connected 1 and no pipeline families", resp.Status, body)
	}

	stop()
	// Run closed the store: the file passes bbolt's consistency check,
	// and a second start finds the same CA.
	if err := storetest.CheckFile(cfg.StorePath()); err != nil {
		t.Error(err)
	}
	c2, err := New(cfg, Options{})
	if err != nil {
		t.Fatalf("second start: %v", err)
	}
	defer c2.Close()
	if !bytes.Equal(c2.CA().CertPEM(), ca.CertPEM()) {
		t.Error("second start made a new CA: every gateway's tc.trust would break")
	}
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// stationDialer dials with the credentials of a Station home directory.
func stationDialer(t *testing.T, home string) *websocket.Dialer {
	t.Helper()
	cert, err := tls.LoadX509KeyPair(filepath.Join(home, pki.StationCertFile), filepath.Join(home, pki.StationKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(readFile(t, home, pki.StationTrustFile))) {
		t.Fatal("tc.trust holds no certificate")
	}
	return &websocket.Dialer{
		TLSClientConfig:  &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1"},
		HandshakeTimeout: 5 * time.Second,
	}
}

func routerInfo(d *websocket.Dialer, uri, req string) (map[string]any, error) {
	conn, _, err := d.Dial(uri, nil)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(req)); err != nil {
		return nil, err
	}
	_, b, err := conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}
