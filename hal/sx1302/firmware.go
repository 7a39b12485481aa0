package sx1302

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"time"
)

// readFirmware reads an 8192-byte MCU image from path: a raw binary file,
// or Semtech's .var C array (the hex bytes between its braces).
func readFirmware(path, what string) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no %s firmware file given (see the package documentation for where to get it)", ErrFirmware, what)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrFirmware, what, err)
	}
	if len(b) == FirmwareSize {
		return b, nil
	}
	fw, err := parseVar(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s: %w", ErrFirmware, what, path, err)
	}
	return fw, nil
}

// parseVar extracts the bytes of a C array initialiser "{0x12, 0x34, …}".
func parseVar(b []byte) ([]byte, error) {
	open := bytes.IndexByte(b, '{')
	end := bytes.LastIndexByte(b, '}')
	if open < 0 || end < open {
		return nil, fmt.Errorf("%d bytes: neither a %d-byte image nor a C array", len(b), FirmwareSize)
	}
	out := make([]byte, 0, FirmwareSize)
	for _, f := range bytes.FieldsFunc(b[open+1:end], func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		if len(f) != 4 || f[0] != '0' || f[1] != 'x' && f[1] != 'X' {
			return nil, fmt.Errorf("C array element %q is not a 0xNN byte", f)
		}
		v, ok := hexByte(f[2], f[3])
		if !ok {
			return nil, fmt.Errorf("C array element %q is not a 0xNN byte", f)
		}
		out = append(out, v)
		if len(out) > FirmwareSize {
			break
		}
	}
	if len(out) != FirmwareSize {
		return nil, fmt.Errorf("C array of %d bytes, want %d", len(out), FirmwareSize)
	}
	return out, nil
}

func hexByte(hi, lo byte) (byte, bool) {
	h, ok1 := hexNibble(hi)
	l, ok2 := hexNibble(lo)
	return h<<4 | l, ok1 && ok2
}

func hexNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// mcu names one of the SX1302's two MCUs.
type mcu struct {
	name                        string
	mem                         uint16
	clear, prog, parity, status regID
}

var (
	mcuAGC = mcu{"agc", AGCMemAddr, regAgcMcuCtrlMcuClear, regAgcMcuCtrlHostProg, regAgcMcuCtrlParityError, regAgcMcuMcuAgcStatusMcuAgcStatus}
	mcuARB = mcu{"arb", ARBMemAddr, regArbMcuCtrlMcuClear, regArbMcuCtrlHostProg, regArbMcuCtrlParityError, regArbMcuMcuArbStatusMcuArbStatus}
)

