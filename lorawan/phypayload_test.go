package lorawan_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// codecMustHex decodes a hex literal of a test table; a bad literal is a bug
// in the test itself.
func codecMustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic("bad hex literal in test table: " + s)
	}
	return b
}

func TestMTypeString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		mtype  lorawan.MType
		want   string
		uplink bool
	}{
		{lorawan.JoinRequest, "JoinRequest", true},
		{lorawan.JoinAccept, "JoinAccept", false},
		{lorawan.UnconfirmedDataUp, "UnconfirmedDataUp", true},
		{lorawan.UnconfirmedDataDown, "UnconfirmedDataDown", false},
		{lorawan.ConfirmedDataUp, "ConfirmedDataUp", true},
		{lorawan.ConfirmedDataDown, "ConfirmedDataDown", false},
		{lorawan.RejoinRequest, "RejoinRequest", true},
		{lorawan.Proprietary, "Proprietary", false},
		{lorawan.MType(9), "MType(9)", false},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := tt.mtype.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if got := tt.mtype.Uplink(); got != tt.uplink {
				t.Errorf("Uplink() = %v, want %v", got, tt.uplink)
			}
		})
	}
	if got, want := lorawan.LoRaWANR1.String(), "LoRaWANR1"; got != want {
		t.Errorf("LoRaWANR1.String() = %q, want %q", got, want)
	}
	if got, want := lorawan.Major(2).String(), "Major(2)"; got != want {
		t.Errorf("Major(2).String() = %q, want %q", got, want)
	}
}

func TestMHDR(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		b    byte
		want lorawan.MHDR
	}{
		{"join-request", 0x00, lorawan.MHDR{MType: lorawan.JoinRequest}},
		{"join-accept", 0x20, lorawan.MHDR{MType: lorawan.JoinAccept}},
		{"unconfirmed up", 0x40, lorawan.MHDR{MType: lorawan.UnconfirmedDataUp}},
		{"confirmed down", 0xa0, lorawan.MHDR{MType: lorawan.ConfirmedDataDown}},
		{"rejoin", 0xc0, lorawan.MHDR{MType: lorawan.RejoinRequest}},
		{"proprietary major 3", 0xe3, lorawan.MHDR{MType: lorawan.Proprietary, Major: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got lorawan.MHDR
			if err := got.UnmarshalByte(tt.b); err != nil {
				t.Fatalf("UnmarshalByte(0x%02x): %v", tt.b, err)
			}
			if got != tt.want {
				t.Errorf("UnmarshalByte(0x%02x) = %+v, want %+v", tt.b, got, tt.want)
			}
			b, err := tt.want.MarshalByte()
			if err != nil || b != tt.b {
				t.Errorf("MarshalByte() = 0x%02x, %v; want 0x%02x", b, err, tt.b)
			}
		})
	}
	t.Run("rfu bits", func(t *testing.T) {
		var h lorawan.MHDR
		if err := h.UnmarshalByte(0x44); !errors.Is(err, lorawan.ErrMalformed) {
			t.Errorf("UnmarshalByte(0x44) error = %v, want ErrMalformed", err)
		}
	})
	for _, h := range []lorawan.MHDR{{MType: 8}, {Major: 4}} {
		if _, err := h.MarshalByte(); !errors.Is(err, lorawan.ErrMalformed) {
			t.Errorf("%+v.MarshalByte() error = %v, want ErrMalformed", h, err)
		}
	}
}

