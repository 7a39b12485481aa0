package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestOpenWrongKEK(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, kek := storetest.OpenKEK(t, nil)
	mustPutDevice(t, db, otaaDevice(1, "1.0.3"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	other, _ := store.NewKEK()
	_, err := store.Open(path, other, nil)
	if !errors.Is(err, store.ErrWrongKEK) {
		t.Fatalf("Open with another KEK: err = %v, want ErrWrongKEK", err)
	}
	for _, want := range []string{kek.ID(), other.ID()} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name kek id %s", err, want)
		}
	}
	for _, k := range []store.KEK{kek, other} {
		if strings.Contains(strings.ToLower(err.Error()), hex.EncodeToString(k[:8])) {
			t.Errorf("error %q shows key bytes", err)
		}
	}
	db2, err := store.Open(path, kek, nil)
	if err != nil {
		t.Fatalf("reopen with the right KEK: %v", err)
	}
	defer storetest.Close(t, db2)
	if _, err := db2.GetDevice(ctx, eui(1)); err != nil {
		t.Errorf("GetDevice after reopen: %v", err)
	}
}

func TestOpenLocked(t *testing.T) {
	t.Parallel()
	_, path, kek := storetest.OpenKEK(t, nil)
	start := time.Now()
	_, err := store.Open(path, kek, &store.Options{LockTimeout: 100 * time.Millisecond})
	if !errors.Is(err, store.ErrLocked) {
		t.Fatalf("second Open: err = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v, want about the lock timeout", d)
	}
}

func TestStoreFileMode(t *testing.T) {
	t.Parallel()
	_, path, _ := storetest.OpenKEK(t, nil)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("store file mode = %#o, want 0600", got)
	}
}

func TestClosed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, _, _ := storetest.OpenKEK(t, nil)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
	if _, err := db.GetDevice(ctx, eui(1)); !errors.Is(err, store.ErrClosed) {
		t.Errorf("GetDevice after Close: %v, want ErrClosed", err)
	}
	if err := db.AdvanceFCntUp(ctx, eui(1), 1); !errors.Is(err, store.ErrClosed) {
		t.Errorf("AdvanceFCntUp after Close: %v, want ErrClosed", err)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := db.PutDevice(ctx, otaaDevice(1, "1.0.3")); !errors.Is(err, context.Canceled) {
		t.Errorf("PutDevice with a canceled context: %v, want context.Canceled", err)
	}
}

// TestRawFileHasNoKeys writes records with known keys, closes the store and
// searches the bbolt file for the keys in every encoding a careless writer
// could use: raw, hex (both cases) and base64.
func TestRawFileHasNoKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, kek := storetest.OpenKEK(t, nil)

	var secrets [][]byte
	addKey := func(k lorawan.AES128Key) { secrets = append(secrets, bytes.Clone(k[:])) }

	if err := db.PutDestination(ctx, store.Destination{
		Name: "hook", Kind: store.KindHTTP, HTTPURL: "https://example.com/up",
		HTTPHeader: "Authorization", HTTPSecret: "Bearer s3cr3t-t0ken-value-0123456789",
	}); err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, []byte("s3cr3t-t0ken-value-0123456789"))

	for i, mac := range []string{"1.0.3", "1.1"} {
		d := otaaDevice(uint64(10+i), mac)
		d.Destination = "hook"
		mustPutDevice(t, db, d)
		addKey(d.RootKeys.AppKey)
		if mac == "1.1" {
			addKey(d.RootKeys.NwkKey)
		}
		v, _ := lorawan.ParseMACVersion(mac)
		active := session(uint64(10+i), lorawan.DevAddr{0x26, 1, 2, byte(i)}, v)
		pending := session(uint64(10+i), lorawan.DevAddr{0x26, 9, 9, byte(i)}, v)
		mustPutSession(t, db, active)
		if err := db.PutPendingSession(ctx, pending); err != nil {
			t.Fatal(err)
		}
		for _, s := range []store.Session{active, pending} {
			addKey(s.Keys.FNwkSIntKey)
			addKey(s.Keys.SNwkSIntKey)
			addKey(s.Keys.NwkSEncKey)
			addKey(s.Keys.AppSKey)
		}
		// Counter traffic rewrites the session records many times.
		for f := uint32(0); f < 20; f++ {
			if err := db.AdvanceFCntUp(ctx, active.DevEUI, f); err != nil {
				t.Fatal(err)
			}
		}
	}
	abp := store.Device{
		DevEUI: eui(30), MACVersion: "1.0.2", Class: store.ClassC, Region: "US915", Name: "abp-marker-name",
		ABP: true, DevAddr: lorawan.DevAddr{0x26, 0xab, 0xcd, 0xef},
		ABPKeys: store.SessionKeys10(testKey("abp nwk"), testKey("abp app")),
	}
	mustPutDevice(t, db, abp)
	addKey(abp.ABPKeys.FNwkSIntKey)
	addKey(abp.ABPKeys.AppSKey)
	// A rotation leaves the old sealed values in free pages: they must not
	// hold plain keys either.
	newKEK, _ := store.NewKEK()
	if err := db.RotateKEK(newKEK); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Positive control: the search finds what is stored in clear.
	if !bytes.Contains(raw, []byte("abp-marker-name")) || !bytes.Contains(raw, []byte(abp.DevEUI.String())) {
		t.Fatal("the file does not hold the device name and DevEUI: the search would find nothing")
	}
	secrets = append(secrets, kek[:], newKEK[:])
	for _, s := range secrets {
		for _, enc := range []string{"raw", "hex", "HEX", "base64"} {
			var needle []byte
			switch enc {
			case "raw":
				needle = s
			case "hex":
				needle = []byte(hex.EncodeToString(s))
			case "HEX":
				needle = []byte(strings.ToUpper(hex.EncodeToString(s)))
			case "base64":
				needle = []byte(base64.StdEncoding.EncodeToString(s))
			}
			if bytes.Contains(raw, needle) {
				t.Errorf("the store file holds a secret (%s %x…)", enc, s[:2])
			}
		}
	}
	if err := storetest.CheckFile(path); err != nil {
		t.Error(err)
	}
}
