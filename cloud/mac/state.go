package mac

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// State is what the MAC layer keeps per session between uplinks, in
// store.Session.MACState: the radio settings the device took from ADR,
// the recent link quality the ADR engine looks at, the requests sent and
// not yet answered, and the last device status.
type State struct {
	// TXPower is the LinkADRReq TXPower index the device uses (0: its max
	// EIRP), NbTrans its transmissions per uplink (1..15).
	TXPower uint8
	NbTrans uint8
	// History holds the last uplinks (oldest first) for ADR.
	History []Sample
	// ADR is the LinkADRReq sent and not yet answered, if any.
	ADR *PendingADR
	// ADRHoldoff counts uplinks during which the engine asks nothing after
	// the device refused a LinkADRReq.
	ADRHoldoff uint8
	// RXParam, RXTiming, NewChannel and DlChannel are requests sent and not
	// yet answered (from an operator or a later MAC feature); their answers
	// apply them.
	RXParam    *RXParamRequest
	RXTiming   *uint8 // RX1 delay in seconds
	NewChannel *ChannelRequest
	DlChannel  *ChannelRequest
	// Battery and Margin are the last DevStatusAns, when HaveStatus.
	HaveStatus bool
	Battery    uint8
	Margin     int8
}

// Sample is one uplink as the ADR engine sees it.
type Sample struct {
	FCnt   uint32
	MaxSNR float64 // best SNR over the gateways, in dB (kept to 0.25 dB)
	GwCnt  uint8
}

// PendingADR is a LinkADRReq waiting for its LinkADRAns.
type PendingADR struct {
	DR, TXPower, NbTrans uint8
	// SentFCnt is the uplink counter of the uplink the request answered.
	SentFCnt uint32
}

// RXParamRequest is an RXParamSetupReq waiting for its answer.
type RXParamRequest struct {
	RX1DROffset, RX2DR uint8
	RX2Frequency       uint32
}

// ChannelRequest is a NewChannelReq or DlChannelReq waiting for its answer.
type ChannelRequest struct {
	Index        uint8
	Frequency    uint32
	MinDR, MaxDR uint8 // NewChannelReq only
}

// fresh reports whether s is the state of a new session, which is stored
// as no bytes at all.
func (s *State) fresh() bool {
	return s.TXPower == 0 && s.NbTrans == 1 && len(s.History) == 0 && s.ADR == nil && s.ADRHoldoff == 0 &&
		s.RXParam == nil && s.RXTiming == nil && s.NewChannel == nil && s.DlChannel == nil && !s.HaveStatus
}

// stateVersion is the first byte of an encoded State.
const stateVersion = 1

// Flags of the encoding's second byte: which optional parts follow.
const (
	flagADR = 1 << iota
	flagRXParam
	flagRXTiming
	flagNewChannel
	flagDlChannel
	flagStatus
)

// maxHistory bounds the samples an encoded State may hold.
const maxHistory = 64

// MarshalBinary encodes the state compactly: version, flags, TXPower,
// NbTrans, ADRHoldoff, the optional parts the flags name, then the history
// as a count, the first counter (4 bytes) and for each later sample the
// counter's increase (uvarint), each sample's SNR in quarter dB (one
// signed byte) and gateway count.
func (s *State) MarshalBinary() ([]byte, error) {
	return s.AppendBinary(make([]byte, 0, 16+3*len(s.History)))
}

// AppendBinary appends the encoding of MarshalBinary to dst.
func (s *State) AppendBinary(dst []byte) ([]byte, error) {
	if len(s.History) > maxHistory {
		return dst, fmt.Errorf("mac: state: %d history samples, at most %d", len(s.History), maxHistory)
	}
	var flags byte
	if s.ADR != nil {
		flags |= flagADR
	}
	if s.RXParam != nil {
		flags |= flagRXParam
	}
	if s.RXTiming != nil {
		flags |= flagRXTiming
	}
	if s.NewChannel != nil {
		flags |= flagNewChannel
	}
	if s.DlChannel != nil {
		flags |= flagDlChannel
	}
	if s.HaveStatus {
		flags |= flagStatus
	}
	dst = append(dst, stateVersion, flags, s.TXPower, s.NbTrans, s.ADRHoldoff)
	if a := s.ADR; a != nil {
		dst = append(dst, a.DR, a.TXPower, a.NbTrans)
		dst = binary.LittleEndian.AppendUint32(dst, a.SentFCnt)
	}
	if r := s.RXParam; r != nil {
		dst = append(dst, r.RX1DROffset, r.RX2DR)
		dst = binary.LittleEndian.AppendUint32(dst, r.RX2Frequency)
	}
	if s.RXTiming != nil {
		dst = append(dst, *s.RXTiming)
	}
	if c := s.NewChannel; c != nil {
		dst = appendChannel(dst, c)
	}
	if c := s.DlChannel; c != nil {
		dst = appendChannel(dst, c)
	}
	if s.HaveStatus {
		dst = append(dst, s.Battery, byte(s.Margin))
	}
	dst = append(dst, byte(len(s.History)))
	for i, h := range s.History {
		if i == 0 {
			dst = binary.LittleEndian.AppendUint32(dst, h.FCnt)
		} else {
			dst = binary.AppendUvarint(dst, uint64(h.FCnt-s.History[i-1].FCnt))
		}
		dst = append(dst, byte(quarterDB(h.MaxSNR)), h.GwCnt)
	}
	return dst, nil
}

