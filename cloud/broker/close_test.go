package broker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	mqtt "github.com/mochi-mqtt/server/v2"
	"github.com/mochi-mqtt/server/v2/packets"
)

// TestCloseWhileClientsChurn closes the broker while clients connect,
// disconnect and stay connected, over and over. mochi's own Server.Close
// hangs in about a third of these rounds (see shutdown in broker.go).
// Not parallel: it runs alone, so its timings are its own.
func TestCloseWhileClientsChurn(t *testing.T) {
	const (
		rounds    = 200
		workers   = 4
		holdLimit = 5 * time.Second
	)
	for round := range rounds {
		b := New(Options{Addr: "127.0.0.1:0", Logger: quietLogger()})
		if err := b.Start(context.Background()); err != nil {
			t.Fatalf("round %d: Start: %v", round, err)
		}
		b.mu.Lock()
		srv := b.server
		b.mu.Unlock()

		ch := startChurn(b.Addr(), fmt.Sprintf("r%d", round), workers, holdLimit)
		select {
		case <-ch.holding:
		case <-time.After(holdLimit):
			_ = b.Close()
			t.Fatalf("round %d: no client connected within %v: %v", round, holdLimit, ch.end())
		}
		err := b.Close()
		problems := ch.end()
		if err != nil {
			t.Fatalf("round %d: Close() = %v, want nil", round, err)
		}
		for _, p := range problems {
			t.Errorf("round %d: %v", round, p)
		}
		if got := atomic.LoadInt64(&srv.Info.ClientsConnected); got != 0 {
			t.Errorf("round %d: after Close, %d clients connected, want 0", round, got)
		}
		// A client whose CONNACK could not be written stays registered
		// (mochi returns before removing it), so check them all closed
		// rather than gone.
		for id, cl := range srv.Clients.GetAll() {
			if !cl.Closed() {
				t.Errorf("round %d: after Close, client %s is still open", round, id)
			}
		}
		if t.Failed() {
			return
		}
	}
}

// TestCloseDisconnects checks what each kind of connection sees when the
// broker closes: all are closed, and only MQTT 5 clients are told why.
func TestCloseDisconnects(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// open returns a connection to b; it is established when open returns.
		open func(t *testing.T, addr string) net.Conn
		// wantDisconnect is the reason code of the DISCONNECT expected before
		// the connection ends; -1 means no packet at all.
		wantDisconnect int
	}{
		{
			name:           "mqtt 3.1.1 client",
			open:           func(t *testing.T, addr string) net.Conn { return mustDial(t, addr, "v4", 4) },
			wantDisconnect: -1,
		},
		{
			name:           "mqtt 5 client",
			open:           func(t *testing.T, addr string) net.Conn { return mustDial(t, addr, "v5", 5) },
			wantDisconnect: int(packets.ErrServerShuttingDown.Code),
		},
		{
			// mochi reads CONNECT without a deadline and its Close waits
			// for this handler: it would wait until the peer goes away.
			name: "connection that never sends CONNECT",
			open: func(t *testing.T, addr string) net.Conn {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				// The broker accepts in order: once a later client has
				// its CONNACK, c has been accepted and handed to mochi.
				later := mustDial(t, addr, "later", 4)
				t.Cleanup(func() { later.Close() })
				return c
			},
			wantDisconnect: -1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := startBroker(t, "127.0.0.1:0")
			c := tc.open(t, b.Addr())
			defer c.Close()
			if err := b.Close(); err != nil {
				t.Fatalf("Close() = %v, want nil", err)
			}
			if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
				t.Fatal(err)
			}
			if tc.wantDisconnect >= 0 {
				typ, body, err := readPacket(c)
				if err != nil {
					t.Fatalf("read DISCONNECT: %v", err)
				}
				if typ != packets.Disconnect || len(body) == 0 || int(body[0]) != tc.wantDisconnect {
					t.Fatalf("got packet type %d body % x, want DISCONNECT with reason %#x", typ, body, tc.wantDisconnect)
				}
			}
			typ, body, err := readPacket(c)
			switch {
			case err == nil:
				t.Fatalf("got packet type %d body % x, want the connection closed", typ, body)
			case isTimeout(err):
				t.Fatalf("connection still open after Close")
			case !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET):
				t.Fatalf("read after Close: %v, want EOF or connection reset", err)
			}
			if c, err := net.Dial("tcp", b.Addr()); err == nil {
				c.Close()
				t.Errorf("dial %s after Close succeeded, want it refused", b.Addr())
			}
		})
	}
}

