package store_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
	bolt "go.etcd.io/bbolt"
)

// fill writes a device, a session pair and a destination with a secret.
func fill(t *testing.T, db *store.DB) (store.Device, store.Session, store.Session) {
	t.Helper()
	ctx := context.Background()
	if err := db.PutDestination(ctx, store.Destination{Name: "hook", Kind: store.KindHTTP, HTTPURL: "https://h/", HTTPHeader: "X-K", HTTPSecret: "hook-secret"}); err != nil {
		t.Fatal(err)
	}
	d := otaaDevice(1, "1.1")
	d.Destination = "hook"
	mustPutDevice(t, db, d)
	active := session(1, lorawan.DevAddr{0x26, 0, 0, 1}, lorawan.MACVersion1_1)
	pending := session(1, lorawan.DevAddr{0x26, 0, 0, 2}, lorawan.MACVersion1_1)
	mustPutSession(t, db, active)
	if err := db.PutPendingSession(ctx, pending); err != nil {
		t.Fatal(err)
	}
	return d, active, pending
}

// readable checks that every sealed value written by fill opens with the
// right content.
func readable(t *testing.T, db *store.DB, d store.Device, active, pending store.Session) {
	t.Helper()
	ctx := context.Background()
	if got, err := db.GetDevice(ctx, d.DevEUI); err != nil || got.RootKeys != d.RootKeys {
		t.Errorf("GetDevice: keys equal %v, %v", got.RootKeys == d.RootKeys, err)
	}
	if got, err := db.GetSession(ctx, d.DevEUI); err != nil || got.Keys != active.Keys {
		t.Errorf("GetSession: keys equal %v, %v", got.Keys == active.Keys, err)
	}
	if got, err := db.GetPendingSession(ctx, d.DevEUI); err != nil || got.Keys != pending.Keys {
		t.Errorf("GetPendingSession: keys equal %v, %v", got.Keys == pending.Keys, err)
	}
	if got, err := db.GetDestination(ctx, "hook"); err != nil || got.HTTPSecret != "hook-secret" {
		t.Errorf("GetDestination: secret kept %v, %v", got.HTTPSecret == "hook-secret", err)
	}
	if err := db.Check(ctx); err != nil {
		t.Errorf("Check: %v", err)
	}
}

func TestRotateKEK(t *testing.T) {
	t.Parallel()
	db, path, oldKEK := storetest.OpenKEK(t, nil)
	d, active, pending := fill(t, db)
	newKEK, _ := store.NewKEK()
	if err := db.RotateKEK(newKEK); err != nil {
		t.Fatal(err)
	}
	if db.KEKID() != newKEK.ID() {
		t.Errorf("KEKID after rotation = %s, want %s", db.KEKID(), newKEK.ID())
	}
	readable(t, db, d, active, pending)
	db.Close()
	if _, err := store.Open(path, oldKEK, nil); !errors.Is(err, store.ErrWrongKEK) {
		t.Errorf("Open with the old KEK after rotation: %v, want ErrWrongKEK", err)
	}
	db2, err := store.Open(path, newKEK, nil)
	if err != nil {
		t.Fatalf("Open with the new KEK: %v", err)
	}
	defer storetest.Close(t, db2)
	readable(t, db2, d, active, pending)
}

// TestRotateKEKFileCrashes builds the file states a crash can leave at each
// step of RotateKEKFile and checks that OpenWithKEKFile resolves them.
func TestRotateKEKFileCrashes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// crash leaves the files as a crash would, given the store (open,
		// under the old KEK) and the KEK file path; it returns the KEK that
		// must win.
		crash func(t *testing.T, db *store.DB, kekPath string, oldKEK store.KEK) store.KEK
	}{
		{"completed", func(t *testing.T, db *store.DB, kekPath string, _ store.KEK) store.KEK {
			if _, _, err := store.RotateKEKFile(db, kekPath); err != nil {
				t.Fatal(err)
			}
			k, err := store.LoadKEK(kekPath)
			if err != nil {
				t.Fatal(err)
			}
			return k
		}},
		{"after writing kek.new, before the rewrap", func(t *testing.T, db *store.DB, kekPath string, oldKEK store.KEK) store.KEK {
			k, _ := store.NewKEK()
			if err := store.WriteKEKFile(kekPath+".new", k); err != nil {
				t.Fatal(err)
			}
			return oldKEK
		}},
		{"after the rewrap, before the rename", func(t *testing.T, db *store.DB, kekPath string, _ store.KEK) store.KEK {
			k, _ := store.NewKEK()
			if err := store.WriteKEKFile(kekPath+".new", k); err != nil {
				t.Fatal(err)
			}
			if err := db.RotateKEK(k); err != nil {
				t.Fatal(err)
			}
			return k
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			dbPath, kekPath := filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile)
			db, err := store.OpenWithKEKFile(dbPath, kekPath, nil)
			if err != nil {
				t.Fatal(err)
			}
			oldKEK, err := store.LoadKEK(kekPath)
			if err != nil {
				t.Fatalf("first start did not create the kek file: %v", err)
			}
			d, active, pending := fill(t, db)
			want := tc.crash(t, db, kekPath, oldKEK)
			db.Close() // the crash

			db2, err := store.OpenWithKEKFile(dbPath, kekPath, nil)
			if err != nil {
				t.Fatalf("OpenWithKEKFile after the crash: %v", err)
			}
			defer storetest.Close(t, db2)
			if db2.KEKID() != want.ID() {
				t.Errorf("store under kek %s, want %s", db2.KEKID(), want.ID())
			}
			onDisk, err := store.LoadKEK(kekPath)
			if err != nil || onDisk != want {
				t.Errorf("kek file = %v (%v), want %v", onDisk, err, want)
			}
			if _, err := os.Stat(kekPath + ".new"); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("kek.new still there after open: %v", err)
			}
			readable(t, db2, d, active, pending)
		})
	}
}

