package route

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/store"
)

// startMosquitto runs Debian's mosquitto on a free 127.0.0.1 port with
// anonymous access and returns its URL. Without the binary the test is
// skipped, except under CI=true, where that is a failure: CI installs it.
func startMosquitto(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("mosquitto")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/mosquitto"); serr == nil {
			bin, err = "/usr/sbin/mosquitto", nil // not on a non-root PATH
		}
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("mosquitto not found and CI=true: CI must install it (apt-get install -y mosquitto)")
		}
		t.Skip("mosquitto not installed (apt-get install -y mosquitto); CI=true makes this a failure")
	}
	addr := deadAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	conf := filepath.Join(t.TempDir(), "mosquitto.conf")
	text := fmt.Sprintf("listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest stderr\n", port)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-c", conf)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mosquitto: %v", err)
	}
	exited := make(chan error, 1)
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	ready := make(chan struct{})
	var logText bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stderr)
		signalled := false
		for sc.Scan() {
			if !signalled {
				logText.WriteString(sc.Text() + "\n")
				if strings.HasSuffix(sc.Text(), " running") {
					signalled = true
					close(ready)
				}
			}
		}
		exited <- cmd.Wait()
	}()
	select {
	case <-ready:
	case err := <-exited:
		exited <- err
		t.Fatalf("mosquitto exited (%v):\n%s", err, logText.String())
	case <-time.After(waitFor):
		t.Fatal("mosquitto did not start")
	}
	return "tcp://" + addr
}

// TestMosquitto runs the uplink and the downlink API against a real
// Debian mosquitto.
func TestMosquitto(t *testing.T) {
	url := startMosquitto(t)
	sub := subscribe(t, url, "lorawan/#", 1)
	events := subscribe(t, url, "loraedge/events/#", 1)
	snk := newSink()
	r := startRouter(t, []store.Destination{mqttDest("farm", "lorawan/{{.DevEui}}/up", 1)}, Options{Broker: url, Downlinks: snk})

	if err := r.Publish(ctxFor(t), "farm", awsExampleUplink(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	m := sub.next(t)
	if m.Topic() != "lorawan/58a0cb0000202c99/up" || !bytes.Equal(m.Payload(), golden(t, "uplink-aws-example.json")) || m.Qos() != 1 {
		t.Errorf("got %s qos %d %s, want lorawan/58a0cb0000202c99/up qos 1 with the golden uplink", m.Topic(), m.Qos(), m.Payload())
	}

	c := client(t, url)
	publishRaw(t, c, "loraedge/downlink/58a0cb0000202c99", false, `{"FPort":10,"PayloadData":"AQID","Confirmed":false}`)
	select {
	case s := <-snk.got:
		if s.eui.String() != "58a0cb0000202c99" || s.d.FPort != 10 || !bytes.Equal(s.d.PayloadData, []byte{1, 2, 3}) {
			t.Errorf("sink got %v %+v", s.eui, s.d)
		}
	case <-time.After(waitFor):
		t.Fatal("downlink request not delivered")
	}
	var ev DownlinkEvent
	if err := json.Unmarshal(events.next(t).Payload(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != EventDownlinkQueued {
		t.Errorf("event %+v, want downlink_queued", ev)
	}

	publishRaw(t, c, "loraedge/downlink/58a0cb0000202c99", false, `{"FPort":300,"PayloadData":""}`)
	if err := json.Unmarshal(events.next(t).Payload(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != EventDownlinkRefused || !strings.Contains(ev.Reason, "FPort 300") {
		t.Errorf("event %+v, want downlink_refused for FPort 300", ev)
	}
}
