package route

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Sentinel errors of Publish and PublishEvent.
var (
	// ErrUnknownDestination: no destination has the name a device gave.
	ErrUnknownDestination = errors.New("route: unknown destination")
	// ErrNoBroker: an MQTT destination or event, but no broker configured.
	ErrNoBroker = errors.New("route: no mqtt broker configured")
	// ErrNotStarted: Publish before Start or after Close.
	ErrNotStarted = errors.New("route: router not running")
)

// DefaultTopicPrefix is the first topic level of the downlink API and of
// the event topics.
const DefaultTopicPrefix = "loraedge"

// Options configures a Router. The zero value works for HTTP destinations
// without a retry queue; set Broker for MQTT.
type Options struct {
	// Broker is the MQTT broker URL (tcp://host:1883, ssl://host:8883,
	// ws://…); empty means no MQTT: MQTT destinations fail with ErrNoBroker
	// and there is no MQTT downlink API. All MQTT destinations, the
	// downlink subscription and the events share one client connection.
	Broker string
	// Username and Password authenticate to the broker when set; the
	// password is never logged.
	Username, Password string
	// TLSConfig is used for ssl:// and wss:// brokers.
	TLSConfig *tls.Config
	// ClientID is the MQTT client id; empty means "loraedge-route-" and 8
	// random hex digits.
	ClientID string
	// TopicPrefix is the first level of <prefix>/downlink/<DevEui> and
	// <prefix>/events/<DevEui>; empty means DefaultTopicPrefix.
	TopicPrefix string
	// Downlinks receives requests published to <prefix>/downlink/<DevEui>;
	// nil means the router does not subscribe.
	Downlinks DownlinkSink
	// DownlinkTimeout bounds one Downlinks.Enqueue call; 0 means 10 s.
	DownlinkTimeout time.Duration
	// MaxReconnectInterval caps the broker reconnect backoff; 0 means 10 s.
	MaxReconnectInterval time.Duration
	// Connected, when set, is called after every (re)connection to the
	// broker, once the downlink subscription is in place.
	Connected func()

	// Queue keeps webhook messages a webhook did not take, and the router
	// retries them from it; the caller opens and closes it. Nil means no
	// retry: a failed POST fails Publish.
	Queue *Queue
	// HTTPClient posts to webhooks; nil means a client that does not
	// follow redirects (a redirected POST would lose its body).
	HTTPClient *http.Client
	// HTTPTimeout bounds one POST; 0 means 10 s.
	HTTPTimeout time.Duration
	// RetryMin and RetryMax bound the backoff between retries of a queued
	// message (doubling from RetryMin); 0 means 1 s and 1 min.
	RetryMin, RetryMax time.Duration

	// Logger receives the router's logs; nil means slog.Default().
	Logger *slog.Logger
}

// Router delivers messages to destinations by name: MQTT rules publish to a
// templated topic, HTTP rules POST to a webhook. It also runs the MQTT side
// of the downlink API. Create it with New, then Start; it is safe for
// concurrent use.
type Router struct {
	opts Options
	log  *slog.Logger
	http *http.Client
	// broker is Options.Broker without user information, for logs.
	broker string

	mu       sync.RWMutex
	dests    map[string]*destination
	counters map[string]*counters // by destination name, kept across Update
	workers  map[string]chan struct{}
	started  bool // Start was called
	running  bool // Start succeeded and Close was not called
	closed   bool

	conn   *mqttConn // nil without a broker
	dl     chan inbound
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	// attempts, when not nil (tests), gets a value after each webhook
	// delivery attempt has been counted.
	attempts chan struct{}

	unknown    atomic.Uint64 // Publish to unknown destinations
	evOK       atomic.Uint64
	evFailed   atomic.Uint64
	dlAccepted atomic.Uint64
	dlRefused  atomic.Uint64
}

// destination is a parsed destination rule.
type destination struct {
	name   string
	kind   string
	topic  *topicTemplate
	qos    byte
	url    string
	header string
	secret string
}

