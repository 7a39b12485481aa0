package lorawan

// Regional parameters after LoRaWAN RP002-1.0.4. Facts were checked against
// the public band tables of TheThingsNetwork/lorawan-stack (pkg/band),
// chirpstack (lrwn/src/region), brocaar/lorawan (band) and the region list of
// lorabasics/basicstation (src/s2e.c); the tables here are written out anew.

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrUnknownRegion is returned by RegionByName for a name that is neither a
// region nor one of its aliases.
var ErrUnknownRegion = errors.New("lorawan: unknown region")

// ErrNotInRegion is wrapped by every error about a data rate, RX1 offset,
// frequency, channel, sub-band or TX power index that the region does not
// define, so callers can refuse such input with errors.Is.
var ErrNotInRegion = errors.New("lorawan: not defined in region")

// Modulation says how a data rate is modulated.
type Modulation uint8

// Modulations of the RP002 data-rate tables. ModulationRFU marks an index the
// region leaves undefined (reserved for future use).
const (
	ModulationRFU    Modulation = iota // undefined data rate
	ModulationLoRa                     // LoRa chirp spread spectrum
	ModulationFSK                      // GFSK, 50 kbit/s in every region that has it
	ModulationLRFHSS                   // LR-FHSS: defined by RP002, not received by SX1301/SX1302 nor Basics Station
)

// String returns "RFU", "LORA", "FSK" or "LR-FHSS".
func (m Modulation) String() string {
	switch m {
	case ModulationRFU:
		return "RFU"
	case ModulationLoRa:
		return "LORA"
	case ModulationFSK:
		return "FSK"
	case ModulationLRFHSS:
		return "LR-FHSS"
	}
	return fmt.Sprintf("Modulation(%d)", uint8(m))
}

// DataRate is one entry DR0..DR15 of a region's data-rate table.
type DataRate struct {
	Modulation Modulation
	// SpreadingFactor is 7..12 for LoRa, 0 otherwise.
	SpreadingFactor int
	// Bandwidth is the LoRa bandwidth in Hz, or the LR-FHSS occupied
	// channel width in Hz; 0 for FSK.
	Bandwidth uint32
	// BitRate is the FSK bit rate in bit/s; 0 otherwise.
	BitRate uint32
	// CodingRate is "4/5" for LoRa (the only rate LoRaWAN uses), "1/3" or
	// "2/3" for LR-FHSS, empty otherwise.
	CodingRate string
	// Uplink and Downlink say in which direction the rate may be used.
	Uplink, Downlink bool
}

// Defined reports whether the index carries a data rate at all.
func (d DataRate) Defined() bool { return d.Modulation != ModulationRFU }

// Usable reports whether a SX1301/SX1302 gateway (and Basics Station) can
// use the rate: LoRa and FSK are, LR-FHSS and undefined rates are not.
func (d DataRate) Usable() bool {
	return d.Modulation == ModulationLoRa || d.Modulation == ModulationFSK
}

// String names the rate the way gateways and network servers log it:
// "SF7BW125", "FSK50000", "LR-FHSS CR1/3 OCW137", or "RFU".
func (d DataRate) String() string {
	switch d.Modulation {
	case ModulationLoRa:
		return fmt.Sprintf("SF%dBW%d", d.SpreadingFactor, d.Bandwidth/1000)
	case ModulationFSK:
		return fmt.Sprintf("FSK%d", d.BitRate)
	case ModulationLRFHSS:
		return fmt.Sprintf("LR-FHSS CR%s OCW%d", d.CodingRate, d.Bandwidth/1000)
	}
	return "RFU"
}

// MaxPayload holds the largest MACPayload (M) and the largest application
// payload FRMPayload (N, M-8 with no FOpts) a region allows at a data rate.
type MaxPayload struct {
	M int `json:"m"`
	N int `json:"n"`
}

// Channel is an uplink channel: a centre frequency and the data rates
// allowed on it (MinDR..MaxDR inclusive).
type Channel struct {
	Frequency uint32 `json:"frequency"` // Hz
	MinDR     int    `json:"min_dr"`
	MaxDR     int    `json:"max_dr"`
}

