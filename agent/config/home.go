package config

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store/agentstore"
)

// Files of a Station home.
const (
	StationConfFile = "station.conf"
	VersionFile     = "version.txt"
)

// readHome reads the Station home dir into cfg.
func readHome(cfg *Config, dir string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("config: station home %s: %w", dir, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("config: station home: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("config: station home %s is not a directory", dir)
	}
	confPath := filepath.Join(abs, StationConfFile)
	conf, err := os.ReadFile(confPath)
	if err != nil {
		return fmt.Errorf("config: station home %s: %w (Station needs it)", dir, err)
	}
	if err := parseStationConf(cfg, conf, abs); err != nil {
		return fmt.Errorf("config: %s: %w", confPath, err)
	}
	for _, kind := range []agentstore.Kind{agentstore.KindTC, agentstore.KindCUPS} {
		ep := &cfg.TC
		if kind == agentstore.KindCUPS {
			ep = &cfg.CUPS
		}
		for _, set := range agentstore.Sets() {
			files, err := homeCredFiles(abs, kind, set)
			if err != nil {
				return err
			}
			*ep.setPtr(set) = files
		}
	}
	if v, err := os.ReadFile(filepath.Join(abs, VersionFile)); err == nil {
		s := strings.TrimRight(string(v), " \t\r\n")
		cfg.Station.Firmware, cfg.Station.Package = s, s
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("config: %w", err)
	}
	for n := 0; ; n++ {
		b, err := os.ReadFile(filepath.Join(abs, "sig-"+strconv.Itoa(n)+".key"))
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return fmt.Errorf("config: %w", err)
		}
		if len(b) != 64 {
			return fmt.Errorf("config: %s: %d bytes, want the 64 raw bytes of a P-256 key (X‖Y)", filepath.Join(abs, "sig-"+strconv.Itoa(n)+".key"), len(b))
		}
		cfg.SigKeys = append(cfg.SigKeys, b)
	}
	cfg.DataDir = abs
	return nil
}

// homeCredFiles finds the files of one credential set in a home. Empty files
// count as absent, as Station treats them. A .key without a .crt is a token,
// as Station's sys_cred decides.
func homeCredFiles(home string, kind agentstore.Kind, set agentstore.Set) (CredFiles, error) {
	base := filepath.Join(home, string(kind)+set.FileSuffix())
	present := func(ext string) (string, error) {
		p := base + "." + ext
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return "", nil
		case err != nil:
			return "", fmt.Errorf("config: %w", err)
		case fi.IsDir():
			return "", fmt.Errorf("config: %s is a directory", p)
		case fi.Size() == 0:
			return "", nil
		}
		return p, nil
	}
	var f CredFiles
	var err error
	uriPath, err := present("uri")
	if err != nil {
		return f, err
	}
	if uriPath != "" {
		b, err := readFile(uriPath)
		if err != nil {
			return f, fmt.Errorf("config: %w", err)
		}
		f.URI = strings.TrimRight(string(b), " \t\r\n")
	}
	if f.Trust, err = present("trust"); err != nil {
		return f, err
	}
	if f.Cert, err = present("crt"); err != nil {
		return f, err
	}
	key, err := present("key")
	if err != nil {
		return f, err
	}
	if f.Cert == "" && key != "" {
		f.TokenFile = key
	} else {
		f.Key = key
	}
	return f, nil
}

// field is one member of a JSON object.
type field struct {
	key   string
	value json.RawMessage
}

// objectFields returns the members of a JSON object in order, refusing
// anything after it.
func objectFields(b []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("want a JSON object, got %v", t)
	}
	var out []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, fmt.Errorf("%q: %w", key, err)
		}
		out = append(out, field{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("text after the JSON object")
	}
	return out, nil
}

// sx130xConfKeys are the station.conf keys Station reads board settings
// from (find_sx130x_conf in src/sx130xconf.c).
var sx130xConfKeys = []string{"SX1301_conf", "SX1302_conf", "sx1301_conf", "sx1302_conf", "radio_conf"}

// parseStationConf reads station.conf (JSON with comments) into cfg; paths
// are resolved against home.
func parseStationConf(cfg *Config, b []byte, home string) error {
	clean, err := stripComments(b)
	if err != nil {
		return err
	}
	top, err := objectFields(clean)
	if err != nil {
		return fmt.Errorf("json: %w", err)
	}
	boardKey := ""
	var stationConf json.RawMessage
	for _, f := range top {
		switch {
		case isOneOf(f.key, sx130xConfKeys):
			if boardKey != "" {
				return fmt.Errorf("both %s and %s: keep one", boardKey, f.key)
			}
			boardKey = f.key
			if err := parseBoard(&cfg.Radio, f.value); err != nil {
				return fmt.Errorf("%s: %w", f.key, err)
			}
		case f.key == "station_conf":
			stationConf = f.value
		}
		// Station ignores other top-level keys (with a warning).
	}
	if stationConf != nil {
		if err := parseStationSection(cfg, stationConf, home); err != nil {
			return fmt.Errorf("station_conf: %w", err)
		}
	}
	return nil
}

func isOneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
}

// parseBoard reads the board settings of an SX130x conf object
// (parse_sx130x_conf); channel keys are the LNS's and are ignored, as are
// tuning tables loraedge does not use (tx_gain_lut, rssi_tcomp, …).
func parseBoard(r *Radio, raw json.RawMessage) error {
	fields, err := objectFields(raw)
	if err != nil {
		return err
	}
	deviceSet := false
	for _, f := range fields {
		var err error
		switch f.key {
		case "lorawan_public":
			err = json.Unmarshal(f.value, &r.LorawanPublic)
		case "clksrc":
			err = json.Unmarshal(f.value, &r.ClkSrc)
		case "device":
			err = json.Unmarshal(f.value, &r.Device)
			deviceSet = true
		case "pps":
			err = json.Unmarshal(f.value, &r.PPS)
		case "no_gps_capture":
			var no bool
			err = json.Unmarshal(f.value, &no)
			r.PPS = !no
		case "full_duplex":
			err = json.Unmarshal(f.value, &r.FullDuplex)
		default:
			if n, ok := indexedKey(f.key, "radio_"); ok {
				if n > 1 {
					return fmt.Errorf("%s: index not in 0..1", f.key)
				}
				rb := &r.Radio0
				if n == 1 {
					rb = &r.Radio1
				}
				err = parseRadio(rb, r, f.value)
			}
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
	}
	if deviceSet && r.Device == "" {
		return errors.New("device is empty")
	}
	return nil
}

// indexedKey reads "prefix<N>" with N decimal or 0x-hex, as Station's
// uj_indexedField.
func indexedKey(k, prefix string) (int, bool) {
	s, ok := strings.CutPrefix(k, prefix)
	if !ok || s == "" {
		return 0, false
	}
	base := 10
	if h, ok := strings.CutPrefix(s, "0x"); ok && h != "" {
		s, base = h, 16
	}
	n, err := strconv.ParseUint(s, base, 16)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

// parseRadio reads one radio_N object (parse_rfconf); antenna_gain (or
// txpow_adjust) is board-wide in Station and lands in r.AntennaGain.
func parseRadio(rb *RadioBoard, r *Radio, raw json.RawMessage) error {
	fields, err := objectFields(raw)
	if err != nil {
		return err
	}
	for _, f := range fields {
		var err error
		switch f.key {
		case "type":
			err = json.Unmarshal(f.value, &rb.Type)
			if err == nil && !validRadioType(rb.Type) {
				err = fmt.Errorf("%q: want SX1255, SX1257, SX1272, SX1276 or SX1250", rb.Type)
			}
		case "rssi_offset":
			err = json.Unmarshal(f.value, &rb.RSSIOffset)
		case "tx_enable":
			err = json.Unmarshal(f.value, &rb.TxEnable)
		case "antenna_gain", "txpow_adjust":
			err = json.Unmarshal(f.value, &r.AntennaGain)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
	}
	return nil
}

// parseStationSection reads station_conf as src-linux/sys_linux.c's
// parseStationConf does.
func parseStationSection(cfg *Config, raw json.RawMessage, home string) error {
	fields, err := objectFields(raw)
	if err != nil {
		return err
	}
	var proto, prefix uint64 = 0, 1 // prefix 1: expand a MAC into an EUI
	haveProto := false
	for _, f := range fields {
		var err error
		switch f.key {
		case "routerid":
			var s string
			if err = json.Unmarshal(f.value, &s); err == nil {
				proto, err = readRouterID(s, home)
				haveProto = err == nil
			}
		case "euiprefix":
			var s string
			if err = json.Unmarshal(f.value, &s); err == nil {
				var e lorawan.EUI64
				if e, err = station.ParseEUI(s); err == nil {
					prefix = binary.BigEndian.Uint64(e[:])
				}
			}
		case "log_file":
			var s string
			if err = json.Unmarshal(f.value, &s); err == nil {
				switch {
				case s == "":
					err = errors.New("empty")
				case s == "stderr" || s == "stdout":
					cfg.LogFile = s
				default:
					cfg.LogFile = resolvePath(s, home)
				}
			}
		case "log_level":
			var s string
			if err = json.Unmarshal(f.value, &s); err == nil {
				cfg.LogLevel, err = stationLogLevel(s)
			}
		case "pps":
			err = json.Unmarshal(f.value, &cfg.Radio.PPSMode)
			if err == nil && cfg.Radio.PPSMode != "gps" && cfg.Radio.PPSMode != "fuzzy" && cfg.Radio.PPSMode != "testpin" {
				err = fmt.Errorf("%q: want gps, fuzzy or testpin", cfg.Radio.PPSMode)
			}
		case "device":
			// The board's own "device" wins (sx130xconf.c reads it later).
			var s string
			if err = json.Unmarshal(f.value, &s); err == nil && cfg.Radio.Device == "" {
				cfg.Radio.Device = s
			}
		default:
			err = setParam(cfg, f.key, f.value)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", f.key, err)
		}
	}
	if haveProto {
		cfg.RouterEUI = EUI(euiFromUint64(stationEUI(proto, prefix)))
	}
	return nil
}

// readRouterID reads routerid as Station's setEui: the name of a readable
// file holding the EUI (taken from home when relative), or the EUI itself.
// Zero is refused.
func readRouterID(s, home string) (uint64, error) {
	text := s
	if b, err := os.ReadFile(resolvePath(s, home)); err == nil {
		text = strings.TrimRight(string(b), " \t\r\n")
	}
	e, err := station.ParseEUI(text)
	if err != nil {
		return 0, err
	}
	v := binary.BigEndian.Uint64(e[:])
	if v == 0 {
		return 0, errors.New("must not be zero")
	}
	return v, nil
}

// stationEUI combines routerid and euiprefix as Station's sys_eui: an id
// with any of its top 16 bits set is used as is; otherwise, with a prefix
// whose low 48 bits are not zero (the default prefix is 1), the id is a MAC
// expanded to an EUI with FFFE in the middle; otherwise prefix | id.
func stationEUI(proto, prefix uint64) uint64 {
	if proto>>48 != 0 {
		return proto
	}
	if prefix&0xFFFF_FFFF_FFFF != 0 {
		return (proto&0xFFFF_FF00_0000)<<16 | 0xFF_FE00_0000 | proto&0xFF_FFFF
	}
	return prefix | proto
}

func euiFromUint64(v uint64) lorawan.EUI64 {
	var e lorawan.EUI64
	binary.BigEndian.PutUint64(e[:], v)
	return e
}

// stationLogLevel maps Station's log_level (XDEBUG … CRITICAL, possibly
// with per-module "MOD:LEVEL" entries, which are ignored) to a slog level
// name.
func stationLogLevel(s string) (string, error) {
	level := ""
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" || strings.ContainsAny(part, ":=") {
			continue
		}
		switch strings.ToUpper(part) {
		case "XDEBUG", "DEBUG", "VERBOSE", "0", "1", "2":
			level = "debug"
		case "INFO", "NOTICE", "3", "4":
			level = "info"
		case "WARNING", "5":
			level = "warn"
		case "ERROR", "CRITICAL", "6", "7":
			level = "error"
		default:
			return "", fmt.Errorf("%q: want XDEBUG, DEBUG, VERBOSE, INFO, NOTICE, WARNING, ERROR or CRITICAL", part)
		}
	}
	if level == "" {
		return "", fmt.Errorf("%q names no level", s)
	}
	return level, nil
}

// setParam keeps a station_conf key Station treats as a builtin parameter
// (or that loraedge does not act on) in cfg.Params, strings unquoted, and
// applies TC_TIMEOUT.
func setParam(cfg *Config, key string, raw json.RawMessage) error {
	val := strings.TrimSpace(string(raw))
	var s string
	if json.Unmarshal(raw, &s) == nil {
		val = s
	}
	if key == "TC_TIMEOUT" {
		d, err := stationDuration(val)
		if err != nil {
			return err
		}
		cfg.Reconnect.TCTimeout = Duration(d)
	}
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params[key] = val
	return nil
}

// stationDuration reads a Station time span: a Go-style duration ("60s",
// "100ms", "1m") or a bare number of seconds.
func stationDuration(s string) (time.Duration, error) {
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil && n > 0 {
		return time.Duration(n * float64(time.Second)), nil
	}
	return 0, fmt.Errorf("%q is not a positive time span", s)
}

// hexBytes decodes hex text, ignoring spaces.
func hexBytes(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		return nil, fmt.Errorf("%q is not hex", s)
	}
	return b, nil
}
