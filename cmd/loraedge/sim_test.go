package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/lgwsim"
	"github.com/loraedge/loraedge/lorawan"
)

// logWatcher collects a command's log and lets a test wait, without
// sleeping, for a line holding given texts.
type logWatcher struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogWatcher() *logWatcher { return &logWatcher{changed: make(chan struct{})} }

func (w *logWatcher) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return len(p), nil
}

func (w *logWatcher) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// waitFor returns the first line holding every one of texts, waiting up to
// 20 s for it.
func (w *logWatcher) waitFor(t *testing.T, texts ...string) string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		w.mu.Lock()
		for _, line := range strings.Split(w.buf.String(), "\n") {
			all := true
			for _, s := range texts {
				all = all && strings.Contains(line, s)
			}
			if all {
				w.mu.Unlock()
				return line
			}
		}
		ch := w.changed
		w.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("no log line with %q:\n%s", texts, w.String())
		}
	}
}

// simTestKeys are the ABP session keys of the simulated devices below.
const (
	simTestNwkSKey = "2b7e151628aed2a6abf7158809cf4f3c"
	simTestAppSKey = "3c4fcf098815f7aba6d2ae2816157e2b"
)

// simTestConfig serves two ABP devices on path: "abpa", class A at DR5,
// and "abpc", class C at DR4, both sending at once when a gateway connects.
func simTestConfig(path string) string {
	return `
socket = "` + path + `"
region = "EU868"
path_loss = 100
log_level = "debug"
stagger = "0s"
rx_window_symbols = 64

[[devices]]
name = "abpa"
mac_version = "1.0.3"
class = "A"
data_rate = 5
interval = "1h"
fport = 3
payload = "c0ffee"
[devices.abp]
dev_addr = "26011bda"
nwk_s_key = "` + simTestNwkSKey + `"
app_s_key = "` + simTestAppSKey + `"

[[devices]]
name = "abpc"
mac_version = "1.0.3"
class = "C"
data_rate = 4
interval = "1h"
fport = 4
payload = "0c"
[devices.abp]
dev_addr = "26011bdc"
nwk_s_key = "` + simTestNwkSKey + `"
app_s_key = "` + simTestAppSKey + `"
`
}

// simDownlink encodes an unconfirmed downlink with the test session keys.
func simDownlink(t *testing.T, addr lorawan.DevAddr, fport uint8, payload []byte) []byte {
	t.Helper()
	nwk, _ := lorawan.ParseAES128Key(simTestNwkSKey)
	app, _ := lorawan.ParseAES128Key(simTestAppSKey)
	sess := lorawan.NewSession10(nwk, app)
	p := lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.UnconfirmedDataDown}, FHDR: lorawan.FHDR{DevAddr: addr},
		FPort: fport, FPortPresent: true, FRMPayload: make([]byte, len(payload))}
	if err := sess.XORFRMPayload(p.FRMPayload, payload, false, addr, 0, fport); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := sess.DownlinkMIC(b[:len(b)-4], addr, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-4:], mic[:])
	return b
}

// simTestRadio is an EU868 radio configuration with radio 0 transmitting.
func simTestRadio() hal.Config {
	c := hal.Config{Radios: [2]hal.RFChain{
		{Enable: true, Freq: 867_500_000, Type: "SX1257", TxEnable: true, TxFreqMin: 863_000_000, TxFreqMax: 870_000_000},
		{Enable: true, Freq: 868_500_000, Type: "SX1257"},
	}}
	for i, off := range []int32{-400_000, -200_000, 0} {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 1, IF: off}
	}
	return c
}

