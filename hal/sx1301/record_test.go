package sx1301_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/loraedge/loraedge/hal/sx1301"
)

func TestPacketRecordBytes(t *testing.T) {
	rec := sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: []byte{0xAA, 0xBB, 0xCC}, IFChain: 6,
		SpreadingFactor: 10, CodingRate: 3, SNR: -12, SNRMin: -20, SNRMax: 8, RSSI: 0x5A,
		Timestamp: 0x12345678, CRC: 0xBEEF, Unused: [4]byte{1, 2, 3, 4}}
	want := []byte{
		0xAA, 0xBB, 0xCC, // payload
		6,          // if chain
		0xA6,       // SF10 << 4 | CR 3 << 1
		0xF4,       // SNR -12 (-3 dB)
		0xEC, 0x08, // SNR min -20, max 8
		0x5A,                   // RSSI
		0x78, 0x56, 0x34, 0x12, // counter, little-endian
		0xEF, 0xBE, // CRC, little-endian
		1, 2, 3, 4, // unused
	}
	got, err := rec.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("AppendBinary\n got % x\nwant % x", got, want)
	}
	back, err := sx1301.ParsePacketRecord(sx1301.StatusCRCOK|0xF0, 3, want)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, rec) {
		t.Errorf("ParsePacketRecord\n got %+v\nwant %+v", back, rec)
	}
}

func TestParsePacketRecordErrors(t *testing.T) {
	good, err := (&sx1301.PacketRecord{Status: sx1301.StatusNoCRC, Payload: []byte{1, 2}, IFChain: 1, SpreadingFactor: 7, CodingRate: 1}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	with := func(i int, v byte) []byte {
		b := append([]byte(nil), good...)
		b[i] = v
		return b
	}
	cases := []struct {
		name   string
		status byte
		size   int
		data   []byte
		want   error
	}{
		{"short", sx1301.StatusNoCRC, 2, good[:17], sx1301.ErrRecordShort},
		{"size beyond the data", sx1301.StatusNoCRC, 3, good, sx1301.ErrRecordShort},
		{"negative size", sx1301.StatusNoCRC, -1, good, sx1301.ErrRecordInvalid},
		{"if chain 10", sx1301.StatusNoCRC, 2, with(2, 10), sx1301.ErrRecordInvalid},
		{"status 0", 0, 2, good, sx1301.ErrRecordInvalid},
		{"SF 13", sx1301.StatusNoCRC, 2, with(3, 13<<4|2), sx1301.ErrRecordInvalid},
		{"CR 5", sx1301.StatusNoCRC, 2, with(3, 7<<4|5<<1), sx1301.ErrRecordInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, err := sx1301.ParsePacketRecord(c.status, c.size, c.data); !errors.Is(err, c.want) {
				t.Errorf("ParsePacketRecord: %v, want %v", err, c.want)
			}
		})
	}
	// FSK frames carry no LoRa rate: any SF/CR byte is accepted.
	if _, err := sx1301.ParsePacketRecord(sx1301.StatusCRCOK, 2, with(2, 9)); err != nil {
		t.Errorf("FSK record: %v", err)
	}
}

func TestTxHeaderBytes(t *testing.T) {
	cases := []struct {
		name string
		h    sx1301.TxHeader
		want []byte
	}{
		{
			// lgw_send for 869.525 MHz on an SX1257, SF9 4/5 125 kHz, no
			// CRC, inverted, power row 3, radio 1, trigger 0x01020304.
			name: "LoRa",
			h: sx1301.TxHeader{FreqReg: sx1301.SX125xFreqReg("SX1257", 869_525_000), NotchFilter: true, Trigger: 0x01020304,
				RFChain: 1, PowerIndex: 3, Size: 12, SpreadingFactor: 9, CodingRate: 1, Bandwidth: 0, InvertPol: true, Preamble: 8},
			want: []byte{0x19 | 0x40, 0x61, 0x99, // 869.525e6·2^19/32e6 = 0xD96199, two MSBs cleared, notch flag
				0x01, 0x02, 0x03, 0x04, // trigger, big-endian
				0x23, 0, // radio 1, LoRa, power index 3
				0x19, 12, 0x10, // CR 1 << 4 | SF9, size, inverted polarity
				0, 8, 0, 0}, // preamble
		},
		{
			name: "LoRa 500 kHz SF12 with CRC, implicit header",
			h: sx1301.TxHeader{FreqReg: 0x123456, WideFilter: true, PowerIndex: 15, Size: 255, CRC: true,
				SpreadingFactor: 12, CodingRate: 4, Bandwidth: 2, ImplicitHeader: true, PPMOffset: true, Preamble: 0x1234},
			want: []byte{0x80 | 0x12, 0x34, 0x56, 0, 0, 0, 0, 0x0F, 0, 0x80 | 0x40 | 12, 255, 0x02 | 0x04 | 0x08, 0x12, 0x34, 0, 0},
		},
		{
			name: "FSK",
			h: sx1301.TxHeader{FreqReg: 0xD96199, FSK: true, Trigger: 7, PowerIndex: 1, Size: 4, CRC: true, Preamble: 5,
				FreqDevKHz: 25, BitRateDiv: 640},
			want: []byte{0x59, 0x61, 0x99, 0, 0, 0, 7, 0x11, 0, 25, 4, 0x01 | 0x02 | 0x08, 0, 5, 0x02, 0x80},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.h.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, c.want) {
				t.Fatalf("MarshalBinary\n got % x\nwant % x", got, c.want)
			}
			var back sx1301.TxHeader
			if err := back.UnmarshalBinary(got); err != nil {
				t.Fatal(err)
			}
			want := c.h
			if want.FSK {
				want.FreqReg &= 0x7FFFFF
			} else {
				want.FreqReg &= 0x3FFFFF
			}
			if !reflect.DeepEqual(back, want) {
				t.Errorf("UnmarshalBinary\n got %+v\nwant %+v", back, want)
			}
		})
	}
	if _, err := (&sx1301.TxHeader{SpreadingFactor: 6, CodingRate: 1}).MarshalBinary(); err == nil {
		t.Error("SF6 header marshalled")
	}
	if err := new(sx1301.TxHeader).UnmarshalBinary(make([]byte, 15)); err == nil {
		t.Error("15-byte header unmarshalled")
	}
}

func TestSX125xFreqReg(t *testing.T) {
	cases := []struct {
		radio string
		hz    uint32
		want  uint32
	}{
		// f·2^19/32e6 (SX1257) and f·2^20/32e6 (SX1255), rounded down.
		{"SX1257", 868_000_000, 0xD90000},
		{"SX1257", 869_525_000, 0xD96199},
		{"SX1257", 902_300_000, 0xE19333},
		{"SX1255", 433_175_000, 0xD89666},
		{"SX1250", 868_000_000, 0},
	}
	for _, c := range cases {
		if got := sx1301.SX125xFreqReg(c.radio, c.hz); got != c.want {
			t.Errorf("SX125xFreqReg(%s, %d) = 0x%06x, want 0x%06x", c.radio, c.hz, got, c.want)
		}
	}
}
