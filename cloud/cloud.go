// Package cloud assembles the cloud process: the sealed store, the gateway
// CA and server certificate, and the Basics Station LNS endpoint
// (cloud/gateway), configured from one TOML file (Config). The uplink
// pipeline plugs in as the endpoint's gateway.Handler.
package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Options are what the cloud takes besides its configuration.
type Options struct {
	// Handler receives every gateway's uplinks. Nil logs each uplink at
	// debug level and drops it (no pipeline attached).
	Handler gateway.Handler
	// Logger receives the logs. Default slog.Default().
	Logger *slog.Logger
}

// Cloud is a configured cloud process, listening but not yet serving until
// Run.
type Cloud struct {
	cfg   Config
	log   *slog.Logger
	db    *store.DB
	ca    *pki.CA
	gw    *gateway.Server
	ln    net.Listener
	tcURI string
}

// New opens the store (creating it and its KEK file on first start), loads
// or creates the gateway CA and the server certificate in the data
// directory, and listens for gateways. Call Run to serve, or Close.
func New(cfg Config, opts Options) (_ *Cloud, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("cloud: config: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	c := &Cloud{cfg: cfg, log: log}
	defer func() {
		if err != nil {
			c.Close()
		}
	}()
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cloud: data dir: %w", err)
	}
	if c.db, err = openStore(cfg, log); err != nil {
		return nil, err
	}
	now := time.Now()
	if c.ca, err = pki.LoadOrCreateCA(cfg.DataDir, now); err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	kp, err := pki.LoadOrCreateServerCert(cfg.DataDir, c.ca, cfg.CertHosts(), now)
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	serverCert, err := kp.TLSCertificate()
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	if c.ln, err = net.Listen("tcp", cfg.Gateways.Listen); err != nil {
		return nil, fmt.Errorf("cloud: listen for gateways: %w", err)
	}
	port := cfg.Gateways.PublicPort
	if port == 0 {
		port = c.ln.Addr().(*net.TCPAddr).Port
	}
	if c.tcURI, err = cfg.tcURIWithPort(port); err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	netIDs, err := cfg.filterNetIDs()
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	ranges, err := cfg.JoinEUIRanges()
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	var joinEUIs []gateway.JoinEUIRange
	for _, r := range ranges {
		joinEUIs = append(joinEUIs, gateway.JoinEUIRange{First: r[0], Last: r[1]})
	}
	handler := opts.Handler
	if handler == nil {
		handler = logUplinks{log}
	}
	g := cfg.Gateways
	c.gw, err = gateway.New(storeRegistry{c.db}, handler, gateway.Options{
		PublicURI:        c.tcURI,
		ServerCert:       serverCert,
		ClientCAs:        c.ca.Pool(),
		MuxsID:           g.MuxsID,
		PingInterval:     time.Duration(g.PingInterval),
		IdleTimeout:      time.Duration(g.IdleTimeout),
		WriteTimeout:     time.Duration(g.WriteTimeout),
		HandshakeTimeout: time.Duration(g.HandshakeTimeout),
		NetIDs:           netIDs,
		JoinEUIs:         joinEUIs,
		Logger:           log,
	})
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	return c, nil
}

// openStore opens the bbolt store, sealed under LORAEDGE_KEK when set,
// otherwise under the KEK file (created on first start).
func openStore(cfg Config, log *slog.Logger) (*store.DB, error) {
	sopts := &store.Options{Logger: log}
	kek, fromEnv, err := store.KEKFromEnv()
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	if fromEnv {
		log.Info("store sealed under the KEK from the environment", "env", store.EnvKEK, "kek", kek)
		return store.Open(cfg.StorePath(), kek, sopts)
	}
	return store.OpenWithKEKFile(cfg.StorePath(), cfg.KEKPath(), sopts)
}

// filterNetIDs returns the NetIDs for router_config: the network's own
// when filter_net_id is on, none (forward all) otherwise.
func (c Config) filterNetIDs() ([]lorawan.NetID, error) {
	if !c.Network.FilterNetID {
		return nil, nil
	}
	n, err := c.NetID()
	if err != nil {
		return nil, err
	}
	return []lorawan.NetID{n}, nil
}

// Addr returns the address the gateway endpoint listens on.
func (c *Cloud) Addr() net.Addr { return c.ln.Addr() }

// TCURI returns the URI gateways put in tc.uri (wss://public_host:port).
func (c *Cloud) TCURI() string { return c.tcURI }

// Gateways returns the gateway endpoint, through which downlinks are sent.
func (c *Cloud) Gateways() *gateway.Server { return c.gw }

// Store returns the cloud's store.
func (c *Cloud) Store() *store.DB { return c.db }

// CA returns the gateway CA.
func (c *Cloud) CA() *pki.CA { return c.ca }

// Run serves gateways until ctx ends, then closes every gateway session and
// the store. It returns nil after a shutdown by ctx.
func (c *Cloud) Run(ctx context.Context) error {
	c.log.Info("cloud started", "gateways", c.ln.Addr().String(), "tc_uri", c.tcURI,
		"data", c.cfg.DataDir, "kek_id", c.db.KEKID())
	err := c.gw.Serve(ctx, c.ln)
	c.ln = nil // Serve closed it
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	c.log.Info("cloud stopped")
	return err
}

// Close releases what New opened; Run calls it on its way out.
func (c *Cloud) Close() error {
	var errs []error
	if c.ln != nil {
		if err := c.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
		c.ln = nil
	}
	if c.db != nil {
		if err := c.db.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// storeRegistry gives the endpoint the store's gateway records.
type storeRegistry struct{ db *store.DB }

// Gateway returns the store's record of eui; a missing one wraps
// gateway.ErrUnknownGateway.
func (r storeRegistry) Gateway(ctx context.Context, eui lorawan.EUI64) (gateway.GatewayInfo, error) {
	g, err := r.db.GetGateway(ctx, eui)
	if errors.Is(err, store.ErrNotFound) {
		return gateway.GatewayInfo{}, fmt.Errorf("%w: %w", gateway.ErrUnknownGateway, err)
	}
	if err != nil {
		return gateway.GatewayInfo{}, err
	}
	return gateway.GatewayInfo{
		EUI:              g.EUI,
		Region:           g.Region,
		SubBand:          g.SubBand,
		TokenSHA256:      g.TokenSHA256,
		CertFingerprints: g.CertFingerprints,
	}, nil
}

// logUplinks is the Handler used when no pipeline is attached: it logs
// what arrived.
type logUplinks struct{ log *slog.Logger }

// HandleUplink logs the uplink's gateway and type.
func (l logUplinks) HandleUplink(_ context.Context, up gateway.Uplink) {
	l.log.Debug("uplink received, no pipeline attached", "gateway", up.Gateway.String(), "msgtype", up.Message.MsgType())
}
