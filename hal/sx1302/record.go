package sx1302

import (
	"errors"
	"fmt"
)

// RX buffer packet records (loragw_sx1302_rx.c): each received frame sits
// in the RX buffer as a 9-byte head, the payload, a 14-byte tail, 2·N
// fine-timestamp metric bytes and a checksum byte.
const (
	recordSync0 = 0xA5
	recordSync1 = 0xC0
	recordHead  = 9
	recordTail  = 14
	// MinRecordSize is the size of a record with an empty payload and no
	// fine-timestamp metrics.
	MinRecordSize = recordHead + recordTail
	// ModemIDLoRaStd and ModemIDFSK are the modem IDs of the single-SF LoRa
	// and FSK modems; 0..15 are the multi-SF modems.
	ModemIDLoRaStd = 16
	ModemIDFSK     = 17
)

// Errors of ParsePacketRecord, for the RX path to tell a damaged buffer
// (dropped whole, as the HAL does) from an incomplete one.
var (
	// ErrRecordSync is returned when the record does not start with the
	// sync bytes 0xA5 0xC0.
	ErrRecordSync = errors.New("sx1302: packet record: no sync bytes")
	// ErrRecordShort is returned when the buffer ends before the record.
	ErrRecordShort = errors.New("sx1302: packet record: incomplete")
	// ErrRecordChecksum is returned when the record's checksum byte is not
	// the sum of the bytes before it.
	ErrRecordChecksum = errors.New("sx1302: packet record: bad checksum")
	// ErrRecordInvalid is returned for metadata out of range (modem ID,
	// channel, spreading factor).
	ErrRecordInvalid = errors.New("sx1302: packet record: invalid metadata")
)

// PacketRecord is one frame as the SX1302 stores it in its RX buffer.
type PacketRecord struct {
	// Channel is the IF chain (0..7 multi-SF, 8 LoRa std, 9 FSK).
	Channel uint8
	// CRCEnabled is set when the frame carried a payload CRC.
	CRCEnabled bool
	// CodingRate is the HAL's CR code, 1 (4/5) .. 4 (4/8).
	CodingRate uint8
	// SpreadingFactor is 5..12 for LoRa.
	SpreadingFactor uint8
	// ModemID is 0..15 (multi-SF), ModemIDLoRaStd or ModemIDFSK.
	ModemID uint8
	// FreqOffset is the 20-bit signed frequency error in modem units.
	FreqOffset int32
	// Payload is the frame (0..255 bytes).
	Payload []byte
	// CRCError, SyncError, HeaderError and TimingSet are the status bits.
	CRCError, SyncError, HeaderError, TimingSet bool
	// SNR is the average SNR in 0.25 dB steps.
	SNR int8
	// RSSIChan and RSSISignal are the raw channel and signal RSSI (the
	// board's rssi_offset turns them into dBm).
	RSSIChan, RSSISignal uint8
	// RSSIChanDelta and RSSISignalDelta hold the max negative (low nibble)
	// and positive (high nibble) deviations.
	RSSIChanDelta, RSSISignalDelta uint8
	// Timestamp is the 32 MHz counter when the frame ended (or its
	// preamble, in fine-timestamp mode).
	Timestamp uint32
	// CRC16 is the payload CRC the modem computed.
	CRC16 uint16
	// Metrics are the fine-timestamp metrics (2 per metric count).
	Metrics []int8
}

// Size returns the record's length in bytes.
func (p *PacketRecord) Size() int { return MinRecordSize + len(p.Payload) + len(p.Metrics) }

// AppendBinary appends the record's bytes, with its checksum, to b.
// The payload must be at most 255 bytes and the metrics an even count of
// at most 510.
func (p *PacketRecord) AppendBinary(b []byte) ([]byte, error) {
	if len(p.Payload) > 255 {
		return b, fmt.Errorf("sx1302: packet record: payload of %d bytes", len(p.Payload))
	}
	if len(p.Metrics)%2 != 0 || len(p.Metrics) > 2*255 {
		return b, fmt.Errorf("sx1302: packet record: %d metric bytes", len(p.Metrics))
	}
	start := len(b)
	b = append(b, recordSync0, recordSync1, byte(len(p.Payload)), p.Channel,
		bit(p.CRCEnabled)|(p.CodingRate&7)<<1|p.SpreadingFactor<<4, p.ModemID,
		byte(p.FreqOffset), byte(p.FreqOffset>>8), byte(p.FreqOffset>>16)&0x0F)
	b = append(b, p.Payload...)
	b = append(b, bit(p.CRCError)|bit(p.SyncError)<<2|bit(p.HeaderError)<<3|bit(p.TimingSet)<<4,
		byte(p.SNR), p.RSSIChan, p.RSSISignal, p.RSSIChanDelta, p.RSSISignalDelta,
		byte(p.Timestamp), byte(p.Timestamp>>8), byte(p.Timestamp>>16), byte(p.Timestamp>>24),
		byte(p.CRC16), byte(p.CRC16>>8), byte(len(p.Metrics)/2))
	for _, m := range p.Metrics {
		b = append(b, byte(m))
	}
	return append(b, checksum(b[start:])), nil
}

