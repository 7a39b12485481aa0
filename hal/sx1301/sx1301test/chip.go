package sx1301test

import (
	"bytes"
	"fmt"
	"sync"
	"time"

	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"

	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
	"github.com/loraedge/loraedge/hal/sx1301"
)

// Clock is a manual clock: time passes only through Advance. It drives
// the chip's counter, the calibration and the TX state machine.
type Clock = sx130xtest.Clock

// Options describe the modelled chip.
type Options struct {
	// Clock drives the chip; nil gives it its own (see Chip.Clock).
	Clock *Clock
	// Version overrides the VERSION register (0 keeps sx1301.ChipVersion).
	Version byte
	// FPGAVersion, when not 0, makes the chip answer lgw_connect's mux
	// probe as an FPGA of that version would.
	FPGAVersion byte
	// RadioVersion is what the radios' version register 0x07 reads.
	RadioVersion byte
	// CalFirmware, AGCFirmware and ARBFirmware are the images the MCUs
	// recognise; any other image runs as garbage (no version, no status).
	CalFirmware, AGCFirmware, ARBFirmware []byte
	// CalVersion, AGCVersion and ARBVersion are the versions the started
	// firmware writes at data RAM 0x20 (0: the ones the driver expects).
	CalVersion, AGCVersion, ARBVersion byte
	// CalDuration is how long the calibration runs (0: 2.1 s, the low end
	// of what the HAL measured).
	CalDuration time.Duration
	// CalOffsets are the TX DC offsets the calibration leaves at AGC data
	// RAM 0xA0..0xBF (radio A I, A Q, B I, B Q, 8 each).
	CalOffsets [32]int8
	// CounterStart is the µs counter after a soft reset.
	CounterStart uint32
}

// Faults make the chip misbehave; set them before the driver starts it.
type Faults struct {
	// CorruptPROM flips bit 0 of the program RAM byte at CorruptPROMOffset
	// whenever the host reads it back.
	CorruptPROM       bool
	CorruptPROMOffset int
	// CalNeverFinishes keeps the calibration's done bit clear;
	// CalNoChipAccess clears its "could access SX1301 registers" bit.
	CalNeverFinishes, CalNoChipAccess bool
	// AGCNoBoot keeps the AGC firmware's status at 0.
	AGCNoBoot bool
	// AGCStallStep makes the AGC ignore the n-th value (1-based) of its
	// RADIO_SELECT dialogue; 0 disables.
	AGCStallStep int
	// PLLNoLock keeps a radio's RX PLL unlocked.
	PLLNoLock [2]bool
}

// Register addresses the model reacts to.
const (
	addrPage        = 0
	addrVersion     = 1
	addrRxData      = 4
	addrTxAddr      = 5
	addrTxData      = 6
	addrCaptureData = 8
	addrPromAddr    = 9
	addrPromData    = 10
	addrNumStored   = 11
	addrFifoAddrLSB = 12
	addrFifoAddrMSB = 13
	addrFifoStatus  = 14
	addrFifoSize    = 15
	addrClk         = 17
	addrAGCStatus   = 32
	addrEmergency   = 127
	// page 0
	addrRadioSelect = 35
	addrMCUCtrl     = 106
	// page 1
	addrTxTrig   = 33
	addrTxStatus = 62
	// page 2
	addrRadioData     = 33 // radio B: +5
	addrRadioReadback = 34
	addrRadioAddr     = 35
	addrRadioCS       = 37
	addrRadioCtrl     = 43
	addrDbgARBData    = 64
	addrDbgAGCData    = 65
	addrTimestamp     = 70
	addrDbgARBAddr    = 80
	addrDbgAGCAddr    = 81
	addrGPS           = 89
)

// Chip is the modelled SX1301 with its radios. It implements
// spi.PortCloser; Connect may be called once.
type Chip struct {
	mu     sync.Mutex
	clock  *Clock
	opts   Options
	faults Faults

	regs     [4][128]byte
	readOnly [4][128]bool

	// counter: µs value base, running since runSince when running.
	cntBase  uint32
	running  bool
	runSince time.Duration
	latch    uint32

	promPtr   int
	promLatch byte
	mcus      [2]mcuModel
	calStart  time.Duration
	calDone   bool
	agc       agcDialogue
	radios    [2]radioModel
	fifo      []rxEntry
	fifoUsed  int
	fifoAddr  int
	numStored int // one-shot NUM_STORED override, 0 if none
	txBuf     [512]byte
	txPtr     int
	tx        txModel
	sent      []TxFrame
	port      sx130xtest.Port
}

