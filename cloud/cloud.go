// Package cloud assembles the cloud process from its stages, configured
// from one TOML file (Config): the sealed store, the gateway CA and server
// certificate, the Basics Station LNS endpoint (cloud/gateway), the uplink
// pipeline (cloud/uplink: dedup, join, data, MAC), the downlink scheduler
// (cloud/downlink), the destinations (cloud/route) with the embedded MQTT
// broker (cloud/broker), the HTTP API (cloud/api downlinks, cloud/admin
// gateways, devices and destinations), and the CUPS server
// (cloud/cupsserver, cups.go).
package cloud

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/api"
	"github.com/loraedge/loraedge/cloud/broker"
	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/cloud/mac"
	"github.com/loraedge/loraedge/cloud/metrics"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Options are what the cloud takes besides its configuration.
type Options struct {
	// Handler, when set, receives every gateway's uplinks instead of the
	// uplink pipeline (for tests of the endpoint alone).
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

	broker   *broker.Broker // nil with an external broker
	queue    *route.Queue   // webhook retry queue
	router   *route.Router  // destinations
	sched    *downlink.Scheduler
	pipeline *uplink.Pipeline // nil when Options.Handler is set
	apiLn    net.Listener     // nil when the API is off
	apiSrv   *http.Server
	cups     cupsPart // the CUPS server (cups.go)
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
	late := &lateHandler{log: log}
	if handler == nil {
		handler = late
	}
	g := cfg.Gateways
	c.gw, err = gateway.New(gateway.StoreRegistry{DB: c.db}, handler, gateway.Options{
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
		OnConnect:        c.onGatewayConnect,
	})
	if err != nil {
		return nil, fmt.Errorf("cloud: %w", err)
	}
	if err := c.buildPipeline(cfg, log, late, opts.Handler == nil); err != nil {
		return nil, err
	}
	if err := c.buildAPI(cfg, log); err != nil {
		return nil, err
	}
	if err := c.buildCUPS(cfg, log, serverCert); err != nil {
		return nil, err
	}
	return c, nil
}

// buildPipeline starts the broker and builds destinations, the downlink
// scheduler and the uplink pipeline. The gateway endpoint and the
// scheduler need each other, and so do the router and the scheduler: the
// late-bound handler and event publisher break those cycles.
func (c *Cloud) buildPipeline(cfg Config, log *slog.Logger, late *lateHandler, attach bool) error {
	brokerURL := cfg.MQTT.Broker
	if brokerURL == "" && cfg.MQTT.EmbeddedListen != "off" {
		c.broker = broker.New(broker.Options{Addr: cfg.MQTT.EmbeddedListen, Logger: log})
		if err := c.broker.Start(context.Background()); err != nil {
			c.broker = nil
			return fmt.Errorf("cloud: mqtt broker: %w", err)
		}
		brokerURL = c.broker.URL()
	}
	password := ""
	if cfg.MQTT.PasswordFile != "" {
		b, err := os.ReadFile(cfg.MQTT.PasswordFile)
		if err != nil {
			return fmt.Errorf("cloud: mqtt password: %w", err)
		}
		password = strings.TrimSpace(string(b))
	}
	var err error
	if c.queue, err = route.OpenQueue(filepath.Join(cfg.DataDir, "webhook-queue.db"), cfg.Pipeline.WebhookQueueMax); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	events := &lateEvents{}
	c.sched, err = downlink.New(c.db, c.gw, downlink.Options{
		MaxAttempts: cfg.Pipeline.DownlinkAttempts,
		Events:      events,
		Logger:      log,
	})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	dests, err := loadDestinations(context.Background(), c.db)
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	c.router, err = route.New(dests, route.Options{
		Broker:      brokerURL,
		Username:    cfg.MQTT.Username,
		Password:    password,
		TopicPrefix: cfg.MQTT.TopicPrefix,
		Downlinks:   c.sched,
		Queue:       c.queue,
		Logger:      log,
	})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	events.set(c.router)
	if !attach {
		return nil
	}
	netID, err := cfg.NetID()
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	c.pipeline, err = uplink.New(c.db, c.sched, c.router, uplink.Options{
		NetID:  netID,
		Join:   join.Options{},
		MAC:    mac.Options{InstallationMargin: cfg.Pipeline.ADRMargin},
		Dedup:  dedup.Options{Window: time.Duration(cfg.Pipeline.DedupWindow)},
		Logger: log,
	})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	late.set(c.pipeline)
	return nil
}

