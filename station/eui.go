package station

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/loraedge/loraedge/lorawan"
)

// ParseEUI reads an EUI the way Station reads router ids and EUIs in its
// configuration (rt_readEui in src/rt.c):
//   - with exactly two or three colons, as id6 text, IPv6-style groups of up
//     to four hex digits with at most one "::" for a run of zero groups:
//     "b827:ebff:fe61:51a5", "::1", "::0", "1::", "12::34";
//   - otherwise as up to 16 hex digits, optionally separated by '-' or ':'
//     (not both, at most seven separators), missing digits being leading
//     zeros: "b827ebfffe6151a5", "b8-27-eb-ff-fe-61-51-a5", "123456".
//
// Unlike Station, which stops at the first other character, the whole
// string must be consumed.
func ParseEUI(s string) (lorawan.EUI64, error) {
	v, err := parseEUIText(s)
	if err != nil {
		return lorawan.EUI64{}, err
	}
	return euiFromUint64(v), nil
}

func parseEUIText(s string) (uint64, error) {
	var dashes, colons, digits int
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-':
			dashes++
		case c == ':':
			colons++
		case hexDigit(c) >= 0:
			digits++
		default:
			return 0, fmt.Errorf("station: eui %q: unexpected character %q: %w", s, c, lorawan.ErrMalformed)
		}
	}
	switch {
	case digits == 0:
		return 0, fmt.Errorf("station: eui %q: no hex digits: %w", s, lorawan.ErrMalformed)
	case dashes > 0 && colons > 0:
		return 0, fmt.Errorf("station: eui %q: mixes '-' and ':': %w", s, lorawan.ErrMalformed)
	case dashes > 7 || colons > 7:
		return 0, fmt.Errorf("station: eui %q: too many separators: %w", s, lorawan.ErrMalformed)
	case digits > 16:
		return 0, fmt.Errorf("station: eui %q: more than 16 hex digits: %w", s, lorawan.ErrMalformed)
	}
	if colons == 2 || colons == 3 {
		v, ok := parseID6(s)
		if !ok {
			return 0, fmt.Errorf("station: eui %q: bad id6 text: %w", s, lorawan.ErrMalformed)
		}
		return v, nil
	}
	var v uint64
	for i := 0; i < len(s); i++ {
		if d := hexDigit(s[i]); d >= 0 {
			v = v<<4 | uint64(d)
		}
	}
	return v, nil
}

// parseID6 reads id6 text with two or three colons.
func parseID6(s string) (uint64, bool) {
	i := strings.Index(s, "::")
	switch {
	case i < 0:
		v, _, ok := id6Groups(s)
		return v, ok
	case i == 0:
		v, _, ok := id6Groups(s[2:])
		return v, ok
	case i == len(s)-2:
		v, bits, ok := id6Groups(s[:i])
		return v << (64 - bits), ok
	default:
		hi, bits, ok1 := id6Groups(s[:i])
		lo, _, ok2 := id6Groups(s[i+2:])
		return hi<<(64-bits) | lo, ok1 && ok2
	}
}