func TestFCtrl(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		uplink bool
		b      byte
		want   lorawan.FCtrl
	}{
		{"up none", true, 0x00, lorawan.FCtrl{}},
		{"up adr", true, 0x80, lorawan.FCtrl{ADR: true}},
		{"up adrackreq", true, 0x40, lorawan.FCtrl{ADRACKReq: true}},
		{"up ack", true, 0x20, lorawan.FCtrl{ACK: true}},
		{"up classb", true, 0x10, lorawan.FCtrl{ClassB: true}},
		{"up all with 15 fopts", true, 0xff, lorawan.FCtrl{ADR: true, ADRACKReq: true, ACK: true, ClassB: true, FOptsLen: 15}},
		{"down fpending", false, 0x10, lorawan.FCtrl{FPending: true}},
		{"down adr ack 3 fopts", false, 0xa3, lorawan.FCtrl{ADR: true, ACK: true, FOptsLen: 3}},
		{"down all", false, 0xbf, lorawan.FCtrl{ADR: true, ACK: true, FPending: true, FOptsLen: 15}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got lorawan.FCtrl
			if err := got.UnmarshalByte(tt.b, tt.uplink); err != nil {
				t.Fatalf("UnmarshalByte(0x%02x): %v", tt.b, err)
			}
			if got != tt.want {
				t.Errorf("UnmarshalByte(0x%02x) = %+v, want %+v", tt.b, got, tt.want)
			}
			b, err := tt.want.MarshalByte(tt.uplink)
			if err != nil || b != tt.b {
				t.Errorf("MarshalByte() = 0x%02x, %v; want 0x%02x", b, err, tt.b)
			}
		})
	}
	bad := []struct {
		name   string
		uplink bool
		c      lorawan.FCtrl
	}{
		{"fpending up", true, lorawan.FCtrl{FPending: true}},
		{"classb down", false, lorawan.FCtrl{ClassB: true}},
		{"adrackreq down", false, lorawan.FCtrl{ADRACKReq: true}},
		{"foptslen 16", true, lorawan.FCtrl{FOptsLen: 16}},
	}
	for _, tt := range bad {
		t.Run("marshal "+tt.name, func(t *testing.T) {
			if _, err := tt.c.MarshalByte(tt.uplink); !errors.Is(err, lorawan.ErrMalformed) {
				t.Errorf("MarshalByte() error = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("rfu bit 6 down", func(t *testing.T) {
		var c lorawan.FCtrl
		if err := c.UnmarshalByte(0x40, false); !errors.Is(err, lorawan.ErrMalformed) {
			t.Errorf("UnmarshalByte(0x40, downlink) error = %v, want ErrMalformed", err)
		}
	})
}

// phyRoundTripCases are frames of every MType with their decoded form.
func phyRoundTripCases() []struct {
	name string
	hex  string
	want lorawan.PHYPayload
} {
	dataUp := lorawan.MHDR{MType: lorawan.UnconfirmedDataUp}
	addr := lorawan.DevAddr{0x01, 0x02, 0x03, 0x04}
	return []struct {
		name string
		hex  string
		want lorawan.PHYPayload
	}{
		{
			name: "unconfirmed up fport 1 adr",
			hex:  "40 04030201 80 0100 01 a694642615 d6c3b582",
			want: lorawan.PHYPayload{
				MHDR:         dataUp,
				FHDR:         lorawan.FHDR{DevAddr: addr, FCtrl: lorawan.FCtrl{ADR: true}, FCnt: 1},
				FPort:        1,
				FPortPresent: true,
				FRMPayload:   codecMustHex("a694642615"),
				MIC:          [4]byte{0xd6, 0xc3, 0xb5, 0x82},
			},
		},
		{
			name: "unconfirmed up fopts and fport",
			hex:  "40 04030201 03 0000 020305 01 6a3798f5 b64dc039",
			want: lorawan.PHYPayload{
				MHDR:         dataUp,
				FHDR:         lorawan.FHDR{DevAddr: addr, FCtrl: lorawan.FCtrl{FOptsLen: 3}, FOpts: codecMustHex("020305")},
				FPort:        1,
				FPortPresent: true,
				FRMPayload:   codecMustHex("6a3798f5"),
				MIC:          [4]byte{0xb6, 0x4d, 0xc0, 0x39},
			},
		},
		{
			name: "confirmed up fopts fport 10",
			hex:  "80 04030201 03 0000 067307 0a e264d4f7 e117d2c0",
			want: lorawan.PHYPayload{
				MHDR:         lorawan.MHDR{MType: lorawan.ConfirmedDataUp},
				FHDR:         lorawan.FHDR{DevAddr: addr, FCtrl: lorawan.FCtrl{FOptsLen: 3}, FOpts: codecMustHex("067307")},
				FPort:        10,
				FPortPresent: true,
				FRMPayload:   codecMustHex("e264d4f7"),
				MIC:          [4]byte{0xe1, 0x17, 0xd2, 0xc0},
			},
		},
		{
			name: "unconfirmed up fport 0",
			hex:  "40 04030201 00 0000 00 69369e ee6aa508",
			want: lorawan.PHYPayload{
				MHDR:         dataUp,
				FHDR:         lorawan.FHDR{DevAddr: addr},
				FPortPresent: true,
				FRMPayload:   codecMustHex("69369e"),
				MIC:          [4]byte{0xee, 0x6a, 0xa5, 0x08},
			},
		},
		{
			name: "unconfirmed up fport without payload",
			hex:  "40 f17dbe49 00 0300 01 2a3518af",
			want: lorawan.PHYPayload{
				MHDR:         dataUp,
				FHDR:         lorawan.FHDR{DevAddr: lorawan.DevAddr{0x49, 0xbe, 0x7d, 0xf1}, FCnt: 3},
				FPort:        1,
				FPortPresent: true,
				MIC:          [4]byte{0x2a, 0x35, 0x18, 0xaf},
			},
		},
		{
			name: "unconfirmed up one-byte payload",
			hex:  "40 04030201 00 0100 02 ab 11223344",
			want: lorawan.PHYPayload{
				MHDR:         dataUp,
				FHDR:         lorawan.FHDR{DevAddr: addr, FCnt: 1},
				FPort:        2,
				FPortPresent: true,
				FRMPayload:   []byte{0xab},
				MIC:          [4]byte{0x11, 0x22, 0x33, 0x44},
			},
		},
		{
			name: "unconfirmed up no fport",
			hex:  "40 04030201 00 3412 11223344",
			want: lorawan.PHYPayload{
				MHDR: dataUp,
				FHDR: lorawan.FHDR{DevAddr: addr, FCnt: 0x1234},
				MIC:  [4]byte{0x11, 0x22, 0x33, 0x44},
			},
		},
		{
			name: "confirmed up adrackreq classb fopts only",
			hex:  "80 04030201 52 ffff 0203 55667788",
			want: lorawan.PHYPayload{
				MHDR: lorawan.MHDR{MType: lorawan.ConfirmedDataUp},
				FHDR: lorawan.FHDR{DevAddr: addr, FCtrl: lorawan.FCtrl{ADRACKReq: true, ClassB: true, FOptsLen: 2}, FCnt: 0xffff, FOpts: codecMustHex("0203")},
				MIC:  [4]byte{0x55, 0x66, 0x77, 0x88},
			},
		},
		{
			name: "unconfirmed down fopts no fport",
			hex:  "60 04030201 03 0000 dfb4f1 e24f1f9f",
			want: lorawan.PHYPayload{
				MHDR: lorawan.MHDR{MType: lorawan.UnconfirmedDataDown},
				FHDR: lorawan.FHDR{DevAddr: addr, FCtrl: lorawan.FCtrl{FOptsLen: 3}, FOpts: codecMustHex("dfb4f1")},
				MIC:  [4]byte{0xe2, 0x4f, 0x1f, 0x9f},
			},
		},
		{
			name: "unconfirmed down ack",
			hex:  "60 f17dbe49 20 0200 01 f9d65d27",
			want: lorawan.PHYPayload{
				MHDR:         lorawan.MHDR{MType: lorawan.UnconfirmedDataDown},
				FHDR:         lorawan.FHDR{DevAddr: lorawan.DevAddr{0x49, 0xbe, 0x7d, 0xf1}, FCtrl: lorawan.FCtrl{ACK: true}, FCnt: 2},
				FPort:        1,
				FPortPresent: true,
				MIC:          [4]byte{0xf9, 0xd6, 0x5d, 0x27},
			},
		},
		{
			name: "confirmed down fpending adr fopts fport payload",
			hex:  "a0 78563412 b1 0a00 06 c8 01020304 a1a2a3a4",
			want: lorawan.PHYPayload{
				MHDR:         lorawan.MHDR{MType: lorawan.ConfirmedDataDown},
				FHDR:         lorawan.FHDR{DevAddr: lorawan.DevAddr{0x12, 0x34, 0x56, 0x78}, FCtrl: lorawan.FCtrl{ADR: true, ACK: true, FPending: true, FOptsLen: 1}, FCnt: 10, FOpts: []byte{0x06}},
				FPort:        200,
				FPortPresent: true,
				FRMPayload:   codecMustHex("01020304"),
				MIC:          [4]byte{0xa1, 0xa2, 0xa3, 0xa4},
			},
		},
		{
			name: "join-request",
			hex:  "00 0403020104030201 0504030205040302 2d10 6a990e12",
			want: lorawan.PHYPayload{
				MHDR: lorawan.MHDR{MType: lorawan.JoinRequest},
				JoinRequest: lorawan.JoinRequestPayload{
					JoinEUI:  lorawan.EUI64{1, 2, 3, 4, 1, 2, 3, 4},
					DevEUI:   lorawan.EUI64{2, 3, 4, 5, 2, 3, 4, 5},
					DevNonce: 0x102d,
				},
				MIC: [4]byte{0x6a, 0x99, 0x0e, 0x12},
			},
		},
		{
			name: "join-accept without cflist",
			hex:  "20 493eeb51fba2116f810edb3742975142",
			want: lorawan.PHYPayload{
				MHDR:       lorawan.MHDR{MType: lorawan.JoinAccept},
				JoinAccept: codecMustHex("493eeb51fba2116f810edb3742975142"),
			},
		},
		{
			name: "join-accept with cflist",
			hex:  "20 83f7255404805c23650ba3c9adfba977122baab015b4aa59651654f0ec252d11",
			want: lorawan.PHYPayload{
				MHDR:       lorawan.MHDR{MType: lorawan.JoinAccept},
				JoinAccept: codecMustHex("83f7255404805c23650ba3c9adfba977122baab015b4aa59651654f0ec252d11"),
			},
		},
		{
			name: "rejoin type 0",
			hex:  "c0 00 030201 0807060504030201 0500 01020304",
			want: lorawan.PHYPayload{
				MHDR:   lorawan.MHDR{MType: lorawan.RejoinRequest},
				Rejoin: lorawan.RejoinRequestPayload{Type: 0, NetID: lorawan.NetID{1, 2, 3}, DevEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, RJCount: 5},
				MIC:    [4]byte{1, 2, 3, 4},
			},
		},
		{
			name: "rejoin type 1",
			hex:  "c0 01 0807060504030201 100f0e0d0c0b0a09 db00 eac31072",
			want: lorawan.PHYPayload{
				MHDR: lorawan.MHDR{MType: lorawan.RejoinRequest},
				Rejoin: lorawan.RejoinRequestPayload{
					Type:    1,
					JoinEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8},
					DevEUI:  lorawan.EUI64{9, 10, 11, 12, 13, 14, 15, 16},
					RJCount: 219,
				},
				MIC: [4]byte{0xea, 0xc3, 0x10, 0x72},
			},
		},
		{
			name: "rejoin type 2",
			hex:  "c0 02 030201 0807060504030201 db00 3c8642ae",
			want: lorawan.PHYPayload{
				MHDR:   lorawan.MHDR{MType: lorawan.RejoinRequest},
				Rejoin: lorawan.RejoinRequestPayload{Type: 2, NetID: lorawan.NetID{1, 2, 3}, DevEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, RJCount: 219},
				MIC:    [4]byte{0x3c, 0x86, 0x42, 0xae},
			},
		},
		{
			name: "proprietary",
			hex:  "e0 68656c6c6f 0a0b0c0d",
			want: lorawan.PHYPayload{
				MHDR:        lorawan.MHDR{MType: lorawan.Proprietary},
				Proprietary: []byte("hello"),
				MIC:         [4]byte{0x0a, 0x0b, 0x0c, 0x0d},
			},
		},
		{
			name: "proprietary empty",
			hex:  "e0 0a0b0c0d",
			want: lorawan.PHYPayload{
				MHDR: lorawan.MHDR{MType: lorawan.Proprietary},
				MIC:  [4]byte{0x0a, 0x0b, 0x0c, 0x0d},
			},
		},
	}
}

func TestPHYPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tt := range phyRoundTripCases() {
		t.Run(tt.name, func(t *testing.T) {
			b := codecMustHex(tt.hex)
			// Start from a frame of another type: UnmarshalBinary must reset.
			got := lorawan.PHYPayload{
				MHDR:        lorawan.MHDR{MType: lorawan.Proprietary},
				FHDR:        lorawan.FHDR{FCnt: 99, FOpts: []byte{1}},
				FPort:       7,
				JoinRequest: lorawan.JoinRequestPayload{DevNonce: 1},
				Rejoin:      lorawan.RejoinRequestPayload{Type: 1, RJCount: 1},
				Proprietary: []byte{1},
				JoinAccept:  []byte{1},
				MIC:         [4]byte{9, 9, 9, 9},
			}
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary(%x): %v", b, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UnmarshalBinary(%x)\n got %+v\nwant %+v", b, got, tt.want)
			}
			enc, err := tt.want.MarshalBinary()
			if err != nil {
				t.Fatalf("MarshalBinary(): %v", err)
			}
			if !bytes.Equal(enc, b) {
				t.Errorf("MarshalBinary() = %x, want %x", enc, b)
			}
			prefix := []byte{0xaa, 0xbb}
			app, err := got.AppendBinary(prefix)
			if err != nil {
				t.Fatalf("AppendBinary(): %v", err)
			}
			if want := append([]byte{0xaa, 0xbb}, b...); !bytes.Equal(app, want) {
				t.Errorf("AppendBinary(aabb) = %x, want %x", app, want)
			}
		})
	}
}