// rpMaxDRs is the size of every data-rate table (DR0..DR15).
const rpMaxDRs = 16

// rpMaxOffsets is the size of the RX1DROffset field (3 bits).
const rpMaxOffsets = 8

// Fixed channel plans (US915, AU915): 64 channels of 125 kHz, 8 of 500 kHz,
// 8 downlink channels of 500 kHz.
const (
	rpFixed125Count  = 64
	rpFixed500Count  = 8
	rpFixedUpCount   = rpFixed125Count + rpFixed500Count
	rpFixed125Step   = 200_000
	rpFixed500Step   = 1_600_000
	rpFixedDownCount = 8
	rpFixedDownStep  = 600_000
	rpFixedDownBase  = 923_300_000
	rpSubBands       = 8
	rpSubBandWidth   = rpFixed125Count / rpSubBands
)

// Region is the set of regional parameters of one RP002 channel plan. Its
// fields are unexported and never change after construction: RegionByName
// and Regions hand out independent copies, and every method only reads, so
// a *Region may be shared between goroutines. The lookups used per uplink
// (DataRate, DataRateIndex, MaxPayloadSize, RX1DataRate, RX1Frequency,
// UplinkChannelIndex, TXPowerOffset) do not allocate.
type Region struct {
	name        string
	stationName string
	minFreq     uint32
	maxFreq     uint32

	drs        [rpMaxDRs]DataRate
	maxPayload [2][rpMaxDRs]MaxPayload // [dwell], M==0: not allowed

	rx1       [2][rpMaxDRs][rpMaxOffsets]int8 // [dwell][uplink DR][offset], -1: invalid
	maxOffset int

	rx2Freq uint32
	rx2DR   int

	rxDelay1, rxDelay2     time.Duration
	joinDelay1, joinDelay2 time.Duration

	defaultMaxEIRP float32
	dlEIRP         float32
	dlEIRPHigh     float32 // EIRP allowed in [dlHighMin, dlHighMax], if that range is set
	dlHighMin      uint32
	dlHighMax      uint32
	maxTXPower     int

	uplinkDwell, downlinkDwell bool
	txParamSetup               bool

	// Dynamic plans: the default channels, then the channels the network
	// adds through the CFList.
	defaults  [16]Channel
	nDefaults int
	extra     [5]Channel
	nExtra    int

	// Fixed plans.
	fixed                bool
	base125, base500     uint32
	drs125Min, drs125Max int
	drs500Min, drs500Max int
	joinDR125, joinDR500 int
}

// rpErr reports a value that the region does not define.
func (r *Region) rpErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrNotInRegion, r.name, fmt.Sprintf(format, args...))
}

// String returns the region's name.
func (r *Region) String() string { return r.name }

// Name is the region's RP002 name: EU868, US915, AU915, AS923-1, AS923-2,
// AS923-3, AS923-4, KR920 or IN865.
func (r *Region) Name() string { return r.name }

// StationName is the value for the "region" field of a Basics Station
// router_config. Station 2.0.6 knows EU868, US915, AU915, AS923-1, KR920 and
// IL915 only, and drops every downlink while its region is unknown, so the
// AS923 groups 2..4 are sent as AS923-1 (same listen-before-talk and duty
// cycle rules) and IN865 as AU915 (30 dBm, no duty cycle, no LBT, as Indian
// rules allow). The channel plan itself travels in DRs, upchannels and
// freq_range, so this choice only sets Station's power and duty-cycle rules.
func (r *Region) StationName() string { return r.stationName }

// FixedChannelPlan reports whether the region has a fixed channel plan of
// 64+8 uplink channels in 8 sub-bands (US915, AU915) rather than a few
// default channels extended by the network (all others).
func (r *Region) FixedChannelPlan() bool { return r.fixed }

// FrequencyRange returns the lowest and highest frequency (Hz) the region
// covers, as Basics Station wants them in router_config freq_range.
func (r *Region) FrequencyRange() (minHz, maxHz uint32) { return r.minFreq, r.maxFreq }

// DataRates returns the whole table DR0..DR15; undefined indexes have
// Modulation ModulationRFU.
func (r *Region) DataRates() [16]DataRate { return r.drs }

