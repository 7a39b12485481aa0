package station

import (
	"errors"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestDnmsgGolden(t *testing.T) {
	tests := []struct {
		name string
		want *Dnmsg
	}{
		{"dnmsg_classa", &Dnmsg{
			DevEUI: lorawan.EUI64{7: 1}, DC: ClassA, Diid: 1<<53 + 1,
			PDU:     HexBytes{0x60, 1, 0, 0, 0, 0, 1, 0, 1, 0xA1, 0xB2, 0xC3, 0xD4},
			RxDelay: 1, RX1DR: ptr(5), RX1Freq: ptr[uint32](868100000), RX2DR: ptr(0), RX2Freq: ptr[uint32](869525000),
			XTime: 34621422408357864, Rctx: ptr[int64](0), MuxTime: 1795783677.3,
		}},
		{"dnmsg_classc", &Dnmsg{
			DevEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, DC: ClassC, Diid: 42, PDU: HexBytes{0x60},
			RX2DR: ptr(3), RX2Freq: ptr[uint32](869525000), Priority: 255, Preamble: 12, AddCRC: 1, DnMode: "dn",
			UpperEUIKeys: true,
		}},
		{"dnmsg_classb", &Dnmsg{
			DevEUI: lorawan.EUI64{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, DC: ClassB, Diid: -1,
			PDU: HexBytes{0x60, 1, 2, 3}, DR: ptr(3), Freq: ptr[uint32](869525000), Priority: 10,
			GPSTime: 1448397618123456,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
			if err := tt.want.Validate(); err != nil {
				t.Errorf("Validate() = %v", err)
			}
		})
	}
}

func TestDnmsgZeroIsNotAbsent(t *testing.T) {
	// RX2DR 0 and rctx 0 are values, distinct from absent keys.
	m, err := Decode([]byte(`{"msgtype":"dnmsg","DevEui":0,"dC":0,"diid":0,"pdu":"","RX2DR":0,"RX2Freq":0,"rctx":0}`))
	if err != nil {
		t.Fatal(err)
	}
	d := m.(*Dnmsg)
	if d.RX2DR == nil || *d.RX2DR != 0 || d.RX2Freq == nil || d.Rctx == nil || *d.Rctx != 0 {
		t.Errorf("RX2DR, RX2Freq, rctx = %v, %v, %v; want pointers to 0", d.RX2DR, d.RX2Freq, d.Rctx)
	}
	if d.RX1DR != nil || d.RX1Freq != nil || d.DR != nil || d.Freq != nil {
		t.Errorf("absent RX1 keys decoded as present: %+v", d)
	}
	b, err := Encode(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"RX2DR":0`, `"RX2Freq":0`, `"rctx":0`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("Encode = %s, missing %s", b, key)
		}
	}
	for _, key := range []string{`"RX1DR"`, `"RX1Freq"`, `"DR"`, `"Freq"`, `"xtime"`} {
		if strings.Contains(string(b), key) {
			t.Errorf("Encode = %s, has absent key %s", b, key)
		}
	}
}

func TestDnmsgLegacySeqno(t *testing.T) {
	m, err := Decode([]byte(`{"msgtype":"dnmsg","seqno":77,"DevEui":1,"dC":0,"pdu":"60"}`))
	if err != nil {
		t.Fatal(err)
	}
	d := m.(*Dnmsg)
	if d.Diid != 77 || d.DevEUI != (lorawan.EUI64{7: 1}) {
		t.Errorf("Diid, DevEUI = %d, %s; want 77, 0000000000000001", d.Diid, d.DevEUI)
	}
}

func TestDnmsgValidate(t *testing.T) {
	valid := func() Dnmsg {
		return Dnmsg{DC: ClassA, PDU: HexBytes{0x60}, RxDelay: 1, XTime: NewXTime(0, 1, 5),
			RX1DR: ptr(5), RX1Freq: ptr[uint32](868100000), RX2DR: ptr(0), RX2Freq: ptr[uint32](869525000)}
	}
	tests := []struct {
		name   string
		change func(*Dnmsg)
		errHas string // "" means valid
	}{
		{"valid", func(*Dnmsg) {}, ""},
		{"rx2 only", func(d *Dnmsg) { d.RX1DR, d.RX1Freq = nil, nil }, ""},
		{"legacy DR/Freq", func(d *Dnmsg) { d.RX1DR, d.RX1Freq, d.DR, d.Freq = nil, nil, ptr(5), ptr[uint32](1) }, ""},
		{"class c without xtime", func(d *Dnmsg) { d.DC, d.XTime = ClassC, 0 }, ""},
		{"dC 3", func(d *Dnmsg) { d.DC = 3 }, "dC 3"},
		{"RxDelay 16", func(d *Dnmsg) { d.RxDelay = 16 }, "RxDelay 16"},
		{"priority 256", func(d *Dnmsg) { d.Priority = 256 }, "priority 256"},
		{"empty pdu", func(d *Dnmsg) { d.PDU = nil }, "pdu of 0 bytes"},
		{"pdu too long", func(d *Dnmsg) { d.PDU = make(HexBytes, 256) }, "pdu of 256 bytes"},
		{"rx1 half", func(d *Dnmsg) { d.RX1Freq = nil }, "RX1 data rate and frequency"},
		{"rx2 half", func(d *Dnmsg) { d.RX2DR = nil }, "RX2DR and RX2Freq"},
		{"rx1 twice", func(d *Dnmsg) { d.DR = ptr(5) }, "both as RX1DR/RX1Freq and as DR/Freq"},
		{"no frequency", func(d *Dnmsg) { d.RX1DR, d.RX1Freq, d.RX2DR, d.RX2Freq = nil, nil, nil, nil }, "neither RX1 nor RX2"},
		{"class b without gpstime", func(d *Dnmsg) { d.DC = ClassB }, "class B without gpstime"},
		{"class a without xtime", func(d *Dnmsg) { d.XTime = 0 }, "class A without xtime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := valid()
			tt.change(&d)
			err := d.Validate()
			switch {
			case tt.errHas == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tt.errHas != "" && (err == nil || !strings.Contains(err.Error(), tt.errHas)):
				t.Errorf("Validate() = %v, want an error containing %q", err, tt.errHas)
			}
		})
	}
}

// TestDnmsgMissingFields: Station ignores a dnmsg without DevEui, dC, diid
// (or seqno) or pdu ("Some mandatory fields are missing", handle_dnmsg);
// Decode refuses it with ErrMissingFields. Zero values are values.
func TestDnmsgMissingFields(t *testing.T) {
	const rest = `"RX2DR":0,"RX2Freq":869525000,"xtime":1}`
	tests := []struct {
		name, keys, missing string
	}{
		{"all zero", `"DevEui":"00-00-00-00-00-00-00-00","dC":0,"diid":0,"pdu":"60",`, ""},
		{"DevEUI and seqno", `"DevEUI":1,"dC":2,"seqno":5,"pdu":"60",`, ""},
		{"no DevEui", `"dC":0,"diid":1,"pdu":"60",`, "DevEui"},
		{"DevEui null", `"DevEui":null,"dC":0,"diid":1,"pdu":"60",`, "DevEui"},
		{"no dC", `"DevEui":1,"diid":1,"pdu":"60",`, "dC"},
		{"dC null", `"DevEui":1,"dC":null,"diid":1,"pdu":"60",`, "dC"},
		{"no diid", `"DevEui":1,"dC":0,"pdu":"60",`, "diid"},
		{"no pdu", `"DevEui":1,"dC":0,"diid":1,`, "pdu"},
		{"none", ``, "DevEui, dC, diid, pdu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(`{"msgtype":"dnmsg",` + tt.keys + rest))
			if tt.missing == "" {
				if err != nil {
					t.Errorf("Decode: %v", err)
				}
				return
			}
			var de *DecodeError
			if !errors.Is(err, ErrMissingFields) || !errors.As(err, &de) || de.MsgType != MsgTypeDnmsg ||
				!strings.HasSuffix(err.Error(), "mandatory fields missing: "+tt.missing) {
				t.Errorf("Decode = %#v, %v; want a dnmsg DecodeError with ErrMissingFields naming %s", m, err, tt.missing)
			}
		})
	}
}
