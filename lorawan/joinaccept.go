package lorawan

import "encoding/binary"

// DLSettings is the downlink-settings byte of a join-accept.
type DLSettings struct {
	OptNeg      bool  // bit 7: LoRaWAN 1.1 network (RFU, zero, in 1.0)
	RX1DROffset uint8 // bits 6..4
	RX2DataRate uint8 // bits 3..0
}

// MarshalByte encodes the settings; RX1DROffset above 7 or RX2DataRate above
// 15 do not fit.
func (s DLSettings) MarshalByte() (byte, error) {
	if s.RX1DROffset > 7 {
		return 0, phyErr("dlsettings: rx1droffset %d above 7", s.RX1DROffset)
	}
	if s.RX2DataRate > 15 {
		return 0, phyErr("dlsettings: rx2datarate %d above 15", s.RX2DataRate)
	}
	b := s.RX1DROffset<<4 | s.RX2DataRate
	if s.OptNeg {
		b |= 0x80
	}
	return b, nil
}

// UnmarshalByte decodes the settings byte; every bit has a meaning.
func (s *DLSettings) UnmarshalByte(b byte) {
	*s = DLSettings{OptNeg: b&0x80 != 0, RX1DROffset: b >> 4 & 0x07, RX2DataRate: b & 0x0f}
}

// CFListType tells how the 16 bytes of a CFList are to be read (its last byte).
type CFListType uint8

// CFList types of the regional parameters (RP002).
const (
	// CFListFrequencies lists up to five extra channel frequencies (EU868-like regions).
	CFListFrequencies CFListType = 0
	// CFListChannelMask carries channel-mask blocks (US915-like regions).
	CFListChannelMask CFListType = 1
)

// CFList is the optional channel list at the end of a join-accept.
type CFList struct {
	Type CFListType
	// Frequencies (type 0) are five channel frequencies in Hz, 0 for "no
	// channel"; on air each is 24 bits little-endian in units of 100 Hz.
	Frequencies [5]uint32
	// ChMasks (type 1) are five 16-bit channel masks, ChMask0 first; the
	// five bytes that follow them on air are RFU and must be zero.
	ChMasks [5]uint16
}

// cfListLen is the on-air size of a CFList.
const cfListLen = 16

// AppendBinary appends the 16 on-air bytes of the list. Frequencies that are
// not multiples of 100 Hz or above 24 bits of 100 Hz, fields of the other
// type, and an unknown Type are errors.
func (c *CFList) AppendBinary(dst []byte) ([]byte, error) {
	switch c.Type {
	case CFListFrequencies:
		if c.ChMasks != ([5]uint16{}) {
			return dst, phyErr("cflist type 0 carries no channel masks")
		}
		start := len(dst)
		for _, f := range c.Frequencies {
			var err error
			if dst, err = appendFreq100(dst, f); err != nil {
				return dst[:start], err
			}
		}
		return append(dst, byte(c.Type)), nil
	case CFListChannelMask:
		if c.Frequencies != ([5]uint32{}) {
			return dst, phyErr("cflist type 1 carries no frequencies")
		}
		for _, m := range c.ChMasks {
			dst = binary.LittleEndian.AppendUint16(dst, m)
		}
		return append(dst, 0, 0, 0, 0, 0, byte(c.Type)), nil
	}
	return dst, phyErr("cflist: unknown type %d", uint8(c.Type))
}

// MarshalBinary encodes the list; see AppendBinary.
func (c *CFList) MarshalBinary() ([]byte, error) {
	return c.AppendBinary(make([]byte, 0, cfListLen))
}

