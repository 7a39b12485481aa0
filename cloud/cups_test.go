package cloud

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

func TestCUPSConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(*Config)
		wantURI string
		wantErr string // from Validate or CUPSURI
	}{
		{"off by default", func(*Config) {}, "", "the CUPS server is off"},
		{"listen port", func(c *Config) { c.CUPS.Listen = ":6041" }, "https://127.0.0.1:6041", ""},
		{"public port", func(c *Config) {
			c.CUPS.Listen = "127.0.0.1:0"
			c.CUPS.PublicPort = 443
			c.Gateways.PublicHost = "lns.example.com"
		}, "https://lns.example.com:443", ""},
		{"no fixed port", func(c *Config) { c.CUPS.Listen = "127.0.0.1:0" }, "", "no fixed port"},
		{"bad listen", func(c *Config) { c.CUPS.Listen = "6041" }, "", "cups.listen"},
		{"public port out of range", func(c *Config) { c.CUPS.PublicPort = 70000 }, "", "cups.public_port"},
		{"write timeout", func(c *Config) { c.CUPS.WriteTimeout = 0 }, "", "cups.write_timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			uri := ""
			if err == nil {
				uri, err = cfg.CUPSURI()
			}
			switch {
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Errorf("error = %v, want one mentioning %q", err, tt.wantErr)
			case tt.wantErr == "" && (err != nil || uri != tt.wantURI):
				t.Errorf("CUPSURI = %q, %v; want %q", uri, err, tt.wantURI)
			}
		})
	}
}

// TestCloudServesCUPS runs the cloud with its CUPS server on: a gateway
// bootstrapped with a CUPS home gets its TC credentials and tc.uri from
// CUPS, connects to the LNS with them, and that connection, reported by the
// endpoint's OnConnect hook, completes the credential rotation.
func TestCloudServesCUPS(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.CUPS.Listen = "127.0.0.1:0"
	c, err := New(cfg, Options{Handler: chanHandler(make(chan gateway.Uplink, 4))})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Run did not return")
		}
	})
	if c.CUPSAddr() == nil || !strings.HasPrefix(c.CUPSURI(), "https://127.0.0.1:") {
		t.Fatalf("CUPS at %v, uri %q", c.CUPSAddr(), c.CUPSURI())
	}

	eui := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	if err := c.Store().PutGateway(ctx, store.Gateway{EUI: eui, Region: "EU868"}); err != nil {
		t.Fatal(err)
	}
	rot, err := cupsserver.Rotate(ctx, c.Store(), c.CA(), eui, cupsserver.RotateOptions{CUPSURI: c.CUPSURI()})
	if err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	if err := cupsserver.WriteCUPSHome(home, c.CUPSURI(), rot.CUPS); err != nil {
		t.Fatal(err)
	}

	// One CUPS exchange, as Station makes it from that home.
	key, err := x509.ParseECPrivateKey(rot.CUPS.Key)
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: c.CA().Pool(), ServerName: "127.0.0.1",
		Certificates: []tls.Certificate{{Certificate: [][]byte{rot.CUPS.Cert}, PrivateKey: key}},
	}}}
	body := `{"router":"b827:ebff:fe61:51a5","cupsUri":"` + c.CUPSURI() + `","tcUri":null,"cupsCredCrc":` +
		itoa(rot.CUPS.CRC()) + `,"tcCredCrc":` + itoa(cups.CredCRC(nil, nil, nil)) + `,"station":"2.0.6","model":"linux","package":"","keys":[]}`
	resp, err := client.Post(c.CUPSURI()+"/update-info", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("update-info: %d %s", resp.StatusCode, b)
	}
	var r cups.UpdateInfoResponse
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if r.TCURI != c.TCURI() || r.CUPSURI != "" || len(r.CUPSCred) != 0 {
		t.Errorf("answer: tcUri %q, cupsUri %q, cupsCred %d bytes; want %q only with credentials", r.TCURI, r.CUPSURI, len(r.CUPSCred), c.TCURI())
	}
	var tc cups.Credentials
	if err := tc.UnmarshalBinary(r.TCCred); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(tc.Cert, rot.TC.Cert) {
		t.Fatal("tcCred is not the issued TC credential")
	}

	// Connect to the LNS with what CUPS gave.
	tcKey, err := x509.ParseECPrivateKey(tc.Key)
	if err != nil {
		t.Fatal(err)
	}
	trust, err := x509.ParseCertificate(tc.Trust)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(trust)
	dialer := &websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: &tls.Config{
		RootCAs: pool, ServerName: "127.0.0.1",
		Certificates: []tls.Certificate{{Certificate: [][]byte{tc.Cert}, PrivateKey: tcKey}},
	}}
	conn, _, err := dialer.Dial(r.TCURI+"/traffic/"+eui.String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"2.0.6","firmware":"","package":"","model":"linux","protocol":2,"features":""}`)); err != nil {
		t.Fatal(err)
	}
	_, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	if m, err := station.Decode(msg); err != nil || m.MsgType() != "router_config" {
		t.Fatalf("first message %s, %v", msg, err)
	}
	g, err := c.Store().GetGateway(ctx, eui)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(g.CertFingerprints, []string{rot.TCFingerprint}) {
		t.Errorf("traffic pins after the first connection %v, want [%s]", g.CertFingerprints, rot.TCFingerprint)
	}
	st, err := c.Store().GetCUPSGateway(ctx, eui)
	if err != nil || st.LastTCFingerprint != rot.TCFingerprint || st.Rotation != nil {
		t.Errorf("CUPS state: last TC %q, rotation %+v, %v", st.LastTCFingerprint, st.Rotation, err)
	}
	for _, f := range []string{cupsserver.CUPSURIFile, cupsserver.CUPSKeyFile} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Error(err)
		}
	}
}

func itoa(n uint32) string { return strconv.FormatUint(uint64(n), 10) }
