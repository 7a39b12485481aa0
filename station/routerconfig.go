package station

import (
	"encoding/json"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// CanonicalRegion returns the region Station 2.0.6 uses for a router_config
// region name (handle_router_config), and false when Station does not
// recognise it, in which case it drops every downlink. EU863, AS923JP and
// US902 are old names of EU868, AS923-1 and US915.
func CanonicalRegion(name string) (string, bool) {
	switch name {
	case "EU863", "EU868":
		return "EU868", true
	case "AS923JP", "AS923-1":
		return "AS923-1", true
	case "US902", "US915":
		return "US915", true
	case "IL915", "KR920", "AU915":
		return name, true
	}
	return "", false
}

// HWSpecSX1301 is the only hwspec Station 2.0.6's SX1301 build accepts.
const HWSpecSX1301 = "sx1301/1"

// sx130xConfKeys returns the keys Station accepts for the radio
// configuration array, the default first.
func sx130xConfKeys() [5]string {
	return [5]string{"sx1301_conf", "SX1301_conf", "sx1302_conf", "SX1302_conf", "radio_conf"}
}

// RouterConfig is the LNS's answer to version (handle_router_config in
// src/s2e.c): the region and channel plan, the radio configuration and the
// uplink filters. Station needs Region (one it recognises, see
// CanonicalRegion), HWSpec and SX130xConf; without the last two it closes
// the connection.
type RouterConfig struct {
	// NetIDs filters data frames: nil ("NetID": null) accepts all; see
	// NewUplinkFilter for Station's rule.
	NetIDs []lorawan.NetID
	// NetIDAbsent marks a message without "NetID": Station then keeps the
	// NetID filter it had (see NextUplinkFilter). Decode sets it; Encode
	// then leaves the key out and NetIDs is not used.
	NetIDAbsent bool
	// JoinEUIs filters join frames: nil ("JoinEui": null) accepts all; see
	// NewUplinkFilter. Station accepts at most MaxJoinEUIRanges ranges:
	// Decode and Encode refuse more.
	JoinEUIs []JoinEUIRange
	// JoinEUIAbsent marks a message with neither "JoinEui" nor "JoinEUI":
	// Station then keeps the JoinEUI filter it had. Decode sets it; Encode
	// then leaves the key out and JoinEUIs is not used.
	JoinEUIAbsent bool
	// UpperEUIKeys spells the filter key "JoinEUI" instead of "JoinEui",
	// which makes Station write "JoinEUI"/"DevEUI" in jreq and
	// "DevEUI" in dntxed; Decode sets it from the input.
	UpperEUIKeys bool
	Region       string
	HWSpec       string
	// FreqRange is [min, max] in Hz; Station refuses downlink frequencies
	// outside it. Left out when both are 0.
	FreqRange [2]uint32
	// DRs defines data rates 0–15 (Station reads at most 16).
	DRs []DRDef
	// UpChannels lists the uplink channels from which Station allocates the
	// concentrator's IF and RF chains.
	UpChannels []UpChannel
	// MaxEIRP in dBm can only lower the region's default TX power unless
	// the region is unknown.
	MaxEIRP *float64
	// MuxTime sets Station's UTC reference (UTC seconds); 0 means absent.
	MuxTime Seconds
	// SX130xConf is the radio configuration array; Station uses element 0
	// and merges it with station.conf. It is written when it is not nil or
	// SX130xConfKey is set (as null when nil).
	SX130xConf []SX130xConf
	// SX130xConfKey is the key carrying SX130xConf: "sx1301_conf" (the
	// default when empty), "SX1301_conf", "sx1302_conf", "SX1302_conf" or
	// "radio_conf"; Decode sets it from the input.
	SX130xConfKey string
	// NoCCA, NoDC, NoDwell and DeviceMode are development switches, taken
	// only by non-production Station builds.
	NoCCA      *bool
	NoDC       *bool
	NoDwell    *bool
	DeviceMode *bool
	// Bcning configures class B beacons; nil leaves them off.
	Bcning *Beaconing
}

// MaxJoinEUIRanges is how many JoinEui ranges Station 2.0.6 reads
// (MAX_JOINEUI_RANGES in src/s2conf.h): with more, it logs "Too many Join
// EUI filter ranges - max 10 supported", fails the parse of the whole
// router_config, and ignores the message.
const MaxJoinEUIRanges = 10

// JoinEUIRange is one [min, max] range of the JoinEui filter, both ends
// included, written as two JSON integers.
type JoinEUIRange struct {
	Min, Max lorawan.EUI64
}

// MarshalJSON writes [min, max] as integers.
func (r JoinEUIRange) MarshalJSON() ([]byte, error) {
	return marshalNoEscape([2]euiNum{euiNum(r.Min), euiNum(r.Max)})
}

// UnmarshalJSON reads exactly two EUIs, as integers or strings.
func (r *JoinEUIRange) UnmarshalJSON(b []byte) error {
	var a []euiNum
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("station: JoinEui range: %w", err)
	}
	if len(a) != 2 {
		return fmt.Errorf("station: JoinEui range has %d values, want 2", len(a))
	}
	r.Min, r.Max = lorawan.EUI64(a[0]), lorawan.EUI64(a[1])
	return nil
}

