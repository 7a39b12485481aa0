package store

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
)

// KEK is a 256-bit key-encryption key: every device, session and destination
// secret in the store is sealed under it with AES-256-GCM. It prints and logs
// as its public id only.
type KEK [32]byte

// EnvKEK names the environment variable that may carry the KEK as 64 hex digits.
const EnvKEK = "LORAEDGE_KEK"

// Default file names inside a data directory (the cloud's --data DIR).
const (
	DefaultDBFile  = "store.db" // the bbolt file
	DefaultKEKFile = "kek"      // the KEK file, 64 hex digits and a newline, mode 0600
)

// kekNewSuffix names the file a rotation writes before it rewraps the store.
const kekNewSuffix = ".new"

// NewKEK returns a fresh random KEK.
func NewKEK() (KEK, error) {
	var k KEK
	if _, err := io.ReadFull(rand.Reader, k[:]); err != nil {
		return KEK{}, fmt.Errorf("store: new kek: %w", err)
	}
	return k, nil
}

// ParseKEK reads a KEK from 64 hex digits (surrounding space ignored). The
// error never repeats the text, which may be a key.
func ParseKEK(s string) (KEK, error) {
	var k KEK
	s = strings.TrimSpace(s)
	if len(s) != 2*len(k) {
		return KEK{}, fmt.Errorf("store: kek: want %d hex digits, got %d characters", 2*len(k), len(s))
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return KEK{}, errors.New("store: kek: not hex")
	}
	return k, nil
}

// KEKFromEnv reads the KEK from LORAEDGE_KEK. ok is false when the variable is
// unset or empty; err reports a variable that is set but is not 64 hex digits.
func KEKFromEnv() (k KEK, ok bool, err error) {
	v, set := os.LookupEnv(EnvKEK)
	if !set || v == "" {
		return KEK{}, false, nil
	}
	k, err = ParseKEK(v)
	if err != nil {
		return KEK{}, false, fmt.Errorf("store: %s: %w", EnvKEK, err)
	}
	return k, true, nil
}

// ID returns the public id of the KEK: 16 hex digits of a domain-separated
// SHA-256 of it. The store records it to refuse a wrong KEK at Open.
func (k KEK) ID() string { return kekID(k) }

// String returns "KEK(id=…)", never the key.
func (k KEK) String() string { return "KEK(id=" + k.ID() + ")" }

// Format prints the same as String for every verb, so %v, %#v and %x never
// show the key.
func (k KEK) Format(f fmt.State, _ rune) { io.WriteString(f, k.String()) }

// LogValue logs the KEK id only.
func (k KEK) LogValue() slog.Value { return slog.StringValue(k.String()) }

// MarshalJSON writes the id only.
func (k KEK) MarshalJSON() ([]byte, error) { return json.Marshal(k.String()) }

// LoadKEK reads a KEK file: 64 hex digits (a trailing newline is fine) or
// 32 raw bytes. A file that group or others may access is refused with
// ErrInsecureKEKFile.
func LoadKEK(path string) (KEK, error) {
	f, err := os.Open(path)
	if err != nil {
		return KEK{}, fmt.Errorf("store: kek file: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return KEK{}, fmt.Errorf("store: kek file: %w", err)
	}
	if !st.Mode().IsRegular() {
		return KEK{}, fmt.Errorf("store: kek file %s: not a regular file", path)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return KEK{}, fmt.Errorf("%w: %s has mode %#o, want 0600 (chmod 600 %s)", ErrInsecureKEKFile, path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 256))
	if err != nil {
		return KEK{}, fmt.Errorf("store: kek file %s: %w", path, err)
	}
	var k KEK
	if len(b) == len(k) {
		copy(k[:], b)
		return k, nil
	}
	k, err = ParseKEK(string(b))
	if err != nil {
		return KEK{}, fmt.Errorf("store: kek file %s: %w", path, err)
	}
	return k, nil
}

// WriteKEKFile writes k to path as hex, mode 0600, atomically: a temporary
// file in the same directory is synced and renamed over path, and the
// directory synced, so path holds the old KEK or the new one, never a part.
func WriteKEKFile(path string, k KEK) error {
	tmp, err := writeTemp(path, k)
	if err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("store: kek file: %w", err)
	}
	return syncDir(filepath.Dir(path))
}

