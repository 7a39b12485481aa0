package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent/internal/rctest"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

func TestParseTCURI(t *testing.T) {
	tests := []struct {
		uri      string
		tls      bool
		host     string
		hostPort string
		bad      bool
	}{
		{uri: "wss://lns.example.com:6039", tls: true, host: "lns.example.com", hostPort: "lns.example.com:6039"},
		{uri: "ws://127.0.0.1:1234", host: "127.0.0.1", hostPort: "127.0.0.1:1234"},
		{uri: "WSS://[::1]:6039", tls: true, host: "::1", hostPort: "[::1]:6039"},
		{uri: "wss://lns.example.com", bad: true},
		{uri: "wss://lns.example.com:6039/router-info", bad: true},
		{uri: "wss://lns.example.com:6039/", bad: true},
		{uri: "wss://lns.example.com:6039?x=1", bad: true},
		{uri: "https://lns.example.com:6039", bad: true},
		{uri: "wss://user@lns.example.com:6039", bad: true},
		{uri: "", bad: true},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			ep, err := parseTCURI(tt.uri)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseTCURI(%q) = %+v, want an error", tt.uri, ep)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ep.tls != tt.tls || ep.host != tt.host || ep.hostPort != tt.hostPort {
				t.Errorf("got %+v, want tls %v host %q hostPort %q", ep, tt.tls, tt.host, tt.hostPort)
			}
		})
	}
}

