package lorawan

import (
	"encoding/binary"
	"fmt"
)

// MType is the LoRaWAN message type carried in the top three bits of MHDR.
type MType uint8

// Message types of LoRaWAN 1.0.4 and 1.1 (MHDR bits 7..5).
const (
	JoinRequest         MType = 0 // join-request, uplink
	JoinAccept          MType = 1 // join-accept, downlink
	UnconfirmedDataUp   MType = 2 // unconfirmed data uplink
	UnconfirmedDataDown MType = 3 // unconfirmed data downlink
	ConfirmedDataUp     MType = 4 // confirmed data uplink
	ConfirmedDataDown   MType = 5 // confirmed data downlink
	RejoinRequest       MType = 6 // rejoin-request (LoRaWAN 1.1), uplink
	Proprietary         MType = 7 // proprietary, either direction
)

// String returns the message type's name as the specification spells it,
// e.g. "UnconfirmedDataUp".
func (t MType) String() string {
	switch t {
	case JoinRequest:
		return "JoinRequest"
	case JoinAccept:
		return "JoinAccept"
	case UnconfirmedDataUp:
		return "UnconfirmedDataUp"
	case UnconfirmedDataDown:
		return "UnconfirmedDataDown"
	case ConfirmedDataUp:
		return "ConfirmedDataUp"
	case ConfirmedDataDown:
		return "ConfirmedDataDown"
	case RejoinRequest:
		return "RejoinRequest"
	case Proprietary:
		return "Proprietary"
	}
	return fmt.Sprintf("MType(%d)", uint8(t))
}

// Uplink reports whether the message type travels from device to network.
// Proprietary frames may go either way; Uplink reports false for them.
func (t MType) Uplink() bool {
	switch t {
	case JoinRequest, UnconfirmedDataUp, ConfirmedDataUp, RejoinRequest:
		return true
	}
	return false
}

// dataFrame reports whether frames of this type carry a MACPayload with FHDR.
func (t MType) dataFrame() bool {
	return t >= UnconfirmedDataUp && t <= ConfirmedDataDown
}

// Major is the major version of the frame format, MHDR bits 1..0.
type Major uint8

// LoRaWANR1 is the only major version defined: LoRaWAN R1 (1.0.x and 1.1).
const LoRaWANR1 Major = 0

// String returns "LoRaWANR1" or "Major(n)" for the reserved values.
func (m Major) String() string {
	if m == LoRaWANR1 {
		return "LoRaWANR1"
	}
	return fmt.Sprintf("Major(%d)", uint8(m))
}

// MHDR is the one-byte MAC header: message type and major version.
type MHDR struct {
	MType MType // MHDR bits 7..5
	Major Major // MHDR bits 1..0
}

// MarshalByte encodes the header; MType above 7 or Major above 3 do not fit.
func (h MHDR) MarshalByte() (byte, error) {
	if h.MType > 7 {
		return 0, phyErr("mhdr: mtype %d does not fit in 3 bits", uint8(h.MType))
	}
	if h.Major > 3 {
		return 0, phyErr("mhdr: major %d does not fit in 2 bits", uint8(h.Major))
	}
	return byte(h.MType)<<5 | byte(h.Major), nil
}

// UnmarshalByte decodes the header. The RFU bits 4..2 must be zero: a frame
// that sets them could not be written back unchanged.
func (h *MHDR) UnmarshalByte(b byte) error {
	if b&0x1c != 0 {
		return phyErr("mhdr 0x%02x: rfu bits 4..2 set", b)
	}
	h.MType = MType(b >> 5)
	h.Major = Major(b & 0x03)
	return nil
}

// FCtrl is the frame-control byte of a data frame. Its bits 6 and 4 mean
// different things per direction: bit 4 is ClassB on uplinks and FPending on
// downlinks, bit 6 is ADRACKReq on uplinks and RFU on downlinks.
type FCtrl struct {
	ADR       bool  // bit 7, both directions
	ADRACKReq bool  // bit 6, uplink only
	ACK       bool  // bit 5, both directions
	FPending  bool  // bit 4, downlink only
	ClassB    bool  // bit 4, uplink only
	FOptsLen  uint8 // bits 3..0: length of FOpts in bytes
}

