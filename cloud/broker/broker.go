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
	// closeTimeout bounds Close (see ErrCloseTimeout); tests shorten it.
	closeTimeout time.Duration
	// hooks are added to the server after the loopback hook; tests use
	// them to stall a connection's handler.
	hooks []mqtt.Hook

	mu      sync.Mutex
	server  *mqtt.Server
	ln      *listener
	addr    string
	closed  bool
	stopped chan struct{} // closed when the shutdown started by Close has finished
}

// New returns a broker that listens once started; it does not bind yet.
func New(opts Options) *Broker {
	if opts.Addr == "" {
		opts.Addr = DefaultAddr
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Broker{opts: opts, closeTimeout: defaultCloseTimeout}
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
	for _, h := range b.hooks {
		if err := s.AddHook(h, nil); err != nil {
			return fmt.Errorf("broker: hook %s: %w", h.ID(), err)
		}
	}
	ln := newListener("tcp", b.opts.Addr)
	if err := s.AddListener(ln); err != nil {
		return fmt.Errorf("broker: listen %s: %w", b.opts.Addr, err)
	}
	if err := s.Serve(); err != nil {
		// No connection has been accepted yet, so mochi's Close cannot
		// wait on one; it closes the port through ln.Close.
		_ = s.Close()
		return fmt.Errorf("broker: serve: %w", err)
	}
	b.server = s
	b.ln = ln
	b.addr = ln.Address()
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

// Close stops listening, disconnects every client (MQTT 5 clients first get
// a DISCONNECT with reason "server shutting down") and stops the broker. It
// returns once all of that is done, or with ErrCloseTimeout after 5 s. It
// may be called more than once and from several goroutines; each call waits
// for the same shutdown.
func (b *Broker) Close() error {
	b.mu.Lock()
	b.closed = true
	if b.stopped == nil {
		if b.server == nil {
			b.mu.Unlock()
			return nil // never started
		}
		srv, ln, stopped := b.server, b.ln, make(chan struct{})
		b.server, b.stopped = nil, stopped
		ln.stopAccepting() // the port is free from here on, whatever follows
		go func() {
			defer close(stopped)
			shutdown(srv, ln)
		}()
	}
	stopped := b.stopped
	b.mu.Unlock()

	t := time.NewTimer(b.closeTimeout)
	defer t.Stop()
	select {
	case <-stopped:
		return nil
	case <-t.C:
		return fmt.Errorf("broker: close: %w after %v", ErrCloseTimeout, b.closeTimeout)
	}
}

// defaultCloseTimeout bounds Close (see ErrCloseTimeout).
const defaultCloseTimeout = 5 * time.Second

// disconnectGrace is how long shutdown lets DISCONNECT packets reach MQTT 5
// clients before it closes every connection.
const disconnectGrace = 500 * time.Millisecond

// ErrCloseTimeout is returned by Close when a connection handler in the
// embedded broker did not return in time. The port is already closed and
// every connection has been closed; the rest of the shutdown goes on in the
// background and ends when that handler returns. With this package's hooks
// it is a last resort that no known client behaviour triggers.
var ErrCloseTimeout = errors.New("broker: close timed out")

// shutdown stops srv after ln.stopAccepting, in an order that cannot hang.
//
// mochi-mqtt v2.7.9's Server.Close calls each listener's Close with a
// callback that disconnects the clients found by Clients.GetByListener,
// then waits on Listeners.ClientsWg for every connection handler. That has
// three faults, all reached by clients connecting or disconnecting while it
// runs:
//   - GetByListener takes Clients' read lock twice (the second time through
//     Clients.Len). A handler calling Clients.Add (a client finishing
//     CONNECT) or Clients.Delete (a clean-session client leaving) in between
//     queues for the write lock, which blocks the second read lock behind it
//     while the writer waits for the first one: a permanent deadlock
//     (upstream mochi-mqtt/server#488).
//   - mochi's TCP listener disconnects the clients before it closes its
//     port, and only those registered at that instant. A client whose
//     CONNECT completes just after, or one still in its CONNECT exchange, is
//     never disconnected, so ClientsWg.Wait waits for that client to leave
//     of its own accord: forever for a client with keepalive.
//   - a handler still starting calls ClientsWg.Add concurrently with that
//     Wait, which the race detector reports and which can panic with
//     "WaitGroup is reused before previous Wait has returned".
//
// So the broker uses its own listener (listener.go), which owns every
// connection, and by the time srv.Close runs no handler is left: nothing
// else touches srv.Clients, ClientsWg is zero, and ln.Close (called by
// srv.Close) never calls the GetByListener callback.
func shutdown(srv *mqtt.Server, ln *listener) {
	// Tell MQTT 5 clients why they are disconnected, as mochi's Close does.
	// The DISCONNECT writes can block on a client that does not read, so
	// they get a grace period, and closing the connections below unblocks
	// them.
	announced := make(chan struct{})
	go func() {
		defer close(announced)
		announceShutdown(srv, ln.ID())
	}()
	grace := time.NewTimer(disconnectGrace)
	select {
	case <-announced:
	case <-grace.C:
	}
	grace.Stop()
	// Close every connection, including those still in their CONNECT
	// exchange and those whose clients registered after announceShutdown
	// looked, then wait until every handler has returned.
	ln.dropConns()
	<-ln.wait()
	<-announced
	// Only the event loop and the hooks are left for mochi to stop.
	_ = srv.Close()
}

// announceShutdown sends DISCONNECT "server shutting down" to the MQTT 5
// clients connected through listenerID and closes their connections. MQTT
// 3.1.1 has no server-to-client DISCONNECT, so those clients are just
// closed by shutdown.
func announceShutdown(srv *mqtt.Server, listenerID string) {
	// GetAll takes the clients' read lock once and copies the map, so a
	// concurrent Add or Delete only waits for it (unlike GetByListener).
	for _, cl := range srv.Clients.GetAll() {
		if cl.Net.Listener == listenerID && cl.Properties.ProtocolVersion == 5 && !cl.Closed() {
			_ = srv.DisconnectClient(cl, packets.ErrServerShuttingDown)
		}
	}
}

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