// loadFirmware holds the MCU, writes its image, reads it back and compares,
// releases it and checks the parity flag (sx1302_agc/arb_load_firmware).
func (d *Dev) loadFirmware(m mcu, fw []byte) error {
	w := &regWriter{b: d.bus}
	w.w(m.clear, 1)
	w.w(m.prog, 1)
	w.w(regCommonPagePage, 0)
	if w.err != nil {
		return w.err
	}
	if err := d.bus.writeBurst(m.mem, fw); err != nil {
		return err
	}
	check := make([]byte, len(fw))
	if err := d.bus.readBurst(m.mem, check, false); err != nil {
		return err
	}
	if i := firstDiff(fw, check); i >= 0 {
		return fmt.Errorf("%w: %s: read-back differs at byte %d (wrote 0x%02x, read 0x%02x)", ErrFirmware, m.name, i, fw[i], check[i])
	}
	w.w(m.prog, 0)
	w.w(m.clear, 0)
	if w.err != nil {
		return w.err
	}
	p, err := d.bus.readReg(registers[m.parity])
	if err != nil {
		return err
	}
	if p != 0 {
		return fmt.Errorf("%w: %s: parity error after load", ErrFirmware, m.name)
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// mcuPoll is the period of status polling.
const mcuPoll = time.Millisecond

// waitStatus polls an MCU status register until it reads want, for at
// most Options.MCUTimeout (the HAL's loops have no timeout).
func (d *Dev) waitStatus(ctx context.Context, m mcu, want byte) error {
	n := int(d.opts.MCUTimeout / mcuPoll)
	var got int32
	for range n + 1 {
		v, err := d.bus.readReg(registers[m.status])
		if err != nil {
			return err
		}
		if byte(v) == want {
			return nil
		}
		got = v
		if err := d.wait(ctx, mcuPoll); err != nil {
			return err
		}
	}
	return fmt.Errorf("%w: %s status 0x%02x after %v, want 0x%02x", ErrTimeout, m.name, got, d.opts.MCUTimeout, want)
}

// AGC mailboxes: mailbox i is WR_DATA_BYTE<i> / RD_DATA_BYTE<i>.
var (
	agcMailboxW = [4]regID{regAgcMcuMcuMailBoxWrDataByte0McuMailBoxWrData, regAgcMcuMcuMailBoxWrDataByte1McuMailBoxWrData, regAgcMcuMcuMailBoxWrDataByte2McuMailBoxWrData, regAgcMcuMcuMailBoxWrDataByte3McuMailBoxWrData}
	agcMailboxR = [4]regID{regAgcMcuMcuMailBoxRdDataByte0McuMailBoxRdData, regAgcMcuMcuMailBoxRdDataByte1McuMailBoxRdData, regAgcMcuMcuMailBoxRdDataByte2McuMailBoxRdData, regAgcMcuMcuMailBoxRdDataByte3McuMailBoxRdData}
)

// agcGainAuto lets the AGC choose the analog and decimator gains
// (SX1302_AGC_RADIO_GAIN_AUTO).
const agcGainAuto = 0xFF

// agcStep is one exchange of the AGC start handshake: values written to
// mailboxes 0.., the command written to mailbox 3, the status the AGC
// answers with, after which the mailboxes must read back the values.
type agcStep struct {
	values []byte
	cmd    byte
	status byte
}

// agcSteps is sx1302_agc_start for an SX1250 clock radio, LBT off, with
// the agc_params_sx1250 values (loragw_agc_params.h).
var agcSteps = []agcStep{
	{[]byte{agcGainAuto, agcGainAuto}, 0x80, 0x02}, // radio A gains (0x80: AGC_RADIO_A_INIT_DONE)
	{[]byte{agcGainAuto, agcGainAuto}, 0x20, 0x03}, // radio B gains (0x20: AGC_RADIO_B_INIT_DONE)
	{[]byte{1, 13}, 0x03, 0x04},                    // analog gain min/max
	{[]byte{3, 12}, 0x04, 0x05},                    // analog thresholds
	{[]byte{4, 15}, 0x05, 0x06},                    // decimator attenuation min/max
	{[]byte{40, 80, 90}, 0x06, 0x07},               // decimator thresholds
	{[]byte{4, 14}, 0x07, 0x08},                    // channel attenuation min/max
	{[]byte{52, 132}, 0x08, 0x09},                  // channel thresholds
	{[]byte{0, 7, 4}, 0x09, 0x0A},                  // SX1250 SetPAConfig: deviceSel, hpMax, paDutyCycle
	{[]byte{8}, 0x0A, 0x0B},                        // PA start delay, 100 µs units
	{[]byte{0}, 0x0B, 0x0F},                        // LBT off
}

// agcDone is the last command: configuration finished.
const agcDone = 0x0F

// agcStart runs the AGC start handshake: wait for the firmware to report
// its version, then each step's mailbox exchange (sx1302_agc_start).
func (d *Dev) agcStart(ctx context.Context) error {
	if err := d.waitStatus(ctx, mcuAGC, 0x01); err != nil {
		return err
	}
	v, err := d.bus.readReg(registers[agcMailboxR[0]])
	if err != nil {
		return err
	}
	if v != AGCVersionSX1250 {
		return fmt.Errorf("%w: agc version %d, want %d (the SX1250 build of sx1302_hal V2.1.0)", ErrFirmware, v, AGCVersionSX1250)
	}
	w := &regWriter{b: d.bus}
	for i, s := range agcSteps {
		for mb, v := range s.values {
			w.w(agcMailboxW[mb], int32(v))
		}
		w.w(agcMailboxW[3], int32(s.cmd))
		if w.err != nil {
			return w.err
		}
		if err := d.waitStatus(ctx, mcuAGC, s.status); err != nil {
			return err
		}
		want := s.values
		if i < 2 { // the radio gain steps also check mailbox 2, the FDD mode
			want = append(append([]byte(nil), s.values...), bit(d.opts.FullDuplex))
		}
		for mb, v := range want {
			got, err := d.bus.readReg(registers[agcMailboxR[mb]])
			if err != nil {
				return err
			}
			if byte(got) != v {
				return fmt.Errorf("%w: agc command 0x%02x: mailbox %d reads 0x%02x, want 0x%02x", ErrFirmware, s.cmd, mb, got, v)
			}
		}
	}
	w.w(agcMailboxW[3], agcDone)
	return w.err
}

// arbStart runs the ARB start handshake: version in debug status 0, fine
// timestamps off, double-detect filter 3, resume, wait for status 0
// (sx1302_arb_start).
func (d *Dev) arbStart(ctx context.Context) error {
	if err := d.waitStatus(ctx, mcuARB, 0x01); err != nil {
		return err
	}
	v, err := d.bus.readReg(registers[regArbMcuArbDebugSts0ArbDebugSts0])
	if err != nil {
		return err
	}
	if v != ARBVersion {
		return fmt.Errorf("%w: arb version %d, want %d", ErrFirmware, v, ARBVersion)
	}
	w := &regWriter{b: d.bus}
	w.w(regArbMcuArbDebugCfg0ArbDebugCfg0, 7) // detect/alloc statistics for SF7
	w.w(regArbMcuArbDebugCfg3ArbDebugCfg3, 0) // no double demodulation
	w.w(regArbMcuArbDebugCfg2ArbDebugCfg2, 3) // double-detect filter threshold
	w.w(regArbMcuArbDebugCfg1ArbDebugCfg1, 1) // resume
	if w.err != nil {
		return w.err
	}
	return d.waitStatus(ctx, mcuARB, 0x00)
}
