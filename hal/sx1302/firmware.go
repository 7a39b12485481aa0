package sx1302

import (
	"context"
	"fmt"
	"time"

	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// readFirmware reads an 8192-byte MCU image from path: a raw binary file,
// or Semtech's .var C array (the hex bytes between its braces).
func readFirmware(path, what string) ([]byte, error) {
	return sx130x.ReadFirmware(path, what, ErrFirmware)
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
	if err := sx130x.CompareReadBack(fw, check); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrFirmware, m.name, err)
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
