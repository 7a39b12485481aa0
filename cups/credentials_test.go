package cups

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"hash/crc32"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestCredCRCNoFiles(t *testing.T) {
	t.Parallel()
	// Station 2.0.6 with no tc.* / cups.* credential files sent 2077607535.
	const want = 0x7BD5C66F
	for _, tt := range []struct {
		name             string
		trust, cert, key []byte
	}{{"nil", nil, nil, nil}, {"empty", []byte{}, []byte{}, []byte{}}} {
		t.Run(tt.name, func(t *testing.T) {
			if got := CredCRC(tt.trust, tt.cert, tt.key); got != want {
				t.Errorf("CredCRC = %#08x, want %#08x", got, want)
			}
		})
	}
	if got := (Credentials{}).CRC(); got != want {
		t.Errorf("Credentials{}.CRC() = %#08x, want %#08x", got, want)
	}
}

// TestBlobCRCMatchesServerCRC checks BlobCRC against CRCs computed by another
// implementation (Python's zlib.crc32 over the whole blob, as Station's test
// CUPS server does) and stored in request-eui.json.
func TestBlobCRCMatchesServerCRC(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	var req UpdateInfoRequest
	if err := req.UnmarshalJSON(readTestdata(t, "request-eui.json")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		blob []byte
		want uint32
	}{
		{"tls blob (cupsCredCrc)", f.tlsBlob, req.CUPSCredCRC},
		{"token blob (tcCredCrc)", f.tokBlob, req.TCCredCRC},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := BlobCRC(tt.blob)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("BlobCRC = %#08x, want %#08x", got, tt.want)
			}
		})
	}
}

// stationFilesCRC stores c as Station's sys_credComplete does (three files,
// empty for a missing part) and computes sys_crcCred over what it reads back.
func stationFilesCRC(t *testing.T, c Credentials) uint32 {
	t.Helper()
	dir := t.TempDir()
	key := c.Key
	if c.Token != "" {
		key = []byte(c.Token)
	}
	var crc uint32
	for _, part := range []struct {
		ext  string
		data []byte
	}{{"trust", c.Trust}, {"crt", c.Cert}, {"key", key}} {
		name := filepath.Join(dir, "tc."+part.ext)
		if err := os.WriteFile(name, part.data, 0o600); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 {
			data = []byte{0, 0, 0, 0}
		}
		crc = crc32.Update(crc, crc32.IEEETable, data)
	}
	return crc
}

func TestCredentialsRoundTrip(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	tests := []struct {
		name string
		c    Credentials
	}{
		{"certificate and key", f.tls},
		{"token", f.token},
		{"two token lines, LF", Credentials{Trust: f.tls.Trust, Token: "Authorization: Bearer a\nX-Gateway_Id: gw-1"}},
		{"server authentication only", Credentials{Trust: f.tls.Trust}},
		{"short-form DER parts", Credentials{Trust: []byte{0x30, 1, 5}, Cert: []byte{0x30, 0}, Key: []byte{0x30, 2, 1, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			blob, err := tt.c.MarshalBinary()
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var got Credentials
			if err := got.UnmarshalBinary(blob); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, tt.c) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tt.c)
			}
			crc, err := BlobCRC(blob)
			if err != nil {
				t.Fatal(err)
			}
			if want := stationFilesCRC(t, got); crc != want {
				t.Errorf("BlobCRC = %#08x, CRC of the files Station writes = %#08x", crc, want)
			}
			if want := crc32.ChecksumIEEE(blob); crc != want {
				t.Errorf("BlobCRC = %#08x, CRC32 of the blob = %#08x", crc, want)
			}
			if tt.c.CRC() != crc {
				t.Errorf("Credentials.CRC = %#08x, BlobCRC = %#08x", tt.c.CRC(), crc)
			}
		})
	}
}

