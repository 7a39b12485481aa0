package sx1301test

import "github.com/loraedge/loraedge/hal/sx1301"

// MCU_CTRL bits (page 0 address 106): MCU_RST_0/1, MCU_SELECT_MUX_0/1.
const (
	ctrlRst0 = 0x01
	ctrlRst1 = 0x02
	ctrlSel0 = 0x04
	ctrlSel1 = 0x08
)

// mcuModel is one MCU: 0 the arbiter, 1 the AGC.
type mcuModel struct {
	prom    [sx1301.FirmwareSize]byte
	ram     [256]byte
	running bool
	role    string // firmware recognised at release: cal, agc, arb, unknown
	status  byte   // MCU_AGC_STATUS (AGC only)
	calCmd  byte
}

// MCUState is what an MCU runs.
type MCUState struct {
	// Running is set while the MCU is out of reset.
	Running bool
	// Firmware is "cal", "agc", "arb", "unknown" (an image the model does
	// not know), or "" before the first release.
	Firmware string
	// Status is MCU_AGC_STATUS for the AGC.
	Status byte
}

// MCU returns the state of MCU i (0 arbiter, 1 AGC).
func (c *Chip) MCU(i int) MCUState {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.update()
	m := c.mcus[i&1]
	return MCUState{Running: m.running, Firmware: m.role, Status: m.status}
}

// PROM returns a copy of MCU i's program RAM.
func (c *Chip) PROM(i int) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]byte(nil), c.mcus[i&1].prom[:]...)
}

// hostPROM returns the MCUs whose program RAM the host reaches
// (SELECT_MUX 0), the AGC first.
func (c *Chip) hostPROM() []*mcuModel {
	ctrl := c.regs[0][addrMCUCtrl]
	var out []*mcuModel
	if ctrl&ctrlSel1 == 0 {
		out = append(out, &c.mcus[1])
	}
	if ctrl&ctrlSel0 == 0 {
		out = append(out, &c.mcus[0])
	}
	return out
}

// promWrite stores a byte at the pointer in every program RAM the host
// holds and advances the pointer; the read pipeline is emptied.
func (c *Chip) promWrite(v byte) {
	for _, m := range c.hostPROM() {
		m.prom[c.promPtr%sx1301.FirmwareSize] = v
	}
	c.promPtr = (c.promPtr + 1) % sx1301.FirmwareSize
	c.promLatch = 0
}

// promRead returns the byte fetched by the previous read and fetches the
// one at the pointer: the first read after a write or an address change
// returns a stale byte (the HAL's "bug workaround" dummy read).
func (c *Chip) promRead() byte {
	out := c.promLatch
	ms := c.hostPROM()
	var v byte
	if len(ms) > 0 {
		v = ms[0].prom[c.promPtr%sx1301.FirmwareSize]
		if c.faults.CorruptPROM && c.promPtr%sx1301.FirmwareSize == c.faults.CorruptPROMOffset {
			v ^= 0x01
		}
	}
	c.promLatch = v
	c.promPtr = (c.promPtr + 1) % sx1301.FirmwareSize
	return out
}

// mcuControl reacts to MCU_RST and SELECT_MUX changes: an MCU released
// from reset with its program RAM given back runs the image it holds.
func (c *Chip) mcuControl(old, v byte) {
	for i, bits := range [2][2]byte{{ctrlRst0, ctrlSel0}, {ctrlRst1, ctrlSel1}} {
		m := &c.mcus[i]
		switch {
		case v&bits[0] != 0:
			m.running = false
		case old&bits[0] != 0 && !m.running:
			c.boot(i, v&bits[1] != 0)
		}
	}
}

// boot starts MCU i; withProgram is false when the host still holds its
// program RAM, so that it fetches nothing sensible.
func (c *Chip) boot(i int, withProgram bool) {
	m := &c.mcus[i]
	m.running, m.status, m.ram = true, 0, [256]byte{}
	m.role = "unknown"
	if withProgram {
		m.role = c.identify(m.prom[:])
	}
	switch {
	case i == 1 && m.role == "cal":
		m.ram[sx1301.FirmwareVersionAddr] = c.opts.CalVersion
		m.calCmd = c.regs[0][addrRadioSelect]
		c.calStart, c.calDone = -1, false
		c.maybeStartCal()
	case i == 1 && m.role == "agc":
		m.ram[sx1301.FirmwareVersionAddr] = c.opts.AGCVersion
		c.agc = agcDialogue{}
		if !c.faults.AGCNoBoot {
			m.status = 0x10
		}
	case i == 0 && m.role == "arb":
		m.ram[sx1301.FirmwareVersionAddr] = c.opts.ARBVersion
	}
}

