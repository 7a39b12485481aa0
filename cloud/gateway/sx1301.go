package gateway

import (
	"cmp"
	"errors"
	"fmt"
	"slices"

	"github.com/loraedge/loraedge/station"
)

// Limits of an SX1301 with two SX125x radios, as Semtech's HAL
// (lora_gateway, loragw_hal.c: LGW_RF_RX_BANDWIDTH_*) and Basics Station's
// channel allocator (src/ral.c: SX130X_RFE_MAXCOFF_*) state them: a channel
// of bandwidth bw may sit at most rxBandwidth(bw)/2 - bw/2 from its radio's
// centre frequency, i.e. ±400 kHz for 125 kHz channels (and FSK), ±375 kHz
// for 250 kHz, ±300 kHz for 500 kHz.
const (
	sx1301MultiSF = 8 // multi-SF LoRa demodulators (125 kHz)
	sx1301Radios  = 2
	fskDatarate   = 50000 // bit/s, the LoRaWAN FSK data rate
)

// maxIF returns the largest |IF offset| a channel of bandwidth bw (Hz) may
// have; FSK channels count as 125 kHz, as in Station's allocator.
func maxIF(bw uint32) (int32, error) {
	switch bw {
	case 125000:
		return 925000/2 - 125000/2, nil
	case 250000:
		return 1000000/2 - 250000/2, nil
	case 500000:
		return 1100000/2 - 500000/2, nil
	}
	return 0, fmt.Errorf("gateway: channel bandwidth %d Hz not supported by sx1301", bw)
}

// chanKind is the demodulator an uplink channel needs.
type chanKind uint8

const (
	kindMultiSF chanKind = iota // 125 kHz LoRa, any SF (the 8 multi-SF modems)
	kindLoRaStd                 // one LoRa SF at 125/250/500 kHz (the "LoRa std" modem)
	kindFSK                     // 50 kbit/s FSK
)

// upChannel is one uplink channel the concentrator must listen on.
type upChannel struct {
	Freq uint32 // centre frequency, Hz
	Kind chanKind
	BW   uint32 // LoRa bandwidth, Hz; 125000 for FSK
	SF   int    // spreading factor, kindLoRaStd only
}

// newSX130xConf returns a configuration with every radio and chain
// disabled. The allocation fills it in; it becomes element 0 of
// router_config's sx1301_conf array. Board settings (clksrc, radio types,
// tx_enable, rssi_offset) are left to the gateway's station.conf, which
// Station merges underneath; unused chains and radios are written disabled
// so that nothing station.conf enables survives.
func newSX130xConf() station.SX130xConf {
	var c station.SX130xConf
	for r := range c.Radios {
		c.Radios[r] = &station.RadioConf{}
	}
	for i := range c.MultiSF {
		c.MultiSF[i] = &station.IFChan{}
	}
	c.LoraStd = &station.IFChan{}
	c.FSK = &station.IFChan{}
	return c
}

// interval is a range of radio centre frequencies, in Hz.
type interval struct{ lo, hi int64 }

func (iv interval) empty() bool { return iv.lo > iv.hi }

// allocateSX1301 assigns the channels to the two radios and the IF chains of
// an SX1301: up to 8 multi-SF channels, one LoRa std and one FSK channel.
// Like Station's own allocator it fills radio 0 with as many of the lowest
// multi-SF channels as fit, the rest going to radio 1; the LoRa std and FSK
// channels then join whichever radio can still reach them. Each radio is
// tuned to the middle of its multi-SF channels, moved as little as needed to
// reach the others.
func allocateSX1301(chs []upChannel) (station.SX130xConf, error) {
	var multi []upChannel
	var std, fsk *upChannel
	for i := range chs {
		ch := chs[i]
		switch ch.Kind {
		case kindMultiSF:
			if ch.BW != 125000 {
				return station.SX130xConf{}, fmt.Errorf("gateway: multi-SF channel %d Hz must be 125 kHz, got %d Hz", ch.Freq, ch.BW)
			}
			multi = append(multi, ch)
		case kindLoRaStd:
			if std != nil {
				return station.SX130xConf{}, fmt.Errorf("gateway: sx1301 has one LoRa std modem; channels %d and %d Hz both need it", std.Freq, ch.Freq)
			}
			if ch.SF < 7 || ch.SF > 12 {
				return station.SX130xConf{}, fmt.Errorf("gateway: LoRa std channel %d Hz: spreading factor %d out of range", ch.Freq, ch.SF)
			}
			std = &ch
		case kindFSK:
			if fsk != nil {
				return station.SX130xConf{}, fmt.Errorf("gateway: sx1301 has one FSK modem; channels %d and %d Hz both need it", fsk.Freq, ch.Freq)
			}
			ch.BW = 125000
			fsk = &ch
		default:
			return station.SX130xConf{}, fmt.Errorf("gateway: channel %d Hz of unknown kind %d", ch.Freq, ch.Kind)
		}
	}
	if len(multi) > sx1301MultiSF {
		return station.SX130xConf{}, fmt.Errorf("gateway: %d multi-SF channels, an sx1301 has %d", len(multi), sx1301MultiSF)
	}
	if len(multi) == 0 && std == nil && fsk == nil {
		return station.SX130xConf{}, errors.New("gateway: no uplink channels to allocate")
	}
	slices.SortStableFunc(multi, func(a, b upChannel) int { return cmp.Compare(a.Freq, b.Freq) })

	// Radio of the std and FSK channels: -1 when there is none.
	stdChoices, fskChoices := []int{-1}, []int{-1}
	if std != nil {
		stdChoices = []int{0, 1}
	}
	if fsk != nil {
		fskChoices = []int{0, 1}
	}
	for k := len(multi); k >= 0; k-- {
		groups := [sx1301Radios][]upChannel{multi[:k], multi[k:]}
		for _, sr := range stdChoices {
			for _, fr := range fskChoices {
				var members [sx1301Radios][]upChannel
				for r := range sx1301Radios {
					members[r] = slices.Clone(groups[r])
					if sr == r {
						members[r] = append(members[r], *std)
					}
					if fr == r {
						members[r] = append(members[r], *fsk)
					}
				}
				conf, ok, err := layout(groups, members, std, sr, fsk, fr)
				if err != nil {
					return station.SX130xConf{}, err
				}
				if ok {
					return conf, nil
				}
			}
		}
	}
	return station.SX130xConf{}, errors.New("gateway: the channel plan does not fit two sx1301 radios (each spans at most 925 kHz)")
}

