// Package sx130x is the part of the SX1301 and SX1302 drivers
// (hal/sx1301, hal/sx1302) that does not depend on the chip: the
// start/stop state machine of a hal.Concentrator, the poll loop and its
// hand-off of received frames to Receive, the TX slots with their lead
// time check, busy check and TX-done reporting, and the loading of the
// MCU firmware files both chip families ship as 8192-byte images or
// Semtech .var C arrays.
//
// A driver describes its chip with a Chip, a struct of the functions
// that touch the hardware (SPI framing, register maps, radio set-up, RX
// record formats, TX buffers, counter and PPS latch all stay in the
// driver), and wraps a Core, whose methods implement hal.Concentrator.
// The Core calls every Chip function with its lock held, so the driver's
// bus and chip state need no lock of their own.
package sx130x
