package downlink_test

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

func eui(n byte) lorawan.EUI64 { return lorawan.EUI64{0x00, 0x04, 0xa3, 0x0b, 0x00, 0x00, 0x10, n} }

// macBytes encodes downlink MAC commands.
func macBytes(t *testing.T, cmds ...lorawan.MACCommandPayload) []byte {
	t.Helper()
	var l []lorawan.MACCommand
	for _, c := range cmds {
		l = append(l, lorawan.MACCommand{CID: c.CID(), Payload: c})
	}
	b, err := lorawan.AppendMACCommands(nil, l...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The end device verifies the MIC and decrypts FOpts and FRMPayload of
// what the scheduler sends, in LoRaWAN 1.0 and 1.1, with the frame counter
// the store handed out (AFCntDown for application data in 1.1).
func TestDeviceReadsDownlink(t *testing.T) {
	for _, version := range []string{"1.0.3", "1.1"} {
		t.Run(version, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, downlink.Options{})
			td := h.addDevice(t, devSpec{eui: eui(1), version: version})
			ctx := context.Background()
			// Use up a few network counters so that NFCntDown and AFCntDown
			// differ in 1.1.
			for range 3 {
				if _, err := h.db.NextFCntDown(ctx, td.dev.DevEUI, store.NFCntDown); err != nil {
					t.Fatal(err)
				}
			}
			payload := []byte("hello, device")
			h.enqueue(t, td.dev.DevEUI, 42, payload, true)
			mac := macBytes(t, &lorawan.LinkCheckAns{Margin: 12, GwCnt: 2}, &lorawan.DevStatusReq{})
			req := td.classA(t, 5, 868_100_000)
			req.ACK, req.ConfFCnt, req.ADR, req.MAC = true, 0x1_0007, true, mac
			if err := h.sched.ScheduleClassA(ctx, req); err != nil {
				t.Fatal(err)
			}
			s := h.sender.next(t)
			got := td.deviceReceive(t, s.msg.PDU, 0, 0x0007)
			wantFCnt := uint32(0)
			if version == "1.0.3" {
				wantFCnt = 3 // one counter for both
			}
			if got.fcnt != wantFCnt {
				t.Errorf("fcnt %d, want %d", got.fcnt, wantFCnt)
			}
			p := got.phy
			if p.MHDR.MType != lorawan.ConfirmedDataDown {
				t.Errorf("mtype %v, want ConfirmedDataDown", p.MHDR.MType)
			}
			if fc := p.FHDR.FCtrl; !fc.ACK || !fc.ADR || fc.FPending {
				t.Errorf("fctrl %+v, want ACK and ADR, no FPending", fc)
			}
			if !bytes.Equal(got.fopts, mac) {
				t.Errorf("fopts %x, want %x", got.fopts, mac)
			}
			if version == "1.1" && bytes.Equal(p.FHDR.FOpts, mac) {
				t.Error("1.1 fopts sent in clear")
			}
			if p.FPort != 42 || !bytes.Equal(got.payload, payload) {
				t.Errorf("fport %d payload %q, want 42 %q", p.FPort, got.payload, payload)
			}
			if bytes.Contains(s.msg.PDU, payload) {
				t.Error("payload sent in clear")
			}
			// A wrong ConfFCnt breaks a 1.1 MIC, not a 1.0 one.
			if version == "1.1" {
				var phy lorawan.PHYPayload
				if err := phy.UnmarshalBinary(bytes.Clone(s.msg.PDU)); err != nil {
					t.Fatal(err)
				}
				mic, _ := td.device.DownlinkMIC(s.msg.PDU[:len(s.msg.PDU)-4], phy.FHDR.DevAddr, got.fcnt, 0x0008)
				if mic == phy.MIC {
					t.Error("1.1 MIC does not cover ConfFCnt")
				}
			}
		})
	}
}

