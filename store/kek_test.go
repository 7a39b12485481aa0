package store_test

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/store"
)

func TestParseKEK(t *testing.T) {
	t.Parallel()
	good := strings.Repeat("a1", 32)
	tests := []struct {
		name string
		in   string
		ok   bool
	}{
		{"hex", good, true},
		{"upper hex with newline", strings.ToUpper(good) + "\n", true},
		{"short", good[:62], false},
		{"long", good + "00", false},
		{"not hex", "zz" + good[2:], false},
		{"empty", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := store.ParseKEK(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseKEK: err = %v, want ok %v", err, tc.ok)
			}
			if err != nil && len(tc.in) > 8 && strings.Contains(err.Error(), tc.in[2:10]) {
				t.Errorf("error %q repeats the key text", err)
			}
			if tc.ok && hex.EncodeToString(k[:]) != strings.ToLower(strings.TrimSpace(tc.in)) {
				t.Errorf("ParseKEK = %x, want %s", k[:], tc.in)
			}
		})
	}
}

func TestLoadKEKPermissions(t *testing.T) {
	t.Parallel()
	k, err := store.NewKEK()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		mode    os.FileMode
		content []byte
		wantErr error
	}{
		{"0600 hex", 0o600, []byte(hex.EncodeToString(k[:]) + "\n"), nil},
		{"0400 raw", 0o400, k[:], nil},
		{"0644", 0o644, []byte(hex.EncodeToString(k[:])), store.ErrInsecureKEKFile},
		{"0640", 0o640, []byte(hex.EncodeToString(k[:])), store.ErrInsecureKEKFile},
		{"0602", 0o602, []byte(hex.EncodeToString(k[:])), store.ErrInsecureKEKFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kek")
			if err := os.WriteFile(path, tc.content, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			got, err := store.LoadKEK(path)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("LoadKEK: err = %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr != nil {
				if !strings.Contains(err.Error(), "chmod 600") {
					t.Errorf("error %q does not say how to fix it", err)
				}
				return
			}
			if got != k {
				t.Errorf("LoadKEK = %v, want %v", got, k)
			}
		})
	}
}

func TestLoadKEKBadContent(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kek")
	secretish := strings.Repeat("5e", 31) // 62 digits: one byte short
	if err := os.WriteFile(path, []byte(secretish), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := store.LoadKEK(path)
	if err == nil {
		t.Fatal("LoadKEK of a short key: nil error")
	}
	if strings.Contains(err.Error(), secretish[:16]) {
		t.Errorf("error %q repeats the file content", err)
	}
}

func TestLoadOrCreateKEK(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "kek")
	k1, err := store.LoadOrCreateKEK(path)
	if err != nil {
		t.Fatalf("first LoadOrCreateKEK: %v", err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Mode().Perm(); got != 0o600 {
		t.Errorf("kek file mode = %#o, want 0600", got)
	}
	if k1 == (store.KEK{}) {
		t.Error("created KEK is zero")
	}
	k2, err := store.LoadOrCreateKEK(path)
	if err != nil {
		t.Fatalf("second LoadOrCreateKEK: %v", err)
	}
	if k1 != k2 {
		t.Errorf("second LoadOrCreateKEK = %v, want the created %v", k2, k1)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the kek file (no temporary left)", len(entries))
	}
}

func TestKEKFromEnv(t *testing.T) {
	k, err := store.NewKEK()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		value   string
		wantOK  bool
		wantErr bool
	}{
		{"unset", "", false, false},
		{"hex", hex.EncodeToString(k[:]), true, false},
		{"bad", "not-a-key", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(store.EnvKEK, tc.value)
			got, ok, err := store.KEKFromEnv()
			if ok != tc.wantOK || (err != nil) != tc.wantErr {
				t.Fatalf("KEKFromEnv = ok %v err %v, want ok %v err %v", ok, err, tc.wantOK, tc.wantErr)
			}
			if ok && got != k {
				t.Errorf("KEKFromEnv = %v, want %v", got, k)
			}
		})
	}
}

func TestKEKIDDistinguishes(t *testing.T) {
	t.Parallel()
	a, _ := store.NewKEK()
	b, _ := store.NewKEK()
	if a.ID() == b.ID() {
		t.Errorf("two random KEKs share id %s", a.ID())
	}
	if _, err := hex.DecodeString(a.ID()); err != nil || len(a.ID()) != 16 {
		t.Errorf("ID = %q, want 16 hex digits", a.ID())
	}
	if strings.Contains(a.ID(), hex.EncodeToString(a[:4])) {
		t.Errorf("ID %q shows the key's first bytes", a.ID())
	}
}
