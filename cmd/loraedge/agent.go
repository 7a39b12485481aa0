package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/config"
	"github.com/loraedge/loraedge/agent/metrics"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store/agentstore"
)

// runAgent implements `loraedge agent [--config FILE] [--home DIR] [--data
// DIR]`: the gateway side, a Basics Station client, until interrupted.
func runAgent(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("agent", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, `usage: loraedge agent [--config FILE] [--home DIR] [--data DIR]

Runs the gateway agent: a Basics Station client that carries the
concentrator's traffic to an LNS. The configuration is a TOML file (see
agent.example.toml), a Basics Station home directory (station.conf, tc.uri,
tc.trust, tc.crt, tc.key, cups.*, version.txt), or both, the file's keys
overriding the home. Credentials are imported into agent.db in the data
directory at each start. Stops cleanly on SIGINT or SIGTERM.`)
		flags.PrintDefaults()
	}
	configPath := flags.String("config", "", "configuration file (TOML)")
	home := flags.String("home", "", "Basics Station home directory (overrides the file's home)")
	dataDir := flags.String("data", "", "data directory holding agent.db (overrides data_dir)")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return exitOK
		}
		return exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "loraedge agent: unexpected argument %q\n", flags.Arg(0))
		return exitUsage
	}
	if *configPath == "" && *home == "" {
		fmt.Fprintln(stderr, "loraedge agent: give --config FILE, --home DIR or both")
		return exitUsage
	}
	cfg, err := config.LoadFiles(*configPath, *home)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge agent: %v\n", err)
		return exitUsage
	}
	if *dataDir != "" {
		cfg.DataDir = *dataDir
	}
	if err := checkBackend(cfg.Radio.Backend); err != nil {
		fmt.Fprintf(stderr, "loraedge agent: %v\n", err)
		return exitFailure
	}
	log, closeLog, err := agentLogger(cfg, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge agent: %v\n", err)
		return exitFailure
	}
	defer closeLog()
	if err := serveAgent(ctx, cfg, log); err != nil {
		log.Error("agent stopped with an error", "error", err)
		return exitFailure
	}
	return exitOK
}

