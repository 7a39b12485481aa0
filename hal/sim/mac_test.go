package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// uplinkCycle sends one uplink, lets the gateway receive it, optionally
// answers in RX1 with b (built by the caller from the uplink), and runs
// the clock past the windows.
func uplinkCycle(t *testing.T, w *world, gw *sim.Concentrator, dev *sim.Device, ns *testNS, answer func(u uplink, rx hal.RxPacket)) (uplink, hal.RxPacket) {
	t.Helper()
	if err := dev.SendData(1, []byte{0xab}, false); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(500 * time.Millisecond)
	rx := receive(t, gw)
	u := ns.readUplink(rx)
	if answer != nil {
		answer(u, rx)
	}
	w.clock.Advance(5 * time.Second)
	return u, rx
}

// uplinkMACs decodes the clear FOpts of an uplink into CIDs.
func uplinkMACs(t *testing.T, u uplink) map[lorawan.CID]lorawan.MACCommandPayload {
	t.Helper()
	cmds, err := lorawan.ParseMACCommands(u.fopts, true)
	if err != nil {
		t.Fatal(err)
	}
	out := map[lorawan.CID]lorawan.MACCommandPayload{}
	for _, c := range cmds {
		out[c.CID] = c.Payload
	}
	return out
}

// TestDeviceMAC: LinkADRReq, RXParamSetupReq and NewChannelReq are applied
// and answered; RXParamSetupAns repeats until a downlink comes.
func TestDeviceMAC(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw := w.gateway("gw1", sim.ConcentratorOptions{})
	dev, events, ns := abpDevice(t, w, "dev1", testDevAddr, sim.ClassA, "gw1")
	ctx := context.Background()

	cmds := macBytes(t,
		&lorawan.NewChannelReq{ChIndex: 3, Freq: 867_100_000, MinDR: 0, MaxDR: 5},
		&lorawan.LinkADRReq{DataRate: 3, TXPower: 2, ChMask: 0x0003, NbTrans: 1},
		&lorawan.RXParamSetupReq{RX1DROffset: 2, RX2DataRate: 1, Freq: 869_525_000},
		&lorawan.DevStatusReq{},
	)
	uplinkCycle(t, w, gw, dev, ns, func(_ uplink, rx hal.RxPacket) {
		b := ns.dataDown(down{fport: 0, payload: cmds})
		if err := gw.Send(ctx, downlinkTx(t, w.region, rx.CountUS+1_000_000, rx.Freq, uplinkDR(t, w.region, rx), b)); err != nil {
			t.Fatal(err)
		}
	})
	if e := nextEvent(t, events, sim.EventDownlink); len(e.MAC) != 4 || e.FPort != 0 {
		t.Fatalf("downlink MAC %d commands on FPort %d, want 4 on 0", len(e.MAC), e.FPort)
	}
	if got := dev.DataRate(); got != 3 {
		t.Fatalf("data rate after LinkADRReq DR%d, want DR3", got)
	}
	s, _ := dev.Session()
	if s.RX1DROffset != 2 || s.RX2DataRate != 1 {
		t.Fatalf("rx1 offset %d rx2 DR%d, want 2 DR1", s.RX1DROffset, s.RX2DataRate)
	}

	u, rx := uplinkCycle(t, w, gw, dev, ns, nil)
	macs := uplinkMACs(t, u)
	ans, ok := macs[lorawan.CIDLinkADR].(*lorawan.LinkADRAns)
	if !ok || !ans.ChannelMaskACK || !ans.DataRateACK || !ans.PowerACK {
		t.Fatalf("LinkADRAns %+v, want all acknowledged", macs[lorawan.CIDLinkADR])
	}
	rxp, ok := macs[lorawan.CIDRXParamSetup].(*lorawan.RXParamSetupAns)
	if !ok || !rxp.RX1DROffsetACK || !rxp.RX2DataRateACK || !rxp.ChannelACK {
		t.Fatalf("RXParamSetupAns %+v, want all acknowledged", macs[lorawan.CIDRXParamSetup])
	}
	nc, ok := macs[lorawan.CIDNewChannel].(*lorawan.NewChannelAns)
	if !ok || !nc.ChannelFreqOK || !nc.DataRateRangeOK {
		t.Fatalf("NewChannelAns %+v, want both OK", macs[lorawan.CIDNewChannel])
	}
	if _, ok := macs[lorawan.CIDDevStatus]; !ok {
		t.Fatal("no DevStatusAns")
	}
	if rx.SpreadingFactor != 9 || (rx.Freq != 868_100_000 && rx.Freq != 868_300_000) {
		t.Fatalf("uplink SF%d on %d Hz, want SF9 (DR3) on channel 0 or 1", rx.SpreadingFactor, rx.Freq)
	}
	// TXPower 2: Max EIRP (16 dBm) - 4 dB, through a 110 dB path.
	if want := float32(w.region.DefaultMaxEIRP()) - 4 - 110; rx.RSSI != want {
		t.Fatalf("RSSI %v, want %v", rx.RSSI, want)
	}
	nextEvent(t, events, sim.EventNoDownlink)

	// No downlink came: RXParamSetupAns is repeated, the others are not.
	// This time the network answers in RX1 at DR3 - offset 2 = DR1.
	u, _ = uplinkCycle(t, w, gw, dev, ns, func(_ uplink, rx hal.RxPacket) {
		b := ns.dataDown(down{fport: -1})
		if err := gw.Send(ctx, downlinkTx(t, w.region, rx.CountUS+1_000_000, rx.Freq, 1, b)); err != nil {
			t.Fatal(err)
		}
	})
	macs = uplinkMACs(t, u)
	if _, ok := macs[lorawan.CIDRXParamSetup]; !ok || len(macs) != 1 {
		t.Fatalf("second uplink MAC %v, want RXParamSetupAns only", macs)
	}
	if e := nextEvent(t, events, sim.EventDownlink); e.Window != sim.WindowRX1 || e.DataRate != 1 || e.FPort != -1 {
		t.Fatalf("empty downlink in %s at DR%d FPort %d, want RX1 DR1 -1", e.Window, e.DataRate, e.FPort)
	}
	u, _ = uplinkCycle(t, w, gw, dev, ns, nil)
	if len(u.fopts) != 0 {
		t.Fatalf("third uplink FOpts %x, want none after a downlink", u.fopts)
	}
}

