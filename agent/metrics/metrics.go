// Package metrics serves the agent's counters to Prometheus on a local
// listener (`[metrics] listen` in the agent's configuration): the LNS
// connection state, what the radio heard and sent, and the spool, so that a
// fleet of gateways can be watched the way the cloud is.
package metrics

import (
	"net/http"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/internal/promfunc"
	"github.com/loraedge/loraedge/store/agentstore"
)

// Sources are the snapshots a scrape reads; a nil Spool leaves the spool
// families out.
type Sources struct {
	Agent func() agent.Stats
	Spool func() agentstore.SpoolStats
}

// states are the connection states reported, in order.
var states = [...]agent.State{agent.StateDisconnected, agent.StateDiscovering, agent.StateConnecting, agent.StateConnected}

// Handler returns the /metrics handler over src.
func Handler(src Sources) http.Handler { return promfunc.Handler(collector(src)) }

func collector(src Sources) *promfunc.Collector {
	c := promfunc.New("loraedge_agent_")
	a := src.Agent
	stat := func(f func(agent.Stats) int) func(promfunc.Emit) {
		return func(emit promfunc.Emit) { emit(float64(f(a()))) }
	}
	c.Gauge("lns_state", "The traffic connection's state: 1 for the current one.", []string{"state"},
		func(emit promfunc.Emit) {
			now := a().State
			for _, s := range states {
				v := 0.0
				if s == now {
					v = 1
				}
				emit(v, s.String())
			}
		})
	c.Counter("lns_connections_total", "Traffic connections opened.", nil,
		stat(func(s agent.Stats) int { return s.Connections }))
	c.Counter("radio_starts_total", "Concentrator starts (each draws a new xtime session).", nil,
		stat(func(s agent.Stats) int { return s.RadioStarts }))
	c.Gauge("radio_session", "The xtime session id of the running radio, 0 when it is stopped.", nil,
		stat(func(s agent.Stats) int { return int(s.Session) }))
	c.Counter("frames_received_total", "Frames from the radio with a good CRC.", nil,
		stat(func(s agent.Stats) int { return s.Received }))
	c.Counter("frames_dropped_total", "Frames not forwarded: bad CRC, unknown data rate, malformed, mirror.", nil,
		stat(func(s agent.Stats) int { return s.Dropped }))
	c.Counter("frames_filtered_total", "Frames dropped by router_config's NetID and JoinEui filters.", nil,
		stat(func(s agent.Stats) int { return s.Filtered }))
	c.Counter("uplinks_sent_total", "Uplinks written to the LNS: live as they came, or from the spool after a reconnect.", []string{"path"},
		func(emit promfunc.Emit) {
			s := a()
			emit(float64(s.Sent), "live")
			emit(float64(s.Unspooled), "spool")
		})
	c.Counter("uplinks_spooled_total", "Uplinks put in the spool while the LNS was away.", nil,
		stat(func(s agent.Stats) int { return s.Spooled }))
	c.Counter("uplinks_lost_total", "Uplinks lost because the spool refused them.", nil,
		stat(func(s agent.Stats) int { return s.SpoolErrors }))
	c.Counter("downlinks_total", "Downlink requests: taken by the radio, or refused (late, filtered, wrong session…).", []string{"outcome"},
		func(emit promfunc.Emit) {
			s := a()
			emit(float64(s.Downlinks), "accepted")
			emit(float64(s.Refused), "refused")
		})
	c.Counter("tx_total", "Frames the radio reported sent or not sent.", []string{"outcome"},
		func(emit promfunc.Emit) {
			s := a()
			emit(float64(s.TxDone), "sent")
			emit(float64(s.TxFailed), "failed")
		})
	c.Counter("dntxed_total", "dntxed messages written to the LNS.", nil,
		stat(func(s agent.Stats) int { return s.Dntxed }))
	c.Counter("timesync_requests_total", "timesync requests written to the LNS.", nil,
		stat(func(s agent.Stats) int { return s.TimesyncSent }))
	if sp := src.Spool; sp != nil {
		c.Gauge("spool_length", "Uplinks waiting in the spool.", nil,
			func(emit promfunc.Emit) { emit(float64(sp().Len)) })
		c.Counter("spool_dropped_total", "Spooled uplinks dropped, oldest first: the spool was full, or they were too old (kept over restarts).", []string{"reason"},
			func(emit promfunc.Emit) {
				s := sp()
				emit(float64(s.Dropped), "full")
				emit(float64(s.DroppedByAge), "age")
			})
	}
	return c
}
