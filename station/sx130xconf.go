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
// "SX1250"), the RSSI offset in dB and whether it may transmit. Station
// refuses any other key in a radio object.
type RadioConf struct {
	Enable     bool     `json:"enable"`
	Freq       uint32   `json:"freq"`
	Type       string   `json:"type,omitempty"`
	RSSIOffset *float64 `json:"rssi_offset,omitempty"`
	TxEnable   *bool    `json:"tx_enable,omitempty"`
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
// refuses.
func (s *SX130xConf) UnmarshalJSON(b []byte) error {
	fields, err := objectFields(b)
	if err != nil {
		return err
	}
	var out SX130xConf
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
