package sx1301_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
	"github.com/loraedge/loraedge/hal/sx1301"
	"github.com/loraedge/loraedge/hal/sx1301/sx1301test"
)

func TestStartConfiguresChip(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	cfg := eu868()
	r.start(t, cfg)

	for i, role := range []string{"arb", "agc"} {
		st := r.chip.MCU(i)
		if !st.Running || st.Firmware != role {
			t.Errorf("mcu %d: running %v firmware %q, want the %s firmware running", i, st.Running, st.Firmware, role)
		}
	}
	if got := r.chip.PROM(1); !bytes.Equal(got, r.fw[1]) {
		t.Error("the AGC program RAM does not hold the AGC firmware")
	}
	if got := r.chip.PROM(0); !bytes.Equal(got, r.fw[2]) {
		t.Error("the arbiter program RAM does not hold the arbiter firmware")
	}
	for rf := range 2 {
		st := r.chip.Radio(rf)
		want := sx1301.SX125xFreqReg("SX1257", cfg.Radios[rf].Freq)
		if !st.Powered || !st.Locked || st.FreqReg != want {
			t.Errorf("radio %d: powered %v locked %v frequency 0x%06x, want powered, locked, 0x%06x", rf, st.Powered, st.Locked, st.FreqReg, want)
		}
		// lgw_setup_sx125x: clock output only on the clock source, the
		// SX1257 oscillator register, TX and RX gains.
		clk := byte(1)
		if rf == cfg.ClockSource {
			clk = 3
		}
		for reg, v := range map[byte]byte{0x10: clk, 0x26: 13 + 2*16, 0x08: 14 + 2*16, 0x0A: 32, 0x0B: 5,
			0x0C: 1 + 12*2 + 32, 0x0D: 6*4 + 7*32, 0x0E: 0, 0x00: 3} {
			if got, ok := st.Regs[reg]; !ok || got != v {
				t.Errorf("radio %d register 0x%02x = 0x%02x (written %v), want 0x%02x", rf, reg, got, ok, v)
			}
		}
	}
	agc := r.chip.AGC()
	var lut []byte
	for _, g := range sx1301.DefaultTxGainLUT() {
		lut = append(lut, g.MixGain+16*g.DACGain+64*g.PAGain)
	}
	if !agc.Done || !bytes.Equal(agc.GainTable, lut) || agc.FreqMSB != 3 || agc.ChanSelect != 0 || agc.RadioSelect != 0x07 {
		t.Errorf("AGC dialogue %+v, want gain table % x, frequency MSBs 3, channel option 0, radio mapping 0x07, done", agc, lut)
	}
	if st := r.chip.MCU(1).Status; st != 0x40 {
		t.Errorf("AGC status 0x%02x, want 0x40", st)
	}
	regs := []struct {
		name string
		want int32
	}{
		{"IF_FREQ_0", sx1301.IFFreqReg(-400_000)},
		{"IF_FREQ_4", sx1301.IFFreqReg(-200_000)},
		{"IF_FREQ_7", sx1301.IFFreqReg(400_000)},
		{"IF_FREQ_8", sx1301.IFFreqReg(-200_000)},
		{"IF_FREQ_9", sx1301.IFFreqReg(300_000)},
		{"CORR0_DETECT_EN", 0x7E},
		{"CORR7_DETECT_EN", 0x7E},
		{"PPM_OFFSET", 0x60},
		{"CONCENTRATOR_MODEM_ENABLE", 1},
		{"MBWSSF_MODEM_ENABLE", 1},
		{"MBWSSF_RADIO_SELECT", 1},
		{"MBWSSF_MODEM_BW", 1},
		{"MBWSSF_RATE_SF", 7},
		{"FSK_MODEM_ENABLE", 1},
		{"FSK_RADIO_SELECT", 1},
		{"FSK_BR_RATIO", 32_000_000 / 50_000},
		{"FSK_CH_BW_EXPO", 3},
		{"FSK_REF_PATTERN_MSB", -0x3E6B3F00}, // 0xC194C100 as the signed value the table holds
		{"FSK_REF_PATTERN_LSB", 0},
		// 4096000000 / (867.5 MHz >> 1) = 9; / (867.5 MHz >> 3) = 37.
		{"FREQ_TO_TIME_DRIFT", 9},
		{"MBWSSF_FREQ_TO_TIME_DRIFT", 37},
		{"FRAME_SYNCH_PEAK1_POS", 3}, // LoRaWAN public sync word
		{"FRAME_SYNCH_PEAK2_POS", 4},
		{"TX_FRAME_SYNCH_PEAK1_POS", 3},
		{"TX_START_DELAY", 1497},
		{"RADIO_SELECT", 0x07},
		{"GLOBAL_EN", 1},
		{"CLK32M_EN", 1},
		{"GPIO_MODE", 31},
		{"GPIO_SELECT_OUTPUT", 2},
		{"FORCE_HOST_RADIO_CTRL", 0},
		{"MCU_SELECT_MUX_0", 1},
		{"MCU_SELECT_MUX_1", 1},
		{"EMERGENCY_FORCE_HOST_CTRL", 1},
		{"GPS_EN", 1},
	}
	for _, c := range regs {
		got, err := r.chip.Reg(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	info := r.dev.Info()
	if info.Version != sx1301.ChipVersion || info.RadioVersions != [2]byte{0x21, 0x21} {
		t.Errorf("info %+v, want version %d and radio versions 0x21", info, sx1301.ChipVersion)
	}
	// Calibration of both radios, TX DC offsets on radio A only; the
	// offsets read from AGC data RAM 0xA0.. (radio A I, A Q, B I, B Q).
	if info.CalStatus != 0x80|0x01|0x02|0x04|0x08|0x10|0x20 {
		t.Errorf("calibration status 0x%02x", info.CalStatus)
	}
	off := testCalOffsets()
	for i := range 8 {
		got := [4]int8{info.TxOffsets[0][0][i], info.TxOffsets[0][1][i], info.TxOffsets[1][0][i], info.TxOffsets[1][1][i]}
		want := [4]int8{off[i], off[8+i], off[16+i], off[24+i]}
		if got != want {
			t.Errorf("tx offsets for mixer gain %d: %v, want %v", 8+i, got, want)
		}
	}
	if err := r.dev.Start(context.Background(), cfg); err == nil {
		t.Error("second Start succeeded, want an error")
	}
}

func TestStartPrivateAndDisabledChains(t *testing.T) {
	r := newRig(t, nil, nil, func(o *sx1301.Options) {
		o.TxGainLUT = []sx1301.TxGain{{RFPower: 10, PAGain: 1, DACGain: 3, MixGain: 9}}
	})
	cfg := eu868()
	cfg.PrivateSyncWord = true
	cfg.LoRaStd, cfg.FSK = hal.IFChain{}, hal.IFChain{}
	cfg.MultiSF[3].Enable = false
	cfg.Radios[1] = hal.RFChain{}
	for i := range 3 {
		cfg.MultiSF[i].RFChain = 0
	}
	r.start(t, cfg)
	for _, c := range []struct {
		name string
		want int32
	}{
		{"FRAME_SYNCH_PEAK1_POS", 1}, {"FRAME_SYNCH_PEAK2_POS", 2}, {"MBWSSF_FRAME_SYNCH_PEAK1_POS", 1},
		{"MBWSSF_MODEM_ENABLE", 0}, {"FSK_MODEM_ENABLE", 0}, {"CORR3_DETECT_EN", 0}, {"IF_FREQ_3", 0},
		{"IF_FREQ_8", 0}, {"RADIO_SELECT", 0},
	} {
		if got, _ := r.chip.Reg(c.name); got != c.want {
			t.Errorf("%s = %d, want %d", c.name, got, c.want)
		}
	}
	// A disabled radio gets its clock and oscillator settings only
	// (lgw_setup_sx125x), and no PLL start.
	if st := r.chip.Radio(1); st.Locked || !reflect.DeepEqual(st.Regs, map[byte]byte{0x10: 1, 0x26: 13 + 2*16}) {
		t.Errorf("disabled radio B: %+v, want registers 0x10 and 0x26 written and no PLL", st)
	}
	// One gain row: the table end goes to the AGC after it.
	if agc := r.chip.AGC(); !bytes.Equal(agc.GainTable, []byte{9 + 48 + 64}) || !agc.Done {
		t.Errorf("AGC %+v, want one gain row 0x79", agc)
	}
	if info := r.dev.Info(); info.CalStatus != 0x80|0x01|0x02|0x08|0x20 {
		t.Errorf("calibration status 0x%02x, want radio A only", info.CalStatus)
	}
}

func TestReceive(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	cfg := eu868()
	r.start(t, cfg)
	now := r.chip.Counter()
	payload := []byte{0x40, 0x11, 0x22, 0x33, 0x44, 0x80, 0x01, 0x00, 0x01, 0xA5, 0xC0, 0xDE, 0xAD}
	cases := []struct {
		name string
		rec  sx1301.PacketRecord
		want hal.RxPacket
		corr uint32
	}{
		{
			name: "multi-SF SF7 on radio 0",
			rec: sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: payload, IFChain: 5, SpreadingFactor: 7, CodingRate: 1,
				SNR: 38, SNRMin: 30, SNRMax: 40, RSSI: 60, Timestamp: now - 5000, CRC: 0x1234},
			// RSSI: raw + offset + 35 (multi-SF bias).
			want: hal.RxPacket{Freq: 867_500_000, IFChain: 5, RFChain: 0, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, RSSI: 60 - 166 + 35, SNR: 9.5, CRC: hal.CRCOK},
			corr: sx1301.TimestampCorrection(false, hal.BW125, 7, 1, true, len(payload)),
		},
		{
			name: "multi-SF SF12 on radio 1, negative SNR",
			rec: sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: payload[:5], IFChain: 0, SpreadingFactor: 12, CodingRate: 1,
				SNR: -30, RSSI: 40, Timestamp: now - 3000},
			want: hal.RxPacket{Freq: 868_100_000, IFChain: 0, RFChain: 1, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 12, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, RSSI: 40 - 166 + 35, SNR: -7.5, CRC: hal.CRCOK},
			corr: sx1301.TimestampCorrection(false, hal.BW125, 12, 1, true, 5),
		},
		{
			name: "single-SF 250 kHz, bad CRC",
			rec: sx1301.PacketRecord{Status: sx1301.StatusCRCBad, Payload: payload, IFChain: 8, SpreadingFactor: 7, CodingRate: 2,
				SNR: 4, RSSI: 70, Timestamp: now - 2000},
			want: hal.RxPacket{Freq: 868_300_000, IFChain: 8, RFChain: 1, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 7, Bandwidth: hal.BW250, CodeRate: hal.CodeRate4_6, RSSI: 70 - 166, SNR: 1, CRC: hal.CRCBad},
			corr: sx1301.TimestampCorrection(true, hal.BW250, 7, 2, true, len(payload)),
		},
		{
			name: "no CRC, 4/8",
			rec: sx1301.PacketRecord{Status: sx1301.StatusNoCRC, Payload: payload[:1], IFChain: 3, SpreadingFactor: 9, CodingRate: 4,
				RSSI: 80, Timestamp: now - 1000},
			want: hal.RxPacket{Freq: 867_100_000, IFChain: 3, RFChain: 0, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_8, RSSI: 80 - 166 + 35, CRC: hal.CRCNone},
			corr: sx1301.TimestampCorrection(false, hal.BW125, 9, 4, false, 1),
		},
		{
			name: "FSK",
			rec:  sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: payload, IFChain: 9, RSSI: 200, Timestamp: now - 500},
			// RSSI 60 + 1.5351·r + 0.003·r², r = raw + offset = 34.
			want: hal.RxPacket{Freq: 868_800_000, IFChain: 9, RFChain: 1, Modulation: hal.ModulationFSK, DataRate: 50_000,
				RSSI: float32(60 + 1.5351*34 + 0.003*34*34), CRC: hal.CRCOK},
			// (uint32)680000/50000 - 20 wraps: the HAL adds 7 µs.
			corr: 1<<32 - 7,
		},
	}
	for _, c := range cases {
		if err := r.chip.InjectPacket(c.rec); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := r.receive(t)
			if !bytes.Equal(got.Payload, c.rec.Payload) {
				t.Errorf("payload % x, want % x", got.Payload, c.rec.Payload)
			}
			if math.Abs(float64(got.RSSI-c.want.RSSI)) > 0.01 {
				t.Errorf("RSSI %v, want %v", got.RSSI, c.want.RSSI)
			}
			if want := c.rec.Timestamp - c.corr; got.CountUS != want {
				t.Errorf("CountUS %d, want raw %d - correction %d = %d", got.CountUS, c.rec.Timestamp, c.corr, want)
			}
			if d := int32(c.corr); d == 0 || d < -20 || d > 100_000 {
				t.Errorf("correction %d µs out of range", c.corr)
			}
			got.Payload, got.RSSI, got.CountUS = nil, 0, 0
			c.want.RSSI = 0
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
	if st := r.dev.Stats(); st.Received != len(cases) || st.Dropped != 0 || r.chip.FIFOLen() != 0 {
		t.Errorf("stats %+v, fifo %d, want %d received, none dropped, fifo empty", st, r.chip.FIFOLen(), len(cases))
	}
}

