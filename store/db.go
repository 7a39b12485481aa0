package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Bucket names. Each record kind has its own bucket; the bucket name and the
// record id are the associated data of the record's sealed part.
const (
	bucketMeta         = "meta"
	bucketGateways     = "gateways"
	bucketDevices      = "devices"
	bucketSessions     = "sessions"
	bucketDevAddrIndex = "devaddr"
	bucketDevNonces    = "devnonces"
	bucketDestinations = "destinations"
	bucketQueue        = "queue"
	// CUPS records: bucketCUPS, bucketCUPSKeys, bucketCUPSUpdates and
	// bucketCUPSData, declared in cups.go.
)

var allBuckets = [...]string{
	bucketMeta, bucketGateways, bucketDevices, bucketSessions, bucketDevAddrIndex,
	bucketDevNonces, bucketDestinations, bucketQueue,
	bucketCUPS, bucketCUPSKeys, bucketCUPSUpdates, bucketCUPSData,
}

// sealedBuckets hold records with a sealed part; RotateKEK rewraps them.
var sealedBuckets = [...]string{bucketDevices, bucketSessions, bucketDestinations, bucketCUPS, bucketCUPSKeys}

var (
	metaKEKID  = []byte("kek-id")
	metaSchema = []byte("schema")
)

const schemaVersion = 1

// Options tunes a DB. The zero value and nil give the defaults.
type Options struct {
	// LockTimeout bounds the wait for the file lock another process holds;
	// Open then fails with ErrLocked. Default 1 s.
	LockTimeout time.Duration

	// MaxBatchDelay and MaxBatchSize tune the group commit of frame counter
	// and other hot writes (bbolt DB.Batch): concurrent callers within the
	// delay share one transaction and one fsync. Defaults 2 ms and 1000.
	// MaxBatchSize 1 commits each call alone.
	MaxBatchDelay time.Duration
	MaxBatchSize  int

	// DevNonceHistory is how many recent DevNonces are kept per device to
	// refuse reuse (LoRaWAN 1.0.0–1.0.3). Default 256.
	DevNonceHistory int

	// MaxQueue bounds each device's downlink queue. Default 64.
	MaxQueue int

	// Logger receives the few notices the store gives (a KEK rotation
	// finished at open). Default: discard.
	Logger *slog.Logger
}

func (o *Options) withDefaults() Options {
	var r Options
	if o != nil {
		r = *o
	}
	if r.LockTimeout <= 0 {
		r.LockTimeout = time.Second
	}
	if r.MaxBatchDelay <= 0 {
		r.MaxBatchDelay = 2 * time.Millisecond
	}
	if r.MaxBatchSize <= 0 {
		r.MaxBatchSize = 1000
	}
	if r.DevNonceHistory <= 0 {
		r.DevNonceHistory = 256
	}
	if r.DevNonceHistory > maxDevNonceHistory {
		r.DevNonceHistory = maxDevNonceHistory
	}
	if r.MaxQueue <= 0 {
		r.MaxQueue = 64
	}
	if r.Logger == nil {
		r.Logger = slog.New(slog.DiscardHandler)
	}
	return r
}

// DB is the cloud's store. It is safe for concurrent use; all access runs in
// bbolt transactions and no value read from bbolt outlives its transaction.
type DB struct {
	bolt *bolt.DB
	path string
	opts Options

	// mu guards sealer: every transaction that seals or opens holds it for
	// reading, RotateKEK for writing, so no transaction mixes two KEKs.
	mu     sync.RWMutex
	sealer *sealer

	devVer   deviceVersions // DeviceVersion's counters (device.go)
	queueVer deviceVersions // QueueVersion's counters (queue.go)

	closed atomic.Bool
}

// Open opens (creating if needed, mode 0600) the store at path, sealed under
// kek. A store sealed under another KEK is refused with ErrWrongKEK; a store
// another process holds is refused with ErrLocked after Options.LockTimeout.
func Open(path string, kek KEK, opts *Options) (*DB, error) {
	o := opts.withDefaults()
	bdb, err := openBolt(path, o)
	if err != nil {
		return nil, err
	}
	return attach(bdb, path, kek, o)
}

func openBolt(path string, o Options) (*bolt.DB, error) {
	bdb, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: o.LockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("%w: %s (no lock after %v; is the cloud running?)", ErrLocked, path, o.LockTimeout)
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	bdb.MaxBatchDelay = o.MaxBatchDelay
	bdb.MaxBatchSize = o.MaxBatchSize
	return bdb, nil
}