func TestOpenWithKEKFileMissingKEK(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath, kekPath := filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile)
	db, err := store.OpenWithKEKFile(dbPath, kekPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db)
	db.Close()
	if err := os.Remove(kekPath); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenWithKEKFile(dbPath, kekPath, nil); !errors.Is(err, store.ErrWrongKEK) {
		t.Errorf("OpenWithKEKFile without the kek file: %v, want ErrWrongKEK", err)
	}
	if _, err := os.Stat(kekPath); !errors.Is(err, os.ErrNotExist) {
		t.Error("a new kek file was created for a sealed store")
	}
	// A kek.new that matches nothing does not help either.
	other, _ := store.NewKEK()
	if err := store.WriteKEKFile(kekPath, other); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenWithKEKFile(dbPath, kekPath, nil); !errors.Is(err, store.ErrWrongKEK) {
		t.Errorf("OpenWithKEKFile with a wrong kek file: %v, want ErrWrongKEK", err)
	}
}

func TestOpenWithKEKFileInsecure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath, kekPath := filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile)
	k, _ := store.NewKEK()
	if err := store.WriteKEKFile(kekPath, k); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(kekPath, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenWithKEKFile(dbPath, kekPath, nil); !errors.Is(err, store.ErrInsecureKEKFile) {
		t.Errorf("OpenWithKEKFile with a 0644 kek file: %v, want ErrInsecureKEKFile", err)
	}
}

// TestRotateKEKFileFailureKeepsOldKEK: a rotation whose rewrap fails (a
// sealed value that does not open) changes nothing: the store stays under
// the old KEK file, and no kek.new is left behind.
func TestRotateKEKFileFailureKeepsOldKEK(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath, kekPath := filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile)
	db, err := store.OpenWithKEKFile(dbPath, kekPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	oldKEK, err := store.LoadKEK(kekPath)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db)
	db.Close()
	// A record sealed under another KEK: the rewrap cannot open it.
	other, _ := store.NewKEK()
	odb, err := store.Open(filepath.Join(dir, "other.db"), other, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := odb.PutDestination(context.Background(), store.Destination{Name: "hook", Kind: store.KindHTTP, HTTPURL: "https://h/", HTTPHeader: "X-K", HTTPSecret: "x"}); err != nil {
		t.Fatal(err)
	}
	odb.Close()
	copyRecord(t, filepath.Join(dir, "other.db"), dbPath, "destinations", []byte("hook"))

	db, err = store.OpenWithKEKFile(dbPath, kekPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := store.RotateKEKFile(db, kekPath); !errors.Is(err, store.ErrUnseal) {
		t.Fatalf("RotateKEKFile over a record that does not open: %v, want ErrUnseal", err)
	}
	if db.KEKID() != oldKEK.ID() {
		t.Errorf("store under kek %s after a failed rotation, want the old %s", db.KEKID(), oldKEK.ID())
	}
	db.Close()
	if _, err := os.Stat(kekPath + ".new"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("kek.new left after a rotation that did not commit: %v", err)
	}
	if onDisk, err := store.LoadKEK(kekPath); err != nil || onDisk != oldKEK {
		t.Errorf("kek file after a failed rotation: %v, %v; want the old KEK", onDisk, err)
	}
	db, err = store.Open(dbPath, oldKEK, nil)
	if err != nil {
		t.Fatalf("the old KEK does not open the store after a failed rotation: %v", err)
	}
	db.Close()
}

// copyRecord copies one record, as stored, from the bbolt file src to dst.
func copyRecord(t *testing.T, src, dst, bucket string, key []byte) {
	t.Helper()
	var v []byte
	sdb, err := bolt.Open(src, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = sdb.View(func(tx *bolt.Tx) error {
		v = bytes.Clone(tx.Bucket([]byte(bucket)).Get(key))
		return nil
	})
	sdb.Close()
	if err != nil || v == nil {
		t.Fatalf("read %s/%s: %v", bucket, key, err)
	}
	ddb, err := bolt.Open(dst, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ddb.Close()
	if err := ddb.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte(bucket)).Put(key, v) }); err != nil {
		t.Fatal(err)
	}
}
