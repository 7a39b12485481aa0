package sx1301

import (
	"context"
	"fmt"
	"time"
)

// Radio types the SX1301 works with (lgw_rxrf_setconf accepts no others).
const (
	RadioSX1255 = "SX1255"
	RadioSX1257 = "SX1257"
)

// SX125x registers and settings lgw_setup_sx125x writes (loragw_radio.c,
// loragw_sx125x.h).
const (
	sx125xRegMode      = 0x00 // bit 0 oscillator, bit 1 RX (PLL + front end)
	sx125xRegFreqMSB   = 0x01 // RX PLL frequency, 3 bytes
	sx125xRegVersion   = 0x07
	sx125xRegTxGain    = 0x08
	sx125xRegTxBW      = 0x0A
	sx125xRegTxDACBW   = 0x0B
	sx125xRegRxGain    = 0x0C
	sx125xRegRxBW      = 0x0D
	sx125xRegRxPLLBW   = 0x0E
	sx125xRegClkSelect = 0x10
	sx125xRegStatus    = 0x11 // bit 1: RX PLL locked
	sx1257RegXOSC      = 0x26
	sx1255RegXOSC      = 0x28

	sx125xTxDACClkSel  = 1  // 0 internal, 1 external
	sx125xTxDACGain    = 2  // -3 dBFS
	sx125xTxMixGain    = 14 // -38 + 2·14 dB
	sx125xTxPLLBW      = 1  // 150 kHz
	sx125xTxAnaBW      = 0
	sx125xTxDACBW      = 5 // 24 + 8·5 FIR taps
	sx125xRxLNAGain    = 1 // highest
	sx125xRxBBGain     = 12
	sx125xLNAZin       = 1 // 200 Ω
	sx125xRxADCBW      = 7
	sx125xRxADCTrim    = 6 // 32 MHz reference
	sx125xRxBBBW       = 0 // 750 kHz SSB
	sx125xRxPLLBW      = 0 // 75 kHz
	sx125xADCTemp      = 0
	sx125xXOSCGmStart  = 13
	sx125xXOSCDisable  = 2
	pllLockMaxAttempts = 5
)

// sx125xFrac is the irreducible fraction of the PLL step (SX125x_32MHz_FRAC).
const sx125xFrac = 15625

// SX125xFreqReg converts a frequency in Hz to the 24-bit PLL value of an
// SX1257 (f·2^19/32 MHz) or SX1255 (f·2^20/32 MHz), as integer and
// fractional parts the way lgw_setup_sx125x and lgw_send compute them.
// An unknown radio type gives 0.
func SX125xFreqReg(radioType string, hz uint32) uint32 {
	var whole, frac uint32
	switch radioType {
	case RadioSX1255:
		whole = hz / (sx125xFrac << 7)
		frac = (hz % (sx125xFrac << 7)) << 9 / sx125xFrac
	case RadioSX1257:
		whole = hz / (sx125xFrac << 8)
		frac = (hz % (sx125xFrac << 8)) << 8 / sx125xFrac
	default:
		return 0
	}
	return (whole&0xFF)<<16 | frac&0xFFFF
}

// setupRadio configures one SX125x through the SX1301's SPI master and,
// when enabled, tunes its RX PLL and waits for the lock, retrying as the
// HAL does (lgw_setup_sx125x). It returns the radio's version register.
func (d *Dev) setupRadio(ctx context.Context, rf int, enable bool, radioType string, freq uint32, clkOut bool) (byte, error) {
	b := d.bus
	ver, err := b.radioRead(rf, sx125xRegVersion)
	if err != nil {
		return 0, err
	}
	clk := byte(sx125xTxDACClkSel)
	if clkOut {
		clk += 2
	}
	writes := [][2]byte{{sx125xRegClkSelect, clk}}
	xosc := byte(sx125xXOSCGmStart + sx125xXOSCDisable*16)
	switch radioType {
	case RadioSX1255:
		writes = append(writes, [2]byte{sx1255RegXOSC, xosc})
	case RadioSX1257:
		writes = append(writes, [2]byte{sx1257RegXOSC, xosc})
	}
	if enable {
		f := SX125xFreqReg(radioType, freq)
		writes = append(writes,
			[2]byte{sx125xRegTxGain, sx125xTxMixGain + sx125xTxDACGain*16},
			[2]byte{sx125xRegTxBW, sx125xTxAnaBW + sx125xTxPLLBW*32},
			[2]byte{sx125xRegTxDACBW, sx125xTxDACBW},
			[2]byte{sx125xRegRxGain, sx125xLNAZin + sx125xRxBBGain*2 + sx125xRxLNAGain*32},
			[2]byte{sx125xRegRxBW, sx125xRxBBBW + sx125xRxADCTrim*4 + sx125xRxADCBW*32},
			[2]byte{sx125xRegRxPLLBW, sx125xADCTemp + sx125xRxPLLBW*2},
			[2]byte{sx125xRegFreqMSB, byte(f >> 16)},
			[2]byte{sx125xRegFreqMSB + 1, byte(f >> 8)},
			[2]byte{sx125xRegFreqMSB + 2, byte(f)},
		)
	}
	for _, w := range writes {
		if err := b.radioWrite(rf, w[0], w[1]); err != nil {
			return 0, err
		}
	}
	if !enable {
		return ver, nil
	}
	for attempt := 1; ; attempt++ {
		if err := b.radioWrite(rf, sx125xRegMode, 1); err != nil { // oscillator
			return 0, err
		}
		if err := b.radioWrite(rf, sx125xRegMode, 3); err != nil { // RX: PLL and front end
			return 0, err
		}
		if err := d.wait(ctx, time.Millisecond); err != nil {
			return 0, err
		}
		st, err := b.radioRead(rf, sx125xRegStatus)
		if err != nil {
			return 0, err
		}
		if st&0x02 != 0 {
			return ver, nil
		}
		if attempt == pllLockMaxAttempts {
			return 0, fmt.Errorf("%w: radio %d (%s): RX PLL not locked at %d Hz after %d attempts (status 0x%02x)",
				ErrTimeout, rf, radioType, freq, attempt, st)
		}
	}
}
