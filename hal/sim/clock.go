package sim

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the time source of an Air and everything attached to it. The
// simulation only reads the time and sets timers through it, so a virtual
// clock makes tests instant and deterministic while a real one drives demos.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f in its own goroutine (real clock) or from Advance
	// (virtual clock) once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports false if the call already ran or
	// was stopped.
	Stop() bool
}

// RealClock is the wall clock, for demos and load tests.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// AfterFunc is time.AfterFunc.
func (RealClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// VirtualClock is a clock that moves only when told to: Advance runs, in
// time order, every timer that falls due, setting Now to each timer's
// instant before calling it, so callbacks observe exact times. Timers due at
// the same instant run in the order they were set. Callbacks run on the
// goroutine that called Advance and may set further timers, which run in the
// same Advance if they fall due within it.
type VirtualClock struct {
	mu     sync.Mutex
	now    time.Time
	seq    uint64
	timers timerHeap
	setCh  chan struct{} // closed and replaced whenever a timer is set
}

// NewVirtualClock returns a clock standing at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start, setCh: make(chan struct{})}
}

// Now returns the clock's current time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc sets a timer to call f once the clock has advanced by d (at
// once, at the next Advance, if d <= 0).
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &virtualTimer{clock: c, when: c.now.Add(d), seq: c.seq, f: f, index: -1}
	heap.Push(&c.timers, t)
	close(c.setCh)
	c.setCh = make(chan struct{})
	return t
}

// Advance moves the clock forward by d, running every timer that falls due
// on the way. It returns the number of timers run.
func (c *VirtualClock) Advance(d time.Duration) int {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	return c.AdvanceTo(end)
}

// AdvanceTo moves the clock to t (if t is ahead), running every timer due
// until then, and returns the number of timers run.
func (c *VirtualClock) AdvanceTo(t time.Time) int {
	n := 0
	for {
		c.mu.Lock()
		if len(c.timers) == 0 || c.timers[0].when.After(t) {
			if t.After(c.now) {
				c.now = t
			}
			c.mu.Unlock()
			return n
		}
		tm := heap.Pop(&c.timers).(*virtualTimer)
		if tm.when.After(c.now) {
			c.now = tm.when
		}
		f := tm.f
		c.mu.Unlock()
		f()
		n++
	}
}

// Next returns the instant of the earliest pending timer; ok is false when
// none is pending.
func (c *VirtualClock) Next() (when time.Time, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.timers) == 0 {
		return time.Time{}, false
	}
	return c.timers[0].when, true
}

// Pending returns the number of timers set and not yet run or stopped.
func (c *VirtualClock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.timers)
}

// TimerSet returns a channel that is closed the next time a timer is set.
// A test whose code under test runs on another goroutine (an agent reading
// Receive, say) waits on it instead of sleeping before it advances the
// clock.
func (c *VirtualClock) TimerSet() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.setCh
}

// virtualTimer is one pending call of a VirtualClock.
type virtualTimer struct {
	clock *VirtualClock
	when  time.Time
	seq   uint64
	f     func()
	index int // in the heap, -1 when not in it
}

// Stop removes the timer if it is still pending.
func (t *virtualTimer) Stop() bool {
	c := t.clock
	c.mu.Lock()
	defer c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&c.timers, t.index)
	return true
}

// timerHeap orders timers by instant, then by the order they were set.
type timerHeap []*virtualTimer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if !h[i].when.Equal(h[j].when) {
		return h[i].when.Before(h[j].when)
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	t := old[n-1]
	old[n-1] = nil
	t.index = -1
	*h = old[:n-1]
	return t
}
