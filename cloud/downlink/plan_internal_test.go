package downlink

import (
	"bytes"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

func TestFitMAC(t *testing.T) {
	// LinkADRReq (5), DevStatusReq (1), NewChannelReq (6), then an
	// unknown CID 0x42.
	mac := []byte{0x03, 0x50, 0xff, 0x00, 0x01, 0x06, 0x07, 0x03, 0x18, 0x4f, 0x84, 0x50, 0x42, 0x00}
	cases := []struct {
		limit int
		want  int
	}{
		{0, 0}, {4, 0}, {5, 5}, {6, 6}, {11, 6}, {12, 12}, {100, 12},
	}
	for _, tc := range cases {
		if got := fitMAC(mac, tc.limit); !bytes.Equal(got, mac[:tc.want]) {
			t.Errorf("fitMAC(limit %d) = %x, want %x", tc.limit, got, mac[:tc.want])
		}
	}
}

func TestMakePlan(t *testing.T) {
	head := &store.Downlink{ID: 1, FPort: 2, Payload: make([]byte, 40)}
	long := bytes.Repeat([]byte{0x06}, 20) // 20 × DevStatusReq
	cases := []struct {
		name       string
		mac        []byte
		head       *store.Downlink
		headQueued bool
		queued     int
		maxM       int
		wantApp    bool
		wantFOpts  int
		wantPort0  int
		wantCut    int
		wantFPend  bool
		wantEmpty  bool
	}{
		{"nothing", nil, nil, false, 0, 59, false, 0, 0, 0, false, true},
		{"head fits", nil, head, true, 1, 59, true, 0, 0, 0, false, false},
		{"head fits exactly", nil, head, true, 2, 7 + 1 + 40, true, 0, 0, 0, true, false},
		{"head one byte too long", nil, head, true, 1, 7 + 40, false, 0, 0, 0, true, true},
		{"head in flight", []byte{0x06}, nil, true, 1, 59, false, 1, 0, 0, false, false},
		{"head in flight, more queued", nil, nil, true, 3, 59, false, 0, 0, 0, true, true},
		{"long mac on port 0, head waits", long, head, true, 1, 59, false, 0, 20, 0, true, false},
		{"long mac cut to maxM", long, nil, false, 0, 7 + 1 + 16, false, 0, 16, 4, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := makePlan(false, false, tc.mac, tc.head, tc.headQueued, tc.queued, tc.maxM)
			if (p.app != nil) != tc.wantApp || len(p.fopts) != tc.wantFOpts || len(p.port0) != tc.wantPort0 ||
				p.cut != tc.wantCut || p.fpending != tc.wantFPend || p.empty() != tc.wantEmpty {
				t.Errorf("plan app %v fopts %d port0 %d cut %d fpending %v empty %v, want %v %d %d %d %v %v",
					p.app != nil, len(p.fopts), len(p.port0), p.cut, p.fpending, p.empty(),
					tc.wantApp, tc.wantFOpts, tc.wantPort0, tc.wantCut, tc.wantFPend, tc.wantEmpty)
			}
		})
	}
}

func TestRankByMargin(t *testing.T) {
	eu, err := lorawan.RegionByName("EU868")
	if err != nil {
		t.Fatal(err)
	}
	// At SF12 (DR0) the floor is -20 dB: margins 10 and 12.5.
	a := Reception{Gateway: lorawan.EUI64{1}, XTime: 1<<48 | 1, SNR: -10, RSSI: -100}
	b := Reception{Gateway: lorawan.EUI64{2}, XTime: 1<<48 | 2, SNR: -7.5, RSSI: -120}
	if got := margin(a, eu); got != 10 {
		t.Errorf("margin at DR0 SNR -10: %v, want 10", got)
	}
	b.DR = 5 // ignored: every copy has the uplink's rate
	r := rank([]Reception{a, b}, eu, 0)
	if r[0].Gateway != b.Gateway || r[0].DR != 0 {
		t.Errorf("best %v DR%d, want %v DR0", r[0].Gateway, r[0].DR, b.Gateway)
	}
	if got := snrFloor(7); got != -7.5 {
		t.Errorf("snrFloor(7) = %v, want -7.5", got)
	}
}
