package broker

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func startBroker(t *testing.T, addr string) *Broker {
	t.Helper()
	b := New(Options{Addr: addr, Logger: quietLogger()})
	if err := b.Start(context.Background()); err != nil {
		t.Fatalf("Start(%q): %v", addr, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func connect(t *testing.T, url, id string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID(id).SetAutoReconnect(false))
	tok := c.Connect()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("connect %s: timeout", url)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func wait(t *testing.T, what string, tok paho.Token) {
	t.Helper()
	if !tok.WaitTimeout(10 * time.Second) {
		t.Fatalf("%s: timeout", what)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	host, port, err := net.SplitHostPort(b.Addr())
	if err != nil {
		t.Fatalf("Addr() = %q: %v", b.Addr(), err)
	}
	if host != "127.0.0.1" || port == "0" {
		t.Fatalf("Addr() = %q, want 127.0.0.1 and a real port", b.Addr())
	}
	if got, want := b.URL(), "tcp://"+b.Addr(); got != want {
		t.Errorf("URL() = %q, want %q", got, want)
	}

	sub := connect(t, b.URL(), "sub")
	got := make(chan paho.Message, 4)
	wait(t, "subscribe", sub.Subscribe("t/+", 1, func(_ paho.Client, m paho.Message) { got <- m }))
	pub := connect(t, b.URL(), "pub")
	wait(t, "publish", pub.Publish("t/1", 1, false, []byte(`{"a":1}`)))

	select {
	case m := <-got:
		if m.Topic() != "t/1" || string(m.Payload()) != `{"a":1}` || m.Qos() != 1 {
			t.Errorf("got topic %q payload %q qos %d, want t/1 {\"a\":1} 1", m.Topic(), m.Payload(), m.Qos())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
	}
}

func TestRestartOnSamePort(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	addr := b.Addr()
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := b.Start(context.Background()); err == nil {
		t.Fatal("Start after Close: got nil error")
	}
	b2 := startBroker(t, addr)
	if b2.Addr() != addr {
		t.Fatalf("restarted Addr() = %q, want %q", b2.Addr(), addr)
	}
	connect(t, b2.URL(), "again")
}

func TestStartRefuses(t *testing.T) {
	t.Parallel()
	taken := startBroker(t, "127.0.0.1:0")
	tests := []struct {
		name, addr   string
		notLoopback  bool
		errSubstring string
	}{
		{name: "all interfaces", addr: ":0", notLoopback: true},
		{name: "unspecified", addr: "0.0.0.0:0", notLoopback: true},
		{name: "public ip", addr: "192.0.2.1:1883", notLoopback: true},
		{name: "host name", addr: "example.com:1883", notLoopback: true},
		{name: "no port", addr: "127.0.0.1", errSubstring: "missing port"},
		{name: "port taken", addr: taken.Addr(), errSubstring: "address already in use"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := New(Options{Addr: tc.addr, Logger: quietLogger()})
			defer b.Close()
			err := b.Start(context.Background())
			if err == nil {
				t.Fatalf("Start(%q) = nil, want an error", tc.addr)
			}
			if got := errors.Is(err, ErrNotLoopback); got != tc.notLoopback {
				t.Errorf("Start(%q) = %v; errors.Is(ErrNotLoopback) = %v, want %v", tc.addr, err, got, tc.notLoopback)
			}
			if tc.errSubstring != "" && !strings.Contains(err.Error(), tc.errSubstring) {
				t.Errorf("Start(%q) = %v, want it to mention %q", tc.addr, err, tc.errSubstring)
			}
		})
	}
}

func TestStartTwiceAndCanceled(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	if err := b.Start(context.Background()); err == nil {
		t.Error("second Start: got nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	c := New(Options{Addr: "127.0.0.1:0", Logger: quietLogger()})
	if err := c.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Start(canceled) = %v, want context.Canceled", err)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	b := New(Options{})
	if got := b.Addr(); got != DefaultAddr {
		t.Errorf("Addr() before Start = %q, want %q", got, DefaultAddr)
	}
	if got := New(Options{Addr: "localhost:0"}); got.Addr() != "localhost:0" {
		t.Errorf("Addr() = %q, want localhost:0", got.Addr())
	}
}

func TestLoopbackOnlyHook(t *testing.T) {
	t.Parallel()
	tests := []struct {
		remote string
		want   bool
	}{
		{"127.0.0.1:50000", true},
		{"127.8.9.10:1", true},
		{"[::1]:50000", true},
		{"192.0.2.7:50000", false},
		{"[2001:db8::1]:50000", false},
		{"10.0.0.1:1883", false},
		{"", false},
		{"garbage", false},
	}
	h := new(loopbackOnly)
	for _, tc := range tests {
		t.Run(tc.remote, func(t *testing.T) {
			cl := &mqtt.Client{Net: mqtt.ClientConnection{Remote: tc.remote}}
			if got := h.OnConnectAuthenticate(cl, packets.Packet{}); got != tc.want {
				t.Errorf("OnConnectAuthenticate(%q) = %v, want %v", tc.remote, got, tc.want)
			}
			if got := h.OnACLCheck(cl, "a/b", true); got != tc.want {
				t.Errorf("OnACLCheck(%q) = %v, want %v", tc.remote, got, tc.want)
			}
		})
	}
	for _, b := range []byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck} {
		if !h.Provides(b) {
			t.Errorf("Provides(%d) = false, want true", b)
		}
	}
	if h.Provides(mqtt.OnPublish) {
		t.Error("Provides(OnPublish) = true, want false")
	}
}
