package sx1302_test

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
	"github.com/loraedge/loraedge/hal/sx1302"
)

func TestStartConfiguresChip(t *testing.T) {
	r := newRig(t, nil, nil)
	cfg := eu868()
	r.start(t, cfg)

	info := r.dev.Info()
	if info.EUI != testEUI {
		t.Errorf("EUI = %016x, want %016x", info.EUI, testEUI)
	}
	if info.Version != 0x10 || info.Model != sx1302.ModelSX1302b {
		t.Errorf("version 0x%02x model 0x%02x, want 0x10 and 0x%02x", info.Version, info.Model, sx1302.ModelSX1302b)
	}
	if got := r.chip.Mem(sx1302.AGCMemAddr, sx1302.FirmwareSize); !bytes.Equal(got, r.agcFW) {
		t.Error("AGC RAM does not hold the AGC firmware")
	}
	for rf := range 2 {
		st := r.chip.Radio(rf)
		if st.Mode != 5 {
			t.Errorf("radio %d mode %d, want 5 (RX)", rf, st.Mode)
		}
		if want := sx1302.SX1250FreqReg(cfg.Radios[rf].Freq); st.FreqReg != want {
			t.Errorf("radio %d frequency register 0x%08x, want 0x%08x", rf, st.FreqReg, want)
		}
		if st.ImageCal != [2]byte{0xD7, 0xDB} {
			t.Errorf("radio %d image calibration % x, want d7 db (863-870 MHz band)", rf, st.ImageCal)
		}
		if st.Regs[0x0587] != 0x0B {
			t.Errorf("radio %d FPGA_MODE_RX register 0x%02x, want 0x0b", rf, st.Regs[0x0587])
		}
	}
	regs := []struct {
		name string
		want int32
	}{
		{"AGC_MCU_MCU_AGC_STATUS_MCU_AGC_STATUS", 0x0F},
		{"ARB_MCU_MCU_ARB_STATUS_MCU_ARB_STATUS", 0x00},
		{"RX_TOP_RADIO_SELECT_RADIO_SELECT", 0x07}, // multi-SF 0..2 on radio 1
		{"RX_TOP_CORRELATOR_EN_CORR_EN", 0xFF},
		{"RX_TOP_FREQ_0_MSB_IF_FREQ_0", sx1302.IFFreqReg(-400_000) >> 8 & 0x1F},
		{"RX_TOP_FREQ_0_LSB_IF_FREQ_0", sx1302.IFFreqReg(-400_000) & 0xFF},
		{"RX_TOP_FREQ_7_LSB_IF_FREQ_7", sx1302.IFFreqReg(400_000) & 0xFF},
		{"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG0_MODEM_SF", 7},
		{"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG0_MODEM_BW", 5},
		{"RX_TOP_LORA_SERVICE_FSK_BIT_RATE_LSB_BIT_RATE", 32_000_000 / 50_000 & 0xFF},
		{"RX_TOP_FRAME_SYNCH0_SF7TO12_PEAK1_POS_SF7TO12", 6}, // public sync word
		{"COMMON_GEN_GLOBAL_EN", 1},
		{"CLK_CTRL_CLK_SEL_CLK_RADIO_A_SEL", 1},
		{"COMMON_CTRL0_HOST_RADIO_CTRL", 0},
		{"RX_TOP_RX_BUFFER_LEGACY_TIMESTAMP", 1},
		{"TIMESTAMP_GPS_CTRL_GPS_EN", 1},
		{"GPIO_GPIO_OUT_L_OUT_VALUE", 1},
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
	if r.temp.Conf != 0x8C || r.temp.Rate != 0x04 {
		t.Errorf("STTS751 conf 0x%02x rate 0x%02x, want 0x8c and 0x04", r.temp.Conf, r.temp.Rate)
	}
	if err := r.dev.Start(context.Background(), cfg); err == nil {
		t.Error("second Start succeeded, want an error")
	}
}

func TestReceive(t *testing.T) {
	r := newRig(t, nil, nil)
	cfg := eu868()
	r.start(t, cfg)

	now := r.chip.Counter()
	payload := []byte{0x40, 0x11, 0x22, 0x33, 0x44, 0x80, 0x01, 0x00, 0x01, 0xA5, 0xC0, 0xDE, 0xAD}
	cases := []struct {
		name string
		rec  sx1302.PacketRecord
		want hal.RxPacket
	}{
		{
			name: "multi-SF SF7 on radio 0",
			rec: sx1302.PacketRecord{Channel: 5, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 7, ModemID: 3,
				Payload: payload, SNR: 38, RSSIChan: 110, RSSISignal: 108, Timestamp: now - 32*5000, CRC16: sx1302.PayloadCRC(payload)},
			want: hal.RxPacket{Freq: 867_500_000, IFChain: 5, RFChain: 0, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, RSSI: 108 - 215.4, SNR: 9.5, CRC: hal.CRCOK},
		},
		{
			name: "multi-SF SF12 on radio 1, negative SNR",
			rec: sx1302.PacketRecord{Channel: 0, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 12, ModemID: 0,
				Payload: payload[:5], SNR: -30, RSSIChan: 90, RSSISignal: 88, Timestamp: now - 32*3000, CRC16: sx1302.PayloadCRC(payload[:5])},
			want: hal.RxPacket{Freq: 868_100_000, IFChain: 0, RFChain: 1, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 12, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, RSSI: 88 - 215.4, SNR: -7.5, CRC: hal.CRCOK},
		},
		{
			name: "single-SF 250 kHz, bad CRC",
			rec: sx1302.PacketRecord{Channel: 8, CRCEnabled: true, CRCError: true, CodingRate: 2, SpreadingFactor: 7, ModemID: sx1302.ModemIDLoRaStd,
				Payload: payload, SNR: 4, RSSIChan: 100, RSSISignal: 99, Timestamp: now - 32*2000, CRC16: 0x1234},
			want: hal.RxPacket{Freq: 868_300_000, IFChain: 8, RFChain: 1, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 7, Bandwidth: hal.BW250, CodeRate: hal.CodeRate4_6, RSSI: 99 - 215.4, SNR: 1, CRC: hal.CRCBad},
		},
		{
			name: "no CRC",
			rec: sx1302.PacketRecord{Channel: 3, CodingRate: 4, SpreadingFactor: 9, ModemID: 7,
				Payload: payload[:1], SNR: 0, RSSIChan: 100, RSSISignal: 100, Timestamp: now - 32*1000},
			want: hal.RxPacket{Freq: 867_100_000, IFChain: 3, RFChain: 0, Modulation: hal.ModulationLoRa,
				SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_8, RSSI: 100 - 215.4, CRC: hal.CRCNone},
		},
	}
	for _, c := range cases {
		if err := r.chip.InjectRecord(c.rec); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := r.dev.Receive(ctx)
			if err != nil {
				t.Fatalf("Receive: %v", err)
			}
			if !bytes.Equal(got.Payload, c.rec.Payload) {
				t.Errorf("payload % x, want % x", got.Payload, c.rec.Payload)
			}
			if math.Abs(float64(got.RSSI-c.want.RSSI)) > 0.01 {
				t.Errorf("RSSI %v, want %v", got.RSSI, c.want.RSSI)
			}
			// The counter is 27-bit µs widened; the correction undoes the
			// demodulator's delay, so the frame ends a little before its
			// raw stamp.
			raw := c.rec.Timestamp / 32
			if d := int32(raw - got.CountUS); d < 0 || d > 200_000 {
				t.Errorf("CountUS %d, raw stamp %d µs: correction %d µs out of range", got.CountUS, raw, d)
			}
			got.Payload, c.want.Payload = nil, nil
			got.RSSI, c.want.RSSI = 0, 0
			got.CountUS = 0
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %+v\nwant %+v", got, c.want)
			}
		})
	}
	if st := r.dev.Stats(); st.Received != len(cases) || st.Dropped != 0 {
		t.Errorf("stats %+v, want %d received, none dropped", st, len(cases))
	}
}

