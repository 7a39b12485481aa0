package hal

import (
	"fmt"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// MaxPayload is the largest frame a LoRa or FSK radio carries (its length
// field is one byte).
const MaxPayload = 255

// Preamble lengths the HAL uses when a frame asks for none (STD_LORA_PREAMBLE,
// STD_FSK_PREAMBLE) and the shortest LoRa preamble it accepts
// (MIN_LORA_PREAMBLE).
const (
	DefaultLoRaPreamble = 8 // symbols
	MinLoRaPreamble     = 6 // symbols
	DefaultFSKPreamble  = 5 // bytes
)

// RxPacket is one received frame with its radio metadata.
type RxPacket struct {
	// Payload is the PHYPayload as received (damaged when CRC is CRCBad).
	Payload []byte
	// Freq is the channel's centre frequency in Hz.
	Freq uint32
	// IFChain is the demodulator channel: 0..7 multi-SF, 8 LoRa standard,
	// 9 FSK (IFChainLoRaStd, IFChainFSK).
	IFChain int
	// RFChain is the radio that received the frame.
	RFChain int
	// Modulation, SpreadingFactor (LoRa, 7..12), Bandwidth (LoRa, Hz),
	// CodeRate (LoRa) and DataRate (FSK bit/s) describe the modulation.
	Modulation      Modulation
	SpreadingFactor int
	Bandwidth       uint32
	CodeRate        CodeRate
	DataRate        uint32
	// RSSI is the received signal strength in dBm, calibrated with the
	// radio's RSSI offset.
	RSSI float32
	// SNR is the LoRa signal-to-noise ratio in dB (0 for FSK).
	SNR float32
	// CRC is the outcome of the payload CRC check.
	CRC CRCStatus
	// CountUS is the 32-bit microsecond counter at the end of the frame.
	CountUS uint32
}

// TxPacket is one frame to send.
type TxPacket struct {
	// ID is the caller's tag, returned in the frame's TxDone (Basics
	// Station's diid, for instance).
	ID uint64
	// Mode says when to send: TxImmediate or TxTimestamped.
	Mode TxMode
	// CountUS is the counter value at which the frame starts
	// (TxTimestamped only).
	CountUS uint32
	// Freq is the centre frequency in Hz.
	Freq uint32
	// RFChain is the radio to send with (its TxEnable must be set).
	RFChain int
	// Power is the RF output power in dBm.
	Power int8
	// Modulation, SpreadingFactor (LoRa 7..12), Bandwidth (LoRa, Hz),
	// CodeRate (LoRa), DataRate (FSK bit/s) and FreqDeviation (FSK, Hz)
	// describe the modulation.
	Modulation      Modulation
	SpreadingFactor int
	Bandwidth       uint32
	CodeRate        CodeRate
	DataRate        uint32
	FreqDeviation   uint32
	// InvertPol inverts the LoRa chirps (I/Q), as every LoRaWAN downlink
	// except class B beacons does.
	InvertPol bool
	// Preamble is the preamble length in symbols (LoRa) or bytes (FSK); 0
	// means the default (8 symbols, 5 bytes).
	Preamble int
	// NoCRC leaves out the payload CRC (LoRaWAN downlinks carry none).
	NoCRC bool
	// NoHeader sends with an implicit header (class B beacons).
	NoHeader bool
	// Payload is the PHYPayload, 1..255 bytes.
	Payload []byte
}

// PreambleLength returns the preamble the frame is sent with: Preamble, or
// the default when it is 0.
func (p *TxPacket) PreambleLength() int {
	if p.Preamble != 0 {
		return p.Preamble
	}
	if p.Modulation == ModulationFSK {
		return DefaultFSKPreamble
	}
	return DefaultLoRaPreamble
}

// Validate checks the frame for what any concentrator needs, regardless of
// its configuration (see Config.CheckTx for that). Errors wrap ErrInvalid.
func (p *TxPacket) Validate() error {
	if err := p.validate(); err != nil {
		return fmt.Errorf("%w: tx: %w", ErrInvalid, err)
	}
	return nil
}

func (p *TxPacket) validate() error {
	if p.Mode != TxImmediate && p.Mode != TxTimestamped {
		return fmt.Errorf("mode %s", p.Mode)
	}
	if n := len(p.Payload); n == 0 || n > MaxPayload {
		return fmt.Errorf("payload of %d bytes, want 1..%d", n, MaxPayload)
	}
	if p.RFChain < 0 || p.RFChain >= NumRFChains {
		return fmt.Errorf("rf chain %d does not exist", p.RFChain)
	}
	if p.Preamble < 0 || p.Preamble > 0xffff {
		return fmt.Errorf("preamble %d outside 0..65535", p.Preamble)
	}
	switch p.Modulation {
	case ModulationLoRa:
		if p.SpreadingFactor < 7 || p.SpreadingFactor > 12 {
			return fmt.Errorf("spreading factor %d outside 7..12", p.SpreadingFactor)
		}
		if p.Bandwidth != BW125 && p.Bandwidth != BW250 && p.Bandwidth != BW500 {
			return fmt.Errorf("bandwidth %d Hz, want 125000, 250000 or 500000", p.Bandwidth)
		}
		if !p.CodeRate.Valid() {
			return fmt.Errorf("code rate %s", p.CodeRate)
		}
		if p.Preamble != 0 && p.Preamble < MinLoRaPreamble {
			return fmt.Errorf("preamble of %d symbols, at least %d", p.Preamble, MinLoRaPreamble)
		}
	case ModulationFSK:
		if p.DataRate < 500 || p.DataRate > 250_000 {
			return fmt.Errorf("fsk bit rate %d outside 500..250000", p.DataRate)
		}
	default:
		return fmt.Errorf("modulation %s", p.Modulation)
	}
	return nil
}

// AirTime returns how long the frame stays on air (LoRa: the Semtech
// formula with the frame's preamble, header and CRC settings; FSK: the
// LoRaWAN FSK framing). An invalid frame gives 0.
func (p *TxPacket) AirTime() time.Duration {
	if p.validate() != nil {
		return 0
	}
	if p.Modulation == ModulationFSK {
		return lorawan.FSKTimeOnAir(len(p.Payload), p.DataRate)
	}
	return lorawan.TimeOnAir(len(p.Payload), p.SpreadingFactor, p.Bandwidth, int(p.CodeRate),
		p.PreambleLength(), !p.NoHeader, !p.NoCRC)
}

// CheckTx checks a valid frame against the configuration: its radio must
// be enabled with TxEnable (else an error wrapping ErrInvalid) and its
// frequency inside 100 MHz..1 GHz and the radio's TxFreqMin..TxFreqMax
// (else ErrFreqOutOfRange).
func (c *Config) CheckTx(p *TxPacket) error {
	if p.RFChain < 0 || p.RFChain >= NumRFChains {
		return fmt.Errorf("%w: tx: rf chain %d does not exist", ErrInvalid, p.RFChain)
	}
	r := c.Radios[p.RFChain]
	if !r.Enable || !r.TxEnable {
		return fmt.Errorf("%w: tx: radio_%d is not enabled for transmission", ErrInvalid, p.RFChain)
	}
	if p.Freq < MinRadioFreq || p.Freq > MaxRadioFreq {
		return fmt.Errorf("%w: %d Hz outside %d..%d", ErrFreqOutOfRange, p.Freq, MinRadioFreq, MaxRadioFreq)
	}
	if r.TxFreqMin != 0 && p.Freq < r.TxFreqMin || r.TxFreqMax != 0 && p.Freq > r.TxFreqMax {
		return fmt.Errorf("%w: %d Hz outside %d..%d on radio_%d", ErrFreqOutOfRange, p.Freq, r.TxFreqMin, r.TxFreqMax, p.RFChain)
	}
	return nil
}
