package sx1302test

import (
	"fmt"
	"time"

	"github.com/loraedge/loraedge/hal/sx1302"
	"github.com/loraedge/loraedge/lorawan"
)

// regs are the registers the model reacts to (TX ones are TX_TOP_A's;
// TX_TOP_B's are TXTopBOffset higher).
type regs struct {
	version, gpsEn, ppsMSB2                           sx1302.Register
	agcClear, agcProg, agcStatus                      sx1302.Register
	agcWR, agcRD                                      [4]sx1302.Register
	arbClear, arbProg, arbStatus, arbCfg1, arbSts0    sx1302.Register
	otpAddr, otpData, nbMSB, nbLSB                    sx1302.Register
	radioEn                                           [2]sx1302.Register
	txStatus, trigImm, trigDelayed, trigGPS           sx1302.Register
	timer                                             [4]sx1302.Register
	startDelayMSB, startDelayLSB, writeBuffer         sx1302.Register
	payloadLen, sf, bw, cr, preMSB, preLSB            sx1302.Register
	invert, crc, implicit, freqH, freqM, freqL, power sx1302.Register
}

func lookupRegs() (regs, error) {
	var r regs
	var missing []string
	get := func(dst *sx1302.Register, name string) {
		reg, ok := sx1302.LookupRegister(name)
		if !ok {
			missing = append(missing, name)
		}
		*dst = reg
	}
	get(&r.version, "COMMON_VERSION_VERSION")
	get(&r.gpsEn, "TIMESTAMP_GPS_CTRL_GPS_EN")
	get(&r.ppsMSB2, "TIMESTAMP_TIMESTAMP_PPS_MSB2_TIMESTAMP_PPS")
	get(&r.agcClear, "AGC_MCU_CTRL_MCU_CLEAR")
	get(&r.agcProg, "AGC_MCU_CTRL_HOST_PROG")
	get(&r.agcStatus, "AGC_MCU_MCU_AGC_STATUS_MCU_AGC_STATUS")
	for i := range 4 {
		get(&r.agcWR[i], fmt.Sprintf("AGC_MCU_MCU_MAIL_BOX_WR_DATA_BYTE%d_MCU_MAIL_BOX_WR_DATA", i))
		get(&r.agcRD[i], fmt.Sprintf("AGC_MCU_MCU_MAIL_BOX_RD_DATA_BYTE%d_MCU_MAIL_BOX_RD_DATA", i))
	}
	get(&r.arbClear, "ARB_MCU_CTRL_MCU_CLEAR")
	get(&r.arbProg, "ARB_MCU_CTRL_HOST_PROG")
	get(&r.arbStatus, "ARB_MCU_MCU_ARB_STATUS_MCU_ARB_STATUS")
	get(&r.arbCfg1, "ARB_MCU_ARB_DEBUG_CFG_1_ARB_DEBUG_CFG_1")
	get(&r.arbSts0, "ARB_MCU_ARB_DEBUG_STS_0_ARB_DEBUG_STS_0")
	get(&r.otpAddr, "OTP_BYTE_ADDR_ADDR")
	get(&r.otpData, "OTP_RD_DATA_RD_DATA")
	get(&r.nbMSB, "RX_TOP_RX_BUFFER_NB_BYTES_MSB_RX_BUFFER_NB_BYTES")
	get(&r.nbLSB, "RX_TOP_RX_BUFFER_NB_BYTES_LSB_RX_BUFFER_NB_BYTES")
	get(&r.radioEn[0], "AGC_MCU_RF_EN_A_RADIO_EN")
	get(&r.radioEn[1], "AGC_MCU_RF_EN_B_RADIO_EN")
	get(&r.txStatus, "TX_TOP_A_TX_FSM_STATUS_TX_STATUS")
	get(&r.trigImm, "TX_TOP_A_TX_TRIG_TX_TRIG_IMMEDIATE")
	get(&r.trigDelayed, "TX_TOP_A_TX_TRIG_TX_TRIG_DELAYED")
	get(&r.trigGPS, "TX_TOP_A_TX_TRIG_TX_TRIG_GPS")
	for i := range 4 {
		get(&r.timer[i], fmt.Sprintf("TX_TOP_A_TIMER_TRIG_BYTE%d_TIMER_DELAYED_TRIG", i))
	}
	get(&r.startDelayMSB, "TX_TOP_A_TX_START_DELAY_MSB_TX_START_DELAY")
	get(&r.startDelayLSB, "TX_TOP_A_TX_START_DELAY_LSB_TX_START_DELAY")
	get(&r.writeBuffer, "TX_TOP_A_TX_CTRL_WRITE_BUFFER")
	get(&r.payloadLen, "TX_TOP_A_TXRX_CFG0_3_PAYLOAD_LENGTH")
	get(&r.sf, "TX_TOP_A_TXRX_CFG0_0_MODEM_SF")
	get(&r.bw, "TX_TOP_A_TXRX_CFG0_0_MODEM_BW")
	get(&r.cr, "TX_TOP_A_TXRX_CFG0_1_CODING_RATE")
	get(&r.preMSB, "TX_TOP_A_TXRX_CFG1_3_PREAMBLE_SYMB_NB")
	get(&r.preLSB, "TX_TOP_A_TXRX_CFG1_2_PREAMBLE_SYMB_NB")
	get(&r.invert, "TX_TOP_A_TX_CFG0_0_CHIRP_INVERT")
	get(&r.crc, "TX_TOP_A_TXRX_CFG0_2_CRC_EN")
	get(&r.implicit, "TX_TOP_A_TXRX_CFG0_2_IMPLICIT_HEADER")
	get(&r.freqH, "TX_TOP_A_TX_RFFE_IF_FREQ_RF_H_FREQ_RF")
	get(&r.freqM, "TX_TOP_A_TX_RFFE_IF_FREQ_RF_M_FREQ_RF")
	get(&r.freqL, "TX_TOP_A_TX_RFFE_IF_FREQ_RF_L_FREQ_RF")
	get(&r.power, "TX_TOP_A_AGC_TX_PWR_AGC_TX_PWR")
	if len(missing) > 0 {
		return r, fmt.Errorf("sx1302test: registers missing from the driver's table: %v", missing)
	}
	return r, nil
}

