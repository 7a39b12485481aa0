package sim_test

import (
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// FuzzDeviceDownlink puts arbitrary bytes on the air as a downlink that a
// joining class C device and an ABP class C device both catch: they must
// report, never panic, and only ever report a downlink with a valid MIC.
func FuzzDeviceDownlink(f *testing.F) {
	ns := &testNS{t: f, sess: lorawan.NewSession10(abpNwkSKey, abpAppSKey), sessVer: lorawan.MACVersion1_0, devAddr: testDevAddr}
	f.Add(ns.dataDown(down{fport: 1, payload: []byte("seed")}))
	f.Add(ns.dataDown(down{fport: 0, payload: []byte{0x03, 0x50, 0xff, 0x00, 0x01, 0x06}}))
	f.Add(append([]byte{0x20}, make([]byte, 16)...))
	f.Add(append([]byte{0x20}, make([]byte, 32)...))
	f.Add([]byte{0x60, 0xda, 0x1b, 0x01, 0x26, 0x0f, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) == 0 || len(b) > hal.MaxPayload {
			return
		}
		w := newWorld(t)
		w.air = sim.NewAir(w.clock, sim.AirConfig{DefaultPathLoss: 100})
		_, events := w.device(sim.DeviceConfig{Name: "abp", Class: sim.ClassC, DataRate: 5,
			ABP: &sim.ABPConfig{DevAddr: testDevAddr, NwkSKey: abpNwkSKey, AppSKey: abpAppSKey}})
		joiner, joinEvents := w.device(sim.DeviceConfig{DevEUI: testDevEUI, AppKey: testAppKey, DataRate: 5})
		if err := joiner.Join(); err != nil {
			t.Fatal(err)
		}
		up := <-joinEvents
		rate, _ := w.region.DataRate(5)
		// At the instant the joiner's RX1 opens, on its channel.
		w.clock.AdvanceTo(up.Time.Add(lorawan.UplinkTimeOnAir(23, rate.SpreadingFactor, rate.Bandwidth) + w.region.JoinAcceptDelay1()))
		frame := sim.Frame{Freq: up.Freq, Modulation: hal.ModulationLoRa, SpreadingFactor: rate.SpreadingFactor,
			Bandwidth: rate.Bandwidth, CodeRate: hal.CodeRate4_5, InvertIQ: true, Power: 14, Payload: b}
		if _, err := w.air.Transmit("gw", frame); err != nil {
			t.Fatal(err)
		}
		rx2 := frame
		rx2.Freq, rx2.SpreadingFactor = w.region.RX2Frequency(), 12
		if _, err := w.air.Transmit("gw2", rx2); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(10 * time.Second)
		for len(events) > 0 {
			if e := <-events; e.Kind == sim.EventDownlink {
				var p lorawan.PHYPayload
				if err := p.UnmarshalBinary(b); err != nil {
					t.Fatalf("downlink event for an unparsable frame: %v", err)
				}
				mic, err := ns.sess.DownlinkMIC(b[:len(b)-4], testDevAddr, e.FCnt, 0)
				if err != nil || mic != p.MIC {
					t.Fatalf("downlink event for a frame with a bad MIC")
				}
			}
		}
	})
}
