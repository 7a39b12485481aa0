package main

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/config"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store/agentstore"
)

// Parameters (config [params], or station_conf keys of a Station home) the
// CUPS client reads. The CUPS_* names and their span syntax ("4s", "24h",
// "1d2h", a bare number in the parameter's unit) are Station's.
const (
	paramOKSync        = "CUPS_OKSYNC_INTV"      // default 24h, bare number in hours
	paramResync        = "CUPS_RESYNC_INTV"      // default 1m, bare number in minutes
	paramConnTimeout   = "CUPS_CONN_TIMEOUT"     // default 60s, bare number in seconds
	paramUpdateCommand = "update_command"        // absolute path; none refuses updates
	paramUpdateTimeout = "UPDATE_TIMEOUT"        // default 10m, bare number in seconds
	paramHealthTimeout = "UPDATE_HEALTH_TIMEOUT" // default 10m, bare number in seconds
)

// agentCUPS wires the CUPS client into the agent's options when a CUPS URI
// is configured: the client gives the agent its TC credentials (LoadTC) and
// follows its state and rejections. It returns nil in NO-CUPS mode; then
// the agent runs alone. Run the agent with client.Run(ctx, a.Run).
func agentCUPS(cfg *config.Config, db *agentstore.DB, opts *agent.Options, log *slog.Logger) (*cupsclient.Client, error) {
	if cfg.NoCUPS() {
		return nil, nil
	}
	var okSync, resync, connTimeout, updateTimeout, healthTimeout time.Duration
	for _, p := range []struct {
		param string
		unit  time.Duration
		into  *time.Duration
	}{
		{paramOKSync, time.Hour, &okSync},
		{paramResync, time.Minute, &resync},
		{paramConnTimeout, time.Second, &connTimeout},
		{paramUpdateTimeout, time.Second, &updateTimeout},
		{paramHealthTimeout, time.Second, &healthTimeout},
	} {
		s, ok := cfg.Params[p.param]
		if !ok {
			continue
		}
		d, err := parseSpan(s, p.unit)
		if err != nil {
			return nil, fmt.Errorf("params %s: %w", p.param, err)
		}
		*p.into = d
	}
	var keys []cups.PublicKey
	for i, b := range cfg.SigKeys {
		k, err := cups.ParsePublicKey(b)
		if err != nil {
			// A gateway must not lock itself out over one bad file: the key
			// is left out, but updates must then be signed by another.
			log.Error("signature key unreadable; unsigned updates will be refused", "file", fmt.Sprintf("sig-%d.key", i), "error", err)
			continue
		}
		keys = append(keys, k)
	}
	var updater *cupsclient.Updater
	if command := strings.TrimSpace(cfg.Params[paramUpdateCommand]); command != "" {
		var err error
		updater, err = cupsclient.NewUpdater(cupsclient.UpdaterOptions{
			Dir:           cfg.DataDir,
			Command:       command,
			Timeout:       updateTimeout,
			HealthTimeout: healthTimeout,
			Version:       opts.Version.Package,
			Logger:        log,
		})
		if err != nil {
			return nil, err
		}
	} else {
		log.Info("no update_command in the configuration: CUPS updates will be refused")
	}
	client, err := cupsclient.New(cupsclient.Options{
		RouterEUI:      lorawan.EUI64(cfg.RouterEUI),
		Store:          db,
		Station:        opts.Version.Station,
		Model:          opts.Version.Model,
		Package:        opts.Version.Package,
		SigKeys:        keys,
		RequireSigned:  len(cfg.SigKeys) > 0,
		Updater:        updater,
		OKSyncInterval: okSync,
		ResyncInterval: resync,
		ConnTimeout:    connTimeout,
		Logger:         log,
	})
	if err != nil {
		return nil, err
	}
	opts.LoadTC = client.LoadTC
	opts.OnRejected = client.OnRejected
	onState := opts.OnState
	opts.OnState = func(s agent.State) {
		if onState != nil {
			onState(s)
		}
		client.OnState(s)
	}
	if !cfg.HasTC() {
		log.Info("no TC URI configured: asking CUPS for it")
	}
	log.Info("CUPS client on", "sig_keys", len(keys), "updates", updater != nil)
	return client, nil
}

// parseSpan reads a time span as Station's rt_readSpan does: numbers each
// followed by d, h, m, s or ms ("1d2h", "90s", "100ms"), a bare number
// taken in unit.
func parseSpan(s string, unit time.Duration) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, fmt.Errorf("empty time span")
	}
	var total time.Duration
	for rest := s; rest != ""; {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("time span %q: want numbers with d, h, m, s or ms", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("time span %q: %w", s, err)
		}
		rest = rest[i:]
		u := unit
		switch {
		case strings.HasPrefix(rest, "ms"):
			u, rest = time.Millisecond, rest[2:]
		case strings.HasPrefix(rest, "d"):
			u, rest = 24*time.Hour, rest[1:]
		case strings.HasPrefix(rest, "h"):
			u, rest = time.Hour, rest[1:]
		case strings.HasPrefix(rest, "m"):
			u, rest = time.Minute, rest[1:]
		case strings.HasPrefix(rest, "s"):
			u, rest = time.Second, rest[1:]
		case rest != "":
			return 0, fmt.Errorf("time span %q: unknown unit at %q", s, rest)
		}
		if n > int64((1<<63-1)/u) {
			return 0, fmt.Errorf("time span %q: too long", s)
		}
		total += time.Duration(n) * u
	}
	if total <= 0 {
		return 0, fmt.Errorf("time span %q: must be positive", s)
	}
	return total, nil
}
