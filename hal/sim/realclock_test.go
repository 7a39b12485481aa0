package sim_test

import (
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// TestRealClock runs one class A exchange on the wall clock, as the demo
// does: timers fire on their own goroutines, Receive blocks for real, and
// the downlink still lands in RX1 (about 1.1 s of real time).
func TestRealClock(t *testing.T) {
	t.Parallel()
	region, err := lorawan.RegionByName("EU868")
	if err != nil {
		t.Fatal(err)
	}
	air := sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: 110})
	gw, err := sim.NewConcentrator(air, "gw1", sim.ConcentratorOptions{CounterStart: 1<<32 - 500_000})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := gw.Start(ctx, eu868Config()); err != nil {
		t.Fatal(err)
	}
	defer gw.Close()
	events := make(chan sim.Event, 16)
	dev, err := sim.NewDevice(air, sim.DeviceConfig{Name: "dev1", Region: region, DataRate: 5,
		ABP:     &sim.ABPConfig{DevAddr: testDevAddr, NwkSKey: abpNwkSKey, AppSKey: abpAppSKey},
		OnEvent: func(e sim.Event) { events <- e }})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	ns := &testNS{t: t, region: region, devAddr: testDevAddr, sess: lorawan.NewSession10(abpNwkSKey, abpAppSKey), sessVer: lorawan.MACVersion1_0}

	if err := dev.SendData(1, []byte("real"), false); err != nil {
		t.Fatal(err)
	}
	rx, err := gw.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u := ns.readUplink(rx)
	mustEqualBytes(t, "uplink", u.payload, []byte("real"))
	b := ns.dataDown(down{fport: 1, payload: []byte("time")})
	if err := gw.Send(ctx, downlinkTx(t, region, rx.CountUS+1_000_000, rx.Freq, uplinkDR(t, region, rx), b)); err != nil {
		t.Fatal(err)
	}
	for {
		select {
		case e := <-events:
			if e.Kind == sim.EventUplink {
				continue
			}
			if e.Kind != sim.EventDownlink || e.Window != sim.WindowRX1 {
				t.Fatalf("got %s in %s (%s), want a downlink in RX1", e.Kind, e.Window, e.Reason)
			}
			mustEqualBytes(t, "downlink", e.Payload, []byte("time"))
			select {
			case d := <-gw.TxDone():
				if d.Err != nil || d.CountUS != rx.CountUS+1_000_000 {
					t.Fatalf("TxDone %+v, want CountUS %d", d, rx.CountUS+1_000_000)
				}
			case <-ctx.Done():
				t.Fatal("no TxDone")
			}
			return
		case <-ctx.Done():
			t.Fatal("no downlink event")
		}
	}
}
