package route

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loraedge/loraedge/store"
)

// hook is a webhook on 127.0.0.1 that answers with the statuses given in
// turn (then 200) and records every request.
type hook struct {
	srv *httptest.Server

	mu       sync.Mutex
	statuses []int
	reqs     chan hookReq
}

type hookReq struct {
	status int
	body   []byte
	header http.Header
}

func newHook(t testing.TB, statuses ...int) *hook {
	h := &hook{statuses: statuses, reqs: make(chan hookReq, 100)}
	h.srv = httptest.NewServer(http.HandlerFunc(h.serve))
	t.Cleanup(h.srv.Close)
	return h
}

// newHookOn starts the webhook on a given address (to bring a server "back").
func newHookOn(t testing.TB, addr string) *hook {
	h := &hook{reqs: make(chan hookReq, 100)}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen %s: %v", addr, err)
	}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.Listener = l
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	status := http.StatusOK
	if len(h.statuses) > 0 {
		status, h.statuses = h.statuses[0], h.statuses[1:]
	}
	h.mu.Unlock()
	if r.Method != http.MethodPost {
		status = http.StatusMethodNotAllowed
	}
	w.WriteHeader(status)
	h.reqs <- hookReq{status: status, body: body, header: r.Header.Clone()}
}

func (h *hook) next(t testing.TB) hookReq {
	t.Helper()
	select {
	case r := <-h.reqs:
		return r
	case <-time.After(waitFor):
		t.Fatal("webhook: no request")
		return hookReq{}
	}
}

func httpDest(name, url string) store.Destination {
	return store.Destination{Name: name, Kind: store.KindHTTP, HTTPURL: url}
}

// deadAddr returns a 127.0.0.1 address nothing listens on (just closed).
func deadAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func uplinkFCnt(t testing.TB, fcnt uint32) *Uplink {
	up := awsExampleUplink(t)
	up.WirelessMetadata.LoRaWAN.FCnt = fcnt
	return up
}

func fcntOf(t testing.TB, body []byte) uint32 {
	t.Helper()
	var u Uplink
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatalf("webhook body %s: %v", body, err)
	}
	return u.WirelessMetadata.LoRaWAN.FCnt
}

// waitMetrics waits until cond holds for the router's metrics, checking
// after each webhook attempt the router has counted.
func waitMetrics(t testing.TB, r *Router, cond func(Metrics) bool) Metrics {
	t.Helper()
	timeout := time.After(waitFor)
	for {
		m := r.Metrics()
		if cond(m) {
			return m
		}
		select {
		case <-r.attempts:
		case <-timeout:
			t.Fatalf("metrics never reached the expected state: %+v", m)
		}
	}
}

func TestWebhookDelivers(t *testing.T) {
	t.Parallel()
	h := newHook(t)
	d := httpDest("hook", h.srv.URL+"/up?src=loraedge")
	d.HTTPHeader, d.HTTPSecret = "Authorization", store.Secret("Bearer s3cret")
	r := startRouter(t, []store.Destination{d}, Options{})
	if err := r.Publish(ctxFor(t), "hook", awsExampleUplink(t)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	req := h.next(t)
	if want := golden(t, "uplink-aws-example.json"); !bytes.Equal(req.body, want) {
		t.Errorf("body\n got %s\nwant %s", req.body, want)
	}
	if got := req.header.Get("Authorization"); got != "Bearer s3cret" {
		t.Errorf("Authorization = %q, want the secret", got)
	}
	if got := req.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", got)
	}
	if got, want := r.Metrics().Destinations["hook"], (Counters{Published: 1}); got != want {
		t.Errorf("Metrics = %+v, want %+v", got, want)
	}
}

// TestWebhookRetriesOn500: the webhook fails twice; the message is queued
// and retried until it is taken, the same body each time.
func TestWebhookRetriesOn500(t *testing.T) {
	t.Parallel()
	h := newHook(t, 500, 503)
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 10)
	r := startRouter(t, []store.Destination{httpDest("hook", h.srv.URL)}, Options{Queue: q, RetryMin: 5 * time.Millisecond, RetryMax: 20 * time.Millisecond})
	if err := r.Publish(ctxFor(t), "hook", uplinkFCnt(t, 7)); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	var bodies [][]byte
	for _, want := range []int{500, 503, 200} {
		req := h.next(t)
		if req.status != want {
			t.Errorf("attempt answered %d, want %d", req.status, want)
		}
		bodies = append(bodies, req.body)
	}
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) || fcntOf(t, b) != 7 {
			t.Errorf("attempt %d body %s, want the same message (FCnt 7)", i, b)
		}
	}
	m := waitMetrics(t, r, func(m Metrics) bool { return m.Total.Published == 1 })
	if got, want := m.Destinations["hook"], (Counters{Published: 1, Queued: 1, Retries: 1}); got != want {
		t.Errorf("Metrics = %+v, want %+v", got, want)
	}
	if m.QueueLen != 0 {
		t.Errorf("QueueLen = %d, want 0", m.QueueLen)
	}
}

