package sx1301

import (
	"context"
	"fmt"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// TX_STATUS bits (lgw_status): bit 4 a frame is programmed, bits 5 and 6
// it is being emitted.
const (
	txProgrammed = 0x10
	txEmitting   = 0x60
)

// gainIndex returns the gain table row for a requested power: the last
// row whose RFPower is not above it, or row 0 (lgw_send's search).
func gainIndex(lut []TxGain, power int8) int {
	i := len(lut) - 1
	for ; i > 0; i-- {
		if lut[i].RFPower <= power {
			break
		}
	}
	return i
}

// bwCodeTx is the TX header's bandwidth code.
func bwCodeTx(bw uint32) uint8 {
	switch bw {
	case hal.BW250:
		return 1
	case hal.BW500:
		return 2
	}
	return 0
}

// Frequency deviation limits of an FSK frame in kHz (lgw_send).
const (
	minFSKDevKHz = 1
	maxFSKDevKHz = 200
	minFSKPre    = 3 // MIN_FSK_PREAMBLE
)

// buildTx returns the TX data buffer contents for a frame (lgw_send): the
// 16-byte header, then the payload (for FSK, preceded by its length).
func (d *Dev) buildTx(tx *hal.TxPacket, powIdx int, delay uint16) ([]byte, error) {
	h := TxHeader{
		FreqReg:    SX125xFreqReg(d.radioType, tx.Freq),
		RFChain:    uint8(tx.RFChain),
		PowerIndex: uint8(powIdx),
		Size:       uint8(len(tx.Payload)),
		CRC:        !tx.NoCRC,
	}
	if tx.Mode == hal.TxTimestamped {
		h.Trigger = tx.CountUS - uint32(delay)
	}
	pre := tx.PreambleLength()
	if tx.Modulation == hal.ModulationFSK {
		h.FSK = true
		h.FreqDevKHz = uint8(tx.FreqDeviation / 1000)
		h.BitRateDiv = uint16(32_000_000 / tx.DataRate)
		h.Preamble = uint16(max(pre, minFSKPre))
	} else {
		h.SpreadingFactor = uint8(tx.SpreadingFactor)
		h.CodingRate = uint8(tx.CodeRate) - 4
		h.Bandwidth = bwCodeTx(tx.Bandwidth)
		h.ImplicitHeader = tx.NoHeader
		h.PPMOffset = sx130x.PPMOn(tx.Bandwidth, tx.SpreadingFactor)
		h.InvertPol = tx.InvertPol
		h.WideFilter = tx.Bandwidth == hal.BW500
		h.NotchFilter = tx.Bandwidth == hal.BW125
		h.Preamble = uint16(pre)
	}
	b, err := h.MarshalBinary()
	if err != nil {
		return nil, err
	}
	if h.FSK {
		b = append(b, h.Size)
	}
	return append(b, tx.Payload...), nil
}

// Send queues a frame in the chip's TX buffer and triggers it, at once or
// at tx.CountUS (lgw_send). The SX1301 has one TX buffer for both radios:
// a second frame waits for the first to leave (hal.ErrBusy).
func (d *Dev) Send(ctx context.Context, tx hal.TxPacket) error { return d.core.Send(ctx, tx) }

// checkTx applies lgw_send's FSK frequency deviation limits.
func checkTx(tx *hal.TxPacket) error {
	if tx.Modulation == hal.ModulationFSK {
		if k := tx.FreqDeviation / 1000; k < minFSKDevKHz || k > maxFSKDevKHz {
			return fmt.Errorf("%w: sx1301: fsk frequency deviation %d Hz outside 1..200 kHz", hal.ErrInvalid, tx.FreqDeviation)
		}
	}
	return nil
}

// writeTX programs the calibration offsets and digital gain of the power
// row, the start delay, the buffer and the trigger (lgw_send).
func (d *Dev) writeTX(tx *hal.TxPacket) error {
	lut := d.opts.TxGainLUT
	idx := gainIndex(lut, tx.Power)
	g := lut[idx]
	off := d.txOffsets[tx.RFChain&1]
	delay := TxStartDelay(tx.Modulation == hal.ModulationFSK, tx.Bandwidth)
	buf, err := d.buildTx(tx, idx, delay)
	if err != nil {
		return err
	}
	w := &regWriter{b: d.bus}
	w.w(regTxOffsetI, int32(off[0][g.MixGain-8]))
	w.w(regTxOffsetQ, int32(off[1][g.MixGain-8]))
	w.w(regTxGain, int32(g.DigGain))
	w.w(regTxStartDelay, int32(delay))
	w.w(regTxTrigAll, 0) // lgw_abort_tx: reset the command flags
	w.w(regTxDataBufAddr, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.bus.writeData(registers[regTxDataBufData], buf); err != nil {
		return err
	}
	if tx.Mode == hal.TxTimestamped {
		w.w(regTxTrigDelayed, 1)
	} else {
		w.w(regTxTrigImmediate, 1)
	}
	return w.err
}

// abortTX clears the TX command flags (lgw_abort_tx).
func (d *Dev) abortTX() error { return d.bus.writeReg(registers[regTxTrigAll], 0) }

// txState reads TX_STATUS for the core (lgw_status): programmed and on
// air, programmed and waiting for its trigger, or free.
func (d *Dev) txState() (sx130x.TxState, error) {
	st, err := d.bus.readReg(registers[regTxStatus])
	switch {
	case err != nil:
		return 0, err
	case st&txProgrammed != 0 && st&txEmitting != 0:
		return sx130x.TxEmitting, nil
	case st&txProgrammed != 0:
		return sx130x.TxScheduled, nil
	}
	return sx130x.TxFree, nil
}
