package downlink

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// Sender is what the scheduler needs from the gateway endpoint
// (*gateway.Server satisfies it): write a message to a connected gateway.
type Sender interface {
	Send(ctx context.Context, gw lorawan.EUI64, msg station.Message) error
}

// Store is what the scheduler needs from the cloud's store (*store.DB
// satisfies it): devices and sessions, downlink frame counters and the
// persistent per-device queue.
type Store interface {
	GetDevice(ctx context.Context, devEUI lorawan.EUI64) (store.Device, error)
	GetSession(ctx context.Context, devEUI lorawan.EUI64) (store.Session, error)
	NextFCntDown(ctx context.Context, devEUI lorawan.EUI64, which store.DownCounter) (uint32, error)
	Enqueue(ctx context.Context, devEUI lorawan.EUI64, d store.Downlink) (uint64, error)
	PeekDownlink(ctx context.Context, devEUI lorawan.EUI64) (store.Downlink, int, error)
	// QueueVersion moves whenever a downlink is added to the device's
	// queue: a queue read empty at version v stays empty while it
	// returns v, so the Class A path reads it once, not per uplink.
	QueueVersion(devEUI lorawan.EUI64) uint64
	ListDownlinks(ctx context.Context, devEUI lorawan.EUI64) ([]store.Downlink, error)
	UpdateDownlink(ctx context.Context, devEUI lorawan.EUI64, d store.Downlink) error
	DeleteDownlink(ctx context.Context, devEUI lorawan.EUI64, id uint64) error
	ClearQueue(ctx context.Context, devEUI lorawan.EUI64) (int, error)
}

// EventPublisher publishes downlink events on the event topic
// (*route.Router satisfies it).
type EventPublisher interface {
	PublishEvent(ctx context.Context, ev *route.DownlinkEvent) error
}

// EventDownlinkTxTimeout is the Event of a route.DownlinkEvent reporting a
// queued downlink that no gateway confirmed (dntxed) in time; the item
// stays queued for the next window.
const EventDownlinkTxTimeout = "downlink_tx_timeout"

// Defaults of Options.
const (
	DefaultMaxAttempts = 3
	DefaultTxTimeout   = 2 * time.Second
)

