package config

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store/agentstore"
	"github.com/loraedge/loraedge/store/agentstore/agentstoretest"
)

const exampleFile = "../agent.example.toml"

// minimalStationConf is examples/simulation/station.conf from Station, as
// the notes quote it, with comments of both kinds added, one holding JSON
// and a string holding comment markers.
const minimalStationConf = `/* Station home for the loraedge tests */
{
    "SX1301_conf": {                 /* the LNS sends the channel plan */
        "lorawan_public": true,      // is default
        "clksrc": 1,                 /* radio_1 clocks the concentrator */
        "device": "spidev",
        "radio_0": {
            /* "enable": false, "freq": 1 -- ignored: inside a comment */
            "type": "SX1257",
            "rssi_offset": -166.0,
            "tx_enable": true,
            "antenna_gain": 0
        },
        "radio_1": {
            "type": "SX1257",
            "rssi_offset": -166.0,
            "tx_enable": false
        }
        // chan_multiSF_X, chan_Lora_std, chan_FSK provided by LNS
    },
    "station_conf": {
        "routerid": "::1",
        "euiprefix": "::0",
        "log_file":  "stderr",
        "log_level": "DEBUG",  /* XDEBUG,DEBUG,VERBOSE,INFO,NOTICE,WARNING,ERROR,CRITICAL */
        "log_size":  10000000,
        "log_rotate":  3,
        "TC_TIMEOUT": "2s",
        "RADIO_INIT_WAIT": "/* not a comment */ 5s"
    }
}
`

// testHome is a Station home made the way the cloud makes one
// (pki.WriteStationHome) plus the other files a home may hold.
type testHome struct {
	dir   string
	ca    *pki.CA
	kp    *pki.KeyPair
	sig   cups.PublicKey
	token string
}