// LoadOrCreateKEK loads the KEK file at path, or creates it with a fresh
// random KEK (mode 0600) when it does not exist: the default run's first start.
// Two processes racing to create it end with the same KEK.
func LoadOrCreateKEK(path string) (KEK, error) {
	k, err := LoadKEK(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	k, err = NewKEK()
	if err != nil {
		return KEK{}, err
	}
	tmp, err := writeTemp(path, k)
	if err != nil {
		return KEK{}, err
	}
	defer os.Remove(tmp)
	// Link, unlike rename, fails when path exists: a KEK file that appeared
	// meanwhile wins and is loaded instead.
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return LoadKEK(path)
		}
		return KEK{}, fmt.Errorf("store: create kek file: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return KEK{}, err
	}
	return k, nil
}

// writeTemp writes k as hex into a new 0600 file beside path, synced.
func writeTemp(path string, k KEK) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return "", fmt.Errorf("store: kek file: %w", err)
	}
	name := f.Name()
	fail := func(err error) (string, error) {
		f.Close()
		os.Remove(name)
		return "", fmt.Errorf("store: kek file: %w", err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := f.WriteString(hex.EncodeToString(k[:]) + "\n"); err != nil {
		return fail(err)
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		os.Remove(name)
		return "", fmt.Errorf("store: kek file: %w", err)
	}
	return name, nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: sync %s: %w", dir, err)
	}
	return nil
}

// OpenWithKEKFile opens the store at dbPath with the KEK kept in the file
// kekPath, and finishes or undoes a KEK rotation that a crash interrupted:
// when both kekPath and kekPath+".new" exist, the one whose id the store
// records wins (a won ".new" is renamed over kekPath, a lost one removed).
// On first start (no store sealed yet, no KEK file) it creates the KEK file.
// A missing KEK file for a store already sealed is an error, never replaced.
func OpenWithKEKFile(dbPath, kekPath string, opts *Options) (*DB, error) {
	o := opts.withDefaults()
	bdb, err := openBolt(dbPath, o)
	if err != nil {
		return nil, err
	}
	k, err := resolveKEKFile(bdb, kekPath, o.Logger)
	if err != nil {
		bdb.Close()
		return nil, err
	}
	return attach(bdb, dbPath, k, o)
}

// RotateKEKFile replaces the KEK of db, kept in the file kekPath, by a fresh
// one, crash-safely: the new KEK is written to kekPath+".new", every sealed
// value is rewrapped in one transaction (RotateKEK), then ".new" is renamed
// over kekPath. A crash at any point leaves files that OpenWithKEKFile
// resolves. It returns the ids of the old and new KEKs.
func RotateKEKFile(db *DB, kekPath string) (oldID, newID string, err error) {
	newKEK, err := NewKEK()
	if err != nil {
		return "", "", err
	}
	oldID = db.KEKID()
	newPath := kekPath + kekNewSuffix
	if err := WriteKEKFile(newPath, newKEK); err != nil {
		return "", "", err
	}
	if err := db.RotateKEK(newKEK); err != nil {
		// Drop the new file only when the store is known to record the
		// old KEK still: a commit that failed late (its last fsync) may
		// have reached the disk, and the new KEK is then the only one
		// that opens the store. OpenWithKEKFile settles a kept file.
		if id, idErr := storedKEKID(db.bolt); errors.Is(err, ErrClosed) || idErr == nil && id == oldID {
			os.Remove(newPath)
			return "", "", err
		}
		return "", "", fmt.Errorf("%w (the store may be sealed under kek id %s now: %s is kept; close the store and open it again with OpenWithKEKFile, which settles it)", err, newKEK.ID(), newPath)
	}
	if err := os.Rename(newPath, kekPath); err != nil {
		return "", "", fmt.Errorf("store: kek rotated (id %s) but %s not renamed; the next open finishes it: %w", newKEK.ID(), newPath, err)
	}
	if err := syncDir(filepath.Dir(kekPath)); err != nil {
		return "", "", err
	}
	return oldID, newKEK.ID(), nil
}
