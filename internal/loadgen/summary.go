package loadgen

import (
	"fmt"
	"io"
	"time"
)

// WriteSummary writes the report for a person: one figure a line.
func (r *Report) WriteSummary(w io.Writer) error {
	pct := func(n uint64) float64 {
		if r.Sent == 0 {
			return 0
		}
		return 100 * float64(n) / float64(r.Sent)
	}
	ms := func(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
	var err error
	p := func(format string, a ...any) {
		if err == nil {
			_, err = fmt.Fprintf(w, format+"\n", a...)
		}
	}
	p("devices %d, gateways %d, target %.0f uplinks/s for %s", r.Devices, r.Gateways, r.Rate, r.Duration.Round(time.Millisecond))
	p("sent        %d (%.1f/s achieved; %d confirmed)", r.Sent, r.SendRate, r.Confirmed)
	p("routed      %d (%.2f%%), %.1f/s", r.Routed, pct(r.Routed), r.Throughput)
	p("lost        %d (%.2f%%)", r.Lost, pct(r.Lost))
	p("duplicates  %d", r.Duplicates)
	if r.Unexpected > 0 {
		p("unexpected  %d messages matching no uplink sent", r.Unexpected)
	}
	p("latency     p50 %s, p90 %s, p99 %s, max %s (updf written → MQTT received)",
		ms(r.Latency.P50), ms(r.Latency.P90), ms(r.Latency.P99), ms(r.Latency.Max))
	if r.Confirmed > 0 || r.Downlinks > 0 {
		p("downlinks   %d dnmsg, %d ACKs for %d confirmed uplinks", r.Downlinks, r.Acks, r.Confirmed)
	}
	if c := r.Cloud; c != nil {
		p("cloud cpu   %.2f s (%.2f s per 10,000 uplinks); %.0f uplinks accepted, %.0f downlinks confirmed by dntxed", c.CPUSeconds, c.CPUPer10k, c.Accepted, c.Txed)
		p("cloud rss   %.1f MiB before, %.1f MiB after", c.RSSBefore/(1<<20), c.RSSAfter/(1<<20))
	}
	return err
}