// id6Groups reads colon-separated groups of one to four hex digits and
// returns their value and width in bits.
func id6Groups(s string) (v uint64, bits uint, ok bool) {
	for g := range strings.SplitSeq(s, ":") {
		if len(g) == 0 || len(g) > 4 {
			return 0, 0, false
		}
		var x uint64
		for i := 0; i < len(g); i++ {
			d := hexDigit(g[i])
			if d < 0 {
				return 0, 0, false
			}
			x = x<<4 | uint64(d)
		}
		v = v<<16 | x
		bits += 16
	}
	return v, bits, bits <= 64
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// FormatID6 writes an EUI as Station's id6 text (encId6 in src/uj.c), the
// form it sends as "router": "::0", "::1", "::2:1", "4::1", "4:3::", "4::",
// "b827:ebff:fe61:51a5".
func FormatID6(e lorawan.EUI64) string {
	g0 := binary.BigEndian.Uint16(e[0:])
	g1 := binary.BigEndian.Uint16(e[2:])
	g2 := binary.BigEndian.Uint16(e[4:])
	g3 := binary.BigEndian.Uint16(e[6:])
	x := func(v uint16) string { return strconv.FormatUint(uint64(v), 16) }
	switch {
	case g0 == 0 && g1 == 0 && g2 == 0:
		return "::" + x(g3)
	case g0 == 0 && g1 == 0:
		return "::" + x(g2) + ":" + x(g3)
	case g2 == 0 && g3 == 0 && g1 == 0:
		return x(g0) + "::"
	case g2 == 0 && g3 == 0:
		return x(g0) + ":" + x(g1) + "::"
	case g1 == 0 && g2 == 0:
		return x(g0) + "::" + x(g3)
	}
	return x(g0) + ":" + x(g1) + ":" + x(g2) + ":" + x(g3)
}

// FormatEUI writes an EUI as Station writes JoinEui, DevEui and friends:
// upper-case hex bytes separated by dashes, "01-02-03-04-05-06-07-08".
func FormatEUI(e lorawan.EUI64) string {
	const digits = "0123456789ABCDEF"
	b := make([]byte, 0, 23)
	for i, c := range e {
		if i > 0 {
			b = append(b, '-')
		}
		b = append(b, digits[c>>4], digits[c&0x0F])
	}
	return string(b)
}

func euiFromUint64(v uint64) lorawan.EUI64 {
	var e lorawan.EUI64
	binary.BigEndian.PutUint64(e[:], v)
	return e
}

func euiToUint64(e lorawan.EUI64) uint64 { return binary.BigEndian.Uint64(e[:]) }

// parseEUIJSON reads an EUI from a JSON value: a string in any form
// ParseEUI reads, or an integer (negative integers are taken as their 64-bit
// two's complement, as Station's uj_eui does).
func parseEUIJSON(b []byte) (lorawan.EUI64, error) {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return lorawan.EUI64{}, fmt.Errorf("station: eui: %w", err)
		}
		return ParseEUI(s)
	}
	if u, err := strconv.ParseUint(string(b), 10, 64); err == nil {
		return euiFromUint64(u), nil
	}
	if i, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		return euiFromUint64(uint64(i)), nil
	}
	return lorawan.EUI64{}, fmt.Errorf("station: eui: %.40s is neither a string nor a 64-bit integer: %w", b, lorawan.ErrMalformed)
}

// euiText is an EUI in Station's JSON text form ("01-02-…"); it reads any
// form parseEUIJSON accepts.
type euiText lorawan.EUI64

// MarshalJSON writes the EUI as "01-02-03-04-05-06-07-08".
func (e euiText) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatEUI(lorawan.EUI64(e)) + `"`), nil
}

// UnmarshalJSON reads any form parseEUIJSON accepts; null leaves e as is.
func (e *euiText) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseEUIJSON(b)
	*e = euiText(v)
	return err
}

// euiNum is an EUI written as a JSON integer, as router_config's JoinEui
// ranges are; it reads any form parseEUIJSON accepts.
type euiNum lorawan.EUI64

// MarshalJSON writes the EUI as a JSON integer.
func (e euiNum) MarshalJSON() ([]byte, error) {
	return strconv.AppendUint(nil, euiToUint64(lorawan.EUI64(e)), 10), nil
}

// UnmarshalJSON reads any form parseEUIJSON accepts; null leaves e as is.
func (e *euiNum) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseEUIJSON(b)
	*e = euiNum(v)
	return err
}

// id6Text is an EUI written as id6 text, as Station writes "router"; it
// reads any form parseEUIJSON accepts.
type id6Text lorawan.EUI64

// MarshalJSON writes the EUI as id6 text.
func (e id6Text) MarshalJSON() ([]byte, error) {
	return []byte(`"` + FormatID6(lorawan.EUI64(e)) + `"`), nil
}

// UnmarshalJSON reads any form parseEUIJSON accepts; null leaves e as is.
func (e *id6Text) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	v, err := parseEUIJSON(b)
	*e = id6Text(v)
	return err
}
