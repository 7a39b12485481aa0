package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// ErrUnknownGateway is what a Registry returns (wrapped or not) for an EUI
// it does not hold.
var ErrUnknownGateway = errors.New("gateway: unknown gateway")

// ErrNotConnected is returned by Send when the gateway has no traffic
// socket, or lost it before the message could be written.
var ErrNotConnected = errors.New("gateway: gateway not connected")

// ErrRefusedMsgType is returned by Send for messages that make Station run
// programs on the gateway (runcmd, rmtsh): the endpoint never sends them.
var ErrRefusedMsgType = errors.New("gateway: message type not sent to gateways")

// GatewayInfo is what the endpoint needs to know about a registered gateway.
type GatewayInfo struct {
	EUI lorawan.EUI64
	// Region is the region name, as lorawan.RegionByName accepts it.
	Region string
	// SubBand is the sub-band (1..8) a US915 or AU915 gateway listens on;
	// 0 means sub-band 2 there and nothing elsewhere.
	SubBand int
	// TokenSHA256 is the SHA-256 of the gateway's token (see HashToken),
	// or empty when the gateway authenticates with a certificate only.
	TokenSHA256 []byte
	// CertFingerprints, when not empty, are the only client certificates
	// the gateway may present: lower-case hex SHA-256 of their DER (see
	// CertFingerprint). Empty accepts any gateway CA certificate naming
	// the EUI.
	CertFingerprints []string
}

// Registry gives the records of registered gateways. Gateway returns an
// error wrapping ErrUnknownGateway for an EUI it does not hold.
type Registry interface {
	Gateway(ctx context.Context, eui lorawan.EUI64) (GatewayInfo, error)
}

// Uplink is one message a gateway sent up the traffic socket: a decoded
// *station.Jreq, *station.Rejoin, *station.Updf, *station.Propdf or
// *station.Dntxed, with the gateway that sent it and when the cloud read it.
type Uplink struct {
	Gateway    lorawan.EUI64
	ReceivedAt time.Time
	Message    station.Message
}

// Handler receives the uplinks of every connected gateway. HandleUplink is
// called from the gateway's read loop, one message at a time per gateway
// and concurrently across gateways; it should hand the message on and
// return quickly, since the gateway's next message waits for it. ctx ends
// when the gateway's connection does.
type Handler interface {
	HandleUplink(ctx context.Context, up Uplink)
}

// Options configures a Server. Zero durations take the defaults named.
type Options struct {
	// PublicURI is the scheme, host and port gateways reach the endpoint
	// on, e.g. "wss://lns.example.com:6039"; router-info answers with
	// PublicURI + "/traffic/" + EUI. Required.
	PublicURI string
	// ServerCert is the TLS server certificate. Required.
	ServerCert tls.Certificate
	// ClientCAs verifies gateway certificates (the gateway CA). Required.
	ClientCAs *x509.CertPool
	// MuxsID is the "muxs" name router-info returns. Default "loraedge".
	MuxsID string
	// PingInterval is how often the endpoint pings each gateway, and
	// checks its credentials against the Registry again. Default 30 s; it
	// must be shorter than IdleTimeout.
	PingInterval time.Duration
	// IdleTimeout drops a gateway from which nothing, not even a pong,
	// was heard for this long. Default 90 s; lengthen it for LTE links.
	IdleTimeout time.Duration
	// WriteTimeout bounds each write to a gateway. Default 10 s.
	WriteTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake plus the websocket upgrade,
	// and the wait for the router-info request. Default 30 s.
	HandshakeTimeout time.Duration
	// NetIDs are the networks whose data frames gateways forward (router_config
	// NetID); empty forwards all.
	NetIDs []lorawan.NetID
	// JoinEUIs are the JoinEUI ranges whose join-requests gateways forward
	// (router_config JoinEui); empty forwards all.
	JoinEUIs []JoinEUIRange
	// Logger receives the endpoint's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
	// OnConnect, when set, is called each time a gateway's traffic socket
	// is established, with the fingerprint (CertFingerprint) of the client
	// certificate it authenticated with, "" for a token: the proof that
	// these credentials work, which a credential rotation waits for. It
	// runs on the connection's goroutine before router_config is sent.
	OnConnect func(eui lorawan.EUI64, fingerprint string)
}

