package agent

import "time"

// Clock is the agent's time source: radio time sync, timesync volleys,
// RefTime, rxtime and getxtime read it. Tests pass a virtual clock (an
// adapter around hal/sim's VirtualClock) so that the agent and the
// simulated radio share one time; network waits (reconnect backoff, dial
// and write timeouts) always use real time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc call.
type Timer interface {
	// Stop cancels the call; it reports false if the call already ran or
	// was stopped.
	Stop() bool
}

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
