package lgwsim

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/hal"
)

// cField is one member of a C struct: its name and size in bytes (arrays
// of uint8_t count as one-byte members for alignment).
type cField struct {
	name  string
	size  int
	align int
}

// cLayout lays out a C struct as the x86-64 and AArch64 ABIs do: each
// member at the next multiple of its alignment, the struct's size rounded
// up to its largest alignment. It returns the offsets and the size.
func cLayout(fields []cField) (map[string]int, int) {
	off, maxAlign := 0, 1
	out := map[string]int{}
	for _, f := range fields {
		off = (off + f.align - 1) / f.align * f.align
		out[f.name] = off
		off += f.size
		maxAlign = max(maxAlign, f.align)
	}
	return out, (off + maxAlign - 1) / maxAlign * maxAlign
}

func u8(n string) cField  { return cField{n, 1, 1} }
func u16(n string) cField { return cField{n, 2, 2} }
func u32(n string) cField { return cField{n, 4, 4} }
func s64(n string) cField { return cField{n, 8, 8} }

// TestLayout checks the offset constants against the C declarations of
// loragw_hal.h and lgwsim.c laid out by the ABI rules.
func TestLayout(t *testing.T) {
	rx, rxSize := cLayout([]cField{
		u32("freq_hz"), u8("if_chain"), u8("status"), u32("count_us"), u8("rf_chain"), u8("modulation"),
		u8("bandwidth"), u32("datarate"), u8("coderate"), u32("rssi"), u32("snr"), u32("snr_min"), u32("snr_max"),
		u16("crc"), u16("size"), {"payload", PayloadCap, 1},
	})
	tx, txSize := cLayout([]cField{
		u32("freq_hz"), u8("tx_mode"), u32("count_us"), u8("rf_chain"), u8("rf_power"), u8("modulation"),
		u8("bandwidth"), u32("datarate"), u8("coderate"), u8("invert_pol"), u8("f_dev"), u16("preamble"),
		u8("no_crc"), u8("no_header"), u16("size"), {"payload", PayloadCap, 1},
	})
	info, infoSize := cLayout([]cField{u32("freq"), s64("beg"), s64("end")})
	cca, ccaSize := cLayout([]cField{u32("magic"), {"infos", MaxCCAEntries * infoSize, 8}})
	tests := []struct {
		name      string
		got, want int
	}{
		{"sizeof(lgw_pkt_rx_s)", RxRecordSize, rxSize},
		{"rx freq_hz", rxOffFreq, rx["freq_hz"]},
		{"rx if_chain", rxOffIFChain, rx["if_chain"]},
		{"rx status", rxOffStatus, rx["status"]},
		{"rx count_us", rxOffCount, rx["count_us"]},
		{"rx rf_chain", rxOffRFChain, rx["rf_chain"]},
		{"rx modulation", rxOffModulation, rx["modulation"]},
		{"rx bandwidth", rxOffBandwidth, rx["bandwidth"]},
		{"rx datarate", rxOffDatarate, rx["datarate"]},
		{"rx coderate", rxOffCoderate, rx["coderate"]},
		{"rx rssi", rxOffRSSI, rx["rssi"]},
		{"rx snr", rxOffSNR, rx["snr"]},
		{"rx snr_min", rxOffSNRMin, rx["snr_min"]},
		{"rx snr_max", rxOffSNRMax, rx["snr_max"]},
		{"rx crc", rxOffCRC, rx["crc"]},
		{"rx size", rxOffSize, rx["size"]},
		{"rx payload", rxOffPayload, rx["payload"]},
		{"sizeof(lgw_pkt_tx_s)", TxRecordSize, txSize},
		{"tx freq_hz", txOffFreq, tx["freq_hz"]},
		{"tx tx_mode", txOffMode, tx["tx_mode"]},
		{"tx count_us", txOffCount, tx["count_us"]},
		{"tx rf_chain", txOffRFChain, tx["rf_chain"]},
		{"tx rf_power", txOffPower, tx["rf_power"]},
		{"tx modulation", txOffModulation, tx["modulation"]},
		{"tx bandwidth", txOffBandwidth, tx["bandwidth"]},
		{"tx datarate", txOffDatarate, tx["datarate"]},
		{"tx coderate", txOffCoderate, tx["coderate"]},
		{"tx invert_pol", txOffInvertPol, tx["invert_pol"]},
		{"tx f_dev", txOffFDev, tx["f_dev"]},
		{"tx preamble", txOffPreamble, tx["preamble"]},
		{"tx no_crc", txOffNoCRC, tx["no_crc"]},
		{"tx no_header", txOffNoHeader, tx["no_header"]},
		{"tx size", txOffSize, tx["size"]},
		{"tx payload", txOffPayload, tx["payload"]},
		{"sizeof(cca_info)", ccaEntrySize, infoSize},
		{"cca_info beg", 8, info["beg"]},
		{"cca_info end", 16, info["end"]},
		{"cca_msg infos", ccaOffEntries, cca["infos"]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %d, want %d", tt.got, tt.want)
			}
		})
	}
	if ccaSize > RxRecordSize {
		t.Errorf("cca_msg of %d bytes does not fit a %d-byte record", ccaSize, RxRecordSize)
	}
}

