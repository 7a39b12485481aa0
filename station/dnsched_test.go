package station

import (
	"bytes"
	"testing"
)

func TestDnschedGolden(t *testing.T) {
	checkGolden(t, "dnsched", &Dnsched{
		MuxTime: 1795783677.292109,
		Schedule: []DnschedEntry{
			{Diid: 1, DR: 3, Freq: 869525000, OnTime: 1448397618, PDU: HexBytes{0x00, 0xAA}},
			{Diid: 2, Priority: 5, DR: 3, Freq: 869525000, GPSTime: 1448397618123456, PDU: HexBytes{0x00, 0xBB},
				Rctx: 1, Preamble: 10, AddCRC: 1},
			{Diid: 3, Freq: 868100000, XTime: 34621422408357864, PDU: HexBytes{0x00, 0xCC}},
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
