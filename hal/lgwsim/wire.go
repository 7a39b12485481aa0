package lgwsim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/loraedge/loraedge/hal"
)

// ErrMalformed is wrapped by every error about a record that cannot be
// decoded or converted: wrong length, a size beyond the payload array, a
// modulation, bandwidth, data rate, coding rate, status or TX mode the HAL
// does not define.
var ErrMalformed = errors.New("lgwsim: malformed record")

// Record sizes: sizeof(struct lgw_pkt_rx_s) and sizeof(struct lgw_pkt_tx_s)
// of lora_gateway's loragw_hal.h (the "lgw1" HAL Station's simulation build
// links) on LP64 Linux, x86-64 and arm64 alike (simutils.py Lgw1.SIZE_PKT_RX
// and SIZE_PKT_TX).
const (
	RxRecordSize = 300
	TxRecordSize = 288
)

// PayloadCap is the size of the payload array of both structs (uint8_t
// payload[256]); a LoRa frame uses at most hal.MaxPayload of it.
const PayloadCap = 256

// Field offsets in struct lgw_pkt_rx_s: every field at a multiple of its own
// size (uint32_t and float at 4, uint16_t at 2), the layout of Python's
// struct "@IBBIBBBIBffffHH" (44 bytes) followed by the payload.
const (
	rxOffFreq       = 0  // uint32_t freq_hz
	rxOffIFChain    = 4  // uint8_t  if_chain
	rxOffStatus     = 5  // uint8_t  status (2 bytes of padding follow)
	rxOffCount      = 8  // uint32_t count_us
	rxOffRFChain    = 12 // uint8_t  rf_chain
	rxOffModulation = 13 // uint8_t  modulation
	rxOffBandwidth  = 14 // uint8_t  bandwidth (1 byte of padding follows)
	rxOffDatarate   = 16 // uint32_t datarate
	rxOffCoderate   = 20 // uint8_t  coderate (3 bytes of padding follow)
	rxOffRSSI       = 24 // float    rssi
	rxOffSNR        = 28 // float    snr
	rxOffSNRMin     = 32 // float    snr_min
	rxOffSNRMax     = 36 // float    snr_max
	rxOffCRC        = 40 // uint16_t crc
	rxOffSize       = 42 // uint16_t size
	rxOffPayload    = 44 // uint8_t  payload[256]
)

// Field offsets in struct lgw_pkt_tx_s, the layout of Python's struct
// "@IBIBbBBIBBBHBBH" (30 bytes) followed by the payload; the struct is
// padded from 286 to 288 bytes, a multiple of its 4-byte alignment.
const (
	txOffFreq       = 0  // uint32_t freq_hz
	txOffMode       = 4  // uint8_t  tx_mode (3 bytes of padding follow)
	txOffCount      = 8  // uint32_t count_us
	txOffRFChain    = 12 // uint8_t  rf_chain
	txOffPower      = 13 // int8_t   rf_power
	txOffModulation = 14 // uint8_t  modulation
	txOffBandwidth  = 15 // uint8_t  bandwidth
	txOffDatarate   = 16 // uint32_t datarate
	txOffCoderate   = 20 // uint8_t  coderate
	txOffInvertPol  = 21 // bool     invert_pol
	txOffFDev       = 22 // uint8_t  f_dev (1 byte of padding follows)
	txOffPreamble   = 24 // uint16_t preamble
	txOffNoCRC      = 26 // bool     no_crc
	txOffNoHeader   = 27 // bool     no_header
	txOffSize       = 28 // uint16_t size
	txOffPayload    = 30 // uint8_t  payload[256]
)

// Values of the HAL's enumerations (loragw_hal.h), as they travel in the
// records.
const (
	ModLoRa = 0x10 // MOD_LORA
	ModFSK  = 0x20 // MOD_FSK

	BW500 = 0x01 // BW_500KHZ
	BW250 = 0x02 // BW_250KHZ
	BW125 = 0x03 // BW_125KHZ

	// DR_LORA_SF7 … DR_LORA_SF12 are one bit each, 0x02 << (SF-7); FSK
	// records carry the bit rate in datarate instead.
	DRLoRaSF7  = 0x02
	DRLoRaSF12 = 0x40

	CRLoRa4_5 = 0x01 // CR_LORA_4_5; 4/6..4/8 are 0x02..0x04

	StatNoCRC  = 0x01 // STAT_NO_CRC
	StatCRCOK  = 0x10 // STAT_CRC_OK
	StatCRCBad = 0x11 // STAT_CRC_BAD

	TxModeImmediate   = 0   // IMMEDIATE
	TxModeTimestamped = 1   // TIMESTAMPED
	TxModeOnGPS       = 2   // ON_GPS (class B beacons)
	TxModeTimeBase    = 255 // Station's time-base record, never a frame
)