func newTestHome(t *testing.T) testHome {
	t.Helper()
	now := time.Now()
	ca, err := pki.NewCA("loraedge test CA", now, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.IssueGatewayCert(lorawan.EUI64{0, 0, 0, 0, 0, 0, 0, 1}, now.Add(-time.Minute), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	h := testHome{dir: filepath.Join(t.TempDir(), "station"), ca: ca, kp: kp, token: "Authorization: Bearer cups-token-value\r\n"}
	if err := pki.WriteStationHome(h.dir, "wss://127.0.0.1:6039", ca.CertPEM(), kp); err != nil {
		t.Fatal(err)
	}
	sigKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if h.sig, err = cups.PublicKeyFromECDSA(&sigKey.PublicKey); err != nil {
		t.Fatal(err)
	}
	h.write(t, "station.conf", minimalStationConf)
	h.write(t, "version.txt", "2.0.6-loraedge\n")
	h.write(t, "sig-0.key", string(h.sig[:]))
	// A boot set for CUPS with a token, its trust in DER.
	h.write(t, "cups-boot.uri", "https://127.0.0.1:6040\n")
	h.write(t, "cups-boot.trust", string(h.caDER(t)))
	h.write(t, "cups-boot.key", h.token)
	// A bak set for TC in DER, and an empty file Station counts as absent.
	h.write(t, "tc-bak.uri", "wss://backup.example.com:443")
	h.write(t, "tc-bak.trust", string(h.caDER(t)))
	h.write(t, "tc-bak.crt", string(pemBytes(t, kp.CertPEM)))
	h.write(t, "tc-bak.key", string(pemBytes(t, kp.KeyPEM)))
	h.write(t, "tc-boot.trust", "")
	return h
}

func (h testHome) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(h.dir, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func (h testHome) remove(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(h.dir, name)); err != nil {
		t.Fatal(err)
	}
}

func (h testHome) read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (h testHome) path(name string) string { return filepath.Join(h.dir, name) }

func (h testHome) caDER(t *testing.T) []byte { return pemBytes(t, h.ca.CertPEM()) }

// pemBytes returns the DER inside the one PEM block of b.
func pemBytes(t *testing.T, b []byte) []byte {
	t.Helper()
	block, _ := pem.Decode(b)
	if block == nil {
		t.Fatal("no PEM block")
	}
	return block.Bytes
}

func TestLoadStationHomeGolden(t *testing.T) {
	t.Parallel()
	h := newTestHome(t)
	cfg, err := LoadStationHome(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	dir := h.dir
	pub, clk := true, 1
	want := Default()
	want.RouterEUI = EUI{0, 0, 0, 0, 0, 0, 0, 1}
	want.Home = dir
	want.DataDir = dir
	want.LogLevel = "debug"
	want.LogFile = "stderr"
	want.Station = StationInfo{Model: "linux", Firmware: "2.0.6-loraedge", Package: "2.0.6-loraedge"}
	want.TC = Endpoint{
		CredFiles: CredFiles{URI: "wss://127.0.0.1:6039", Trust: h.path("tc.trust"), Cert: h.path("tc.crt"), Key: h.path("tc.key")},
		Bak:       CredFiles{URI: "wss://backup.example.com:443", Trust: h.path("tc-bak.trust"), Cert: h.path("tc-bak.crt"), Key: h.path("tc-bak.key")},
	}
	want.CUPS = Endpoint{Boot: CredFiles{URI: "https://127.0.0.1:6040", Trust: h.path("cups-boot.trust"), TokenFile: h.path("cups-boot.key")}}
	want.Radio.Device = h.path("spidev")
	want.Radio.LorawanPublic = pub
	want.Radio.ClkSrc = clk
	want.Radio.Radio0 = RadioBoard{Type: "SX1257", RSSIOffset: -166, TxEnable: true}
	want.Radio.Radio1 = RadioBoard{Type: "SX1257", RSSIOffset: -166, TxEnable: false}
	want.Reconnect.TCTimeout = Duration(2 * time.Second)
	want.Params = map[string]string{"log_size": "10000000", "log_rotate": "3", "TC_TIMEOUT": "2s", "RADIO_INIT_WAIT": "/* not a comment */ 5s"}
	want.SigKeys = [][]byte{h.sig[:]}
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("LoadStationHome =\n%+v\nwant\n%+v", *cfg, want)
	}
	if cfg.NoCUPS() || !cfg.HasTC() {
		t.Errorf("NoCUPS = %v, HasTC = %v; want false, true (a cups-boot set exists)", cfg.NoCUPS(), cfg.HasTC())
	}

	sets, err := cfg.CredentialSets()
	if err != nil {
		t.Fatal(err)
	}
	type files struct{ trust, crt, key string }
	wantSets := []struct {
		name  string
		uri   string
		files files
		auth  agentstore.Auth
	}{
		{"tc", "wss://127.0.0.1:6039", files{"tc.trust", "tc.crt", "tc.key"}, agentstore.AuthBoth},
		{"tc-bak", "wss://backup.example.com:443", files{"tc-bak.trust", "tc-bak.crt", "tc-bak.key"}, agentstore.AuthBoth},
		{"cups-boot", "https://127.0.0.1:6040", files{"cups-boot.trust", "", "cups-boot.key"}, agentstore.AuthToken},
	}
	if len(sets) != len(wantSets) {
		t.Fatalf("got %d sets, want %d", len(sets), len(wantSets))
	}
	for i, w := range wantSets {
		s := sets[i]
		if s.Name() != w.name || s.Credentials.URI != w.uri || s.Credentials.Auth() != w.auth {
			t.Errorf("set %d = %s %v, want %s %s %s", i, s.Name(), s.Credentials, w.name, w.uri, w.auth)
		}
		read := func(n string) []byte {
			if n == "" {
				return nil
			}
			return h.read(t, n)
		}
		// The CRC is what Station computes over the very files.
		if got, want := s.Credentials.CRC(), cups.CredCRC(read(w.files.trust), read(w.files.crt), read(w.files.key)); got != want {
			t.Errorf("%s: CRC %08x, Station's over the files %08x", w.name, got, want)
		}
	}
	if sets[2].Credentials.Token != h.token {
		t.Errorf("cups-boot token not read verbatim")
	}

	// Imported into the store, the sets read back with the same CRCs.
	db, _ := agentstoretest.Open(t, nil)
	ctx := context.Background()
	written, err := cfg.Import(ctx, db)
	if err != nil || len(written) != 3 {
		t.Fatalf("Import = %d sets, %v; want 3", len(written), err)
	}
	for _, s := range sets {
		got, err := db.Credentials(ctx, s.Kind, s.Set)
		if err != nil || !got.Equal(s.Credentials) || got.CRC() != s.Credentials.CRC() {
			t.Errorf("store %s = %v, %v; want %v", s.Name(), got, err, s.Credentials)
		}
	}
	if again, err := cfg.Import(ctx, db); err != nil || len(again) != 0 {
		t.Errorf("second Import wrote %d sets, %v; want none (files unchanged)", len(again), err)
	}
}

func TestRouterIDForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		routerid  string
		euiprefix *string
		file      string // content of a file named by routerid
		want      string // 16 hex digits, "" for an error
		wantErr   string // the error's subject, "routerid" when ""
	}{
		{routerid: "::1", euiprefix: ptr("::0"), want: "0000000000000001"},
		{routerid: "::1", want: "000000fffe000001"}, // default prefix expands a MAC
		{routerid: "b827ebfffe6151a5", want: "b827ebfffe6151a5"},
		{routerid: "b827:ebff:fe61:51a5", want: "b827ebfffe6151a5"},
		{routerid: "b8-27-eb-ff-fe-61-51-a5", want: "b827ebfffe6151a5"},
		{routerid: "b827eb6151a5", want: "b827ebfffe6151a5"},                        // MAC → EUI
		{routerid: "b827eb6151a5", euiprefix: ptr("::0"), want: "0000b827eb6151a5"}, // prefix 0: as is
		{routerid: "b827eb6151a5", euiprefix: ptr("1::"), want: "0001b827eb6151a5"}, // prefix | id
		{routerid: "f::4002", want: "000f000000004002"},
		{routerid: "1::", euiprefix: ptr("::0"), want: "0001000000000000"},
		{routerid: "routerid.txt", file: "b827:ebff:fe61:51a5\n", want: "b827ebfffe6151a5"},
		{routerid: "::0", want: ""},
		{routerid: "0", euiprefix: ptr("::0"), want: ""},
		{routerid: "gateway-1", want: ""},
		{routerid: "12345678901234567", want: ""},
		{routerid: "::1", euiprefix: ptr("::g"), want: "", wantErr: "euiprefix"},
	}
	for _, tt := range tests {
		name := tt.routerid
		if tt.euiprefix != nil {
			name += " prefix " + *tt.euiprefix
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			sc := `{"station_conf": {"routerid": "` + tt.routerid + `"`
			if tt.euiprefix != nil {
				sc += `, "euiprefix": "` + *tt.euiprefix + `"`
			}
			writeFiles(t, dir, map[string]string{"station.conf": sc + "}}", "tc.uri": "ws://127.0.0.1:1"})
			if tt.file != "" {
				writeFiles(t, dir, map[string]string{tt.routerid: tt.file})
			}
			cfg, err := LoadStationHome(dir)
			if tt.want == "" {
				subject := tt.wantErr
				if subject == "" {
					subject = "routerid"
				}
				if err == nil || !strings.Contains(err.Error(), subject) {
					t.Errorf("LoadStationHome = %v, want an error about %s", err, subject)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := cfg.RouterEUI.String(); got != tt.want {
				t.Errorf("router EUI %s, want %s", got, tt.want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestHomeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(t *testing.T, h testHome)
		want   string
	}{
		{"missing station.conf", func(t *testing.T, h testHome) { h.remove(t, "station.conf") }, "station.conf"},
		{"no uri at all", func(t *testing.T, h testHome) {
			for _, f := range []string{"tc.uri", "tc-bak.uri", "cups-boot.uri"} {
				h.remove(t, f)
			}
		}, "no server URI"},
		{"crt without key", func(t *testing.T, h testHome) { h.remove(t, "tc.key") }, "without its key"},
		{"key but no crt", func(t *testing.T, h testHome) { h.remove(t, "tc.crt") }, "holds a private key, not a token"},
		{"token text with a crt", func(t *testing.T, h testHome) { h.write(t, "tc.key", "Authorization: Bearer x\n") }, "tc.key"},
		{"key of another certificate", func(t *testing.T, h testHome) {
			other, err := h.ca.IssueGatewayCert(lorawan.EUI64{9}, time.Now(), time.Now().Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			h.write(t, "tc.key", string(other.KeyPEM))
		}, "does not belong"},
		{"trust is garbage", func(t *testing.T, h testHome) { h.write(t, "tc.trust", "not a certificate") }, "tc.trust"},
		{"token without trust", func(t *testing.T, h testHome) { h.remove(t, "cups-boot.trust") }, "without a trust file"},
		{"bad token", func(t *testing.T, h testHome) { h.write(t, "cups-boot.key", "just-a-token") }, "Name: value"},
		{"tc uri with a path", func(t *testing.T, h testHome) { h.write(t, "tc.uri", "wss://127.0.0.1:6039/router-info") }, "no path"},
		{"tc uri without port", func(t *testing.T, h testHome) { h.write(t, "tc.uri", "wss://127.0.0.1") }, "port is mandatory"},
		{"cups uri with ws", func(t *testing.T, h testHome) { h.write(t, "cups-boot.uri", "ws://127.0.0.1:1") }, "cups-boot.uri"},
		{"sig key of the wrong size", func(t *testing.T, h testHome) { h.write(t, "sig-0.key", "short") }, "sig-0.key"},
		{"unterminated comment", func(t *testing.T, h testHome) { h.write(t, "station.conf", "{ /* open") }, "unterminated"},
		{"not json", func(t *testing.T, h testHome) { h.write(t, "station.conf", "{ \"SX1301_conf\": [ }") }, "json"},
		{"trailing text", func(t *testing.T, h testHome) { h.write(t, "station.conf", `{"station_conf": {"routerid": "::1"}} x`) }, "after the JSON"},
		{"two board sections", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"SX1301_conf": {}, "SX1302_conf": {}, "station_conf": {"routerid": "::1"}}`)
		}, "keep one"},
		{"radio_2", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"SX1301_conf": {"radio_2": {}}, "station_conf": {"routerid": "::1"}}`)
		}, "radio_2"},
		{"radio type", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"SX1302_conf": {"radio_0": {"type": "SX9999"}}, "station_conf": {"routerid": "::1"}}`)
		}, "SX9999"},
		{"clksrc", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"SX1302_conf": {"clksrc": 2}, "station_conf": {"routerid": "::1"}}`)
		}, "clksrc"},
		{"pps mode", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"station_conf": {"routerid": "::1", "pps": "atomic"}}`)
		}, "pps"},
		{"log level", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"station_conf": {"routerid": "::1", "log_level": "LOUD"}}`)
		}, "log_level"},
		{"no routerid", func(t *testing.T, h testHome) { h.write(t, "station.conf", `{"station_conf": {}}`) }, "no router EUI"},
		{"bad TC_TIMEOUT", func(t *testing.T, h testHome) {
			h.write(t, "station.conf", `{"station_conf": {"routerid": "::1", "TC_TIMEOUT": "soon"}}`)
		}, "TC_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHome(t)
			tt.change(t, h)
			_, err := LoadStationHome(h.dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("LoadStationHome = %v, want an error mentioning %q", err, tt.want)
			}
			for _, secret := range []string{string(h.kp.KeyPEM[40:80]), "cups-token-value", "Bearer x"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error carries secret material: %v", err)
				}
			}
		})
	}
	t.Run("not a directory", func(t *testing.T) {
		t.Parallel()
		f := filepath.Join(t.TempDir(), "file")
		writeFiles(t, filepath.Dir(f), map[string]string{"file": "x"})
		if _, err := LoadStationHome(f); err == nil || !strings.Contains(err.Error(), "not a directory") {
			t.Errorf("LoadStationHome(file) = %v, want \"not a directory\"", err)
		}
	})
}

