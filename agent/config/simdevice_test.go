package config

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// Keys of the simulated-device tests; no error may quote one of them.
const (
	simAppKey     = "2b7e151628aed2a6abf7158809cf4f3c"
	simNwkKey     = "0f0e0d0c0b0a09080706050403020100"
	simNwkSKey    = "99d58493d1205b43efff8a11e7b39e0b"
	simAppSKey    = "0c4b3a7d1c5f8e2a6b9d0e1f2a3b4c5d"
	simFNwkSInt   = "a1a2a3a4a5a6a7a8a9aaabacadaeafa0"
	simSNwkSInt   = "b1b2b3b4b5b6b7b8b9babbbcbdbebfb0"
	simNwkSEncKey = "c1c2c3c4c5c6c7c8c9cacbcccdcecfc0"
)

var simKeys = []string{simAppKey, simNwkKey, simNwkSKey, simAppSKey, simFNwkSInt, simSNwkSInt, simNwkSEncKey}

// simConfigTOML is an agent configuration with one simulated device per
// element of devices, each given as its own key lines over the settings
// every device shares.
func simConfigTOML(devices ...string) string {
	var b strings.Builder
	b.WriteString("router_eui = \"::1\"\n[tc]\nuri = \"ws://127.0.0.1:6038\"\n")
	for _, d := range devices {
		b.WriteString("[[radio.sim.devices]]\nclass = \"A\"\ndata_rate = 5\ninterval = \"10s\"\nfport = 2\npayload = \"0a0b\"\n")
		b.WriteString(d)
	}
	return b.String()
}

// Device key lines used by the tests below.
const (
	otaa10 = "dev_eui = \"70b3d57ed0000001\"\njoin_eui = \"70b3d57ed0000000\"\napp_key = \"" + simAppKey + "\"\nmac_version = \"1.0.3\"\n"
	abp10  = "activation = \"abp\"\ndev_eui = \"70b3d57ed0000003\"\ndev_addr = \"26011bda\"\nmac_version = \"1.0.3\"\n" +
		"nwk_s_key = \"" + simNwkSKey + "\"\napp_s_key = \"" + simAppSKey + "\"\n"
	abp11 = "activation = \"abp\"\ndev_eui = \"70b3d57ed0000004\"\ndev_addr = \"26011bdb\"\nmac_version = \"1.1\"\n" +
		"f_nwk_s_int_key = \"" + simFNwkSInt + "\"\ns_nwk_s_int_key = \"" + simSNwkSInt + "\"\n" +
		"nwk_s_enc_key = \"" + simNwkSEncKey + "\"\napp_s_key = \"" + simAppSKey + "\"\n"
)

func loadSimTOML(t *testing.T, body string) (*Config, error) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "agent.toml")
	writeFiles(t, filepath.Dir(path), map[string]string{"agent.toml": body})
	return Load(path)
}