// record returns a record of n bytes: hexHead, then zeros.
func record(t *testing.T, n int, hexHead string) []byte {
	t.Helper()
	h, err := hex.DecodeString(hexHead)
	if err != nil {
		t.Fatal(err)
	}
	return append(h, make([]byte, n-len(h))...)
}

// Golden records below were produced by Station's own pysys/simutils.py
// (Lgw1.pack_pkt_rx, struct.pack with Lgw1's formats, LgwSim.send_cca's
// packing) on x86-64.

// goldenRx: Lgw1.pack_pkt_rx({freq_hz: 868300000, SF9/125 kHz, rssi -63.5,
// snr 7.25, snr_min 6.0, snr_max 8.5, if_chain 5, rf_chain 1, crc 0xbeef,
// payload 40 01020304 00 0100 01 0203 d4c3b2a1}, xticks=0x123456789).
const goldenRx = "e034c133051000008967452301100300080000000100000000007ec20000e840" +
	"0000c04000000841efbe0f00" + "4001020304000100010203d4c3b2a1"

func TestRxRecordGolden(t *testing.T) {
	b := record(t, RxRecordSize, goldenRx)
	var r RxRecord
	if err := r.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	payload, _ := hex.DecodeString("4001020304000100010203d4c3b2a1")
	want := RxRecord{
		FreqHz: 868_300_000, IFChain: 5, Status: StatCRCOK, CountUS: 0x23456789, RFChain: 1,
		Modulation: ModLoRa, Bandwidth: BW125, Datarate: 0x08, Coderate: CRLoRa4_5,
		RSSI: -63.5, SNR: 7.25, SNRMin: 6, SNRMax: 8.5, CRC: 0xbeef, Payload: payload,
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("decoded %+v, want %+v", r, want)
	}
	p, err := r.Packet()
	if err != nil {
		t.Fatal(err)
	}
	wantP := hal.RxPacket{
		Payload: payload, Freq: 868_300_000, IFChain: 5, RFChain: 1, Modulation: hal.ModulationLoRa,
		SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, RSSI: -63.5, SNR: 7.25,
		CRC: hal.CRCOK, CountUS: 0x23456789,
	}
	if !reflect.DeepEqual(p, wantP) {
		t.Errorf("packet %+v, want %+v", p, wantP)
	}
	got, err := r.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("re-encoded\n%x\nwant\n%x", got, b)
	}
}

// goldenTx is struct.pack("@IBIBbBBIBBBHBBH", 868100000, 1, 269436433, 0,
// 16, 0x10, 3, 2, 1, 1, 0, 8, 1, 0, 6) + payload 0a0b0c0d0e0f, the frame
// Station 2.0.6 sent in the notes' example; Lgw1.unpack_pkt_tx reads it
// back as {freq_hz 868100000, tx_mode 1, count_us 269436433, rf_power 16,
// bandwidth 3, datarate 2, invert_pol 1, preamble 8, no_crc 1, size 6}.
const goldenTx = "a027be330100000011460f100010100302000000010100000800010006000a0b0c0d0e0f"

// goldenTxFSK is struct.pack("@IBIBbBBIBBBHBBH", 869525000, 0, 0xfffffff0,
// 1, -3, 0x20, 0, 50000, 0, 0, 25, 5, 0, 1, 3) + payload 010203.
const goldenTxFSK = "08e6d33300000000f0ffffff01fd200050c3000000001900050000010300010203"