func TestWebhookRefused(t *testing.T) {
	t.Parallel()
	h := newHook(t, 400)
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 10)
	r := startRouter(t, []store.Destination{httpDest("hook", h.srv.URL+"/tok3n")}, Options{Queue: q})
	err := r.Publish(ctxFor(t), "hook", awsExampleUplink(t))
	if err == nil || !strings.Contains(err.Error(), "400") {
		t.Fatalf("Publish = %v, want a 400 error", err)
	}
	if strings.Contains(err.Error(), "tok3n") || strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("error %q repeats the webhook url", err)
	}
	if got, want := r.Metrics().Destinations["hook"], (Counters{Failed: 1}); got != want || q.Len() != 0 {
		t.Errorf("Metrics = %+v, queue %d; want %+v and an empty queue", got, q.Len(), want)
	}
}

func TestWebhookWithoutQueue(t *testing.T) {
	t.Parallel()
	r := startRouter(t, []store.Destination{httpDest("hook", "http://"+deadAddr(t)+"/x")}, Options{})
	if err := r.Publish(ctxFor(t), "hook", awsExampleUplink(t)); err == nil {
		t.Fatal("Publish to a dead webhook without a queue: nil error")
	}
	if got := r.Metrics().Destinations["hook"].Failed; got != 1 {
		t.Errorf("Failed = %d, want 1", got)
	}
}

