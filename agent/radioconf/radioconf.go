// Package radioconf turns a Basics Station router_config into the
// concentrator's configuration, as Station 2.0.6 does (handle_router_config
// in src/s2e.c, src/sx130xconf.c, ral_challoc in src/ral.c): the data rate
// table, element 0 of the sx1301_conf array merged over the board's
// station.conf settings, and the uplink channels allocated to IF chains.
// It is apart from package agent so that this translation, pure and
// stateless, can be read and tested without a connection or a radio.
package radioconf

import (
	"fmt"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

// NumDRs is the number of data rates a router_config defines (DR_CNT).
const NumDRs = 16

// fskBitRate is LoRaWAN's FSK bit rate, given to an FSK chain that names
// none.
const fskBitRate = 50_000

// DR is one data rate as Station keeps it (rps_t): LoRa SF 7..12 at
// 125/250/500 kHz, or FSK.
type DR struct {
	Defined bool   // the router_config defines this data rate
	FSK     bool   // FSK rather than LoRa
	SF      int    // LoRa spreading factor
	BW      uint32 // LoRa bandwidth, Hz (0 for FSK)
	DnOnly  bool   // for downlinks only
}

// DataRates reads a router_config's DRs into Station's table: an SF of -1
// leaves an entry undefined, 0 is FSK, and entries past the sixteenth are
// written over DR15, as Station writes them.
func DataRates(rc *station.RouterConfig) [NumDRs]DR {
	var drs [NumDRs]DR
	for i, d := range rc.DRs {
		i = min(i, NumDRs-1)
		if d.SF < 0 {
			drs[i] = DR{}
			continue
		}
		bw := uint32(hal.BW500)
		switch d.BW {
		case 125:
			bw = hal.BW125
		case 250:
			bw = hal.BW250
		}
		drs[i] = DR{Defined: true, FSK: d.SF == 0, SF: d.SF, BW: bw, DnOnly: d.DnOnly}
		if d.SF == 0 {
			drs[i].BW = 0
		}
	}
	return drs
}

// Build merges element 0 of the router_config's radio configuration over
// the board's station.conf settings, allocates the upchannels as Station
// does, and returns the concentrator configuration. A router_config
// without hwspec "sx1301/1", without a radio configuration, or whose
// result the HAL would refuse is an error: Station closes the connection
// then.
func Build(rc *station.RouterConfig, board station.SX130xConf) (hal.Config, error) {
	if rc.HWSpec == "" {
		return hal.Config{}, fmt.Errorf("radioconf: no hwspec")
	}
	if rc.HWSpec != station.HWSpecSX1301 {
		return hal.Config{}, fmt.Errorf("radioconf: unsupported hwspec %q", rc.HWSpec)
	}
	if len(rc.SX130xConf) == 0 {
		return hal.Config{}, fmt.Errorf("radioconf: no sx1301_conf/sx1302_conf array")
	}
	cfg := halConfig(mergeSX130x(board, rc.SX130xConf[0]))
	if len(rc.UpChannels) > 0 {
		drs := DataRates(rc)
		allocChannels(&cfg, upChannelDefs(rc.UpChannels, &drs))
	}
	if err := cfg.Validate(); err != nil {
		return hal.Config{}, fmt.Errorf("radioconf: %w", err)
	}
	return cfg, nil
}

// AntennaGain is Station's txpowAdjust, one board-wide antenna gain (dB)
// that any radio_N object may set with "antenna_gain" or "txpow_adjust"
// (parse_rfconf): element 0 of the router_config's radio configuration,
// parsed after station.conf, wins over the board's. ok is false when
// neither sets it.
func AntennaGain(rc *station.RouterConfig, board station.SX130xConf) (dB float64, ok bool) {
	if len(rc.SX130xConf) > 0 {
		if v, ok := rc.SX130xConf[0].TxPowAdjust(); ok {
			return v, true
		}
	}
	return board.TxPowAdjust()
}

// mergeSX130x lays the router_config's conf over station.conf's as Station
// parses one after the other into the same structure: board settings and
// radio attributes that the router_config sets replace the board's (a
// radio without "enable" keeps the board's setting, false when the board
// has none), IF channels it names replace the board's whole. The antenna
// gain is not merged here (see AntennaGain).
func mergeSX130x(board, rc station.SX130xConf) station.SX130xConf {
	m := board
	if rc.LorawanPublic != nil {
		m.LorawanPublic = rc.LorawanPublic
	}
	if rc.ClkSrc != nil {
		m.ClkSrc = rc.ClkSrc
	}
	for i, r := range rc.Radios {
		if r == nil {
			continue
		}
		merged := *r
		if b := board.Radios[i]; b != nil {
			if merged.EnableAbsent {
				merged.Enable, merged.EnableAbsent = b.Enable && !b.EnableAbsent, false
			}
			if merged.Freq == 0 {
				merged.Freq = b.Freq
			}
			if merged.Type == "" {
				merged.Type = b.Type
			}
			if merged.RSSIOffset == nil {
				merged.RSSIOffset = b.RSSIOffset
			}
			if merged.TxEnable == nil {
				merged.TxEnable = b.TxEnable
			}
		}
		m.Radios[i] = &merged
	}
	for i, c := range rc.MultiSF {
		if c != nil {
			m.MultiSF[i] = c
		}
	}
	if rc.LoraStd != nil {
		m.LoraStd = rc.LoraStd
	}
	if rc.FSK != nil {
		m.FSK = rc.FSK
	}
	return m
}

// halConfig turns a merged conf into a concentrator configuration.
// lorawan_public defaults to true (the public sync word); radio_0 may
// transmit unless tx_enable says otherwise (Station's default is false,
// which leaves a gateway deaf to downlinks when station.conf forgets it);
// an FSK chain without a bit rate gets LoRaWAN's 50 kbit/s.
func halConfig(c station.SX130xConf) hal.Config {
	var cfg hal.Config
	if c.LorawanPublic != nil {
		cfg.PrivateSyncWord = !*c.LorawanPublic
	}
	if c.ClkSrc != nil {
		cfg.ClockSource = *c.ClkSrc
	}
	for i, r := range c.Radios {
		if r == nil {
			continue
		}
		rf := hal.RFChain{Enable: r.Enable && !r.EnableAbsent, Freq: r.Freq, Type: r.Type, TxEnable: i == 0}
		if r.RSSIOffset != nil {
			rf.RSSIOffset = float32(*r.RSSIOffset)
		}
		if r.TxEnable != nil {
			rf.TxEnable = *r.TxEnable
		}
		cfg.Radios[i] = rf
	}
	for i, ch := range c.MultiSF {
		if ch != nil {
			cfg.MultiSF[i] = hal.IFChain{Enable: ch.Enable, RFChain: ch.Radio, IF: ch.IF, Bandwidth: ch.Bandwidth}
		}
	}
	if ch := c.LoraStd; ch != nil {
		cfg.LoRaStd = hal.IFChain{Enable: ch.Enable, RFChain: ch.Radio, IF: ch.IF, Bandwidth: ch.Bandwidth, SpreadingFactor: ch.SpreadFactor}
	}
	if ch := c.FSK; ch != nil {
		cfg.FSK = hal.IFChain{Enable: ch.Enable, RFChain: ch.Radio, IF: ch.IF, Bandwidth: ch.Bandwidth, DataRate: ch.DataRate}
		if cfg.FSK.DataRate == 0 {
			// LNSes leave the rate out; Semtech's HAL would then take
			// 64 kbit/s and hear no LoRaWAN (50 kbit/s) FSK frame.
			cfg.FSK.DataRate = fskBitRate
		}
	}
	return cfg
}
