package station

import (
	"bytes"
	"testing"
)

func TestDndfGolden(t *testing.T) {
	frame := unhex(t, "60f17dbe4920020001f9d65d27") // lora-packet's ACK downlink
	want := &Dndf{
		MHdr: 0x60, DevAddr: 0x49be7df1, FCtrl: 0x20, FCnt: 2, FPort: 1, MIC: 0x275dd6f9,
		UplinkMeta: UplinkMeta{DR: 5, Freq: 869525000, UpInfo: UpInfo{
			XTime: NewXTime(0, 0x7B, 12500000), Fts: -1, RSSI: -40, SNR: 10, RxTime: 1795783677,
		}},
	}
	checkGolden(t, "dndf", want)
	phy, err := want.PHYPayload()
	if err != nil || !bytes.Equal(phy, frame) {
		t.Errorf("PHYPayload() = %x, %v; want %x", phy, err, frame)
	}
	if got := want.Addr().String(); got != "49be7df1" {
		t.Errorf("Addr() = %s, want 49be7df1", got)
	}
	m, err := SplitUplink(frame, want.UplinkMeta)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := m.(*Dndf); !ok || d.FCtrl != 0x20 {
		t.Errorf("SplitUplink(downlink) = %#v, want a *Dndf", m)
	}
}
