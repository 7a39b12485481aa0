package lorawan_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestJoinAcceptPayloadRoundTrip(t *testing.T) {
	t.Parallel()
	euFreqs := lorawan.CFList{
		Type:        lorawan.CFListFrequencies,
		Frequencies: [5]uint32{867100000, 867300000, 867500000, 867700000, 867900000},
	}
	tests := []struct {
		name string
		hex  string // plaintext between MHDR and MIC
		want lorawan.JoinAcceptPayload
	}{
		{
			// bro-joinaccept-10-appkey plaintext without MHDR and MIC.
			name: "1.0 no cflist",
			hex:  "c70b57 011122 80190302 00 00",
			want: lorawan.JoinAcceptPayload{
				JoinNonce: 0x570bc7,
				NetID:     lorawan.NetID{0x22, 0x11, 0x01},
				DevAddr:   lorawan.DevAddr{0x02, 0x03, 0x19, 0x80},
			},
		},
		{
			// bro-joinaccept-11-example plaintext.
			name: "1.1 optneg",
			hex:  "010101 020202 04030201 80 00",
			want: lorawan.JoinAcceptPayload{
				JoinNonce:  0x010101,
				NetID:      lorawan.NetID{2, 2, 2},
				DevAddr:    lorawan.DevAddr{1, 2, 3, 4},
				DLSettings: lorawan.DLSettings{OptNeg: true},
			},
		},
		{
			// gen-joinaccept-10-cflist plaintext.
			name: "1.0 cflist type 0",
			hex:  "000001 030201 da1b0126 15 01 184f84 e85684 b85e84 886684 586e84 00",
			want: lorawan.JoinAcceptPayload{
				JoinNonce:  0x010000,
				NetID:      lorawan.NetID{1, 2, 3},
				DevAddr:    lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda},
				DLSettings: lorawan.DLSettings{RX1DROffset: 1, RX2DataRate: 5},
				RxDelay:    1,
				CFList:     &euFreqs,
			},
		},
		{
			// gen-joinaccept-11-cflist plaintext.
			name: "1.1 cflist type 0",
			hex:  "000001 030201 da1b0126 95 01 184f84 e85684 b85e84 886684 586e84 00",
			want: lorawan.JoinAcceptPayload{
				JoinNonce:  0x010000,
				NetID:      lorawan.NetID{1, 2, 3},
				DevAddr:    lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda},
				DLSettings: lorawan.DLSettings{OptNeg: true, RX1DROffset: 1, RX2DataRate: 5},
				RxDelay:    1,
				CFList:     &euFreqs,
			},
		},
		{
			name: "cflist type 1 channel masks",
			hex:  "ffffff 000013 78563412 7f 0f ff00 0000 0000 0000 0100 0000000000 01",
			want: lorawan.JoinAcceptPayload{
				JoinNonce:  0xffffff,
				NetID:      lorawan.NetID{0x13, 0, 0},
				DevAddr:    lorawan.DevAddr{0x12, 0x34, 0x56, 0x78},
				DLSettings: lorawan.DLSettings{RX1DROffset: 7, RX2DataRate: 15},
				RxDelay:    15,
				CFList:     &lorawan.CFList{Type: lorawan.CFListChannelMask, ChMasks: [5]uint16{0x00ff, 0, 0, 0, 0x0001}},
			},
		},
		{
			name: "cflist type 0 with empty slots",
			hex:  "000000 000000 00000000 00 00 184f84 000000 000000 000000 ffffff 00",
			want: lorawan.JoinAcceptPayload{
				CFList: &lorawan.CFList{Frequencies: [5]uint32{867100000, 0, 0, 0, 0xffffff * 100}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := codecMustHex(tt.hex)
			var got lorawan.JoinAcceptPayload
			if err := got.UnmarshalBinary(b); err != nil {
				t.Fatalf("UnmarshalBinary(%x): %v", b, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("UnmarshalBinary(%x)\n got %+v (cflist %+v)\nwant %+v (cflist %+v)", b, got, got.CFList, tt.want, tt.want.CFList)
			}
			enc, err := tt.want.MarshalBinary()
			if err != nil || !bytes.Equal(enc, b) {
				t.Errorf("MarshalBinary() = %x, %v; want %x", enc, err, b)
			}
			if tt.want.CFList != nil {
				cf, err := tt.want.CFList.MarshalBinary()
				if err != nil || !bytes.Equal(cf, b[12:]) {
					t.Errorf("CFList.MarshalBinary() = %x, %v; want %x", cf, err, b[12:])
				}
			}
		})
	}
}