// TestPHYPayloadAliases checks the documented aliasing: FOpts and FRMPayload
// are windows on the input whose capacity ends with them, so appending to one
// cannot overwrite the bytes that follow.
func TestPHYPayloadAliases(t *testing.T) {
	t.Parallel()
	b := codecMustHex("40 04030201 03 0000 020305 01 6a3798f5 b64dc039")
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if &p.FHDR.FOpts[0] != &b[8] || &p.FRMPayload[0] != &b[12] {
		t.Errorf("FOpts/FRMPayload do not alias the input")
	}
	if got, want := cap(p.FHDR.FOpts), 3; got != want {
		t.Errorf("cap(FOpts) = %d, want %d", got, want)
	}
	if got, want := cap(p.FRMPayload), 4; got != want {
		t.Errorf("cap(FRMPayload) = %d, want %d", got, want)
	}
}

// codecVectorFile is the shape of testdata/vectors/lorawan.json this codec uses.
type codecVectorFile struct {
	Vectors []struct {
		ID     string `json:"id"`
		Inputs struct {
			Direction         string `json:"direction"`
			DevAddr           string `json:"devaddr"`
			FPort             *int   `json:"fport"`
			FOptsHex          string `json:"fopts_hex"`
			PHYPayloadHex     string `json:"phypayload_hex"`
			MsgHex            string `json:"msg_hex"`
			CiphertextHex     string `json:"ciphertext_hex"`
			PlainPHYPayloadHx string `json:"plaintext_phypayload_hex"`
		} `json:"inputs"`
		Expected struct {
			MIC              string `json:"mic"`
			FRMCiphertextHex string `json:"frm_ciphertext_hex"`
			FOptsCipherHex   string `json:"fopts_ciphertext_hex"`
			EncryptedPHYHex  string `json:"encrypted_phypayload_hex"`
			PlainPHYHex      string `json:"plaintext_phypayload_hex"`
		} `json:"expected"`
		Computed struct {
			PlainPHYHex string `json:"plaintext_phypayload_hex"`
		} `json:"computed"`
	} `json:"vectors"`
}