// field returns a register's value in the register file.
func (c *Chip) field(r sx1302.Register) int32 { return r.Decode(c.mem[r.Addr]) }

// txAddr returns the address of TX_TOP_A register r for RF chain rf.
func (c *Chip) txAddr(rf int, r sx1302.Register) uint16 {
	if rf == 1 {
		return r.Addr + sx1302.TXTopBOffset
	}
	return r.Addr
}

// txField returns TX_TOP_A register r's value for RF chain rf.
func (c *Chip) txField(rf int, r sx1302.Register) int32 {
	return r.Decode(c.mem[c.txAddr(rf, r)])
}

// read returns the byte at addr, computing the live ones.
func (c *Chip) read(addr uint16) byte {
	switch {
	case addr < sx1302.RXBufferAddr:
		v := c.mem[addr]
		if off := c.faults.CorruptFirmwareReadback; off >= 0 && int(addr%sx1302.FirmwareSize) == off {
			v ^= 0x01
		}
		return v
	case addr == c.r.nbMSB.Addr, addr == c.r.nbLSB.Addr:
		n := len(c.fifo)
		if c.nbBytes >= 0 {
			n = c.nbBytes
		}
		if addr == c.r.nbMSB.Addr {
			return byte(n >> 8)
		}
		return byte(n)
	case addr >= c.r.ppsMSB2.Addr && addr < c.r.ppsMSB2.Addr+8:
		i := addr - c.r.ppsMSB2.Addr
		v := c.ppsTick
		if i >= 4 {
			v, i = c.now(), i-4
		}
		return byte(v >> (24 - 8*i))
	}
	return c.mem[addr]
}

