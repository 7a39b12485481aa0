package hal

import (
	"errors"
	"fmt"
)

// Sizes of the SX1301/SX1302 channel plan: two RF chains (radio_0,
// radio_1), eight multi-SF LoRa IF chains, one single-SF LoRa chain and one
// FSK chain, numbered as the HAL numbers RxPacket.IFChain.
const (
	NumRFChains    = 2
	NumMultiSF     = 8
	IFChainLoRaStd = 8 // IF chain index of the single-SF ("LoRa standard") channel
	IFChainFSK     = 9 // IF chain index of the FSK channel
	NumIFChains    = 10
)

// Limits the HAL applies to a configuration (sx1302_hal loragw_hal.c:
// LGW_RF_RX_FREQ_MIN/MAX and the useful radio bandwidth
// LGW_RF_RX_BANDWIDTH_*, 1.6 MHz on SX1302; SX1301 boards are narrower, 925
// kHz to 1.1 MHz, and their driver checks that itself).
const (
	MinRadioFreq        = 100_000_000
	MaxRadioFreq        = 1_000_000_000
	RadioRxBandwidthMax = 1_600_000
)

// Config is the radio configuration of one concentrator: the channel plan
// that router_config's sx1301_conf (or SX1302_conf) carries, merged with the
// board settings of station.conf.
type Config struct {
	// PrivateSyncWord selects the private LoRa sync word (0x12) instead of
	// LoRaWAN's public one (0x34); station.conf "lorawan_public": false.
	PrivateSyncWord bool
	// ClockSource is the RF chain that clocks the concentrator ("clksrc").
	ClockSource int
	// Radios are the RF chains, "radio_0" and "radio_1".
	Radios [NumRFChains]RFChain
	// MultiSF are the multi-SF LoRa channels "chan_multiSF_0".."_7"
	// (125 kHz, any of SF7..SF12), IF chains 0..7.
	MultiSF [NumMultiSF]IFChain
	// LoRaStd is the single-SF LoRa channel "chan_Lora_std", IF chain 8.
	LoRaStd IFChain
	// FSK is the FSK channel "chan_FSK", IF chain 9.
	FSK IFChain
}

// RFChain configures one radio.
type RFChain struct {
	// Enable turns the radio on; a disabled radio neither receives nor
	// sends.
	Enable bool
	// Freq is the centre frequency of the radio in Hz; IF chains are
	// placed relative to it.
	Freq uint32
	// Type names the radio chip ("SX1255", "SX1257", "SX1250", …); drivers
	// use it to pick calibration, the simulator ignores it.
	Type string
	// RSSIOffset (dB) calibrates the RSSI the radio reports.
	RSSIOffset float32
	// TxEnable allows transmission on this radio.
	TxEnable bool
	// TxFreqMin and TxFreqMax bound the frequencies (Hz) this radio may
	// transmit on; 0 leaves that side unchecked.
	TxFreqMin, TxFreqMax uint32
}

// IFChain configures one demodulator channel.
type IFChain struct {
	// Enable turns the channel on.
	Enable bool
	// RFChain is the radio the channel listens through (0 or 1).
	RFChain int
	// IF is the channel's offset in Hz from its radio's centre frequency.
	IF int32
	// Bandwidth in Hz: 125000, 250000 or 500000 for the LoRa standard
	// channel; 0 or 125000 for multi-SF channels (always 125 kHz); for
	// FSK the receive bandwidth, 0 letting the driver choose.
	Bandwidth uint32
	// SpreadingFactor (7..12) of the LoRa standard channel; unused
	// elsewhere.
	SpreadingFactor int
	// DataRate is the FSK bit rate in bit/s (500..250000); unused
	// elsewhere.
	DataRate uint32
}

// Bandwidths LoRa channels use, in Hz.
const (
	BW125 = 125_000
	BW250 = 250_000
	BW500 = 500_000
)

// IFChain returns IF chain i (0..9) in the HAL's numbering; ok is false
// outside that range.
func (c *Config) IFChain(i int) (ch IFChain, ok bool) {
	switch {
	case i >= 0 && i < NumMultiSF:
		return c.MultiSF[i], true
	case i == IFChainLoRaStd:
		return c.LoRaStd, true
	case i == IFChainFSK:
		return c.FSK, true
	}
	return IFChain{}, false
}