// MarshalByte encodes the control byte for the given direction; a flag that
// does not exist in that direction, or FOptsLen above 15, is an error.
func (c FCtrl) MarshalByte(uplink bool) (byte, error) {
	if c.FOptsLen > 15 {
		return 0, phyErr("fctrl: foptslen %d above 15", c.FOptsLen)
	}
	b := c.FOptsLen
	if c.ADR {
		b |= 0x80
	}
	if c.ACK {
		b |= 0x20
	}
	if uplink {
		if c.FPending {
			return 0, phyErr("fctrl: fpending is downlink only")
		}
		if c.ADRACKReq {
			b |= 0x40
		}
		if c.ClassB {
			b |= 0x10
		}
		return b, nil
	}
	if c.ClassB {
		return 0, phyErr("fctrl: classb is uplink only")
	}
	if c.ADRACKReq {
		return 0, phyErr("fctrl: adrackreq is uplink only")
	}
	if c.FPending {
		b |= 0x10
	}
	return b, nil
}

// UnmarshalByte decodes the control byte for the given direction. A downlink
// with the RFU bit 6 set is refused, as it could not be written back.
func (c *FCtrl) UnmarshalByte(b byte, uplink bool) error {
	if !uplink && b&0x40 != 0 {
		return phyErr("fctrl 0x%02x: rfu bit 6 set on a downlink", b)
	}
	*c = FCtrl{
		ADR:      b&0x80 != 0,
		ACK:      b&0x20 != 0,
		FOptsLen: b & 0x0f,
	}
	if uplink {
		c.ADRACKReq = b&0x40 != 0
		c.ClassB = b&0x10 != 0
	} else {
		c.FPending = b&0x10 != 0
	}
	return nil
}

// FHDR is the frame header of a data frame.
type FHDR struct {
	DevAddr DevAddr // MSB first; little-endian on air
	FCtrl   FCtrl
	FCnt    uint16 // low 16 bits of the frame counter
	// FOpts are the on-air option bytes (MAC commands; encrypted in 1.1).
	// On marshal their length is what is written: FCtrl.FOptsLen must be
	// zero or equal to len(FOpts).
	FOpts []byte
}

// JoinRequestPayload is the MACPayload of a join-request.
type JoinRequestPayload struct {
	JoinEUI  EUI64 // AppEUI in LoRaWAN 1.0
	DevEUI   EUI64
	DevNonce uint16
}

// RejoinRequestPayload is the MACPayload of a LoRaWAN 1.1 rejoin-request.
// Types 0 and 2 carry NetID and DevEUI; type 1 carries JoinEUI and DevEUI.
// RJCount is RJcount0 for types 0 and 2 and RJcount1 for type 1.
type RejoinRequestPayload struct {
	Type    uint8 // rejoin type: 0, 1 or 2
	NetID   NetID // types 0 and 2
	JoinEUI EUI64 // type 1
	DevEUI  EUI64
	RJCount uint16
}

// PHYPayload is one LoRaWAN frame as it travels on air, split into fields
// without any cryptography: payloads stay as they are on air (encrypted) and
// the MIC is carried but not checked. Which fields are used depends on
// MHDR.MType; marshalling ignores the fields of other message types.
type PHYPayload struct {
	MHDR MHDR
	// FHDR is the frame header of data frames.
	FHDR FHDR
	// FPort is the port of data frames, valid when FPortPresent.
	FPort        uint8
	FPortPresent bool
	// FRMPayload is the frame payload of data frames, as on air (possibly
	// encrypted). UnmarshalBinary makes it alias its input.
	FRMPayload []byte
	// JoinRequest is the payload of MType JoinRequest.
	JoinRequest JoinRequestPayload
	// JoinAccept holds, for MType JoinAccept, the 16 or 32 on-air bytes after
	// MHDR: the encrypted payload with its MIC inside. MIC stays unused.
	JoinAccept []byte
	// Rejoin is the payload of MType RejoinRequest.
	Rejoin RejoinRequestPayload
	// Proprietary holds, for MType Proprietary, the bytes between MHDR and
	// the last four bytes, which are taken to be a MIC: LoRaWAN leaves the
	// format open, so this codec assumes the usual MHDR|payload|MIC layout.
	Proprietary []byte
	// MIC is the message integrity code of every type but JoinAccept.
	MIC [4]byte
}

// phyMaxLen is the largest PHYPayload a LoRa (or FSK) radio frame can carry:
// its length field is one byte.
const phyMaxLen = 255