// ACK alone, FPending while more waits, nothing at all when there is
// nothing to say.
func TestACKAndFPending(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(2)})
	ctx := context.Background()

	// Nothing to say: nothing sent.
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	h.sender.none(t)
	if got := h.sched.Metrics().Nothing; got != 1 {
		t.Errorf("Metrics.Nothing %d, want 1", got)
	}

	// ACK only: no FPort, no FPending.
	req := td.classA(t, 5, 868_100_000)
	req.ACK = true
	if err := h.sched.ScheduleClassA(ctx, req); err != nil {
		t.Fatal(err)
	}
	got := td.deviceReceive(t, h.sender.next(t).msg.PDU, 0, 0)
	if fc := got.phy.FHDR.FCtrl; !fc.ACK || fc.FPending || got.phy.FPortPresent || got.phy.MHDR.MType != lorawan.UnconfirmedDataDown {
		t.Errorf("ack-only frame: fctrl %+v fport present %v mtype %v", fc, got.phy.FPortPresent, got.phy.MHDR.MType)
	}

	// Two queued: the first goes with FPending, the second without.
	h.enqueue(t, td.dev.DevEUI, 1, []byte{1}, false)
	h.enqueue(t, td.dev.DevEUI, 2, []byte{2}, false)
	for i, want := range []struct {
		port     uint8
		fpending bool
	}{{1, true}, {2, false}} {
		if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
			t.Fatal(err)
		}
		s := h.sender.next(t)
		got := td.deviceReceive(t, s.msg.PDU, got.fcnt, 0)
		if got.phy.FPort != want.port || got.phy.FHDR.FCtrl.FPending != want.fpending || got.phy.FHDR.FCtrl.ACK {
			t.Errorf("downlink %d: fport %d fpending %v ack %v, want %d %v false", i, got.phy.FPort,
				got.phy.FHDR.FCtrl.FPending, got.phy.FHDR.FCtrl.ACK, want.port, want.fpending)
		}
		h.dntxed(s)
	}
	if q := h.queue(t, td.dev.DevEUI); len(q) != 0 {
		t.Errorf("queue holds %d after both were sent, want 0", len(q))
	}
}