func TestTxRecordGolden(t *testing.T) {
	tests := []struct {
		name   string
		golden string
		pkt    hal.TxPacket
		rec    TxRecord
	}{
		{
			name:   "station class A downlink",
			golden: goldenTx,
			pkt: hal.TxPacket{Mode: hal.TxTimestamped, CountUS: 269436433, Freq: 868_100_000, Power: 16,
				Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
				InvertPol: true, Preamble: 8, NoCRC: true, Payload: []byte{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}},
			rec: TxRecord{FreqHz: 868_100_000, TxMode: TxModeTimestamped, CountUS: 269436433, RFPower: 16,
				Modulation: ModLoRa, Bandwidth: BW125, Datarate: DRLoRaSF7, Coderate: CRLoRa4_5, InvertPol: true,
				Preamble: 8, NoCRC: true, Payload: []byte{0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}},
		},
		{
			name:   "fsk immediate, negative power, implicit header",
			golden: goldenTxFSK,
			pkt: hal.TxPacket{Mode: hal.TxImmediate, CountUS: 0xfffffff0, Freq: 869_525_000, RFChain: 1, Power: -3,
				Modulation: hal.ModulationFSK, DataRate: 50_000, FreqDeviation: 25_000, Preamble: 5, NoHeader: true,
				Payload: []byte{1, 2, 3}},
			rec: TxRecord{FreqHz: 869_525_000, TxMode: TxModeImmediate, CountUS: 0xfffffff0, RFChain: 1, RFPower: -3,
				Modulation: ModFSK, Datarate: 50_000, FDev: 25, Preamble: 5, NoHeader: true, Payload: []byte{1, 2, 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := record(t, TxRecordSize, tt.golden)
			rec, err := TxRecordFrom(&tt.pkt)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(rec, tt.rec) {
				t.Errorf("record %+v, want %+v", rec, tt.rec)
			}
			got, err := rec.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("encoded\n%x\nwant\n%x", got, want)
			}
			var back TxRecord
			if err := back.UnmarshalBinary(want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.rec) {
				t.Errorf("decoded %+v, want %+v", back, tt.rec)
			}
			p, err := back.Packet()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tt.pkt) {
				t.Errorf("packet %+v, want %+v", p, tt.pkt)
			}
		})
	}
}

// TestTxDefaultPreamble checks that a frame leaving the preamble to the
// default is written with it spelled out, as ral_lgw.c writes 8.
func TestTxDefaultPreamble(t *testing.T) {
	tests := []struct {
		name string
		pkt  hal.TxPacket
		want uint16
	}{
		{"lora", hal.TxPacket{Mode: hal.TxImmediate, Modulation: hal.ModulationLoRa, SpreadingFactor: 12,
			Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, Payload: []byte{1}}, 8},
		{"fsk", hal.TxPacket{Mode: hal.TxImmediate, Modulation: hal.ModulationFSK, DataRate: 50_000, Payload: []byte{1}}, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, err := TxRecordFrom(&tt.pkt)
			if err != nil {
				t.Fatal(err)
			}
			if rec.Preamble != tt.want {
				t.Errorf("preamble %d, want %d", rec.Preamble, tt.want)
			}
		})
	}
}

func TestTimeBaseRecord(t *testing.T) {
	tests := []struct {
		name   string
		offset int64
		unit   uint8
		head   string // the record's first 24 bytes
	}{
		// freq_hz = 0x00001234, tx_mode 255, count_us = 0x56789abc, f_dev 3.
		{"positive", 0x0000_1234_5678_9abc, 3, "34120000" + "ff000000" + "bc9a7856" + "00000000" + "00000000" + "00000300"},
		// A machine up for less than 2^28 µs: lgwsim.c's arithmetic
		// shift gives freq_hz 0xffffffff.
		{"negative", -0x0fff_0000, 0, "ffffffff" + "ff000000" + "000001f0" + "00000000" + "00000000" + "00000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := TimeBaseRecord(tt.offset, tt.unit)
			got, err := rec.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			want := record(t, TxRecordSize, tt.head)
			if !bytes.Equal(got, want) {
				t.Errorf("encoded\n%x\nwant\n%x", got, want)
			}
			var back TxRecord
			if err := back.UnmarshalBinary(got); err != nil {
				t.Fatal(err)
			}
			off, unit, ok := back.TimeBase()
			if !ok || off != tt.offset || unit != tt.unit {
				t.Errorf("TimeBase() = %#x, %d, %v, want %#x, %d, true", off, unit, ok, tt.offset, tt.unit)
			}
			if _, err := back.Packet(); !errors.Is(err, ErrMalformed) {
				t.Errorf("Packet() of a time-base record: %v, want ErrMalformed", err)
			}
		})
	}
	frame := TxRecord{TxMode: TxModeTimestamped}
	if _, _, ok := frame.TimeBase(); ok {
		t.Error("a frame record reads as a time base")
	}
}

