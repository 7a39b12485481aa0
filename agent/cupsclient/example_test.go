package cupsclient_test

import (
	"context"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store/agentstore"
)

// Example wires the CUPS client into an agent, as `loraedge agent` does:
// the client hands the agent its TC credentials and follows its state, and
// runs it, restarting it when CUPS changes its credentials.
func ExampleClient_Run() {
	run := func(ctx context.Context, db *agentstore.DB, radio hal.Concentrator, eui lorawan.EUI64) error {
		u, err := cupsclient.NewUpdater(cupsclient.UpdaterOptions{
			Dir:     "/var/lib/loraedge",
			Command: "/usr/lib/loraedge/update", // run as "update install FILE" and "update rollback"
			Version: "1.2.3",
		})
		if err != nil {
			return err
		}
		c, err := cupsclient.New(cupsclient.Options{RouterEUI: eui, Store: db, Package: "1.2.3", Updater: u})
		if err != nil {
			return err
		}
		a, err := agent.New(agent.Options{
			RouterEUI:  eui,
			Radio:      radio,
			LoadTC:     c.LoadTC,
			OnState:    c.OnState,
			OnRejected: c.OnRejected,
		})
		if err != nil {
			return err
		}
		return c.Run(ctx, a.Run)
	}
	_ = run // given a store, a radio and the gateway's EUI
}
