package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

const tCUPSGateway = "b827ebfffe6151a5"

// cupsData makes a data directory with a gateway CA and one registered
// gateway.
func cupsData(t *testing.T) string {
	t.Helper()
	noEnvKEK(t)
	data := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if _, err := pki.LoadOrCreateCA(data, time.Now()); err != nil {
		t.Fatal(err)
	}
	mustRunCUPS(t, "gateway", "add", "--eui", tCUPSGateway, "--region", "EU868", "--data", data)
	return data
}

// mustRunCUPS runs the CLI and fails unless it exits 0.
func mustRunCUPS(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("loraedge %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	return stdout
}

func TestUpdateKeygenAndSign(t *testing.T) {
	data := cupsData(t)
	dir := t.TempDir()
	pubFile := filepath.Join(dir, "sig-release.key")
	out := mustRunCUPS(t, "update", "keygen", "--name", "release", "--out", pubFile, "--data", data)
	pubBytes, err := os.ReadFile(pubFile)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := cups.ParsePublicKey(pubBytes)
	if err != nil || len(pubBytes) != 64 {
		t.Fatalf("public key file of %d bytes: %v", len(pubBytes), err)
	}
	if want := hex.EncodeToString(pubBytes); !strings.Contains(out, want) {
		t.Errorf("keygen output does not show the public key %s:\n%s", want, out)
	}
	if code, _, stderr := runCLI(t, "update", "keygen", "--name", "release", "--out", filepath.Join(dir, "other.key"), "--data", data); code != exitFailure || !strings.Contains(stderr, "already exists") {
		t.Errorf("second keygen of the same name: exit %d, %s", code, stderr)
	}

	update := filepath.Join(dir, "agent-2.0.0.bin")
	body := []byte("loraedge update 2.0.0\n#!/bin/sh\n")
	if err := os.WriteFile(update, body, 0o644); err != nil {
		t.Fatal(err)
	}
	// Flags after the file, as people type them.
	out = mustRunCUPS(t, "update", "sign", "--key", "release", update, "--version", "2.0.0", "--data", data)
	if !strings.Contains(out, "target of every gateway") {
		t.Errorf("sign output: %s", out)
	}
	ctx := context.Background()
	check := func(wantSigs int, wantTarget string) {
		t.Helper()
		db := openData(t, data)
		defer db.Close()
		u, err := db.GetUpdate(ctx, "2.0.0")
		if err != nil {
			t.Fatal(err)
		}
		stored, err := db.UpdateData(ctx, "2.0.0")
		if err != nil || !bytes.Equal(stored, body) {
			t.Fatalf("stored update bytes differ: %v", err)
		}
		if len(u.Signatures) != wantSigs {
			t.Fatalf("%d signatures, want %d", len(u.Signatures), wantSigs)
		}
		s := u.Signatures[0]
		if _, err := cups.Verify([]cups.PublicKey{pub}, body, &cups.Signature{KeyCRC: s.KeyCRC, DER: s.DER}); err != nil || s.KeyCRC != pub.CRC() {
			t.Errorf("stored signature: key crc %08x (want %08x), %v", s.KeyCRC, pub.CRC(), err)
		}
		if v, _ := db.FleetTarget(ctx); v != wantTarget {
			t.Errorf("fleet target %q, want %q", v, wantTarget)
		}
		if err := db.Check(ctx); err != nil {
			t.Error(err)
		}
	}
	check(1, "2.0.0")

	// Signing the same bytes again replaces the key's signature.
	mustRunCUPS(t, "update", "sign", "--key", "release", "--version", "2.0.0", "--data", data, update)
	check(1, "2.0.0")
	// Other bytes under the same version need --replace.
	if err := os.WriteFile(update, []byte("loraedge update 2.0.0\nother\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "update", "sign", "--key", "release", "--version", "2.0.0", "--data", data, update); code != exitFailure || !strings.Contains(stderr, "--replace") {
		t.Errorf("other bytes without --replace: exit %d, %s", code, stderr)
	}
	// A per-gateway target.
	mustRunCUPS(t, "update", "sign", "--key", "release", "--version", "2.1.0", "--eui", tCUPSGateway, "--data", data, update)
	db := openData(t, data)
	c, err := db.GetCUPSGateway(ctx, mustEUI(t, tCUPSGateway))
	db.Close()
	if err != nil || c.TargetVersion != "2.1.0" {
		t.Errorf("gateway target %q, %v; want 2.1.0", c.TargetVersion, err)
	}
	out = mustRunCUPS(t, "update", "list", "--data", data)
	for _, want := range []string{"release", hex.EncodeToString(pubBytes), "2.0.0", "2.1.0"} {
		if !strings.Contains(out, want) {
			t.Errorf("update list does not show %q:\n%s", want, out)
		}
	}

	// A file over the limit is refused before it is read (a sparse file).
	huge := filepath.Join(dir, "huge.bin")
	hf, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := hf.Truncate(admin.MaxUpdateSize + 1); err != nil {
		t.Fatal(err)
	}
	hf.Close()
	empty := filepath.Join(dir, "empty.bin")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	usage := []struct {
		name string
		args []string
	}{
		{"sign a file over the limit", []string{"update", "sign", "--key", "release", huge, "--data", data}},
		{"sign an empty file", []string{"update", "sign", "--key", "release", empty, "--data", data}},
		{"sign with a control character in the version", []string{"update", "sign", "--key", "release", "--version", "a\x01", update, "--data", data}},
		{"sign without key", []string{"update", "sign", update, "--data", data}},
		{"sign without file", []string{"update", "sign", "--key", "release", "--data", data}},
		{"sign with eui and no-target", []string{"update", "sign", "--key", "release", "--eui", tCUPSGateway, "--no-target", update, "--data", data}},
		{"keygen without name", []string{"update", "keygen", "--data", data}},
		{"keygen bad name", []string{"update", "keygen", "--name", "a/b", "--out", filepath.Join(dir, "x"), "--data", data}},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			if code, _, stderr := runCLI(t, tt.args...); code != exitUsage {
				t.Errorf("exit %d, want %d: %s", code, exitUsage, stderr)
			}
		})
	}
	if code, _, stderr := runCLI(t, "update", "sign", "--key", "nokey", update, "--data", data); code != exitFailure || !strings.Contains(stderr, "no signing key") {
		t.Errorf("unknown key: exit %d, %s", code, stderr)
	}
}