// TestSimCommandEndToEnd runs `loraedge sim` in process and attaches an
// lgwsim concentrator to its socket: the devices' uplinks arrive with their
// payloads, a class A answer at the uplink's counter + 1 s reaches the
// device in RX1, an immediate frame on the RX2 parameters reaches the class
// C device in its continuous window, and each is logged.
func TestSimCommandEndToEnd(t *testing.T) {
	dir := t.TempDir()
	sock := filepath.Join(dir, "spidev")
	writeTestFiles(t, dir, map[string]string{"sim.toml": simTestConfig(sock)})
	logs := newLogWatcher()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"sim", "--config", filepath.Join(dir, "sim.toml")}, &bytes.Buffer{}, logs)
	}()
	logs.waitFor(t, "simulator listening", "devices=2")

	gw, err := lgwsim.New(sock, lgwsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(context.Background(), simTestRadio()); err != nil {
		t.Fatal(err)
	}
	defer gw.Stop()

	addrA := lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda}
	addrC := lorawan.DevAddr{0x26, 0x01, 0x1b, 0xdc}
	ups := map[lorawan.DevAddr]hal.RxPacket{}
	for len(ups) < 2 {
		rctx, rcancel := context.WithTimeout(context.Background(), 20*time.Second)
		p, err := gw.Receive(rctx)
		rcancel()
		if err != nil {
			t.Fatalf("receive: %v\n%s", err, logs.String())
		}
		var phy lorawan.PHYPayload
		if err := phy.UnmarshalBinary(p.Payload); err != nil {
			t.Fatal(err)
		}
		ups[phy.FHDR.DevAddr] = p
	}
	upA, upC := ups[addrA], ups[addrC]
	if upA.SpreadingFactor != 7 || upC.SpreadingFactor != 8 || upA.RSSI != float32(14-100) {
		t.Errorf("uplinks %+v and %+v, want SF7 and SF8 at -86 dBm", upA, upC)
	}
	var phyA lorawan.PHYPayload
	if err := phyA.UnmarshalBinary(upA.Payload); err != nil {
		t.Fatal(err)
	}
	nwk, _ := lorawan.ParseAES128Key(simTestNwkSKey)
	app, _ := lorawan.ParseAES128Key(simTestAppSKey)
	clear := make([]byte, len(phyA.FRMPayload))
	if err := lorawan.NewSession10(nwk, app).XORFRMPayload(clear, phyA.FRMPayload, true, addrA, 0, 3); err != nil {
		t.Fatal(err)
	}
	if phyA.FPort != 3 || !bytes.Equal(clear, []byte{0xc0, 0xff, 0xee}) {
		t.Errorf("abpa sent port %d payload %x, want port 3 c0ffee", phyA.FPort, clear)
	}
	logs.waitFor(t, "uplink sent", "device=abpa", "fcnt=0", "fport=3")

	// Class A: RX1 at the uplink's counter + 1 s, same frequency and SF.
	rx1 := hal.TxPacket{ID: 1, Mode: hal.TxTimestamped, CountUS: upA.CountUS + 1_000_000, Freq: upA.Freq, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
		InvertPol: true, NoCRC: true, Payload: simDownlink(t, addrA, 5, []byte("rx1"))}
	if err := gw.Send(context.Background(), rx1); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, "downlink received", "device=abpa", "window=RX1", "fport=5", "bytes=3")

	// Class C: once its class A windows have closed, the device listens on
	// RX2's parameters (869.525 MHz, DR0) all the time.
	logs.waitFor(t, "no downlink", "device=abpc")
	c := hal.TxPacket{ID: 2, Mode: hal.TxImmediate, Freq: 869_525_000, Power: 27, Modulation: hal.ModulationLoRa,
		SpreadingFactor: 12, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, InvertPol: true, NoCRC: true,
		Payload: simDownlink(t, addrC, 6, []byte("class c"))}
	if err := gw.Send(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	logs.waitFor(t, "downlink received", "device=abpc", "window=C", "fport=6", "bytes=7")
	logs.waitFor(t, "gateway connected", "unit=0")

	cancel()
	select {
	case got := <-code:
		if got != exitOK {
			t.Errorf("exit %d, want 0:\n%s", got, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("sim did not stop")
	}
	out := logs.String()
	if !strings.Contains(out, "simulator stopped") {
		t.Errorf("log lacks the stop line:\n%s", out)
	}
	for _, key := range []string{simTestNwkSKey, simTestAppSKey} {
		if strings.Contains(out, key) {
			t.Error("log carries a session key")
		}
	}
}

func TestSimConfig(t *testing.T) {
	dir := t.TempDir()
	writeTestFiles(t, dir, map[string]string{
		"ok.toml": simTestConfig(filepath.Join(dir, "s")),
		"ok.json": `{"socket": "x", "path_loss": 90, "gateways": [{"unit": 1, "path_loss": 120}],
			"devices": [{"dev_eui": "70b3d57ed0000001", "join_eui": "0000000000000000",
			"app_key": "2b7e151628aed2a6abf7158809cf4f3c", "nwk_key": "3c4fcf098815f7aba6d2ae2816157e2b",
			"mac_version": "1.1", "class": "A", "data_rate": 0, "interval": "10s", "fport": 1, "payload": ""}]}`,
		"unknown.toml": "socket = \"x\"\nsokcet = \"y\"\n",
		"unknown.json": `{"socket": "x", "sokcet": "y"}`,
		"bad.toml": `
[[devices]]
dev_eui = "70b3d57ed0000001"
join_eui = "0000000000000000"
app_key = "2b7e151628aed2a6abf7158809cf4f3"
mac_version = "1.0.3"
class = "A"
data_rate = 5
interval = "10s"
fport = 1
`,
	})
	t.Run("toml", func(t *testing.T) {
		cfg := defaultSimConfig()
		if err := loadSimConfig(filepath.Join(dir, "ok.toml"), &cfg); err != nil {
			t.Fatal(err)
		}
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		if len(cfg.Devices) != 2 || cfg.Devices[1].Class != "C" || cfg.Devices[0].ABP == nil || cfg.RxWindowSymbols != 64 ||
			cfg.Stagger != 0 || cfg.LogLevel != "debug" {
			t.Errorf("config %+v", cfg)
		}
	})
	t.Run("json", func(t *testing.T) {
		cfg := defaultSimConfig()
		if err := loadSimConfig(filepath.Join(dir, "ok.json"), &cfg); err != nil {
			t.Fatal(err)
		}
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		if d := cfg.Devices[0]; d.MACVersion != "1.1" || time.Duration(d.Interval) != 10*time.Second || cfg.PathLoss != 90 ||
			cfg.Gateways[0] != (simGatewayConfig{Unit: 1, PathLoss: 120}) || cfg.Region != "EU868" {
			t.Errorf("config %+v", cfg)
		}
	})
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown toml key", []string{"--config", filepath.Join(dir, "unknown.toml")}, "unknown keys sokcet"},
		{"unknown json key", []string{"--config", filepath.Join(dir, "unknown.json")}, `unknown field "sokcet"`},
		{"short app key", []string{"--config", filepath.Join(dir, "bad.toml")}, "devices[0]: app_key: want 32 hex digits"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.toml")}, "none.toml"},
		{"stray argument", []string{"extra"}, "unexpected argument"},
		{"generated without key", []string{"--devices", "2"}, "devices[0]: app_key"},
		{"bad region", []string{"--region", "XX1"}, "region"},
		{"bad class", []string{"--devices", "1", "--app-key", simTestAppSKey, "--class", "B"}, `class "B"`},
		{"short window", []string{"--rx-window-symbols", "3"}, "rx_window_symbols 3"},
		{"abp 1.1 without its keys", []string{"--config", writeSimConf(t, dir, `
[[devices]]
name = "x"
mac_version = "1.1"
class = "A"
data_rate = 5
interval = "1s"
fport = 1
[devices.abp]
dev_addr = "26011bda"
nwk_s_key = "`+simTestNwkSKey+`"
app_s_key = "`+simTestAppSKey+`"
`)}, "abp.f_nwk_s_int_key: want 32 hex digits"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got := run(context.Background(), append([]string{"sim"}, tt.args...), &bytes.Buffer{}, &stderr)
			if got != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", got, stderr.String(), exitUsage, tt.want)
			}
			for _, key := range []string{simTestNwkSKey, simTestAppSKey, "2b7e151628aed2a6abf7158809cf4f3"} {
				if strings.Contains(stderr.String(), key) {
					t.Error("error output carries a key")
				}
			}
		})
	}
}