// goldenCCA is LgwSim.send_cca's packing of [(868.1 MHz, 1000, 2000),
// (868.3 MHz, -5, 2^63-1)].
const goldenCCA = "afccafcc00000000" +
	"a027be3300000000e803000000000000d007000000000000" +
	"e034c13300000000fbffffffffffffffffffffffffffff7f"

func TestCCATable(t *testing.T) {
	b := record(t, RxRecordSize, goldenCCA)
	if !IsCCA(b) {
		t.Fatal("IsCCA false on a cca record")
	}
	var tbl CCATable
	if err := tbl.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	want := CCATable{{868_100_000, 1000, 2000}, {868_300_000, -5, 1<<63 - 1}}
	if !reflect.DeepEqual(tbl, want) {
		t.Errorf("decoded %+v, want %+v", tbl, want)
	}
	got, err := tbl.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, b) {
		t.Errorf("re-encoded\n%x\nwant\n%x", got, b)
	}
	blocks := []struct {
		freq uint32
		xt   int64
		want bool
	}{
		{868_100_000, 999, false},
		{868_100_000, 1000, true},
		{868_100_000, 2000, true},
		{868_100_000, 2001, false},
		{868_300_000, 0, true},
		{868_500_000, 1500, false},
	}
	for _, b := range blocks {
		if got := tbl.Blocks(b.freq, b.xt); got != b.want {
			t.Errorf("Blocks(%d, %d) = %v, want %v", b.freq, b.xt, got, b.want)
		}
	}
	if _, err := make(CCATable, MaxCCAEntries+1).MarshalBinary(); !errors.Is(err, ErrMalformed) {
		t.Errorf("11 entries: %v, want ErrMalformed", err)
	}
	var rx RxRecord
	if err := rx.UnmarshalBinary(b); !errors.Is(err, ErrMalformed) {
		t.Errorf("cca record read as a frame: %v, want ErrMalformed", err)
	}
}

// TestRxRoundTrip encodes frames of every modulation the HAL knows and
// decodes them back.
func TestRxRoundTrip(t *testing.T) {
	var pkts []hal.RxPacket
	for sf := 7; sf <= 12; sf++ {
		for _, bw := range []uint32{hal.BW125, hal.BW250, hal.BW500} {
			pkts = append(pkts, hal.RxPacket{Payload: []byte{byte(sf), byte(bw >> 8)}, Freq: 902_300_000 + uint32(sf)*200_000,
				IFChain: sf - 7, RFChain: sf % 2, Modulation: hal.ModulationLoRa, SpreadingFactor: sf, Bandwidth: bw,
				CodeRate: hal.CodeRate(5 + sf%4), RSSI: -float32(sf) * 10.25, SNR: float32(sf) - 15.5,
				CRC: hal.CRCStatus(sf % 3), CountUS: 0xffff_fff0 + uint32(sf)})
		}
	}
	pkts = append(pkts, hal.RxPacket{Payload: bytes.Repeat([]byte{0xa5}, hal.MaxPayload), Freq: 868_800_000,
		IFChain: hal.IFChainFSK, Modulation: hal.ModulationFSK, DataRate: 50_000, RSSI: -101, CRC: hal.CRCOK, CountUS: 7})
	for _, p := range pkts {
		rec, err := RxRecordFrom(&p)
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		b, err := rec.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back RxRecord
		if err := back.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		got, err := back.Packet()
		if err != nil {
			t.Fatalf("%+v: %v", p, err)
		}
		if !reflect.DeepEqual(got, p) {
			t.Errorf("round trip gave %+v, want %+v", got, p)
		}
	}
}

