package route

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/loraedge/loraedge/cloud/broker"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// waitFor bounds every wait of these tests: long enough for a loaded
// machine, short enough to fail rather than hang.
const waitFor = 20 * time.Second

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// startBroker runs the embedded broker on addr ("127.0.0.1:0" for a free port).
func startBroker(t testing.TB, addr string) *broker.Broker {
	t.Helper()
	b := broker.New(broker.Options{Addr: addr, Logger: quietLogger()})
	if err := b.Start(context.Background()); err != nil {
		t.Fatalf("broker Start(%s): %v", addr, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// startRouter builds and starts a router, closed at cleanup.
func startRouter(t testing.TB, dests []store.Destination, opts Options) *Router {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	r, err := New(dests, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	r.attempts = make(chan struct{}, 1)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if err := r.Start(ctx); err != nil {
		_ = r.Close()
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func mqttDest(name, topic string, qos uint8) store.Destination {
	return store.Destination{Name: name, Kind: store.KindMQTT, MQTTTopic: topic, QoS: qos}
}

// subscriber is a paho client subscribed to one filter; it resubscribes
// after a reconnection and signals each (re)subscription on ready.
type subscriber struct {
	c     paho.Client
	msgs  chan paho.Message
	ready chan struct{}
}

func subscribe(t testing.TB, url, filter string, qos byte) *subscriber {
	t.Helper()
	s := &subscriber{msgs: make(chan paho.Message, 1000), ready: make(chan struct{}, 10)}
	o := paho.NewClientOptions().AddBroker(url).SetAutoReconnect(true).SetMaxReconnectInterval(time.Second).
		SetOnConnectHandler(func(c paho.Client) {
			tok := c.Subscribe(filter, qos, func(_ paho.Client, m paho.Message) { s.msgs <- m })
			if tok.WaitTimeout(waitFor) && tok.Error() == nil {
				s.ready <- struct{}{}
			}
		})
	s.c = paho.NewClient(o)
	if tok := s.c.Connect(); !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		t.Fatalf("subscriber connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { s.c.Disconnect(0) })
	s.waitReady(t)
	return s
}

func (s *subscriber) waitReady(t testing.TB) {
	t.Helper()
	select {
	case <-s.ready:
	case <-time.After(waitFor):
		t.Fatal("subscriber: no subscription")
	}
}

// next returns the next message received.
func (s *subscriber) next(t testing.TB) paho.Message {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(waitFor):
		t.Fatal("no message received")
		return nil
	}
}

// client connects a plain paho client (for publishing requests).
func client(t testing.TB, url string) paho.Client {
	t.Helper()
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetAutoReconnect(false))
	if tok := c.Connect(); !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		t.Fatalf("connect %s: %v", url, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(0) })
	return c
}

func publishRaw(t testing.TB, c paho.Client, topic string, retained bool, payload string) {
	t.Helper()
	tok := c.Publish(topic, 1, retained, []byte(payload))
	if !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		t.Fatalf("publish %s: %v", topic, tok.Error())
	}
}

func ctxFor(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	t.Cleanup(cancel)
	return ctx
}

// sink records downlink requests; refuse, when set, makes it fail.
type sink struct {
	mu     sync.Mutex
	refuse error
	n      uint64 // requests taken
	got    chan sunk
}

type sunk struct {
	eui lorawan.EUI64
	d   Downlink
}

func newSink() *sink { return &sink{got: make(chan sunk, 100)} }

// sinkFirstID is the id the sink gives its first request; the next ones
// count up.
const sinkFirstID = 41

func (s *sink) Enqueue(ctx context.Context, devEUI lorawan.EUI64, d Downlink) (uint64, error) {
	s.mu.Lock()
	err := s.refuse
	id := sinkFirstID + s.n
	if err == nil {
		s.n++
	}
	s.mu.Unlock()
	if err != nil {
		return 0, err
	}
	s.got <- sunk{devEUI, d}
	return id, ctx.Err()
}

var _ DownlinkSink = (*sink)(nil)

func ctxWithTimeout(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}
