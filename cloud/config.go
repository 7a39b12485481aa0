package cloud

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// Config is the cloud's configuration file (TOML, see cloud.example.toml).
// Every setting has a default that runs: DefaultConfig.
type Config struct {
	// DataDir holds the store, the KEK file, the gateway CA and the server
	// certificate. The --data flag overrides it. Relative paths are taken
	// from the working directory.
	DataDir string `toml:"data_dir"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`

	Gateways GatewaysConfig `toml:"gateways"`
	Network  NetworkConfig  `toml:"network"`
	Store    StoreConfig    `toml:"store"`
	MQTT     MQTTConfig     `toml:"mqtt"`
	API      APIConfig      `toml:"api"`
	Pipeline PipelineConfig `toml:"pipeline"`
	CUPS     CUPSConfig     `toml:"cups"` // see cups.go
}

// GatewaysConfig is the Basics Station LNS endpoint.
type GatewaysConfig struct {
	// Listen is the TCP address the endpoint listens on.
	Listen string `toml:"listen"`
	// PublicHost is the host name (or IP address) gateways reach the
	// endpoint by: it goes into the traffic URIs, tc.uri and the server
	// certificate (as CN and DNS SAN, IP hosts also as IP SAN).
	PublicHost string `toml:"public_host"`
	// PublicPort is the port gateways connect to; 0 takes Listen's port
	// (set it when a proxy or NAT maps another port).
	PublicPort int `toml:"public_port"`
	// ExtraHosts are more names for the server certificate.
	ExtraHosts []string `toml:"extra_hosts"`
	// MuxsID is the "muxs" name router-info answers with.
	MuxsID string `toml:"muxs_id"`
	// PingInterval is how often each gateway is pinged.
	PingInterval Duration `toml:"ping_interval"`
	// IdleTimeout drops a gateway heard from (message or pong) for no
	// longer than this; lengthen it for LTE backhauls.
	IdleTimeout Duration `toml:"idle_timeout"`
	// WriteTimeout bounds each write to a gateway.
	WriteTimeout Duration `toml:"write_timeout"`
	// HandshakeTimeout bounds TLS handshake, upgrade and discovery request.
	HandshakeTimeout Duration `toml:"handshake_timeout"`
}

// NetworkConfig holds the LoRaWAN network identity.
type NetworkConfig struct {
	// NetID is the network's NetID, 6 hex digits.
	NetID string `toml:"net_id"`
	// FilterNetID makes gateways forward only data frames whose DevAddr
	// belongs to NetID (router_config NetID); false forwards all.
	FilterNetID bool `toml:"filter_net_id"`
	// JoinEUIRanges, when not empty, makes gateways forward only
	// join-requests whose JoinEUI lies in one of the [first, last] ranges.
	JoinEUIRanges [][2]string `toml:"join_eui_ranges"`
}

// StoreConfig locates the store and its key-encryption key.
type StoreConfig struct {
	// File is the bbolt file; empty means DataDir/store.db.
	File string `toml:"file"`
	// KEKFile is the key-encryption key file (64 hex digits, mode 0600),
	// created on first start; empty means DataDir/kek. The LORAEDGE_KEK
	// environment variable, when set, is used instead.
	KEKFile string `toml:"kek_file"`
}

// MQTTConfig is the broker MQTT destinations publish to, and where the
// MQTT side of the downlink API listens.
type MQTTConfig struct {
	// Broker is an external broker URL (tcp://host:1883, ssl://host:8883).
	// Empty runs the embedded broker on EmbeddedListen.
	Broker string `toml:"broker"`
	// EmbeddedListen is the loopback address of the embedded broker, used
	// when Broker is empty; "off" runs no broker (MQTT destinations fail).
	EmbeddedListen string `toml:"embedded_listen"`
	// Username authenticates to an external broker; the password is read
	// from PasswordFile.
	Username     string `toml:"username"`
	PasswordFile string `toml:"password_file"`
	// TopicPrefix starts the downlink-request and event topics:
	// <prefix>/downlink/<DevEui> and <prefix>/events/<DevEui>.
	TopicPrefix string `toml:"topic_prefix"`
}

// APIConfig is the HTTP API (downlinks, and gateways, devices and
// destinations for the admin CLI), authenticated by a bearer token.
type APIConfig struct {
	// Listen is the API's TCP address; keep it on loopback unless a TLS
	// proxy fronts it. "off" disables the API.
	Listen string `toml:"listen"`
	// TokenFile holds the bearer token; empty means data_dir/api-token,
	// created (0600) on first start.
	TokenFile string `toml:"token_file"`
}