func mustKey(t *testing.T, s string) lorawan.AES128Key {
	t.Helper()
	k, err := lorawan.ParseAES128Key(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestSimDeviceActivation loads OTAA and ABP devices of both LoRaWAN
// versions and checks what ABPSession returns for each.
func TestSimDeviceActivation(t *testing.T) {
	t.Parallel()
	addr10, addr11 := lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda}, lorawan.DevAddr{0x26, 0x01, 0x1b, 0xdb}
	tests := []struct {
		name    string
		device  string
		wantABP bool
		want    SimABP
	}{
		{"otaa by default", otaa10, false, SimABP{}},
		{"otaa named", "activation = \"otaa\"\n" + otaa10, false, SimABP{}},
		{"otaa 1.1", "dev_eui = \"70b3d57ed0000002\"\njoin_eui = \"70b3d57ed0000000\"\napp_key = \"" + simAppKey +
			"\"\nnwk_key = \"" + simNwkKey + "\"\nmac_version = \"1.1\"\n", false, SimABP{}},
		{"abp 1.0.3", abp10, true, SimABP{DevAddr: addr10, NwkSKey: mustKey(t, simNwkSKey), AppSKey: mustKey(t, simAppSKey)}},
		{"abp 1.0.3 with a first counter", abp10 + "f_cnt_up = 70000\n", true,
			SimABP{DevAddr: addr10, NwkSKey: mustKey(t, simNwkSKey), AppSKey: mustKey(t, simAppSKey), FCntUp: 70000}},
		{"abp 1.1", abp11, true, SimABP{DevAddr: addr11, FNwkSIntKey: mustKey(t, simFNwkSInt),
			SNwkSIntKey: mustKey(t, simSNwkSInt), NwkSEncKey: mustKey(t, simNwkSEncKey), AppSKey: mustKey(t, simAppSKey)}},
		{"abp keys with separators and capitals",
			"activation = \"abp\"\ndev_eui = \"70-B3-D5-7E-D0-00-00-03\"\ndev_addr = \"26011BDA\"\nmac_version = \"1.0.3\"\n" +
				"nwk_s_key = \"" + strings.ToUpper(simNwkSKey[:16]) + "-" + simNwkSKey[16:] + "\"\napp_s_key = \"" + simAppSKey + "\"\n",
			true, SimABP{DevAddr: addr10, NwkSKey: mustKey(t, simNwkSKey), AppSKey: mustKey(t, simAppSKey)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := loadSimTOML(t, simConfigTOML(tt.device))
			if err != nil {
				t.Fatal(err)
			}
			d := cfg.Radio.Sim.Devices[0]
			if got := d.IsABP(); got != tt.wantABP {
				t.Fatalf("IsABP() = %v, want %v", got, tt.wantABP)
			}
			got, err := d.ABPSession()
			if !tt.wantABP {
				if err == nil {
					t.Errorf("ABPSession() of an OTAA device = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ABPSession() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestSimDeviceRefused checks that every malformed, missing or misplaced
// setting of a simulated device is refused with an error naming it, and
// that no error quotes a key.
func TestSimDeviceRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		devices []string
		want    string
	}{
		{"unknown activation", []string{"activation = \"personalised\"\n" + otaa10}, `activation "personalised": want "otaa" or "abp"`},
		{"activation in capitals", []string{strings.Replace(abp10, `"abp"`, `"ABP"`, 1)}, `activation "ABP"`},
		{"no dev_eui", []string{strings.Replace(abp10, "dev_eui = \"70b3d57ed0000003\"\n", "", 1)}, "radio.sim.devices[0]: dev_eui: missing"},
		{"no dev_addr", []string{strings.Replace(abp10, "dev_addr = \"26011bda\"\n", "", 1)}, "dev_addr: missing"},
		{"short dev_addr", []string{strings.Replace(abp10, "26011bda", "26011bd", 1)}, "dev_addr"},
		{"abp 1.0 without nwk_s_key", []string{strings.Replace(abp10, "nwk_s_key = \""+simNwkSKey+"\"\n", "", 1)}, "nwk_s_key: missing (32 hex digits)"},
		{"abp without app_s_key", []string{strings.Replace(abp11, "app_s_key = \""+simAppSKey+"\"\n", "", 1)}, "app_s_key: missing"},
		{"abp short key", []string{strings.Replace(abp10, simAppSKey, simAppSKey[:30], 1)}, "app_s_key: 30 hex digits, want 32"},
		{"abp long key", []string{strings.Replace(abp10, simNwkSKey, simNwkSKey+"00", 1)}, "nwk_s_key: 34 hex digits, want 32"},
		{"abp key not hex", []string{strings.Replace(abp10, simAppSKey, "zz"+simAppSKey[2:], 1)}, "app_s_key: not hex"},
		{"abp 1.1 without s_nwk_s_int_key", []string{strings.Replace(abp11, "s_nwk_s_int_key = \""+simSNwkSInt+"\"\n", "", 1)}, "s_nwk_s_int_key: missing"},
		{"abp 1.1 without nwk_s_enc_key", []string{strings.Replace(abp11, "nwk_s_enc_key = \""+simNwkSEncKey+"\"\n", "", 1)}, "nwk_s_enc_key: missing"},
		{"abp 1.1 given nwk_s_key", []string{abp11 + "nwk_s_key = \"" + simNwkSKey + "\"\n"}, "nwk_s_key: a LoRaWAN 1.0.x key in a 1.1 device"},
		{"abp 1.0 given 1.1 keys", []string{abp10 + "f_nwk_s_int_key = \"" + simFNwkSInt + "\"\nnwk_s_enc_key = \"" + simNwkSEncKey + "\"\n"},
			"f_nwk_s_int_key, nwk_s_enc_key: LoRaWAN 1.1 keys in a 1.0.3 device"},
		{"abp given otaa settings", []string{abp10 + "join_eui = \"70b3d57ed0000000\"\napp_key = \"" + simAppKey + "\"\n"},
			"join_eui, app_key: OTAA settings in an ABP device"},
		{"otaa given abp settings", []string{otaa10 + "dev_addr = \"26011bda\"\napp_s_key = \"" + simAppSKey + "\"\n"},
			`dev_addr, app_s_key: ABP settings in an OTAA device (set activation = "abp"`},
		{"otaa given a first counter", []string{otaa10 + "f_cnt_up = 5\n"}, "f_cnt_up: ABP settings in an OTAA device"},
		{"otaa 1.0 given nwk_key", []string{otaa10 + "nwk_key = \"" + simNwkKey + "\"\n"}, "nwk_key: a LoRaWAN 1.1 key in a 1.0.3 device"},
		{"otaa without join_eui", []string{strings.Replace(otaa10, "join_eui = \"70b3d57ed0000000\"\n", "", 1)}, "join_eui: missing"},
		{"otaa without app_key", []string{strings.Replace(otaa10, "app_key = \""+simAppKey+"\"\n", "", 1)}, "app_key: missing"},
		{"otaa short app_key", []string{strings.Replace(otaa10, simAppKey, simAppKey[:4], 1)}, "app_key: 4 hex digits, want 32"},
		{"dev_addr twice", []string{abp10, strings.Replace(abp10, "70b3d57ed0000003", "70b3d57ed0000005", 1)},
			"radio.sim.devices[1]: dev_addr 26011bda given twice"},
		{"dev_eui twice in two cases", []string{abp10, strings.NewReplacer("70b3d57ed0000003", "70B3D57ED0000003", "26011bda", "26011bdc").Replace(abp10)},
			"radio.sim.devices[1]: dev_eui 70b3d57ed0000003 given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := loadSimTOML(t, simConfigTOML(tt.devices...))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Load = %v, want an error with %q", err, tt.want)
			}
			for _, k := range simKeys {
				for _, part := range []string{k, k[:30], k[2:], strings.ToUpper(k[:16])} {
					if strings.Contains(err.Error(), part) {
						t.Errorf("error %q quotes a key", err)
					}
				}
			}
		})
	}
}

// TestSimDeviceSubBand: sub_band takes 1..8 in US915 and AU915, whose
// gateways listen to one sub-band, and nothing in a region without
// sub-bands.
func TestSimDeviceSubBand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, region, device string
		wantSubBand          int
		wantErr              string // "" means valid
	}{
		{"US915 sub-band 2", "US915", "data_rate = 0\nsub_band = 2\n", 2, ""},
		{"AU915 sub-band 8", "AU915", "data_rate = 2\nsub_band = 8\n", 8, ""},
		{"US915 every channel", "US915", "data_rate = 0\n", 0, ""},
		{"sub-band 9", "US915", "data_rate = 0\nsub_band = 9\n", 0, "radio.sim.devices[0]: sub_band 9: want 1..8"},
		{"negative", "AU915", "data_rate = 0\nsub_band = -2\n", 0, "sub_band -2: want 1..8"},
		{"EU868", "EU868", "data_rate = 5\nsub_band = 1\n", 0, "sub_band 1: region EU868 has no sub-bands"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := "router_eui = \"::1\"\n[tc]\nuri = \"ws://127.0.0.1:6038\"\n[radio.sim]\nregion = \"" + tt.region + "\"\n" +
				"[[radio.sim.devices]]\nclass = \"A\"\ninterval = \"10s\"\nfport = 2\n" + tt.device + abp10
			cfg, err := loadSimTOML(t, body)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got := cfg.Radio.Sim.Devices[0].SubBand; got != tt.wantSubBand {
					t.Errorf("sub_band %d, want %d", got, tt.wantSubBand)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load = %v, want an error with %q", err, tt.wantErr)
			}
		})
	}
}