// JoinEUIRange is an inclusive range of JoinEUIs.
type JoinEUIRange struct{ First, Last lorawan.EUI64 }

// Server is the LNS endpoint. Create it with New, run it with Serve.
type Server struct {
	opts     Options
	reg      Registry
	handler  Handler
	log      *slog.Logger
	upgrader websocket.Upgrader
	base     *url.URL

	mu       sync.Mutex
	sessions map[lorawan.EUI64]*session
	closed   bool           // set by closeAll: no new sessions
	wg       sync.WaitGroup // one per registered session, Done when it ends

	// sessionEnded, when set (by tests), is called after a session was
	// unregistered.
	sessionEnded func(eui lorawan.EUI64)
}

// New checks opts and returns a Server that looks gateways up in reg and
// hands their uplinks to h.
func New(reg Registry, h Handler, opts Options) (*Server, error) {
	if reg == nil || h == nil {
		return nil, errors.New("gateway: registry and handler are required")
	}
	if len(opts.ServerCert.Certificate) == 0 {
		return nil, errors.New("gateway: server certificate required")
	}
	if opts.ClientCAs == nil {
		return nil, errors.New("gateway: client CA pool required")
	}
	base, err := url.Parse(opts.PublicURI)
	if err != nil || (base.Scheme != "wss" && base.Scheme != "ws") || base.Hostname() == "" || base.Port() == "" ||
		strings.Trim(base.Path, "/") != "" || base.RawQuery != "" {
		return nil, fmt.Errorf("gateway: public uri %q: want wss://host:port", opts.PublicURI)
	}
	base.Path = ""
	if opts.MuxsID == "" {
		opts.MuxsID = "loraedge"
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 30 * time.Second
	}
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 90 * time.Second
	}
	if opts.PingInterval >= opts.IdleTimeout {
		return nil, fmt.Errorf("gateway: ping interval %v must be shorter than the idle timeout %v", opts.PingInterval, opts.IdleTimeout)
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Second
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 30 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Server{
		opts:     opts,
		reg:      reg,
		handler:  h,
		log:      opts.Logger,
		base:     base,
		sessions: map[lorawan.EUI64]*session{},
	}
	if err := station.CheckTrafficURI(s.trafficURI(lorawan.EUI64{})); err != nil {
		return nil, fmt.Errorf("gateway: public uri %q: %w", opts.PublicURI, err)
	}
	s.upgrader = websocket.Upgrader{
		HandshakeTimeout: opts.HandshakeTimeout,
		ReadBufferSize:   4096,
		WriteBufferSize:  4096,
		// Gateways are not browsers: no Origin to check.
		CheckOrigin: func(*http.Request) bool { return true },
		Error: func(w http.ResponseWriter, r *http.Request, status int, reason error) {
			s.log.Warn("gateway refused", "stage", "upgrade", "remote", r.RemoteAddr, "path", r.URL.Path,
				"reason", "websocket upgrade failed", "error", reason)
			http.Error(w, http.StatusText(status), status)
		},
	}
	return s, nil
}

func (s *Server) now() time.Time { return s.opts.Now() }

// trafficURI is the traffic socket URI of a gateway, with explicit port and
// path as Station requires.
func (s *Server) trafficURI(eui lorawan.EUI64) string {
	return s.base.String() + "/traffic/" + eui.String()
}

// HTTPHandler returns the endpoint's routes: GET /router-info and
// GET /traffic/{eui}.
func (s *Server) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /router-info", s.serveRouterInfo)
	mux.HandleFunc("GET /traffic/{eui}", s.serveTraffic)
	return mux
}

// TLSConfig returns the server's TLS configuration, for callers that run
// their own listener; Serve uses it.
func (s *Server) TLSConfig() *tls.Config { return s.tlsConfig() }

