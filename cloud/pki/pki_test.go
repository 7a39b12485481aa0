package pki

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func mustCA(t *testing.T, dir string) *CA {
	t.Helper()
	ca, err := LoadOrCreateCA(dir, testNow)
	if err != nil {
		t.Fatalf("LoadOrCreateCA: %v", err)
	}
	return ca
}

func TestLoadOrCreateCAPersistsWithPrivateKeyMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ca := mustCA(t, dir)

	fi, err := os.Stat(filepath.Join(dir, CAKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("ca key mode = %o, want 600", got)
	}
	if !ca.Certificate().IsCA {
		t.Error("ca certificate is not a CA")
	}
	again := mustCA(t, dir)
	if !bytes.Equal(again.Certificate().Raw, ca.Certificate().Raw) {
		t.Error("second LoadOrCreateCA made a new CA instead of loading the stored one")
	}
	loaded, err := LoadCA(dir)
	if err != nil {
		t.Fatalf("LoadCA: %v", err)
	}
	if !bytes.Equal(loaded.CertPEM(), ca.CertPEM()) {
		t.Error("LoadCA returned another certificate")
	}
}

func TestLoadOrCreateCARefusesHalfAPair(t *testing.T) {
	for _, missing := range []string{CACertFile, CAKeyFile} {
		t.Run("missing "+missing, func(t *testing.T) {
			dir := t.TempDir()
			mustCA(t, dir)
			if err := os.Remove(filepath.Join(dir, missing)); err != nil {
				t.Fatal(err)
			}
			if _, err := LoadOrCreateCA(dir, testNow); err == nil {
				t.Fatal("LoadOrCreateCA replaced a half-present CA, want an error")
			}
		})
	}
}

func TestServerCertNamesHostAsCNAndDNS(t *testing.T) {
	tests := []struct {
		name   string
		hosts  []string
		wantIP bool
	}{
		{"ip", []string{"127.0.0.1"}, true},
		{"hostname", []string{"lns.example.com"}, false},
		{"several", []string{"lns.example.com", "localhost", "10.0.0.7"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ca := mustCA(t, t.TempDir())
			kp, err := ca.IssueServerCert(tt.hosts, testNow, testNow.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			c := kp.Cert
			if c.Subject.CommonName != tt.hosts[0] {
				t.Errorf("CN = %q, want %q", c.Subject.CommonName, tt.hosts[0])
			}
			if !slices.Equal(c.DNSNames, tt.hosts) {
				t.Errorf("DNS SANs = %q, want %q", c.DNSNames, tt.hosts)
			}
			for _, h := range tt.hosts {
				if ip := net.ParseIP(h); ip != nil && !slices.ContainsFunc(c.IPAddresses, ip.Equal) {
					t.Errorf("IP SANs %v lack %s", c.IPAddresses, h)
				}
			}
			if tt.wantIP && len(c.IPAddresses) == 0 {
				t.Error("no IP SAN for an IP host")
			}
			if !slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageServerAuth) || slices.Contains(c.ExtKeyUsage, x509.ExtKeyUsageClientAuth) {
				t.Errorf("ExtKeyUsage = %v, want serverAuth only", c.ExtKeyUsage)
			}
			if _, err := c.Verify(x509.VerifyOptions{Roots: ca.Pool(), DNSName: tt.hosts[0], CurrentTime: testNow}); err != nil {
				t.Errorf("verify for %s: %v", tt.hosts[0], err)
			}
		})
	}
}

func TestLoadOrCreateServerCert(t *testing.T) {
	dir := t.TempDir()
	ca := mustCA(t, dir)
	hosts := []string{"127.0.0.1"}
	first, err := LoadOrCreateServerCert(dir, ca, hosts, testNow)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, ServerKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("server key mode = %o, want 600", got)
	}
	tests := []struct {
		name     string
		ca       *CA
		hosts    []string
		now      time.Time
		wantSame bool
	}{
		{"same hosts, fresh", ca, hosts, testNow.Add(24 * time.Hour), true},
		{"other hosts", ca, []string{"lns.example.com"}, testNow, false},
		{"near expiry", ca, hosts, first.Cert.NotAfter.Add(-24 * time.Hour), false},
		{"other ca", mustCA(t, t.TempDir()), hosts, testNow, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Each case starts from the first certificate.
			if err := os.WriteFile(filepath.Join(dir, ServerCertFile), first.CertPEM, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, ServerKeyFile), first.KeyPEM, 0o600); err != nil {
				t.Fatal(err)
			}
			got, err := LoadOrCreateServerCert(dir, tt.ca, tt.hosts, tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if same := bytes.Equal(got.Cert.Raw, first.Cert.Raw); same != tt.wantSame {
				t.Errorf("kept the stored certificate = %v, want %v", same, tt.wantSame)
			}
			if err := got.Cert.CheckSignatureFrom(tt.ca.Certificate()); err != nil {
				t.Errorf("certificate not signed by the given CA: %v", err)
			}
		})
	}
}