// TestWebhookQueueSurvivesRestart: while the webhook is down, messages go
// to the queue; the router and queue close and reopen; once the webhook is
// back, the new router delivers them in order.
func TestWebhookQueueSurvivesRestart(t *testing.T) {
	t.Parallel()
	addr := deadAddr(t)
	path := filepath.Join(t.TempDir(), "q.db")
	dests := []store.Destination{httpDest("hook", "http://"+addr+"/up")}

	q, err := OpenQueue(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	r, err := New(dests, Options{Queue: q, Logger: quietLogger(), RetryMin: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctxFor(t)); err != nil {
		t.Fatal(err)
	}
	for fcnt := uint32(1); fcnt <= 3; fcnt++ {
		if err := r.Publish(ctxFor(t), "hook", uplinkFCnt(t, fcnt)); err != nil {
			t.Fatalf("Publish %d while the webhook is down: %v", fcnt, err)
		}
	}
	if got, want := r.Metrics().Destinations["hook"], (Counters{Queued: 3, Retries: 0}); got.Queued != want.Queued || got.Published != 0 {
		t.Errorf("Metrics while down = %+v, want 3 queued, none published", got)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	checkAndClose(t, q)

	h := newHookOn(t, addr) // the webhook comes back
	q2 := openQueue(t, path, 10)
	if q2.Len() != 3 {
		t.Fatalf("reopened queue Len() = %d, want 3", q2.Len())
	}
	r2 := startRouter(t, dests, Options{Queue: q2})
	for want := uint32(1); want <= 3; want++ {
		if got := fcntOf(t, h.next(t).body); got != want {
			t.Errorf("delivered FCnt %d, want %d", got, want)
		}
	}
	waitMetrics(t, r2, func(m Metrics) bool { return m.Total.Published == 3 && m.QueueLen == 0 })
}

// TestWebhookBoundedQueue: with room for 3, five messages during an outage
// keep the newest three; the two dropped are counted; the rest arrive in
// order once the webhook answers.
func TestWebhookBoundedQueue(t *testing.T) {
	t.Parallel()
	// The webhook fails the first attempt (FCnt 1) and the first retry,
	// then takes everything.
	h := newHook(t, 503, 503)
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 3)
	gate := make(chan struct{}, 1)
	client := &http.Client{Transport: gatedTransport{gate: gate, next: http.DefaultTransport}}
	r := startRouter(t, []store.Destination{httpDest("hook", h.srv.URL)}, Options{
		Queue: q, HTTPClient: client, RetryMin: 5 * time.Millisecond, RetryMax: 5 * time.Millisecond,
	})
	// The first POST passes the gate and fails: FCnt 1 is queued. The
	// worker's first retry waits at the gate while FCnt 2..5 are queued
	// behind (the queue is not empty, so they do not try the webhook).
	gate <- struct{}{}
	if err := r.Publish(ctxFor(t), "hook", uplinkFCnt(t, 1)); err != nil {
		t.Fatal(err)
	}
	h.next(t)
	for fcnt := uint32(2); fcnt <= 5; fcnt++ {
		if err := r.Publish(ctxFor(t), "hook", uplinkFCnt(t, fcnt)); err != nil {
			t.Fatal(err)
		}
	}
	m := r.Metrics()
	if got := m.Destinations["hook"]; got.Queued != 5 || got.Dropped != 2 || m.QueueLen != 3 || q.Dropped() != 2 {
		t.Errorf("Metrics = %+v (queue dropped %d), want 5 queued, 2 dropped, 3 waiting", m, q.Dropped())
	}
	close(gate)
	// The worker may have peeked FCnt 1 before it was dropped: that copy,
	// if any, fails (503); then 3, 4, 5 in order.
	var got []uint32
	for len(got) < 3 {
		req := h.next(t)
		if req.status == http.StatusOK {
			got = append(got, fcntOf(t, req.body))
		}
	}
	if want := []uint32{3, 4, 5}; !slices.Equal(got, want) {
		t.Errorf("delivered %v, want %v", got, want)
	}
	waitMetrics(t, r, func(m Metrics) bool { return m.Total.Published == 3 && m.QueueLen == 0 })
}

// gatedTransport lets one request through per value received on gate, all
// of them once gate is closed.
type gatedTransport struct {
	gate chan struct{}
	next http.RoundTripper
}

func (g gatedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	select {
	case <-g.gate:
	case <-req.Context().Done():
		return nil, req.Context().Err()
	}
	return g.next.RoundTrip(req)
}

// TestWebhookQueuedRefusedIsDropped: a queued message the webhook later
// refuses for good (4xx) is removed and counted as failed, and the next
// one is delivered.
func TestWebhookQueuedRefusedIsDropped(t *testing.T) {
	t.Parallel()
	h := newHook(t, 500, 422)
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 10)
	// The gate holds the worker's retry of FCnt 1 until FCnt 2 is queued
	// behind it; otherwise FCnt 2 could find the queue empty and go
	// straight to the webhook.
	gate := make(chan struct{}, 1)
	client := &http.Client{Transport: gatedTransport{gate: gate, next: http.DefaultTransport}}
	r := startRouter(t, []store.Destination{httpDest("hook", h.srv.URL)}, Options{
		Queue: q, HTTPClient: client, RetryMin: 5 * time.Millisecond,
	})
	gate <- struct{}{}
	if err := r.Publish(ctxFor(t), "hook", uplinkFCnt(t, 1)); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(ctxFor(t), "hook", uplinkFCnt(t, 2)); err != nil {
		t.Fatal(err)
	}
	close(gate)
	var statuses []int
	for len(statuses) < 3 {
		req := h.next(t)
		statuses = append(statuses, req.status)
		if req.status == http.StatusOK && fcntOf(t, req.body) != 2 {
			t.Errorf("delivered FCnt %d, want 2", fcntOf(t, req.body))
		}
	}
	if want := []int{500, 422, 200}; !slices.Equal(statuses, want) {
		t.Errorf("answers %v, want %v", statuses, want)
	}
	m := waitMetrics(t, r, func(m Metrics) bool { return m.Total.Published == 1 })
	if got, want := m.Destinations["hook"], (Counters{Published: 1, Failed: 1, Queued: 2}); got != want {
		t.Errorf("Metrics = %+v, want %+v", got, want)
	}
}

// TestWebhookCallerGivesUp: when the caller's context ends during a slow
// webhook attempt, the message is queued anyway and delivered later.
func TestWebhookCallerGivesUp(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var calls atomic.Int32
	bodies := make(chan []byte, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if calls.Add(1) == 1 {
			select { // the first request hangs until the client gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		bodies <- b
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 10)
	r := startRouter(t, []store.Destination{httpDest("hook", srv.URL)}, Options{Queue: q, RetryMin: 5 * time.Millisecond})

	ctx, cancel := ctxWithTimeout(50 * time.Millisecond)
	defer cancel()
	if err := r.Publish(ctx, "hook", uplinkFCnt(t, 11)); err != nil {
		t.Fatalf("Publish = %v, want nil (queued)", err)
	}
	select {
	case b := <-bodies:
		if fcntOf(t, b) != 11 {
			t.Errorf("delivered FCnt %d, want 11", fcntOf(t, b))
		}
	case <-time.After(waitFor):
		t.Fatal("queued message not delivered")
	}
	m := waitMetrics(t, r, func(m Metrics) bool { return m.Total.Published == 1 })
	if got := m.Destinations["hook"]; got.Queued != 1 || got.Failed != 0 {
		t.Errorf("Metrics = %+v, want 1 queued, 0 failed", got)
	}
}