// FuzzSimDeviceKeys gives a simulated device arbitrary activation, version
// and key texts: validation must not panic, a device it accepts must yield
// its session, and no error may quote a run of 8 hex digits of a key.
func FuzzSimDeviceKeys(f *testing.F) {
	f.Add("abp", "1.0.3", "26011bda", simNwkSKey, "", "", "", simAppSKey, "")
	f.Add("abp", "1.1", "26011bdb", "", simFNwkSInt, simSNwkSInt, simNwkSEncKey, simAppSKey, "")
	f.Add("abp", "1.0.3", "26011bda", simNwkSKey[:31]+"g", "", "", "", simAppSKey[2:], "")
	f.Add("otaa", "1.1", "", "", "", "", "", "", simAppKey)
	f.Add("", "1.0.3", "26011bda", "", "", "", "", "2b7e-1516-28ae-d2a6-abf7-1588-09cf-4f3c", simAppKey)
	region, err := lorawan.RegionByName("EU868")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, activation, mac, devAddr, nwkS, fNwk, sNwk, nwkEnc, appS, appKey string) {
		d := SimDevice{Activation: activation, DevEUI: "70b3d57ed0000003", MACVersion: mac, DevAddr: devAddr,
			NwkSKey: nwkS, FNwkSIntKey: fNwk, SNwkSIntKey: sNwk, NwkSEncKey: nwkEnc, AppSKey: appS, AppKey: appKey,
			Class: "A", DataRate: 5, Interval: 1, FPort: 1}
		if d.Activation != ActivationABP {
			d.JoinEUI = "70b3d57ed0000000"
		}
		err := d.validate(region)
		if err == nil && d.IsABP() {
			if _, serr := d.ABPSession(); serr != nil {
				t.Fatalf("validate accepted the device, ABPSession() = %v", serr)
			}
		}
		if err == nil {
			return
		}
		for _, k := range []string{nwkS, fNwk, sNwk, nwkEnc, appS, appKey} {
			for _, run := range hexRuns(k, 8) {
				// The version, address and activation are not secret and
				// may be quoted.
				if strings.Contains(err.Error(), run) && !strings.Contains(activation+"\x00"+mac+"\x00"+devAddr, run) {
					t.Fatalf("error %q quotes %q of a key", err, run)
				}
			}
		}
	})
}

// hexRuns returns every run of n hex digits in s.
func hexRuns(s string, n int) []string {
	var out []string
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && strings.ContainsRune("0123456789abcdefABCDEF", rune(s[i])) {
			continue
		}
		for j := start; j+n <= i; j++ {
			out = append(out, s[j:j+n])
		}
		start = i + 1
	}
	return out
}
