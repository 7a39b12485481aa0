// Package sx1302test is a register-level model of an SX1302 concentrator
// with two SX1250 radios behind an spi.Port, and of the STTS751 sensor
// behind an i2c.Bus, for testing hal/sx1302 without hardware.
//
// The model follows the HAL (Lora-net/sx1302_hal V2.1.0) as read, not
// silicon: the SPI framing of loragw_spi.c (mux byte, 15-bit address with
// the write flag in byte 1 bit 7, a dummy byte on reads, auto-increment
// except in the RX buffer, whose reads pop a FIFO), a flat register file
// with the defaults of the driver's register table, firmware RAM writable
// only while the MCU is held for programming, the AGC and ARB start
// handshakes (status 0x01 with the firmware version, mailbox commands
// echoed and answered with the status sx1302_agc_start waits for), the
// SX1250 command set sx1250_setup uses, a 32 MHz counter driven by a
// manual Clock with a PPS latch, an RX FIFO fed with packet records, the
// TX state machine (free 0x80, scheduled 0x91, emitting 0x30) and OTP.
// Faults can be injected to test the driver's error paths: a stalled
// MCU, corrupted firmware read-back, a radio image-calibration error, an
// oversize RX byte count.
package sx1302test
