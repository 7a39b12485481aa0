package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/loraedge/loraedge/hal/lgwsim"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// simDefaultRxWindowSymbols sizes the simulated devices' receive windows in
// `loraedge sim`: frames cross two processes' timers in real time, and 16
// symbols (11 after the preamble lock, 11 ms at SF7) absorb a loaded
// machine's timer delays that hal/sim's default of 8 would not.
const simDefaultRxWindowSymbols = 16

// simConfig is the configuration of `loraedge sim` (TOML or JSON).
type simConfig struct {
	// Socket is the Unix socket gateways connect to (a Station home's
	// SX1301_conf "device").
	Socket string `toml:"socket" json:"socket"`
	// Region is the channel plan of the devices.
	Region string `toml:"region" json:"region"`
	// PathLoss (dB) links every device to every gateway.
	PathLoss float64 `toml:"path_loss" json:"path_loss"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level" json:"log_level"`
	// Stagger spaces the devices' first transmissions, which begin when the
	// first gateway connects.
	Stagger simDuration `toml:"stagger" json:"stagger"`
	// RxWindowSymbols sizes the devices' receive windows.
	RxWindowSymbols int `toml:"rx_window_symbols" json:"rx_window_symbols"`
	// DeliverBadCRC hands frames damaged on air to gateways with a bad CRC.
	DeliverBadCRC bool `toml:"deliver_bad_crc" json:"deliver_bad_crc"`
	// Gateways override the path loss of given units.
	Gateways []simGatewayConfig `toml:"gateways" json:"gateways"`
	// Devices are the simulated end devices.
	Devices []simDeviceConfig `toml:"devices" json:"devices"`
}

// simGatewayConfig sets the path loss between one gateway unit and every
// device.
type simGatewayConfig struct {
	Unit     uint8   `toml:"unit" json:"unit"`
	PathLoss float64 `toml:"path_loss" json:"path_loss"`
}

// simDeviceConfig is one simulated end device; its keys sit in the file in
// clear, for tests and demos only.
type simDeviceConfig struct {
	Name       string `toml:"name" json:"name"`
	DevEUI     string `toml:"dev_eui" json:"dev_eui"`
	JoinEUI    string `toml:"join_eui" json:"join_eui"`
	AppKey     string `toml:"app_key" json:"app_key"`
	NwkKey     string `toml:"nwk_key" json:"nwk_key"`
	MACVersion string `toml:"mac_version" json:"mac_version"`
	Class      string `toml:"class" json:"class"`
	DataRate   int    `toml:"data_rate" json:"data_rate"`
	// SubBand (1..8) keeps a device of a fixed channel plan (US915,
	// AU915) on the eight 125 kHz channels of one sub-band and its 500 kHz
	// channel, the channels a gateway of that sub-band listens to; 0 uses
	// all 72 channels.
	SubBand int     `toml:"sub_band" json:"sub_band"`
	TxPower float64 `toml:"tx_power" json:"tx_power"`
	// Interval is the time between uplinks (and between join attempts).
	Interval  simDuration `toml:"interval" json:"interval"`
	FPort     int         `toml:"fport" json:"fport"`
	Payload   string      `toml:"payload" json:"payload"`
	Confirmed bool        `toml:"confirmed" json:"confirmed"`
	// ABP activates the device by personalisation instead of joining.
	ABP *simABPConfig `toml:"abp" json:"abp"`
}

// simABPConfig holds a personalised session: NwkSKey for LoRaWAN 1.0.x,
// FNwkSIntKey, SNwkSIntKey and NwkSEncKey for 1.1.
type simABPConfig struct {
	DevAddr     string `toml:"dev_addr" json:"dev_addr"`
	NwkSKey     string `toml:"nwk_s_key" json:"nwk_s_key"`
	FNwkSIntKey string `toml:"f_nwk_s_int_key" json:"f_nwk_s_int_key"`
	SNwkSIntKey string `toml:"s_nwk_s_int_key" json:"s_nwk_s_int_key"`
	NwkSEncKey  string `toml:"nwk_s_enc_key" json:"nwk_s_enc_key"`
	AppSKey     string `toml:"app_s_key" json:"app_s_key"`
	FCntUp      uint32 `toml:"f_cnt_up" json:"f_cnt_up"`
}

// simDuration is a duration written as text ("30s").
type simDuration time.Duration

