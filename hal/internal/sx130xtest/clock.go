package sx130xtest

import (
	"sync"
	"time"
)

// Clock is a manual clock: time passes only through Advance. It drives a
// modelled chip's counter and its time-driven state (calibration, TX
// state machine).
type Clock struct {
	mu sync.Mutex
	t  time.Duration
}

// Elapsed returns the time advanced so far.
func (c *Clock) Elapsed() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d (negative d is ignored).
func (c *Clock) Advance(d time.Duration) {
	if d <= 0 {
		return
	}
	c.mu.Lock()
	c.t += d
	c.mu.Unlock()
}
