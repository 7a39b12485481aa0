// Package broker runs the cloud's embedded MQTT broker (mochi-mqtt) for the
// default run, so destinations and the downlink API work with no external
// broker installed.
//
// The embedded broker accepts anonymous clients and lets every client
// publish and subscribe to every topic. That is only safe where nobody else
// can reach it, so it listens on loopback addresses only: Start refuses any
// other address, and a client whose remote address is not loopback is
// refused at CONNECT as a second line of defence. To serve other machines,
// run a real broker with authentication (mosquitto, EMQX, …) and point the
// cloud's MQTT broker URL at it instead.
package broker

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/listeners"
	"github.com/mochi-mqtt/server/v2/packets"
)

// DefaultAddr is the address the embedded broker listens on by default.
const DefaultAddr = "127.0.0.1:1883"

// ErrNotLoopback is returned by Start for an address that is not a loopback
// address: the embedded broker allows anonymous clients and must not be
// reachable from other machines.
var ErrNotLoopback = errors.New("broker: not a loopback address")

// Options configures the embedded broker.
type Options struct {
	// Addr is the TCP address to listen on; empty means DefaultAddr. The
	// host must be a loopback IP or "localhost"; port 0 picks a free port,
	// which Addr reports after Start.
	Addr string
	// Logger receives the broker's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Broker is an embedded MQTT 3.1.1/5 broker on one loopback TCP listener.
type Broker struct {
	opts Options

	mu     sync.Mutex
	server *mqtt.Server
	addr   string
	closed bool
}

// New returns a broker that listens once started; it does not bind yet.
func New(opts Options) *Broker {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Broker{opts: opts}
}

// Start binds the listener and starts serving clients. It returns
// ErrNotLoopback for a non-loopback address, and an error when the address
// is taken. A broker starts once; Close ends it.
func (b *Broker) Start(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("broker: start: %w", err)
	}
	if err := checkLoopback(b.opts.Addr); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return errors.New("broker: start: closed")
	}
	if b.server != nil {
		return errors.New("broker: start: already started")
	}
	s := mqtt.New(&mqtt.Options{
		Logger:       b.opts.Logger.With("component", "mqtt-broker"),
		InlineClient: false,
	})
	if err := s.AddHook(new(loopbackOnly), nil); err != nil {
		return fmt.Errorf("broker: auth hook: %w", err)
	}
	l := listeners.NewTCP(listeners.Config{ID: "tcp", Address: b.opts.Addr})
	if err := s.AddListener(l); err != nil {
		return fmt.Errorf("broker: listen %s: %w", b.opts.Addr, err)
	}
	if err := s.Serve(); err != nil {
		_ = s.Close()
		return fmt.Errorf("broker: serve: %w", err)
	}
	b.server = s
	b.addr = l.Address()
	return nil
}

// Addr returns the address the broker listens on (with the real port when
// Options.Addr asked for port 0); before Start it returns Options.Addr.
func (b *Broker) Addr() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.addr != "" {
		return b.addr
	}
	return b.opts.Addr
}

// URL returns the broker URL clients connect to, "tcp://" + Addr().
func (b *Broker) URL() string { return "tcp://" + b.Addr() }

// Close disconnects every client and stops listening. It may be called more
// than once.
func (b *Broker) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.server == nil {
		return nil
	}
	srv := b.server
	b.server = nil
	// mochi-mqtt v2.7.9 can deadlock in Close when a client disconnects at
	// the same moment (Clients.GetByListener takes its read lock twice;
	// upstream mochi-mqtt/server#488). Bound the wait so the cloud still
	// stops; the stuck goroutine ends with the process.
	done := make(chan error, 1)
	go func() { done <- srv.Close() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("broker: close: %w", err)
		}
		return nil
	case <-time.After(closeTimeout):
		return fmt.Errorf("broker: close: %w after %v (mochi-mqtt shutdown deadlock, upstream #488)", ErrCloseTimeout, closeTimeout)
	}
}

// closeTimeout bounds Close (see ErrCloseTimeout).
const closeTimeout = 5 * time.Second

// ErrCloseTimeout is returned by Close when the embedded broker did not
// stop in time; its listener may stay open until the process exits.
var ErrCloseTimeout = errors.New("broker: close timed out")

// checkLoopback accepts host:port where host is a loopback IP or "localhost".
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("broker: address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%w: %q (the embedded broker allows anonymous clients; use an external broker to serve other hosts)", ErrNotLoopback, addr)
	}
	return nil
}

// loopbackOnly lets clients connecting from a loopback address in, with
// access to every topic, and refuses every other client.
type loopbackOnly struct {
	mqtt.HookBase
}

// ID names the hook in the broker's logs.
func (*loopbackOnly) ID() string { return "loopback-only-auth" }

// Provides reports the hook methods implemented here.
func (*loopbackOnly) Provides(b byte) bool {
	return bytes.IndexByte([]byte{mqtt.OnConnectAuthenticate, mqtt.OnACLCheck}, b) >= 0
}

// OnConnectAuthenticate accepts a client whose remote address is loopback.
func (*loopbackOnly) OnConnectAuthenticate(cl *mqtt.Client, _ packets.Packet) bool {
	return remoteIsLoopback(cl.Net.Remote)
}

// OnACLCheck allows every topic to a client that was let in.
func (*loopbackOnly) OnACLCheck(cl *mqtt.Client, _ string, _ bool) bool {
	return remoteIsLoopback(cl.Net.Remote)
}

func remoteIsLoopback(remote string) bool {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
