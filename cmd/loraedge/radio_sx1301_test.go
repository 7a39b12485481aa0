package main

import (
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/loraedge/loraedge/agent/config"
)

func TestUseSX1301(t *testing.T) {
	home := func(conf string) string {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, config.StationConfFile), []byte(conf), 0o600); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	sx1301Conf := `/* Station's SX1301 build reads this */
{
  // board settings
  "SX1301_conf": { "device": "/dev/spidev0.0", "radio_0": {"type": "SX1257"} },
  "station_conf": { "routerid": "::1", "log_file": "// not a comment" }
}`
	// Station's simulation socket, named like a device.
	simHome := home(sx1301Conf)
	ln, err := net.Listen("unix", filepath.Join(simHome, "spidev"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cases := []struct {
		name    string
		backend string
		device  string
		home    string
		want    bool
	}{
		{"backend sx1301", "sx1301", "", "", true},
		{"station home with SX1301_conf on spidev", "sim", "/dev/spidev0.0", home(sx1301Conf), true},
		{"lower-case key, spi: prefix", "sim", "spi:/dev/spidev1.0", home(`{"sx1301_conf": {"device": "spi:/dev/spidev1.0"}}`), true},
		{"SX1302_conf", "sim", "/dev/spidev0.0", home(`{"SX1302_conf": {"device": "/dev/spidev0.0"}}`), false},
		{"simulation socket", "sim", "/tmp/radio.sock", home(sx1301Conf), false},
		{"simulation socket named spidev", "sim", filepath.Join(simHome, "spidev"), simHome, false},
		{"no home", "sim", "/dev/spidev0.0", "", false},
		{"backend sx1302", "sx1302", "/dev/spidev0.0", home(sx1301Conf), false},
		{"broken station.conf", "sim", "/dev/spidev0.0", home(`{"SX1301_conf": `), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Radio.Backend, cfg.Radio.Device, cfg.Home = c.backend, c.device, c.home
			if got := useSX1301(&cfg); got != c.want {
				t.Errorf("useSX1301 = %v, want %v", got, c.want)
			}
		})
	}
}

func TestSX1301Options(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	t.Setenv(sx1301AGCEnv, "/opt/fw/agc_fw.var")
	t.Setenv(sx1301ResetEnv, "")
	opts, err := sx1301Options(&cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(cfg.DataDir, "firmware", "cal_fw.var"); opts.CalFirmware != want {
		t.Errorf("calibration firmware %q, want %q", opts.CalFirmware, want)
	}
	if opts.AGCFirmware != "/opt/fw/agc_fw.var" || opts.Reset != nil {
		t.Errorf("agc firmware %q reset %v, want the environment's path and no reset pin", opts.AGCFirmware, opts.Reset)
	}
	t.Setenv(sx1301ResetEnv, "NO_SUCH_PIN")
	if _, err := sx1301Options(&cfg, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("an unknown reset pin was accepted")
	}
}
