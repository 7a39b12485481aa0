package sx1301test

import (
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sx1301"
	"github.com/loraedge/loraedge/lorawan"
)

// TX trigger bits (page 1 address 33): TX_TRIG_IMMEDIATE, _DELAYED, _GPS.
const (
	trigImmediate = 0x01
	trigDelayed   = 0x02
	trigGPS       = 0x04
)

// TX_STATUS values the model shows (lgw_status reads bit 4 "programmed"
// and bits 5..6 "emitting"; the reset value is 128).
const (
	TxStatusFree      = 0x80
	TxStatusScheduled = 0x90
	TxStatusEmitting  = 0xB0
)

// Page 1 TX registers the model records.
const (
	addrTxStartDelay = 34 // 16 bits, LSB first
	addrTxOffsetI    = 39
	addrTxOffsetQ    = 40
	addrTxGain       = 42 // bits 1..0
)

// TxFrame is a frame the TX state machine was triggered with, as decoded
// from the TX buffer and registers at the trigger.
type TxFrame struct {
	// Header is the 16-byte TX header decoded.
	Header sx1301.TxHeader
	// Payload is the frame.
	Payload []byte
	// Freq is the frequency in Hz the PLL value gives, the AGC's
	// frequency MSBs restored (rounded down by the PLL step).
	Freq uint32
	// GainRow is the AGC gain table entry the power index selects (mix +
	// 16·dac + 64·pa), 0 if the table has no such row.
	GainRow byte
	// OffsetI, OffsetQ and DigGain are TX_OFFSET_I/Q and TX_GAIN.
	OffsetI, OffsetQ int8
	DigGain          byte
	// StartDelay is TX_START_DELAY (µs).
	StartDelay uint16
	// Immediate is set for TX_TRIG_IMMEDIATE, GPS for TX_TRIG_GPS (not
	// run by the model), else the trigger was TX_TRIG_DELAYED.
	Immediate, GPS bool
	// TriggerAt is the counter at which the state machine fired (the
	// header's trigger, or the time of an immediate trigger);
	// emission spans StartUS..EndUS.
	TriggerAt, StartUS, EndUS uint32
	// Aborted is set when TX_TRIG_ALL was cleared before the end.
	Aborted bool
}

// txModel is the TX state machine.
type txModel struct {
	state byte
	frame TxFrame
}

func (t *txModel) status() byte {
	if t.state == 0 {
		return TxStatusFree
	}
	return t.state
}

// TxStatus returns TX_STATUS now.
func (c *Chip) TxStatus() byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	return c.tx.status()
}

// Sent returns the frames sent or aborted so far.
func (c *Chip) Sent() []TxFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	return append([]TxFrame(nil), c.sent...)
}

// txTrigger reacts to the trigger byte: a rising trigger bit starts the
// state machine on the buffer's frame, clearing every bit aborts it.
func (c *Chip) txTrigger(old, v byte) {
	if v&(trigImmediate|trigDelayed|trigGPS) == 0 {
		if c.tx.state != 0 {
			c.tx.frame.Aborted = true
			c.sent = append(c.sent, c.tx.frame)
			c.tx = txModel{}
		}
		return
	}
	rising := v &^ old
	if rising&(trigImmediate|trigDelayed|trigGPS) == 0 || c.tx.state != 0 {
		return
	}
	f := TxFrame{
		OffsetI:    int8(c.regs[1][addrTxOffsetI]),
		OffsetQ:    int8(c.regs[1][addrTxOffsetQ]),
		DigGain:    c.regs[1][addrTxGain] & 0x03,
		StartDelay: uint16(c.regs[1][addrTxStartDelay]) | uint16(c.regs[1][addrTxStartDelay+1])<<8,
		Immediate:  rising&trigImmediate != 0,
		GPS:        rising&(trigImmediate|trigDelayed) == 0,
	}
	if err := f.Header.UnmarshalBinary(c.txBuf[:sx1301.TxHeaderSize]); err != nil {
		return
	}
	h := &f.Header
	pay := c.txBuf[sx1301.TxHeaderSize:]
	if h.FSK {
		pay = pay[1:] // the length byte
	}
	f.Payload = append([]byte(nil), pay[:h.Size]...)
	if int(h.PowerIndex) < len(c.agc.GainTable) {
		f.GainRow = c.agc.GainTable[h.PowerIndex]
	}
	full := uint64(c.agc.FreqMSB&0x03)<<22 | uint64(h.FreqReg&0x3FFFFF)
	f.Freq = uint32(full * 15625 >> 8) // SX1257 step: 32 MHz / 2^19
	f.TriggerAt = h.Trigger
	if f.Immediate {
		f.TriggerAt = c.now()
	}
	f.StartUS = f.TriggerAt + uint32(f.StartDelay)
	f.EndUS = f.StartUS + uint32(airTime(h).Microseconds())
	c.tx = txModel{state: TxStatusScheduled, frame: f}
	if f.GPS {
		c.sent = append(c.sent, f)
		c.tx = txModel{}
	}
}

// airTime is the frame's time on air from its header.
func airTime(h *sx1301.TxHeader) time.Duration {
	if h.FSK {
		if h.BitRateDiv == 0 {
			return 0
		}
		return lorawan.FSKTimeOnAir(int(h.Size), 32_000_000/uint32(h.BitRateDiv))
	}
	bw := [3]uint32{hal.BW125, hal.BW250, hal.BW500}[h.Bandwidth%3]
	return lorawan.TimeOnAir(int(h.Size), int(h.SpreadingFactor), bw, int(h.CodingRate)+4, int(h.Preamble), !h.ImplicitHeader, h.CRC)
}

// txUpdate moves the state machine along the counter: scheduled until the
// start, emitting until the end, then free with the frame recorded.
func (c *Chip) txUpdate() {
	if c.tx.state == 0 {
		return
	}
	now := c.now()
	f := &c.tx.frame
	if c.tx.state == TxStatusScheduled && int32(now-f.StartUS) >= 0 {
		c.tx.state = TxStatusEmitting
	}
	if c.tx.state == TxStatusEmitting && int32(now-f.EndUS) >= 0 {
		c.sent = append(c.sent, *f)
		c.tx = txModel{}
	}
}