// UnmarshalText parses a Go duration.
func (d *simDuration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return err
	}
	*d = simDuration(v)
	return nil
}

// MarshalText writes the duration.
func (d simDuration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// defaultSimConfig is what a file leaves out.
func defaultSimConfig() simConfig {
	return simConfig{Socket: "spidev", Region: "EU868", PathLoss: 110, LogLevel: "info",
		Stagger: simDuration(time.Second), RxWindowSymbols: simDefaultRxWindowSymbols}
}

// loadSimConfig reads a TOML file, or JSON when its name ends in .json,
// over the defaults; unknown keys are errors.
func loadSimConfig(path string, cfg *simConfig) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(cfg); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		return nil
	}
	md, err := toml.Decode(string(b), cfg)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return fmt.Errorf("%s: unknown keys %s", path, strings.Join(keys, ", "))
	}
	return nil
}

// validate checks the configuration; errors never carry a key.
func (c *simConfig) validate() error {
	var errs []error
	if c.Socket == "" {
		errs = append(errs, errors.New("socket is empty"))
	}
	region, err := lorawan.RegionByName(c.Region)
	if err != nil {
		return errors.Join(append(errs, fmt.Errorf("region: %w", err))...)
	}
	if c.PathLoss <= 0 {
		errs = append(errs, fmt.Errorf("path_loss %v: want a positive loss in dB", c.PathLoss))
	}
	if _, err := simLogLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.Stagger < 0 {
		errs = append(errs, errors.New("stagger is negative"))
	}
	if c.RxWindowSymbols < sim.DefaultMinPreambleSymbols {
		errs = append(errs, fmt.Errorf("rx_window_symbols %d: want at least %d", c.RxWindowSymbols, sim.DefaultMinPreambleSymbols))
	}
	for i, g := range c.Gateways {
		if g.PathLoss <= 0 {
			errs = append(errs, fmt.Errorf("gateways[%d]: path_loss %v: want a positive loss in dB", i, g.PathLoss))
		}
	}
	names := map[string]bool{}
	for i := range c.Devices {
		d := &c.Devices[i]
		if err := d.validate(region); err != nil {
			errs = append(errs, fmt.Errorf("devices[%d]: %w", i, err))
			continue
		}
		if name := d.name(); names[name] {
			errs = append(errs, fmt.Errorf("devices[%d]: %s given twice", i, name))
		} else {
			names[name] = true
		}
	}
	return errors.Join(errs...)
}

// name is the device's name on the air: its own, its DevEUI, or its
// DevAddr for an ABP device without one.
func (d *simDeviceConfig) name() string {
	switch {
	case d.Name != "":
		return d.Name
	case d.DevEUI != "":
		return strings.ToLower(d.DevEUI)
	case d.ABP != nil:
		return "abp-" + strings.ToLower(d.ABP.DevAddr)
	}
	return ""
}

// validate checks one device.
func (d *simDeviceConfig) validate(region *lorawan.Region) error {
	mac, err := lorawan.ParseMACVersion(d.MACVersion)
	if err != nil {
		return fmt.Errorf("mac_version: %w", err)
	}
	if d.Class != "A" && d.Class != "C" {
		return fmt.Errorf("class %q: want A or C", d.Class)
	}
	if rate, err := region.DataRate(d.DataRate); err != nil || !rate.Uplink {
		return fmt.Errorf("data_rate %d: not an uplink data rate of %s", d.DataRate, region.Name())
	}
	if err := checkSubBand(region, d.SubBand); err != nil {
		return err
	}
	if d.Interval <= 0 {
		return errors.New("interval must be positive")
	}
	if d.FPort < 1 || d.FPort > 223 {
		return fmt.Errorf("fport %d: want 1..223", d.FPort)
	}
	if _, err := hex.DecodeString(d.Payload); err != nil {
		return errors.New("payload: want hex")
	}
	if d.ABP != nil {
		otaa := given([2]string{"join_eui", d.JoinEUI}, [2]string{"app_key", d.AppKey}, [2]string{"nwk_key", d.NwkKey})
		if len(otaa) > 0 {
			return fmt.Errorf("%s: OTAA settings in an ABP device, which never joins (remove them, or the abp table)", strings.Join(otaa, ", "))
		}
		if d.DevEUI != "" {
			if _, err := lorawan.ParseEUI64(d.DevEUI); err != nil {
				return fmt.Errorf("dev_eui: %w", err)
			}
		}
		return d.ABP.validate(mac)
	}
	if _, err := lorawan.ParseEUI64(d.DevEUI); err != nil {
		return fmt.Errorf("dev_eui: %w", err)
	}
	if _, err := lorawan.ParseEUI64(d.JoinEUI); err != nil {
		return fmt.Errorf("join_eui: %w", err)
	}
	if _, err := lorawan.ParseAES128Key(d.AppKey); err != nil {
		return errors.New("app_key: want 32 hex digits")
	}
	if mac == lorawan.MACVersion1_1 {
		if _, err := lorawan.ParseAES128Key(d.NwkKey); err != nil {
			return errors.New("nwk_key: LoRaWAN 1.1 needs 32 hex digits")
		}
	}
	return nil
}