// MAC commands go in FOpts up to 15 bytes; longer ones go alone on FPort 0
// (encrypted with the network key, network counter), application data
// waiting with FPending.
func TestFOptsOrFPort0(t *testing.T) {
	short := func(t *testing.T) []byte { // 15 bytes: 3 × DevStatusReq + 2 × NewChannelReq
		return macBytes(t, &lorawan.DevStatusReq{}, &lorawan.DevStatusReq{}, &lorawan.DevStatusReq{},
			&lorawan.NewChannelReq{ChIndex: 3, Freq: 867_100_000, MaxDR: 5}, &lorawan.NewChannelReq{ChIndex: 4, Freq: 867_300_000, MaxDR: 5})
	}
	long := func(t *testing.T) []byte { // 18 bytes
		return macBytes(t, &lorawan.NewChannelReq{ChIndex: 3, Freq: 867_100_000, MaxDR: 5}, &lorawan.NewChannelReq{ChIndex: 4, Freq: 867_300_000, MaxDR: 5},
			&lorawan.NewChannelReq{ChIndex: 5, Freq: 867_500_000, MaxDR: 5})
	}
	cases := []struct {
		name      string
		version   string
		mac       func(*testing.T) []byte
		queued    bool
		wantFOpts bool
		wantPort  int // -1 none
		wantFPend bool
	}{
		{"1.0 15 bytes in FOpts", "1.0.3", short, false, true, -1, false},
		{"1.0 15 bytes in FOpts with app data", "1.0.3", short, true, true, 9, false},
		{"1.0 18 bytes on FPort 0", "1.0.3", long, false, false, 0, false},
		{"1.0 18 bytes on FPort 0, app waits", "1.0.3", long, true, false, 0, true},
		{"1.1 15 bytes in FOpts", "1.1", short, false, true, -1, false},
		{"1.1 18 bytes on FPort 0", "1.1", long, false, false, 0, false},
		{"1.1 18 bytes on FPort 0, app waits", "1.1", long, true, false, 0, true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, downlink.Options{})
			td := h.addDevice(t, devSpec{eui: eui(byte(0x20 + i)), version: tc.version})
			ctx := context.Background()
			if tc.version == "1.1" {
				// Move AFCntDown ahead so that the counter used shows.
				for range 5 {
					if _, err := h.db.NextFCntDown(ctx, td.dev.DevEUI, store.AFCntDown); err != nil {
						t.Fatal(err)
					}
				}
			}
			if tc.queued {
				h.enqueue(t, td.dev.DevEUI, 9, []byte("app"), false)
			}
			mac := tc.mac(t)
			req := td.classA(t, 5, 868_100_000)
			req.MAC = mac
			if err := h.sched.ScheduleClassA(ctx, req); err != nil {
				t.Fatal(err)
			}
			s := h.sender.next(t)
			got := td.deviceReceive(t, s.msg.PDU, 0, 0)
			port := -1
			if got.phy.FPortPresent {
				port = int(got.phy.FPort)
			}
			if port != tc.wantPort || got.phy.FHDR.FCtrl.FPending != tc.wantFPend {
				t.Errorf("fport %d fpending %v, want %d %v", port, got.phy.FHDR.FCtrl.FPending, tc.wantPort, tc.wantFPend)
			}
			switch {
			case tc.wantFOpts && !bytes.Equal(got.fopts, mac):
				t.Errorf("fopts %x, want %x", got.fopts, mac)
			case !tc.wantFOpts && (len(got.fopts) != 0 || !bytes.Equal(got.payload, mac)):
				t.Errorf("fopts %x frmpayload %x, want none and %x", got.fopts, got.payload, mac)
			}
			if tc.version == "1.1" {
				// Network counter for FPort 0 or no port, application counter otherwise.
				want := uint32(0)
				if port > 0 {
					want = 5
				}
				if got.fcnt != want {
					t.Errorf("fcnt %d, want %d", got.fcnt, want)
				}
			}
			if q := h.queue(t, td.dev.DevEUI); tc.queued && len(q) != 1 {
				t.Errorf("queue holds %d, want 1", len(q))
			}
		})
	}
}

// Application data that does not fit the RX1 data rate's maximum payload
// stays queued; what fits goes.
func TestMaxPayload(t *testing.T) {
	// EU868 DR0: M = 59, so FRMPayload ≤ 59 - 8 - len(FOpts).
	cases := []struct {
		name     string
		payload  int
		mac      []byte
		ack      bool
		wantSent bool // a frame goes at all
		wantApp  bool
	}{
		{"51 bytes fit", 51, nil, false, true, true},
		{"52 bytes do not fit", 52, nil, false, false, false},
		{"52 bytes do not fit, ACK goes alone", 52, nil, true, true, false},
		{"49 bytes with 2 bytes of FOpts fit", 49, []byte{0x06, 0x06}, false, true, true},
		{"50 bytes with 2 bytes of FOpts do not fit", 50, []byte{0x06, 0x06}, false, true, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, downlink.Options{})
			td := h.addDevice(t, devSpec{eui: eui(byte(0x30 + i))})
			h.enqueue(t, td.dev.DevEUI, 3, bytes.Repeat([]byte{0xab}, tc.payload), false)
			req := td.classA(t, 0, 868_100_000)
			req.ACK, req.MAC = tc.ack, tc.mac
			if err := h.sched.ScheduleClassA(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			if !tc.wantSent {
				h.sender.none(t)
				if q := h.queue(t, td.dev.DevEUI); len(q) != 1 || q[0].Attempts != 0 {
					t.Errorf("queue %+v, want the item still there, untried", q)
				}
				return
			}
			s := h.sender.next(t)
			got := td.deviceReceive(t, s.msg.PDU, 0, 0)
			if gotApp := got.phy.FPortPresent; gotApp != tc.wantApp {
				t.Fatalf("application data sent %v, want %v", gotApp, tc.wantApp)
			}
			if tc.wantApp && len(s.msg.PDU) != 1+59+4 {
				t.Errorf("frame of %d bytes, want the full %d", len(s.msg.PDU), 1+59+4)
			}
			if !tc.wantApp && !got.phy.FHDR.FCtrl.FPending {
				t.Error("FPending not set while the item waits")
			}
		})
	}
}