// write stores v at addr and runs the chip's reaction.
func (c *Chip) write(addr uint16, v byte) {
	switch {
	case addr < sx1302.ARBMemAddr:
		if c.agc.prog {
			c.mem[addr] = v
		}
		return
	case addr < sx1302.RXBufferAddr:
		if c.arb.prog {
			c.mem[addr] = v
		}
		return
	case addr >= sx1302.TXBufferA && addr < sx1302.TXBufferA+0x100:
		if c.txField(0, c.r.writeBuffer) == 1 {
			c.mem[addr] = v
		}
		return
	case addr >= sx1302.TXBufferB && addr < sx1302.TXBufferB+0x100:
		if c.txField(1, c.r.writeBuffer) == 1 {
			c.mem[addr] = v
		}
		return
	}
	if c.readOnly[addr] {
		return
	}
	old := c.mem[addr]
	c.mem[addr] = v
	switch addr {
	case c.r.agcClear.Addr: // AGC_MCU_CTRL: MCU_CLEAR and HOST_PROG share the byte
		c.mcuCtrl(&c.agc, c.r.agcClear, c.r.agcProg, c.bootAGC)
	case c.r.arbClear.Addr:
		c.mcuCtrl(&c.arb, c.r.arbClear, c.r.arbProg, c.bootARB)
	case c.r.agcWR[3].Addr:
		c.agcCommand(v)
	case c.r.arbCfg1.Addr:
		if c.arb.booted && v == 1 {
			c.mem[c.r.arbStatus.Addr] = 0x00
		}
	case c.r.otpAddr.Addr:
		c.mem[c.r.otpData.Addr] = c.otp[v]
	case c.r.trigImm.Addr:
		c.trigger(0, old, v)
	case c.r.trigImm.Addr + sx1302.TXTopBOffset:
		c.trigger(1, old, v)
	}
}

// mcuCtrl follows an MCU's hold bits: held, it stops; released, it boots.
func (c *Chip) mcuCtrl(m *mcu, clear, prog sx1302.Register, boot func()) {
	held := c.field(clear) == 1 || c.field(prog) == 1
	m.prog = c.field(prog) == 1
	if held {
		m.booted = false
	} else if m.held {
		boot()
	}
	m.held = held
}

func (c *Chip) bootAGC() {
	c.mem[c.r.agcStatus.Addr] = 0
	if c.faults.AGCNoBoot {
		return
	}
	c.agc.booted = true
	c.mem[c.r.agcStatus.Addr] = 0x01
	c.mem[c.r.agcRD[0].Addr] = c.opts.AGCVersion
}

func (c *Chip) bootARB() {
	c.mem[c.r.arbStatus.Addr] = 0
	if c.faults.ARBNoBoot {
		return
	}
	c.arb.booted = true
	c.mem[c.r.arbStatus.Addr] = 0x01
	c.mem[c.r.arbSts0.Addr] = c.opts.ARBVersion
}

// agcCommand answers a command in mailbox 3 as sx1302_agc_start expects:
// the mailboxes echoed, the status advanced.
func (c *Chip) agcCommand(cmd byte) {
	if !c.agc.booted || cmd == c.faults.AGCStallCmd && cmd != 0 {
		return
	}
	var next byte
	switch {
	case cmd == 0x80:
		next = 0x02
	case cmd == 0x20:
		next = 0x03
	case cmd >= 0x03 && cmd <= 0x0A:
		next = cmd + 1
	case cmd == 0x0B, cmd == 0x0F:
		next = 0x0F
	default:
		return
	}
	for i := range 3 {
		c.mem[c.r.agcRD[i].Addr] = c.mem[c.r.agcWR[i].Addr]
	}
	c.mem[c.r.agcStatus.Addr] = next
}

// trigger follows RF chain rf's TX_TRIG bits.
func (c *Chip) trigger(rf int, old, v byte) {
	rising := func(r sx1302.Register) bool { return r.Decode(old) == 0 && r.Decode(v) == 1 }
	t := &c.tx[rf]
	off := c.r.trigImm.Decode(v) == 0 && c.r.trigDelayed.Decode(v) == 0 && c.r.trigGPS.Decode(v) == 0
	switch {
	case off && t.state != 0x80:
		t.frame.Aborted = true
		t.frame.EndTick = c.now()
		c.sent = append(c.sent, t.frame)
		c.setTx(rf, 0x80)
	case rising(c.r.trigImm):
		c.capture(rf, true)
		t.frame.StartTick = c.now()
		t.frame.EndTick = t.frame.StartTick + t.airTick
		c.setTx(rf, 0x30)
	case rising(c.r.trigDelayed):
		c.capture(rf, false)
		c.setTx(rf, 0x91)
	}
}

func (c *Chip) setTx(rf int, s byte) {
	c.tx[rf].state = s
	c.mem[c.txAddr(rf, c.r.txStatus)] = s
}

