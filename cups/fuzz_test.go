package cups

import (
	"bytes"
	"hash/crc32"
	"reflect"
	"testing"
)

// FuzzUpdateInfoRequest checks that decoding never panics and that whatever
// decodes encodes to a request that decodes to the same value and the same
// bytes (the router's received text aside).
func FuzzUpdateInfoRequest(f *testing.F) {
	for _, name := range []string{"request-station.json", "request-eui.json", "request-nokeys.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add([]byte(`{"router":-1,"cupsUri":"","tcUri":"a&<>","keys":null,"os":{}}`))
	f.Add([]byte(`{"router":"b8-27-eb-ff-fe-61-51-a5","station":"\u0000\ud800"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r1 UpdateInfoRequest
		if err := r1.UnmarshalJSON(data); err != nil {
			return
		}
		b1, err := r1.MarshalJSON()
		if err != nil {
			t.Fatalf("encode %+v: %v", r1, err)
		}
		var r2 UpdateInfoRequest
		if err := r2.UnmarshalJSON(b1); err != nil {
			t.Fatalf("decode own encoding %s: %v", b1, err)
		}
		b2, err := r2.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b1, b2) {
			t.Fatalf("encoding not stable:\n%s\n%s", b1, b2)
		}
		r1.Router.Text, r2.Router.Text = "", ""
		if !reflect.DeepEqual(r1, r2) {
			t.Fatalf("value changed by a round trip:\n%+v\n%+v", r1, r2)
		}
	})
}

// FuzzUpdateInfoResponse checks that decoding never panics and that whatever
// decodes encodes back to exactly the same bytes.
func FuzzUpdateInfoResponse(f *testing.F) {
	for _, name := range []string{"resp-nothing.bin", "resp-tc-uri.bin", "resp-tc-cred.bin", "resp-tc-token.bin", "resp-cups-cred-uri.bin", "resp-signed-update.bin"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(le(u8(1), "a", u8(1), "b", u16(1), "c", u16(1), "d", u32(8), u32(0xdeadbeef), "sigs", u32(1), "u"))
	f.Add(le(u8(0), u8(0), u16(0), u16(0), u32(0x80000000)))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r UpdateInfoResponse
		if err := r.UnmarshalBinary(data); err != nil {
			return
		}
		b, err := r.MarshalBinary()
		if err != nil {
			t.Fatalf("re-encode %+v: %v", r, err)
		}
		if !bytes.Equal(b, data) {
			t.Fatalf("re-encoded bytes differ:\n got %x\nwant %x", b, data)
		}
	})
}

// FuzzCredentials checks that splitting a blob never panics, that BlobCRC
// agrees with the parts, and that a blob re-made from the parts splits into
// the same parts and has Station's CRC as its plain CRC32.
func FuzzCredentials(f *testing.F) {
	fx := loadFixtures(f)
	f.Add(fx.tlsBlob)
	f.Add(fx.tokBlob)
	f.Add([]byte{0x30, 0x01, 0xAA, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{0x30, 0x82, 0x00, 0x01, 0xAA, 0x30, 0x00, 0x30, 0x81, 0x01, 0xBB})
	f.Fuzz(func(t *testing.T, blob []byte) {
		var c Credentials
		if err := c.UnmarshalBinary(blob); err != nil {
			return
		}
		crc, err := BlobCRC(blob)
		if err != nil || crc != c.CRC() {
			t.Fatalf("BlobCRC = %08x, %v; parts give %08x", crc, err, c.CRC())
		}
		again, err := c.MarshalBinary()
		if err != nil {
			return // Station accepts blobs our encoder refuses (e.g. a key without certificate)
		}
		var c2 Credentials
		if err := c2.UnmarshalBinary(again); err != nil {
			t.Fatalf("split own blob %x: %v", again, err)
		}
		if !reflect.DeepEqual(c, c2) {
			t.Fatalf("parts changed:\n%+v\n%+v", c, c2)
		}
		if sum := crc32.ChecksumIEEE(again); sum != crc {
			t.Fatalf("CRC32 of the re-made blob %08x, Station's CRC of the parts %08x", sum, crc)
		}
	})
}
