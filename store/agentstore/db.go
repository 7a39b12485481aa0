package agentstore

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultDBFile is the name of the agent's database in its data directory.
const DefaultDBFile = "agent.db"

// Defaults of Options.
const (
	DefaultLockTimeout   = time.Second
	DefaultSpoolMaxCount = 10000
	DefaultSpoolMaxAge   = 24 * time.Hour
)

// Bucket names and meta keys.
const (
	bucketMeta    = "meta"
	bucketCreds   = "creds"
	bucketImports = "imports"
	bucketSpool   = "spool"
)

var allBuckets = [...]string{bucketMeta, bucketCreds, bucketImports, bucketSpool}

var (
	metaSchema         = []byte("schema")
	metaSpoolLen       = []byte("spool-len")
	metaSpoolDropped   = []byte("spool-dropped")
	metaSpoolDroppedAt = []byte("spool-dropped-age")
)

const schemaVersion = 1

// Options tunes a DB. The zero value and nil give the defaults.
type Options struct {
	// LockTimeout bounds the wait for the file lock another process holds;
	// Open then fails with ErrLocked. Default 1 s.
	LockTimeout time.Duration
	// SpoolMaxCount bounds the number of spooled uplinks; at the bound the
	// oldest is dropped for each new one. Default 10000.
	SpoolMaxCount int
	// SpoolMaxAge drops spooled uplinks received longer ago than this.
	// Default 24 h.
	SpoolMaxAge time.Duration
	// Now is the clock spool ages are measured with. Default time.Now.
	Now func() time.Time
	// Logger receives the store's notices (file mode tightened, uplinks
	// dropped from a full spool). Default: discard.
	Logger *slog.Logger
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.LockTimeout <= 0 {
		r.LockTimeout = DefaultLockTimeout
	}
	if r.SpoolMaxCount <= 0 {
		r.SpoolMaxCount = DefaultSpoolMaxCount
	}
	if r.SpoolMaxAge <= 0 {
		r.SpoolMaxAge = DefaultSpoolMaxAge
	}
	if r.Now == nil {
		r.Now = time.Now
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// DB is the agent's store. It is safe for concurrent use; all access runs in
// bbolt transactions and no value read from bbolt outlives its transaction.
type DB struct {
	bolt   *bolt.DB
	path   string
	opts   Options
	log    *slog.Logger
	closed atomic.Bool
}

// Open opens (creating if needed) the store at path. A missing directory is
// created with mode 0700, a new file with mode 0600, and an existing file
// readable by others is set back to 0600. A file another process holds is
// refused with ErrLocked after Options.LockTimeout.
func Open(path string, opts *Options) (*DB, error) {
	o := opts.withDefaults()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("agentstore: create %s: %w", dir, err)
	}
	if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o077 != 0 {
		o.Logger.Warn("agentstore: data directory is open to other users; it holds private keys", "dir", dir, "mode", fi.Mode().Perm().String())
	}
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (no lock after %v; is another loraedge agent running with this data directory?)", ErrLocked, path, o.LockTimeout)
		}
		return nil, fmt.Errorf("agentstore: open %s: %w", path, err)
	}
	if err := tightenMode(path, o.Logger); err != nil {
		bdb.Close()
		return nil, err
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if v := meta.Get(metaSchema); v != nil {
			if len(v) != 1 || v[0] != schemaVersion {
				return fmt.Errorf("unknown schema %x", v)
			}
			return nil
		}
		return meta.Put(metaSchema, []byte{schemaVersion})
	})
	if err != nil {
		bdb.Close()
		return nil, fmt.Errorf("agentstore: open %s: %w", path, err)
	}
	return &DB{bolt: bdb, path: path, opts: o, log: o.Logger}, nil
}

// tightenMode sets the file at path to 0600 when group or others may use it.
func tightenMode(path string, log *slog.Logger) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("agentstore: %w", err)
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("agentstore: set %s to mode 0600: %w", path, err)
	}
	log.Warn("agentstore: database file was open to other users; set to 0600", "file", path, "was", fi.Mode().Perm().String())
	return nil
}

// Close closes the store. Calling it again returns nil.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("agentstore: close: %w", err)
	}
	return nil
}

// Path returns the file the store lives in.
func (db *DB) Path() string { return db.path }

// view runs fn in a read transaction.
func (db *DB) view(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	return db.mapErr(db.bolt.View(fn))
}

// update runs fn in a write transaction; when it returns nil the
// transaction is committed and synced to disk.
func (db *DB) update(ctx context.Context, fn func(*bolt.Tx) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	return db.mapErr(db.bolt.Update(fn))
}

func (db *DB) ready(ctx context.Context) error {
	if db.closed.Load() {
		return ErrClosed
	}
	return ctx.Err()
}

func (db *DB) mapErr(err error) error {
	if errors.Is(err, berrors.ErrDatabaseNotOpen) {
		return ErrClosed
	}
	return err
}

// Check runs bbolt's consistency check over the file, decodes every
// credential set and compares it with the CRC stored beside it, decodes
// every spooled uplink and compares their number with the spool's counter.
// It returns every problem found, joined, or nil. It runs in a write
// transaction (changing nothing), where bbolt's check is safe alongside
// other writers, which wait for it.
func (db *DB) Check(ctx context.Context) error {
	var errs []error
	err := db.update(ctx, func(tx *bolt.Tx) error {
		errs = errs[:0]
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("agentstore: bbolt check: %w", err))
		}
		tx.Bucket([]byte(bucketCreds)).ForEach(func(k, v []byte) error {
			if _, err := decodeCreds(k, v); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
		var n uint64
		tx.Bucket([]byte(bucketSpool)).ForEach(func(k, v []byte) error {
			n++
			if _, err := decodeRecord(k, v); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
		if got := getU64(tx.Bucket([]byte(bucketMeta)), metaSpoolLen); got != n {
			errs = append(errs, fmt.Errorf("agentstore: check: spool counter says %d records, the bucket holds %d", got, n))
		}
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

// getU64 reads a big-endian counter from b, 0 when absent.
func getU64(b *bolt.Bucket, key []byte) uint64 {
	v := b.Get(key)
	if len(v) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

// putU64 writes a big-endian counter into b.
func putU64(b *bolt.Bucket, key []byte, n uint64) error {
	return b.Put(key, binary.BigEndian.AppendUint64(nil, n))
}
