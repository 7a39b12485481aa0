package store_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestSessionRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	mustPutDevice(t, db, otaaDevice(1, "1.1"))
	s := session(1, lorawan.DevAddr{0x26, 0, 0, 1}, lorawan.MACVersion1_1)
	s.CFList = make([]byte, 16)
	s.CFList[0] = 0x18
	s.MACState = []byte(`{"adr":[1,2,3]}`)
	s.RX2Frequency = 869525000
	mustPutSession(t, db, s)
	got, err := db.GetSession(ctx, s.DevEUI)
	if err != nil {
		t.Fatal(err)
	}
	if got.Keys != s.Keys || got.DevAddr != s.DevAddr || got.MACVersion != s.MACVersion || got.Pending ||
		got.RX1DROffset != 1 || got.RX2DR != 3 || got.RxDelay != 1 || got.RX2Frequency != 869525000 ||
		string(got.CFList) != string(s.CFList) || string(got.MACState) != string(s.MACState) || got.CreatedAt.IsZero() {
		t.Errorf("GetSession = %+v, want %+v", got, s)
	}
	if _, err := db.GetPendingSession(ctx, s.DevEUI); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetPendingSession with none: %v, want ErrNotFound", err)
	}
	if err := db.PutSession(ctx, session(2, lorawan.DevAddr{1, 1, 1, 1}, lorawan.MACVersion1_0)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PutSession for an unknown device: %v, want ErrNotFound", err)
	}
	if err := db.DeleteSession(ctx, s.DevEUI); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSession(ctx, s.DevEUI); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteSession: %v, want ErrNotFound", err)
	}
}

func TestSessionsByDevAddr(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	shared := lorawan.DevAddr{0x26, 0x0b, 0, 1}
	other := lorawan.DevAddr{0x26, 0x0b, 0, 2}
	for n := uint64(1); n <= 3; n++ {
		mustPutDevice(t, db, otaaDevice(n, "1.0.3"))
	}
	mustPutSession(t, db, session(1, shared, lorawan.MACVersion1_0))
	mustPutSession(t, db, session(2, shared, lorawan.MACVersion1_0))
	mustPutSession(t, db, session(3, other, lorawan.MACVersion1_0))
	// Device 3 joined again: its pending session shares the address too.
	pending := session(3, shared, lorawan.MACVersion1_0)
	pending.Keys.AppSKey = testKey("pending 3")
	if err := db.PutPendingSession(ctx, pending); err != nil {
		t.Fatal(err)
	}
	type cand struct {
		eui     lorawan.EUI64
		pending bool
	}
	candidates := func(addr lorawan.DevAddr) []cand {
		t.Helper()
		got, err := db.SessionsByDevAddr(ctx, addr)
		if err != nil {
			t.Fatal(err)
		}
		var out []cand
		for _, s := range got {
			if s.DevAddr != addr {
				t.Errorf("candidate %s has DevAddr %s, want %s", s.DevEUI, s.DevAddr, addr)
			}
			if s.Keys == (store.SessionKeys{}) {
				t.Errorf("candidate %s without keys", s.DevEUI)
			}
			out = append(out, cand{s.DevEUI, s.Pending})
		}
		return out
	}
	if got, want := candidates(shared), []cand{{eui(1), false}, {eui(2), false}, {eui(3), true}}; !slices.Equal(got, want) {
		t.Errorf("SessionsByDevAddr(shared) = %v, want %v", got, want)
	}
	if got, want := candidates(other), []cand{{eui(3), false}}; !slices.Equal(got, want) {
		t.Errorf("SessionsByDevAddr(other) = %v, want %v", got, want)
	}
	if got := candidates(lorawan.DevAddr{9, 9, 9, 9}); len(got) != 0 {
		t.Errorf("SessionsByDevAddr(unknown) = %v, want none", got)
	}
	// The first uplink under the pending keys activates it: the old address
	// no longer finds device 3.
	if err := db.ActivatePendingSession(ctx, eui(3), 0, false); err != nil {
		t.Fatal(err)
	}
	if got := candidates(other); len(got) != 0 {
		t.Errorf("after activation, SessionsByDevAddr(other) = %v, want none", got)
	}
	if got, want := candidates(shared), []cand{{eui(1), false}, {eui(2), false}, {eui(3), false}}; !slices.Equal(got, want) {
		t.Errorf("after activation, SessionsByDevAddr(shared) = %v, want %v", got, want)
	}
	act, err := db.GetSession(ctx, eui(3))
	if err != nil {
		t.Fatal(err)
	}
	if act.Keys != pending.Keys || !act.UplinkSeen || act.FCntUp != 0 {
		t.Errorf("activated session: keys moved %v, seen %v, FCntUp %d", act.Keys == pending.Keys, act.UplinkSeen, act.FCntUp)
	}
	if err := db.ActivatePendingSession(ctx, eui(3), 0, false); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second activation: %v, want ErrNotFound", err)
	}
	// Moving device 1 to another address updates the index.
	mustPutSession(t, db, session(1, other, lorawan.MACVersion1_0))
	if got, want := candidates(shared), []cand{{eui(2), false}, {eui(3), false}}; !slices.Equal(got, want) {
		t.Errorf("after a readdress, SessionsByDevAddr(shared) = %v, want %v", got, want)
	}
}

