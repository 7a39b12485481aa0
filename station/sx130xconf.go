package station

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// SX130xConf is one element of router_config's radio configuration array,
// with the names Station's src/sx130xconf.c reads: "radio_0", "radio_1",
// "chan_multiSF_0" … "chan_multiSF_7", "chan_Lora_std", "chan_FSK", and the
// board settings "lorawan_public" and "clksrc". Nil entries are left out, so
// that Station keeps what station.conf says for them. Other keys are ignored
// when reading, as Station ignores unknown board keys.
type SX130xConf struct {
	LorawanPublic *bool
	ClkSrc        *int
	Radios        [2]*RadioConf // "radio_0", "radio_1"
	MultiSF       [8]*IFChan    // "chan_multiSF_0" … "chan_multiSF_7"
	LoraStd       *IFChan       // "chan_Lora_std": one SF and bandwidth
	FSK           *IFChan       // "chan_FSK"
}

// RadioConf configures one RF chain: enabled, its centre frequency in Hz,
// and optionally the radio chip ("SX1255", "SX1257", "SX1272", "SX1276",
// "SX1250"), the RSSI offset in dB, whether it may transmit, and the
// antenna gain taken off the transmit power. Station refuses other keys in a
// radio object but for a few hardware settings of station.conf; Decode
// ignores them.
//
// Station parses station.conf's radio_N and then the router_config's into
// the same structure, writing only the keys present (parse_rfconf in
// src/sx130xconf.c): a key the router_config leaves out keeps station.conf's
// value. EnableAbsent marks an entry without "enable"; the other optional
// keys are nil when absent, and a Freq of 0 is taken as absent.
type RadioConf struct {
	Enable bool
	// EnableAbsent marks an entry without "enable" (Station then keeps
	// station.conf's setting, false when it has none): Decode sets it,
	// Encode then leaves "enable" out, and Enable is not used.
	EnableAbsent bool
	Freq         uint32
	Type         string
	RSSIOffset   *float64
	TxEnable     *bool
	// AntennaGain ("antenna_gain") and TxPowAdjust ("txpow_adjust"), in
	// dB, are one setting to Station: a single board-wide adjustment taken
	// off the EIRP to get the radio's power, whichever radio object
	// carries it, the last one parsed winning. Decode keeps only that
	// last one (the others are nil); see SX130xConf.TxPowAdjust.
	AntennaGain *float64
	TxPowAdjust *float64
}

// MarshalJSON writes enable (unless EnableAbsent), freq, and the optional
// keys that are set.
func (r RadioConf) MarshalJSON() ([]byte, error) {
	o := newObject("")
	if !r.EnableAbsent {
		o.add("enable", r.Enable)
	}
	o.add("freq", r.Freq)
	if r.Type != "" {
		o.add("type", r.Type)
	}
	addIf(o, "rssi_offset", r.RSSIOffset)
	addIf(o, "tx_enable", r.TxEnable)
	addIf(o, "antenna_gain", r.AntennaGain)
	addIf(o, "txpow_adjust", r.TxPowAdjust)
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode radio conf: %w", err)
	}
	return b, nil
}

// UnmarshalJSON reads a radio object, noting whether "enable" is present
// (null counts as absent) and keeping only the last of "antenna_gain" and
// "txpow_adjust".
func (r *RadioConf) UnmarshalJSON(b []byte) error {
	fields, err := objectFields(b)
	if err != nil {
		return err
	}
	out := RadioConf{EnableAbsent: true}
	for _, f := range fields {
		var err error
		switch f.key {
		case "enable":
			var v *bool
			if err = unmarshalPtr(f.value, &v); err == nil {
				out.EnableAbsent = v == nil
				out.Enable = v != nil && *v
			}
		case "freq":
			err = json.Unmarshal(f.value, &out.Freq)
		case "type":
			err = json.Unmarshal(f.value, &out.Type)
		case "rssi_offset":
			err = unmarshalPtr(f.value, &out.RSSIOffset)
		case "tx_enable":
			err = unmarshalPtr(f.value, &out.TxEnable)
		case "antenna_gain":
			if err = unmarshalPtr(f.value, &out.AntennaGain); err == nil && out.AntennaGain != nil {
				out.TxPowAdjust = nil
			}
		case "txpow_adjust":
			if err = unmarshalPtr(f.value, &out.TxPowAdjust); err == nil && out.TxPowAdjust != nil {
				out.AntennaGain = nil
			}
		}
		if err != nil {
			return fmt.Errorf("%.40s: %w", f.key, err)
		}
	}
	*r = out
	return nil
}

