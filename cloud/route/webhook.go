package route

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// errWebhookRefused marks a webhook answer that retrying will not change
// (a 4xx other than 408, 425 and 429, or a redirect).
var errWebhookRefused = errors.New("refused")

// publishHTTP posts msg to the webhook, or queues it when the webhook fails
// (or already has messages waiting, to keep their order). It counts.
func (r *Router) publishHTTP(ctx context.Context, d *destination, c *counters, msg Message) error {
	defer r.attempted()
	body, err := json.Marshal(msg)
	if err != nil {
		c.failed.Add(1)
		return fmt.Errorf("route: destination %s: encode: %w", d.name, err)
	}
	q := r.opts.Queue
	if q != nil && q.pending(d.name) > 0 {
		return r.enqueue(ctx, d, c, body)
	}
	err = r.post(ctx, d, body)
	switch {
	case err == nil:
		c.published.Add(1)
		return nil
	case q == nil || errors.Is(err, errWebhookRefused):
		c.failed.Add(1)
		return fmt.Errorf("route: destination %s: %w", d.name, err)
	}
	r.log.Warn("route: webhook failed; message queued for retry", "destination", d.name, "err", err)
	// Queued even when the caller's ctx ended during the attempt: the
	// message was handed over, and the queue write is short.
	return r.enqueue(context.WithoutCancel(ctx), d, c, body)
}

// attempted signals the test hook, if any.
func (r *Router) attempted() {
	if r.attempts != nil {
		select {
		case r.attempts <- struct{}{}:
		default:
		}
	}
}

// enqueue stores body in the retry queue and wakes dest's worker.
func (r *Router) enqueue(ctx context.Context, d *destination, c *counters, body []byte) error {
	dropped, err := r.opts.Queue.push(ctx, d.name, body)
	for _, name := range dropped {
		r.countersFor(name).dropped.Add(1)
	}
	if len(dropped) > 0 {
		r.log.Warn("route: webhook retry queue full; oldest messages dropped", "dropped", len(dropped))
	}
	if err != nil {
		c.failed.Add(1)
		return err
	}
	c.queued.Add(1)
	r.wake(d.name)
	return nil
}

// post makes one POST of body to d's webhook, bounded by HTTPTimeout. The
// error never includes the URL, which may hold a token.
func (r *Router) post(ctx context.Context, d *destination, body []byte) error {
	ctx, cancel := context.WithTimeout(ctx, r.opts.HTTPTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook request: %w", errWebhookRefused)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "loraedge")
	if d.header != "" {
		req.Header.Set(d.header, d.secret)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook post: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusRequestTimeout || s == http.StatusTooEarly || s == http.StatusTooManyRequests || s >= 500:
		return fmt.Errorf("webhook answered %d", s)
	default:
		return fmt.Errorf("webhook answered %d: %w", s, errWebhookRefused)
	}
}

// startWorkersLocked starts a delivery worker for every HTTP destination
// that has none. r.mu is held.
func (r *Router) startWorkersLocked() {
	if r.opts.Queue == nil {
		return
	}
	for name, d := range r.dests {
		if d.kind != "http" {
			continue
		}
		if wake, ok := r.workers[name]; ok {
			select { // let it see a changed configuration
			case wake <- struct{}{}:
			default:
			}
			continue
		}
		wake := make(chan struct{}, 1)
		wake <- struct{}{} // look at the queue at once: a restart resumes delivery
		r.workers[name] = wake
		r.wg.Add(1)
		go r.deliverQueued(name, wake)
	}
}

// wake tells dest's worker a message was queued.
func (r *Router) wake(dest string) {
	r.mu.RLock()
	wake := r.workers[dest]
	r.mu.RUnlock()
	if wake == nil {
		return
	}
	select {
	case wake <- struct{}{}:
	default:
	}
}

// deliverQueued posts dest's queued messages in order, retrying with
// exponential backoff while the webhook fails. It ends with the router or
// when dest is no longer an HTTP destination.
func (r *Router) deliverQueued(name string, wake chan struct{}) {
	defer r.wg.Done()
	q, c := r.opts.Queue, r.countersFor(name)
	backoff := r.opts.RetryMin
	for {
		r.mu.Lock()
		d := r.dests[name]
		if d == nil || d.kind != "http" {
			delete(r.workers, name) // under the same lock as the check: Update starts a new one
			r.mu.Unlock()
			return
		}
		r.mu.Unlock()
		seq, body, ok, err := q.peek(name)
		if err != nil {
			r.log.Error("route: webhook retry queue unreadable", "destination", name, "err", err)
		}
		if !ok || err != nil {
			select {
			case <-r.ctx.Done():
				return
			case <-wake:
				continue
			}
		}
		err = r.post(r.ctx, d, body)
		if r.ctx.Err() != nil {
			return // closing: the message stays queued
		}
		if err == nil || errors.Is(err, errWebhookRefused) {
			if rerr := q.remove(name, seq); rerr != nil {
				r.log.Error("route: webhook retry queue", "destination", name, "err", rerr)
			}
			if err == nil {
				c.published.Add(1)
			} else {
				c.failed.Add(1)
				r.log.Warn("route: webhook refused a queued message; dropped", "destination", name, "err", err)
			}
			r.attempted()
			backoff = r.opts.RetryMin
			continue
		}
		c.retries.Add(1)
		r.attempted()
		r.log.Debug("route: webhook retry failed", "destination", name, "err", err, "next_in", backoff)
		t := time.NewTimer(backoff)
		select {
		case <-r.ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		backoff = min(2*backoff, r.opts.RetryMax)
	}
}
