package downlink_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"testing"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// The RX1/RX2 fields of the dnmsg per region, for a data downlink and a
// join-accept. Expected values are those of the RP002 regional parameters:
// RX1 offset tables, RX1 channel rules, RX2 defaults, JOIN_ACCEPT_DELAY1.
func TestGoldenRXFields(t *testing.T) {
	type want struct {
		rxDelay int
		rx1DR   int
		rx1Freq uint32
		rx2DR   int
		rx2Freq uint32
	}
	cases := []struct {
		name   string
		spec   devSpec
		join   bool
		upDR   int
		upFreq uint32
		want   want
	}{
		// EU868: RX1 on the uplink frequency, DR = upDR - offset (floor DR0);
		// RX2 869.525 MHz DR0.
		{"EU868 data DR5 offset 0", devSpec{region: "EU868"}, false, 5, 868_100_000,
			want{1, 5, 868_100_000, 0, 869_525_000}},
		{"EU868 data DR5 offset 2 RxDelay 3", devSpec{region: "EU868", offset: 2, delay: 3}, false, 5, 868_300_000,
			want{3, 3, 868_300_000, 0, 869_525_000}},
		{"EU868 data DR1 offset 3 floors at DR0", devSpec{region: "EU868", offset: 3}, false, 1, 867_500_000,
			want{1, 0, 867_500_000, 0, 869_525_000}},
		{"EU868 data session RX2 DR3", devSpec{region: "EU868", rx2DR: 3, rx2Freq: 869_525_000}, false, 5, 868_500_000,
			want{1, 5, 868_500_000, 3, 869_525_000}},
		{"EU868 data session RX2 DR3 default frequency", devSpec{region: "EU868", rx2DR: 3}, false, 5, 868_500_000,
			want{1, 5, 868_500_000, 3, 869_525_000}},
		{"EU868 data session RX2 869.1 MHz DR0", devSpec{region: "EU868", rx2DR: 0, rx2Freq: 869_100_000}, false, 5, 868_500_000,
			want{1, 5, 868_500_000, 0, 869_100_000}},
		{"EU868 join-accept DR0", devSpec{region: "EU868"}, true, 0, 868_100_000,
			want{5, 0, 868_100_000, 0, 869_525_000}},
		// US915 sub-band 2 (channels 8..15 and 65): RX1 on 923.3 MHz + 600
		// kHz × (channel mod 8), DR = 10 + upDR - offset (DR4 → DR13);
		// RX2 923.3 MHz DR8.
		{"US915 SB2 data DR3 ch10", devSpec{region: "US915"}, false, 3, 904_300_000,
			want{1, 13, 924_500_000, 8, 923_300_000}},
		{"US915 SB2 data DR2 ch15 offset 1", devSpec{region: "US915", offset: 1}, false, 2, 905_300_000,
			want{1, 11, 927_500_000, 8, 923_300_000}},
		{"US915 SB2 data DR4 ch65", devSpec{region: "US915"}, false, 4, 904_600_000,
			want{1, 13, 923_900_000, 8, 923_300_000}},
		{"US915 SB2 data session RX2 DR10", devSpec{region: "US915", rx2DR: 10}, false, 3, 904_300_000,
			want{1, 13, 924_500_000, 10, 923_300_000}},
		{"US915 SB2 join-accept DR0 ch8", devSpec{region: "US915"}, true, 0, 903_900_000,
			want{5, 10, 923_300_000, 8, 923_300_000}},
		// AS923-1: RX1 on the uplink frequency, DR = upDR - offset (floor
		// DR0 without downlink dwell time); RX2 923.2 MHz DR2.
		{"AS923-1 data DR5", devSpec{region: "AS923-1"}, false, 5, 923_200_000,
			want{1, 5, 923_200_000, 2, 923_200_000}},
		{"AS923-1 data DR2 offset 2", devSpec{region: "AS923-1", offset: 2}, false, 2, 923_400_000,
			want{1, 0, 923_400_000, 2, 923_200_000}},
		{"AS923-1 join-accept DR2", devSpec{region: "AS923-1"}, true, 2, 923_400_000,
			want{5, 2, 923_400_000, 2, 923_200_000}},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, downlink.Options{Priority: 7})
			tc.spec.eui = lorawan.EUI64{0x00, 0x04, 0xa3, 0x0b, 0, 0, 0, byte(i + 1)}
			td := h.addDevice(t, tc.spec)
			req := td.classA(t, tc.upDR, tc.upFreq)
			req.Receptions[0].Rctx = 1
			req.Receptions[0].XTime = xt(123_456_789)
			if tc.join {
				req.Session, req.Crypto = nil, nil
				req.JoinAccept = joinAccept(t)
			} else {
				req.ACK = true
			}
			if err := h.sched.ScheduleClassA(context.Background(), req); err != nil {
				t.Fatalf("ScheduleClassA: %v", err)
			}
			s := h.sender.next(t)
			m := s.msg
			got := want{m.RxDelay, derefInt(m.RX1DR), derefU32(m.RX1Freq), derefInt(m.RX2DR), derefU32(m.RX2Freq)}
			if got != tc.want {
				t.Errorf("got RxDelay %d RX1 DR%d %d Hz RX2 DR%d %d Hz, want RxDelay %d RX1 DR%d %d Hz RX2 DR%d %d Hz",
					got.rxDelay, got.rx1DR, got.rx1Freq, got.rx2DR, got.rx2Freq,
					tc.want.rxDelay, tc.want.rx1DR, tc.want.rx1Freq, tc.want.rx2DR, tc.want.rx2Freq)
			}
			if m.DC != station.ClassA || m.DevEUI != td.dev.DevEUI || m.Priority != 7 {
				t.Errorf("got dC %d DevEui %s priority %d, want 0 %s 7", m.DC, m.DevEUI, m.Priority, td.dev.DevEUI)
			}
			if m.XTime != station.XTime(xt(123_456_789)) || derefInt64(m.Rctx) != 1 {
				t.Errorf("got xtime %d rctx %v, want the uplink's %d and 1", m.XTime, deref(m.Rctx), xt(123_456_789))
			}
			if m.MuxTime == 0 || m.Diid == 0 {
				t.Errorf("got MuxTime %v diid %d, want both set", m.MuxTime, m.Diid)
			}
			if m.DR != nil || m.Freq != nil {
				t.Errorf("legacy DR/Freq set: %s", s.raw)
			}
			if err := m.Validate(); err != nil {
				t.Errorf("Validate: %v", err)
			}
			if tc.join {
				if hex.EncodeToString(m.PDU) != hex.EncodeToString(req.JoinAccept) {
					t.Errorf("pdu %x, want the join-accept %x", m.PDU, req.JoinAccept)
				}
				deviceJoinAccept(t, m.PDU)
			} else {
				rx := td.deviceReceive(t, m.PDU, 0, 0)
				if !rx.phy.FHDR.FCtrl.ACK {
					t.Error("ACK not set")
				}
			}
			// The JSON keys are Station's.
			var raw map[string]any
			if err := json.Unmarshal(s.raw, &raw); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"msgtype", "DevEui", "dC", "diid", "pdu", "RxDelay", "RX1DR", "RX1Freq", "RX2DR", "RX2Freq", "priority", "xtime", "rctx", "MuxTime"} {
				if _, ok := raw[k]; !ok {
					t.Errorf("dnmsg has no %q: %s", k, s.raw)
				}
			}
		})
	}
}

