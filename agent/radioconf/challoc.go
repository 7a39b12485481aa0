package radioconf

import (
	"math"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

// Channel allocation from router_config's upchannels, as Station does it
// (handle_router_config builds the channel list, ral_challoc in src/ral.c
// fills the SX1301's chains). Only the first concentrator (chip 0) exists
// here; channels that do not fit on it are not received, as on a
// one-chip Station.

// maxUpChannels bounds the channel list (MAX_UPCHNLS for 8 chips).
const maxUpChannels = 80

// Largest distance of a channel's centre from its radio's centre, by
// bandwidth (SX130X_RFE_MAXCOFF_*).
const (
	maxCoff125 = (925_000 - 125_000) / 2
	maxCoff250 = (1_000_000 - 250_000) / 2
	maxCoff500 = (1_100_000 - 500_000) / 2
)

// chanKind is the demodulator an uplink channel needs.
type chanKind uint8

const (
	kindNone    chanKind = iota // no usable data rate
	kindMultiSF                 // 125 kHz LoRa: a multi-SF chain
	kindFast                    // 250/500 kHz LoRa: the LoRa std chain
	kindFSK                     // FSK: the FSK chain
)

// upChan is one entry of Station's channel list.
type upChan struct {
	freq uint32
	kind chanKind
	bw   uint32 // fast LoRa bandwidth, Hz
	sf   int    // fast LoRa spreading factor
}

// upChannelDefs builds Station's channel list: the upchannels sorted by
// frequency, each turned into a multi-SF channel when one of its data
// rates is 125 kHz LoRa, plus (in its own slot, or an added one) the fast
// LoRa and FSK modems its other data rates need.
func upChannelDefs(ups []station.UpChannel, drs *[NumDRs]DR) []upChan {
	type slot struct {
		freq         uint32
		minDR, maxDR int
	}
	var sorted []slot
	for _, u := range ups {
		if len(sorted) >= maxUpChannels {
			break
		}
		i := len(sorted)
		for i > 0 && sorted[i-1].freq > u.Freq {
			i--
		}
		sorted = append(sorted, slot{})
		copy(sorted[i+1:], sorted[i:])
		sorted[i] = slot{u.Freq, u.MinDR, u.MaxDR}
	}
	out := make([]upChan, len(sorted))
	for i, s := range sorted {
		out[i].freq = s.freq
	}
	for i, s := range sorted {
		if s.freq == 0 {
			break
		}
		rates := func(yield func(DR) bool) {
			for dr := s.minDR; dr <= s.maxDR && dr < NumDRs; dr++ {
				if dr >= 0 && drs[dr].Defined && !yield(drs[dr]) {
					return
				}
			}
		}
		for d := range rates {
			if !d.FSK && d.BW == hal.BW125 {
				out[i].kind = kindMultiSF
				break
			}
		}
		place := func(c upChan) {
			if out[i].kind == kindNone {
				out[i] = c
			} else if len(out) < maxUpChannels {
				out = append(out, c)
			}
		}
		for d := range rates {
			if !d.FSK && (d.BW == hal.BW250 || d.BW == hal.BW500) {
				place(upChan{freq: s.freq, kind: kindFast, bw: d.BW, sf: d.SF})
				break
			}
		}
		for d := range rates {
			if d.FSK && !d.DnOnly {
				place(upChan{freq: s.freq, kind: kindFSK})
				break
			}
		}
	}
	return out
}

// allocChannels assigns the channel list to chip 0's two radios and ten IF
// chains (ral_challoc and sx130xconf_challoc_cb): up to eight multi-SF
// channels within 800 kHz per radio, then one FSK and one fast LoRa channel
// if they fit next to them. Radios used are enabled and centred on their
// channels; allocated chains replace what sx1301_conf said, others stay.
func allocChannels(cfg *hal.Config, chans []upChan) {
	type span struct{ lo, hi uint32 }
	spans := [hal.NumRFChains]span{{math.MaxInt32, 0}, {math.MaxInt32, 0}}
	abs := map[int]uint32{} // IF chain → absolute frequency
	alloc := func(rf int, radioFreq uint32, chain int, ch hal.IFChain, freq uint32) {
		cfg.Radios[rf].Freq = radioFreq
		cfg.Radios[rf].Enable = true
		ch.Enable = true
		ch.RFChain = rf
		setIF(cfg, chain, ch)
		abs[chain] = freq
	}
	grow := func(s *span, f uint32) {
		s.lo = min(s.lo, f)
		s.hi = max(s.hi, f)
	}

	modem := 0
	for _, c := range chans {
		if modem >= hal.NumMultiSF {
			break
		}
		if c.freq == 0 || c.kind != kindMultiSF {
			continue
		}
		placed := false
		for rf := range spans {
			s := &spans[rf]
			if s.hi == 0 || (c.freq-s.lo)/2 <= maxCoff125 {
				grow(s, c.freq)
				alloc(rf, (s.lo+s.hi)/2, modem, hal.IFChain{Bandwidth: hal.BW125}, c.freq)
				modem++
				placed = true
				break
			}
		}
		if !placed {
			break
		}
	}

	for _, c := range chans {
		if c.freq == 0 || c.kind != kindFSK {
			continue
		}
		for rf := range spans {
			s := &spans[rf]
			if s.hi == 0 || c.freq >= s.hi-2*maxCoff125 && c.freq <= s.lo+2*maxCoff125 {
				grow(s, c.freq)
				alloc(rf, (s.lo+s.hi)/2, hal.IFChainFSK, hal.IFChain{DataRate: fskBitRate}, c.freq)
				modem++
				break
			}
		}
		break // one FSK channel per chip, placed or not
	}

	for _, c := range chans {
		if c.freq == 0 || c.kind != kindFast {
			continue
		}
		coff := uint32(maxCoff500)
		if c.bw == hal.BW250 {
			coff = maxCoff250
		}
		for rf := range spans {
			s := &spans[rf]
			if s.hi == 0 {
				grow(s, c.freq)
				alloc(rf, c.freq, hal.IFChainLoRaStd, hal.IFChain{Bandwidth: c.bw, SpreadingFactor: c.sf}, c.freq)
				modem++
				break
			}
			cmin, cmax := s.hi-maxCoff125, s.lo+maxCoff125
			if c.freq >= cmin-coff && c.freq <= cmax+coff {
				grow(s, c.freq)
				centre := (max(cmin, c.freq-coff) + min(cmax, c.freq+coff)) / 2
				alloc(rf, centre, hal.IFChainLoRaStd, hal.IFChain{Bandwidth: c.bw, SpreadingFactor: c.sf}, c.freq)
				modem++
				break
			}
		}
		break // one fast LoRa channel per chip
	}

	if modem == 0 {
		return
	}
	// Absolute frequencies become offsets from the radios' final centres.
	for chain, f := range abs {
		ch, _ := cfg.IFChain(chain)
		ch.IF = int32(int64(f) - int64(cfg.Radios[ch.RFChain].Freq))
		setIF(cfg, chain, ch)
	}
}

// setIF writes IF chain i (the HAL's numbering) of cfg.
func setIF(cfg *hal.Config, i int, ch hal.IFChain) {
	switch {
	case i >= 0 && i < hal.NumMultiSF:
		cfg.MultiSF[i] = ch
	case i == hal.IFChainLoRaStd:
		cfg.LoRaStd = ch
	case i == hal.IFChainFSK:
		cfg.FSK = ch
	}
}
