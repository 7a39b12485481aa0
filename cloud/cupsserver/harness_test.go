package cupsserver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// testTCURI is the default tc.uri of the test servers without an LNS.
const testTCURI = "wss://127.0.0.1:6039"

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a CUPS server on 127.0.0.1 over a real store, with a CA made for
// the test.
type env struct {
	t    testing.TB
	db   *store.DB
	ca   *pki.CA
	srv  *cupsserver.Server
	uri  string // https://127.0.0.1:port
	logs *syncBuffer
}

// newEnv starts a CUPS server; edit may change its options.
func newEnv(t testing.TB, edit func(*cupsserver.Options)) *env {
	t.Helper()
	e := &env{t: t, db: storetest.Open(t), ca: pkitest.NewCA(t, "loraedge test CA"), logs: &syncBuffer{}}
	opts := cupsserver.Options{
		ServerCert: pkitest.ServerCert(t, e.ca),
		ClientCAs:  e.ca.Pool(),
		TCURI:      testTCURI,
		Logger:     slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&opts)
	}
	srv, err := cupsserver.New(e.db, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.uri = serve(t, func(ctx context.Context, ln net.Listener) error { return srv.Serve(ctx, ln) })
	return e
}

// serve runs fn on a fresh 127.0.0.1 listener until the test ends and
// returns https://127.0.0.1:port.
func serve(t testing.TB, fn func(ctx context.Context, ln net.Listener) error) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- fn(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	return "https://" + ln.Addr().String()
}

func euiOf(n byte) lorawan.EUI64 { return lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, n} }

// addGateway registers a gateway.
func (e *env) addGateway(eui lorawan.EUI64, edit func(*store.Gateway)) {
	e.t.Helper()
	g := store.Gateway{EUI: eui, Region: "EU868"}
	if edit != nil {
		edit(&g)
	}
	if err := e.db.PutGateway(context.Background(), g); err != nil {
		e.t.Fatal(err)
	}
}

// setCUPS edits a gateway's CUPS state.
func (e *env) setCUPS(eui lorawan.EUI64, fn func(g *store.Gateway, c *store.CUPSGateway)) {
	e.t.Helper()
	err := e.db.UpdateCUPS(context.Background(), eui, func(g *store.Gateway, c *store.CUPSGateway) error {
		fn(g, c)
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) cupsState(eui lorawan.EUI64) store.CUPSGateway {
	e.t.Helper()
	c, err := e.db.GetCUPSGateway(context.Background(), eui)
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// issue returns a gateway credential set signed by ca.
func issue(t *testing.T, ca *pki.CA, eui lorawan.EUI64) cups.Credentials {
	t.Helper()
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

func storedSet(c cups.Credentials) *store.CredentialSet {
	return &store.CredentialSet{Trust: c.Trust, Cert: c.Cert, Key: c.Key, Token: store.Secret(c.Token), CRC: c.CRC()}
}

// tlsCert makes a tls.Certificate of a DER credential set.
func tlsCert(t *testing.T, c cups.Credentials) tls.Certificate {
	t.Helper()
	key, err := x509.ParseECPrivateKey(c.Key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{c.Cert}, PrivateKey: key}
}

// client returns an HTTPS client trusting e's CA and presenting cert (none
// when nil) whatever CAs the server names, as Station's mbedTLS does.
func (e *env) client(cert *tls.Certificate) *http.Client {
	cfg := &tls.Config{RootCAs: e.ca.Pool(), ServerName: "127.0.0.1"}
	if cert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
}

// post sends an update-info request as Station does and returns the status
// and body.
func post(t *testing.T, c *http.Client, uri, body string, header http.Header) (int, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, uri+"/update-info", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b, nil
}

// requestJSON writes a request body in Station's field order (src/cups.c).
func requestJSON(router lorawan.EUI64, cupsURI, tcURI *string, cupsCRC, tcCRC uint32, pkg string, keys []uint32) string {
	str := func(p *string) string {
		if p == nil {
			return "null"
		}
		b, _ := json.Marshal(*p)
		return string(b)
	}
	ks := make([]string, len(keys))
	for i, k := range keys {
		ks[i] = fmt.Sprint(k)
	}
	pk, _ := json.Marshal(pkg)
	return fmt.Sprintf(`{"router":"%s","cupsUri":%s,"tcUri":%s,"cupsCredCrc":%d,"tcCredCrc":%d,"station":"2.0.6(linux/std) 2024-01-01 00:00:00","model":"linux","package":%s,"keys":[%s]}`,
		cups.RouterID{EUI: router}.String(), str(cupsURI), str(tcURI), cupsCRC, tcCRC, pk, strings.Join(ks, ","))
}

func ptr(s string) *string { return &s }

// layout writes an answer segment by segment as Station reads it: u8, u8,
// u16 LE, u16 LE and u32 LE lengths. It is written here, apart from the
// cups codec, so that the golden bytes do not come from the code under test.
func layout(cupsURI, tcURI string, cupsCred, tcCred, sig, update []byte) []byte {
	var b []byte
	b = append(b, byte(len(cupsURI)))
	b = append(b, cupsURI...)
	b = append(b, byte(len(tcURI)))
	b = append(b, tcURI...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(cupsCred)))
	b = append(b, cupsCred...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(tcCred)))
	b = append(b, tcCred...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(sig)))
	b = append(b, sig...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(update)))
	return append(b, update...)
}

