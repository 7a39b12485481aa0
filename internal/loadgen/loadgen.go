// Package loadgen is the project's load generator: it measures a running
// cloud end to end the way an operator sizes one. It provisions its own
// gateways, ABP devices and MQTT destination through the admin API,
// connects simulated Basics Station gateways over mutual TLS, sends real
// LoRaWAN uplinks at a target rate (each heard by every gateway), matches
// the messages the destination publishes back to their uplinks, and
// reports throughput, loss, duplicates, end-to-end latency, ACK downlinks
// and the cloud's CPU and memory from its /metrics.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
)

// Target is the running cloud the generator measures and how to reach each
// of its parts.
type Target struct {
	// Admin is the cloud's admin API, through which the fixture is
	// provisioned and removed.
	Admin *admin.Client
	// MetricsURL is the cloud's GET /metrics URL (on the API listener);
	// empty skips the CPU and memory figures.
	MetricsURL string
	// HTTPClient fetches MetricsURL; nil means http.DefaultClient.
	HTTPClient *http.Client
	// TCURI is the gateway endpoint, wss://host:port, as in tc.uri.
	TCURI string
	// CA is the cloud's gateway CA: it issues the simulated gateways'
	// client certificates and is the trust for the server certificate.
	CA *pki.CA
	// BrokerURL is the MQTT broker the cloud's destinations publish to
	// (tcp://host:port or ssl://host:port).
	BrokerURL string
	// BrokerUsername and BrokerPassword authenticate to BrokerURL when set.
	BrokerUsername, BrokerPassword string
	// NetID is the cloud's NetID; device addresses are drawn in its block.
	NetID lorawan.NetID
}

// Options are the load's shape. Zero values take the defaults documented
// on each field.
type Options struct {
	// Devices is the number of ABP devices provisioned (default 100).
	Devices int
	// Gateways is the number of simulated gateways; every uplink is heard
	// by each of them (default 1).
	Gateways int
	// Rate is the target number of uplinks per second (default 10).
	Rate float64
	// Duration is how long uplinks are sent (default 10 s).
	Duration time.Duration
	// ConfirmedRatio is the fraction of uplinks sent as confirmed data
	// (0–1); the cloud answers those with an ACK downlink.
	ConfirmedRatio float64
	// Drain bounds the wait, after the last uplink, for outstanding routed
	// messages (default 5 s; the wait ends early once all arrived).
	Drain time.Duration
	// Region is the gateways' and devices' region (default EU868); fixed
	// channel plans (US915, AU915) are not supported.
	Region string
	// Keep leaves the fixture in the cloud instead of removing it.
	Keep bool
	// Logger receives progress; nil discards it.
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultDevices  = 100
	DefaultGateways = 1
	DefaultRate     = 10
	DefaultDuration = 10 * time.Second
	DefaultDrain    = 5 * time.Second
	DefaultRegion   = "EU868"
)

// Limits on Options, so a typo does not provision a million devices.
const (
	MaxDevices  = 100000
	MaxGateways = 100
	MaxRate     = 100000
)

// Report is what one run measured.
type Report struct {
	Devices  int           `json:"devices"`
	Gateways int           `json:"gateways"`
	Rate     float64       `json:"targetRate"` // uplinks/s asked for
	Duration time.Duration `json:"durationNs"` // time spent sending

	Sent      uint64 `json:"sent"`      // uplinks sent (each to every gateway)
	Confirmed uint64 `json:"confirmed"` // of which confirmed data up
	// Routed counts distinct uplinks the destination published.
	Routed uint64 `json:"routed"`
	// Lost is Sent - Routed: uplinks never published within the drain.
	Lost uint64 `json:"lost"`
	// Duplicates counts further publications of an uplink already routed.
	Duplicates uint64 `json:"duplicates"`
	// Unexpected counts messages on the topic that match no uplink sent.
	Unexpected uint64 `json:"unexpected"`
	// SendRate is Sent per second of sending: the rate achieved.
	SendRate float64 `json:"sendRate"`
	// Throughput is Routed per second, from the first uplink sent to the
	// last message received.
	Throughput float64 `json:"throughput"`
	// Latency is updf written → MQTT message received, of routed uplinks.
	Latency Latency `json:"latency"`
	// Downlinks counts dnmsg received on the gateway sockets; Acks those
	// acknowledging a confirmed uplink (FCtrl.ACK set).
	Downlinks uint64 `json:"downlinks"`
	Acks      uint64 `json:"acks"`
	// Cloud holds the figures scraped from the cloud's /metrics; nil when
	// no MetricsURL was given or a scrape failed.
	Cloud *CloudUsage `json:"cloud,omitempty"`
}