func codecLoadVectors(t *testing.T) codecVectorFile {
	t.Helper()
	raw, err := os.ReadFile("testdata/vectors/lorawan.json")
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	var f codecVectorFile
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("parse vectors: %v", err)
	}
	return f
}

// TestPHYPayloadVectors decodes the frames of the shared known-answer vectors
// and checks every field the vector names, then the exact re-encoding.
func TestPHYPayloadVectors(t *testing.T) {
	t.Parallel()
	f := codecLoadVectors(t)
	frames := 0
	for _, v := range f.Vectors {
		in := v.Inputs
		hexFrame := in.PHYPayloadHex
		if hexFrame == "" {
			hexFrame = v.Expected.EncryptedPHYHex
		}
		if hexFrame == "" {
			continue
		}
		frames++
		t.Run(v.ID, func(t *testing.T) {
			b := codecMustHex(hexFrame)
			var p lorawan.PHYPayload
			if err := p.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary(%x): %v", b, err)
			}
			enc, err := p.MarshalBinary()
			if err != nil || !bytes.Equal(enc, b) {
				t.Errorf("MarshalBinary() = %x, %v; want %x", enc, err, b)
			}
			if p.MHDR.MType == lorawan.JoinAccept {
				if got, want := len(p.JoinAccept), len(b)-1; got != want {
					t.Errorf("len(JoinAccept) = %d, want %d", got, want)
				}
				return
			}
			if in.MsgHex != "" && !bytes.Equal(b[:len(b)-4], codecMustHex(in.MsgHex)) {
				t.Errorf("frame without MIC = %x, want msg_hex %s", b[:len(b)-4], in.MsgHex)
			}
			if v.Expected.MIC != "" && hex.EncodeToString(p.MIC[:]) != v.Expected.MIC {
				t.Errorf("MIC = %x, want %s", p.MIC, v.Expected.MIC)
			}
			if in.Direction != "" {
				if got, want := p.MHDR.MType.Uplink(), in.Direction == "uplink"; got != want {
					t.Errorf("%v.Uplink() = %v, want %v (direction %s)", p.MHDR.MType, got, want, in.Direction)
				}
			}
			if in.DevAddr != "" && p.FHDR.DevAddr.String() != in.DevAddr {
				t.Errorf("DevAddr = %s, want %s", p.FHDR.DevAddr, in.DevAddr)
			}
			if in.FPort != nil && (!p.FPortPresent || int(p.FPort) != *in.FPort) {
				t.Errorf("FPort = %d (present %v), want %d", p.FPort, p.FPortPresent, *in.FPort)
			}
			fopts := in.FOptsHex
			if fopts == "" {
				fopts = v.Expected.FOptsCipherHex
			}
			if fopts != "" && hex.EncodeToString(p.FHDR.FOpts) != fopts {
				t.Errorf("FOpts = %x, want %s", p.FHDR.FOpts, fopts)
			}
			frm := v.Expected.FRMCiphertextHex
			if frm == "" {
				frm = in.CiphertextHex
			}
			if frm != "" && hex.EncodeToString(p.FRMPayload) != frm {
				t.Errorf("FRMPayload = %x, want %s", p.FRMPayload, frm)
			}
		})
	}
	if frames < 20 {
		t.Errorf("only %d frames found in the vectors, want at least 20", frames)
	}
}