// blobOf concatenates a credential set as Station's blob: trust, cert (or
// 4 zero bytes), key (or the token, or 4 zero bytes).
func blobOf(c cups.Credentials) []byte {
	b := append([]byte(nil), c.Trust...)
	switch {
	case len(c.Cert) > 0:
		b = append(append(b, c.Cert...), c.Key...)
	case c.Token != "":
		b = append(append(b, 0, 0, 0, 0), c.Token...)
	default:
		b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	return b
}

// signingKey makes a P-256 key, stores it as name and returns its sig-N.key
// form with the private key.
func (e *env) signingKey(name string) (cups.PublicKey, *ecdsa.PrivateKey) {
	e.t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		e.t.Fatal(err)
	}
	pub, err := cups.PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		e.t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.db.AddSigningKey(context.Background(), store.SigningKey{Name: name, Public: pub[:], Private: der}); err != nil {
		e.t.Fatal(err)
	}
	return pub, priv
}

// putUpdate stores an update signed by the given keys (name → key).
func (e *env) putUpdate(version string, data []byte, signers map[string]*ecdsa.PrivateKey) {
	e.t.Helper()
	u := store.Update{Version: version}
	for name, priv := range signers {
		sig, err := cups.Sign(priv, data)
		if err != nil {
			e.t.Fatal(err)
		}
		u.Signatures = append(u.Signatures, store.UpdateSignature{Key: name, KeyCRC: sig.KeyCRC, DER: sig.DER})
	}
	if err := e.db.PutUpdate(context.Background(), u, data); err != nil {
		e.t.Fatal(err)
	}
}

// lns is the real cloud/gateway traffic endpoint over the same store, with
// the CUPS server's OnConnect hook.
type lns struct {
	uri string // wss://127.0.0.1:port
	ca  *pki.CA
}

type dropUplinks struct{}

func (dropUplinks) HandleUplink(context.Context, gateway.Uplink) {}

// startLNS runs the traffic endpoint with OnConnect wired to e's server.
func (e *env) startLNS() *lns {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	pub := "wss://" + ln.Addr().String()
	gw, err := gateway.New(gateway.StoreRegistry{DB: e.db}, dropUplinks{}, gateway.Options{
		PublicURI:  pub,
		ServerCert: pkitest.ServerCert(e.t, e.ca),
		ClientCAs:  e.ca.Pool(),
		Logger:     slog.New(slog.NewTextHandler(e.logs, nil)),
		OnConnect:  e.srv.GatewayConnected,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- gw.Serve(ctx, ln) }()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("lns: %v", err)
		}
	})
	return &lns{uri: pub, ca: e.ca}
}

