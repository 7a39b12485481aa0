// Package sx130xtest holds the test support the SX1301 and SX1302 driver
// tests and chip models (hal/sx1301, hal/sx1302 and their sx1301test and
// sx1302test) share: the manual Clock that drives a modelled chip, the
// Port that gives a model its spi.Conn, the byte-exact framing harness
// (spitest.Playback, or a real board through spitest.Record when
// LORAEDGE_SPI is set), and checks of the hal.Concentrator behaviour both
// drivers get from hal/internal/sx130x.
package sx130xtest
