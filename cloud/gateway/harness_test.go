package gateway

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/loraedge/loraedge/internal/logtest"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
)

// memRegistry is an in-memory Registry for tests.
type memRegistry struct {
	mu  sync.Mutex
	gws map[lorawan.EUI64]GatewayInfo
}

func (m *memRegistry) Gateway(_ context.Context, eui lorawan.EUI64) (GatewayInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.gws[eui]
	if !ok {
		return GatewayInfo{}, fmt.Errorf("%w: %s", ErrUnknownGateway, eui)
	}
	return g, nil
}

func (m *memRegistry) put(g GatewayInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gws[g.EUI] = g
}

// chanHandler hands uplinks to a channel.
type chanHandler struct{ c chan Uplink }

func (h chanHandler) HandleUplink(_ context.Context, up Uplink) { h.c <- up }

// logSink keeps every log record (logtest.Sink) with the wait these tests
// use: attributes matched exactly.
type logSink struct{ *logtest.Sink }

func newLogSink() *logSink { return &logSink{logtest.New()} }

// waitLog waits until a record with msg and the given attributes is logged.
func (l *logSink) waitLog(t *testing.T, msg string, attrs map[string]string) slog.Record {
	t.Helper()
	r, _ := l.Wait(t, 5*time.Second, msg, attrs, func(got, want string) bool { return got == want })
	return r
}

// everything logged, as text, for checks that something is never logged.
func (l *logSink) text() string { return l.Text() }

// testEnv is a running endpoint on 127.0.0.1 with its CA, registry, uplink
// channel and logs.
type testEnv struct {
	t       *testing.T
	ca      *pki.CA
	reg     *memRegistry
	ups     chan Uplink
	logs    *logSink
	srv     *Server
	addr    string
	ended   chan lorawan.EUI64
	stopped chan error
	cancel  context.CancelFunc
}

// Gateways registered in every test environment.
var (
	gwEU    = lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	gwUS    = lorawan.EUI64{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02}
	gwToken = lorawan.EUI64{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03}
	gwOther = lorawan.EUI64{0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04}
)

const testToken = "s3cret-token-value"

