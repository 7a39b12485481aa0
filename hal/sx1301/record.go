package sx1301

import (
	"errors"
	"fmt"
)

// FIFO CRC status values (RX_PACKET_DATA_FIFO_STATUS & 0x07, lgw_receive).
const (
	StatusNoCRC  = 1 // the frame carried no payload CRC
	StatusCRCOK  = 5 // CRC present and correct
	StatusCRCBad = 7 // CRC present and wrong
)

// Errors of ParsePacketRecord.
var (
	// ErrRecordShort is returned when the data read is shorter than the
	// payload size plus RxMetadataSize.
	ErrRecordShort = errors.New("sx1301: packet record: incomplete")
	// ErrRecordInvalid is returned for metadata out of range: IF chain,
	// CRC status, spreading factor or coding rate.
	ErrRecordInvalid = errors.New("sx1301: packet record: invalid metadata")
)

// PacketRecord is one received frame as the SX1301 presents it: the CRC
// status from the FIFO registers, and the payload followed by 16 metadata
// bytes from the RX data buffer (lgw_receive):
//
//	[sz+0]      IF chain
//	[sz+1]      spreading factor (bits 7..4), coding rate (bits 3..1)
//	[sz+2..4]   SNR average, minimum, maximum (int8, 0.25 dB)
//	[sz+5]      RSSI (raw; the board's rssi_offset turns it into dBm)
//	[sz+6..9]   counter at the end of the frame, µs, little-endian
//	[sz+10..11] payload CRC, little-endian
//	[sz+12..15] not used by the HAL
type PacketRecord struct {
	// Status is the FIFO's CRC status: StatusNoCRC, StatusCRCOK or
	// StatusCRCBad.
	Status byte
	// Payload is the frame (0..255 bytes).
	Payload []byte
	// IFChain is 0..7 (multi-SF), 8 (LoRa standard) or 9 (FSK).
	IFChain uint8
	// SpreadingFactor (7..12) and CodingRate (1..4 for 4/5..4/8) are the
	// LoRa modulation; FSK frames leave them unchecked.
	SpreadingFactor, CodingRate uint8
	// SNR, SNRMin and SNRMax are in 0.25 dB steps.
	SNR, SNRMin, SNRMax int8
	// RSSI is the raw RSSI byte.
	RSSI uint8
	// Timestamp is the 32-bit µs counter when the frame ended.
	Timestamp uint32
	// CRC is the payload CRC the modem computed.
	CRC uint16
	// Unused are metadata bytes 12..15, kept as read.
	Unused [4]byte
}

// ParsePacketRecord decodes a record from the FIFO's CRC status and the
// bytes read from the RX data buffer (payload then metadata): size is the
// payload size the FIFO reported, and data must hold at least size +
// RxMetadataSize bytes. Out-of-range metadata gives an error wrapping
// ErrRecordInvalid, never a panic. The payload is a copy.
func ParsePacketRecord(status byte, size int, data []byte) (PacketRecord, error) {
	if size < 0 || size > 255 {
		return PacketRecord{}, fmt.Errorf("%w: payload size %d", ErrRecordInvalid, size)
	}
	if len(data) < size+RxMetadataSize {
		return PacketRecord{}, fmt.Errorf("%w: %d bytes for a %d-byte payload and %d metadata bytes", ErrRecordShort, len(data), size, RxMetadataSize)
	}
	m := data[size : size+RxMetadataSize]
	p := PacketRecord{
		Status:          status & 0x07,
		Payload:         append([]byte(nil), data[:size]...),
		IFChain:         m[0],
		SpreadingFactor: m[1] >> 4,
		CodingRate:      m[1] >> 1 & 0x07,
		SNR:             int8(m[2]),
		SNRMin:          int8(m[3]),
		SNRMax:          int8(m[4]),
		RSSI:            m[5],
		Timestamp:       uint32(m[6]) | uint32(m[7])<<8 | uint32(m[8])<<16 | uint32(m[9])<<24,
		CRC:             uint16(m[10]) | uint16(m[11])<<8,
	}
	copy(p.Unused[:], m[12:16])
	if err := p.check(); err != nil {
		return PacketRecord{}, err
	}
	return p, nil
}

