package metrics_test

import (
	"strings"
	"testing"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/metrics"
	"github.com/loraedge/loraedge/internal/promtest"
	"github.com/loraedge/loraedge/store/agentstore"
)

// TestHandler: the agent's and the spool's snapshots come out as the
// documented families, the connection state as one 1 among 0s.
func TestHandler(t *testing.T) {
	st := agent.Stats{
		State: agent.StateConnecting, Session: 17, RadioStarts: 2, Connections: 3,
		Received: 50, Dropped: 4, Filtered: 2, Sent: 30, Spooled: 14, Unspooled: 12, SpoolErrors: 1,
		Downlinks: 9, Refused: 2, TxDone: 8, TxFailed: 1, Dntxed: 8, TimesyncSent: 20,
	}
	body := promtest.Scrape(t, promtest.Serve(t, metrics.Handler(metrics.Sources{
		Agent: func() agent.Stats { return st },
		Spool: func() agentstore.SpoolStats { return agentstore.SpoolStats{Len: 2, Dropped: 5, DroppedByAge: 1} },
	})))
	for _, want := range []string{
		`loraedge_agent_lns_state{state="disconnected"} 0`,
		`loraedge_agent_lns_state{state="discovering"} 0`,
		`loraedge_agent_lns_state{state="connecting"} 1`,
		`loraedge_agent_lns_state{state="connected"} 0`,
		`loraedge_agent_lns_connections_total 3`,
		`loraedge_agent_radio_starts_total 2`,
		`loraedge_agent_radio_session 17`,
		`loraedge_agent_frames_received_total 50`,
		`loraedge_agent_frames_dropped_total 4`,
		`loraedge_agent_frames_filtered_total 2`,
		`loraedge_agent_uplinks_sent_total{path="live"} 30`,
		`loraedge_agent_uplinks_sent_total{path="spool"} 12`,
		`loraedge_agent_uplinks_spooled_total 14`,
		`loraedge_agent_uplinks_lost_total 1`,
		`loraedge_agent_downlinks_total{outcome="accepted"} 9`,
		`loraedge_agent_downlinks_total{outcome="refused"} 2`,
		`loraedge_agent_tx_total{outcome="sent"} 8`,
		`loraedge_agent_tx_total{outcome="failed"} 1`,
		`loraedge_agent_dntxed_total 8`,
		`loraedge_agent_timesync_requests_total 20`,
		`loraedge_agent_spool_length 2`,
		`loraedge_agent_spool_dropped_total{reason="full"} 5`,
		`loraedge_agent_spool_dropped_total{reason="age"} 1`,
		`# TYPE loraedge_agent_lns_state gauge`,
		`# TYPE loraedge_agent_frames_received_total counter`,
		`process_resident_memory_bytes `,
	} {
		if !strings.Contains(body, "\n"+want) {
			t.Errorf("no line %q in\n%s", want, body)
		}
	}
	// Without a spool source its families are left out.
	body = promtest.Scrape(t, promtest.Serve(t, metrics.Handler(metrics.Sources{Agent: func() agent.Stats { return st }})))
	if strings.Contains(body, "loraedge_agent_spool_length") {
		t.Errorf("spool families without a spool source:\n%s", body)
	}
}
