// Package sx1301test is a register-level model of an SX1301 concentrator
// with two SX125x radios behind an spi.Port, for testing hal/sx1301
// without hardware.
//
// The model follows the HAL (Lora-net/lora_gateway v5.0.1) as read, not
// silicon: the SPI framing of loragw_spi.native.c without mux byte (header
// byte with the write flag in bit 7 and a 7-bit address; bursts advance
// the address except on the data ports RX_DATA_BUF_DATA, TX_DATA_BUF_DATA,
// CAPTURE_RAM_DATA and MCU_PROM_DATA, which have their own pointers), a
// register file of four pages where addresses 0..32 and 125..127 are
// shared, with the defaults of the driver's register table; the soft reset;
// the MCU program RAMs behind MCU_PROM_ADDR/DATA (host access while
// SELECT_MUX is 0, reads one byte behind, which is why the HAL makes a
// dummy read); the three firmware images recognised by content: the
// calibration firmware (version 2 at data RAM 0x20, runs once page 3 is
// selected and the host hands over the registers, then reports its status
// and TX DC offsets), the AGC firmware (version 4, status 0x10, then the
// RADIO_SELECT dialogue of lgw_start: gain table rows answered 0x30+i, the
// table end 0x30, the frequency MSBs 0x33, the channel option 0x30, the
// radio mapping 0x40) and the arbiter firmware (version 1); the SX125x
// radios behind the SX1301's SPI master registers, with PLL lock; the
// 32-bit µs counter driven by a manual Clock, with the TIMESTAMP latch of
// GPS_EN and PPS; the RX FIFO (16 entries, a 1024-byte data buffer) fed
// with packet records; the TX buffer, header and trigger, with the
// TX_STATUS bits lgw_status reads (the model shows 0x80 free, 0x90
// programmed, 0xB0 emitting; the HAL reads only bits 4..6).
//
// Faults can be injected to test the driver's error paths: corrupted
// firmware read-back, a calibration that never finishes or cannot reach
// the chip, an AGC that does not boot or ignores a command, a radio PLL
// that does not lock, an impossible FIFO count, an FPGA answering the mux
// probe.
package sx1301test