// TestCredentialsStationSplit covers blobs that Station accepts although our
// encoder never writes them; the parts must be what Station stores.
func TestCredentialsStationSplit(t *testing.T) {
	t.Parallel()
	trust := []byte{0x30, 0x82, 0x00, 0x02, 0xAA, 0xBB} // non-minimal 0x82 form
	cert := []byte{0x30, 0x01, 0xCC}
	key := []byte{0x30, 0x01, 0xDD}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	tests := []struct {
		name string
		blob []byte
		want Credentials
	}{
		{"no key bytes after cert", cat(trust, cert), Credentials{Trust: trust, Cert: cert}},
		{"0x00 key after cert", cat(trust, cert, []byte{0, 0, 0, 0}), Credentials{Trust: trust, Cert: cert}},
		{"bytes after the key element are ignored", cat(trust, cert, key, []byte{1, 2, 3}), Credentials{Trust: trust, Cert: cert, Key: key}},
		{"placeholder bytes after 0x00 are ignored", cat(trust, []byte{0, 9, 9, 9}, []byte("A: b")), Credentials{Trust: trust, Token: "A: b"}},
		{"trust and placeholder only", cat(trust, []byte{0, 0, 0, 0}), Credentials{Trust: trust}},
		{"key without cert", cat(trust, []byte{0, 0, 0, 0}, key), Credentials{Trust: trust, Key: key}},
		{"token is the rest of the blob", cat(trust, []byte{0, 0, 0, 0}, []byte("A: b\r\n\x00\x30")), Credentials{Trust: trust, Token: "A: b\r\n\x00\x30"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got Credentials
			if err := got.UnmarshalBinary(tt.blob); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			crc, err := BlobCRC(tt.blob)
			if err != nil {
				t.Fatal(err)
			}
			if want := stationFilesCRC(t, tt.want); crc != want {
				t.Errorf("BlobCRC = %#08x, CRC of the files Station writes = %#08x", crc, want)
			}
		})
	}
}

func TestCredentialsUnmarshalMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		blob    []byte
		wantErr string
	}{
		{"empty", nil, "empty blob"},
		{"trust not a SEQUENCE", []byte{0x04, 1, 0, 0, 0, 0, 0}, "trust starts with 0x04"},
		{"trust header cut", []byte{0x30}, "trust header truncated"},
		{"trust long header cut", []byte{0x30, 0x82, 1}, "trust header truncated"},
		{"trust 1-byte long form", []byte{0x30, 0x81, 0x01, 0xAA, 0, 0, 0, 0}, "DER length byte 0x81"},
		{"trust 3-byte long form", []byte{0x30, 0x83, 0, 0, 1, 0xAA}, "DER length byte 0x83"},
		{"trust indefinite length", []byte{0x30, 0x80, 0, 0}, "DER length byte 0x80"},
		{"trust past end", []byte{0x30, 0x05, 1, 2}, "trust is 7 bytes but only 4 follow"},
		{"nothing after trust", []byte{0x30, 0x01, 0xAA}, "blob ends after trust"},
		{"placeholder cut", []byte{0x30, 0x01, 0xAA, 0, 0}, "ends before the key"},
		{"cert bad tag", []byte{0x30, 0x01, 0xAA, 0x02, 0x01, 0x00}, "cert starts with 0x02"},
		{"cert past end", []byte{0x30, 0x01, 0xAA, 0x30, 0x09, 0x00}, "cert is 11 bytes but only 3 follow"},
		{"key past end", []byte{0x30, 0x01, 0xAA, 0x30, 0x00, 0x30, 0x05, 1}, "key is 7 bytes but only 3 follow"},
		{"key past end without cert", []byte{0x30, 0x01, 0xAA, 0, 0, 0, 0, 0x30, 0x03, 1, 2}, "key is 5 bytes but only 4 follow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var c Credentials
			err := c.UnmarshalBinary(tt.blob)
			if err == nil {
				t.Fatalf("no error, got %+v", c)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
			if _, err := BlobCRC(tt.blob); err == nil {
				t.Errorf("BlobCRC: no error")
			}
		})
	}
}

func TestCredentialsMarshalInvalid(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	pkcs8 := func() []byte { // a P-256 PKCS#8 key: 0x30 0x81 0x87, a length form Station misreads
		block, _ := pem.Decode(readTestdata(t, "client-key.pem"))
		return block.Bytes
	}()
	const secret = "NNSXS.SECRET"
	tests := []struct {
		name    string
		c       Credentials
		wantErr string
	}{
		{"no trust", Credentials{}, "trust missing"},
		{"trust PEM", Credentials{Trust: readTestdata(t, "trust.pem")}, "trust starts with 0x2d"},
		{"trust with trailing byte", Credentials{Trust: append(bytes.Clone(f.tls.Trust), 0)}, "trust is 402 bytes but its DER length says 401"},
		{"PKCS#8 key", Credentials{Trust: f.tls.Trust, Cert: f.tls.Cert, Key: pkcs8}, "key has DER length byte 0x81"},
		{"cert without key", Credentials{Trust: f.tls.Trust, Cert: f.tls.Cert}, "client certificate without key"},
		{"key without cert", Credentials{Trust: f.tls.Trust, Key: f.tls.Key}, "key without client certificate"},
		{"token and cert", Credentials{Trust: f.tls.Trust, Cert: f.tls.Cert, Key: f.tls.Key, Token: testToken}, "token excludes"},
		{"token starting with 0", Credentials{Trust: f.tls.Trust, Token: "0: " + secret}, "starts with byte 0x30"},
		{"token without colon space", Credentials{Trust: f.tls.Trust, Token: "Bearer " + secret}, "line 1 is not"},
		{"token bad header name", Credentials{Trust: f.tls.Trust, Token: "Auth orization: " + secret}, "line 1 is not"},
		{"token empty line", Credentials{Trust: f.tls.Trust, Token: "A: b\n\nC: " + secret}, "line 2 is not"},
		{"token only newlines", Credentials{Trust: f.tls.Trust, Token: "\r\n\n"}, "no header line"},
		{"token with NUL", Credentials{Trust: f.tls.Trust, Token: "A: " + secret + "\x00"}, "NUL"},
		{"blob over 65535", Credentials{Trust: f.tls.Trust, Token: "A: " + strings.Repeat("x", MaxCredLen)}, "limit 65535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.c.MarshalBinary()
			if err == nil {
				t.Fatalf("no error, got %d bytes", len(b))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), secret) {
				t.Errorf("error %q shows the token", err)
			}
		})
	}
}

