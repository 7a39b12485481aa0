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
// binary over TLS websockets and MQTT on 127.0.0.1. It passes when the
// destination topic receives a join event and decoded uplinks (AWS-shaped,
// with a PayloadData) from an OTAA device and from the ABP device, whose
// payload decrypts to what the agent's configuration has it send.
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
		// The two OTAA joins, the ABP device's first two uplinks (it sends
		// at once, every 10 s) and the first OTAA uplink.
		"RUN_COUNT=5",
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
	msgs := watchedMessages(got)
	const abpDevEUI = "70b3d57ed0000003"
	var joins, otaaUp, abpUp int
	for _, m := range msgs {
		switch {
		case strings.Contains(m.text, `"Event": "join"`):
			joins++
		case !strings.Contains(m.text, `"PayloadData"`):
		case m.devEUI == abpDevEUI:
			// The agent's run.sh configuration has it send 0a0b from
			// DevAddr 01abcdef: the cloud checked its MIC and decrypted it
			// with the session keys it was registered with.
			if !strings.Contains(m.text, "payload: 0a0b ") || !strings.Contains(m.text, `"DevAddr": "01abcdef"`) {
				t.Errorf("ABP uplink without the configured DevAddr and payload:\n%s", m.text)
			}
			abpUp++
		default:
			otaaUp++
		}
	}
	if joins == 0 || otaaUp == 0 || abpUp == 0 {
		t.Fatalf("%d messages: %d join events, %d OTAA uplinks, %d from the ABP device; want at least one of each:\n%s",
			len(msgs), joins, otaaUp, abpUp, got)
	}
	if !strings.Contains(got, `"GatewayEui": "0016c001ff10a235"`) {
		t.Errorf("output lacks the gateway's EUI:\n%s", got)
	}
}

// watched is one message `loraedge watch` printed: the device of its topic
// and its text (topic, JSON, decoded payload).
type watched struct {
	devEUI string
	text   string
}

// watchedMessages splits run.sh's output into the messages watch printed
// for the destination topic loraedge/uplink/{{.DevEui}}.
func watchedMessages(out string) []watched {
	var msgs []watched
	for _, line := range strings.Split(out, "\n") {
		if rest, ok := strings.CutPrefix(line, "loraedge/uplink/"); ok {
			msgs = append(msgs, watched{devEUI: strings.TrimSpace(rest)})
		}
		if strings.HasPrefix(line, "== ") || len(msgs) == 0 {
			continue
		}
		m := &msgs[len(msgs)-1]
		m.text += line + "\n"
	}
	return msgs
}
