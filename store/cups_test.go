package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// Secrets of the CUPS tests, distinct so that a leak is recognisable.
var (
	cupsTCKey     = []byte("\x30\x77tc-private-key-bytes-0123456789")
	cupsCUPSKey   = []byte("\x30\x77cups-private-key-bytes-abcdefgh")
	cupsSignKey   = []byte("\x30\x77signing-private-key-bytes-ZYXWVU")
	cupsTCToken   = "Authorization: Bearer tc-token-s3cr3t-0123456789"
	cupsCertBytes = []byte("\x30\x82\x01\x00certificate-der")
	cupsTrust     = []byte("\x30\x82\x01\x00trust-der")
)

func fp(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func putGateway(t *testing.T, db *store.DB, e lorawan.EUI64, fps ...string) {
	t.Helper()
	if err := db.PutGateway(context.Background(), store.Gateway{EUI: e, Region: "EU868", CertFingerprints: fps}); err != nil {
		t.Fatal(err)
	}
}

func putUpdate(t *testing.T, db *store.DB, version string, data []byte) {
	t.Helper()
	if err := db.PutUpdate(context.Background(), store.Update{Version: version}, data); err != nil {
		t.Fatal(err)
	}
}

func TestCUPSGatewayRoundTrip(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	gw := eui(1)
	putGateway(t, db, gw, fp("old tc"))
	putUpdate(t, db, "v2", []byte("update two"))

	if _, err := db.GetCUPSGateway(ctx, gw); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetCUPSGateway before any state: %v, want ErrNotFound", err)
	}
	started := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	err := db.UpdateCUPS(ctx, gw, func(g *store.Gateway, c *store.CUPSGateway) error {
		if c.EUI != gw || c.TCCred != nil {
			t.Errorf("fresh CUPS state = %+v, want zero with the EUI", c)
		}
		g.CertFingerprints = append(g.CertFingerprints, fp("new tc"))
		c.CUPSURI = "https://cups.example.com:6041"
		c.TCURI = "wss://lns.example.com:6039"
		c.CUPSCred = &store.CredentialSet{Trust: cupsTrust, Cert: cupsCertBytes, Key: cupsCUPSKey, CRC: 7}
		c.TCCred = &store.CredentialSet{Trust: cupsTrust, Token: store.Secret(cupsTCToken), CRC: 9}
		c.TargetVersion = "v2"
		c.CUPSCertFingerprints = []string{fp("cups")}
		c.Rotation = &store.CUPSRotation{StartedAt: started, TCFingerprint: fp("new tc")}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	got, err := db.GetCUPSGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	if got.CUPSCred == nil || !bytes.Equal(got.CUPSCred.Key, cupsCUPSKey) || !bytes.Equal(got.CUPSCred.Cert, cupsCertBytes) {
		t.Errorf("CUPS credentials did not come back whole")
	}
	if want := store.CertFingerprint(cupsCertBytes); got.CUPSCred.Fingerprint != want {
		t.Errorf("CUPS cred fingerprint = %q, want %q", got.CUPSCred.Fingerprint, want)
	}
	if got.TCCred == nil || string(got.TCCred.Token) != cupsTCToken || got.TCCred.Key != nil || got.TCCred.CRC != 9 {
		t.Errorf("TC credentials did not come back whole")
	}
	if got.TargetVersion != "v2" || got.Rotation == nil || !got.Rotation.StartedAt.Equal(started) || got.Rotation.TCFingerprint != fp("new tc") {
		t.Errorf("state = %+v", got)
	}
	g, err := db.GetGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{fp("old tc"), fp("new tc")}; !slices.Equal(g.CertFingerprints, want) {
		t.Errorf("gateway fingerprints = %v, want %v (changed in the same transaction)", g.CertFingerprints, want)
	}

	list, err := db.ListCUPSGateways(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].CUPSCred == nil || list[0].CUPSCred.Key != nil || list[0].TCCred.Token != "" {
		t.Errorf("listing = %+v, want one record without keys or tokens", list)
	}
	if list[0].CUPSCred.CRC != 7 || list[0].TCCred.CRC != 9 {
		t.Errorf("listing CRCs = %d, %d; want 7, 9", list[0].CUPSCred.CRC, list[0].TCCred.CRC)
	}

	// A refusal from fn writes nothing.
	refusal := errors.New("changed my mind")
	err = db.UpdateCUPS(ctx, gw, func(g *store.Gateway, c *store.CUPSGateway) error {
		g.CertFingerprints = nil
		c.TCCred = nil
		return refusal
	})
	if !errors.Is(err, refusal) {
		t.Fatalf("UpdateCUPS = %v, want fn's error", err)
	}
	if again, _ := db.GetCUPSGateway(ctx, gw); again.TCCred == nil {
		t.Error("a refused UpdateCUPS changed the CUPS state")
	}
	if g2, _ := db.GetGateway(ctx, gw); len(g2.CertFingerprints) != 2 {
		t.Error("a refused UpdateCUPS changed the gateway")
	}

	// Deleting the gateway takes its CUPS state.
	if err := db.DeleteGateway(ctx, gw); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetCUPSGateway(ctx, gw); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("CUPS state after DeleteGateway: %v, want ErrNotFound", err)
	}
}

func TestUpdateCUPSRefuses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	gw := eui(2)
	putGateway(t, db, gw)
	tests := []struct {
		name string
		fn   func(g *store.Gateway, c *store.CUPSGateway)
		want error
	}{
		{"cert without key", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.TCCred = &store.CredentialSet{Trust: cupsTrust, Cert: cupsCertBytes}
		}, store.ErrInvalid},
		{"key without cert", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.TCCred = &store.CredentialSet{Trust: cupsTrust, Key: cupsTCKey}
		}, store.ErrInvalid},
		{"token and cert", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.TCCred = &store.CredentialSet{Trust: cupsTrust, Cert: cupsCertBytes, Key: cupsTCKey, Token: "Authorization: x"}
		}, store.ErrInvalid},
		{"no trust", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.CUPSCred = &store.CredentialSet{Token: "Authorization: x"}
		}, store.ErrInvalid},
		{"blob over 64 KiB", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.CUPSCred = &store.CredentialSet{Trust: make([]byte, 1<<16), Token: "x"}
		}, store.ErrInvalid},
		{"uri over 255 bytes", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.TCURI = "wss://" + strings.Repeat("a", 250) + ":1"
		}, store.ErrInvalid},
		{"uri with a newline", func(_ *store.Gateway, c *store.CUPSGateway) { c.CUPSURI = "https://h:1\n" }, store.ErrInvalid},
		{"target not stored", func(_ *store.Gateway, c *store.CUPSGateway) { c.TargetVersion = "v9" }, store.ErrInvalid},
		{"bad cups fingerprint", func(_ *store.Gateway, c *store.CUPSGateway) { c.CUPSCertFingerprints = []string{"abc"} }, store.ErrInvalid},
		{"bad rotation fingerprint", func(_ *store.Gateway, c *store.CUPSGateway) {
			c.Rotation = &store.CUPSRotation{TCFingerprint: "zz"}
		}, store.ErrInvalid},
		{"bad gateway fingerprint", func(g *store.Gateway, _ *store.CUPSGateway) { g.CertFingerprints = []string{"nothex"} }, store.ErrInvalid},
		{"eui changed", func(_ *store.Gateway, c *store.CUPSGateway) { c.EUI = eui(3) }, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := db.UpdateCUPS(ctx, gw, func(g *store.Gateway, c *store.CUPSGateway) error {
				tt.fn(g, c)
				return nil
			})
			if !errors.Is(err, tt.want) {
				t.Errorf("UpdateCUPS = %v, want %v", err, tt.want)
			}
		})
	}
	if _, err := db.GetCUPSGateway(ctx, gw); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused updates left a CUPS state: %v", err)
	}
	err := db.UpdateCUPS(ctx, eui(99), func(*store.Gateway, *store.CUPSGateway) error { return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateCUPS of an unknown gateway = %v, want ErrNotFound", err)
	}
}