func TestHomeSettings(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, stationConf string
		check             func(t *testing.T, c *Config)
	}{
		{"SX1302_conf with pps and absolute device", `{"SX1302_conf": {"device": "/dev/spidev0.0", "pps": true, "full_duplex": true,
			"radio_0": {"type": "SX1250", "rssi_offset": -215.4, "tx_enable": true, "antenna_gain": 2.5, "tx_gain_lut": [{"rf_power": 12}]}},
			"station_conf": {"routerid": "b827ebfffe6151a5", "pps": "fuzzy"}}`, func(t *testing.T, c *Config) {
			r := c.Radio
			if r.Device != "/dev/spidev0.0" || !r.PPS || !r.FullDuplex || r.PPSMode != "fuzzy" || r.AntennaGain != 2.5 ||
				r.Radio0 != (RadioBoard{Type: "SX1250", RSSIOffset: -215.4, TxEnable: true}) {
				t.Errorf("radio = %+v", r)
			}
		}},
		{"station_conf device, resolved in the home", `{"station_conf": {"routerid": "::1", "device": "~/spidev"}}`, func(t *testing.T, c *Config) {
			if want := filepath.Join(c.Home, "spidev"); c.Radio.Device != want {
				t.Errorf("device %q, want %q", c.Radio.Device, want)
			}
		}},
		{"board device wins over station_conf device", `{"station_conf": {"device": "/dev/a", "routerid": "::1"}, "radio_conf": {"device": "usb:ttyACM0"}}`, func(t *testing.T, c *Config) {
			if want := "usb:" + filepath.Join(c.Home, "ttyACM0"); c.Radio.Device != want {
				t.Errorf("device %q, want %q", c.Radio.Device, want)
			}
		}},
		{"no_gps_capture", `{"SX1301_conf": {"pps": true, "no_gps_capture": true}, "station_conf": {"routerid": "::1"}}`, func(t *testing.T, c *Config) {
			if c.Radio.PPS {
				t.Errorf("pps on after no_gps_capture")
			}
		}},
		{"radio index in hex, lorawan private", `{"sx1301_conf": {"lorawan_public": false, "radio_0x1": {"tx_enable": true}}, "station_conf": {"routerid": "::1"}}`, func(t *testing.T, c *Config) {
			if c.Radio.LorawanPublic || !c.Radio.Radio1.TxEnable {
				t.Errorf("radio = %+v", c.Radio)
			}
		}},
		{"log file in the home and levels", `{"station_conf": {"routerid": "::1", "log_file": "station.log", "log_level": "SYS:DEBUG,WARNING"}}`, func(t *testing.T, c *Config) {
			if c.LogFile != filepath.Join(c.Home, "station.log") || c.LogLevel != "warn" {
				t.Errorf("log file %q level %q", c.LogFile, c.LogLevel)
			}
		}},
		{"parameters kept as text", `{"station_conf": {"routerid": "::1", "GPS_REPORT_DELAY": 1, "radio_init": "rinit.sh", "nocca": true, "web_port": 8080}}`, func(t *testing.T, c *Config) {
			want := map[string]string{"GPS_REPORT_DELAY": "1", "radio_init": "rinit.sh", "nocca": "true", "web_port": "8080"}
			if !reflect.DeepEqual(c.Params, want) {
				t.Errorf("params %v, want %v", c.Params, want)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			writeFiles(t, dir, map[string]string{"station.conf": tt.stationConf, "cups.uri": "http://127.0.0.1:6040"})
			c, err := LoadStationHome(dir)
			if err != nil {
				t.Fatal(err)
			}
			if c.NoCUPS() || c.HasTC() {
				t.Errorf("NoCUPS %v HasTC %v, want false false (only cups.uri)", c.NoCUPS(), c.HasTC())
			}
			tt.check(t, c)
		})
	}
}