func TestReceiveCountUSCorrection(t *testing.T) {
	r := newRig(t, nil, nil)
	r.start(t, eu868())
	now := r.chip.Counter()
	p := []byte("twelve bytes")
	rec := sx1302.PacketRecord{Channel: 4, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 7, Payload: p,
		RSSISignal: 100, Timestamp: now - 32*1000, CRC16: sx1302.PayloadCRC(p)}
	if err := r.chip.InjectRecord(rec); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := r.dev.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The driver widened the counter at start: the µs count of the packet
	// is its 32 MHz stamp / 32 with the same wrap bits as the counter.
	cnt, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	base := cnt&^(1<<27-1) | rec.Timestamp/32&(1<<27-1)
	if d := int32(base - got.CountUS); d <= 0 || d > 100_000 {
		t.Errorf("CountUS %d vs stamp %d: correction %d µs, want a small positive delay", got.CountUS, base, d)
	}
}

func TestCounterAndPPS(t *testing.T) {
	r := newRig(t, nil, nil)
	r.start(t, eu868())
	c1, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := r.dev.PPSLatch(); err != nil || ok {
		t.Fatalf("PPSLatch before any pulse: ok=%v err=%v, want false, nil", ok, err)
	}
	r.clock.Advance(1500 * time.Millisecond)
	r.chip.PPS()
	pps, ok, err := r.dev.PPSLatch()
	if err != nil || !ok {
		t.Fatalf("PPSLatch after a pulse: ok=%v err=%v", ok, err)
	}
	if d := int32(pps - c1); d < 1_499_990 || d > 1_500_010 {
		t.Errorf("PPS latch %d µs after the first counter reading, want 1500000", d)
	}
	// Across the 27-bit wrap (134 s), polled often enough, the 32-bit
	// counter keeps counting.
	prev, err := r.dev.Counter()
	if err != nil {
		t.Fatal(err)
	}
	for range 40 {
		r.clock.Advance(10 * time.Second)
		c, err := r.dev.Counter()
		if err != nil {
			t.Fatal(err)
		}
		if d := int32(c - prev); d < 9_999_990 || d > 10_000_010 {
			t.Fatalf("counter moved %d µs in 10 s (prev %d, now %d)", d, prev, c)
		}
		prev = c
	}
}