// Latency summarises end-to-end latencies.
type Latency struct {
	P50 time.Duration `json:"p50Ns"`
	P90 time.Duration `json:"p90Ns"`
	P99 time.Duration `json:"p99Ns"`
	Max time.Duration `json:"maxNs"`
}

// CloudUsage is the cloud's process usage over the run, from
// process_cpu_seconds_total and process_resident_memory_bytes.
type CloudUsage struct {
	CPUSeconds float64 `json:"cpuSeconds"` // CPU time the cloud spent during the run
	// CPUPer10k is CPUSeconds per 10,000 routed uplinks.
	CPUPer10k float64 `json:"cpuSecondsPer10kUplinks"`
	// RSSBefore and RSSAfter are the resident set sizes in bytes.
	RSSBefore float64 `json:"rssBeforeBytes"`
	RSSAfter  float64 `json:"rssAfterBytes"`
	// Accepted is the rise of loraedge_uplinks_accepted_total.
	Accepted float64 `json:"uplinksAccepted"`
	// Txed is the rise of loraedge_downlinks_transmitted_total: the
	// generator's dntxed the cloud matched to a downlink it sent.
	Txed float64 `json:"downlinksTransmitted"`
}

// ErrOptions is wrapped by Run's error for options out of range.
var ErrOptions = errors.New("loadgen: invalid options")

