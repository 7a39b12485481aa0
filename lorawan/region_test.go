package lorawan

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The -update flag rewrites the golden files under testdata/regions. Other
// test files of the package may register the same flag; register it only
// if nobody did (package variables, where such flags usually live, are
// initialised before any init function runs).
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files under testdata")
	}
}

func rpUpdateGolden() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func rpMustRegion(t testing.TB, name string) *Region {
	t.Helper()
	r, err := RegionByName(name)
	if err != nil {
		t.Fatalf("RegionByName(%q): %v", name, err)
	}
	return r
}

const rpMHz = 1_000_000

func TestRegionByName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
	}{
		{"EU868", "EU868"},
		{"eu868", "EU868"},
		{"EU863-870", "EU868"},
		{"EU_863_870", "EU868"},
		{"EU863", "EU868"},
		{"US915", "US915"},
		{"US902-928", "US915"},
		{"us_902_928", "US915"},
		{"US902", "US915"},
		{"AU915", "AU915"},
		{"AU915-928", "AU915"},
		{"AU_915_928", "AU915"},
		{"AS923", "AS923-1"},
		{"AS923-1", "AS923-1"},
		{"AS_923", "AS923-1"},
		{"AS923JP", "AS923-1"},
		{"AS923-2", "AS923-2"},
		{"AS_923_2", "AS923-2"},
		{"as923-3", "AS923-3"},
		{"AS923-4", "AS923-4"},
		{"KR920", "KR920"},
		{"KR920-923", "KR920"},
		{"IN865", "IN865"},
		{"IN865-867", "IN865"},
		{" in_865_867 ", "IN865"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			r, err := RegionByName(tc.in)
			if err != nil {
				t.Fatalf("RegionByName(%q): %v", tc.in, err)
			}
			if got := r.Name(); got != tc.want {
				t.Errorf("RegionByName(%q).Name() = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
	for _, bad := range []string{"", "EU", "EU433", "AS923-5", "CN470", "US915X", "868"} {
		t.Run("unknown "+bad, func(t *testing.T) {
			r, err := RegionByName(bad)
			if !errors.Is(err, ErrUnknownRegion) {
				t.Errorf("RegionByName(%q) error = %v, want ErrUnknownRegion", bad, err)
			}
			if r != nil {
				t.Errorf("RegionByName(%q) = %v, want nil", bad, r)
			}
		})
	}
}

// Each caller gets its own copy: wiping one leaves the next lookup intact.
func TestRegionByNameCopies(t *testing.T) {
	t.Parallel()
	a := rpMustRegion(t, "EU868")
	*a = Region{}
	b := rpMustRegion(t, "EU868")
	if got := b.RX2Frequency(); got != 869_525_000 {
		t.Errorf("RX2Frequency after wiping another copy = %d, want 869525000", got)
	}
	rs := Regions()
	*rs[0] = Region{}
	if got := Regions()[0].Name(); got != "EU868" {
		t.Errorf("Regions()[0].Name() after wiping another copy = %q, want EU868", got)
	}
}

func TestRegions(t *testing.T) {
	t.Parallel()
	want := []string{"EU868", "US915", "AU915", "AS923-1", "AS923-2", "AS923-3", "AS923-4", "KR920", "IN865"}
	rs := Regions()
	if len(rs) != len(want) {
		t.Fatalf("len(Regions()) = %d, want %d", len(rs), len(want))
	}
	for i, r := range rs {
		if r.Name() != want[i] {
			t.Errorf("Regions()[%d].Name() = %q, want %q", i, r.Name(), want[i])
		}
		if got, err := RegionByName(r.Name()); err != nil || got.Name() != r.Name() {
			t.Errorf("RegionByName(%q) = %v, %v; want the same region", r.Name(), got, err)
		}
	}
}

func TestStationName(t *testing.T) {
	t.Parallel()
	// Basics Station 2.0.6 (src/s2e.c) recognises EU868, IL915, KR920,
	// AS923-1, US915 and AU915 (plus obsolete aliases) only.
	want := map[string]string{
		"EU868": "EU868", "US915": "US915", "AU915": "AU915", "AS923-1": "AS923-1",
		"AS923-2": "AS923-1", "AS923-3": "AS923-1", "AS923-4": "AS923-1", "KR920": "KR920", "IN865": "AU915",
	}
	for _, r := range Regions() {
		if got := r.StationName(); got != want[r.Name()] {
			t.Errorf("%s StationName() = %q, want %q", r.Name(), got, want[r.Name()])
		}
	}
}

func TestDataRate(t *testing.T) {
	t.Parallel()
	lora := func(sf int, bw uint32, up, down bool) DataRate {
		return DataRate{Modulation: ModulationLoRa, SpreadingFactor: sf, Bandwidth: bw, CodingRate: "4/5", Uplink: up, Downlink: down}
	}
	fsk := DataRate{Modulation: ModulationFSK, BitRate: 50000, Uplink: true, Downlink: true}
	tests := []struct {
		region string
		dr     int
		want   DataRate
	}{
		{"EU868", 0, lora(12, 125000, true, true)},
		{"EU868", 5, lora(7, 125000, true, true)},
		{"EU868", 6, lora(7, 250000, true, true)},
		{"EU868", 7, fsk},
		{"EU868", 8, DataRate{Modulation: ModulationLRFHSS, Bandwidth: 137000, CodingRate: "1/3", Uplink: true}},
		{"EU868", 11, DataRate{Modulation: ModulationLRFHSS, Bandwidth: 336000, CodingRate: "2/3", Uplink: true}},
		{"US915", 0, lora(10, 125000, true, false)},
		{"US915", 3, lora(7, 125000, true, false)},
		{"US915", 4, lora(8, 500000, true, false)},
		{"US915", 5, DataRate{Modulation: ModulationLRFHSS, Bandwidth: 1523000, CodingRate: "1/3", Uplink: true}},
		{"US915", 8, lora(12, 500000, false, true)},
		{"US915", 13, lora(7, 500000, false, true)},
		{"AU915", 0, lora(12, 125000, true, false)},
		{"AU915", 5, lora(7, 125000, true, false)},
		{"AU915", 6, lora(8, 500000, true, false)},
		{"AU915", 7, DataRate{Modulation: ModulationLRFHSS, Bandwidth: 1523000, CodingRate: "1/3", Uplink: true}},
		{"AU915", 8, lora(12, 500000, false, true)},
		{"AU915", 13, lora(7, 500000, false, true)},
		{"AS923-1", 2, lora(10, 125000, true, true)},
		{"AS923-2", 6, lora(7, 250000, true, true)},
		{"AS923-4", 7, fsk},
		{"KR920", 0, lora(12, 125000, true, true)},
		{"KR920", 5, lora(7, 125000, true, true)},
		{"IN865", 5, lora(7, 125000, true, true)},
		{"IN865", 7, fsk},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/DR%d", tc.region, tc.dr), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).DataRate(tc.dr)
			if err != nil {
				t.Fatalf("DataRate(%d): %v", tc.dr, err)
			}
			if got != tc.want {
				t.Errorf("DataRate(%d) = %+v, want %+v", tc.dr, got, tc.want)
			}
		})
	}
	undefined := []struct {
		region string
		dr     int
	}{
		{"EU868", 12}, {"EU868", 15}, {"EU868", -1}, {"EU868", 16},
		{"US915", 7}, {"US915", 14}, {"AU915", 14}, {"AS923-1", 8},
		{"KR920", 6}, {"KR920", 7}, {"IN865", 6}, {"IN865", 8},
	}
	for _, tc := range undefined {
		t.Run(fmt.Sprintf("%s/DR%d undefined", tc.region, tc.dr), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).DataRate(tc.dr)
			if !errors.Is(err, ErrNotInRegion) {
				t.Errorf("DataRate(%d) = %+v, %v; want ErrNotInRegion", tc.dr, got, err)
			}
		})
	}
}