// phyErr builds an error wrapping ErrMalformed.
func phyErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// UnmarshalBinary decodes a frame into p, resetting every field first. Data
// frames are decoded without allocation: FOpts and FRMPayload (and
// JoinAccept and Proprietary for those types) alias b, so b must not change
// while p is in use. Frames that could not be written back byte for byte
// (RFU bits set, Major other than LoRaWANR1) are refused with an error
// wrapping ErrMalformed; on error p is left zero.
func (p *PHYPayload) UnmarshalBinary(b []byte) error {
	// Well-formed data frames, nearly all the traffic, are decoded right
	// here in one pass that writes every field once. Other types, and every
	// malformed frame, go the general way, which says what is wrong; both
	// accept the same data frames and decode them alike.
	//
	// MHDR 0x40, 0x60, 0x80 or 0xa0: MType 2 to 5, RFU clear, LoRaWANR1.
	if len(b) < 12 || len(b) > phyMaxLen || b[0]&0x1f != 0 || b[0]-0x40 > 0x60 {
		return p.unmarshalReset(b)
	}
	m, fc := b[0], b[5]
	end := len(b) - 4 // end of MACPayload
	pos := 8 + int(fc&0x0f)
	// FCtrl bits 6 and 4 by direction: ADRACKReq and ClassB on uplinks
	// (MTypes 2 and 4), FPending on downlinks, where bit 6 is RFU.
	up := (^m >> 5 & 1) * 0x50
	if fc&^up&0x40 != 0 || pos > end || pos < end && pos > 8 && b[pos] == 0 {
		return p.unmarshalReset(b)
	}
	le := binary.LittleEndian
	p.MHDR = MHDR{MType: MType(m >> 5)}
	h := &p.FHDR
	binary.BigEndian.PutUint32(h.DevAddr[:], le.Uint32(b[1:5]))
	h.FCtrl.ADR = fc&0x80 != 0
	h.FCtrl.ADRACKReq = fc&up&0x40 != 0
	h.FCtrl.ACK = fc&0x20 != 0
	h.FCtrl.FPending = fc&^up&0x10 != 0
	h.FCtrl.ClassB = fc&up&0x10 != 0
	h.FCtrl.FOptsLen = fc & 0x0f
	h.FCnt = le.Uint16(b[6:8])
	p.JoinRequest = JoinRequestPayload{}
	p.Rejoin = RejoinRequestPayload{}
	p.MIC = [4]byte(b[end:])
	p.JoinAccept, p.Proprietary = nil, nil
	if pos > 8 {
		h.FOpts = b[8:pos:pos]
	} else {
		h.FOpts = nil
	}
	if pos+1 < end {
		p.FPort, p.FPortPresent, p.FRMPayload = b[pos], true, b[pos+1:end:end]
	} else {
		p.FPort, p.FPortPresent, p.FRMPayload = 0, false, nil
		if pos < end {
			p.FPort, p.FPortPresent = b[pos], true
		}
	}
	return nil
}

// unmarshalReset is UnmarshalBinary's general path: reset p, decode, and
// reset p again on error. It stays out of line so that the data-frame path
// keeps its arguments in registers.
//
//go:noinline
func (p *PHYPayload) unmarshalReset(b []byte) error {
	*p = PHYPayload{}
	if err := p.unmarshal(b); err != nil {
		*p = PHYPayload{}
		return err
	}
	return nil
}

func (p *PHYPayload) unmarshal(b []byte) error {
	if len(b) < 5 {
		return phyErr("phypayload of %d bytes is too short", len(b))
	}
	if len(b) > phyMaxLen {
		return phyErr("phypayload of %d bytes is longer than %d", len(b), phyMaxLen)
	}
	if err := p.MHDR.UnmarshalByte(b[0]); err != nil {
		return err
	}
	if p.MHDR.Major != LoRaWANR1 {
		return phyErr("phypayload: unsupported major version %d", uint8(p.MHDR.Major))
	}
	switch t := p.MHDR.MType; t {
	case UnconfirmedDataUp, UnconfirmedDataDown, ConfirmedDataUp, ConfirmedDataDown:
		return p.unmarshalData(b, t.Uplink())
	case JoinRequest:
		if len(b) != 23 {
			return phyErr("join-request of %d bytes, want 23", len(b))
		}
		phyReadLE(p.JoinRequest.JoinEUI[:], b[1:9])
		phyReadLE(p.JoinRequest.DevEUI[:], b[9:17])
		p.JoinRequest.DevNonce = binary.LittleEndian.Uint16(b[17:19])
	case JoinAccept:
		if len(b) != 17 && len(b) != 33 {
			return phyErr("join-accept of %d bytes, want 17 or 33", len(b))
		}
		p.JoinAccept = b[1:len(b):len(b)]
		return nil
	case RejoinRequest:
		if err := p.unmarshalRejoin(b); err != nil {
			return err
		}
	case Proprietary:
		n := len(b) - 4
		if n > 1 {
			p.Proprietary = b[1:n:n]
		}
	}
	copy(p.MIC[:], b[len(b)-4:])
	return nil
}