// DRDef defines one data rate as Station reads it, [SF, BW, dnonly]:
// SF 7–12 for LoRa, 0 for FSK, negative for an undefined data rate; BW in
// kHz (125, 250, 500); DnOnly marks a data rate used only for downlinks.
type DRDef struct {
	SF     int
	BW     int
	DnOnly bool
}

// MarshalJSON writes [SF, BW, 0|1].
func (d DRDef) MarshalJSON() ([]byte, error) {
	dn := 0
	if d.DnOnly {
		dn = 1
	}
	return marshalNoEscape([3]int{d.SF, d.BW, dn})
}

// UnmarshalJSON reads exactly three integers, as Station requires.
func (d *DRDef) UnmarshalJSON(b []byte) error {
	var a []int
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("station: DRs entry: %w", err)
	}
	if len(a) != 3 {
		return fmt.Errorf("station: DRs entry has %d values, want 3", len(a))
	}
	*d = DRDef{SF: a[0], BW: a[1], DnOnly: a[2] != 0}
	return nil
}

// UpChannel is one uplink channel, [freq, minDR, maxDR], with data rates
// 0–7 as Station requires.
type UpChannel struct {
	Freq         uint32
	MinDR, MaxDR int
}

// MarshalJSON writes [freq, minDR, maxDR].
func (c UpChannel) MarshalJSON() ([]byte, error) {
	return marshalNoEscape([3]int64{int64(c.Freq), int64(c.MinDR), int64(c.MaxDR)})
}

// UnmarshalJSON reads exactly three integers, data rates within 0–7.
func (c *UpChannel) UnmarshalJSON(b []byte) error {
	var a []int64
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("station: upchannels entry: %w", err)
	}
	if len(a) != 3 {
		return fmt.Errorf("station: upchannels entry has %d values, want 3", len(a))
	}
	if a[0] < 0 || a[0] > 1<<32-1 {
		return fmt.Errorf("station: upchannels frequency %d out of range", a[0])
	}
	for _, dr := range a[1:] {
		if dr < 0 || dr > 7 {
			return fmt.Errorf("station: upchannels data rate %d outside 0..7", dr)
		}
	}
	*c = UpChannel{Freq: uint32(a[0]), MinDR: int(a[1]), MaxDR: int(a[2])}
	return nil
}

// Beaconing is router_config's "bcning": the beacon data rate, the frame
// layout [time offset, info descriptor offset, length] and the beacon
// frequencies, rotated per beacon period.
type Beaconing struct {
	DR     int      `json:"DR"`
	Layout [3]int   `json:"layout"`
	Freqs  []uint32 `json:"freqs"`
}

// MsgType returns "router_config".
func (RouterConfig) MsgType() string { return MsgTypeRouterConfig }

func (RouterConfig) ownMessage() {}

// MarshalJSON writes the message with its msgtype. NetID and the JoinEui
// filter are written (null when nil) unless marked absent; the rest only
// when set. More than MaxJoinEUIRanges JoinEui ranges are an error.
func (rc RouterConfig) MarshalJSON() ([]byte, error) {
	o := newObject(MsgTypeRouterConfig)
	if !rc.NetIDAbsent {
		var netIDs []uint32
		if rc.NetIDs != nil {
			netIDs = make([]uint32, len(rc.NetIDs))
			for i, n := range rc.NetIDs {
				netIDs[i] = uint32(n[0])<<16 | uint32(n[1])<<8 | uint32(n[2])
			}
		}
		o.add("NetID", netIDs)
	}
	if !rc.JoinEUIAbsent {
		if len(rc.JoinEUIs) > MaxJoinEUIRanges {
			return nil, fmt.Errorf("station: encode router_config: %d JoinEui ranges, Station takes at most %d", len(rc.JoinEUIs), MaxJoinEUIRanges)
		}
		joinKey, _ := euiKeys(rc.UpperEUIKeys)
		o.add(joinKey, rc.JoinEUIs)
	}
	if rc.Region != "" {
		o.add("region", rc.Region)
	}
	if rc.HWSpec != "" {
		o.add("hwspec", rc.HWSpec)
	}
	if rc.FreqRange != [2]uint32{} {
		o.add("freq_range", rc.FreqRange)
	}
	if len(rc.DRs) > 0 {
		o.add("DRs", rc.DRs)
	}
	if len(rc.UpChannels) > 0 {
		o.add("upchannels", rc.UpChannels)
	}
	addIf(o, "max_eirp", rc.MaxEIRP)
	if rc.SX130xConf != nil || rc.SX130xConfKey != "" {
		key := rc.SX130xConfKey
		if key == "" {
			key = sx130xConfKeys()[0]
		}
		if !validConfKey(key) {
			return nil, fmt.Errorf("station: encode router_config: radio conf key %q is not one Station reads", key)
		}
		o.add(key, rc.SX130xConf)
	}
	addIf(o, "nocca", rc.NoCCA)
	addIf(o, "nodc", rc.NoDC)
	addIf(o, "nodwell", rc.NoDwell)
	addIf(o, "device_mode", rc.DeviceMode)
	addIf(o, "bcning", rc.Bcning)
	if rc.MuxTime != 0 {
		o.add("MuxTime", rc.MuxTime)
	}
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode router_config: %w", err)
	}
	return b, nil
}