// PipelineConfig tunes the uplink pipeline and the downlink scheduler.
type PipelineConfig struct {
	// DedupWindow is how long copies of one uplink from several gateways
	// are gathered before it is processed.
	DedupWindow Duration `toml:"dedup_window"`
	// ADRMargin is the ADR engine's installation margin in dB.
	ADRMargin float64 `toml:"adr_margin"`
	// DownlinkAttempts is how many times a confirmed downlink is sent
	// before it is dropped unacknowledged (and reported).
	DownlinkAttempts int `toml:"downlink_attempts"`
	// WebhookQueueMax bounds the persistent retry queue of webhook
	// deliveries (data_dir/webhook-queue.db); the oldest is dropped first.
	WebhookQueueMax int `toml:"webhook_queue_max"`
}

// Duration is a time.Duration written as text in TOML ("30s", "2m").
type Duration time.Duration

// UnmarshalText reads a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("cloud: duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalText writes the duration as Go writes it.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// DefaultConfig returns the configuration used for every key a file leaves
// out: a cloud for gateways on this machine, data in ./data.
func DefaultConfig() Config {
	return Config{
		DataDir:  "data",
		LogLevel: "info",
		Gateways: GatewaysConfig{
			Listen:           "127.0.0.1:6039",
			PublicHost:       "127.0.0.1",
			MuxsID:           "loraedge",
			PingInterval:     Duration(30 * time.Second),
			IdleTimeout:      Duration(90 * time.Second),
			WriteTimeout:     Duration(10 * time.Second),
			HandshakeTimeout: Duration(30 * time.Second),
		},
		Network: NetworkConfig{NetID: "000000", FilterNetID: true},
		MQTT:    MQTTConfig{EmbeddedListen: "127.0.0.1:1883", TopicPrefix: "loraedge"},
		API:     APIConfig{Listen: "127.0.0.1:6040"},
		Pipeline: PipelineConfig{
			DedupWindow:      Duration(200 * time.Millisecond),
			ADRMargin:        10,
			DownlinkAttempts: 3,
			WebhookQueueMax:  10000,
		},
		CUPS: defaultCUPSConfig(),
	}
}