func TestAdvanceFCntUp(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	mustPutDevice(t, db, otaaDevice(1, "1.0.3"))
	mustPutSession(t, db, session(1, lorawan.DevAddr{0x26, 0, 0, 1}, lorawan.MACVersion1_0))
	steps := []struct {
		name      string
		fcnt      uint32
		confirmed bool
		want      error
		wantLast  uint32
	}{
		{"first uplink at 0", 0, false, nil, 0},
		{"replay of 0", 0, false, store.ErrFCntReplay, 0},
		{"next", 1, true, nil, 1},
		{"retransmission", 1, true, store.ErrFCntReplay, 1},
		{"gap", 100, false, nil, 100},
		{"old", 99, false, store.ErrFCntTooOld, 100},
		{"much older", 2, false, store.ErrFCntTooOld, 100},
		{"top of range", 1<<32 - 1, false, nil, 1<<32 - 1},
		{"after the top", 0, false, store.ErrFCntTooOld, 1<<32 - 1},
	}
	for _, st := range steps {
		var err error
		if st.confirmed {
			err = db.AdvanceFCntUpConfirmed(ctx, eui(1), st.fcnt)
		} else {
			err = db.AdvanceFCntUp(ctx, eui(1), st.fcnt)
		}
		if !errors.Is(err, st.want) || (st.want == nil) != (err == nil) {
			t.Fatalf("%s: AdvanceFCntUp(%d) = %v, want %v", st.name, st.fcnt, err, st.want)
		}
		s, err := db.GetSession(ctx, eui(1))
		if err != nil {
			t.Fatal(err)
		}
		if s.FCntUp != st.wantLast || !s.UplinkSeen {
			t.Fatalf("%s: FCntUp = %d (seen %v), want %d", st.name, s.FCntUp, s.UplinkSeen, st.wantLast)
		}
		if st.want == nil && s.ConfirmedUp != st.confirmed {
			t.Errorf("%s: ConfirmedUp = %v, want %v", st.name, s.ConfirmedUp, st.confirmed)
		}
	}
	if err := db.AdvanceFCntUp(ctx, eui(2), 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AdvanceFCntUp without a session: %v, want ErrNotFound", err)
	}
}

func TestAdvanceFCntUpSurvivesReopen(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, kek := storetest.OpenKEK(t, nil)
	mustPutDevice(t, db, otaaDevice(1, "1.0.3"))
	mustPutSession(t, db, session(1, lorawan.DevAddr{0x26, 0, 0, 1}, lorawan.MACVersion1_0))
	if err := db.AdvanceFCntUp(ctx, eui(1), 41); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NextFCntDown(ctx, eui(1), store.NFCntDown); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(path, kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer storetest.Close(t, db2)
	if err := db2.AdvanceFCntUp(ctx, eui(1), 41); !errors.Is(err, store.ErrFCntReplay) {
		t.Errorf("after reopen, AdvanceFCntUp(41) = %v, want ErrFCntReplay", err)
	}
	if got, err := db2.NextFCntDown(ctx, eui(1), store.NFCntDown); err != nil || got != 1 {
		t.Errorf("after reopen, NextFCntDown = %d, %v; want 1", got, err)
	}
}

func TestNextFCntDown(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	mustPutDevice(t, db, otaaDevice(10, "1.0.3"))
	mustPutDevice(t, db, otaaDevice(11, "1.1"))
	mustPutSession(t, db, session(10, lorawan.DevAddr{0x26, 0, 0, 10}, lorawan.MACVersion1_0))
	mustPutSession(t, db, session(11, lorawan.DevAddr{0x26, 0, 0, 11}, lorawan.MACVersion1_1))
	tests := []struct {
		name  string
		dev   lorawan.EUI64
		which []store.DownCounter
		want  []uint32
	}{
		// 1.0.x: one counter shared by network and application downlinks.
		{"1.0 shared", eui(10), []store.DownCounter{store.NFCntDown, store.AFCntDown, store.AFCntDown, store.NFCntDown}, []uint32{0, 1, 2, 3}},
		// 1.1: two independent counters.
		{"1.1 separate", eui(11), []store.DownCounter{store.NFCntDown, store.AFCntDown, store.AFCntDown, store.NFCntDown}, []uint32{0, 0, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []uint32
			for _, w := range tc.which {
				f, err := db.NextFCntDown(ctx, tc.dev, w)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, f)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("NextFCntDown sequence = %v, want %v", got, tc.want)
			}
		})
	}
	// The counter stops before 2^32-1.
	if err := db.UpdateSession(ctx, eui(10), func(s *store.Session) error { s.NFCntDown = 1<<32 - 2; return nil }); err != nil {
		t.Fatal(err)
	}
	if f, err := db.NextFCntDown(ctx, eui(10), store.NFCntDown); err != nil || f != 1<<32-2 {
		t.Errorf("NextFCntDown at the top = %d, %v", f, err)
	}
	if _, err := db.NextFCntDown(ctx, eui(10), store.NFCntDown); !errors.Is(err, store.ErrFCntExhausted) {
		t.Errorf("NextFCntDown past the top: %v, want ErrFCntExhausted", err)
	}
}

func TestUpdateSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	mustPutDevice(t, db, otaaDevice(1, "1.0.3"))
	mustPutSession(t, db, session(1, lorawan.DevAddr{0x26, 0, 0, 1}, lorawan.MACVersion1_0))
	if err := db.UpdateSession(ctx, eui(1), func(s *store.Session) error {
		s.RX2DR, s.MACState = 8, []byte("adr")
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	s, _ := db.GetSession(ctx, eui(1))
	if s.RX2DR != 8 || string(s.MACState) != "adr" {
		t.Errorf("after UpdateSession: RX2DR %d MACState %q", s.RX2DR, s.MACState)
	}
	refusal := errors.New("no")
	if err := db.UpdateSession(ctx, eui(1), func(s *store.Session) error { s.RX2DR = 1; return refusal }); !errors.Is(err, refusal) {
		t.Errorf("UpdateSession with a failing fn: %v, want its error", err)
	}
	if err := db.UpdateSession(ctx, eui(1), func(s *store.Session) error { s.RxDelay = 16; return nil }); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("UpdateSession to an invalid session: %v, want ErrInvalid", err)
	}
	if s, _ := db.GetSession(ctx, eui(1)); s.RX2DR != 8 || s.RxDelay != 1 {
		t.Errorf("refused updates were written: RX2DR %d RxDelay %d", s.RX2DR, s.RxDelay)
	}
	if err := db.UpdateSession(ctx, eui(2), func(*store.Session) error { return nil }); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateSession without a session: %v, want ErrNotFound", err)
	}
}

// TestConfirmedDownlinkCounters checks that a confirmed downlink's counter
// is recorded with its advance (LastConfFCntDown, the previous one kept),
// durably, that other downlinks leave them, and that a new session starts
// without them.
func TestConfirmedDownlinkCounters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, kek := storetest.OpenKEK(t, nil)
	for _, tc := range []struct {
		n       uint64
		version lorawan.MACVersion
		// the counters handed out for: AFCntDown, AFCntDownConfirmed,
		// NFCntDown, AFCntDownConfirmed
		want []uint32
	}{
		{20, lorawan.MACVersion1_1, []uint32{0, 1, 0, 2}},
		{21, lorawan.MACVersion1_0, []uint32{0, 1, 2, 3}},
	} {
		mustPutDevice(t, db, otaaDevice(tc.n, "1.1"))
		mustPutSession(t, db, session(tc.n, lorawan.DevAddr{0x26, 0, 0, byte(tc.n)}, tc.version))
		var got []uint32
		for _, w := range []store.DownCounter{store.AFCntDown, store.AFCntDownConfirmed, store.NFCntDown, store.AFCntDownConfirmed} {
			f, err := db.NextFCntDown(ctx, eui(tc.n), w)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, f)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: counters %v, want %v", tc.version, got, tc.want)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(path, kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer storetest.Close(t, db2)
	for n, want := range map[uint64][2]uint32{20: {2, 1}, 21: {3, 1}} {
		s, err := db2.GetSession(ctx, eui(n))
		if err != nil {
			t.Fatal(err)
		}
		if got := [2]uint32{s.LastConfFCntDown, s.PrevConfFCntDown}; got != want {
			t.Errorf("device %d after reopen: last, previous confirmed %v, want %v", n, got, want)
		}
	}
	// A join's new session has none.
	mustPutSession(t, db2, session(20, lorawan.DevAddr{0x26, 0, 0, 99}, lorawan.MACVersion1_1))
	if s, _ := db2.GetSession(ctx, eui(20)); s.LastConfFCntDown != 0 || s.PrevConfFCntDown != 0 {
		t.Errorf("new session: confirmed counters %d, %d, want none", s.LastConfFCntDown, s.PrevConfFCntDown)
	}
}
