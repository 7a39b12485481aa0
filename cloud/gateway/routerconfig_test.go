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
		// s2e.c reads at most MAX_JOINEUI_RANGES (10) and fails on the
		// 11th ("Expecting a closing ]"), dropping the whole message.
		if len(ranges) > 10 {
			return fmt.Errorf("JoinEui has %d ranges; Station 2.0.6 fails to parse more than 10", len(ranges))
		}
		// lora.c ends the list at a range starting at 0.
		for i, r := range ranges {
			if r[0] == 0 {
				return fmt.Errorf("JoinEui[%d] starts at 0, which ends Station's list", i)
			}
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

// stationJoinEUIPasses is Station 2.0.6's JoinEui check on a join-request
// (src/lora.c, s2e_parse_lora_frame): no filter, or a list whose first
// range starts at 0, passes everything; otherwise the ranges are walked
// until one whose first EUI is 0.
func stationJoinEUIPasses(ranges [][2]uint64, joinEUI uint64) bool {
	if len(ranges) == 0 || ranges[0][0] == 0 {
		return true
	}
	for _, r := range ranges {
		if r[0] == 0 {
			break
		}
		if joinEUI >= r[0] && joinEUI <= r[1] {
			return true
		}
	}
	return false
}

// TestBuildRouterConfigJoinEUIFilter checks the JoinEui filter against
// Station 2.0.6 as it ran against the cloud: 11 ranges made it refuse the
// whole router_config ("Too many Join EUI filter ranges - max 10
// supported", "@.JoinEui[10][-1]: Expecting a closing ]", "Parsing of
// JSON message failed - ignored"). Every configured JoinEUI must pass
// Station's check on what is sent, and Station must accept the message.
func TestBuildRouterConfigJoinEUIFilter(t *testing.T) {
	t.Parallel()
	eui := func(v uint64) lorawan.EUI64 {
		var e lorawan.EUI64
		for i := 7; i >= 0; i-- {
			e[i] = byte(v)
			v >>= 8
		}
		return e
	}
	singles := func(n int, base uint64, step uint64) []JoinEUIRange {
		var out []JoinEUIRange
		for i := range n {
			v := base + uint64(i)*step
			out = append(out, JoinEUIRange{First: eui(v), Last: eui(v)})
		}
		return out
	}
	tests := []struct {
		name      string
		ranges    []JoinEUIRange
		wantN     int    // ranges sent; 0 means null (every join forwarded)
		outside   uint64 // a JoinEUI Station must filter out when wantN > 0
		checkEUIs []uint64
	}{
		{"none", nil, 0, 0, []uint64{1, 0x70b3d57ed0000000}},
		{"two, given out of order", []JoinEUIRange{{eui(0x70b3d57ed0000000), eui(0x70b3d57ed0ffffff)}, {eui(0x100), eui(0x1ff)}},
			2, 0x70b3d57ed1000000, []uint64{0x100, 0x1ff, 0x70b3d57ed0000000, 0x70b3d57ed0ffffff}},
		{"ten", singles(10, 0x100, 2), 10, 0x101, []uint64{0x100, 0x112}},
		{"eleven disjoint: null rather than a message Station drops", append(singles(10, 0x100, 2), JoinEUIRange{eui(0x70b3d57ed0000000), eui(0x70b3d57ed0ffffff)}),
			0, 0, []uint64{0x100, 0x112, 0x70b3d57ed0000001}},
		{"eleven that touch merge into one", singles(11, 0x100, 1), 1, 0x10b, []uint64{0x100, 0x10a}},
		{"overlapping", []JoinEUIRange{{eui(0x10), eui(0x20)}, {eui(0x18), eui(0x30)}, {eui(0x30), eui(0x30)}}, 1, 0x31, []uint64{0x10, 0x25, 0x30}},
		{"a range from 0", []JoinEUIRange{{eui(0x500), eui(0x600)}, {eui(0), eui(0xff)}}, 0, 0, []uint64{0, 0x80, 0x500}},
		{"up to the last EUI", []JoinEUIRange{{eui(0xfffffffffffffff0), eui(0xffffffffffffffff)}, {eui(0xfffffffffffffff8), eui(0xffffffffffffffff)}},
			1, 0xffffffffffffffef, []uint64{0xffffffffffffffff, 0xfffffffffffffff0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc, err := BuildRouterConfig(GatewayInfo{Region: "EU868"}, RouterConfigOptions{JoinEUIs: tt.ranges})
			if err != nil {
				t.Fatal(err)
			}
			rc.MuxTime = goldenMuxTime
			b, err := station.Encode(rc)
			if err != nil {
				t.Fatal(err)
			}
			if err := stationAccepts(b); err != nil {
				t.Fatalf("Station would refuse it: %v\n%s", err, b)
			}
			var m struct {
				JoinEui [][2]uint64
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			if len(m.JoinEui) != tt.wantN {
				t.Fatalf("JoinEui has %d ranges, want %d: %v", len(m.JoinEui), tt.wantN, m.JoinEui)
			}
			if tt.wantN == 0 && !bytes.Contains(b, []byte(`"JoinEui":null`)) {
				t.Errorf("want \"JoinEui\":null in %s", b)
			}
			for _, v := range tt.checkEUIs {
				if !stationJoinEUIPasses(m.JoinEui, v) {
					t.Errorf("JoinEUI %016x of a configured range is filtered by Station", v)
				}
			}
			if tt.wantN > 0 && stationJoinEUIPasses(m.JoinEui, tt.outside) {
				t.Errorf("JoinEUI %016x outside every range passes Station's filter", tt.outside)
			}
		})
	}
}