// LoadConfig reads the TOML file at path over DefaultConfig; path "" gives
// the defaults. Unknown keys are an error, so a misspelt key is not silently
// ignored.
func LoadConfig(path string) (Config, error) {
	cfg := DefaultConfig()
	if path == "" {
		return cfg, cfg.Validate()
	}
	md, err := toml.DecodeFile(path, &cfg)
	if err != nil {
		return Config{}, fmt.Errorf("cloud: config %s: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Config{}, fmt.Errorf("cloud: config %s: unknown keys %s", path, strings.Join(keys, ", "))
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("cloud: config %s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks every setting.
func (c Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("data_dir is empty"))
	}
	if _, err := c.Level(); err != nil {
		errs = append(errs, err)
	}
	g := c.Gateways
	if _, _, err := net.SplitHostPort(g.Listen); err != nil {
		errs = append(errs, fmt.Errorf("gateways.listen %q: %w", g.Listen, err))
	}
	if c.Gateways.PublicPort < 0 || c.Gateways.PublicPort > 65535 {
		errs = append(errs, fmt.Errorf("gateways.public_port %d out of range", c.Gateways.PublicPort))
	}
	// The port may be chosen at listen time (listen ":0"); check the rest.
	if _, err := c.tcURIWithPort(1); err != nil {
		errs = append(errs, err)
	}
	if g.PingInterval <= 0 || g.IdleTimeout <= 0 || g.WriteTimeout <= 0 || g.HandshakeTimeout <= 0 {
		errs = append(errs, errors.New("gateways: ping_interval, idle_timeout, write_timeout and handshake_timeout must be positive"))
	} else if g.PingInterval >= g.IdleTimeout {
		errs = append(errs, fmt.Errorf("gateways.ping_interval (%v) must be shorter than idle_timeout (%v)",
			time.Duration(g.PingInterval), time.Duration(g.IdleTimeout)))
	}
	if g.MuxsID == "" {
		errs = append(errs, errors.New("gateways.muxs_id is empty"))
	}
	if _, err := c.NetID(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.JoinEUIRanges(); err != nil {
		errs = append(errs, err)
	}
	if c.MQTT.Broker == "" && c.MQTT.EmbeddedListen != "off" {
		if _, _, err := net.SplitHostPort(c.MQTT.EmbeddedListen); err != nil {
			errs = append(errs, fmt.Errorf("mqtt.embedded_listen %q: %w", c.MQTT.EmbeddedListen, err))
		}
	}
	if c.MQTT.TopicPrefix == "" || strings.ContainsAny(c.MQTT.TopicPrefix, "+#") {
		errs = append(errs, fmt.Errorf("mqtt.topic_prefix %q: want a topic level without wildcards", c.MQTT.TopicPrefix))
	}
	if c.API.Listen != "off" {
		if _, _, err := net.SplitHostPort(c.API.Listen); err != nil {
			errs = append(errs, fmt.Errorf("api.listen %q: %w", c.API.Listen, err))
		}
	}
	p := c.Pipeline
	if p.DedupWindow <= 0 || p.DownlinkAttempts < 1 || p.WebhookQueueMax < 1 || p.ADRMargin < 0 {
		errs = append(errs, errors.New("pipeline: dedup_window, downlink_attempts and webhook_queue_max must be positive, adr_margin not negative"))
	}
	if err := c.validateCUPS(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Level returns LogLevel as a slog.Level.
func (c Config) Level() (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return 0, fmt.Errorf("log_level %q: want debug, info, warn or error", c.LogLevel)
	}
	return l, nil
}

// PublicPort returns the port gateways connect to: public_port, or the
// port of listen. It is an error when both leave the port to the system
// (listen ":0" and no public_port), since tools such as `gateway cert` must
// know it.
func (c Config) PublicPort() (int, error) {
	if c.Gateways.PublicPort != 0 {
		return c.Gateways.PublicPort, nil
	}
	_, p, err := net.SplitHostPort(c.Gateways.Listen)
	if err != nil {
		return 0, fmt.Errorf("gateways.listen %q: %w", c.Gateways.Listen, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("gateways.listen %q has no fixed port: set one, or gateways.public_port", c.Gateways.Listen)
	}
	return n, nil
}

// TCURI returns wss://public_host:port, what a gateway's tc.uri holds.
func (c Config) TCURI() (string, error) {
	port, err := c.PublicPort()
	if err != nil {
		return "", err
	}
	return c.tcURIWithPort(port)
}

func (c Config) tcURIWithPort(port int) (string, error) {
	h := c.Gateways.PublicHost
	if h == "" || strings.ContainsAny(h, "/ :[]@?#") && net.ParseIP(h) == nil {
		return "", fmt.Errorf("gateways.public_host %q is not a host name or IP address", h)
	}
	uri := "wss://" + net.JoinHostPort(h, strconv.Itoa(port))
	// The traffic URI adds /traffic/<16 hex digits>; Station must accept it.
	if err := station.CheckTrafficURI(uri + "/traffic/0000000000000000"); err != nil {
		return "", fmt.Errorf("gateways.public_host: %w", err)
	}
	return uri, nil
}

// CertHosts returns the names of the server certificate, PublicHost first.
func (c Config) CertHosts() []string {
	hosts := []string{c.Gateways.PublicHost}
	for _, h := range c.Gateways.ExtraHosts {
		if h != "" && !contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	return hosts
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// NetID returns the network's NetID.
func (c Config) NetID() (lorawan.NetID, error) {
	n, err := lorawan.ParseNetID(c.Network.NetID)
	if err != nil {
		return lorawan.NetID{}, fmt.Errorf("network.net_id: %w", err)
	}
	return n, nil
}

// JoinEUIRanges returns the parsed network.join_eui_ranges.
func (c Config) JoinEUIRanges() ([][2]lorawan.EUI64, error) {
	var out [][2]lorawan.EUI64
	for i, r := range c.Network.JoinEUIRanges {
		first, err := lorawan.ParseEUI64(r[0])
		if err != nil {
			return nil, fmt.Errorf("network.join_eui_ranges[%d]: %w", i, err)
		}
		last, err := lorawan.ParseEUI64(r[1])
		if err != nil {
			return nil, fmt.Errorf("network.join_eui_ranges[%d]: %w", i, err)
		}
		if string(first[:]) > string(last[:]) {
			return nil, fmt.Errorf("network.join_eui_ranges[%d]: %s after %s", i, first, last)
		}
		if first == (lorawan.EUI64{}) {
			// Station ends its list at a range starting at 0 and then
			// forwards every join; say so rather than surprise.
			return nil, fmt.Errorf("network.join_eui_ranges[%d]: a range starting at 0000000000000000 makes Station forward every join; leave the list empty for that", i)
		}
		out = append(out, [2]lorawan.EUI64{first, last})
	}
	return out, nil
}

// StorePath returns the bbolt file path.
func (c Config) StorePath() string {
	if c.Store.File != "" {
		return c.Store.File
	}
	return filepath.Join(c.DataDir, store.DefaultDBFile)
}

// APITokenPath returns the API token file path.
func (c Config) APITokenPath() string {
	if c.API.TokenFile != "" {
		return c.API.TokenFile
	}
	return filepath.Join(c.DataDir, "api-token")
}

// KEKPath returns the key-encryption key file path.
func (c Config) KEKPath() string {
	if c.Store.KEKFile != "" {
		return c.Store.KEKFile
	}
	return filepath.Join(c.DataDir, store.DefaultKEKFile)
}
