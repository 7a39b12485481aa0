package station

import (
	"bytes"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestRejoinGolden(t *testing.T) {
	// Station only forwards 23-byte rejoin frames, split in the join-request
	// layout; this synthetic frame is brocaar's type 1 rejoin without its
	// type byte.
	frame := unhex(t, "c00807060504030201100f0e0d0c0b0a09db00eac31072")
	want := &Rejoin{
		MHdr:     0xC0,
		JoinEUI:  lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8},
		DevEUI:   lorawan.EUI64{9, 10, 11, 12, 13, 14, 15, 16},
		DevNonce: 219,
		MIC:      0x7210c3ea,
		UplinkMeta: UplinkMeta{DR: 2, Freq: 868100000, UpInfo: UpInfo{
			XTime: NewXTime(0, 0x7B, 99), Fts: -1, RSSI: -60, SNR: 8.5, RxTime: 1795783677.1,
		}},
	}
	checkGolden(t, "rejoin", want)
	phy, err := want.PHYPayload()
	if err != nil || !bytes.Equal(phy, frame) {
		t.Errorf("PHYPayload() = %x, %v; want %x", phy, err, frame)
	}
}

func TestRejoinRealFramesDropped(t *testing.T) {
	// Real LoRaWAN 1.1 rejoin requests (brocaar/lorawan vectors) are 19 and
	// 24 bytes long: Station 2.0.6 drops both.
	for _, f := range []string{
		"c0020302010807060504030201db003c8642ae",           // type 2, 19 bytes
		"c0010807060504030201100f0e0d0c0b0a09db00eac31072", // type 1, 24 bytes
	} {
		m, err := SplitUplink(unhex(t, f), UplinkMeta{})
		if !errors.Is(err, lorawan.ErrMalformed) {
			t.Errorf("SplitUplink(%s) = %#v, %v; want ErrMalformed", f, m, err)
		}
	}
}
