package agent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

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

// eu868DRs are router_config's DRs for EU868.
const eu868DRs = `[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]`

func decodeRC(t *testing.T, js string) *station.RouterConfig {
	t.Helper()
	m, err := station.Decode([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	return m.(*station.RouterConfig)
}

func ptr[T any](v T) *T { return &v }

func TestRadioConfig(t *testing.T) {
	board := station.SX130xConf{
		LorawanPublic: ptr(false),
		ClkSrc:        ptr(1),
		Radios: [2]*station.RadioConf{
			{Type: "SX1257", RSSIOffset: ptr(-166.0), TxEnable: ptr(true)},
			{Type: "SX1255", Freq: 868_000_000, TxEnable: ptr(false)},
		},
	}
	rc := decodeRC(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","freq_range":[863000000,870000000],"DRs":`+eu868DRs+`,`+
		`"SX1301_conf":[{"lorawan_public":true,"radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":true,"freq":868500000,"tx_enable":true},`+
		`"chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},"chan_multiSF_1":{"enable":true,"radio":0,"if":200000},`+
		`"chan_Lora_std":{"enable":true,"radio":1,"if":-200000,"bandwidth":250000,"spread_factor":7},"chan_FSK":{"enable":true,"radio":1,"if":300000}},{"radio_0":{"enable":false,"freq":0}}]}`)
	got, err := radioConfig(rc, board, newPlan(rc))
	if err != nil {
		t.Fatal(err)
	}
	want := hal.Config{
		PrivateSyncWord: false, // router_config's lorawan_public wins over station.conf's
		ClockSource:     1,
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 867_500_000, Type: "SX1257", RSSIOffset: -166, TxEnable: true},
			{Enable: true, Freq: 868_500_000, Type: "SX1255", TxEnable: true},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 1, IF: -200_000, Bandwidth: hal.BW250, SpreadingFactor: 7},
		FSK:     hal.IFChain{Enable: true, RFChain: 1, IF: 300_000, DataRate: 50_000},
	}
	want.MultiSF[0] = hal.IFChain{Enable: true, RFChain: 1, IF: -400_000}
	want.MultiSF[1] = hal.IFChain{Enable: true, RFChain: 0, IF: 200_000}
	if got != want {
		t.Errorf("radioConfig\n got %+v\nwant %+v", got, want)
	}

	bad := []struct{ name, js string }{
		{"no hwspec", `{"msgtype":"router_config","region":"EU868","sx1301_conf":[{"radio_0":{"enable":true,"freq":868000000}}]}`},
		{"other hwspec", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/2","sx1301_conf":[{"radio_0":{"enable":true,"freq":868000000}}]}`},
		{"no radio conf", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1"}`},
		{"empty array", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[]}`},
		{"channel on a disabled radio", `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[{"radio_0":{"enable":true,"freq":868000000},"radio_1":{"enable":false,"freq":0},"chan_multiSF_0":{"enable":true,"radio":1,"if":0}}]}`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			rc := decodeRC(t, tt.js)
			if _, err := radioConfig(rc, station.SX130xConf{}, newPlan(rc)); !errors.Is(err, errNoRadioConf) {
				t.Errorf("radioConfig: %v, want errNoRadioConf", err)
			}
		})
	}
}

// TestAllocChannels allocates EU868's eight LoRa channels, DR6 on 868.3 MHz
// and FSK on 868.8 MHz as Station's ral_challoc does (values worked out by
// hand from src/ral.c).
func TestAllocChannels(t *testing.T) {
	rc := decodeRC(t, `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","DRs":`+eu868DRs+`,`+
		`"upchannels":[[868100000,0,5],[868300000,0,6],[868500000,0,5],[867100000,0,5],[867300000,0,5],[867500000,0,5],[867700000,0,5],[867900000,0,5],[868800000,7,7]],`+
		`"sx1301_conf":[{"radio_0":{"enable":false,"freq":0},"radio_1":{"enable":false,"freq":0}}]}`)
	got, err := radioConfig(rc, station.SX130xConf{}, newPlan(rc))
	if err != nil {
		t.Fatal(err)
	}
	want := hal.Config{
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 867_500_000, TxEnable: true},
			{Enable: true, Freq: 868_450_000},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 1, IF: -150_000, Bandwidth: hal.BW250, SpreadingFactor: 7},
		FSK:     hal.IFChain{Enable: true, RFChain: 1, IF: 350_000, DataRate: 50_000},
	}
	for i, off := range []int32{-400_000, -200_000, 0, 200_000, 400_000} {
		want.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: off, Bandwidth: hal.BW125}
	}
	for i, off := range []int32{-350_000, -150_000, 50_000} {
		want.MultiSF[5+i] = hal.IFChain{Enable: true, RFChain: 1, IF: off, Bandwidth: hal.BW125}
	}
	if got != want {
		t.Errorf("allocation\n got %+v\nwant %+v", got, want)
	}

	t.Run("too wide for one chip", func(t *testing.T) {
		// Channels 3 MHz apart: two radios take two, the third is left out.
		rc := decodeRC(t, `{"msgtype":"router_config","region":"US915","hwspec":"sx1301/1","DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0]],`+
			`"upchannels":[[902300000,0,3],[905300000,0,3],[908300000,0,3]],"sx1301_conf":[{}]}`)
		got, err := radioConfig(rc, station.SX130xConf{}, newPlan(rc))
		if err != nil {
			t.Fatal(err)
		}
		if got.Radios[0].Freq != 902_300_000 || got.Radios[1].Freq != 905_300_000 || !got.MultiSF[0].Enable || !got.MultiSF[1].Enable || got.MultiSF[2].Enable {
			t.Errorf("got %+v, want 902.3 and 905.3 MHz on chains 0 and 1 only", got)
		}
	})
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
			rc := decodeRC(t, `{"msgtype":"router_config","region":"`+tt.region+`","freq_range":[863000000,870000000],"DRs":`+eu868DRs+tt.maxEIRP+`}`)
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

	rc := decodeRC(t, `{"msgtype":"router_config","region":"EU868","freq_range":[863000000,870000000],"DRs":`+eu868DRs+`}`)
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
	us := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"US915","DRs":[[10,125,0],[9,125,0],[8,125,0],[7,125,0],[8,500,0],[-1,0,0],[-1,0,0],[-1,0,0],[12,500,1],[11,500,1],[10,500,1],[9,500,1],[8,500,1],[7,500,1],[-1,0,0],[-1,0,0]]}`))
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
	if err := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"EU868"}`)).checkFreq(868_100_000); err == nil {
		t.Error("a router_config without freq_range allows a frequency; Station allows none")
	}
}

