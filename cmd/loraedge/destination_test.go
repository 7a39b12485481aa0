package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

func TestDestinationCommands(t *testing.T) {
	noEnvKEK(t)
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	secret := writeSecret(t, "secret", tHookSecret+"\n")

	out := mustRun(t, "destination", "add", "up", "--mqtt-topic", "lorawan/{{.WirelessDeviceId}}/up", "--description", "the broker", "--data", data)
	if !strings.Contains(out, "destination up added: mqtt topic lorawan/{{.WirelessDeviceId}}/up qos 1") {
		t.Errorf("add said %q", out)
	}
	// NAME may also follow the flags.
	mustRun(t, "destination", "add", "--http", "https://example.com/up", "--header", "X-Api-Key", "--header-secret-file", secret, "--data", data, "hook")
	mustRun(t, "destination", "add", "plain", "--http", "http://127.0.0.1:8080/up", "--data", data)

	code, _, stderr := runCLI(t, "destination", "add", "up", "--mqtt-topic", "other", "--data", data)
	if code != exitFailure || !strings.Contains(stderr, "--replace") {
		t.Errorf("duplicate add: exit %d, %q; want 1 and a hint at --replace", code, stderr)
	}
	mustRun(t, "destination", "add", "up", "--mqtt-topic", "v2/{{.DevEui}}", "--qos", "2", "--replace", "--data", data)

	table := mustRun(t, "destination", "list", "--data", data)
	for _, want := range []string{"NAME", "hook   http  http POST https://example.com/up with header X-Api-Key (secret set)", "up     mqtt  mqtt topic v2/{{.DevEui}} qos 2"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	var listed []struct {
		Name      string `json:"name"`
		HasSecret bool   `json:"hasSecret"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "destination", "list", "--json", "--data", data)), &listed); err != nil || len(listed) != 3 || !listed[0].HasSecret {
		t.Errorf("json listing: %+v, %v; want three, hook first with a secret", listed, err)
	}

	db := openData(t, data)
	d, err := db.GetDestination(ctx, "hook")
	if err != nil || string(d.HTTPSecret) != tHookSecret || d.HTTPHeader != "X-Api-Key" {
		t.Errorf("stored hook: %v; want the secret of the file under X-Api-Key", err)
	}
	storetest_close(t, db)

	mustRun(t, "destination", "rm", "plain", "--data", data)
	if code, _, stderr := runCLI(t, "destination", "rm", "plain", "--data", data); code != exitFailure || !strings.Contains(stderr, "not found") {
		t.Errorf("second rm: exit %d, %q", code, stderr)
	}
}

func TestDestinationAddRefusals(t *testing.T) {
	noEnvKEK(t)
	data := filepath.Join(t.TempDir(), "data")
	secret := writeSecret(t, "secret", tHookSecret)
	crlf := writeSecret(t, "crlf", "Bearer x\rX-Injected: y")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no name", []string{"--mqtt-topic", "t"}, "NAME is required"},
		{"two names", []string{"a", "--mqtt-topic", "t", "b"}, `unexpected argument "b"`},
		{"nothing to send to", []string{"d"}, "give --mqtt-topic TEMPLATE or --http URL"},
		{"both", []string{"d", "--mqtt-topic", "t", "--http", "https://x/"}, "give one"},
		{"qos 3", []string{"d", "--mqtt-topic", "t", "--qos", "3"}, "--qos 3"},
		{"qos on http", []string{"d", "--http", "https://x/", "--qos", "1"}, "--qos is for --mqtt-topic"},
		{"secret on mqtt", []string{"d", "--mqtt-topic", "t", "--header-secret-file", secret}, "are for --http"},
		{"header without secret", []string{"d", "--http", "https://x/", "--header", "X-Key"}, "--header needs --header-secret-file"},
		{"bad name", []string{"a/b", "--mqtt-topic", "t"}, "only letters"},
		{"broken template", []string{"d", "--mqtt-topic", "up/{{.DevEui"}, "template"},
		{"wildcard topic", []string{"d", "--mqtt-topic", "up/#"}, "wildcards"},
		{"relative url", []string{"d", "--http", "example.com/up"}, "absolute http or https url"},
		{"bad header name", []string{"d", "--http", "https://x/", "--header", "X Key", "--header-secret-file", secret}, "header name"},
		{"secret with a control character", []string{"d", "--http", "https://x/", "--header-secret-file", crlf}, "control character"},
		{"missing secret file", []string{"d", "--http", "https://x/", "--header-secret-file", filepath.Join(data, "none")}, "--header-secret-file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append(append([]string{"destination", "add"}, tt.args...), "--data", data)...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Errorf("want a one-line error, got %q", stderr)
			}
			assertNoAdminSecrets(t, "output", stdout+stderr)
			if strings.Contains(stdout+stderr, "X-Injected") {
				t.Error("output repeats the secret")
			}
		})
	}
	if code, _, _ := runCLI(t, "destination", "rm", "--data", data); code != exitUsage {
		t.Errorf("rm without NAME: exit %d, want %d", code, exitUsage)
	}
}