func TestDataRateString(t *testing.T) {
	t.Parallel()
	eu := rpMustRegion(t, "EU868")
	want := map[int]string{0: "SF12BW125", 6: "SF7BW250", 7: "FSK50000", 8: "LR-FHSS CR1/3 OCW137", 12: "RFU"}
	drs := eu.DataRates()
	for dr, w := range want {
		if got := drs[dr].String(); got != w {
			t.Errorf("EU868 DR%d String() = %q, want %q", dr, got, w)
		}
	}
	if drs[8].Usable() || !drs[7].Usable() || !drs[0].Usable() || drs[12].Defined() {
		t.Errorf("Usable/Defined wrong: DR8 usable %v, DR7 usable %v, DR0 usable %v, DR12 defined %v",
			drs[8].Usable(), drs[7].Usable(), drs[0].Usable(), drs[12].Defined())
	}
}

func TestDataRateIndex(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		sf     int
		bw     uint32
		down   bool
		want   int
	}{
		{"EU868", 12, 125000, false, 0},
		{"EU868", 7, 125000, false, 5},
		{"EU868", 7, 250000, false, 6},
		{"EU868", 0, 0, false, 7},
		{"EU868", 9, 125000, true, 3},
		{"US915", 10, 125000, false, 0},
		{"US915", 8, 500000, false, 4},
		{"US915", 8, 500000, true, 12},
		{"US915", 12, 500000, true, 8},
		{"AU915", 8, 500000, false, 6},
		{"AU915", 12, 500000, true, 8},
		{"AU915", 12, 125000, false, 0},
		{"AS923-1", 10, 125000, true, 2},
		{"IN865", 0, 0, true, 7},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/SF%d/%d/down=%v", tc.region, tc.sf, tc.bw, tc.down), func(t *testing.T) {
			r := rpMustRegion(t, tc.region)
			f := r.DataRateIndex
			if tc.down {
				f = r.DownlinkDataRateIndex
			}
			got, err := f(tc.sf, tc.bw)
			if err != nil || got != tc.want {
				t.Errorf("index of SF%d BW%d = %d, %v; want %d", tc.sf, tc.bw, got, err, tc.want)
			}
		})
	}
	bad := []struct {
		region string
		sf     int
		bw     uint32
		down   bool
	}{
		{"US915", 12, 125000, false}, // US915 has no SF12 uplink
		{"US915", 10, 125000, true},  // 125 kHz is uplink only
		{"US915", 0, 0, false},       // no FSK
		{"AU915", 12, 500000, false}, // SF12/500 is downlink only
		{"KR920", 7, 250000, false},
		{"KR920", 0, 0, false},
		{"EU868", 13, 125000, false},
	}
	for _, tc := range bad {
		t.Run(fmt.Sprintf("%s/SF%d/%d/down=%v bad", tc.region, tc.sf, tc.bw, tc.down), func(t *testing.T) {
			r := rpMustRegion(t, tc.region)
			f := r.DataRateIndex
			if tc.down {
				f = r.DownlinkDataRateIndex
			}
			if got, err := f(tc.sf, tc.bw); !errors.Is(err, ErrNotInRegion) {
				t.Errorf("index of SF%d BW%d = %d, %v; want ErrNotInRegion", tc.sf, tc.bw, got, err)
			}
		})
	}
}

func TestMaxPayloadSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		dr     int
		dwell  bool
		m, n   int // m == 0: error
	}{
		{"EU868", 0, false, 59, 51},
		{"EU868", 2, false, 59, 51},
		{"EU868", 3, false, 123, 115},
		{"EU868", 5, false, 250, 242},
		{"EU868", 7, false, 250, 242},
		{"EU868", 8, false, 58, 50},
		{"EU868", 9, false, 123, 115},
		{"EU868", 0, true, 59, 51}, // no dwell time in EU868
		{"EU868", 12, false, 0, 0},
		{"US915", 0, false, 19, 11},
		{"US915", 1, false, 61, 53},
		{"US915", 2, false, 133, 125},
		{"US915", 4, false, 250, 242},
		{"US915", 5, false, 58, 50},
		{"US915", 8, false, 61, 53},
		{"US915", 9, false, 137, 129},
		{"US915", 13, false, 250, 242},
		{"US915", 7, false, 0, 0},
		{"AU915", 0, false, 59, 51},
		{"AU915", 0, true, 0, 0},
		{"AU915", 2, true, 19, 11},
		{"AU915", 4, true, 133, 125},
		{"AU915", 4, false, 250, 242},
		{"AU915", 7, false, 58, 50},
		{"AU915", 8, true, 61, 53},
		{"AS923-1", 0, false, 59, 51},
		{"AS923-1", 1, true, 0, 0},
		{"AS923-1", 2, false, 123, 115},
		{"AS923-1", 2, true, 19, 11},
		{"AS923-3", 3, true, 61, 53},
		{"AS923-2", 4, true, 133, 125},
		{"AS923-4", 5, true, 250, 242},
		{"KR920", 3, false, 123, 115},
		{"KR920", 5, false, 250, 242},
		{"IN865", 7, false, 250, 242},
		{"IN865", 6, false, 0, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/DR%d/dwell=%v", tc.region, tc.dr, tc.dwell), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).MaxPayloadSize(tc.dr, tc.dwell)
			if tc.m == 0 {
				if !errors.Is(err, ErrNotInRegion) {
					t.Errorf("MaxPayloadSize = %+v, %v; want ErrNotInRegion", got, err)
				}
				return
			}
			if err != nil || got != (MaxPayload{M: tc.m, N: tc.n}) {
				t.Errorf("MaxPayloadSize = %+v, %v; want M=%d N=%d", got, err, tc.m, tc.n)
			}
		})
	}
}