// CCA (listen-before-talk) records of src/lgwsim.c: a receive record whose
// freq_hz is CCAMagic carries up to MaxCCAEntries entries instead of a
// frame.
const (
	CCAMagic      = 0xCCAFCCAF // MAGIC_CCA_FREQ
	MaxCCAEntries = 10         // MAX_CCA_INFOS
	ccaOffEntries = 8          // struct cca_info is 8-byte aligned (it holds int64s)
	ccaEntrySize  = 24         // u4_t freq, 4 bytes of padding, sL_t beg, sL_t end
)

// le is the byte order of both supported machines.
var le = binary.LittleEndian

// RxRecord is one struct lgw_pkt_rx_s: a frame the simulator hands to the
// gateway, field for field (values as the HAL encodes them).
type RxRecord struct {
	FreqHz     uint32  // freq_hz: centre frequency of the channel
	IFChain    uint8   // if_chain
	Status     uint8   // status: StatCRCOK, StatCRCBad or StatNoCRC
	CountUS    uint32  // count_us: the gateway's 32-bit counter at the end of the frame
	RFChain    uint8   // rf_chain
	Modulation uint8   // modulation: ModLoRa or ModFSK
	Bandwidth  uint8   // bandwidth: BW125, BW250, BW500
	Datarate   uint32  // datarate: DR_LORA_SFn bit, or FSK bit/s
	Coderate   uint8   // coderate: 1..4 for 4/5..4/8, 0 undefined
	RSSI       float32 // rssi (dBm)
	SNR        float32 // snr (dB)
	SNRMin     float32 // snr_min
	SNRMax     float32 // snr_max
	CRC        uint16  // crc: the frame's CRC value (Station ignores it)
	Payload    []byte  // payload[:size], at most PayloadCap bytes
}

// IsCCA reports whether a 300-byte receive record is a CCA table rather than
// a frame (its freq_hz is CCAMagic).
func IsCCA(b []byte) bool {
	return len(b) >= 4 && le.Uint32(b[rxOffFreq:]) == CCAMagic
}

// AppendBinary appends the 300-byte record to b.
func (r *RxRecord) AppendBinary(b []byte) ([]byte, error) {
	if len(r.Payload) > PayloadCap {
		return b, fmt.Errorf("%w: rx: payload of %d bytes exceeds %d", ErrMalformed, len(r.Payload), PayloadCap)
	}
	n := len(b)
	b = append(b, make([]byte, RxRecordSize)...)
	w := b[n:]
	le.PutUint32(w[rxOffFreq:], r.FreqHz)
	w[rxOffIFChain] = r.IFChain
	w[rxOffStatus] = r.Status
	le.PutUint32(w[rxOffCount:], r.CountUS)
	w[rxOffRFChain] = r.RFChain
	w[rxOffModulation] = r.Modulation
	w[rxOffBandwidth] = r.Bandwidth
	le.PutUint32(w[rxOffDatarate:], r.Datarate)
	w[rxOffCoderate] = r.Coderate
	le.PutUint32(w[rxOffRSSI:], math.Float32bits(r.RSSI))
	le.PutUint32(w[rxOffSNR:], math.Float32bits(r.SNR))
	le.PutUint32(w[rxOffSNRMin:], math.Float32bits(r.SNRMin))
	le.PutUint32(w[rxOffSNRMax:], math.Float32bits(r.SNRMax))
	le.PutUint16(w[rxOffCRC:], r.CRC)
	le.PutUint16(w[rxOffSize:], uint16(len(r.Payload)))
	copy(w[rxOffPayload:], r.Payload)
	return b, nil
}