// check validates the metadata.
func (p *PacketRecord) check() error {
	switch {
	case p.IFChain >= 10:
		return fmt.Errorf("%w: if chain %d", ErrRecordInvalid, p.IFChain)
	case p.Status != StatusNoCRC && p.Status != StatusCRCOK && p.Status != StatusCRCBad:
		return fmt.Errorf("%w: crc status %d", ErrRecordInvalid, p.Status)
	case len(p.Payload) > 255:
		return fmt.Errorf("%w: payload of %d bytes", ErrRecordInvalid, len(p.Payload))
	}
	if p.IFChain == ifChainFSK {
		return nil
	}
	if p.SpreadingFactor < 7 || p.SpreadingFactor > 12 {
		return fmt.Errorf("%w: spreading factor %d on if chain %d", ErrRecordInvalid, p.SpreadingFactor, p.IFChain)
	}
	if p.CodingRate < 1 || p.CodingRate > 4 {
		return fmt.Errorf("%w: coding rate code %d on if chain %d", ErrRecordInvalid, p.CodingRate, p.IFChain)
	}
	return nil
}

// AppendBinary appends the RX data buffer bytes of the record (payload,
// then the 16 metadata bytes) to b. The record must pass the checks
// ParsePacketRecord makes.
func (p *PacketRecord) AppendBinary(b []byte) ([]byte, error) {
	q := *p
	q.Status &= 0x07
	if err := q.check(); err != nil {
		return b, err
	}
	b = append(b, p.Payload...)
	t, c := p.Timestamp, p.CRC
	b = append(b, p.IFChain, p.SpreadingFactor<<4|p.CodingRate<<1&0x0E, byte(p.SNR), byte(p.SNRMin), byte(p.SNRMax), p.RSSI,
		byte(t), byte(t>>8), byte(t>>16), byte(t>>24), byte(c), byte(c>>8))
	return append(b, p.Unused[:]...), nil
}

// TX header: the 16 bytes lgw_send writes to the TX data buffer before
// the payload.
//
//	[0..2]   PLL frequency (SX125x units), MSB first; for LoRa bit 7 of
//	         byte 0 selects the wide analog filter (500 kHz) and bit 6
//	         the TX notch filter, both cleared from the frequency
//	[3..6]   trigger counter, µs, big-endian: count_us - TX start delay
//	[7]      RF chain (bit 5), FSK (bit 4), power index (bits 3..0)
//	[8]      not used
//	LoRa: [9] CRC (bit 7), coding rate (bits 6..4), spreading factor
//	      (bits 3..0); [10] payload size; [11] polarity inverted (bit 4),
//	      PPM offset (bit 3), implicit header (bit 2), bandwidth (bits
//	      1..0: 0 125, 1 250, 2 500 kHz); [12..13] preamble, big-endian;
//	      [14..15] not used
//	FSK:  [9] frequency deviation, kHz; [10] payload size; [11] variable
//	      length (bit 0), CRC (bit 1), whitening (bits 3..2 = 2);
//	      [12..13] preamble, big-endian; [14..15] bit-rate divider
//	      (32 MHz / bit rate), big-endian; the payload is preceded by
//	      its length
type TxHeader struct {
	// FreqReg is the 24-bit PLL frequency (SX125xFreqReg).
	FreqReg uint32
	// WideFilter and NotchFilter are the LoRa filter flags of byte 0.
	WideFilter, NotchFilter bool
	// Trigger is the counter value (µs) at which the TX state machine
	// starts; emission follows TX_START_DELAY µs later.
	Trigger uint32
	// RFChain is the radio (0 or 1); FSK selects FSK modulation;
	// PowerIndex is the TX gain table row (0..15).
	RFChain    uint8
	FSK        bool
	PowerIndex uint8
	// Size is the payload size.
	Size uint8
	// CRC sends a payload CRC.
	CRC bool
	// Preamble is the preamble length (symbols for LoRa, bytes for FSK).
	Preamble uint16
	// LoRa: SpreadingFactor 7..12, CodingRate 1..4, Bandwidth code 0..2,
	// ImplicitHeader, PPMOffset (low data rate optimisation), InvertPol.
	SpreadingFactor, CodingRate, Bandwidth uint8
	ImplicitHeader, PPMOffset, InvertPol   bool
	FreqDevKHz                             uint8  // FSK frequency deviation
	BitRateDiv                             uint16 // FSK bit-rate divider
}