// RP002 sizes the dwell-time payload limits so that a full frame fits in
// 400 ms: checked here with the airtime formula, independently of the tables.
func TestMaxPayloadFitsDwellTime(t *testing.T) {
	t.Parallel()
	const dwell = 400 * time.Millisecond
	const overhead = 5 // MHDR and MIC around the MACPayload
	for _, name := range []string{"US915", "AU915", "AS923-1", "AS923-2", "AS923-3", "AS923-4"} {
		r := rpMustRegion(t, name)
		for dr, d := range r.DataRates() {
			if d.Modulation != ModulationLoRa || !d.Uplink {
				continue
			}
			mp, err := r.MaxPayloadSize(dr, true)
			if err != nil {
				continue // not allowed under dwell time
			}
			toa, err := r.TimeOnAir(dr, mp.M+overhead, true)
			if err != nil {
				t.Fatalf("%s DR%d TimeOnAir: %v", name, dr, err)
			}
			if toa > dwell {
				t.Errorf("%s DR%d: %d-byte frame lasts %v, over the %v dwell time", name, dr, mp.M+overhead, toa, dwell)
			}
		}
	}
}

func TestRX1DataRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region     string
		up, offset int
		dwell      bool
		want       int // -1: error
	}{
		{"EU868", 5, 0, false, 5},
		{"EU868", 5, 5, false, 0},
		{"EU868", 2, 3, false, 0},
		{"EU868", 7, 1, false, 6},
		{"EU868", 8, 0, false, 1},
		{"EU868", 9, 1, false, 1},
		{"EU868", 5, 6, false, -1},
		{"EU868", 12, 0, false, -1},
		{"US915", 0, 0, false, 10},
		{"US915", 0, 3, false, 8},
		{"US915", 3, 2, false, 11},
		{"US915", 4, 0, false, 13},
		{"US915", 4, 3, false, 11},
		{"US915", 5, 0, false, 10},
		{"US915", 0, 4, false, -1},
		{"US915", 8, 0, false, -1}, // DR8 is downlink only
		{"AU915", 0, 0, false, 8},
		{"AU915", 2, 0, false, 10},
		{"AU915", 5, 5, false, 8},
		{"AU915", 6, 0, false, 13},
		{"AU915", 6, 5, false, 9},
		{"AU915", 7, 0, false, 9},
		{"AU915", 0, 6, false, -1},
		{"AS923-1", 0, 0, false, 0},
		{"AS923-1", 0, 0, true, 2},
		{"AS923-1", 3, 5, false, 0},
		{"AS923-1", 3, 5, true, 2},
		{"AS923-1", 4, 1, true, 3},
		{"AS923-1", 2, 6, false, 3},
		{"AS923-1", 2, 7, false, 4},
		{"AS923-1", 5, 6, false, 6},
		{"AS923-1", 5, 7, false, 7},
		{"AS923-1", 7, 7, false, 7},
		{"AS923-2", 0, 7, true, 2},
		{"AS923-3", 1, 7, true, 3},
		{"KR920", 5, 5, false, 0},
		{"KR920", 4, 1, false, 3},
		{"KR920", 4, 6, false, -1},
		{"IN865", 0, 6, false, 1},
		{"IN865", 3, 7, false, 5},
		{"IN865", 4, 7, false, 5}, // DR6 is undefined: falls to DR5
		{"IN865", 5, 6, false, 5},
		{"IN865", 5, 7, false, 7},
		{"IN865", 7, 1, false, 5},
		{"IN865", 7, 2, false, 5},
		{"IN865", 6, 0, false, -1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/DR%d/off%d/dwell=%v", tc.region, tc.up, tc.offset, tc.dwell), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).RX1DataRate(tc.up, tc.offset, tc.dwell)
			if tc.want < 0 {
				if !errors.Is(err, ErrNotInRegion) {
					t.Errorf("RX1DataRate = %d, %v; want ErrNotInRegion", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("RX1DataRate = %d, %v; want %d", got, err, tc.want)
			}
		})
	}
}

// Every RX1 rate a region hands out must be a downlink rate of that region.
func TestRX1DataRateIsDownlink(t *testing.T) {
	t.Parallel()
	for _, r := range Regions() {
		drs := r.DataRates()
		for up := range drs {
			for off := 0; off <= r.MaxRX1DROffset(); off++ {
				for _, dwell := range []bool{false, true} {
					dn, err := r.RX1DataRate(up, off, dwell)
					if !drs[up].Uplink {
						if err == nil {
							t.Errorf("%s RX1DataRate(%d, %d) = %d for a rate that is not uplink", r.Name(), up, off, dn)
						}
						continue
					}
					if err != nil {
						t.Errorf("%s RX1DataRate(%d, %d, %v): %v", r.Name(), up, off, dwell, err)
						continue
					}
					if !drs[dn].Downlink {
						t.Errorf("%s RX1DataRate(%d, %d, %v) = %d, not a downlink rate", r.Name(), up, off, dwell, dn)
					}
				}
			}
		}
	}
}

