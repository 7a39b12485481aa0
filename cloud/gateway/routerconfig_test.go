package gateway

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenMuxTime is a fixed MuxTime for the golden files (BuildRouterConfig
// leaves MuxTime to the session, which stamps the current time).
const goldenMuxTime = station.Seconds(1795783677.292109)

// supportedGateways are the gateway records of the golden tests: one per
// supported region, US915 and AU915 on sub-band 2.
var supportedGateways = []struct {
	file string
	info GatewayInfo
}{
	{"eu868", GatewayInfo{EUI: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}, Region: "EU868"}},
	{"us915_sb2", GatewayInfo{EUI: lorawan.EUI64{1}, Region: "US915", SubBand: 2}},
	{"au915_sb2", GatewayInfo{EUI: lorawan.EUI64{2}, Region: "AU915", SubBand: 2}},
	{"as923-1", GatewayInfo{EUI: lorawan.EUI64{3}, Region: "AS923-1"}},
	{"kr920", GatewayInfo{EUI: lorawan.EUI64{4}, Region: "KR920"}},
	{"in865", GatewayInfo{EUI: lorawan.EUI64{5}, Region: "IN865"}},
}

var goldenOptions = RouterConfigOptions{NetIDs: []lorawan.NetID{{0x00, 0x00, 0x13}}}