func TestPHYPayloadMalformed(t *testing.T) {
	t.Parallel()
	long := append([]byte{0x40, 4, 3, 2, 1, 0, 0, 0, 1}, make([]byte, 247)...) // 256 bytes
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "0 bytes is too short"},
		{"four bytes", codecMustHex("40010203"), "4 bytes is too short"},
		{"longer than 255", long, "256 bytes is longer than 255"},
		{"mhdr rfu", codecMustHex("44 04030201 00 0000 11223344"), "rfu bits 4..2 set"},
		{"major 1", codecMustHex("41 04030201 00 0000 11223344"), "unsupported major version 1"},
		{"major 3 join-request", codecMustHex("03 0403020104030201 0504030205040302 2d10 6a990e12"), "unsupported major version 3"},
		{"data 11 bytes", codecMustHex("40 04030201 00 0000 112233"), "data frame of 11 bytes"},
		{"foptslen past end", codecMustHex("40 04030201 05 0000 0102 11223344"), "foptslen 5 runs past the end"},
		{"foptslen past mic", codecMustHex("40 04030201 0f 0000 0102030405 11223344"), "foptslen 15 runs past the end"},
		{"fopts with fport 0", codecMustHex("40 04030201 01 0000 02 00 11223344"), "fopts present with fport 0"},
		{"fopts with fport 0 and payload", codecMustHex("80 04030201 01 0000 02 00 aabb 11223344"), "fopts present with fport 0"},
		{"downlink fctrl rfu", codecMustHex("60 04030201 40 0000 11223344"), "rfu bit 6 set on a downlink"},
		{"join-request 22", codecMustHex("00 0403020104030201 0504030205040302 2d 6a990e12"), "join-request of 22 bytes, want 23"},
		{"join-request 24", codecMustHex("00 0403020104030201 0504030205040302 2d1000 6a990e12"), "join-request of 24 bytes, want 23"},
		{"join-accept 16", codecMustHex("20 493eeb51fba2116f810edb37429751"), "join-accept of 16 bytes, want 17 or 33"},
		{"join-accept 18", codecMustHex("20 493eeb51fba2116f810edb374297514201"), "join-accept of 18 bytes, want 17 or 33"},
		{"join-accept 32", append([]byte{0x20}, make([]byte, 31)...), "join-accept of 32 bytes, want 17 or 33"},
		{"rejoin type 3", codecMustHex("c0 03 030201 0807060504030201 0500 01020304"), "unknown rejoin type 3"},
		{"rejoin type 0 of 24", codecMustHex("c0 00 0807060504030201 100f0e0d0c0b0a09 db00 eac31072"), "rejoin-request type 0 of 24 bytes, want 19"},
		{"rejoin type 1 of 19", codecMustHex("c0 01 030201 0807060504030201 db00 3c8642ae"), "rejoin-request type 1 of 19 bytes, want 24"},
		{"rejoin type 2 of 20", codecMustHex("c0 02 030201 0807060504030201 db0000 3c8642ae"), "rejoin-request type 2 of 20 bytes, want 19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := lorawan.PHYPayload{FPort: 3}
			err := p.UnmarshalBinary(tt.b)
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("UnmarshalBinary(%x) error = %v, want ErrMalformed", tt.b, err)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "lorawan: ") {
				t.Errorf("error = %q, want it to start with \"lorawan: \" and contain %q", err, tt.want)
			}
			if !reflect.DeepEqual(p, lorawan.PHYPayload{}) {
				t.Errorf("after error p = %+v, want zero", p)
			}
		})
	}
}

