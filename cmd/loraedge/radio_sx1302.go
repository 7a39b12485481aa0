package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"periph.io/x/conn/v3/gpio"
	"periph.io/x/conn/v3/gpio/gpioreg"
	"periph.io/x/conn/v3/i2c/i2creg"
	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/loraedge/loraedge/agent/config"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sx1302"
)

// SX1302 board defaults: a CoreCell-style HAT on a Raspberry Pi, as
// Semtech's tools/reset_lgw.sh and the HAL expect it. The firmware files
// come from sx1302_hal V2.1.0 (libloragw/src/agc_fw_sx1250.var, arb_fw.var);
// the environment variables override where they are looked for until the
// configuration file has keys for them.
const (
	sx1302DefaultDevice = "/dev/spidev0.0"
	sx1302I2C           = "/dev/i2c-1"
	sx1302ResetPin      = "GPIO23"
	sx1302PowerPin      = "GPIO18"
	sx1302AGCEnv        = "LORAEDGE_SX1302_AGC_FW"
	sx1302ARBEnv        = "LORAEDGE_SX1302_ARB_FW"
)

// newSX1302Radio opens the SPI device, I2C bus and GPIOs of an SX1302
// board and returns the driver (stopped; the agent starts it with the
// LNS's channel plan).
func newSX1302Radio(cfg *config.Config, log *slog.Logger) (*agentRadio, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("sx1302: host drivers: %w", err)
	}
	dev := strings.TrimPrefix(cfg.Radio.Device, "spi:")
	if dev == "" {
		dev = sx1302DefaultDevice
	}
	port, err := spireg.Open(dev)
	if err != nil {
		return nil, fmt.Errorf("sx1302: open %s: %w", dev, err)
	}
	bus, err := i2creg.Open(sx1302I2C)
	if err != nil {
		port.Close()
		return nil, fmt.Errorf("sx1302: open %s (temperature sensor): %w", sx1302I2C, err)
	}
	closeAll := func() { bus.Close(); port.Close() }
	firmware := func(env, name string) string {
		if p := os.Getenv(env); p != "" {
			return p
		}
		return filepath.Join(cfg.DataDir, "firmware", name)
	}
	opts := &sx1302.Options{
		PowerEnable: pin(sx1302PowerPin),
		Reset:       pin(sx1302ResetPin),
		I2C:         bus,
		AGCFirmware: firmware(sx1302AGCEnv, "agc_fw_sx1250.var"),
		ARBFirmware: firmware(sx1302ARBEnv, "arb_fw.var"),
		FullDuplex:  cfg.Radio.FullDuplex,
		Logger:      log.With("radio", "sx1302"),
	}
	d, err := sx1302.New(port, opts)
	if err != nil {
		closeAll()
		return nil, err
	}
	log.Info("sx1302 concentrator", "spi", dev, "agc_firmware", opts.AGCFirmware, "arb_firmware", opts.ARBFirmware)
	var conc hal.Concentrator = d
	return &agentRadio{conc: conc, close: func() { d.Stop(); closeAll() }}, nil
}

// pin returns the named GPIO, or nil (left alone) when the host has none.
func pin(name string) gpio.PinOut {
	if p := gpioreg.ByName(name); p != nil {
		return p
	}
	return nil
}