// buildAPI listens for the HTTP API: downlinks (cloud/api) and gateways,
// devices and destinations (cloud/admin) on one mux with one token, and
// writes data_dir/admin.json so the admin CLI finds it.
func (c *Cloud) buildAPI(cfg Config, log *slog.Logger) error {
	if cfg.API.Listen == "off" {
		return nil
	}
	token, err := api.LoadOrCreateToken(cfg.APITokenPath())
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	down, err := api.New(c.sched, api.Options{Token: token, Health: c.health, Logger: log})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	// The admin API shares the store with the CUPS server and the gateway
	// endpoint, which read it per request: a rotation, a new target or a
	// signed update made through it holds at their next request.
	netIDs, err := cfg.filterNetIDs()
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	adm, err := admin.New(destinationSync{c.db, c.router}, admin.Options{Token: token, Logger: log, CA: c.ca, NetIDFilter: netIDs})
	if err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	mux := http.NewServeMux()
	for _, p := range down.Routes() {
		mux.Handle(p, down.Handler())
	}
	for _, p := range adm.Routes() {
		mux.Handle(p, adm)
	}
	mux.Handle("GET /metrics", metrics.Handler(c.metricSources()))
	if c.apiLn, err = net.Listen("tcp", cfg.API.Listen); err != nil {
		return fmt.Errorf("cloud: listen for the api: %w", err)
	}
	c.apiSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	ep := admin.Endpoint{URL: "http://" + localAddr(c.apiLn.Addr()), Token: admin.Secret(token)}
	if err := admin.WriteEndpoint(cfg.DataDir, ep); err != nil {
		return fmt.Errorf("cloud: %w", err)
	}
	return nil
}

// localAddr is how a process on this machine reaches a listener: a
// wildcard address (0.0.0.0, ::) becomes loopback, which the admin CLI
// requires for plain HTTP.
func localAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(tcp.Port))
}

// metricSources are the parts /metrics reads; the pipeline is absent when
// Options.Handler replaced it.
func (c *Cloud) metricSources() metrics.Sources {
	src := metrics.Sources{Gateways: c.gw.ConnectedCount}
	if c.pipeline != nil {
		src.Pipeline = c.pipeline.Stats
	}
	if c.router != nil {
		src.Router = c.router.Metrics
	}
	if c.sched != nil {
		src.Downlinks = c.sched.Metrics
	}
	return src
}

// health answers /healthz: the store must answer.
func (c *Cloud) health(ctx context.Context) error {
	_, err := c.db.ListGateways(ctx)
	return err
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

// APIAddr returns the HTTP API's address, nil when it is off.
func (c *Cloud) APIAddr() net.Addr {
	if c.apiLn == nil {
		return nil
	}
	return c.apiLn.Addr()
}

// BrokerURL returns the embedded MQTT broker's URL, "" when an external
// broker (or none) is used.
func (c *Cloud) BrokerURL() string {
	if c.broker == nil {
		return ""
	}
	return c.broker.URL()
}

// Pipeline returns the uplink pipeline (nil when Options.Handler replaced it).
func (c *Cloud) Pipeline() *uplink.Pipeline { return c.pipeline }

// Store returns the cloud's store.
func (c *Cloud) Store() *store.DB { return c.db }

// CA returns the gateway CA.
func (c *Cloud) CA() *pki.CA { return c.ca }

// Run serves gateways and the API until ctx ends, then closes every
// gateway session, the pipeline and the store. It returns nil after a
// shutdown by ctx.
func (c *Cloud) Run(ctx context.Context) error {
	if err := c.router.Start(ctx); err != nil {
		c.Close()
		if ctx.Err() != nil {
			return nil // stopped while connecting to the broker
		}
		return fmt.Errorf("cloud: destinations: %w", err)
	}
	c.log.Info("cloud started", "gateways", c.ln.Addr().String(), "tc_uri", c.tcURI,
		"api", addrString(c.APIAddr()), "mqtt", c.BrokerURL(),
		"data", c.cfg.DataDir, "kek_id", c.db.KEKID())
	var wg sync.WaitGroup
	if srv, ln := c.apiSrv, c.apiLn; srv != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				c.log.Error("api stopped", "err", err)
			}
		}()
	}
	stopCUPS := c.runCUPS(ctx, &wg)
	err := c.gw.Serve(ctx, c.ln)
	c.ln = nil // Serve closed it
	stopCUPS()
	if c.apiSrv != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = c.apiSrv.Shutdown(sctx) // closes the API listener
		cancel()
	}
	wg.Wait()
	c.apiLn = nil
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	c.log.Info("cloud stopped")
	return err
}