// checkSubBand checks a device's sub_band: 0, or 1..8 in a region with a
// fixed channel plan.
func checkSubBand(region *lorawan.Region, n int) error {
	switch {
	case n == 0:
		return nil
	case !region.FixedChannelPlan():
		return fmt.Errorf("sub_band %d: region %s has no sub-bands (only US915 and AU915 do)", n, region.Name())
	case n < 1 || n > 8:
		return fmt.Errorf("sub_band %d: want 1..8", n)
	}
	return nil
}

// validate checks a personalised session.
func (a *simABPConfig) validate(mac lorawan.MACVersion) error {
	if _, err := lorawan.ParseDevAddr(a.DevAddr); err != nil {
		return fmt.Errorf("abp.dev_addr: %w", err)
	}
	keys := map[string]string{"abp.app_s_key": a.AppSKey}
	if mac == lorawan.MACVersion1_1 {
		keys["abp.f_nwk_s_int_key"], keys["abp.s_nwk_s_int_key"], keys["abp.nwk_s_enc_key"] = a.FNwkSIntKey, a.SNwkSIntKey, a.NwkSEncKey
	} else {
		keys["abp.nwk_s_key"] = a.NwkSKey
	}
	for _, name := range sortedKeys(keys) {
		if _, err := lorawan.ParseAES128Key(keys[name]); err != nil {
			return fmt.Errorf("%s: want 32 hex digits", name)
		}
	}
	// The other version's keys would be ignored: refused.
	if mac == lorawan.MACVersion1_1 {
		if len(given([2]string{"abp.nwk_s_key", a.NwkSKey})) > 0 {
			return errors.New("abp.nwk_s_key: a LoRaWAN 1.0.x key in a 1.1 device (it takes f_nwk_s_int_key, s_nwk_s_int_key and nwk_s_enc_key)")
		}
	} else if k11 := given([2]string{"abp.f_nwk_s_int_key", a.FNwkSIntKey}, [2]string{"abp.s_nwk_s_int_key", a.SNwkSIntKey},
		[2]string{"abp.nwk_s_enc_key", a.NwkSEncKey}); len(k11) > 0 {
		return fmt.Errorf("%s: LoRaWAN 1.1 keys in a %s device (it takes nwk_s_key)", strings.Join(k11, ", "), mac)
	}
	return nil
}

// given returns the names of the settings (name, value pairs) whose value
// is not empty.
func given(settings ...[2]string) []string {
	var out []string
	for _, s := range settings {
		if strings.TrimSpace(s[1]) != "" {
			out = append(out, s[0])
		}
	}
	return out
}

// simLogLevel parses a log level.
func simLogLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("log_level %q: want debug, info, warn or error", s)
	}
	return l, nil
}

// runSim implements `loraedge sim`: simulated devices on a simulated air,
// served to gateways over Basics Station's radio-simulation socket.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, code := parseSimArgs(args, stderr)
	if cfg == nil {
		return code
	}
	level, _ := simLogLevel(cfg.LogLevel)
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	s, err := newSimulator(cfg, log, nil)
	if err != nil {
		fmt.Fprintf(stderr, "loraedge sim: %v\n", err)
		return exitFailure
	}
	ln, err := lgwsim.Listen(cfg.Socket)
	if err != nil {
		s.close()
		fmt.Fprintf(stderr, "loraedge sim: %v\n", err)
		return exitFailure
	}
	log.Info("simulator listening", "socket", cfg.Socket, "region", cfg.Region, "devices", len(cfg.Devices))
	if err := s.run(ctx, ln); err != nil {
		log.Error("simulator stopped with an error", "error", err)
		return exitFailure
	}
	log.Info("simulator stopped")
	return exitOK
}