func TestRX1Frequency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		up     uint32
		want   uint32 // 0: error
	}{
		{"EU868", 868_100_000, 868_100_000},
		{"EU868", 867_900_000, 867_900_000},
		{"EU868", 869_525_000, 869_525_000},
		{"EU868", 902_300_000, 0},
		{"AS923-2", 921_400_000, 921_400_000},
		{"AS923-2", 923_200_000, 0}, // group 2 ends at 923.0 MHz
		{"KR920", 922_100_000, 922_100_000},
		{"IN865", 865_062_500, 865_062_500},
		// US915: 923.3 MHz + (channel mod 8) × 600 kHz.
		{"US915", 902_300_000, 923_300_000}, // channel 0
		{"US915", 904_300_000, 924_500_000}, // channel 10: 923.3 + 2×0.6
		{"US915", 903_900_000, 923_300_000}, // channel 8
		{"US915", 914_900_000, 927_500_000}, // channel 63: 923.3 + 7×0.6
		{"US915", 903_000_000, 923_300_000}, // channel 64 (500 kHz)
		{"US915", 904_600_000, 923_900_000}, // channel 65
		{"US915", 914_200_000, 927_500_000}, // channel 71
		{"US915", 902_400_000, 0},           // between channels
		{"US915", 915_100_000, 0},           // past channel 63
		{"US915", 915_800_000, 0},           // past channel 71
		{"AU915", 915_200_000, 923_300_000}, // channel 0
		{"AU915", 917_200_000, 924_500_000}, // channel 10
		{"AU915", 927_800_000, 927_500_000}, // channel 63
		{"AU915", 915_900_000, 923_300_000}, // channel 64
		{"AU915", 917_500_000, 923_900_000}, // channel 65
		{"AU915", 927_100_000, 927_500_000}, // channel 71
		{"AU915", 902_300_000, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.region, tc.up), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).RX1Frequency(tc.up)
			if tc.want == 0 {
				if !errors.Is(err, ErrNotInRegion) {
					t.Errorf("RX1Frequency(%d) = %d, %v; want ErrNotInRegion", tc.up, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("RX1Frequency(%d) = %d, %v; want %d", tc.up, got, err, tc.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region           string
		rx2Freq          uint32
		rx2DR            int
		minFreq, maxFreq uint32
		maxEIRP          float32
		upDwell, dnDwell bool
		txParamSetup     bool
		maxTXPower       int
		maxOffset        int
	}{
		{"EU868", 869_525_000, 0, 863 * rpMHz, 870 * rpMHz, 16, false, false, false, 7, 5},
		{"US915", 923_300_000, 8, 902 * rpMHz, 928 * rpMHz, 30, false, false, false, 14, 3},
		{"AU915", 923_300_000, 8, 915 * rpMHz, 928 * rpMHz, 30, true, false, true, 14, 5},
		{"AS923-1", 923_200_000, 2, 915 * rpMHz, 928 * rpMHz, 16, true, false, true, 7, 7},
		{"AS923-2", 921_400_000, 2, 920 * rpMHz, 923 * rpMHz, 16, true, false, true, 7, 7},
		{"AS923-3", 916_600_000, 2, 915 * rpMHz, 921 * rpMHz, 16, true, false, true, 7, 7},
		{"AS923-4", 917_300_000, 2, 917 * rpMHz, 920 * rpMHz, 16, true, false, true, 7, 7},
		{"KR920", 921_900_000, 0, 920_900_000, 923_300_000, 14, false, false, false, 7, 5},
		{"IN865", 866_550_000, 2, 865 * rpMHz, 867 * rpMHz, 30, false, false, false, 10, 7},
	}
	for _, tc := range tests {
		t.Run(tc.region, func(t *testing.T) {
			r := rpMustRegion(t, tc.region)
			if got := r.RX2Frequency(); got != tc.rx2Freq {
				t.Errorf("RX2Frequency() = %d, want %d", got, tc.rx2Freq)
			}
			if got := r.RX2DataRate(); got != tc.rx2DR {
				t.Errorf("RX2DataRate() = %d, want %d", got, tc.rx2DR)
			}
			if lo, hi := r.FrequencyRange(); lo != tc.minFreq || hi != tc.maxFreq {
				t.Errorf("FrequencyRange() = %d, %d; want %d, %d", lo, hi, tc.minFreq, tc.maxFreq)
			}
			if got := r.DefaultMaxEIRP(); got != tc.maxEIRP {
				t.Errorf("DefaultMaxEIRP() = %v, want %v", got, tc.maxEIRP)
			}
			if up, dn := r.UplinkDwellTime(), r.DownlinkDwellTime(); up != tc.upDwell || dn != tc.dnDwell {
				t.Errorf("dwell time up/down = %v/%v, want %v/%v", up, dn, tc.upDwell, tc.dnDwell)
			}
			if got := r.TxParamSetup(); got != tc.txParamSetup {
				t.Errorf("TxParamSetup() = %v, want %v", got, tc.txParamSetup)
			}
			if got := r.MaxTXPowerIndex(); got != tc.maxTXPower {
				t.Errorf("MaxTXPowerIndex() = %d, want %d", got, tc.maxTXPower)
			}
			if got := r.MaxRX1DROffset(); got != tc.maxOffset {
				t.Errorf("MaxRX1DROffset() = %d, want %d", got, tc.maxOffset)
			}
			delays := []time.Duration{r.ReceiveDelay1(), r.ReceiveDelay2(), r.JoinAcceptDelay1(), r.JoinAcceptDelay2()}
			want := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 6 * time.Second}
			for i := range delays {
				if delays[i] != want[i] {
					t.Errorf("delays = %v, want %v", delays, want)
					break
				}
			}
			// The RX2 frequency is one the region may transmit on.
			if r.RX2Frequency() < tc.minFreq || r.RX2Frequency() > tc.maxFreq {
				t.Errorf("RX2 frequency %d outside the region's range", r.RX2Frequency())
			}
		})
	}
}

func TestTXPower(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		index  int
		want   int
		ok     bool
	}{
		{"EU868", 0, 0, true},
		{"EU868", 1, -2, true},
		{"EU868", 7, -14, true},
		{"EU868", 8, 0, false},
		{"EU868", 15, 0, false},
		{"EU868", -1, 0, false},
		{"US915", 14, -28, true},
		{"US915", 15, 0, false},
		{"AU915", 10, -20, true},
		{"IN865", 10, -20, true},
		{"IN865", 11, 0, false},
		{"KR920", 7, -14, true},
		{"AS923-1", 8, 0, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.region, tc.index), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).TXPowerOffset(tc.index)
			if !tc.ok {
				if !errors.Is(err, ErrNotInRegion) {
					t.Errorf("TXPowerOffset(%d) = %d, %v; want ErrNotInRegion", tc.index, got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("TXPowerOffset(%d) = %d, %v; want %d", tc.index, got, err, tc.want)
			}
		})
	}
}

func TestDownlinkEIRP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		freq   uint32
		want   float32
	}{
		{"EU868", 868_100_000, 16},
		{"EU868", 869_525_000, 27},
		{"EU868", 869_400_000, 27},
		{"EU868", 869_650_000, 27},
		{"EU868", 869_700_000, 16},
		{"US915", 923_300_000, 26},
		{"AU915", 923_300_000, 30},
		{"AS923-1", 923_200_000, 16},
		{"KR920", 921_900_000, 23},
		{"IN865", 866_550_000, 30},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.region, tc.freq), func(t *testing.T) {
			if got := rpMustRegion(t, tc.region).DownlinkEIRP(tc.freq); got != tc.want {
				t.Errorf("DownlinkEIRP(%d) = %v, want %v", tc.freq, got, tc.want)
			}
		})
	}
}

func rpChannelFreqs(cs []Channel) []uint32 {
	out := make([]uint32, len(cs))
	for i, c := range cs {
		out[i] = c.Frequency
	}
	return out
}