// txPowAdjust returns the radio's antenna gain setting, if any.
func (r *RadioConf) txPowAdjust() (float64, bool) {
	switch {
	case r == nil:
		return 0, false
	case r.TxPowAdjust != nil:
		return *r.TxPowAdjust, true
	case r.AntennaGain != nil:
		return *r.AntennaGain, true
	}
	return 0, false
}

// TxPowAdjust returns the board-wide antenna gain (dB) the conf sets, and
// whether it sets one: the last radio's (radio_1 over radio_0,
// txpow_adjust over antenna_gain), which for a decoded conf is the one
// Station keeps, since Decode keeps no other. Station keeps it in tenths of
// a dB, truncated toward zero.
func (s SX130xConf) TxPowAdjust() (float64, bool) {
	for i := len(s.Radios) - 1; i >= 0; i-- {
		if v, ok := s.Radios[i].txPowAdjust(); ok {
			return v, true
		}
	}
	return 0, false
}

// IFChan configures one IF channel: enabled, the RF chain ("radio", also
// read as "rf_chain") and the offset in Hz from that chain's frequency
// ("if", also read as "freq"). The single-SF LoRa channel adds its bandwidth
// in Hz (125000, 250000, 500000) and spreading factor (7–12), the FSK channel
// its bit rate; these are left out when 0, since Station refuses a zero
// bandwidth or spreading factor.
type IFChan struct {
	Enable       bool   `json:"enable"`
	Radio        int    `json:"radio"`
	IF           int32  `json:"if"`
	Bandwidth    uint32 `json:"bandwidth,omitempty"`
	SpreadFactor int    `json:"spread_factor,omitempty"`
	DataRate     uint32 `json:"datarate,omitempty"`
}

