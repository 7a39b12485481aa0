package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

func key(b byte) lorawan.AES128Key {
	var k lorawan.AES128Key
	for i := range k {
		k[i] = b + byte(i)*7
	}
	return k
}

// openInternal opens a store in a temp dir; the caller closes it.
func openInternal(t *testing.T) (*DB, string, KEK) {
	t.Helper()
	k, err := NewKEK()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), DefaultDBFile)
	db, err := Open(path, k, nil)
	if err != nil {
		t.Fatal(err)
	}
	return db, path, k
}

// rawUpdate edits the closed store file directly.
func rawUpdate(t *testing.T, path string, fn func(tx *bolt.Tx) error) {
	t.Helper()
	bdb, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer bdb.Close()
	if err := bdb.Update(fn); err != nil {
		t.Fatal(err)
	}
}

// graft returns the record dst with its sealed part replaced by src's.
func graft(t *testing.T, dst, src []byte) []byte {
	t.Helper()
	_, pub, err := decodeEnvelope(dst)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _, err := decodeEnvelope(src)
	if err != nil {
		t.Fatal(err)
	}
	return encodeEnvelope(bytes.Clone(sealed), bytes.Clone(pub))
}

// TestAADBinding moves sealed values between records (the public part stays)
// and expects them not to open: the bucket and record id are bound in.
func TestAADBinding(t *testing.T) {
	ctx := context.Background()
	db, path, kek := openInternal(t)
	a := mustEUI(t, "70b3d57ed0000001")
	b := mustEUI(t, "70b3d57ed0000002")
	for i, e := range []lorawan.EUI64{a, b} {
		d := Device{DevEUI: e, MACVersion: "1.0.3", Class: ClassA, Region: "EU868", RootKeys: RootKeys{AppKey: key(byte(i + 1))}}
		if err := db.PutDevice(ctx, d); err != nil {
			t.Fatal(err)
		}
		s := Session{DevEUI: e, DevAddr: lorawan.DevAddr{1, 2, 3, byte(i)}, Keys: SessionKeys10(key(byte(10+i)), key(byte(20+i)))}
		if err := db.PutSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		s.Keys = SessionKeys10(key(byte(30+i)), key(byte(40+i)))
		if err := db.PutPendingSession(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"x", "y"} {
		if err := db.PutDestination(ctx, Destination{Name: name, Kind: KindHTTP, HTTPURL: "http://h/" + name, HTTPHeader: "X-Key", HTTPSecret: Secret("secret-" + name)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		bucket string
		dst    []byte // the record that receives another's sealed part
		src    []byte
		read   func(db *DB) error
	}{
		{"device to device", bucketDevices, a[:], b[:], func(db *DB) error { _, err := db.GetDevice(ctx, a); return err }},
		{"session to other device", bucketSessions, sessionKey(a, slotActive), sessionKey(b, slotActive), func(db *DB) error { _, err := db.GetSession(ctx, a); return err }},
		{"pending to active slot", bucketSessions, sessionKey(a, slotActive), sessionKey(a, slotPending), func(db *DB) error { _, err := db.GetSession(ctx, a); return err }},
		{"destination to destination", bucketDestinations, []byte("x"), []byte("y"), func(db *DB) error { _, err := db.GetDestination(ctx, "x"); return err }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var saved []byte
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				bk := tx.Bucket([]byte(tc.bucket))
				saved = bytes.Clone(bk.Get(tc.dst))
				return bk.Put(tc.dst, graft(t, saved, bk.Get(tc.src)))
			})
			db, err := Open(path, kek, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = tc.read(db)
			if !errors.Is(err, ErrUnseal) {
				t.Errorf("read after moving a sealed value: err = %v, want ErrUnseal", err)
			}
			if cerr := db.Check(ctx); !errors.Is(cerr, ErrUnseal) {
				t.Errorf("Check after moving a sealed value: %v, want ErrUnseal", cerr)
			}
			db.Close()
			rawUpdate(t, path, func(tx *bolt.Tx) error { return tx.Bucket([]byte(tc.bucket)).Put(tc.dst, saved) })
			db, err = Open(path, kek, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := tc.read(db); err != nil {
				t.Errorf("read after restoring the record: %v", err)
			}
		})
	}
}

func mustEUI(t *testing.T, s string) lorawan.EUI64 {
	t.Helper()
	e, err := lorawan.ParseEUI64(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestSealTamper(t *testing.T) {
	k, _ := NewKEK()
	s, err := newSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	plain := []byte("sixteen byte key")
	blob, err := s.seal(bucketDevices, []byte{1}, plain)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := s.open(bucketDevices, []byte{1}, blob); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("open = %q, %v; want %q", got, err, plain)
	}
	other, _ := NewKEK()
	so, _ := newSealer(other)
	cases := map[string]func() error{
		"flipped ciphertext bit": func() error {
			b := bytes.Clone(blob)
			b[len(b)-20] ^= 1
			_, err := s.open(bucketDevices, []byte{1}, b)
			return err
		},
		"flipped nonce bit": func() error {
			b := bytes.Clone(blob)
			b[3] ^= 0x80
			_, err := s.open(bucketDevices, []byte{1}, b)
			return err
		},
		"other bucket": func() error { _, err := s.open(bucketSessions, []byte{1}, blob); return err },
		"other id":     func() error { _, err := s.open(bucketDevices, []byte{2}, blob); return err },
		"other kek":    func() error { _, err := so.open(bucketDevices, []byte{1}, blob); return err },
		"truncated":    func() error { _, err := s.open(bucketDevices, []byte{1}, blob[:10]); return err },
		"bucket/id boundary": func() error {
			// A bucket name that is a prefix of another with the id shifted.
			_, err := s.open("device", []byte{'s', 0, 1}, blob)
			return err
		},
	}
	for name, fn := range cases {
		t.Run(name, func(t *testing.T) {
			if err := fn(); !errors.Is(err, ErrUnseal) {
				t.Errorf("open: err = %v, want ErrUnseal", err)
			}
		})
	}
	// Two seals of the same value differ (random nonce).
	blob2, _ := s.seal(bucketDevices, []byte{1}, plain)
	if bytes.Equal(blob, blob2) {
		t.Error("two seals of one value are equal: nonce not random")
	}
}