// Serve accepts gateways on ln (a plain TCP listener; Serve adds TLS) until
// ctx ends, then closes every gateway session and returns once they have
// finished. The error is nil after a shutdown by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.HTTPHandler(),
		ReadHeaderTimeout: s.opts.HandshakeTimeout,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		// Handshake refusals are logged by verifyClientCert with their
		// reason; net/http's own line about them is left at debug level.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	tlsLn := tls.NewListener(ln, s.tlsConfig())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(tlsLn) }()
	select {
	case err := <-errc:
		s.closeAll("server stopped")
		s.wg.Wait()
		return fmt.Errorf("gateway: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.WriteTimeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	s.closeAll("server shutting down")
	s.wg.Wait()
	<-errc
	if err != nil {
		return fmt.Errorf("gateway: shutdown: %w", err)
	}
	return nil
}

// Connected reports whether gw has a configured traffic socket.
func (s *Server) Connected(gw lorawan.EUI64) bool {
	s.mu.Lock()
	sess := s.sessions[gw]
	s.mu.Unlock()
	if sess == nil {
		return false
	}
	select {
	case <-sess.ready:
		return true
	default:
		return false
	}
}

// Send writes msg (a *station.Dnmsg, *station.Dnsched, *station.Timesync, …)
// to the traffic socket of gw. It waits, within ctx, for the gateway's
// router_config to have been sent, since Station drops downlinks that come
// before it. It returns ErrNotConnected when gw has no socket or loses it,
// and ErrRefusedMsgType for runcmd and rmtsh.
func (s *Server) Send(ctx context.Context, gw lorawan.EUI64, msg station.Message) error {
	if msg == nil {
		return errors.New("gateway: send: nil message")
	}
	switch msg.MsgType() {
	case station.MsgTypeRuncmd, station.MsgTypeRmtsh:
		return fmt.Errorf("%w: %s", ErrRefusedMsgType, msg.MsgType())
	}
	b, err := station.Encode(msg)
	if err != nil {
		return fmt.Errorf("gateway: send: %w", err)
	}
	s.mu.Lock()
	sess := s.sessions[gw]
	s.mu.Unlock()
	if sess == nil {
		return fmt.Errorf("%w: %s", ErrNotConnected, gw)
	}
	select {
	case <-sess.ready:
	case <-sess.done:
		return fmt.Errorf("%w: %s", ErrNotConnected, gw)
	case <-ctx.Done():
		return fmt.Errorf("gateway: send to %s: %w", gw, ctx.Err())
	}
	if err := sess.writeText(ctx, b); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrNotConnected, gw, err)
	}
	return nil
}

// register makes sess the gateway's session and closes the one it
// supersedes, if any. It returns false once the server is shutting down.
// Every registered session must call unregister when it ends.
func (s *Server) register(sess *session) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.wg.Add(1)
	old := s.sessions[sess.eui]
	s.sessions[sess.eui] = sess
	s.mu.Unlock()
	if old != nil {
		s.log.Info("gateway session superseded", "gateway", sess.eui.String(), "old_remote", old.remote, "remote", sess.remote)
		// Closing may wait (up to a second) on a dead link: do not hold up
		// the new session for it.
		go old.close(websocket.ClosePolicyViolation, "superseded by a new connection")
	}
	return true
}

// unregister removes sess unless a newer session already replaced it.
func (s *Server) unregister(sess *session) {
	s.mu.Lock()
	if s.sessions[sess.eui] == sess {
		delete(s.sessions, sess.eui)
	}
	s.mu.Unlock()
	if s.sessionEnded != nil {
		s.sessionEnded(sess.eui)
	}
	s.wg.Done()
}

func (s *Server) closeAll(reason string) {
	s.mu.Lock()
	s.closed = true
	all := make([]*session, 0, len(s.sessions))
	for _, sess := range s.sessions {
		all = append(all, sess)
	}
	s.mu.Unlock()
	for _, sess := range all {
		sess.close(websocket.CloseGoingAway, reason)
	}
}
