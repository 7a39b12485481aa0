package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestAcceptDevNonce(t *testing.T) {
	t.Parallel()
	type step struct {
		nonce         uint16
		want          error
		wantJoinNonce uint32
	}
	tests := []struct {
		name    string
		mac     string
		history int
		steps   []step
	}{
		{"1.0.3 random nonces", "1.0.3", 0, []step{
			{500, nil, 1}, {7, nil, 2}, {500, store.ErrDevNonceReused, 0}, {65535, nil, 3}, {7, store.ErrDevNonceReused, 0}, {0, nil, 4},
		}},
		{"1.0.2 history of 2 forgets", "1.0.2", 2, []step{
			{1, nil, 1}, {2, nil, 2}, {1, store.ErrDevNonceReused, 0}, {3, nil, 3}, {1, nil, 4}, {3, store.ErrDevNonceReused, 0},
		}},
		{"1.1 increasing", "1.1", 0, []step{
			{0, nil, 1}, {1, nil, 2}, {1, store.ErrDevNonceNotIncreasing, 0}, {0, store.ErrDevNonceNotIncreasing, 0}, {10, nil, 3}, {9, store.ErrDevNonceNotIncreasing, 0}, {11, nil, 4},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db, _, _ := storetest.OpenKEK(t, &store.Options{DevNonceHistory: tc.history})
			d := otaaDevice(1, tc.mac)
			mustPutDevice(t, db, d)
			for i, st := range tc.steps {
				jn, err := db.AcceptDevNonce(ctx, d.DevEUI, st.nonce)
				if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
					t.Fatalf("step %d: AcceptDevNonce(%d) = %v, want %v", i, st.nonce, err, st.want)
				}
				if jn != st.wantJoinNonce {
					t.Fatalf("step %d: JoinNonce = %d, want %d", i, jn, st.wantJoinNonce)
				}
			}
		})
	}
}

func TestAcceptDevNonceDefaultHistory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	d := otaaDevice(1, "1.0.3")
	mustPutDevice(t, db, d)
	// The default keeps at least the last 100 nonces (256).
	for n := uint16(1000); n < 1256; n++ {
		if _, err := db.AcceptDevNonce(ctx, d.DevEUI, n); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.AcceptDevNonce(ctx, d.DevEUI, 1000); !errors.Is(err, store.ErrDevNonceReused) {
		t.Errorf("the oldest of 256 nonces: %v, want ErrDevNonceReused", err)
	}
	if _, err := db.AcceptDevNonce(ctx, d.DevEUI, 1256); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptDevNonce(ctx, d.DevEUI, 1000); err != nil {
		t.Errorf("a nonce 257 joins back: %v, want accepted", err)
	}
}

func TestAcceptDevNoncePersists(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, kek := storetest.OpenKEK(t, nil)
	d := otaaDevice(1, "1.1")
	mustPutDevice(t, db, d)
	if _, err := db.AcceptDevNonce(ctx, d.DevEUI, 5); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := store.Open(path, kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer storetest.Close(t, db2)
	if _, err := db2.AcceptDevNonce(ctx, d.DevEUI, 5); !errors.Is(err, store.ErrDevNonceNotIncreasing) {
		t.Errorf("after reopen, AcceptDevNonce(5) = %v, want ErrDevNonceNotIncreasing", err)
	}
	if jn, err := db2.AcceptDevNonce(ctx, d.DevEUI, 6); err != nil || jn != 2 {
		t.Errorf("after reopen, AcceptDevNonce(6) = %d, %v; want JoinNonce 2", jn, err)
	}
	if _, err := db2.AcceptDevNonce(ctx, eui(77), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AcceptDevNonce for an unknown device: %v, want ErrNotFound", err)
	}
}

func TestAcceptRejoin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	d := otaaDevice(1, "1.1")
	mustPutDevice(t, db, d)
	if _, err := db.AcceptRejoin(ctx, d.DevEUI, 0, 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("rejoin type 0 without a session: %v, want ErrNotFound", err)
	}
	mustPutSession(t, db, session(1, lorawan.DevAddr{0x26, 0, 0, 1}, lorawan.MACVersion1_1))
	steps := []struct {
		typ   uint8
		count uint16
		want  error
		jn    uint32
	}{
		{0, 0, nil, 1},
		{2, 0, store.ErrRejoinCountReused, 0},
		{2, 1, nil, 2},
		{1, 0, nil, 3}, // RJcount1 is its own counter
		{1, 0, store.ErrRejoinCountReused, 0},
		{0, 1, store.ErrRejoinCountReused, 0},
		{1, 5, nil, 4},
		{3, 9, store.ErrInvalid, 0},
	}
	for i, st := range steps {
		jn, err := db.AcceptRejoin(ctx, d.DevEUI, st.typ, st.count)
		if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) || jn != st.jn {
			t.Fatalf("step %d: AcceptRejoin(type %d, %d) = %d, %v; want %d, %v", i, st.typ, st.count, jn, err, st.jn, st.want)
		}
	}
	// A new session starts RJcount0 afresh; JoinNonce goes on.
	mustPutSession(t, db, session(1, lorawan.DevAddr{0x26, 0, 0, 2}, lorawan.MACVersion1_1))
	if jn, err := db.AcceptRejoin(ctx, d.DevEUI, 0, 0); err != nil || jn != 5 {
		t.Errorf("rejoin 0 in a new session = %d, %v; want JoinNonce 5", jn, err)
	}
	if jn, err := db.AcceptDevNonce(ctx, d.DevEUI, 0); err != nil || jn != 6 {
		t.Errorf("join after rejoins = %d, %v; want JoinNonce 6", jn, err)
	}
}
