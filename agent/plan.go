package agent

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/loraedge/loraedge/agent/radioconf"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

// Duty-cycle bands of EU868 (freq2band in src/s2e.c) and their rates:
// a transmission of airtime T blocks its band for T×rate.
const (
	dcDeci  = iota // 869.4–869.65 MHz, 10 %
	dcCenti        // 868.0–868.6, 869.7–870.0 MHz, 1 %
	dcMilli        // elsewhere, 0.1 %
	dcBands
)

var dcBandRate = [dcBands]int64{dcDeci: 10, dcCenti: 100, dcMilli: 1000}

func eu868Band(freq uint32) int {
	switch {
	case freq >= 869_400_000 && freq <= 869_650_000:
		return dcDeci
	case freq >= 868_000_000 && freq <= 868_600_000, freq >= 869_700_000 && freq <= 870_000_000:
		return dcCenti
	}
	return dcMilli
}

// dcKind is how a region limits the gateway's transmissions.
type dcKind uint8

const (
	dcNone    dcKind = iota // US915, AU915, IL915 (Station checks nothing)
	dcEU868                 // per band
	dcPerChan               // KR920, AS923-1: per downlink frequency
)

// plan is what a router_config tells the agent, kept until the next one:
// uplink data rates and filters for received frames, and the downlink
// limits. The duty-cycle state lives here too, since Station resets it at
// each router_config.
type plan struct {
	region   string // Station's canonical name; "" when not recognised
	drs      [radioconf.NumDRs]radioconf.DR
	freqMin  uint32
	freqMax  uint32
	txpow    float64 // dBm EIRP
	txpow2   float64 // dBm EIRP inside [txpow2Lo, txpow2Hi]
	txpow2Lo uint32
	txpow2Hi uint32
	// adjust (dB) is the antenna gain the router_config or Options.Board
	// sets (Station's txpowAdjust); adjustSet false leaves it to
	// Options.AntennaGain.
	adjust    float64
	adjustSet bool
	filter    *station.UplinkFilter
	upperEUI  bool
	noDC      bool
	dc        dcKind
	chanRate  int64

	mu     sync.Mutex
	dcBand [dcBands]int64   // µs (xtime) until which each EU868 band is blocked
	dcFreq map[uint32]int64 // µs until which each frequency is blocked
}

// regionLimits sets Station's per-region TX power and duty-cycle rules
// (the region switch of handle_router_config).
func (p *plan) regionLimits(name string) {
	p.txpow = 14
	region, ok := station.CanonicalRegion(name)
	if !ok {
		return
	}
	p.region = region
	switch region {
	case "EU868":
		p.txpow, p.txpow2, p.txpow2Lo, p.txpow2Hi = 16, 27, 869_400_000, 869_650_000
		p.dc, p.chanRate = dcEU868, 36
	case "IL915":
		p.txpow, p.txpow2, p.txpow2Lo, p.txpow2Hi = 14, 20, 916_200_000, 916_400_000
	case "KR920":
		p.txpow, p.dc, p.chanRate = 23, dcPerChan, 50
	case "AS923-1":
		p.txpow, p.dc, p.chanRate = 13, dcPerChan, 10
	case "US915":
		p.txpow = 26
	case "AU915":
		p.txpow = 30
	}
}

// newPlan reads the non-radio parts of a router_config, as Station's
// first one (see inherit for the next ones).
func newPlan(rc *station.RouterConfig) *plan {
	p := &plan{
		freqMin:  rc.FreqRange[0],
		freqMax:  rc.FreqRange[1],
		drs:      radioconf.DataRates(rc),
		filter:   station.NewUplinkFilter(rc),
		upperEUI: rc.UpperEUIKeys,
		dcFreq:   map[uint32]int64{},
	}
	p.regionLimits(rc.Region)
	if rc.MaxEIRP != nil {
		// Station keeps powers in tenths of a dB, truncated.
		eirp := math.Trunc(*rc.MaxEIRP*10) / 10
		if p.region == "" || eirp < p.txpow {
			p.txpow = eirp
		}
		if eirp < p.txpow2 {
			p.txpow2 = eirp
		}
	}
	if rc.NoDC != nil {
		p.noDC = *rc.NoDC
	}
	return p
}

