package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store/agentstore"
)

// Config is the agent's configuration (TOML, see agent/agent.example.toml).
// Every setting but the router EUI and a server URI has a default that
// runs: Default.
type Config struct {
	// RouterEUI identifies the gateway to the LNS and CUPS. TOML takes any
	// form Station reads (id6 "b827:ebff:fe61:51a5", hex
	// "b827ebfffe6151a5", dashed); a Station home gives it from routerid and
	// euiprefix.
	RouterEUI EUI `toml:"router_eui"`
	// Home is a Basics Station home directory read beneath this file; the
	// --home flag overrides it.
	Home string `toml:"home"`
	// DataDir holds agent.db; created 0700. Default "data", or the home
	// directory when one is given.
	DataDir string `toml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`
	// LogFile is "stderr", "stdout" or a file the log is appended to.
	LogFile string `toml:"log_file"`
	// AllowRunCmd lets the LNS run programs on the gateway (runcmd); off
	// by default, as it hands the LNS a shell.
	AllowRunCmd bool `toml:"allow_runcmd"`
	// AllowRmtsh lets the LNS open interactive shells on the gateway
	// (rmtsh: "sh" on a pseudo-terminal, with the agent's privileges, up
	// to two, ended with the connection); off by default, as it hands the
	// LNS a shell. Linux only.
	AllowRmtsh bool `toml:"allow_rmtsh"`

	Station   StationInfo `toml:"station"`
	TC        Endpoint    `toml:"tc"`
	CUPS      Endpoint    `toml:"cups"`
	Radio     Radio       `toml:"radio"`
	Spool     Spool       `toml:"spool"`
	Reconnect Reconnect   `toml:"reconnect"`
	Metrics   Metrics     `toml:"metrics"`

	// Params are Station's builtin parameters (station_conf keys such as
	// "TC_TIMEOUT", "RX_POLL_INTV", and the settings loraedge keeps but does
	// not act on: "log_size", "log_rotate", "radio_init", "gps", …), as text.
	Params map[string]string `toml:"params"`

	// SigKeys are the contents of the home's sig-0.key, sig-1.key, …: the
	// public keys CUPS updates must be signed with (64 raw bytes each).
	SigKeys [][]byte `toml:"-"`
}

// StationInfo is what the agent reports in its version message and CUPS
// requests.
type StationInfo struct {
	// Model is the gateway model ("model").
	Model string `toml:"model"`
	// Firmware and Package are reported as "firmware" and "package"; a
	// home's version.txt sets both. Empty means the loraedge version.
	Firmware string `toml:"firmware"`
	Package  string `toml:"package"`
}

// CredFiles is one credential set: a server URI and the files holding its
// credentials (PEM or DER). Relative paths are taken from the working
// directory; paths found in a home are absolute.
type CredFiles struct {
	// URI is ws(s)://host:port for tc, http(s)://host:port for cups.
	URI string `toml:"uri"`
	// Trust is the CA certificate(s) the server must chain to.
	Trust string `toml:"trust"`
	// Cert and Key are the client certificate and key for mutual TLS.
	Cert string `toml:"cert"`
	Key  string `toml:"key"`
	// TokenFile holds HTTP header lines sent instead of a client
	// certificate (Station keeps them in the .key file).
	TokenFile string `toml:"token_file"`
}

// empty reports whether the set names nothing.
func (f CredFiles) empty() bool { return f == CredFiles{} }

// Endpoint is a server the agent talks to: the reg set, and the bak and
// boot sets Station falls back to.
type Endpoint struct {
	CredFiles
	Bak  CredFiles `toml:"bak"`
	Boot CredFiles `toml:"boot"`
}

// Set returns the files of one set.
func (e Endpoint) Set(s agentstore.Set) CredFiles {
	switch s {
	case agentstore.SetBak:
		return e.Bak
	case agentstore.SetBoot:
		return e.Boot
	}
	return e.CredFiles
}