// deviceJoinAccept decrypts and checks a join-accept as the device does.
func deviceJoinAccept(t *testing.T, pdu []byte) {
	t.Helper()
	if len(pdu) != 17 || pdu[0] != 0x20 {
		t.Fatalf("join-accept %x: want MHDR 0x20 and 16 bytes", pdu)
	}
	rk := lorawan.NewRootKeys10(appKey)
	plain := make([]byte, 16)
	if err := rk.DecryptJoinAccept(plain, pdu[1:], lorawan.JoinReqTypeJoin); err != nil {
		t.Fatal(err)
	}
	msg := append([]byte{pdu[0]}, plain[:12]...)
	mic, err := rk.JoinAcceptMIC(msg, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(mic[:]) != string(plain[12:]) {
		t.Fatalf("join-accept mic %x, want %x", plain[12:], mic)
	}
	var ja lorawan.JoinAcceptPayload
	if err := ja.UnmarshalBinary(plain[:12]); err != nil {
		t.Fatal(err)
	}
	if ja.DevAddr != (lorawan.DevAddr{0x26, 1, 2, 3}) {
		t.Fatalf("join-accept devaddr %s, want 26010203", ja.DevAddr)
	}
}

func derefInt(p *int) int {
	if p == nil {
		return -1
	}
	return *p
}

func derefU32(p *uint32) uint32 {
	if p == nil {
		return 0
	}
	return *p
}

// joinAccept returns a join-accept frame built as the join server does,
// which the device decrypts.
func joinAccept(t *testing.T) []byte {
	t.Helper()
	rk := lorawan.NewRootKeys10(appKey)
	ja := lorawan.JoinAcceptPayload{JoinNonce: 1, NetID: lorawan.NetID{0, 0, 0x13}, DevAddr: lorawan.DevAddr{0x26, 1, 2, 3}, RxDelay: 1}
	msg := []byte{0x20}
	msg, err := ja.AppendBinary(msg)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := rk.AppendJoinAccept(nil, msg, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return frame
}
