package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// TestMakeRunSmoke runs the `make run` script, bounded: a fresh cloud and
// an agent with simulated devices, as separate processes of the real
// binary over TLS websockets and MQTT on 127.0.0.1. It passes when decoded
// uplinks (AWS-shaped, with a PayloadData) reach the destination topic.
func TestMakeRunSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes for up to two minutes")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "loraedge")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("..", "..", "scripts", "run.sh"), bin)
	cmd.Env = append(os.Environ(),
		"RUN_DIR="+filepath.Join(dir, "run"),
		"RUN_COUNT=4", // two join events, then at least two uplinks
		"RUN_DURATION=120s",
		"LORAEDGE_GW_PORT="+strconv.Itoa(freePort(t)),
		"LORAEDGE_MQTT_PORT="+strconv.Itoa(freePort(t)),
		"LORAEDGE_API_PORT="+strconv.Itoa(freePort(t)),
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		t.Fatalf("run.sh: %v\n%s", err, out.String())
	}
	got := out.String()
	if n := strings.Count(got, `"PayloadData"`); n == 0 {
		t.Fatalf("no decoded uplink reached the destination:\n%s", got)
	}
	for _, want := range []string{`"Event": "join"`, `"GatewayEui": "0016c001ff10a235"`, "payload: "} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
}