func mustDial(t *testing.T, addr, id string, version byte) net.Conn {
	t.Helper()
	c, err := dialMQTT(addr, id, version, 5*time.Second)
	if err != nil {
		t.Fatalf("connect %s as %s: %v", addr, id, err)
	}
	return c
}

func TestCloseConcurrentCalls(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	c := mustDial(t, b.Addr(), "held", 4)
	defer c.Close()
	const callers = 4
	errs := make(chan error, callers)
	var start sync.WaitGroup
	start.Add(1)
	for range callers {
		go func() {
			start.Wait()
			errs <- b.Close()
		}()
	}
	start.Done()
	for i := range callers {
		if err := <-errs; err != nil {
			t.Errorf("Close call %d = %v, want nil", i, err)
		}
	}
}

// stallHook blocks every connection's handler in OnConnect until released.
type stallHook struct {
	mqtt.HookBase
	entered chan string   // receives the client id of each stalled connection
	release chan struct{} // closed to let the handlers go on
}

func (*stallHook) ID() string { return "stall" }

func (*stallHook) Provides(b byte) bool { return b == mqtt.OnConnect }

func (h *stallHook) OnConnect(cl *mqtt.Client, _ packets.Packet) error {
	h.entered <- cl.ID
	<-h.release
	return nil
}

// TestCloseTimeout stalls a connection's handler inside mochi so that Close
// cannot finish, and checks the last-resort bound: ErrCloseTimeout, the
// port and the connection closed anyway, and the shutdown completing in the
// background once the handler returns.
func TestCloseTimeout(t *testing.T) {
	t.Parallel()
	hook := &stallHook{entered: make(chan string, 1), release: make(chan struct{})}
	b := New(Options{Addr: "127.0.0.1:0", Logger: quietLogger()})
	b.hooks = []mqtt.Hook{hook}
	const timeout = 100 * time.Millisecond
	b.closeTimeout = timeout
	if err := b.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	var released sync.Once
	release := func() { released.Do(func() { close(hook.release) }) }
	t.Cleanup(func() { release(); _ = b.Close() })

	// The CONNACK never comes: the handler is stalled before it.
	c, err := net.Dial("tcp", b.Addr())
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	connect := []byte{
		packets.Connect << 4, 17, // fixed header, remaining length
		0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 60, // MQTT 3.1.1, clean session, keepalive 60
		0, 5, 's', 't', 'a', 'l', 'l', // client id
	}
	if _, err := c.Write(connect); err != nil {
		t.Fatalf("write CONNECT: %v", err)
	}
	select {
	case id := <-hook.entered:
		if id != "stall" {
			t.Fatalf("stalled client id = %q, want %q", id, "stall")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("handler never reached OnConnect")
	}

	started := time.Now()
	err = b.Close()
	if !errors.Is(err, ErrCloseTimeout) {
		t.Fatalf("Close() = %v, want ErrCloseTimeout", err)
	}
	if elapsed := time.Since(started); elapsed < timeout {
		t.Errorf("Close returned after %v, want at least %v", elapsed, timeout)
	}
	if d, err := net.Dial("tcp", b.Addr()); err == nil {
		d.Close()
		t.Errorf("dial %s after timed-out Close succeeded, want it refused", b.Addr())
	}
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Read(make([]byte, 1)); err == nil || isTimeout(err) {
		t.Errorf("read on stalled connection after Close: %v, want it closed", err)
	}

	release()
	b.closeTimeout = defaultCloseTimeout
	if err := b.Close(); err != nil {
		t.Errorf("Close() after the handler returned = %v, want nil", err)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}