// connect runs discovery and opens the traffic socket as Station does, with
// cert, up to the router_config. It returns the HTTP status of a refusal.
func (l *lns) connect(t *testing.T, eui lorawan.EUI64, cert tls.Certificate) (status int, err error) {
	t.Helper()
	d := &websocket.Dialer{
		TLSClientConfig:  &tls.Config{RootCAs: l.ca.Pool(), Certificates: []tls.Certificate{cert}, ServerName: "127.0.0.1"},
		HandshakeTimeout: 5 * time.Second,
	}
	dial := func(uri string) (*websocket.Conn, int, error) {
		conn, resp, err := d.Dial(uri, nil)
		if err != nil {
			if resp != nil {
				return nil, resp.StatusCode, err
			}
			return nil, 0, err
		}
		return conn, http.StatusSwitchingProtocols, nil
	}
	info, st, err := dial(l.uri + "/router-info")
	if err != nil {
		return st, fmt.Errorf("router-info: %w", err)
	}
	defer info.Close()
	if err := info.WriteJSON(map[string]string{"router": cups.RouterID{EUI: eui}.String()}); err != nil {
		return 0, err
	}
	var ans map[string]any
	if err := info.ReadJSON(&ans); err != nil {
		return 0, fmt.Errorf("router-info answer: %w", err)
	}
	uri, _ := ans["uri"].(string)
	discovered := uri != ""
	if !discovered {
		// Discovery refused: the traffic socket must refuse too.
		uri = l.uri + "/traffic/" + eui.String()
	}
	conn, st, err := dial(uri)
	if err != nil {
		return st, fmt.Errorf("traffic (router-info answered %v): %w", ans, err)
	}
	if !discovered {
		conn.Close()
		return 0, fmt.Errorf("router-info refused (%v) what the traffic endpoint accepts", ans)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"2.0.6","firmware":"","package":"","model":"linux","protocol":2,"features":""}`)); err != nil {
		return 0, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		return 0, fmt.Errorf("no router_config: %w", err)
	}
	if !strings.Contains(string(b), `"router_config"`) {
		return 0, fmt.Errorf("first message %s, want router_config", b)
	}
	return http.StatusSwitchingProtocols, nil
}

// station is a CUPS client that behaves as Station does with its home
// directory: it builds its request from the files, reads the binary
// answer, writes each credential part to {cat}.trust/.crt/.key as
// Station's sys_credComplete splits the blob, checks an update's signature
// against its sig-N.key files and reports CRCs over the files as written.
type station struct {
	t    *testing.T
	eui  lorawan.EUI64
	home string
}

func (s *station) path(name string) string { return filepath.Join(s.home, name) }

// read returns a home file's content, nil when it does not exist.
func (s *station) read(name string) []byte {
	b, err := os.ReadFile(s.path(name))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		s.t.Fatal(err)
	}
	return b
}

func (s *station) uri(cat string) *string {
	b := s.read(cat + ".uri")
	if b == nil {
		return nil
	}
	u := strings.TrimSpace(string(b))
	return &u
}

// credCRC is Station's sys_crcCred over the files of cat.
func (s *station) credCRC(cat string) uint32 {
	return cups.CredCRC(s.read(cat+".trust"), s.read(cat+".crt"), s.read(cat+".key"))
}

// keys returns the sig-N.key files, N = 0, 1, … until one is missing.
func (s *station) keys() []cups.PublicKey {
	var out []cups.PublicKey
	for i := 0; ; i++ {
		b := s.read(fmt.Sprintf("sig-%d.key", i))
		if b == nil {
			return out
		}
		k, err := cups.ParsePublicKey(b)
		if err != nil {
			s.t.Fatal(err)
		}
		out = append(out, k)
	}
}

// cupsCreds returns the CUPS credentials the files hold.
func (s *station) cupsCreds() cups.Credentials {
	return cups.Credentials{Trust: s.read("cups.trust"), Cert: s.read("cups.crt"), Key: s.read("cups.key")}
}

func (s *station) tcCreds() cups.Credentials {
	return cups.Credentials{Trust: s.read("tc.trust"), Cert: s.read("tc.crt"), Key: s.read("tc.key")}
}

// request builds the update-info body from the home.
func (s *station) request() string {
	var crcs []uint32
	for _, k := range s.keys() {
		crcs = append(crcs, k.CRC())
	}
	return requestJSON(s.eui, s.uri("cups"), s.uri("tc"), s.credCRC("cups"), s.credCRC("tc"),
		strings.TrimSpace(string(s.read("version.txt"))), crcs)
}

// update runs one CUPS exchange with the home's CUPS credentials and applies
// the answer. It returns the raw answer, or the HTTP status of a refusal.
func (s *station) update() (int, []byte, error) {
	s.t.Helper()
	creds := s.cupsCreds()
	trust, err := x509.ParseCertificate(creds.Trust)
	if err != nil {
		s.t.Fatalf("cups.trust: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(trust)
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, Certificates: []tls.Certificate{tlsCert(s.t, creds)}, ServerName: "127.0.0.1",
	}}}
	defer client.CloseIdleConnections()
	status, body, err := post(s.t, client, *s.uri("cups"), s.request(), nil)
	if err != nil || status != http.StatusOK {
		return status, nil, err
	}
	return status, body, s.apply(body)
}

// apply writes an answer into the home as Station does.
func (s *station) apply(body []byte) error {
	var r cups.UpdateInfoResponse
	if err := r.UnmarshalBinary(body); err != nil {
		return err
	}
	if r.CUPSURI != "" {
		s.write("cups.uri", []byte(r.CUPSURI))
	}
	if r.TCURI != "" {
		s.write("tc.uri", []byte(r.TCURI))
	}
	for _, c := range []struct {
		cat  string
		blob []byte
	}{{"cups", r.CUPSCred}, {"tc", r.TCCred}} {
		if len(c.blob) == 0 {
			continue
		}
		var cred cups.Credentials
		if err := cred.UnmarshalBinary(c.blob); err != nil {
			return err
		}
		key := cred.Key
		if len(key) == 0 {
			key = []byte(cred.Token)
		}
		s.writeOrRemove(c.cat+".trust", cred.Trust)
		s.writeOrRemove(c.cat+".crt", cred.Cert)
		s.writeOrRemove(c.cat+".key", key)
	}
	if len(r.Update) > 0 {
		keys := s.keys()
		switch {
		case len(keys) > 0 && r.Sig == nil:
			return errors.New("station: update without signature, keys held: aborted")
		case r.Sig != nil:
			if _, err := cups.Verify(keys, r.Update, r.Sig); err != nil {
				return err
			}
		}
		// The test updates say which version they install.
		v, ok := strings.CutPrefix(string(r.Update), "loraedge update ")
		if !ok {
			return fmt.Errorf("station: update %q not understood", r.Update)
		}
		v, _, _ = strings.Cut(v, "\n")
		s.write("version.txt", []byte(v+"\n"))
	}
	return nil
}

func (s *station) write(name string, b []byte) {
	if err := os.WriteFile(s.path(name), b, 0o600); err != nil {
		s.t.Fatal(err)
	}
}

func (s *station) writeOrRemove(name string, b []byte) {
	if len(b) == 0 {
		if err := os.Remove(s.path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.t.Fatal(err)
		}
		return
	}
	s.write(name, b)
}

// sync runs CUPS exchanges until the answer is 14 zero bytes, as Station
// does after a change, and returns how many exchanges changed something.
func (s *station) sync() int {
	s.t.Helper()
	for i := range 6 {
		status, body, err := s.update()
		if err != nil || status != http.StatusOK {
			s.t.Fatalf("cups exchange %d: status %d, %v", i+1, status, err)
		}
		if bytes.Equal(body, make([]byte, 14)) {
			return i
		}
	}
	s.t.Fatal("station: CUPS still answers changes after 6 exchanges")
	return 0
}
