package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestDeviceVersion(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name   string
		change func(db *store.DB, d store.Device) error
		moves  bool
	}{
		{"device replaced", func(db *store.DB, d store.Device) error {
			d.Name = "renamed"
			return db.PutDevice(ctx, d)
		}, true},
		{"device rewritten unchanged", func(db *store.DB, d store.Device) error { return db.PutDevice(ctx, d) }, true},
		{"destination changed", func(db *store.DB, d store.Device) error {
			d.Destination = "other"
			return db.PutDevice(ctx, d)
		}, true},
		{"device deleted", func(db *store.DB, d store.Device) error { return db.DeleteDevice(ctx, d.DevEUI) }, true},
		{"kek rotated", func(db *store.DB, _ store.Device) error {
			k, err := store.NewKEK()
			if err != nil {
				return err
			}
			return db.RotateKEK(k)
		}, true},
		{"frame counter advanced", func(db *store.DB, d store.Device) error { return db.AdvanceFCntUp(ctx, d.DevEUI, 7) }, false},
		{"session updated", func(db *store.DB, d store.Device) error {
			return db.UpdateSession(ctx, d.DevEUI, func(s *store.Session) error { s.RxDelay = 2; return nil })
		}, false},
		{"destination record written", func(db *store.DB, _ store.Device) error {
			return db.PutDestination(ctx, store.Destination{Name: "other", Kind: store.KindMQTT, MQTTTopic: "changed"})
		}, false},
		{"invalid device refused", func(db *store.DB, d store.Device) error {
			d.Class = "B"
			if err := db.PutDevice(ctx, d); !errors.Is(err, store.ErrInvalid) {
				return fmt.Errorf("PutDevice of class B: %v, want ErrInvalid", err)
			}
			return nil
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			db, other := storetest.Open(t), storetest.Open(t)
			for _, name := range []string{"app", "other"} {
				if err := db.PutDestination(ctx, store.Destination{Name: name, Kind: store.KindMQTT, MQTTTopic: name}); err != nil {
					t.Fatal(err)
				}
			}
			d := otaaDevice(1, "1.0.3")
			d.Destination = "app"
			mustPutDevice(t, db, d)
			mustPutSession(t, db, session(1, lorawan.DevAddr{1, 2, 3, 4}, lorawan.MACVersion1_0))
			before, otherBefore := db.DeviceVersion(d.DevEUI), other.DeviceVersion(d.DevEUI)
			if err := tc.change(db, d); err != nil {
				t.Fatal(err)
			}
			after := db.DeviceVersion(d.DevEUI)
			if moved := after != before; moved != tc.moves {
				t.Errorf("version %d, then %d: moved = %v, want %v", before, after, moved, tc.moves)
			}
			if after < before {
				t.Errorf("version went back from %d to %d", before, after)
			}
			if got := other.DeviceVersion(d.DevEUI); got != otherBefore {
				t.Errorf("another store's version moved from %d to %d", otherBefore, got)
			}
		})
	}
}

func TestGetDeviceInfo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	otaa := otaaDevice(2, "1.1")
	abp := otaaDevice(3, "1.0.3")
	abp.RootKeys = store.RootKeys{}
	abp.ABP, abp.DevAddr, abp.ABPKeys = true, lorawan.DevAddr{2, 0, 0, 3}, store.SessionKeys10(testKey("abp nwk"), testKey("abp app"))
	for _, d := range []store.Device{otaa, abp} {
		mustPutDevice(t, db, d)
	}
	tests := []struct {
		name string
		eui  lorawan.EUI64
	}{
		{"otaa", otaa.DevEUI},
		{"abp", abp.DevEUI},
		{"unknown", eui(99)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := db.GetDeviceInfo(ctx, tc.eui)
			full, ferr := db.GetDevice(ctx, tc.eui)
			if ferr != nil {
				if !errors.Is(err, store.ErrNotFound) || !errors.Is(ferr, store.ErrNotFound) {
					t.Fatalf("GetDeviceInfo: %v, GetDevice: %v; want ErrNotFound from both", err, ferr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.RootKeys != (store.RootKeys{}) || got.ABPKeys != (store.SessionKeys{}) {
				t.Error("GetDeviceInfo returned keys")
			}
			full.RootKeys, full.ABPKeys = store.RootKeys{}, store.SessionKeys{}
			if fmt.Sprint(got) != fmt.Sprint(full) {
				t.Errorf("got %+v, want %+v (GetDevice without keys)", got, full)
			}
		})
	}
}

// TestDeviceVersionCache runs the protocol a cache of devices follows
// (read the version, then the record; keep the copy while the version
// stays) against a writer: no reader ever holds a copy older than the last
// write that had returned when its lookup began. Run it with -race.
func TestDeviceVersionCache(t *testing.T) {
	t.Parallel()
	const (
		writes  = 150
		readers = 4
	)
	ctx := context.Background()
	db := storetest.Open(t)
	d := otaaDevice(5, "1.0.3")
	d.Name = "v0"
	mustPutDevice(t, db, d)
	var done atomic.Int64 // the last write that returned
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, readers)
	for range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var (
				have   bool
				cached store.Device
				ver    uint64
			)
			for {
				select {
				case <-stop:
					return
				default:
				}
				want := done.Load()
				v := db.DeviceVersion(d.DevEUI)
				if !have || v != ver {
					got, err := db.GetDeviceInfo(ctx, d.DevEUI)
					if err != nil {
						errs <- err
						return
					}
					cached, ver, have = got, v, true
				}
				var n int64
				if _, err := fmt.Sscanf(cached.Name, "v%d", &n); err != nil || n < want {
					errs <- fmt.Errorf("served %q after write v%d returned", cached.Name, want)
					return
				}
			}
		}()
	}
	for i := int64(1); i <= writes; i++ {
		d.Name = fmt.Sprintf("v%d", i)
		if err := db.PutDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
		done.Store(i)
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
