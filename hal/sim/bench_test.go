package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// BenchmarkUplink measures the air path on a virtual clock: "frame" puts
// a raw 20-byte SF7 frame on the air and receives it at a concentrator;
// "device" has an ABP device build, encrypt and sign a data uplink, the
// gateway receive it, and the device's receive windows run out.
func BenchmarkUplink(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // Receive returns queued frames at once; nothing else is awaited
	b.Run("frame", func(b *testing.B) {
		clock := sim.NewVirtualClock(epoch)
		air := sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: 100})
		gw := benchGateway(b, air)
		f := probeFrame(868_100_000, 7, 20)
		toa := f.AirTime()
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if _, err := air.Transmit("dev", f); err != nil {
				b.Fatal(err)
			}
			clock.Advance(toa)
			if _, err := gw.Receive(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uplinks/s")
	})
	b.Run("device", func(b *testing.B) {
		clock := sim.NewVirtualClock(epoch)
		air := sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: 100})
		gw := benchGateway(b, air)
		region, err := lorawan.RegionByName("EU868")
		if err != nil {
			b.Fatal(err)
		}
		dev, err := sim.NewDevice(air, sim.DeviceConfig{Name: "dev", Region: region, DataRate: 5,
			ABP: &sim.ABPConfig{DevAddr: testDevAddr, NwkSKey: abpNwkSKey, AppSKey: abpAppSKey}})
		if err != nil {
			b.Fatal(err)
		}
		payload := make([]byte, 12)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if err := dev.SendData(1, payload, false); err != nil {
				b.Fatal(err)
			}
			clock.Advance(100 * time.Millisecond)
			if _, err := gw.Receive(ctx); err != nil {
				b.Fatal(err)
			}
			clock.Advance(3 * time.Second) // past RX2
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "uplinks/s")
	})
}

// benchGateway starts a concentrator for a benchmark.
func benchGateway(b *testing.B, air *sim.Air) *sim.Concentrator {
	b.Helper()
	gw, err := sim.NewConcentrator(air, "gw", sim.ConcentratorOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := gw.Start(context.Background(), eu868Config()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = gw.Close() })
	return gw
}
