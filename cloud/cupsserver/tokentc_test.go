package cupsserver_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// stationTokenRequest is the update-info body Station 2.0.6 sent from a home
// holding only cups.uri, cups.trust and a token in cups.key (seen running
// it against the cloud): tcUri null and tcCredCrc 2077607535 (0x7BD5C66F,
// no tc.* files), package null.
func stationTokenRequest(eui lorawan.EUI64, cupsURI string, cupsCRC, tcCRC uint32, tcURI *string) string {
	tc := "null"
	if tcURI != nil {
		tc = `"` + *tcURI + `"`
	}
	return fmt.Sprintf(`{"router":"%s","cupsUri":"%s","tcUri":%s,"cupsCredCrc":%d,"tcCredCrc":%d,"station":"2.0.6(linux/testsim) 2026-11-27 16:12:53","model":"linux","package":null,"keys":[]}`,
		cups.RouterID{EUI: eui}.String(), cupsURI, tc, cupsCRC, tcCRC)
}

// TestTokenGatewayBootstrapGetsTCCredentials reproduces Station 2.0.6
// bootstrapped with a token in cups.key and no tc.* files: the answer must
// carry, with the tc.uri, a TC credential set (the LNS's trust, no
// certificate, the token as a header line) that Station splits into
// tc.trust, an empty tc.crt and tc.key; with the tc.uri alone Station logs
// "tc URI requires TLS but no trust configured" and never connects. The
// next request, reporting the CRC of those files, gets no change, and the
// traffic endpoint accepts the header line from tc.key.
func TestTokenGatewayBootstrapGetsTCCredentials(t *testing.T) {
	t.Parallel()
	const token = "tok-0123456789abcdef0123456789abcdef"
	e := newEnv(t, nil)
	l := e.startLNS()
	// A CUPS server whose tc.uri is the LNS just started, and whose
	// TCTrust is the CA of the LNS's certificate.
	e2 := newEnvWith(t, e, l.uri)
	gw := euiOf(0x21)
	e2.addGateway(gw, func(g *store.Gateway) { g.SetToken(token) })

	// Station sends cups.key verbatim as header lines.
	header := http.Header{"Authorization": {"Bearer " + token}}
	cupsKey := []byte("Authorization: Bearer " + token + "\n")
	cupsCRC := cups.CredCRC(e2.ca.Certificate().Raw, nil, cupsKey)
	nothing := cups.CredCRC(nil, nil, nil)
	if nothing != 2077607535 {
		t.Fatalf("CRC of no files = %d, Station reports 2077607535", nothing)
	}

	status, body, err := post(t, e2.client(nil), e2.uri, stationTokenRequest(gw, e2.uri, cupsCRC, nothing, nil), header)
	if err != nil || status != http.StatusOK {
		t.Fatalf("first request: status %d, %v", status, err)
	}
	wantKey := "Authorization: Bearer " + token + "\r\n"
	var wantBlob []byte
	wantBlob = append(wantBlob, e2.ca.Certificate().Raw...)
	wantBlob = append(wantBlob, 0, 0, 0, 0)
	wantBlob = append(wantBlob, wantKey...)
	if want := layout("", l.uri, nil, wantBlob, nil, nil); !bytes.Equal(body, want) {
		t.Fatalf("answer\n got % x\nwant % x", body, want)
	}
	if strings.Contains(e2.logs.String(), token) {
		t.Error("the token reached the log")
	}

	// Station's split (sys_credComplete): trust, cert length 0 after the
	// 4 zero bytes, the rest is the key file.
	var r cups.UpdateInfoResponse
	if err := r.UnmarshalBinary(body); err != nil {
		t.Fatal(err)
	}
	var cred cups.Credentials
	if err := cred.UnmarshalBinary(r.TCCred); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(cred.Trust, e2.ca.Certificate().Raw) || len(cred.Cert) != 0 || cred.Token != wantKey {
		t.Fatalf("tc set: trust %d bytes, cert %d bytes, key %q; want the CA, none, %q", len(cred.Trust), len(cred.Cert), cred.Token, wantKey)
	}
	// Station's tls check: tc.trust verifies the LNS's certificate.
	if _, err := x509.ParseCertificate(cred.Trust); err != nil {
		t.Fatalf("tc.trust: %v", err)
	}

	// Station then reports the CRC of tc.trust, an empty tc.crt and tc.key.
	tcCRC := cups.CredCRC(cred.Trust, []byte{}, []byte(cred.Token))
	status, body, err = post(t, e2.client(nil), e2.uri, stationTokenRequest(gw, e2.uri, cupsCRC, tcCRC, ptr(l.uri)), header)
	if err != nil || status != http.StatusOK {
		t.Fatalf("second request: status %d, %v", status, err)
	}
	if !bytes.Equal(body, make([]byte, 14)) {
		t.Errorf("second answer % x, want 14 zero bytes", body)
	}

	// The traffic endpoint accepts tc.key's header line.
	if err := connectWithHeaderLines(l, gw, cred.Token); err != nil {
		t.Errorf("LNS with the tc.key Station got: %v", err)
	}
}

