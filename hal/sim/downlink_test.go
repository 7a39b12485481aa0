package sim_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

var (
	abpNwkSKey = lorawan.AES128Key{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	abpAppSKey = lorawan.AES128Key{16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
)

// abpDevice attaches a LoRaWAN 1.0 ABP device and a network server that
// knows its session, linked to the named gateways with a 110 dB path loss.
func abpDevice(t *testing.T, w *world, name string, addr lorawan.DevAddr, class sim.Class, gateways ...string) (*sim.Device, chan sim.Event, *testNS) {
	t.Helper()
	dev, events := w.device(sim.DeviceConfig{
		Name: name, Class: class, DataRate: 5,
		ABP: &sim.ABPConfig{DevAddr: addr, NwkSKey: abpNwkSKey, AppSKey: abpAppSKey},
	})
	for _, gw := range gateways {
		w.air.SetPathLoss(gw, name, 110)
	}
	ns := &testNS{t: t, region: w.region, devAddr: addr,
		keys:    lorawan.SessionKeys11{FNwkSIntKey: abpNwkSKey, SNwkSIntKey: abpNwkSKey, NwkSEncKey: abpNwkSKey, AppSKey: abpAppSKey},
		sess:    lorawan.NewSession10(abpNwkSKey, abpAppSKey),
		sessVer: lorawan.MACVersion1_0}
	return dev, events, ns
}

// TestDownlinkTiming checks that a device catches a downlink only if it
// starts at its window: RX1 late gives RX2 its chance, both late is missed,
// and a frame handed to the concentrator after its instant is refused.
func TestDownlinkTiming(t *testing.T) {
	t.Parallel()
	type tx struct {
		rx2       bool          // RX2 frequency and data rate, else RX1's
		at        time.Duration // after the uplink's end
		handAfter time.Duration // hand to the concentrator this long after the uplink's end (0: at once)
		wantErr   error
	}
	type want struct {
		kind   sim.EventKind
		window sim.Window
		why    string
	}
	tests := []struct {
		name string
		txs  []tx
		want []want
	}{
		{name: "RX1 on time",
			txs:  []tx{{at: time.Second}},
			want: []want{{kind: sim.EventDownlink, window: sim.WindowRX1}}},
		{name: "RX2 on time",
			txs:  []tx{{rx2: true, at: 2 * time.Second}},
			want: []want{{kind: sim.EventDownlink, window: sim.WindowRX2}}},
		{name: "RX1 20 ms late, RX2 on time",
			txs: []tx{{at: time.Second + 20*time.Millisecond}, {rx2: true, at: 2 * time.Second}},
			want: []want{{kind: sim.EventMissed, why: "after the window opened (late)"},
				{kind: sim.EventDownlink, window: sim.WindowRX2}}},
		{name: "RX1 handed over too late, RX2 on time",
			txs: []tx{{at: time.Second, handAfter: time.Second + 5*time.Millisecond, wantErr: hal.ErrTooLate},
				{rx2: true, at: 2 * time.Second, handAfter: time.Second + 5*time.Millisecond}},
			want: []want{{kind: sim.EventDownlink, window: sim.WindowRX2}}},
		{name: "within the late margin",
			txs:  []tx{{at: time.Second, handAfter: time.Second + 100*time.Microsecond}},
			want: []want{{kind: sim.EventDownlink, window: sim.WindowRX1}}},
		{name: "both late",
			txs: []tx{{at: time.Second + 20*time.Millisecond}, {rx2: true, at: 2*time.Second + 300*time.Millisecond}},
			want: []want{{kind: sim.EventMissed, why: "RX1: frame started 20ms after"},
				{kind: sim.EventNoDownlink},
				{kind: sim.EventMissed, why: "RX2: frame started 300ms after"}}},
		{name: "RX1 early",
			txs: []tx{{at: time.Second - 20*time.Millisecond}},
			want: []want{{kind: sim.EventMissed, why: "before the window opened"},
				{kind: sim.EventNoDownlink}}},
		{name: "RX1 timing on RX2 frequency",
			txs: []tx{{rx2: true, at: time.Second}},
			want: []want{{kind: sim.EventMissed, why: "RX1 listens on"},
				{kind: sim.EventNoDownlink}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			gw := w.gateway("gw1", sim.ConcentratorOptions{})
			dev, events, ns := abpDevice(t, w, "dev1", testDevAddr, sim.ClassA, "gw1")
			if err := dev.SendData(1, []byte{0x01}, false); err != nil {
				t.Fatal(err)
			}
			sent := w.clock.Now()
			w.clock.Advance(100 * time.Millisecond)
			rx := receive(t, gw)
			ns.readUplink(rx)
			toa := lorawan.UplinkTimeOnAir(len(rx.Payload), rx.SpreadingFactor, rx.Bandwidth)
			upEnd := sent.Add(toa)
			for i, x := range tc.txs {
				w.clock.AdvanceTo(upEnd.Add(x.handAfter))
				freq, dr := rx.Freq, uplinkDR(t, w.region, rx)
				if x.rx2 {
					freq, dr = w.region.RX2Frequency(), w.region.RX2DataRate()
				}
				b := ns.dataDown(down{fport: 2, payload: []byte{byte(i)}})
				err := gw.Send(context.Background(), downlinkTx(t, w.region, rx.CountUS+us(x.at), freq, dr, b))
				if !errors.Is(err, x.wantErr) {
					t.Fatalf("tx %d: Send error %v, want %v", i, err, x.wantErr)
				}
			}
			w.clock.AdvanceTo(upEnd.Add(5 * time.Second))
			for _, x := range tc.want {
				e := nextEvent(t, events, x.kind)
				if x.kind == sim.EventDownlink && e.Window != x.window {
					t.Fatalf("downlink in %s, want %s", e.Window, x.window)
				}
				if !strings.Contains(e.Reason, x.why) {
					t.Fatalf("%s reason %q, want it to contain %q", e.Kind, e.Reason, x.why)
				}
			}
			noEvent(t, events)
		})
	}
}

// TestCounterWrap starts the gateway counter just before 2^32: the uplink
// is stamped before the wrap and its RX1 and RX2 counter values come after
// it, and the downlinks still land in the windows.
func TestCounterWrap(t *testing.T) {
	t.Parallel()
	for _, rx2 := range []bool{false, true} {
		name := map[bool]string{false: "RX1", true: "RX2"}[rx2]
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			const start = 1<<32 - 300_000 // 0.3 s before the wrap
			gw := w.gateway("gw1", sim.ConcentratorOptions{CounterStart: start})
			dev, events, ns := abpDevice(t, w, "dev1", testDevAddr, sim.ClassA, "gw1")
			if err := dev.SendData(1, []byte("tick"), true); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(200 * time.Millisecond)
			rx := receive(t, gw)
			u := ns.readUplink(rx)
			if rx.CountUS < start {
				t.Fatalf("uplink stamped %d, want before the wrap (>= %d)", rx.CountUS, uint32(start))
			}
			at, freq, dr := rx.CountUS+1_000_000, rx.Freq, uplinkDR(t, w.region, rx)
			if rx2 {
				at, freq, dr = rx.CountUS+2_000_000, w.region.RX2Frequency(), w.region.RX2DataRate()
			}
			if at > 1_000_000*3 {
				t.Fatalf("downlink counter %d did not wrap", at)
			}
			b := ns.dataDown(down{ack: true, confFCnt: uint16(u.fcnt), fport: 5, payload: []byte("tock")})
			if err := gw.Send(context.Background(), downlinkTx(t, w.region, at, freq, dr, b)); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(5 * time.Second)
			e := nextEvent(t, events, sim.EventDownlink)
			want := map[bool]sim.Window{false: sim.WindowRX1, true: sim.WindowRX2}[rx2]
			if e.Window != want || !e.ACK {
				t.Fatalf("downlink in %s ACK %v, want %s true", e.Window, e.ACK, want)
			}
			mustEqualBytes(t, "payload", e.Payload, []byte("tock"))
			if d := done(t, gw); d.Err != nil || d.CountUS != at {
				t.Fatalf("TxDone %+v, want CountUS %d", d, at)
			}
			now, err := gw.Counter()
			if err != nil {
				t.Fatal(err)
			}
			if want := uint32(start) + us(w.clock.Now().Sub(epoch)); now != want {
				t.Fatalf("Counter() = %d, want %d (wrapped)", now, want)
			}
		})
	}
}