// A frame that fits RX1 but not the RX2 data rate is offered without RX2.
func TestRX2OmittedWhenTooLong(t *testing.T) {
	cases := []struct {
		name    string
		payload int
		wantRX2 bool
	}{
		// EU868 RX2 is DR0: MACPayload at most 59 bytes.
		{"fits RX2", 51, true},
		{"too long for RX2", 52, false},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, downlink.Options{})
			td := h.addDevice(t, devSpec{eui: eui(byte(0x38 + i))})
			h.enqueue(t, td.dev.DevEUI, 3, make([]byte, tc.payload), false)
			if err := h.sched.ScheduleClassA(context.Background(), td.classA(t, 5, 868_100_000)); err != nil {
				t.Fatal(err)
			}
			s := h.sender.next(t)
			if got := s.msg.RX2DR != nil && s.msg.RX2Freq != nil; got != tc.wantRX2 {
				t.Errorf("RX2 offered %v, want %v: %s", got, tc.wantRX2, s.raw)
			}
			if s.msg.RX1DR == nil || s.msg.RX1Freq == nil {
				t.Errorf("RX1 missing: %s", s.raw)
			}
			if err := s.msg.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
		})
	}
}

// The best gateway by SNR margin, then RSSI; copies without xtime are not
// used; a gateway that refuses the message is skipped for the next.
func TestBestGateway(t *testing.T) {
	now := time.Now()
	r := func(gw lorawan.EUI64, rctx int64, x int64, snr, rssi float64) downlink.Reception {
		return downlink.Reception{Gateway: gw, Rctx: rctx, XTime: x, SNR: snr, RSSI: rssi, ReceivedAt: now}
	}
	cases := []struct {
		name    string
		rs      []downlink.Reception
		offline []lorawan.EUI64
		want    lorawan.EUI64
		rctx    int64
	}{
		{"highest SNR", []downlink.Reception{r(gw1, 0, xt(1), -3, -100), r(gw2, 1, xt(2), 7.5, -110), r(gw3, 0, xt(3), 2, -90)}, nil, gw2, 1},
		{"equal SNR, highest RSSI", []downlink.Reception{r(gw1, 0, xt(1), 5, -100), r(gw2, 0, xt(2), 5, -80), r(gw3, 0, xt(3), 5, -95)}, nil, gw2, 0},
		{"best has no xtime", []downlink.Reception{r(gw1, 0, 0, 10, -50), r(gw2, 0, xt(2), 1, -100), r(gw3, 1, xt(3), 3, -100)}, nil, gw3, 1},
		{"best offline", []downlink.Reception{r(gw1, 0, xt(1), 10, -50), r(gw2, 0, xt(2), 1, -100), r(gw3, 1, xt(3), 3, -100)}, []lorawan.EUI64{gw1}, gw3, 1},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, downlink.Options{})
			td := h.addDevice(t, devSpec{eui: eui(byte(0x40 + i))})
			for _, gw := range tc.offline {
				h.sender.setFail(gw, true)
			}
			req := td.classA(t, 5, 868_100_000)
			req.ACK = true
			req.Receptions = tc.rs
			if err := h.sched.ScheduleClassA(context.Background(), req); err != nil {
				t.Fatal(err)
			}
			s := h.sender.next(t)
			var want downlink.Reception
			for _, r := range tc.rs {
				if r.Gateway == tc.want {
					want = r
				}
			}
			if s.gw != tc.want || int64(s.msg.XTime) != want.XTime || derefInt64(s.msg.Rctx) != tc.rctx {
				t.Errorf("sent to %s xtime %d rctx %v, want %s %d %d", s.gw, s.msg.XTime, deref(s.msg.Rctx), tc.want, want.XTime, tc.rctx)
			}
			h.sender.none(t)
		})
	}
	t.Run("all offline", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, downlink.Options{})
		td := h.addDevice(t, devSpec{eui: eui(0x4f)})
		h.sender.setFail(gw1, true)
		h.enqueue(t, td.dev.DevEUI, 1, []byte{1}, false)
		if err := h.sched.ScheduleClassA(context.Background(), td.classA(t, 5, 868_100_000)); err == nil {
			t.Fatal("ScheduleClassA succeeded with every gateway offline")
		}
		if m := h.sched.Metrics(); m.SendFailed != 1 {
			t.Errorf("Metrics.SendFailed %d, want 1", m.SendFailed)
		}
		// The item was not claimed for good: it goes at the next uplink.
		h.sender.setFail(gw1, false)
		if err := h.sched.ScheduleClassA(context.Background(), td.classA(t, 5, 868_100_000)); err != nil {
			t.Fatal(err)
		}
		if got := td.deviceReceive(t, h.sender.next(t).msg.PDU, 0, 0); got.phy.FPort != 1 {
			t.Errorf("fport %d, want the queued item's 1", got.phy.FPort)
		}
	})
}