// parseSimArgs reads the flags and the configuration file they name into
// a validated configuration; on failure it reports to stderr and returns
// nil with the exit code.
func parseSimArgs(args []string, stderr io.Writer) (*simConfig, int) {
	flags := flag.NewFlagSet("sim", flag.ContinueOnError)
	flags.SetOutput(stderr)
	flags.Usage = func() {
		fmt.Fprintln(stderr, `usage: loraedge sim [--config FILE] [--socket PATH] [flags]

Runs simulated LoRaWAN end devices (OTAA 1.0.x/1.1 or ABP, class A or C,
real security) on a simulated air, and serves it to gateways over Basics
Station's radio-simulation socket: the loraedge agent with radio backend
"lgwsim", or Station built for simulation, attaches with its radio device
set to the socket. The devices start when the first gateway connects;
their joins, downlinks (with the window, RX1, RX2 or C) and misses are
logged. The configuration is TOML, or JSON for a .json file; --devices adds
OTAA devices generated from the flags (DevEUIs counting up from --dev-eui).
Flags given override the file. Stops on SIGINT or SIGTERM.`)
		flags.PrintDefaults()
	}
	configPath := flags.String("config", "", "configuration file (TOML, or JSON if named *.json)")
	socket := flags.String("socket", "spidev", "Unix socket the gateways connect to")
	region := flags.String("region", "EU868", "region of the devices")
	pathLoss := flags.Float64("path-loss", 110, "path loss in dB between devices and gateways")
	logLevel := flags.String("log-level", "info", "log level: debug, info, warn, error")
	stagger := flags.Duration("stagger", time.Second, "time between the devices' first transmissions")
	rxWin := flags.Int("rx-window-symbols", simDefaultRxWindowSymbols, "receive window length in symbols")
	n := flags.Int("devices", 0, "number of OTAA devices to generate")
	devEUI := flags.String("dev-eui", "0000000000000001", "DevEUI of the first generated device")
	joinEUI := flags.String("join-eui", "0000000000000000", "JoinEUI of the generated devices")
	appKey := flags.String("app-key", "", "AppKey of the generated devices (32 hex digits)")
	nwkKey := flags.String("nwk-key", "", "NwkKey of the generated devices (LoRaWAN 1.1)")
	macVersion := flags.String("mac-version", "1.0.3", "LoRaWAN version of the generated devices")
	class := flags.String("class", "A", "class of the generated devices: A or C")
	dataRate := flags.Int("data-rate", 5, "uplink data rate index of the generated devices")
	subBand := flags.Int("sub-band", 0, "sub-band (1..8) of the generated devices in US915 or AU915; 0 uses every channel")
	interval := flags.Duration("interval", 30*time.Second, "time between uplinks of the generated devices")
	fport := flags.Int("fport", 1, "FPort of the generated devices' uplinks")
	payload := flags.String("payload", "01", "payload (hex) of the generated devices' uplinks")
	if err := flags.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return nil, exitOK
		}
		return nil, exitUsage
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "loraedge sim: unexpected argument %q\n", flags.Arg(0))
		return nil, exitUsage
	}
	cfg := defaultSimConfig()
	if *configPath != "" {
		if err := loadSimConfig(*configPath, &cfg); err != nil {
			fmt.Fprintf(stderr, "loraedge sim: %v\n", err)
			return nil, exitUsage
		}
	}
	flags.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "socket":
			cfg.Socket = *socket
		case "region":
			cfg.Region = *region
		case "path-loss":
			cfg.PathLoss = *pathLoss
		case "log-level":
			cfg.LogLevel = *logLevel
		case "stagger":
			cfg.Stagger = simDuration(*stagger)
		case "rx-window-symbols":
			cfg.RxWindowSymbols = *rxWin
		}
	})
	if *n < 0 {
		fmt.Fprintln(stderr, "loraedge sim: --devices must not be negative")
		return nil, exitUsage
	}
	if *n > 0 {
		first, err := lorawan.ParseEUI64(*devEUI)
		if err != nil {
			fmt.Fprintf(stderr, "loraedge sim: --dev-eui: %v\n", err)
			return nil, exitUsage
		}
		for i := range *n {
			cfg.Devices = append(cfg.Devices, simDeviceConfig{
				DevEUI: euiPlus(first, uint64(i)).String(), JoinEUI: *joinEUI, AppKey: *appKey, NwkKey: *nwkKey,
				MACVersion: *macVersion, Class: *class, DataRate: *dataRate, SubBand: *subBand, Interval: simDuration(*interval),
				FPort: *fport, Payload: *payload,
			})
		}
	}
	if err := cfg.validate(); err != nil {
		fmt.Fprintf(stderr, "loraedge sim: %v\n", err)
		return nil, exitUsage
	}
	return &cfg, exitOK
}