func TestGatewayCUPSHomeRotateStatus(t *testing.T) {
	data := cupsData(t)
	dir := t.TempDir()
	mustRunCUPS(t, "update", "keygen", "--name", "release", "--out", filepath.Join(dir, "sig.key"), "--data", data)
	home := filepath.Join(dir, "home")
	const cupsURI = "https://127.0.0.1:6041"
	out := mustRunCUPS(t, "gateway", "cups-home", "--eui", tCUPSGateway, "--out", home, "--cups-uri", cupsURI, "--sig-keys", "--data", data)
	for _, f := range []string{"cups.uri", "cups.trust", "cups.crt", "cups.key", "sig-0.key"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Errorf("home: %v", err)
		}
	}
	for _, f := range []string{"tc.uri", "tc.crt", "tc.key"} {
		if _, err := os.Stat(filepath.Join(home, f)); err == nil {
			t.Errorf("bootstrap home holds %s", f)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(home, "sig-0.key")); !bytes.Equal(b, mustRead(t, filepath.Join(dir, "sig.key"))) {
		t.Error("sig-0.key is not the signing key's public key")
	}
	if uri := string(mustRead(t, filepath.Join(home, "cups.uri"))); uri != cupsURI {
		t.Errorf("cups.uri = %q", uri)
	}
	ctx := context.Background()
	db := openData(t, data)
	c, err := db.GetCUPSGateway(ctx, mustEUI(t, tCUPSGateway))
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	cert := mustRead(t, filepath.Join(home, "cups.crt"))
	if c.CUPSCred == nil || !bytes.Equal(c.CUPSCred.Cert, cert) || c.TCCred == nil || c.CUPSURI != cupsURI || c.Rotation == nil {
		t.Fatalf("CUPS state after cups-home: %+v", c)
	}
	if got := cups.CredCRC(mustRead(t, filepath.Join(home, "cups.trust")), cert, mustRead(t, filepath.Join(home, "cups.key"))); got != c.CUPSCred.CRC {
		t.Errorf("CRC of the written cups.* %08x, desired %08x", got, c.CUPSCred.CRC)
	}
	if !strings.Contains(out, store.CertFingerprint(cert)) {
		t.Errorf("cups-home output does not name the CUPS certificate:\n%s", out)
	}
	if code, _, stderr := runCLI(t, "gateway", "cups-home", "--eui", tCUPSGateway, "--out", home, "--cups-uri", cupsURI, "--data", data); code != exitFailure || !strings.Contains(stderr, "--force") {
		t.Errorf("cups-home over an existing home: exit %d, %s", code, stderr)
	}

	out = mustRunCUPS(t, "gateway", "rotate", "--eui", tCUPSGateway, "--data", data)
	if !strings.Contains(out, "replaces a rotation") || !strings.Contains(out, "no CUPS request yet") {
		t.Errorf("rotate output:\n%s", out)
	}
	mustRunCUPS(t, "cups", "set", "--eui", tCUPSGateway, "--tc-uri", "wss://lns.example.com:443", "--data", data)

	out = mustRunCUPS(t, "cups", "status", "--data", data)
	for _, want := range []string{tCUPSGateway, "pending tc+cups", "pending (no request yet)", "release"} {
		if !strings.Contains(out, want) {
			t.Errorf("cups status does not show %q:\n%s", want, out)
		}
	}
	js := mustRunCUPS(t, "cups", "status", "--json", "--eui", tCUPSGateway, "--data", data)
	var st []admin.CUPSGateway
	if err := json.Unmarshal([]byte(js), &st); err != nil {
		t.Fatalf("status JSON: %v\n%s", err, js)
	}
	if len(st) != 1 || st[0].State == nil || st[0].State.TCURI != "wss://lns.example.com:443" || st[0].State.Rotation == nil {
		t.Errorf("status JSON = %s", js)
	}
	key := mustRead(t, filepath.Join(home, "cups.key"))
	for _, spelling := range []string{hex.EncodeToString(key), base64.StdEncoding.EncodeToString(key)} {
		if strings.Contains(js, spelling) || strings.Contains(out, spelling) {
			t.Error("cups status shows a private key")
		}
	}

	failures := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"rotate unknown gateway", []string{"gateway", "rotate", "--eui", "0102030405060708", "--data", data}, exitFailure, "not registered"},
		{"rotate without eui", []string{"gateway", "rotate", "--data", data}, exitUsage, "--eui"},
		{"rotate bad tc uri", []string{"gateway", "rotate", "--eui", tCUPSGateway, "--tc-uri", "wss://h", "--data", data}, exitUsage, "port"},
		{"cups-home with cups off", []string{"gateway", "cups-home", "--eui", tCUPSGateway, "--out", t.TempDir(), "--data", data}, exitUsage, "CUPS server is off"},
		{"set target not stored", []string{"cups", "set", "--eui", tCUPSGateway, "--target", "9.9", "--data", data}, exitUsage, "not a stored update"},
		{"set nothing", []string{"cups", "set", "--eui", tCUPSGateway, "--data", data}, exitUsage, "nothing to set"},
		{"status without store", []string{"cups", "status", "--data", t.TempDir()}, exitFailure, "no store"},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, tt.code, tt.want)
			}
		})
	}
}