// Options tunes a Scheduler; the zero value gives the defaults.
type Options struct {
	// MaxAttempts is how many transmissions a confirmed downlink gets
	// before it is dropped unacknowledged. Default DefaultMaxAttempts.
	MaxAttempts int
	// TxTimeout is how long after its last receive window opens (RX2 for
	// Class A, counted from the uplink's reception; the send for Class C)
	// a downlink may wait for its dntxed before it is reported as not
	// sent. Default DefaultTxTimeout.
	TxTimeout time.Duration
	// Priority is the dnmsg priority (0–255) of every downlink. Default 0.
	Priority int
	// Events receives downlink_sent, downlink_ack, downlink_dropped and
	// downlink_tx_timeout events; nil only logs them.
	Events EventPublisher
	// Logger receives the scheduler's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Metrics counts what the scheduler did since it started.
type Metrics struct {
	Scheduled     uint64 // dnmsg accepted by a gateway's socket
	SendFailed    uint64 // downlinks no gateway took
	Nothing       uint64 // Class A uplinks with nothing to answer
	Confirmed     uint64 // dntxed received for a pending downlink
	TxTimeouts    uint64 // downlinks with no dntxed in time
	UnknownDntxed uint64 // dntxed matching no pending downlink
	Acked         uint64 // confirmed downlinks acknowledged
	Dropped       uint64 // confirmed downlinks dropped unacknowledged
}

// Scheduler schedules Class A and Class C downlinks; see the package
// comment. It is safe for concurrent use. Create it with New, stop it with
// Close.
type Scheduler struct {
	db     Store
	sender Sender
	opts   Options
	log    *slog.Logger

	nextDiid atomic.Int64

	ctx    context.Context // ends at Close; for timers and events
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	pending map[int64]*pending
	devices map[lorawan.EUI64]*devState
	regions map[string]*lorawan.Region

	m struct {
		scheduled, sendFailed, nothing, confirmed, txTimeouts, unknown, acked, dropped atomic.Uint64
	}
}

// devState is what the scheduler remembers of a device between calls.
type devState struct {
	last     Reception // the best copy of the device's latest uplink
	haveLast bool
	adr      bool   // FCtrl.ADR of the device's latest Class A answer
	busy     uint64 // queue item being sent (awaiting dntxed), 0 none
	// emptyAt is the store's QueueVersion at which the queue was read
	// empty, when emptyKnown.
	emptyAt    uint64
	emptyKnown bool
}

// pending is a downlink sent to a gateway, awaiting its dntxed.
type pending struct {
	dev       lorawan.EUI64
	devName   string
	classC    bool // the device is Class C: send its next item after this one
	gw        lorawan.EUI64
	item      uint64 // queue item carried, 0 none
	confirmed bool
	fport     uint8
	fcnt      uint32
	timer     *time.Timer
}

// New returns a Scheduler that reads and updates db and sends through
// sender.
func New(db Store, sender Sender, opts Options) (*Scheduler, error) {
	if db == nil || sender == nil {
		return nil, errors.New("downlink: store and sender are required")
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.TxTimeout <= 0 {
		opts.TxTimeout = DefaultTxTimeout
	}
	if opts.Priority < 0 || opts.Priority > 255 {
		return nil, fmt.Errorf("downlink: priority %d outside 0..255", opts.Priority)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Scheduler{
		db:      db,
		sender:  sender,
		opts:    opts,
		log:     opts.Logger,
		pending: map[int64]*pending{},
		devices: map[lorawan.EUI64]*devState{},
		regions: map[string]*lorawan.Region{},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	// A random start keeps diids of this process apart from those of an
	// earlier run a gateway may still report; below 2^52 they stay exact
	// in any JSON reader.
	s.nextDiid.Store(rand.Int64N(1 << 51))
	return s, nil
}

// Close stops the timers of pending downlinks and waits for running event
// deliveries. Downlinks sent after Close are refused.
func (s *Scheduler) Close() error {
	s.mu.Lock()
	s.closed = true
	for diid, p := range s.pending {
		p.timer.Stop()
		delete(s.pending, diid)
	}
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// Metrics returns the scheduler's counters.
func (s *Scheduler) Metrics() Metrics {
	return Metrics{
		Scheduled:     s.m.scheduled.Load(),
		SendFailed:    s.m.sendFailed.Load(),
		Nothing:       s.m.nothing.Load(),
		Confirmed:     s.m.confirmed.Load(),
		TxTimeouts:    s.m.txTimeouts.Load(),
		UnknownDntxed: s.m.unknown.Load(),
		Acked:         s.m.acked.Load(),
		Dropped:       s.m.dropped.Load(),
	}
}

// newDiid returns a downlink id never handed out before by this process.
func (s *Scheduler) newDiid() int64 { return s.nextDiid.Add(1) }

// region returns the cached regional parameters of name.
func (s *Scheduler) region(name string) (*lorawan.Region, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.regions[name]; ok {
		return r, nil
	}
	r, err := lorawan.RegionByName(name)
	if err != nil {
		return nil, fmt.Errorf("downlink: %w", err)
	}
	s.regions[name] = r
	return r, nil
}

// state returns the device's state; s.mu must be held.
func (s *Scheduler) state(dev lorawan.EUI64) *devState {
	st := s.devices[dev]
	if st == nil {
		st = &devState{}
		s.devices[dev] = st
	}
	return st
}

// claim marks queue item id of dev as being sent. It fails when another
// item (or this one) is already on its way.
func (s *Scheduler) claim(dev lorawan.EUI64, id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(dev)
	if st.busy != 0 {
		return false
	}
	st.busy = id
	return true
}

// release undoes claim of item id.
func (s *Scheduler) release(dev lorawan.EUI64, id uint64) {
	if id == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.devices[dev]; st != nil && st.busy == id {
		st.busy = 0
	}
}

// busy reports whether queue item id of dev is on its way.
func (s *Scheduler) busy(dev lorawan.EUI64, id uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.devices[dev]
	return st != nil && st.busy == id
}

// queueKnownEmpty reports whether dev's queue was read empty at version ver.
func (s *Scheduler) queueKnownEmpty(dev lorawan.EUI64, ver uint64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.devices[dev]
	return st != nil && st.emptyKnown && st.emptyAt == ver
}

// noteQueueEmpty records that dev's queue was read empty after reading
// version ver.
func (s *Scheduler) noteQueueEmpty(dev lorawan.EUI64, ver uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(dev)
	st.emptyAt, st.emptyKnown = ver, true
}

// sameUplink bounds the time between copies of one uplink that NoteUplink
// compares by quality rather than by age.
const sameUplink = time.Second

// NoteUplink remembers the gateway that heard a device last, for its Class
// C downlinks. Among copies of one uplink (received within a second of the
// remembered one) the best (SNR, then RSSI) is kept; a later uplink
// replaces it. A zero ReceivedAt means now. ScheduleClassA notes the best
// copy by itself.
func (s *Scheduler) NoteUplink(devEUI lorawan.EUI64, r Reception) {
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = s.opts.Now()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state(devEUI)
	if st.haveLast {
		d := r.ReceivedAt.Sub(st.last.ReceivedAt)
		switch {
		case d > -sameUplink && d < sameUplink:
			if !better(r, st.last, nil) {
				return // a worse copy of the same uplink
			}
		case d < 0:
			return // an older uplink
		}
	}
	st.last, st.haveLast = r, true
}

// lastGateway returns the reception remembered for dev.
func (s *Scheduler) lastGateway(dev lorawan.EUI64) (Reception, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.devices[dev]
	if st == nil || !st.haveLast {
		return Reception{}, false
	}
	return st.last, true
}

// Enqueue makes the Scheduler the route.DownlinkSink of the MQTT downlink
// API.
var _ route.DownlinkSink = (*Scheduler)(nil)

// ListDownlinks returns the device's queue in order; store.ErrNotFound
// (wrapped) for an unknown device.
func (s *Scheduler) ListDownlinks(ctx context.Context, devEUI lorawan.EUI64) ([]store.Downlink, error) {
	if _, err := s.db.GetDevice(ctx, devEUI); err != nil {
		return nil, fmt.Errorf("downlink: list: %w", err)
	}
	l, err := s.db.ListDownlinks(ctx, devEUI)
	if err != nil {
		return nil, fmt.Errorf("downlink: list: %w", err)
	}
	return l, nil
}

// DeleteDownlink removes one queued downlink; store.ErrNotFound (wrapped)
// when it is not queued. A transmission already handed to a gateway is not
// recalled.
func (s *Scheduler) DeleteDownlink(ctx context.Context, devEUI lorawan.EUI64, id uint64) error {
	if err := s.db.DeleteDownlink(ctx, devEUI, id); err != nil {
		return fmt.Errorf("downlink: delete: %w", err)
	}
	return nil
}

// ClearQueue removes every queued downlink of the device and returns how
// many there were; store.ErrNotFound (wrapped) for an unknown device.
func (s *Scheduler) ClearQueue(ctx context.Context, devEUI lorawan.EUI64) (int, error) {
	if _, err := s.db.GetDevice(ctx, devEUI); err != nil {
		return 0, fmt.Errorf("downlink: clear: %w", err)
	}
	n, err := s.db.ClearQueue(ctx, devEUI)
	if err != nil {
		return 0, fmt.Errorf("downlink: clear: %w", err)
	}
	return n, nil
}

// wirelessID is the WirelessDeviceId of a device in events: its name,
// or its DevEUI when it has none.
func wirelessID(d store.Device) string {
	if d.Name != "" {
		return d.Name
	}
	return d.DevEUI.String()
}

// publish sends ev in the background (the event topic may be slow; the
// caller is often a gateway's read loop), logging a failure.
func (s *Scheduler) publish(ev *route.DownlinkEvent) {
	s.log.Info("downlink event", "event", ev.Event, "dev_eui", ev.DevEui, "id", ev.MessageId,
		"fcnt", ev.FCnt, "attempts", ev.Attempts, "reason", ev.Reason)
	if s.opts.Events == nil {
		return
	}
	if ev.Timestamp.Time().IsZero() {
		ev.Timestamp = route.Timestamp(s.opts.Now())
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		defer cancel()
		if err := s.opts.Events.PublishEvent(ctx, ev); err != nil {
			s.log.Warn("downlink event not published", "event", ev.Event, "dev_eui", ev.DevEui, "err", err)
		}
	}()
}