// unmarshalData decodes MHDR|FHDR|[FPort|FRMPayload]|MIC.
func (p *PHYPayload) unmarshalData(b []byte, uplink bool) error {
	if len(b) < 12 {
		return phyErr("data frame of %d bytes, want at least 12", len(b))
	}
	end := len(b) - 4 // end of MACPayload
	h := &p.FHDR
	h.DevAddr = DevAddr{b[4], b[3], b[2], b[1]}
	if err := h.FCtrl.UnmarshalByte(b[5], uplink); err != nil {
		return err
	}
	h.FCnt = binary.LittleEndian.Uint16(b[6:8])
	pos := 8 + int(h.FCtrl.FOptsLen)
	if pos > end {
		return phyErr("data frame: foptslen %d runs past the end of a %d-byte frame", h.FCtrl.FOptsLen, len(b))
	}
	if pos > 8 {
		h.FOpts = b[8:pos:pos]
	}
	if pos < end {
		p.FPortPresent = true
		p.FPort = b[pos]
		if p.FPort == 0 && pos > 8 {
			return phyErr("data frame: fopts present with fport 0")
		}
		if pos+1 < end {
			p.FRMPayload = b[pos+1 : end : end]
		}
	}
	copy(p.MIC[:], b[end:])
	return nil
}

// unmarshalRejoin decodes the three rejoin-request layouts.
func (p *PHYPayload) unmarshalRejoin(b []byte) error {
	r := &p.Rejoin
	r.Type = b[1]
	switch r.Type {
	case 0, 2:
		if len(b) != 19 {
			return phyErr("rejoin-request type %d of %d bytes, want 19", r.Type, len(b))
		}
		r.NetID = NetID{b[4], b[3], b[2]}
		phyReadLE(r.DevEUI[:], b[5:13])
		r.RJCount = binary.LittleEndian.Uint16(b[13:15])
	case 1:
		if len(b) != 24 {
			return phyErr("rejoin-request type 1 of %d bytes, want 24", len(b))
		}
		phyReadLE(r.JoinEUI[:], b[2:10])
		phyReadLE(r.DevEUI[:], b[10:18])
		r.RJCount = binary.LittleEndian.Uint16(b[18:20])
	default:
		return phyErr("rejoin-request: unknown rejoin type %d", r.Type)
	}
	return nil
}

// MarshalBinary encodes the frame; see AppendBinary.
func (p *PHYPayload) MarshalBinary() ([]byte, error) {
	return p.AppendBinary(make([]byte, 0, p.encodedLen()))
}

// encodedLen is the frame's length if it is valid (a capacity hint).
func (p *PHYPayload) encodedLen() int {
	switch p.MHDR.MType {
	case JoinRequest:
		return 23
	case JoinAccept:
		return 1 + len(p.JoinAccept)
	case RejoinRequest:
		return 24
	case Proprietary:
		return 5 + len(p.Proprietary)
	}
	return 13 + len(p.FHDR.FOpts) + len(p.FRMPayload)
}

// AppendBinary appends the frame's on-air bytes to dst. It checks what the
// format needs (field ranges, FOpts up to 15 bytes and not with FPort 0,
// FRMPayload only with an FPort, a join-accept of 16 or 32 bytes, a known
// rejoin type, at most 255 bytes in all) and returns dst unchanged with an
// error wrapping ErrMalformed otherwise.
func (p *PHYPayload) AppendBinary(dst []byte) ([]byte, error) {
	start := len(dst)
	out, err := p.appendBinary(dst)
	if err != nil {
		return dst[:start], err
	}
	if n := len(out) - start; n > phyMaxLen {
		return dst[:start], phyErr("phypayload of %d bytes is longer than %d", n, phyMaxLen)
	}
	return out, nil
}