func TestGatewayCertRoundTripsEUI(t *testing.T) {
	ca := mustCA(t, t.TempDir())
	eui := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	kp, err := ca.IssueGatewayCert(eui, testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := kp.Cert.Subject.CommonName, "b827ebfffe6151a5"; got != want {
		t.Errorf("CN = %q, want %q", got, want)
	}
	if !slices.Equal(kp.Cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
		t.Errorf("ExtKeyUsage = %v, want clientAuth", kp.Cert.ExtKeyUsage)
	}
	got, err := EUIFromCertificate(kp.Cert)
	if err != nil || got != eui {
		t.Errorf("EUIFromCertificate = %v, %v; want %v", got, err, eui)
	}
	if _, err := kp.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: testNow,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("verify as client: %v", err)
	}
	if _, err := kp.Cert.Verify(x509.VerifyOptions{Roots: ca.Pool(), CurrentTime: testNow,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err == nil {
		t.Error("a gateway certificate verifies as a server certificate")
	}
	if _, err := kp.TLSCertificate(); err != nil {
		t.Errorf("TLSCertificate: %v", err)
	}
	block, _ := pem.Decode(kp.KeyPEM)
	if block == nil || block.Type != "EC PRIVATE KEY" {
		t.Errorf("key PEM type = %v, want EC PRIVATE KEY", block)
	}
}

func TestIssueRejectsEmptyValidity(t *testing.T) {
	ca := mustCA(t, t.TempDir())
	if _, err := ca.IssueGatewayCert(lorawan.EUI64{1}, testNow, testNow); err == nil {
		t.Error("IssueGatewayCert accepted NotAfter == NotBefore")
	}
	if _, err := ca.IssueServerCert(nil, testNow, testNow.Add(time.Hour)); err == nil {
		t.Error("IssueServerCert accepted no hosts")
	}
}

func TestEUIFromCertificateSpellings(t *testing.T) {
	want := lorawan.EUI64{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77}
	mustURL := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := []struct {
		name    string
		cert    x509.Certificate
		want    lorawan.EUI64
		wantErr bool
	}{
		{name: "CN plain hex", cert: x509.Certificate{Subject: pkix.Name{CommonName: "0011223344556677"}}, want: want},
		{name: "CN upper hex", cert: x509.Certificate{Subject: pkix.Name{CommonName: "00112233445566AA"}}, want: lorawan.EUI64{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xaa}},
		{name: "CN dashes", cert: x509.Certificate{Subject: pkix.Name{CommonName: "00-11-22-33-44-55-66-77"}}, want: want},
		{name: "CN colons", cert: x509.Certificate{Subject: pkix.Name{CommonName: "00:11:22:33:44:55:66:77"}}, want: want},
		{name: "CN id6", cert: x509.Certificate{Subject: pkix.Name{CommonName: "11:2233:4455:6677"}}, want: want},
		{name: "CN id6 compressed", cert: x509.Certificate{Subject: pkix.Name{CommonName: "::1"}}, want: lorawan.EUI64{7: 1}},
		{name: "DNS SAN", cert: x509.Certificate{Subject: pkix.Name{CommonName: "gateway"}, DNSNames: []string{"gw.example.com", "0011223344556677"}}, want: want},
		{name: "URI SAN urn", cert: x509.Certificate{URIs: []*url.URL{mustURL("urn:dev:eui64:0011223344556677")}}, want: want},
		{name: "URI SAN id6", cert: x509.Certificate{URIs: []*url.URL{mustURL("eui:11:2233:4455:6677")}}, want: want},
		{name: "URI SAN path", cert: x509.Certificate{URIs: []*url.URL{mustURL("https://lns.example.com/gateways/00-11-22-33-44-55-66-77")}}, want: want},
		{name: "CN eui- prefix", cert: x509.Certificate{Subject: pkix.Name{CommonName: "eui-0011223344556677"}}, want: want},
		{name: "CN EUI- prefix upper", cert: x509.Certificate{Subject: pkix.Name{CommonName: "EUI-00112233445566AA"}}, want: lorawan.EUI64{0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0xaa}},
		{name: "CN eui- prefix dashes", cert: x509.Certificate{Subject: pkix.Name{CommonName: "eui-00-11-22-33-44-55-66-77"}}, want: want},
		{name: "DNS SAN eui- prefix", cert: x509.Certificate{Subject: pkix.Name{CommonName: "gateway"}, DNSNames: []string{"eui-0011223344556677"}}, want: want},
		{name: "eui- prefix with id6", cert: x509.Certificate{Subject: pkix.Name{CommonName: "eui-11:2233:4455:6677"}}, wantErr: true},
		{name: "eui- prefix alone", cert: x509.Certificate{Subject: pkix.Name{CommonName: "eui-"}}, wantErr: true},
		{name: "CN and SAN agree", cert: x509.Certificate{Subject: pkix.Name{CommonName: "0011223344556677"}, DNSNames: []string{"11:2233:4455:6677"}}, want: want},
		{name: "CN and SAN disagree", cert: x509.Certificate{Subject: pkix.Name{CommonName: "0011223344556677"}, DNSNames: []string{"0011223344556678"}}, wantErr: true},
		{name: "no EUI anywhere", cert: x509.Certificate{Subject: pkix.Name{CommonName: "lns.example.com"}, DNSNames: []string{"localhost"}}, wantErr: true},
		{name: "mixed separators", cert: x509.Certificate{Subject: pkix.Name{CommonName: "00-11:22-33:44-55:66-77"}}, wantErr: true},
		{name: "15 hex digits", cert: x509.Certificate{Subject: pkix.Name{CommonName: "001122334455667"}}, wantErr: true},
		{name: "empty", cert: x509.Certificate{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EUIFromCertificate(&tt.cert)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("EUIFromCertificate = %v, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("EUIFromCertificate = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	if _, err := EUIFromCertificate(&x509.Certificate{}); !errors.Is(err, ErrNoEUI) {
		t.Errorf("error for a nameless certificate = %v, want ErrNoEUI", err)
	}
}

func TestWriteStationHome(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "station")
	ca := mustCA(t, t.TempDir())
	kp, err := ca.IssueGatewayCert(lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, testNow, testNow.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteStationHome(dir, "wss://127.0.0.1:6039", ca.CertPEM(), kp); err != nil {
		t.Fatal(err)
	}
	files := []struct {
		name string
		want []byte
		mode os.FileMode
	}{
		{StationURIFile, []byte("wss://127.0.0.1:6039\n"), 0o644},
		{StationTrustFile, ca.CertPEM(), 0o644},
		{StationCertFile, kp.CertPEM, 0o644},
		{StationKeyFile, kp.KeyPEM, 0o600},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.want) {
			t.Errorf("%s = %q, want %q", f.name, got, f.want)
		}
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != f.mode {
			t.Errorf("%s mode = %o, want %o", f.name, fi.Mode().Perm(), f.mode)
		}
	}
	// The files form a working client credential against the CA's server.
	if _, err := tls.LoadX509KeyPair(filepath.Join(dir, StationCertFile), filepath.Join(dir, StationKeyFile)); err != nil {
		t.Errorf("tc.crt/tc.key do not load as a key pair: %v", err)
	}
}

func TestCheckTCURI(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"wss://127.0.0.1:6039", true},
		{"ws://lns.example.com:80", true},
		{"wss://[::1]:443", true},
		{"wss://127.0.0.1", false},
		{"https://127.0.0.1:443", false},
		{"wss://127.0.0.1:6039/router-info", false},
		{"wss://:6039", false},
		{"wss://127.0.0.1:6039?x=1", false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			if err := CheckTCURI(tt.uri); (err == nil) != tt.ok {
				t.Errorf("CheckTCURI(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
			}
		})
	}
}

// TestServerCertWorksOverTLS runs a real handshake on 127.0.0.1 with the
// generated credentials: the client verifies the server by its IP host, the
// server verifies the gateway certificate.
func TestServerCertWorksOverTLS(t *testing.T) {
	dir := t.TempDir()
	ca := mustCA(t, dir)
	now := time.Now()
	srvKP, err := LoadOrCreateServerCert(dir, ca, []string{"127.0.0.1"}, now)
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := srvKP.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	gwKP, err := ca.IssueGatewayCert(lorawan.EUI64{0xaa, 1}, now.Add(-time.Minute), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	gwCert, err := gwKP.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{srvCert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    ca.Pool(),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type result struct {
		eui lorawan.EUI64
		err error
	}
	done := make(chan result, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- result{err: err}
			return
		}
		defer c.Close()
		tc := c.(*tls.Conn)
		if err := tc.Handshake(); err != nil {
			done <- result{err: err}
			return
		}
		eui, err := EUIFromCertificate(tc.ConnectionState().PeerCertificates[0])
		done <- result{eui, err}
		_, _ = io.Copy(io.Discard, c)
	}()
	conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
		RootCAs:      ca.Pool(),
		ServerName:   "127.0.0.1",
		Certificates: []tls.Certificate{gwCert},
	})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	r := <-done
	if r.err != nil || r.eui != (lorawan.EUI64{0xaa, 1}) {
		t.Errorf("server saw gateway %v, %v; want aa01000000000000", r.eui, r.err)
	}
}
