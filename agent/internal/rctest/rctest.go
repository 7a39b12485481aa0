// Package rctest holds the router_config fixtures that the tests of
// package agent and agent/radioconf share, so that both read Station's
// messages the same way.
package rctest

import (
	"testing"

	"github.com/loraedge/loraedge/station"
)

// EU868DRs are router_config's DRs for EU868, as a JSON array.
const EU868DRs = `[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]]`

// RouterConfig decodes js, which must be a router_config, failing the
// test otherwise.
func RouterConfig(t testing.TB, js string) *station.RouterConfig {
	t.Helper()
	m, err := station.Decode([]byte(js))
	if err != nil {
		t.Fatalf("%s: %v", js, err)
	}
	rc, ok := m.(*station.RouterConfig)
	if !ok {
		t.Fatalf("%s: a %s, want a router_config", js, m.MsgType())
	}
	return rc
}
