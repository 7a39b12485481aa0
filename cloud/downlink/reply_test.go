package downlink_test

import (
	"context"
	"testing"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/lorawan"
)

// TestReplyWithNothingToSay checks ClassA.Reply: an uplink after which the
// device waits for a downlink (ADRACKReq, a repeated RX…SetupAns) gets an
// empty frame, on NFCntDown, with FCtrl.ADR as asked; without Reply an
// uplink with nothing to answer gets nothing.
func TestReplyWithNothingToSay(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for i, tc := range []struct {
		version    string
		reply, adr bool
	}{
		{"1.0.3", true, true},
		{"1.1", true, false},
		{"1.1", false, true},
	} {
		h := newHarness(t, downlink.Options{})
		td := h.addDevice(t, devSpec{eui: eui(0x80 + byte(i)), version: tc.version})
		req := td.classA(t, 5, 868_100_000)
		req.Reply, req.ADR = tc.reply, tc.adr
		if err := h.sched.ScheduleClassA(ctx, req); err != nil {
			t.Fatal(err)
		}
		if !tc.reply {
			h.sender.none(t)
			continue
		}
		got := td.deviceReceive(t, h.sender.next(t).msg.PDU, 0, 0)
		p := got.phy
		if p.MHDR.MType != lorawan.UnconfirmedDataDown || p.FPortPresent || len(p.FHDR.FOpts) != 0 || got.fcnt != 0 {
			t.Errorf("%s: frame %+v fcnt %d, want an empty unconfirmed frame with counter 0", tc.version, p, got.fcnt)
		}
		if fc := p.FHDR.FCtrl; fc.ADR != tc.adr || fc.ACK || fc.FPending {
			t.Errorf("%s: fctrl %+v, want ADR %v only", tc.version, fc, tc.adr)
		}
		s, err := h.db.GetSession(ctx, td.dev.DevEUI)
		if err != nil {
			t.Fatal(err)
		}
		if s.NFCntDown != 1 || s.AFCntDown != 0 {
			t.Errorf("%s: NFCntDown %d AFCntDown %d after the frame, want 1 and 0", tc.version, s.NFCntDown, s.AFCntDown)
		}
	}
}
