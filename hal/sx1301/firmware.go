package sx1301

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// Errors callers may branch on, beside hal's sentinels.
var (
	// ErrFirmware is wrapped by every failure to load or start a
	// firmware: unreadable file, wrong size, read-back mismatch, wrong
	// version, a failed calibration.
	ErrFirmware = errors.New("sx1301: firmware")
	// ErrTimeout is wrapped when the chip does not reach an expected state
	// in time (an MCU status, the calibration, a radio PLL lock).
	ErrTimeout = errors.New("sx1301: timeout")
	// ErrChip is wrapped when the device on the SPI bus is not an SX1301
	// this driver can drive (wrong version, an FPGA in front of it).
	ErrChip = errors.New("sx1301: chip")
)

// readFirmware reads an 8192-byte MCU image from path: a raw binary file,
// or Semtech's .var C array file (the hex bytes between its braces; the
// licence comment before them is skipped).
func readFirmware(path, what string) ([]byte, error) {
	return sx130x.ReadFirmware(path, what, ErrFirmware)
}

// mcu names one of the SX1301's two MCUs: 0 the arbiter, 1 the AGC.
type mcu struct {
	name            string
	rst, sel        regID
	ramAddr, ramDat regID
}

var (
	mcuARB = mcu{"arb", regMcuRst0, regMcuSelectMux0, regDbgArbMcuRamAddr, regDbgArbMcuRamData}
	mcuAGC = mcu{"agc", regMcuRst1, regMcuSelectMux1, regDbgAgcMcuRamAddr, regDbgAgcMcuRamData}
)

