package join_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// dnCatcher is a gateway endpoint that keeps the last dnmsg.
type dnCatcher struct{ last *station.Dnmsg }

func (c *dnCatcher) Send(_ context.Context, _ lorawan.EUI64, m station.Message) error {
	c.last = m.(*station.Dnmsg)
	return nil
}

// TestRX2AsAnnounced checks that the downlinks of a joined device use, in
// RX2, the data rate its join-accept gave it (DLSettings.RX2DataRate) and
// the region's RX2 frequency, whatever RX2 data rate the network is
// configured with, the region's default included.
func TestRX2AsAnnounced(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct {
		region string
		rx2DR  *uint8
		freq   uint32
	}{
		{"AS923-1", u8(0), 923200000}, // below the region's default DR2
		{"AS923-1", nil, 923200000},
		{"EU868", u8(3), 868100000},
		{"EU868", nil, 868100000},
		{"IN865", u8(0), 865062500},
		{"US915", u8(9), 903900000},
	} {
		e := newEnv(t, join.Options{RX2DR: tc.rx2DR})
		ctx := context.Background()
		d := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 0x20, byte(i)}, "1.0.3", tc.region)
		acc, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d, 1), tc.freq))
		if err != nil {
			t.Fatal(err)
		}
		ja, _ := openJoinAccept(t, d, acc.JoinAccept, lorawan.JoinReqTypeJoin, 1)
		if tc.rx2DR != nil && ja.DLSettings.RX2DataRate != *tc.rx2DR {
			t.Fatalf("%s: join-accept RX2 DR%d, want the configured DR%d", tc.region, ja.DLSettings.RX2DataRate, *tc.rx2DR)
		}
		if err := e.db.ActivatePendingSession(ctx, d.DevEUI, 0, true); err != nil {
			t.Fatal(err)
		}
		sess, err := e.db.GetSession(ctx, d.DevEUI)
		if err != nil {
			t.Fatal(err)
		}
		gw := &dnCatcher{}
		sched, err := downlink.New(e.db, gw, downlink.Options{Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		region, _ := lorawan.RegionByName(tc.region)
		up := downlink.Reception{Gateway: gw1, XTime: int64(station.NewXTime(0, 1, 1000)), SNR: 5, RSSI: -60,
			Freq: tc.freq, DR: 2, ReceivedAt: time.Now()}
		if err := sched.ScheduleClassA(ctx, downlink.ClassA{Device: d, Session: &sess, Region: region,
			Receptions: []downlink.Reception{up}, UplinkDR: 2, UplinkFreq: tc.freq, ACK: true}); err != nil {
			t.Fatal(err)
		}
		sched.Close()
		if gw.last == nil || gw.last.RX2DR == nil || gw.last.RX2Freq == nil {
			t.Fatalf("%s: dnmsg %+v, want one with RX2", tc.region, gw.last)
		}
		if got := *gw.last.RX2DR; got != int(ja.DLSettings.RX2DataRate) {
			t.Errorf("%s (RX2DR option %v): downlink RX2 DR%d, the join-accept announced DR%d", tc.region, deref(tc.rx2DR), got, ja.DLSettings.RX2DataRate)
		}
		if got := *gw.last.RX2Freq; got != region.RX2Frequency() {
			t.Errorf("%s: downlink RX2 %d Hz, want %d", tc.region, got, region.RX2Frequency())
		}
	}
}

func u8(v uint8) *uint8 { return &v }

func deref(p *uint8) any {
	if p == nil {
		return "default"
	}
	return *p
}