func (p *PHYPayload) appendBinary(dst []byte) ([]byte, error) {
	mhdr, err := p.MHDR.MarshalByte()
	if err != nil {
		return dst, err
	}
	if p.MHDR.Major != LoRaWANR1 {
		return dst, phyErr("phypayload: unsupported major version %d", uint8(p.MHDR.Major))
	}
	dst = append(dst, mhdr)
	switch t := p.MHDR.MType; t {
	case UnconfirmedDataUp, UnconfirmedDataDown, ConfirmedDataUp, ConfirmedDataDown:
		if dst, err = p.appendData(dst, t.Uplink()); err != nil {
			return dst, err
		}
	case JoinRequest:
		dst = phyAppendLE(dst, p.JoinRequest.JoinEUI[:])
		dst = phyAppendLE(dst, p.JoinRequest.DevEUI[:])
		dst = binary.LittleEndian.AppendUint16(dst, p.JoinRequest.DevNonce)
	case JoinAccept:
		if n := len(p.JoinAccept); n != 16 && n != 32 {
			return dst, phyErr("join-accept: %d bytes after mhdr, want 16 or 32", n)
		}
		return append(dst, p.JoinAccept...), nil
	case RejoinRequest:
		r := &p.Rejoin
		switch r.Type {
		case 0, 2:
			if r.JoinEUI != (EUI64{}) {
				return dst, phyErr("rejoin-request type %d carries no JoinEUI", r.Type)
			}
			dst = append(dst, r.Type, r.NetID[2], r.NetID[1], r.NetID[0])
		case 1:
			if r.NetID != (NetID{}) {
				return dst, phyErr("rejoin-request type 1 carries no NetID")
			}
			dst = append(dst, r.Type)
			dst = phyAppendLE(dst, r.JoinEUI[:])
		default:
			return dst, phyErr("rejoin-request: unknown rejoin type %d", r.Type)
		}
		dst = phyAppendLE(dst, r.DevEUI[:])
		dst = binary.LittleEndian.AppendUint16(dst, r.RJCount)
	case Proprietary:
		dst = append(dst, p.Proprietary...)
	}
	return append(dst, p.MIC[:]...), nil
}

// appendData appends FHDR|[FPort|FRMPayload] (without MIC).
func (p *PHYPayload) appendData(dst []byte, uplink bool) ([]byte, error) {
	h := &p.FHDR
	n := len(h.FOpts)
	if n > 15 {
		return dst, phyErr("data frame: %d bytes of fopts, at most 15", n)
	}
	if h.FCtrl.FOptsLen != 0 && int(h.FCtrl.FOptsLen) != n {
		return dst, phyErr("data frame: foptslen %d does not match %d bytes of fopts", h.FCtrl.FOptsLen, n)
	}
	fc := h.FCtrl
	fc.FOptsLen = uint8(n)
	fctrl, err := fc.MarshalByte(uplink)
	if err != nil {
		return dst, err
	}
	if !p.FPortPresent {
		if len(p.FRMPayload) > 0 {
			return dst, phyErr("data frame: frmpayload without fport")
		}
		if p.FPort != 0 {
			return dst, phyErr("data frame: fport %d set but FPortPresent is false", p.FPort)
		}
	} else if p.FPort == 0 && n > 0 {
		return dst, phyErr("data frame: fopts present with fport 0")
	}
	a := h.DevAddr
	dst = append(dst, a[3], a[2], a[1], a[0], fctrl, byte(h.FCnt), byte(h.FCnt>>8))
	dst = append(dst, h.FOpts...)
	if p.FPortPresent {
		dst = append(dst, p.FPort)
		dst = append(dst, p.FRMPayload...)
	}
	return dst, nil
}

// phyReadLE copies the little-endian src into dst, MSB first.
func phyReadLE(dst, src []byte) {
	for i := range dst {
		dst[i] = src[len(dst)-1-i]
	}
}

// phyAppendLE appends the MSB-first src to dst in little-endian order.
func phyAppendLE(dst, src []byte) []byte {
	for i := len(src) - 1; i >= 0; i-- {
		dst = append(dst, src[i])
	}
	return dst
}