// TestTwoGateways sends one uplink heard by two gateways with their own
// path loss; a third gateway without a link hears nothing.
func TestTwoGateways(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gwA := w.gateway("gwA", sim.ConcentratorOptions{CounterStart: 5_000})
	gwB := w.gateway("gwB", sim.ConcentratorOptions{CounterStart: 900_000})
	gwC := w.gateway("gwC", sim.ConcentratorOptions{})
	dev, _, ns := abpDevice(t, w, "dev1", testDevAddr, sim.ClassA)
	w.air.SetPathLoss("gwA", "dev1", 100)
	w.air.SetPathLoss("gwB", "dev1", 125)
	if err := dev.SendData(7, []byte("both"), false); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(time.Second)
	a, b := receive(t, gwA), receive(t, gwB)
	noFrame(t, gwC)
	mustEqualBytes(t, "gwB payload", b.Payload, a.Payload)
	u := ns.readUplink(a)
	mustEqualBytes(t, "payload", u.payload, []byte("both"))

	toa := us(lorawan.UplinkTimeOnAir(len(a.Payload), 7, 125_000))
	noise := -174 + 10*math.Log10(125_000) + 6 // dBm over 125 kHz, 6 dB noise figure
	for _, tc := range []struct {
		name  string
		p     hal.RxPacket
		loss  float64
		count uint32
	}{{"gwA", a, 100, 5_000 + toa}, {"gwB", b, 125, 900_000 + toa}} {
		wantRSSI := float32(sim.DefaultTxPower - tc.loss)
		wantSNR := float32(sim.DefaultTxPower - tc.loss - noise)
		if tc.p.RSSI != wantRSSI || math.Abs(float64(tc.p.SNR-wantSNR)) > 1e-3 {
			t.Errorf("%s: RSSI %v SNR %v, want %v %v", tc.name, tc.p.RSSI, tc.p.SNR, wantRSSI, wantSNR)
		}
		if tc.p.CountUS != tc.count || tc.p.CRC != hal.CRCOK || tc.p.SpreadingFactor != 7 || tc.p.Bandwidth != hal.BW125 {
			t.Errorf("%s: count %d CRC %s SF%d BW%d, want %d ok SF7 BW125000", tc.name, tc.p.CountUS, tc.p.CRC, tc.p.SpreadingFactor, tc.p.Bandwidth, tc.count)
		}
	}
	cfg := eu868Config()
	if got := cfg.ChannelFreq(a.IFChain); got != a.Freq {
		t.Errorf("IF chain %d is on %d Hz, frame on %d Hz", a.IFChain, got, a.Freq)
	}
	if s := gwC.Stats(); s.Received != 0 || s.NoChannel != 0 {
		t.Errorf("unlinked gateway stats %+v, want nothing heard", s)
	}
}

