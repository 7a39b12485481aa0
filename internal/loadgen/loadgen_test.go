package loadgen

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud"
	"github.com/loraedge/loraedge/cloud/admin"
)

// startCloud runs a cloud on 127.0.0.1 with a fresh data directory until
// the test ends, and returns the Target that reaches it.
func startCloud(t *testing.T) Target {
	t.Helper()
	t.Setenv("LORAEDGE_KEK", "")
	cfg := cloud.DefaultConfig()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Gateways.Listen = "127.0.0.1:0"
	cfg.MQTT.EmbeddedListen = "127.0.0.1:0"
	cfg.API.Listen = "127.0.0.1:0"
	cfg.Pipeline.DedupWindow = cloud.Duration(50 * time.Millisecond)
	c, err := cloud.New(cfg, cloud.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("cloud: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("the cloud did not stop")
		}
	})
	ep, err := admin.ReadEndpoint(cfg.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	api, err := admin.NewClient(ep)
	if err != nil {
		t.Fatal(err)
	}
	netID, err := cfg.NetID()
	if err != nil {
		t.Fatal(err)
	}
	return Target{
		Admin:      api,
		MetricsURL: ep.URL + "/metrics",
		TCURI:      c.TCURI(),
		CA:         c.CA(),
		BrokerURL:  c.BrokerURL(),
		NetID:      netID,
	}
}

// TestLoadRun runs a short load against an in-process cloud: every uplink
// must come back exactly once, the confirmed ones acknowledged, and the
// fixture must be gone afterwards.
func TestLoadRun(t *testing.T) {
	tg := startCloud(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	opts := Options{Devices: 20, Gateways: 2, Rate: 40, Duration: 2 * time.Second, ConfirmedRatio: 0.25, Drain: 5 * time.Second}
	r, err := Run(ctx, tg, opts)
	if err != nil {
		t.Fatal(err)
	}
	var sum bytes.Buffer
	if err := r.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", sum.String())

	const wantSent = 80 // 40/s for 2 s
	checks := []struct {
		name      string
		got, want uint64
	}{
		{"sent", r.Sent, wantSent},
		{"routed", r.Routed, wantSent},
		{"lost", r.Lost, 0},
		{"duplicates", r.Duplicates, 0},
		{"unexpected", r.Unexpected, 0},
		{"acks", r.Acks, r.Confirmed},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	if r.Confirmed == 0 || r.Confirmed == r.Sent {
		t.Errorf("confirmed: got %d of %d, want some but not all at ratio 0.25", r.Confirmed, r.Sent)
	}
	if r.Downlinks < r.Acks {
		t.Errorf("downlinks %d < acks %d", r.Downlinks, r.Acks)
	}
	l := r.Latency
	if !(l.P50 > 0 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max && l.Max < 10*time.Second) {
		t.Errorf("latency: got %+v, want 0 < p50 ≤ p90 ≤ p99 ≤ max < 10s", l)
	}
	if r.SendRate < 20 || r.SendRate > 80 {
		t.Errorf("send rate: got %.1f/s, want about 40", r.SendRate)
	}
	if r.Throughput <= 0 || r.Throughput > r.SendRate*2 {
		t.Errorf("throughput: got %.1f/s with send rate %.1f/s", r.Throughput, r.SendRate)
	}
	if c := r.Cloud; c == nil {
		t.Error("no cloud usage: /metrics not scraped")
	} else {
		if c.CPUSeconds <= 0 || c.RSSAfter <= 0 {
			t.Errorf("cloud usage: got %+v, want cpu and rss above 0", *c)
		}
		if c.Accepted != float64(r.Sent) {
			t.Errorf("cloud accepted: got %v, want %d", c.Accepted, r.Sent)
		}
	}
	// Every dnmsg was confirmed by a dntxed the cloud matched; the cloud
	// handles the last ones asynchronously, so read its counter until it
	// gets there (a fresh cloud: its total is this run's).
	deadline := time.Now().Add(5 * time.Second)
	for {
		m, err := scrape(ctx, tg)
		if err != nil {
			t.Fatal(err)
		}
		got := m[metricTxed]
		if got == float64(r.Downlinks) {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("%s: got %v, want %d (one per dnmsg)", metricTxed, got, r.Downlinks)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	// The fixture is gone.
	gws, err := tg.Admin.ListGateways(ctx)
	if err != nil {
		t.Fatal(err)
	}
	devs, err := tg.Admin.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dests, err := tg.Admin.ListDestinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(gws)+len(devs)+len(dests) != 0 {
		t.Errorf("after the run: %d gateways, %d devices, %d destinations left, want none", len(gws), len(devs), len(dests))
	}
}

// TestLoadRunKeep leaves the fixture in place with Keep.
func TestLoadRunKeep(t *testing.T) {
	tg := startCloud(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := Run(ctx, tg, Options{Devices: 3, Gateways: 1, Rate: 10, Duration: 300 * time.Millisecond, Keep: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.Routed != r.Sent || r.Sent != 3 {
		t.Errorf("got sent %d routed %d, want 3 and 3", r.Sent, r.Routed)
	}
	devs, err := tg.Admin.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gws, err := tg.Admin.ListGateways(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(devs) != 3 || len(gws) != 1 {
		t.Errorf("with Keep: got %d devices and %d gateways, want 3 and 1", len(devs), len(gws))
	}
}

func TestLoadOptionsRefused(t *testing.T) {
	tg := Target{} // never reached: the options are checked first
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"negative devices", Options{Devices: -1}, "devices"},
		{"too many gateways", Options{Gateways: MaxGateways + 1}, "gateways"},
		{"negative rate", Options{Rate: -5}, "rate"},
		{"ratio above 1", Options{ConfirmedRatio: 1.5}, "confirmed ratio"},
		{"fixed plan", Options{Region: "US915"}, "fixed channel plan"},
		{"no target", Options{}, "target needs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tg, tt.opts)
			if !errors.Is(err, ErrOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want ErrOptions mentioning %q", err, tt.want)
			}
		})
	}
}

func TestLoadParseMetrics(t *testing.T) {
	in := "# HELP x y\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1.5\n" +
		"loraedge_uplinks_refused_total{reason=\"mic\"} 2\nloraedge_uplinks_refused_total{reason=\"a b}\"} 3\n" +
		"process_resident_memory_bytes 1.2e+07\n"
	got, err := parseMetrics(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{"process_cpu_seconds_total": 1.5, "loraedge_uplinks_refused_total": 5, "process_resident_memory_bytes": 1.2e7}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: got %v, want %v", k, got[k], v)
		}
	}
	if _, err := parseMetrics(strings.NewReader("broken_metric{a=\"b\"\n")); err == nil {
		t.Error("malformed line: got no error")
	}
}

func TestLoadSummarise(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := summarise(ds)
	want := Latency{P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := summarise(nil); got != (Latency{}) {
		t.Errorf("empty: got %+v, want zero", got)
	}
}