// Every dnmsg of a process gets its own diid, also under concurrency.
func TestDiidUnique(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	const devices, perDevice = 8, 25
	var tds []testDevice
	for i := range devices {
		tds = append(tds, h.addDevice(t, devSpec{eui: eui(byte(0x50 + i))}))
	}
	var wg sync.WaitGroup
	errs := make(chan error, devices*perDevice)
	for _, td := range tds {
		wg.Go(func() {
			for range perDevice {
				req := td.classA(t, 5, 868_100_000)
				req.ACK = true
				errs <- h.sched.ScheduleClassA(context.Background(), req)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	for range devices * perDevice {
		s := h.sender.next(t)
		if seen[s.msg.Diid] {
			t.Fatalf("diid %d handed out twice", s.msg.Diid)
		}
		if s.msg.Diid <= 0 || s.msg.Diid >= 1<<53 {
			t.Fatalf("diid %d outside 1..2^53", s.msg.Diid)
		}
		seen[s.msg.Diid] = true
	}
	// Another scheduler (a restart) starts elsewhere.
	h2 := newHarnessOn(t, h.db, downlink.Options{})
	req := tds[0].classA(t, 5, 868_100_000)
	req.ACK = true
	if err := h2.sched.ScheduleClassA(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if d := h2.sender.next(t).msg.Diid; seen[d] {
		t.Errorf("restarted scheduler reused diid %d", d)
	}
}

func TestScheduleClassARefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x60)})
	ctx := context.Background()
	cases := []struct {
		name string
		edit func(*downlink.ClassA)
	}{
		{"no region", func(r *downlink.ClassA) { r.Region = nil }},
		{"no reception with xtime", func(r *downlink.ClassA) { r.Receptions[0].XTime = 0 }},
		{"no session", func(r *downlink.ClassA) { r.Session = nil }},
		{"join-accept of bad type", func(r *downlink.ClassA) { r.JoinAccept = []byte{0x40, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12} }},
		{"uplink frequency outside region", func(r *downlink.ClassA) { r.UplinkFreq = 915_000_000 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := td.classA(t, 5, 868_100_000)
			req.ACK = true
			tc.edit(&req)
			err := h.sched.ScheduleClassA(ctx, req)
			if err == nil {
				t.Fatal("accepted")
			}
			h.sender.none(t)
			if s := fmt.Sprint(err); len(s) == 0 {
				t.Error("empty error")
			}
		})
	}
}
