package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/agentstore"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestParseSpan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		unit time.Duration
		want time.Duration
		bad  bool
	}{
		{in: "4s", unit: time.Hour, want: 4 * time.Second},
		{in: "24h", unit: time.Hour, want: 24 * time.Hour},
		{in: "1d2h3m4s5ms", unit: time.Second, want: 26*time.Hour + 3*time.Minute + 4*time.Second + 5*time.Millisecond},
		{in: "100ms", unit: time.Second, want: 100 * time.Millisecond},
		{in: "3", unit: time.Minute, want: 3 * time.Minute},
		{in: " 2m ", unit: time.Second, want: 2 * time.Minute},
		{in: "", bad: true},
		{in: "s", bad: true},
		{in: "4x", bad: true},
		{in: "-4s", bad: true},
		{in: "0s", bad: true},
		{in: "99999999999999999999s", bad: true},
		{in: "9999999999999d", bad: true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := parseSpan(tc.in, tc.unit)
			if tc.bad {
				if err == nil {
					t.Errorf("parseSpan(%q) = %v, want an error", tc.in, got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("parseSpan(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

// cupsTestRegistry gives the LNS the store's gateways, as the cloud does.
type cupsTestRegistry struct{ db *store.DB }

func (r cupsTestRegistry) Gateway(ctx context.Context, eui lorawan.EUI64) (gateway.GatewayInfo, error) {
	g, err := r.db.GetGateway(ctx, eui)
	if errors.Is(err, store.ErrNotFound) {
		return gateway.GatewayInfo{}, fmt.Errorf("%w: %w", gateway.ErrUnknownGateway, err)
	}
	if err != nil {
		return gateway.GatewayInfo{}, err
	}
	return gateway.GatewayInfo{EUI: g.EUI, Region: g.Region, CertFingerprints: g.CertFingerprints}, nil
}

type cupsTestUplinks struct{}

func (cupsTestUplinks) HandleUplink(context.Context, gateway.Uplink) {}

// TestAgentCommandBootstrapsFromCUPS runs `loraedge agent --home DIR` on a
// Station home that holds only CUPS bootstrap credentials (as `loraedge
// gateway cups-home` writes it) against the real CUPS server and LNS: the
// agent asks CUPS, gets its LNS URI and credentials, connects with them and
// promotes them in agent.db.
func TestAgentCommandBootstrapsFromCUPS(t *testing.T) {
	eui := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	ca, err := pki.NewCA("test CA", time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.IssueServerCert([]string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	serverCert, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	issue := func() cups.Credentials {
		kp, err := ca.IssueGatewayCert(eui, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		key, err := cups.ToDER(kp.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return cups.Credentials{Trust: ca.Certificate().Raw, Cert: kp.Cert.Raw, Key: key}
	}
	db := storetest.Open(t)
	ctx := context.Background()
	if err := db.PutGateway(ctx, store.Gateway{EUI: eui, Region: "EU868"}); err != nil {
		t.Fatal(err)
	}
	tc := issue()
	err = db.UpdateCUPS(ctx, eui, func(_ *store.Gateway, c *store.CUPSGateway) error {
		c.TCCred = &store.CredentialSet{Trust: tc.Trust, Cert: tc.Cert, Key: tc.Key, CRC: tc.CRC()}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	lnsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cupsLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lnsURI, cupsURI := "wss://"+lnsLn.Addr().String(), "https://"+cupsLn.Addr().String()
	quiet := slog.New(slog.DiscardHandler)
	srv, err := cupsserver.New(db, cupsserver.Options{ServerCert: serverCert, ClientCAs: ca.Pool(), TCURI: lnsURI, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	lns, err := gateway.New(cupsTestRegistry{db}, cupsTestUplinks{}, gateway.Options{
		PublicURI: lnsURI, ServerCert: serverCert, ClientCAs: ca.Pool(), Logger: quiet, OnConnect: srv.GatewayConnected,
	})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(ctx)
	served := make(chan error, 2)
	go func() { served <- srv.Serve(sctx, cupsLn) }()
	go func() { served <- lns.Serve(sctx, lnsLn) }()
	defer func() {
		stop()
		for range 2 {
			if err := <-served; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}()

	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := cupsserver.WriteCUPSHome(home, cupsURI, issue()); err != nil {
		t.Fatal(err)
	}
	writeTestFiles(t, home, map[string]string{
		"station.conf": `{"station_conf": {"routerid": "b827ebfffe6151a5", "CUPS_RESYNC_INTV": "200ms"}}`,
		"version.txt":  "1.2.3\n",
	})
	data := filepath.Join(dir, "data")
	conf := filepath.Join(dir, "agent.toml")
	writeTestFiles(t, dir, map[string]string{"agent.toml": "log_level = \"debug\"\n[reconnect]\ninfos_step = \"50ms\"\ninfos_max = \"100ms\"\n"})

	actx, cancel := context.WithCancel(ctx)
	defer cancel()
	stderr := &signalWriter{marker: "new TC credentials reached the LNS: promoted", ready: make(chan struct{})}
	code := make(chan int, 1)
	go func() {
		code <- run(actx, []string{"agent", "--home", home, "--config", conf, "--data", data}, &bytes.Buffer{}, stderr)
	}()
	select {
	case <-stderr.ready:
	case c := <-code:
		t.Fatalf("agent exited with %d:\n%s", c, stderr.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the agent did not reach the LNS with credentials from CUPS:\n%s", stderr.String())
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
	for _, want := range []string{"no TC URI configured: asking CUPS for it", "CUPS client on", "no update_command"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	for _, secret := range [][]byte{tc.Key} {
		if strings.Contains(out, fmt.Sprintf("%x", secret)) {
			t.Error("log carries a private key")
		}
	}
	adb, err := agentstore.Open(filepath.Join(data, agentstore.DefaultDBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer adb.Close()
	reg, err := adb.Credentials(ctx, agentstore.KindTC, agentstore.SetReg)
	if err != nil || reg.URI != lnsURI || reg.CRC() != tc.CRC() {
		t.Errorf("tc reg set %v, %v; want %s with crc %08x", reg, err, lnsURI, tc.CRC())
	}
	c, err := db.GetCUPSGateway(ctx, eui)
	if err != nil {
		t.Fatal(err)
	}
	if c.LastRequest.Package != "1.2.3" || c.LastRequest.Station == "" {
		t.Errorf("CUPS request reported package %q station %q, want version.txt's 1.2.3", c.LastRequest.Package, c.LastRequest.Station)
	}
	if c.LastTCFingerprint != store.CertFingerprint(tc.Cert) {
		t.Errorf("LNS saw certificate %s, want the one from CUPS", c.LastTCFingerprint)
	}
	if _, err := os.Stat(filepath.Join(home, "tc.uri")); err == nil {
		t.Error("the agent wrote tc.uri into the home; credentials belong in agent.db")
	}
}