// TestJoinAcceptPlaintextVectors checks the decrypted join-accepts of the
// shared vectors: MHDR, 12 or 28 payload bytes, MIC.
func TestJoinAcceptPlaintextVectors(t *testing.T) {
	t.Parallel()
	n := 0
	for _, v := range codecLoadVectors(t).Vectors {
		plain := v.Inputs.PlainPHYPayloadHx
		if plain == "" {
			plain = v.Computed.PlainPHYHex
		}
		if plain == "" {
			continue
		}
		n++
		t.Run(v.ID, func(t *testing.T) {
			b := codecMustHex(plain)
			var j lorawan.JoinAcceptPayload
			if err := j.UnmarshalBinary(b[1 : len(b)-4]); err != nil {
				t.Fatalf("UnmarshalBinary(%x): %v", b[1:len(b)-4], err)
			}
			enc, err := j.AppendBinary(b[:1:1])
			if err != nil || !bytes.Equal(enc, b[:len(b)-4]) {
				t.Errorf("AppendBinary(mhdr) = %x, %v; want %x", enc, err, b[:len(b)-4])
			}
		})
	}
	if n < 5 {
		t.Errorf("found %d plaintext join-accepts in the vectors, want at least 5", n)
	}
}

func TestJoinAcceptPayloadMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		hex  string
		want string
	}{
		{"empty", "", "payload of 0 bytes, want 12 or 28"},
		{"11 bytes", "c70b57 011122 80190302 00", "payload of 11 bytes"},
		{"13 bytes", "c70b57 011122 80190302 00 00 00", "payload of 13 bytes"},
		{"27 bytes", "000001 030201 da1b0126 15 01 184f84 e85684 b85e84 886684 586e84", "payload of 27 bytes"},
		{"rxdelay rfu", "c70b57 011122 80190302 00 10", "rxdelay 0x10 has rfu bits set"},
		{"cflist type 2", "000001 030201 da1b0126 15 01 184f84 e85684 b85e84 886684 586e84 02", "cflist: unknown type 2"},
		{"cflist type 255", "000001 030201 da1b0126 15 01 184f84 e85684 b85e84 886684 586e84 ff", "cflist: unknown type 255"},
		{"cflist type 1 rfu first", "000001 030201 da1b0126 15 01 ff00 0000 0000 0000 0000 0100000000 01", "rfu bytes not zero"},
		{"cflist type 1 rfu middle", "000001 030201 da1b0126 15 01 ff00 0000 0000 0000 0000 0000000100 01", "rfu bytes not zero"},
		{"cflist type 1 rfu last", "000001 030201 da1b0126 15 01 ff00 0000 0000 0000 0000 0000000080 01", "rfu bytes not zero"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := codecMustHex(tt.hex)
			j := lorawan.JoinAcceptPayload{RxDelay: 3}
			err := j.UnmarshalBinary(b)
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("UnmarshalBinary(%x) error = %v, want ErrMalformed", b, err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if j.RxDelay != 3 {
				t.Errorf("UnmarshalBinary changed the payload on error: %+v", j)
			}
		})
	}
}

func TestJoinAcceptPayloadMarshalErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		j    lorawan.JoinAcceptPayload
		want string
	}{
		{"joinnonce 25 bits", lorawan.JoinAcceptPayload{JoinNonce: 0x1000000}, "joinnonce 0x1000000 above 24 bits"},
		{"rxdelay 16", lorawan.JoinAcceptPayload{RxDelay: 16}, "rxdelay 16 above 15"},
		{"rx1droffset 8", lorawan.JoinAcceptPayload{DLSettings: lorawan.DLSettings{RX1DROffset: 8}}, "rx1droffset 8 above 7"},
		{"rx2datarate 16", lorawan.JoinAcceptPayload{DLSettings: lorawan.DLSettings{RX2DataRate: 16}}, "rx2datarate 16 above 15"},
		{"freq not 100 Hz", lorawan.JoinAcceptPayload{CFList: &lorawan.CFList{Frequencies: [5]uint32{0, 868100050}}}, "frequency 868100050 Hz"},
		{"freq above 24 bits", lorawan.JoinAcceptPayload{CFList: &lorawan.CFList{Frequencies: [5]uint32{1677721600}}}, "frequency 1677721600 Hz"},
		{"type 0 with masks", lorawan.JoinAcceptPayload{CFList: &lorawan.CFList{ChMasks: [5]uint16{1}}}, "type 0 carries no channel masks"},
		{"type 1 with freqs", lorawan.JoinAcceptPayload{CFList: &lorawan.CFList{Type: 1, Frequencies: [5]uint32{868100000}}}, "type 1 carries no frequencies"},
		{"type 2", lorawan.JoinAcceptPayload{CFList: &lorawan.CFList{Type: 2}}, "cflist: unknown type 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{0x20}
			got, err := tt.j.AppendBinary(dst)
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("AppendBinary() error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if !bytes.Equal(got, dst) {
				t.Errorf("AppendBinary() on error = %x, want dst unchanged %x", got, dst)
			}
		})
	}
}

func TestCFListUnmarshalLength(t *testing.T) {
	t.Parallel()
	var c lorawan.CFList
	for _, n := range []int{0, 15, 17} {
		if err := c.UnmarshalBinary(make([]byte, n)); !errors.Is(err, lorawan.ErrMalformed) {
			t.Errorf("UnmarshalBinary(%d bytes) error = %v, want ErrMalformed", n, err)
		}
	}
}
