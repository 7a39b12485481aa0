package station

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestDnschedGolden(t *testing.T) {
	checkGolden(t, "dnsched", &Dnsched{
		MuxTime: 1795783677.292109,
		Schedule: []DnschedEntry{
			{Diid: 1, DR: ptr(3), Freq: ptr[uint32](869525000), OnTime: 1448397618, PDU: HexBytes{0x00, 0xAA}},
			{Diid: 2, Priority: 5, DR: ptr(3), Freq: ptr[uint32](869525000), GPSTime: 1448397618123456, PDU: HexBytes{0x00, 0xBB},
				Rctx: 1, Preamble: 10, AddCRC: 1},
			{Diid: 3, DR: ptr(0), Freq: ptr[uint32](868100000), XTime: 34621422408357864, PDU: HexBytes{0x00, 0xCC}},
		},
	})
}

func TestDnschedEmptySchedule(t *testing.T) {
	// Station walks "schedule" as an array: an empty one is written [].
	b, err := Encode(&Dnsched{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte(`{"msgtype":"dnsched","schedule":[]}`); !bytes.Equal(b, want) {
		t.Errorf("Encode(empty dnsched) = %s, want %s", b, want)
	}
}

// TestDnschedEntryMissing: Station skips a dnsched entry without DR, Freq,
// a time or pdu (handle_dnsched); DR 0 is a data rate, not an absent one.
func TestDnschedEntryMissing(t *testing.T) {
	tests := []struct {
		name, entry, missing string
	}{
		{"complete", `{"DR":0,"Freq":869525000,"xtime":1,"pdu":"00"}`, ""},
		{"gpstime", `{"DR":3,"Freq":869525000,"gpstime":1,"pdu":"00"}`, ""},
		{"ontime", `{"DR":3,"Freq":869525000,"ontime":1,"pdu":"00"}`, ""},
		{"no DR", `{"diid":1,"Freq":869525000,"xtime":1,"pdu":"00"}`, "DR"},
		{"DR null", `{"DR":null,"Freq":869525000,"xtime":1,"pdu":"00"}`, "DR"},
		{"no Freq", `{"DR":3,"xtime":1,"pdu":"00"}`, "Freq"},
		{"no time", `{"DR":3,"Freq":869525000,"pdu":"00"}`, "ontime/gpstime/xtime"},
		{"no pdu", `{"DR":3,"Freq":869525000,"xtime":1}`, "pdu"},
		{"nothing", `{}`, "DR, Freq, ontime/gpstime/xtime, pdu"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(`{"msgtype":"dnsched","schedule":[` + tt.entry + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			e := m.(*Dnsched).Schedule[0]
			err = e.Validate()
			if tt.missing == "" {
				if err != nil || e.DR == nil {
					t.Errorf("Validate() = %v, DR %v; want nil and a DR", err, e.DR)
				}
				return
			}
			if !errors.Is(err, ErrMissingFields) || !strings.HasSuffix(err.Error(), "missing: "+tt.missing) {
				t.Errorf("Validate() = %v, want ErrMissingFields naming %s", err, tt.missing)
			}
			b, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if tt.missing == "DR" && strings.Contains(string(b), `"DR"`) {
				t.Errorf("Encode = %s: an absent DR written", b)
			}
		})
	}
}