// UnmarshalBinary decodes 16 on-air bytes. An unknown type, or RFU bytes
// that are not zero in a type-1 list, are errors wrapping ErrMalformed.
func (c *CFList) UnmarshalBinary(b []byte) error {
	if len(b) != cfListLen {
		return phyErr("cflist of %d bytes, want %d", len(b), cfListLen)
	}
	*c = CFList{Type: CFListType(b[15])}
	switch c.Type {
	case CFListFrequencies:
		for i := range c.Frequencies {
			c.Frequencies[i] = readFreq100(b[3*i:])
		}
	case CFListChannelMask:
		for i := range c.ChMasks {
			c.ChMasks[i] = binary.LittleEndian.Uint16(b[2*i:])
		}
		for _, r := range b[10:15] {
			if r != 0 {
				*c = CFList{}
				return phyErr("cflist type 1: rfu bytes not zero")
			}
		}
	default:
		*c = CFList{}
		return phyErr("cflist: unknown type %d", b[15])
	}
	return nil
}

// JoinAcceptPayload is the plaintext of a join-accept: the bytes between MHDR
// and MIC once decrypted (12 bytes, or 28 with a CFList). Encryption and MIC
// are not done here.
type JoinAcceptPayload struct {
	JoinNonce  uint32  // 24 bits (AppNonce in LoRaWAN 1.0)
	NetID      NetID   // Home_NetID, MSB first
	DevAddr    DevAddr // MSB first
	DLSettings DLSettings
	RxDelay    uint8   // RX1 delay in seconds, 0 meaning 1; at most 15
	CFList     *CFList // nil when the join-accept has none
}

// AppendBinary appends the 12 (or 28 with a CFList) plaintext bytes.
func (j *JoinAcceptPayload) AppendBinary(dst []byte) ([]byte, error) {
	if j.JoinNonce > 0xffffff {
		return dst, phyErr("join-accept: joinnonce %#x above 24 bits", j.JoinNonce)
	}
	if j.RxDelay > 15 {
		return dst, phyErr("join-accept: rxdelay %d above 15", j.RxDelay)
	}
	dls, err := j.DLSettings.MarshalByte()
	if err != nil {
		return dst, err
	}
	start := len(dst)
	n, a := j.NetID, j.DevAddr
	dst = append(dst, byte(j.JoinNonce), byte(j.JoinNonce>>8), byte(j.JoinNonce>>16),
		n[2], n[1], n[0], a[3], a[2], a[1], a[0], dls, j.RxDelay)
	if j.CFList != nil {
		if dst, err = j.CFList.AppendBinary(dst); err != nil {
			return dst[:start], err
		}
	}
	return dst, nil
}

// MarshalBinary encodes the plaintext payload; see AppendBinary.
func (j *JoinAcceptPayload) MarshalBinary() ([]byte, error) {
	return j.AppendBinary(make([]byte, 0, 12+cfListLen))
}

// UnmarshalBinary decodes 12 or 28 plaintext bytes. RxDelay's RFU bits 7..4
// must be zero.
func (j *JoinAcceptPayload) UnmarshalBinary(b []byte) error {
	if len(b) != 12 && len(b) != 12+cfListLen {
		return phyErr("join-accept payload of %d bytes, want 12 or 28", len(b))
	}
	if b[11]&0xf0 != 0 {
		return phyErr("join-accept: rxdelay 0x%02x has rfu bits set", b[11])
	}
	var cf *CFList
	if len(b) > 12 {
		cf = new(CFList)
		if err := cf.UnmarshalBinary(b[12:]); err != nil {
			return err
		}
	}
	*j = JoinAcceptPayload{
		JoinNonce: uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16,
		NetID:     NetID{b[5], b[4], b[3]},
		DevAddr:   DevAddr{b[9], b[8], b[7], b[6]},
		RxDelay:   b[11],
		CFList:    cf,
	}
	j.DLSettings.UnmarshalByte(b[10])
	return nil
}

// appendFreq100 appends a frequency in Hz as 24 bits little-endian of 100 Hz.
func appendFreq100(dst []byte, hz uint32) ([]byte, error) {
	if hz%100 != 0 || hz/100 > 0xffffff {
		return dst, phyErr("frequency %d Hz is not a 24-bit multiple of 100 Hz", hz)
	}
	v := hz / 100
	return append(dst, byte(v), byte(v>>8), byte(v>>16)), nil
}

// readFreq100 reads a 24-bit little-endian frequency of 100 Hz units, in Hz.
func readFreq100(b []byte) uint32 {
	return (uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16) * 100
}