func TestTimestampCorrection(t *testing.T) {
	// lgw_receive's formula worked by hand: base delay x, then
	// y = (2^(sf-1)·(sf+1) + k·2^(sf-4)) / bw_pow and z, in unsigned
	// 32-bit arithmetic.
	cases := []struct {
		name   string
		std    bool
		bw     uint32
		sf, cr int
		crc    bool
		size   int
		want   uint32
	}{
		// x 114; y 512+4·8 = 544; z 20·((30-7+6)%7+1) = 40.
		{"multi SF7 4/5 CRC 13 B", false, hal.BW125, 7, 1, true, 13, 698},
		// ppm on: y 2048·13+3·256 = 27392; z 20·((14-12+6)%10+1) = 180.
		{"multi SF12 4/5 CRC 5 B", false, hal.BW125, 12, 1, true, 5, 27686},
		// x 32; y 544/2 = 272; z 24·((29%7)+1)/2 = 24.
		{"std 250 kHz SF7 4/6 CRC 13 B", true, hal.BW250, 7, 2, true, 13, 328},
		// 2·0-(8-7) wraps, so not the short branch; x 16; y (1152+64)/4 =
		// 304; z 20·(((0-8+6) mod 2^32) % 8 + 1)/4 = 20·7/4 = 35.
		{"std 500 kHz SF8 no CRC 0 B", true, hal.BW500, 8, 1, false, 0, 355},
		// 2·0-(7-7) = 0: the payload fits in the first symbols; y 512+3·8 =
		// 536, z 32·5 = 160.
		{"multi SF7 empty, no CRC", false, hal.BW125, 7, 1, false, 0, 810},
		{"SF out of range", false, hal.BW125, 5, 1, true, 10, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sx1301.TimestampCorrection(c.std, c.bw, c.sf, c.cr, c.crc, c.size); got != c.want {
				t.Errorf("correction %d µs, want %d", got, c.want)
			}
		})
	}
}