// TestABP11: a LoRaWAN 1.1 ABP device sends ResetInd (encrypted FOpts)
// until the network confirms with ResetConf, and uses the 1.1 MIC.
func TestABP11(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw := w.gateway("gw1", sim.ConcentratorOptions{})
	keys := lorawan.SessionKeys11{
		FNwkSIntKey: lorawan.AES128Key{1}, SNwkSIntKey: lorawan.AES128Key{2},
		NwkSEncKey: lorawan.AES128Key{3}, AppSKey: lorawan.AES128Key{4},
	}
	dev, events := w.device(sim.DeviceConfig{Name: "dev11", MACVersion: lorawan.MACVersion1_1, DataRate: 5,
		ABP: &sim.ABPConfig{DevAddr: testDevAddr, FNwkSIntKey: keys.FNwkSIntKey, SNwkSIntKey: keys.SNwkSIntKey,
			NwkSEncKey: keys.NwkSEncKey, AppSKey: keys.AppSKey, FCntUp: 100, AFCntDown: 7}})
	w.air.SetPathLoss("gw1", "dev11", 110)
	ns := &testNS{t: t, region: w.region, devAddr: testDevAddr, keys: keys, sessVer: lorawan.MACVersion1_1,
		sess:   lorawan.NewSession11(keys.FNwkSIntKey, keys.SNwkSIntKey, keys.NwkSEncKey, keys.AppSKey),
		fCntUp: 100, aFCntDown: 7}
	u, _ := uplinkCycle(t, w, gw, dev, ns, func(u uplink, rx hal.RxPacket) {
		if !hasMAC(t, u.fopts, lorawan.CIDReset) {
			t.Fatalf("first uplink FOpts %x, want ResetInd", u.fopts)
		}
		if string(u.phy.FHDR.FOpts) == string(u.fopts) {
			t.Fatal("1.1 FOpts travel in clear")
		}
		b := ns.dataDown(down{fopts: macBytes(t, &lorawan.ResetConf{Minor: 1}), fport: 4, payload: []byte("app")})
		if err := gw.Send(context.Background(), downlinkTx(t, w.region, rx.CountUS+1_000_000, rx.Freq, uplinkDR(t, w.region, rx), b)); err != nil {
			t.Fatal(err)
		}
	})
	if u.fcnt != 100 {
		t.Fatalf("uplink FCnt %d, want 100", u.fcnt)
	}
	e := nextEvent(t, events, sim.EventDownlink)
	if e.FCnt != 7 || string(e.Payload) != "app" || len(e.MAC) != 1 || e.MAC[0].CID != lorawan.CIDReset {
		t.Fatalf("downlink FCnt %d payload %q MAC %v, want AFCntDown 7, \"app\", ResetConf", e.FCnt, e.Payload, e.MAC)
	}
	u, _ = uplinkCycle(t, w, gw, dev, ns, nil)
	if len(u.fopts) != 0 {
		t.Fatalf("uplink after ResetConf FOpts %x, want none", u.fopts)
	}
	if s, _ := dev.Session(); s.AFCntDown != 8 || s.NFCntDown != 0 || s.FCntUp != 102 {
		t.Fatalf("counters up %d nf %d af %d, want 102 0 8", s.FCntUp, s.NFCntDown, s.AFCntDown)
	}
}
