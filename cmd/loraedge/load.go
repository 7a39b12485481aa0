package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/loraedge/loraedge/cloud"
	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/internal/loadgen"
)

const loadUsage = `usage: loraedge load [--config FILE] [--data DIR] [--devices N] [--gateways G]
                    [--rate R] [--duration D] [--confirmed-ratio X] [--keep] [--json]

Measures the running cloud end to end (start it first: loraedge cloud
--data DIR). Through its admin API (DIR/` + admin.EndpointFile + `) it adds G gateways,
with client certificates of the gateway CA in DIR, N ABP devices with random
session keys and an MQTT destination of its own; it connects the gateways
as Basics Station does (mutual TLS), sends R real LoRaWAN uplinks a second
for D, each heard by every gateway, and matches what the destination
publishes back to them. It prints uplinks sent, routed, lost and
duplicated, the throughput, the latency from updf written to MQTT message
received (p50, p90, p99, max), the ACK downlinks of confirmed uplinks, and
the cloud's CPU-seconds per 10,000 uplinks and memory from its /metrics.
At the end it removes what it added, unless --keep. The broker and the
gateway endpoint are those of the cloud's configuration (--config, the
same file the cloud runs with).`

// runLoad implements `loraedge load`.
func runLoad(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), loadUsage)
		fs.PrintDefaults()
	}
	configPath := fs.String("config", "", "the cloud's configuration file (TOML)")
	dataDir := fs.String("data", "", "the cloud's data directory (overrides data_dir; default ./data)")
	devices := fs.Int("devices", loadgen.DefaultDevices, "ABP devices to simulate")
	gateways := fs.Int("gateways", loadgen.DefaultGateways, "gateways to simulate; each hears every uplink")
	rate := fs.Float64("rate", loadgen.DefaultRate, "target uplinks per second")
	duration := fs.Duration("duration", loadgen.DefaultDuration, "how long to send")
	confirmed := fs.Float64("confirmed-ratio", 0, "fraction of uplinks sent confirmed (0–1); their ACKs are counted")
	drain := fs.Duration("drain", loadgen.DefaultDrain, "longest wait for routed messages after the last uplink")
	region := fs.String("region", loadgen.DefaultRegion, "region of the gateways and devices (a dynamic channel plan)")
	keep := fs.Bool("keep", false, "leave the gateways, devices and destination in the cloud")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	verbose := fs.Bool("v", false, "log progress to stderr")
	if code, done := parseFlags(fs, args, stdout, stderr); done {
		return code
	}
	if fs.NArg() > 0 {
		return fail(stderr, "load", usagef("unexpected argument %q", fs.Arg(0)))
	}
	if *duration <= 0 || *drain < 0 {
		return fail(stderr, "load", usagef("--duration must be positive and --drain not negative"))
	}
	cfg, err := loadCloudConfig(*configPath, *dataDir)
	if err != nil {
		return fail(stderr, "load", usageError{err.Error()})
	}
	target, err := loadTarget(cfg)
	if err != nil {
		return fail(stderr, "load", err)
	}
	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelInfo
	}
	r, err := loadgen.Run(ctx, target, loadgen.Options{
		Devices: *devices, Gateways: *gateways, Rate: *rate, Duration: *duration,
		ConfirmedRatio: *confirmed, Drain: *drain, Region: *region, Keep: *keep,
		Logger: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level})),
	})
	if err != nil {
		if errors.Is(err, loadgen.ErrOptions) {
			return fail(stderr, "load", usageError{err.Error()})
		}
		return fail(stderr, "load", err)
	}
	if *asJSON {
		return printJSON(stdout, stderr, "load", r)
	}
	if err := r.WriteSummary(stdout); err != nil {
		return fail(stderr, "load", err)
	}
	return exitOK
}

// loadTarget finds the parts of the running cloud of cfg: its admin API
// (from the endpoint file it wrote), its gateway CA, its gateway endpoint
// and its broker.
func loadTarget(cfg cloud.Config) (loadgen.Target, error) {
	var t loadgen.Target
	ep, err := admin.ReadEndpoint(cfg.DataDir)
	if err != nil {
		return t, fmt.Errorf("%w (is the cloud running with --data %s?)", err, cfg.DataDir)
	}
	if t.Admin, err = admin.NewClient(ep); err != nil {
		return t, err
	}
	t.MetricsURL = ep.URL + "/metrics"
	if ep.CAFile != "" {
		pem, err := os.ReadFile(ep.CAFile)
		if err != nil {
			return t, err
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return t, fmt.Errorf("%s: no certificate", ep.CAFile)
		}
		t.HTTPClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	}
	if t.CA, err = pki.LoadCA(cfg.DataDir); err != nil {
		return t, err
	}
	if t.TCURI, err = cfg.TCURI(); err != nil {
		return t, usageError{err.Error()}
	}
	if t.NetID, err = cfg.NetID(); err != nil {
		return t, usageError{err.Error()}
	}
	switch {
	case cfg.MQTT.Broker != "":
		t.BrokerURL = cfg.MQTT.Broker
		t.BrokerUsername = cfg.MQTT.Username
		if cfg.MQTT.PasswordFile != "" {
			if t.BrokerPassword, err = readSecretFile(cfg.MQTT.PasswordFile); err != nil {
				return t, fmt.Errorf("mqtt.password_file: %w", err)
			}
		}
	case cfg.MQTT.EmbeddedListen != "off":
		host, port, err := net.SplitHostPort(cfg.MQTT.EmbeddedListen)
		if err != nil {
			return t, usageError{err.Error()}
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		t.BrokerURL = "tcp://" + net.JoinHostPort(host, port)
	default:
		return t, usagef("the cloud runs no MQTT broker (mqtt.embedded_listen = \"off\" and no mqtt.broker): MQTT destinations cannot work")
	}
	return t, nil
}