// TestTooWeak checks the demodulation floor: the same path loss is heard at
// SF12 but not at SF7.
func TestTooWeak(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		dr   int
		want bool
	}{{dr: 5, want: false}, {dr: 0, want: true}} {
		w := newWorld(t)
		gw := w.gateway("gw1", sim.ConcentratorOptions{})
		dev, _ := w.device(sim.DeviceConfig{Name: "far", DataRate: tc.dr,
			ABP: &sim.ABPConfig{DevAddr: testDevAddr, NwkSKey: abpNwkSKey, AppSKey: abpAppSKey}})
		// 14 dBm - 140 dB = -126 dBm, SNR -9 dB: below SF7's -7.5 dB
		// floor, above SF12's -20 dB.
		w.air.SetPathLoss("gw1", "far", 140)
		if err := dev.SendData(1, []byte{1}, false); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(3 * time.Second)
		if got := gw.Stats().Received == 1; got != tc.want {
			t.Errorf("DR%d: received %v, want %v (stats %+v)", tc.dr, got, tc.want, gw.Stats())
		}
	}
}

// TestClassC: a class C device takes a downlink on the RX2 parameters at
// any time; a class A device does not.
func TestClassC(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw := w.gateway("gw1", sim.ConcentratorOptions{})
	addrA := lorawan.DevAddr{0x26, 0x00, 0x00, 0x0a}
	addrC := lorawan.DevAddr{0x26, 0x00, 0x00, 0x0c}
	_, evA, nsA := abpDevice(t, w, "devA", addrA, sim.ClassA, "gw1")
	devC, evC, nsC := abpDevice(t, w, "devC", addrC, sim.ClassC, "gw1")

	w.clock.Advance(10 * time.Second)
	for _, x := range []struct {
		ns  *testNS
		msg string
	}{{nsC, "to C"}, {nsA, "to A"}} {
		b := x.ns.dataDown(down{fport: 9, payload: []byte(x.msg)})
		tx := downlinkTx(t, w.region, 0, w.region.RX2Frequency(), w.region.RX2DataRate(), b)
		tx.Mode = hal.TxImmediate
		if err := gw.Send(context.Background(), tx); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(3 * time.Second)
		if d := done(t, gw); d.Err != nil {
			t.Fatal(d.Err)
		}
	}
	e := nextEvent(t, evC, sim.EventDownlink)
	if e.Window != sim.WindowC {
		t.Fatalf("class C downlink in %s, want C", e.Window)
	}
	mustEqualBytes(t, "class C payload", e.Payload, []byte("to C"))
	if e := nextEvent(t, evA, sim.EventMissed); !strings.Contains(e.Reason, "no receive window open") {
		t.Fatalf("class A missed reason %q", e.Reason)
	}
	noEvent(t, evC)

	// Between its uplink and RX1 a class C device listens on RX2 too, and
	// the class A windows still close normally afterwards.
	if err := devC.SendData(1, []byte{1}, false); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(200 * time.Millisecond)
	receive(t, gw)
	b := nsC.dataDown(down{fport: 9, payload: []byte("early")})
	tx := downlinkTx(t, w.region, 0, w.region.RX2Frequency(), w.region.RX2DataRate(), b)
	tx.Mode = hal.TxImmediate
	if err := gw.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(5 * time.Second)
	if e := nextEvent(t, evC, sim.EventDownlink); e.Window != sim.WindowC {
		t.Fatalf("downlink before RX1 in %s, want C", e.Window)
	}
	nextEvent(t, evC, sim.EventNoDownlink)
	noEvent(t, evC)
}

