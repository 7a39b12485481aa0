package cups

import (
	"bytes"
	"encoding/binary"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// fixtures holds the test credentials and the signed test update of testdata/
// (see testdata/README.md for how they were made).
type fixtures struct {
	tls       Credentials // trust.pem, client.pem, client-key.pem
	token     Credentials // trust.pem and a token
	tlsBlob   []byte
	tokBlob   []byte
	pub       PublicKey // sig-0.key
	update    []byte    // update.bin
	updateSig []byte    // update.bin.sig, made by openssl dgst -sha512 -sign
}

const testToken = "Authorization: Bearer NNSXS.TESTTOKEN\r\n"

func loadFixtures(t testing.TB) fixtures {
	t.Helper()
	der := func(name string) []byte {
		b, err := ToDER(readTestdata(t, name))
		if err != nil {
			t.Fatalf("ToDER(%s): %v", name, err)
		}
		return b
	}
	var f fixtures
	f.tls = Credentials{Trust: der("trust.pem"), Cert: der("client.pem"), Key: der("client-key.pem")}
	f.token = Credentials{Trust: der("trust.pem"), Token: testToken}
	var err error
	if f.tlsBlob, err = f.tls.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	if f.tokBlob, err = f.token.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	if f.pub, err = ParsePublicKey(readTestdata(t, "sig-0.key")); err != nil {
		t.Fatal(err)
	}
	f.update = readTestdata(t, "update.bin")
	f.updateSig = readTestdata(t, "update.bin.sig")
	return f
}

func TestResponseGolden(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	tests := []struct {
		file string
		resp UpdateInfoResponse
	}{
		{"resp-nothing.bin", UpdateInfoResponse{}},
		{"resp-tc-uri.bin", UpdateInfoResponse{TCURI: "wss://lns.example.com:8887"}},
		{"resp-tc-cred.bin", UpdateInfoResponse{TCCred: f.tlsBlob}},
		{"resp-tc-token.bin", UpdateInfoResponse{TCURI: "wss://lns.example.com:8887", TCCred: f.tokBlob}},
		{"resp-cups-cred-uri.bin", UpdateInfoResponse{CUPSURI: "https://cups.example.com:443", CUPSCred: f.tlsBlob}},
		{"resp-signed-update.bin", UpdateInfoResponse{Sig: &Signature{KeyCRC: f.pub.CRC(), DER: f.updateSig}, Update: f.update}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			golden := readTestdata(t, tt.file)
			got, err := tt.resp.MarshalBinary()
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if !bytes.Equal(got, golden) {
				t.Errorf("marshal:\n got %x\nwant %x", got, golden)
			}
			var dec UpdateInfoResponse
			if err := dec.UnmarshalBinary(golden); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(dec, tt.resp) {
				t.Errorf("unmarshal:\n got %+v\nwant %+v", dec, tt.resp)
			}
		})
	}
}

func TestResponseNothingChanged(t *testing.T) {
	t.Parallel()
	want := make([]byte, 14)
	for _, tt := range []struct {
		name string
		resp *UpdateInfoResponse
	}{{"zero value", &UpdateInfoResponse{}}, {"nil", nil}, {"empty non-nil slices", &UpdateInfoResponse{CUPSCred: []byte{}, Update: []byte{}}}} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.resp.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("got %x, want %x", got, want)
			}
		})
	}
}

// TestSignedUpdateGoldenVerifies checks that the stored signature in the
// signed-update golden is a real one: what Station would accept.
func TestSignedUpdateGoldenVerifies(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	var resp UpdateInfoResponse
	if err := resp.UnmarshalBinary(readTestdata(t, "resp-signed-update.bin")); err != nil {
		t.Fatal(err)
	}
	key, err := Verify([]PublicKey{f.pub}, resp.Update, resp.Sig)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if key.CRC() != resp.Sig.KeyCRC {
		t.Errorf("verified by key %08x, sig names %08x", key.CRC(), resp.Sig.KeyCRC)
	}
}

func TestResponseRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		resp UpdateInfoResponse
	}{
		{"longest URIs", UpdateInfoResponse{CUPSURI: "https://" + strings.Repeat("c", 247), TCURI: "wss://" + strings.Repeat("t", 249)}},
		{"longest credentials", UpdateInfoResponse{CUPSCred: bytes.Repeat([]byte{1}, MaxCredLen), TCCred: bytes.Repeat([]byte{2}, MaxCredLen)}},
		{"shortest signature", UpdateInfoResponse{Sig: &Signature{KeyCRC: 1, DER: []byte{0x30, 2, 0, 0}}, Update: []byte{1}}},
		{"longest signature", UpdateInfoResponse{Sig: &Signature{KeyCRC: 0xFFFFFFFF, DER: bytes.Repeat([]byte{9}, 128)}, Update: []byte{1}}},
		{"signature without update", UpdateInfoResponse{Sig: &Signature{KeyCRC: 7, DER: bytes.Repeat([]byte{9}, 70)}}},
		{"large update", UpdateInfoResponse{Update: bytes.Repeat([]byte("update"), 200000)}},
		{"everything", UpdateInfoResponse{
			CUPSURI: "https://cups:443", TCURI: "wss://lns:8887",
			CUPSCred: []byte{1, 2, 3}, TCCred: []byte{4, 5},
			Sig: &Signature{KeyCRC: 0x01020304, DER: []byte{5, 6, 7, 8, 9}}, Update: []byte{10, 11},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.resp.MarshalBinary()
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			var got UpdateInfoResponse
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, tt.resp) {
				t.Errorf("round trip changed the answer:\n got %.200v\nwant %.200v", got, tt.resp)
			}
		})
	}
}

func TestResponseUnmarshalCopies(t *testing.T) {
	t.Parallel()
	in := UpdateInfoResponse{TCCred: []byte{1, 2, 3}, Sig: &Signature{DER: []byte{1, 2, 3, 4}}, Update: []byte{7}}
	b, err := in.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var got UpdateInfoResponse
	if err := got.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	for i := range b {
		b[i] = 0xEE
	}
	if !reflect.DeepEqual(got, in) {
		t.Errorf("decoded answer changed with its input buffer: got %+v, want %+v", got, in)
	}
}

func TestResponseMarshalLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		resp    UpdateInfoResponse
		wantErr string
	}{
		{"cupsUri too long", UpdateInfoResponse{CUPSURI: strings.Repeat("a", 256)}, "cupsUri is 256 bytes, limit 255"},
		{"tcUri too long", UpdateInfoResponse{TCURI: strings.Repeat("a", 300)}, "tcUri is 300 bytes, limit 255"},
		{"tcUri with NUL", UpdateInfoResponse{TCURI: "wss://a\x00b"}, "control byte 0x00"},
		{"cupsUri with newline", UpdateInfoResponse{CUPSURI: "https://a\n"}, "control byte 0x0a"},
		{"cupsCred too long", UpdateInfoResponse{CUPSCred: make([]byte, MaxCredLen+1)}, "cupsCred is 65536 bytes"},
		{"tcCred too long", UpdateInfoResponse{TCCred: make([]byte, MaxCredLen+1)}, "tcCred is 65536 bytes"},
		{"signature too short", UpdateInfoResponse{Sig: &Signature{DER: make([]byte, 3)}}, "signature is 3 bytes, want 4..128"},
		{"signature empty", UpdateInfoResponse{Sig: &Signature{}}, "signature is 0 bytes"},
		{"signature too long", UpdateInfoResponse{Sig: &Signature{DER: make([]byte, 129)}}, "signature is 129 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b, err := tt.resp.MarshalBinary()
			if err == nil {
				t.Fatalf("marshal: no error, got %d bytes", len(b))
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// le builds answer bytes from pieces: byte slices, strings, and u8/u16/u32
// lengths written little endian.
type u8 uint8
type u16 uint16
type u32 uint32

func le(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch v := p.(type) {
		case u8:
			b = append(b, byte(v))
		case u16:
			b = binary.LittleEndian.AppendUint16(b, uint16(v))
		case u32:
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case string:
			b = append(b, v...)
		case []byte:
			b = append(b, v...)
		default:
			panic("le: unknown part")
		}
	}
	return b
}

func TestResponseMalformed(t *testing.T) {
	t.Parallel()
	sig70 := make([]byte, 70)
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{"empty", nil, "truncated in the cupsUri length (0 of 1 bytes)"},
		{"13 zero bytes", make([]byte, 13), "truncated in the updData length (3 of 4 bytes)"},
		{"cupsUri past end", le(u8(10), "https"), "cupsUri is 10 bytes but only 5 follow"},
		{"tcUri length missing", le(u8(2), "ab"), "truncated in the tcUri length"},
		{"tcUri past end", le(u8(0), u8(200), "wss://x"), "tcUri is 200 bytes but only 7 follow"},
		{"tcUri control byte", le(u8(0), u8(3), "a\rb", u16(0), u16(0), u32(0), u32(0)), "tcUri has control byte 0x0d at 1"},
		{"cupsUri DEL byte", le(u8(2), "a\x7f", u8(0), u16(0), u16(0), u32(0), u32(0)), "cupsUri has control byte 0x7f"},
		{"cupsCred length cut", le(u8(0), u8(0), []byte{1}), "truncated in the cupsCred length (1 of 2 bytes)"},
		{"cupsCred past end", le(u8(0), u8(0), u16(500), make([]byte, 10)), "cupsCred is 500 bytes but only 10 follow"},
		{"tcCred past end", le(u8(0), u8(0), u16(0), u16(3), []byte{1, 2}), "tcCred is 3 bytes but only 2 follow"},
		{"sig segment of 4", le(u8(0), u8(0), u16(0), u16(0), u32(4), u32(0x1234), u32(0)), "sig segment is 4 bytes, want 8..132"},
		{"sig segment of 7", le(u8(0), u8(0), u16(0), u16(0), u32(7), make([]byte, 7), u32(0)), "sig segment is 7 bytes"},
		{"sig segment of 133", le(u8(0), u8(0), u16(0), u16(0), u32(133), make([]byte, 133), u32(0)), "sig segment is 133 bytes"},
		{"sig past end", le(u8(0), u8(0), u16(0), u16(0), u32(74), u32(1), sig70[:20]), "sig is 74 bytes but only 24 follow"},
		{"sig length 2 GiB", le(u8(0), u8(0), u16(0), u16(0), u32(0x80000000)), "sig length 0x80000000 is 2 GiB or more"},
		{"update length 2 GiB", le(u8(0), u8(0), u16(0), u16(0), u32(0), u32(0xFFFFFFFF)), "updData length 0xffffffff is 2 GiB or more"},
		{"update past end", le(u8(0), u8(0), u16(0), u16(0), u32(74), u32(1), sig70, u32(136), make([]byte, 135)), "updData is 136 bytes but only 135 follow"},
		{"update length cut", le(u8(0), u8(0), u16(0), u16(0), u32(0), []byte{1, 0}), "truncated in the updData length (2 of 4 bytes)"},
		{"trailing byte", append(make([]byte, 14), 0), "1 bytes after updData"},
		{"trailing bytes after update", le(u8(0), u8(0), u16(0), u16(0), u32(0), u32(1), "u", "xyz"), "3 bytes after updData"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := UpdateInfoResponse{TCURI: "keep"}
			err := r.UnmarshalBinary(tt.in)
			if err == nil {
				t.Fatalf("unmarshal %x: no error, got %+v", tt.in, r)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
			if r.TCURI != "keep" {
				t.Errorf("a failed unmarshal changed the value: %+v", r)
			}
		})
	}
}
