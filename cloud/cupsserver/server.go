package cupsserver

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Store is what the server needs of the cloud's store (*store.DB has it):
// the gateways' records and CUPS state, the signing keys and the updates.
type Store interface {
	GetGateway(ctx context.Context, eui lorawan.EUI64) (store.Gateway, error)
	GetCUPSGateway(ctx context.Context, eui lorawan.EUI64) (store.CUPSGateway, error)
	UpdateCUPS(ctx context.Context, eui lorawan.EUI64, fn func(g *store.Gateway, c *store.CUPSGateway) error) error
	FleetTarget(ctx context.Context) (string, error)
	GetUpdate(ctx context.Context, version string) (store.Update, error)
	UpdateData(ctx context.Context, version string) ([]byte, error)
	ListSigningKeys(ctx context.Context) ([]store.SigningKey, error)
}

var _ Store = (*store.DB)(nil)

// Options configures a Server. Zero durations take the defaults named.
type Options struct {
	// ServerCert is the TLS server certificate (signed by the CA gateways
	// hold as cups.trust). Required.
	ServerCert tls.Certificate
	// ClientCAs verifies gateway certificates (the gateway CA). Required.
	ClientCAs *x509.CertPool
	// TCURI is the tc.uri of gateways whose CUPS state names none (the
	// cloud's own LNS, wss://host:port); "" leaves theirs alone.
	TCURI string
	// TCTrust is the DER certificate that verifies the LNS at TCURI (the
	// CA of its server certificate). With it, a gateway that authenticates
	// by token, holds no TC credentials and has no TC set staged for it
	// gets tc.trust and its own token as tc.key with its tc.uri: without
	// them Station cannot open wss:// and falls back to CUPS for ever.
	// Nil sends no such set.
	TCTrust []byte
	// AllowUnsigned lets an update go without a signature to gateways that
	// hold no signing key (Station then runs it unverified). Gateways
	// that hold keys never get an unsigned update.
	AllowUnsigned bool
	// HandshakeTimeout bounds the TLS handshake and the reading of a
	// request. Default 30 s.
	HandshakeTimeout time.Duration
	// WriteTimeout bounds the writing of an answer, an update included.
	// Default 10 min.
	WriteTimeout time.Duration
	// Logger receives the server's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Server is the CUPS server. Create it with New, run it with Serve.
type Server struct {
	st   Store
	opts Options
	log  *slog.Logger
}

// New checks opts and returns a Server over st.
func New(st Store, opts Options) (*Server, error) {
	if st == nil {
		return nil, errors.New("cupsserver: store required")
	}
	if len(opts.ServerCert.Certificate) == 0 {
		return nil, errors.New("cupsserver: server certificate required")
	}
	if opts.ClientCAs == nil {
		return nil, errors.New("cupsserver: client CA pool required")
	}
	if len(opts.TCURI) > 255 {
		return nil, fmt.Errorf("cupsserver: tc uri longer than 255 bytes")
	}
	if len(opts.TCTrust) > 0 {
		if _, err := x509.ParseCertificate(opts.TCTrust); err != nil {
			return nil, fmt.Errorf("cupsserver: tc trust: %w", err)
		}
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = 30 * time.Second
	}
	if opts.WriteTimeout <= 0 {
		opts.WriteTimeout = 10 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{st: st, opts: opts, log: opts.Logger}, nil
}

// HTTPHandler returns the server's one route, POST /update-info.
func (s *Server) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /update-info", s.serveUpdateInfo)
	return mux
}

// TLSConfig returns the server's TLS configuration, for callers that run
// their own listener; Serve uses it.
func (s *Server) TLSConfig() *tls.Config { return s.tlsConfig() }

// Serve answers gateways on ln (a plain TCP listener; Serve adds TLS) until
// ctx ends. The error is nil after a shutdown by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.HTTPHandler(),
		ReadHeaderTimeout: s.opts.HandshakeTimeout,
		ReadTimeout:       s.opts.HandshakeTimeout,
		WriteTimeout:      s.opts.WriteTimeout,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		// Handshake refusals are logged by verifyClientCert with their
		// reason; net/http's own line about them stays at debug level.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(tls.NewListener(ln, s.tlsConfig())) }()
	select {
	case err := <-errc:
		return fmt.Errorf("cupsserver: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	if err != nil {
		return fmt.Errorf("cupsserver: shutdown: %w", err)
	}
	return nil
}
