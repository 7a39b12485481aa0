package main

import (
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"strings"

	"github.com/loraedge/loraedge/agent/config"
	"github.com/loraedge/loraedge/hal/lgwsim"
)

// lgwsimDevice is the socket path of a radio device, without the "spi:"
// or "usb:" prefix Station strips too (sys_radioDevice).
func lgwsimDevice(dev string) string {
	if p, rest, ok := strings.Cut(dev, ":"); ok && (p == "spi" || p == "usb") {
		return rest
	}
	return dev
}

// isSocket reports whether path names a Unix socket.
func isSocket(path string) bool {
	if path == "" {
		return false
	}
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().Type() == fs.ModeSocket
}

// newLgwsimRadio attaches to a radio simulator's socket as Station's
// simulation build does (hal/lgwsim): the radio device (SX1301_conf
// "device", resolved against the home) names the socket, and the
// connection is made when the LNS's router_config starts the radio,
// retrying every second while the socket is absent.
func newLgwsimRadio(cfg *config.Config, log *slog.Logger) (*agentRadio, error) {
	dev := lgwsimDevice(cfg.Radio.Device)
	if dev == "" {
		return nil, errors.New(`radio backend lgwsim: set the radio device (SX1301_conf "device" or radio.device) to the simulator's socket`)
	}
	conc, err := lgwsim.New(dev, lgwsim.Options{PPS: cfg.Radio.PPS, Logger: log.With("radio", "lgwsim")})
	if err != nil {
		return nil, err
	}
	log.Info("radio: Basics Station simulation socket", "device", dev)
	return &agentRadio{conc: conc, close: func() { conc.Stop() }}, nil
}
