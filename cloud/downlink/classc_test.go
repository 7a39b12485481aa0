package downlink_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// Enqueue for a Class C device sends at once on RX2 parameters through the
// gateway that heard the device last; the next item follows the dntxed of
// the previous one.
func TestClassCImmediate(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x80), class: store.ClassC, region: "US915"})

	// Not heard since the start: the item waits.
	h.enqueue(t, td.dev.DevEUI, 1, []byte("first"), false)
	h.sender.none(t)

	// Two copies of one uplink (the better one is kept), then a later
	// uplink heard only by gw3, which wins although weaker.
	t0 := time.Now()
	h.sched.NoteUplink(td.dev.DevEUI, downlink.Reception{Gateway: gw1, Rctx: 0, SNR: 2, RSSI: -100, ReceivedAt: t0})
	h.sched.NoteUplink(td.dev.DevEUI, downlink.Reception{Gateway: gw2, Rctx: 1, SNR: 9, RSSI: -90, ReceivedAt: t0.Add(50 * time.Millisecond)})
	h.sched.NoteUplink(td.dev.DevEUI, downlink.Reception{Gateway: gw1, Rctx: 0, SNR: 1, RSSI: -110, ReceivedAt: t0.Add(100 * time.Millisecond)})
	h.enqueue(t, td.dev.DevEUI, 2, []byte("second"), false)
	s := h.sender.next(t)
	if s.gw != gw2 || derefInt64(s.msg.Rctx) != 1 {
		t.Errorf("sent to %s rctx %v, want %s 1", s.gw, deref(s.msg.Rctx), gw2)
	}
	m := s.msg
	if m.DC != station.ClassC || m.XTime != 0 || m.RX1DR != nil || m.RX1Freq != nil ||
		derefInt(m.RX2DR) != 8 || derefU32(m.RX2Freq) != 923_300_000 {
		t.Errorf("class C dnmsg %s: want dC 2, no xtime, no RX1, RX2 DR8 923.3 MHz", s.raw)
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	got := td.deviceReceive(t, m.PDU, 0, 0)
	if got.phy.FPort != 1 || !bytes.Equal(got.payload, []byte("first")) || !got.phy.FHDR.FCtrl.FPending {
		t.Errorf("fport %d payload %q fpending %v, want the head (1, first) with FPending", got.phy.FPort, got.payload, got.phy.FHDR.FCtrl.FPending)
	}
	// While it is on its way, a third item does not go.
	h.sched.NoteUplink(td.dev.DevEUI, downlink.Reception{Gateway: gw3, Rctx: 0, SNR: -5, RSSI: -120, ReceivedAt: t0.Add(5 * time.Second)})
	h.enqueue(t, td.dev.DevEUI, 3, []byte("third"), false)
	h.sender.none(t)

	h.dntxed(s)
	if ev := h.events.next(t); ev.Event != route.EventDownlinkSent || ev.FPort != 1 {
		t.Errorf("event %+v, want downlink_sent of fport 1", *ev)
	}
	s = h.sender.next(t)
	if s.gw != gw3 {
		t.Errorf("next item sent to %s, want the latest gateway %s", s.gw, gw3)
	}
	got = td.deviceReceive(t, s.msg.PDU, got.fcnt, 0)
	if got.phy.FPort != 2 || !got.phy.FHDR.FCtrl.FPending {
		t.Errorf("fport %d fpending %v, want 2 with FPending", got.phy.FPort, got.phy.FHDR.FCtrl.FPending)
	}
	h.dntxed(s)
	h.events.next(t)
	s = h.sender.next(t)
	got = td.deviceReceive(t, s.msg.PDU, got.fcnt, 0)
	if got.phy.FPort != 3 || got.phy.FHDR.FCtrl.FPending {
		t.Errorf("fport %d fpending %v, want 3 without FPending", got.phy.FPort, got.phy.FHDR.FCtrl.FPending)
	}
	h.dntxed(s)
	h.events.next(t)
	h.sender.none(t)
	if q := h.queue(t, td.dev.DevEUI); len(q) != 0 {
		t.Errorf("queue holds %d, want 0", len(q))
	}
}

