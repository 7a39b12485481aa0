// Package deduptest holds a manual clock for tests of the deduplicator and
// of the pipeline built on it: time moves only when a test says, so a
// window ends exactly when the test decides.
package deduptest

import (
	"sort"
	"sync"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup"
)

// Clock is a dedup.Clock that moves only on Advance. Timers due run on the
// goroutine that calls Advance, in the order of their instants.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	seq    int
	timers []*timer
	set    chan struct{} // receives a value whenever a timer is set
}

var _ dedup.Clock = (*Clock)(nil)

type timer struct {
	c    *Clock
	when time.Time
	seq  int
	f    func()
	done bool
}

// NewClock returns a clock standing at start.
func NewClock(start time.Time) *Clock {
	return &Clock{now: start, set: make(chan struct{}, 1)}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc sets a timer d from now.
func (c *Clock) AfterFunc(d time.Duration, f func()) dedup.Timer {
	c.mu.Lock()
	c.seq++
	t := &timer{c: c, when: c.now.Add(d), seq: c.seq, f: f}
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	select {
	case c.set <- struct{}{}:
	default:
	}
	return t
}

// TimerSet returns a channel that receives a value after a timer is set,
// for tests that must wait until a frame is pending.
func (c *Clock) TimerSet() <-chan struct{} { return c.set }

// Pending returns the number of timers not yet run or stopped.
func (c *Clock) Pending() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, t := range c.timers {
		if !t.done {
			n++
		}
	}
	return n
}

// Stop cancels the timer.
func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.done
	t.done = true
	return was
}

// Advance moves the clock by d, running each timer that falls due with the
// clock set to its instant.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.SliceStable(c.timers, func(i, j int) bool {
			if c.timers[i].when.Equal(c.timers[j].when) {
				return c.timers[i].seq < c.timers[j].seq
			}
			return c.timers[i].when.Before(c.timers[j].when)
		})
		var next *timer
		live := c.timers[:0]
		for _, t := range c.timers {
			if !t.done {
				live = append(live, t)
			}
		}
		c.timers = live
		if len(live) > 0 && !live[0].when.After(end) {
			next = live[0]
			next.done = true
			if next.when.After(c.now) {
				c.now = next.when
			}
		} else {
			c.now = end
		}
		c.mu.Unlock()
		if next == nil {
			return
		}
		next.f()
	}
}
