package store_test

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// BenchmarkAdvanceFCntUp advances uplink counters from many goroutines, each
// on its own device, as concurrent uplinks do. "group" is the default group
// commit (bbolt Batch: callers share a transaction and its fsync); "solo"
// sets MaxBatchSize 1, so each call commits and syncs alone. Compare ops/s.
// "serial" is one caller alone, whose latency includes MaxBatchDelay.
func BenchmarkAdvanceFCntUp(b *testing.B) {
	for _, bc := range []struct {
		name        string
		opts        *store.Options
		parallelism int
	}{
		{"group", nil, 32},
		{"solo", &store.Options{MaxBatchSize: 1}, 32},
		{"serial", nil, 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			parallelism := max(bc.parallelism, 1)
			ctx := context.Background()
			db, _, _ := storetest.OpenKEK(b, bc.opts)
			workers := parallelism * runtime.GOMAXPROCS(0)
			for n := 0; n < workers; n++ {
				mustPutDevice(b, db, otaaDevice(uint64(n), "1.0.3"))
				mustPutSession(b, db, session(uint64(n), lorawan.DevAddr{0x26, 0, byte(n >> 8), byte(n)}, lorawan.MACVersion1_0))
			}
			if bc.parallelism == 0 {
				b.ResetTimer()
				for f := uint32(0); b.Loop(); f++ {
					if err := db.AdvanceFCntUp(ctx, eui(0), f); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
				return
			}
			var next atomic.Uint64
			b.SetParallelism(parallelism)
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				dev := eui(next.Add(1) - 1)
				fcnt := uint32(0)
				for pb.Next() {
					if err := db.AdvanceFCntUp(ctx, dev, fcnt); err != nil {
						b.Errorf("AdvanceFCntUp: %v", err)
						return
					}
					fcnt++
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

// BenchmarkSessionsByDevAddr measures the uplink's candidate lookup (index
// scan, decode, unseal) with two devices sharing the address.
func BenchmarkSessionsByDevAddr(b *testing.B) {
	ctx := context.Background()
	db := storetest.Open(b)
	addr := lorawan.DevAddr{0x26, 1, 2, 3}
	for n := uint64(0); n < 2; n++ {
		mustPutDevice(b, db, otaaDevice(n, "1.0.3"))
		mustPutSession(b, db, session(n, addr, lorawan.MACVersion1_0))
	}
	b.ReportAllocs()
	for b.Loop() {
		got, err := db.SessionsByDevAddr(ctx, addr)
		if err != nil || len(got) != 2 {
			b.Fatalf("SessionsByDevAddr = %d, %v", len(got), err)
		}
	}
}