// A confirmed Class C downlink holds the queue until the next uplink; a
// Class A device's Enqueue sends nothing.
func TestClassCConfirmedWaitsForUplink(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	tc := h.addDevice(t, devSpec{eui: eui(0x81), class: store.ClassC})
	ta := h.addDevice(t, devSpec{eui: eui(0x82)})
	ctx := context.Background()
	for _, td := range []testDevice{tc, ta} {
		h.sched.NoteUplink(td.dev.DevEUI, downlink.Reception{Gateway: gw1, ReceivedAt: time.Now()})
	}
	h.enqueue(t, ta.dev.DevEUI, 1, []byte("a"), false)
	h.sender.none(t)

	h.enqueue(t, tc.dev.DevEUI, 1, []byte("c1"), true)
	s := h.sender.next(t)
	if derefInt(s.msg.RX2DR) != 0 || derefU32(s.msg.RX2Freq) != 869_525_000 {
		t.Errorf("EU868 class C RX2 DR%d %d Hz, want DR0 869525000", derefInt(s.msg.RX2DR), derefU32(s.msg.RX2Freq))
	}
	h.enqueue(t, tc.dev.DevEUI, 2, []byte("c2"), false)
	h.sender.none(t) // on its way
	h.dntxed(s)
	h.events.next(t)
	h.sender.none(t) // awaiting the ACK

	// The device's uplink acknowledges; the RX1 answer carries the next.
	if err := h.sched.AckReceived(ctx, tc.dev.DevEUI); err != nil {
		t.Fatal(err)
	}
	if ev := h.events.next(t); ev.Event != route.EventDownlinkAck {
		t.Errorf("event %+v, want downlink_ack", *ev)
	}
	if err := h.sched.ScheduleClassA(ctx, tc.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	s = h.sender.next(t)
	if s.msg.DC != station.ClassA {
		t.Errorf("dC %d, want the class A answer", s.msg.DC)
	}
	if got := tc.deviceReceive(t, s.msg.PDU, 0, 0); got.phy.FPort != 2 {
		t.Errorf("fport %d, want 2", got.phy.FPort)
	}
}

// The queue is the store's: what was queued survives a restart of the
// store and the scheduler.
func TestQueuePersistsAcrossReopen(t *testing.T) {
	t.Parallel()
	db, path, kek := storetest.OpenKEK(t, nil)
	h := newHarnessOn(t, db, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x90)})
	id := h.enqueue(t, td.dev.DevEUI, 7, []byte("kept"), true)
	h.sched.Close()
	storetest.Close(t, db)

	db2, err := store.Open(path, kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storetest.Close(t, db2) })
	h2 := newHarnessOn(t, db2, downlink.Options{})
	l, err := h2.sched.ListDownlinks(context.Background(), td.dev.DevEUI)
	if err != nil {
		t.Fatal(err)
	}
	if len(l) != 1 || l[0].ID != id || !l[0].Confirmed || string(l[0].Payload) != "kept" {
		t.Fatalf("queue after reopen %+v, want item %d", l, id)
	}
	if err := h2.sched.ScheduleClassA(context.Background(), td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	got := td.deviceReceive(t, h2.sender.next(t).msg.PDU, 0, 0)
	if got.phy.FPort != 7 || string(got.payload) != "kept" {
		t.Errorf("fport %d payload %q, want 7 kept", got.phy.FPort, got.payload)
	}
}

func TestEnqueueRefusals(t *testing.T) {
	t.Parallel()
	db, _, _ := storetest.OpenKEK(t, &store.Options{MaxQueue: 1})
	h := newHarnessOn(t, db, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x91)})
	ctx := context.Background()
	cases := []struct {
		name string
		dev  [8]byte
		d    route.Downlink
		want error
	}{
		{"unknown device", eui(0x92), route.Downlink{FPort: 1}, store.ErrNotFound},
		{"fport 0", td.dev.DevEUI, route.Downlink{FPort: 0}, store.ErrInvalid},
		// EU868's largest downlink FRMPayload is 242 bytes (DR4-DR7, M 250).
		{"larger than any eu868 data rate carries", td.dev.DevEUI, route.Downlink{FPort: 1, PayloadData: make([]byte, 243)}, store.ErrInvalid},
		{"fits", td.dev.DevEUI, route.Downlink{FPort: 1, PayloadData: make([]byte, 242)}, nil},
		{"queue full", td.dev.DevEUI, route.Downlink{FPort: 1}, store.ErrQueueFull},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := h.sched.Enqueue(ctx, tc.dev, tc.d)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Enqueue: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestEnqueueSizeLimitPerRegion: the largest payload a region's downlinks
// can carry (RP002-1.0.4's N at its fastest downlink data rate, dwell time
// included) is accepted; one byte more is refused with the limit named.
func TestEnqueueSizeLimitPerRegion(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	ctx := context.Background()
	for i, tc := range []struct {
		region string
		max    int
	}{
		{"EU868", 242},   // DR4-DR7: M 250
		{"US915", 242},   // DR10-DR13: M 250
		{"AS923-1", 242}, // DR5-DR7 with downlink dwell time: M 250
		{"KR920", 242},   // DR4-DR5: M 250
		{"AU915", 242},   // DR8-DR13 with downlink dwell time
	} {
		t.Run(tc.region, func(t *testing.T) {
			td := h.addDevice(t, devSpec{eui: eui(0xa0 + byte(i)), region: tc.region})
			_, err := h.sched.Enqueue(ctx, td.dev.DevEUI, route.Downlink{FPort: 1, PayloadData: make([]byte, tc.max+1)})
			if !errors.Is(err, store.ErrInvalid) || !strings.Contains(err.Error(), fmt.Sprintf("at most %d", tc.max)) {
				t.Errorf("Enqueue of %d bytes: %v, want ErrInvalid naming %d", tc.max+1, err, tc.max)
			}
			if _, err := h.sched.Enqueue(ctx, td.dev.DevEUI, route.Downlink{FPort: 1, PayloadData: make([]byte, tc.max)}); err != nil {
				t.Errorf("Enqueue of %d bytes: %v", tc.max, err)
			}
		})
	}
}
