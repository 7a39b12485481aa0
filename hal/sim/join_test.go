package sim_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

var (
	testDevEUI  = lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x01}
	testJoinEUI = lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x00}
	testAppKey  = lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	testNwkKey  = lorawan.AES128Key{0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x01}
	testNetID   = lorawan.NetID{0x00, 0x00, 0x13}
	testDevAddr = lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda}
)

// TestJoin runs OTAA against the in-test network server: join-request
// received at the gateway, join-accept scheduled at the uplink's counter +
// JoinAcceptDelay, device joined with the same keys as the network, then a
// confirmed uplink acknowledged in RX1 with MAC commands both ways.
func TestJoin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		version      lorawan.MACVersion
		optNeg       bool
		rx2          bool   // send the join-accept in RX2 instead of RX1
		counterStart uint32 // gateway counter at start
	}{
		{name: "1.0 in RX1", version: lorawan.MACVersion1_0, counterStart: 1_000},
		{name: "1.1 in RX1", version: lorawan.MACVersion1_1, optNeg: true, counterStart: 1_000},
		{name: "1.1 device on a 1.0 network in RX2", version: lorawan.MACVersion1_1, rx2: true, counterStart: 1_000},
		{name: "1.0 across the counter wrap", version: lorawan.MACVersion1_0, counterStart: 1<<32 - 3_000_000},
		{name: "1.1 in RX2 across the counter wrap", version: lorawan.MACVersion1_1, optNeg: true, rx2: true, counterStart: 1<<32 - 5_500_000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			gw := w.gateway("gw1", sim.ConcentratorOptions{CounterStart: tc.counterStart})
			w.air.SetPathLoss("gw1", testDevEUI.String(), 110)
			dev, events := w.device(sim.DeviceConfig{
				MACVersion: tc.version, DevEUI: testDevEUI, JoinEUI: testJoinEUI,
				AppKey: testAppKey, NwkKey: testNwkKey, DevNonce: 7, DataRate: 5,
			})
			ns := &testNS{t: t, region: w.region, version: tc.version, optNeg: tc.optNeg,
				joinEUI: testJoinEUI, netID: testNetID, devAddr: testDevAddr}
			if tc.version == lorawan.MACVersion1_1 {
				ns.root = lorawan.NewRootKeys11(testAppKey, testNwkKey, testDevEUI)
			} else {
				ns.root = lorawan.NewRootKeys10(testAppKey)
			}

			if err := dev.Join(); err != nil {
				t.Fatal(err)
			}
			up := nextEventAny(t, events)
			if up.Kind != sim.EventUplink || up.MType != lorawan.JoinRequest || up.DevNonce != 7 {
				t.Fatalf("first event %s %s DevNonce %d, want an uplink JoinRequest with DevNonce 7", up.Kind, up.MType, up.DevNonce)
			}
			if err := dev.Join(); err == nil {
				t.Fatal("second Join during the receive windows: got nil error, want ErrDeviceBusy")
			}
			toa := lorawan.UplinkTimeOnAir(23, 7, 125_000)
			w.clock.Advance(toa)
			rx := receive(t, gw)
			if want := tc.counterStart + us(toa); rx.CountUS != want {
				t.Fatalf("join-request CountUS = %d, want %d (end of frame)", rx.CountUS, want)
			}
			if rx.Freq != up.Freq {
				t.Fatalf("received on %d Hz, device sent on %d Hz", rx.Freq, up.Freq)
			}

			cf := &lorawan.CFList{Type: lorawan.CFListFrequencies}
			copy(cf.Frequencies[:], w.region.CFListFrequencies())
			ja := ns.acceptJoin(rx, lorawan.DLSettings{RX1DROffset: 1, RX2DataRate: 3}, 2, cf)
			count := rx.CountUS + us(w.region.JoinAcceptDelay1())
			tx := downlinkTx(t, w.region, count, rx.Freq, uplinkDR(t, w.region, rx), ja)
			wantWin := sim.WindowRX1
			if tc.rx2 {
				count = rx.CountUS + us(w.region.JoinAcceptDelay2())
				tx = downlinkTx(t, w.region, count, w.region.RX2Frequency(), w.region.RX2DataRate(), ja)
				wantWin = sim.WindowRX2
			}
			if err := gw.Send(context.Background(), tx); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(8 * time.Second)
			joined := nextEvent(t, events, sim.EventJoined)
			if joined.Window != wantWin || joined.DevAddr != testDevAddr {
				t.Fatalf("joined in %s as %s, want %s as %s", joined.Window, joined.DevAddr, wantWin, testDevAddr)
			}
			if d := done(t, gw); d.Err != nil || d.CountUS != count {
				t.Fatalf("TxDone = %+v, want CountUS %d and no error", d, count)
			}
			s, ok := dev.Session()
			if !ok {
				t.Fatal("no session after EventJoined")
			}
			if s.Keys != ns.keys {
				t.Fatal("device and network derived different session keys")
			}
			if s.MACVersion != ns.sessVer || s.RX1DROffset != 1 || s.RX2DataRate != 3 || s.RxDelay != 2*time.Second || s.DevNonce != 7 {
				t.Fatalf("session %s offset %d rx2 DR%d delay %v devnonce %d, want %s 1 DR3 2s 7",
					s.MACVersion, s.RX1DROffset, s.RX2DataRate, s.RxDelay, s.DevNonce, ns.sessVer)
			}

			// A confirmed uplink; RX1 comes RxDelay (2 s) after it, at
			// the uplink DR lowered by RX1DROffset 1.
			if err := dev.SendData(10, []byte("hello"), true); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(500 * time.Millisecond)
			rx = receive(t, gw)
			u := ns.readUplink(rx)
			mustEqualBytes(t, "uplink payload", u.payload, []byte("hello"))
			if !u.confirmed || u.fcnt != 0 {
				t.Fatalf("uplink confirmed %v fcnt %d, want true 0", u.confirmed, u.fcnt)
			}
			if got := hasMAC(t, u.fopts, lorawan.CIDRekey); got != tc.optNeg {
				t.Fatalf("RekeyInd in FOpts: %v, want %v (only after a 1.1 join)", got, tc.optNeg)
			}
			fopts := macBytes(t, &lorawan.DevStatusReq{})
			if tc.optNeg {
				fopts = macBytes(t, &lorawan.DevStatusReq{}, &lorawan.RekeyConf{Minor: 1})
			}
			dn := ns.dataDown(down{ack: true, confFCnt: uint16(u.fcnt), fopts: fopts, fport: 3, payload: []byte("world")})
			rx1DR, err := w.region.RX1DataRate(uplinkDR(t, w.region, rx), 1, false)
			if err != nil {
				t.Fatal(err)
			}
			if err := gw.Send(context.Background(), downlinkTx(t, w.region, rx.CountUS+2_000_000, rx.Freq, rx1DR, dn)); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(3 * time.Second)
			got := nextEvent(t, events, sim.EventDownlink)
			if got.Window != sim.WindowRX1 || !got.ACK || got.FPort != 3 || got.DataRate != rx1DR {
				t.Fatalf("downlink in %s ACK %v FPort %d DR%d, want RX1 true 3 DR%d", got.Window, got.ACK, got.FPort, got.DataRate, rx1DR)
			}
			mustEqualBytes(t, "downlink payload", got.Payload, []byte("world"))
			if len(got.MAC) == 0 || got.MAC[0].CID != lorawan.CIDDevStatus {
				t.Fatalf("downlink MAC %v, want DevStatusReq first", got.MAC)
			}
			done(t, gw)

			// The next uplink answers DevStatusReq and, after RekeyConf,
			// no longer carries RekeyInd.
			if err := dev.SendData(10, []byte("again"), false); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(500 * time.Millisecond)
			u = ns.readUplink(receive(t, gw))
			if u.fcnt != 1 || !hasMAC(t, u.fopts, lorawan.CIDDevStatus) || hasMAC(t, u.fopts, lorawan.CIDRekey) {
				t.Fatalf("second uplink fcnt %d fopts %x, want 1 with DevStatusAns and no RekeyInd", u.fcnt, u.fopts)
			}
			w.clock.Advance(4 * time.Second)
			if e := nextEvent(t, events, sim.EventNoDownlink); e.Reason == "" {
				t.Fatal("EventNoDownlink without a reason")
			}
			noEvent(t, events)
		})
	}
}

