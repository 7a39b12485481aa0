package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// us915SubBand2 receives US915 sub-band 2: 903.9..905.3 MHz at 125 kHz
// and 904.6 MHz at 500 kHz (SF8), and transmits in 923..928 MHz.
func us915SubBand2() hal.Config {
	c := hal.Config{
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 904_300_000, TxEnable: true, TxFreqMin: 923_000_000, TxFreqMax: 928_000_000},
			{Enable: true, Freq: 905_100_000},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 0, IF: 300_000, Bandwidth: hal.BW500, SpreadingFactor: 8},
	}
	for i, off := range []int32{-400_000, -200_000, 0, 200_000, 400_000} {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: off}
	}
	for i, off := range []int32{-200_000, 0, 200_000} {
		c.MultiSF[5+i] = hal.IFChain{Enable: true, RFChain: 1, IF: off}
	}
	return c
}

// TestUS915 joins a sub-band 2 device on a fixed channel plan: the join
// goes out on a sub-band 2 channel, the join-accept comes on the RX1
// downlink channel the region maps it to, and its CFList channel mask
// keeps the device on sub-band 2.
func TestUS915(t *testing.T) {
	t.Parallel()
	region, err := lorawan.RegionByName("US915")
	if err != nil {
		t.Fatal(err)
	}
	band, err := region.UplinkChannelsForSubBand(2)
	if err != nil {
		t.Fatal(err)
	}
	inBand := map[uint32]bool{}
	for _, c := range band {
		inBand[c.Frequency] = true
	}
	joinBW := map[uint32]bool{}
	for seed := uint64(1); seed <= 12; seed++ {
		w := newWorld(t)
		w.region = region
		gw, err := sim.NewConcentrator(w.air, "gw1", sim.ConcentratorOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := gw.Start(context.Background(), us915SubBand2()); err != nil {
			t.Fatal(err)
		}
		w.air.SetPathLoss("gw1", "dev", 110)
		dev, events := w.device(sim.DeviceConfig{Name: "dev", DevEUI: testDevEUI, JoinEUI: testJoinEUI, AppKey: testAppKey,
			SubBand: 2, DataRate: 0, Seed: seed})
		if err := dev.Join(); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(time.Second)
		rx := receive(t, gw)
		if !inBand[rx.Freq] {
			t.Fatalf("seed %d: join-request on %d Hz, outside sub-band 2", seed, rx.Freq)
		}
		upDR := uplinkDR(t, region, rx)
		joinBW[rx.Bandwidth] = true
		ns := &testNS{t: t, region: region, root: lorawan.NewRootKeys10(testAppKey), netID: testNetID, devAddr: testDevAddr}
		mask, err := region.CFListChMask(2)
		if err != nil {
			t.Fatal(err)
		}
		ja := ns.acceptJoin(rx, lorawan.DLSettings{RX2DataRate: uint8(region.RX2DataRate())}, 1, &lorawan.CFList{Type: lorawan.CFListChannelMask, ChMasks: mask})
		rx1Freq, err := region.RX1Frequency(rx.Freq)
		if err != nil {
			t.Fatal(err)
		}
		rx1DR, err := region.RX1DataRate(upDR, 0, false)
		if err != nil {
			t.Fatal(err)
		}
		sendJA(t, w, gw, rx.CountUS+us(region.JoinAcceptDelay1()), rx1Freq, rx1DR, ja)
		w.clock.Advance(6 * time.Second)
		if e := nextEvent(t, events, sim.EventJoined); e.Window != sim.WindowRX1 || e.Freq != rx1Freq {
			t.Fatalf("seed %d: joined in %s on %d Hz, want RX1 on %d Hz", seed, e.Window, e.Freq, rx1Freq)
		}
		for range 3 {
			if err := dev.SendData(2, []byte{1, 2}, false); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(time.Second)
			p := receive(t, gw)
			if !inBand[p.Freq] || p.SpreadingFactor != 10 || p.Bandwidth != hal.BW125 {
				t.Fatalf("seed %d: uplink on %d Hz SF%d, want sub-band 2 at DR0 (SF10/125)", seed, p.Freq, p.SpreadingFactor)
			}
			ns.readUplink(p)
			w.clock.Advance(3 * time.Second)
		}
		_ = gw.Close()
	}
	if !joinBW[hal.BW125] || !joinBW[hal.BW500] {
		t.Fatalf("join-requests used bandwidths %v, want both the 125 kHz and the 500 kHz channels", joinBW)
	}
}