// setPtr returns a pointer to one set's files.
func (e *Endpoint) setPtr(s agentstore.Set) *CredFiles {
	switch s {
	case agentstore.SetBak:
		return &e.Bak
	case agentstore.SetBoot:
		return &e.Boot
	}
	return &e.CredFiles
}

// hasURI reports whether any set has a URI.
func (e Endpoint) hasURI() bool {
	return e.URI != "" || e.Bak.URI != "" || e.Boot.URI != ""
}

// Radio selects the concentrator and holds the board settings of
// station.conf's SX1301_conf/SX1302_conf; the LNS supplies the channel plan.
type Radio struct {
	// Backend is "sim" (a simulated concentrator in the process), "lgwsim",
	// "sx1302" or "sx1301".
	Backend string `toml:"backend"`
	// BackendChosen records that the TOML file named the backend; only a
	// backend left at its default may be inferred from a Station home's
	// station.conf (e.g. its SX1301_conf SPI device).
	BackendChosen bool `toml:"-"`
	// Device is the SPI device or the simulator socket; a relative path is
	// taken from the home directory (as Station does), or from the working
	// directory without one. A "spi:" or "usb:" prefix is kept.
	Device string `toml:"device"`
	// LorawanPublic selects LoRaWAN's public sync word (false: private).
	LorawanPublic bool `toml:"lorawan_public"`
	// ClkSrc is the radio (0 or 1) that clocks the concentrator.
	ClkSrc int `toml:"clksrc"`
	// FullDuplex lets an SX1302 receive while it transmits.
	FullDuplex bool `toml:"full_duplex"`
	// PPS enables the PPS (GPS) capture, needed for timesync and class B.
	PPS bool `toml:"pps"`
	// PPSMode is station_conf's "pps": "gps", "fuzzy" or "testpin"; empty
	// means "gps" when PPS is on.
	PPSMode string `toml:"pps_mode"`
	// AntennaGain (dBi) is taken off the transmit power.
	AntennaGain float64 `toml:"antenna_gain"`
	// Radio0 and Radio1 are the board's two radios.
	Radio0 RadioBoard `toml:"radio_0"`
	Radio1 RadioBoard `toml:"radio_1"`
	// Sim configures the "sim" backend.
	Sim Sim `toml:"sim"`
}

// RadioBoard holds the hardware facts of one radio.
type RadioBoard struct {
	// Type is the chip: SX1255, SX1257, SX1272, SX1276 or SX1250; empty
	// leaves it to the driver.
	Type string `toml:"type"`
	// RSSIOffset (dB) calibrates the RSSI the radio reports.
	RSSIOffset float64 `toml:"rssi_offset"`
	// TxEnable lets the radio transmit.
	TxEnable bool `toml:"tx_enable"`
}

// Sim configures the in-process simulated radio: an air, this gateway's
// concentrator on it, and optional simulated devices for demos.
type Sim struct {
	// Region is the channel plan the simulated devices use.
	Region string `toml:"region"`
	// PathLoss (dB) between every device and the gateway.
	PathLoss float64 `toml:"path_loss"`
	// CounterStart is the concentrator's 32-bit µs counter at start.
	CounterStart uint32 `toml:"counter_start"`
	// Devices are simulated end devices that send periodically, OTAA ones
	// after joining.
	Devices []SimDevice `toml:"devices"`
}

// Activation modes of a simulated device (SimDevice.Activation).
const (
	// ActivationOTAA devices join first (the default).
	ActivationOTAA = "otaa"
	// ActivationABP devices are personalised: they hold a DevAddr and
	// session keys and send from the start.
	ActivationABP = "abp"
)