// writeSimConf writes a sim configuration file and returns its path.
func writeSimConf(t *testing.T, dir, body string) string {
	t.Helper()
	name := "c" + strings.ReplaceAll(t.Name(), "/", "_") + ".toml"
	writeTestFiles(t, dir, map[string]string{name: body})
	return filepath.Join(dir, name)
}

// TestSimGeneratedDevices checks the devices --devices makes: DevEUIs
// counting up, the flags' settings.
func TestSimGeneratedDevices(t *testing.T) {
	if got := euiPlus(lorawan.EUI64{0, 0, 0, 0, 0, 0, 0, 0xff}, 2); got != (lorawan.EUI64{0, 0, 0, 0, 0, 0, 1, 1}) {
		t.Errorf("euiPlus carried to %s, want 0000000000000101", got)
	}
	if got := euiPlus(lorawan.EUI64{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 1); got != (lorawan.EUI64{}) {
		t.Errorf("euiPlus wrapped to %s, want zero", got)
	}
	cfg, code := parseSimArgs([]string{"--socket", "/run/x", "--devices", "3", "--dev-eui", "70b3d57ed00000fe",
		"--app-key", simTestAppSKey, "--class", "C", "--interval", "1h", "--data-rate", "2", "--payload", "beef"}, &bytes.Buffer{})
	if cfg == nil {
		t.Fatalf("exit %d", code)
	}
	if cfg.Socket != "/run/x" || len(cfg.Devices) != 3 {
		t.Fatalf("config %+v, want 3 devices on /run/x", cfg)
	}
	for i, want := range []string{"70b3d57ed00000fe", "70b3d57ed00000ff", "70b3d57ed0000100"} {
		d := cfg.Devices[i]
		if !strings.EqualFold(d.DevEUI, want) || d.Class != "C" || d.DataRate != 2 || d.Payload != "beef" ||
			time.Duration(d.Interval) != time.Hour || d.AppKey != simTestAppSKey || d.MACVersion != "1.0.3" {
			t.Errorf("device %d = %+v, want DevEUI %s, class C, DR2, payload beef, every hour", i, d, want)
		}
	}

	// The command runs with them and stops on interrupt.
	dir := t.TempDir()
	sock := filepath.Join(dir, "s")
	logs := newLogWatcher()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"sim", "--socket", sock, "--devices", "3", "--app-key", simTestAppSKey}, &bytes.Buffer{}, logs)
	}()
	line := logs.waitFor(t, "simulator listening")
	cancel()
	if got := <-done; got != exitOK {
		t.Errorf("exit %d:\n%s", got, logs.String())
	}
	if !strings.Contains(line, "devices=3") || !strings.Contains(line, "socket="+sock) {
		t.Errorf("listening line %q, want 3 devices on %s", line, sock)
	}
}