// New checks the destinations and parses their topic templates; it does
// not connect (Start does).
func New(dests []store.Destination, opts Options) (*Router, error) {
	if opts.TopicPrefix == "" {
		opts.TopicPrefix = DefaultTopicPrefix
	}
	if err := checkPublishTopic(opts.TopicPrefix); err != nil {
		return nil, fmt.Errorf("route: topic prefix: %w", err)
	}
	if opts.ClientID == "" {
		var b [4]byte
		_, _ = rand.Read(b[:])
		opts.ClientID = "loraedge-route-" + hex.EncodeToString(b[:])
	}
	setDefault(&opts.DownlinkTimeout, 10*time.Second)
	setDefault(&opts.MaxReconnectInterval, 10*time.Second)
	setDefault(&opts.HTTPTimeout, 10*time.Second)
	setDefault(&opts.RetryMin, time.Second)
	setDefault(&opts.RetryMax, time.Minute)
	if opts.RetryMax < opts.RetryMin {
		opts.RetryMax = opts.RetryMin
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Router{
		opts:     opts,
		log:      opts.Logger.With("component", "route"),
		http:     opts.HTTPClient,
		counters: make(map[string]*counters),
		workers:  make(map[string]chan struct{}),
		dl:       make(chan inbound, downlinkBacklog),
	}
	r.broker = redactURL(opts.Broker)
	if r.http == nil {
		r.http = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	parsed, err := parseDestinations(dests)
	if err != nil {
		return nil, err
	}
	r.dests = parsed
	r.ctx, r.cancel = context.WithCancel(context.Background())
	return r, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

func parseDestinations(dests []store.Destination) (map[string]*destination, error) {
	out := make(map[string]*destination, len(dests))
	for _, sd := range dests {
		d, err := parseDestination(sd)
		if err != nil {
			return nil, err
		}
		if _, dup := out[d.name]; dup {
			return nil, fmt.Errorf("route: destination %s: named twice", d.name)
		}
		out[d.name] = d
	}
	return out, nil
}

func parseDestination(sd store.Destination) (*destination, error) {
	if sd.Name == "" {
		return nil, errors.New("route: destination with an empty name")
	}
	d := &destination{name: sd.Name, kind: sd.Kind}
	switch sd.Kind {
	case store.KindMQTT:
		if sd.QoS > 2 {
			return nil, fmt.Errorf("route: destination %s: qos %d, want 0, 1 or 2", sd.Name, sd.QoS)
		}
		t, err := parseTopic(sd.Name, sd.MQTTTopic)
		if err != nil {
			return nil, err
		}
		d.topic, d.qos = t, sd.QoS
	case store.KindHTTP:
		u, err := url.Parse(sd.HTTPURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The URL may hold a token: do not repeat it.
			return nil, fmt.Errorf("route: destination %s: webhook url: want an absolute http or https url", sd.Name)
		}
		if (sd.HTTPHeader == "") != (sd.HTTPSecret == "") {
			return nil, fmt.Errorf("route: destination %s: header name and secret go together", sd.Name)
		}
		if !validHeaderValue(string(sd.HTTPSecret)) {
			// Every POST would fail and be retried forever.
			return nil, fmt.Errorf("route: destination %s: header secret has control characters", sd.Name)
		}
		d.url, d.header, d.secret = sd.HTTPURL, sd.HTTPHeader, string(sd.HTTPSecret)
	default:
		return nil, fmt.Errorf("route: destination %s: kind %q, want %q or %q", sd.Name, sd.Kind, store.KindMQTT, store.KindHTTP)
	}
	return d, nil
}

// Start connects to the broker (when one is configured), subscribes to the
// downlink API topic and starts delivering queued webhook messages. It
// returns once connected and subscribed, or with an error when ctx ends
// first (call Close then); later connection losses are repaired in the
// background. A router starts once.
func (r *Router) Start(ctx context.Context) error {
	r.mu.Lock()
	if r.started || r.closed {
		r.mu.Unlock()
		return errors.New("route: start: already started or closed")
	}
	r.started = true
	r.mu.Unlock()

	var conn *mqttConn
	if r.opts.Broker != "" {
		var err error
		if conn, err = dialMQTT(ctx, r); err != nil {
			return err
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		if conn != nil {
			conn.close()
		}
		return errors.New("route: start: closed")
	}
	r.conn, r.running = conn, true
	r.startWorkersLocked()
	return nil
}

// Close stops the webhook workers and disconnects from the broker. Queued
// webhook messages stay in the Queue, which the caller closes afterwards.
func (r *Router) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed, r.running = true, false
	conn := r.conn
	r.mu.Unlock()
	r.cancel()
	if conn != nil {
		conn.close()
	}
	r.wg.Wait()
	return nil
}

// Update replaces the set of destinations (after an admin change). Nothing
// changes when one of them is invalid. Counters of a destination that stays
// are kept; webhook messages queued for a removed destination stay in the
// queue until it comes back or the bound pushes them out.
func (r *Router) Update(dests []store.Destination) error {
	parsed, err := parseDestinations(dests)
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dests = parsed
	if r.running {
		r.startWorkersLocked()
	}
	return nil
}

// Publish delivers msg to the destination named dest. For an MQTT rule it
// returns once the broker took the message (QoS 0: written; QoS 1 and 2:
// acknowledged) or ctx ends; a QoS 1/2 message given up on when ctx ends
// may still be sent after a reconnection. For an HTTP rule it returns once
// the webhook answered 2xx or, when the webhook fails (or ctx ends during
// the attempt) or already has messages waiting, once the message is in the
// retry queue; a 4xx answer other than 408, 425 and 429 is an error and the
// message is not retried.
func (r *Router) Publish(ctx context.Context, dest string, msg Message) error {
	r.mu.RLock()
	d, ok := r.dests[dest]
	running, conn := r.running, r.conn
	r.mu.RUnlock()
	if !ok {
		r.unknown.Add(1)
		return fmt.Errorf("%w: %q", ErrUnknownDestination, dest)
	}
	c := r.countersFor(dest)
	if !running {
		c.failed.Add(1)
		return ErrNotStarted
	}
	if isNil(msg) {
		c.failed.Add(1)
		return fmt.Errorf("route: destination %s: nil message", dest)
	}
	var err error
	switch d.kind {
	case store.KindMQTT:
		err = publishMQTT(ctx, conn, d, msg)
	case store.KindHTTP:
		err = r.publishHTTP(ctx, d, c, msg)
		return err // counted inside
	}
	if err != nil {
		c.failed.Add(1)
		return err
	}
	c.published.Add(1)
	return nil
}

func publishMQTT(ctx context.Context, conn *mqttConn, d *destination, msg Message) error {
	if conn == nil {
		return fmt.Errorf("%w: destination %s", ErrNoBroker, d.name)
	}
	f := msg.TopicFields()
	f.Destination = d.name
	topic, err := d.topic.render(f)
	if err != nil {
		return fmt.Errorf("route: destination %s: %w", d.name, err)
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("route: destination %s: encode: %w", d.name, err)
	}
	if err := conn.publish(ctx, topic, d.qos, body); err != nil {
		return fmt.Errorf("route: destination %s: %w", d.name, err)
	}
	return nil
}

// PublishEvent publishes a downlink event on <prefix>/events/<DevEui> (QoS
// 1), setting Timestamp to now when zero. Without a broker it returns
// ErrNoBroker.
func (r *Router) PublishEvent(ctx context.Context, ev *DownlinkEvent) error {
	r.mu.RLock()
	conn := r.conn
	r.mu.RUnlock()
	return r.publishEvent(ctx, conn, ev)
}

func (r *Router) publishEvent(ctx context.Context, conn *mqttConn, ev *DownlinkEvent) error {
	if ev == nil {
		r.evFailed.Add(1)
		return errors.New("route: nil event")
	}
	if conn == nil {
		r.evFailed.Add(1)
		return ErrNoBroker
	}
	if time.Time(ev.Timestamp).IsZero() {
		ev.Timestamp = Timestamp(time.Now())
	}
	body, err := json.Marshal(ev)
	if err != nil {
		r.evFailed.Add(1)
		return fmt.Errorf("route: event: encode: %w", err)
	}
	topic := r.EventTopic(ev.DevEui)
	if err := conn.publish(ctx, topic, 1, body); err != nil {
		r.evFailed.Add(1)
		return fmt.Errorf("route: event %s: %w", ev.Event, err)
	}
	r.evOK.Add(1)
	return nil
}

// DownlinkTopic returns the topic filter of the MQTT downlink API,
// "<prefix>/downlink/+".
func (r *Router) DownlinkTopic() string { return r.opts.TopicPrefix + "/downlink/+" }

// EventTopic returns the topic a device's downlink events go to,
// "<prefix>/events/<DevEui>".
func (r *Router) EventTopic(devEUI lorawan.EUI64) string {
	return r.opts.TopicPrefix + "/events/" + devEUI.String()
}

// isNil reports a nil interface or a nil pointer in one.
func isNil(m Message) bool {
	if m == nil {
		return true
	}
	v := reflect.ValueOf(m)
	return v.Kind() == reflect.Pointer && v.IsNil()
}

// validHeaderValue refuses control characters other than tab (RFC 9110
// field values), which net/http would refuse at every request.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; (c < 0x20 && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

// redactURL drops user information (a password) from a URL for logs.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable url)"
	}
	u.User = nil
	return u.String()
}