// New returns a chip after a soft reset.
func New(opts Options) (*Chip, error) {
	if opts.Clock == nil {
		opts.Clock = &Clock{}
	}
	set := func(v *byte, d byte) {
		if *v == 0 {
			*v = d
		}
	}
	set(&opts.Version, sx1301.ChipVersion)
	set(&opts.CalVersion, sx1301.CalVersion)
	set(&opts.AGCVersion, sx1301.AGCVersion)
	set(&opts.ARBVersion, sx1301.ARBVersion)
	if opts.CalDuration <= 0 {
		opts.CalDuration = 2100 * time.Millisecond
	}
	for _, fw := range [][]byte{opts.CalFirmware, opts.AGCFirmware, opts.ARBFirmware} {
		if len(fw) != sx1301.FirmwareSize {
			return nil, fmt.Errorf("sx1301test: firmware images of %d bytes, want %d each", len(fw), sx1301.FirmwareSize)
		}
	}
	c := &Chip{opts: opts, clock: opts.Clock}
	c.port = sx130xtest.Port{Name: "sx1301test", Chip: "SX1301", MaxSpeed: 10 * physic.MegaHertz, Tx: c.frame}
	for _, r := range sx1301.Registers() {
		for i := range r.Size() {
			p, a := pageOf(r), int(r.Addr)+i
			c.readOnly[p][a] = true
		}
	}
	for _, r := range sx1301.Registers() {
		if !r.ReadOnly {
			for i := range r.Size() {
				c.readOnly[pageOf(r)][int(r.Addr)+i] = false
			}
		}
	}
	c.softReset()
	return c, nil
}

// pageOf is the register file page a register lives in (0 for globals).
func pageOf(r sx1301.Register) int {
	if r.Page < 0 {
		return 0
	}
	return int(r.Page)
}

// softReset puts every register back to its default, holds the MCUs,
// resets the radios and restarts the counter.
func (c *Chip) softReset() {
	c.regs = [4][128]byte{}
	for _, r := range sx1301.Registers() {
		p := pageOf(r)
		b := r.Encode(c.regs[p][r.Addr], r.Default)
		copy(c.regs[p][r.Addr:], b)
	}
	c.regs[0][addrVersion] = c.opts.Version
	c.cntBase, c.running, c.runSince, c.latch = c.opts.CounterStart, true, c.clock.Elapsed(), 0
	c.mcus = [2]mcuModel{}
	c.calStart, c.calDone = -1, false
	c.agc = agcDialogue{}
	for i := range c.radios {
		c.radios[i].reset(c.opts.RadioVersion)
	}
	c.fifo, c.fifoUsed, c.numStored = nil, 0, 0
	c.tx = txModel{}
	c.promPtr = 0
}

// Clock returns the clock driving the chip.
func (c *Chip) Clock() *Clock { return c.clock }

// SetFaults installs faults.
func (c *Chip) SetFaults(f Faults) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults = f
}

// String names the port.
func (c *Chip) String() string { return "sx1301test" }

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

// dataPort reports whether bursts at addr stay on addr (the chip's own
// pointer advances instead).
func dataPort(addr int) bool {
	return addr == addrRxData || addr == addrTxData || addr == addrCaptureData || addr == addrPromData
}