func TestCounterAndPPS(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	r.start(t, eu868())
	c1, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	if want := r.chip.Counter(); c1 != want {
		t.Errorf("Counter %d, chip %d", c1, want)
	}
	if _, ok, err := r.dev.PPSLatch(); err != nil || ok {
		t.Fatalf("PPSLatch before any pulse: ok=%v err=%v, want false, nil", ok, err)
	}
	r.clock.Advance(1500 * time.Millisecond)
	r.chip.PPS()
	edge := r.chip.Counter()
	r.clock.Advance(300 * time.Millisecond)
	// A counter read between the pulse and the latch read must not lose
	// the pulse (the GPS_EN toggle overwrites the latch).
	c2, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	if d := c2 - c1; d != 1_800_000 {
		t.Errorf("counter moved %d µs in 1.8 s", d)
	}
	pps, ok, err := r.dev.PPSLatch()
	if err != nil || !ok || pps != edge {
		t.Fatalf("PPSLatch after a pulse: %d ok=%v err=%v, want %d", pps, ok, err, edge)
	}
	if got, _ := r.chip.Reg("GPS_EN"); got != 1 {
		t.Errorf("GPS_EN = %d after reading the counter, want 1 (latch re-armed)", got)
	}
	// Later reads without a new pulse keep the same edge.
	r.clock.Advance(2 * time.Second)
	if _, err := r.dev.Counter(); err != nil {
		t.Fatal(err)
	}
	if p, ok, _ := r.dev.PPSLatch(); !ok || p != edge {
		t.Errorf("PPSLatch %d ok=%v after a counter read, want the old edge %d", p, ok, edge)
	}
	// The 32-bit counter wraps (the rig starts it at 0x7FFF0000 µs).
	r.clock.Advance(36 * time.Minute)
	c3, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	if c3 > c1 || c3-c1 != uint32((1800*time.Millisecond+2*time.Second+36*time.Minute)/time.Microsecond) {
		t.Errorf("counter %d after the wrap, first %d", c3, c1)
	}
}

