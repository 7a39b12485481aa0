package metrics_test

import (
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/metrics"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/internal/promtest"
)

// TestHandler: every source's snapshot comes out as the documented
// families, with the values of the scrape's moment, next to the Go runtime
// and process collectors.
func TestHandler(t *testing.T) {
	var scrapes int
	src := metrics.Sources{
		Pipeline: func() uplink.Stats {
			scrapes++
			return uplink.Stats{
				Messages:        map[string]uint64{"updf": 40, "jreq": 3},
				Dedup:           dedup.Stats{Frames: 41, Merged: 12, Repeats: 2, Late: 1, Pending: 4},
				Uplinks:         35,
				Retransmissions: 1,
				Routed:          30, RouteFailed: 2, Unrouted: 3,
				Joins: 3, MACErrors: 1, DownlinkFailed: 5,
				Refused: map[string]uint64{"wrong_mic": 2, "replay": 1},
			}
		},
		Router: func() route.Metrics {
			return route.Metrics{
				Destinations:      map[string]route.Counters{"hook": {Published: 7, Failed: 1, Queued: 3, Dropped: 1, Retries: 4}},
				QueueLen:          2,
				EventsPublished:   9,
				DownlinksAccepted: 6, DownlinksRefused: 1,
			}
		},
		Downlinks: func() downlink.Metrics {
			return downlink.Metrics{Scheduled: 8, SendFailed: 1, Confirmed: 7, TxTimeouts: 1, Acked: 2, Dropped: 1}
		},
		Gateways: func() int { return 2 },
	}
	body := promtest.Scrape(t, promtest.Serve(t, metrics.Handler(src)))
	for _, want := range []string{
		`loraedge_station_messages_total{msgtype="updf"} 40`,
		`loraedge_station_messages_total{msgtype="jreq"} 3`,
		`loraedge_uplinks_accepted_total 35`,
		`loraedge_uplinks_refused_total{reason="wrong_mic"} 2`,
		`loraedge_uplinks_refused_total{reason="replay"} 1`,
		`loraedge_uplink_retransmissions_total 1`,
		`loraedge_uplinks_routed_total 30`,
		`loraedge_uplinks_route_failed_total 2`,
		`loraedge_uplinks_unrouted_total 3`,
		`loraedge_joins_total 3`,
		`loraedge_mac_errors_total 1`,
		`loraedge_classa_answers_failed_total 5`,
		`loraedge_dedup_frames_total 41`,
		`loraedge_dedup_copies_merged_total 12`,
		`loraedge_dedup_copies_dropped_total{reason="repeat"} 2`,
		`loraedge_dedup_copies_dropped_total{reason="late"} 1`,
		`loraedge_dedup_pending_frames 4`,
		`loraedge_destination_messages_total{destination="hook",outcome="published"} 7`,
		`loraedge_destination_messages_total{destination="hook",outcome="retried"} 4`,
		`loraedge_webhook_queue_length 2`,
		`loraedge_events_total{outcome="published"} 9`,
		`loraedge_mqtt_downlink_requests_total{outcome="refused"} 1`,
		`loraedge_downlinks_scheduled_total 8`,
		`loraedge_downlinks_transmitted_total 7`,
		`loraedge_downlinks_tx_timeouts_total 1`,
		`loraedge_downlinks_acked_total 2`,
		`loraedge_downlinks_dropped_total 1`,
		`loraedge_gateways_connected 2`,
		`# TYPE loraedge_uplinks_accepted_total counter`,
		`# TYPE loraedge_gateways_connected gauge`,
		`# HELP loraedge_uplinks_refused_total Uplinks and join requests refused, by reason.`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, "\n"+want) {
			t.Errorf("no line %q in\n%s", want, body)
		}
	}
	if scrapes == 0 {
		t.Error("the pipeline snapshot was never read")
	}
}

// TestHandlerPartialSources: absent sources leave their families out
// instead of reporting zeros that would look like a quiet network.
func TestHandlerPartialSources(t *testing.T) {
	body := promtest.Scrape(t, promtest.Serve(t, metrics.Handler(metrics.Sources{Gateways: func() int { return 0 }})))
	if !strings.Contains(body, "\nloraedge_gateways_connected 0\n") {
		t.Errorf("no gateways_connected 0 in\n%s", body)
	}
	for _, absent := range []string{"loraedge_uplinks_accepted_total", "loraedge_destination_messages_total", "loraedge_downlinks_scheduled_total"} {
		if strings.Contains(body, absent) {
			t.Errorf("%s reported without its source:\n%s", absent, body)
		}
	}
}