// withDefaults fills zero fields and checks the ranges.
func (o Options) withDefaults() (Options, error) {
	if o.Devices == 0 {
		o.Devices = DefaultDevices
	}
	if o.Gateways == 0 {
		o.Gateways = DefaultGateways
	}
	if o.Rate == 0 {
		o.Rate = DefaultRate
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Drain == 0 {
		o.Drain = DefaultDrain
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	switch {
	case o.Devices < 1 || o.Devices > MaxDevices:
		return o, fmt.Errorf("%w: devices %d: want 1..%d", ErrOptions, o.Devices, MaxDevices)
	case o.Gateways < 1 || o.Gateways > MaxGateways:
		return o, fmt.Errorf("%w: gateways %d: want 1..%d", ErrOptions, o.Gateways, MaxGateways)
	case !(o.Rate > 0 && o.Rate <= MaxRate):
		return o, fmt.Errorf("%w: rate %v: want above 0, at most %d", ErrOptions, o.Rate, MaxRate)
	case o.Duration < 0 || o.Drain < 0:
		return o, fmt.Errorf("%w: duration and drain must be positive", ErrOptions)
	case !(o.ConfirmedRatio >= 0 && o.ConfirmedRatio <= 1):
		return o, fmt.Errorf("%w: confirmed ratio %v: want 0..1", ErrOptions, o.ConfirmedRatio)
	}
	return o, nil
}

// Run provisions the fixture, sends the load, waits for the routed
// messages and returns what it measured. Unless opts.Keep, the fixture is
// removed before Run returns, even when ctx ends early.
func Run(ctx context.Context, t Target, opts Options) (*Report, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	region, err := lorawan.RegionByName(opts.Region)
	if err != nil {
		return nil, fmt.Errorf("%w: region: %w", ErrOptions, err)
	}
	if region.FixedChannelPlan() {
		return nil, fmt.Errorf("%w: region %s has a fixed channel plan; use a dynamic one such as EU868", ErrOptions, region.Name())
	}
	radio, err := newRadioPlan(region)
	if err != nil {
		return nil, err
	}
	if t.Admin == nil || t.CA == nil || t.TCURI == "" || t.BrokerURL == "" {
		return nil, fmt.Errorf("%w: target needs the admin API, the gateway CA, the tc uri and the broker url", ErrOptions)
	}
	log := opts.Logger

	fx, err := newFixture(t.NetID, opts.Devices, opts.Gateways)
	if err != nil {
		return nil, err
	}
	log.Info("provisioning", "devices", opts.Devices, "gateways", opts.Gateways, "destination", fx.destination)
	err = fx.provision(ctx, t.Admin, region.Name())
	if !opts.Keep {
		defer func() {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
			defer cancel()
			if cerr := fx.remove(cctx, t.Admin); cerr != nil {
				log.Warn("removing the fixture", "err", cerr)
			} else {
				log.Info("fixture removed")
			}
		}()
	}
	if err != nil {
		return nil, err
	}

	rec := newRecorder()
	sub, err := subscribe(ctx, t, fx.topicFilter(), "loraedge-load-"+fx.runID, rec)
	if err != nil {
		return nil, err
	}
	defer sub.close()

	gws := make([]*simGateway, len(fx.gateways))
	defer func() {
		for _, g := range gws {
			if g != nil {
				g.close()
			}
		}
	}()
	var wg sync.WaitGroup
	errs := make([]error, len(gws))
	for i := range fx.gateways {
		wg.Add(1)
		go func() {
			defer wg.Done()
			gws[i], errs[i] = connectGateway(ctx, t, fx.gateways[i], rec, log)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	log.Info("gateways connected", "n", len(gws))

	before, berr := scrape(ctx, t)
	if berr != nil {
		log.Warn("scraping /metrics before the run", "err", berr)
	}
	start := time.Now()
	sent, confirmed, err := send(ctx, opts, radio, fx.devices, gws, rec)
	sendTime := time.Since(start)
	if err != nil {
		return nil, err
	}
	log.Info("sent", "uplinks", sent, "in", sendTime.Round(time.Millisecond))
	rec.wait(ctx, sent, confirmed, opts.Drain)
	after, aerr := scrape(ctx, t)
	if aerr != nil {
		log.Warn("scraping /metrics after the run", "err", aerr)
	}

	r := rec.report(start)
	r.Devices, r.Gateways, r.Rate, r.Duration = opts.Devices, opts.Gateways, opts.Rate, sendTime
	r.Sent, r.Confirmed = sent, confirmed
	if r.Routed <= r.Sent {
		r.Lost = r.Sent - r.Routed
	}
	if sendTime > 0 {
		r.SendRate = float64(sent) / sendTime.Seconds()
	}
	if berr == nil && aerr == nil && before != nil && after != nil {
		r.Cloud = usage(before, after, r.Routed)
	}
	return r, nil
}

// send writes uplinks at opts.Rate for opts.Duration, round robin over the
// devices, each to every gateway. It returns how many it sent and how many
// of them were confirmed.
func send(ctx context.Context, opts Options, radio *radioPlan, devs []*device, gws []*simGateway, rec *recorder) (sent, confirmed uint64, err error) {
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	total := uint64(opts.Rate * opts.Duration.Seconds())
	interval := time.Duration(float64(time.Second) / opts.Rate)
	tick := max(interval, time.Millisecond)
	ticker := time.NewTicker(tick)
	defer ticker.Stop()
	start := time.Now()
	next := 0
	for sent < total {
		// How many uplinks are due by now; catch up after a slow tick.
		due := min(uint64(time.Since(start).Seconds()*opts.Rate)+1, total)
		for ; sent < due; sent++ {
			d := devs[next]
			next = (next + 1) % len(devs)
			conf := opts.ConfirmedRatio > 0 && rng.Float64() < opts.ConfirmedRatio
			ch := radio.pick(rng)
			phy, fcnt, err := d.uplink(conf)
			if err != nil {
				return sent, confirmed, err
			}
			if conf {
				confirmed++
			}
			at := time.Now()
			rec.sent(d.devEUI, fcnt, at)
			for _, g := range gws {
				if err := g.sendUplink(phy, ch, at, rng); err != nil {
					return sent, confirmed, err
				}
			}
		}
		if sent >= total {
			break
		}
		select {
		case <-ctx.Done():
			return sent, confirmed, ctx.Err()
		case <-ticker.C:
		}
	}
	return sent, confirmed, nil
}
