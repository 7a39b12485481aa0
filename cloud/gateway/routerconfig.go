package gateway

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// RouterConfigOptions are the network-wide parts of a router_config.
type RouterConfigOptions struct {
	// NetIDs whose data frames gateways forward; empty forwards all.
	NetIDs []lorawan.NetID
	// JoinEUIs ranges whose join-requests gateways forward; empty forwards all.
	JoinEUIs []JoinEUIRange
}

// DefaultSubBand is the sub-band of a US915/AU915 gateway whose record
// names none: sub-band 2, the one most networks use.
const DefaultSubBand = 2

func (s *Server) routerConfigOptions() RouterConfigOptions {
	return RouterConfigOptions{NetIDs: s.opts.NetIDs, JoinEUIs: s.opts.JoinEUIs}
}

// BuildRouterConfig returns the router_config for a gateway: its region as
// Station names it, hwspec sx1301/1, the region's frequency range and data
// rates, the radio layout computed from the region's uplink channels (for
// US915 and AU915 those of the gateway's sub-band), the highest EIRP the
// region allows a gateway, and the NetID and JoinEUI filters. MuxTime is
// left for the sender to stamp.
func BuildRouterConfig(info GatewayInfo, opts RouterConfigOptions) (*station.RouterConfig, error) {
	region, err := lorawan.RegionByName(info.Region)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", info.EUI, err)
	}
	if _, ok := station.CanonicalRegion(region.StationName()); !ok {
		return nil, fmt.Errorf("gateway %s: region %s has no Basics Station name (%q)", info.EUI, region.Name(), region.StationName())
	}
	chans, err := regionChannels(region, info.SubBand)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", info.EUI, err)
	}
	ups, err := upChannels(region, chans)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: %w", info.EUI, err)
	}
	conf, err := allocateSX1301(ups)
	if err != nil {
		return nil, fmt.Errorf("gateway %s: region %s: %w", info.EUI, region.Name(), err)
	}
	if err := CheckSX1301(conf); err != nil {
		return nil, fmt.Errorf("gateway %s: region %s: %w", info.EUI, region.Name(), err)
	}
	lo, hi := region.FrequencyRange()
	eirp := float64(maxDownlinkEIRP(region, chans))
	rc := &station.RouterConfig{
		Region:     region.StationName(),
		HWSpec:     station.HWSpecSX1301,
		FreqRange:  [2]uint32{lo, hi},
		DRs:        dataRates(region),
		MaxEIRP:    &eirp,
		SX130xConf: []station.SX130xConf{conf},
	}
	for _, n := range opts.NetIDs {
		rc.NetIDs = append(rc.NetIDs, netIDFilterValue(n))
	}
	if len(rc.NetIDs) > 1 {
		slices.SortFunc(rc.NetIDs, func(a, b lorawan.NetID) int { return int(a[2]) - int(b[2]) })
		rc.NetIDs = slices.Compact(rc.NetIDs)
	}
	rc.JoinEUIs = joinEUIFilter(opts.JoinEUIs)
	return rc, nil
}

// maxJoinEUIRanges is Station's MAX_JOINEUI_RANGES (src/s2conf.h, 10 by
// default). Station 2.0.6 fails to parse a router_config with more JoinEui
// ranges ("Too many Join EUI filter ranges - max 10 supported", then
// "Expecting a closing ]"), ignores the whole message and is left without
// a channel plan.
const maxJoinEUIRanges = 10

// joinEUIFilter returns the router_config JoinEui ranges for rs: sorted,
// with ranges that overlap or touch merged (a reversed range is read as
// its reverse). It returns nil, which makes Station forward every
// join-request (the cloud still checks each one), when rs is empty, when a
// range starts at JoinEUI 0 (Station ends its list at a range whose first
// EUI is 0, src/lora.c) or when more than maxJoinEUIRanges ranges remain:
// a filter Station cannot take whole would cost the joins of some ranges.
func joinEUIFilter(rs []JoinEUIRange) []station.JoinEUIRange {
	type span struct{ lo, hi uint64 }
	spans := make([]span, 0, len(rs))
	for _, r := range rs {
		lo, hi := binary.BigEndian.Uint64(r.First[:]), binary.BigEndian.Uint64(r.Last[:])
		if lo > hi {
			lo, hi = hi, lo
		}
		if lo == 0 {
			return nil
		}
		spans = append(spans, span{lo, hi})
	}
	slices.SortFunc(spans, func(a, b span) int { return cmp.Compare(a.lo, b.lo) })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && (merged[n-1].hi == math.MaxUint64 || s.lo <= merged[n-1].hi+1) {
			merged[n-1].hi = max(merged[n-1].hi, s.hi)
			continue
		}
		merged = append(merged, s)
	}
	if len(merged) == 0 || len(merged) > maxJoinEUIRanges {
		return nil
	}
	out := make([]station.JoinEUIRange, len(merged))
	for i, s := range merged {
		binary.BigEndian.PutUint64(out[i].Min[:], s.lo)
		binary.BigEndian.PutUint64(out[i].Max[:], s.hi)
	}
	return out
}

