package sx1301test

// RADIO control bits (page 2 address 43): RADIO_A_EN, RADIO_B_EN,
// RADIO_RST.
const (
	radioEnA = 0x01
	radioEnB = 0x02
	radioRst = 0x04
)

// SX125x registers the model gives meaning to (loragw_radio.c).
const (
	sx125xMode    = 0x00 // bit 0 oscillator, bit 1 RX
	sx125xVersion = 0x07
	sx125xStatus  = 0x11 // bit 1: RX PLL locked
)

// radioModel is one SX125x behind the SX1301's SPI master.
type radioModel struct {
	regs     [128]byte
	written  map[byte]byte
	powered  bool // enabled and out of reset
	locked   bool
	readback byte
}

func (r *radioModel) reset(version byte) {
	*r = radioModel{written: map[byte]byte{}}
	r.regs[sx125xVersion] = version
}

// RadioState is what an SX125x was told.
type RadioState struct {
	// Powered is set while the radio is enabled and out of reset.
	Powered bool
	// Locked is set once its RX PLL locked.
	Locked bool
	// FreqReg is the 24-bit RX PLL value (registers 0x01..0x03).
	FreqReg uint32
	// Regs are the values written, by register.
	Regs map[byte]byte
}

// Radio returns what radio rf was told.
func (c *Chip) Radio(rf int) RadioState {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := &c.radios[rf&1]
	regs := make(map[byte]byte, len(r.written))
	for k, v := range r.written {
		regs[k] = v
	}
	return RadioState{Powered: r.powered, Locked: r.locked, Regs: regs,
		FreqReg: uint32(r.regs[1])<<16 | uint32(r.regs[2])<<8 | uint32(r.regs[3])}
}

// radioControl powers the radios on and off and resets them.
func (c *Chip) radioControl(old, v byte) {
	if v&radioRst != 0 && old&radioRst == 0 {
		for i := range c.radios {
			c.radios[i].reset(c.opts.RadioVersion)
		}
	}
	for rf, en := range [2]byte{radioEnA, radioEnB} {
		c.radios[rf].powered = v&en != 0 && v&radioRst == 0
	}
}

// radioTransfer runs one SPI-master transfer on a rising CS: the address
// register's bit 7 selects a write of the data register, else the radio
// register goes to the read-back register. An unpowered radio answers 0.
func (c *Chip) radioTransfer(rf int) {
	r := &c.radios[rf]
	off := 5 * rf
	addr, data := c.regs[2][addrRadioAddr+off], c.regs[2][addrRadioData+off]
	if !r.powered {
		r.readback = 0
		return
	}
	a := addr & 0x7F
	if addr&0x80 == 0 {
		r.readback = r.regs[a]
		return
	}
	r.regs[a] = data
	r.written[a] = data
	if a == sx125xMode {
		r.locked = data&0x03 == 0x03 && !c.faults.PLLNoLock[rf]
		r.regs[sx125xStatus] = 0
		if r.locked {
			r.regs[sx125xStatus] = 0x02
		}
	}
}