// MarshalBinary returns the 16 header bytes.
func (h *TxHeader) MarshalBinary() ([]byte, error) {
	if h.FreqReg > 0xFFFFFF || h.RFChain > 1 || h.PowerIndex > 15 {
		return nil, fmt.Errorf("sx1301: tx header: frequency 0x%x, rf chain %d or power index %d out of range", h.FreqReg, h.RFChain, h.PowerIndex)
	}
	b := make([]byte, TxHeaderSize)
	b[0], b[1], b[2] = byte(h.FreqReg>>16), byte(h.FreqReg>>8), byte(h.FreqReg)
	b[3], b[4], b[5], b[6] = byte(h.Trigger>>24), byte(h.Trigger>>16), byte(h.Trigger>>8), byte(h.Trigger)
	b[7] = h.RFChain<<5&0x20 | h.PowerIndex&0x0F
	b[10] = h.Size
	b[12], b[13] = byte(h.Preamble>>8), byte(h.Preamble)
	if h.FSK {
		b[0] &= 0x7F // always the narrow filter for FSK
		b[7] |= 0x10
		b[9] = h.FreqDevKHz
		b[11] = 0x01 | 0x02<<2
		if h.CRC {
			b[11] |= 0x02
		}
		b[14], b[15] = byte(h.BitRateDiv>>8), byte(h.BitRateDiv)
		return b, nil
	}
	if h.SpreadingFactor < 7 || h.SpreadingFactor > 12 || h.CodingRate < 1 || h.CodingRate > 4 || h.Bandwidth > 2 {
		return nil, fmt.Errorf("sx1301: tx header: SF%d, coding rate %d or bandwidth code %d out of range", h.SpreadingFactor, h.CodingRate, h.Bandwidth)
	}
	b[0] &= 0x3F
	if h.WideFilter {
		b[0] |= 0x80
	}
	if h.NotchFilter {
		b[0] |= 0x40
	}
	b[9] = h.SpreadingFactor | h.CodingRate<<4
	if h.CRC {
		b[9] |= 0x80
	}
	b[11] = h.Bandwidth
	if h.ImplicitHeader {
		b[11] |= 0x04
	}
	if h.PPMOffset {
		b[11] |= 0x08
	}
	if h.InvertPol {
		b[11] |= 0x10
	}
	return b, nil
}

// UnmarshalBinary decodes 16 header bytes. The LoRa frequency register
// loses its two flag bits (the HAL clears them from the frequency).
func (h *TxHeader) UnmarshalBinary(b []byte) error {
	if len(b) < TxHeaderSize {
		return fmt.Errorf("sx1301: tx header of %d bytes, want %d", len(b), TxHeaderSize)
	}
	*h = TxHeader{
		FreqReg:    uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2]),
		Trigger:    uint32(b[3])<<24 | uint32(b[4])<<16 | uint32(b[5])<<8 | uint32(b[6]),
		RFChain:    b[7] >> 5 & 1,
		FSK:        b[7]&0x10 != 0,
		PowerIndex: b[7] & 0x0F,
		Size:       b[10],
		Preamble:   uint16(b[12])<<8 | uint16(b[13]),
	}
	if h.FSK {
		h.FreqDevKHz = b[9]
		h.CRC = b[11]&0x02 != 0
		h.BitRateDiv = uint16(b[14])<<8 | uint16(b[15])
		return nil
	}
	h.WideFilter, h.NotchFilter = b[0]&0x80 != 0, b[0]&0x40 != 0
	h.FreqReg &= 0x3FFFFF
	h.SpreadingFactor, h.CodingRate, h.CRC = b[9]&0x0F, b[9]>>4&0x07, b[9]&0x80 != 0
	h.Bandwidth = b[11] & 0x03
	h.ImplicitHeader, h.PPMOffset, h.InvertPol = b[11]&0x04 != 0, b[11]&0x08 != 0, b[11]&0x10 != 0
	return nil
}