// waitTxDone advances the model's clock until a TX report arrives.
func waitTxDone(t *testing.T, r *rig, ch <-chan hal.TxDone) hal.TxDone {
	t.Helper()
	return sx130xtest.WaitTxDone(t, ch, r.clock)
}

func TestSendTimestamped(t *testing.T) {
	r := newRig(t, nil, nil)
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
		t.Errorf("second Send on the same radio: %v, want ErrBusy", err)
	}
	if st := r.chip.TxState(0); st != 0x91 {
		t.Errorf("TX state 0x%02x after Send, want 0x91 (scheduled)", st)
	}
	done := waitTxDone(t, r, r.dev.TxDone())
	if done.ID != 77 || done.Err != nil || done.CountUS != at {
		t.Errorf("TxDone %+v, want ID 77, CountUS %d, no error", done, at)
	}
	sent := r.chip.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d frames sent, want 1", len(sent))
	}
	f := sent[0]
	delay := sx1302.TxStartDelay(hal.BW125, 9)
	if want := at*32 - uint32(delay); f.Trigger != want {
		t.Errorf("trigger %d, want count_us*32 - start delay = %d", f.Trigger, want)
	}
	if f.StartTick != at*32 {
		t.Errorf("emission started at tick %d, want %d", f.StartTick, at*32)
	}
	if f.FreqReg != sx1302.SX1302FreqReg(869_525_000) || f.Freq > 869_525_000 || 869_525_000-f.Freq > 123 {
		t.Errorf("frequency register 0x%06x (%d Hz), want %d Hz", f.FreqReg, f.Freq, 869_525_000)
	}
	if f.SpreadingFactor != 9 || f.Bandwidth != hal.BW125 || f.CodeRate != 1 || f.Preamble != 8 ||
		!f.InvertPol || f.CRC || f.ImplicitHeader || f.Immediate || f.Aborted {
		t.Errorf("frame settings %+v", f)
	}
	if f.PowerReg != 17 { // 14 dBm: pa off, power index 17
		t.Errorf("power register %d, want 17", f.PowerReg)
	}
	if !bytes.Equal(f.Payload, tx.Payload) {
		t.Errorf("payload % x, want % x", f.Payload, tx.Payload)
	}
	if air := uint32(tx.AirTime().Microseconds()) * 32; f.EndTick-f.StartTick != air {
		t.Errorf("on air %d ticks, want %d", f.EndTick-f.StartTick, air)
	}
}

