package store_test

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestDownlinkQueue(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := storetest.OpenKEK(t, &store.Options{MaxQueue: 4})
	a, b := otaaDevice(1, "1.0.3"), otaaDevice(2, "1.0.3")
	mustPutDevice(t, db, a)
	mustPutDevice(t, db, b)
	payloads := func(list []store.Downlink) []string {
		var out []string
		for _, d := range list {
			out = append(out, string(d.Payload))
		}
		return out
	}
	var ids []uint64
	for i, p := range []string{"one", "two", "three"} {
		id, err := db.Enqueue(ctx, a.DevEUI, store.Downlink{FPort: uint8(i + 1), Payload: []byte(p), Confirmed: i == 1})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
		// Interleave another device's queue.
		if _, err := db.Enqueue(ctx, b.DevEUI, store.Downlink{FPort: 9, Payload: []byte("b-" + p)}); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids %v not increasing", ids)
	}
	list, err := db.ListDownlinks(ctx, a.DevEUI)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := payloads(list), []string{"one", "two", "three"}; !slices.Equal(got, want) {
		t.Errorf("ListDownlinks = %v, want %v", got, want)
	}
	first, n, err := db.PeekDownlink(ctx, a.DevEUI)
	if err != nil || string(first.Payload) != "one" || n != 3 || first.ID != ids[0] || first.FPort != 1 {
		t.Errorf("PeekDownlink = %q id %d fport %d, %d queued, %v; want \"one\" id %d, 3 queued", first.Payload, first.ID, first.FPort, n, err, ids[0])
	}
	first.Attempts, first.FCnt = 1, 17
	if err := db.UpdateDownlink(ctx, a.DevEUI, first); err != nil {
		t.Fatal(err)
	}
	if p, _, _ := db.PeekDownlink(ctx, a.DevEUI); p.Attempts != 1 || p.FCnt != 17 {
		t.Errorf("after UpdateDownlink: attempts %d fcnt %d, want 1 and 17", p.Attempts, p.FCnt)
	}
	if err := db.DeleteDownlink(ctx, a.DevEUI, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDownlink(ctx, a.DevEUI, ids[0]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteDownlink: %v, want ErrNotFound", err)
	}
	if err := db.UpdateDownlink(ctx, a.DevEUI, first); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateDownlink of a deleted item: %v, want ErrNotFound", err)
	}
	if p, n, _ := db.PeekDownlink(ctx, a.DevEUI); string(p.Payload) != "two" || !p.Confirmed || n != 2 {
		t.Errorf("PeekDownlink after delete = %q confirmed %v (%d queued), want confirmed \"two\" of 2", p.Payload, p.Confirmed, n)
	}
	for _, p := range []string{"four", "five"} {
		if _, err := db.Enqueue(ctx, a.DevEUI, store.Downlink{FPort: 1, Payload: []byte(p)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Enqueue(ctx, a.DevEUI, store.Downlink{FPort: 1, Payload: []byte("six")}); !errors.Is(err, store.ErrQueueFull) {
		t.Errorf("Enqueue beyond MaxQueue: %v, want ErrQueueFull", err)
	}
	list, _ = db.ListDownlinks(ctx, a.DevEUI)
	if got, want := payloads(list), []string{"two", "three", "four", "five"}; !slices.Equal(got, want) {
		t.Errorf("ListDownlinks = %v, want %v", got, want)
	}
	if n, err := db.ClearQueue(ctx, a.DevEUI); err != nil || n != 4 {
		t.Errorf("ClearQueue = %d, %v; want 4", n, err)
	}
	if _, _, err := db.PeekDownlink(ctx, a.DevEUI); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PeekDownlink of an empty queue: %v, want ErrNotFound", err)
	}
	list, _ = db.ListDownlinks(ctx, b.DevEUI)
	if got, want := payloads(list), []string{"b-one", "b-two", "b-three"}; !slices.Equal(got, want) {
		t.Errorf("the other device's queue = %v, want %v", got, want)
	}
}

func TestEnqueueValidation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	d := otaaDevice(1, "1.0.3")
	mustPutDevice(t, db, d)
	tests := []struct {
		name string
		dev  store.Device
		dl   store.Downlink
		want error
	}{
		{"fport 0", d, store.Downlink{FPort: 0}, store.ErrInvalid},
		{"fport 224", d, store.Downlink{FPort: 224}, store.ErrInvalid},
		{"payload 243", d, store.Downlink{FPort: 1, Payload: make([]byte, 243)}, store.ErrInvalid},
		{"unknown device", otaaDevice(2, "1.0.3"), store.Downlink{FPort: 1}, store.ErrNotFound},
		{"payload 242", d, store.Downlink{FPort: 223, Payload: make([]byte, 242)}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := db.Enqueue(ctx, tc.dev.DevEUI, tc.dl)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("Enqueue: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestQueueVersion checks the contract the downlink scheduler relies on to
// skip reading an empty queue: a queue found empty after reading version v
// is known empty while QueueVersion returns v, because every Enqueue moves
// the version before it returns, concurrent readers included.
func TestQueueVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	d := otaaDevice(1, "1.0.3")
	mustPutDevice(t, db, d)
	v0 := db.QueueVersion(d.DevEUI)
	if v := db.QueueVersion(d.DevEUI); v != v0 {
		t.Fatalf("QueueVersion moved from %d to %d with no write", v0, v)
	}
	id, err := db.Enqueue(ctx, d.DevEUI, store.Downlink{FPort: 1, Payload: []byte("x")})
	if err != nil {
		t.Fatal(err)
	}
	v1 := db.QueueVersion(d.DevEUI)
	if v1 <= v0 {
		t.Fatalf("QueueVersion %d after Enqueue, was %d: want it moved forward", v1, v0)
	}
	if err := db.DeleteDownlink(ctx, d.DevEUI, id); err != nil {
		t.Fatal(err)
	}
	if v := db.QueueVersion(d.DevEUI); v < v1 {
		t.Errorf("QueueVersion went back from %d to %d", v1, v)
	}

	// A reader notes the version, then reads the queue, over and over,
	// remembering the last version it read the queue empty at; once an
	// Enqueue has returned, the version must differ from that one.
	var emptyAt atomic.Uint64
	emptyAt.Store(^uint64(0))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			v := db.QueueVersion(d.DevEUI)
			if _, _, err := db.PeekDownlink(ctx, d.DevEUI); errors.Is(err, store.ErrNotFound) {
				emptyAt.Store(v)
			}
		}
	}()
	for range 200 {
		id, err := db.Enqueue(ctx, d.DevEUI, store.Downlink{FPort: 1})
		if err != nil {
			t.Fatal(err)
		}
		if v := db.QueueVersion(d.DevEUI); v == emptyAt.Load() {
			t.Fatalf("queue read empty at version %d, still current after an Enqueue returned", v)
		}
		if err := db.DeleteDownlink(ctx, d.DevEUI, id); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	<-done
}
