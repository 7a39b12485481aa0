package station

import (
	"bytes"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestJreqGolden(t *testing.T) {
	tests := []struct {
		name  string
		frame string
		want  *Jreq
	}{
		// brocaar/lorawan TestPHYPayloadJoinRequest.
		{"jreq", "00040302010403020105040302050403022d106a990e12", &Jreq{
			JoinEUI:    lorawan.EUI64{1, 2, 3, 4, 1, 2, 3, 4},
			DevEUI:     lorawan.EUI64{2, 3, 4, 5, 2, 3, 4, 5},
			DevNonce:   0x102d,
			MIC:        0x120e996a,
			UplinkMeta: observedMeta,
		}},
		// lora-packet's join request, with the "JoinEUI"/"DevEUI" spelling.
		{"jreq_upper", "0039363463336913aa05693574323831330489c65b1304", &Jreq{
			JoinEUI:      lorawan.EUI64{0xaa, 0x13, 0x69, 0x33, 0x63, 0x34, 0x36, 0x39},
			DevEUI:       lorawan.EUI64{0x33, 0x31, 0x38, 0x32, 0x74, 0x35, 0x69, 0x05},
			DevNonce:     0x8904,
			MIC:          0x04135bc6,
			UpperEUIKeys: true,
			UplinkMeta: UplinkMeta{Freq: 868300000, UpInfo: UpInfo{
				Rctx: 2, XTime: NewXTime(2, 0x7B, 0x12345678), Fts: -1, RSSI: -110, SNR: -12.25, RxTime: 1795783677.000001,
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
			frame := unhex(t, tt.frame)
			phy, err := tt.want.PHYPayload()
			if err != nil || !bytes.Equal(phy, frame) {
				t.Errorf("PHYPayload() = %x, %v; want %x", phy, err, frame)
			}
		})
	}
}

func TestJreqDecodeNumericEUIs(t *testing.T) {
	// Station's uj_eui also reads EUIs as integers and as undashed hex.
	in := `{"msgtype":"jreq","MHdr":0,"JoinEui":72623859790382856,"DevEui":"0a0b0c0d0e0f1011","DevNonce":1,"MIC":-1}`
	m, err := Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	j := m.(*Jreq)
	if want := (lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}); j.JoinEUI != want {
		t.Errorf("JoinEUI = %s, want %s", j.JoinEUI, want)
	}
	if want := (lorawan.EUI64{10, 11, 12, 13, 14, 15, 16, 17}); j.DevEUI != want {
		t.Errorf("DevEUI = %s, want %s", j.DevEUI, want)
	}
	if j.MIC != -1 || j.UpperEUIKeys {
		t.Errorf("MIC = %d, UpperEUIKeys = %v; want -1, false", j.MIC, j.UpperEUIKeys)
	}
}
