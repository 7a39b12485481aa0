package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/store"
)

// withDestinations creates destinations "up" (MQTT) and "hook" (HTTP with a
// secret) in a data directory.
func withDestinations(t *testing.T, data string) {
	t.Helper()
	mustRun(t, "destination", "add", "up", "--mqtt-topic", "lorawan/{{.DevEui}}/up", "--data", data)
	mustRun(t, "destination", "add", "hook", "--http", "https://example.com/up", "--header-secret-file", writeSecret(t, "s", tHookSecret), "--data", data)
}

func TestDeviceCommands(t *testing.T) {
	noEnvKEK(t)
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	withDestinations(t, data)
	mustRun(t, "gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--data", data)
	t.Setenv("LORAEDGE_NWKKEY", "")

	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, d store.Device, s store.Session, sessErr error)
		saysEnv bool
	}{
		{
			name: "otaa 1.0.3 key on the command line",
			args: []string{"--deveui", "0102030405060701", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--destination", "up"},
			check: func(t *testing.T, d store.Device, _ store.Session, sessErr error) {
				if d.RootKeys.AppKey.String() != tAppKey || d.ABP || d.Class != "A" || d.Region != "EU868" {
					t.Errorf("device %+v: want the AppKey, OTAA, class A, EU868 from the gateway", d)
				}
				if sessErr == nil {
					t.Error("an OTAA device has a session before it joined")
				}
			},
		},
		{
			name: "otaa 1.1 keys from a file and the environment",
			args: []string{"--deveui", "0102030405060702", "--joineui", "70b3d57ed0000001", "--appkey-file", writeSecret(t, "appkey", tAppKey+"\n"),
				"--mac", "1.1", "--class", "C", "--region", "US915", "--destination", "hook", "--name", "meter 7"},
			saysEnv: true,
			check: func(t *testing.T, d store.Device, _ store.Session, _ error) {
				if d.RootKeys.AppKey.String() != tAppKey || d.RootKeys.NwkKey.String() != tNwkKey || d.Class != "C" || d.Region != "US915" || d.Name != "meter 7" {
					t.Errorf("device %+v: want AppKey from the file, NwkKey from LORAEDGE_NWKKEY, class C, US915", d)
				}
			},
		},
		{
			name: "abp 1.0.4",
			args: []string{"--deveui", "0102030405060703", "--devaddr", "01011234", "--nwkskey", tNwkSKey, "--appskey-file", writeSecret(t, "appskey", tAppSKey),
				"--mac", "1.0.4", "--destination", "up"},
			check: func(t *testing.T, d store.Device, s store.Session, sessErr error) {
				if !d.ABP || d.DevAddr.String() != "01011234" || sessErr != nil || s.Keys.NwkSKey().String() != tNwkSKey || s.Keys.AppSKey.String() != tAppSKey {
					t.Errorf("device %+v, session %v: want ABP at 01011234 with the session keys given", d, sessErr)
				}
			},
		},
		{
			name: "abp 1.1",
			args: []string{"--deveui", "0102030405060704", "--devaddr", "01011235", "--fnwksintkey", tFNwkSIntKey, "--snwksintkey", tSNwkSIntKey,
				"--nwksenckey", tNwkSEncKey, "--appskey", tAppSKey, "--mac", "1.1", "--destination", "up"},
			check: func(t *testing.T, _ store.Device, s store.Session, sessErr error) {
				k := s.Keys
				if sessErr != nil || k.FNwkSIntKey.String() != tFNwkSIntKey || k.SNwkSIntKey.String() != tSNwkSIntKey ||
					k.NwkSEncKey.String() != tNwkSEncKey || k.AppSKey.String() != tAppSKey {
					t.Errorf("session %v: want the four 1.1 session keys given", sessErr)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.saysEnv {
				t.Setenv("LORAEDGE_NWKKEY", tNwkKey)
			}
			code, stdout, stderr := runCLI(t, append(append([]string{"device", "add"}, tt.args...), "--data", data)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			assertNoAdminSecrets(t, "output", stdout+stderr)
			if got := strings.Contains(stderr, "LORAEDGE_NWKKEY"); got != tt.saysEnv {
				t.Errorf("stderr %q: names the environment key: %v, want %v", stderr, got, tt.saysEnv)
			}
			db := openData(t, data)
			eui := mustEUI(t, tt.args[1])
			d, err := db.GetDevice(ctx, eui)
			if err != nil {
				t.Fatal(err)
			}
			s, sessErr := db.GetSession(ctx, eui)
			tt.check(t, d, s, sessErr)
			storetest_close(t, db)
		})
	}

	code, _, stderr := runCLI(t, "device", "add", "--deveui", "0102030405060701", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--destination", "up", "--data", data)
	if code != exitFailure || !strings.Contains(stderr, "--replace") {
		t.Errorf("duplicate add: exit %d, %q; want 1 and a hint at --replace", code, stderr)
	}
	mustRun(t, "device", "add", "--deveui", "0102030405060701", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--class", "C", "--destination", "hook", "--replace", "--data", data)

	table := mustRun(t, "device", "list", "--data", data)
	for _, want := range []string{"DEVEUI", "0102030405060701  0000000000000000  OTAA", "0102030405060703  -                 ABP         01011234", "meter 7"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	var listed []map[string]any
	if err := json.Unmarshal([]byte(mustRun(t, "device", "list", "--json", "--data", data)), &listed); err != nil || len(listed) != 4 {
		t.Fatalf("json listing: %d devices, %v", len(listed), err)
	}
	for _, d := range listed {
		for k := range d {
			if strings.Contains(strings.ToLower(k), "key") {
				t.Errorf("json listing has a key field %q", k)
			}
		}
	}
	code, _, stderr = runCLI(t, "destination", "rm", "hook", "--data", data)
	if code != exitFailure || !strings.Contains(stderr, "still referenced") {
		t.Errorf("rm of a destination in use: exit %d, %q", code, stderr)
	}
	mustRun(t, "device", "rm", "--deveui", "0102030405060703", "--data", data)
	db := openData(t, data)
	if _, err := db.GetSession(ctx, mustEUI(t, "0102030405060703")); err == nil {
		t.Error("the removed ABP device's session is still there")
	}
}

// storetest_close closes a store the test opened with openData, so that
// the next CLI run can take the lock.
func storetest_close(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
	if err := db.Close(); err != nil {
		t.Error(err)
	}
}

func TestDeviceRegionDefault(t *testing.T) {
	noEnvKEK(t)
	data := filepath.Join(t.TempDir(), "data")
	withDestinations(t, data)
	add := func(eui string) (int, string) {
		code, _, stderr := runCLI(t, "device", "add", "--deveui", eui, "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--destination", "up", "--data", data)
		return code, stderr
	}
	if code, stderr := add("0102030405060701"); code != exitUsage || !strings.Contains(stderr, "no gateway is registered") {
		t.Errorf("no gateways: exit %d, %q; want 2 asking for --region", code, stderr)
	}
	mustRun(t, "gateway", "add", "--eui", "0011223344556677", "--region", "AS923-1", "--data", data)
	mustRun(t, "gateway", "add", "--eui", "0011223344556678", "--region", "as923", "--data", data)
	if code, stderr := add("0102030405060702"); code != exitOK || !strings.Contains(stderr, "region AS923-1") {
		t.Errorf("one region: exit %d, %q; want AS923-1", code, stderr)
	}
	mustRun(t, "gateway", "add", "--eui", "0011223344556679", "--region", "KR920", "--data", data)
	if code, stderr := add("0102030405060703"); code != exitUsage || !strings.Contains(stderr, "AS923-1, KR920") {
		t.Errorf("two regions: exit %d, %q; want 2 naming both", code, stderr)
	}
}

func TestDeviceAddRefusals(t *testing.T) {
	noEnvKEK(t)
	data := filepath.Join(t.TempDir(), "data")
	withDestinations(t, data)
	base := []string{"--deveui", "0102030405060708", "--joineui", "0000000000000000", "--mac", "1.0.3", "--region", "EU868", "--destination", "up"}
	shortKey := tAppKey[:31]
	badFile := writeSecret(t, "bad", shortKey+"\n")
	tests := []struct {
		name string
		args []string
		env  string // LORAEDGE_APPKEY
		code int
		want string
	}{
		{"no deveui", []string{"--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--destination", "up"}, "", exitUsage, "--deveui is required"},
		{"no mac", []string{"--deveui", "0102030405060708", "--joineui", "0000000000000000", "--appkey", tAppKey, "--destination", "up"}, "", exitUsage, "--mac is required"},
		{"no destination", []string{"--deveui", "0102030405060708", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3"}, "", exitUsage, "--destination is required"},
		{"no joineui", []string{"--deveui", "0102030405060708", "--appkey", tAppKey, "--mac", "1.0.3", "--destination", "up"}, "", exitUsage, "--joineui is required"},
		{"no appkey", base, "", exitUsage, "appkey is required"},
		{"short key", append([]string{"--appkey", shortKey}, base...), "", exitUsage, "--appkey: want 32 hex digits"},
		{"short key in a file", append([]string{"--appkey-file", badFile}, base...), "", exitUsage, "--appkey-file: want 32 hex digits"},
		{"short key in the environment", base, shortKey, exitUsage, "LORAEDGE_APPKEY: want 32 hex digits"},
		{"key and key file", append([]string{"--appkey", tAppKey, "--appkey-file", badFile}, base...), "", exitUsage, "give one"},
		{"missing key file", append([]string{"--appkey-file", filepath.Join(data, "none")}, base...), "", exitUsage, "--appkey-file"},
		{"zero key", append([]string{"--appkey", strings.Repeat("0", 32)}, base...), "", exitUsage, "all zeros"},
		{"nwkkey on 1.0", append([]string{"--appkey", tAppKey, "--nwkkey", tNwkKey}, base...), "", exitUsage, "nwkkey does not belong"},
		{"unknown mac", []string{"--deveui", "0102030405060708", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.2", "--destination", "up"}, "", exitUsage, `mac version "1.2"`},
		{"class B", append([]string{"--appkey", tAppKey, "--class", "B"}, base...), "", exitUsage, `class "B"`},
		{"unknown region", []string{"--deveui", "0102030405060708", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--region", "XX1", "--destination", "up"}, "", exitUsage, "is unknown"},
		{"bad devaddr", []string{"--deveui", "0102030405060708", "--devaddr", "2601", "--nwkskey", tNwkSKey, "--appskey", tAppSKey, "--mac", "1.0.3", "--region", "EU868", "--destination", "up"}, "", exitUsage, "--devaddr"},
		{"abp without nwkskey", []string{"--deveui", "0102030405060708", "--devaddr", "26011234", "--appskey", tAppSKey, "--mac", "1.0.3", "--region", "EU868", "--destination", "up"}, "", exitUsage, "nwkskey is required"},
		{"abp with appkey", []string{"--deveui", "0102030405060708", "--devaddr", "26011234", "--nwkskey", tNwkSKey, "--appskey", tAppSKey, "--appkey", tAppKey, "--mac", "1.0.3", "--region", "EU868", "--destination", "up"}, "", exitUsage, "appkey does not belong"},
		{"abp devaddr outside the NetID", []string{"--deveui", "0102030405060708", "--devaddr", "26011bda", "--nwkskey", tNwkSKey, "--appskey", tAppSKey, "--mac", "1.0.3", "--region", "EU868", "--destination", "up"}, "", exitUsage, "00000000-01ffffff (NetID 000000)"},
		{"destination that does not exist", []string{"--deveui", "0102030405060708", "--joineui", "0000000000000000", "--appkey", tAppKey, "--mac", "1.0.3", "--region", "EU868", "--destination", "nope"}, "", exitUsage, `destination "nope" does not exist`},
		{"misspelt key flag", append([]string{"--app-key", tAppKey}, base...), "", exitUsage, "flag provided but not defined: -app-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("LORAEDGE_APPKEY", tt.env)
			code, stdout, stderr := runCLI(t, append(append([]string{"device", "add"}, tt.args...), "--data", data)...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("want a one-line error, got %q", stderr)
			}
			assertNoAdminSecrets(t, "output", stdout+stderr)
			if strings.Contains(stdout+stderr, shortKey) {
				t.Errorf("output repeats the malformed key")
			}
		})
	}
	db := openData(t, data)
	if ds, _ := db.ListDevices(context.Background()); len(ds) != 0 {
		t.Errorf("refused commands stored %d devices", len(ds))
	}
	if _, err := os.Stat(filepath.Join(data, "none")); err == nil {
		t.Error("a key file was created")
	}
}

// TestDeviceAddNetIDFilter: an ABP DevAddr the gateways' NetID filter drops
// is refused whether the command opens the store or goes through the
// running cloud's admin API, and accepted once the configuration turns the
// filter off.
func TestDeviceAddNetIDFilter(t *testing.T) {
	noEnvKEK(t)
	abp := func(dev, addr string, extra ...string) []string {
		return append([]string{"device", "add", "--deveui", dev, "--devaddr", addr, "--nwkskey", tNwkSKey, "--appskey", tAppSKey,
			"--mac", "1.0.3", "--region", "EU868", "--destination", "up"}, extra...)
	}
	t.Run("store", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		withDestinations(t, data)
		if code, _, stderr := runCLI(t, abp("0102030405060701", "26011bda", "--data", data)...); code != exitUsage || !strings.Contains(stderr, "filter_net_id") {
			t.Errorf("outside NetID 000000: exit %d, %q; want 2 with the hint", code, stderr)
		}
		mustRun(t, abp("0102030405060702", "01011bda", "--data", data)...)
		conf := filepath.Join(t.TempDir(), "cloud.toml")
		if err := os.WriteFile(conf, []byte("data_dir = \""+data+"\"\n[network]\nnet_id = \"000013\"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, abp("0102030405060703", "26011bda", "--config", conf)...)
		if code, _, stderr := runCLI(t, abp("0102030405060704", "01011bda", "--config", conf)...); code != exitUsage || !strings.Contains(stderr, "26000000-27ffffff") {
			t.Errorf("outside NetID 000013: exit %d, %q; want 2 naming 26000000-27ffffff", code, stderr)
		}
		off := filepath.Join(t.TempDir(), "off.toml")
		if err := os.WriteFile(off, []byte("data_dir = \""+data+"\"\n[network]\nfilter_net_id = false\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		mustRun(t, abp("0102030405060705", "26011bdb", "--config", off)...)
	})
	t.Run("locked store", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		db, _ := runningCloud(t, data)
		if err := db.PutDestination(context.Background(), store.Destination{Name: "up", Kind: store.KindMQTT, MQTTTopic: "up"}); err != nil {
			t.Fatal(err)
		}
		if code, _, stderr := runCLI(t, abp("0102030405060701", "26011bda", "--data", data)...); code != exitUsage || !strings.Contains(stderr, "filter_net_id") {
			t.Errorf("through the API, outside NetID 000000: exit %d, %q; want 2 with the hint", code, stderr)
		}
		if _, err := db.GetDevice(context.Background(), mustEUI(t, "0102030405060701")); err == nil {
			t.Error("the refused device was stored")
		}
	})
}