// MarshalBinary returns the 300-byte record.
func (r *RxRecord) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// UnmarshalBinary decodes a 300-byte record. It checks only the framing
// (length, size); Packet checks the values. A CCA record is refused: test
// with IsCCA first.
func (r *RxRecord) UnmarshalBinary(b []byte) error {
	if len(b) != RxRecordSize {
		return fmt.Errorf("%w: rx record of %d bytes, want %d", ErrMalformed, len(b), RxRecordSize)
	}
	if IsCCA(b) {
		return fmt.Errorf("%w: rx record is a cca table", ErrMalformed)
	}
	size := int(le.Uint16(b[rxOffSize:]))
	if size > PayloadCap {
		return fmt.Errorf("%w: rx record size %d exceeds %d", ErrMalformed, size, PayloadCap)
	}
	*r = RxRecord{
		FreqHz:     le.Uint32(b[rxOffFreq:]),
		IFChain:    b[rxOffIFChain],
		Status:     b[rxOffStatus],
		CountUS:    le.Uint32(b[rxOffCount:]),
		RFChain:    b[rxOffRFChain],
		Modulation: b[rxOffModulation],
		Bandwidth:  b[rxOffBandwidth],
		Datarate:   le.Uint32(b[rxOffDatarate:]),
		Coderate:   b[rxOffCoderate],
		RSSI:       math.Float32frombits(le.Uint32(b[rxOffRSSI:])),
		SNR:        math.Float32frombits(le.Uint32(b[rxOffSNR:])),
		SNRMin:     math.Float32frombits(le.Uint32(b[rxOffSNRMin:])),
		SNRMax:     math.Float32frombits(le.Uint32(b[rxOffSNRMax:])),
		CRC:        le.Uint16(b[rxOffCRC:]),
		Payload:    append([]byte(nil), b[rxOffPayload:rxOffPayload+size]...),
	}
	return nil
}

// Packet converts the record into the frame the agent sees: SF and
// bandwidth from the HAL codes, CRC status from status. Codes Station could
// not map to a data rate (it drops such frames) are errors wrapping
// ErrMalformed, as are an empty payload and one beyond hal.MaxPayload.
func (r *RxRecord) Packet() (hal.RxPacket, error) {
	p := hal.RxPacket{
		Freq:    r.FreqHz,
		IFChain: int(r.IFChain),
		RFChain: int(r.RFChain),
		RSSI:    r.RSSI,
		SNR:     r.SNR,
		CountUS: r.CountUS,
	}
	if n := len(r.Payload); n == 0 || n > hal.MaxPayload {
		return p, fmt.Errorf("%w: rx: payload of %d bytes, want 1..%d", ErrMalformed, n, hal.MaxPayload)
	}
	if !finite(r.RSSI) || r.Modulation == ModLoRa && !finite(r.SNR) {
		return p, fmt.Errorf("%w: rx: rssi %v, snr %v", ErrMalformed, r.RSSI, r.SNR)
	}
	switch r.Status {
	case StatCRCOK:
		p.CRC = hal.CRCOK
	case StatCRCBad:
		p.CRC = hal.CRCBad
	case StatNoCRC:
		p.CRC = hal.CRCNone
	default:
		return p, fmt.Errorf("%w: rx: status 0x%02x", ErrMalformed, r.Status)
	}
	switch r.Modulation {
	case ModLoRa:
		sf, bw, cr, err := decodeLoRa("rx", r.Datarate, r.Bandwidth, r.Coderate, false)
		if err != nil {
			return p, err
		}
		p.Modulation, p.SpreadingFactor, p.Bandwidth, p.CodeRate = hal.ModulationLoRa, sf, bw, cr
	case ModFSK:
		if r.Datarate == 0 {
			return p, fmt.Errorf("%w: rx: fsk bit rate 0", ErrMalformed)
		}
		p.Modulation, p.DataRate, p.SNR = hal.ModulationFSK, r.Datarate, 0
	default:
		return p, fmt.Errorf("%w: rx: modulation 0x%02x", ErrMalformed, r.Modulation)
	}
	p.Payload = append([]byte(nil), r.Payload...)
	return p, nil
}

