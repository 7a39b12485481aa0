package sx1301

import (
	"context"
	"fmt"
	"slices"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// regWriter writes register fields in sequence and keeps the first error,
// so that the HAL's long configuration lists read as lists.
type regWriter struct {
	b   *bus
	err error
}

func (w *regWriter) w(id regID, v int32) {
	if w.err == nil {
		w.err = w.b.writeReg(registers[id], v)
	}
}

// Useful radio bandwidths of the SX125x by channel bandwidth
// (LGW_RF_RX_BANDWIDTH_125KHZ/_250KHZ/_500KHZ, lab measurements).
const (
	rfRxBandwidth125 = 925_000
	rfRxBandwidth250 = 1_000_000
	rfRxBandwidth500 = 1_100_000
)

// IF chain indices of the SX1301 (LGW_IFMODEM_CONFIG: 0..7 multi-SF, 8
// LoRa standard, 9 FSK).
const (
	ifChainLoRaStd = 8
	ifChainFSK     = 9
)

// fskBWCode returns the HAL's bandwidth code (BW_500KHZ 1 … BW_7K8HZ 7)
// for an FSK receive bandwidth in Hz; 0 gives the HAL's default, 250 kHz.
func fskBWCode(hz uint32) (code uint8, bw uint32, ok bool) {
	switch hz {
	case 0, 250_000:
		return 2, 250_000, true
	case 500_000:
		return 1, 500_000, true
	case 125_000:
		return 3, 125_000, true
	case 62_500:
		return 4, 62_500, true
	case 31_200:
		return 5, 31_200, true
	case 15_600:
		return 6, 15_600, true
	case 7_800:
		return 7, 7_800, true
	}
	return 0, 0, false
}

// checkConfig applies hal's checks and the SX1301's own (lgw_rxrf_setconf,
// lgw_rxif_setconf, lgw_start): SX1255 or SX1257 radios, one type on the
// board, radio_0 enabled (its frequency drives the modems' drift
// compensation), and each IF chain within the narrower useful bandwidth of
// an SX125x.
func checkConfig(cfg *hal.Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: sx1301: "+format, append([]any{hal.ErrInvalid}, a...)...)
	}
	if !cfg.Radios[0].Enable {
		return bad("radio_0 must be enabled")
	}
	if !cfg.Radios[cfg.ClockSource].Enable {
		return bad("clock source radio_%d is disabled", cfg.ClockSource)
	}
	rt := ""
	for i, r := range cfg.Radios {
		t := r.Type
		if t == "" {
			t = RadioSX1257
		}
		if t != RadioSX1255 && t != RadioSX1257 {
			return bad("radio_%d: type %q: an SX1301 works with SX1255 or SX1257 radios", i, r.Type)
		}
		if !r.Enable && r.Type == "" {
			continue
		}
		if rt != "" && t != rt {
			return bad("radios of two types (%s, %s): the HAL assumes one type per board", rt, t)
		}
		rt = t
	}
	for i := range hal.NumIFChains {
		ch, _ := cfg.IFChain(i)
		if !ch.Enable {
			continue
		}
		bw, rfBW := uint32(hal.BW125), uint32(rfRxBandwidth125)
		switch i {
		case ifChainLoRaStd:
			bw = ch.Bandwidth
		case ifChainFSK:
			_, b, ok := fskBWCode(ch.Bandwidth)
			if !ok {
				return bad("chan_FSK: bandwidth %d Hz is not one of the HAL's", ch.Bandwidth)
			}
			bw = b
		}
		switch bw {
		case hal.BW250:
			rfBW = rfRxBandwidth250
		case hal.BW500:
			rfBW = rfRxBandwidth500
		}
		if hi, lo := int64(ch.IF)+int64(bw/2), int64(ch.IF)-int64(bw/2); hi > int64(rfBW/2) || lo < -int64(rfBW/2) {
			return bad("if chain %d: if %d Hz ± %d Hz beyond the radio's ±%d Hz", i, ch.IF, bw/2, rfBW/2)
		}
	}
	return nil
}