func TestPHYPayloadMarshalErrors(t *testing.T) {
	t.Parallel()
	up := lorawan.MHDR{MType: lorawan.UnconfirmedDataUp}
	down := lorawan.MHDR{MType: lorawan.UnconfirmedDataDown}
	tests := []struct {
		name string
		p    lorawan.PHYPayload
		want string
	}{
		{"mtype 8", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: 8}}, "mtype 8 does not fit"},
		{"major 1", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.JoinRequest, Major: 1}}, "unsupported major version 1"},
		{"16 fopts", lorawan.PHYPayload{MHDR: up, FHDR: lorawan.FHDR{FOpts: make([]byte, 16)}}, "16 bytes of fopts, at most 15"},
		{"foptslen mismatch", lorawan.PHYPayload{MHDR: up, FHDR: lorawan.FHDR{FCtrl: lorawan.FCtrl{FOptsLen: 2}, FOpts: []byte{2}}}, "foptslen 2 does not match 1 bytes"},
		{"frmpayload without fport", lorawan.PHYPayload{MHDR: up, FRMPayload: []byte{1}}, "frmpayload without fport"},
		{"fport without present", lorawan.PHYPayload{MHDR: up, FPort: 5}, "fport 5 set but FPortPresent is false"},
		{"fopts with fport 0", lorawan.PHYPayload{MHDR: up, FHDR: lorawan.FHDR{FOpts: []byte{2}}, FPortPresent: true}, "fopts present with fport 0"},
		{"classb downlink", lorawan.PHYPayload{MHDR: down, FHDR: lorawan.FHDR{FCtrl: lorawan.FCtrl{ClassB: true}}}, "classb is uplink only"},
		{"fpending uplink", lorawan.PHYPayload{MHDR: up, FHDR: lorawan.FHDR{FCtrl: lorawan.FCtrl{FPending: true}}}, "fpending is downlink only"},
		{"join-accept 15", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.JoinAccept}, JoinAccept: make([]byte, 15)}, "15 bytes after mhdr, want 16 or 32"},
		{"join-accept empty", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.JoinAccept}}, "0 bytes after mhdr, want 16 or 32"},
		{"rejoin type 3", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.RejoinRequest}, Rejoin: lorawan.RejoinRequestPayload{Type: 3}}, "unknown rejoin type 3"},
		{"rejoin 0 joineui", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.RejoinRequest}, Rejoin: lorawan.RejoinRequestPayload{JoinEUI: lorawan.EUI64{1}}}, "type 0 carries no JoinEUI"},
		{"rejoin 1 netid", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.RejoinRequest}, Rejoin: lorawan.RejoinRequestPayload{Type: 1, NetID: lorawan.NetID{1}}}, "type 1 carries no NetID"},
		{"frame of 256", lorawan.PHYPayload{MHDR: up, FPortPresent: true, FPort: 1, FRMPayload: make([]byte, 243)}, "256 bytes is longer than 255"},
		{"proprietary of 256", lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.Proprietary}, Proprietary: make([]byte, 251)}, "256 bytes is longer than 255"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{0xaa}
			got, err := tt.p.AppendBinary(dst)
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("AppendBinary() error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if !bytes.Equal(got, dst) {
				t.Errorf("AppendBinary() on error returned %x, want dst unchanged %x", got, dst)
			}
		})
	}
	t.Run("frame of 255", func(t *testing.T) {
		p := lorawan.PHYPayload{MHDR: up, FPortPresent: true, FPort: 1, FRMPayload: make([]byte, 242)}
		b, err := p.MarshalBinary()
		if err != nil || len(b) != 255 {
			t.Errorf("MarshalBinary() = %d bytes, %v; want 255, nil", len(b), err)
		}
	})
}

