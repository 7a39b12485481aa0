package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestSimABPRefusals checks that `loraedge sim` refuses an ABP device
// given OTAA settings or the other LoRaWAN version's session keys, naming
// them without quoting a key.
func TestSimABPRefusals(t *testing.T) {
	dir := t.TempDir()
	const fNwkSInt = "a1a2a3a4a5a6a7a8a9aaabacadaeafa0"
	device := func(mac, extra, abp string) string {
		return "[[devices]]\nname = \"x\"\nmac_version = \"" + mac + "\"\nclass = \"A\"\ndata_rate = 5\ninterval = \"1s\"\nfport = 1\n" +
			extra + "[devices.abp]\ndev_addr = \"26011bda\"\napp_s_key = \"" + simTestAppSKey + "\"\n" + abp
	}
	tests := []struct{ name, conf, want string }{
		{"1.1 given nwk_s_key", device("1.1", "",
			"nwk_s_key = \""+simTestNwkSKey+"\"\nf_nwk_s_int_key = \""+fNwkSInt+"\"\ns_nwk_s_int_key = \""+fNwkSInt+"\"\nnwk_s_enc_key = \""+fNwkSInt+"\"\n"),
			"devices[0]: abp.nwk_s_key: a LoRaWAN 1.0.x key in a 1.1 device"},
		{"1.0 given 1.1 keys", device("1.0.3", "", "nwk_s_key = \""+simTestNwkSKey+"\"\ns_nwk_s_int_key = \""+fNwkSInt+"\"\n"),
			"devices[0]: abp.s_nwk_s_int_key: LoRaWAN 1.1 keys in a 1.0 device"},
		{"otaa settings", device("1.0.3", "join_eui = \"70b3d57ed0000000\"\napp_key = \""+simTestAppSKey+"\"\n", "nwk_s_key = \""+simTestNwkSKey+"\"\n"),
			"devices[0]: join_eui, app_key: OTAA settings in an ABP device"},
		{"bad dev_eui", device("1.0.3", "dev_eui = \"70b3d57e\"\n", "nwk_s_key = \""+simTestNwkSKey+"\"\n"), "devices[0]: dev_eui"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			got := run(context.Background(), []string{"sim", "--config", writeSimConf(t, dir, tt.conf)}, &bytes.Buffer{}, &stderr)
			if got != exitUsage || !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", got, stderr.String(), exitUsage, tt.want)
			}
			for _, key := range []string{simTestNwkSKey, simTestAppSKey, fNwkSInt} {
				if strings.Contains(stderr.String(), key) {
					t.Error("error output carries a key")
				}
			}
		})
	}
	// The same device with its own version's keys only is accepted.
	ok := device("1.0.3", "", "nwk_s_key = \""+simTestNwkSKey+"\"\n")
	cfg := defaultSimConfig()
	if err := loadSimConfig(writeSimConf(t, dir, ok), &cfg); err != nil {
		t.Fatal(err)
	}
	if err := cfg.validate(); err != nil {
		t.Errorf("validate() = %v, want a valid ABP 1.0.3 device", err)
	}
}