// DataRate returns data rate i; an index outside 0..15 or undefined in the
// region is an error.
func (r *Region) DataRate(i int) (DataRate, error) {
	if i < 0 || i >= rpMaxDRs || !r.drs[i].Defined() {
		return DataRate{}, r.rpErr("data rate %d undefined", i)
	}
	return r.drs[i], nil
}

// DataRateIndex returns the index of the LoRa data rate with spreading
// factor sf and bandwidth bwHz, or of the FSK data rate when sf is 0 (the
// Basics Station convention). Where one modulation has an uplink and a
// downlink index (US915 SF8/500 kHz is DR4 up and DR12 down) the uplink
// index is returned; see DownlinkDataRateIndex.
func (r *Region) DataRateIndex(sf int, bwHz uint32) (int, error) {
	return r.drIndex(sf, bwHz, true)
}

// DownlinkDataRateIndex is DataRateIndex for a rate used on a downlink.
func (r *Region) DownlinkDataRateIndex(sf int, bwHz uint32) (int, error) {
	return r.drIndex(sf, bwHz, false)
}

func (r *Region) drIndex(sf int, bwHz uint32, uplink bool) (int, error) {
	for i := range r.drs {
		d := &r.drs[i]
		if uplink && !d.Uplink || !uplink && !d.Downlink {
			continue
		}
		switch {
		case sf == 0 && d.Modulation == ModulationFSK:
			return i, nil
		case sf != 0 && d.Modulation == ModulationLoRa && d.SpreadingFactor == sf && d.Bandwidth == bwHz:
			return i, nil
		}
	}
	if sf == 0 {
		return 0, r.rpErr("no fsk data rate")
	}
	return 0, r.rpErr("no data rate for SF%d BW %d Hz", sf, bwHz)
}

// MaxPayloadSize returns the largest MACPayload (M) and FRMPayload (N) at
// data rate dr. dwell says whether the 400 ms dwell-time limit applies (the
// UplinkDwellTime for uplinks, DownlinkDwellTime for downlinks; it changes
// nothing outside AS923 and AU915). A rate that cannot carry a frame under
// that limit (AS923 DR0 and DR1 with dwell time) is an error.
func (r *Region) MaxPayloadSize(dr int, dwell bool) (MaxPayload, error) {
	if dr < 0 || dr >= rpMaxDRs || !r.drs[dr].Defined() {
		return MaxPayload{}, r.rpErr("data rate %d undefined", dr)
	}
	mp := r.maxPayload[rpB2i(dwell)][dr]
	if mp.M == 0 {
		return MaxPayload{}, r.rpErr("data rate %d not allowed with dwell time", dr)
	}
	return mp, nil
}

// MaxRX1DROffset is the highest RX1DROffset the region defines (3 for
// US915, 5 for EU868, AU915 and KR920, 7 for AS923 and IN865).
func (r *Region) MaxRX1DROffset() int { return r.maxOffset }

// RX1DataRate returns the data rate of the RX1 window that answers an uplink
// at upDR, for the device's RX1DROffset. dwell is the DownlinkDwellTime
// (AS923 only: it raises the lowest RX1 rate to DR2).
func (r *Region) RX1DataRate(upDR, offset int, dwell bool) (int, error) {
	if upDR < 0 || upDR >= rpMaxDRs || !r.drs[upDR].Uplink {
		return 0, r.rpErr("uplink data rate %d undefined", upDR)
	}
	if offset < 0 || offset > r.maxOffset {
		return 0, r.rpErr("rx1 data-rate offset %d outside 0..%d", offset, r.maxOffset)
	}
	dn := r.rx1[rpB2i(dwell)][upDR][offset]
	if dn < 0 {
		return 0, r.rpErr("no rx1 data rate for DR%d offset %d", upDR, offset)
	}
	return int(dn), nil
}

