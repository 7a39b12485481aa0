package broker

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/mochi-mqtt/server/v2/listeners"
)

// listener is the broker's TCP listener. It replaces mochi's listeners.TCP
// so that the broker, not mochi, owns every accepted connection and knows
// when each connection's handler has returned; Close relies on both to shut
// mochi down without its deadlocks (see shutdown in broker.go).
type listener struct {
	id, addr string
	log      *slog.Logger
	ln       net.Listener

	mu       sync.Mutex
	closing  bool                  // set once by stopAccepting; no handler starts after it
	conns    map[net.Conn]struct{} // accepted connections whose handler has not returned
	handlers sync.WaitGroup        // the accept loop and one per accepted connection
	stop     chan struct{}         // closed by stopAccepting
}

var _ listeners.Listener = (*listener)(nil)

func newListener(id, addr string) *listener {
	return &listener{id: id, addr: addr, conns: make(map[net.Conn]struct{}), stop: make(chan struct{})}
}

// Init binds the TCP address; mochi calls it from AddListener.
func (l *listener) Init(log *slog.Logger) error {
	l.log = log
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		return err
	}
	l.ln = ln
	return nil
}

// ID names the listener in mochi's client records and logs.
func (l *listener) ID() string { return l.id }

// Address reports the bound address (with the real port) once Init ran.
func (l *listener) Address() string {
	if l.ln != nil {
		return l.ln.Addr().String()
	}
	return l.addr
}

// Protocol is the transport name mochi logs.
func (l *listener) Protocol() string { return "tcp" }

// Serve accepts connections and runs establish (mochi's per-connection
// handler) for each one on its own goroutine until stopAccepting. mochi
// calls it on a goroutine of its own from Server.Serve.
func (l *listener) Serve(establish listeners.EstablishFn) {
	if !l.track(nil) {
		return
	}
	defer l.handlers.Done()
	backoff := 5 * time.Millisecond
	for {
		conn, err := l.ln.Accept()
		if err != nil {
			if l.isClosing() || errors.Is(err, net.ErrClosed) {
				return
			}
			// A transient failure such as running out of file descriptors:
			// keep serving after a pause rather than stopping for good.
			l.log.Warn("accept failed", "error", err, "retry_in", backoff)
			select {
			case <-l.stop:
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if !l.track(conn) {
			_ = conn.Close()
			return
		}
		go func() {
			defer l.untrack(conn)
			if err := establish(l.id, conn); err != nil {
				level := slog.LevelInfo
				if l.isClosing() {
					level = slog.LevelDebug // expected while the broker shuts down
				}
				l.log.Log(context.Background(), level, "client connection ended", "remote", conn.RemoteAddr().String(), "error", err)
			}
		}()
	}
}

// track registers a handler (for conn, or the accept loop when conn is nil)
// unless the listener is closing; the registration and the closing flag
// share l.mu, so no handler can start once stopAccepting has returned.
func (l *listener) track(conn net.Conn) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return false
	}
	l.handlers.Add(1)
	if conn != nil {
		l.conns[conn] = struct{}{}
	}
	return true
}

func (l *listener) untrack(conn net.Conn) {
	_ = conn.Close() // mochi closes it too; closing twice is harmless
	l.mu.Lock()
	delete(l.conns, conn)
	l.mu.Unlock()
	l.handlers.Done()
}

func (l *listener) isClosing() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closing
}

// stopAccepting closes the port and stops new handlers from starting. It
// may be called more than once.
func (l *listener) stopAccepting() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closing {
		return
	}
	l.closing = true
	close(l.stop)
	if l.ln != nil {
		_ = l.ln.Close()
	}
}

// dropConns closes every connection whose handler is still running, which
// makes mochi's read (or blocked write) fail and the handler return.
func (l *listener) dropConns() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for c := range l.conns {
		_ = c.Close()
	}
}

// wait returns a channel closed once the accept loop and every connection
// handler have returned; call it after stopAccepting.
func (l *listener) wait() <-chan struct{} {
	done := make(chan struct{})
	go func() {
		l.handlers.Wait()
		close(done)
	}()
	return done
}

// Close is called by mochi's Server.Close (through Listeners.CloseAll). It
// closes the port and every connection itself and deliberately does not
// call closeClients: that callback is mochi's closeListenerClients, which
// goes through Clients.GetByListener (a recursive read lock, upstream
// mochi-mqtt/server#488) and only disconnects the clients registered at
// that instant. Server.Close then waits for the handlers, which end because
// their connections are closed.
func (l *listener) Close(_ listeners.CloseFn) {
	l.stopAccepting()
	l.dropConns()
}
