package cupsclient_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	stdlog "log"
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

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/agentstore"
	"github.com/loraedge/loraedge/store/storetest"
)

// waitTimeout bounds every wait for an event; reaching it fails the test.
const waitTimeout = 30 * time.Second

var routerEUI = lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0x01}

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

// recorder keeps every value added and lets a test wait for the next one
// that matches, in order.
type recorder[T any] struct {
	mu      sync.Mutex
	list    []T
	next    int
	changed chan struct{}
}

func newRecorder[T any]() *recorder[T] { return &recorder[T]{changed: make(chan struct{})} }

func (r *recorder[T]) add(v T) {
	r.mu.Lock()
	r.list = append(r.list, v)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// all returns a copy of everything recorded.
func (r *recorder[T]) all() []T {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]T(nil), r.list...)
}

// wait returns the first value after the last one waited for that matches,
// or fails the test after waitTimeout, printing what was recorded and logs.
func (r *recorder[T]) wait(t *testing.T, what string, logs fmt.Stringer, match func(T) bool) T {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		r.mu.Lock()
		for ; r.next < len(r.list); r.next++ {
			if v := r.list[r.next]; match(v) {
				r.next++
				r.mu.Unlock()
				return v
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			var zero T
			t.Fatalf("no %s within %v; recorded %v\nlogs:\n%s", what, waitTimeout, r.all(), logs)
			return zero
		}
	}
}

// waitAny is wait over everything recorded so far and to come, whatever
// was waited for before, for values whose order with others is not fixed.
// It does not move the cursor.
func (r *recorder[T]) waitAny(t *testing.T, what string, logs fmt.Stringer, match func(T) bool) T {
	t.Helper()
	deadline := time.After(waitTimeout)
	for i := 0; ; {
		r.mu.Lock()
		for ; i < len(r.list); i++ {
			if v := r.list[i]; match(v) {
				r.mu.Unlock()
				return v
			}
		}
		changed := r.changed
		r.mu.Unlock()
		select {
		case <-changed:
		case <-deadline:
			var zero T
			t.Fatalf("no %s within %v; recorded %v\nlogs:\n%s", what, waitTimeout, r.all(), logs)
			return zero
		}
	}
}

// entry is one line of a gateway's trace: a client event or an agent
// state, in the order they happened.
type entry struct {
	event *cupsclient.Event
	state agent.State
}

func (e entry) String() string {
	if e.event == nil {
		return "state " + e.state.String()
	}
	return fmt.Sprintf("%s %s %s %v %v", e.event.Kind, e.event.Cred, e.event.Set, e.event.Changed, e.event.Err)
}

// isEvent matches an event of kind k (and of credential kind cred, when not
// empty).
func isEvent(k cupsclient.EventKind, cred agentstore.Kind) func(entry) bool {
	return func(e entry) bool { return e.event != nil && e.event.Kind == k && (cred == "" || e.event.Cred == cred) }
}

// isState matches the agent entering state s.
func isState(s agent.State) func(entry) bool {
	return func(e entry) bool { return e.event == nil && e.state == s }
}

