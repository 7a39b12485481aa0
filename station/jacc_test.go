package station

import (
	"bytes"
	"testing"
)

func TestJaccGolden(t *testing.T) {
	frame := unhex(t, "20493eeb51fba2116f810edb3742975142") // brocaar's encrypted join-accept
	want := &Jacc{
		FRMPayload: frame,
		UplinkMeta: UplinkMeta{DR: 5, Freq: 869525000, UpInfo: UpInfo{
			XTime: NewXTime(0, 0x7B, 0xDCBA), Fts: -1, RSSI: -30, SNR: 11, RxTime: 1795783678.654321,
		}},
	}
	checkGolden(t, "jacc", want)
	phy, err := want.PHYPayload()
	if err != nil || !bytes.Equal(phy, frame) {
		t.Errorf("PHYPayload() = %x, %v; want %x", phy, err, frame)
	}
	m, err := SplitUplink(frame, want.UplinkMeta)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := m.(*Jacc); !ok {
		t.Errorf("SplitUplink(join-accept) = %T, want *Jacc", m)
	}
}