// nextEventAny returns the next event of any kind.
func nextEventAny(t *testing.T, events chan sim.Event) sim.Event {
	t.Helper()
	select {
	case e := <-events:
		return e
	default:
		t.Fatal("no event")
	}
	return sim.Event{}
}

// TestJoinFailures covers join-accepts the device must refuse or cannot
// hear.
func TestJoinFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		corrupt  bool          // flip a byte of the join-accept
		at       time.Duration // after the join-request's end
		rx2      bool
		noAccept bool
		want     []sim.EventKind
		wantWhy  string // in the last event's Reason
	}{
		{name: "corrupted join-accept in RX1", corrupt: true, at: 5 * time.Second, want: []sim.EventKind{sim.EventMICFailed, sim.EventNoDownlink}},
		{name: "half a second late in RX2", rx2: true, at: 6*time.Second + time.Second/2, want: []sim.EventKind{sim.EventNoDownlink, sim.EventMissed}, wantWhy: "RX2: frame started 500ms after the window opened (late)"},
		{name: "no join-accept", noAccept: true, want: []sim.EventKind{sim.EventNoDownlink}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			gw := w.gateway("gw1", sim.ConcentratorOptions{})
			w.air.SetPathLoss("gw1", testDevEUI.String(), 110)
			dev, events := w.device(sim.DeviceConfig{DevEUI: testDevEUI, JoinEUI: testJoinEUI, AppKey: testAppKey, DataRate: 5})
			if err := dev.Join(); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(100 * time.Millisecond)
			rx := receive(t, gw)
			if !tc.noAccept {
				ns := &testNS{t: t, region: w.region, root: lorawan.NewRootKeys10(testAppKey), netID: testNetID, devAddr: testDevAddr}
				ja := ns.acceptJoin(rx, lorawan.DLSettings{}, 1, nil)
				if tc.corrupt {
					ja[5] ^= 0xff
				}
				freq, dr := rx.Freq, uplinkDR(t, w.region, rx)
				if tc.rx2 {
					freq, dr = w.region.RX2Frequency(), w.region.RX2DataRate()
				}
				sendJA(t, w, gw, rx.CountUS+us(tc.at), freq, dr, ja)
			}
			w.clock.Advance(10 * time.Second)
			var last sim.Event
			for _, k := range tc.want {
				last = nextEvent(t, events, k)
			}
			if !strings.Contains(last.Reason, tc.wantWhy) {
				t.Fatalf("%s reason %q, want it to contain %q", last.Kind, last.Reason, tc.wantWhy)
			}
			noEvent(t, events)
			if _, ok := dev.Session(); ok {
				t.Fatal("device has a session after a failed join")
			}
			// The device may try again, with the next DevNonce.
			if err := dev.Join(); err != nil {
				t.Fatal(err)
			}
			if e := nextEventAny(t, events); e.DevNonce != 1 {
				t.Fatalf("second join-request DevNonce %d, want 1", e.DevNonce)
			}
		})
	}
}

// sendJA schedules a join-accept.
func sendJA(t *testing.T, w *world, gw *sim.Concentrator, count, freq uint32, dr int, ja []byte) {
	t.Helper()
	if err := gw.Send(context.Background(), downlinkTx(t, w.region, count, freq, dr, ja)); err != nil {
		t.Fatal(err)
	}
}
