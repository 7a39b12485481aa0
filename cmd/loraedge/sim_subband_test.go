package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// TestSimDeviceSubBand: a US915 device with sub_band = 2 sends only on the
// channels of sub-band 2, 903.9 to 905.3 MHz every 200 kHz (channels 8 to
// 15, RP002 section 2.5.2), and at DR4 only on the 500 kHz channel 65 at
// 904.6 MHz; its join-requests use both kinds. A gateway listening to
// sub-band 2 hears all of them.
func TestSimDeviceSubBand(t *testing.T) {
	band125 := map[uint32]bool{}
	for i := range 8 {
		band125[903_900_000+uint32(i)*200_000] = true
	}
	const ch65 = 904_600_000
	dir := t.TempDir()
	path := writeSimConf(t, dir, `
region = "US915"

[[devices]]
name = "dr0"
mac_version = "1.0.3"
class = "A"
data_rate = 0
sub_band = 2
interval = "1h"
fport = 1
[devices.abp]
dev_addr = "26011b01"
nwk_s_key = "`+simTestNwkSKey+`"
app_s_key = "`+simTestAppSKey+`"

[[devices]]
name = "dr4"
mac_version = "1.0.3"
class = "A"
data_rate = 4
sub_band = 2
interval = "1h"
fport = 1
[devices.abp]
dev_addr = "26011b02"
nwk_s_key = "`+simTestNwkSKey+`"
app_s_key = "`+simTestAppSKey+`"

[[devices]]
dev_eui = "70b3d57ed0000003"
join_eui = "0000000000000000"
app_key = "`+simTestAppSKey+`"
mac_version = "1.0.3"
class = "A"
data_rate = 0
sub_band = 2
interval = "1h"
fport = 1
`)
	cfg := defaultSimConfig()
	if err := loadSimConfig(path, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	region, err := lorawan.RegionByName(cfg.Region)
	if err != nil {
		t.Fatal(err)
	}
	clock := sim.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	air := sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: 100})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const sends = 40
	for i := range cfg.Devices {
		dc := &cfg.Devices[i]
		t.Run(dc.name(), func(t *testing.T) {
			var mu sync.Mutex
			seen := map[uint32]int{} // frequency: data rate
			d, err := newSimulatedDevice(air, region, dc, cfg.RxWindowSymbols, log, func(e sim.Event) {
				if e.Kind == sim.EventUplink {
					mu.Lock()
					seen[e.Freq] = e.DataRate
					mu.Unlock()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			defer d.Close()
			for range sends {
				if dc.ABP != nil {
					err = d.SendData(1, []byte{1}, false)
				} else {
					err = d.Join()
				}
				if err != nil {
					t.Fatal(err)
				}
				clock.Advance(10 * time.Second) // past both receive windows
			}
			mu.Lock()
			defer mu.Unlock()
			if len(seen) == 0 {
				t.Fatal("no uplink")
			}
			for f, dr := range seen {
				if !band125[f] && !(f == ch65 && dr == 4) {
					t.Errorf("uplink on %d Hz at DR%d: outside sub-band 2", f, dr)
				}
			}
			switch {
			case dc.DataRate == 4 && (len(seen) != 1 || seen[ch65] != 4):
				t.Errorf("DR4 uplinks on %v, want channel 65 (904.6 MHz) only", seen)
			case dc.DataRate == 0 && len(seen) < 4:
				t.Errorf("%d DR0 uplinks or joins on %d channels (%v), want them spread over sub-band 2", sends, len(seen), seen)
			}
		})
	}
}

// TestSimSubBandConfig: sub_band takes 1..8, only in a region with a fixed
// channel plan; --sub-band sets it on generated devices.
func TestSimSubBandConfig(t *testing.T) {
	base := []string{"--devices", "1", "--app-key", simTestAppSKey}
	tests := []struct {
		name string
		args []string
		want string // "" means valid
	}{
		{"US915 sub-band 2", []string{"--region", "US915", "--data-rate", "0", "--sub-band", "2"}, ""},
		{"AU915 sub-band 8", []string{"--region", "AU915", "--data-rate", "2", "--sub-band", "8"}, ""},
		{"US915 without", []string{"--region", "US915", "--data-rate", "0"}, ""},
		{"sub-band 9", []string{"--region", "US915", "--data-rate", "0", "--sub-band", "9"}, "sub_band 9: want 1..8"},
		{"sub-band -1", []string{"--region", "US915", "--data-rate", "0", "--sub-band", "-1"}, "sub_band -1: want 1..8"},
		{"EU868 has none", []string{"--sub-band", "1"}, "sub_band 1: region EU868 has no sub-bands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cfg, code := parseSimArgs(append(append([]string{}, base...), tt.args...), &stderr)
			if tt.want == "" {
				if cfg == nil {
					t.Fatalf("exit %d: %s", code, stderr.String())
				}
				if want := flagValue(tt.args, "--sub-band"); cfg.Devices[0].SubBand != want {
					t.Errorf("sub_band %d, want %d", cfg.Devices[0].SubBand, want)
				}
				return
			}
			if cfg != nil || code != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr.String(), exitUsage, tt.want)
			}
		})
	}
	// The same checks apply to a configuration file.
	var stderr bytes.Buffer
	path := writeSimConf(t, t.TempDir(), `
region = "EU868"
[[devices]]
name = "x"
mac_version = "1.0.3"
class = "A"
data_rate = 5
sub_band = 1
interval = "1h"
fport = 1
[devices.abp]
dev_addr = "26011b01"
nwk_s_key = "`+simTestNwkSKey+`"
app_s_key = "`+simTestAppSKey+`"
`)
	if code := run(context.Background(), []string{"sim", "--config", path}, &bytes.Buffer{}, &stderr); code != exitUsage ||
		!strings.Contains(stderr.String(), "devices[0]") || !strings.Contains(stderr.String(), "sub_band") {
		t.Errorf("exit %d, stderr %q; want %d and a devices[0] sub_band error", code, stderr.String(), exitUsage)
	}
}

// flagValue returns the integer after name in args, 0 when absent.
func flagValue(args []string, name string) int {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == name {
			n, _ := strconv.Atoi(args[i+1])
			return n
		}
	}
	return 0
}