func TestSendTimestamped(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	r.start(t, eu868())
	now, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	at := now + 1_000_000
	tx := hal.TxPacket{ID: 77, Mode: hal.TxTimestamped, CountUS: at, Freq: 869_525_000, RFChain: 0, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
		InvertPol: true, NoCRC: true, Payload: []byte{0x60, 1, 2, 3, 4, 5, 6, 7, 8, 9}}
	if err := r.dev.Send(context.Background(), tx); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if err := r.dev.Send(context.Background(), tx); !errors.Is(err, hal.ErrBusy) {
		t.Errorf("second Send: %v, want ErrBusy (one TX buffer)", err)
	}
	if st := r.chip.TxStatus(); st != sx1301test.TxStatusScheduled {
		t.Errorf("TX status 0x%02x after Send, want 0x%02x", st, sx1301test.TxStatusScheduled)
	}
	done := r.waitTxDone(t)
	if done.ID != 77 || done.Err != nil || done.CountUS != at {
		t.Errorf("TxDone %+v, want ID 77, CountUS %d", done, at)
	}
	sent := r.chip.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d frames sent, want 1", len(sent))
	}
	f := sent[0]
	h := f.Header
	delay := sx1301.TxStartDelay(false, hal.BW125)
	if delay != 1495 || f.StartDelay != delay || h.Trigger != at-uint32(delay) || f.StartUS != at || f.Immediate {
		t.Errorf("start delay %d (register %d), trigger %d, start %d: want 1495, trigger count_us-1495 = %d, start %d",
			delay, f.StartDelay, h.Trigger, f.StartUS, at-1495, at)
	}
	if want := sx1301.SX125xFreqReg("SX1257", 869_525_000) & 0x3FFFFF; h.FreqReg != want || f.Freq > 869_525_000 || 869_525_000-f.Freq > 62 {
		t.Errorf("frequency register 0x%06x (%d Hz), want 0x%06x", h.FreqReg, f.Freq, want)
	}
	if h.FSK || h.SpreadingFactor != 9 || h.CodingRate != 1 || h.Bandwidth != 0 || h.Preamble != 8 || !h.InvertPol ||
		h.CRC || h.ImplicitHeader || h.PPMOffset || !h.NotchFilter || h.WideFilter || h.RFChain != 0 || h.Size != 10 {
		t.Errorf("header %+v", h)
	}
	// 14 dBm: row 0 of the HAL's table (PA 2, DAC 3, mixer 10); its
	// calibration offsets are radio A's for mixer gain 10.
	off := testCalOffsets()
	if h.PowerIndex != 0 || f.GainRow != 10+48+128 || f.OffsetI != off[2] || f.OffsetQ != off[10] || f.DigGain != 0 {
		t.Errorf("power index %d gain row 0x%02x offsets %d/%d dig %d, want 0, 0xba, %d/%d, 0",
			h.PowerIndex, f.GainRow, f.OffsetI, f.OffsetQ, f.DigGain, off[2], off[10])
	}
	if !bytes.Equal(f.Payload, tx.Payload) {
		t.Errorf("payload % x, want % x", f.Payload, tx.Payload)
	}
	if air := uint32(tx.AirTime().Microseconds()); f.EndUS-f.StartUS != air {
		t.Errorf("on air %d µs, want %d", f.EndUS-f.StartUS, air)
	}
}