// ChannelFreq returns the absolute frequency in Hz of IF chain i, or 0 if
// the chain or its radio is disabled.
func (c *Config) ChannelFreq(i int) uint32 {
	ch, ok := c.IFChain(i)
	if !ok || !ch.Enable || ch.RFChain < 0 || ch.RFChain >= NumRFChains || !c.Radios[ch.RFChain].Enable {
		return 0
	}
	return uint32(int64(c.Radios[ch.RFChain].Freq) + int64(ch.IF))
}

// Validate checks what every concentrator needs from a configuration: at
// least one enabled radio, radio frequencies in 100 MHz..1 GHz, enabled IF
// chains on enabled radios within the radio's useful bandwidth, valid
// bandwidths, spreading factor and bit rate. Errors wrap ErrInvalid.
func (c *Config) Validate() error {
	var errs []error
	enabled := false
	for i, r := range c.Radios {
		if !r.Enable {
			if r.TxEnable {
				errs = append(errs, fmt.Errorf("radio_%d: tx enabled on a disabled radio", i))
			}
			continue
		}
		enabled = true
		if r.Freq < MinRadioFreq || r.Freq > MaxRadioFreq {
			errs = append(errs, fmt.Errorf("radio_%d: frequency %d Hz outside %d..%d", i, r.Freq, MinRadioFreq, MaxRadioFreq))
		}
		if r.TxFreqMin != 0 && r.TxFreqMax != 0 && r.TxFreqMin > r.TxFreqMax {
			errs = append(errs, fmt.Errorf("radio_%d: tx frequency range %d..%d is empty", i, r.TxFreqMin, r.TxFreqMax))
		}
	}
	if !enabled {
		errs = append(errs, errors.New("no radio enabled"))
	}
	if c.ClockSource < 0 || c.ClockSource >= NumRFChains {
		errs = append(errs, fmt.Errorf("clock source %d is not a radio", c.ClockSource))
	}
	for i := 0; i < NumIFChains; i++ {
		ch, _ := c.IFChain(i)
		if ch.Enable {
			if err := c.checkIFChain(i, ch); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: config: %w", ErrInvalid, err)
	}
	return nil
}

// checkIFChain validates one enabled IF chain.
func (c *Config) checkIFChain(i int, ch IFChain) error {
	name := ifChainName(i)
	if ch.RFChain < 0 || ch.RFChain >= NumRFChains {
		return fmt.Errorf("%s: radio %d does not exist", name, ch.RFChain)
	}
	if !c.Radios[ch.RFChain].Enable {
		return fmt.Errorf("%s: radio %d is disabled", name, ch.RFChain)
	}
	bw := ch.Bandwidth
	switch i {
	case IFChainLoRaStd:
		if bw != BW125 && bw != BW250 && bw != BW500 {
			return fmt.Errorf("%s: bandwidth %d Hz, want 125000, 250000 or 500000", name, bw)
		}
		if ch.SpreadingFactor < 7 || ch.SpreadingFactor > 12 {
			return fmt.Errorf("%s: spreading factor %d outside 7..12", name, ch.SpreadingFactor)
		}
	case IFChainFSK:
		if ch.DataRate < 500 || ch.DataRate > 250_000 {
			return fmt.Errorf("%s: bit rate %d outside 500..250000", name, ch.DataRate)
		}
	default:
		if bw != 0 && bw != BW125 {
			return fmt.Errorf("%s: bandwidth %d Hz, multi-SF channels are 125000", name, bw)
		}
		bw = BW125
	}
	// |IF| + BW/2 must fit in half the radio's useful bandwidth.
	off := int64(ch.IF)
	if off < 0 {
		off = -off
	}
	if limit := int64(RadioRxBandwidthMax/2) - int64(bw/2); off > limit {
		return fmt.Errorf("%s: if offset %d Hz beyond ±%d Hz", name, ch.IF, limit)
	}
	return nil
}

// ifChainName is the station.conf key of IF chain i.
func ifChainName(i int) string {
	switch i {
	case IFChainLoRaStd:
		return "chan_Lora_std"
	case IFChainFSK:
		return "chan_FSK"
	}
	return fmt.Sprintf("chan_multiSF_%d", i)
}