func TestSendImmediateAndRadioB(t *testing.T) {
	r := newRig(t, nil, nil)
	cfg := eu868()
	cfg.Radios[1].TxEnable = true
	r.start(t, cfg)
	tx := hal.TxPacket{ID: 5, Mode: hal.TxImmediate, Freq: 868_100_000, RFChain: 1, Power: 27,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 12, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, Payload: []byte{1, 2, 3}}
	if err := r.dev.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	done := waitTxDone(t, r, r.dev.TxDone())
	if done.ID != 5 || done.Err != nil {
		t.Errorf("TxDone %+v", done)
	}
	f := r.chip.Sent()[0]
	if f.RFChain != 1 || !f.Immediate || f.PowerReg != 1<<6|14 || !f.CRC {
		t.Errorf("frame %+v: want radio B, immediate, PA on with index 14, CRC", f)
	}
}

func TestSendRefused(t *testing.T) {
	r := newRig(t, nil, nil)
	r.start(t, eu868())
	sx130xtest.CheckSendRefused(t, r.dev,
		sx130xtest.RefusedSend{Name: "fsk", Mod: func(p *hal.TxPacket) { p.Modulation, p.DataRate = hal.ModulationFSK, 50_000 }, Want: hal.ErrInvalid})
	if n := len(r.chip.Sent()); n != 0 {
		t.Errorf("%d frames reached the chip", n)
	}
}

func TestStopAbortsAndCloses(t *testing.T) {
	r := newRig(t, nil, nil)
	r.start(t, eu868())
	sx130xtest.CheckStop(t, r.dev, func(t *testing.T) {
		if sent := r.chip.Sent(); len(sent) != 1 || !sent[0].Aborted {
			t.Errorf("chip frames %+v, want one aborted", sent)
		}
	})
}

func TestRSSITempComp(t *testing.T) {
	comp := sx1302.TempComp{C: 20.41, D: 2162.56}
	r := newRig(t, nil, func(o *sx1302.Options) { o.RSSITempComp[0] = comp })
	r.start(t, eu868())
	r.temp.Temp = 50
	p := []byte{1, 2, 3}
	if err := r.chip.InjectRecord(sx1302.PacketRecord{Channel: 4, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 7,
		Payload: p, RSSISignal: 100, Timestamp: r.chip.Counter(), CRC16: sx1302.PayloadCRC(p)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got, err := r.dev.Receive(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := 100 - 215.4 + (20.41*50*50+2162.56*50)/65536
	if math.Abs(float64(got.RSSI)-want) > 0.01 {
		t.Errorf("RSSI %v at 50 °C, want %v", got.RSSI, want)
	}
}

// pinLog is a gpio.PinOut that logs its levels.
type pinLog struct {
	gpio.PinOut
	name string
	log  *[]string
}

func (p pinLog) Out(l gpio.Level) error {
	*p.log = append(*p.log, fmt.Sprintf("%s=%v", p.name, l))
	return nil
}

func (p pinLog) String() string { return p.name }

func TestResetSequence(t *testing.T) {
	var seq []string
	var waits []time.Duration
	r := newRig(t, nil, func(o *sx1302.Options) {
		o.PowerEnable = pinLog{name: "power", log: &seq}
		o.Reset = pinLog{name: "reset", log: &seq}
		next := o.Wait
		o.Wait = func(ctx context.Context, d time.Duration) error {
			if len(waits) < 3 {
				waits = append(waits, d)
			}
			return next(ctx, d)
		}
	})
	r.start(t, eu868())
	want := []string{"power=High", "reset=High", "reset=Low"}
	if !reflect.DeepEqual(seq, want) {
		t.Errorf("GPIO sequence %v, want %v (reset_lgw.sh)", seq, want)
	}
	if !reflect.DeepEqual(waits, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond, 100 * time.Millisecond}) {
		t.Errorf("waits between GPIO steps %v, want 100 ms each", waits)
	}
}
