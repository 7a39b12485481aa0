// Package api is the cloud's HTTP API for applications and operators: the
// downlink API of AWS's SendDataToWirelessDevice over HTTP (enqueue, list
// and delete a device's downlink queue) and a health check for container
// runtimes. Requests carry a bearer token, compared in constant time; the
// token is never logged nor echoed.
//
//	POST   /api/v1/devices/{devEui}/downlinks       {"FPort":2,"PayloadData":"AQID","Confirmed":true} → 202 {"id":"7"}
//	GET    /api/v1/devices/{devEui}/downlinks       → 200 {"downlinks":[{"id":"7","FPort":2,…}]}
//	DELETE /api/v1/devices/{devEui}/downlinks       → 200 {"deleted":3}
//	DELETE /api/v1/devices/{devEui}/downlinks/{id}  → 204
//	GET    /healthz                                 → 200 {"status":"ok"} (no token)
//
// Errors answer {"error":"…"} with 400 (malformed request), 401 (missing or
// wrong token), 404 (unknown device or downlink), 429 (queue full) or 500.
package api

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Queue is what the API needs from the downlink scheduler
// (*downlink.Scheduler satisfies it). Errors wrap store.ErrNotFound for an
// unknown device or downlink, store.ErrQueueFull and store.ErrInvalid as
// the store reports them.
type Queue interface {
	Enqueue(ctx context.Context, devEUI lorawan.EUI64, d route.Downlink) (uint64, error)
	ListDownlinks(ctx context.Context, devEUI lorawan.EUI64) ([]store.Downlink, error)
	DeleteDownlink(ctx context.Context, devEUI lorawan.EUI64, id uint64) error
	ClearQueue(ctx context.Context, devEUI lorawan.EUI64) (int, error)
}

// MinTokenLen is the shortest token New accepts.
const MinTokenLen = 16

// Options configures a Server.
type Options struct {
	// Token is the bearer token every /api/ request must carry
	// ("Authorization: Bearer <token>"); at least MinTokenLen characters.
	// Required. See LoadOrCreateToken.
	Token string
	// Health, when set, is called by /healthz; an error answers 503.
	Health func(ctx context.Context) error
	// Timeout bounds each request, reading and writing. Default 10 s.
	Timeout time.Duration
	// TLSConfig, when set, makes Serve speak HTTPS (it needs a
	// certificate); nil serves plain HTTP, for a loopback listener or
	// behind a TLS-terminating proxy.
	TLSConfig *tls.Config
	// Logger receives the API's logs. Default slog.Default().
	Logger *slog.Logger
}

// Server is the HTTP API. Create it with New; serve it with Serve or mount
// Handler.
type Server struct {
	q       Queue
	opts    Options
	log     *slog.Logger
	tokenSH [sha256.Size]byte
}

// New returns a Server over q.
func New(q Queue, opts Options) (*Server, error) {
	if q == nil {
		return nil, errors.New("api: queue required")
	}
	if len(opts.Token) < MinTokenLen {
		return nil, fmt.Errorf("api: token shorter than %d characters", MinTokenLen)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{q: q, opts: opts, log: opts.Logger, tokenSH: sha256.Sum256([]byte(opts.Token))}
	s.opts.Token = "" // only the hash is kept
	return s, nil
}

// routes are the API's method-and-path patterns with their handlers.
func (s *Server) routes() []struct {
	pattern string
	h       http.Handler
} {
	return []struct {
		pattern string
		h       http.Handler
	}{
		{"GET /healthz", http.HandlerFunc(s.health)},
		{"POST /api/v1/devices/{devEui}/downlinks", s.auth(s.enqueue)},
		{"GET /api/v1/devices/{devEui}/downlinks", s.auth(s.list)},
		{"DELETE /api/v1/devices/{devEui}/downlinks", s.auth(s.clear)},
		{"DELETE /api/v1/devices/{devEui}/downlinks/{id}", s.auth(s.deleteOne)},
	}
}

// Handler returns the API's routes, with JSON answers (401 without the
// token, 404, 405) for any other path under /api/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, rt.h)
	}
	mux.Handle("/api/", s.auth(notRouted))
	return mux
}

// Routes returns the method-and-path patterns the API serves, for mounting
// it on a mux shared with other APIs under /api/v1 (cloud/admin):
// mux.Handle(p, s.Handler()) for each.
func (s *Server) Routes() []string {
	rts := s.routes()
	out := make([]string, len(rts))
	for i, rt := range rts {
		out[i] = rt.pattern
	}
	return out
}

// notRouted answers what no route took under /api/: 405 with Allow for a
// known path and another method, 404 otherwise.
func notRouted(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	queue := len(segs) >= 5 && segs[0] == "api" && segs[1] == "v1" && segs[2] == "devices" && segs[4] == "downlinks"
	switch {
	case queue && len(segs) == 5:
		w.Header().Set("Allow", "GET, POST, DELETE")
	case queue && len(segs) == 6:
		w.Header().Set("Allow", "DELETE")
	default:
		writeError(w, http.StatusNotFound, "no such endpoint")
		return
	}
	writeError(w, http.StatusMethodNotAllowed, "method not allowed")
}