// RxRecordFrom encodes a received frame as the simulator sends it: status
// from CRC, SF and bandwidth as HAL codes, snr_min and snr_max equal to snr,
// crc 0.
func RxRecordFrom(p *hal.RxPacket) (RxRecord, error) {
	r := RxRecord{
		FreqHz: p.Freq, IFChain: uint8(p.IFChain), RFChain: uint8(p.RFChain), CountUS: p.CountUS,
		RSSI: p.RSSI, SNR: p.SNR, SNRMin: p.SNR, SNRMax: p.SNR,
	}
	if n := len(p.Payload); n == 0 || n > hal.MaxPayload {
		return r, fmt.Errorf("%w: rx: payload of %d bytes, want 1..%d", ErrMalformed, n, hal.MaxPayload)
	}
	if !finite(p.RSSI) || !finite(p.SNR) {
		return r, fmt.Errorf("%w: rx: rssi %v, snr %v", ErrMalformed, p.RSSI, p.SNR)
	}
	if p.IFChain < 0 || p.IFChain > 0xff || p.RFChain < 0 || p.RFChain > 0xff {
		return r, fmt.Errorf("%w: rx: if chain %d or rf chain %d", ErrMalformed, p.IFChain, p.RFChain)
	}
	switch p.CRC {
	case hal.CRCOK:
		r.Status = StatCRCOK
	case hal.CRCBad:
		r.Status = StatCRCBad
	case hal.CRCNone:
		r.Status = StatNoCRC
	default:
		return r, fmt.Errorf("%w: rx: crc status %s", ErrMalformed, p.CRC)
	}
	switch p.Modulation {
	case hal.ModulationLoRa:
		dr, ok := datarateFromSF(p.SpreadingFactor)
		bw, ok2 := codeFromBW(p.Bandwidth)
		cr, ok3 := codeFromCR(p.CodeRate)
		if p.CodeRate == 0 {
			cr, ok3 = 0, true // CR_UNDEFINED, which the decoder accepts too
		}
		if !ok || !ok2 || !ok3 {
			return r, fmt.Errorf("%w: rx: SF%d, %d Hz, code rate %s", ErrMalformed, p.SpreadingFactor, p.Bandwidth, p.CodeRate)
		}
		r.Modulation, r.Datarate, r.Bandwidth, r.Coderate = ModLoRa, dr, bw, cr
	case hal.ModulationFSK:
		if p.DataRate == 0 {
			return r, fmt.Errorf("%w: rx: fsk bit rate 0", ErrMalformed)
		}
		r.Modulation, r.Datarate = ModFSK, p.DataRate
		r.SNR, r.SNRMin, r.SNRMax = 0, 0, 0
	default:
		return r, fmt.Errorf("%w: rx: modulation %s", ErrMalformed, p.Modulation)
	}
	r.Payload = append([]byte(nil), p.Payload...)
	return r, nil
}

// TxRecord is one struct lgw_pkt_tx_s: a frame the gateway hands to the
// simulator, or (TxMode TxModeTimeBase) Station's time-base record.
type TxRecord struct {
	FreqHz     uint32 // freq_hz (the time base's upper 32 bits in a time-base record)
	TxMode     uint8  // tx_mode: TxModeImmediate, TxModeTimestamped, TxModeOnGPS, TxModeTimeBase
	CountUS    uint32 // count_us: counter value at which the frame starts
	RFChain    uint8  // rf_chain
	RFPower    int8   // rf_power (dBm)
	Modulation uint8  // modulation: ModLoRa or ModFSK
	Bandwidth  uint8  // bandwidth: BW125, BW250, BW500 (LoRa)
	Datarate   uint32 // datarate: DR_LORA_SFn bit, or FSK bit/s
	Coderate   uint8  // coderate: 1..4 for 4/5..4/8 (LoRa)
	InvertPol  bool   // invert_pol
	FDev       uint8  // f_dev: FSK deviation in kHz; the unit in a time-base record
	Preamble   uint16 // preamble: symbols (LoRa) or bytes (FSK), 0 for the default
	NoCRC      bool   // no_crc
	NoHeader   bool   // no_header
	Payload    []byte // payload[:size], at most PayloadCap bytes
}

// TimeBaseRecord is the record Station's lgwsim.c writes first on every
// connection: tx_mode 255, count_us the low and freq_hz the high 32 bits of
// the time offset (the monotonic clock in µs minus the gateway's counter),
// f_dev the TX unit. Every other field is zero.
func TimeBaseRecord(offset int64, unit uint8) TxRecord {
	return TxRecord{TxMode: TxModeTimeBase, CountUS: uint32(offset), FreqHz: uint32(uint64(offset) >> 32), FDev: unit}
}