func TestSendImmediateRadioBAndFSK(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	cfg := eu868()
	cfg.Radios[1].TxEnable = true
	r.start(t, cfg)
	cases := []struct {
		name  string
		tx    hal.TxPacket
		check func(t *testing.T, f sx1301test.TxFrame)
	}{
		{"LoRa 500 kHz on radio B at 27 dBm", hal.TxPacket{ID: 5, Mode: hal.TxImmediate, Freq: 868_100_000, RFChain: 1, Power: 27,
			Modulation: hal.ModulationLoRa, SpreadingFactor: 12, Bandwidth: hal.BW500, CodeRate: hal.CodeRate4_8, Payload: []byte{1, 2, 3}},
			func(t *testing.T, f sx1301test.TxFrame) {
				h := f.Header
				off := testCalOffsets()
				if !f.Immediate || h.RFChain != 1 || h.PowerIndex != 1 || f.GainRow != 14+48+192 || !h.CRC || !h.WideFilter ||
					h.NotchFilter || h.Bandwidth != 2 || h.CodingRate != 4 || h.PPMOffset || f.StartDelay != 1497 ||
					f.OffsetI != off[16+6] || f.OffsetQ != off[24+6] {
					t.Errorf("frame %+v", f)
				}
			}},
		{"FSK 50 kbit/s", hal.TxPacket{ID: 6, Mode: hal.TxImmediate, Freq: 868_800_000, RFChain: 0, Power: 14,
			Modulation: hal.ModulationFSK, DataRate: 50_000, FreqDeviation: 25_000, Payload: []byte{9, 8, 7, 6}},
			func(t *testing.T, f sx1301test.TxFrame) {
				h := f.Header
				if !h.FSK || h.FreqDevKHz != 25 || h.BitRateDiv != 640 || h.Preamble != 5 || !h.CRC || h.Size != 4 ||
					!bytes.Equal(f.Payload, []byte{9, 8, 7, 6}) || f.StartDelay != 1497 {
					t.Errorf("frame %+v", f)
				}
			}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := r.dev.Send(context.Background(), c.tx); err != nil {
				t.Fatal(err)
			}
			done := r.waitTxDone(t)
			if done.ID != c.tx.ID || done.Err != nil {
				t.Errorf("TxDone %+v", done)
			}
			sent := r.chip.Sent()
			if len(sent) != i+1 {
				t.Fatalf("%d frames sent, want %d", len(sent), i+1)
			}
			c.check(t, sent[i])
		})
	}
}