// Serve answers requests on ln (a plain TCP listener; Serve adds TLS when
// Options.TLSConfig is set) until ctx ends, then shuts down gracefully
// (within Options.Timeout). The error is nil after a shutdown by ctx.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           http.TimeoutHandler(s.Handler(), s.opts.Timeout, `{"error":"request timed out"}`),
		ReadHeaderTimeout: s.opts.Timeout,
		ReadTimeout:       s.opts.Timeout,
		WriteTimeout:      s.opts.Timeout + time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	if s.opts.TLSConfig != nil {
		ln = tls.NewListener(ln, s.opts.TLSConfig)
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("api: serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.opts.Timeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	<-errc
	if err != nil {
		return fmt.Errorf("api: shutdown: %w", err)
	}
	return nil
}

// auth refuses requests without the bearer token.
func (s *Server) auth(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.tokenOK(r.Header.Get("Authorization")) {
			s.log.Warn("api: request refused: missing or wrong token", "remote", r.RemoteAddr,
				"method", r.Method, "path", r.URL.Path)
			w.Header().Set("WWW-Authenticate", `Bearer realm="loraedge"`)
			writeError(w, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		next(w, r)
	})
}

// tokenOK compares the header's bearer token with the configured one in
// constant time (over their hashes, so the length does not leak either).
func (s *Server) tokenOK(header string) bool {
	const prefix = "bearer "
	if len(header) <= len(prefix) || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(header[len(prefix):])))
	return subtle.ConstantTimeCompare(got[:], s.tokenSH[:]) == 1
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	if s.opts.Health != nil {
		if err := s.opts.Health(r.Context()); err != nil {
			s.log.Warn("api: health check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// devEUI reads the {devEui} path value, answering 400 when it is not one.
func devEUI(w http.ResponseWriter, r *http.Request) (lorawan.EUI64, bool) {
	eui, err := lorawan.ParseEUI64(r.PathValue("devEui"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "devEui: want 16 hex digits")
		return eui, false
	}
	return eui, true
}

func (s *Server) enqueue(w http.ResponseWriter, r *http.Request) {
	eui, ok := devEUI(w, r)
	if !ok {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, route.MaxDownlinkRequest))
	if err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("body: more than %d bytes or unreadable", route.MaxDownlinkRequest))
		return
	}
	d, err := route.ParseDownlinkRequest(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id, err := s.q.Enqueue(r.Context(), eui, d)
	if err != nil {
		s.storeError(w, eui, "enqueue", err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"id": strconv.FormatUint(id, 10)})
}

// queued is one item of a queue listing.
type queued struct {
	ID          string          `json:"id"`
	FPort       uint8           `json:"FPort"`
	PayloadData route.Payload   `json:"PayloadData"`
	Confirmed   bool            `json:"Confirmed"`
	Attempts    int             `json:"Attempts"`
	FCnt        *uint32         `json:"FCnt,omitempty"` // of the last transmission
	LastAttempt *time.Time      `json:"LastAttempt,omitempty"`
	CreatedAt   route.Timestamp `json:"CreatedAt"`
}

func (s *Server) list(w http.ResponseWriter, r *http.Request) {
	eui, ok := devEUI(w, r)
	if !ok {
		return
	}
	l, err := s.q.ListDownlinks(r.Context(), eui)
	if err != nil {
		s.storeError(w, eui, "list", err)
		return
	}
	out := make([]queued, 0, len(l))
	for _, d := range l {
		q := queued{
			ID:          strconv.FormatUint(d.ID, 10),
			FPort:       d.FPort,
			PayloadData: d.Payload,
			Confirmed:   d.Confirmed,
			Attempts:    d.Attempts,
			CreatedAt:   route.Timestamp(d.CreatedAt),
		}
		if d.Attempts > 0 {
			fcnt, at := d.FCnt, d.LastAttempt.UTC()
			q.FCnt, q.LastAttempt = &fcnt, &at
		}
		out = append(out, q)
	}
	writeJSON(w, http.StatusOK, map[string]any{"downlinks": out})
}

func (s *Server) clear(w http.ResponseWriter, r *http.Request) {
	eui, ok := devEUI(w, r)
	if !ok {
		return
	}
	n, err := s.q.ClearQueue(r.Context(), eui)
	if err != nil {
		s.storeError(w, eui, "clear", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}

func (s *Server) deleteOne(w http.ResponseWriter, r *http.Request) {
	eui, ok := devEUI(w, r)
	if !ok {
		return
	}
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		writeError(w, http.StatusBadRequest, "id: want a positive decimal number")
		return
	}
	if err := s.q.DeleteDownlink(r.Context(), eui, id); err != nil {
		s.storeError(w, eui, "delete", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// storeError answers a failed queue operation.
func (s *Server) storeError(w http.ResponseWriter, eui lorawan.EUI64, op string, err error) {
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "device or downlink not found")
	case errors.Is(err, store.ErrQueueFull):
		writeError(w, http.StatusTooManyRequests, "downlink queue full")
	case errors.Is(err, store.ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		s.log.Error("api: queue operation failed", "op", op, "dev_eui", eui, "err", err)
		writeError(w, http.StatusInternalServerError, "internal error")
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