func rpEqualU32(a, b []uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDynamicChannels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region   string
		defaults []uint32
		cflist   []uint32
	}{
		{"EU868", []uint32{868_100_000, 868_300_000, 868_500_000},
			[]uint32{867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000}},
		{"AS923-1", []uint32{923_200_000, 923_400_000},
			[]uint32{923_600_000, 923_800_000, 924_000_000, 924_200_000, 924_400_000}},
		{"AS923-2", []uint32{921_400_000, 921_600_000},
			[]uint32{921_800_000, 922_000_000, 922_200_000, 922_400_000, 922_600_000}},
		{"AS923-3", []uint32{916_600_000, 916_800_000},
			[]uint32{917_000_000, 917_200_000, 917_400_000, 917_600_000, 917_800_000}},
		{"AS923-4", []uint32{917_300_000, 917_500_000},
			[]uint32{917_700_000, 917_900_000, 918_100_000, 918_300_000, 918_500_000}},
		{"KR920", []uint32{922_100_000, 922_300_000, 922_500_000},
			[]uint32{922_700_000, 922_900_000, 923_100_000, 923_300_000}},
		{"IN865", []uint32{865_062_500, 865_402_500, 865_985_000},
			[]uint32{865_232_500, 866_185_000, 866_385_000, 866_585_000, 866_785_000}},
	}
	for _, tc := range tests {
		t.Run(tc.region, func(t *testing.T) {
			r := rpMustRegion(t, tc.region)
			if r.FixedChannelPlan() || r.SubBands() != 0 {
				t.Errorf("FixedChannelPlan() = %v, SubBands() = %d; want false, 0", r.FixedChannelPlan(), r.SubBands())
			}
			if got := rpChannelFreqs(r.DefaultChannels()); !rpEqualU32(got, tc.defaults) {
				t.Errorf("DefaultChannels() = %v, want %v", got, tc.defaults)
			}
			if got := rpChannelFreqs(r.JoinChannels()); !rpEqualU32(got, tc.defaults) {
				t.Errorf("JoinChannels() = %v, want %v", got, tc.defaults)
			}
			if got := r.CFListFrequencies(); !rpEqualU32(got, tc.cflist) {
				t.Errorf("CFListFrequencies() = %v, want %v", got, tc.cflist)
			}
			all := append(append([]uint32(nil), tc.defaults...), tc.cflist...)
			if got := rpChannelFreqs(r.UplinkChannels()); !rpEqualU32(got, all) {
				t.Errorf("UplinkChannels() = %v, want %v", got, all)
			}
			lo, hi := r.FrequencyRange()
			for i, f := range all {
				if f < lo || f > hi {
					t.Errorf("channel %d at %d outside %d..%d", i, f, lo, hi)
				}
				c, err := r.UplinkChannel(i)
				if err != nil || c.Frequency != f || c.MinDR != 0 || c.MaxDR != 5 {
					t.Errorf("UplinkChannel(%d) = %+v, %v; want %d DR0..5", i, c, err, f)
				}
				if got, err := r.UplinkChannelIndex(f); err != nil || got != i {
					t.Errorf("UplinkChannelIndex(%d) = %d, %v; want %d", f, got, err, i)
				}
			}
			if _, err := r.UplinkChannel(len(all)); !errors.Is(err, ErrNotInRegion) {
				t.Errorf("UplinkChannel(%d) error = %v, want ErrNotInRegion", len(all), err)
			}
			if _, err := r.UplinkChannelIndex(lo - 1); !errors.Is(err, ErrNotInRegion) {
				t.Errorf("UplinkChannelIndex(%d) error = %v, want ErrNotInRegion", lo-1, err)
			}
			if _, err := r.UplinkChannelsForSubBand(1); !errors.Is(err, ErrNotInRegion) {
				t.Errorf("UplinkChannelsForSubBand(1) error = %v, want ErrNotInRegion", err)
			}
			if _, err := r.CFListChMask(1); !errors.Is(err, ErrNotInRegion) {
				t.Errorf("CFListChMask(1) error = %v, want ErrNotInRegion", err)
			}
		})
	}
}

func TestFixedChannels(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region               string
		ch0, ch63, ch64, c71 uint32
		min125, max125       int
		min500, max500       int
		join125, join500     int
	}{
		{"US915", 902_300_000, 914_900_000, 903_000_000, 914_200_000, 0, 3, 4, 6, 0, 4},
		{"AU915", 915_200_000, 927_800_000, 915_900_000, 927_100_000, 0, 5, 6, 7, 2, 6},
	}
	for _, tc := range tests {
		t.Run(tc.region, func(t *testing.T) {
			r := rpMustRegion(t, tc.region)
			if !r.FixedChannelPlan() || r.SubBands() != 8 {
				t.Fatalf("FixedChannelPlan() = %v, SubBands() = %d; want true, 8", r.FixedChannelPlan(), r.SubBands())
			}
			if r.CFListFrequencies() != nil {
				t.Errorf("CFListFrequencies() = %v, want nil", r.CFListFrequencies())
			}
			chs := r.UplinkChannels()
			if len(chs) != 72 || len(r.DefaultChannels()) != 72 {
				t.Fatalf("len(UplinkChannels()) = %d, len(DefaultChannels()) = %d; want 72", len(chs), len(r.DefaultChannels()))
			}
			want := map[int]Channel{
				0:  {tc.ch0, tc.min125, tc.max125},
				1:  {tc.ch0 + 200_000, tc.min125, tc.max125},
				63: {tc.ch63, tc.min125, tc.max125},
				64: {tc.ch64, tc.min500, tc.max500},
				65: {tc.ch64 + 1_600_000, tc.min500, tc.max500},
				71: {tc.c71, tc.min500, tc.max500},
			}
			for i, w := range want {
				if chs[i] != w {
					t.Errorf("UplinkChannels()[%d] = %+v, want %+v", i, chs[i], w)
				}
			}
			for i, c := range chs {
				if got, err := r.UplinkChannelIndex(c.Frequency); err != nil || got != i {
					t.Errorf("UplinkChannelIndex(%d) = %d, %v; want %d", c.Frequency, got, err, i)
				}
			}
			join := r.JoinChannels()
			if len(join) != 72 {
				t.Fatalf("len(JoinChannels()) = %d, want 72", len(join))
			}
			if j := join[5]; j.Frequency != chs[5].Frequency || j.MinDR != tc.join125 || j.MaxDR != tc.join125 {
				t.Errorf("JoinChannels()[5] = %+v, want %d at DR%d", j, chs[5].Frequency, tc.join125)
			}
			if j := join[70]; j.Frequency != chs[70].Frequency || j.MinDR != tc.join500 || j.MaxDR != tc.join500 {
				t.Errorf("JoinChannels()[70] = %+v, want %d at DR%d", j, chs[70].Frequency, tc.join500)
			}
		})
	}
}