// RX1Frequency returns the RX1 downlink frequency for an uplink received on
// upFreq. Dynamic plans answer on the uplink frequency itself (which must
// lie in the region's range); fixed plans answer on downlink channel
// (uplink channel mod 8): 923.3 MHz + 600 kHz × (channel mod 8), where
// channels 0..63 are the 125 kHz and 64..71 the 500 kHz uplink channels.
func (r *Region) RX1Frequency(upFreq uint32) (uint32, error) {
	if !r.fixed {
		if upFreq < r.minFreq || upFreq > r.maxFreq {
			return 0, r.rpErr("frequency %d Hz outside %d..%d", upFreq, r.minFreq, r.maxFreq)
		}
		return upFreq, nil
	}
	ch, ok := r.fixedChannelIndex(upFreq)
	if !ok {
		return 0, r.rpErr("frequency %d Hz is not an uplink channel", upFreq)
	}
	return rpFixedDownBase + uint32(ch%rpFixedDownCount)*rpFixedDownStep, nil
}

// RX2Frequency is the default frequency (Hz) of the RX2 window and of
// join-accepts sent in it.
func (r *Region) RX2Frequency() uint32 { return r.rx2Freq }

// RX2DataRate is the default data rate of the RX2 window.
func (r *Region) RX2DataRate() int { return r.rx2DR }

// ReceiveDelay1 is RECEIVE_DELAY1, from the end of an uplink to RX1 (1 s).
func (r *Region) ReceiveDelay1() time.Duration { return r.rxDelay1 }

// ReceiveDelay2 is RECEIVE_DELAY2, from the end of an uplink to RX2 (2 s).
func (r *Region) ReceiveDelay2() time.Duration { return r.rxDelay2 }

// JoinAcceptDelay1 is JOIN_ACCEPT_DELAY1, from a join-request to RX1 (5 s).
func (r *Region) JoinAcceptDelay1() time.Duration { return r.joinDelay1 }

// JoinAcceptDelay2 is JOIN_ACCEPT_DELAY2, from a join-request to RX2 (6 s).
func (r *Region) JoinAcceptDelay2() time.Duration { return r.joinDelay2 }

// DefaultMaxEIRP is the Max EIRP (dBm) an end-device assumes by default; TX
// power indexes count down from it.
func (r *Region) DefaultMaxEIRP() float32 { return r.defaultMaxEIRP }

// DownlinkEIRP is the EIRP (dBm) a gateway transmits a downlink with on
// freq by default, the regional limits Basics Station applies (EU868: 16
// dBm, 27 dBm in 869.4..869.65 MHz; US915: 26 dBm; AU915 and IN865: 30 dBm;
// KR920: 23 dBm; AS923: 16 dBm). It does not check freq against the region.
func (r *Region) DownlinkEIRP(freq uint32) float32 {
	if r.dlHighMax != 0 && freq >= r.dlHighMin && freq <= r.dlHighMax {
		return r.dlEIRPHigh
	}
	return r.dlEIRP
}

// MaxTXPowerIndex is the highest TXPower index of LinkADRReq the region
// defines (7 for EU868, AS923 and KR920, 10 for IN865, 14 for US915 and
// AU915).
func (r *Region) MaxTXPowerIndex() int { return r.maxTXPower }

// TXPowerOffset returns, for a LinkADRReq TXPower index, the dB to add to
// the device's Max EIRP: 0 for index 0, then -2 dB per step. Index 15 (keep
// the current power) and indexes the region does not define are errors.
func (r *Region) TXPowerOffset(index int) (int, error) {
	if index < 0 || index > r.maxTXPower {
		return 0, r.rpErr("tx power index %d outside 0..%d", index, r.maxTXPower)
	}
	return -2 * index, nil
}

// UplinkDwellTime is the UplinkDwellTime a device starts with (true: the 400
// ms limit applies), until a TxParamSetupReq changes it.
func (r *Region) UplinkDwellTime() bool { return r.uplinkDwell }

// DownlinkDwellTime is the DownlinkDwellTime a device starts with.
func (r *Region) DownlinkDwellTime() bool { return r.downlinkDwell }

// TxParamSetup reports whether devices of the region implement
// TxParamSetupReq (AS923, AU915).
func (r *Region) TxParamSetup() bool { return r.txParamSetup }