// ParsePacketRecord decodes the record at the start of b and returns it
// with its length. Every length is checked against b before use: a
// damaged or truncated buffer gives an error, never a panic. The payload
// and metrics are copies.
func ParsePacketRecord(b []byte) (PacketRecord, int, error) {
	var p PacketRecord
	if len(b) < 2 || b[0] != recordSync0 || b[1] != recordSync1 {
		return p, 0, ErrRecordSync
	}
	if len(b) < recordHead {
		return p, 0, fmt.Errorf("%w: %d bytes, head needs %d", ErrRecordShort, len(b), recordHead)
	}
	l := int(b[2])
	// The metric count sits in the tail's last byte but one.
	if len(b) < recordHead+l+recordTail {
		return p, 0, fmt.Errorf("%w: %d bytes, payload of %d needs %d", ErrRecordShort, len(b), l, recordHead+l+recordTail)
	}
	tail := b[recordHead+l:]
	nm := 2 * int(tail[12])
	n := recordHead + l + recordTail + nm
	if len(b) < n {
		return p, 0, fmt.Errorf("%w: %d bytes, record needs %d", ErrRecordShort, len(b), n)
	}
	if got, want := b[n-1], checksum(b[:n-1]); got != want {
		return p, 0, fmt.Errorf("%w: got 0x%02x, want 0x%02x", ErrRecordChecksum, got, want)
	}
	p.Channel = b[3]
	p.CRCEnabled = b[4]&1 != 0
	p.CodingRate = b[4] >> 1 & 7
	p.SpreadingFactor = b[4] >> 4
	p.ModemID = b[5]
	off := int32(b[6]) | int32(b[7])<<8 | int32(b[8]&0x0F)<<16
	if off >= 1<<19 {
		off -= 1 << 20
	}
	p.FreqOffset = off
	p.Payload = append([]byte(nil), b[recordHead:recordHead+l]...)
	p.CRCError = tail[0]&1 != 0
	p.SyncError = tail[0]&4 != 0
	p.HeaderError = tail[0]&8 != 0
	p.TimingSet = tail[0]&0x10 != 0
	p.SNR = int8(tail[1])
	p.RSSIChan, p.RSSISignal = tail[2], tail[3]
	p.RSSIChanDelta, p.RSSISignalDelta = tail[4], tail[5]
	p.Timestamp = uint32(tail[6]) | uint32(tail[7])<<8 | uint32(tail[8])<<16 | uint32(tail[9])<<24
	p.CRC16 = uint16(tail[10]) | uint16(tail[11])<<8
	if nm > 0 {
		p.Metrics = make([]int8, nm)
		for i := range p.Metrics {
			p.Metrics[i] = int8(tail[recordTail-1+i])
		}
	}
	// Range checks of rx_buffer_pop.
	switch {
	case p.ModemID > ModemIDFSK:
		return p, n, fmt.Errorf("%w: modem id %d", ErrRecordInvalid, p.ModemID)
	case p.ModemID <= ModemIDLoRaStd && p.Channel > 9:
		return p, n, fmt.Errorf("%w: channel %d", ErrRecordInvalid, p.Channel)
	case p.ModemID <= ModemIDLoRaStd && (p.SpreadingFactor < 5 || p.SpreadingFactor > 12):
		return p, n, fmt.Errorf("%w: spreading factor %d", ErrRecordInvalid, p.SpreadingFactor)
	}
	return p, n, nil
}

// checksum is the record checksum: the sum of the bytes modulo 256.
func checksum(b []byte) byte {
	var s byte
	for _, v := range b {
		s += v
	}
	return s
}

func bit(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// PayloadCRC returns the LoRa payload CRC the SX1302 reports in a record
// (sx1302_lora_payload_crc): CRC-16 with polynomial 0x1021 and initial
// value 0, where each byte is XORed into the low byte after the register
// has been clocked through eight zero bits.
func PayloadCRC(data []byte) uint16 {
	var crc uint16
	for _, d := range data {
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		crc ^= uint16(d)
	}
	return crc
}
