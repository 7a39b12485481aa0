package sx1302

import (
	"context"
	"fmt"
	"time"
)

// SX1250 commands the driver sends through the SX1302's mux
// (sx1250_defs.h).
const (
	opSetStandby      = 0x80
	opSetRX           = 0x82
	opSetRFFrequency  = 0x86
	opCalibrate       = 0x89
	opCalibrateImage  = 0x98
	opWriteRegister   = 0x0D
	opGetStatus       = 0xC0
	opGetDeviceErrors = 0x17
	stdbyRC           = 0x00
	stdbyXOSC         = 0x01
	// Chip modes in bits 4..6 of the status byte.
	modeStdbyRC   = 0x2
	modeStdbyXOSC = 0x3
)

// busyWait is the pause before every SX1250 command: the HAL waits instead
// of polling the radio's BUSY line (WAIT_BUSY_SX1250_MS).
const busyWait = time.Millisecond

// SX1250FreqReg converts a frequency in Hz to the SX1250's PLL step units
// (freq·2^25/32 MHz, SX1250_FREQ_TO_REG).
func SX1250FreqReg(hz uint32) uint32 { return uint32(uint64(hz) << 25 / 32_000_000) }

// imageCalibration returns the CALIBRATE_IMAGE band bytes for a radio
// frequency, or ok false outside the bands the HAL knows.
func imageCalibration(hz uint32) (lo, hi byte, ok bool) {
	switch {
	case hz > 430_000_000 && hz < 440_000_000:
		return 0x6B, 0x6F, true
	case hz > 470_000_000 && hz < 510_000_000:
		return 0x75, 0x81, true
	case hz > 779_000_000 && hz < 787_000_000:
		return 0xC1, 0xC5, true
	case hz > 863_000_000 && hz < 870_000_000:
		return 0xD7, 0xDB, true
	case hz > 902_000_000 && hz < 928_000_000:
		return 0xE1, 0xE9, true
	}
	return 0, 0, false
}

// radioCmd sends an SX1250 command after the busy wait.
func (d *Dev) radioCmd(ctx context.Context, rf int, op byte, data ...byte) error {
	if err := d.wait(ctx, busyWait); err != nil {
		return err
	}
	return d.bus.radioWrite(rf, op, data)
}

// radioQuery sends an SX1250 read command after the busy wait.
func (d *Dev) radioQuery(ctx context.Context, rf int, op byte, n int) ([]byte, error) {
	if err := d.wait(ctx, busyWait); err != nil {
		return nil, err
	}
	return d.bus.radioRead(rf, op, make([]byte, n))
}

// radioMode returns the chip mode from GET_STATUS.
func (d *Dev) radioMode(ctx context.Context, rf int) (byte, error) {
	st, err := d.radioQuery(ctx, rf, opGetStatus, 1)
	if err != nil {
		return 0, err
	}
	return st[0] >> 4 & 7, nil
}

// sx1250Calibrate runs the image calibration for the radio's band and
// checks the device errors (sx1250_calibrate).
func (d *Dev) sx1250Calibrate(ctx context.Context, rf int, hz uint32) error {
	if _, err := d.radioQuery(ctx, rf, opGetStatus, 1); err != nil {
		return err
	}
	lo, hi, ok := imageCalibration(hz)
	if !ok {
		return fmt.Errorf("sx1302: radio_%d: no image calibration for %d Hz", rf, hz)
	}
	if err := d.radioCmd(ctx, rf, opCalibrateImage, lo, hi); err != nil {
		return err
	}
	if err := d.wait(ctx, 10*time.Millisecond); err != nil {
		return err
	}
	e, err := d.radioQuery(ctx, rf, opGetDeviceErrors, 3)
	if err != nil {
		return err
	}
	if e[2]&0x10 != 0 {
		return fmt.Errorf("sx1302: radio_%d: image calibration failed (device errors 0x%02x%02x)", rf, e[1], e[2])
	}
	return nil
}

// sx1250Setup puts the radio in continuous RX at hz, which also makes it
// clock the SX1302 (sx1250_setup).
func (d *Dev) sx1250Setup(ctx context.Context, rf int, hz uint32) error {
	steps := []struct {
		op   byte
		data []byte
		// mode, when non-zero, is the chip mode GET_STATUS must show after
		// the step's wait.
		mode byte
	}{
		{op: opSetStandby, data: []byte{stdbyRC}, mode: modeStdbyRC},
		{op: opCalibrate, data: []byte{0x7F}},
		{op: opSetStandby, data: []byte{stdbyXOSC}, mode: modeStdbyXOSC},
	}
	for _, s := range steps {
		if err := d.radioCmd(ctx, rf, s.op, s.data...); err != nil {
			return err
		}
		if err := d.wait(ctx, 10*time.Millisecond); err != nil {
			return err
		}
		if s.mode == 0 {
			continue
		}
		m, err := d.radioMode(ctx, rf)
		if err != nil {
			return err
		}
		if m != s.mode {
			return fmt.Errorf("sx1302: radio_%d: chip mode %d after standby, want %d", rf, m, s.mode)
		}
	}
	// Register writes: [address hi, address lo, value…].
	regs := [][]byte{
		{0x06, 0xA1, 0x01}, {0x06, 0xA2, 0x00}, {0x06, 0xA3, 0x00}, // max bit rate: faster TX→FS switch
		{0x05, 0x82, 0x00}, {0x05, 0x83, 0x00}, {0x05, 0x84, 0x00}, {0x05, 0x85, 0x00}, {0x05, 0x80, 0x00}, // DIOs for RX
		{0x08, 0xB6, 0x2A}, // fixed gain
	}
	for _, r := range regs {
		if err := d.radioCmd(ctx, rf, opWriteRegister, r...); err != nil {
			return err
		}
	}
	f := SX1250FreqReg(hz)
	if err := d.radioCmd(ctx, rf, opSetRFFrequency, byte(f>>24), byte(f>>16), byte(f>>8), byte(f)); err != nil {
		return err
	}
	if err := d.radioCmd(ctx, rf, opWriteRegister, 0x08, 0x8F, 0, 0, 0); err != nil { // frequency offset 0
		return err
	}
	if err := d.radioCmd(ctx, rf, opSetRX, 0xFF, 0xFF, 0xFF); err != nil { // continuous RX
		return err
	}
	return d.radioCmd(ctx, rf, opWriteRegister, 0x05, 0x87, 0x0B) // FPGA_MODE_RX
}
