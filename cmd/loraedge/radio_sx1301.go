package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"periph.io/x/conn/v3/spi/spireg"
	"periph.io/x/host/v3"

	"github.com/loraedge/loraedge/agent/config"
	"github.com/loraedge/loraedge/hal/sx1301"
)

// SX1301 board defaults. The firmware files come from lora_gateway v5.0.1
// (libloragw/src/cal_fw.var, agc_fw.var, arb_fw.var); the environment
// variables override where they are looked for, and name the reset GPIO,
// which differs between boards (reset_lgw.sh uses GPIO 7, iC880A and RAK831
// set-ups on a Raspberry Pi often GPIO17 or GPIO25), until the
// configuration file has keys for them. Without a reset pin the board is
// expected to be reset outside, as the HAL expects.
const (
	sx1301DefaultDevice = "/dev/spidev0.0"
	sx1301ResetEnv      = "LORAEDGE_SX1301_RESET_PIN"
	sx1301CalEnv        = "LORAEDGE_SX1301_CAL_FW"
	sx1301AGCEnv        = "LORAEDGE_SX1301_AGC_FW"
	sx1301ARBEnv        = "LORAEDGE_SX1301_ARB_FW"
)

// useSX1301 reports whether the configuration asks for the SX1301 driver:
// radio backend "sx1301", or the default backend with a Basics Station home
// whose station.conf describes the board under SX1301_conf (or
// sx1301_conf) with an SPI device that is not a simulator's socket, as
// Station's SX1301 build reads it.
func useSX1301(cfg *config.Config) bool {
	switch {
	case cfg.Radio.Backend == "sx1301":
		return true
	case cfg.Radio.Backend != "sim" || cfg.Radio.BackendChosen || cfg.Home == "":
		return false // a backend named in the config file is taken as given
	}
	// Station's simulation build names its socket like a device
	// ("spidev"): a socket is the simulator's (lgwsim), not a board.
	dev := strings.TrimPrefix(cfg.Radio.Device, "spi:")
	if !strings.HasPrefix(filepath.Base(dev), "spidev") || isSocket(dev) {
		return false
	}
	key, err := stationConfBoardKey(filepath.Join(cfg.Home, config.StationConfFile))
	return err == nil && (key == "SX1301_conf" || key == "sx1301_conf")
}

// stationConfBoardKey returns the key under which station.conf holds the
// board settings (SX1301_conf, SX1302_conf, sx1301_conf, sx1302_conf or
// radio_conf), "" if none.
func stationConfBoardKey(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(stripJSONComments(b), &top); err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	for _, k := range []string{"SX1301_conf", "SX1302_conf", "sx1301_conf", "sx1302_conf", "radio_conf"} {
		if _, ok := top[k]; ok {
			return k, nil
		}
	}
	return "", nil
}

// stripJSONComments blanks the // and /* */ comments Station allows in
// station.conf, leaving strings alone.
func stripJSONComments(b []byte) []byte {
	out := bytes.Clone(b)
	inString, escaped := false, false
	for i := 0; i < len(out); i++ {
		c := out[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '/' && i+1 < len(out) && out[i+1] == '/':
			for ; i < len(out) && out[i] != '\n'; i++ {
				out[i] = ' '
			}
		case c == '/' && i+1 < len(out) && out[i+1] == '*':
			out[i], out[i+1] = ' ', ' '
			for i += 2; i < len(out) && !(out[i] == '*' && i+1 < len(out) && out[i+1] == '/'); i++ {
				if out[i] != '\n' {
					out[i] = ' '
				}
			}
			if i+1 < len(out) {
				out[i], out[i+1] = ' ', ' '
				i++
			}
		}
	}
	return out
}

// sx1301Options builds the driver's options from the configuration and
// the environment.
func sx1301Options(cfg *config.Config, log *slog.Logger) (*sx1301.Options, error) {
	firmware := func(env, name string) string {
		if p := os.Getenv(env); p != "" {
			return p
		}
		return filepath.Join(cfg.DataDir, "firmware", name)
	}
	opts := &sx1301.Options{
		CalFirmware: firmware(sx1301CalEnv, "cal_fw.var"),
		AGCFirmware: firmware(sx1301AGCEnv, "agc_fw.var"),
		ARBFirmware: firmware(sx1301ARBEnv, "arb_fw.var"),
		Logger:      log.With("radio", "sx1301"),
	}
	if name := os.Getenv(sx1301ResetEnv); name != "" {
		p := pin(name)
		if p == nil {
			return nil, fmt.Errorf("sx1301: reset pin %s (%s): no such GPIO on this host", name, sx1301ResetEnv)
		}
		opts.Reset = p
	}
	return opts, nil
}

// newSX1301Radio opens the SPI device (and the reset GPIO, if one is
// named) of an SX1301 board and returns the driver (stopped; the agent
// starts it with the LNS's channel plan).
func newSX1301Radio(cfg *config.Config, log *slog.Logger) (*agentRadio, error) {
	if _, err := host.Init(); err != nil {
		return nil, fmt.Errorf("sx1301: host drivers: %w", err)
	}
	opts, err := sx1301Options(cfg, log)
	if err != nil {
		return nil, err
	}
	dev := strings.TrimPrefix(cfg.Radio.Device, "spi:")
	if dev == "" {
		dev = sx1301DefaultDevice
	}
	port, err := spireg.Open(dev)
	if err != nil {
		return nil, fmt.Errorf("sx1301: open %s: %w", dev, err)
	}
	d, err := sx1301.New(port, opts)
	if err != nil {
		port.Close()
		return nil, err
	}
	reset := "none (reset outside)"
	if opts.Reset != nil {
		reset = opts.Reset.String()
	}
	log.Info("sx1301 concentrator", "spi", dev, "reset", reset,
		"cal_firmware", opts.CalFirmware, "agc_firmware", opts.AGCFirmware, "arb_firmware", opts.ARBFirmware)
	return &agentRadio{conc: d, close: func() { d.Stop(); port.Close() }}, nil
}
