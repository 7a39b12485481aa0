package downlink_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// peekCounter counts the scheduler's reads of queue heads.
type peekCounter struct {
	*store.DB
	peeks atomic.Int64
}

func (p *peekCounter) PeekDownlink(ctx context.Context, dev lorawan.EUI64) (store.Downlink, int, error) {
	p.peeks.Add(1)
	return p.DB.PeekDownlink(ctx, dev)
}

// TestEmptyQueueNotReadPerUplink checks that the Class A path reads a
// device's queue only when it may hold something: once found empty, later
// uplinks do not read it again until a queue write, and a downlink queued
// by any path (the scheduler, or the store directly) goes out at the very
// next uplink, never hidden by a stale "empty".
func TestEmptyQueueNotReadPerUplink(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	pc := &peekCounter{DB: db}
	h := &harness{db: db, sender: newRecSender(), events: &recEvents{c: make(chan *route.DownlinkEvent, 64)}}
	s, err := downlink.New(pc, h.sender, downlink.Options{Events: h.events, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h.sched = s
	td := h.addDevice(t, devSpec{eui: eui(0x71)})

	uplink := func() {
		t.Helper()
		if err := s.ScheduleClassA(ctx, td.classA(t, 5, 868_100_000)); err != nil {
			t.Fatal(err)
		}
	}
	uplink()
	h.sender.none(t)
	first := pc.peeks.Load()
	for range 5 {
		uplink()
	}
	h.sender.none(t)
	if got := pc.peeks.Load() - first; got != 0 {
		t.Errorf("%d queue reads for 5 uplinks with an empty queue, want 0", got)
	}

	for _, tc := range []struct {
		name    string
		enqueue func() error
	}{
		{"scheduler", func() error {
			_, err := s.Enqueue(ctx, td.dev.DevEUI, route.Downlink{FPort: 1, PayloadData: []byte("via scheduler")})
			return err
		}},
		{"store", func() error {
			_, err := db.Enqueue(ctx, td.dev.DevEUI, store.Downlink{FPort: 1, Payload: []byte("via store")})
			return err
		}},
	} {
		if err := tc.enqueue(); err != nil {
			t.Fatal(err)
		}
		uplink()
		sent := h.sender.next(t)
		got := td.deviceReceive(t, sent.msg.PDU, 0, 0)
		if want := "via " + tc.name; string(got.payload) != want {
			t.Fatalf("after an enqueue through the %s: payload %q, want %q", tc.name, got.payload, want)
		}
		h.dntxed(sent) // on air: the unconfirmed item leaves the queue
		if q := h.queue(t, td.dev.DevEUI); len(q) != 0 {
			t.Fatalf("queue %+v after the dntxed, want empty", q)
		}
		uplink()
		h.sender.none(t)
	}
	before := pc.peeks.Load()
	for range 3 {
		uplink()
	}
	if got := pc.peeks.Load() - before; got != 0 {
		t.Errorf("%d queue reads for 3 uplinks once the queue emptied again, want 0", got)
	}
}
