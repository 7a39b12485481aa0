// Package agentstoretest opens temporary agent stores for tests and checks
// them when the test ends: the store's own Check (bbolt's consistency
// check, every credential set against its CRC, the spool against its
// counter) and bbolt's check over the closed file.
package agentstoretest

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/loraedge/loraedge/store/agentstore"
)

// Open opens a store in a fresh t.TempDir() with opts (nil for the
// defaults) and returns it with its file. At cleanup it checks and closes
// the store; any problem fails the test.
func Open(t testing.TB, opts *agentstore.Options) (*agentstore.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", agentstore.DefaultDBFile)
	db, err := agentstore.Open(path, opts)
	if err != nil {
		t.Fatalf("agentstoretest: %v", err)
	}
	t.Cleanup(func() { Close(t, db) })
	return db, path
}

// Close checks db (DB.Check, unless it is closed already), closes it, then
// runs bbolt's consistency check over its file, failing t on any problem.
// Open registers it as a cleanup; call it directly for a store opened
// another way.
func Close(t testing.TB, db *agentstore.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil && !errors.Is(err, agentstore.ErrClosed) {
		t.Errorf("agentstoretest: %s: %v", db.Path(), err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("agentstoretest: %v", err)
	}
	if err := CheckFile(db.Path()); err != nil {
		t.Errorf("agentstoretest: %v", err)
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