// DefaultChannels returns the channels every device of the region knows from
// the start: EU868 868.1/868.3/868.5 MHz, AS923 two channels, KR920 and
// IN865 three, US915 and AU915 all 72.
func (r *Region) DefaultChannels() []Channel {
	if r.fixed {
		return r.UplinkChannels()
	}
	return append([]Channel(nil), r.defaults[:r.nDefaults]...)
}

// JoinChannels returns the channels and data rates a device may send a
// join-request on: the default channels of a dynamic plan; in a fixed plan
// every 125 kHz channel at one rate (US915 DR0, AU915 DR2) and every 500
// kHz channel at one rate (US915 DR4, AU915 DR6).
func (r *Region) JoinChannels() []Channel {
	if !r.fixed {
		return r.DefaultChannels()
	}
	out := make([]Channel, 0, rpFixedUpCount)
	for i := 0; i < rpFixedUpCount; i++ {
		c := r.fixedChannel(i)
		if i < rpFixed125Count {
			c.MinDR, c.MaxDR = r.joinDR125, r.joinDR125
		} else {
			c.MinDR, c.MaxDR = r.joinDR500, r.joinDR500
		}
		out = append(out, c)
	}
	return out
}

// UplinkChannels returns the region's uplink channel plan, indexed as
// UplinkChannel and UplinkChannelIndex count: for a dynamic plan the default
// channels followed by the channels loraedge adds in the join-accept CFList
// (EU868: 867.1..867.9 MHz); for a fixed plan channels 0..71.
func (r *Region) UplinkChannels() []Channel {
	n := r.numChannels()
	out := make([]Channel, n)
	for i := range out {
		out[i], _ = r.UplinkChannel(i)
	}
	return out
}

func (r *Region) numChannels() int {
	if r.fixed {
		return rpFixedUpCount
	}
	return r.nDefaults + r.nExtra
}

// UplinkChannel returns channel i of UplinkChannels.
func (r *Region) UplinkChannel(i int) (Channel, error) {
	if i < 0 || i >= r.numChannels() {
		return Channel{}, r.rpErr("uplink channel %d outside 0..%d", i, r.numChannels()-1)
	}
	if r.fixed {
		return r.fixedChannel(i), nil
	}
	if i < r.nDefaults {
		return r.defaults[i], nil
	}
	return r.extra[i-r.nDefaults], nil
}

// UplinkChannelIndex returns the index in UplinkChannels of the channel on
// freq.
func (r *Region) UplinkChannelIndex(freq uint32) (int, error) {
	if r.fixed {
		if ch, ok := r.fixedChannelIndex(freq); ok {
			return ch, nil
		}
	} else {
		for i := 0; i < r.nDefaults; i++ {
			if r.defaults[i].Frequency == freq {
				return i, nil
			}
		}
		for i := 0; i < r.nExtra; i++ {
			if r.extra[i].Frequency == freq {
				return r.nDefaults + i, nil
			}
		}
	}
	return 0, r.rpErr("frequency %d Hz is not an uplink channel", freq)
}

func (r *Region) fixedChannel(i int) Channel {
	if i < rpFixed125Count {
		return Channel{Frequency: r.base125 + uint32(i)*rpFixed125Step, MinDR: r.drs125Min, MaxDR: r.drs125Max}
	}
	return Channel{Frequency: r.base500 + uint32(i-rpFixed125Count)*rpFixed500Step, MinDR: r.drs500Min, MaxDR: r.drs500Max}
}

// fixedChannelIndex finds the fixed-plan channel on freq; the 125 kHz and
// 500 kHz grids are 700 kHz apart modulo their steps, so they never meet.
func (r *Region) fixedChannelIndex(freq uint32) (int, bool) {
	if freq >= r.base125 {
		d := freq - r.base125
		if d%rpFixed125Step == 0 && d/rpFixed125Step < rpFixed125Count {
			return int(d / rpFixed125Step), true
		}
	}
	if freq >= r.base500 {
		d := freq - r.base500
		if d%rpFixed500Step == 0 && d/rpFixed500Step < rpFixed500Count {
			return rpFixed125Count + int(d/rpFixed500Step), true
		}
	}
	return 0, false
}