// storedKEKID returns the KEK id the store records, "" for a new store.
func storedKEKID(bdb *bolt.DB) (string, error) {
	var id string
	err := bdb.View(func(tx *bolt.Tx) error {
		if b := tx.Bucket([]byte(bucketMeta)); b != nil {
			id = string(b.Get(metaKEKID))
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("store: read kek id: %w", err)
	}
	return id, nil
}

// attach checks kek against the store, creates the buckets and returns the DB.
// It closes bdb on error.
func attach(bdb *bolt.DB, path string, kek KEK, o Options) (*DB, error) {
	s, err := newSealer(kek)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	err = bdb.Update(func(tx *bolt.Tx) error {
		for _, name := range allBuckets {
			if _, err := tx.CreateBucketIfNotExists([]byte(name)); err != nil {
				return fmt.Errorf("store: create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket([]byte(bucketMeta))
		if v := meta.Get(metaSchema); v != nil && (len(v) != 1 || v[0] != schemaVersion) {
			return fmt.Errorf("store: %s: unknown schema %x", path, v)
		}
		if id := meta.Get(metaKEKID); id != nil {
			if string(id) != s.id {
				return fmt.Errorf("%w: %s is sealed under kek id %s, this kek has id %s", ErrWrongKEK, path, id, s.id)
			}
			return nil
		}
		if err := meta.Put(metaSchema, []byte{schemaVersion}); err != nil {
			return err
		}
		return meta.Put(metaKEKID, []byte(s.id))
	})
	if err != nil {
		bdb.Close()
		if errors.Is(err, ErrWrongKEK) {
			return nil, err
		}
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{bolt: bdb, path: path, opts: o, sealer: s}, nil
}

// resolveKEKFile picks the KEK for an open bolt file from kekPath and a
// rotation's kekPath+".new", as OpenWithKEKFile documents.
func resolveKEKFile(bdb *bolt.DB, kekPath string, log *slog.Logger) (KEK, error) {
	want, err := storedKEKID(bdb)
	if err != nil {
		return KEK{}, err
	}
	newPath := kekPath + kekNewSuffix
	newKEK, newErr := LoadKEK(newPath)
	if newErr != nil && !errors.Is(newErr, fs.ErrNotExist) {
		return KEK{}, newErr
	}
	hasNew := newErr == nil
	if hasNew && want != "" && newKEK.ID() == want {
		// The rewrap committed but the rename did not happen: finish it.
		if err := os.Rename(newPath, kekPath); err != nil {
			return KEK{}, fmt.Errorf("store: finish kek rotation: %w", err)
		}
		if err := syncDir(filepath.Dir(kekPath)); err != nil {
			return KEK{}, err
		}
		log.Info("store: finished an interrupted kek rotation", "kek_id", want)
		return newKEK, nil
	}
	var k KEK
	if want == "" {
		k, err = LoadOrCreateKEK(kekPath)
	} else {
		k, err = LoadKEK(kekPath)
		if errors.Is(err, fs.ErrNotExist) {
			return KEK{}, fmt.Errorf("%w: kek file %s missing; the store is sealed under kek id %s", ErrWrongKEK, kekPath, want)
		}
	}
	if err != nil {
		return KEK{}, err
	}
	if hasNew && (want == "" || k.ID() == want) {
		// The rotation never committed: the new KEK was never used.
		if err := os.Remove(newPath); err != nil {
			return KEK{}, fmt.Errorf("store: remove unused %s: %w", newPath, err)
		}
		log.Info("store: dropped the kek file of an interrupted rotation", "kek_id", k.ID())
	}
	return k, nil
}

// Close closes the store. Calling it again returns nil.
func (db *DB) Close() error {
	if db.closed.Swap(true) {
		return nil
	}
	if err := db.bolt.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Format prints the store's file and KEK id for every verb; the cipher state
// it holds never reaches fmt output.
func (db *DB) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "store.DB(%s, kek id %s)", db.path, db.KEKID())
}

// Path returns the file the store lives in.
func (db *DB) Path() string { return db.path }

// KEKID returns the public id of the KEK the store is sealed under.
func (db *DB) KEKID() string {
	db.mu.RLock()
	defer db.mu.RUnlock()
	return db.sealer.id
}

// view runs fn in a read transaction with the sealer held steady.
func (db *DB) view(ctx context.Context, fn func(*bolt.Tx, *sealer) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	s := db.sealer
	return db.mapErr(db.bolt.View(func(tx *bolt.Tx) error { return fn(tx, s) }))
}

// update runs fn in its own write transaction (one fsync).
func (db *DB) update(ctx context.Context, fn func(*bolt.Tx, *sealer) error) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	s := db.sealer
	return db.mapErr(db.bolt.Update(func(tx *bolt.Tx) error { return fn(tx, s) }))
}

// batch runs fn in a transaction shared with concurrent callers (bbolt's
// group commit). fn may run more than once; it reports its outcome through
// its return value only when that outcome is an internal failure; refusals
// the caller branches on are passed back through result so that one refused
// call does not roll back the whole batch. When batch returns nil the
// transaction is committed and synced.
func (db *DB) batch(ctx context.Context, fn func(*bolt.Tx, *sealer) (result error, err error)) error {
	if err := db.ready(ctx); err != nil {
		return err
	}
	db.mu.RLock()
	defer db.mu.RUnlock()
	s := db.sealer
	var result error
	err := db.bolt.Batch(func(tx *bolt.Tx) error {
		var err error
		result, err = fn(tx, s)
		return err
	})
	if err != nil {
		return db.mapErr(err)
	}
	return result
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

// Check runs bbolt's consistency check over the whole file, opens every
// sealed value under the store's KEK with its record's associated data, and
// checks the cross-references: every session, DevNonce state and queued
// downlink belongs to a device, and the DevAddr index matches the sessions
// both ways. It returns every problem found, joined, or nil.
func (db *DB) Check(ctx context.Context) error {
	var errs []error
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		for err := range tx.Check() {
			errs = append(errs, fmt.Errorf("store: bbolt check: %w", err))
		}
		errs = append(errs, checkRecords(tx, s)...)
		return nil
	})
	if err != nil {
		return err
	}
	return errors.Join(errs...)
}

func checkRecords(tx *bolt.Tx, s *sealer) []error {
	var errs []error
	bucket := func(name string) *bolt.Bucket { return tx.Bucket([]byte(name)) }
	devices, sessions, index := bucket(bucketDevices), bucket(bucketSessions), bucket(bucketDevAddrIndex)
	hasDevice := func(eui []byte) bool { return devices.Get(eui) != nil }
	each := func(name string, fn func(k, v []byte) error) {
		// fn reports problems as errors; the walk goes on.
		bucket(name).ForEach(func(k, v []byte) error {
			if err := fn(k, v); err != nil {
				errs = append(errs, err)
			}
			return nil
		})
	}
	each(bucketGateways, func(k, v []byte) error {
		var g Gateway
		return decodePublic(v, &g)
	})
	each(bucketDevices, func(k, v []byte) error {
		_, err := decodeDevice(k, v, s)
		return err
	})
	each(bucketDestinations, func(k, v []byte) error {
		_, err := decodeDestination(k, v, s)
		return err
	})
	each(bucketSessions, func(k, v []byte) error {
		sess, err := decodeSession(k, v, s)
		if err != nil {
			return err
		}
		if !hasDevice(k[:8]) {
			return fmt.Errorf("store: check: session %x without its device", k)
		}
		if index.Get(indexKey(sess.DevAddr, sess.DevEUI)) == nil {
			return fmt.Errorf("store: check: session %x: devaddr %s not indexed", k, sess.DevAddr)
		}
		return nil
	})
	each(bucketDevAddrIndex, func(k, _ []byte) error {
		if len(k) != 12 {
			return fmt.Errorf("store: check: devaddr index key %x: bad layout", k)
		}
		var eui lorawan.EUI64
		copy(eui[:], k[4:])
		addrs, err := sessionAddrs(sessions, eui)
		if err != nil {
			return err
		}
		if !containsAddr(addrs, lorawan.DevAddr(k[:4])) {
			return fmt.Errorf("store: check: devaddr index entry %x without a session", k)
		}
		return nil
	})
	each(bucketDevNonces, func(k, v []byte) error {
		if !hasDevice(k) {
			return fmt.Errorf("store: check: devnonce state %x without its device", k)
		}
		_, err := decodeNonceState(v)
		return err
	})
	errs = append(errs, checkCUPS(tx, s)...)
	each(bucketQueue, func(k, v []byte) error {
		if len(k) != 16 || !hasDevice(k[:8]) {
			return fmt.Errorf("store: check: queued downlink %x without its device", k)
		}
		_, err := decodeDownlink(k, v)
		return err
	})
	return errs
}

// RotateKEK rewraps every sealed value in the store under newKEK and records
// its id, in one transaction: after a crash the store is wholly under the old
// KEK or wholly under the new one. Callers keeping the KEK in a file use
// RotateKEKFile, which also swaps the file crash-safely.
func (db *DB) RotateKEK(newKEK KEK) error {
	ns, err := newSealer(newKEK)
	if err != nil {
		return err
	}
	if db.closed.Load() {
		return ErrClosed
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	old := db.sealer
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		for _, name := range sealedBuckets {
			b := tx.Bucket([]byte(name))
			type kv struct{ k, v []byte }
			var rewrapped []kv
			err := b.ForEach(func(k, v []byte) error {
				sealed, public, err := decodeEnvelope(v)
				if err != nil {
					return fmt.Errorf("store: %s %x: %w", name, k, err)
				}
				if len(sealed) == 0 {
					return nil
				}
				plain, err := old.open(name, k, sealed)
				if err != nil {
					return err
				}
				resealed, err := ns.seal(name, k, plain)
				clear(plain)
				if err != nil {
					return err
				}
				rewrapped = append(rewrapped, kv{bytes.Clone(k), encodeEnvelope(resealed, public)})
				return nil
			})
			if err != nil {
				return err
			}
			// Written after the walk: bbolt cursors do not survive writes.
			for _, r := range rewrapped {
				if err := b.Put(r.k, r.v); err != nil {
					return err
				}
			}
		}
		return tx.Bucket([]byte(bucketMeta)).Put(metaKEKID, []byte(ns.id))
	})
	if err != nil {
		return fmt.Errorf("store: rotate kek: %w", db.mapErr(err))
	}
	db.sealer = ns
	db.devVer.bumpAll() // every device record was rewritten
	return nil
}