// TimeBase returns the time offset and unit of a time-base record; ok is
// false for any other record. The offset is rebuilt as a signed 64-bit
// value, as lgwsim.c split it (a machine up for less than 2^28 µs gives a
// negative one).
func (r *TxRecord) TimeBase() (offset int64, unit uint8, ok bool) {
	if r.TxMode != TxModeTimeBase {
		return 0, 0, false
	}
	return int64(uint64(r.FreqHz)<<32 | uint64(r.CountUS)), r.FDev, true
}

// AppendBinary appends the 288-byte record to b.
func (r *TxRecord) AppendBinary(b []byte) ([]byte, error) {
	if len(r.Payload) > PayloadCap {
		return b, fmt.Errorf("%w: tx: payload of %d bytes exceeds %d", ErrMalformed, len(r.Payload), PayloadCap)
	}
	n := len(b)
	b = append(b, make([]byte, TxRecordSize)...)
	w := b[n:]
	le.PutUint32(w[txOffFreq:], r.FreqHz)
	w[txOffMode] = r.TxMode
	le.PutUint32(w[txOffCount:], r.CountUS)
	w[txOffRFChain] = r.RFChain
	w[txOffPower] = uint8(r.RFPower)
	w[txOffModulation] = r.Modulation
	w[txOffBandwidth] = r.Bandwidth
	le.PutUint32(w[txOffDatarate:], r.Datarate)
	w[txOffCoderate] = r.Coderate
	w[txOffInvertPol] = b2u(r.InvertPol)
	w[txOffFDev] = r.FDev
	le.PutUint16(w[txOffPreamble:], r.Preamble)
	w[txOffNoCRC] = b2u(r.NoCRC)
	w[txOffNoHeader] = b2u(r.NoHeader)
	le.PutUint16(w[txOffSize:], uint16(len(r.Payload)))
	copy(w[txOffPayload:], r.Payload)
	return b, nil
}

// MarshalBinary returns the 288-byte record.
func (r *TxRecord) MarshalBinary() ([]byte, error) { return r.AppendBinary(nil) }

// UnmarshalBinary decodes a 288-byte record; C bools are true when not
// zero. It checks only the framing; Packet checks the values.
func (r *TxRecord) UnmarshalBinary(b []byte) error {
	if len(b) != TxRecordSize {
		return fmt.Errorf("%w: tx record of %d bytes, want %d", ErrMalformed, len(b), TxRecordSize)
	}
	size := int(le.Uint16(b[txOffSize:]))
	if size > PayloadCap {
		return fmt.Errorf("%w: tx record size %d exceeds %d", ErrMalformed, size, PayloadCap)
	}
	*r = TxRecord{
		FreqHz:     le.Uint32(b[txOffFreq:]),
		TxMode:     b[txOffMode],
		CountUS:    le.Uint32(b[txOffCount:]),
		RFChain:    b[txOffRFChain],
		RFPower:    int8(b[txOffPower]),
		Modulation: b[txOffModulation],
		Bandwidth:  b[txOffBandwidth],
		Datarate:   le.Uint32(b[txOffDatarate:]),
		Coderate:   b[txOffCoderate],
		InvertPol:  b[txOffInvertPol] != 0,
		FDev:       b[txOffFDev],
		Preamble:   le.Uint16(b[txOffPreamble:]),
		NoCRC:      b[txOffNoCRC] != 0,
		NoHeader:   b[txOffNoHeader] != 0,
		Payload:    append([]byte(nil), b[txOffPayload:txOffPayload+size]...),
	}
	return nil
}

