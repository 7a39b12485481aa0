package store

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

// TestCUPSAADBinding moves the sealed part of one gateway's CUPS state to
// another's, and of one signing key to another, and expects neither to open:
// the bucket and the record id are bound in.
func TestCUPSAADBinding(t *testing.T) {
	ctx := context.Background()
	db, path, kek := openInternal(t)
	a := mustEUI(t, "70b3d57ed0000001")
	b := mustEUI(t, "70b3d57ed0000002")
	for i, e := range []lorawan.EUI64{a, b} {
		if err := db.PutGateway(ctx, Gateway{EUI: e, Region: "EU868"}); err != nil {
			t.Fatal(err)
		}
		err := db.UpdateCUPS(ctx, e, func(_ *Gateway, c *CUPSGateway) error {
			c.TCCred = &CredentialSet{Trust: []byte{0x30, 0}, Cert: []byte{0x30, 1, byte(i)}, Key: PrivateKey{0x30, 1, byte(i + 10)}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for i, name := range []string{"x", "y"} {
		if err := db.AddSigningKey(ctx, SigningKey{Name: name, Public: bytes.Repeat([]byte{byte(i + 1)}, 64), Private: PrivateKey{0x30, byte(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		bucket   string
		dst, src []byte
		read     func(db *DB) error
	}{
		{"cups state to another gateway", bucketCUPS, a[:], b[:], func(db *DB) error { _, err := db.GetCUPSGateway(ctx, a); return err }},
		{"signing key to another", bucketCUPSKeys, []byte("x"), []byte("y"), func(db *DB) error { _, err := db.GetSigningKey(ctx, "x"); return err }},
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
			if err := tc.read(db); !errors.Is(err, ErrUnseal) {
				t.Errorf("read after moving a sealed value: err = %v, want ErrUnseal", err)
			}
			if err := db.Check(ctx); !errors.Is(err, ErrUnseal) {
				t.Errorf("Check after moving a sealed value: %v, want ErrUnseal", err)
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
			if err := db.Check(ctx); err != nil {
				t.Errorf("Check after restoring: %v", err)
			}
		})
	}
}

// TestCheckFindsCUPSInconsistencies corrupts CUPS records in ways only Check
// sees: update bytes that are not those recorded, bytes without their
// update, and a fleet target that is not stored.
func TestCheckFindsCUPSInconsistencies(t *testing.T) {
	ctx := context.Background()
	db, path, kek := openInternal(t)
	if err := db.PutUpdate(ctx, Update{Version: "v1"}, []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(tx *bolt.Tx) error
	}{
		{"bytes changed", func(tx *bolt.Tx) error { return tx.Bucket([]byte(bucketCUPSData)).Put([]byte("v1"), []byte("onf")) }},
		{"bytes without update", func(tx *bolt.Tx) error { return tx.Bucket([]byte(bucketCUPSData)).Put([]byte("v2"), []byte("two")) }},
		{"fleet target missing", func(tx *bolt.Tx) error { return tx.Bucket([]byte(bucketMeta)).Put(metaFleetTarget, []byte("v3")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var undo func(tx *bolt.Tx) error
			rawUpdate(t, path, func(tx *bolt.Tx) error {
				data, meta := tx.Bucket([]byte(bucketCUPSData)), tx.Bucket([]byte(bucketMeta))
				v1, v2, target := bytes.Clone(data.Get([]byte("v1"))), data.Get([]byte("v2")) != nil, bytes.Clone(meta.Get(metaFleetTarget))
				undo = func(tx *bolt.Tx) error {
					data, meta := tx.Bucket([]byte(bucketCUPSData)), tx.Bucket([]byte(bucketMeta))
					if err := data.Put([]byte("v1"), v1); err != nil {
						return err
					}
					if !v2 {
						if err := data.Delete([]byte("v2")); err != nil {
							return err
						}
					}
					if target == nil {
						return meta.Delete(metaFleetTarget)
					}
					return nil
				}
				return tc.edit(tx)
			})
			db, err := Open(path, kek, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Check(ctx); err == nil {
				t.Error("Check found nothing")
			}
			db.Close()
			rawUpdate(t, path, undo)
			db, err = Open(path, kek, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if err := db.Check(ctx); err != nil {
				t.Errorf("Check after undoing: %v", err)
			}
		})
	}
}

// FuzzCUPSSecrets feeds arbitrary plaintext to the decoder of a CUPS
// record's sealed part, and arbitrary records to the CUPS decoders: errors,
// never a panic, and secrets that decode encode back to the same bytes.
func FuzzCUPSSecrets(f *testing.F) {
	k, _ := NewKEK()
	s, err := newSealer(k)
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte{cupsSecretsVersion, 0, 0, 0, 0})
	f.Add([]byte{cupsSecretsVersion, 2, 0x30, 0, 1, 'x', 0, 0})
	f.Add([]byte{cupsSecretsVersion, 0x80, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		key := []byte{1, 2, 3, 4, 5, 6, 7, 8}
		c := CUPSGateway{EUI: lorawan.EUI64(key), CUPSCred: &CredentialSet{}, TCCred: &CredentialSet{}}
		if err := c.openSecrets(key, b); err == nil {
			sealed, err := c.sealSecrets(s)
			if err != nil {
				t.Fatal(err)
			}
			plain, err := s.open(bucketCUPS, key, sealed)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(plain, b) {
				t.Errorf("secrets re-encode to %x, were %x", plain, b)
			}
		}
		decodeCUPS(key, b, s)
		decodeSigningKey(key, b, s)
		var u Update
		decodePublic(b, &u)
	})
}
