// Package dedup merges the copies of one uplink that several gateways
// forward: copies of the same frame bytes arriving within a window become
// one Frame carrying every gateway's reception metadata, so the rest of the
// pipeline checks, counts and routes each uplink once.
//
// Frames are keyed by a keyed 64-bit hash of their bytes (hash/maphash with a
// seed drawn per Deduplicator, so nobody can craft collisions); while a frame
// is in its window a copy must also match byte for byte. One timer serves
// every pending frame: since the window is the same for all of them, the
// frames wait in arrival order, which is also deadline order. After delivery
// a frame's hash is remembered for a while (Options.Linger) so that copies
// arriving late are dropped and counted rather than taken for a new frame.
// Frames are handed on one at a time, in the order their windows end, so a
// device's frames keep their order. Memory is bounded by Options.MaxFrames:
// when the table is full, the oldest remembered hash is forgotten or,
// failing that, the oldest pending frame is delivered before its window
// ends; when the receiver falls MaxFrames behind, Add waits.
package dedup

import (
	"bytes"
	"errors"
	"hash/maphash"
	"sync"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// Defaults of Options.
const (
	DefaultWindow    = 200 * time.Millisecond
	DefaultLinger    = time.Second
	DefaultMaxFrames = 1 << 16
)

// Reception is one gateway's copy of an uplink: which gateway heard it, how,
// and when.
type Reception struct {
	Gateway lorawan.EUI64
	// Rctx, XTime and GPSTime are Station's radio context, 64-bit radio
	// timestamp and GPS time (0 when unknown) of the reception.
	Rctx    int64
	XTime   station.XTime
	GPSTime station.GPSTime
	// RSSI (dBm) and SNR (dB) as the gateway measured them.
	RSSI, SNR float64
	// Freq (Hz) and DR (the region's index) of the uplink.
	Freq uint32
	DR   int
	// RxTime is the gateway's UTC reception time (zero when unknown).
	RxTime time.Time
	// ReceivedAt is when the cloud read the gateway's message.
	ReceivedAt time.Time
}

// Frame is one deduplicated uplink.
type Frame struct {
	// PHYPayload is the frame's bytes; the receiver owns them and may
	// change them (decrypt in place).
	PHYPayload []byte
	// Receptions lists every gateway's copy in arrival order, one per
	// gateway.
	Receptions []Reception
	// FirstSeen is the clock time the first copy arrived.
	FirstSeen time.Time
}

// Result says what Add did with a copy.
type Result uint8

// Results of Add.
const (
	// First: the first copy of a frame; it is delivered when its window ends.
	First Result = iota
	// Merged: another gateway's copy, added to the pending frame.
	Merged
	// Repeat: a gateway's second copy of a frame it sent already: dropped.
	Repeat
	// Late: a copy of a frame already delivered: dropped.
	Late
	// Closed: the Deduplicator is closed: dropped.
	Closed
)

// String names the result.
func (r Result) String() string {
	switch r {
	case First:
		return "first"
	case Merged:
		return "merged"
	case Repeat:
		return "repeat"
	case Late:
		return "late"
	case Closed:
		return "closed"
	}
	return "unknown"
}

// Clock is the time source: the wall clock in production, a fake in tests
// so that windows end exactly when a test says.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once d has elapsed, in its own goroutine or (a
	// fake clock) from whoever advances the time.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; false if it ran or was stopped already.
	Stop() bool
}

// WallClock is the Clock of time.Now and time.AfterFunc.
type WallClock struct{}