// SubBands is the number of sub-bands of a fixed plan (8), 0 for a dynamic
// plan.
func (r *Region) SubBands() int {
	if r.fixed {
		return rpSubBands
	}
	return 0
}

// UplinkChannelsForSubBand returns the nine uplink channels of sub-band n
// (1..8) of a fixed plan: the eight 125 kHz channels 8(n-1)..8(n-1)+7 and
// the 500 kHz channel 64+(n-1). US915 sub-band 2 is 903.9..905.3 MHz and
// 904.6 MHz.
func (r *Region) UplinkChannelsForSubBand(n int) ([]Channel, error) {
	if err := r.checkSubBand(n); err != nil {
		return nil, err
	}
	out := make([]Channel, 0, rpSubBandWidth+1)
	for i := 0; i < rpSubBandWidth; i++ {
		out = append(out, r.fixedChannel((n-1)*rpSubBandWidth+i))
	}
	return append(out, r.fixedChannel(rpFixed125Count+n-1)), nil
}

func (r *Region) checkSubBand(n int) error {
	if !r.fixed {
		return r.rpErr("no sub-bands in a dynamic channel plan")
	}
	if n < 1 || n > rpSubBands {
		return r.rpErr("sub-band %d outside 1..%d", n, rpSubBands)
	}
	return nil
}

// CFListFrequencies returns the frequencies (Hz) for a type-0 CFList of a
// dynamic plan: the channels of UplinkChannels beyond the default ones, at
// most five (EU868: 867.1, 867.3, 867.5, 867.7, 867.9 MHz). Fixed plans have
// none and return nil.
func (r *Region) CFListFrequencies() []uint32 {
	if r.fixed || r.nExtra == 0 {
		return nil
	}
	out := make([]uint32, r.nExtra)
	for i := range out {
		out[i] = r.extra[i].Frequency
	}
	return out
}

// CFListChMask returns the five channel masks of a type-1 CFList that
// enables exactly sub-band n (1..8) of a fixed plan: ChMask0..3 cover
// channels 0..63 sixteen at a time (bit i of mask k is channel 16k+i) and
// ChMask4 channels 64..71. Sub-band 2 gives {0xff00, 0, 0, 0, 0x0002}.
func (r *Region) CFListChMask(n int) ([5]uint16, error) {
	var m [5]uint16
	if err := r.checkSubBand(n); err != nil {
		return m, err
	}
	first := (n - 1) * rpSubBandWidth
	m[first/16] = 0xff << (first % 16)
	m[4] = 1 << (n - 1)
	return m, nil
}

// TimeOnAir returns how long a frame of payloadBytes PHYPayload bytes stays
// on air at data rate dr with the LoRaWAN settings: LoRa with coding rate
// 4/5, an 8-symbol preamble, explicit header, and a payload CRC on uplinks
// only; FSK with its 5-byte preamble, 3-byte sync word, length byte and CRC.
// LR-FHSS and undefined rates, and payloads outside 0..255 bytes, are errors.
func (r *Region) TimeOnAir(dr, payloadBytes int, uplink bool) (time.Duration, error) {
	d, err := r.DataRate(dr)
	if err != nil {
		return 0, err
	}
	if payloadBytes < 0 || payloadBytes > toaMaxPayload {
		return 0, r.rpErr("payload of %d bytes outside 0..%d", payloadBytes, toaMaxPayload)
	}
	switch d.Modulation {
	case ModulationLoRa:
		return TimeOnAir(payloadBytes, d.SpreadingFactor, d.Bandwidth, 5, 8, true, uplink), nil
	case ModulationFSK:
		return FSKTimeOnAir(payloadBytes, d.BitRate), nil
	}
	return 0, r.rpErr("no time-on-air formula for %s (DR%d)", d.Modulation, dr)
}

func rpB2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// rpLookupKey turns a region name into the form its aliases are stored in:
// upper case, without '-', '_' or spaces.
func rpLookupKey(name string) string {
	return strings.NewReplacer("-", "", "_", "", " ", "").Replace(strings.ToUpper(strings.TrimSpace(name)))
}

