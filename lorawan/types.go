package lorawan

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// ErrMalformed is wrapped by every error that reports bytes or text that do
// not form a valid LoRaWAN structure, so callers can tell bad input from
// other failures with errors.Is.
var ErrMalformed = errors.New("lorawan: malformed")

// EUI64 is an IEEE EUI-64 (DevEUI, JoinEUI, gateway EUI), MSB first.
type EUI64 [8]byte

// DevAddr is a 32-bit device address, MSB first.
type DevAddr [4]byte

// NetID is a 24-bit network identifier, MSB first.
type NetID [3]byte

// AES128Key is a 128-bit AES key, in the byte order it is written in.
type AES128Key [16]byte

// MACVersion selects the LoRaWAN MAC behaviour that differs between the 1.0.x
// and 1.1 specifications (MIC blocks, FOpts encryption, key hierarchy).
type MACVersion uint8

// LoRaWAN MAC versions. The 1.0.x revisions share frame security; 1.1 changes it.
const (
	MACVersion1_0 MACVersion = iota // LoRaWAN 1.0, 1.0.1, 1.0.2, 1.0.3, 1.0.4
	MACVersion1_1                   // LoRaWAN 1.1
)

// String returns "1.0" or "1.1".
func (v MACVersion) String() string {
	switch v {
	case MACVersion1_0:
		return "1.0"
	case MACVersion1_1:
		return "1.1"
	}
	return fmt.Sprintf("MACVersion(%d)", uint8(v))
}

// ParseMACVersion accepts "1.0", "1.0.x" revisions and "1.1" (also "1.1.0").
func ParseMACVersion(s string) (MACVersion, error) {
	switch s {
	case "1.0", "1.0.0", "1.0.1", "1.0.2", "1.0.3", "1.0.4":
		return MACVersion1_0, nil
	case "1.1", "1.1.0":
		return MACVersion1_1, nil
	}
	return 0, fmt.Errorf("lorawan: unknown mac version %q", s)
}

// String returns the EUI as 16 lower-case hex digits.
func (e EUI64) String() string { return hex.EncodeToString(e[:]) }

// MarshalText writes the EUI as 16 hex digits.
func (e EUI64) MarshalText() ([]byte, error) { return []byte(e.String()), nil }

// UnmarshalText reads an EUI from hex with optional '-' or ':' separators.
func (e *EUI64) UnmarshalText(b []byte) error { return parseHexID(e[:], string(b), "eui") }

// ParseEUI64 reads an EUI from 16 hex digits, optionally separated by '-' or ':'.
func ParseEUI64(s string) (EUI64, error) {
	var e EUI64
	return e, e.UnmarshalText([]byte(s))
}

// String returns the address as 8 lower-case hex digits.
func (a DevAddr) String() string { return hex.EncodeToString(a[:]) }

// MarshalText writes the address as 8 hex digits.
func (a DevAddr) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText reads an address from 8 hex digits.
func (a *DevAddr) UnmarshalText(b []byte) error { return parseHexID(a[:], string(b), "devaddr") }

// Uint32 returns the address as a number (MSB first), as Basics Station
// carries it (signed) in updf messages.
func (a DevAddr) Uint32() uint32 {
	return uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
}

// DevAddrFromUint32 is the inverse of DevAddr.Uint32.
func DevAddrFromUint32(v uint32) DevAddr {
	return DevAddr{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}
}

// ParseDevAddr reads an address from 8 hex digits.
func ParseDevAddr(s string) (DevAddr, error) {
	var a DevAddr
	return a, a.UnmarshalText([]byte(s))
}

// String returns the NetID as 6 lower-case hex digits.
func (n NetID) String() string { return hex.EncodeToString(n[:]) }

// MarshalText writes the NetID as 6 hex digits.
func (n NetID) MarshalText() ([]byte, error) { return []byte(n.String()), nil }

// UnmarshalText reads a NetID from 6 hex digits.
func (n *NetID) UnmarshalText(b []byte) error { return parseHexID(n[:], string(b), "netid") }

// ParseNetID reads a NetID from 6 hex digits.
func ParseNetID(s string) (NetID, error) {
	var n NetID
	return n, n.UnmarshalText([]byte(s))
}

// String returns the key as hex. Callers must never log it; it exists for
// the admin tools that print keys a user asked to see.
func (k AES128Key) String() string { return hex.EncodeToString(k[:]) }

// ParseAES128Key reads a key from 32 hex digits.
func ParseAES128Key(s string) (AES128Key, error) {
	var k AES128Key
	return k, parseHexID(k[:], s, "key")
}

// parseHexID decodes hex text with optional '-', ':' or ' ' separators into
// dst, which must be filled exactly. It allocates nothing.
func parseHexID(dst []byte, s, what string) error {
	s = strings.TrimSpace(s)
	n := 0
	var hi byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '-' || c == ':' || c == ' ' {
			continue
		}
		v, ok := hexNibble(c)
		if !ok {
			return fmt.Errorf("%w: %s %q: invalid hex digit %q", ErrMalformed, what, s, c)
		}
		if n >= 2*len(dst) {
			return fmt.Errorf("%w: %s %q: want %d hex digits", ErrMalformed, what, s, 2*len(dst))
		}
		if n%2 == 0 {
			hi = v
		} else {
			dst[n/2] = hi<<4 | v
		}
		n++
	}
	if n != 2*len(dst) {
		return fmt.Errorf("%w: %s %q: want %d hex digits, got %d", ErrMalformed, what, s, 2*len(dst), n)
	}
	return nil
}

func hexNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}