// Now returns time.Now().
func (WallClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (WallClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Options tunes a Deduplicator; zero values take the defaults.
type Options struct {
	// Window is how long copies of a frame are gathered after the first
	// arrives. Default 200 ms.
	Window time.Duration
	// Linger is how long a delivered frame's hash is kept to recognise
	// late copies. It must stay well below the two seconds after which a
	// device may send the same bytes again (a 1.0 retransmission).
	// Default 1 s.
	Linger time.Duration
	// MaxFrames bounds the frames held, pending and remembered. Default
	// 65536.
	MaxFrames int
	// Clock is the time source. Default WallClock.
	Clock Clock
}

// Stats counts what the Deduplicator did since it was made.
type Stats struct {
	Frames     uint64 // frames delivered
	Merged     uint64 // copies from further gateways merged into a frame
	Repeats    uint64 // copies from a gateway that sent the frame already: dropped
	Late       uint64 // copies of a frame already delivered: dropped
	Early      uint64 // frames delivered before their window ended, the table being full
	Collisions uint64 // distinct frames with the same hash in their window (delivered apart)
	Pending    int    // frames in their window now
	Held       int    // frames held now, pending and remembered
}

// Deduplicator gathers copies of frames; it is safe for concurrent use.
type Deduplicator struct {
	deliver func(Frame)
	opts    Options
	seed    maphash.Seed

	mu         sync.Mutex
	idle       sync.Cond // on mu: signalled as ready drains
	table      map[uint64]*entry
	pending    queue   // in their window, oldest first
	linger     queue   // delivered, remembered, oldest first
	ready      []Frame // windows ended, to hand to deliver in this order
	delivering bool    // a goroutine is draining ready
	timer      Timer
	armedAt    time.Time // zero when no timer is set
	closed     bool
	st         Stats
}

// entry is one frame held by the Deduplicator.
type entry struct {
	key       uint64
	deadline  time.Time
	delivered bool
	next      *entry
	frame     Frame
	inline    [4]Reception // storage for the usual few receptions
}

// queue is a FIFO of entries linked through next.
type queue struct {
	head, tail *entry
	n          int
}

func (q *queue) push(e *entry) {
	e.next = nil
	if q.tail == nil {
		q.head = e
	} else {
		q.tail.next = e
	}
	q.tail = e
	q.n++
}

func (q *queue) pop() *entry {
	e := q.head
	if e != nil {
		q.head = e.next
		if q.head == nil {
			q.tail = nil
		}
		e.next = nil
		q.n--
	}
	return e
}

// New returns a Deduplicator that hands every frame to deliver once its
// window ends, in the order the windows end, from one goroutine at a time
// (the timer's, or Add's caller when the table is full), never with the
// Deduplicator's lock held. While deliver blocks, frames whose window
// ends wait; once MaxFrames of them wait, Add waits too, which is how a
// slow receiver slows the gateways down rather than lose frames.
func New(deliver func(Frame), opts Options) (*Deduplicator, error) {
	if deliver == nil {
		return nil, errors.New("dedup: nil deliver function")
	}
	if opts.Window < 0 || opts.Linger < 0 || opts.MaxFrames < 0 {
		return nil, errors.New("dedup: negative option")
	}
	if opts.Window == 0 {
		opts.Window = DefaultWindow
	}
	if opts.Linger == 0 {
		opts.Linger = DefaultLinger
	}
	if opts.MaxFrames == 0 {
		opts.MaxFrames = DefaultMaxFrames
	}
	if opts.Clock == nil {
		opts.Clock = WallClock{}
	}
	d := &Deduplicator{
		deliver: deliver,
		opts:    opts,
		seed:    maphash.MakeSeed(),
		table:   make(map[uint64]*entry),
	}
	d.idle.L = &d.mu
	return d, nil
}

// Window returns the gathering window in use.
func (d *Deduplicator) Window() time.Duration { return d.opts.Window }

// Add offers one gateway's copy of a frame. The Deduplicator takes phy
// over: the caller must not change it afterwards.
func (d *Deduplicator) Add(phy []byte, r Reception) Result {
	key := maphash.Bytes(d.seed, phy)
	d.mu.Lock()
	defer d.mu.Unlock()
	for len(d.ready) >= d.opts.MaxFrames && !d.closed {
		d.idle.Wait()
	}
	if d.closed {
		return Closed
	}
	if e := d.table[key]; e != nil {
		switch {
		case e.delivered:
			d.st.Late++
			return Late
		case bytes.Equal(e.frame.PHYPayload, phy):
			return d.merge(e, r)
		}
		// Two distinct frames with one hash, both in their window: too
		// rare to chain; the newcomer goes out alone, at once.
		d.st.Collisions++
		d.st.Frames++
		d.ready = append(d.ready, Frame{PHYPayload: phy, Receptions: []Reception{r}, FirstSeen: d.opts.Clock.Now()})
		d.drainLocked()
		return First
	}
	now := d.opts.Clock.Now()
	for len(d.table) >= d.opts.MaxFrames {
		if old := d.linger.pop(); old != nil {
			delete(d.table, old.key)
			continue
		}
		d.markDelivered(d.pending.pop(), now)
		d.st.Early++
	}
	e := &entry{key: key, deadline: now.Add(d.opts.Window)}
	e.frame = Frame{PHYPayload: phy, Receptions: append(e.inline[:0], r), FirstSeen: now}
	d.table[key] = e
	d.pending.push(e)
	d.armLocked(now)
	d.drainLocked()
	return First
}

// merge adds r to a pending frame unless its gateway sent one already.
func (d *Deduplicator) merge(e *entry, r Reception) Result {
	for i := range e.frame.Receptions {
		if e.frame.Receptions[i].Gateway == r.Gateway {
			d.st.Repeats++
			return Repeat
		}
	}
	e.frame.Receptions = append(e.frame.Receptions, r)
	d.st.Merged++
	return Merged
}

// markDelivered moves a popped pending entry to the remembered queue and
// its frame to the ready list. The frame's bytes are no longer compared
// (they belong to the receiver now).
func (d *Deduplicator) markDelivered(e *entry, now time.Time) {
	e.delivered = true
	e.deadline = now.Add(d.opts.Linger)
	d.linger.push(e)
	d.ready = append(d.ready, e.frame)
	d.st.Frames++
}

// drainLocked hands the ready frames to deliver, in order, unless another
// goroutine is doing so already (it will take these too). d.mu is held on
// entry and on return, released around each delivery.
func (d *Deduplicator) drainLocked() {
	if d.delivering {
		return
	}
	d.delivering = true
	for len(d.ready) > 0 {
		f := d.ready[0]
		d.ready[0] = Frame{}
		d.ready = d.ready[1:]
		d.mu.Unlock()
		d.deliver(f)
		d.mu.Lock()
		d.idle.Broadcast()
	}
	d.ready = nil
	d.delivering = false
	d.idle.Broadcast()
}

// armLocked sets the timer for the earliest deadline, unless one is set
// already for that instant or earlier.
func (d *Deduplicator) armLocked(now time.Time) {
	next := d.nextDeadline()
	if next.IsZero() || d.closed {
		return
	}
	if !d.armedAt.IsZero() && !d.armedAt.After(next) {
		return
	}
	if d.timer != nil {
		d.timer.Stop()
	}
	d.armedAt = next
	d.timer = d.opts.Clock.AfterFunc(next.Sub(now), d.fire)
}

func (d *Deduplicator) nextDeadline() time.Time {
	var next time.Time
	if d.pending.head != nil {
		next = d.pending.head.deadline
	}
	if d.linger.head != nil && (next.IsZero() || d.linger.head.deadline.Before(next)) {
		next = d.linger.head.deadline
	}
	return next
}

// fire delivers the frames whose window ended and forgets the remembered
// hashes whose time is up, then sets the timer for what remains.
func (d *Deduplicator) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.armedAt, d.timer = time.Time{}, nil
	if d.closed {
		return
	}
	now := d.opts.Clock.Now()
	for e := d.pending.head; e != nil && !e.deadline.After(now); e = d.pending.head {
		d.markDelivered(d.pending.pop(), now)
	}
	for e := d.linger.head; e != nil && !e.deadline.After(now); e = d.linger.head {
		d.linger.pop()
		delete(d.table, e.key)
	}
	d.armLocked(now)
	d.drainLocked()
}

// Close delivers every frame still in its window, at once, waits until
// every frame has been handed to deliver, and drops whatever is offered
// afterwards.
func (d *Deduplicator) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
		d.timer, d.armedAt = nil, time.Time{}
	}
	now := d.opts.Clock.Now()
	for e := d.pending.pop(); e != nil; e = d.pending.pop() {
		d.markDelivered(e, now)
	}
	for d.delivering || len(d.ready) > 0 {
		if d.delivering {
			d.idle.Wait()
			continue
		}
		d.drainLocked()
	}
	d.linger = queue{}
	clear(d.table)
}

// Stats returns the counters.
func (d *Deduplicator) Stats() Stats {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := d.st
	st.Held = len(d.table)
	st.Pending = d.pending.n
	return st
}
