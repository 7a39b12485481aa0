// Package sx1302 drives an SX1302 or SX1303 LoRa concentrator with SX1250
// radios (Semtech CoreCell and compatible boards) over SPI, as the
// hal.Concentrator the gateway agent uses.
//
// The driver follows Semtech's HAL, Lora-net/sx1302_hal V2.1.0 (the
// version Basics Station 2.0.6 builds against), read from its sources and
// rewritten: the SPI framing of loragw_spi.c, the register map of
// loragw_reg.c, the start sequence of lgw_start (radio reset and SX1250
// set-up, clock selection, channelizer, correlator and modem
// configuration, AGC and ARB firmware load and start), the RX buffer
// records of loragw_sx1302_rx.c, the counter widening of
// loragw_sx1302_timestamp.c and the LoRa TX path of sx1302_send. It
// differs where the HAL would hang or crash: every MCU status wait has a
// timeout (Options.MCUTimeout), the RX byte count is bounded, and a
// record with bad metadata or a payload CRC mismatch costs one frame, not
// the whole fetch.
//
// # Not covered
//
// SX1255/SX1257 radios (their calibration firmware and sx125x set-up),
// FSK and CW transmission, fine timestamps (SX1303), listen-before-talk
// and spectral scan (SX1261), the AD5338R DAC of full-duplex boards, and
// TX on the PPS (class B beacons). Start refuses radio types other than
// SX1250; Send refuses FSK.
//
// # Register table
//
// The table (regs_table.go) holds the 315 of the HAL's 1044 registers the
// driver and its model use, generated from the values of
// libloragw/src/loragw_reg.c V2.1.0 (hardware facts). When it was
// generated, every row's position was checked against its
// SX1302_REG_<name> index in loragw_reg.h, every field against
// offset+length <= 8, and every TX_TOP_B register against its TX_TOP_A twin
// + 0x200, the relation the driver relies on (TXTopBOffset).
//
// # Firmware
//
// The AGC and ARB MCUs run Semtech firmware the driver loads at each
// Start from the files named in Options: agc_fw_sx1250.var (AGC version
// 10) and arb_fw.var (ARB version 2) from libloragw/src of sx1302_hal
// V2.1.0 on github.com/Lora-net/sx1302_hal, distributed under Semtech's
// BSD licence. They are not part of this repository. The .var files can
// be used as they are, or as 8192-byte binaries.
//
// # Board
//
// On a Raspberry Pi with a CoreCell board: SPI /dev/spidev0.0 at 2 MHz,
// mode 0; power enable on GPIO18 and reset on GPIO23 (Options.PowerEnable,
// Options.Reset, driven like tools/reset_lgw.sh); the STTS751 temperature
// sensor on /dev/i2c-1 at 0x39, 0x3B or 0x38, without which the HAL, and
// Start, refuse to run.
//
// # Shared run
//
// The run itself (the start/stop state machine, the poll loop and its
// hand-off to Receive, the per-radio TX slots and their TxDone reports) is
// the one hal/sx1301 uses, from hal/internal/sx130x; this package
// supplies the chip's side.
//
// # Testing
//
// The sx1302test package models the chip behind an spi.Port; the tests run
// the whole driver on it, and byte-exact spitest.Playback tests pin the
// framing. With LORAEDGE_SPI=/dev/spidevX.Y the read-only framing tests
// also run on a real board through spitest.Record.
package sx1302