func TestSendRefused(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	r.start(t, eu868())
	sx130xtest.CheckSendRefused(t, r.dev, sx130xtest.RefusedSend{Name: "fsk deviation",
		Mod: func(p *hal.TxPacket) { p.Modulation, p.DataRate, p.FreqDeviation = hal.ModulationFSK, 50_000, 500 }, Want: hal.ErrInvalid})
	if n := len(r.chip.Sent()); n != 0 {
		t.Errorf("%d frames reached the chip", n)
	}
}

func TestStopAbortsAndCloses(t *testing.T) {
	r := newRig(t, nil, nil, nil)
	r.start(t, eu868())
	sx130xtest.CheckStop(t, r.dev, func(t *testing.T) {
		if sent := r.chip.Sent(); len(sent) != 1 || !sent[0].Aborted {
			t.Errorf("chip frames %+v, want one aborted", sent)
		}
		if st := r.chip.MCU(1); st.Running {
			t.Error("AGC still running after Stop: no soft reset")
		}
	})
	// A stopped driver starts again: the chip is reset and set up anew.
	r.start(t, eu868())
	if st := r.chip.MCU(1); !st.Running || st.Firmware != "agc" {
		t.Errorf("after restart the AGC runs %q (running %v)", st.Firmware, st.Running)
	}
}

// pinLog is a gpio.PinOut that logs its levels.
type pinLog struct {
	gpio.PinOut
	log *[]string
}

func (p pinLog) Out(l gpio.Level) error {
	*p.log = append(*p.log, fmt.Sprintf("reset=%v", l))
	return nil
}

func (p pinLog) String() string { return "reset" }

func TestResetSequence(t *testing.T) {
	var seq []string
	var waits []time.Duration
	r := newRig(t, nil, nil, func(o *sx1301.Options) {
		o.Reset = pinLog{log: &seq}
		next := o.Wait
		o.Wait = func(ctx context.Context, d time.Duration) error {
			if len(waits) < 4 {
				waits = append(waits, d)
			}
			return next(ctx, d)
		}
	})
	r.start(t, eu868())
	if want := []string{"reset=High", "reset=Low"}; !reflect.DeepEqual(seq, want) {
		t.Errorf("GPIO sequence %v, want %v (reset_lgw.sh)", seq, want)
	}
	// reset_lgw.sh's 100 ms steps, then lgw_start's 500 ms for the radio
	// oscillator and 5 ms of radio reset.
	if want := []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 500 * time.Millisecond, 5 * time.Millisecond}; !reflect.DeepEqual(waits, want) {
		t.Errorf("waits %v, want %v", waits, want)
	}
}
