package station

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// phyMessage is a message that can rebuild its frame.
type phyMessage interface {
	Message
	PHYPayload() ([]byte, error)
}

func TestSplitRebuild(t *testing.T) {
	tests := []struct {
		name, frame, msgType string
	}{
		{"unconfirmed up (lora-packet)", "40f17dbe4900020001954378762b11ff0d", MsgTypeUpdf},
		{"empty FRMPayload with FPort", "40f17dbe49000300012a3518af", MsgTypeUpdf},
		{"FOpts and FPort 0", "4004030201030000020305006a3798f5b64dc039", MsgTypeUpdf},
		{"no FPort", "80563412e083ffff020305d2029649", MsgTypeUpdf},
		{"15 bytes of FOpts", "40010000000f0100" + "0102030405060708090a0b0c0d0e0f" + "01020304", MsgTypeUpdf},
		{"confirmed up", "8004030201800100" + "0a" + "cafe" + "01020304", MsgTypeUpdf},
		{"unconfirmed down", "60f17dbe4920020001f9d65d27", MsgTypeDndf},
		{"confirmed down", "a0f17dbe4920020001f9d65d27", MsgTypeDndf},
		{"join-request (brocaar)", "00040302010403020105040302050403022d106a990e12", MsgTypeJreq},
		{"join-request (lora-packet)", "0039363463336913aa05693574323831330489c65b1304", MsgTypeJreq},
		{"23-byte rejoin", "c00807060504030201100f0e0d0c0b0a09db00eac31072", MsgTypeRejoin},
		{"join-accept", "20493eeb51fba2116f810edb3742975142", MsgTypeJacc},
		{"proprietary, 1 byte", "e0", MsgTypePropdf},
		{"proprietary", "e0010203040506", MsgTypePropdf},
		{"largest data frame", "40010000000000" + "00" + "01" + fmt.Sprintf("%0484x", 0) + "aabbccdd", MsgTypeUpdf},
	}
	meta := observedMeta
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame := unhex(t, tt.frame)
			m, err := SplitUplink(frame, meta)
			if err != nil {
				t.Fatalf("SplitUplink: %v", err)
			}
			if m.MsgType() != tt.msgType {
				t.Errorf("MsgType() = %s, want %s", m.MsgType(), tt.msgType)
			}
			p, ok := m.(phyMessage)
			if !ok {
				t.Fatalf("%T has no PHYPayload", m)
			}
			phy, err := p.PHYPayload()
			if err != nil || !bytes.Equal(phy, frame) {
				t.Errorf("PHYPayload() = %x, %v; want %x", phy, err, frame)
			}
			// Through JSON and back, the frame is the same.
			b, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			d, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			phy, err = d.(phyMessage).PHYPayload()
			if err != nil || !bytes.Equal(phy, frame) {
				t.Errorf("PHYPayload(Decode(Encode)) = %x, %v; want %x", phy, err, frame)
			}
			// The message holds no alias of the input.
			for i := range frame {
				frame[i] ^= 0xFF
			}
			if phy2, _ := p.PHYPayload(); !bytes.Equal(phy2, phy) {
				t.Error("message changed with the input frame")
			}
		})
	}
}

