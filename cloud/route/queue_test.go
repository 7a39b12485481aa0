package route

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	bolt "go.etcd.io/bbolt"
)

// openQueue opens a queue and, at cleanup, closes it after an integrity
// check of the file.
func openQueue(t testing.TB, path string, max int) *Queue {
	t.Helper()
	q, err := OpenQueue(path, max)
	if err != nil {
		t.Fatalf("OpenQueue: %v", err)
	}
	t.Cleanup(func() { checkAndClose(t, q) })
	return q
}

func checkAndClose(t testing.TB, q *Queue) {
	t.Helper()
	err := q.db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			return err
		}
		return nil
	})
	if err != nil && err != bolt.ErrDatabaseNotOpen {
		t.Errorf("queue file check: %v", err)
	}
	_ = q.Close()
}

// drain pops every message of dest in order.
func drain(t testing.TB, q *Queue, dest string) []string {
	t.Helper()
	var out []string
	for {
		seq, body, ok, err := q.peek(dest)
		if err != nil {
			t.Fatalf("peek: %v", err)
		}
		if !ok {
			return out
		}
		out = append(out, string(body))
		if err := q.remove(dest, seq); err != nil {
			t.Fatalf("remove: %v", err)
		}
	}
}

func push(t testing.TB, q *Queue, dest, body string) []string {
	t.Helper()
	dropped, err := q.push(context.Background(), dest, []byte(body))
	if err != nil {
		t.Fatalf("push(%s, %s): %v", dest, body, err)
	}
	return dropped
}

func TestQueueOrderPerDestination(t *testing.T) {
	t.Parallel()
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 10)
	push(t, q, "a", "a1")
	push(t, q, "b", "b1")
	push(t, q, "a", "a2")
	push(t, q, "a", "a3")
	if got, want := q.Len(), 4; got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	if got, want := q.pending("a"), 3; got != want {
		t.Errorf("pending(a) = %d, want %d", got, want)
	}
	dests := q.destinations()
	slices.Sort(dests)
	if want := []string{"a", "b"}; !slices.Equal(dests, want) {
		t.Errorf("destinations() = %v, want %v", dests, want)
	}
	if got, want := drain(t, q, "a"), []string{"a1", "a2", "a3"}; !slices.Equal(got, want) {
		t.Errorf("drain(a) = %v, want %v", got, want)
	}
	if got, want := drain(t, q, "b"), []string{"b1"}; !slices.Equal(got, want) {
		t.Errorf("drain(b) = %v, want %v", got, want)
	}
	if q.Len() != 0 || q.pending("a") != 0 || len(q.destinations()) != 0 {
		t.Errorf("after drain: Len %d pending(a) %d destinations %v, want all empty", q.Len(), q.pending("a"), q.destinations())
	}
	// Removing twice, or an unknown destination, is no error and counts nothing.
	if err := q.remove("a", 1); err != nil {
		t.Errorf("remove of a removed message: %v", err)
	}
	if err := q.remove("zzz", 99); err != nil {
		t.Errorf("remove of an unknown destination: %v", err)
	}
	if q.Len() != 0 {
		t.Errorf("Len() = %d after no-op removes, want 0", q.Len())
	}
}

func TestQueueBoundDropsOldest(t *testing.T) {
	t.Parallel()
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 3)
	tests := []struct {
		dest, body  string
		wantDropped []string
	}{
		{"a", "a1", nil},
		{"b", "b1", nil},
		{"a", "a2", nil},
		{"b", "b2", []string{"a"}}, // a1 is oldest
		{"b", "b3", []string{"b"}}, // b1
		{"c", "c1", []string{"a"}}, // a2
	}
	for _, tc := range tests {
		if got := push(t, q, tc.dest, tc.body); !slices.Equal(got, tc.wantDropped) {
			t.Errorf("push(%s) dropped %v, want %v", tc.body, got, tc.wantDropped)
		}
		if q.Len() > 3 {
			t.Fatalf("Len() = %d, want at most 3", q.Len())
		}
	}
	if got, want := q.Dropped(), uint64(3); got != want {
		t.Errorf("Dropped() = %d, want %d", got, want)
	}
	if got := drain(t, q, "a"); len(got) != 0 {
		t.Errorf("drain(a) = %v, want nothing", got)
	}
	if got, want := drain(t, q, "b"), []string{"b2", "b3"}; !slices.Equal(got, want) {
		t.Errorf("drain(b) = %v, want %v", got, want)
	}
	if got, want := drain(t, q, "c"), []string{"c1"}; !slices.Equal(got, want) {
		t.Errorf("drain(c) = %v, want %v", got, want)
	}
}

func TestQueueSurvivesReopen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "q.db")
	q, err := OpenQueue(path, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		push(t, q, "hook", fmt.Sprint("m", i))
	}
	push(t, q, "other", "o0")
	seq, _, _, _ := q.peek("hook")
	if err := q.remove("hook", seq); err != nil {
		t.Fatal(err)
	}
	checkAndClose(t, q)

	// Reopened with a smaller bound: the oldest go, and are counted.
	q2 := openQueue(t, path, 3)
	if got, want := q2.Len(), 3; got != want {
		t.Errorf("reopened Len() = %d, want %d", got, want)
	}
	if got, want := q2.Dropped(), uint64(2); got != want {
		t.Errorf("reopened Dropped() = %d, want %d", got, want)
	}
	if got, want := drain(t, q2, "hook"), []string{"m3", "m4"}; !slices.Equal(got, want) {
		t.Errorf("drain(hook) after reopen = %v, want %v", got, want)
	}
	if got, want := drain(t, q2, "other"), []string{"o0"}; !slices.Equal(got, want) {
		t.Errorf("drain(other) after reopen = %v, want %v", got, want)
	}
	// Sequences keep growing after a reopen: new messages sort last.
	push(t, q2, "hook", "late")
	if got, want := drain(t, q2, "hook"), []string{"late"}; !slices.Equal(got, want) {
		t.Errorf("drain(hook) = %v, want %v", got, want)
	}
}

func TestQueueErrors(t *testing.T) {
	t.Parallel()
	q := openQueue(t, filepath.Join(t.TempDir(), "q.db"), 0)
	if q.max != DefaultQueueMax {
		t.Errorf("max = %d, want DefaultQueueMax %d", q.max, DefaultQueueMax)
	}
	if _, err := q.push(context.Background(), "", []byte("x")); err == nil {
		t.Error("push to an empty destination name: nil error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.push(ctx, "a", []byte("x")); err == nil {
		t.Error("push with a canceled context: nil error")
	}
	if q.Len() != 0 {
		t.Errorf("Len() = %d after refused pushes, want 0", q.Len())
	}
	if _, err := OpenQueue(filepath.Join(t.TempDir(), "missing-dir", "q.db"), 1); err == nil {
		t.Error("OpenQueue in a missing directory: nil error")
	}
}