// pemSet issues a gateway certificate and returns it as an agent set in
// PEM, as the files of a Station home hold it.
func pemSet(t testing.TB, ca *pki.CA, uri string) agentstore.Credentials {
	t.Helper()
	kp, err := ca.IssueGatewayCert(routerEUI, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return agentstore.Credentials{URI: uri, Trust: ca.CertPEM(), Cert: kp.CertPEM, Key: kp.KeyPEM}
}

// derCreds issues a gateway certificate and returns it in the DER form a
// CUPS answer carries.
func derCreds(t testing.TB, trust, issuer *pki.CA) cups.Credentials {
	t.Helper()
	kp, err := issuer.IssueGatewayCert(routerEUI, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	key, err := cups.ToDER(kp.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return cups.Credentials{Trust: trust.Certificate().Raw, Cert: kp.Cert.Raw, Key: key}
}

func blob(t testing.TB, c cups.Credentials) []byte {
	t.Helper()
	b, err := c.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fingerprintOf returns the store fingerprint of a set's certificate (PEM
// or DER).
func fingerprintOf(t testing.TB, cert []byte) string {
	t.Helper()
	der, err := cups.ToDER(cert)
	if err != nil {
		t.Fatal(err)
	}
	return store.CertFingerprint(der)
}

// serve runs fn on a fresh 127.0.0.1 listener until the test ends.
func serve(t testing.TB, ln net.Listener, fn func(ctx context.Context, ln net.Listener) error) {
	t.Helper()
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
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// cloud is the cloud side on 127.0.0.1: a store, the real CUPS server and
// the real LNS traffic endpoint wired together as the cloud wires them.
type cloud struct {
	ca       *pki.CA
	db       *store.DB
	cups     *cupsserver.Server
	cupsURI  string // https://127.0.0.1:port
	lnsURI   string // wss://127.0.0.1:port
	connects *recorder[string]
	logs     *syncBuffer
}

type dropUplinks struct{}

func (dropUplinks) HandleUplink(context.Context, gateway.Uplink) {}

// newCloud starts the cloud; register says whether the gateway is in its
// registry.
func newCloud(t *testing.T, register bool) *cloud {
	t.Helper()
	c := &cloud{ca: pkitest.NewCA(t, "loraedge test CA"), db: storetest.Open(t), connects: newRecorder[string](), logs: &syncBuffer{}}
	log := slog.New(slog.NewTextHandler(c.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("side", "cloud")
	lnsLn, cupsLn := listen(t), listen(t)
	c.lnsURI, c.cupsURI = "wss://"+lnsLn.Addr().String(), "https://"+cupsLn.Addr().String()
	var err error
	c.cups, err = cupsserver.New(c.db, cupsserver.Options{
		ServerCert: pkitest.ServerCert(t, c.ca), ClientCAs: c.ca.Pool(), TCURI: c.lnsURI, Logger: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	lns, err := gateway.New(gateway.StoreRegistry{DB: c.db}, dropUplinks{}, gateway.Options{
		PublicURI: c.lnsURI, ServerCert: pkitest.ServerCert(t, c.ca), ClientCAs: c.ca.Pool(), Logger: log,
		OnConnect: func(eui lorawan.EUI64, fp string) {
			c.cups.GatewayConnected(eui, fp)
			c.connects.add(fp)
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	serve(t, lnsLn, lns.Serve)
	serve(t, cupsLn, c.cups.Serve)
	if register {
		if err := c.db.PutGateway(context.Background(), store.Gateway{EUI: routerEUI, Region: "EU868"}); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// setCUPS edits the gateway's desired CUPS state.
func (c *cloud) setCUPS(t *testing.T, fn func(cs *store.CUPSGateway)) {
	t.Helper()
	err := c.db.UpdateCUPS(context.Background(), routerEUI, func(_ *store.Gateway, cs *store.CUPSGateway) error {
		fn(cs)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func storedSet(c cups.Credentials) *store.CredentialSet {
	return &store.CredentialSet{Trust: c.Trust, Cert: c.Cert, Key: c.Key, Token: store.Secret(c.Token), CRC: c.CRC()}
}

// dialLNS runs discovery and the traffic handshake with set as Station
// does, up to router_config; nil means the LNS accepted the set.
func dialLNS(set agentstore.Credentials, lnsURI string) error {
	cfg, err := tlsFor(set)
	if err != nil {
		return err
	}
	d := &websocket.Dialer{TLSClientConfig: cfg, HandshakeTimeout: 10 * time.Second}
	info, resp, err := d.Dial(lnsURI+"/router-info", nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("router-info: HTTP %d: %w", resp.StatusCode, err)
		}
		return fmt.Errorf("router-info: %w", err)
	}
	defer info.Close()
	if err := info.WriteJSON(map[string]string{"router": cups.RouterID{EUI: routerEUI}.String()}); err != nil {
		return err
	}
	var ans struct {
		URI   string `json:"uri"`
		Error string `json:"error"`
	}
	if err := info.ReadJSON(&ans); err != nil {
		return fmt.Errorf("router-info answer: %w", err)
	}
	if ans.URI == "" {
		return fmt.Errorf("router-info refused: %q", ans.Error)
	}
	conn, resp, err := d.Dial(ans.URI, nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("traffic: HTTP %d: %w", resp.StatusCode, err)
		}
		return fmt.Errorf("traffic: %w", err)
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"test","firmware":"","package":"","model":"linux","protocol":2,"features":""}`)); err != nil {
		return err
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		return fmt.Errorf("no router_config: %w", err)
	}
	if !strings.Contains(string(b), `"router_config"`) {
		return fmt.Errorf("first message %.80s, want router_config", b)
	}
	return nil
}

// postCUPS sends an update-info request with set and returns the status.
func postCUPS(set agentstore.Credentials, uri string) (int, error) {
	cfg, err := tlsFor(set)
	if err != nil {
		return 0, err
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: cfg}}
	defer hc.CloseIdleConnections()
	body := fmt.Sprintf(`{"router":%q,"cupsUri":null,"tcUri":null,"cupsCredCrc":0,"tcCredCrc":0,"station":"test","model":"linux","package":"","keys":[]}`,
		cups.RouterID{EUI: routerEUI}.String())
	resp, err := hc.Post(uri+"/update-info", "application/json", strings.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// tlsFor is a plain Go TLS client configuration for a PEM or DER set.
func tlsFor(set agentstore.Credentials) (*tls.Config, error) {
	trust, err := cups.ToDER(set.Trust)
	if err != nil {
		return nil, err
	}
	cert, err := cups.ToDER(set.Cert)
	if err != nil {
		return nil, err
	}
	key, err := cups.ToDER(set.Key)
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(pemBlock("CERTIFICATE", cert), pemBlock("EC PRIVATE KEY", key))
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{ServerName: "127.0.0.1", Certificates: []tls.Certificate{pair}}
	cfg.RootCAs = poolOf(trust)
	return cfg, nil
}

// gw is the gateway side: an agent on a simulated concentrator with the
// CUPS client, over an agentstore file.
type gw struct {
	dir     string
	db      *agentstore.DB
	client  *cupsclient.Client
	agent   *agent.Agent
	trace   *recorder[entry]
	logs    *syncBuffer
	stopped chan error
	cancel  context.CancelFunc
}

// gwConfig is what a gateway under test is started with.
type gwConfig struct {
	client  func(*cupsclient.Options)
	agent   func(*agent.Options)
	updater *cupsclient.UpdaterOptions // nil: no updater
}

// openStore opens the gateway's store in dir, checked when the test ends.
func openStore(t *testing.T, dir string) *agentstore.DB {
	t.Helper()
	db, err := agentstore.Open(filepath.Join(dir, agentstore.DefaultDBFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Check(context.Background()); err != nil {
			t.Errorf("agent store check: %v", err)
		}
		db.Close()
	})
	return db
}

// startGateway runs a client and an agent over db until stop or the end
// of the test.
func startGateway(t *testing.T, dir string, db *agentstore.DB, cfg gwConfig) *gw {
	t.Helper()
	g := &gw{dir: dir, db: db, trace: newRecorder[entry](), logs: &syncBuffer{}, stopped: make(chan error, 1)}
	onEvent := func(e cupsclient.Event) { g.trace.add(entry{event: &e}) }
	log := slog.New(slog.NewTextHandler(g.logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("side", "gateway")
	opts := cupsclient.Options{
		RouterEUI: routerEUI, Store: db, Station: "2.0.6(loraedge/test)", Package: "1.0.0",
		OKSyncInterval: time.Hour, ResyncInterval: 100 * time.Millisecond, ConnTimeout: 10 * time.Second,
		TrialTimeout: 20 * time.Second, TrialFailures: 3,
		OnEvent: onEvent, Logger: log,
	}
	if cfg.updater != nil {
		uo := *cfg.updater
		uo.Logger, uo.OnEvent = log, onEvent
		if uo.Version == "" {
			uo.Version = opts.Package
		}
		opts.Package = uo.Version
		u, err := cupsclient.NewUpdater(uo)
		if err != nil {
			t.Fatal(err)
		}
		opts.Updater = u
	}
	if cfg.client != nil {
		cfg.client(&opts)
	}
	var err error
	if g.client, err = cupsclient.New(opts); err != nil {
		t.Fatal(err)
	}
	air := sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: 100})
	conc, err := sim.NewConcentrator(air, "gateway", sim.ConcentratorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	aopts := agent.Options{
		RouterEUI:  routerEUI,
		LoadTC:     g.client.LoadTC,
		OnRejected: g.client.OnRejected,
		OnState: func(s agent.State) {
			g.trace.add(entry{state: s})
			g.client.OnState(s)
		},
		Radio:       conc,
		DialTimeout: 10 * time.Second,
		Reconnect: agent.Reconnect{MuxsBackoff: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond},
			InfosStep: 20 * time.Millisecond, InfosMax: 50 * time.Millisecond, Jitter: -1, RejectAfter: 4},
		Logger: log,
	}
	if cfg.agent != nil {
		cfg.agent(&aopts)
	}
	if g.agent, err = agent.New(aopts); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.cancel = cancel
	go func() { g.stopped <- g.client.Run(ctx, g.agent.Run) }()
	t.Cleanup(func() {
		g.stop(t)
		conc.Close()
	})
	return g
}

// stop ends the gateway's Run and checks it ended cleanly; a second call
// does nothing.
func (g *gw) stop(t *testing.T) {
	t.Helper()
	if g.cancel == nil {
		return
	}
	g.cancel()
	g.cancel = nil
	select {
	case err := <-g.stopped:
		if err != nil {
			t.Errorf("Run: %v", err)
		}
	case <-time.After(waitTimeout):
		t.Errorf("Run did not return\nlogs:\n%s", g.logs)
	}
}

// set returns a stored set, failing the test unless it is there.
func (g *gw) set(t *testing.T, k agentstore.Kind, s agentstore.Set) agentstore.Credentials {
	t.Helper()
	c, err := g.db.Credentials(context.Background(), k, s)
	if err != nil {
		t.Fatalf("%s %s set: %v", k, s, err)
	}
	return c
}

// noStaged fails the test if a set of kind k is staged.
func (g *gw) noStaged(t *testing.T, k agentstore.Kind) {
	t.Helper()
	if c, err := g.db.StagedCredentials(context.Background(), k); !errors.Is(err, agentstore.ErrNotFound) {
		t.Errorf("%s staged set: %v, %v; want none", k, c, err)
	}
}

// putSet stores a set, failing the test on error.
func putSet(t *testing.T, db *agentstore.DB, k agentstore.Kind, s agentstore.Set, c agentstore.Credentials) {
	t.Helper()
	if err := db.PutCredentials(context.Background(), k, s, c); err != nil {
		t.Fatal(err)
	}
}

// signingKey makes a P-256 update-signing key.
func signingKey(t testing.TB) (*ecdsa.PrivateKey, cups.PublicKey) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cups.PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub
}

// updateScript writes an update_command for tests: it appends its
// arguments to calls.log beside it; "install" copies the update to
// installed.bin and names the version in VERSION.
func updateScript(t *testing.T, version string) (path string, calls func() []string, installed func() []byte) {
	t.Helper()
	dir := t.TempDir()
	path = filepath.Join(dir, "update-command")
	script := `#!/bin/sh
here=$(dirname "$0")
echo "$@" >> "$here/calls.log"
case "$1" in
install) cp "$2" "$here/installed.bin" && echo "version=` + version + `" ;;
rollback) ;;
*) exit 2 ;;
esac
`
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	calls = func() []string {
		b, err := os.ReadFile(filepath.Join(dir, "calls.log"))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	installed = func() []byte {
		b, _ := os.ReadFile(filepath.Join(dir, "installed.bin"))
		return b
	}
	return path, calls, installed
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func poolOf(der []byte) *x509.CertPool {
	p := x509.NewCertPool()
	if c, err := x509.ParseCertificate(der); err == nil {
		p.AddCert(c)
	}
	return p
}

// fakeCUPS is a CUPS server built on package cups for answers the real one
// never gives (corrupt, badly signed). It requests a client certificate
// from the CA; when allow is not empty, only those certificates
// (fingerprints) are answered, the others get 403.
type fakeCUPS struct {
	uri      string
	requests *recorder[cups.UpdateInfoRequest]
	raw      *recorder[[]byte]

	mu     sync.Mutex
	allow  map[string]bool
	answer func(n int, req *cups.UpdateInfoRequest) (status int, body []byte)
	n      int
}

func newFakeCUPS(t *testing.T, ca *pki.CA, answer func(n int, req *cups.UpdateInfoRequest) (int, []byte)) *fakeCUPS {
	t.Helper()
	f := &fakeCUPS{requests: newRecorder[cups.UpdateInfoRequest](), raw: newRecorder[[]byte](), answer: answer}
	srv := &http.Server{
		Handler: http.HandlerFunc(f.serveHTTP),
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{pkitest.ServerCert(t, ca)},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    ca.Pool(),
		},
		ErrorLog: stdlog.New(io.Discard, "", 0),
	}
	ln := listen(t)
	f.uri = "https://" + ln.Addr().String()
	serve(t, ln, func(ctx context.Context, ln net.Listener) error {
		go func() {
			<-ctx.Done()
			srv.Close()
		}()
		if err := srv.ServeTLS(ln, "", ""); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	return f
}

// setAllow restricts the accepted client certificates to these.
func (f *fakeCUPS) setAllow(fps ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.allow = map[string]bool{}
	for _, fp := range fps {
		f.allow[fp] = true
	}
}

func (f *fakeCUPS) serveHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	f.raw.add(body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	req, err := cups.ReadRequest(r)
	if err != nil || r.URL.Path != "/update-info" || r.Method != http.MethodPost {
		http.Error(w, fmt.Sprint(err), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	allowed := len(f.allow) == 0
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		allowed = allowed || f.allow[store.CertFingerprint(r.TLS.PeerCertificates[0].Raw)]
	}
	if !allowed {
		f.mu.Unlock()
		http.Error(w, "certificate not allowed", http.StatusForbidden)
		return
	}
	f.n++
	status, ans := f.answer(f.n, req)
	f.mu.Unlock()
	f.requests.add(*req)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(status)
	w.Write(ans)
}

// nothing is the answer with nothing to change.
func nothing() []byte { return make([]byte, 14) }

func marshal(t testing.TB, r *cups.UpdateInfoResponse) []byte {
	t.Helper()
	b, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
