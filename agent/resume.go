package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/station"
)

// ConfigMemory keeps the last router_config the LNS sent, so that an agent
// that restarts while the LNS is unreachable (a reboot during a backhaul
// outage) can start its radio at once and spool what it hears, instead of
// staying deaf until the LNS answers. *agentstore.DB implements it.
type ConfigMemory interface {
	// LastRouterConfig returns the router_config message last saved, or
	// nil and no error when there is none.
	LastRouterConfig(ctx context.Context) ([]byte, error)
	// SaveRouterConfig replaces the saved router_config message.
	SaveRouterConfig(ctx context.Context, msg []byte) error
}

// resumeRadio starts the radio from the remembered router_config, if any,
// before the first connection. Uplinks it hears are spooled until an LNS
// connection is configured; the LNS's router_config then replaces the plan
// (and restarts the radio only if the radio configuration differs). A
// remembered message that no longer applies is logged and ignored: the
// agent then waits for the LNS as Station does.
func (a *Agent) resumeRadio(ctx context.Context) {
	mem := a.opts.ConfigMemory
	if mem == nil {
		return
	}
	b, err := mem.LastRouterConfig(ctx)
	if err != nil {
		a.log.Warn("remembered router_config unreadable; the radio waits for the LNS", "error", err)
		return
	}
	if b == nil {
		return
	}
	rc, err := decodeRouterConfig(b)
	if err == nil {
		err = a.startFromRouterConfig(ctx, rc)
	}
	if err != nil {
		a.log.Warn("remembered router_config not usable; the radio waits for the LNS", "error", err)
		return
	}
	a.mu.Lock()
	a.savedConfig = b
	a.mu.Unlock()
	a.log.Info("radio started from the remembered router_config; uplinks are spooled until the LNS answers",
		"region", rc.Region)
}

// startFromRouterConfig sets the plan and starts the radio from rc, without
// the MuxTime references of a live message.
func (a *Agent) startFromRouterConfig(ctx context.Context, rc *station.RouterConfig) error {
	p := a.nextPlan(rc)
	cfg, err := radioConfig(rc, a.opts.Board, p)
	if err != nil {
		return err
	}
	a.mu.Lock()
	a.plan = p
	a.mu.Unlock()
	if _, err := a.startRadio(ctx, cfg); err != nil {
		a.mu.Lock()
		a.plan = nil
		a.mu.Unlock()
		return err
	}
	return nil
}

// rememberRouterConfig saves rc (without its MuxTime, which is only
// meaningful when received) when it differs from the saved one. A failure
// is logged: it costs only the head start after the next restart.
func (a *Agent) rememberRouterConfig(ctx context.Context, rc *station.RouterConfig) {
	mem := a.opts.ConfigMemory
	if mem == nil {
		return
	}
	c := *rc
	c.MuxTime = 0
	b, err := station.Encode(&c)
	if err != nil {
		a.log.Warn("router_config not remembered", "error", err)
		return
	}
	a.mu.Lock()
	same := bytes.Equal(a.savedConfig, b)
	a.mu.Unlock()
	if same {
		return
	}
	if err := mem.SaveRouterConfig(context.WithoutCancel(ctx), b); err != nil {
		a.log.Warn("router_config not remembered", "error", err)
		return
	}
	a.mu.Lock()
	a.savedConfig = b
	a.mu.Unlock()
}

// decodeRouterConfig decodes a remembered router_config message.
func decodeRouterConfig(b []byte) (*station.RouterConfig, error) {
	m, err := station.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("agent: remembered router_config: %w", err)
	}
	rc, ok := m.(*station.RouterConfig)
	if !ok {
		return nil, errors.New("agent: remembered router_config: another message type")
	}
	return rc, nil
}
