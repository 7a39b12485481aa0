package station

import (
	"bytes"
	"testing"
)

func TestPropdfGolden(t *testing.T) {
	frame := unhex(t, "e0010203040506")
	want := &Propdf{
		FRMPayload: frame,
		UplinkMeta: UplinkMeta{DR: 5, Freq: 868100000, UpInfo: UpInfo{
			XTime: NewXTime(0, 0x7B, 0xABCD), Fts: -1, RSSI: -70, SNR: 6.5, RxTime: 1795783678.123456,
		}},
	}
	checkGolden(t, "propdf", want)
	phy, err := want.PHYPayload()
	if err != nil || !bytes.Equal(phy, frame) {
		t.Errorf("PHYPayload() = %x, %v; want %x", phy, err, frame)
	}
	phy[0] = 0 // the result is a copy
	if want.FRMPayload[0] != 0xE0 {
		t.Error("PHYPayload returned the message's own slice")
	}
	if _, err := (&Propdf{}).PHYPayload(); err == nil {
		t.Error("PHYPayload of an empty propdf: no error")
	}
}