func TestAllowsCUPSCert(t *testing.T) {
	t.Parallel()
	certA, certB := []byte("cert a"), []byte("cert b")
	tests := []struct {
		name       string
		gatewayFPs []string
		cupsFPs    []string
		cert       []byte
		want       bool
	}{
		{"nothing pinned", nil, nil, certA, true},
		{"gateway list applies", []string{store.CertFingerprint(certA)}, nil, certA, true},
		{"gateway list refuses", []string{store.CertFingerprint(certA)}, nil, certB, false},
		{"cups list wins", []string{store.CertFingerprint(certA)}, []string{store.CertFingerprint(certB)}, certB, true},
		{"cups list refuses a traffic cert", []string{store.CertFingerprint(certA)}, []string{store.CertFingerprint(certB)}, certA, false},
		{"upper-case hex", nil, []string{strings.ToUpper(store.CertFingerprint(certA))}, certA, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := store.CUPSGateway{CUPSCertFingerprints: tt.cupsFPs}
			if got := c.AllowsCUPSCert(store.Gateway{CertFingerprints: tt.gatewayFPs}, tt.cert); got != tt.want {
				t.Errorf("AllowsCUPSCert = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSigningKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	pubA := bytes.Repeat([]byte{0xa1}, 64)
	pubB := bytes.Repeat([]byte{0xb2}, 64)
	if err := db.AddSigningKey(ctx, store.SigningKey{Name: "prod", Public: pubA, Private: cupsSignKey}); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetSigningKey(ctx, "prod")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Private, cupsSignKey) || !bytes.Equal(got.Public, pubA) || got.CRC != crc32.ChecksumIEEE(pubA) || got.CreatedAt.IsZero() {
		t.Errorf("GetSigningKey = public %x crc %08x created %v; private equal %v", got.Public, got.CRC, got.CreatedAt, bytes.Equal(got.Private, cupsSignKey))
	}
	tests := []struct {
		name string
		key  store.SigningKey
		want error
	}{
		{"same name", store.SigningKey{Name: "prod", Public: pubB, Private: cupsSignKey}, store.ErrExists},
		{"same public key", store.SigningKey{Name: "copy", Public: pubA, Private: cupsSignKey}, store.ErrExists},
		{"short public key", store.SigningKey{Name: "short", Public: pubB[:63], Private: cupsSignKey}, store.ErrInvalid},
		{"no private key", store.SigningKey{Name: "nopriv", Public: pubB}, store.ErrInvalid},
		{"bad name", store.SigningKey{Name: "a/b", Public: pubB, Private: cupsSignKey}, store.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := db.AddSigningKey(ctx, tt.key); !errors.Is(err, tt.want) {
				t.Errorf("AddSigningKey = %v, want %v", err, tt.want)
			}
		})
	}
	if err := db.AddSigningKey(ctx, store.SigningKey{Name: "backup", Public: pubB, Private: cupsSignKey}); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].Name != "backup" || list[1].Name != "prod" || list[0].Private != nil || list[1].Private != nil {
		t.Errorf("ListSigningKeys = %+v, want backup and prod without private keys", list)
	}
	if err := db.DeleteSigningKey(ctx, "backup"); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSigningKey(ctx, "backup"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteSigningKey = %v, want ErrNotFound", err)
	}
}

func TestUpdatesAndTargets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	data := []byte("#!/bin/sh\necho update\n")
	putUpdate(t, db, "1.2.0", data)
	u, err := db.GetUpdate(ctx, "1.2.0")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if u.Size != len(data) || u.SHA256 != hex.EncodeToString(sum[:]) || len(u.Signatures) != 0 {
		t.Errorf("GetUpdate = %+v", u)
	}
	if got, err := db.UpdateData(ctx, "1.2.0"); err != nil || !bytes.Equal(got, data) {
		t.Errorf("UpdateData = %q, %v", got, err)
	}
	sigA := store.UpdateSignature{Key: "a", KeyCRC: 1, DER: []byte{0x30, 0x06, 1, 2, 3, 4, 5, 6}}
	sigB := store.UpdateSignature{Key: "b", KeyCRC: 2, DER: []byte{0x30, 0x02, 1, 2}}
	sigA2 := store.UpdateSignature{Key: "a", KeyCRC: 1, DER: []byte{0x30, 0x02, 9, 9}}
	for _, s := range []store.UpdateSignature{sigA, sigB, sigA2} {
		if err := db.AddUpdateSignature(ctx, "1.2.0", s); err != nil {
			t.Fatal(err)
		}
	}
	u, _ = db.GetUpdate(ctx, "1.2.0")
	if len(u.Signatures) != 2 || !bytes.Equal(u.Signatures[0].DER, sigB.DER) || !bytes.Equal(u.Signatures[1].DER, sigA2.DER) {
		t.Errorf("signatures = %+v, want b then the replaced a", u.Signatures)
	}
	if err := db.AddUpdateSignature(ctx, "9.9", sigA); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("AddUpdateSignature of an unknown update = %v, want ErrNotFound", err)
	}
	if err := db.PutUpdate(ctx, store.Update{Version: "empty"}, nil); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("PutUpdate without bytes = %v, want ErrInvalid", err)
	}
	if err := db.PutUpdate(ctx, store.Update{Version: "a\nb"}, data); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("PutUpdate with a control character in the version = %v, want ErrInvalid", err)
	}

	// Targets: the fleet's and a gateway's keep the update from deletion.
	if err := db.SetFleetTarget(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetFleetTarget of an unknown update = %v, want ErrNotFound", err)
	}
	if err := db.SetFleetTarget(ctx, "1.2.0"); err != nil {
		t.Fatal(err)
	}
	if v, err := db.FleetTarget(ctx); err != nil || v != "1.2.0" {
		t.Errorf("FleetTarget = %q, %v", v, err)
	}
	if err := db.DeleteUpdate(ctx, "1.2.0"); !errors.Is(err, store.ErrReferenced) {
		t.Errorf("DeleteUpdate of the fleet target = %v, want ErrReferenced", err)
	}
	if err := db.SetFleetTarget(ctx, ""); err != nil {
		t.Fatal(err)
	}
	gw := eui(5)
	putGateway(t, db, gw)
	if err := db.UpdateCUPS(ctx, gw, func(_ *store.Gateway, c *store.CUPSGateway) error { c.TargetVersion = "1.2.0"; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUpdate(ctx, "1.2.0"); !errors.Is(err, store.ErrReferenced) {
		t.Errorf("DeleteUpdate of a gateway's target = %v, want ErrReferenced", err)
	}
	if err := db.UpdateCUPS(ctx, gw, func(_ *store.Gateway, c *store.CUPSGateway) error { c.TargetVersion = ""; return nil }); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteUpdate(ctx, "1.2.0"); err != nil {
		t.Fatalf("DeleteUpdate: %v", err)
	}
	if _, err := db.UpdateData(ctx, "1.2.0"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("UpdateData after DeleteUpdate = %v, want ErrNotFound", err)
	}
}

// TestCUPSSecretsStaySealed writes private keys and tokens into CUPS records
// and checks that they never reach the bbolt file, a listing, fmt, slog or
// JSON, and that they survive a KEK rotation.
func TestCUPSSecretsStaySealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, path, _ := storetest.OpenKEK(t, nil)
	gw := eui(7)
	putGateway(t, db, gw)
	err := db.UpdateCUPS(ctx, gw, func(_ *store.Gateway, c *store.CUPSGateway) error {
		c.TCCred = &store.CredentialSet{Trust: cupsTrust, Cert: cupsCertBytes, Key: cupsTCKey}
		c.CUPSCred = &store.CredentialSet{Trust: cupsTrust, Token: store.Secret(cupsTCToken)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddSigningKey(ctx, store.SigningKey{Name: "k", Public: bytes.Repeat([]byte{3}, 64), Private: cupsSignKey}); err != nil {
		t.Fatal(err)
	}
	secrets := [][]byte{cupsTCKey, cupsSignKey, []byte(cupsTCToken), []byte("tc-token-s3cr3t-0123456789")}
	spellings := func(s []byte) []string {
		return []string{string(s), hex.EncodeToString(s), strings.ToUpper(hex.EncodeToString(s)), base64.StdEncoding.EncodeToString(s)}
	}

	full, err := db.GetCUPSGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := db.GetSigningKey(ctx, "k")
	list, _ := db.ListCUPSGateways(ctx)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("records", "cups", full, "tc", full.TCCred, "key", key, "priv", key.Private)
	js, _ := json.Marshal([]any{full, key})
	listJS, _ := json.Marshal(list)
	outputs := map[string]string{
		"fmt %v":    fmt.Sprintf("%v %v %v", full, *full.TCCred, key),
		"fmt %+v":   fmt.Sprintf("%+v %+v", full, key),
		"fmt %x":    fmt.Sprintf("%x %x", full.TCCred.Key, key.Private),
		"slog":      logged.String(),
		"json":      string(js),
		"list json": string(listJS),
	}
	for what, out := range outputs {
		for _, s := range secrets {
			for _, sp := range spellings(s) {
				if strings.Contains(out, sp) {
					t.Errorf("%s holds a secret: %s", what, out)
				}
			}
		}
	}

	newKEK, _ := store.NewKEK()
	if err := db.RotateKEK(newKEK); err != nil {
		t.Fatal(err)
	}
	after, err := db.GetCUPSGateway(ctx, gw)
	if err != nil || !bytes.Equal(after.TCCred.Key, cupsTCKey) || string(after.CUPSCred.Token) != cupsTCToken {
		t.Errorf("CUPS secrets after a KEK rotation: %v", err)
	}
	if k, err := db.GetSigningKey(ctx, "k"); err != nil || !bytes.Equal(k.Private, cupsSignKey) {
		t.Errorf("signing key after a KEK rotation: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		for _, sp := range spellings(s) {
			if bytes.Contains(raw, []byte(sp)) {
				t.Errorf("the store file holds a secret in clear (%d bytes)", len(sp))
			}
		}
	}
}

// TestUpdateCUPSConcurrent runs UpdateCUPS calls that share commits and
// checks that none is lost.
func TestUpdateCUPSConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	gw := eui(8)
	putGateway(t, db, gw)
	const n = 20
	errc := make(chan error, n)
	for i := range n {
		go func() {
			errc <- db.UpdateCUPS(ctx, gw, func(_ *store.Gateway, c *store.CUPSGateway) error {
				c.LastRequest.Keys = append(c.LastRequest.Keys, uint32(i))
				return nil
			})
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	c, err := db.GetCUPSGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.LastRequest.Keys) != n {
		t.Errorf("%d of %d concurrent updates kept", len(c.LastRequest.Keys), n)
	}
}
