package main

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// signalWriter collects output and closes ready when a line containing
// marker has been written.
type signalWriter struct {
	mu     sync.Mutex
	buf    bytes.Buffer
	marker string
	ready  chan struct{}
	once   sync.Once
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), w.marker) {
		w.once.Do(func() { close(w.ready) })
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestCloudCommandRunsAndStops(t *testing.T) {
	t.Setenv(store.EnvKEK, "")
	dir := t.TempDir()
	conf := filepath.Join(dir, "cloud.toml")
	data := filepath.Join(dir, "data")
	if err := os.WriteFile(conf, []byte("[gateways]\nlisten = \"127.0.0.1:0\"\n[mqtt]\nembedded_listen = \"127.0.0.1:0\"\n[api]\nlisten = \"127.0.0.1:0\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr := &signalWriter{marker: "cloud started", ready: make(chan struct{})}
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"cloud", "--config", conf, "--data", data}, &bytes.Buffer{}, stderr) }()
	select {
	case <-stderr.ready:
	case c := <-code:
		t.Fatalf("cloud exited with %d before starting: %s", c, stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("cloud did not start: %s", stderr.String())
	}
	for _, f := range []string{store.DefaultDBFile, store.DefaultKEKFile, pki.CACertFile, pki.CAKeyFile, pki.ServerCertFile, pki.ServerKeyFile} {
		if _, err := os.Stat(filepath.Join(data, f)); err != nil {
			t.Errorf("--data %s: %v", data, err)
		}
	}
	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit %d after interrupt, want 0; stderr:\n%s", c, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("cloud did not stop")
	}
	if !strings.Contains(stderr.String(), "cloud stopped") {
		t.Errorf("no shutdown log line:\n%s", stderr.String())
	}
}

func TestCloudCommandRefusesBadConfig(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "cloud.toml")
	if err := os.WriteFile(conf, []byte("[gateways]\nidle = \"1m\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	if c := run(context.Background(), []string{"cloud", "--config", conf}, &bytes.Buffer{}, &stderr); c != exitUsage {
		t.Errorf("exit %d, want %d", c, exitUsage)
	}
	if !strings.Contains(stderr.String(), "gateways.idle") {
		t.Errorf("stderr %q does not name the unknown key", stderr.String())
	}
}

func TestGatewayCertWritesStationHome(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	out := filepath.Join(dir, "station")
	conf := filepath.Join(dir, "cloud.toml")
	if err := os.WriteFile(conf, []byte("[gateways]\npublic_host = \"lns.example.com\"\nlisten = \":6039\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--eui", "b827ebfffe6151a5", "--out", out, "--config", conf, "--data", data, "--days", "30"}
	if c := runGatewayCert(context.Background(), args, &stdout, &stderr); c != exitOK {
		t.Fatalf("exit %d: %s", c, stderr.String())
	}
	if got, err := os.ReadFile(filepath.Join(out, "tc.uri")); err != nil || string(got) != "wss://lns.example.com:6039\n" {
		t.Errorf("tc.uri = %q, %v; want wss://lns.example.com:6039", got, err)
	}
	ca, err := pki.LoadCA(data)
	if err != nil {
		t.Fatalf("the CA used is not in --data: %v", err)
	}
	trust, err := os.ReadFile(filepath.Join(out, "tc.trust"))
	if err != nil || !bytes.Equal(trust, ca.CertPEM()) {
		t.Errorf("tc.trust is not the data directory's CA")
	}
	crtPEM, err := os.ReadFile(filepath.Join(out, "tc.crt"))
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(crtPEM)
	if block == nil {
		t.Fatal("tc.crt is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("tc.crt does not verify against the CA as a client certificate: %v", err)
	}
	if eui, err := pki.EUIFromCertificate(cert); err != nil || eui != (lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}) {
		t.Errorf("certificate names %v, %v", eui, err)
	}
	if d := time.Until(cert.NotAfter); d < 29*24*time.Hour || d > 31*24*time.Hour {
		t.Errorf("certificate valid for %v, want about 30 days", d)
	}
	if fi, err := os.Stat(filepath.Join(out, "tc.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("tc.key: %v, mode %v; want 0600", err, fi)
	}
	if !strings.Contains(stdout.String(), "fingerprint") {
		t.Errorf("output lacks the fingerprint: %s", stdout.String())
	}

	// A second run does not overwrite the credentials without --force.
	stderr.Reset()
	if c := runGatewayCert(context.Background(), args, &stdout, &stderr); c != exitFailure || !strings.Contains(stderr.String(), "--force") {
		t.Errorf("second run: exit %d, stderr %q; want %d and a hint to use --force", c, stderr.String(), exitFailure)
	}
	stderr.Reset()
	if c := runGatewayCert(context.Background(), append(args, "--force", "--uri", "wss://10.0.0.1:443"), &stdout, &stderr); c != exitOK {
		t.Fatalf("--force: exit %d: %s", c, stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(out, "tc.uri")); string(got) != "wss://10.0.0.1:443\n" {
		t.Errorf("tc.uri with --uri = %q", got)
	}
	again, err := pki.LoadCA(data)
	if err != nil || !bytes.Equal(again.CertPEM(), ca.CertPEM()) {
		t.Error("a second run changed the CA")
	}
}

func TestGatewayCertUsage(t *testing.T) {
	out := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no eui", []string{"--out", out}, "--eui"},
		{"bad eui", []string{"--eui", "xyz", "--out", out}, "16 hex digits"},
		{"no out", []string{"--eui", "0000000000000001"}, "--out"},
		{"uri with path", []string{"--eui", "0000000000000001", "--out", out, "--data", t.TempDir(), "--uri", "wss://h:1/router-info"}, "tc uri"},
		{"no port known", []string{"--eui", "0000000000000001", "--out", out, "--data", t.TempDir(), "--config", writeConf(t, "[gateways]\nlisten = \"127.0.0.1:0\"\n")}, "public_port"},
		{"zero days", []string{"--eui", "0000000000000001", "--out", out, "--days", "0"}, "--days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			if c := runGatewayCert(context.Background(), tt.args, &bytes.Buffer{}, &stderr); c != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", c, exitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.want)
			}
		})
	}
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused runs wrote %d files into --out", len(entries))
	}
}

func writeConf(t *testing.T, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "cloud.toml")
	if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
