package downlink_test

import (
	"context"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/station"
)

// dntxed marks an unconfirmed downlink sent: it leaves the queue and a
// downlink_sent event reports it. A dntxed for another diid, gateway or
// device changes nothing.
func TestDntxedConfirmsUnconfirmed(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x70), name: "sensor-70"})
	id := h.enqueue(t, td.dev.DevEUI, 5, []byte{1, 2, 3}, false)
	ctx := context.Background()
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	s := h.sender.next(t)
	got := td.deviceReceive(t, s.msg.PDU, 0, 0)

	// Strangers first.
	for _, m := range []struct {
		gw  [8]byte
		dnt station.Dntxed
	}{
		{s.gw, station.Dntxed{Diid: s.msg.Diid + 1, DevEUI: td.dev.DevEUI}},
		{gw2, station.Dntxed{Diid: s.msg.Diid, DevEUI: td.dev.DevEUI}},
		{s.gw, station.Dntxed{Diid: s.msg.Diid, DevEUI: eui(0x71)}},
	} {
		h.sched.HandleDntxed(ctx, m.gw, &m.dnt)
	}
	h.sched.HandleDntxed(ctx, s.gw, nil)
	if m := h.sched.Metrics(); m.UnknownDntxed != 3 || m.Confirmed != 0 {
		t.Errorf("metrics %+v, want 3 unknown dntxed, none confirmed", m)
	}
	if q := h.queue(t, td.dev.DevEUI); len(q) != 1 {
		t.Fatalf("queue holds %d after stray dntxed, want 1", len(q))
	}

	h.dntxed(s)
	ev := h.events.next(t)
	want := route.DownlinkEvent{Event: route.EventDownlinkSent, WirelessDeviceId: "sensor-70", DevEui: td.dev.DevEUI,
		MessageId: strconv.FormatUint(id, 10), FPort: 5, FCnt: got.fcnt}
	ev.Timestamp = want.Timestamp
	if *ev != want {
		t.Errorf("event %+v, want %+v", *ev, want)
	}
	if q := h.queue(t, td.dev.DevEUI); len(q) != 0 {
		t.Errorf("queue holds %d after dntxed, want 0", len(q))
	}
	// The same dntxed again is a stranger.
	h.dntxed(s)
	if m := h.sched.Metrics(); m.UnknownDntxed != 4 || m.Confirmed != 1 {
		t.Errorf("metrics %+v, want 4 unknown dntxed, 1 confirmed", m)
	}
}

// A downlink with no dntxed by the end of its windows plus TxTimeout is
// reported; its item stays queued, untried, and goes at the next uplink
// with a new counter.
func TestTxTimeoutReported(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{TxTimeout: 20 * time.Millisecond})
	td := h.addDevice(t, devSpec{eui: eui(0x72)})
	id := h.enqueue(t, td.dev.DevEUI, 8, []byte("x"), true)
	ctx := context.Background()
	req := td.classA(t, 5, 868_100_000)
	// The uplink came 2 s ago: RX2 (RxDelay 1 + 1 s) is open now, so only
	// TxTimeout is left.
	req.Receptions[0].ReceivedAt = time.Now().Add(-2 * time.Second)
	if err := h.sched.ScheduleClassA(ctx, req); err != nil {
		t.Fatal(err)
	}
	first := td.deviceReceive(t, h.sender.next(t).msg.PDU, 0, 0)
	ev := h.events.next(t)
	if ev.Event != downlink.EventDownlinkTxTimeout || ev.MessageId != strconv.FormatUint(id, 10) || !ev.Confirmed || ev.FCnt != first.fcnt {
		t.Errorf("event %+v, want %s for item %d fcnt %d", *ev, downlink.EventDownlinkTxTimeout, id, first.fcnt)
	}
	if m := h.sched.Metrics(); m.TxTimeouts != 1 {
		t.Errorf("Metrics.TxTimeouts %d, want 1", m.TxTimeouts)
	}
	q := h.queue(t, td.dev.DevEUI)
	if len(q) != 1 || q[0].Attempts != 0 {
		t.Fatalf("queue %+v, want the item kept with no attempt counted", q)
	}
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	second := td.deviceReceive(t, h.sender.next(t).msg.PDU, first.fcnt, 0)
	if second.phy.FPort != 8 || second.fcnt <= first.fcnt {
		t.Errorf("resent fport %d fcnt %d, want 8 and above %d", second.phy.FPort, second.fcnt, first.fcnt)
	}
}

