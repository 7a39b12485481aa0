package join

import (
	"encoding/binary"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// nwkIDBits returns the width of the NwkID of NetID type t (0..7), as the
// LoRaWAN Backend Interfaces specification (TS002 1.1) assigns DevAddr
// space: type t DevAddrs start with t ones and a zero, then the NwkID, then
// the NwkAddr the network picks.
func nwkIDBits(t int) int {
	const widths = "\x06\x06\x09\x0b\x0c\x0d\x0f\x11" // 6 6 9 11 12 13 15 17
	return int(widths[t])
}

// AddrSpace is the DevAddr block of a NetID: every address whose top
// PrefixBits bits equal those of Prefix.
type AddrSpace struct {
	Prefix     lorawan.DevAddr
	PrefixBits int
}

// AddrSpaceOf returns the DevAddr block of netID: the type prefix (the
// NetID type is its top three bits) followed by the NwkID, the low
// NwkID-width bits of the NetID.
func AddrSpaceOf(netID lorawan.NetID) AddrSpace {
	id := uint32(netID[0])<<16 | uint32(netID[1])<<8 | uint32(netID[2])
	typ := int(id >> 21)
	nb := nwkIDBits(typ)
	nwkID := id & (1<<nb - 1)
	typePrefix := uint32(1)<<(typ+1) - 2 // typ ones then a zero
	bits := typ + 1 + nb
	prefix := (typePrefix<<nb | nwkID) << (32 - bits)
	return AddrSpace{Prefix: lorawan.DevAddrFromUint32(prefix), PrefixBits: bits}
}

// Contains reports whether addr lies in the block.
func (s AddrSpace) Contains(addr lorawan.DevAddr) bool {
	mask := ^uint32(0) << (32 - s.PrefixBits)
	return addr.Uint32()&mask == s.Prefix.Uint32()&mask
}

// Make returns the address of the block whose NwkAddr (the bits after the
// prefix) is taken from the low bits of random.
func (s AddrSpace) Make(random uint32) lorawan.DevAddr {
	mask := ^uint32(0) << (32 - s.PrefixBits)
	return lorawan.DevAddrFromUint32(s.Prefix.Uint32()&mask | random&^mask)
}

// String writes the block as prefix/bits.
func (s AddrSpace) String() string { return fmt.Sprintf("%s/%d", s.Prefix, s.PrefixBits) }

// randomUint32 reads four random bytes.
func (s *Server) randomUint32() (uint32, error) {
	var b [4]byte
	if _, err := s.opts.Rand.Read(b[:]); err != nil {
		return 0, fmt.Errorf("join: random devaddr: %w", err)
	}
	return binary.BigEndian.Uint32(b[:]), nil
}