func TestPHYPayloadZeroAllocs(t *testing.T) {
	b := codecMustHex("80 04030201 03 0000 067307 0a e264d4f7 e117d2c0")
	var p lorawan.PHYPayload
	var err error
	allocs := testing.AllocsPerRun(200, func() {
		err = p.UnmarshalBinary(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("UnmarshalBinary of a data frame: %v allocations per run, want 0", allocs)
	}
	buf := make([]byte, 0, 64)
	allocs = testing.AllocsPerRun(200, func() {
		buf, err = p.AppendBinary(buf[:0])
	})
	if err != nil {
		t.Fatal(err)
	}
	if allocs != 0 {
		t.Errorf("AppendBinary of a data frame into a large enough buffer: %v allocations per run, want 0", allocs)
	}
}

func BenchmarkPHYPayloadUnmarshal(b *testing.B) {
	frame := codecMustHex("80 04030201 03 0000 067307 0a e264d4f7 e117d2c0")
	var p lorawan.PHYPayload
	b.ReportAllocs()
	b.SetBytes(int64(len(frame)))
	for b.Loop() {
		if err := p.UnmarshalBinary(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPHYPayloadAppend(b *testing.B) {
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(codecMustHex("80 04030201 03 0000 067307 0a e264d4f7 e117d2c0")); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = p.AppendBinary(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