// TestDownlinkCollision: two gateways answer in the same RX1 slot on the
// same channel; the device gets neither.
func TestDownlinkCollision(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw1 := w.gateway("gw1", sim.ConcentratorOptions{})
	gw2 := w.gateway("gw2", sim.ConcentratorOptions{CounterStart: 77})
	dev, events, ns := abpDevice(t, w, "dev1", testDevAddr, sim.ClassA, "gw1", "gw2")
	if err := dev.SendData(1, []byte{1}, false); err != nil {
		t.Fatal(err)
	}
	w.clock.Advance(200 * time.Millisecond)
	r1, r2 := receive(t, gw1), receive(t, gw2)
	ns.readUplink(r1)
	for _, x := range []struct {
		gw *sim.Concentrator
		rx hal.RxPacket
	}{{gw1, r1}, {gw2, r2}} {
		b := ns.dataDown(down{fport: 1, payload: []byte("x")})
		if err := x.gw.Send(context.Background(), downlinkTx(t, w.region, x.rx.CountUS+1_000_000, x.rx.Freq, uplinkDR(t, w.region, x.rx), b)); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Advance(5 * time.Second)
	if e := nextEvent(t, events, sim.EventMissed); !strings.Contains(e.Reason, "damaged") {
		t.Fatalf("reason %q, want a damaged frame", e.Reason)
	}
	// The second frame was not caught: the receiver was busy with the first.
	nextEvent(t, events, sim.EventMissed)
	nextEvent(t, events, sim.EventNoDownlink)
	noEvent(t, events)
}
