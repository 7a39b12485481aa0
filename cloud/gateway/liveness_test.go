package gateway

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/station"
)

// roundTrip proves a traffic socket works: a timesync gets its answer.
func roundTrip(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"timesync","txtime":42}`)); err != nil {
		t.Fatalf("write: %v", err)
	}
	if m := readJSON(t, conn); m["msgtype"] != "timesync" {
		t.Fatalf("answer = %v, want timesync", m)
	}
}

func TestNewConnectionSupersedesOld(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := env.gatewayCert(gwEU)
	uri := "/traffic/" + gwEU.String()

	old, _, err := env.client(&cert).traffic(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	roundTrip(t, old)

	cur, _, err := env.client(&cert).traffic(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()

	// The old socket is closed with a reason.
	err = expectClosed(t, old)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("old socket ended with %v, want close %d", err, websocket.ClosePolicyViolation)
	}
	env.waitEnded(t, gwEU)
	env.logs.waitLog(t, "gateway session superseded", map[string]string{"gateway": gwEU.String()})

	// The new one carries the traffic, and downlinks go to it.
	roundTrip(t, cur)
	if !env.srv.Connected(gwEU) {
		t.Error("Connected = false after the old session ended; the new one must stay registered")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := env.srv.Send(ctx, gwEU, &station.Timesync{XTime: 1 << 60, GPSTime: 1}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if m := readJSON(t, cur); m["msgtype"] != "timesync" {
		t.Errorf("downlink went elsewhere; new socket read %v", m)
	}
}

// An unclean drop: the old gateway vanishes without a close frame and
// without reading anything more (a dead LTE link). The new connection
// supersedes it at once, and nothing of the old session is left.
func TestSupersedeAfterUncleanDrop(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := env.gatewayCert(gwEU)
	uri := "/traffic/" + gwEU.String()

	old, _, err := env.client(&cert).traffic(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	// The old client stops reading and never answers again.

	cur, _, err := env.client(&cert).traffic(uri)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	env.waitEnded(t, gwEU)
	roundTrip(t, cur)
	if !env.srv.Connected(gwEU) {
		t.Fatal("new session not registered")
	}

	// When the new gateway goes too (TCP closed, no close frame), no
	// session stays behind.
	cur.NetConn().Close()
	env.waitEnded(t, gwEU)
	if env.srv.Connected(gwEU) {
		t.Error("Connected = true after the gateway's connection dropped")
	}
	if err := env.srv.Send(context.Background(), gwEU, &station.Timesync{GPSTime: 1}); !errors.Is(err, ErrNotConnected) {
		t.Errorf("Send after the drop = %v, want ErrNotConnected", err)
	}
}

// A gateway that stops answering pings, and sends nothing, is dropped
// after the idle timeout.
func TestSilentGatewayDropped(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, func(o *Options) {
		o.PingInterval = 50 * time.Millisecond
		o.IdleTimeout = 300 * time.Millisecond
	})
	cert := env.gatewayCert(gwEU)
	conn, _, err := env.client(&cert).traffic("/traffic/" + gwEU.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pings := make(chan struct{}, 100)
	conn.SetPingHandler(func(string) error { // no pong
		pings <- struct{}{}
		return nil
	})
	start := time.Now()
	if err := expectClosed(t, conn); err == nil {
		t.Fatal("expectClosed returned nil")
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("dropped after %v, before the idle timeout", d)
	}
	if len(pings) == 0 {
		t.Error("the endpoint sent no ping")
	}
	env.waitEnded(t, gwEU)
	env.logs.waitLog(t, "gateway dropped", map[string]string{"gateway": gwEU.String()})
}

// A gateway that answers pings stays connected past the idle timeout
// although it sends no message: pongs count as life.
func TestPongsKeepGatewayConnected(t *testing.T) {
	t.Parallel()
	// Generous against a loaded machine: a pause of a whole idle timeout
	// in the client would drop it.
	const idle = time.Second
	env := newTestEnv(t, func(o *Options) {
		o.PingInterval = 100 * time.Millisecond
		o.IdleTimeout = idle
	})
	cert := env.gatewayCert(gwEU)
	conn, _, err := env.client(&cert).traffic("/traffic/" + gwEU.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pings := make(chan struct{}, 100)
	conn.SetPingHandler(func(data string) error {
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		pings <- struct{}{}
		return err
	})
	// Read (which runs the ping handler) in the background.
	readErr := make(chan error, 1)
	msgs := make(chan string, 1)
	go func() {
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				readErr <- err
				return
			}
			msgs <- string(b)
		}
	}()
	// Answer pings for one and a half idle timeouts.
	start := time.Now()
	for n := 0; time.Since(start) < idle*3/2; n++ {
		select {
		case <-pings:
		case err := <-readErr:
			t.Fatalf("connection ended after %v with %d pings answered: %v", time.Since(start), n, err)
		case <-time.After(5 * time.Second):
			t.Fatal("no ping")
		}
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"timesync","txtime":42}`)); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		if !strings.Contains(m, `"timesync"`) {
			t.Errorf("answer %s, want a timesync", m)
		}
	case err := <-readErr:
		t.Fatalf("connection ended: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("no timesync answer")
	}
}

func TestShutdownClosesSessions(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := env.gatewayCert(gwEU)
	conn, _, err := env.client(&cert).traffic("/traffic/" + gwEU.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	roundTrip(t, conn)
	env.cancel()
	err = expectClosed(t, conn)
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseGoingAway {
		t.Errorf("socket ended with %v, want close %d (going away)", err, websocket.CloseGoingAway)
	}
	select {
	case err := <-env.stopped:
		if err != nil {
			t.Errorf("Serve = %v, want nil after cancel", err)
		}
		env.stopped <- nil // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return")
	}
	// New connections are refused.
	if c, _, err := env.client(&cert).dial("/router-info"); err == nil {
		c.Close()
		t.Error("dial after shutdown succeeded")
	}
}