// SimDevice is one simulated end device, activated over the air (OTAA:
// DevEUI, JoinEUI and root keys) or by personalisation (ABP: DevEUI,
// DevAddr and session keys). Its keys sit in this file in clear: for demos
// only. The key names follow `loraedge device add`'s flags (nwk_s_key for
// --nwkskey, …).
type SimDevice struct {
	// Activation is "otaa" (or empty) or "abp".
	Activation string `toml:"activation"`
	// DevEUI identifies the device (16 hex digits); JoinEUI is the OTAA
	// join server's EUI.
	DevEUI  string `toml:"dev_eui"`
	JoinEUI string `toml:"join_eui"`
	// AppKey (and NwkKey for LoRaWAN 1.1) are the OTAA root keys (32 hex
	// digits).
	AppKey string `toml:"app_key"`
	NwkKey string `toml:"nwk_key"`
	// DevAddr is the ABP device's address (8 hex digits).
	DevAddr string `toml:"dev_addr"`
	// NwkSKey (LoRaWAN 1.0.x), or FNwkSIntKey, SNwkSIntKey and NwkSEncKey
	// (1.1), and AppSKey are the ABP session keys (32 hex digits).
	NwkSKey     string `toml:"nwk_s_key"`
	FNwkSIntKey string `toml:"f_nwk_s_int_key"`
	SNwkSIntKey string `toml:"s_nwk_s_int_key"`
	NwkSEncKey  string `toml:"nwk_s_enc_key"`
	AppSKey     string `toml:"app_s_key"`
	// FCntUp is the ABP device's first uplink counter at each start of the
	// agent (0 by default): the cloud refuses counters it has already
	// accepted, so a restart against the same cloud needs a higher one.
	FCntUp uint32 `toml:"f_cnt_up"`
	// MACVersion is "1.0.x" or "1.1".
	MACVersion string `toml:"mac_version"`
	// Class is "A" or "C".
	Class string `toml:"class"`
	// DataRate is the uplink data rate index of the region.
	DataRate int `toml:"data_rate"`
	// SubBand (1..8) keeps a device of a fixed channel plan (US915, AU915)
	// on the eight 125 kHz channels of one sub-band and its 500 kHz
	// channel, the channels a gateway of that sub-band listens to; 0 uses
	// all 72 channels. Other regions have no sub-bands.
	SubBand int `toml:"sub_band"`
	// Interval is the time between uplinks (and between join attempts).
	Interval Duration `toml:"interval"`
	// FPort and Payload (hex) are what the device sends.
	FPort   int    `toml:"fport"`
	Payload string `toml:"payload"`
}

// IsABP reports whether the device is activated by personalisation.
func (d SimDevice) IsABP() bool { return d.Activation == ActivationABP }

// SimABP is a simulated ABP device's address and session keys, parsed.
type SimABP struct {
	DevAddr lorawan.DevAddr
	// NwkSKey is the 1.0.x network session key; FNwkSIntKey, SNwkSIntKey
	// and NwkSEncKey the 1.1 ones. The other version's keys are zero.
	NwkSKey                              lorawan.AES128Key
	FNwkSIntKey, SNwkSIntKey, NwkSEncKey lorawan.AES128Key
	AppSKey                              lorawan.AES128Key
	// FCntUp is the first uplink counter.
	FCntUp uint32
}

// ABPSession returns the ABP device's address and the session keys of its
// LoRaWAN version. It fails (with an error that never carries a key) for
// an OTAA device or a missing or malformed setting.
func (d SimDevice) ABPSession() (SimABP, error) {
	if !d.IsABP() {
		return SimABP{}, errors.New("not an ABP device (activation is not \"abp\")")
	}
	v, err := lorawan.ParseMACVersion(d.MACVersion)
	if err != nil {
		return SimABP{}, fmt.Errorf("mac_version: %w", err)
	}
	if d.DevAddr == "" {
		return SimABP{}, errors.New("dev_addr: missing: an ABP device needs its DevAddr (8 hex digits)")
	}
	s := SimABP{FCntUp: d.FCntUp}
	if s.DevAddr, err = lorawan.ParseDevAddr(d.DevAddr); err != nil {
		return SimABP{}, fmt.Errorf("dev_addr: %w", err)
	}
	keys := []simKey{{"app_s_key", d.AppSKey, &s.AppSKey}}
	if v == lorawan.MACVersion1_1 {
		keys = append(keys, simKey{"f_nwk_s_int_key", d.FNwkSIntKey, &s.FNwkSIntKey},
			simKey{"s_nwk_s_int_key", d.SNwkSIntKey, &s.SNwkSIntKey}, simKey{"nwk_s_enc_key", d.NwkSEncKey, &s.NwkSEncKey})
	} else {
		keys = append(keys, simKey{"nwk_s_key", d.NwkSKey, &s.NwkSKey})
	}
	for _, k := range keys {
		if err := k.parse(); err != nil {
			return SimABP{}, err
		}
	}
	return s, nil
}