// agentLogger opens the configured log destination.
func agentLogger(cfg *config.Config, stdout, stderr io.Writer) (*slog.Logger, func(), error) {
	level, err := cfg.Level()
	if err != nil {
		return nil, nil, err
	}
	w, closeFn := stderr, func() {}
	switch cfg.LogFile {
	case "stderr":
	case "stdout":
		w = stdout
	default:
		f, err := os.OpenFile(cfg.LogFile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, fmt.Errorf("log file: %w", err)
		}
		w, closeFn = f, func() { f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closeFn, nil
}

// serveAgent opens the store, imports the credentials, builds the radio and
// runs the agent until ctx ends.
func serveAgent(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	db, err := agentstore.Open(cfg.DBPath(), &agentstore.Options{
		SpoolMaxCount: cfg.Spool.MaxCount,
		SpoolMaxAge:   time.Duration(cfg.Spool.MaxAge),
		Logger:        log,
	})
	if err != nil {
		return err
	}
	defer db.Close()
	written, err := cfg.Import(ctx, db)
	if err != nil {
		return err
	}
	for _, s := range written {
		log.Info("credentials imported", "set", s.Name(), "credentials", s.Credentials)
	}
	if cfg.NoCUPS() {
		log.Info("no CUPS URI: running in NO-CUPS mode")
	}
	if st := db.SpoolStats(); st.Len > 0 {
		log.Info("uplinks spooled from an earlier run will be sent after connecting", "spooled", st.Len)
	}

	radio, err := newRadio(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer radio.close()

	opts := agentOptions(cfg, db, radio.conc, log)
	cupsClient, err := agentCUPS(cfg, db, &opts, log) // agentcups.go; nil in NO-CUPS mode
	if err != nil {
		return err
	}
	a, err := agent.New(opts)
	if err != nil {
		return err
	}
	if cfg.Metrics.Listen != "" {
		stop, err := serveAgentMetrics(cfg.Metrics.Listen, metrics.Sources{Agent: a.Stats, Spool: db.SpoolStats}, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("agent starting", "router", station.FormatID6(lorawan.EUI64(cfg.RouterEUI)),
		"backend", cfg.Radio.Backend, "data", cfg.DataDir, "spooled", db.SpoolStats().Len)
	if cupsClient != nil {
		err = cupsClient.Run(ctx, a.Run)
	} else {
		err = a.Run(ctx)
	}
	st := db.SpoolStats()
	log.Info("agent stopped", "spooled", st.Len, "spool_dropped", st.Dropped, "spool_dropped_by_age", st.DroppedByAge)
	return err
}

// serveAgentMetrics serves GET /metrics on addr until the returned stop is
// called; a listen error is returned at once, so a bad address stops the
// start.
func serveAgentMetrics(addr string, src metrics.Sources, log *slog.Logger) (stop func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(src))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("metrics endpoint stopped", "error", err)
		}
	}()
	log.Info("metrics endpoint listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}, nil
}

// agentOptions maps the configuration onto the agent's options.
func agentOptions(cfg *config.Config, db *agentstore.DB, radio hal.Concentrator, log *slog.Logger) agent.Options {
	r := cfg.Reconnect
	backoff := make([]time.Duration, r.MuxsRetries)
	for i := range backoff {
		backoff[i] = time.Duration(r.MuxsBackoff) << i
	}
	jitter := r.Jitter
	if jitter == 0 {
		jitter = -1 // the agent's "none"
	}
	firmware, pkg := cfg.Station.Firmware, cfg.Station.Package
	if firmware == "" {
		firmware = version
	}
	if pkg == "" {
		pkg = version
	}
	return agent.Options{
		RouterEUI:   lorawan.EUI64(cfg.RouterEUI),
		LoadTC:      func(ctx context.Context) (agent.Credentials, error) { return loadTC(ctx, db) },
		Radio:       radio,
		Board:       cfg.Radio.SX130xConf(),
		AntennaGain: cfg.Radio.AntennaGain,
		Version: station.Version{
			Station:  fmt.Sprintf("%s(loraedge/%s)", version, cfg.Radio.Backend),
			Firmware: firmware,
			Package:  pkg,
			Model:    cfg.Station.Model,
		},
		Spool:        storeSpool{db},
		ConfigMemory: db,
		AllowRunCmd:  cfg.AllowRunCmd,
		AllowRmtsh:   cfg.AllowRmtsh,
		Reconnect: agent.Reconnect{
			MuxsBackoff: backoff,
			InfosStep:   time.Duration(r.InfosStep),
			InfosMax:    time.Duration(r.InfosMax),
			Jitter:      jitter,
		},
		DialTimeout: time.Duration(r.TCTimeout),
		OnRejected: func(err error) {
			log.Warn("the LNS keeps refusing this gateway, and no CUPS is configured to ask for new credentials", "error", err)
		},
		Logger: log,
	}
}

// loadTC returns the TC credential set the agent connects with in NO-CUPS
// mode: the reg set, or, when there is none, the bak then the boot set.
func loadTC(ctx context.Context, db *agentstore.DB) (agent.Credentials, error) {
	for _, set := range agentstore.Sets() {
		c, err := db.Credentials(ctx, agentstore.KindTC, set)
		if errors.Is(err, agentstore.ErrNotFound) || err == nil && c.URI == "" {
			continue
		}
		if err != nil {
			return agent.Credentials{}, err
		}
		return agent.Credentials{URI: c.URI, Trust: c.Trust, Cert: c.Cert, Key: c.Key, Token: c.Token}, nil
	}
	return agent.Credentials{}, errors.New("no tc credential set with a URI in the store")
}

// storeSpool adapts the agent store's spool to agent.Spool.
type storeSpool struct{ *agentstore.DB }

// SpoolPeek returns the oldest records in the agent's type.
func (s storeSpool) SpoolPeek(ctx context.Context, max int) ([]agent.SpoolRecord, error) {
	recs, err := s.DB.SpoolPeek(ctx, max)
	if err != nil {
		return nil, err
	}
	out := make([]agent.SpoolRecord, len(recs))
	for i, r := range recs {
		out[i] = agent.SpoolRecord{ID: r.ID, Msg: r.Msg, ReceivedAt: r.ReceivedAt}
	}
	return out, nil
}

var _ agent.Spool = storeSpool{}

// agentRadio is the concentrator the agent drives and what must be stopped
// with it.
type agentRadio struct {
	conc  hal.Concentrator
	close func()
}

// checkBackend refuses the radio backends this build cannot drive yet.
func checkBackend(backend string) error {
	switch backend {
	case "sim":
	case "sx1302":
	case "sx1301":
	case "lgwsim":
	default:
		return fmt.Errorf("radio backend %q is not available in this build yet (use \"sim\", \"sx1302\" or \"lgwsim\")", backend)
	}
	return nil
}

// newRadio builds the configured radio backend.
func newRadio(ctx context.Context, cfg *config.Config, log *slog.Logger) (*agentRadio, error) {
	if err := checkBackend(cfg.Radio.Backend); err != nil {
		return nil, err
	}
	switch {
	case cfg.Radio.Backend == "sx1302":
		return newSX1302Radio(cfg, log)
	case useSX1301(cfg):
		// Backend "sx1301", or a Station home's SX1301_conf with an SPI device.
		return newSX1301Radio(cfg, log)
	case cfg.Radio.Backend == "lgwsim" || cfg.Radio.Backend == "sim" && isSocket(lgwsimDevice(cfg.Radio.Device)):
		// Station's simulation socket, named or found at the radio device.
		return newLgwsimRadio(cfg, log)
	}
	return newSimRadio(ctx, cfg, log)
}

// newSimRadio puts a simulated concentrator on a simulated air in the
// process, with the configured simulated devices (OTAA ones joining first,
// ABP ones at once) sending on it.
func newSimRadio(ctx context.Context, cfg *config.Config, log *slog.Logger) (*agentRadio, error) {
	s := cfg.Radio.Sim
	region, err := lorawan.RegionByName(s.Region)
	if err != nil {
		return nil, err
	}
	air := sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: s.PathLoss})
	conc, err := sim.NewConcentrator(air, "gateway", sim.ConcentratorOptions{
		CounterStart: s.CounterStart,
		PPS:          cfg.Radio.PPS,
		FullDuplex:   cfg.Radio.FullDuplex,
		Logger:       log.With("sim", "concentrator"),
	})
	if err != nil {
		return nil, err
	}
	devCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var devices []*sim.Device
	stop := func() {
		cancel()
		wg.Wait()
		for _, d := range devices {
			d.Close()
		}
		conc.Close()
	}
	for i, dc := range s.Devices {
		d, err := newSimDevice(air, region, dc, log)
		if err != nil {
			stop()
			return nil, err
		}
		devices = append(devices, d)
		wg.Add(1)
		go func() {
			defer wg.Done()
			driveSimDevice(devCtx, d, dc, time.Duration(i)*1500*time.Millisecond, log)
		}()
	}
	if len(devices) > 0 {
		log.Info("simulated devices on the air", "count", len(devices), "region", region.Name())
	}
	return &agentRadio{conc: conc, close: stop}, nil
}

// newSimDevice builds one simulated device from its configuration (checked
// by config.Load): an OTAA device that must join, or an ABP device active
// at once with its DevAddr and session keys.
func newSimDevice(air *sim.Air, region *lorawan.Region, dc config.SimDevice, log *slog.Logger) (*sim.Device, error) {
	devEUI, err := lorawan.ParseEUI64(dc.DevEUI)
	if err != nil {
		return nil, err
	}
	mac, err := lorawan.ParseMACVersion(dc.MACVersion)
	if err != nil {
		return nil, err
	}
	class := sim.ClassA
	if dc.Class == "C" {
		class = sim.ClassC
	}
	dlog := log.With("sim_device", devEUI.String())
	cfg := sim.DeviceConfig{
		Region: region, MACVersion: mac, Class: class, DevEUI: devEUI, DataRate: dc.DataRate, SubBand: dc.SubBand,
		OnEvent: func(e sim.Event) { logSimEvent(dlog, e) },
	}
	if dc.IsABP() {
		s, err := dc.ABPSession() // its errors never carry a key
		if err != nil {
			return nil, fmt.Errorf("simulated device %s: %w", devEUI, err)
		}
		cfg.ABP = &sim.ABPConfig{DevAddr: s.DevAddr, NwkSKey: s.NwkSKey, FNwkSIntKey: s.FNwkSIntKey,
			SNwkSIntKey: s.SNwkSIntKey, NwkSEncKey: s.NwkSEncKey, AppSKey: s.AppSKey, FCntUp: s.FCntUp}
		d, err := sim.NewDevice(air, cfg)
		if err == nil {
			dlog.Info("simulated device activated by personalisation (ABP)", "devaddr", s.DevAddr.String(),
				"mac_version", dc.MACVersion, "fcnt_up", s.FCntUp)
		}
		return d, err
	}
	if cfg.JoinEUI, err = lorawan.ParseEUI64(dc.JoinEUI); err != nil {
		return nil, err
	}
	if cfg.AppKey, err = lorawan.ParseAES128Key(dc.AppKey); err != nil {
		return nil, errors.New("simulated device: app_key is not 32 hex digits")
	}
	if mac == lorawan.MACVersion1_1 {
		if cfg.NwkKey, err = lorawan.ParseAES128Key(dc.NwkKey); err != nil {
			return nil, errors.New("simulated device: nwk_key is not 32 hex digits")
		}
	}
	// DevNonces must not repeat across restarts: 1.0 devices start at a
	// random one, 1.1 devices (strictly increasing) at the minutes since
	// 2025, which grow faster than a demo device joins.
	cfg.DevNonce = uint16(rand.N(1 << 16))
	if mac == lorawan.MACVersion1_1 {
		cfg.DevNonce = uint16(time.Since(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) / time.Minute)
	}
	return sim.NewDevice(air, cfg)
}

// logSimEvent logs what happened to a simulated device (never its keys).
func logSimEvent(log *slog.Logger, e sim.Event) {
	switch e.Kind {
	case sim.EventJoined:
		log.Info("simulated device joined", "devaddr", e.DevAddr.String(), "window", e.Window.String())
	case sim.EventDownlink:
		log.Info("simulated device got a downlink", "window", e.Window.String(), "fcnt", e.FCnt, "fport", e.FPort, "ack", e.ACK)
	case sim.EventMissed, sim.EventMICFailed, sim.EventRejected:
		log.Warn("simulated device: "+e.Kind.String(), "reason", e.Reason, "error", e.Err)
	case sim.EventNoDownlink:
		log.Debug("simulated device: no downlink", "reason", e.Reason)
	case sim.EventUplink:
		log.Debug("simulated device sent", "mtype", e.MType.String(), "fcnt", e.FCnt, "freq", e.Freq, "dr", e.DataRate)
	}
}

// driveSimDevice sends the device's payload every interval until ctx
// ends; an OTAA device joins first (a failed join is retried at the next
// tick), an ABP device never does. The first attempt comes one interval
// (plus delay, which staggers devices) after start, leaving the agent time
// to connect.
func driveSimDevice(ctx context.Context, d *sim.Device, dc config.SimDevice, delay time.Duration, log *slog.Logger) {
	payload, _ := dc.PayloadBytes() // checked by config.Load
	wait := time.Duration(dc.Interval) + delay
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = time.Duration(dc.Interval)
		var err error
		if _, active := d.Session(); active || dc.IsABP() {
			err = d.SendData(uint8(dc.FPort), payload, false)
		} else {
			err = d.Join()
		}
		if err != nil && !errors.Is(err, sim.ErrDeviceBusy) {
			log.Warn("simulated device cannot send", "device", d.Name(), "error", err)
		}
	}
}