// euiPlus returns e + n, as a 64-bit number.
func euiPlus(e lorawan.EUI64, n uint64) lorawan.EUI64 {
	var v uint64
	for _, b := range e {
		v = v<<8 | uint64(b)
	}
	v += n
	var out lorawan.EUI64
	for i := 7; i >= 0; i-- {
		out[i] = byte(v)
		v >>= 8
	}
	return out
}

// simulator is an air with devices, served over the LGW-sim socket.
type simulator struct {
	cfg     *simConfig
	log     *slog.Logger
	air     *sim.Air
	srv     *lgwsim.Server
	devices []*sim.Device
	confs   []*simDeviceConfig
	first   chan struct{} // closed when the first gateway connects
}

// newSimulator builds the air, the server and the devices; onEvent, if set,
// also receives every device event (tests watch it).
func newSimulator(cfg *simConfig, log *slog.Logger, onEvent func(sim.Event)) (*simulator, error) {
	region, err := lorawan.RegionByName(cfg.Region)
	if err != nil {
		return nil, err
	}
	s := &simulator{cfg: cfg, log: log, first: make(chan struct{})}
	s.air = sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: cfg.PathLoss})
	var once sync.Once
	s.srv = lgwsim.NewServer(s.air, lgwsim.ServerOptions{
		DeliverBadCRC: cfg.DeliverBadCRC,
		OnConnect:     func(uint8) { once.Do(func() { close(s.first) }) },
		Logger:        log,
	})
	for i := range cfg.Devices {
		dc := &cfg.Devices[i]
		d, err := newSimulatedDevice(s.air, region, dc, cfg.RxWindowSymbols, log, onEvent)
		if err != nil {
			s.close()
			return nil, fmt.Errorf("devices[%d]: %w", i, err)
		}
		s.devices = append(s.devices, d)
		s.confs = append(s.confs, dc)
		for _, g := range cfg.Gateways {
			s.air.SetPathLoss(d.Name(), lgwsim.GatewayName(g.Unit), g.PathLoss)
		}
	}
	return s, nil
}

// close takes the devices off the air.
func (s *simulator) close() {
	for _, d := range s.devices {
		d.Close()
	}
}

// run serves gateways on ln and, once the first one is connected, drives
// the devices, until ctx ends.
func (s *simulator) run(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.srv.Serve(ctx, ln) }()
	var wg sync.WaitGroup
	select {
	case <-s.first:
		s.log.Info("first gateway connected: devices start", "devices", len(s.devices))
		for i, d := range s.devices {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.drive(ctx, d, s.confs[i], time.Duration(i)*time.Duration(s.cfg.Stagger))
			}()
		}
	case <-ctx.Done():
	case err := <-served:
		s.close()
		return err
	}
	<-ctx.Done()
	wg.Wait()
	s.close()
	return <-served
}

// drive joins (OTAA) and then sends the device's payload every interval,
// the first attempt after delay; a failed join is retried at the next
// tick.
func (s *simulator) drive(ctx context.Context, d *sim.Device, dc *simDeviceConfig, delay time.Duration) {
	payload, _ := hex.DecodeString(dc.Payload) // checked by validate
	wait := delay
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = time.Duration(dc.Interval)
		var err error
		if _, active := d.Session(); active {
			err = d.SendData(uint8(dc.FPort), payload, dc.Confirmed)
		} else {
			err = d.Join()
		}
		if err != nil && !errors.Is(err, sim.ErrDeviceBusy) {
			s.log.Warn("device cannot send", "device", d.Name(), "error", err)
		}
	}
}