func TestSubBands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		n      int
		freqs  []uint32
		mask   [5]uint16
	}{
		{"US915", 1, []uint32{902_300_000, 902_500_000, 902_700_000, 902_900_000, 903_100_000, 903_300_000,
			903_500_000, 903_700_000, 903_000_000}, [5]uint16{0x00ff, 0, 0, 0, 0x0001}},
		{"US915", 2, []uint32{903_900_000, 904_100_000, 904_300_000, 904_500_000, 904_700_000, 904_900_000,
			905_100_000, 905_300_000, 904_600_000}, [5]uint16{0xff00, 0, 0, 0, 0x0002}},
		{"US915", 8, []uint32{913_500_000, 913_700_000, 913_900_000, 914_100_000, 914_300_000, 914_500_000,
			914_700_000, 914_900_000, 914_200_000}, [5]uint16{0, 0, 0, 0xff00, 0x0080}},
		{"AU915", 2, []uint32{916_800_000, 917_000_000, 917_200_000, 917_400_000, 917_600_000, 917_800_000,
			918_000_000, 918_200_000, 917_500_000}, [5]uint16{0xff00, 0, 0, 0, 0x0002}},
		// Channels 32..39: 915.2 + 32×0.2 = 921.6 MHz on; 500 kHz channel 68: 915.9 + 4×1.6.
		{"AU915", 5, []uint32{921_600_000, 921_800_000, 922_000_000, 922_200_000, 922_400_000, 922_600_000,
			922_800_000, 923_000_000, 922_300_000}, [5]uint16{0, 0, 0x00ff, 0, 0x0010}},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.region, tc.n), func(t *testing.T) {
			r := rpMustRegion(t, tc.region)
			chs, err := r.UplinkChannelsForSubBand(tc.n)
			if err != nil {
				t.Fatalf("UplinkChannelsForSubBand(%d): %v", tc.n, err)
			}
			if got := rpChannelFreqs(chs); !rpEqualU32(got, tc.freqs) {
				t.Errorf("UplinkChannelsForSubBand(%d) = %v, want %v", tc.n, got, tc.freqs)
			}
			mask, err := r.CFListChMask(tc.n)
			if err != nil || mask != tc.mask {
				t.Errorf("CFListChMask(%d) = %#04x, %v; want %#04x", tc.n, mask, err, tc.mask)
			}
			// The mask enables exactly the sub-band's channels.
			idx := map[int]bool{}
			for _, c := range chs {
				i, err := r.UplinkChannelIndex(c.Frequency)
				if err != nil {
					t.Fatalf("UplinkChannelIndex(%d): %v", c.Frequency, err)
				}
				idx[i] = true
			}
			for ch := 0; ch < 72; ch++ {
				on := mask[ch/16]&(1<<(ch%16)) != 0
				if on != idx[ch] {
					t.Errorf("mask bit of channel %d = %v, want %v", ch, on, idx[ch])
				}
			}
		})
	}
	us := rpMustRegion(t, "US915")
	for _, n := range []int{0, 9, -1} {
		if _, err := us.UplinkChannelsForSubBand(n); !errors.Is(err, ErrNotInRegion) {
			t.Errorf("UplinkChannelsForSubBand(%d) error = %v, want ErrNotInRegion", n, err)
		}
		if _, err := us.CFListChMask(n); !errors.Is(err, ErrNotInRegion) {
			t.Errorf("CFListChMask(%d) error = %v, want ErrNotInRegion", n, err)
		}
	}
}

