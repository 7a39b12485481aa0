package storetest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// recorder is a testing.TB that records failures and cleanups instead of
// acting on them, so the helper's own failures can be observed.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	errs     []string
	cleanups []func()
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	r.TB.FailNow()
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }
func (r *recorder) runCleanups() {
	for i := len(r.cleanups) - 1; i >= 0; i-- {
		r.cleanups[i]()
	}
}

func TestOpenCleanupPassesForAGoodStore(t *testing.T) {
	t.Parallel()
	rec := &recorder{TB: t}
	db := storetest.Open(rec)
	d := store.Device{DevEUI: lorawan.EUI64{0x70, 1}, MACVersion: "1.0.3", Class: "A", Region: "EU868", RootKeys: store.RootKeys{AppKey: lorawan.AES128Key{1}}}
	if err := db.PutDevice(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	rec.runCleanups()
	if len(rec.errs) != 0 {
		t.Errorf("cleanup of a good store failed the test: %v", rec.errs)
	}
	if _, err := db.GetDevice(context.Background(), d.DevEUI); err == nil {
		t.Error("the store is still open after cleanup")
	}
}

// TestCloseReportsOrphans plants a session without its device behind the
// store's back: Close must fail the test.
func TestCloseReportsOrphans(t *testing.T) {
	t.Parallel()
	db, path, kek := storetest.OpenKEK(t, nil)
	db.Close()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("devnonces")).Put([]byte{0x70, 9, 9, 9, 9, 9, 9, 9}, []byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})
	})
	bdb.Close()
	if err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(path, kek, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{TB: t}
	storetest.Close(rec, db2)
	if len(rec.errs) == 0 || !strings.Contains(strings.Join(rec.errs, "\n"), "without its device") {
		t.Errorf("Close of a store with an orphan reported %v, want the orphan", rec.errs)
	}
}

// TestCheckFileReportsDamage overwrites the file's data pages: the bbolt
// check must report it.
func TestCheckFileReportsDamage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, _ := storetest.OpenKEK(t, nil)
	for i := range 50 {
		d := store.Device{DevEUI: lorawan.EUI64{0x70, byte(i)}, MACVersion: "1.0.3", Class: "A", Region: "EU868", RootKeys: store.RootKeys{AppKey: lorawan.AES128Key{1}}}
		if err := db.PutDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	if err := storetest.CheckFile(path); err != nil {
		t.Fatalf("CheckFile of an intact file: %v", err)
	}
	// Damage a copy: the cleanup of OpenKEK checks the original.
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "damaged.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	st, _ := f.Stat()
	page := int64(os.Getpagesize())
	junk := make([]byte, page)
	for i := range junk {
		junk[i] = 0xa5
	}
	// Pages 0–1 are the meta pages, 2 the freelist; damage every page after.
	for off := 3 * page; off < st.Size(); off += page {
		if _, err := f.WriteAt(junk, off); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if err := storetest.CheckFile(path); err == nil {
		t.Error("CheckFile of a damaged file: nil error")
	}
}