// simKey is one key setting of a simulated device: its TOML name, its
// text, and where its parsed value goes.
type simKey struct {
	name, text string
	dst        *lorawan.AES128Key
}

// parse reads the key into dst; the error says what is wrong (missing,
// how many hex digits, not hex) without the key.
func (k simKey) parse() error {
	if strings.TrimSpace(k.text) == "" {
		return fmt.Errorf("%s: missing (32 hex digits)", k.name)
	}
	v, err := lorawan.ParseAES128Key(k.text) // its error quotes the key: not passed on
	if err == nil {
		if k.dst != nil {
			*k.dst = v
		}
		return nil
	}
	digits := 0
	for _, c := range k.text {
		switch {
		case c == '-' || c == ':' || c == ' ':
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f', 'A' <= c && c <= 'F':
			digits++
		default:
			return fmt.Errorf("%s: not hex (want 32 hex digits)", k.name)
		}
	}
	return fmt.Errorf("%s: %d hex digits, want 32", k.name, digits)
}

// given lists the names of the settings among names/values that are set.
func given(settings ...[2]string) []string {
	var out []string
	for _, s := range settings {
		if strings.TrimSpace(s[1]) != "" {
			out = append(out, s[0])
		}
	}
	return out
}

// Spool bounds the uplink spool (see package agentstore).
type Spool struct {
	// MaxCount bounds the number of spooled uplinks; the oldest go first.
	MaxCount int `toml:"max_count"`
	// MaxAge drops spooled uplinks older than this.
	MaxAge Duration `toml:"max_age"`
}

// Metrics is the agent's Prometheus endpoint.
type Metrics struct {
	// Listen is the host:port serving GET /metrics (LNS state, frames
	// heard and dropped, uplinks sent and spooled, downlinks, spool
	// length); empty turns it off. Keep it on loopback or a management
	// network: it has no authentication.
	Listen string `toml:"listen"`
}

// validate checks the listen address's form.
func (m Metrics) validate() error {
	if m.Listen == "" {
		return nil
	}
	if _, port, err := net.SplitHostPort(m.Listen); err != nil || port == "" {
		return fmt.Errorf("metrics.listen %q: want host:port (e.g. 127.0.0.1:9108) or empty", m.Listen)
	}
	return nil
}

// Reconnect times the agent's reconnections as Station's src/tc.c does:
// after the traffic socket closes, up to MuxsRetries attempts on the same
// traffic URI at MuxsBackoff, doubling (1, 2, 4, 8, 16 s), as long as each
// attempt opens the socket; then discovery again, waiting InfosStep times
// the attempt number, at most InfosMax (10, 20, … 60 s). Each wait is
// lengthened by up to Jitter (a fraction) so that gateways do not come back
// in step.
type Reconnect struct {
	MuxsBackoff Duration `toml:"muxs_backoff"`
	MuxsRetries int      `toml:"muxs_retries"`
	InfosStep   Duration `toml:"infos_step"`
	InfosMax    Duration `toml:"infos_max"`
	Jitter      float64  `toml:"jitter"`
	// TCTimeout bounds opening a websocket to the LNS (router-info or
	// traffic) and the wait for the router-info answer (Station's
	// TC_TIMEOUT, cleared once the traffic socket is open: Station then
	// waits for router_config as long as the connection stays up).
	TCTimeout Duration `toml:"tc_timeout"`
}

