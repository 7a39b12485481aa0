package store

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// TestSessionCodecConfirmedCounters checks the encoding of the confirmed
// downlink counters: absent (flag clear, the layout records had before
// they existed) when both are zero, 8 bytes after the CFList otherwise,
// and one encoding per session.
func TestSessionCodecConfirmedCounters(t *testing.T) {
	base := Session{DevEUI: lorawan.EUI64{1}, DevAddr: lorawan.DevAddr{1, 2, 3, 4}, MACVersion: lorawan.MACVersion1_1,
		FCntUp: 7, UplinkSeen: true, CFList: make([]byte, 16), MACState: []byte("m"), CreatedAt: time.Unix(1, 2).UTC()}
	plain := appendSessionPublic(nil, &base)
	if len(plain) != sessionFixedSize+16+1+1 || plain[1]&8 != 0 {
		t.Fatalf("session without confirmed counters: %x, want the layout without them", plain)
	}
	for _, tc := range []struct {
		name       string
		last, prev uint32
	}{
		{"last only", 5, 0},
		{"both", 9, 5},
		{"previous zero is a counter", 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := base
			s.LastConfFCntDown, s.PrevConfFCntDown = tc.last, tc.prev
			b := appendSessionPublic(nil, &s)
			if len(b) != len(plain)+8 || b[1]&8 == 0 {
				t.Fatalf("encoded %x, want flag 3 and 8 more bytes than %x", b, plain)
			}
			var got Session
			if err := decodeSessionPublic(b, &got); err != nil {
				t.Fatal(err)
			}
			if got.LastConfFCntDown != tc.last || got.PrevConfFCntDown != tc.prev || !bytes.Equal(got.MACState, base.MACState) ||
				!bytes.Equal(got.CFList, base.CFList) || got.FCntUp != base.FCntUp {
				t.Errorf("decoded %+v", got)
			}
		})
	}
	// Flag 3 with both counters zero is not the encoding of any session.
	bad := bytes.Clone(plain)
	bad[1] |= 8
	i := sessionFixedSize + 16
	bad = append(bad[:i], append(make([]byte, 8), bad[i:]...)...)
	var s Session
	if err := decodeSessionPublic(bad, &s); !errors.Is(err, errSessionLayout) {
		t.Errorf("zero counters behind the flag: %v, want a layout error", err)
	}
	// Truncated counters.
	short := bytes.Clone(plain)
	short[1] |= 8
	if err := decodeSessionPublic(short, &s); !errors.Is(err, errSessionLayout) {
		t.Errorf("flag without the counters: %v, want a layout error", err)
	}
}
