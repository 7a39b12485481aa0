package hal

import (
	"context"
	"errors"
	"fmt"
)

// Sentinel errors of every Concentrator. Implementations wrap them with
// context; test with errors.Is.
var (
	// ErrStopped is returned by Receive, Send, Counter and PPSLatch when the
	// concentrator is not running (never started, or stopped), and is the
	// Err of a TxDone for a frame that Stop prevented from being sent whole.
	ErrStopped = errors.New("hal: concentrator stopped")
	// ErrTooLate is returned by Send for a timestamped frame whose start
	// instant has already passed (beyond the implementation's small
	// margin): the frame can no longer leave on time.
	ErrTooLate = errors.New("hal: too late to transmit")
	// ErrBusy is returned by Send when the frame would overlap, in time, a
	// frame already queued or on the air, or when the TX queue is full.
	ErrBusy = errors.New("hal: transmitter busy")
	// ErrFreqOutOfRange is returned by Send for a frequency the TX chain may
	// not use (outside its TxFreqMin..TxFreqMax).
	ErrFreqOutOfRange = errors.New("hal: frequency out of range")
	// ErrInvalid is wrapped by every error about a Config or a TxPacket that
	// no concentrator could use (bad spreading factor, RF chain not enabled
	// for TX, empty payload, …).
	ErrInvalid = errors.New("hal: invalid")
)

// Concentrator is a LoRa gateway radio: an SX1301 or SX1302 board, or the
// simulator of hal/sim. Methods may be called from several goroutines.
type Concentrator interface {
	// Start configures the radios and IF chains and starts reception; the
	// 32-bit counter restarts. Starting a running concentrator is an
	// error: Stop it first.
	Start(ctx context.Context, cfg Config) error
	// Receive blocks until a frame has been received, ctx is done, or the
	// concentrator stops (ErrStopped). Frames with a bad CRC may be
	// delivered too, with CRC set to CRCBad, for the caller to count and
	// drop (Basics Station forwards only CRCOK frames).
	Receive(ctx context.Context) (RxPacket, error)
	// Send queues a frame for transmission, immediately or at the counter
	// value tx.CountUS, and returns once it is queued; completion is
	// reported on TxDone. It fails with ErrTooLate, ErrBusy,
	// ErrFreqOutOfRange, ErrInvalid or ErrStopped.
	Send(ctx context.Context, tx TxPacket) error
	// TxDone returns the channel on which each frame accepted by Send during
	// the current run is reported once, when it has left or was abandoned.
	// It is closed by Stop after the last report; before the first Start it
	// returns a closed channel.
	TxDone() <-chan TxDone
	// Counter returns the live 32-bit microsecond counter.
	Counter() (uint32, error)
	// PPSLatch returns the counter value latched at the last PPS pulse;
	// ok is false when no PPS pulse has been seen since Start.
	PPSLatch() (count uint32, ok bool, err error)
	// Stop ends the run: pending frames are reported with ErrStopped,
	// TxDone's channel is closed, blocked Receive calls return ErrStopped.
	// Stopping a stopped concentrator does nothing.
	Stop() error
}

// TxDone reports the end of one frame accepted by Send.
type TxDone struct {
	// ID is the TxPacket.ID of the frame.
	ID uint64
	// CountUS is the counter value at which emission began (meaningful when
	// Err is nil).
	CountUS uint32
	// Err is nil when the whole frame was sent, ErrStopped when Stop came
	// before it or cut it short.
	Err error
}

// Modulation is how a frame is modulated.
type Modulation uint8

// Modulations; the zero value is no modulation and is refused.
const (
	ModulationLoRa Modulation = 1 // LoRa chirp spread spectrum
	ModulationFSK  Modulation = 2 // (G)FSK
)

// String returns "LORA", "FSK" or "Modulation(n)".
func (m Modulation) String() string {
	switch m {
	case ModulationLoRa:
		return "LORA"
	case ModulationFSK:
		return "FSK"
	}
	return fmt.Sprintf("Modulation(%d)", uint8(m))
}

// CodeRate is the LoRa forward error correction rate 4/5..4/8, held as its
// denominator (5..8), the form lorawan.TimeOnAir takes.
type CodeRate uint8

// Coding rates; the zero value is no rate and is refused on LoRa frames.
const (
	CodeRate4_5 CodeRate = 5 // 4/5, the only rate LoRaWAN uses
	CodeRate4_6 CodeRate = 6 // 4/6
	CodeRate4_7 CodeRate = 7 // 4/7
	CodeRate4_8 CodeRate = 8 // 4/8
)

// Valid reports whether c is one of 4/5..4/8.
func (c CodeRate) Valid() bool { return c >= CodeRate4_5 && c <= CodeRate4_8 }

// String returns "4/5" … "4/8", or "CodeRate(n)".
func (c CodeRate) String() string {
	if c.Valid() {
		return fmt.Sprintf("4/%d", uint8(c))
	}
	return fmt.Sprintf("CodeRate(%d)", uint8(c))
}

// CRCStatus is the payload CRC check of a received frame.
type CRCStatus uint8

// CRC outcomes, as the HAL's STAT_NO_CRC, STAT_CRC_OK and STAT_CRC_BAD.
const (
	CRCNone CRCStatus = 0 // the frame carried no payload CRC (downlink-style)
	CRCOK   CRCStatus = 1 // CRC present and correct
	CRCBad  CRCStatus = 2 // CRC present and wrong: the payload is damaged
)

// String returns "none", "ok", "bad" or "CRCStatus(n)".
func (s CRCStatus) String() string {
	switch s {
	case CRCNone:
		return "none"
	case CRCOK:
		return "ok"
	case CRCBad:
		return "bad"
	}
	return fmt.Sprintf("CRCStatus(%d)", uint8(s))
}

// TxMode says when a frame is sent.
type TxMode uint8

// TX modes; the zero value is no mode and is refused, so that a forgotten
// field never sends a frame at once by accident.
const (
	TxImmediate   TxMode = 1 // as soon as possible
	TxTimestamped TxMode = 2 // when the counter reaches TxPacket.CountUS
)

// String returns "immediate", "timestamped" or "TxMode(n)".
func (m TxMode) String() string {
	switch m {
	case TxImmediate:
		return "immediate"
	case TxTimestamped:
		return "timestamped"
	}
	return fmt.Sprintf("TxMode(%d)", uint8(m))
}