// TestTokenTCCredentialsOnlyForBootstrap checks when no token TC set is
// sent: certificate gateways, gateways that hold TC credentials already,
// gateways pointed at another LNS (the token must not go there), and a
// server without TCTrust.
func TestTokenTCCredentialsOnlyForBootstrap(t *testing.T) {
	t.Parallel()
	const token = "tok-abcdefabcdefabcdefabcdef0123"
	e := newEnv(t, func(o *cupsserver.Options) { o.TCTrust = nil })
	withTrust := newEnvWith(t, e, testTCURI)
	nothing := cups.CredCRC(nil, nil, nil)
	header := http.Header{"Authorization": {"Bearer " + token}}
	tests := []struct {
		name   string
		env    *env
		edit   func(g *store.Gateway, c *store.CUPSGateway)
		tcCRC  uint32
		tcURI  *string
		header http.Header
		cert   bool
	}{
		{"token gateway that holds TC credentials", withTrust, nil, cups.CredCRC([]byte{0x30, 0}, nil, []byte("Authorization: x")), ptr(testTCURI), header, false},
		{"token gateway pointed at another LNS", withTrust, func(_ *store.Gateway, c *store.CUPSGateway) { c.TCURI = "wss://lns.example.net:443" }, nothing, nil, header, false},
		{"server without TCTrust", e, nil, nothing, nil, header, false},
		{"certificate gateway", withTrust, nil, nothing, nil, nil, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gw := euiOf(byte(0x30 + i))
			tt.env.addGateway(gw, func(g *store.Gateway) { g.SetToken(token) })
			if tt.edit != nil {
				tt.env.setCUPS(gw, tt.edit)
			}
			client := tt.env.client(nil)
			if tt.cert {
				c := tlsCert(t, issue(t, tt.env.ca, gw))
				client = tt.env.client(&c)
			}
			status, body, err := post(t, client, tt.env.uri, stationTokenRequest(gw, tt.env.uri, 1, tt.tcCRC, tt.tcURI), tt.header)
			if err != nil || status != http.StatusOK {
				t.Fatalf("status %d, %v", status, err)
			}
			var r cups.UpdateInfoResponse
			if err := r.UnmarshalBinary(body); err != nil {
				t.Fatal(err)
			}
			if len(r.TCCred) != 0 {
				t.Errorf("answer carries a TC credential set (%d bytes), want none", len(r.TCCred))
			}
		})
	}
}

// newEnvWith starts a second CUPS server over base's store and CA whose
// tc.uri is tcURI and whose TCTrust is the CA.
func newEnvWith(t *testing.T, base *env, tcURI string) *env {
	t.Helper()
	e := &env{t: t, db: base.db, ca: base.ca, logs: &syncBuffer{}}
	srv, err := cupsserver.New(e.db, cupsserver.Options{
		ServerCert: pkitest.ServerCert(t, e.ca),
		ClientCAs:  e.ca.Pool(),
		TCURI:      tcURI,
		TCTrust:    e.ca.Certificate().Raw,
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.uri = serve(t, func(ctx context.Context, ln net.Listener) error { return srv.Serve(ctx, ln) })
	return e
}

// connectWithHeaderLines runs discovery and the traffic handshake as
// Station does with a token: no client certificate, tc.key's header lines
// added to both websocket requests.
func connectWithHeaderLines(l *lns, eui lorawan.EUI64, lines string) error {
	h := http.Header{}
	for _, line := range strings.Split(strings.TrimRight(lines, "\r\n"), "\n") {
		name, value, ok := strings.Cut(strings.TrimRight(line, "\r"), ": ")
		if !ok {
			return fmt.Errorf("tc.key line %q is not a header", line)
		}
		h.Add(name, value)
	}
	d := &websocket.Dialer{
		TLSClientConfig:  &tls.Config{RootCAs: l.ca.Pool(), ServerName: "127.0.0.1"},
		HandshakeTimeout: 5 * time.Second,
	}
	info, _, err := d.Dial(l.uri+"/router-info", h)
	if err != nil {
		return fmt.Errorf("router-info: %w", err)
	}
	defer info.Close()
	if err := info.WriteJSON(map[string]string{"router": cups.RouterID{EUI: eui}.String()}); err != nil {
		return err
	}
	var ans struct {
		URI   string `json:"uri"`
		Error string `json:"error"`
	}
	if err := info.ReadJSON(&ans); err != nil {
		return err
	}
	if ans.URI == "" {
		return fmt.Errorf("router-info refused: %s", ans.Error)
	}
	conn, _, err := d.Dial(ans.URI, h)
	if err != nil {
		return fmt.Errorf("traffic: %w", err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"2.0.6(linux/testsim)","firmware":null,"package":null,"model":"linux","protocol":2,"features":"rmtsh"}`)); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		return fmt.Errorf("no router_config: %w", err)
	}
	if !bytes.Contains(b, []byte(`"router_config"`)) {
		return fmt.Errorf("first message %s, want router_config", b)
	}
	return nil
}

// TestNewRefusesBadTCTrust checks that a TCTrust that is no DER certificate
// is refused at start rather than sent to gateways, which could not use it.
func TestNewRefusesBadTCTrust(t *testing.T) {
	t.Parallel()
	ca := pkitest.NewCA(t, "loraedge test CA")
	for _, tt := range []struct {
		name  string
		trust []byte
		ok    bool
	}{
		{"none", nil, true},
		{"the CA", ca.Certificate().Raw, true},
		{"PEM instead of DER", []byte("-----BEGIN CERTIFICATE-----\n"), false},
		{"truncated DER", ca.Certificate().Raw[:40], false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cupsserver.New(storetest.Open(t), cupsserver.Options{ServerCert: pkitest.ServerCert(t, ca), ClientCAs: ca.Pool(), TCTrust: tt.trust})
			if (err == nil) != tt.ok {
				t.Fatalf("New: %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "tc trust") {
				t.Errorf("error %q does not name the tc trust", err)
			}
		})
	}
}
