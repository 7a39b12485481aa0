// Package logtest is an slog.Handler for tests that keeps every record and
// lets a test wait, by event rather than by sleeping, for a line to be
// logged.
package logtest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sink keeps every record logged through it (and through handlers derived
// with WithAttrs) and signals each one.
type Sink struct {
	mu      sync.Mutex
	records []slog.Record
	notify  chan struct{}
	attrs   []slog.Attr
	parent  *Sink
}

// New returns an empty Sink; use it with slog.New.
func New() *Sink { return &Sink{notify: make(chan struct{}, 1)} }

func (l *Sink) root() *Sink {
	if l.parent != nil {
		return l.parent.root()
	}
	return l
}

// Enabled accepts every level.
func (l *Sink) Enabled(context.Context, slog.Level) bool { return true }

// Handle keeps the record with the handler's attributes.
func (l *Sink) Handle(_ context.Context, r slog.Record) error {
	r = r.Clone()
	r.AddAttrs(l.attrs...)
	root := l.root()
	root.mu.Lock()
	root.records = append(root.records, r)
	root.mu.Unlock()
	select {
	case root.notify <- struct{}{}:
	default:
	}
	return nil
}

// WithAttrs returns a handler adding as to its records, kept in the same Sink.
func (l *Sink) WithAttrs(as []slog.Attr) slog.Handler {
	return &Sink{parent: l, attrs: append(append([]slog.Attr(nil), l.attrs...), as...)}
}

// WithGroup is not needed by the tests and returns the same handler.
func (l *Sink) WithGroup(string) slog.Handler { return l }

// Attrs returns a record's attributes as text.
func Attrs(r slog.Record) map[string]string {
	m := map[string]string{}
	r.Attrs(func(a slog.Attr) bool {
		m[a.Key] = a.Value.String()
		return true
	})
	return m
}

// Wait waits up to timeout for a record with message msg whose attributes
// match each of attrs (match(got, want) decides, e.g. equality or
// strings.Contains). It returns the record and how many records it has
// read, and fails the test with everything logged when none comes.
func (l *Sink) Wait(t testing.TB, timeout time.Duration, msg string, attrs map[string]string, match func(got, want string) bool) (slog.Record, int) {
	t.Helper()
	root := l.root()
	deadline := time.After(timeout)
	seen := 0
	for {
		root.mu.Lock()
		recs := append([]slog.Record(nil), root.records[seen:]...)
		root.mu.Unlock()
		for _, r := range recs {
			seen++
			if r.Message != msg {
				continue
			}
			got := Attrs(r)
			ok := true
			for k, v := range attrs {
				ok = ok && match(got[k], v)
			}
			if ok {
				return r, seen
			}
		}
		select {
		case <-root.notify:
		case <-deadline:
			t.Fatalf("no log %q with %v; logged:\n%s", msg, attrs, l.Text())
		}
	}
}

// Count returns how many records have message msg.
func (l *Sink) Count(msg string) int {
	root := l.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	n := 0
	for _, r := range root.records {
		if r.Message == msg {
			n++
		}
	}
	return n
}

// Text returns everything logged, one record a line (level, message,
// attributes), for checks that something is never logged.
func (l *Sink) Text() string {
	root := l.root()
	root.mu.Lock()
	defer root.mu.Unlock()
	var b strings.Builder
	for _, r := range root.records {
		fmt.Fprintf(&b, "%s %s %v\n", r.Level, r.Message, Attrs(r))
	}
	return b.String()
}