func TestSplitFields(t *testing.T) {
	m, err := SplitUplink(unhex(t, "80563412e083ffff020305d2029649"), UplinkMeta{DR: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := &Updf{MHdr: 0x80, DevAddr: -535677866, FCtrl: 0x83, FCnt: 0xFFFF, FOpts: HexBytes{2, 3, 5},
		FPort: -1, MIC: 1234567890, UplinkMeta: UplinkMeta{DR: 3}}
	if got := m.(*Updf); !reflect.DeepEqual(got, want) {
		t.Errorf("SplitUplink = %+v, want %+v", got, want)
	}
}

func TestSplitRefused(t *testing.T) {
	tests := []struct {
		name, frame string
	}{
		{"empty", ""},
		{"data frame of 11 bytes", "4001000000000100010203"},
		{"join-accept of 11 bytes", "2001020304050607080910"},
		{"Major 1", "41f17dbe4900020001954378762b11ff0d"},
		{"RFU bit", "44f17dbe4900020001954378762b11ff0d"},
		{"proprietary with Major set", "e3"},
		{"join-request of 22 bytes", "00040302010403020105040302050403022d106a990e"},
		{"join-request of 24 bytes", "00040302010403020105040302050403022d106a990e1200"},
		{"FOpts into the MIC", "40f17dbe4905020001f9d65d27"},
		{"frame of 256 bytes", "40010000000000" + "00" + "01" + fmt.Sprintf("%0486x", 0) + "aabbccdd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := SplitUplink(unhex(t, tt.frame), UplinkMeta{})
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Errorf("SplitUplink = %#v, %v; want an error wrapping lorawan.ErrMalformed", m, err)
			}
		})
	}
}

func TestUplinkFilter(t *testing.T) {
	// DevAddr 0x27xxxxxx has 0x13 (NetID 000013's NwkID) in its top 7 bits.
	ttnFrame := unhex(t, "40"+"78563427"+"00"+"0100"+"01"+"aa"+"01020304")
	otherFrame := unhex(t, "40f17dbe49000300012a3518af") // DevAddr 49be7df1: top 7 bits 0x24
	// JoinEUI 0102030401020304.
	joinFrame := unhex(t, "00040302010403020105040302050403022d106a990e12")
	joinEUI := lorawan.EUI64{1, 2, 3, 4, 1, 2, 3, 4}
	next := func(e lorawan.EUI64) lorawan.EUI64 { return eui(euiToUint64(e) + 1) }
	prev := func(e lorawan.EUI64) lorawan.EUI64 { return eui(euiToUint64(e) - 1) }
	tests := []struct {
		name             string
		rc               RouterConfig
		ttn, other, join bool
	}{
		{"no filters", RouterConfig{}, true, true, true},
		{"NetID 000013", RouterConfig{NetIDs: []lorawan.NetID{{0, 0, 0x13}}}, true, false, true},
		{"NetID 600013: only the low 7 bits count", RouterConfig{NetIDs: []lorawan.NetID{{0x60, 0, 0x13}}}, true, false, true},
		{"NetID empty array", RouterConfig{NetIDs: []lorawan.NetID{}}, false, false, true},
		{"JoinEUI range containing", RouterConfig{JoinEUIs: []JoinEUIRange{{prev(joinEUI), joinEUI}}}, true, true, true},
		{"JoinEUI range exact", RouterConfig{JoinEUIs: []JoinEUIRange{{joinEUI, joinEUI}}}, true, true, true},
		{"JoinEUI range above", RouterConfig{JoinEUIs: []JoinEUIRange{{next(joinEUI), eui(1<<64 - 1)}}}, true, true, false},
		{"JoinEUI second range", RouterConfig{JoinEUIs: []JoinEUIRange{{eui(1), eui(2)}, {joinEUI, next(joinEUI)}}}, true, true, true},
		{"JoinEUI range from 0 disables the filter", RouterConfig{JoinEUIs: []JoinEUIRange{{eui(0), eui(1)}}}, true, true, true},
		{"JoinEUI list ends at a range from 0", RouterConfig{JoinEUIs: []JoinEUIRange{{eui(1), eui(2)}, {eui(0), joinEUI}}}, true, true, false},
		{"JoinEUI empty array", RouterConfig{JoinEUIs: []JoinEUIRange{}}, true, true, true},
		{"JoinEUI past the 10th range ignored", RouterConfig{JoinEUIs: append(tenRanges(), JoinEUIRange{joinEUI, joinEUI})}, true, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := NewUplinkFilter(&tt.rc)
			for _, c := range []struct {
				what  string
				frame []byte
				want  bool
			}{{"ttn", ttnFrame, tt.ttn}, {"other", otherFrame, tt.other}, {"join", joinFrame, tt.join}} {
				m, err := f.Split(c.frame, UplinkMeta{})
				switch {
				case c.want && err != nil:
					t.Errorf("%s frame: %v, want it to pass", c.what, err)
				case !c.want && !errors.Is(err, ErrFiltered):
					t.Errorf("%s frame: %#v, %v; want ErrFiltered", c.what, m, err)
				}
			}
		})
	}
}

