package sx1302test

import (
	"fmt"
	"sync"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
	"github.com/loraedge/loraedge/hal/sx1302"
)

// Options describe the modelled chip.
type Options struct {
	// Clock drives the counter; nil gives the chip its own (see Chip.Clock).
	Clock *Clock
	// EUI is the chip EUI in OTP bytes 0..7.
	EUI uint64
	// Model is the OTP model ID (sx1302.ModelSX1302b when 0… see
	// ModelSet).
	Model byte
	// ModelSet makes Model count even when it is 0 (ModelSX1302a).
	ModelSet bool
	// Version overrides COMMON_VERSION (0 keeps the register default).
	Version byte
	// AGCVersion and ARBVersion are the versions the started firmware
	// reports (0: the ones the driver expects).
	AGCVersion, ARBVersion byte
	// CounterStart is the 32 MHz counter at clock zero.
	CounterStart uint32
}

// Faults make the chip misbehave; set them before the driver starts it.
type Faults struct {
	// AGCNoBoot and ARBNoBoot keep the MCU's status at 0 after release.
	AGCNoBoot, ARBNoBoot bool
	// AGCStallCmd makes the AGC ignore this mailbox command (its status
	// never advances); 0 disables.
	AGCStallCmd byte
	// CorruptFirmwareReadback flips a bit of every firmware byte read at
	// this offset from the MCU RAM base (−1 disables).
	CorruptFirmwareReadback int
	// ImageCalError makes the radios report an image calibration error.
	ImageCalError bool
}

// TxFrame is a frame the TX state machine sent (or was aborted on), as
// decoded from the TX registers and buffer when it was triggered.
type TxFrame struct {
	RFChain int
	// FreqReg is TX_RFFE_IF_FREQ_RF (f·2^18/32 MHz) and Freq its value in
	// Hz (rounded down by the register's 122 Hz step).
	FreqReg uint32
	Freq    uint32
	// SpreadingFactor, Bandwidth (Hz), CodeRate (HAL code 1..4),
	// Preamble, InvertPol, CRC, ImplicitHeader are the modem settings.
	SpreadingFactor int
	Bandwidth       uint32
	CodeRate        int
	Preamble        int
	InvertPol       bool
	CRC             bool
	ImplicitHeader  bool
	// PowerReg is AGC_TX_PWR (PA enable in bit 6, SX1250 power index).
	PowerReg byte
	// Immediate is set for TX_TRIG_IMMEDIATE, else TX_TRIG_DELAYED.
	Immediate bool
	// Trigger is TIMER_DELAYED_TRIG (32 MHz ticks) and StartDelay
	// TX_START_DELAY; emission starts at Trigger+StartDelay.
	Trigger    uint32
	StartDelay uint16
	// StartTick and EndTick are the counter values at which emission
	// started and ended.
	StartTick, EndTick uint32
	// Aborted is set when the triggers were cleared before the end.
	Aborted bool
	Payload []byte
}

// RadioState is what an SX1250 was told.
type RadioState struct {
	// Mode is the chip mode GET_STATUS reports (2 STBY_RC, 3 STBY_XOSC,
	// 5 RX).
	Mode byte
	// FreqReg is the last SET_RF_FREQUENCY value.
	FreqReg uint32
	// ImageCal is the last CALIBRATE_IMAGE band.
	ImageCal [2]byte
	// Calibrated counts CALIBRATE commands.
	Calibrated int
	// Regs are the WRITE_REGISTER values by address.
	Regs map[uint16]byte
}

// Chip is the modelled SX1302 with its radios. It implements
// spi.PortCloser; Connect may be called once.
type Chip struct {
	mu     sync.Mutex
	clock  *Clock
	opts   Options
	faults Faults

	mem      [0x8000]byte
	readOnly [0x8000]bool
	otp      [256]byte
	fifo     []byte
	nbBytes  int // byte count override, -1 if none

	agc, arb mcu
	radios   [2]RadioState
	tx       [2]txFSM
	ppsTick  uint32
	sent     []TxFrame

	port sx130xtest.Port
	r    regs
}

// mcu is the state of one MCU.
type mcu struct {
	held   bool // MCU_CLEAR or HOST_PROG set
	prog   bool // HOST_PROG set: RAM writable
	booted bool
}

type txFSM struct {
	state   byte
	trig    byte // last value of the TX_TRIG byte
	frame   TxFrame
	airTick uint32
}

// New returns a chip at reset.
func New(opts Options) (*Chip, error) {
	r, err := lookupRegs()
	if err != nil {
		return nil, err
	}
	c := &Chip{opts: opts, clock: opts.Clock, r: r, nbBytes: -1}
	c.port = sx130xtest.Port{Name: "sx1302test", Chip: "SX1302", Tx: c.tx1}
	c.faults.CorruptFirmwareReadback = -1
	if c.clock == nil {
		c.clock = &Clock{}
	}
	if c.opts.AGCVersion == 0 {
		c.opts.AGCVersion = sx1302.AGCVersionSX1250
	}
	if c.opts.ARBVersion == 0 {
		c.opts.ARBVersion = sx1302.ARBVersion
	}
	c.reset()
	return c, nil
}

