// Package sx1301 drives an SX1301 LoRa concentrator with two SX1255 or
// SX1257 radios (iC880A, RAK831, IMST and Semtech reference boards) over
// SPI, as the hal.Concentrator the gateway agent uses.
//
// The driver follows Semtech's HAL, Lora-net/lora_gateway v5.0.1 (the
// version Basics Station 2.0.6 builds against), read from its sources and
// rewritten: the SPI framing of loragw_spi.native.c (one header byte, the
// write flag in bit 7 and a 7-bit address; no mux byte, since plain boards
// have no FPGA in front of the chip, which lgw_connect detects and this
// driver refuses), the paged register map of loragw_reg.c (page number in
// address 0, cached and switched only when a paged register needs it;
// multi-byte registers least significant byte first), and lgw_start: soft
// reset, SX125x set-up through the SX1301's own SPI master registers with
// PLL lock retries, the calibration firmware run on the AGC MCU, the modem
// configuration, the arbiter and AGC firmware load with read-back compare
// (after the HAL's dummy read) and the AGC's start-up dialogue through
// RADIO_SELECT. RX follows lgw_receive (the 16-entry FIFO, payload then 16
// metadata bytes, the timestamp correction), TX lgw_send (the 16-byte TX
// header, trigger at count_us − start delay), and the counter and PPS
// follow Basics Station's use of TIMESTAMP and GPS_EN (ral_lgw.c).
//
// It differs where the HAL would hang, go on regardless or read garbage:
// every AGC status has a timeout (Options.MCUTimeout) where the HAL waits
// 1 ms and reads once; a firmware read-back mismatch fails Start where
// lgw_start ignores load_firmware's result; a damaged FIFO entry is
// dropped and the FIFO advanced where lgw_receive stops and reads the same
// entry again at every call.
//
// # Not covered
//
// Boards with an FPGA (SPI mux, TX notch filter, listen-before-talk and
// spectral scan with an SX127x), the GPS/NMEA side of loragw_gps.c, TX on
// the PPS (class B beacons) and custom FSK sync words.
//
// # Register table
//
// regs_table.go holds the 120 of the HAL's 326 registers the driver and
// its model use, generated from loragw_reg.c v5.0.1 (hardware facts).
// When it was generated every row's position was checked against its
// LGW_<name> index in loragw_reg.h. Registers at addresses 0..32 and
// 125..127 are the same in every page; 33..124 are paged.
//
// # Firmware
//
// The three MCU images are loaded at each Start from the files named in
// Options: cal_fw.var (version 2), agc_fw.var (version 4) and arb_fw.var
// (version 1) from libloragw/src of lora_gateway v5.0.1 on
// github.com/Lora-net/lora_gateway, distributed under Semtech's Revised
// BSD licence. They are not part of this repository.
//
// # Board
//
// SPI /dev/spidev0.0 at 8 MHz, mode 0, and a reset GPIO pulsed high then
// low, 100 ms apart, like the HAL's reset_lgw.sh (GPIO 7 on Semtech's IoT
// starter kit; boards differ).
//
// # Shared run
//
// The run itself (the start/stop state machine, the poll loop and its
// hand-off to Receive, the TX slot and its TxDone reports) is the one
// hal/sx1302 uses, from hal/internal/sx130x; this package supplies the
// chip's side.
//
// # Testing
//
// The sx1301test package models the chip and its radios behind an
// spi.Port; the tests run the whole driver on it, and byte-exact
// spitest.Playback tests pin the framing. With LORAEDGE_SPI=/dev/spidevX.Y
// the read-only framing tests also run on a real board through
// spitest.Record.
package sx1301
