package sx1302

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

func TestPacketRecordBytes(t *testing.T) {
	p := PacketRecord{Channel: 3, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 9, ModemID: 4, FreqOffset: -3,
		Payload: []byte{0xAA, 0xBB}, TimingSet: true, SNR: -10, RSSIChan: 0x70, RSSISignal: 0x6E,
		RSSIChanDelta: 0x21, RSSISignalDelta: 0x43, Timestamp: 0x11223344, CRC16: 0xBEEF, Metrics: []int8{-1, 2}}
	got, err := p.AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{
		0xA5, 0xC0, // sync
		2,                // payload length
		3,                // channel
		0x93,             // SF9<<4 | CR1<<1 | CRC on
		4,                // modem id
		0xFD, 0xFF, 0x0F, // -3 in 20 bits, LE
		0xAA, 0xBB, // payload
		0x10,       // timing set
		0xF6,       // SNR -10 (-2.5 dB)
		0x70, 0x6E, // RSSI chan, signal
		0x21, 0x43, // deltas
		0x44, 0x33, 0x22, 0x11, // timestamp LE
		0xEF, 0xBE, // CRC16 LE
		1,          // one metric pair
		0xFF, 0x02, // metrics
	}
	var sum byte
	for _, v := range want {
		sum += v
	}
	want = append(want, sum)
	if !bytes.Equal(got, want) {
		t.Fatalf("record\n got % x\nwant % x", got, want)
	}
	back, n, err := ParsePacketRecord(append(got, 0xA5, 0xC0, 1))
	if err != nil || n != len(want) {
		t.Fatalf("parse: n=%d err=%v, want %d", n, err, len(want))
	}
	if !reflect.DeepEqual(back, p) {
		t.Errorf("round trip\n got %+v\nwant %+v", back, p)
	}
}

func TestParsePacketRecordErrors(t *testing.T) {
	good, err := (&PacketRecord{Channel: 1, SpreadingFactor: 7, Payload: []byte("abc")}).AppendBinary(nil)
	if err != nil {
		t.Fatal(err)
	}
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, ErrRecordSync},
		{"no sync", mod(func(b []byte) []byte { b[1] = 0; return b }), ErrRecordSync},
		{"head only", good[:5], ErrRecordShort},
		{"length past end", mod(func(b []byte) []byte { b[2] = 255; return b }), ErrRecordShort},
		{"metric count past end", mod(func(b []byte) []byte { b[len(b)-2] = 9; return b }), ErrRecordShort},
		{"checksum", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrRecordChecksum},
		{"payload byte flipped", mod(func(b []byte) []byte { b[10] ^= 0x40; return b }), ErrRecordChecksum},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if _, _, err := ParsePacketRecord(c.b); !errors.Is(err, c.want) {
				t.Errorf("error %v, want %v", err, c.want)
			}
		})
	}
}

func TestPayloadCRC(t *testing.T) {
	// Values of the HAL's sx1302_lora_payload_crc, computed from its
	// bitwise equations for these inputs.
	cases := []struct {
		in   []byte
		want uint16
	}{
		{[]byte{0x01}, 0x0001},
		{[]byte{0x80, 0x01, 0x02}, 0x908a},
		// Cross-checked against the HAL's lora_crc16 compiled from
		// loragw_sx1302.c (V2.1.0).
		{[]byte{0x40, 0x11, 0x22, 0x33, 0x44, 0x80, 0x01, 0x00, 0xFF, 0xA5, 0x7E}, 0x032f},
		{nil, 0},
	}
	for _, c := range cases {
		if got := PayloadCRC(c.in); got != c.want {
			t.Errorf("PayloadCRC(% x) = 0x%04x, want 0x%04x", c.in, got, c.want)
		}
	}
}

func TestWrap27(t *testing.T) {
	var w wrap27
	steps := []struct{ in, want uint32 }{
		{100, 100},
		{1<<27 - 1, 1<<27 - 1},
		{5, 1<<27 | 5}, // wrapped
		{6, 1<<27 | 6},
		{3, 2<<27 | 3}, // wrapped again
	}
	for _, s := range steps {
		if got := w.update(s.in); got != s.want {
			t.Errorf("update(%d) = %d, want %d", s.in, got, s.want)
		}
	}
	// A packet stamped just before the last wrap gets the previous wrap
	// count (timestamp_pkt_expand case 2).
	if got := w.expandPacket(1<<27 - 10); got != 1<<27|(1<<27-10) {
		t.Errorf("expandPacket before the wrap = %d", got)
	}
	if got := w.expandPacket(2); got != 2<<27|2 {
		t.Errorf("expandPacket after the wrap = %d", got)
	}
	// After 32 wraps the 5-bit counter rolls over like the 32-bit count.
	for range 30 {
		w.update(1<<27 - 1)
		w.update(0)
	}
	if w.wrap != 0 {
		t.Errorf("wrap after 32 wraps = %d, want 0", w.wrap)
	}
}

func TestLegacyCorrection(t *testing.T) {
	// Hand evaluation of legacy_timestamp_correction's formula, DFT peak
	// mode auto.
	// SF7 BW125 CR4/5, CRC, 12 bytes: clk 250000; nibbles (12+2)·2+5=33,
	// header 5, last block 28-7·4=0 → 7; filtering 18031250; demap
	// 250000+128·250000+750000+7·250000=34750000; fft state3
	// 250000·(122+2·(128·3+6))+1000000=226500000; fft
	// 5·(32000000+1750000)+500000=169250000; decode
	// 1250000+2500000·7+750000=19500000; sum+500000=468531250 → 468 µs.
	if got := legacyCorrection(125_000, 7, 1, true, 12); got != -468 {
		t.Errorf("SF7/125k correction %d, want -468", got)
	}
	if got := legacyCorrection(125_000, 7, 9, true, 12); got == 0 {
		t.Error("a valid SF gives no correction")
	}
	if got := legacyCorrection(200_000, 7, 1, true, 12); got != 0 {
		t.Errorf("unknown bandwidth: %d, want 0", got)
	}
}

func FuzzParsePacketRecord(f *testing.F) {
	seed, _ := (&PacketRecord{Channel: 2, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 7, Payload: []byte("seed"),
		Metrics: []int8{1, -1}}).AppendBinary(nil)
	f.Add(seed)
	f.Add([]byte{0xA5, 0xC0})
	f.Add([]byte{0xA5, 0xC0, 0xFF, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, n, err := ParsePacketRecord(b)
		if n < 0 || n > len(b) {
			t.Fatalf("length %d outside 0..%d", n, len(b))
		}
		if err != nil {
			return
		}
		if n != p.Size() {
			t.Fatalf("length %d, record size %d", n, p.Size())
		}
		again, err := p.AppendBinary(nil)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		// Bits the record format does not carry (reserved status bits,
		// the top nibble of the frequency offset) may differ; the rest
		// must round-trip.
		back, m, err := ParsePacketRecord(again)
		if err != nil || m != n || !reflect.DeepEqual(back, p) {
			t.Fatalf("round trip: %v, %d/%d\n%+v\n%+v", err, m, n, back, p)
		}
	})
}
