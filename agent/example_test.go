package agent_test

import (
	"context"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// A gateway on a simulated concentrator, talking to an LNS over mutual TLS
// with the files of a Basics Station home. Run returns when the process is
// interrupted.
func ExampleNew() {
	read := func(name string) []byte {
		b, err := os.ReadFile(name)
		if err != nil {
			log.Fatal(err)
		}
		return b
	}
	air := sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: 110})
	radio, err := sim.NewConcentrator(air, "gw", sim.ConcentratorOptions{})
	if err != nil {
		log.Fatal(err)
	}
	public, txOn := true, true
	a, err := agent.New(agent.Options{
		RouterEUI: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5},
		TC: agent.Credentials{
			URI:   "wss://lns.example.com:6887",
			Trust: read("tc.trust"),
			Cert:  read("tc.crt"),
			Key:   read("tc.key"),
		},
		Radio: radio,
		Board: station.SX130xConf{LorawanPublic: &public,
			Radios: [2]*station.RadioConf{{Type: "SX1257", TxEnable: &txOn}, {Type: "SX1257"}}},
		Version:   station.Version{Station: "loraedge 1.0", Firmware: "1.0", Package: "1.0"},
		Reconnect: agent.Reconnect{Jitter: 0.3},
		OnRejected: func(err error) {
			log.Printf("LNS rejected us (%v): time to ask CUPS", err)
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	go func() {
		for range time.Tick(time.Minute) {
			s := a.Stats()
			log.Printf("%s: %d uplinks sent, %d spooled, %d downlinks", s.State, s.Sent, s.Spooled, s.Downlinks)
		}
	}()
	if err := a.Run(ctx); err != nil {
		log.Fatal(err)
	}
}