// UnmarshalJSON reads an IF channel, accepting Station's alternative keys
// "rf_chain" and "freq".
func (c *IFChan) UnmarshalJSON(b []byte) error {
	var w struct {
		Enable       bool   `json:"enable"`
		Radio        *int   `json:"radio"`
		RFChain      *int   `json:"rf_chain"`
		IF           *int32 `json:"if"`
		Freq         *int32 `json:"freq"`
		Bandwidth    uint32 `json:"bandwidth"`
		SpreadFactor int    `json:"spread_factor"`
		DataRate     uint32 `json:"datarate"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*c = IFChan{Enable: w.Enable, Bandwidth: w.Bandwidth, SpreadFactor: w.SpreadFactor, DataRate: w.DataRate}
	switch {
	case w.Radio != nil:
		c.Radio = *w.Radio
	case w.RFChain != nil:
		c.Radio = *w.RFChain
	}
	switch {
	case w.IF != nil:
		c.IF = *w.IF
	case w.Freq != nil:
		c.IF = *w.Freq
	}
	return nil
}

// MarshalJSON writes the set entries in the order board settings, radios,
// multi-SF channels, LoRa standard channel, FSK channel.
func (s SX130xConf) MarshalJSON() ([]byte, error) {
	o := newObject("")
	addIf(o, "lorawan_public", s.LorawanPublic)
	addIf(o, "clksrc", s.ClkSrc)
	for i, r := range s.Radios {
		addIf(o, "radio_"+strconv.Itoa(i), r)
	}
	for i, c := range s.MultiSF {
		addIf(o, "chan_multiSF_"+strconv.Itoa(i), c)
	}
	addIf(o, "chan_Lora_std", s.LoraStd)
	addIf(o, "chan_FSK", s.FSK)
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode sx130x conf: %w", err)
	}
	return b, nil
}

// UnmarshalJSON reads the keys named in SX130xConf and ignores the others,
// except "radio_N" and "chan_multiSF_N" with N out of range, which Station
// refuses. Of the radios' antenna gains it keeps only the last one read,
// the one Station uses.
func (s *SX130xConf) UnmarshalJSON(b []byte) error {
	fields, err := objectFields(b)
	if err != nil {
		return err
	}
	var out SX130xConf
	adjustFrom := -1       // the radio whose antenna gain was read last
	var adjust [2]*float64 // and that gain: antenna_gain, txpow_adjust
	for _, f := range fields {
		k, raw := f.key, f.value
		switch {
		case k == "lorawan_public":
			err = unmarshalPtr(raw, &out.LorawanPublic)
		case k == "clksrc":
			err = unmarshalPtr(raw, &out.ClkSrc)
		case k == "chan_Lora_std":
			err = unmarshalPtr(raw, &out.LoraStd)
		case k == "chan_FSK":
			err = unmarshalPtr(raw, &out.FSK)
		default:
			if i, ok := confIndex(k, "radio_"); ok {
				if i >= len(out.Radios) {
					return fmt.Errorf("station: sx130x conf %.40s: index not in 0..%d", k, len(out.Radios)-1)
				}
				err = unmarshalPtr(raw, &out.Radios[i])
				if r := out.Radios[i]; r != nil && (r.AntennaGain != nil || r.TxPowAdjust != nil) {
					adjustFrom, adjust = i, [2]*float64{r.AntennaGain, r.TxPowAdjust}
				}
			} else if i, ok := confIndex(k, "chan_multiSF_"); ok {
				if i >= len(out.MultiSF) {
					return fmt.Errorf("station: sx130x conf %.40s: index not in 0..%d", k, len(out.MultiSF)-1)
				}
				err = unmarshalPtr(raw, &out.MultiSF[i])
			}
		}
		if err != nil {
			return fmt.Errorf("station: sx130x conf %.40s: %w", k, err)
		}
	}
	// Station keeps one gain for the board: only the last one read stays
	// (even when a repeated radio key came after it without one).
	for i, r := range out.Radios {
		if r != nil {
			r.AntennaGain, r.TxPowAdjust = nil, nil
			if i == adjustFrom {
				r.AntennaGain, r.TxPowAdjust = adjust[0], adjust[1]
			}
		}
	}
	*s = out
	return nil
}

// confIndex reads the index of a key "prefix<N>" as Station's
// uj_indexedField does: N in decimal, or in hex after "0x"; ok is false when
// the key is not of that form (Station then ignores it).
func confIndex(k, prefix string) (n int, ok bool) {
	if !strings.HasPrefix(k, prefix) {
		return 0, false
	}
	digits, base := k[len(prefix):], 10
	if len(digits) > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') {
		digits, base = digits[2:], 16
	}
	if digits == "" {
		return 0, false
	}
	for i := 0; i < len(digits); i++ {
		d := hexDigit(digits[i])
		if d < 0 || d >= base {
			return 0, false
		}
		if n < 1<<20 {
			n = n*base + d
		}
	}
	return n, true
}

// field is one key and raw value of a JSON object.
type field struct {
	key   string
	value json.RawMessage
}

// objectFields returns the members of a JSON object in input order.
func objectFields(b []byte) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, nil
	}
	if d, ok := t.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("station: want a json object, got %T", t)
	}
	var out []field
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, ok := t.(string)
		if !ok {
			return nil, fmt.Errorf("station: json object key is %T", t)
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, field{key, v})
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	return out, nil
}

// unmarshalPtr decodes raw into *p, a pointer that stays nil for null.
func unmarshalPtr[T any](raw json.RawMessage, p **T) error {
	if isNull(raw) {
		*p = nil
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(raw, v); err != nil {
		return err
	}
	*p = v
	return nil
}