// Backends the radio may use.
var backends = []string{"sim", "lgwsim", "sx1302", "sx1301"}

// Default returns the configuration every key a file leaves out takes.
func Default() Config {
	return Config{
		DataDir:  "data",
		LogLevel: "info",
		LogFile:  "stderr",
		Station:  StationInfo{Model: "linux"},
		Radio: Radio{
			Backend:       "sim",
			LorawanPublic: true,
			Radio0:        RadioBoard{TxEnable: true},
			Sim:           Sim{Region: "EU868", PathLoss: 110},
		},
		Spool: Spool{MaxCount: agentstore.DefaultSpoolMaxCount, MaxAge: Duration(agentstore.DefaultSpoolMaxAge)},
		Reconnect: Reconnect{
			MuxsBackoff: Duration(time.Second),
			MuxsRetries: 5,
			InfosStep:   Duration(10 * time.Second),
			InfosMax:    Duration(60 * time.Second),
			Jitter:      0.1,
			TCTimeout:   Duration(60 * time.Second),
		},
	}
}

// Load reads the TOML file at path over Default (and over the home it names
// with "home").
func Load(path string) (*Config, error) { return LoadFiles(path, "") }

// LoadStationHome reads a Basics Station home directory over Default.
func LoadStationHome(dir string) (*Config, error) { return LoadFiles("", dir) }

// LoadFiles reads a Station home (home, or the file's "home" key when home
// is "") and then the TOML file at path over it, so that every key the file
// sets overrides the home. Either may be "". Unknown TOML keys are an error.
// The result is validated; credential files are read to check them.
func LoadFiles(path, home string) (*Config, error) {
	cfg := Default()
	if path != "" {
		var h struct {
			Home string `toml:"home"`
		}
		if _, err := toml.DecodeFile(path, &h); err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		if home == "" {
			home = h.Home
		}
	}
	if home != "" {
		if err := readHome(&cfg, home); err != nil {
			return nil, err
		}
	}
	if path != "" {
		md, err := toml.DecodeFile(path, &cfg)
		if err != nil {
			return nil, fmt.Errorf("config: %s: %w", path, err)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return nil, fmt.Errorf("config: %s: unknown keys %s", path, strings.Join(keys, ", "))
		}
		cfg.Radio.BackendChosen = md.IsDefined("radio", "backend")
	}
	cfg.Home = home
	if cfg.Radio.Device != "" {
		cfg.Radio.Device = resolveDevice(cfg.Radio.Device, home)
	}
	if err := cfg.Validate(); err != nil {
		where := path
		if where == "" {
			where = home
		}
		return nil, fmt.Errorf("config: %s: %w", where, err)
	}
	return &cfg, nil
}

// resolveDevice resolves a radio device path as Station's sys_radioDevice
// and makeFilepath do: an optional "spi:" or "usb:" prefix is kept; a path
// not starting with "/" or "./" is taken from the home ("~/" naming the home
// itself).
func resolveDevice(dev, home string) string {
	prefix := ""
	if p, rest, ok := strings.Cut(dev, ":"); ok && (p == "spi" || p == "usb") {
		prefix, dev = p+":", rest
	}
	return prefix + resolvePath(dev, home)
}

// resolvePath takes p from home unless it is absolute or starts with "./";
// with no home, p is returned as is.
func resolvePath(p, home string) string {
	if home == "" || p == "" || filepath.IsAbs(p) || strings.HasPrefix(p, "./") {
		return p
	}
	return filepath.Join(home, strings.TrimPrefix(p, "~/"))
}