func addrString(a net.Addr) string {
	if a == nil {
		return "off"
	}
	return a.String()
}

// Close releases what New opened, last stage first; Run calls it on its
// way out.
func (c *Cloud) Close() error {
	var errs []error
	closeErr := func(err error) {
		if err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	if c.ln != nil {
		closeErr(c.ln.Close())
		c.ln = nil
	}
	if c.apiLn != nil {
		closeErr(c.apiLn.Close())
		c.apiLn = nil
	}
	closeErr(c.closeCUPS())
	if c.apiSrv != nil {
		_ = admin.RemoveEndpoint(c.cfg.DataDir)
		c.apiSrv = nil
	}
	if c.pipeline != nil {
		c.pipeline.Close()
		c.pipeline = nil
	}
	if c.sched != nil {
		closeErr(c.sched.Close())
		c.sched = nil
	}
	if c.router != nil {
		closeErr(c.router.Close())
		c.router = nil
	}
	if c.queue != nil {
		closeErr(c.queue.Close())
		c.queue = nil
	}
	if c.broker != nil {
		if err := c.broker.Close(); errors.Is(err, broker.ErrCloseTimeout) {
			c.log.Warn("embedded mqtt broker: port and connections closed, but a client handler did not return in time; the rest of its shutdown finishes in the background", "err", err)
		} else {
			closeErr(err)
		}
		c.broker = nil
	}
	if c.db != nil {
		closeErr(c.db.Close())
		c.db = nil
	}
	return errors.Join(errs...)
}

// lateHandler is the endpoint's Handler before the pipeline exists (the
// pipeline needs the scheduler, which needs the endpoint): it forwards to
// the pipeline once set, and logs and drops what comes before.
type lateHandler struct {
	log *slog.Logger
	h   atomic.Pointer[uplink.Pipeline]
}

func (l *lateHandler) set(p *uplink.Pipeline) { l.h.Store(p) }

// HandleUplink hands the uplink to the pipeline.
func (l *lateHandler) HandleUplink(ctx context.Context, up gateway.Uplink) {
	if p := l.h.Load(); p != nil {
		p.HandleUplink(ctx, up)
		return
	}
	l.log.Debug("uplink before the pipeline started, dropped", "gateway", up.Gateway.String(), "msgtype", up.Message.MsgType())
}

// lateEvents lets the scheduler publish downlink events through the
// router, which is built after it (the router needs the scheduler as its
// downlink sink).
type lateEvents struct{ r atomic.Pointer[route.Router] }

func (e *lateEvents) set(r *route.Router) { e.r.Store(r) }

// PublishEvent publishes through the router once it is set.
func (e *lateEvents) PublishEvent(ctx context.Context, ev *route.DownlinkEvent) error {
	r := e.r.Load()
	if r == nil {
		return errors.New("cloud: router not started")
	}
	return r.PublishEvent(ctx, ev)
}

// destinationSync is the admin API's store: destination changes are also
// applied to the running router, so a new destination routes at once.
type destinationSync struct {
	*store.DB
	router *route.Router
}

// PutDestination stores d and refreshes the router's destinations.
func (s destinationSync) PutDestination(ctx context.Context, d store.Destination) error {
	if err := s.DB.PutDestination(ctx, d); err != nil {
		return err
	}
	return s.refresh(ctx)
}

// DeleteDestination removes the destination and refreshes the router.
func (s destinationSync) DeleteDestination(ctx context.Context, name string) error {
	if err := s.DB.DeleteDestination(ctx, name); err != nil {
		return err
	}
	return s.refresh(ctx)
}

func (s destinationSync) refresh(ctx context.Context) error {
	dests, err := loadDestinations(ctx, s.DB)
	if err != nil {
		return err
	}
	if err := s.router.Update(dests); err != nil {
		return fmt.Errorf("cloud: apply destinations: %w", err)
	}
	return nil
}

// loadDestinations reads every destination with its header secret (the
// store's listing leaves secrets out), as the router needs them.
func loadDestinations(ctx context.Context, db *store.DB) ([]store.Destination, error) {
	list, err := db.ListDestinations(ctx)
	if err != nil {
		return nil, err
	}
	for i, d := range list {
		if list[i], err = db.GetDestination(ctx, d.Name); err != nil {
			return nil, err
		}
	}
	return list, nil
}