// A frame without a queue item that times out is only counted.
func TestTxTimeoutWithoutItem(t *testing.T) {
	t.Parallel()
	logs := newLogWatch()
	h := newHarness(t, downlink.Options{TxTimeout: time.Millisecond, Logger: slog.New(logs)})
	td := h.addDevice(t, devSpec{eui: eui(0x73)})
	req := td.classA(t, 5, 868_100_000)
	req.ACK = true
	req.Receptions[0].ReceivedAt = time.Now().Add(-time.Minute)
	if err := h.sched.ScheduleClassA(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	s := h.sender.next(t)
	logs.wait(t, "downlink not confirmed by the gateway in time")
	if m := h.sched.Metrics(); m.TxTimeouts != 1 {
		t.Errorf("Metrics.TxTimeouts %d, want 1", m.TxTimeouts)
	}
	select {
	case ev := <-h.events.c:
		t.Fatalf("event %+v for a frame without queue item", *ev)
	default:
	}
	h.dntxed(s) // too late: a stranger now
	if m := h.sched.Metrics(); m.UnknownDntxed != 1 {
		t.Errorf("Metrics.UnknownDntxed %d, want 1", m.UnknownDntxed)
	}
}

// A confirmed downlink stays queued after each transmission until the
// device ACKs; after MaxAttempts transmissions without ACK it is dropped at
// the next uplink and reported.
func TestConfirmedRetriedThenDropped(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{MaxAttempts: 3})
	td := h.addDevice(t, devSpec{eui: eui(0x74)})
	id := h.enqueue(t, td.dev.DevEUI, 4, []byte("ping"), true)
	h.enqueue(t, td.dev.DevEUI, 6, []byte("next"), false)
	ctx := context.Background()
	var last uint32
	for attempt := 1; attempt <= 3; attempt++ {
		if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
			t.Fatal(err)
		}
		s := h.sender.next(t)
		got := td.deviceReceive(t, s.msg.PDU, last, 0)
		if got.phy.FPort != 4 || got.phy.MHDR.MType.String() != "ConfirmedDataDown" || !got.phy.FHDR.FCtrl.FPending {
			t.Fatalf("attempt %d: fport %d mtype %v fpending %v", attempt, got.phy.FPort, got.phy.MHDR.MType, got.phy.FHDR.FCtrl.FPending)
		}
		if attempt > 1 && got.fcnt <= last {
			t.Errorf("attempt %d: fcnt %d not above %d", attempt, got.fcnt, last)
		}
		last = got.fcnt
		h.dntxed(s)
		ev := h.events.next(t)
		if ev.Event != route.EventDownlinkSent || ev.Attempts != attempt || ev.FCnt != got.fcnt {
			t.Errorf("attempt %d: event %+v", attempt, *ev)
		}
		q := h.queue(t, td.dev.DevEUI)
		if len(q) != 2 || q[0].Attempts != attempt || q[0].FCnt != got.fcnt {
			t.Fatalf("attempt %d: queue %+v, want the item with %d attempts, fcnt %d", attempt, q, attempt, got.fcnt)
		}
	}
	// The next uplink, without ACK: dropped, and the next item goes.
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	ev := h.events.next(t)
	if ev.Event != route.EventDownlinkDropped || ev.MessageId != strconv.FormatUint(id, 10) || ev.Attempts != 3 || ev.FCnt != last || ev.Reason == "" {
		t.Errorf("event %+v, want %s of item %d after 3 attempts", *ev, route.EventDownlinkDropped, id)
	}
	got := td.deviceReceive(t, h.sender.next(t).msg.PDU, last, 0)
	if got.phy.FPort != 6 || got.phy.FHDR.FCtrl.FPending {
		t.Errorf("after the drop: fport %d fpending %v, want 6 false", got.phy.FPort, got.phy.FHDR.FCtrl.FPending)
	}
	if m := h.sched.Metrics(); m.Dropped != 1 {
		t.Errorf("Metrics.Dropped %d, want 1", m.Dropped)
	}
}

// AckReceived removes the transmitted confirmed downlink and reports it; an
// ACK with nothing transmitted changes nothing.
func TestAckReceived(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x75)})
	ctx := context.Background()
	id := h.enqueue(t, td.dev.DevEUI, 10, []byte("c"), true)

	// Not transmitted yet: the ACK is not for it.
	if err := h.sched.AckReceived(ctx, td.dev.DevEUI); err != nil {
		t.Fatal(err)
	}
	if q := h.queue(t, td.dev.DevEUI); len(q) != 1 {
		t.Fatalf("queue holds %d after an early ACK, want 1", len(q))
	}
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	s := h.sender.next(t)
	h.dntxed(s)
	if ev := h.events.next(t); ev.Event != route.EventDownlinkSent {
		t.Fatalf("event %+v, want downlink_sent", *ev)
	}
	if err := h.sched.AckReceived(ctx, td.dev.DevEUI); err != nil {
		t.Fatal(err)
	}
	ev := h.events.next(t)
	if ev.Event != route.EventDownlinkAck || ev.MessageId != strconv.FormatUint(id, 10) || ev.Attempts != 1 {
		t.Errorf("event %+v, want downlink_ack of %d after 1 attempt", *ev, id)
	}
	if q := h.queue(t, td.dev.DevEUI); len(q) != 0 {
		t.Errorf("queue holds %d after the ACK, want 0", len(q))
	}
	// The uplink's answer then has nothing to say.
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	h.sender.none(t)
	if m := h.sched.Metrics(); m.Acked != 1 {
		t.Errorf("Metrics.Acked %d, want 1", m.Acked)
	}
}

// An item on its way (awaiting dntxed) is not sent again by a second
// uplink's answer; FPending still tells about the rest.
func TestInFlightNotResent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, downlink.Options{})
	td := h.addDevice(t, devSpec{eui: eui(0x76)})
	ctx := context.Background()
	h.enqueue(t, td.dev.DevEUI, 1, []byte{1}, false)
	h.enqueue(t, td.dev.DevEUI, 2, []byte{2}, false)
	if err := h.sched.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
		t.Fatal(err)
	}
	first := h.sender.next(t)
	req := td.classA(t, 5, 868_100_000)
	req.ACK = true
	if err := h.sched.ScheduleClassA(ctx, req); err != nil {
		t.Fatal(err)
	}
	got := td.deviceReceive(t, h.sender.next(t).msg.PDU, 0, 0)
	if got.phy.FPortPresent || !got.phy.FHDR.FCtrl.FPending {
		t.Errorf("second answer: fport present %v fpending %v, want no app data and FPending", got.phy.FPortPresent, got.phy.FHDR.FCtrl.FPending)
	}
	h.dntxed(first)
	if q := h.queue(t, td.dev.DevEUI); len(q) != 1 || q[0].FPort != 2 {
		t.Errorf("queue %+v, want only the second item", q)
	}
}