func appendChannel(dst []byte, c *ChannelRequest) []byte {
	dst = append(dst, c.Index, c.MinDR, c.MaxDR)
	return binary.LittleEndian.AppendUint32(dst, c.Frequency)
}

// quarterDB rounds an SNR to quarter dB within the int8 range (−32..31.75 dB).
func quarterDB(snr float64) int8 {
	q := math.Round(snr * 4)
	switch {
	case math.IsNaN(q):
		return 0
	case q < math.MinInt8:
		return math.MinInt8
	case q > math.MaxInt8:
		return math.MaxInt8
	}
	return int8(q)
}

// errState is wrapped by every decoding error.
var errState = errors.New("mac: bad mac state")

// UnmarshalBinary decodes a State written by MarshalBinary. An empty input
// gives the state of a new session.
func (s *State) UnmarshalBinary(b []byte) error {
	*s = State{}
	if len(b) == 0 {
		s.NbTrans = 1
		return nil
	}
	r := reader{b: b}
	if v := r.byte(); v != stateVersion {
		return fmt.Errorf("%w: version %d", errState, v)
	}
	flags := r.byte()
	if flags&^(flagADR|flagRXParam|flagRXTiming|flagNewChannel|flagDlChannel|flagStatus) != 0 {
		return fmt.Errorf("%w: flags %#x", errState, flags)
	}
	s.TXPower, s.NbTrans, s.ADRHoldoff = r.byte(), r.byte(), r.byte()
	if flags&flagADR != 0 {
		s.ADR = &PendingADR{DR: r.byte(), TXPower: r.byte(), NbTrans: r.byte(), SentFCnt: r.uint32()}
	}
	if flags&flagRXParam != 0 {
		s.RXParam = &RXParamRequest{RX1DROffset: r.byte(), RX2DR: r.byte(), RX2Frequency: r.uint32()}
	}
	if flags&flagRXTiming != 0 {
		d := r.byte()
		s.RXTiming = &d
	}
	if flags&flagNewChannel != 0 {
		s.NewChannel = r.channel()
	}
	if flags&flagDlChannel != 0 {
		s.DlChannel = r.channel()
	}
	if flags&flagStatus != 0 {
		s.HaveStatus, s.Battery, s.Margin = true, r.byte(), int8(r.byte())
	}
	n := int(r.byte())
	if n > maxHistory {
		return fmt.Errorf("%w: %d history samples", errState, n)
	}
	if n > 0 {
		s.History = make([]Sample, n)
	}
	for i := range s.History {
		if i == 0 {
			s.History[i].FCnt = r.uint32()
		} else {
			s.History[i].FCnt = s.History[i-1].FCnt + uint32(r.uvarint())
		}
		s.History[i].MaxSNR = float64(int8(r.byte())) / 4
		s.History[i].GwCnt = r.byte()
	}
	if r.err {
		return fmt.Errorf("%w: truncated", errState)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("%w: %d bytes left over", errState, len(r.b))
	}
	if s.NbTrans == 0 || s.NbTrans > 15 {
		return fmt.Errorf("%w: nbtrans %d", errState, s.NbTrans)
	}
	return nil
}

// reader reads the encoding, remembering a truncation instead of failing
// at each field.
type reader struct {
	b   []byte
	err bool
}

func (r *reader) byte() byte {
	if len(r.b) < 1 {
		r.err = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) uint32() uint32 {
	if len(r.b) < 4 {
		r.err, r.b = true, nil
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 || v > math.MaxUint32 {
		r.err, r.b = true, nil
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) channel() *ChannelRequest {
	return &ChannelRequest{Index: r.byte(), MinDR: r.byte(), MaxDR: r.byte(), Frequency: r.uint32()}
}