// newSimulatedDevice builds one device from its (validated) configuration.
func newSimulatedDevice(air *sim.Air, region *lorawan.Region, dc *simDeviceConfig, rxWin int, log *slog.Logger, onEvent func(sim.Event)) (*sim.Device, error) {
	mac, _ := lorawan.ParseMACVersion(dc.MACVersion)
	class := sim.ClassA
	if dc.Class == "C" {
		class = sim.ClassC
	}
	cfg := sim.DeviceConfig{
		Name: dc.name(), Region: region, MACVersion: mac, Class: class, DataRate: dc.DataRate,
		SubBand: dc.SubBand, TxPower: dc.TxPower, RxWindowSymbols: rxWin,
	}
	if dc.ABP != nil {
		a := dc.ABP
		abp := &sim.ABPConfig{FCntUp: a.FCntUp}
		abp.DevAddr, _ = lorawan.ParseDevAddr(a.DevAddr)
		abp.AppSKey, _ = lorawan.ParseAES128Key(a.AppSKey)
		if mac == lorawan.MACVersion1_1 {
			abp.FNwkSIntKey, _ = lorawan.ParseAES128Key(a.FNwkSIntKey)
			abp.SNwkSIntKey, _ = lorawan.ParseAES128Key(a.SNwkSIntKey)
			abp.NwkSEncKey, _ = lorawan.ParseAES128Key(a.NwkSEncKey)
		} else {
			abp.NwkSKey, _ = lorawan.ParseAES128Key(a.NwkSKey)
		}
		cfg.ABP = abp
		if dc.DevEUI != "" {
			cfg.DevEUI, _ = lorawan.ParseEUI64(dc.DevEUI)
		}
	} else {
		cfg.DevEUI, _ = lorawan.ParseEUI64(dc.DevEUI)
		cfg.JoinEUI, _ = lorawan.ParseEUI64(dc.JoinEUI)
		cfg.AppKey, _ = lorawan.ParseAES128Key(dc.AppKey)
		if mac == lorawan.MACVersion1_1 {
			cfg.NwkKey, _ = lorawan.ParseAES128Key(dc.NwkKey)
		}
		// DevNonces must not repeat across restarts: a 1.0 device starts at
		// a random one, a 1.1 device (strictly increasing DevNonces) at the
		// minutes since 2025, which grow faster than a device joins.
		cfg.DevNonce = uint16(rand.N(1 << 16))
		if mac == lorawan.MACVersion1_1 {
			cfg.DevNonce = uint16(time.Since(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) / time.Minute)
		}
	}
	dlog := log.With("device", cfg.Name)
	cfg.OnEvent = func(e sim.Event) {
		logDeviceEvent(dlog, e)
		if onEvent != nil {
			onEvent(e)
		}
	}
	return sim.NewDevice(air, cfg)
}

// logDeviceEvent logs what happened to a device (never a key).
func logDeviceEvent(log *slog.Logger, e sim.Event) {
	switch e.Kind {
	case sim.EventUplink:
		if e.MType == lorawan.JoinRequest {
			log.Info("join-request sent", "dev_nonce", e.DevNonce, "freq", e.Freq, "dr", e.DataRate)
			return
		}
		log.Info("uplink sent", "fcnt", e.FCnt, "fport", e.FPort, "confirmed", e.Confirmed, "freq", e.Freq, "dr", e.DataRate)
	case sim.EventJoined:
		log.Info("joined", "devaddr", e.DevAddr.String(), "window", e.Window.String(), "rssi", e.RSSI, "snr", e.SNR)
	case sim.EventDownlink:
		log.Info("downlink received", "window", e.Window.String(), "fcnt", e.FCnt, "fport", e.FPort,
			"bytes", len(e.Payload), "ack", e.ACK, "confirmed", e.Confirmed, "mac", len(e.MAC), "rssi", e.RSSI, "snr", e.SNR)
	case sim.EventMissed:
		log.Warn("downlink missed", "reason", e.Reason)
	case sim.EventNoDownlink:
		if e.MType == lorawan.JoinAccept {
			log.Warn("join failed", "reason", e.Reason)
			return
		}
		log.Debug("no downlink", "reason", e.Reason)
	case sim.EventMICFailed:
		log.Warn("downlink with a bad MIC", "reason", e.Reason)
	case sim.EventRejected:
		log.Warn("downlink rejected", "error", e.Err)
	}
}
