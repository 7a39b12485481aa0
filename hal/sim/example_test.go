package sim_test

import (
	"context"
	"fmt"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// A device sends one uplink that a simulated gateway receives; no downlink
// follows, so the device's windows close empty. The virtual clock makes it
// instant and repeatable.
func Example() {
	ctx := context.Background()
	clock := sim.NewVirtualClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	air := sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: 120})

	gw, err := sim.NewConcentrator(air, "gw", sim.ConcentratorOptions{})
	if err != nil {
		panic(err)
	}
	cfg := hal.Config{Radios: [2]hal.RFChain{{Enable: true, Freq: 868_300_000, TxEnable: true}}}
	for i, off := range []int32{-200_000, 0, 200_000} { // 868.1, 868.3, 868.5 MHz
		cfg.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: off}
	}
	if err := gw.Start(ctx, cfg); err != nil {
		panic(err)
	}

	region, err := lorawan.RegionByName("EU868")
	if err != nil {
		panic(err)
	}
	dev, err := sim.NewDevice(air, sim.DeviceConfig{
		Name: "sensor", Region: region, DataRate: 5,
		ABP: &sim.ABPConfig{DevAddr: lorawan.DevAddr{0x26, 0x01, 0x02, 0x03}},
		OnEvent: func(e sim.Event) {
			if e.Reason != "" {
				fmt.Printf("device: %s (%s)\n", e.Kind, e.Reason)
				return
			}
			fmt.Println("device:", e.Kind)
		},
	})
	if err != nil {
		panic(err)
	}

	if err := dev.SendData(1, []byte("hi"), false); err != nil {
		panic(err)
	}
	clock.Advance(100 * time.Millisecond)
	p, err := gw.Receive(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Printf("gateway: %d bytes, SF%d, RSSI %.0f dBm, CRC %s\n", len(p.Payload), p.SpreadingFactor, p.RSSI, p.CRC)
	clock.Advance(3 * time.Second)
	// Output:
	// device: uplink
	// gateway: 15 bytes, SF7, RSSI -106 dBm, CRC ok
	// device: no-downlink (no downlink in RX1 or RX2)
}