func TestRegionTimeOnAir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		dr     int
		bytes  int
		uplink bool
		want   time.Duration // 0: error
	}{
		{"EU868", 5, 13, true, 46_336 * time.Microsecond},
		{"EU868", 5, 13, false, 41_216 * time.Microsecond},
		{"EU868", 0, 51, true, 2_465_792 * time.Microsecond},
		{"EU868", 7, 13, true, 3_840 * time.Microsecond},
		{"US915", 4, 13, true, 20_608 * time.Microsecond},
		{"EU868", 8, 13, true, 0},  // LR-FHSS
		{"EU868", 12, 13, true, 0}, // undefined
		{"EU868", 5, 256, true, 0},
		{"EU868", 5, -1, true, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/DR%d/%d/%v", tc.region, tc.dr, tc.bytes, tc.uplink), func(t *testing.T) {
			got, err := rpMustRegion(t, tc.region).TimeOnAir(tc.dr, tc.bytes, tc.uplink)
			if tc.want == 0 {
				if !errors.Is(err, ErrNotInRegion) {
					t.Errorf("TimeOnAir = %v, %v; want ErrNotInRegion", got, err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Errorf("TimeOnAir = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// The per-uplink lookups must not allocate.
func TestRegionLookupsDoNotAllocate(t *testing.T) {
	eu := rpMustRegion(t, "EU868")
	us := rpMustRegion(t, "US915")
	var sink int
	var fsink uint32
	allocs := testing.AllocsPerRun(200, func() {
		d, _ := eu.DataRate(5)
		sink += d.SpreadingFactor
		i, _ := eu.DataRateIndex(7, 125000)
		sink += i
		i, _ = us.DownlinkDataRateIndex(8, 500000)
		sink += i
		mp, _ := us.MaxPayloadSize(3, true)
		sink += mp.M
		i, _ = us.RX1DataRate(3, 1, false)
		sink += i
		i, _ = eu.RX1DataRate(5, 2, false)
		sink += i
		f, _ := us.RX1Frequency(904_300_000)
		fsink += f
		f, _ = eu.RX1Frequency(868_300_000)
		fsink += f
		i, _ = eu.UplinkChannelIndex(867_900_000)
		sink += i
		i, _ = us.UplinkChannelIndex(914_200_000)
		sink += i
		i, _ = us.TXPowerOffset(5)
		sink += i
		toa, _ := eu.TimeOnAir(5, 23, true)
		sink += int(toa)
		drs := eu.DataRates()
		sink += drs[0].SpreadingFactor
	})
	if allocs != 0 {
		t.Errorf("lookups allocate %v times per run, want 0", allocs)
	}
	if sink == 0 || fsink == 0 {
		t.Errorf("lookups returned zero values")
	}
}

// Golden files: a full dump of every region. Run `go test ./lorawan -run
// TestRegionGolden -update` after a deliberate change and review the diff.

type rpGoldenDR struct {
	DR              int         `json:"dr"`
	Name            string      `json:"name"`
	Modulation      string      `json:"modulation"`
	SpreadingFactor int         `json:"sf,omitempty"`
	Bandwidth       uint32      `json:"bw,omitempty"`
	BitRate         uint32      `json:"bitrate,omitempty"`
	CodingRate      string      `json:"cr,omitempty"`
	Uplink          bool        `json:"uplink"`
	Downlink        bool        `json:"downlink"`
	MaxPayload      *MaxPayload `json:"max_payload,omitempty"`
	MaxPayloadDwell *MaxPayload `json:"max_payload_dwell,omitempty"`
	RX1             []int       `json:"rx1_dr_by_offset,omitempty"`
	RX1Dwell        []int       `json:"rx1_dr_by_offset_dwell,omitempty"`
	UplinkToA13us   int64       `json:"uplink_toa_13_bytes_us,omitempty"`
}

type rpGoldenChannel struct {
	Channel
	RX1Frequency uint32  `json:"rx1_frequency"`
	DownlinkEIRP float32 `json:"downlink_eirp"`
}

type rpGoldenSubBand struct {
	N        int       `json:"n"`
	Channels []uint32  `json:"channels"`
	ChMask   [5]uint16 `json:"cflist_chmask"`
}

type rpGoldenRegion struct {
	Name              string            `json:"name"`
	StationName       string            `json:"station_name"`
	FixedChannelPlan  bool              `json:"fixed_channel_plan"`
	FrequencyRange    [2]uint32         `json:"frequency_range"`
	DataRates         []rpGoldenDR      `json:"data_rates"`
	MaxRX1DROffset    int               `json:"max_rx1_dr_offset"`
	RX2Frequency      uint32            `json:"rx2_frequency"`
	RX2DataRate       int               `json:"rx2_data_rate"`
	RX2DownlinkEIRP   float32           `json:"rx2_downlink_eirp"`
	DelaysMS          [4]int64          `json:"delays_ms"`
	DefaultMaxEIRP    float32           `json:"default_max_eirp"`
	TXPowerOffsets    []int             `json:"tx_power_offsets"`
	UplinkDwellTime   bool              `json:"uplink_dwell_time"`
	DownlinkDwellTime bool              `json:"downlink_dwell_time"`
	TxParamSetup      bool              `json:"tx_param_setup"`
	DefaultChannels   int               `json:"default_channels"`
	UplinkChannels    []rpGoldenChannel `json:"uplink_channels"`
	JoinChannels      []Channel         `json:"join_channels"`
	CFListFrequencies []uint32          `json:"cflist_frequencies"`
	SubBands          []rpGoldenSubBand `json:"sub_bands,omitempty"`
}

func rpGoldenDump(t *testing.T, r *Region) rpGoldenRegion {
	t.Helper()
	lo, hi := r.FrequencyRange()
	g := rpGoldenRegion{
		Name:             r.Name(),
		StationName:      r.StationName(),
		FixedChannelPlan: r.FixedChannelPlan(),
		FrequencyRange:   [2]uint32{lo, hi},
		MaxRX1DROffset:   r.MaxRX1DROffset(),
		RX2Frequency:     r.RX2Frequency(),
		RX2DataRate:      r.RX2DataRate(),
		RX2DownlinkEIRP:  r.DownlinkEIRP(r.RX2Frequency()),
		DelaysMS: [4]int64{r.ReceiveDelay1().Milliseconds(), r.ReceiveDelay2().Milliseconds(),
			r.JoinAcceptDelay1().Milliseconds(), r.JoinAcceptDelay2().Milliseconds()},
		DefaultMaxEIRP:    r.DefaultMaxEIRP(),
		UplinkDwellTime:   r.UplinkDwellTime(),
		DownlinkDwellTime: r.DownlinkDwellTime(),
		TxParamSetup:      r.TxParamSetup(),
		DefaultChannels:   len(r.DefaultChannels()),
		JoinChannels:      r.JoinChannels(),
		CFListFrequencies: r.CFListFrequencies(),
	}
	for i, d := range r.DataRates() {
		gd := rpGoldenDR{DR: i, Name: d.String(), Modulation: d.Modulation.String(), SpreadingFactor: d.SpreadingFactor,
			Bandwidth: d.Bandwidth, BitRate: d.BitRate, CodingRate: d.CodingRate, Uplink: d.Uplink, Downlink: d.Downlink}
		if mp, err := r.MaxPayloadSize(i, false); err == nil {
			gd.MaxPayload = &mp
		}
		if mp, err := r.MaxPayloadSize(i, true); err == nil {
			gd.MaxPayloadDwell = &mp
		}
		if d.Uplink {
			for off := 0; off <= r.MaxRX1DROffset(); off++ {
				a, errA := r.RX1DataRate(i, off, false)
				b, errB := r.RX1DataRate(i, off, true)
				if errA != nil || errB != nil {
					t.Fatalf("%s RX1DataRate(%d, %d): %v, %v", r.Name(), i, off, errA, errB)
				}
				gd.RX1 = append(gd.RX1, a)
				gd.RX1Dwell = append(gd.RX1Dwell, b)
			}
			if toa, err := r.TimeOnAir(i, 13, true); err == nil {
				gd.UplinkToA13us = toa.Microseconds()
			}
		}
		g.DataRates = append(g.DataRates, gd)
	}
	for i := 0; i <= r.MaxTXPowerIndex(); i++ {
		off, err := r.TXPowerOffset(i)
		if err != nil {
			t.Fatalf("%s TXPowerOffset(%d): %v", r.Name(), i, err)
		}
		g.TXPowerOffsets = append(g.TXPowerOffsets, off)
	}
	for _, c := range r.UplinkChannels() {
		f, err := r.RX1Frequency(c.Frequency)
		if err != nil {
			t.Fatalf("%s RX1Frequency(%d): %v", r.Name(), c.Frequency, err)
		}
		g.UplinkChannels = append(g.UplinkChannels, rpGoldenChannel{Channel: c, RX1Frequency: f, DownlinkEIRP: r.DownlinkEIRP(f)})
	}
	for n := 1; n <= r.SubBands(); n++ {
		chs, err := r.UplinkChannelsForSubBand(n)
		if err != nil {
			t.Fatalf("%s UplinkChannelsForSubBand(%d): %v", r.Name(), n, err)
		}
		mask, err := r.CFListChMask(n)
		if err != nil {
			t.Fatalf("%s CFListChMask(%d): %v", r.Name(), n, err)
		}
		g.SubBands = append(g.SubBands, rpGoldenSubBand{N: n, Channels: rpChannelFreqs(chs), ChMask: mask})
	}
	return g
}

func TestRegionGolden(t *testing.T) {
	dir := filepath.Join("testdata", "regions")
	if rpUpdateGolden() {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	names := map[string]bool{}
	for _, r := range Regions() {
		t.Run(r.Name(), func(t *testing.T) {
			got, err := json.MarshalIndent(rpGoldenDump(t, r), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join(dir, r.Name()+".json")
			names[r.Name()+".json"] = true
			if rpUpdateGolden() {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				gl, wl := bytes.Split(got, []byte("\n")), bytes.Split(want, []byte("\n"))
				line := 0
				for line < len(gl) && line < len(wl) && bytes.Equal(gl[line], wl[line]) {
					line++
				}
				var g, w []byte
				if line < len(gl) {
					g = gl[line]
				}
				if line < len(wl) {
					w = wl[line]
				}
				t.Errorf("%s:%d: got %q, want %q; run with -update after a deliberate change and review the diff", path, line+1, g, w)
			}
		})
	}
	// No golden file of a region that no longer exists.
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !names[e.Name()] {
			t.Errorf("stale golden file %s", filepath.Join(dir, e.Name()))
		}
	}
}

// The golden files must hold what the hand-checked tests say, so a wrong
// -update cannot slip through: spot-check a few facts in the files
// themselves.
func TestRegionGoldenContent(t *testing.T) {
	t.Parallel()
	read := func(name string) rpGoldenRegion {
		b, err := os.ReadFile(filepath.Join("testdata", "regions", name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		var g rpGoldenRegion
		if err := json.Unmarshal(b, &g); err != nil {
			t.Fatal(err)
		}
		return g
	}
	eu := read("EU868")
	if d := eu.DataRates[5]; d.SpreadingFactor != 7 || d.Bandwidth != 125000 || d.UplinkToA13us != 46336 {
		t.Errorf("EU868 golden DR5 = %+v, want SF7 BW125000 and 46336 µs for 13 bytes", d)
	}
	if mp := eu.DataRates[0].MaxPayload; mp == nil || mp.M != 59 {
		t.Errorf("EU868 golden DR0 max payload = %+v, want M=59", mp)
	}
	us := read("US915")
	if c := us.UplinkChannels[10]; c.Frequency != 904_300_000 || c.RX1Frequency != 924_500_000 {
		t.Errorf("US915 golden channel 10 = %+v, want 904.3 MHz answered on 924.5 MHz", c)
	}
	au := read("AU915")
	if d := au.DataRates[6]; d.SpreadingFactor != 8 || d.Bandwidth != 500000 {
		t.Errorf("AU915 golden DR6 = %+v, want SF8 BW500000", d)
	}
	as := read("AS923-1")
	if got := as.DataRates[0].RX1Dwell[0]; got != 2 {
		t.Errorf("AS923-1 golden RX1 of DR0 offset 0 with dwell = %d, want 2", got)
	}
}

func FuzzRegionLookups(f *testing.F) {
	f.Add(0, 5, 0, uint32(868_100_000), false, 13)
	f.Add(1, 4, 3, uint32(914_200_000), true, 250)
	f.Add(3, 7, 7, uint32(923_200_000), true, 0)
	f.Add(8, 7, 1, uint32(865_062_500), false, 255)
	f.Fuzz(func(t *testing.T, ri, dr, off int, freq uint32, dwell bool, n int) {
		rs := Regions()
		if ri < 0 || ri >= len(rs) {
			return
		}
		r := rs[ri]
		if dn, err := r.RX1DataRate(dr, off, dwell); err == nil {
			d, err := r.DataRate(dn)
			if err != nil || !d.Downlink {
				t.Errorf("%s RX1DataRate(%d, %d, %v) = %d: not a downlink rate (%v)", r.Name(), dr, off, dwell, dn, err)
			}
		}
		if mp, err := r.MaxPayloadSize(dr, dwell); err == nil && (mp.M <= 8 || mp.N != mp.M-8 || mp.M > 250) {
			t.Errorf("%s MaxPayloadSize(%d, %v) = %+v", r.Name(), dr, dwell, mp)
		}
		if f, err := r.RX1Frequency(freq); err == nil {
			lo, hi := r.FrequencyRange()
			if f < lo || f > hi {
				t.Errorf("%s RX1Frequency(%d) = %d outside %d..%d", r.Name(), freq, f, lo, hi)
			}
		}
		if i, err := r.UplinkChannelIndex(freq); err == nil {
			c, err := r.UplinkChannel(i)
			if err != nil || c.Frequency != freq {
				t.Errorf("%s UplinkChannel(UplinkChannelIndex(%d)) = %+v, %v", r.Name(), freq, c, err)
			}
		}
		if toa, err := r.TimeOnAir(dr, n, !dwell); err == nil && toa <= 0 {
			t.Errorf("%s TimeOnAir(%d, %d) = %v", r.Name(), dr, n, toa)
		}
		_, _ = r.TXPowerOffset(off)
		_, _ = r.CFListChMask(off)
		_, _ = r.UplinkChannelsForSubBand(off)
		_, _ = r.DataRateIndex(dr, freq)
	})
}

func BenchmarkRegionRX1(b *testing.B) {
	us := rpMustRegion(b, "US915")
	b.ReportAllocs()
	for b.Loop() {
		dr, err := us.RX1DataRate(3, 1, false)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := us.RX1Frequency(904_300_000); err != nil {
			b.Fatal(err)
		}
		if _, err := us.MaxPayloadSize(dr, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRegionDataRateIndex(b *testing.B) {
	us := rpMustRegion(b, "US915")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := us.DownlinkDataRateIndex(7, 500000); err != nil {
			b.Fatal(err)
		}
	}
}

func ExampleRegionByName() {
	r, err := RegionByName("US902-928")
	if err != nil {
		fmt.Println(err)
		return
	}
	up := uint32(904_300_000) // uplink channel 10
	dr, _ := r.RX1DataRate(3, 0, false)
	f, _ := r.RX1Frequency(up)
	d, _ := r.DataRate(dr)
	fmt.Println(r.Name(), r.StationName())
	fmt.Printf("RX1: DR%d (%s) on %.1f MHz\n", dr, d, float64(f)/1e6)
	fmt.Printf("RX2: DR%d on %.1f MHz\n", r.RX2DataRate(), float64(r.RX2Frequency())/1e6)
	mask, _ := r.CFListChMask(2)
	fmt.Printf("sub-band 2 CFList masks: %04x\n", mask)
	// Output:
	// US915 US915
	// RX1: DR13 (SF7BW500) on 924.5 MHz
	// RX2: DR8 on 923.3 MHz
	// sub-band 2 CFList masks: [ff00 0000 0000 0000 0002]
}