func TestParseToken(t *testing.T) {
	tests := []struct {
		name string
		text string
		want http.Header
		bad  bool
	}{
		{"bearer", "Authorization: Bearer abc\r\n", http.Header{"Authorization": {"Bearer abc"}}, false},
		{"two lines", "Authorization: abc\nX-Gw_Id: 12\n\n", http.Header{"Authorization": {"abc"}, "X-Gw_id": {"12"}}, false},
		{"empty", "", http.Header{}, false},
		{"no colon space", "Authorization:abc", nil, true},
		{"no name", ": abc", nil, true},
		{"space in name", "Bad Name: abc", nil, true},
		{"bare token", "abc", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseToken(tt.text)
			if tt.bad {
				if err == nil {
					t.Fatalf("parseToken = %v, want an error", got)
				}
				if strings.Contains(err.Error(), "abc") {
					t.Errorf("error %q quotes the token", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestTokenText(t *testing.T) {
	tests := []struct {
		name string
		c    Credentials
		want string
	}{
		{"token", Credentials{Token: "Authorization: x"}, "Authorization: x"},
		{"key without cert is a token, as in Station", Credentials{Key: []byte("Authorization: y")}, "Authorization: y"},
		{"cert and key", Credentials{Cert: []byte{0x30}, Key: []byte{0x30}}, ""},
		{"nothing", Credentials{}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.c.tokenText(); got != tt.want {
				t.Errorf("tokenText() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStationRounding(t *testing.T) {
	rssi := []struct {
		in   float32
		want float64
	}{{-50.7, -50}, {-50.2, -50}, {-120, -120}, {-0.4, 0}, {3, 0}, {-300, -255}}
	for _, tt := range rssi {
		if got := stationRSSI(tt.in); got != tt.want {
			t.Errorf("stationRSSI(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
	snr := []struct {
		in   float32
		want float64
	}{{9.3, 9.25}, {9.2, 9}, {-7.6, -7.5}, {-7.3, -7.25}, {40, 31.75}, {-40, -32}, {0, 0}}
	for _, tt := range snr {
		if got := stationSNR(tt.in); got != tt.want {
			t.Errorf("stationSNR(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// TestRadioConfigUnusable checks that a router_config radioconf cannot
// build on is errNoRadioConf, on which the agent goes back to discovery.
func TestRadioConfigUnusable(t *testing.T) {
	rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/2","sx1301_conf":[{}]}`)
	p := newPlan(rc)
	if _, err := radioConfig(rc, station.SX130xConf{}, p); !errors.Is(err, errNoRadioConf) {
		t.Errorf("radioConfig: %v, want errNoRadioConf", err)
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name           string
		region         string
		maxEIRP        string
		freq           uint32
		want           float64
		regionKnown    bool
		wantFreqOK     bool
		wantRX2Allowed bool
	}{
		{"EU868 default", "EU868", "", 868_100_000, 16, true, true, true},
		{"EU868 high-power band", "EU868", "", 869_525_000, 27, true, true, true},
		{"EU868 max_eirp lowers both", "EU868", `,"max_eirp":14`, 869_525_000, 14, true, true, true},
		{"EU868 max_eirp truncated to 0.1 dB", "EU868", `,"max_eirp":15.57`, 868_100_000, 15.5, true, true, true},
		{"EU863 is EU868", "EU863", "", 868_100_000, 16, true, true, true},
		{"US915 max_eirp cannot raise", "US915", `,"max_eirp":30`, 923_300_000, 26, true, false, true},
		{"AU915", "AU915", "", 923_300_000, 30, true, false, true},
		{"KR920", "KR920", "", 922_100_000, 23, true, false, true},
		{"AS923-1", "AS923JP", "", 923_200_000, 13, true, false, true},
		{"IL915 high band", "IL915", "", 916_300_000, 20, true, false, true},
		{"unknown region takes max_eirp", "XX999", `,"max_eirp":20`, 868_100_000, 20, false, true, true},
		{"unknown region", "XX999", "", 868_100_000, 14, false, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"`+tt.region+`","freq_range":[863000000,870000000],"DRs":`+rctest.EU868DRs+tt.maxEIRP+`}`)
			p := newPlan(rc)
			if got := p.eirp(tt.freq); got != tt.want {
				t.Errorf("eirp(%d) = %v, want %v", tt.freq, got, tt.want)
			}
			if (p.region != "") != tt.regionKnown {
				t.Errorf("region %q, known %v", p.region, tt.regionKnown)
			}
			if err := p.checkFreq(tt.freq); (err == nil) != tt.wantFreqOK {
				t.Errorf("checkFreq(%d) = %v", tt.freq, err)
			}
		})
	}

	rc := rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","freq_range":[863000000,870000000],"DRs":`+rctest.EU868DRs+`}`)
	p := newPlan(rc)
	drs := []struct {
		rx   hal.RxPacket
		want int
		ok   bool
	}{
		{hal.RxPacket{Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125}, 5, true},
		{hal.RxPacket{Modulation: hal.ModulationLoRa, SpreadingFactor: 12, Bandwidth: hal.BW125}, 0, true},
		{hal.RxPacket{Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW250}, 6, true},
		{hal.RxPacket{Modulation: hal.ModulationFSK, DataRate: 50_000}, 7, true},
		{hal.RxPacket{Modulation: hal.ModulationLoRa, SpreadingFactor: 12, Bandwidth: hal.BW500}, 0, false},
	}
	for _, tt := range drs {
		if got, ok := p.upDR(&tt.rx); got != tt.want || ok != tt.ok {
			t.Errorf("upDR(SF%d %d Hz %s) = %d, %v; want %d, %v", tt.rx.SpreadingFactor, tt.rx.Bandwidth, tt.rx.Modulation, got, ok, tt.want, tt.ok)
		}
	}
	// A downlink-only data rate is never an uplink's (US915 DR12 = DR4).
	us := newPlan(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"US915","DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[-1,0,0],[-1,0,0],[12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]]}`))
	if got, ok := us.upDR(&hal.RxPacket{Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW500}); ok {
		t.Errorf("SF7/500 mapped to DR%d, want no uplink data rate", got)
	}
	for dr, ok := range map[int]bool{0: true, 7: true, 8: false, 15: false, -1: false, 16: false} {
		if err := p.checkDR(dr); (err == nil) != ok {
			t.Errorf("checkDR(%d) = %v", dr, err)
		}
	}
	for f, ok := range map[uint32]bool{863_000_000: true, 870_000_000: true, 862_999_999: false, 870_000_001: false} {
		if err := p.checkFreq(f); (err == nil) != ok {
			t.Errorf("checkFreq(%d) = %v", f, err)
		}
	}
	if err := newPlan(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868"}`)).checkFreq(868_100_000); err == nil {
		t.Error("a router_config without freq_range allows a frequency; Station allows none")
	}
}

func TestDutyCycle(t *testing.T) {
	const ms = 1000
	eu := newPlan(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","DRs":`+rctest.EU868DRs+`}`))
	eu.dcBook(868_100_000, 0, 50*ms) // 1 % band: blocked for 5 s
	for _, tt := range []struct {
		freq uint32
		at   int64
		ok   bool
	}{
		{868_300_000, 4999 * ms, false}, // same band
		{868_300_000, 5000 * ms, true},
		{869_525_000, 1000 * ms, true}, // the 10 % band is another band
		{867_100_000, 1000 * ms, true}, // 0.1 % band
	} {
		if got := eu.dcAllows(tt.freq, tt.at); got != tt.ok {
			t.Errorf("EU868 dcAllows(%d, %d) = %v, want %v", tt.freq, tt.at, got, tt.ok)
		}
	}
	nodc := newPlan(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"EU868","nodc":true}`))
	nodc.dcBook(868_100_000, 0, 50*ms)
	if !nodc.dcAllows(868_100_000, 1) {
		t.Error("nodc: duty cycle still enforced")
	}
	kr := newPlan(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"KR920"}`))
	kr.dcBook(922_100_000, 0, 100*ms) // 2 %: blocked for 5 s on that frequency
	if kr.dcAllows(922_100_000, 4999*ms) || !kr.dcAllows(922_100_000, 5000*ms) || !kr.dcAllows(922_300_000, 1) {
		t.Error("KR920 per-channel duty cycle wrong")
	}
	us := newPlan(rctest.RouterConfig(t, `{"msgtype":"router_config","region":"US915"}`))
	us.dcBook(923_300_000, 0, 400*ms)
	if !us.dcAllows(923_300_000, 1) {
		t.Error("US915 has no duty cycle")
	}
}

func TestMemorySpool(t *testing.T) {
	ctx := context.Background()
	s := NewMemorySpool(2)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i, m := range []string{"a", "b", "c"} {
		if err := s.SpoolPut(ctx, []byte(m), at.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := s.SpoolPeek(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || string(recs[0].Msg) != "b" || string(recs[1].Msg) != "c" || s.Dropped() != 1 {
		t.Fatalf("peek %+v dropped %d, want b, c and one dropped", recs, s.Dropped())
	}
	if !recs[0].ReceivedAt.Equal(at.Add(time.Second)) {
		t.Errorf("ReceivedAt %v", recs[0].ReceivedAt)
	}
	if err := s.SpoolDelete(ctx, recs[0].ID); err != nil {
		t.Fatal(err)
	}
	recs, _ = s.SpoolPeek(ctx, 10)
	if len(recs) != 1 || string(recs[0].Msg) != "c" || s.Len() != 1 {
		t.Errorf("after delete: %+v", recs)
	}
}

// TestTLSConfig reads credentials in PEM and DER, as Station's mbedTLS
// does, and refuses a key that is not the certificate's.
func TestTLSConfig(t *testing.T) {
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	key, other := newKey(), newKey()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "b827ebfffe6151a5"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	otherDER, err := x509.MarshalPKCS8PrivateKey(other)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	tests := []struct {
		name string
		c    Credentials
		ok   bool
	}{
		{"PEM, SEC 1 key", Credentials{Trust: certPEM, Cert: certPEM, Key: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})}, true},
		{"PEM, PKCS#8 key", Credentials{Trust: certPEM, Cert: certPEM, Key: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8})}, true},
		{"DER", Credentials{Trust: der, Cert: der, Key: sec1}, true},
		{"DER, PKCS#8", Credentials{Trust: der, Cert: der, Key: pkcs8}, true},
		{"trust only", Credentials{Trust: der}, true},
		{"no trust", Credentials{Cert: der, Key: sec1}, false},
		{"bad trust", Credentials{Trust: []byte("not a certificate")}, false},
		{"key of another certificate", Credentials{Trust: der, Cert: der, Key: otherDER}, false},
		{"certificate without key", Credentials{Trust: der, Cert: der}, false},
		{"garbage key", Credentials{Trust: der, Cert: der, Key: []byte{0x30, 0x03, 0x02, 0x01, 0x01}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := tt.c.tlsConfig("127.0.0.1")
			if (err == nil) != tt.ok {
				t.Fatalf("tlsConfig: %v, want ok %v", err, tt.ok)
			}
			if err != nil {
				return
			}
			hasCert := cfg.GetClientCertificate != nil
			if hasCert != (len(tt.c.Cert) > 0) {
				t.Errorf("client certificate set %v", hasCert)
			}
			if cfg.ServerName != "" {
				t.Errorf("SNI %q for an IP address", cfg.ServerName)
			}
		})
	}
}

// TestReconnectDefaults: Station's tc_continue retries the traffic URI
// after 1<<retries seconds for retries 0..4, then steps router-info by
// 10 s up to 60 s, and invokes CUPS after 10 retries.
func TestReconnectDefaults(t *testing.T) {
	var r Reconnect
	r.defaults()
	var want []time.Duration
	for retries := 0; retries <= 4; retries++ {
		want = append(want, time.Duration(1<<retries)*time.Second)
	}
	if !reflect.DeepEqual(r.MuxsBackoff, want) {
		t.Errorf("MuxsBackoff %v, want %v", r.MuxsBackoff, want)
	}
	if r.InfosStep != 10*time.Second || r.InfosMax != 60*time.Second || r.RejectAfter != 10 {
		t.Errorf("InfosStep %v, InfosMax %v, RejectAfter %d; want 10s, 1m0s, 10", r.InfosStep, r.InfosMax, r.RejectAfter)
	}
}