func goldenRouterConfig(t *testing.T, info GatewayInfo) []byte {
	t.Helper()
	rc, err := BuildRouterConfig(info, goldenOptions)
	if err != nil {
		t.Fatalf("BuildRouterConfig(%s): %v", info.Region, err)
	}
	rc.MuxTime = goldenMuxTime
	b, err := station.Encode(rc)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestRouterConfigGolden compares each region's router_config with its
// golden file (go test -run RouterConfigGolden -update rewrites them).
func TestRouterConfigGolden(t *testing.T) {
	t.Parallel()
	for _, g := range supportedGateways {
		t.Run(g.file, func(t *testing.T) {
			got := goldenRouterConfig(t, g.info)
			path := filepath.Join("testdata", "router_config", g.file+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("router_config differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestRouterConfigGoldenMeetsStation reads each golden file as plain JSON
// and checks it against what Station 2.0.6's handle_router_config
// (src/s2e.c), ral_config (src/ral_lgw.c) and parse_sx130x_conf
// (src/sx130xconf.c) require, and against the region's channel plan: every
// uplink channel of the gateway is listened on.
func TestRouterConfigGoldenMeetsStation(t *testing.T) {
	t.Parallel()
	for _, g := range supportedGateways {
		t.Run(g.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "router_config", g.file+".json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := stationAccepts(b); err != nil {
				t.Fatalf("Station would refuse it: %v", err)
			}
			region, err := lorawan.RegionByName(g.info.Region)
			if err != nil {
				t.Fatal(err)
			}
			chans, err := regionChannels(region, g.info.SubBand)
			if err != nil {
				t.Fatal(err)
			}
			heard, err := listenedFrequencies(b)
			if err != nil {
				t.Fatal(err)
			}
			for _, ch := range chans {
				if !heard[ch.Frequency] {
					t.Errorf("uplink channel %d Hz (DR%d-%d) not listened on; listened: %v", ch.Frequency, ch.MinDR, ch.MaxDR, heard)
				}
			}
			if g.info.SubBand != 0 && len(heard) != len(chans) {
				t.Errorf("listens on %d frequencies, the sub-band has %d", len(heard), len(chans))
			}
		})
	}
}

// stationAccepts checks a router_config as Station 2.0.6 would.
func stationAccepts(b []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	var s string
	if err := json.Unmarshal(m["msgtype"], &s); err != nil || s != "router_config" {
		return fmt.Errorf("msgtype %s", m["msgtype"])
	}
	if err := json.Unmarshal(m["hwspec"], &s); err != nil || s != "sx1301/1" {
		return fmt.Errorf("hwspec %s, want \"sx1301/1\"", m["hwspec"])
	}
	if err := json.Unmarshal(m["region"], &s); err != nil {
		return fmt.Errorf("region %s", m["region"])
	}
	switch s {
	case "EU863", "EU868", "IL915", "KR920", "AS923JP", "AS923-1", "US902", "US915", "AU915":
	default:
		return fmt.Errorf("region %q unknown to Station: every downlink would be dropped", s)
	}
	var fr []int64
	if err := json.Unmarshal(m["freq_range"], &fr); err != nil || len(fr) != 2 || fr[0] <= 0 || fr[0] >= fr[1] {
		return fmt.Errorf("freq_range %s", m["freq_range"])
	}
	var drs [][]int
	if err := json.Unmarshal(m["DRs"], &drs); err != nil || len(drs) == 0 || len(drs) > 16 {
		return fmt.Errorf("DRs %s", m["DRs"])
	}
	for i, d := range drs {
		if len(d) != 3 {
			return fmt.Errorf("DRs[%d] = %v, want [SF, BW, dnonly]", i, d)
		}
		if d[0] > 0 && (d[0] < 7 || d[0] > 12 || (d[1] != 125 && d[1] != 250 && d[1] != 500)) {
			return fmt.Errorf("DRs[%d] = %v: not a LoRa rate Station knows", i, d)
		}
	}
	var eirp float64
	if err := json.Unmarshal(m["max_eirp"], &eirp); err != nil || eirp <= 0 {
		return fmt.Errorf("max_eirp %s", m["max_eirp"])
	}
	var mux float64
	if err := json.Unmarshal(m["MuxTime"], &mux); err != nil || mux <= 0 {
		return fmt.Errorf("MuxTime %s", m["MuxTime"])
	}
	if raw, ok := m["NetID"]; !ok {
		return fmt.Errorf("no NetID")
	} else if string(raw) != "null" {
		var ids []uint32
		if err := json.Unmarshal(raw, &ids); err != nil {
			return fmt.Errorf("NetID %s: %v", raw, err)
		}
	}
	if raw, ok := m["JoinEui"]; !ok {
		return fmt.Errorf("no JoinEui")
	} else if string(raw) != "null" {
		var ranges [][2]uint64
		if err := json.Unmarshal(raw, &ranges); err != nil {
			return fmt.Errorf("JoinEui %s: %v", raw, err)
		}
	}
	var confs []map[string]json.RawMessage
	if err := json.Unmarshal(m["sx1301_conf"], &confs); err != nil || len(confs) == 0 {
		return fmt.Errorf("sx1301_conf must be a non-empty array: %s", m["sx1301_conf"])
	}
	var radios [2]struct {
		Enable bool  `json:"enable"`
		Freq   int64 `json:"freq"`
	}
	for r := range radios {
		raw, ok := confs[0][fmt.Sprintf("radio_%d", r)]
		if !ok {
			return fmt.Errorf("no radio_%d", r)
		}
		if err := strictObject(raw, "enable", "freq"); err != nil {
			return fmt.Errorf("radio_%d: %v", r, err)
		}
		if err := json.Unmarshal(raw, &radios[r]); err != nil {
			return err
		}
		if radios[r].Enable && (radios[r].Freq < 1e6 || radios[r].Freq > 1e9) {
			return fmt.Errorf("radio_%d freq %d", r, radios[r].Freq)
		}
	}
	if !radios[0].Enable {
		return fmt.Errorf("radio_0 disabled; Station transmits on RF chain 0")
	}
	for k, raw := range confs[0] {
		if strings.HasPrefix(k, "radio_") {
			continue
		}
		if !strings.HasPrefix(k, "chan_") {
			return fmt.Errorf("unexpected key %q in sx1301_conf", k)
		}
		if err := strictObject(raw, "enable", "radio", "if", "bandwidth", "spread_factor", "datarate"); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		var ch struct {
			Enable    bool  `json:"enable"`
			Radio     int   `json:"radio"`
			IF        int64 `json:"if"`
			Bandwidth int64 `json:"bandwidth"`
			SF        int   `json:"spread_factor"`
		}
		if err := json.Unmarshal(raw, &ch); err != nil {
			return fmt.Errorf("%s: %v", k, err)
		}
		if !ch.Enable {
			continue
		}
		if ch.Radio < 0 || ch.Radio > 1 || !radios[ch.Radio].Enable {
			return fmt.Errorf("%s on radio %d, not enabled", k, ch.Radio)
		}
		// Semtech HAL (loragw_hal.c): |IF| + BW/2 <= RX bandwidth/2, the
		// RX bandwidth being 925/1000/1100 kHz for 125/250/500 kHz channels.
		bw, rx := int64(125000), int64(925000)
		if k == "chan_Lora_std" {
			bw = ch.Bandwidth
			switch bw {
			case 125000:
			case 250000:
				rx = 1000000
			case 500000:
				rx = 1100000
			default:
				return fmt.Errorf("%s bandwidth %d", k, bw)
			}
			if ch.SF < 7 || ch.SF > 12 {
				return fmt.Errorf("%s spread_factor %d", k, ch.SF)
			}
		}
		if abs(ch.IF)+bw/2 > rx/2 {
			return fmt.Errorf("%s IF %d Hz out of range for %d Hz", k, ch.IF, bw)
		}
		if f := radios[ch.Radio].Freq + ch.IF; f < fr[0] || f > fr[1] {
			return fmt.Errorf("%s listens on %d Hz, outside freq_range %v", k, f, fr)
		}
	}
	return nil
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// strictObject fails when the object has a key not in allowed (Station's
// parse_rfconf and parse_ifconf refuse unknown keys).
func strictObject(raw json.RawMessage, allowed ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	for k := range m {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return fmt.Errorf("key %q, which Station refuses", k)
		}
	}
	return nil
}

// listenedFrequencies returns the absolute frequencies of the enabled
// chains of a router_config's sx1301_conf[0].
func listenedFrequencies(b []byte) (map[uint32]bool, error) {
	var rc struct {
		Conf []map[string]struct {
			Enable bool  `json:"enable"`
			Radio  int   `json:"radio"`
			IF     int64 `json:"if"`
			Freq   int64 `json:"freq"`
		} `json:"sx1301_conf"`
	}
	if err := json.Unmarshal(b, &rc); err != nil {
		return nil, err
	}
	c := rc.Conf[0]
	out := map[uint32]bool{}
	for k, ch := range c {
		if !strings.HasPrefix(k, "chan_") || !ch.Enable {
			continue
		}
		out[uint32(c[fmt.Sprintf("radio_%d", ch.Radio)].Freq+ch.IF)] = true
	}
	return out, nil
}

func TestBuildRouterConfigRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		info GatewayInfo
	}{
		{"unknown region", GatewayInfo{Region: "XX123"}},
		{"sub-band in a dynamic plan", GatewayInfo{Region: "EU868", SubBand: 2}},
		{"sub-band 9", GatewayInfo{Region: "US915", SubBand: 9}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if rc, err := BuildRouterConfig(tt.info, RouterConfigOptions{}); err == nil {
				t.Errorf("BuildRouterConfig = %+v, want an error", rc)
			}
		})
	}
}

func TestBuildRouterConfigDefaultSubBand(t *testing.T) {
	t.Parallel()
	got, err := BuildRouterConfig(GatewayInfo{Region: "US915"}, RouterConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want, err := BuildRouterConfig(GatewayInfo{Region: "US915", SubBand: 2}, RouterConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gb, _ := station.Encode(got)
	wb, _ := station.Encode(want)
	if !bytes.Equal(gb, wb) {
		t.Errorf("US915 without sub-band:\n%s\nwant sub-band 2:\n%s", gb, wb)
	}
	if got.NetIDs != nil || got.JoinEUIs != nil {
		t.Errorf("no filters configured, got NetID %v JoinEui %v; want null (accept all)", got.NetIDs, got.JoinEUIs)
	}
}

func TestNetIDFilterValue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		netID   lorawan.NetID
		devAddr lorawan.DevAddr // an address of that network
	}{
		{lorawan.NetID{0x00, 0x00, 0x13}, lorawan.DevAddr{0x26, 0x01, 0x02, 0x03}}, // type 0, NwkID 0x13
		{lorawan.NetID{0x00, 0x00, 0x00}, lorawan.DevAddr{0x01, 0xff, 0xff, 0xff}}, // type 0, NwkID 0
		{lorawan.NetID{0x20, 0x00, 0x3f}, lorawan.DevAddr{0xbf, 0x00, 0x00, 0x01}}, // type 1: '10' + 111111
		{lorawan.NetID{0x60, 0x00, 0x2d}, lorawan.DevAddr{0xe0, 0x5a, 0x00, 0x00}}, // type 3: '1110' + 00000101101
		{lorawan.NetID{0xe0, 0x00, 0x01}, lorawan.DevAddr{0xfe, 0x00, 0x00, 0x80}}, // type 7: '11111110' + NwkID 1
	}
	for _, tt := range tests {
		t.Run(tt.netID.String(), func(t *testing.T) {
			v := netIDFilterValue(tt.netID)
			// Station's check: top 7 bits of the DevAddr equal the value.
			if got, want := uint32(v[2]), tt.devAddr.Uint32()>>25; got != want || v[0] != 0 || v[1] != 0 {
				t.Errorf("netIDFilterValue(%s) = %s, want %02x (top 7 bits of %s)", tt.netID, v, want, tt.devAddr)
			}
			f := station.NewUplinkFilter(&station.RouterConfig{NetIDs: []lorawan.NetID{v}})
			phy := append([]byte{0x40}, tt.devAddr[3], tt.devAddr[2], tt.devAddr[1], tt.devAddr[0])
			phy = append(phy, 0, 0, 0, 1, 2, 3, 4) // FCtrl, FCnt, MIC
			if _, err := f.Split(phy, station.UplinkMeta{}); err != nil {
				t.Errorf("station's filter drops %s of NetID %s: %v", tt.devAddr, tt.netID, err)
			}
		})
	}
}
