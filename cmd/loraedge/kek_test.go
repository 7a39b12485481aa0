package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

func TestKEKRotateCommand(t *testing.T) {
	t.Setenv(store.EnvKEK, "")
	ctx := context.Background()
	dir := t.TempDir()
	dbPath, kekPath := filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile)
	db, err := store.OpenWithKEKFile(dbPath, kekPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	appKey := lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	dev := store.Device{DevEUI: lorawan.EUI64{0x70, 1}, MACVersion: "1.0.3", Class: "A", Region: "EU868", RootKeys: store.RootKeys{AppKey: appKey}}
	if err := db.PutDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	oldID := db.KEKID()
	oldKEK, err := store.LoadKEK(kekPath)
	if err != nil {
		t.Fatal(err)
	}

	// While the store is open (the cloud running), rotate refuses clearly.
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"kek", "rotate", "--data", dir}, &out, &errOut); code != exitFailure || !strings.Contains(errOut.String(), "stop the cloud") {
		t.Errorf("rotate on an open store: exit %d, stderr %q; want %d and a hint to stop the cloud", code, errOut.String(), exitFailure)
	}
	db.Close()

	out.Reset()
	errOut.Reset()
	if code := run(ctx, []string{"kek", "rotate", "--data", dir}, &out, &errOut); code != exitOK {
		t.Fatalf("kek rotate: exit %d, stderr %q", code, errOut.String())
	}
	newKEK, err := store.LoadKEK(kekPath)
	if err != nil {
		t.Fatal(err)
	}
	if newKEK == oldKEK {
		t.Fatal("the kek file did not change")
	}
	if !strings.Contains(out.String(), oldID) || !strings.Contains(out.String(), newKEK.ID()) {
		t.Errorf("output %q does not name the old and new kek ids", out.String())
	}
	printed := strings.ToLower(out.String() + errOut.String())
	for _, secret := range [][]byte{oldKEK[:], newKEK[:], appKey[:]} {
		if strings.Contains(printed, hex.EncodeToString(secret)[:12]) {
			t.Errorf("output shows a key: %q", printed)
		}
	}
	if _, err := store.Open(dbPath, oldKEK, nil); !errors.Is(err, store.ErrWrongKEK) {
		t.Errorf("Open with the old KEK after rotate: %v, want ErrWrongKEK", err)
	}
	db2, err := store.Open(dbPath, newKEK, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db2.GetDevice(ctx, dev.DevEUI)
	if err != nil || got.RootKeys != dev.RootKeys {
		t.Errorf("GetDevice after rotate: keys kept %v, %v", got.RootKeys == dev.RootKeys, err)
	}
	if err := db2.Check(ctx); err != nil {
		t.Error(err)
	}
	db2.Close()

	out.Reset()
	if code := run(ctx, []string{"kek", "id", "--data", dir}, &out, &errOut); code != exitOK || strings.TrimSpace(out.String()) != newKEK.ID() {
		t.Errorf("kek id: exit %d, output %q; want %s", code, out.String(), newKEK.ID())
	}
}

func TestKEKCommandRefusals(t *testing.T) {
	t.Setenv(store.EnvKEK, "")
	empty := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		env      string
		want     int
		inStderr string
	}{
		{"no subcommand", []string{"kek"}, "", exitUsage, "usage"},
		{"unknown subcommand", []string{"kek", "spin"}, "", exitUsage, "unknown"},
		{"no data dir", []string{"kek", "rotate"}, "", exitUsage, "--data"},
		{"no store", []string{"kek", "rotate", "--data", empty}, "", exitFailure, "does not exist"},
		{"env kek", []string{"kek", "rotate", "--data", empty}, strings.Repeat("ab", 32), exitFailure, store.EnvKEK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(store.EnvKEK, tc.env)
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, &out, &errOut)
			if code != tc.want || !strings.Contains(errOut.String(), tc.inStderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut.String(), tc.want, tc.inStderr)
			}
			if strings.Contains(errOut.String(), strings.Repeat("ab", 32)) {
				t.Error("stderr repeats the KEK")
			}
		})
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a refused command created %d files in the data dir", len(entries))
	}
}

// TestKEKHelp: asking for help is not an error: the usage goes to stdout
// and the exit status is 0, as for every other command.
func TestKEKHelp(t *testing.T) {
	for _, args := range [][]string{{"kek", "--help"}, {"kek", "rotate", "--help"}, {"kek", "id", "-h"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != exitOK || !strings.Contains(out.String()+errOut.String(), "usage: loraedge kek rotate|id") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 0 and the usage", args, code, out.String(), errOut.String())
		}
	}
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"kek", "rotate", "--bogus"}, &out, &errOut); code != exitUsage || !strings.Contains(errOut.String(), "-bogus") {
		t.Errorf("unknown flag: exit %d, stderr %q; want 2 naming it", code, errOut.String())
	}
}