// capture decodes the frame RF chain rf is about to send.
func (c *Chip) capture(rf int, immediate bool) {
	f := TxFrame{RFChain: rf, Immediate: immediate}
	f.FreqReg = uint32(c.txField(rf, c.r.freqH))<<16 | uint32(c.txField(rf, c.r.freqM))<<8 | uint32(c.txField(rf, c.r.freqL))
	f.Freq = uint32(uint64(f.FreqReg) * 32_000_000 >> 18)
	f.SpreadingFactor = int(c.txField(rf, c.r.sf))
	switch c.txField(rf, c.r.bw) {
	case 4:
		f.Bandwidth = 125_000
	case 5:
		f.Bandwidth = 250_000
	case 6:
		f.Bandwidth = 500_000
	}
	f.CodeRate = int(c.txField(rf, c.r.cr))
	f.Preamble = int(c.txField(rf, c.r.preMSB))<<8 | int(c.txField(rf, c.r.preLSB))
	f.InvertPol = c.txField(rf, c.r.invert) == 1
	f.CRC = c.txField(rf, c.r.crc) == 1
	f.ImplicitHeader = c.txField(rf, c.r.implicit) == 1
	f.PowerReg = byte(c.txField(rf, c.r.power))
	for i, r := range c.r.timer {
		f.Trigger |= uint32(c.txField(rf, r)) << (8 * i)
	}
	f.StartDelay = uint16(c.txField(rf, c.r.startDelayMSB))<<8 | uint16(c.txField(rf, c.r.startDelayLSB))
	buf := uint16(sx1302.TXBufferA)
	if rf == 1 {
		buf = sx1302.TXBufferB
	}
	n := int(c.txField(rf, c.r.payloadLen))
	f.Payload = append([]byte(nil), c.mem[buf:int(buf)+n]...)
	air := lorawan.TimeOnAir(n, f.SpreadingFactor, f.Bandwidth, f.CodeRate+4, f.Preamble, !f.ImplicitHeader, f.CRC)
	c.tx[rf].frame = f
	c.tx[rf].airTick = uint32(air / time.Microsecond * 32)
}

// update moves the TX state machines to the counter's time.
func (c *Chip) update() {
	now := c.now()
	for rf := range c.tx {
		t := &c.tx[rf]
		if t.state == 0x91 {
			start := t.frame.Trigger + uint32(t.frame.StartDelay)
			if int32(now-start) >= 0 {
				t.frame.StartTick = start
				t.frame.EndTick = start + t.airTick
				c.setTx(rf, 0x30)
			}
		}
		if t.state == 0x30 && int32(now-t.frame.EndTick) >= 0 {
			c.sent = append(c.sent, t.frame)
			c.setTx(rf, 0x80)
		}
	}
}

// radioCmd carries out an SX1250 command relayed through mux target
// rf+1. A radio whose RADIO_EN is off does not answer.
func (c *Chip) radioCmd(rf int, w, r []byte) error {
	if len(w) < 2 {
		return fmt.Errorf("sx1302test: radio %d: frame of %d bytes has no opcode", rf, len(w))
	}
	for i := range r {
		r[i] = 0
	}
	if c.field(c.r.radioEn[rf]) != 1 {
		return nil
	}
	s := &c.radios[rf]
	op, args := w[1], w[2:]
	switch op {
	case 0x80: // SET_STANDBY
		if len(args) >= 1 {
			s.Mode = 2 + args[0]&1
		}
	case 0x89: // CALIBRATE
		s.Calibrated++
	case 0x98: // CALIBRATE_IMAGE
		if len(args) >= 2 {
			s.ImageCal = [2]byte{args[0], args[1]}
		}
	case 0x86: // SET_RF_FREQUENCY
		if len(args) >= 4 {
			s.FreqReg = uint32(args[0])<<24 | uint32(args[1])<<16 | uint32(args[2])<<8 | uint32(args[3])
		}
	case 0x82: // SET_RX
		s.Mode = 5
	case 0x0D: // WRITE_REGISTER
		if len(args) >= 3 {
			a := uint16(args[0])<<8 | uint16(args[1])
			for i, v := range args[2:] {
				s.Regs[a+uint16(i)] = v
			}
		}
	case 0xC0: // GET_STATUS
		if len(r) > 2 {
			for i := range r[2:] {
				r[2+i] = s.Mode << 4
			}
		}
	case 0x17: // GET_DEVICE_ERRORS: status, errors MSB, errors LSB
		if len(r) >= 5 && c.faults.ImageCalError {
			r[4] = 0x10
		}
	}
	return nil
}
