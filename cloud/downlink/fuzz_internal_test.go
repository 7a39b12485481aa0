package downlink

import (
	"bytes"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// FuzzEncodeData checks that whatever MAC commands, payload and room a
// downlink gets, the frame is well formed, within the room, and reads back
// on the device side (MIC, FOpts, FRMPayload) as planned.
func FuzzEncodeData(f *testing.F) {
	f.Add([]byte{0x06}, []byte("hello"), true, false, uint8(59), uint32(7))
	f.Add(bytes.Repeat([]byte{0x06}, 20), []byte{1, 2, 3}, false, true, uint8(250), uint32(1<<16+3))
	f.Add([]byte{0x03, 0x50, 0xff, 0x00, 0x01, 0x42}, []byte{}, true, true, uint8(19), uint32(0))
	f.Fuzz(func(t *testing.T, mac, payload []byte, ack, v11 bool, maxM uint8, fcnt uint32) {
		if len(payload) > 242 || maxM < 12 || maxM > 250 { // RP002's M is at most 250

			return
		}
		k1 := lorawan.AES128Key{1}
		k2 := lorawan.AES128Key{2}
		k3 := lorawan.AES128Key{3}
		k4 := lorawan.AES128Key{4}
		crypto := lorawan.NewSession10(k1, k4)
		if v11 {
			crypto = lorawan.NewSession11(k1, k2, k3, k4)
		}
		head := &store.Downlink{ID: 1, FPort: 1, Payload: payload, Confirmed: ack}
		p := makePlan(ack, false, mac, head, true, 2, int(maxM))
		if len(p.fopts)+len(p.port0)+p.cut != len(mac) {
			t.Fatalf("mac of %d bytes split into fopts %d, port0 %d, cut %d", len(mac), len(p.fopts), len(p.port0), p.cut)
		}
		if p.app == nil && p.port0 != nil && len(p.port0) > int(maxM)-8 {
			t.Fatalf("fport 0 payload of %d bytes beyond maxM %d", len(p.port0), maxM)
		}
		if p.empty() {
			return
		}
		addr := lorawan.DevAddr{0x26, 1, 2, 3}
		b, err := encodeData(crypto, addr, fcnt, 9, p)
		if err != nil {
			t.Fatalf("encodeData: %v", err)
		}
		if p.app != nil && len(b)-5 > int(maxM) {
			t.Fatalf("MACPayload of %d bytes beyond maxM %d", len(b)-5, maxM)
		}
		var phy lorawan.PHYPayload
		if err := phy.UnmarshalBinary(bytes.Clone(b)); err != nil {
			t.Fatalf("frame %x does not parse: %v", b, err)
		}
		var conf uint16
		if ack {
			conf = 9
		}
		mic, err := crypto.DownlinkMIC(b[:len(b)-4], addr, fcnt, conf)
		if err != nil || mic != phy.MIC {
			t.Fatalf("mic %x, want %x (%v)", phy.MIC, mic, err)
		}
		fopts := bytes.Clone(phy.FHDR.FOpts)
		if v11 && len(fopts) > 0 {
			if err := crypto.XORFOpts(fopts, fopts, false, addr, fcnt, p.app != nil); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Equal(fopts, p.fopts) {
			t.Fatalf("fopts %x, want %x", fopts, p.fopts)
		}
		clear := make([]byte, len(phy.FRMPayload))
		if err := crypto.XORFRMPayload(clear, phy.FRMPayload, false, addr, fcnt, phy.FPort); err != nil {
			t.Fatal(err)
		}
		want := p.port0
		if p.app != nil {
			want = p.app.Payload
		}
		if !bytes.Equal(clear, want) {
			t.Fatalf("frmpayload %x, want %x", clear, want)
		}
	})
}