// reset loads the register defaults and OTP.
func (c *Chip) reset() {
	for _, reg := range sx1302.Registers() {
		c.mem[reg.Addr] = reg.Encode(c.mem[reg.Addr], reg.Default)
	}
	for _, reg := range sx1302.Registers() {
		c.readOnly[reg.Addr] = true
	}
	for _, reg := range sx1302.Registers() {
		if !reg.ReadOnly {
			c.readOnly[reg.Addr] = false
		}
	}
	if c.opts.Version != 0 {
		c.mem[c.r.version.Addr] = c.opts.Version
	}
	for i := range 8 {
		c.otp[i] = byte(c.opts.EUI >> (56 - 8*i))
	}
	c.otp[0xD0] = sx1302.ModelSX1302b
	if c.opts.Model != 0 || c.opts.ModelSet {
		c.otp[0xD0] = c.opts.Model
	}
	for i := range c.radios {
		c.radios[i] = RadioState{Mode: 2, Regs: map[uint16]byte{}}
	}
	c.agc = mcu{held: c.field(c.r.agcClear) == 1 || c.field(c.r.agcProg) == 1, prog: c.field(c.r.agcProg) == 1}
	c.arb = mcu{held: c.field(c.r.arbClear) == 1 || c.field(c.r.arbProg) == 1, prog: c.field(c.r.arbProg) == 1}
	for i := range c.tx {
		c.tx[i] = txFSM{state: 0x80}
		c.mem[c.txAddr(i, c.r.txStatus)] = 0x80
	}
}

// Clock returns the clock driving the counter.
func (c *Chip) Clock() *Clock { return c.clock }

// SetFaults installs faults.
func (c *Chip) SetFaults(f Faults) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = f
}

// String names the port.
func (c *Chip) String() string { return "sx1302test" }

// Close implements spi.PortCloser.
func (c *Chip) Close() error { return nil }

// LimitSpeed implements spi.PortCloser.
func (c *Chip) LimitSpeed(physic.Frequency) error { return nil }

// Connect returns the connection to the chip; it may be called once.
func (c *Chip) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.port.Connect(f, mode, bits)
}

var _ spi.PortCloser = (*Chip)(nil)

// Counter returns the chip's 32 MHz counter now.
func (c *Chip) Counter() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Chip) now() uint32 {
	return c.opts.CounterStart + uint32(c.clock.Elapsed().Nanoseconds()*32/1000)
}

// PPS latches the counter as a PPS pulse would, when GPS_EN is set.
func (c *Chip) PPS() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.r.gpsEn.Decode(c.mem[c.r.gpsEn.Addr]) == 1 {
		c.ppsTick = c.now()
	}
}

// InjectRecord appends a packet record to the RX FIFO.
func (c *Chip) InjectRecord(p sx1302.PacketRecord) error {
	b, err := p.AppendBinary(nil)
	if err != nil {
		return err
	}
	c.InjectRaw(b)
	return nil
}

// InjectRaw appends bytes to the RX FIFO as they are (damaged records).
func (c *Chip) InjectRaw(b []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.fifo = append(c.fifo, b...)
}

// SetByteCount makes RX_BUFFER_NB_BYTES read n until the FIFO is next
// read, whatever the FIFO holds.
func (c *Chip) SetByteCount(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nbBytes = n
}

// FIFOLen returns the bytes left in the RX FIFO.
func (c *Chip) FIFOLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.fifo)
}

// Sent returns the frames sent or aborted so far.
func (c *Chip) Sent() []TxFrame {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	return append([]TxFrame(nil), c.sent...)
}

// TxState returns RF chain rf's TX_FSM_STATUS now.
func (c *Chip) TxState(rf int) byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	return c.tx[rf&1].state
}

// Radio returns what radio rf was told.
func (c *Chip) Radio(rf int) RadioState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.radios[rf&1]
	regs := make(map[uint16]byte, len(s.Regs))
	for k, v := range s.Regs {
		regs[k] = v
	}
	s.Regs = regs
	return s
}

// Reg returns the field value of the named register (the HAL's name).
func (c *Chip) Reg(name string) (int32, error) {
	reg, ok := sx1302.LookupRegister(name)
	if !ok {
		return 0, fmt.Errorf("sx1302test: no register %s in the driver's table", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return reg.Decode(c.mem[reg.Addr]), nil
}

// Mem returns n bytes of the register file from addr.
func (c *Chip) Mem(addr uint16, n int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	end := min(int(addr)+n, len(c.mem))
	return append([]byte(nil), c.mem[addr:end]...)
}

// tx1 carries out one SPI frame.
func (c *Chip) tx1(w, r []byte) error {
	if len(r) != 0 && len(r) != len(w) {
		return fmt.Errorf("sx1302test: Tx with %d bytes out and %d in", len(w), len(r))
	}
	if len(w) == 0 {
		return fmt.Errorf("sx1302test: empty Tx")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	switch w[0] {
	case sx1302.MuxSX1302:
		return c.frame(w, r)
	case sx1302.MuxRadioA, sx1302.MuxRadioB:
		return c.radioCmd(int(w[0]-1), w, r)
	}
	return fmt.Errorf("sx1302test: unknown mux target 0x%02x", w[0])
}

// frame handles an SX1302 register or memory frame.
func (c *Chip) frame(w, r []byte) error {
	if len(w) < 3 {
		return fmt.Errorf("sx1302test: %d-byte frame, header is 3", len(w))
	}
	addr := uint16(w[1]&0x7F)<<8 | uint16(w[2])
	if w[1]&0x80 != 0 {
		for i, v := range w[3:] {
			c.write(addr+uint16(i), v)
		}
		return nil
	}
	if len(w) < 5 || len(r) != len(w) {
		return fmt.Errorf("sx1302test: read frame of %d bytes (%d read back): needs header, dummy byte and data", len(w), len(r))
	}
	r[0], r[1], r[2], r[3] = 0, 0, 0, 0
	if addr == sx1302.RXBufferAddr {
		c.nbBytes = -1
		for i := range r[4:] {
			if len(c.fifo) > 0 {
				r[4+i], c.fifo = c.fifo[0], c.fifo[1:]
			} else {
				r[4+i] = 0
			}
		}
		return nil
	}
	for i := range r[4:] {
		r[4+i] = c.read(addr + uint16(i))
	}
	return nil
}
