package station

import (
	"bytes"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestUpdfGolden(t *testing.T) {
	tests := []struct {
		name  string
		frame string // the frame the message was split from
		want  *Updf
	}{
		{"updf", "400100000000010001010201000000", &Updf{
			MHdr: 0x40, DevAddr: 1, FCnt: 1, FPort: 1, FRMPayload: HexBytes{1, 2}, MIC: 1,
			UplinkMeta: observedMeta,
		}},
		{"updf_emptypayload", "40f17dbe49000300012a3518af", &Updf{
			MHdr: 0x40, DevAddr: 0x49be7df1, FCnt: 3, FPort: 1, MIC: -1357368022,
			UplinkMeta: UplinkMeta{Freq: 867100000, UpInfo: UpInfo{
				XTime: NewXTime(0, 0x7B, 1000000), Fts: -1, RSSI: -117, SNR: -7.25, RxTime: 1795783690.5,
			}},
		}},
		{"updf_noport", "80563412e083ffff020305d2029649", &Updf{
			MHdr: 0x80, DevAddr: -535677866, FCtrl: 0x83, FCnt: 0xFFFF, FOpts: HexBytes{2, 3, 5}, FPort: -1, MIC: 1234567890,
			UplinkMeta: UplinkMeta{RefTime: 1795783700.000001, Freq: 868300000, UpInfo: UpInfo{
				Rctx: 1, XTime: NewXTime(1, 0x7F, 1<<40-1), GPSTime: 1448397618000000, Fts: 123456,
				RSSI: -120, SNR: -20.5, RxTime: 1795783700.25,
			}},
		}},
		{"updf_fopts", "4004030201030000020305016a3798f5b64dc039", &Updf{
			MHdr: 0x40, DevAddr: 0x01020304, FCtrl: 3, FOpts: HexBytes{2, 3, 5}, FPort: 1,
			FRMPayload: HexBytes{0x6a, 0x37, 0x98, 0xf5}, MIC: 0x39c04db6,
			UplinkMeta: UplinkMeta{RefTime: 1795783677.5, DR: 3, Freq: 868500000, UpInfo: UpInfo{
				XTime: NewXTime(0, 0x7B, 1), Fts: -1, RSSI: -80, SNR: 7.75, RxTime: 1795783677.499999,
			}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
			frame := unhex(t, tt.frame)
			phy, err := tt.want.PHYPayload()
			if err != nil {
				t.Fatalf("PHYPayload: %v", err)
			}
			if !bytes.Equal(phy, frame) {
				t.Errorf("PHYPayload = %x, want %x", phy, frame)
			}
			m, err := SplitUplink(frame, tt.want.UplinkMeta)
			if err != nil {
				t.Fatalf("SplitUplink: %v", err)
			}
			enc, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if g := golden(t, tt.name); !bytes.Equal(enc, g) {
				t.Errorf("Encode(SplitUplink(frame)):\n got %s\nwant %s", enc, g)
			}
		})
	}
}

func TestUpdfAddr(t *testing.T) {
	u := Updf{DevAddr: -535677866}
	if got, want := u.Addr(), (lorawan.DevAddr{0xE0, 0x12, 0x34, 0x56}); got != want {
		t.Errorf("Addr() = %s, want %s", got, want)
	}
}

func TestUpdfPHYPayloadRefused(t *testing.T) {
	tests := []struct {
		name string
		u    Updf
	}{
		{"fopts shorter than FCtrl says", Updf{MHdr: 0x40, FCtrl: 2, FOpts: HexBytes{1}, FPort: -1}},
		{"fopts without FOptsLen", Updf{MHdr: 0x40, FOpts: HexBytes{1}, FPort: -1}},
		{"payload without port", Updf{MHdr: 0x40, FPort: -1, FRMPayload: HexBytes{1}}},
		{"port too large", Updf{MHdr: 0x40, FPort: 256}},
		{"port below -1", Updf{MHdr: 0x40, FPort: -2}},
		{"frame too long", Updf{MHdr: 0x40, FPort: 1, FRMPayload: make(HexBytes, 243)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			phy, err := tt.u.PHYPayload()
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Errorf("PHYPayload() = %x, %v; want an error wrapping lorawan.ErrMalformed", phy, err)
			}
		})
	}
	// The longest frame that fits is accepted.
	u := Updf{MHdr: 0x40, FPort: 1, FRMPayload: make(HexBytes, 242)}
	if phy, err := u.PHYPayload(); err != nil || len(phy) != 255 {
		t.Errorf("PHYPayload() of 255 bytes = %d bytes, %v", len(phy), err)
	}
}