// Validate checks every setting, Station's startup rules, and the
// credential files (read, parsed, certificate matching key).
func (c *Config) Validate() error {
	var errs []error
	if c.RouterEUI == (EUI{}) {
		errs = append(errs, errors.New("no router EUI: set router_eui, or routerid in the home's station.conf"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	if _, err := c.Level(); err != nil {
		errs = append(errs, err)
	}
	if c.LogFile == "" {
		errs = append(errs, errors.New("log_file is empty (use \"stderr\")"))
	}
	if !c.TC.hasURI() && !c.CUPS.hasURI() {
		errs = append(errs, errors.New("no server URI: set tc.uri (the LNS) or cups.uri; a Station home needs tc.uri or cups.uri (or their -bak/-boot sets)"))
	}
	if _, err := c.CredentialSets(); err != nil {
		errs = append(errs, err)
	}
	errs = append(errs, c.Radio.validate()...)
	if err := c.Metrics.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Spool.MaxCount <= 0 || c.Spool.MaxAge <= 0 {
		errs = append(errs, errors.New("spool: max_count and max_age must be positive"))
	}
	r := c.Reconnect
	if r.MuxsBackoff <= 0 || r.InfosStep <= 0 || r.InfosMax < r.InfosStep || r.TCTimeout <= 0 {
		errs = append(errs, errors.New("reconnect: muxs_backoff, infos_step and tc_timeout must be positive, infos_max at least infos_step"))
	}
	if r.MuxsRetries < 1 || r.MuxsRetries > 10 {
		errs = append(errs, fmt.Errorf("reconnect.muxs_retries %d: want 1..10", r.MuxsRetries))
	}
	if r.Jitter < 0 || r.Jitter >= 1 {
		errs = append(errs, fmt.Errorf("reconnect.jitter %v: want a fraction in [0, 1)", r.Jitter))
	}
	return errors.Join(errs...)
}

func (r Radio) validate() []error {
	var errs []error
	if !slices.Contains(backends, r.Backend) {
		errs = append(errs, fmt.Errorf("radio.backend %q: want one of %s", r.Backend, strings.Join(backends, ", ")))
	}
	if r.ClkSrc < 0 || r.ClkSrc > 1 {
		errs = append(errs, fmt.Errorf("radio.clksrc %d: want 0 or 1", r.ClkSrc))
	}
	for i, rb := range []RadioBoard{r.Radio0, r.Radio1} {
		if rb.Type != "" && !validRadioType(rb.Type) {
			errs = append(errs, fmt.Errorf("radio.radio_%d.type %q: want SX1255, SX1257, SX1272, SX1276 or SX1250", i, rb.Type))
		}
	}
	switch r.PPSMode {
	case "", "gps", "fuzzy", "testpin":
	default:
		errs = append(errs, fmt.Errorf("radio.pps_mode %q: want gps, fuzzy or testpin", r.PPSMode))
	}
	if r.Backend == "sim" {
		errs = append(errs, r.Sim.validate()...)
	}
	return errs
}

func validRadioType(t string) bool {
	switch t {
	case "SX1255", "SX1257", "SX1272", "SX1276", "SX1250":
		return true
	}
	return false
}

func (s Sim) validate() []error {
	var errs []error
	region, err := lorawan.RegionByName(s.Region)
	if err != nil {
		return []error{fmt.Errorf("radio.sim.region: %w", err)}
	}
	if s.PathLoss <= 0 {
		errs = append(errs, fmt.Errorf("radio.sim.path_loss %v: want a positive loss in dB", s.PathLoss))
	}
	seen := map[lorawan.EUI64]bool{}
	addrs := map[lorawan.DevAddr]bool{}
	for i, d := range s.Devices {
		if err := d.validate(region); err != nil {
			errs = append(errs, fmt.Errorf("radio.sim.devices[%d]: %w", i, err))
			continue
		}
		eui, _ := lorawan.ParseEUI64(d.DevEUI)
		if seen[eui] {
			errs = append(errs, fmt.Errorf("radio.sim.devices[%d]: dev_eui %s given twice", i, eui))
		}
		seen[eui] = true
		if d.IsABP() {
			abp, _ := d.ABPSession()
			if addrs[abp.DevAddr] {
				errs = append(errs, fmt.Errorf("radio.sim.devices[%d]: dev_addr %s given twice", i, abp.DevAddr))
			}
			addrs[abp.DevAddr] = true
		}
	}
	return errs
}

// validate checks a simulated device; errors never carry its keys.
func (d SimDevice) validate(region *lorawan.Region) error {
	if err := checkEUI("dev_eui", d.DevEUI); err != nil {
		return err
	}
	v, err := lorawan.ParseMACVersion(d.MACVersion)
	if err != nil {
		return fmt.Errorf("mac_version: %w", err)
	}
	switch d.Activation {
	case "", ActivationOTAA:
		err = d.validateOTAA(v)
	case ActivationABP:
		err = d.validateABP(v)
	default:
		err = fmt.Errorf("activation %q: want %q or %q", d.Activation, ActivationOTAA, ActivationABP)
	}
	if err != nil {
		return err
	}
	if d.Class != "A" && d.Class != "C" {
		return fmt.Errorf("class %q: want A or C", d.Class)
	}
	if rate, err := region.DataRate(d.DataRate); err != nil || !rate.Uplink {
		return fmt.Errorf("data_rate %d: not an uplink data rate of %s", d.DataRate, region.Name())
	}
	switch {
	case d.SubBand == 0:
	case !region.FixedChannelPlan():
		return fmt.Errorf("sub_band %d: region %s has no sub-bands (only US915 and AU915 do)", d.SubBand, region.Name())
	case d.SubBand < 1 || d.SubBand > 8:
		return fmt.Errorf("sub_band %d: want 1..8", d.SubBand)
	}
	if d.Interval <= 0 {
		return errors.New("interval must be positive")
	}
	if d.FPort < 1 || d.FPort > 223 {
		return fmt.Errorf("fport %d: want 1..223", d.FPort)
	}
	if _, err := d.PayloadBytes(); err != nil {
		return err
	}
	return nil
}

// validateOTAA checks the settings of a device that joins: JoinEUI, the
// root keys of its version, and no ABP setting.
func (d SimDevice) validateOTAA(v lorawan.MACVersion) error {
	abp := given([2]string{"dev_addr", d.DevAddr}, [2]string{"nwk_s_key", d.NwkSKey},
		[2]string{"f_nwk_s_int_key", d.FNwkSIntKey}, [2]string{"s_nwk_s_int_key", d.SNwkSIntKey},
		[2]string{"nwk_s_enc_key", d.NwkSEncKey}, [2]string{"app_s_key", d.AppSKey})
	if d.FCntUp != 0 {
		abp = append(abp, "f_cnt_up")
	}
	if len(abp) > 0 {
		return fmt.Errorf("%s: ABP settings in an OTAA device (set activation = %q, or remove them)", strings.Join(abp, ", "), ActivationABP)
	}
	if err := checkEUI("join_eui", d.JoinEUI); err != nil {
		return err
	}
	if err := (simKey{name: "app_key", text: d.AppKey}).parse(); err != nil {
		return err
	}
	if v == lorawan.MACVersion1_1 {
		return simKey{name: "nwk_key", text: d.NwkKey}.parse()
	}
	if len(given([2]string{"nwk_key", d.NwkKey})) > 0 {
		return fmt.Errorf("nwk_key: a LoRaWAN 1.1 key in a %s device (it takes app_key alone)", d.MACVersion)
	}
	return nil
}

// validateABP checks the settings of a personalised device: DevAddr, the
// session keys of its version, and neither OTAA settings nor the other
// version's keys.
func (d SimDevice) validateABP(v lorawan.MACVersion) error {
	otaa := given([2]string{"join_eui", d.JoinEUI}, [2]string{"app_key", d.AppKey}, [2]string{"nwk_key", d.NwkKey})
	if len(otaa) > 0 {
		return fmt.Errorf("%s: OTAA settings in an ABP device, which never joins (set activation = %q, or remove them)", strings.Join(otaa, ", "), ActivationOTAA)
	}
	if v == lorawan.MACVersion1_1 {
		if len(given([2]string{"nwk_s_key", d.NwkSKey})) > 0 {
			return errors.New("nwk_s_key: a LoRaWAN 1.0.x key in a 1.1 device (it takes f_nwk_s_int_key, s_nwk_s_int_key and nwk_s_enc_key)")
		}
	} else if k11 := given([2]string{"f_nwk_s_int_key", d.FNwkSIntKey}, [2]string{"s_nwk_s_int_key", d.SNwkSIntKey},
		[2]string{"nwk_s_enc_key", d.NwkSEncKey}); len(k11) > 0 {
		return fmt.Errorf("%s: LoRaWAN 1.1 keys in a %s device (it takes nwk_s_key)", strings.Join(k11, ", "), d.MACVersion)
	}
	_, err := d.ABPSession()
	return err
}

// checkEUI checks an EUI setting.
func checkEUI(name, s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("%s: missing (16 hex digits)", name)
	}
	if _, err := lorawan.ParseEUI64(s); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// PayloadBytes returns the device's payload.
func (d SimDevice) PayloadBytes() ([]byte, error) {
	b, err := hexBytes(d.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return b, nil
}

// Level returns LogLevel as a slog.Level.
func (c *Config) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// DBPath returns the agent store's file: DataDir/agent.db.
func (c *Config) DBPath() string { return filepath.Join(c.DataDir, agentstore.DefaultDBFile) }

// NoCUPS reports Station's NO-CUPS mode: no CUPS URI in any set, so the
// agent goes straight to the LNS.
func (c *Config) NoCUPS() bool { return !c.CUPS.hasURI() }

// HasTC reports whether a TC (LNS) URI is configured in any set; without
// one, Station asks CUPS for it first.
func (c *Config) HasTC() bool { return c.TC.hasURI() }

// SX130xConf returns the board settings in the form of a router_config
// radio configuration element (lorawan_public, clksrc, and per radio type,
// rssi_offset and tx_enable; enable and freq left for the LNS), which the
// agent merges the LNS's element over (agent.Options.Board).
func (r Radio) SX130xConf() station.SX130xConf {
	pub, clk := r.LorawanPublic, r.ClkSrc
	out := station.SX130xConf{LorawanPublic: &pub, ClkSrc: &clk}
	for i, rb := range []RadioBoard{r.Radio0, r.Radio1} {
		off, tx := rb.RSSIOffset, rb.TxEnable
		out.Radios[i] = &station.RadioConf{Type: rb.Type, RSSIOffset: &off, TxEnable: &tx}
	}
	return out
}

// EUI is a router EUI read in any form Station reads (station.ParseEUI) and
// written as id6 text.
type EUI lorawan.EUI64

// UnmarshalText reads id6 text ("::1", "b827:ebff:fe61:51a5") or hex with
// optional '-' or ':' separators. Zero is refused, as Station refuses a zero
// routerid.
func (e *EUI) UnmarshalText(b []byte) error {
	v, err := station.ParseEUI(strings.TrimSpace(string(b)))
	if err != nil {
		return fmt.Errorf("router eui: %w", err)
	}
	if v == (lorawan.EUI64{}) {
		return fmt.Errorf("router eui %q: must not be zero", b)
	}
	*e = EUI(v)
	return nil
}

// MarshalText writes the EUI as id6 text.
func (e EUI) MarshalText() ([]byte, error) {
	return []byte(station.FormatID6(lorawan.EUI64(e))), nil
}

// String returns the EUI as 16 hex digits.
func (e EUI) String() string { return lorawan.EUI64(e).String() }

// Duration is a time.Duration written as text in TOML ("30s", "24h").
type Duration time.Duration

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go writes it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// readFile reads a configuration file; an error names the file, never
// its content.
func readFile(path string) ([]byte, error) { return os.ReadFile(path) }