// radioType is the board's radio type once checkConfig has passed: that
// of radio_0, which must be enabled and shares its type with radio_1, or
// SX1257 when it names none.
func radioType(cfg *hal.Config) string {
	if t := cfg.Radios[0].Type; t != "" {
		return t
	}
	return RadioSX1257
}

// IFFreqReg converts an IF offset in Hz to the IF_FREQ register value
// (IF_HZ_TO_REG: f·32/15625).
func IFFreqReg(hz int32) int32 { return hz * 32 / 15625 }

// ifOf returns the IF offset of an enabled chain, 0 for a disabled one
// (lgw_rxif_setconf clears it).
func ifOf(ch hal.IFChain) int32 {
	if !ch.Enable {
		return 0
	}
	return ch.IF
}

// ifFreqRegs and corrDetectRegs are the per-chain registers.
var (
	ifFreqRegs = [hal.NumIFChains]regID{regIfFreq0, regIfFreq1, regIfFreq2, regIfFreq3, regIfFreq4,
		regIfFreq5, regIfFreq6, regIfFreq7, regIfFreq8, regIfFreq9}
	corrDetectRegs = [hal.NumMultiSF]regID{regCorr0DetectEn, regCorr1DetectEn, regCorr2DetectEn, regCorr3DetectEn,
		regCorr4DetectEn, regCorr5DetectEn, regCorr6DetectEn, regCorr7DetectEn}
)

// multiSFMask enables SF7..SF12 on a multi-SF chain (DR_LORA_MULTI, which
// Basics Station's sx130xconf sets).
const multiSFMask = 0x7E

// FSK sync word the HAL configures by default (fsk_sync_word).
const (
	fskSyncWord     = 0xC194C1
	fskSyncWordSize = 3
)

// txStartDelayDefault is TX_START_DELAY_DEFAULT (µs, calibrated for 500 kHz
// without notch filter).
const txStartDelayDefault = 1497

// TxStartDelay returns the TX start delay in µs for a frame on a board
// without FPGA (lgw_get_tx_start_delay: 1.5 µs less at 125 kHz,
// truncated; no notch filter delay without an FPGA).
func TxStartDelay(fsk bool, bw uint32) uint16 {
	if !fsk && bw == hal.BW125 {
		d := float64(txStartDelayDefault) - 1.5
		return uint16(d) // truncated, as the HAL does
	}
	return txStartDelayDefault
}

// start runs lgw_start for a board without FPGA.
func (d *Dev) start(ctx context.Context, cfg *hal.Config) error {
	if err := d.resetBoard(ctx); err != nil {
		return err
	}
	if err := d.connect(); err != nil {
		return err
	}
	if err := d.bus.softReset(); err != nil {
		return err
	}
	w := &regWriter{b: d.bus}
	// Clocks gated, radios on (which starts the 32 MHz oscillator), then
	// reset.
	w.w(regGlobalEn, 0)
	w.w(regClk32mEn, 0)
	w.w(regRadioAEn, 1)
	w.w(regRadioBEn, 1)
	if w.err != nil {
		return w.err
	}
	if err := d.wait(ctx, 500*time.Millisecond); err != nil {
		return err
	}
	w.w(regRadioRst, 1)
	if w.err != nil {
		return w.err
	}
	if err := d.wait(ctx, 5*time.Millisecond); err != nil {
		return err
	}
	w.w(regRadioRst, 0)
	if w.err != nil {
		return w.err
	}
	d.info = Info{Version: ChipVersion}
	for rf, r := range cfg.Radios {
		t := r.Type
		if t == "" {
			t = d.radioType
		}
		v, err := d.setupRadio(ctx, rf, r.Enable, t, r.Freq, cfg.ClockSource == rf)
		if err != nil {
			return err
		}
		d.info.RadioVersions[rf] = v
	}
	// The AGC drives the GPIOs (TX digital filter on DGPIO3, TX on DGPIO4).
	w.w(regGpioMode, 31)
	w.w(regGpioSelectOutput, 2)
	w.w(regGlobalEn, 1)
	w.w(regClk32mEn, 1)
	if w.err != nil {
		return w.err
	}
	if err := d.calibrate(ctx, calCommand(cfg, d.radioType)); err != nil {
		return err
	}
	d.info.CalStatus, d.info.TxOffsets = d.calStatus, d.txOffsets
	constantAdjust(w, !cfg.PrivateSyncWord)
	configureModems(w, cfg)
	if w.err != nil {
		return w.err
	}
	if err := d.startMCUs(ctx, radioSelect(cfg)); err != nil {
		return err
	}
	// PPS capture: GPS_EN=1 arms the latch with the current counter.
	d.pps = ppsState{}
	if _, err := d.readLiveAndArm(); err != nil {
		return err
	}
	return nil
}

