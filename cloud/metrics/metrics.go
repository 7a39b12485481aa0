// Package metrics serves the cloud's counters to Prometheus (GET /metrics on
// the API listener): the uplink pipeline, deduplication, joins, downlinks,
// destinations and connected gateways, plus the Go runtime and process
// collectors. Every value is read from the parts' own snapshots at scrape
// time, so nothing is counted twice and the hot path pays nothing.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
)

// Sources are the snapshots a scrape reads; a nil source is left out (a
// cloud with its own handler has no pipeline, for instance).
type Sources struct {
	Pipeline  func() uplink.Stats
	Router    func() route.Metrics
	Downlinks func() downlink.Metrics
	// Gateways returns the number of gateways with a configured traffic
	// connection.
	Gateways func() int
}

// Handler returns the /metrics handler over src, in Prometheus's text (or
// negotiated) exposition format.
func Handler(src Sources) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newCollector(src),
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// metric is one family: its description and how a scrape reads it.
type metric struct {
	desc    *prometheus.Desc
	kind    prometheus.ValueType
	collect func(emit func(v float64, labels ...string))
}

// collector reads the sources at each scrape.
type collector struct{ metrics []metric }

func newCollector(src Sources) *collector {
	c := &collector{}
	add := func(name, help string, kind prometheus.ValueType, labels []string, collect func(emit func(float64, ...string))) {
		c.metrics = append(c.metrics, metric{
			desc:    prometheus.NewDesc("loraedge_"+name, help, labels, nil),
			kind:    kind,
			collect: collect,
		})
	}
	counter, gauge := prometheus.CounterValue, prometheus.GaugeValue
	if p := src.Pipeline; p != nil {
		stat := func(f func(uplink.Stats) uint64) func(emit func(float64, ...string)) {
			return func(emit func(float64, ...string)) { emit(float64(f(p()))) }
		}
		add("station_messages_total", "Basics Station messages handed to the pipeline, by msgtype.", counter, []string{"msgtype"},
			func(emit func(float64, ...string)) {
				for t, n := range p().Messages {
					emit(float64(n), t)
				}
			})
		add("uplinks_accepted_total", "Data uplinks accepted: MIC valid, frame counter advanced.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Uplinks }))
		add("uplinks_refused_total", "Uplinks and join requests refused, by reason.", counter, []string{"reason"},
			func(emit func(float64, ...string)) {
				for r, n := range p().Refused {
					emit(float64(n), r)
				}
			})
		add("uplink_retransmissions_total", "Retransmissions of the last confirmed uplink: ACKed again, not routed.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Retransmissions }))
		add("uplinks_routed_total", "Accepted uplinks taken by their destination.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Routed }))
		add("uplinks_route_failed_total", "Accepted uplinks their destination did not take.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.RouteFailed }))
		add("uplinks_unrouted_total", "Accepted uplinks with no destination or no application payload.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Unrouted }))
		add("joins_total", "Join-accepts scheduled, rejoins included.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Joins }))
		add("mac_errors_total", "Uplinks whose MAC commands could not all be read.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.MACErrors }))
		add("classa_answers_failed_total", "Class A answers the downlink scheduler refused.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.DownlinkFailed }))
		add("dedup_frames_total", "Distinct frames delivered by deduplication.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Dedup.Frames }))
		add("dedup_copies_merged_total", "Copies from further gateways merged into a frame.", counter, nil,
			stat(func(s uplink.Stats) uint64 { return s.Dedup.Merged }))
		add("dedup_copies_dropped_total", "Copies dropped: a repeat from the same gateway, or late after delivery.", counter, []string{"reason"},
			func(emit func(float64, ...string)) {
				d := p().Dedup
				emit(float64(d.Repeats), "repeat")
				emit(float64(d.Late), "late")
			})
		add("dedup_pending_frames", "Frames waiting in their deduplication window.", gauge, nil,
			func(emit func(float64, ...string)) { emit(float64(p().Dedup.Pending)) })
	}
	if r := src.Router; r != nil {
		add("destination_messages_total", "Messages per destination and outcome (a webhook message may be queued, retried and then published).",
			counter, []string{"destination", "outcome"},
			func(emit func(float64, ...string)) {
				for name, c := range r().Destinations {
					emit(float64(c.Published), name, "published")
					emit(float64(c.Failed), name, "failed")
					emit(float64(c.Queued), name, "queued")
					emit(float64(c.Dropped), name, "dropped")
					emit(float64(c.Retries), name, "retried")
				}
			})
		add("webhook_queue_length", "Webhook messages waiting in the persistent retry queue.", gauge, nil,
			func(emit func(float64, ...string)) { emit(float64(r().QueueLen)) })
		add("events_total", "Events (joins, downlink outcomes) published or lost.", counter, []string{"outcome"},
			func(emit func(float64, ...string)) {
				m := r()
				emit(float64(m.EventsPublished), "published")
				emit(float64(m.EventsFailed), "failed")
			})
		add("mqtt_downlink_requests_total", "Downlink requests received over MQTT, accepted or refused.", counter, []string{"outcome"},
			func(emit func(float64, ...string)) {
				m := r()
				emit(float64(m.DownlinksAccepted), "accepted")
				emit(float64(m.DownlinksRefused), "refused")
			})
	}
	if d := src.Downlinks; d != nil {
		dl := func(f func(downlink.Metrics) uint64) func(emit func(float64, ...string)) {
			return func(emit func(float64, ...string)) { emit(float64(f(d()))) }
		}
		add("downlinks_scheduled_total", "Downlinks (dnmsg) taken by a gateway's socket.", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.Scheduled }))
		add("downlinks_send_failed_total", "Downlinks no gateway took.", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.SendFailed }))
		add("downlinks_transmitted_total", "Downlinks a gateway reported sent (dntxed).", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.Confirmed }))
		add("downlinks_tx_timeouts_total", "Downlinks with no dntxed in time.", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.TxTimeouts }))
		add("dntxed_unknown_total", "dntxed messages matching no pending downlink.", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.UnknownDntxed }))
		add("downlinks_acked_total", "Confirmed downlinks the device acknowledged.", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.Acked }))
		add("downlinks_dropped_total", "Confirmed downlinks dropped unacknowledged after their last attempt.", counter, nil,
			dl(func(m downlink.Metrics) uint64 { return m.Dropped }))
	}
	if g := src.Gateways; g != nil {
		add("gateways_connected", "Gateways with a configured traffic connection.", gauge, nil,
			func(emit func(float64, ...string)) { emit(float64(g())) })
	}
	return c
}

// Describe sends every family's description.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, m := range c.metrics {
		ch <- m.desc
	}
}

// Collect reads the sources and sends the values.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	for _, m := range c.metrics {
		m.collect(func(v float64, labels ...string) {
			ch <- prometheus.MustNewConstMetric(m.desc, m.kind, v, labels...)
		})
	}
}