// RegionByName returns the regional parameters of name. Names are matched
// without regard to case, '-', '_' or spaces, and the usual aliases are
// accepted: EU863-870 and EU863 for EU868, US902-928 and US902 for US915,
// AU915-928 for AU915, AS923 and AS923JP for AS923-1, KR920-923 for KR920,
// IN865-867 for IN865, and The Things Stack band IDs such as EU_863_870 or
// AS_923_2. The result is the caller's own copy.
func RegionByName(name string) (*Region, error) {
	key := rpLookupKey(name)
	for i := range rpRegions {
		for _, alias := range rpRegions[i].aliases {
			if key == alias {
				r := rpRegions[i].region
				return &r, nil
			}
		}
	}
	return nil, fmt.Errorf("%w %q", ErrUnknownRegion, name)
}

// Regions returns every region this package defines, each as the caller's
// own copy, in a fixed order (EU868, US915, AU915, AS923-1..4, KR920, IN865).
func Regions() []*Region {
	out := make([]*Region, len(rpRegions))
	for i := range rpRegions {
		r := rpRegions[i].region
		out[i] = &r
	}
	return out
}

type rpEntry struct {
	region  Region
	aliases []string // lookup keys, see rpLookupKey
}

// rpRegions is built once and never modified: RegionByName and Regions copy
// its values out.
var rpRegions = rpBuildAll()

func rpBuildAll() []rpEntry {
	return []rpEntry{
		{rpEU868(), []string{"EU868", "EU863870", "EU863"}},
		{rpUS915(), []string{"US915", "US902928", "US902"}},
		{rpAU915(), []string{"AU915", "AU915928"}},
		{rpAS923("AS923-1", 0), []string{"AS9231", "AS923", "AS923JP", "AS9231JP"}},
		{rpAS923("AS923-2", 1_800_000), []string{"AS9232"}},
		{rpAS923("AS923-3", 6_600_000), []string{"AS9233"}},
		{rpAS923("AS923-4", 5_900_000), []string{"AS9234"}},
		{rpKR920(), []string{"KR920", "KR920923"}},
		{rpIN865(), []string{"IN865", "IN865867"}},
	}
}

// rpNewRegion fills what every region shares: the RP002 default delays and
// an RX1 table with no valid entry.
func rpNewRegion(name, stationName string) Region {
	r := Region{
		name:        name,
		stationName: stationName,
		rxDelay1:    1 * time.Second,
		rxDelay2:    2 * time.Second,
		joinDelay1:  5 * time.Second,
		joinDelay2:  6 * time.Second,
	}
	for d := range r.rx1 {
		for up := range r.rx1[d] {
			for off := range r.rx1[d][up] {
				r.rx1[d][up][off] = -1
			}
		}
	}
	return r
}

// rpLoRa125 sets DR first..first+5 to SF12..SF7 at 125 kHz.
func (r *Region) rpLoRa125(first int, up, down bool) {
	for i := 0; i < 6; i++ {
		r.drs[first+i] = DataRate{Modulation: ModulationLoRa, SpreadingFactor: 12 - i, Bandwidth: 125_000,
			CodingRate: "4/5", Uplink: up, Downlink: down}
	}
}

func rpLoRa(sf int, bw uint32, up, down bool) DataRate {
	return DataRate{Modulation: ModulationLoRa, SpreadingFactor: sf, Bandwidth: bw, CodingRate: "4/5", Uplink: up, Downlink: down}
}

func rpFSK() DataRate {
	return DataRate{Modulation: ModulationFSK, BitRate: 50_000, Uplink: true, Downlink: true}
}

func rpLRFHSS(cr string, ocw uint32) DataRate {
	return DataRate{Modulation: ModulationLRFHSS, CodingRate: cr, Bandwidth: ocw, Uplink: true}
}

// rpSetPayload sets M for data rates 0..len(m)-1, N being M-8; a value of
// 0 leaves the rate without a size (undefined, or not allowed with dwell).
func (r *Region) rpSetPayload(dwell bool, m ...int) {
	for i, v := range m {
		if v > 0 {
			r.maxPayload[rpB2i(dwell)][i] = MaxPayload{M: v, N: v - 8}
		}
	}
}