// inherit carries over what Station keeps from the plan before rc when rc
// leaves it out: the NetID and JoinEui filters (and the "JoinEUI"
// spelling, which stays once used; station.NextUplinkFilter) and the
// "nodc" switch, all globals that handle_router_config writes only when the
// key is present.
func (p *plan) inherit(prev *plan, rc *station.RouterConfig) {
	if prev == nil {
		return
	}
	p.filter = station.NextUplinkFilter(prev.filter, rc)
	p.upperEUI = p.upperEUI || prev.upperEUI
	if rc.NoDC == nil {
		p.noDC = prev.noDC
	}
}

// upDR maps a received frame's modulation to the first data rate that
// defines it and is not downlink-only (s2e_rps2dr); ok is false when none
// does, and Station drops the frame.
func (p *plan) upDR(rx *hal.RxPacket) (int, bool) {
	for i, d := range p.drs {
		if !d.Defined || d.DnOnly {
			continue
		}
		switch {
		case rx.Modulation == hal.ModulationFSK && d.FSK:
			return i, true
		case rx.Modulation == hal.ModulationLoRa && !d.FSK && d.SF == rx.SpreadingFactor && d.BW == rx.Bandwidth:
			return i, true
		}
	}
	return 0, false
}

// checkDR is check_dr: a data rate defined in DRs.
func (p *plan) checkDR(dr int) error {
	if dr < 0 || dr >= radioconf.NumDRs || !p.drs[dr].Defined {
		return fmt.Errorf("illegal datarate value %d for region %q", dr, p.region)
	}
	return nil
}

// checkFreq is check_dnfreq: a frequency inside freq_range (both ends
// included; a router_config without freq_range allows none).
func (p *plan) checkFreq(f uint32) error {
	if f < p.freqMin || f > p.freqMax {
		return fmt.Errorf("illegal frequency value %d - not in range %d..%d", f, p.freqMin, p.freqMax)
	}
	return nil
}

// eirp is calcTxpow: the region's power, or its second power inside the
// high-power band.
func (p *plan) eirp(freq uint32) float64 {
	if freq >= p.txpow2Lo && freq <= p.txpow2Hi && p.txpow2Hi != 0 {
		return p.txpow2
	}
	return p.txpow
}

// txPower is the radio's power (dBm) for a frame on freq: the EIRP less
// the antenna gain (ral_lgw.c: (txpow - txpowAdjust)/TXPOW_SCALE), the
// router_config's or Options.Board's when one of them sets it, else
// confGain (Options.AntennaGain, station.conf's). Station keeps the gain
// in tenths of a dB, truncated toward zero.
func (p *plan) txPower(freq uint32, confGain float64) float64 {
	adj := confGain
	if p.adjustSet {
		adj = p.adjust
	}
	return p.eirp(freq) - math.Trunc(adj*10)/10
}

// dcAllows reports whether the duty cycle lets a frame start at µs t on
// freq.
func (p *plan) dcAllows(freq uint32, t int64) bool {
	if p.noDC {
		return true
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.dc {
	case dcEU868:
		return t >= p.dcBand[eu868Band(freq)]
	case dcPerChan:
		return t >= p.dcFreq[freq]
	}
	return true
}

// dcBook records a frame of airtime air (µs) starting at t on freq
// (update_DC).
func (p *plan) dcBook(freq uint32, t, air int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch p.dc {
	case dcEU868:
		b := eu868Band(freq)
		p.dcBand[b] = t + air*dcBandRate[b]
		p.dcFreq[freq] = t + air*p.chanRate
	case dcPerChan:
		p.dcFreq[freq] = t + air*p.chanRate
	}
}

// errNoRadioConf is a router_config that cannot configure the radio; the
// agent closes the connection, as Station does.
var errNoRadioConf = errors.New("agent: router_config cannot configure the radio")

// radioConfig is the concentrator configuration of a router_config over
// the board's station.conf settings (radioconf.Build), and sets the plan's
// antenna gain from them; an unusable one is errNoRadioConf.
func radioConfig(rc *station.RouterConfig, board station.SX130xConf, p *plan) (hal.Config, error) {
	cfg, err := radioconf.Build(rc, board)
	if err != nil {
		return hal.Config{}, fmt.Errorf("%w: %w", errNoRadioConf, err)
	}
	p.adjust, p.adjustSet = radioconf.AntennaGain(rc, board)
	return cfg, nil
}
