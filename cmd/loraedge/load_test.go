package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestLoadRefusals checks that `loraedge load` refuses bad flags and a data
// directory without a running cloud before it provisions anything.
func TestLoadRefusals(t *testing.T) {
	noEnvKEK(t)
	empty := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"unknown flag", []string{"--nope"}, exitUsage, "flag provided but not defined"},
		{"argument", []string{"--data", empty, "extra"}, exitUsage, `unexpected argument "extra"`},
		{"zero duration", []string{"--data", empty, "--duration", "0s"}, exitUsage, "--duration must be positive"},
		{"no cloud", []string{"--data", empty}, exitFailure, "is the cloud running"},
		{"bad config", []string{"--data", empty, "--config", writeConf(t, "[gateways]\nlisten = \"nope\"\n")}, exitUsage, "gateways.listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"load"}, tt.args...), &stdout, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("got exit %d, stderr %q; want exit %d mentioning %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout: got %q, want nothing", stdout.String())
			}
		})
	}
}

// TestLoadHelp prints the usage on stdout with exit 0.
func TestLoadHelp(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"load", "-h"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("got exit %d, want 0; stderr %q", code, stderr.String())
	}
	for _, want := range []string{"usage: loraedge load", "-confirmed-ratio", "-keep"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help: got %q, want it to mention %q", stdout.String(), want)
		}
	}
}
