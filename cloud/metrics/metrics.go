// Package metrics serves the cloud's counters to Prometheus (GET /metrics on
// the API listener): the uplink pipeline, deduplication, joins, downlinks,
// destinations and connected gateways, plus the Go runtime and process
// collectors. Every value is read from the parts' own snapshots at scrape
// time, so nothing is counted twice and the hot path pays nothing.
package metrics

import (
	"net/http"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/internal/promfunc"
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
func Handler(src Sources) http.Handler { return promfunc.Handler(collector(src)) }

// collector declares the families of the sources present.
func collector(src Sources) *promfunc.Collector {
	c := promfunc.New("loraedge_")
	if p := src.Pipeline; p != nil {
		stat := func(f func(uplink.Stats) uint64) func(promfunc.Emit) {
			return func(emit promfunc.Emit) { emit(float64(f(p()))) }
		}
		c.Counter("station_messages_total", "Basics Station messages handed to the pipeline, by msgtype.", []string{"msgtype"},
			func(emit promfunc.Emit) {
				for t, n := range p().Messages {
					emit(float64(n), t)
				}
			})
		c.Counter("uplinks_accepted_total", "Data uplinks accepted: MIC valid, frame counter advanced.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Uplinks }))
		c.Counter("uplinks_refused_total", "Uplinks and join requests refused, by reason.", []string{"reason"},
			func(emit promfunc.Emit) {
				for r, n := range p().Refused {
					emit(float64(n), r)
				}
			})
		c.Counter("uplink_retransmissions_total", "Retransmissions of the last confirmed uplink: ACKed again, not routed.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Retransmissions }))
		c.Counter("uplinks_routed_total", "Accepted uplinks taken by their destination.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Routed }))
		c.Counter("uplinks_route_failed_total", "Accepted uplinks their destination did not take.", nil,
			stat(func(s uplink.Stats) uint64 { return s.RouteFailed }))
		c.Counter("uplinks_unrouted_total", "Accepted uplinks with no destination or no application payload.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Unrouted }))
		c.Counter("joins_total", "Join-accepts scheduled, rejoins included.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Joins }))
		c.Counter("mac_errors_total", "Uplinks whose MAC commands could not all be read.", nil,
			stat(func(s uplink.Stats) uint64 { return s.MACErrors }))
		c.Counter("classa_answers_failed_total", "Class A answers the downlink scheduler refused.", nil,
			stat(func(s uplink.Stats) uint64 { return s.DownlinkFailed }))
		c.Counter("dedup_frames_total", "Distinct frames delivered by deduplication.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Dedup.Frames }))
		c.Counter("dedup_copies_merged_total", "Copies from further gateways merged into a frame.", nil,
			stat(func(s uplink.Stats) uint64 { return s.Dedup.Merged }))
		c.Counter("dedup_copies_dropped_total", "Copies dropped: a repeat from the same gateway, or late after delivery.", []string{"reason"},
			func(emit promfunc.Emit) {
				d := p().Dedup
				emit(float64(d.Repeats), "repeat")
				emit(float64(d.Late), "late")
			})
		c.Gauge("dedup_pending_frames", "Frames waiting in their deduplication window.", nil,
			func(emit promfunc.Emit) { emit(float64(p().Dedup.Pending)) })
	}
	if r := src.Router; r != nil {
		c.Counter("destination_messages_total", "Messages per destination and outcome (a webhook message may be queued, retried and then published).",
			[]string{"destination", "outcome"},
			func(emit promfunc.Emit) {
				for name, n := range r().Destinations {
					emit(float64(n.Published), name, "published")
					emit(float64(n.Failed), name, "failed")
					emit(float64(n.Queued), name, "queued")
					emit(float64(n.Dropped), name, "dropped")
					emit(float64(n.Retries), name, "retried")
				}
			})
		c.Gauge("webhook_queue_length", "Webhook messages waiting in the persistent retry queue.", nil,
			func(emit promfunc.Emit) { emit(float64(r().QueueLen)) })
		c.Counter("events_total", "Events (joins, downlink outcomes) published or lost.", []string{"outcome"},
			func(emit promfunc.Emit) {
				m := r()
				emit(float64(m.EventsPublished), "published")
				emit(float64(m.EventsFailed), "failed")
			})
		c.Counter("mqtt_downlink_requests_total", "Downlink requests received over MQTT, accepted or refused.", []string{"outcome"},
			func(emit promfunc.Emit) {
				m := r()
				emit(float64(m.DownlinksAccepted), "accepted")
				emit(float64(m.DownlinksRefused), "refused")
			})
	}
	if d := src.Downlinks; d != nil {
		dl := func(f func(downlink.Metrics) uint64) func(promfunc.Emit) {
			return func(emit promfunc.Emit) { emit(float64(f(d()))) }
		}
		c.Counter("downlinks_scheduled_total", "Downlinks (dnmsg) taken by a gateway's socket.", nil,
			dl(func(m downlink.Metrics) uint64 { return m.Scheduled }))
		c.Counter("downlinks_send_failed_total", "Downlinks no gateway took.", nil,
			dl(func(m downlink.Metrics) uint64 { return m.SendFailed }))
		c.Counter("downlinks_transmitted_total", "Downlinks a gateway reported sent (dntxed).", nil,
			dl(func(m downlink.Metrics) uint64 { return m.Confirmed }))
		c.Counter("downlinks_tx_timeouts_total", "Downlinks with no dntxed in time.", nil,
			dl(func(m downlink.Metrics) uint64 { return m.TxTimeouts }))
		c.Counter("dntxed_unknown_total", "dntxed messages matching no pending downlink.", nil,
			dl(func(m downlink.Metrics) uint64 { return m.UnknownDntxed }))
		c.Counter("downlinks_acked_total", "Confirmed downlinks the device acknowledged.", nil,
			dl(func(m downlink.Metrics) uint64 { return m.Acked }))
		c.Counter("downlinks_dropped_total", "Confirmed downlinks dropped unacknowledged after their last attempt.", nil,
			dl(func(m downlink.Metrics) uint64 { return m.Dropped }))
	}
	if g := src.Gateways; g != nil {
		c.Gauge("gateways_connected", "Gateways with a configured traffic connection.", nil,
			func(emit promfunc.Emit) { emit(float64(g())) })
	}
	return c
}