// tenRanges returns ten one-EUI ranges that do not hold the test JoinEUI.
func tenRanges() []JoinEUIRange {
	var rs []JoinEUIRange
	for i := range 10 {
		rs = append(rs, JoinEUIRange{eui(uint64(i + 1)), eui(uint64(i + 1))})
	}
	return rs
}

func TestUplinkFilterSpelling(t *testing.T) {
	f := NewUplinkFilter(&RouterConfig{UpperEUIKeys: true})
	m, err := f.Split(unhex(t, "00040302010403020105040302050403022d106a990e12"), UplinkMeta{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte(`"JoinEUI":"01-02-03-04-01-02-03-04","DevEUI":"02-03-04-05-02-03-04-05"`)) {
		t.Errorf("Encode = %s, want JoinEUI/DevEUI keys", b)
	}
}

// TestNextUplinkFilter: a router_config without NetID or JoinEui leaves
// Station's filter as the previous one set it; null resets it; the
// "JoinEUI" spelling, once used, stays (handle_router_config, rt.c).
func TestNextUplinkFilter(t *testing.T) {
	ttnFrame := unhex(t, "40"+"78563427"+"00"+"0100"+"01"+"aa"+"01020304")
	otherFrame := unhex(t, "40f17dbe49000300012a3518af")
	joinFrame := unhex(t, "00040302010403020105040302050403022d106a990e12")
	decode := func(js string) *RouterConfig {
		m, err := Decode([]byte(js))
		if err != nil {
			t.Fatal(err)
		}
		return m.(*RouterConfig)
	}
	steps := []struct {
		name             string
		rc               string
		ttn, other, join bool
		upper            bool
	}{
		{"set", `{"msgtype":"router_config","NetID":[19],"JoinEUI":[[1,2]]}`, true, false, false, true},
		{"absent keeps both", `{"msgtype":"router_config"}`, true, false, false, true},
		{"NetID null, JoinEui kept", `{"msgtype":"router_config","NetID":null}`, true, true, false, true},
		{"JoinEui null, lower case: spelling kept", `{"msgtype":"router_config","JoinEui":null}`, true, true, true, true},
		{"NetID [] drops all data", `{"msgtype":"router_config","NetID":[]}`, false, false, true, true},
	}
	var f *UplinkFilter
	for _, st := range steps {
		f = NextUplinkFilter(f, decode(st.rc))
		for _, c := range []struct {
			what  string
			frame []byte
			want  bool
		}{{"ttn", ttnFrame, st.ttn}, {"other", otherFrame, st.other}, {"join", joinFrame, st.join}} {
			_, err := f.Split(c.frame, UplinkMeta{})
			if got := err == nil; got != c.want || (err != nil && !errors.Is(err, ErrFiltered)) {
				t.Errorf("%s: %s frame: %v, want passed %v", st.name, c.what, err, c.want)
			}
		}
		m, err := f.Split(joinFrame, UplinkMeta{})
		if err == nil {
			if upper := m.(*Jreq).UpperEUIKeys; upper != st.upper {
				t.Errorf("%s: jreq UpperEUIKeys %v, want %v", st.name, upper, st.upper)
			}
		}
	}
	if got := NewUplinkFilter(decode(`{"msgtype":"router_config"}`)); got.netIDsSet || got.joinEUIs != nil || got.upperEUIKeys {
		t.Errorf("NewUplinkFilter of a router_config without filters = %+v, want Station's initial filter", got)
	}
}