func newTestEnv(t *testing.T, edit func(*Options)) *testEnv {
	t.Helper()
	ca, err := pki.LoadOrCreateCA(t.TempDir(), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	srvKP, err := ca.IssueServerCert([]string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := srvKP.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{
		t:       t,
		ca:      ca,
		reg:     &memRegistry{gws: map[lorawan.EUI64]GatewayInfo{}},
		ups:     make(chan Uplink, 16),
		logs:    newLogSink(),
		addr:    ln.Addr().String(),
		ended:   make(chan lorawan.EUI64, 16),
		stopped: make(chan error, 1),
	}
	env.reg.put(GatewayInfo{EUI: gwEU, Region: "EU868"})
	env.reg.put(GatewayInfo{EUI: gwUS, Region: "US915", SubBand: 2})
	env.reg.put(GatewayInfo{EUI: gwToken, Region: "EU868", TokenSHA256: HashToken(testToken)})
	env.reg.put(GatewayInfo{EUI: gwOther, Region: "EU868"})
	opts := Options{
		PublicURI:  "wss://" + env.addr,
		ServerCert: srvCert,
		ClientCAs:  ca.Pool(),
		Logger:     slog.New(env.logs),
		NetIDs:     []lorawan.NetID{{0, 0, 0x13}},
	}
	if edit != nil {
		edit(&opts)
	}
	srv, err := New(env.reg, chanHandler{env.ups}, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.sessionEnded = func(eui lorawan.EUI64) { env.ended <- eui }
	env.srv = srv
	ctx, cancel := context.WithCancel(context.Background())
	env.cancel = cancel
	go func() { env.stopped <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-env.stopped:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return env
}

// gatewayCert issues a client certificate for eui valid around now.
func (e *testEnv) gatewayCert(eui lorawan.EUI64) tls.Certificate {
	e.t.Helper()
	return issueCert(e.t, e.ca, eui, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
}

func issueCert(t *testing.T, ca *pki.CA, eui lorawan.EUI64, from, to time.Time) tls.Certificate {
	t.Helper()
	kp, err := ca.IssueGatewayCert(eui, from, to)
	if err != nil {
		t.Fatal(err)
	}
	c, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// stationClient dials like Basics Station: TLS trusting the cloud CA, with
// an optional client certificate or token header.
type stationClient struct {
	env    *testEnv
	cert   *tls.Certificate
	header http.Header
}

func (e *testEnv) client(cert *tls.Certificate) *stationClient {
	return &stationClient{env: e, cert: cert, header: http.Header{}}
}

func (e *testEnv) tokenClient(token string) *stationClient {
	c := &stationClient{env: e, header: http.Header{}}
	c.header.Set("Authorization", "Bearer "+token)
	return c
}

func (c *stationClient) dialer() *websocket.Dialer {
	cfg := &tls.Config{RootCAs: c.env.ca.Pool(), ServerName: "127.0.0.1"}
	if c.cert != nil {
		// Like Station's mbedTLS, send the configured certificate whatever
		// CAs the server names as acceptable.
		cert := c.cert
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return &websocket.Dialer{TLSClientConfig: cfg, HandshakeTimeout: 5 * time.Second}
}

// dial opens a websocket on path (or a full URI).
func (c *stationClient) dial(pathOrURI string) (*websocket.Conn, *http.Response, error) {
	uri := pathOrURI
	if strings.HasPrefix(pathOrURI, "/") {
		uri = "wss://" + c.env.addr + pathOrURI
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := c.dialer().DialContext(ctx, uri, c.header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	return conn, resp, err
}

// routerInfo runs discovery as Station does: send {"router":"<id6>"},
// read the answer, close with 1000.
func (c *stationClient) routerInfo(router string) (map[string]any, error) {
	conn, _, err := c.dial("/router-info")
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"router":"`+router+`"}`)); err != nil {
		return nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := conn.ReadMessage()
	if err != nil {
		return nil, err
	}
	if typ != websocket.TextMessage {
		return nil, fmt.Errorf("router-info answer of type %d", typ)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("router-info answer %s: %w", b, err)
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return m, nil
}

// stationVersion is the version message Station 2.0.6 sent in a real run.
const stationVersion = `{"msgtype":"version","station":"2.0.6(linux/testsim)","firmware":"v1","package":"v1","model":"linux","protocol":2,"features":"rmtsh"}`

// traffic connects the traffic socket, sends version and returns the
// connection and the raw router_config.
func (c *stationClient) traffic(uri string) (*websocket.Conn, []byte, error) {
	conn, _, err := c.dial(uri)
	if err != nil {
		return nil, nil, err
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(stationVersion)); err != nil {
		conn.Close()
		return nil, nil, err
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	_ = conn.SetReadDeadline(time.Time{})
	return conn, b, nil
}

// readJSON reads the next text message into a generic map.
func readJSON(t *testing.T, conn *websocket.Conn) map[string]any {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	_ = conn.SetReadDeadline(time.Time{})
	var m map[string]any
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("message %s: %v", b, err)
	}
	return m
}

// waitUplink returns the next uplink handed to the Handler.
func (e *testEnv) waitUplink(t *testing.T) Uplink {
	t.Helper()
	select {
	case up := <-e.ups:
		return up
	case <-time.After(5 * time.Second):
		t.Fatal("no uplink reached the handler")
	}
	return Uplink{}
}

// waitEnded waits until the session of eui has ended.
func (e *testEnv) waitEnded(t *testing.T, eui lorawan.EUI64) {
	t.Helper()
	for {
		select {
		case got := <-e.ended:
			if got == eui {
				return
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("session of %s did not end", eui)
		}
	}
}

// expectClosed reads until the connection fails and returns the error.
func expectClosed(t *testing.T, conn *websocket.Conn) error {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("connection still open after 5 s")
			}
			return err
		}
	}
}

// remove unregisters a gateway.
func (m *memRegistry) remove(eui lorawan.EUI64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.gws, eui)
}