func TestStationLogLevel(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"XDEBUG": "debug", "DEBUG": "debug", "verbose": "debug", "INFO": "info", "NOTICE": "info",
		"WARNING": "warn", "ERROR": "error", "CRITICAL": "error", "3": "info", "SYS:XDEBUG,ERROR": "error",
		"SYS:DEBUG": "", "LOUD": "", "": "",
	} {
		got, err := stationLogLevel(in)
		if want == "" {
			if err == nil {
				t.Errorf("stationLogLevel(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("stationLogLevel(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestConfigOverridesHome(t *testing.T) {
	t.Parallel()
	h := newTestHome(t)
	dir := t.TempDir()
	token := filepath.Join(dir, "tc.token")
	writeFiles(t, dir, map[string]string{
		"tc.token": "Authorization: Bearer lns-token\n",
		"agent.toml": `
router_eui = "b827:ebff:fe61:51a5"
home = "` + h.dir + `"
log_level = "warn"
data_dir = "` + filepath.Join(dir, "data") + `"
[tc]
uri = "wss://lns.example.com:443"
cert = ""
key = ""
token_file = "` + token + `"
[radio]
device = "other-spidev"
[radio.radio_1]
rssi_offset = -150.5
[params]
EXTRA = "x"
`,
	})
	cfg, err := Load(filepath.Join(dir, "agent.toml"))
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"router eui from the file", cfg.RouterEUI.String(), "b827ebfffe6151a5"},
		{"home from the file", cfg.Home, h.dir},
		{"log level from the file", cfg.LogLevel, "warn"},
		{"data dir from the file", cfg.DataDir, filepath.Join(dir, "data")},
		{"tc uri from the file", cfg.TC.URI, "wss://lns.example.com:443"},
		{"tc trust from the home", cfg.TC.Trust, h.path("tc.trust")},
		{"tc token from the file", cfg.TC.TokenFile, token},
		{"tc bak from the home", cfg.TC.Bak.URI, "wss://backup.example.com:443"},
		{"device from the file, in the home", cfg.Radio.Device, h.path("other-spidev")},
		{"radio_1 type from the home", cfg.Radio.Radio1.Type, "SX1257"},
		{"radio_1 rssi offset from the file", cfg.Radio.Radio1.RSSIOffset, -150.5},
		{"clksrc from the home", cfg.Radio.ClkSrc, 1},
		{"home params kept", cfg.Params["TC_TIMEOUT"], "2s"},
		{"file params added", cfg.Params["EXTRA"], "x"},
		{"version from the home", cfg.Station.Package, "2.0.6-loraedge"},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	sets, err := cfg.CredentialSets()
	if err != nil {
		t.Fatal(err)
	}
	if sets[0].Name() != "tc" || sets[0].Credentials.Auth() != agentstore.AuthToken || sets[0].Credentials.Token != "Authorization: Bearer lns-token\n" {
		t.Errorf("tc set = %v, want a token set", sets[0].Credentials)
	}

	// --home given to LoadFiles wins over the file's home key.
	h2 := newTestHome(t)
	cfg2, err := LoadFiles(filepath.Join(dir, "agent.toml"), h2.dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg2.Home != h2.dir || cfg2.TC.Trust != h2.path("tc.trust") {
		t.Errorf("home %q trust %q, want %q's", cfg2.Home, cfg2.TC.Trust, h2.dir)
	}
}

func TestLoadRefuses(t *testing.T) {
	t.Parallel()
	base := "router_eui = \"::1\"\n[tc]\nuri = \"ws://127.0.0.1:6038\"\n"
	tests := []struct{ name, toml, want string }{
		{"unknown key", base + "tc_uri = \"x\"\n", "unknown keys"},
		{"misspelt nested key", base + "[radio]\nbackand = \"sim\"\n", "radio.backand"},
		{"no router eui", "[tc]\nuri = \"ws://127.0.0.1:6038\"\n", "no router EUI"},
		{"zero router eui", "router_eui = \"::0\"\n", "must not be zero"},
		{"no uri", "router_eui = \"::1\"\n", "no server URI"},
		{"bad backend", base + "[radio]\nbackend = \"sx1303\"\n", "radio.backend"},
		{"bad log level", base + "log_level = \"loud\"\n", "log_level"},
		{"bad duration", base + "[spool]\nmax_age = \"a day\"\n", "a day"},
		{"spool count", base + "[spool]\nmax_count = 0\n", "spool"},
		{"jitter", base + "[reconnect]\njitter = 1.5\n", "jitter"},
		{"infos max below step", base + "[reconnect]\ninfos_max = \"1s\"\n", "infos_max"},
		{"muxs retries", base + "[reconnect]\nmuxs_retries = 0\n", "muxs_retries"},
		{"metrics without port", base + "[metrics]\nlisten = \"127.0.0.1\"\n", "metrics.listen"},
		{"metrics empty port", base + "[metrics]\nlisten = \"127.0.0.1:\"\n", "metrics.listen"},
		{"missing trust file", base + "trust = \"/nonexistent/tc.trust\"\n", "nonexistent"},
		{"missing cert file", base + "cert = \"/nonexistent/tc.crt\"\nkey = \"/nonexistent/tc.key\"\n", "tc.crt: open /nonexistent/tc.crt"},
		{"sim region", base + "[radio.sim]\nregion = \"XX999\"\n", "radio.sim.region"},
		{"sim device key", base + "[[radio.sim.devices]]\ndev_eui = \"0000000000000001\"\njoin_eui = \"0000000000000002\"\napp_key = \"2b7e\"\nmac_version = \"1.0.3\"\nclass = \"A\"\ndata_rate = 5\ninterval = \"1s\"\nfport = 1\n", "app_key"},
		{"sim device class", base + "[[radio.sim.devices]]\ndev_eui = \"0000000000000001\"\njoin_eui = \"0000000000000002\"\napp_key = \"2b7e151628aed2a6abf7158809cf4f3c\"\nmac_version = \"1.0.3\"\nclass = \"B\"\ndata_rate = 5\ninterval = \"1s\"\nfport = 1\n", "class"},
		{"sim device 1.1 without nwk key", base + "[[radio.sim.devices]]\ndev_eui = \"0000000000000001\"\njoin_eui = \"0000000000000002\"\napp_key = \"2b7e151628aed2a6abf7158809cf4f3c\"\nmac_version = \"1.1\"\nclass = \"A\"\ndata_rate = 5\ninterval = \"1s\"\nfport = 1\n", "nwk_key"},
		{"home missing", "home = \"/nonexistent/station\"\n" + base, "station home"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "agent.toml")
			writeFiles(t, filepath.Dir(path), map[string]string{"agent.toml": tt.toml})
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error mentioning %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "2b7e151628aed2a6abf7158809cf4f3c") {
				t.Errorf("error carries a key: %v", err)
			}
		})
	}
}

// TestExampleConfig checks that agent.example.toml loads, shows the
// defaults (but for its sample router EUI and simulated devices), and
// documents every key.
func TestExampleConfig(t *testing.T) {
	t.Parallel()
	// The example has no server URI; give it one through a second file.
	cfg, err := Load(exampleFile)
	if err == nil || !strings.Contains(err.Error(), "no server URI") {
		t.Fatalf("Load(example) = %v, want only the missing server URI refused", err)
	}
	b, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	withURI := strings.Replace(string(b), "[tc]\n# ws://host:port or wss://host:port: a host, an explicit port, no path.\nuri = \"\"",
		"[tc]\nuri = \"ws://127.0.0.1:6038\"", 1)
	if withURI == string(b) {
		t.Fatal("example: [tc] uri line not found")
	}
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeFiles(t, filepath.Dir(path), map[string]string{"agent.toml": withURI})
	if cfg, err = Load(path); err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.RouterEUI = EUI{0, 0, 0, 0, 0, 0, 0, 1}
	want.TC.URI = "ws://127.0.0.1:6038"
	want.Params = map[string]string{}
	want.Radio.BackendChosen = true // the example names its backend
	if devs := cfg.Radio.Sim.Devices; len(devs) != 2 || devs[0].IsABP() || !devs[1].IsABP() {
		t.Errorf("example has simulated devices %+v, want its two samples, OTAA then ABP", devs)
	}
	cfg.Radio.Sim.Devices = nil
	if !reflect.DeepEqual(*cfg, want) {
		t.Errorf("example config =\n%+v\nwant the defaults\n%+v", *cfg, want)
	}

	var raw map[string]any
	md, err := toml.DecodeFile(exampleFile, &raw)
	if err != nil {
		t.Fatal(err)
	}
	defined := map[string]bool{}
	for _, k := range md.Keys() {
		defined[k.String()] = true
	}
	keys := tomlKeys(reflect.TypeOf(Config{}), "")
	if len(keys) < 40 {
		t.Fatalf("found only %d keys in Config: the walk is broken", len(keys))
	}
	for _, key := range keys {
		if !defined[key] {
			t.Errorf("%s does not document %s", exampleFile, key)
		}
	}
	// Nothing documented that Config does not have.
	for k := range defined {
		if !slices.Contains(keys, k) && !slices.ContainsFunc(keys, func(s string) bool { return strings.HasPrefix(s, k+".") }) {
			t.Errorf("%s documents %s, which Config does not read", exampleFile, k)
		}
	}
}

// tomlKeys lists the dotted key paths of every toml-tagged field, walking
// embedded structs (flattened), nested structs and slices of structs.
func tomlKeys(typ reflect.Type, prefix string) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name := f.Tag.Get("toml")
		if f.Anonymous && name == "" {
			out = append(out, tomlKeys(f.Type, prefix)...)
			continue
		}
		if name == "" || name == "-" {
			continue
		}
		key := prefix + name
		ft := f.Type
		if ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.NumField() > 0 && !ft.Implements(textUnmarshaler) && !reflect.PointerTo(ft).Implements(textUnmarshaler) {
			out = append(out, key)
			out = append(out, tomlKeys(ft, key+".")...)
			continue
		}
		out = append(out, key)
	}
	return out
}

