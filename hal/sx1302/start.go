package sx1302

import (
	"context"
	"fmt"
	"time"

	"periph.io/x/conn/v3/gpio"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// regWriter writes register fields in sequence and keeps the first error,
// so that the long configuration lists of the HAL read as lists.
type regWriter struct {
	b   *bus
	err error
}

func (w *regWriter) w(id regID, v int32) {
	if w.err == nil {
		w.err = w.b.writeReg(registers[id], v)
	}
}

// tw writes the TX_TOP register id (a TX_TOP_A register) of RF chain rf.
func (w *regWriter) tw(rf int, id regID, v int32) {
	if w.err == nil {
		w.err = w.b.writeReg(txReg(rf, id), v)
	}
}

// txReg returns TX_TOP_A register id, or its TX_TOP_B twin for RF chain 1.
func txReg(rf int, id regID) Register {
	r := registers[id]
	if rf == 1 {
		r.Addr += TXTopBOffset
		r.Name = "TX_TOP_B" + r.Name[len("TX_TOP_A"):]
	}
	return r
}

// sel returns a for RF chain 0 and b for 1 (REG_SELECT).
func sel(rf int, a, b regID) regID {
	if rf == 1 {
		return b
	}
	return a
}

// start runs the HAL's lgw_start for SX1250 radios over SPI.
func (d *Dev) start(ctx context.Context, cfg *hal.Config) error {
	if err := d.resetBoard(ctx); err != nil {
		return err
	}
	if err := d.connect(); err != nil {
		return err
	}
	w := &regWriter{b: d.bus}
	w.w(regGpioGpioOutLOutValue, 0) // all GPIOs low
	if w.err != nil {
		return w.err
	}
	if err := d.radioCalibrate(ctx, cfg); err != nil {
		return err
	}
	for rf, r := range cfg.Radios {
		if !r.Enable {
			continue
		}
		if err := d.radioReset(ctx, rf); err != nil {
			return err
		}
		if err := d.sx1250Setup(ctx, rf, r.Freq); err != nil {
			return err
		}
		w.w(sel(rf, regCommonCtrl0Sx1261ModeRadioA, regCommonCtrl0Sx1261ModeRadioB), 1)
	}
	d.clockSelect(w, cfg.ClockSource)
	w.w(regCommonCtrl0HostRadioCtrl, 0) // the AGC drives the radios from now on
	// sx1302_init: end-of-packet timestamps (SX1301 compatible), GPIOs.
	w.w(regRxTopRxBufferLegacyTimestamp, 1)
	configureGPIO(w)
	configurePALNA(w, d.opts.FullDuplex)
	configureRadioFE(w)
	configureChannelizer(w, cfg)
	configureCorrelators(w, cfg)
	configureModems(w, driftFreq(cfg))
	if cfg.LoRaStd.Enable {
		configureLoRaStd(w, cfg.LoRaStd, driftFreq(cfg))
	}
	if cfg.FSK.Enable {
		configureFSK(w, cfg.FSK)
	}
	configureSyncWord(w, !cfg.PrivateSyncWord, lorastdSF(cfg))
	// Modems on: must precede the AGC/ARB start.
	w.w(regCommonGenConcentratorModemEnable, 1)
	w.w(regCommonGenMbwssfModemEnable, 1)
	w.w(regCommonGenFskModemEnable, 1)
	w.w(regCommonGenGlobalEn, 1)
	if w.err != nil {
		return w.err
	}
	if err := d.loadFirmware(mcuAGC, d.agcFW); err != nil {
		return err
	}
	if err := d.agcStart(ctx); err != nil {
		return err
	}
	if err := d.loadFirmware(mcuARB, d.arbFW); err != nil {
		return err
	}
	if err := d.arbStart(ctx); err != nil {
		return err
	}
	// sx1302_tx_configure for SX1250: AGC controls the PLL divider, TX to
	// the SX126x interface, modulation mode, data on rising edge.
	for rf := range hal.NumRFChains {
		w.tw(rf, regTxTopATxRffeIfCtrl2PllDivCtrlAgc, 1)
		w.tw(rf, regTxTopATxRffeIfCtrlTxIfDst, 1)
		w.tw(rf, regTxTopATxRffeIfCtrlTxMode, 1)
		w.tw(rf, regTxTopATxRffeIfCtrlTxClkEdge, 0)
	}
	// PPS capture on, polarity inverted.
	w.w(regTimestampGpsCtrlGpsEn, 1)
	w.w(regTimestampGpsCtrlGpsPol, 1)
	if w.err != nil {
		return w.err
	}
	d.inst, d.pps, d.ppsSeen = wrap27{}, wrap27{}, false
	var raw [4]byte
	if err := d.bus.readBurst(registers[regTimestampTimestampPpsMsb2TimestampPps].Addr, raw[:], false); err != nil {
		return err
	}
	d.ppsRaw0 = be32(raw[:])
	if _, _, err := d.readCounters(); err != nil {
		return err
	}
	w.w(regGpioGpioOutLOutValue, 1) // CONFIG_DONE LED
	return w.err
}

// resetBoard drives the power-enable and reset GPIOs like reset_lgw.sh.
func (d *Dev) resetBoard(ctx context.Context) error {
	const step = 100 * time.Millisecond
	if p := d.opts.PowerEnable; p != nil {
		if err := p.Out(gpio.High); err != nil {
			return fmt.Errorf("sx1302: power enable %s: %w", p, err)
		}
		if err := d.wait(ctx, step); err != nil {
			return err
		}
	}
	if p := d.opts.Reset; p != nil {
		for _, l := range []bool{true, false} {
			if err := p.Out(gpio.Level(l)); err != nil {
				return fmt.Errorf("sx1302: reset %s: %w", p, err)
			}
			if err := d.wait(ctx, step); err != nil {
				return err
			}
		}
	}
	return nil
}

// connect reads the chip version, model and EUI. A version of 0x00 or
// 0xFF means nothing answers on the bus (a check of ours: the HAL only
// prints the version).
func (d *Dev) connect() error {
	v, err := d.bus.readByte(registers[regCommonVersionVersion].Addr)
	if err != nil {
		return err
	}
	if v == 0x00 || v == 0xFF {
		return fmt.Errorf("sx1302: chip version 0x%02x: no SX1302 answering on the SPI bus", v)
	}
	d.version = v
	otp := func(a int32) (byte, error) {
		if err := d.bus.writeReg(registers[regOtpByteAddrAddr], a); err != nil {
			return 0, err
		}
		x, err := d.bus.readReg(registers[regOtpRdDataRdData])
		return byte(x), err
	}
	var eui uint64
	for i := range int32(8) {
		b, err := otp(i)
		if err != nil {
			return err
		}
		eui = eui<<8 | uint64(b)
	}
	d.eui = eui
	m, err := otp(0xD0)
	if err != nil {
		return err
	}
	d.model = m
	return nil
}

// radioReset resets one SX1250 through the SX1302 (sx1302_radio_reset).
func (d *Dev) radioReset(ctx context.Context, rf int) error {
	w := &regWriter{b: d.bus}
	w.w(regCommonCtrl0Clk32RifCtrl, 0) // SPI clock while the radio resets
	w.w(sel(rf, regAgcMcuRfEnARadioEn, regAgcMcuRfEnBRadioEn), 1)
	rst := sel(rf, regAgcMcuRfEnARadioRst, regAgcMcuRfEnBRadioRst)
	w.w(rst, 1)
	if w.err != nil {
		return w.err
	}
	if err := d.wait(ctx, 500*time.Millisecond); err != nil {
		return err
	}
	w.w(rst, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.wait(ctx, 10*time.Millisecond); err != nil {
		return err
	}
	w.w(rst, 1) // SX1250: wait for its auto calibration
	if w.err != nil {
		return w.err
	}
	return d.wait(ctx, 10*time.Millisecond)
}

// clockSelect clocks the SX1302 from radio rf (sx1302_radio_clock_select).
func (d *Dev) clockSelect(w *regWriter, rf int) {
	w.w(regClkCtrlClkSelClkRadioASel, int32(1-rf))
	w.w(regClkCtrlClkSelClkRadioBSel, int32(rf))
	w.w(regClkCtrlClkSelClkdivEn, 1)
	w.w(regCommonCtrl0Clk32RifCtrl, 1)
}

// radioCalibrate resets the enabled radios, selects the clock and runs the
// SX1250 image calibration with the front ends forced off
// (sx1302_radio_calibrate).
func (d *Dev) radioCalibrate(ctx context.Context, cfg *hal.Config) error {
	w := &regWriter{b: d.bus}
	for rf, r := range cfg.Radios {
		if !r.Enable {
			continue
		}
		if err := d.radioReset(ctx, rf); err != nil {
			return err
		}
		w.w(sel(rf, regCommonCtrl0Sx1261ModeRadioA, regCommonCtrl0Sx1261ModeRadioB), 1)
	}
	d.clockSelect(w, cfg.ClockSource)
	w.w(regAgcMcuCtrlForceHostFeCtrl, 1)
	w.w(regAgcMcuRfEnAPaEn, 0)
	w.w(regAgcMcuRfEnALnaEn, 0)
	if w.err != nil {
		return w.err
	}
	for rf, r := range cfg.Radios {
		if r.Enable {
			if err := d.sx1250Calibrate(ctx, rf, r.Freq); err != nil {
				return err
			}
		}
	}
	w.w(regAgcMcuCtrlForceHostFeCtrl, 0)
	return w.err
}

// configureGPIO routes the SX1302 GPIOs as the HAL does: 0 CONFIG_DONE,
// 2 TX on, 4 RX on, 7 LBT input (sx1302_config_gpio).
func configureGPIO(w *regWriter) {
	const reg, status, agc = 0, 1, 2 // GPIO_CFG_REGISTER, _STATUS, _AGC
	sels := [8]regID{
		regGpioGpioSel0Selection, regGpioGpioSel1Selection, regGpioGpioSel2Selection, regGpioGpioSel3Selection,
		regGpioGpioSel4Selection, regGpioGpioSel5Selection, regGpioGpioSel6Selection, regGpioGpioSel7Selection,
	}
	for i, v := range []int32{reg, reg, status, reg, status, reg, reg, agc} {
		w.w(sels[i], v)
	}
	w.w(regGpioGpioDirLDirection, 0x7F)
}

// configurePALNA sets the PA/LNA look-up tables (sx1302_pa_lna_lut_configure).
func configurePALNA(w *regWriter, fullDuplex bool) {
	if fullDuplex {
		w.w(regAgcMcuLutTableAPaLut, 0x0C)
		w.w(regAgcMcuLutTableALnaLut, 0x0F)
	} else {
		w.w(regAgcMcuLutTableAPaLut, 0x04)
		w.w(regAgcMcuLutTableALnaLut, 0x02)
	}
	w.w(regAgcMcuLutTableBPaLut, 0x04)
	w.w(regAgcMcuLutTableBLnaLut, 0x02)
}

// configureRadioFE sets the RSSI filters and DC notch of both radio front
// ends (sx1302_radio_fe_configure).
func configureRadioFE(w *regWriter) {
	w.w(regRadioFeRssiBbFilterAlphaRadioARssiBbFilterAlpha, 0x03)
	w.w(regRadioFeRssiDecFilterAlphaRadioARssiDecFilterAlpha, 0x07)
	w.w(regRadioFeRssiBbFilterAlphaRadioBRssiBbFilterAlpha, 0x03)
	w.w(regRadioFeRssiDecFilterAlphaRadioBRssiDecFilterAlpha, 0x07)
	w.w(regRadioFeRssiDbDefRadioARssiDbDefaultValue, 23)
	w.w(regRadioFeRssiDecDefRadioARssiDecDefaultValue, 66)
	w.w(regRadioFeRssiDbDefRadioBRssiDbDefaultValue, 23)
	w.w(regRadioFeRssiDecDefRadioBRssiDecDefaultValue, 66)
	w.w(regRadioFeCtrl0RadioADcNotchEn, 1)
	w.w(regRadioFeCtrl0RadioAHostFilterGain, 0x0b)
	w.w(regRadioFeCtrl0RadioBDcNotchEn, 1)
	w.w(regRadioFeCtrl0RadioBHostFilterGain, 0x0b)
}

// IFFreqReg converts an IF offset in Hz to the channelizer's 13-bit
// register value (IF_HZ_TO_REG: f·32/15625, truncated toward zero).
func IFFreqReg(hz int32) int32 { return hz * 32 / 15625 }

// ifOf returns the IF offset of an enabled chain, 0 for a disabled one.
func ifOf(ch hal.IFChain) int32 {
	if !ch.Enable {
		return 0
	}
	return ch.IF
}

// configureChannelizer assigns channels to radios and sets their IF
// frequencies and gain control (sx1302_channelizer_configure, AGC gain).
func configureChannelizer(w *regWriter, cfg *hal.Config) {
	var mask int32
	for i, ch := range cfg.MultiSF {
		mask |= int32(ch.RFChain&1) << i
	}
	w.w(regRxTopRadioSelectRadioSelect, mask)
	w.w(regRxTopLoraServiceFskLoraServiceRadioSelRadioSelect, int32(cfg.LoRaStd.RFChain&1))
	w.w(regRxTopLoraServiceFskFskCfg3RadioSelect, int32(cfg.FSK.RFChain&1))
	for i, ch := range cfg.MultiSF {
		f := IFFreqReg(ifOf(ch))
		w.w(ifFreqRegs[i][0], f>>8&0x1F)
		w.w(ifFreqRegs[i][1], f&0xFF)
	}
	f := IFFreqReg(ifOf(cfg.LoRaStd))
	w.w(regRxTopLoraServiceFskLoraServiceFreqMsbIfFreq0, f>>8&0x1F)
	w.w(regRxTopLoraServiceFskLoraServiceFreqLsbIfFreq0, f&0xFF)
	f = IFFreqReg(ifOf(cfg.FSK))
	w.w(regRxTopLoraServiceFskFskFreqMsbIfFreq0, f>>8&0x1F)
	w.w(regRxTopLoraServiceFskFskFreqLsbIfFreq0, f&0xFF)
	w.w(regRxTopRssiControlRssiFilterAlpha, 0x05)
	w.w(regRxTopRssiDefValueChanRssiDefValue, 85)
	w.w(regRxTopChannDagcCfg5ChanDagcMode, 1) // gains controlled by the AGC
	w.w(regRxTopChannDagcCfg1ChanDagcThresholdHigh, 255)
	w.w(regRxTopChannDagcCfg2ChanDagcThresholdLow, 0)
	w.w(regRxTopChannDagcCfg3ChanDagcMaxAtten, 15)
	w.w(regRxTopChannDagcCfg3ChanDagcMinAtten, 0)
}

// configureCorrelators sets the multi-SF correlators and enables one per
// enabled channel (sx1302_lora_correlator_configure).
func configureCorrelators(w *regWriter, cfg *hal.Config) {
	for _, r := range sfCfgRegs { // SF5..SF12
		w.w(r[0], 52) // ACC_PNR
		w.w(r[1], 24) // MSP_PNR
		w.w(r[2], 7)  // MSP_PEAK_NB
		w.w(r[3], 5)  // MSP2_PEAK_NB
	}
	w.w(regRxTopCorrelatorEnableOnlyFirstDetEdgeEnableOnlyFirstDetEdge, 0xFF)
	w.w(regRxTopCorrelatorEnableAccClearEnableCorrAccClear, 0xFF)
	w.w(regRxTopCorrelatorSfEnCorrSfEn, 0xFF) // SF5..SF12
	var mask int32
	for i, ch := range cfg.MultiSF {
		if ch.Enable {
			mask |= 1 << i
		}
	}
	w.w(regRxTopCorrClockEnableClkEn, mask)
	w.w(regRxTopCorrelatorEnCorrEn, mask)
}

// driftFreq is the radio frequency the HAL uses for the modems'
// frequency-to-time drift: radio_0's (radio_1's when radio_0 is off, where
// the HAL would divide by zero).
func driftFreq(cfg *hal.Config) uint32 {
	if cfg.Radios[0].Enable {
		return cfg.Radios[0].Freq
	}
	return cfg.Radios[1].Freq
}

// freqToTimeDrift returns the mantissa and exponent of bw·2^20/freq,
// normalised so that the mantissa is at least 2048
// (calculate_freq_to_time_drift).
func freqToTimeDrift(freq, bw uint32) (mant uint16, exp uint8) {
	m := uint64(bw) << 20 / uint64(freq)
	for m < 2048 {
		exp++
		m <<= 1
	}
	return uint16(m), exp
}

// configureModems tunes the multi-SF modems (sx1302_lora_modem_configure).
func configureModems(w *regWriter, radioFreq uint32) {
	const trackAuto, trackOff, fineLinear = 3, 0, 1 // RX_FREQ_TRACK_AUTO/OFF, RX_FINE_TIMING_MODE_LINEAR
	w.w(regRxTopDcNotchCfg1Enable, 0)
	w.w(regRxTopRxDfeAgc1ForceDefaultFir, 1)
	w.w(regRxTopDagcCfgGainDropComp, 1)
	w.w(regRxTopDagcCfgTargetLvl, 1)
	w.w(regOtpModemEn0ModemEn, 0xFF)
	w.w(regOtpModemEn1ModemEn, 0xFF)
	w.w(regRxTopModemSyncDeltaMsbModemSyncDelta, 0)
	w.w(regRxTopModemSyncDeltaLsbModemSyncDelta, 126)
	for i, v := range []int32{1, 5, 9, 13, 1, 5, 9, 13} {
		w.w(syncOffsetRegs[i], v)
	}
	for i, v := range []int32{0, 0, 0, 0, 0, 0, 1, 1} { // SF5..SF12
		w.w(ppmOffsetRegs[i], v)
	}
	w.w(regRxTopFineTimingA1GainPAuto, 3)
	w.w(regRxTopFineTimingA1GainPPayload, 3)
	w.w(regRxTopFineTimingA5GainIEnSf11, 1)
	w.w(regRxTopFineTimingA5GainIEnSf12, 1)
	w.w(regRxTopFreqTrack4FreqSynchThr, 15)
	for i := range 8 {
		w.w(freqTrackARegs[i], trackAuto)
	}
	for i := range 8 {
		w.w(freqTrackBRegs[i], trackOff)
	}
	w.w(regRxTopFineTimingB5GainIEnSf11, 0)
	w.w(regRxTopFineTimingB5GainIEnSf12, 0)
	w.w(regRxTopFineTimingB0Rounding, 1)
	w.w(regRxTopFineTimingB0Mode, fineLinear)
	w.w(regRxTopFineTimingB1GainPAuto, 0)
	w.w(regRxTopFineTimingB1GainPPreamb, 6)
	w.w(regRxTopFineTimingB1GainPPayload, 2)
	w.w(regRxTopFineTimingB2GainIAuto, 0)
	w.w(regRxTopFineTimingB2GainIPreamb, 1)
	w.w(regRxTopFineTimingB2GainIPayload, 0)
	w.w(regRxTopTxrxCfg7PreambleSymbNb, 0)
	w.w(regRxTopTxrxCfg6PreambleSymbNb, 10)
	mant, exp := freqToTimeDrift(radioFreq, hal.BW125)
	w.w(regRxTopFreqToTime0FreqToTimeDriftMant, int32(mant>>8))
	w.w(regRxTopFreqToTime1FreqToTimeDriftMant, int32(mant&0xFF))
	w.w(regRxTopFreqToTime2FreqToTimeDriftExp, int32(exp))
	w.w(regRxTopFreqToTime3FreqToTimeInvertTimeSymb, 1)
	w.w(regRxTopRxCfg0DftPeakEn, 3) // RX_DFT_PEAK_MODE_AUTO
}

// Register lists the modem configuration walks.
var (
	syncOffsetRegs = [8]regID{
		regArbMcuChannelSyncOffset01Channel0Offset, regArbMcuChannelSyncOffset01Channel1Offset,
		regArbMcuChannelSyncOffset23Channel2Offset, regArbMcuChannelSyncOffset23Channel3Offset,
		regArbMcuChannelSyncOffset45Channel4Offset, regArbMcuChannelSyncOffset45Channel5Offset,
		regArbMcuChannelSyncOffset67Channel6Offset, regArbMcuChannelSyncOffset67Channel7Offset,
	}
	ppmOffsetRegs = [8]regID{
		regRxTopModemPpmOffset1PpmOffsetSf5, regRxTopModemPpmOffset1PpmOffsetSf6,
		regRxTopModemPpmOffset1PpmOffsetSf7, regRxTopModemPpmOffset1PpmOffsetSf8,
		regRxTopModemPpmOffset2PpmOffsetSf9, regRxTopModemPpmOffset2PpmOffsetSf10,
		regRxTopModemPpmOffset2PpmOffsetSf11, regRxTopModemPpmOffset2PpmOffsetSf12,
	}
	freqTrackARegs = [8]regID{
		regRxTopFreqTrackA0FreqTrackEnSf5, regRxTopFreqTrackA0FreqTrackEnSf6,
		regRxTopFreqTrackA0FreqTrackEnSf7, regRxTopFreqTrackA0FreqTrackEnSf8,
		regRxTopFreqTrackA1FreqTrackEnSf9, regRxTopFreqTrackA1FreqTrackEnSf10,
		regRxTopFreqTrackA1FreqTrackEnSf11, regRxTopFreqTrackA1FreqTrackEnSf12,
	}
	ifFreqRegs = [8][2]regID{
		{regRxTopFreq0MsbIfFreq0, regRxTopFreq0LsbIfFreq0},
		{regRxTopFreq1MsbIfFreq1, regRxTopFreq1LsbIfFreq1},
		{regRxTopFreq2MsbIfFreq2, regRxTopFreq2LsbIfFreq2},
		{regRxTopFreq3MsbIfFreq3, regRxTopFreq3LsbIfFreq3},
		{regRxTopFreq4MsbIfFreq4, regRxTopFreq4LsbIfFreq4},
		{regRxTopFreq5MsbIfFreq5, regRxTopFreq5LsbIfFreq5},
		{regRxTopFreq6MsbIfFreq6, regRxTopFreq6LsbIfFreq6},
		{regRxTopFreq7MsbIfFreq7, regRxTopFreq7LsbIfFreq7},
	}
	sfCfgRegs = [8][4]regID{
		{regRxTopSf5Cfg2AccPnr, regRxTopSf5Cfg4MspPnr, regRxTopSf5Cfg6MspPeakNb, regRxTopSf5Cfg7Msp2PeakNb},
		{regRxTopSf6Cfg2AccPnr, regRxTopSf6Cfg4MspPnr, regRxTopSf6Cfg6MspPeakNb, regRxTopSf6Cfg7Msp2PeakNb},
		{regRxTopSf7Cfg2AccPnr, regRxTopSf7Cfg4MspPnr, regRxTopSf7Cfg6MspPeakNb, regRxTopSf7Cfg7Msp2PeakNb},
		{regRxTopSf8Cfg2AccPnr, regRxTopSf8Cfg4MspPnr, regRxTopSf8Cfg6MspPeakNb, regRxTopSf8Cfg7Msp2PeakNb},
		{regRxTopSf9Cfg2AccPnr, regRxTopSf9Cfg4MspPnr, regRxTopSf9Cfg6MspPeakNb, regRxTopSf9Cfg7Msp2PeakNb},
		{regRxTopSf10Cfg2AccPnr, regRxTopSf10Cfg4MspPnr, regRxTopSf10Cfg6MspPeakNb, regRxTopSf10Cfg7Msp2PeakNb},
		{regRxTopSf11Cfg2AccPnr, regRxTopSf11Cfg4MspPnr, regRxTopSf11Cfg6MspPeakNb, regRxTopSf11Cfg7Msp2PeakNb},
		{regRxTopSf12Cfg2AccPnr, regRxTopSf12Cfg4MspPnr, regRxTopSf12Cfg6MspPeakNb, regRxTopSf12Cfg7Msp2PeakNb},
	}
	fskRefPatternRegs = [8]regID{
		regRxTopLoraServiceFskFskRefPatternByte0FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte1FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte2FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte3FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte4FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte5FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte6FskRefPattern,
		regRxTopLoraServiceFskFskRefPatternByte7FskRefPattern,
	}
	freqTrackBRegs = [8]regID{
		regRxTopFreqTrackB0FreqTrackEnSf5, regRxTopFreqTrackB0FreqTrackEnSf6,
		regRxTopFreqTrackB0FreqTrackEnSf7, regRxTopFreqTrackB0FreqTrackEnSf8,
		regRxTopFreqTrackB1FreqTrackEnSf9, regRxTopFreqTrackB1FreqTrackEnSf10,
		regRxTopFreqTrackB1FreqTrackEnSf11, regRxTopFreqTrackB1FreqTrackEnSf12,
	}
)

// bwCode returns the HAL's bandwidth code (BW_125KHZ 0x04, 250 0x05, 500
// 0x06), 0 for any other bandwidth.
func bwCode(bw uint32) int32 {
	switch bw {
	case hal.BW125:
		return 4
	case hal.BW250:
		return 5
	case hal.BW500:
		return 6
	}
	return 0
}

// lorastdSF is the single-SF channel's spreading factor (the HAL's
// default SF7 when the channel is off).
func lorastdSF(cfg *hal.Config) int {
	if cfg.LoRaStd.Enable {
		return cfg.LoRaStd.SpreadingFactor
	}
	return 7
}

// configureLoRaStd sets up the single-SF LoRa channel, explicit header
// (sx1302_lora_service_correlator_configure and _modem_configure).
func configureLoRaStd(w *regWriter, ch hal.IFChain, radioFreq uint32) {
	sf := ch.SpreadingFactor
	w.w(regRxTopLoraServiceFskDetectMsp2MspPeakNb, 7)
	w.w(regRxTopLoraServiceFskDetectMsp2Msp2PeakNb, 5)
	w.w(regRxTopLoraServiceFskDetectAcc1UseGainSymb, 1)
	w.w(regRxTopLoraServiceFskTxrxCfg2FineSynchEn, int32(bit(sf <= 6)))
	w.w(regRxTopLoraServiceFskDetectAcc1AccPnr, 52)

	w.w(regRxTopLoraServiceFskDcNotchCfg1Enable, 0)
	w.w(regRxTopLoraServiceFskRxDfeAgc1ForceDefaultFir, 1)
	w.w(regRxTopLoraServiceFskDagcCfgGainDropComp, 1)
	w.w(regRxTopLoraServiceFskDagcCfgTargetLvl, 1)
	w.w(regRxTopLoraServiceFskFineTiming1GainPAuto, 3)
	w.w(regRxTopLoraServiceFskFineTiming2GainIPayload, 3)
	switch {
	case sf <= 6:
		w.w(regRxTopLoraServiceFskFineTiming1GainPPreamb, 4)
		w.w(regRxTopLoraServiceFskFineTiming2GainIEn, 0)
	case sf <= 10:
		w.w(regRxTopLoraServiceFskFineTiming1GainPPreamb, 6)
		w.w(regRxTopLoraServiceFskFineTiming2GainIEn, 0)
	default:
		w.w(regRxTopLoraServiceFskFineTiming1GainPPreamb, 7)
		w.w(regRxTopLoraServiceFskFineTiming2GainIEn, bwCode(ch.Bandwidth)-3) // 125→1, 250→2, 500→3
	}
	w.w(regRxTopLoraServiceFskTxrxCfg2ImplicitHeader, 0)
	w.w(regRxTopLoraServiceFskTxrxCfg2CrcEn, 0)
	w.w(regRxTopLoraServiceFskTxrxCfg1CodingRate, 0)
	w.w(regRxTopLoraServiceFskTxrxCfg3PayloadLength, 0)
	w.w(regRxTopLoraServiceFskTxrxCfg0ModemSf, int32(sf))
	w.w(regRxTopLoraServiceFskTxrxCfg0ModemBw, bwCode(ch.Bandwidth))
	w.w(regRxTopLoraServiceFskTxrxCfg1PpmOffset, int32(bit(sx130x.PPMOn(ch.Bandwidth, sf))))
	preamble := int32(8)
	if sf <= 6 {
		preamble = 12
	}
	w.w(regRxTopLoraServiceFskTxrxCfg7PreambleSymbNb, preamble>>8)
	w.w(regRxTopLoraServiceFskTxrxCfg6PreambleSymbNb, preamble&0xFF)
	mant, exp := freqToTimeDrift(radioFreq, ch.Bandwidth)
	w.w(regRxTopLoraServiceFskFreqToTime0FreqToTimeDriftMant, int32(mant>>8))
	w.w(regRxTopLoraServiceFskFreqToTime1FreqToTimeDriftMant, int32(mant&0xFF))
	w.w(regRxTopLoraServiceFskFreqToTime2FreqToTimeDriftExp, int32(exp))
	w.w(regRxTopLoraServiceFskFreqToTime3FreqToTimeInvertTimeSymb, 1)
	w.w(regRxTopLoraServiceFskRxDfeAgc2DagcInComp, 1)
	w.w(regRxTopLoraServiceFskTxrxCfg1ModemEn, 1)
	w.w(regRxTopLoraServiceFskTxrxCfg2Cadrxtx, 1)
	w.w(regRxTopLoraServiceFskTxrxCfg2ModemStart, 1)
	w.w(regRxTopLoraServiceFskRxCfg0DftPeakEn, 3)
}

// FSK sync word the HAL configures by default (lgw_context.fsk_cfg).
const (
	fskSyncWord     = 0xC194C1
	fskSyncWordSize = 3
)

// configureFSK sets up the FSK channel (sx1302_fsk_configure).
func configureFSK(w *regWriter, ch hal.IFChain) {
	w.w(regRxTopLoraServiceFskFskCfg1Psize, fskSyncWordSize-1)
	sw := uint64(fskSyncWord) << (8 * (8 - fskSyncWordSize))
	for i, r := range fskRefPatternRegs {
		w.w(r, int32(byte(sw>>(8*i))))
	}
	br := 32_000_000 / ch.DataRate
	w.w(regRxTopLoraServiceFskBitRateMsbBitRate, int32(byte(br>>8)))
	w.w(regRxTopLoraServiceFskBitRateLsbBitRate, int32(byte(br)))
	w.w(regRxTopLoraServiceFskFskCfg1ChBwExpo, 3) // 125 kHz
	w.w(regRxTopLoraServiceFskFskCfg3RxInvert, 0)
	w.w(regRxTopLoraServiceFskFskCfg3ModemInvertIq, 0)
	w.w(regRxTopLoraServiceFskFskCfg4RssiLength, 4)
	w.w(regRxTopLoraServiceFskFskCfg0PktMode, 1) // variable length
	w.w(regRxTopLoraServiceFskFskCfg0CrcEn, 1)
	w.w(regRxTopLoraServiceFskFskCfg0DcfreeEnc, 2)
	w.w(regRxTopLoraServiceFskFskCfg0CrcIbm, 0)
	w.w(regRxTopLoraServiceFskFskCfg4ErrorOsrTol, 10)
	w.w(regRxTopLoraServiceFskFskPktLengthPktLength, 255)
	w.w(regRxTopLoraServiceFskFskNodeAdrsNodeAdrs, 0)
	w.w(regRxTopLoraServiceFskFskBroadcastBroadcast, 0)
	w.w(regRxTopLoraServiceFskFskCfg3AutoAfc, 1)
	w.w(regRxTopLoraServiceFskFskTimeoutMsbTimeout, 0)
	w.w(regRxTopLoraServiceFskFskTimeoutLsbTimeout, 128)
}

// configureSyncWord sets the frame sync peaks: LoRaWAN public (0x34) or
// private (0x12) (sx1302_lora_syncword).
func configureSyncWord(w *regWriter, public bool, stdSF int) {
	w.w(regRxTopFrameSynch0Sf5Peak1PosSf5, 2)
	w.w(regRxTopFrameSynch1Sf5Peak2PosSf5, 4)
	w.w(regRxTopFrameSynch0Sf6Peak1PosSf6, 2)
	w.w(regRxTopFrameSynch1Sf6Peak2PosSf6, 4)
	p1, p2 := int32(2), int32(4)
	if public {
		p1, p2 = 6, 8
	}
	w.w(regRxTopFrameSynch0Sf7to12Peak1PosSf7to12, p1)
	w.w(regRxTopFrameSynch1Sf7to12Peak2PosSf7to12, p2)
	if !public || stdSF <= 6 {
		p1, p2 = 2, 4
	}
	w.w(regRxTopLoraServiceFskFrameSynch0Peak1Pos, p1)
	w.w(regRxTopLoraServiceFskFrameSynch1Peak2Pos, p2)
}
