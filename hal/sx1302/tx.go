package sx1302

import (
	"context"
	"fmt"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// TX_FSM_STATUS values (sx1302_tx_status).
const (
	txStatusFree = 0x80
)

func txEmitting(s byte) bool  { return s == 0x30 || s == 0x50 || s == 0x60 || s == 0x70 }
func txScheduled(s byte) bool { return s == 0x91 || s == 0x92 }

// txStartDelayDefault is TX_START_DELAY_DEFAULT (µs, calibrated for 500 kHz).
const txStartDelayDefault = 1500

// TxStartDelay returns the TX start delay in 32 MHz ticks the driver
// writes for a LoRa frame on an SX1250 radio, and subtracts from a
// timestamped frame's trigger count (sx1302_tx_set_start_delay).
func TxStartDelay(bw uint32, sf int) uint16 {
	var radio uint32
	switch bw {
	case hal.BW125:
		radio = 19
	case hal.BW250:
		radio = 24
	case hal.BW500:
		radio = 21
	default:
		return 0
	}
	lowpass := chirpLowpass(sf)
	filter := ((1 << lowpass) - 1) * 1_000_000 / bw
	modem := 8 * (1_000_000 / bw)
	return uint16(txStartDelayDefault*32 - (radio + filter + modem))
}

// chirpLowpass is the TX chirp filter setting (6 below SF10, else 7).
func chirpLowpass(sf int) uint32 {
	if sf < 10 {
		return 6
	}
	return 7
}

// SX1302FreqReg converts a frequency in Hz to the SX1302 TX register
// units (f·2^18/32 MHz, SX1302_FREQ_TO_REG).
func SX1302FreqReg(hz uint32) uint32 { return uint32(uint64(hz) << 18 / 32_000_000) }

// gainFor returns the LUT row for a requested power: the last row whose
// RFPower is not above it, or row 0 (the HAL's search).
func gainFor(lut []TxGain, power int8) TxGain {
	i := len(lut) - 1
	for ; i > 0; i-- {
		if lut[i].RFPower <= power {
			break
		}
	}
	return lut[i]
}

// Send queues a LoRa frame in its RF chain's TX buffer and triggers it,
// at once or at tx.CountUS. The chip has one TX buffer per RF chain: a
// second frame for a chain waits for the first to leave (hal.ErrBusy). FSK
// transmission is not supported by this driver.
func (d *Dev) Send(ctx context.Context, tx hal.TxPacket) error { return d.core.Send(ctx, tx) }

// checkTx refuses the frames this driver cannot send.
func checkTx(tx *hal.TxPacket) error {
	if tx.Modulation != hal.ModulationLoRa {
		return fmt.Errorf("%w: sx1302: tx: %s transmission is not supported by this driver", hal.ErrInvalid, tx.Modulation)
	}
	return nil
}

// writeTX programs RF chain rf for a LoRa frame, fills its buffer and
// triggers it (sx1302_send, LoRa on SX1250).
func (d *Dev) writeTX(rf int, tx *hal.TxPacket) error {
	w := &regWriter{b: d.bus}
	w.tw(rf, regTxTopAGenCfg0ModulationType, 0)
	w.tw(rf, regTxTopATxRffeIfCtrlTxIfSrc, 1) // LoRa modem
	g := gainFor(d.opts.TxGainLUT[rf], tx.Power)
	w.tw(rf, regTxTopATxRffeIfIOffsetIOffset, 0)
	w.tw(rf, regTxTopATxRffeIfQOffsetQOffset, 0)
	w.tw(rf, regTxTopAAgcTxPwrAgcTxPwr, int32(bit(g.PAGain > 0))<<6|int32(g.PwrIdx))
	w.tw(rf, regTxTopATxRffeIfIqGainIqGain, int32(g.DigGain))
	f := SX1302FreqReg(tx.Freq)
	w.tw(rf, regTxTopATxRffeIfFreqRfHFreqRf, int32(byte(f>>16)))
	w.tw(rf, regTxTopATxRffeIfFreqRfMFreqRf, int32(byte(f>>8)))
	w.tw(rf, regTxTopATxRffeIfFreqRfLFreqRf, int32(byte(f)))
	bw := bwCode(tx.Bandwidth)
	w.tw(rf, regTxTopAAgcTxBwAgcTxBw, bw)
	dev := SX1302FreqReg(tx.Bandwidth / 2)
	w.tw(rf, regTxTopATxRffeIfFreqDevHFreqDev, int32(byte(dev>>8)))
	w.tw(rf, regTxTopATxRffeIfFreqDevLFreqDev, int32(byte(dev)))
	w.tw(rf, regTxTopATxrxCfg00ModemBw, bw)
	pre := int32(tx.PreambleLength())
	w.tw(rf, regTxTopATxrxCfg13PreambleSymbNb, pre>>8&0xFF)
	w.tw(rf, regTxTopATxrxCfg12PreambleSymbNb, pre&0xFF)
	w.tw(rf, regTxTopATxrxCfg00ModemSf, int32(tx.SpreadingFactor))
	w.tw(rf, regTxTopATxCfg00ChirpLowpass, int32(chirpLowpass(tx.SpreadingFactor)))
	w.tw(rf, regTxTopATxrxCfg01CodingRate, int32(tx.CodeRate)-4)
	w.tw(rf, regTxTopATxrxCfg02ModemEn, 1)
	w.tw(rf, regTxTopATxrxCfg02Cadrxtx, 2)
	w.tw(rf, regTxTopATxrxCfg11ModemStart, 1)
	w.tw(rf, regTxTopATxCfg00Continuous, 0)
	w.tw(rf, regTxTopATxCfg00ChirpInvert, int32(bit(tx.InvertPol)))
	w.tw(rf, regTxTopATxrxCfg02ImplicitHeader, int32(bit(tx.NoHeader)))
	w.tw(rf, regTxTopATxrxCfg02CrcEn, int32(bit(!tx.NoCRC)))
	p1, p2 := int32(6), int32(8) // public sync word, SF7..12
	if d.core.Config().PrivateSyncWord || tx.SpreadingFactor <= 6 {
		p1, p2 = 2, 4
	}
	w.tw(rf, regTxTopAFrameSynch0Peak1Pos, p1)
	w.tw(rf, regTxTopAFrameSynch1Peak2Pos, p2)
	w.tw(rf, regTxTopATxrxCfg02FineSynchEn, int32(bit(tx.SpreadingFactor <= 6)))
	w.tw(rf, regTxTopATxrxCfg03PayloadLength, int32(len(tx.Payload)))
	w.tw(rf, regTxTopATxrxCfg01PpmOffsetHdrCtrl, 0)
	w.tw(rf, regTxTopATxrxCfg01PpmOffset, int32(bit(sx130x.PPMOn(tx.Bandwidth, tx.SpreadingFactor))))
	if w.err != nil {
		return w.err
	}
	delay := TxStartDelay(tx.Bandwidth, tx.SpreadingFactor)
	if err := d.bus.writeBurst(txReg(rf, regTxTopATxStartDelayMsbTxStartDelay).Addr, []byte{byte(delay >> 8), byte(delay)}); err != nil {
		return err
	}
	w.tw(rf, regTxTopATxCtrlWriteBuffer, 1)
	if w.err != nil {
		return w.err
	}
	mem := uint16(TXBufferA)
	if rf == 1 {
		mem = TXBufferB
	}
	if err := d.bus.writeBurst(mem, tx.Payload); err != nil {
		return err
	}
	w.tw(rf, regTxTopATxCtrlWriteBuffer, 0)
	if tx.Mode == hal.TxTimestamped {
		trig := tx.CountUS*32 - uint32(delay)
		w.tw(rf, regTxTopATimerTrigByte0TimerDelayedTrig, int32(byte(trig)))
		w.tw(rf, regTxTopATimerTrigByte1TimerDelayedTrig, int32(byte(trig>>8)))
		w.tw(rf, regTxTopATimerTrigByte2TimerDelayedTrig, int32(byte(trig>>16)))
		w.tw(rf, regTxTopATimerTrigByte3TimerDelayedTrig, int32(byte(trig>>24)))
		w.tw(rf, regTxTopATxTrigTxTrigDelayed, 0) // reset the state machine
		w.tw(rf, regTxTopATxTrigTxTrigDelayed, 1)
	} else {
		w.tw(rf, regTxTopATxTrigTxTrigImmediate, 0)
		w.tw(rf, regTxTopATxTrigTxTrigImmediate, 1)
	}
	return w.err
}

// txStatus reads RF chain rf's TX state machine.
func (d *Dev) txStatus(rf int) (byte, error) {
	v, err := d.bus.readReg(txReg(rf, regTxTopATxFsmStatusTxStatus))
	return byte(v), err
}

// txState reads RF chain rf's TX state machine for the core: free,
// scheduled or emitting (sx1302_tx_status).
func (d *Dev) txState(rf int) (sx130x.TxState, error) {
	st, err := d.txStatus(rf)
	switch {
	case err != nil:
		return 0, err
	case txEmitting(st):
		return sx130x.TxEmitting, nil
	case txScheduled(st):
		return sx130x.TxScheduled, nil
	case st == txStatusFree:
		return sx130x.TxFree, nil
	}
	return 0, fmt.Errorf("sx1302: radio_%d: unknown tx status 0x%02x", rf, st)
}

// abortTX clears RF chain rf's triggers and waits for its state machine
// to be free (sx1302_tx_abort, 1 s timeout by default).
func (d *Dev) abortTX(ctx context.Context, rf int) error {
	w := &regWriter{b: d.bus}
	w.tw(rf, regTxTopATxTrigTxTrigImmediate, 0)
	w.tw(rf, regTxTopATxTrigTxTrigDelayed, 0)
	w.tw(rf, regTxTopATxTrigTxTrigGps, 0)
	if w.err != nil {
		return w.err
	}
	n := int(d.opts.MCUTimeout / mcuPoll)
	for range n + 1 {
		st, err := d.txStatus(rf)
		if err != nil {
			return err
		}
		if st == txStatusFree {
			return nil
		}
		if err := d.wait(ctx, mcuPoll); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: radio_%d: tx abort: state machine not free after %v", ErrTimeout, rf, d.opts.MCUTimeout)
}