// resetBoard pulses the reset GPIO like reset_lgw.sh.
func (d *Dev) resetBoard(ctx context.Context) error {
	p := d.opts.Reset
	if p == nil {
		return nil
	}
	for _, l := range []gpio.Level{gpio.High, gpio.Low} {
		if err := p.Out(l); err != nil {
			return fmt.Errorf("sx1301: reset %s: %w", p, err)
		}
		if err := d.wait(ctx, 100*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// connect checks what answers on the bus (lgw_connect): an FPGA with an
// SPI mux (boards this driver does not drive), then the SX1301 version,
// and selects page 0.
func (d *Dev) connect() error {
	v, err := d.bus.probeFPGA()
	if err != nil {
		return err
	}
	if slices.Contains(fpgaVersions[:], v) {
		return fmt.Errorf("%w: an FPGA (version %d) answers with an SPI mux: such boards are not supported", ErrChip, v)
	}
	ver, err := d.bus.readByte(registers[regVersion].Addr)
	if err != nil {
		return err
	}
	if ver != ChipVersion {
		return fmt.Errorf("%w: version %d, want %d: no SX1301 answering on the SPI bus", ErrChip, ver, ChipVersion)
	}
	d.bus.page = -1
	return d.bus.writeReg(registers[regPageReg], 0)
}

// calCommand is the calibration firmware's command word (lgw_start):
// RX IQ calibration of each enabled radio, TX DC offset of each enabled
// TX radio, DAC gain 3, SX1255 flag, reference board.
func calCommand(cfg *hal.Config, radioType string) byte {
	var c byte
	for rf, r := range cfg.Radios {
		if r.Enable {
			c |= 1 << rf
			if r.TxEnable {
				c |= 4 << rf
			}
		}
	}
	c |= 0x10
	if radioType == RadioSX1255 {
		c |= 0x20
	}
	return c
}

// radioSelect maps the multi-SF chains to radios, bit i set for radio B;
// the AGC firmware takes it last in its start-up dialogue.
func radioSelect(cfg *hal.Config) byte {
	var m byte
	for i, ch := range cfg.MultiSF {
		if ch.RFChain == 1 {
			m |= 1 << i
		}
	}
	return m
}

// constantAdjust writes lgw_constant_adjust's settings.
func constantAdjust(w *regWriter, public bool) {
	w.w(regRssiBbFilterAlpha, 6)
	w.w(regRssiDecFilterAlpha, 7)
	w.w(regRssiChannFilterAlpha, 7)
	w.w(regRssiBbDefaultValue, 23)
	w.w(regRssiChannDefaultValue, 85)
	w.w(regRssiDecDefaultValue, 66)
	w.w(regDecGainOffset, 7)
	w.w(regChanGainOffset, 6)
	w.w(regSnrAvgCst, 3)
	p1, p2 := int32(1), int32(2) // private network
	if public {
		p1, p2 = 3, 4
	}
	w.w(regFrameSynchPeak1Pos, p1)
	w.w(regFrameSynchPeak2Pos, p2)
	w.w(regMbwssfFrameSynchPeak1Pos, p1)
	w.w(regMbwssfFrameSynchPeak2Pos, p2)
	w.w(regAdjustModemStartOffsetRdx4, 1)
	w.w(regAdjustModemStartOffsetSf12Rdx4, 4094)
	w.w(regCorrMacGain, 7)
	w.w(regFskRxInvert, 1)
	w.w(regFskModemInvertIq, 1)
	w.w(regFskRssiLength, 4)
	w.w(regFskPktMode, 1) // variable length
	w.w(regFskCrcEn, 1)
	w.w(regFskDcfreeEnc, 2)
	w.w(regFskErrorOsrTol, 10)
	w.w(regFskPktLength, 255)
	w.w(regFskPatternTimeoutCfg, 128)
	w.w(regTxStartDelay, txStartDelayDefault)
	w.w(regTxSwapIq, 1)
	w.w(regTxFrameSynchPeak1Pos, p1)
	w.w(regTxFrameSynchPeak2Pos, p2)
	w.w(regFskTxGaussianSelectBt, 2)
}

// driftReg is the modems' frequency-to-time drift: num/(freq>>shift),
// saturated at 63 (lgw_start).
func driftReg(freq uint32, shift uint) int32 {
	x := uint32(4_096_000_000) / (freq >> shift)
	return int32(min(x, 63))
}

// bwCodeStd is the LoRa standard modem's bandwidth code (MBWSSF_MODEM_BW).
func bwCodeStd(bw uint32) int32 {
	switch bw {
	case hal.BW250:
		return 1
	case hal.BW500:
		return 2
	}
	return 0
}

// configureModems sets the drift compensation, IF frequencies,
// correlators and the three kinds of modem (lgw_start).
func configureModems(w *regWriter, cfg *hal.Config) {
	f0 := cfg.Radios[0].Freq
	w.w(regFreqToTimeDrift, driftReg(f0, 1))
	w.w(regMbwssfFreqToTimeDrift, driftReg(f0, 3))
	for i := range hal.NumMultiSF {
		w.w(ifFreqRegs[i], IFFreqReg(ifOf(cfg.MultiSF[i])))
	}
	for i, ch := range cfg.MultiSF {
		mask := int32(0)
		if ch.Enable {
			mask = multiSFMask
		}
		w.w(corrDetectRegs[i], mask)
	}
	w.w(regPpmOffset, 0x60) // SF11 and SF12 at 125 kHz
	w.w(regConcentratorModemEnable, 1)

	std := cfg.LoRaStd
	w.w(ifFreqRegs[ifChainLoRaStd], IFFreqReg(ifOf(std)))
	if std.Enable {
		w.w(regMbwssfRadioSelect, int32(std.RFChain))
		w.w(regMbwssfModemBw, bwCodeStd(std.Bandwidth))
		w.w(regMbwssfRateSf, int32(std.SpreadingFactor))
		w.w(regMbwssfPpmOffset, int32(bit(sx130x.PPMOn(std.Bandwidth, std.SpreadingFactor))))
		w.w(regMbwssfModemEnable, 1)
	} else {
		w.w(regMbwssfModemEnable, 0)
	}

	fsk := cfg.FSK
	w.w(ifFreqRegs[ifChainFSK], IFFreqReg(ifOf(fsk)))
	w.w(regFskPsize, fskSyncWordSize-1)
	w.w(regFskTxPsize, fskSyncWordSize-1)
	sw := uint64(fskSyncWord) << (8 * (8 - fskSyncWordSize))
	w.w(regFskRefPatternLsb, int32(uint32(sw)))
	w.w(regFskRefPatternMsb, int32(uint32(sw>>32)))
	if fsk.Enable {
		code, _, _ := fskBWCode(fsk.Bandwidth)
		w.w(regFskRadioSelect, int32(fsk.RFChain))
		w.w(regFskBrRatio, int32(32_000_000/fsk.DataRate))
		w.w(regFskChBwExpo, int32(code))
		w.w(regFskModemEnable, 1)
	} else {
		w.w(regFskModemEnable, 0)
	}
}

func bit(b bool) byte {
	if b {
		return 1
	}
	return 0
}