func TestMalformed(t *testing.T) {
	good := func() []byte { return record(t, RxRecordSize, goldenRx) }
	set := func(off int, v ...byte) []byte {
		b := good()
		copy(b[off:], v)
		return b
	}
	rx := []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "0 bytes"},
		{"short", good()[:299], "299 bytes"},
		{"long", append(good(), 0), "301 bytes"},
		{"size beyond the array", set(rxOffSize, 0x01, 0x01), "size 257"},
		{"payload of 256 bytes", set(rxOffSize, 0x00, 0x01), "256 bytes"},
		{"empty payload", set(rxOffSize, 0, 0), "0 bytes"},
		{"status undefined", set(rxOffStatus, 0x00), "status 0x00"},
		{"modulation undefined", set(rxOffModulation, 0x00), "modulation 0x00"},
		{"cw modulation", set(rxOffModulation, 0x08), "modulation 0x08"},
		{"two spreading factors", set(rxOffDatarate, 0x06), "datarate 0x6"},
		{"no spreading factor", set(rxOffDatarate, 0x00), "datarate 0x0"},
		{"multi-sf mask", set(rxOffDatarate, 0x7e), "datarate 0x7e"},
		{"62.5 kHz", set(rxOffBandwidth, 0x04), "bandwidth code 0x04"},
		{"coderate 5", set(rxOffCoderate, 0x05), "coderate code 0x05"},
		{"rssi NaN", set(rxOffRSSI, 0x00, 0x00, 0xc0, 0x7f), "rssi NaN"},
		{"snr +Inf", set(rxOffSNR, 0x00, 0x00, 0x80, 0x7f), "snr +Inf"},
		{"fsk at 0 bit/s", set(rxOffModulation, ModFSK, 0, 0, 0, 0, 0, 0), "bit rate 0"},
	}
	for _, tt := range rx {
		t.Run("rx/"+tt.name, func(t *testing.T) {
			var r RxRecord
			err := r.UnmarshalBinary(tt.b)
			if err == nil {
				_, err = r.Packet()
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrMalformed mentioning %q", err, tt.want)
			}
		})
	}
	gtx := func() []byte { return record(t, TxRecordSize, goldenTx) }
	setTx := func(off int, v ...byte) []byte {
		b := gtx()
		copy(b[off:], v)
		return b
	}
	tx := []struct {
		name string
		b    []byte
		want string
	}{
		{"short", gtx()[:30], "30 bytes"},
		{"size beyond the array", setTx(txOffSize, 0x01, 0x01), "size 257"},
		{"on gps", setTx(txOffMode, TxModeOnGPS), "tx_mode 2"},
		{"time base", setTx(txOffMode, TxModeTimeBase), "tx_mode 255"},
		{"modulation undefined", setTx(txOffModulation, 0), "modulation 0x00"},
		{"two spreading factors", setTx(txOffDatarate, 0x0a), "datarate 0xa"},
		{"bandwidth undefined", setTx(txOffBandwidth, 0), "bandwidth code 0x00"},
		{"coderate undefined", setTx(txOffCoderate, 0), "coderate code 0x00"},
		{"empty payload", setTx(txOffSize, 0, 0), "payload of 0 bytes"},
		{"preamble too short", setTx(txOffPreamble, 4, 0), "preamble of 4 symbols"},
	}
	for _, tt := range tx {
		t.Run("tx/"+tt.name, func(t *testing.T) {
			var r TxRecord
			err := r.UnmarshalBinary(tt.b)
			if err == nil {
				_, err = r.Packet()
			}
			if !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want ErrMalformed mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := (&RxRecord{Payload: make([]byte, PayloadCap+1)}).MarshalBinary(); !errors.Is(err, ErrMalformed) {
		t.Errorf("257-byte rx payload: %v, want ErrMalformed", err)
	}
	if _, err := TxRecordFrom(&hal.TxPacket{Mode: hal.TxTimestamped}); !errors.Is(err, hal.ErrInvalid) {
		t.Errorf("invalid TxPacket: %v, want hal.ErrInvalid", err)
	}
	if _, err := RxRecordFrom(&hal.RxPacket{Payload: []byte{1}, Modulation: hal.ModulationLoRa, SpreadingFactor: 6,
		Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, CRC: hal.CRCOK}); !errors.Is(err, ErrMalformed) {
		t.Errorf("SF6 RxPacket: %v, want ErrMalformed", err)
	}
}