func TestToDER(t *testing.T) {
	t.Parallel()
	// The .der files were written by openssl (x509 -outform DER, ec -outform DER).
	tests := []struct {
		name, in, want string
	}{
		{"certificate", "trust.pem", "trust.der"},
		{"client certificate", "client.pem", "client.der"},
		{"PKCS#8 EC key to SEC1", "client-key.pem", "client-key.der"},
		{"DER unchanged", "client.der", "client.der"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ToDER(readTestdata(t, tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if want := readTestdata(t, tt.want); !bytes.Equal(got, want) {
				t.Errorf("ToDER(%s):\n got %x\nwant %x", tt.in, got, want)
			}
		})
	}

	t.Run("EC PARAMETERS block skipped", func(t *testing.T) {
		t.Parallel()
		want := readTestdata(t, "client-key.der")
		in := append(pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{6, 8, 0x2a, 0x86, 0x48, 0xce, 0x3d, 3, 1, 7}}),
			pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: want})...)
		got, err := ToDER(in)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("got %x, want %x", got, want)
		}
	})

	t.Run("PKCS#8 RSA key to PKCS#1", func(t *testing.T) {
		t.Parallel()
		key := rsaTestKey(t)
		p8, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ToDER(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p8}))
		if err != nil {
			t.Fatal(err)
		}
		if want := x509.MarshalPKCS1PrivateKey(key); !bytes.Equal(got, want) {
			t.Errorf("got %d bytes, want the %d-byte PKCS#1 key", len(got), len(want))
		}
		if err := derElement("key", got); err != nil {
			t.Errorf("converted key unusable in a blob: %v", err)
		}
	})

	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edP8, err := x509.MarshalPKCS8PrivateKey(edKey)
	if err != nil {
		t.Fatal(err)
	}
	cert := readTestdata(t, "trust.pem")
	bad := []struct {
		name, wantErr string
		in            []byte
	}{
		{"empty", "neither DER nor PEM", nil},
		{"garbage", "neither DER nor PEM", []byte("hello")},
		{"two certificates", "more than one block", append(bytes.Clone(cert), cert...)},
		{"encrypted", "encrypted", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{0x30, 0}})},
		{"bad PKCS#8", "private key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{0x30, 0}})},
		{"ed25519", "not supported by Station", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edP8})},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ToDER(tt.in)
			if err == nil {
				t.Fatalf("no error, got %x", got)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// TestP384KeyRefused shows why MarshalBinary checks lengths: a SEC1 P-384 key
// uses the 1-byte long form that Station misreads.
func TestP384KeyRefused(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	k, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Credentials{Trust: f.tls.Trust, Cert: f.tls.Cert, Key: der}.MarshalBinary()
	if err == nil || !strings.Contains(err.Error(), "0x81") {
		t.Errorf("P-384 key: error %v, want one about the 0x81 length form", err)
	}
}

func TestRequestCRCFieldsFromCredentials(t *testing.T) {
	t.Parallel()
	// What an agent holding the fixtures would send.
	f := loadFixtures(t)
	req := UpdateInfoRequest{
		Router:      RouterID{EUI: [8]byte{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}},
		CUPSURI:     strptr("https://cups.example.com:443"),
		TCURI:       strptr("wss://lns.example.com:8887"),
		CUPSCredCRC: f.tls.CRC(),
		TCCredCRC:   f.token.CRC(),
		Station:     "2.0.6(corecell/std) 2022-01-18 08:39:34",
		Model:       "corecell",
		Package:     "1.0.0",
		Keys:        []uint32{f.pub.CRC(), 0x1D1E9F14},
	}
	got, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	if want := readTestdata(t, "request-eui.json"); !bytes.Equal(got, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}