// TxRecordFrom encodes a frame to send as Station's ral_lgw.c fills
// lgw_pkt_tx_s: HAL codes for SF, bandwidth and coding rate, f_dev in kHz,
// the preamble written out (8 symbols or 5 bytes when p leaves it 0, as
// Station writes it). The frame must be valid (hal.TxPacket.Validate).
func TxRecordFrom(p *hal.TxPacket) (TxRecord, error) {
	if err := p.Validate(); err != nil {
		return TxRecord{}, fmt.Errorf("lgwsim: %w", err)
	}
	r := TxRecord{
		FreqHz:    p.Freq,
		CountUS:   p.CountUS,
		RFChain:   uint8(p.RFChain),
		RFPower:   p.Power,
		InvertPol: p.InvertPol,
		Preamble:  uint16(p.PreambleLength()),
		NoCRC:     p.NoCRC,
		NoHeader:  p.NoHeader,
		Payload:   append([]byte(nil), p.Payload...),
	}
	switch p.Mode {
	case hal.TxImmediate:
		r.TxMode = TxModeImmediate
	case hal.TxTimestamped:
		r.TxMode = TxModeTimestamped
	}
	switch p.Modulation {
	case hal.ModulationLoRa:
		r.Modulation = ModLoRa
		r.Datarate, _ = datarateFromSF(p.SpreadingFactor)
		r.Bandwidth, _ = codeFromBW(p.Bandwidth)
		r.Coderate, _ = codeFromCR(p.CodeRate)
	case hal.ModulationFSK:
		if p.FreqDeviation/1000 > 0xff {
			return TxRecord{}, fmt.Errorf("%w: tx: fsk deviation %d Hz does not fit f_dev", hal.ErrInvalid, p.FreqDeviation)
		}
		r.Modulation, r.Datarate, r.FDev = ModFSK, p.DataRate, uint8(p.FreqDeviation/1000)
	}
	return r, nil
}

// Packet converts a frame record into the frame to send. A time-base
// record, ON_GPS (class B beacons, which hal.TxPacket cannot express) and
// codes the HAL does not define are errors wrapping ErrMalformed.
func (r *TxRecord) Packet() (hal.TxPacket, error) {
	p := hal.TxPacket{
		CountUS:   r.CountUS,
		Freq:      r.FreqHz,
		RFChain:   int(r.RFChain),
		Power:     r.RFPower,
		InvertPol: r.InvertPol,
		Preamble:  int(r.Preamble),
		NoCRC:     r.NoCRC,
		NoHeader:  r.NoHeader,
		Payload:   append([]byte(nil), r.Payload...),
	}
	switch r.TxMode {
	case TxModeImmediate:
		p.Mode = hal.TxImmediate
	case TxModeTimestamped:
		p.Mode = hal.TxTimestamped
	default:
		return p, fmt.Errorf("%w: tx: tx_mode %d not supported", ErrMalformed, r.TxMode)
	}
	switch r.Modulation {
	case ModLoRa:
		sf, bw, cr, err := decodeLoRa("tx", r.Datarate, r.Bandwidth, r.Coderate, true)
		if err != nil {
			return p, err
		}
		p.Modulation, p.SpreadingFactor, p.Bandwidth, p.CodeRate = hal.ModulationLoRa, sf, bw, cr
	case ModFSK:
		p.Modulation, p.DataRate, p.FreqDeviation = hal.ModulationFSK, r.Datarate, uint32(r.FDev)*1000
	default:
		return p, fmt.Errorf("%w: tx: modulation 0x%02x", ErrMalformed, r.Modulation)
	}
	if err := p.Validate(); err != nil {
		return p, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return p, nil
}

// CCAEntry is one struct cca_info: while the gateway's 64-bit tick count
// (the counter widened, the time base's xticks) lies in [Begin, End], a
// transmission starting on Freq fails listen-before-talk.
type CCAEntry struct {
	Freq       uint32 // Hz; 0 ends the table
	Begin, End int64  // xticks (µs), inclusive
}

// CCATable is the content of a CCA record: the channels busy for
// listen-before-talk, at most MaxCCAEntries. A new record replaces the
// whole table, as in lgwsim.c.
type CCATable []CCAEntry

// Blocks reports whether a transmission starting at xticks on freq fails
// listen-before-talk (cca in lgwsim.c).
func (t CCATable) Blocks(freq uint32, xticks int64) bool {
	for _, e := range t {
		if e.Freq == 0 {
			break
		}
		if e.Freq == freq && xticks >= e.Begin && xticks <= e.End {
			return true
		}
	}
	return false
}

// MarshalBinary returns the 300-byte CCA record.
func (t CCATable) MarshalBinary() ([]byte, error) {
	if len(t) > MaxCCAEntries {
		return nil, fmt.Errorf("%w: cca: %d entries, at most %d", ErrMalformed, len(t), MaxCCAEntries)
	}
	b := make([]byte, RxRecordSize)
	le.PutUint32(b, CCAMagic)
	for i, e := range t {
		w := b[ccaOffEntries+i*ccaEntrySize:]
		le.PutUint32(w, e.Freq)
		le.PutUint64(w[8:], uint64(e.Begin))
		le.PutUint64(w[16:], uint64(e.End))
	}
	return b, nil
}

// UnmarshalBinary decodes a 300-byte CCA record, keeping the entries up to
// the first with a zero frequency.
func (t *CCATable) UnmarshalBinary(b []byte) error {
	if len(b) != RxRecordSize {
		return fmt.Errorf("%w: cca record of %d bytes, want %d", ErrMalformed, len(b), RxRecordSize)
	}
	if !IsCCA(b) {
		return fmt.Errorf("%w: not a cca record", ErrMalformed)
	}
	var out CCATable
	for i := range MaxCCAEntries {
		w := b[ccaOffEntries+i*ccaEntrySize:]
		e := CCAEntry{Freq: le.Uint32(w), Begin: int64(le.Uint64(w[8:])), End: int64(le.Uint64(w[16:]))}
		if e.Freq == 0 {
			break
		}
		out = append(out, e)
	}
	*t = out
	return nil
}

// finite reports whether v is neither NaN nor infinite.
func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }

func b2u(v bool) uint8 {
	if v {
		return 1
	}
	return 0
}

// sfFromDatarate maps a DR_LORA_SFn bit to its spreading factor.
// decodeLoRa reads the LoRa fields of a record (dir "rx" or "tx" names it
// in errors): one spreading factor, a bandwidth and a coding rate, which a
// transmission must set (needCR) while a reception may report as unknown.
func decodeLoRa(dir string, datarate uint32, bwCode, crCode uint8, needCR bool) (int, uint32, hal.CodeRate, error) {
	sf, ok := sfFromDatarate(datarate)
	if !ok {
		return 0, 0, 0, fmt.Errorf("%w: %s: lora datarate 0x%x is not one spreading factor", ErrMalformed, dir, datarate)
	}
	bw, ok := bwFromCode(bwCode)
	if !ok {
		return 0, 0, 0, fmt.Errorf("%w: %s: lora bandwidth code 0x%02x", ErrMalformed, dir, bwCode)
	}
	cr, ok := crFromCode(crCode)
	if !ok || needCR && cr == 0 {
		return 0, 0, 0, fmt.Errorf("%w: %s: coderate code 0x%02x", ErrMalformed, dir, crCode)
	}
	return sf, bw, cr, nil
}

func sfFromDatarate(dr uint32) (int, bool) {
	for sf := 7; sf <= 12; sf++ {
		if dr == DRLoRaSF7<<(sf-7) {
			return sf, true
		}
	}
	return 0, false
}

// datarateFromSF maps a spreading factor to its DR_LORA_SFn bit.
func datarateFromSF(sf int) (uint32, bool) {
	if sf < 7 || sf > 12 {
		return 0, false
	}
	return DRLoRaSF7 << (sf - 7), true
}

// bwFromCode maps a BW_* code to Hz (LoRa bandwidths only).
func bwFromCode(c uint8) (uint32, bool) {
	switch c {
	case BW125:
		return hal.BW125, true
	case BW250:
		return hal.BW250, true
	case BW500:
		return hal.BW500, true
	}
	return 0, false
}

// codeFromBW maps a LoRa bandwidth in Hz to its BW_* code.
func codeFromBW(hz uint32) (uint8, bool) {
	switch hz {
	case hal.BW125:
		return BW125, true
	case hal.BW250:
		return BW250, true
	case hal.BW500:
		return BW500, true
	}
	return 0, false
}

// crFromCode maps CR_LORA_4_5..4_8 (1..4) to a hal.CodeRate; 0 (undefined,
// which Station ignores on received frames) gives 0.
func crFromCode(c uint8) (hal.CodeRate, bool) {
	switch {
	case c == 0:
		return 0, true
	case c <= 4:
		return hal.CodeRate(c + 4), true
	}
	return 0, false
}

// codeFromCR maps a hal.CodeRate to CR_LORA_4_x.
func codeFromCR(c hal.CodeRate) (uint8, bool) {
	if !c.Valid() {
		return 0, false
	}
	return uint8(c) - 4, true
}