// regionChannels returns the uplink channels a gateway of the region
// listens on: every channel of a dynamic plan (defaults and the CFList
// extras), or the nine channels of the gateway's sub-band in a fixed plan.
func regionChannels(r *lorawan.Region, subBand int) ([]lorawan.Channel, error) {
	if !r.FixedChannelPlan() {
		if subBand != 0 {
			return nil, fmt.Errorf("region %s has no sub-bands (sub-band %d)", r.Name(), subBand)
		}
		return r.UplinkChannels(), nil
	}
	if subBand == 0 {
		subBand = DefaultSubBand
	}
	return r.UplinkChannelsForSubBand(subBand)
}

// upChannels turns the region's channels into the demodulators they need:
// a multi-SF chain for a channel with 125 kHz LoRa rates, the LoRa std chain
// for a faster LoRa rate (250 or 500 kHz), the FSK chain for FSK.
func upChannels(r *lorawan.Region, chans []lorawan.Channel) ([]upChannel, error) {
	drs := r.DataRates()
	var out []upChannel
	for _, ch := range chans {
		var multiSF, fsk bool
		var std *upChannel
		for dr := ch.MinDR; dr <= ch.MaxDR; dr++ {
			if dr < 0 || dr >= len(drs) {
				return nil, fmt.Errorf("channel %d Hz: data rate %d outside the table", ch.Frequency, dr)
			}
			d := drs[dr]
			switch {
			case !d.Uplink || !d.Usable():
			case d.Modulation == lorawan.ModulationFSK:
				fsk = true
			case d.Bandwidth == 125000:
				multiSF = true
			case std == nil:
				std = &upChannel{Freq: ch.Frequency, Kind: kindLoRaStd, BW: d.Bandwidth, SF: d.SpreadingFactor}
			default:
				return nil, fmt.Errorf("channel %d Hz needs two single-SF LoRa modems (%s and SF%dBW%d)", ch.Frequency, d, std.SF, std.BW/1000)
			}
		}
		if multiSF {
			out = append(out, upChannel{Freq: ch.Frequency, Kind: kindMultiSF, BW: 125000})
		}
		if std != nil {
			out = append(out, *std)
		}
		if fsk {
			out = append(out, upChannel{Freq: ch.Frequency, Kind: kindFSK, BW: 125000})
		}
	}
	return out, nil
}

// dataRates writes the region's 16 data rates as Station's DRs triples:
// [SF, BW kHz, dnonly] for LoRa, [0, 0, 0] for FSK and [-1, 0, 0] for what
// Station cannot use (undefined, LR-FHSS).
func dataRates(r *lorawan.Region) []station.DRDef {
	drs := r.DataRates()
	out := make([]station.DRDef, len(drs))
	for i, d := range drs {
		switch d.Modulation {
		case lorawan.ModulationLoRa:
			out[i] = station.DRDef{SF: d.SpreadingFactor, BW: int(d.Bandwidth / 1000), DnOnly: d.Downlink && !d.Uplink}
		case lorawan.ModulationFSK:
			out[i] = station.DRDef{SF: 0, BW: 0, DnOnly: d.Downlink && !d.Uplink}
		default:
			out[i] = station.DRDef{SF: -1}
		}
	}
	return out
}

// maxDownlinkEIRP is the highest EIRP the region allows a gateway on any of
// its downlink frequencies (EU868: 27 dBm in 869.4–869.65 MHz, where RX2
// lies). Station only lowers its own limits to max_eirp, and lowers its
// high-power band limit too, so a lower value would cut RX2 power.
func maxDownlinkEIRP(r *lorawan.Region, chans []lorawan.Channel) float32 {
	lo, hi := r.FrequencyRange()
	best := max(r.DownlinkEIRP(lo), r.DownlinkEIRP(hi), r.DownlinkEIRP(r.RX2Frequency()))
	for _, ch := range chans {
		if f, err := r.RX1Frequency(ch.Frequency); err == nil {
			best = max(best, r.DownlinkEIRP(f))
		}
	}
	return best
}

// netIDBits is the NwkID length of each NetID type (LoRaWAN Backend
// Interfaces, DevAddr assignment): the DevAddr of NetID type t starts with t
// ones and a zero, then the NwkID.
var netIDBits = [8]uint{6, 6, 9, 11, 12, 13, 15, 17}

// netIDFilterValue returns the value to put in router_config's NetID list
// for a network: Station keeps a data frame when the top 7 bits of its
// DevAddr equal one of the list's values (src/lora.c), which for a type-0
// NetID is the NetID itself and for the other types the type prefix and the
// leading NwkID bits. Every DevAddr of the network passes.
func netIDFilterValue(n lorawan.NetID) lorawan.NetID {
	v := uint32(n[0])<<16 | uint32(n[1])<<8 | uint32(n[2])
	typ := uint(v >> 21)
	idBits := netIDBits[typ]
	nwkID := v & (1<<idBits - 1)
	prefix := uint32(1)<<(typ+1) - 2 // typ ones then a zero
	width := typ + 1 + idBits        // at least 7
	top7 := (prefix<<idBits | nwkID) >> (width - 7)
	return lorawan.NetID{0, 0, byte(top7)}
}
