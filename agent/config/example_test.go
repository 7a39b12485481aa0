package config_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/loraedge/loraedge/agent/config"
)

// A Basics Station home with the simulation example's station.conf and a
// tc.uri is all the agent needs to start.
func ExampleLoadStationHome() {
	home, err := os.MkdirTemp("", "station-home")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(home)
	files := map[string]string{
		"station.conf": `{
  "SX1301_conf": { "lorawan_public": true, "clksrc": 1, "device": "spidev",
    "radio_0": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": true, "antenna_gain": 0},
    "radio_1": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": false} },
  "station_conf": { "routerid": "::1", "euiprefix": "::0", "log_level": "DEBUG" } /* comments allowed */
}`,
		"tc.uri":      "ws://127.0.0.1:6038\n",
		"version.txt": "1.0.0\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(home, name), []byte(content), 0o600); err != nil {
			panic(err)
		}
	}
	cfg, err := config.LoadStationHome(home)
	if err != nil {
		panic(err)
	}
	fmt.Println("router:", cfg.RouterEUI)
	fmt.Println("lns:", cfg.TC.URI, "no-cups:", cfg.NoCUPS())
	fmt.Println("radio:", cfg.Radio.Radio0.Type, cfg.Radio.Radio0.RSSIOffset, "clksrc", cfg.Radio.ClkSrc)
	fmt.Println("device in home:", cfg.Radio.Device == filepath.Join(cfg.Home, "spidev"))
	fmt.Println("package:", cfg.Station.Package, "log:", cfg.LogLevel)
	// Output:
	// router: 0000000000000001
	// lns: ws://127.0.0.1:6038 no-cups: true
	// radio: SX1257 -166 clksrc 1
	// device in home: true
	// package: 1.0.0 log: debug
}
