package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	mqtt "github.com/eclipse/paho.mqtt.golang"

	"github.com/loraedge/loraedge/lorawan"
)

// uplinkKey names one uplink: the device and its frame counter.
type uplinkKey struct {
	dev  lorawan.EUI64
	fcnt uint32
}

// recorder matches routed messages to the uplinks sent and keeps the
// counts; every method is safe for concurrent use.
type recorder struct {
	mu         sync.Mutex
	sentAt     map[uplinkKey]time.Time
	routed     map[uplinkKey]bool
	latencies  []time.Duration
	duplicates uint64
	unexpected uint64
	lastRecv   time.Time
	downlinks  uint64
	acks       uint64
	progress   chan struct{} // signalled (non-blocking) on each routed uplink
}

func newRecorder() *recorder {
	return &recorder{
		sentAt:   make(map[uplinkKey]time.Time),
		routed:   make(map[uplinkKey]bool),
		progress: make(chan struct{}, 1),
	}
}

// sent records an uplink written at at.
func (r *recorder) sent(dev lorawan.EUI64, fcnt uint32, at time.Time) {
	r.mu.Lock()
	r.sentAt[uplinkKey{dev, fcnt}] = at
	r.mu.Unlock()
}

// received records a message the destination published, received at at.
func (r *recorder) received(dev lorawan.EUI64, fcnt uint32, at time.Time) {
	k := uplinkKey{dev, fcnt}
	r.mu.Lock()
	defer r.mu.Unlock()
	t0, ok := r.sentAt[k]
	switch {
	case !ok:
		r.unexpected++
		return
	case r.routed[k]:
		r.duplicates++
		return
	}
	r.routed[k] = true
	r.latencies = append(r.latencies, at.Sub(t0))
	r.lastRecv = at
	select {
	case r.progress <- struct{}{}:
	default:
	}
}

// unreadable counts a message on the topic that is not an uplink.
func (r *recorder) unreadable() {
	r.mu.Lock()
	r.unexpected++
	r.mu.Unlock()
}

// downlink counts a dnmsg; ack tells whether it acknowledges an uplink.
func (r *recorder) downlink(ack bool) {
	r.mu.Lock()
	r.downlinks++
	if ack {
		r.acks++
	}
	r.mu.Unlock()
	select {
	case r.progress <- struct{}{}:
	default:
	}
}

// complete reports whether n uplinks were routed and acks ACKs came.
func (r *recorder) complete(n, acks uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return uint64(len(r.routed)) >= n && r.acks >= acks
}

// wait returns once n uplinks were routed and acks ACKs received, or after
// drain, or when ctx ends.
func (r *recorder) wait(ctx context.Context, n, acks uint64, drain time.Duration) {
	timer := time.NewTimer(drain)
	defer timer.Stop()
	for !r.complete(n, acks) {
		select {
		case <-r.progress:
		case <-timer.C:
			return
		case <-ctx.Done():
			return
		}
	}
}

// report summarises the counts; start is when sending began.
func (r *recorder) report(start time.Time) *Report {
	r.mu.Lock()
	defer r.mu.Unlock()
	rep := &Report{
		Routed:     uint64(len(r.routed)),
		Duplicates: r.duplicates,
		Unexpected: r.unexpected,
		Downlinks:  r.downlinks,
		Acks:       r.acks,
	}
	if span := r.lastRecv.Sub(start); len(r.routed) > 0 && span > 0 {
		rep.Throughput = float64(len(r.routed)) / span.Seconds()
	}
	rep.Latency = summarise(r.latencies)
	return rep
}

// summarise returns the percentiles of ds (nearest rank); ds is sorted in
// place.
func summarise(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	slices.Sort(ds)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(ds))+0.999999) - 1
		return ds[min(max(i, 0), len(ds)-1)]
	}
	return Latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: ds[len(ds)-1]}
}

// routedMessage is the part of a routed uplink (route.Uplink) the
// generator reads.
type routedMessage struct {
	WirelessMetadata struct {
		LoRaWAN struct {
			DevEui lorawan.EUI64
			FCnt   uint32
		}
	}
}

// subscription is the generator's MQTT client on the destination topics.
type subscription struct{ client mqtt.Client }

// subscribe connects to the broker as clientID and subscribes to filter
// (QoS 1),
// handing every message to rec.
func subscribe(ctx context.Context, t Target, filter, clientID string, rec *recorder) (*subscription, error) {
	o := mqtt.NewClientOptions().
		AddBroker(t.BrokerURL).
		SetClientID(clientID).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectTimeout(handshakeTimeout).
		SetOrderMatters(false)
	if t.BrokerUsername != "" {
		o.SetUsername(t.BrokerUsername).SetPassword(t.BrokerPassword)
	}
	c := mqtt.NewClient(o)
	if err := waitToken(ctx, c.Connect()); err != nil {
		return nil, fmt.Errorf("loadgen: mqtt connect %s: %w", t.BrokerURL, err)
	}
	handler := func(_ mqtt.Client, m mqtt.Message) {
		at := time.Now()
		var msg routedMessage
		if err := json.Unmarshal(m.Payload(), &msg); err != nil {
			rec.unreadable()
			return
		}
		l := msg.WirelessMetadata.LoRaWAN
		rec.received(l.DevEui, l.FCnt, at)
	}
	if err := waitToken(ctx, c.Subscribe(filter, 1, handler)); err != nil {
		c.Disconnect(0)
		return nil, fmt.Errorf("loadgen: mqtt subscribe %s: %w", filter, err)
	}
	return &subscription{client: c}, nil
}

func (s *subscription) close() { s.client.Disconnect(250) }

// waitToken waits for an MQTT operation, bounded by ctx.
func waitToken(ctx context.Context, tok mqtt.Token) error {
	select {
	case <-tok.Done():
		return tok.Error()
	case <-ctx.Done():
		return ctx.Err()
	}
}