func validConfKey(k string) bool {
	for _, c := range sx130xConfKeys() {
		if k == c {
			return true
		}
	}
	return false
}

// UnmarshalJSON reads a router_config with any of Station's spellings,
// noting which filter keys are absent. When several radio configuration
// keys are present, the last one in Station's list of keys wins. More than
// MaxJoinEUIRanges JoinEui ranges are an error, as in Station.
func (rc *RouterConfig) UnmarshalJSON(b []byte) error {
	var w struct {
		NetID      json.RawMessage `json:"NetID"`
		JoinEui    json.RawMessage `json:"JoinEui"`
		JoinEUI    json.RawMessage `json:"JoinEUI"`
		Region     string          `json:"region"`
		HWSpec     string          `json:"hwspec"`
		FreqRange  *[]uint32       `json:"freq_range"`
		DRs        []DRDef         `json:"DRs"`
		UpChannels []UpChannel     `json:"upchannels"`
		MaxEIRP    *float64        `json:"max_eirp"`
		MuxTime    Seconds         `json:"MuxTime"`
		Conf0      json.RawMessage `json:"sx1301_conf"`
		Conf1      json.RawMessage `json:"SX1301_conf"`
		Conf2      json.RawMessage `json:"sx1302_conf"`
		Conf3      json.RawMessage `json:"SX1302_conf"`
		Conf4      json.RawMessage `json:"radio_conf"`
		NoCCA      *bool           `json:"nocca"`
		NoDC       *bool           `json:"nodc"`
		NoDwell    *bool           `json:"nodwell"`
		DeviceMode *bool           `json:"device_mode"`
		Bcning     *Beaconing      `json:"bcning"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := RouterConfig{
		Region:     w.Region,
		HWSpec:     w.HWSpec,
		DRs:        w.DRs,
		UpChannels: w.UpChannels,
		MaxEIRP:    w.MaxEIRP,
		MuxTime:    w.MuxTime,
		NoCCA:      w.NoCCA,
		NoDC:       w.NoDC,
		NoDwell:    w.NoDwell,
		DeviceMode: w.DeviceMode,
		Bcning:     w.Bcning,
	}
	out.NetIDAbsent = !present(w.NetID)
	var netIDs []uint32
	if present(w.NetID) {
		if err := json.Unmarshal(w.NetID, &netIDs); err != nil {
			return fmt.Errorf("station: router_config: NetID: %w", err)
		}
	}
	if netIDs != nil {
		out.NetIDs = make([]lorawan.NetID, len(netIDs))
		for i, v := range netIDs {
			if v > 0xFFFFFF {
				return fmt.Errorf("station: router_config: NetID %d does not fit 24 bits", v)
			}
			out.NetIDs[i] = lorawan.NetID{byte(v >> 16), byte(v >> 8), byte(v)}
		}
	}
	joinRaw := w.JoinEui
	if present(w.JoinEUI) {
		joinRaw, out.UpperEUIKeys = w.JoinEUI, true
	}
	out.JoinEUIAbsent = !present(joinRaw)
	if present(joinRaw) && !isNull(joinRaw) {
		if err := json.Unmarshal(joinRaw, &out.JoinEUIs); err != nil {
			return fmt.Errorf("station: router_config: %w", err)
		}
		if n := len(out.JoinEUIs); n > MaxJoinEUIRanges {
			return fmt.Errorf("station: router_config: too many Join EUI filter ranges - max %d supported (%d given)", MaxJoinEUIRanges, n)
		}
	}
	if w.FreqRange != nil {
		if len(*w.FreqRange) != 2 {
			return fmt.Errorf("station: router_config: freq_range has %d values, want 2", len(*w.FreqRange))
		}
		out.FreqRange = [2]uint32{(*w.FreqRange)[0], (*w.FreqRange)[1]}
	}
	keys := sx130xConfKeys()
	for i, raw := range [...]json.RawMessage{w.Conf0, w.Conf1, w.Conf2, w.Conf3, w.Conf4} {
		if !present(raw) {
			continue
		}
		out.SX130xConfKey = keys[i]
		out.SX130xConf = nil
		if isNull(raw) {
			continue
		}
		if err := json.Unmarshal(raw, &out.SX130xConf); err != nil {
			return fmt.Errorf("station: router_config: %s: %w", keys[i], err)
		}
	}
	*rc = out
	return nil
}