// TestCUPSCommandsWithTheStoreHeld holds the store open, as a process other
// than a running cloud with an admin API would: the commands say what holds
// them up instead of waiting or failing obscurely.
func TestCUPSCommandsWithTheStoreHeld(t *testing.T) {
	data := cupsData(t)
	db := openData(t, data)
	defer db.Close()
	update := filepath.Join(t.TempDir(), "u.bin")
	if err := os.WriteFile(update, []byte("update"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"cups", "status", "--data", data},
		{"cups", "set", "--eui", tCUPSGateway, "--target", "fleet", "--data", data},
		{"gateway", "rotate", "--eui", tCUPSGateway, "--data", data},
		{"gateway", "cups-home", "--eui", tCUPSGateway, "--out", t.TempDir(), "--cups-uri", "https://127.0.0.1:6041", "--data", data},
		{"update", "list", "--data", data},
		{"update", "keygen", "--name", "k", "--out", filepath.Join(t.TempDir(), "k.key"), "--data", data},
		{"update", "sign", "--key", "k", update, "--data", data},
	} {
		code, _, stderr := runCLI(t, args...)
		if code != exitFailure || !strings.Contains(stderr, "database in use") || !strings.Contains(stderr, admin.EndpointFile) {
			t.Errorf("%v with the store held and no admin API: exit %d, %q; want 1 naming the lock and %s", args, code, stderr, admin.EndpointFile)
		}
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