// loadFirmware holds the MCU in reset, gives the host its program RAM,
// writes the image in one burst, reads it back after the HAL's dummy read
// ("bug workaround") and compares, then gives the RAM back to the MCU
// (load_firmware). Unlike lgw_start, a mismatch is an error.
func (d *Dev) loadFirmware(m mcu, fw []byte, what string) error {
	w := &regWriter{b: d.bus}
	w.w(m.rst, 1)
	w.w(m.sel, 0)
	w.w(regMcuPromAddr, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.bus.writeData(registers[regMcuPromData], fw); err != nil {
		return err
	}
	if _, err := d.bus.readReg(registers[regMcuPromData]); err != nil {
		return err
	}
	check := make([]byte, len(fw))
	if err := d.bus.readData(registers[regMcuPromData], check); err != nil {
		return err
	}
	if err := sx130x.CompareReadBack(fw, check); err != nil {
		return fmt.Errorf("%w: %s into the %s mcu: %w", ErrFirmware, what, m.name, err)
	}
	w.w(m.sel, 1)
	return w.err
}

// readMCURAM reads one byte of an MCU's data RAM through the debug
// registers (DBG_xxx_MCU_RAM_ADDR / _DATA).
func (d *Dev) readMCURAM(m mcu, addr byte) (byte, error) {
	if err := d.bus.writeReg(registers[m.ramAddr], int32(addr)); err != nil {
		return 0, err
	}
	v, err := d.bus.readReg(registers[m.ramDat])
	return byte(v), err
}

// checkVersion compares the version a started firmware wrote at
// FirmwareVersionAddr with the expected one.
func (d *Dev) checkVersion(m mcu, what string, want byte) error {
	v, err := d.readMCURAM(m, FirmwareVersionAddr)
	if err != nil {
		return err
	}
	if v != want {
		return fmt.Errorf("%w: %s firmware version %d, want %d (lora_gateway v5.0.1)", ErrFirmware, what, v, want)
	}
	return nil
}

// mcuPoll is the period of MCU status polling.
const mcuPoll = time.Millisecond

// waitAGCStatus polls MCU_AGC_STATUS until it reads want, for at most
// Options.MCUTimeout (the HAL waits 1 ms and reads once).
func (d *Dev) waitAGCStatus(ctx context.Context, want byte, step string) error {
	n := int(d.opts.MCUTimeout / mcuPoll)
	var got int32
	for i := 0; ; i++ {
		v, err := d.bus.readReg(registers[regMcuAgcStatus])
		if err != nil {
			return err
		}
		if byte(v) == want {
			return nil
		}
		got = v
		if i >= n {
			break
		}
		if err := d.wait(ctx, mcuPoll); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: agc firmware, %s: status 0x%02x after %v, want 0x%02x", ErrTimeout, step, got, d.opts.MCUTimeout, want)
}

// Calibration status bits of MCU_AGC_STATUS after the calibration
// firmware has run (lgw_start).
const (
	calDone        = 0x80 // calibration finished
	calAccessChip  = 0x01 // could access SX1301 registers
	calAccessA     = 0x02 // could access radio A
	calAccessB     = 0x04 // could access radio B
	calImageA      = 0x08 // radio A RX image rejection calibrated
	calImageB      = 0x10
	calTxDCOffsetA = 0x20 // radio A TX DC offset corrected
	calTxDCOffsetB = 0x40
)

// calibrate runs the calibration firmware on the AGC MCU: load it, give
// it the radios and the calibration command, release it, check its
// version, select page 3 and hand it the registers, wait the calibration
// time, take the registers back, check the status, and read the TX DC
// offsets it measured (lgw_start).
func (d *Dev) calibrate(ctx context.Context, cmd byte) error {
	if err := d.loadFirmware(mcuAGC, d.calFW, "calibration firmware"); err != nil {
		return err
	}
	w := &regWriter{b: d.bus}
	w.w(regForceHostRadioCtrl, 0)
	w.w(regRadioSelect, int32(cmd))
	w.w(regMcuRst1, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.checkVersion(mcuAGC, "calibration", CalVersion); err != nil {
		return err
	}
	// The firmware starts once page 3 is selected and it holds the
	// registers.
	w.w(regPageReg, 3)
	w.w(regEmergencyForceHostCtrl, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.wait(ctx, d.opts.CalibrationTime); err != nil {
		return err
	}
	w.w(regEmergencyForceHostCtrl, 1)
	if w.err != nil {
		return w.err
	}
	st, err := d.bus.readReg(registers[regMcuAgcStatus])
	if err != nil {
		return err
	}
	d.calStatus = byte(st)
	switch {
	case st&calDone == 0:
		return fmt.Errorf("%w: calibration not finished after %v (status 0x%02x)", ErrTimeout, d.opts.CalibrationTime, st)
	case st&calAccessChip == 0:
		return fmt.Errorf("%w: calibration failed: no access to the SX1301 registers (status 0x%02x)", ErrFirmware, st)
	}
	for rf, warn := range [2][3]byte{{calAccessA, calImageA, calTxDCOffsetA}, {calAccessB, calImageB, calTxDCOffsetB}} {
		if cmd&(1<<rf) == 0 {
			continue
		}
		if byte(st)&warn[0] == 0 {
			d.log.Warn("sx1301 calibration could not access the radio", "radio", rf, "status", st)
		}
		if byte(st)&warn[1] == 0 {
			d.log.Warn("sx1301 calibration: image rejection failed", "radio", rf, "status", st)
		}
		if cmd&(4<<rf) != 0 && byte(st)&warn[2] == 0 {
			d.log.Warn("sx1301 calibration: TX DC offset correction failed", "radio", rf, "status", st)
		}
	}
	// TX DC offsets for mixer gains 8..15: I then Q of radio A at
	// 0xA0/0xA8, of radio B at 0xB0/0xB8.
	for i := range 8 {
		for k, base := range [4]byte{0xA0, 0xA8, 0xB0, 0xB8} {
			v, err := d.readMCURAM(mcuAGC, base+byte(i))
			if err != nil {
				return err
			}
			d.txOffsets[k/2][k%2][i] = int8(v)
		}
	}
	return nil
}

// AGC firmware commands written to RADIO_SELECT (AGC_CMD_WAIT,
// AGC_CMD_ABORT).
const (
	agcCmdWait  = 16
	agcCmdAbort = 17
)

// agcCommand sends one value through the AGC's RADIO_SELECT protocol —
// the wait command, then the value — and waits for the status it answers
// with.
func (d *Dev) agcCommand(ctx context.Context, v byte, want byte, step string) error {
	w := &regWriter{b: d.bus}
	w.w(regRadioSelect, agcCmdWait)
	if w.err != nil {
		return w.err
	}
	if err := d.wait(ctx, mcuPoll); err != nil {
		return err
	}
	w.w(regRadioSelect, int32(v))
	if w.err != nil {
		return w.err
	}
	return d.waitAGCStatus(ctx, want, step)
}

// startMCUs loads the arbiter and AGC firmware, releases both MCUs, checks
// their versions and runs the AGC's start-up dialogue: the TX gain table,
// its end, the TX frequency MSBs, the channel-select option and the
// multi-SF radio mapping (lgw_start).
func (d *Dev) startMCUs(ctx context.Context, radioSelect byte) error {
	if err := d.loadFirmware(mcuARB, d.arbFW, "arbiter firmware"); err != nil {
		return err
	}
	if err := d.loadFirmware(mcuAGC, d.agcFW, "agc firmware"); err != nil {
		return err
	}
	w := &regWriter{b: d.bus}
	w.w(regForceHostRadioCtrl, 0)
	w.w(regForceHostFeCtrl, 0)
	w.w(regForceDecFilterGain, 0)
	w.w(regRadioSelect, 0) // must not be 1 or 2 when the firmware starts
	w.w(regMcuRst0, 0)
	w.w(regMcuRst1, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.checkVersion(mcuAGC, "agc", AGCVersion); err != nil {
		return err
	}
	if err := d.checkVersion(mcuARB, "arbiter", ARBVersion); err != nil {
		return err
	}
	if err := d.wait(ctx, mcuPoll); err != nil {
		return err
	}
	if err := d.waitAGCStatus(ctx, 0x10, "initialisation"); err != nil {
		return err
	}
	lut := d.opts.TxGainLUT
	for i, g := range lut {
		if err := d.agcCommand(ctx, g.agcValue(), 0x30+byte(i), fmt.Sprintf("tx gain entry %d", i)); err != nil {
			return err
		}
	}
	if len(lut) < MaxTxGainLUT {
		if err := d.agcCommand(ctx, agcCmdAbort, 0x30, "end of the tx gain table"); err != nil {
			return err
		}
	}
	// TX frequency MSBs: always 3 (lgw_start).
	if err := d.agcCommand(ctx, 3, 0x33, "tx frequency msb"); err != nil {
		return err
	}
	if err := d.agcCommand(ctx, 0, 0x30, "channel select option"); err != nil {
		return err
	}
	return d.agcCommand(ctx, radioSelect, 0x40, "radio select")
}
