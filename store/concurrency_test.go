package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// TestConcurrentWriters runs counter advances, downlink counters, DevNonce
// checks, device writes and queue writes from many goroutines at once and
// checks the exact final state.
func TestConcurrentWriters(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	const (
		devices   = 8
		racers    = 4  // goroutines racing on each device's uplink counter
		uplinks   = 40 // counters 1..uplinks
		downs     = 4  // goroutines drawing downlink counters
		downEach  = 25
		newDevs   = 16
		queueEach = 5
		nonceRace = 4
		nonces    = 30
	)
	for n := uint64(0); n < devices; n++ {
		mustPutDevice(t, db, otaaDevice(n, "1.0.3"))
		mustPutSession(t, db, session(n, lorawan.DevAddr{0x26, 0, 1, byte(n)}, lorawan.MACVersion1_0))
	}
	nonceDev := otaaDevice(500, "1.1")
	mustPutDevice(t, db, nonceDev)

	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		accepted = map[lorawan.EUI64][]uint32{}
		downFCnt []uint32
		joinNs   []uint32
		nonceOK  []uint16
	)
	for n := uint64(0); n < devices; n++ {
		for r := 0; r < racers; r++ {
			wg.Go(func() {
				for f := uint32(1); f <= uplinks; f++ {
					err := db.AdvanceFCntUp(ctx, eui(n), f)
					switch {
					case err == nil:
						mu.Lock()
						accepted[eui(n)] = append(accepted[eui(n)], f)
						mu.Unlock()
					case errors.Is(err, store.ErrFCntReplay), errors.Is(err, store.ErrFCntTooOld):
					default:
						t.Errorf("AdvanceFCntUp(%d, %d): %v", n, f, err)
					}
				}
			})
		}
	}
	for g := 0; g < downs; g++ {
		wg.Go(func() {
			for i := 0; i < downEach; i++ {
				f, err := db.NextFCntDown(ctx, eui(0), store.AFCntDown)
				if err != nil {
					t.Errorf("NextFCntDown: %v", err)
					return
				}
				mu.Lock()
				downFCnt = append(downFCnt, f)
				mu.Unlock()
			}
		})
	}
	for g := 0; g < nonceRace; g++ {
		wg.Go(func() {
			for dn := uint16(1); dn <= nonces; dn++ {
				jn, err := db.AcceptDevNonce(ctx, nonceDev.DevEUI, dn)
				switch {
				case err == nil:
					mu.Lock()
					joinNs = append(joinNs, jn)
					nonceOK = append(nonceOK, dn)
					mu.Unlock()
				case errors.Is(err, store.ErrDevNonceNotIncreasing):
				default:
					t.Errorf("AcceptDevNonce(%d): %v", dn, err)
				}
			}
		})
	}
	for i := uint64(0); i < newDevs; i++ {
		wg.Go(func() {
			d := otaaDevice(100+i, "1.0.4")
			if err := db.PutDevice(ctx, d); err != nil {
				t.Errorf("PutDevice: %v", err)
				return
			}
			for q := 0; q < queueEach; q++ {
				if _, err := db.Enqueue(ctx, d.DevEUI, store.Downlink{FPort: 1, Payload: []byte{byte(q)}}); err != nil {
					t.Errorf("Enqueue: %v", err)
				}
			}
		})
	}
	wg.Wait()

	for n := uint64(0); n < devices; n++ {
		s, err := db.GetSession(ctx, eui(n))
		if err != nil {
			t.Fatal(err)
		}
		if s.FCntUp != uplinks {
			t.Errorf("device %d: FCntUp = %d, want %d", n, s.FCntUp, uplinks)
		}
		acc := accepted[eui(n)]
		sorted := slices.Clone(acc)
		slices.Sort(sorted)
		if len(slices.Compact(slices.Clone(sorted))) != len(acc) {
			t.Errorf("device %d: a counter was accepted twice: %v", n, acc)
		}
		if len(acc) == 0 || sorted[len(sorted)-1] != uplinks {
			t.Errorf("device %d: accepted %v, want the last to be %d", n, acc, uplinks)
		}
	}
	slices.Sort(downFCnt)
	want := make([]uint32, downs*downEach)
	for i := range want {
		want[i] = uint32(i)
	}
	if !slices.Equal(downFCnt, want) {
		t.Errorf("downlink counters handed out = %v, want each of 0..%d once", downFCnt, len(want)-1)
	}
	if s, _ := db.GetSession(ctx, eui(0)); s.NFCntDown != downs*downEach {
		t.Errorf("NFCntDown = %d, want %d", s.NFCntDown, downs*downEach)
	}
	// DevNonces: each accepted once, and JoinNonces 1..k each once.
	slices.Sort(joinNs)
	for i, jn := range joinNs {
		if jn != uint32(i+1) {
			t.Fatalf("JoinNonces = %v, want 1..%d", joinNs, len(joinNs))
		}
	}
	sortedNonces := slices.Clone(nonceOK)
	slices.Sort(sortedNonces)
	if len(slices.Compact(sortedNonces)) != len(nonceOK) || sortedNonces[len(sortedNonces)-1] != nonces {
		t.Errorf("accepted DevNonces %v: want distinct, the last %d", nonceOK, nonces)
	}
	list, err := db.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != devices+1+newDevs {
		t.Errorf("ListDevices = %d devices, want %d", len(list), devices+1+newDevs)
	}
	for i := uint64(0); i < newDevs; i++ {
		q, err := db.ListDownlinks(ctx, eui(100+i))
		if err != nil {
			t.Fatal(err)
		}
		var got []byte
		for _, d := range q {
			got = append(got, d.Payload...)
		}
		if fmt.Sprint(got) != fmt.Sprint([]byte{0, 1, 2, 3, 4}) {
			t.Errorf("queue of device %d = %v, want [0 1 2 3 4]", 100+i, got)
		}
	}
}
