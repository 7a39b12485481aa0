// Package storetest opens temporary stores for tests and checks them when
// the test ends: bbolt's consistency check, every sealed value opening under
// the KEK, and the store's cross-references.
package storetest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/loraedge/loraedge/store"
	bolt "go.etcd.io/bbolt"
)

// Open opens a store in a fresh t.TempDir() under a fresh random KEK. At
// cleanup it checks the store (DB.Check, if the test left it open), closes
// it, and runs bbolt's consistency check (tx.Check) over the file; any
// problem fails the test.
func Open(t testing.TB) *store.DB {
	t.Helper()
	db, _, _ := OpenKEK(t, nil)
	return db
}

// OpenKEK is Open that also returns the store's file and KEK, for tests that
// reopen the file or rotate the KEK. opts may be nil.
func OpenKEK(t testing.TB, opts *store.Options) (*store.DB, string, store.KEK) {
	t.Helper()
	kek, err := store.NewKEK()
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	path := filepath.Join(t.TempDir(), store.DefaultDBFile)
	db, err := store.Open(path, kek, opts)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { Close(t, db) })
	return db, path, kek
}

// Close checks db (DB.Check, unless it is closed already), closes it, then
// runs bbolt's consistency check over its file, failing t on any problem.
// Open registers it as a cleanup; call it directly for a store opened
// another way.
func Close(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil && !errors.Is(err, store.ErrClosed) {
		t.Errorf("storetest: %s: %v", db.Path(), err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("storetest: %v", err)
	}
	if err := CheckFile(db.Path()); err != nil {
		t.Errorf("storetest: %v", err)
	}
}

// CheckFile runs bbolt's consistency check over a closed bbolt file and
// returns every problem found, joined.
func CheckFile(path string) error {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 5 * time.Second})
	if err != nil {
		return err
	}
	var errs []error
	err = bdb.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			errs = append(errs, err)
		}
		return nil
	})
	errs = append(errs, err, bdb.Close())
	return errors.Join(errs...)
}
