package cups

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func rsaTestKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestParsePublicKeyForms(t *testing.T) {
	t.Parallel()
	raw := readTestdata(t, "sig-0.key") // openssl pkey -pubout -outform DER | tail -c 64
	pemKey := readTestdata(t, "sign-key.pub.pem")
	block, _ := pem.Decode(pemKey)
	tests := []struct {
		name string
		in   []byte
	}{
		{"raw sig-N.key", raw},
		{"uncompressed point", append([]byte{4}, raw...)},
		{"PEM SubjectPublicKeyInfo", pemKey},
		{"DER SubjectPublicKeyInfo", block.Bytes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParsePublicKey(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got[:], raw) {
				t.Errorf("got %x, want %x", got[:], raw)
			}
		})
	}
}

func TestParsePublicKeyMalformed(t *testing.T) {
	t.Parallel()
	raw := readTestdata(t, "sig-0.key")
	offCurve := bytes.Clone(raw)
	offCurve[63] ^= 1
	rsaPub, err := x509.MarshalPKIXPublicKey(&rsaTestKey(t).PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384Pub, err := x509.MarshalPKIXPublicKey(&p384.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, wantErr string
		in            []byte
	}{
		{"zeros", "not a P-256 point", make([]byte, 64)},
		{"off the curve", "not a P-256 point", offCurve},
		{"63 bytes", "public key", raw[:63]},
		{"compressed point", "public key", append([]byte{2}, raw[:32]...)},
		{"RSA key", "want ECDSA P-256", rsaPub},
		{"P-384 key", "want P-256", p384Pub},
		{"private key PEM", `PEM block "PRIVATE KEY"`, readTestdata(t, "sign-key.pem")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParsePublicKey(tt.in)
			if err == nil {
				t.Fatalf("no error, got %x", k[:])
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseSigningKey(t *testing.T) {
	t.Parallel()
	pub, err := ParsePublicKey(readTestdata(t, "sig-0.key"))
	if err != nil {
		t.Fatal(err)
	}
	p8pem := readTestdata(t, "sign-key.pem")
	block, _ := pem.Decode(p8pem)
	priv, err := ParseSigningKey(p8pem)
	if err != nil {
		t.Fatal(err)
	}
	sec1, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	ecparams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7}})
	tests := []struct {
		name string
		in   []byte
	}{
		{"PKCS#8 PEM", p8pem},
		{"PKCS#8 DER", block.Bytes},
		{"SEC1 DER", sec1},
		{"SEC1 PEM after EC PARAMETERS", append(ecparams, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := ParseSigningKey(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := PublicKeyFromECDSA(&k.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			if got != pub {
				t.Errorf("public key %x, want %x", got[:], pub[:])
			}
		})
	}

	p384, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p384der, err := x509.MarshalECPrivateKey(p384)
	if err != nil {
		t.Fatal(err)
	}
	rsaDer, err := x509.MarshalPKCS8PrivateKey(rsaTestKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		in   []byte
	}{{"P-384", p384der}, {"RSA", rsaDer}, {"public key", readTestdata(t, "sign-key.pub.pem")}, {"garbage", []byte("key")}} {
		t.Run("refuses "+tt.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ParseSigningKey(tt.in); !errors.Is(err, ErrMalformed) {
				t.Errorf("error %v, want one wrapping ErrMalformed", err)
			}
		})
	}
}

func TestSignVerify(t *testing.T) {
	t.Parallel()
	priv, err := ParseSigningKey(readTestdata(t, "sign-key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(readTestdata(t, "sig-0.key"))
	if err != nil {
		t.Fatal(err)
	}
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, err := PublicKeyFromECDSA(&other.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	update := readTestdata(t, "update.bin")
	sig, err := Sign(priv, update)
	if err != nil {
		t.Fatal(err)
	}
	if sig.KeyCRC != pub.CRC() {
		t.Errorf("KeyCRC = %08x, want %08x", sig.KeyCRC, pub.CRC())
	}
	if n := len(sig.DER); n < 8 || n > 72 {
		t.Errorf("DER signature of %d bytes, want 8..72", n)
	}
	// The signature must fit the answer.
	if _, err := (&UpdateInfoResponse{Sig: sig, Update: update}).MarshalBinary(); err != nil {
		t.Errorf("signed answer: %v", err)
	}

	var notAPoint PublicKey // all zeros: Station skips such a key file
	got, err := Verify([]PublicKey{notAPoint, otherPub, pub}, update, sig)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if got != pub {
		t.Errorf("verified by %08x, want %08x", got.CRC(), pub.CRC())
	}
	// The CRC is only a hint: a wrong one does not stop verification.
	hinted := &Signature{KeyCRC: otherPub.CRC(), DER: sig.DER}
	if _, err := Verify([]PublicKey{pub}, update, hinted); err != nil {
		t.Errorf("verify with a wrong key CRC: %v", err)
	}

	flipped := bytes.Clone(update)
	flipped[len(flipped)-1] ^= 1
	badDER := bytes.Clone(sig.DER)
	badDER[len(badDER)-1] ^= 1
	otherSig, err := Sign(other, update)
	if err != nil {
		t.Fatal(err)
	}
	fails := []struct {
		name    string
		keys    []PublicKey
		update  []byte
		sig     *Signature
		wantErr string
	}{
		{"changed update", []PublicKey{pub}, flipped, sig, "none of 1 keys"},
		{"truncated update", []PublicKey{pub}, update[:len(update)-1], sig, "none of 1 keys"},
		{"changed signature", []PublicKey{pub}, update, &Signature{KeyCRC: sig.KeyCRC, DER: badDER}, "none of 1 keys"},
		{"trailing byte after DER", []PublicKey{pub}, update, &Signature{KeyCRC: sig.KeyCRC, DER: append(bytes.Clone(sig.DER), 0)}, "none of 1 keys"},
		{"signed by an unknown key", []PublicKey{pub, notAPoint}, update, otherSig, "none of 2 keys"},
		{"no signature", []PublicKey{pub}, update, nil, "no signature"},
		{"no keys", nil, update, sig, "no signature key held"},
	}
	for _, tt := range fails {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, err := Verify(tt.keys, tt.update, tt.sig)
			if err == nil {
				t.Fatalf("verified by %08x", k.CRC())
			}
			if !errors.Is(err, ErrUnverified) {
				t.Errorf("error %q does not wrap ErrUnverified", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestSignRefusesOtherCurves(t *testing.T) {
	t.Parallel()
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Sign(k, []byte("x")); err == nil {
		t.Error("Sign with a P-384 key: no error")
	}
	if _, err := Sign(nil, []byte("x")); err == nil {
		t.Error("Sign with no key: no error")
	}
}

// needTool returns the path of a command, skipping the test when it is absent
// outside CI and failing it when CI=true.
func needTool(t *testing.T, name string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not found and CI=true: %v", name, err)
		}
		t.Skipf("%s not found: %v", name, err)
	}
	return path
}

func runTool(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestOpenSSLCompat checks Sign and Verify against openssl, which the notes
// found to agree with Station: "openssl dgst -sha512 -sign" makes signatures
// Station accepts, and the last 64 bytes of the DER public key are sig-N.key.
func TestOpenSSLCompat(t *testing.T) {
	t.Parallel()
	openssl := needTool(t, "openssl")
	dir := t.TempDir()
	file := func(name string) string { return filepath.Join(dir, name) }
	update := bytes.Repeat([]byte("loraedge update\n"), 1000)
	if err := os.WriteFile(file("update.bin"), update, 0o600); err != nil {
		t.Fatal(err)
	}
	// A fresh key in the form "openssl ecparam -genkey" writes (EC PARAMETERS + EC PRIVATE KEY).
	runTool(t, openssl, "ecparam", "-name", "prime256v1", "-genkey", "-out", file("key.pem"))
	runTool(t, openssl, "ec", "-in", file("key.pem"), "-pubout", "-out", file("pub.pem"))
	runTool(t, openssl, "ec", "-pubin", "-in", file("pub.pem"), "-outform", "DER", "-out", file("pub.der"))
	keyPEM, err := os.ReadFile(file("key.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pubDER, err := os.ReadFile(file("pub.der"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ParseSigningKey(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ParsePublicKey(pubDER[len(pubDER)-64:]) // tail -c 64, as the notes make sig-0.key
	if err != nil {
		t.Fatal(err)
	}
	if fromPriv, _ := PublicKeyFromECDSA(&priv.PublicKey); fromPriv != pub {
		t.Fatalf("openssl public key %x, ours %x", pub[:], fromPriv[:])
	}

	t.Run("openssl verifies Sign", func(t *testing.T) {
		sig, err := Sign(priv, update)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file("ours.sig"), sig.DER, 0o600); err != nil {
			t.Fatal(err)
		}
		out := runTool(t, openssl, "dgst", "-sha512", "-verify", file("pub.pem"), "-signature", file("ours.sig"), file("update.bin"))
		if !strings.Contains(out, "Verified OK") {
			t.Errorf("openssl: %s", out)
		}
	})
	t.Run("Verify accepts openssl", func(t *testing.T) {
		runTool(t, openssl, "dgst", "-sha512", "-sign", file("key.pem"), "-out", file("openssl.sig"), file("update.bin"))
		der, err := os.ReadFile(file("openssl.sig"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Verify([]PublicKey{pub}, update, &Signature{DER: der}); err != nil {
			t.Errorf("verify openssl signature: %v", err)
		}
		if _, err := Verify([]PublicKey{pub}, update[1:], &Signature{DER: der}); !errors.Is(err, ErrUnverified) {
			t.Errorf("openssl signature of other data: error %v, want ErrUnverified", err)
		}
	})
}