// frame carries out one SPI frame: a header byte, then data written or
// read from the address on, advancing except on data ports.
func (c *Chip) frame(w, r []byte) error {
	if len(w) == 0 {
		return fmt.Errorf("sx1301test: empty Tx")
	}
	if len(r) != 0 && len(r) != len(w) {
		return fmt.Errorf("sx1301test: Tx with %d bytes out and %d in", len(w), len(r))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	addr := int(w[0] & 0x7F)
	if w[0]&sx1301.WriteAccess != 0 {
		for i, v := range w[1:] {
			c.write(next(addr, i), v)
		}
		return nil
	}
	if len(r) < 2 {
		return fmt.Errorf("sx1301test: read frame of %d bytes (%d read back): needs the header and data", len(w), len(r))
	}
	r[0] = 0
	// lgw_connect's probe [FPGA mux target 1, VERSION, 0]: an FPGA answers
	// with its version in the third byte.
	if c.opts.FPGAVersion != 0 && len(w) == 3 && w[0] == 0x01 && w[1] == addrVersion {
		r[1], r[2] = 0, c.opts.FPGAVersion
		return nil
	}
	for i := range r[1:] {
		r[1+i] = c.read(next(addr, i))
	}
	return nil
}

// next is the address of the i-th data byte of a burst at addr.
func next(addr, i int) int {
	if dataPort(addr) {
		return addr
	}
	return (addr + i) & 0x7F
}

// page is the selected page.
func (c *Chip) page() int { return int(c.regs[0][addrPage] & 0x03) }

// loc returns the register file slot of addr in the selected page.
func (c *Chip) loc(addr int) (int, int) {
	if sx1301.Global(uint8(addr)) {
		return 0, addr
	}
	return c.page(), addr
}

// now returns the µs counter.
func (c *Chip) now() uint32 {
	if !c.running {
		return c.cntBase
	}
	return c.cntBase + uint32((c.clock.Elapsed() - c.runSince).Microseconds())
}

// read returns the byte at addr, computing the live ones.
func (c *Chip) read(addr int) byte {
	p, a := c.loc(addr)
	if p == 0 && sx1301.Global(uint8(a)) {
		switch a {
		case addrRxData:
			return c.rxRead()
		case addrPromData:
			return c.promRead()
		case addrNumStored:
			if c.numStored > 0 {
				return byte(c.numStored)
			}
			return byte(len(c.fifo))
		case addrFifoAddrLSB, addrFifoAddrMSB, addrFifoStatus, addrFifoSize:
			if len(c.fifo) == 0 {
				return 0
			}
			e := c.fifo[0]
			switch a {
			case addrFifoAddrLSB:
				return byte(e.addr)
			case addrFifoAddrMSB:
				return byte(e.addr >> 8)
			case addrFifoStatus:
				return e.status
			}
			return e.size
		case addrAGCStatus:
			return c.mcus[1].status
		}
		return c.regs[0][a]
	}
	switch {
	case p == 1 && a == addrTxStatus:
		return c.tx.status()
	case p == 2 && (a == addrRadioReadback || a == addrRadioReadback+5):
		return c.radios[(a-addrRadioReadback)/5].readback
	case p == 2 && a == addrDbgARBData:
		return c.mcus[0].ram[c.regs[2][addrDbgARBAddr]]
	case p == 2 && a == addrDbgAGCData:
		return c.mcus[1].ram[c.regs[2][addrDbgAGCAddr]]
	case p == 2 && a >= addrTimestamp && a < addrTimestamp+4:
		v := c.latch
		if c.regs[2][addrGPS]&1 == 0 {
			v = c.now()
		}
		return byte(v >> (8 * (a - addrTimestamp)))
	}
	return c.regs[p][a]
}

// write stores v at addr and runs the chip's reaction.
func (c *Chip) write(addr int, v byte) {
	p, a := c.loc(addr)
	if c.readOnly[p][a] {
		return
	}
	old := c.regs[p][a]
	if p == 0 && sx1301.Global(uint8(a)) {
		switch a {
		case addrPage:
			if v&sx1301.SoftResetBit != 0 {
				c.softReset()
				return
			}
			c.regs[0][addrPage] = v & 0x03
			return
		case addrPromAddr:
			c.promPtr = int(v)
			c.promLatch = 0
		case addrPromData:
			c.promWrite(v)
			return
		case addrTxAddr:
			c.txPtr = int(v)
		case addrTxData:
			c.txBuf[c.txPtr%len(c.txBuf)] = v
			c.txPtr++
			return
		case addrNumStored:
			c.rxPop()
			return
		case addrClk:
			c.regs[0][a] = v
			c.setCounterRun(v&1 != 0)
			return
		case addrEmergency:
			c.regs[0][a] = v
			c.maybeStartCal()
			return
		}
		c.regs[0][a] = v
		return
	}
	c.regs[p][a] = v
	switch {
	case p == 0 && a == addrRadioSelect:
		c.agcValue(v)
	case p == 0 && a == addrMCUCtrl:
		c.mcuControl(old, v)
	case p == 1 && a == addrTxTrig:
		c.txTrigger(old, v)
	case p == 2 && (a == addrRadioCS || a == addrRadioCS+5):
		rf := (a - addrRadioCS) / 5
		if old&1 == 0 && v&1 == 1 {
			c.radioTransfer(rf)
		}
	case p == 2 && a == addrRadioCtrl:
		c.radioControl(old, v)
	case p == 2 && a == addrGPS:
		if old&1 == 0 && v&1 == 1 {
			c.latch = c.now()
		}
	}
}

// setCounterRun starts or freezes the counter (CLK32M_EN).
func (c *Chip) setCounterRun(on bool) {
	if on == c.running {
		return
	}
	c.cntBase = c.now()
	c.running = on
	c.runSince = c.clock.Elapsed()
}

// update brings the time-driven state up to date.
func (c *Chip) update() {
	c.calUpdate()
	c.txUpdate()
}

// Counter returns the chip's µs counter now.
func (c *Chip) Counter() uint32 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

// PPS latches the counter in TIMESTAMP as a PPS edge would, when GPS_EN is
// set.
func (c *Chip) PPS() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.regs[2][addrGPS]&1 == 1 {
		c.latch = c.now()
	}
}

// Reg returns the value of the named register in the register file (the
// HAL's name, without LGW_), as last written or reset.
func (c *Chip) Reg(name string) (int32, error) {
	r, ok := sx1301.LookupRegister(name)
	if !ok {
		return 0, fmt.Errorf("sx1301test: no register %s in the driver's table", name)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	p := pageOf(r)
	return r.Decode(c.regs[p][r.Addr : int(r.Addr)+r.Size()]), nil
}

// Page returns the selected register page.
func (c *Chip) Page() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.page()
}

// identify returns the role of a program image.
func (c *Chip) identify(prom []byte) string {
	switch {
	case bytes.Equal(prom, c.opts.CalFirmware):
		return "cal"
	case bytes.Equal(prom, c.opts.AGCFirmware):
		return "agc"
	case bytes.Equal(prom, c.opts.ARBFirmware):
		return "arb"
	}
	return "unknown"
}