// layout tunes each radio for its members and fills the IF chains; ok is
// false when some radio cannot reach all its members.
func layout(groups, members [sx1301Radios][]upChannel, std *upChannel, stdRadio int, fsk *upChannel, fskRadio int) (station.SX130xConf, bool, error) {
	conf := newSX130xConf()
	var centres [sx1301Radios]int64
	if len(members[0]) == 0 {
		// Station transmits on RF chain 0 (ral_lgw.c), so radio 0 is
		// always in use.
		return station.SX130xConf{}, false, nil
	}
	for r := range sx1301Radios {
		if len(members[r]) == 0 {
			continue
		}
		iv := interval{lo: -1 << 62, hi: 1 << 62}
		for _, ch := range members[r] {
			lim, err := maxIF(ch.BW)
			if err != nil {
				return station.SX130xConf{}, false, err
			}
			iv.lo = max(iv.lo, int64(ch.Freq)-int64(lim))
			iv.hi = min(iv.hi, int64(ch.Freq)+int64(lim))
		}
		if iv.empty() {
			return station.SX130xConf{}, false, nil
		}
		// Aim at the middle of the multi-SF channels (or of all members).
		ref := groups[r]
		if len(ref) == 0 {
			ref = members[r]
		}
		lo, hi := int64(ref[0].Freq), int64(ref[0].Freq)
		for _, ch := range ref {
			lo, hi = min(lo, int64(ch.Freq)), max(hi, int64(ch.Freq))
		}
		centres[r] = min(max((lo+hi)/2, iv.lo), iv.hi)
		*conf.Radios[r] = station.RadioConf{Enable: true, Freq: uint32(centres[r])}
	}
	i := 0
	for r := range sx1301Radios {
		for _, ch := range groups[r] {
			*conf.MultiSF[i] = station.IFChan{Enable: true, Radio: r, IF: int32(int64(ch.Freq) - centres[r])}
			i++
		}
	}
	if std != nil {
		*conf.LoraStd = station.IFChan{Enable: true, Radio: stdRadio, IF: int32(int64(std.Freq) - centres[stdRadio]),
			Bandwidth: std.BW, SpreadFactor: std.SF}
	}
	if fsk != nil {
		*conf.FSK = station.IFChan{Enable: true, Radio: fskRadio, IF: int32(int64(fsk.Freq) - centres[fskRadio]), DataRate: fskDatarate}
	}
	return conf, true, nil
}

// CheckSX1301 verifies a radio configuration against the limits of an
// SX1301 with two SX125x radios as Station and Semtech's HAL apply them:
// radio 0 enabled (Station transmits on it), every enabled IF chain on an
// enabled radio and within its IF range (±400 kHz at 125 kHz and for FSK,
// ±375 kHz at 250 kHz, ±300 kHz at 500 kHz), the LoRa std chain with a
// spreading factor 7..12, and no two multi-SF chains on one frequency.
// Chains left out (nil) are not checked: station.conf decides them.
func CheckSX1301(c station.SX130xConf) error {
	if c.Radios[0] == nil || !c.Radios[0].Enable {
		return errors.New("gateway: radio_0 disabled; Station transmits on it")
	}
	enabled := func(r int) bool { return r >= 0 && r < sx1301Radios && c.Radios[r] != nil && c.Radios[r].Enable }
	check := func(name string, ch *station.IFChan, bw uint32) (uint32, error) {
		if ch == nil || !ch.Enable {
			return 0, nil
		}
		if !enabled(ch.Radio) {
			return 0, fmt.Errorf("gateway: %s on radio %d, which is not enabled", name, ch.Radio)
		}
		lim, err := maxIF(bw)
		if err != nil {
			return 0, fmt.Errorf("gateway: %s: %w", name, err)
		}
		if ch.IF > lim || ch.IF < -lim {
			return 0, fmt.Errorf("gateway: %s IF %d Hz beyond ±%d Hz", name, ch.IF, lim)
		}
		return uint32(int64(c.Radios[ch.Radio].Freq) + int64(ch.IF)), nil
	}
	seen := map[uint32]bool{}
	for i, ch := range c.MultiSF {
		f, err := check(fmt.Sprintf("chan_multiSF_%d", i), ch, 125000)
		if err != nil {
			return err
		}
		if ch != nil && ch.Enable {
			if seen[f] {
				return fmt.Errorf("gateway: two multi-SF chains on %d Hz", f)
			}
			seen[f] = true
		}
	}
	if c.LoraStd != nil && c.LoraStd.Enable {
		if _, err := check("chan_Lora_std", c.LoraStd, c.LoraStd.Bandwidth); err != nil {
			return err
		}
		if c.LoraStd.SpreadFactor < 7 || c.LoraStd.SpreadFactor > 12 {
			return fmt.Errorf("gateway: chan_Lora_std spreading factor %d outside 7..12", c.LoraStd.SpreadFactor)
		}
	}
	if _, err := check("chan_FSK", c.FSK, 125000); err != nil {
		return err
	}
	return nil
}