func TestDutyCycle(t *testing.T) {
	const ms = 1000
	eu := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"EU868","DRs":`+eu868DRs+`}`))
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
	nodc := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"EU868","nodc":true}`))
	nodc.dcBook(868_100_000, 0, 50*ms)
	if !nodc.dcAllows(868_100_000, 1) {
		t.Error("nodc: duty cycle still enforced")
	}
	kr := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"KR920"}`))
	kr.dcBook(922_100_000, 0, 100*ms) // 2 %: blocked for 5 s on that frequency
	if kr.dcAllows(922_100_000, 4999*ms) || !kr.dcAllows(922_100_000, 5000*ms) || !kr.dcAllows(922_300_000, 1) {
		t.Error("KR920 per-channel duty cycle wrong")
	}
	us := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"US915"}`))
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

// TestUpChannelDefsJSON checks that a decoded upchannel list keeps
// Station's order rules (a stable sort by frequency).
func TestUpChannelDefsJSON(t *testing.T) {
	var ups []station.UpChannel
	if err := json.Unmarshal([]byte(`[[868500000,0,5],[868100000,0,5],[868100000,6,6]]`), &ups); err != nil {
		t.Fatal(err)
	}
	p := newPlan(decodeRC(t, `{"msgtype":"router_config","region":"EU868","DRs":`+eu868DRs+`}`))
	got := upChannelDefs(ups, p)
	want := []upChan{
		{freq: 868_100_000, kind: kindMultiSF},
		{freq: 868_100_000, kind: kindFast, bw: hal.BW250, sf: 7},
		{freq: 868_500_000, kind: kindMultiSF},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
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
