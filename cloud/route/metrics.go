package route

import "sync/atomic"

// Counters count one destination's messages since the router was created.
type Counters struct {
	// Published counts messages delivered: taken by the broker (QoS 0
	// written, QoS 1/2 acknowledged) or answered 2xx by the webhook,
	// queued messages included once delivered.
	Published uint64
	// Failed counts messages lost to an error: Publish returned one, or the
	// webhook refused a queued message for good (4xx).
	Failed uint64
	// Queued counts webhook messages taken into the retry queue.
	Queued uint64
	// Dropped counts queued messages pushed out of the full retry queue.
	Dropped uint64
	// Retries counts failed webhook attempts of queued messages.
	Retries uint64
}

// Metrics is a snapshot of the router's counters.
type Metrics struct {
	// Total sums the destinations' counters; its Failed also counts
	// Publish calls naming an unknown destination.
	Total Counters
	// Destinations holds each destination's counters by name.
	Destinations map[string]Counters
	// QueueLen is the number of webhook messages waiting in the retry queue.
	QueueLen int
	// EventsPublished and EventsFailed count downlink events.
	EventsPublished, EventsFailed uint64
	// DownlinksAccepted and DownlinksRefused count MQTT downlink requests.
	DownlinksAccepted, DownlinksRefused uint64
}

type counters struct {
	published, failed, queued, dropped, retries atomic.Uint64
}

func (c *counters) snapshot() Counters {
	return Counters{
		Published: c.published.Load(),
		Failed:    c.failed.Load(),
		Queued:    c.queued.Load(),
		Dropped:   c.dropped.Load(),
		Retries:   c.retries.Load(),
	}
}

// countersFor returns the counters of a destination, creating them.
func (r *Router) countersFor(name string) *counters {
	r.mu.RLock()
	c := r.counters[name]
	r.mu.RUnlock()
	if c != nil {
		return c
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if c = r.counters[name]; c == nil {
		c = new(counters)
		r.counters[name] = c
	}
	return c
}

// Metrics returns the current counters.
func (r *Router) Metrics() Metrics {
	m := Metrics{
		Destinations:      make(map[string]Counters),
		EventsPublished:   r.evOK.Load(),
		EventsFailed:      r.evFailed.Load(),
		DownlinksAccepted: r.dlAccepted.Load(),
		DownlinksRefused:  r.dlRefused.Load(),
	}
	m.Total.Failed = r.unknown.Load()
	r.mu.RLock()
	for name, c := range r.counters {
		s := c.snapshot()
		m.Destinations[name] = s
		m.Total.Published += s.Published
		m.Total.Failed += s.Failed
		m.Total.Queued += s.Queued
		m.Total.Dropped += s.Dropped
		m.Total.Retries += s.Retries
	}
	r.mu.RUnlock()
	if r.opts.Queue != nil {
		m.QueueLen = r.opts.Queue.Len()
	}
	return m
}