var textUnmarshaler = reflect.TypeOf((*interface{ UnmarshalText([]byte) error })(nil)).Elem()

func TestDeviceResolution(t *testing.T) {
	t.Parallel()
	home := "/etc/station"
	tests := []struct{ dev, home, want string }{
		{"spidev", home, "/etc/station/spidev"},
		{"~/spidev", home, "/etc/station/spidev"},
		{"/dev/spidev0.0", home, "/dev/spidev0.0"},
		{"./spidev", home, "./spidev"},
		{"spi:/dev/spidev0.0", home, "spi:/dev/spidev0.0"},
		{"usb:ttyACM0", home, "usb:/etc/station/ttyACM0"},
		{"spidev", "", "spidev"},
	}
	for _, tt := range tests {
		if got := resolveDevice(tt.dev, tt.home); got != tt.want {
			t.Errorf("resolveDevice(%q, %q) = %q, want %q", tt.dev, tt.home, got, tt.want)
		}
	}
}

func TestStripComments(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want, err string }{
		{"block", `{"a": /* x */ 1}`, `{"a":         1}`, ""},
		{"line", "{\"a\": 1 // x\n}", "{\"a\": 1     \n}", ""},
		{"multi-line block keeps newlines", "{/*\n*/}", "{  \n  }", ""},
		{"markers in strings", `{"a": "/* // */"}`, `{"a": "/* // */"}`, ""},
		{"escaped quote", `{"a": "\" /*"} /**/`, `{"a": "\" /*"}     `, ""},
		{"line comment at the end", `{} // x`, `{}     `, ""},
		{"unterminated block", `{} /* x`, "", "unterminated /* comment"},
		{"unterminated string", `{"a`, "", "unterminated string"},
		{"lone slash", `{"a": 1 / 2}`, "", "starts no comment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := stripComments([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("stripComments(%q) = %q, %v; want error %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Errorf("stripComments(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestRadioSX130xConf(t *testing.T) {
	t.Parallel()
	r := Default().Radio
	r.LorawanPublic, r.ClkSrc = false, 1
	r.Radio0 = RadioBoard{Type: "SX1257", RSSIOffset: -166, TxEnable: true}
	r.Radio1 = RadioBoard{Type: "SX1255", RSSIOffset: -160.5}
	got, err := r.SX130xConf().MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	want := `{"lorawan_public":false,"clksrc":1,` +
		`"radio_0":{"enable":false,"freq":0,"type":"SX1257","rssi_offset":-166,"tx_enable":true},` +
		`"radio_1":{"enable":false,"freq":0,"type":"SX1255","rssi_offset":-160.5,"tx_enable":false}}`
	if string(got) != want {
		t.Errorf("SX130xConf = %s\nwant %s", got, want)
	}
}

func TestImportRefusesBrokenFiles(t *testing.T) {
	t.Parallel()
	h := newTestHome(t)
	cfg, err := LoadStationHome(h.dir)
	if err != nil {
		t.Fatal(err)
	}
	h.write(t, "tc.crt", "changed after load")
	db, _ := agentstoretest.Open(t, nil)
	if _, err := cfg.Import(context.Background(), db); err == nil || !strings.Contains(err.Error(), "tc.crt") {
		t.Errorf("Import = %v, want an error about tc.crt", err)
	}
	if _, err := db.Credentials(context.Background(), agentstore.KindTC, agentstore.SetReg); !errors.Is(err, agentstore.ErrNotFound) {
		t.Errorf("tc reg after a failed import = %v, want ErrNotFound", err)
	}
}

// TestReconnectDefaultsAreStations: Station's tc_continue (src/tc.c)
// retries the traffic URI for retries 0..4 after 1<<retries seconds (1, 2,
// 4, 8, 16 s), then steps router-info by 10 s up to 60 s; TC_TIMEOUT is
// 60 s.
func TestReconnectDefaultsAreStations(t *testing.T) {
	t.Parallel()
	r := Default().Reconnect
	if r.MuxsBackoff != Duration(time.Second) || r.MuxsRetries != 5 {
		t.Errorf("muxs_backoff %v × %d retries, want 1s × 5 (1, 2, 4, 8, 16 s)", time.Duration(r.MuxsBackoff), r.MuxsRetries)
	}
	if r.InfosStep != Duration(10*time.Second) || r.InfosMax != Duration(time.Minute) || r.TCTimeout != Duration(time.Minute) {
		t.Errorf("infos_step %v, infos_max %v, tc_timeout %v; want 10s, 1m0s, 1m0s",
			time.Duration(r.InfosStep), time.Duration(r.InfosMax), time.Duration(r.TCTimeout))
	}
}