// maybeStartCal starts the calibration once the calibration firmware runs,
// page 3 is selected and the host has handed over the registers
// (EMERGENCY_FORCE_HOST_CTRL 0).
func (c *Chip) maybeStartCal() {
	m := &c.mcus[1]
	if !m.running || m.role != "cal" || c.calStart >= 0 || c.calDone {
		return
	}
	if c.page() == 3 && c.regs[0][addrEmergency]&1 == 0 {
		c.calStart = c.clock.Elapsed()
	}
}

// calUpdate finishes a running calibration once its time has passed:
// status bits for what it could reach, TX DC offsets in data RAM.
func (c *Chip) calUpdate() {
	m := &c.mcus[1]
	if !m.running || m.role != "cal" || c.calStart < 0 || c.calDone {
		return
	}
	if c.clock.Elapsed()-c.calStart < c.opts.CalDuration || c.faults.CalNeverFinishes {
		return
	}
	c.calDone = true
	st := byte(0x80)
	if !c.faults.CalNoChipAccess {
		st |= 0x01
	}
	for rf := range 2 {
		if m.calCmd&(1<<rf) == 0 || !c.radios[rf].powered {
			continue
		}
		st |= 0x02 << rf // radio reached
		st |= 0x08 << rf // image rejection calibrated
		if m.calCmd&(4<<rf) != 0 {
			st |= 0x20 << rf // TX DC offset corrected
		}
	}
	m.status = st
	for i, v := range c.opts.CalOffsets {
		m.ram[0xA0+i] = byte(v)
	}
}

// AGC firmware commands (AGC_CMD_WAIT, AGC_CMD_ABORT).
const (
	agcCmdWait  = 16
	agcCmdAbort = 17
)

// agcDialogue is the AGC firmware's start-up dialogue state.
type agcDialogue struct {
	waiting bool
	steps   int
	phase   int // 0 gain table, 1 frequency MSBs, 2 channel option, 3 radio mapping, 4 done
	AGCState
}

// AGCState is what the AGC firmware was told in its start-up dialogue.
type AGCState struct {
	// GainTable are the gain rows received (mix + 16·dac + 64·pa).
	GainTable []byte
	// FreqMSB is the TX frequency MSBs value, ChanSelect the channel
	// option, RadioSelect the multi-SF radio mapping.
	FreqMSB, ChanSelect, RadioSelect byte
	// Done is set once the dialogue has ended (status 0x40).
	Done bool
}

// AGC returns what the AGC firmware was told.
func (c *Chip) AGC() AGCState {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.agc.AGCState
	s.GainTable = append([]byte(nil), s.GainTable...)
	return s
}

// agcValue handles a RADIO_SELECT write while the AGC firmware runs: the
// wait command, then one value, answered by a status.
func (c *Chip) agcValue(v byte) {
	m := &c.mcus[1]
	if !m.running || m.role != "agc" || m.status == 0 {
		return
	}
	if v == agcCmdWait {
		c.agc.waiting = true
		return
	}
	if !c.agc.waiting {
		return
	}
	c.agc.waiting = false
	c.agc.steps++
	if c.agc.steps == c.faults.AGCStallStep {
		return
	}
	a := &c.agc
	switch a.phase {
	case 0:
		if v == agcCmdAbort {
			m.status, a.phase = 0x30, 1
			return
		}
		m.status = 0x30 + byte(len(a.GainTable))
		a.GainTable = append(a.GainTable, v)
		if len(a.GainTable) == sx1301.MaxTxGainLUT {
			a.phase = 1
		}
	case 1:
		m.status, a.FreqMSB, a.phase = 0x30+v, v, 2
	case 2:
		m.status, a.ChanSelect, a.phase = 0x30+v, v, 3
	case 3:
		m.status, a.RadioSelect, a.Done, a.phase = 0x40, v, true, 4
	}
}
