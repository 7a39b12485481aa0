package agentstore_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/loraedge/loraedge/store/agentstore"
	"github.com/loraedge/loraedge/store/agentstore/agentstoretest"
)

// childEnv names the database a re-executed test binary spools into; see
// TestMain and TestSpoolSurvivesSIGKILL.
const (
	childEnv      = "AGENTSTORE_SPOOL_CHILD"
	childStartEnv = "AGENTSTORE_SPOOL_CHILD_START"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		os.Exit(spoolChild(path, os.Getenv(childStartEnv)))
	}
	os.Exit(m.Run())
}

// spoolChild spools numbered messages into the store at path, from start
// on, forever, and writes each number to stdout once SpoolPut returned: the
// parent's record of what was committed. It runs until killed.
func spoolChild(path, start string) int {
	n, err := strconv.Atoi(start)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: bad start:", err)
		return 2
	}
	db, err := agentstore.Open(path, &agentstore.Options{SpoolMaxCount: 1 << 20, LockTimeout: 10 * time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 2
	}
	for ; ; n++ {
		if err := db.SpoolPut(context.Background(), childMsg(n), time.Now()); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 2
		}
		// os.Stdout is unbuffered: the line is in the pipe when Write returns.
		if _, err := fmt.Fprintf(os.Stdout, "%d\n", n); err != nil {
			return 2
		}
	}
}

func childMsg(n int) []byte {
	return fmt.Appendf(nil, `{"msgtype":"updf","MHdr":64,"FCnt":%d,"FRMPayload":"%0128x"}`, n, n)
}

// TestSpoolSurvivesSIGKILL re-executes the test binary as a process that
// spools in a loop, kills it with SIGKILL while it writes, and checks that
// every message it reported as committed is in the reopened file, in order,
// and that the file passes the consistency checks. Three rounds, each child
// continuing the spool of the one before.
func TestSpoolSurvivesSIGKILL(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/data/" + agentstore.DefaultDBFile
	var reported []int
	next := 0
	for round, killAfter := range []int{150, 40, 300} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+path, childStartEnv+"="+strconv.Itoa(next))
		cmd.Stderr = os.Stderr
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		seen, killed := 0, false
		for sc.Scan() {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				t.Fatalf("round %d: child wrote %q", round, sc.Text())
			}
			reported = append(reported, n)
			next = n + 1
			if seen++; seen == killAfter && !killed {
				// The child is inside its loop: the kill lands during a
				// SpoolPut or between two.
				if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
					t.Fatal(err)
				}
				killed = true
			}
		}
		err = cmd.Wait()
		var exit *exec.ExitError
		if !killed || !errors.As(err, &exit) || exit.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v after %d messages, want death by SIGKILL", round, err, seen)
		}
		if err := agentstoretest.CheckFile(path); err != nil {
			t.Fatalf("round %d: bbolt check after kill: %v", round, err)
		}
	}

	db, err := agentstore.Open(path, &agentstore.Options{SpoolMaxCount: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer agentstoretest.Close(t, db)
	if err := db.Check(context.Background()); err != nil {
		t.Fatalf("Check after kills: %v", err)
	}
	recs, err := db.SpoolPeek(context.Background(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	have := make(map[string]bool, len(recs))
	for i, r := range recs {
		have[string(r.Msg)] = true
		if i > 0 && r.ID <= recs[i-1].ID {
			t.Errorf("record %d: id %d after %d", i, r.ID, recs[i-1].ID)
		}
	}
	for _, n := range reported {
		if !have[string(childMsg(n))] {
			t.Errorf("message %d was reported committed but is not in the spool", n)
		}
	}
	// A child may have committed one message more than it reported (killed
	// between SpoolPut and the write to stdout), never fewer; the next child
	// then writes that number again. So the numbers in the spool never go
	// down, and there are at most one extra per round.
	if len(recs) < len(reported) || len(recs) > len(reported)+3 {
		t.Errorf("spool holds %d records, %d reported", len(recs), len(reported))
	}
	prev := -1
	for i, r := range recs {
		var n int
		if _, err := fmt.Sscanf(string(r.Msg), `{"msgtype":"updf","MHdr":64,"FCnt":%d`, &n); err != nil {
			t.Fatalf("record %d: %.40q: %v", i, r.Msg, err)
		}
		if n < prev {
			t.Errorf("record %d is message %d after message %d", i, n, prev)
		}
		prev = n
	}
	if st := db.SpoolStats(); st.Len != len(recs) || st.Dropped != 0 || st.DroppedByAge != 0 {
		t.Errorf("SpoolStats = %+v, want Len %d and nothing dropped", st, len(recs))
	}
}

// fakeClock is a settable clock for spool ages.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func put(t *testing.T, db *agentstore.DB, msg string, at time.Time) {
	t.Helper()
	if err := db.SpoolPut(context.Background(), []byte(msg), at); err != nil {
		t.Fatalf("SpoolPut(%s): %v", msg, err)
	}
}

func peekMsgs(t *testing.T, db *agentstore.DB, max int) []string {
	t.Helper()
	recs, err := db.SpoolPeek(context.Background(), max)
	if err != nil {
		t.Fatalf("SpoolPeek: %v", err)
	}
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Msg))
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestSpoolOrderPeekDelete(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db, path := agentstoretest.Open(t, &agentstore.Options{Now: clock.Now})
	ctx := context.Background()
	var want []string
	for i := range 300 { // more than one bbolt page of keys
		msg := fmt.Sprintf(`{"msgtype":"updf","FCnt":%d}`, i)
		put(t, db, msg, clock.Now().Add(time.Duration(i)*time.Millisecond))
		want = append(want, msg)
	}
	recs, err := db.SpoolPeek(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 300 {
		t.Fatalf("SpoolPeek returned %d records, want 300", len(recs))
	}
	for i, r := range recs {
		if string(r.Msg) != want[i] {
			t.Fatalf("record %d = %s, want %s", i, r.Msg, want[i])
		}
		if wantAt := clock.Now().Add(time.Duration(i) * time.Millisecond); !r.ReceivedAt.Equal(wantAt) {
			t.Errorf("record %d received at %v, want %v (original metadata)", i, r.ReceivedAt, wantAt)
		}
		if i > 0 && r.ID <= recs[i-1].ID {
			t.Errorf("record %d: id %d not after %d", i, r.ID, recs[i-1].ID)
		}
	}
	if got := peekMsgs(t, db, 2); !equalStrings(got, want[:2]) {
		t.Errorf("SpoolPeek(2) = %q, want %q", got, want[:2])
	}
	// Delete the first ten and an id that is not there.
	ids := []uint64{recs[len(recs)-1].ID + 100}
	for _, r := range recs[:10] {
		ids = append(ids, r.ID)
	}
	if err := db.SpoolDelete(ctx, ids...); err != nil {
		t.Fatal(err)
	}
	if got := peekMsgs(t, db, 1); !equalStrings(got, want[10:11]) {
		t.Errorf("after delete: head = %q, want %q", got, want[10:11])
	}
	if st := db.SpoolStats(); st.Len != 290 {
		t.Errorf("Len = %d, want 290", st.Len)
	}
	// Ids keep growing after deletes and across a reopen.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := agentstore.Open(path, &agentstore.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer agentstoretest.Close(t, db2)
	put(t, db2, "after reopen", clock.Now())
	all, err := db2.SpoolPeek(ctx, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if last := all[len(all)-1]; string(last.Msg) != "after reopen" || last.ID <= recs[len(recs)-1].ID {
		t.Errorf("last record %q id %d, want \"after reopen\" with an id above %d", last.Msg, last.ID, recs[len(recs)-1].ID)
	}
	if _, err := db2.SpoolPeek(ctx, 0); !errors.Is(err, agentstore.ErrInvalid) {
		t.Errorf("SpoolPeek(0) = %v, want ErrInvalid", err)
	}
	if err := db2.SpoolPut(ctx, nil, clock.Now()); !errors.Is(err, agentstore.ErrInvalid) {
		t.Errorf("SpoolPut(empty) = %v, want ErrInvalid", err)
	}
}

func TestSpoolBoundByCount(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)}
	db, path := agentstoretest.Open(t, &agentstore.Options{SpoolMaxCount: 3, Now: clock.Now})
	for i := range 5 {
		put(t, db, fmt.Sprint("m", i), clock.Now())
		wantLen := min(i+1, 3)
		if st := db.SpoolStats(); st.Len != wantLen || st.Dropped != uint64(max(0, i-2)) {
			t.Errorf("after %d puts: %+v, want Len %d Dropped %d", i+1, st, wantLen, max(0, i-2))
		}
	}
	if got, want := peekMsgs(t, db, 10), []string{"m2", "m3", "m4"}; !equalStrings(got, want) {
		t.Errorf("spool = %q, want the newest %q (oldest dropped first)", got, want)
	}
	// The drop counters are kept in the file.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := agentstore.Open(path, &agentstore.Options{SpoolMaxCount: 3, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer agentstoretest.Close(t, db2)
	if st := db2.SpoolStats(); st != (agentstore.SpoolStats{Len: 3, Dropped: 2}) {
		t.Errorf("after reopen: %+v, want Len 3 Dropped 2", st)
	}
}

func TestSpoolBoundByAge(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := &fakeClock{now: t0}
	db, _ := agentstoretest.Open(t, &agentstore.Options{SpoolMaxAge: time.Hour, Now: clock.Now})

	put(t, db, "a", t0)
	clock.Advance(20 * time.Minute)
	put(t, db, "b", clock.Now())
	clock.Advance(20 * time.Minute)
	put(t, db, "c", clock.Now())

	steps := []struct {
		name    string
		advance time.Duration
		put     string        // "" for a peek only
		putAge  time.Duration // how old the put record already is
		want    []string
		wantAge uint64
	}{
		{name: "all young", want: []string{"a", "b", "c"}},
		{name: "a expires, seen by peek", advance: 21 * time.Minute, want: []string{"b", "c"}, wantAge: 1},
		{name: "b expires, seen by put", advance: 20 * time.Minute, put: "d", want: []string{"c", "d"}, wantAge: 2},
		{name: "a put already too old is not kept", put: "stale", putAge: 61 * time.Minute, want: []string{"c", "d"}, wantAge: 3},
		{name: "everything expires", advance: 2 * time.Hour, want: nil, wantAge: 5},
	}
	for _, st := range steps {
		clock.Advance(st.advance)
		if st.put != "" {
			put(t, db, st.put, clock.Now().Add(-st.putAge))
		}
		if got := peekMsgs(t, db, 10); !equalStrings(got, st.want) {
			t.Errorf("%s: spool = %q, want %q", st.name, got, st.want)
		}
		s := db.SpoolStats()
		if s.DroppedByAge != st.wantAge || s.Len != len(st.want) || s.Dropped != 0 {
			t.Errorf("%s: stats %+v, want Len %d DroppedByAge %d Dropped 0", st.name, s, len(st.want), st.wantAge)
		}
	}
}

func TestSpoolConcurrentPuts(t *testing.T) {
	t.Parallel()
	db, _ := agentstoretest.Open(t, &agentstore.Options{SpoolMaxCount: 50})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 30 {
				if err := db.SpoolPut(context.Background(), fmt.Appendf(nil, "w%d-%d", w, i), time.Time{}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if st := db.SpoolStats(); st.Len != 50 || st.Dropped != 70 {
		t.Errorf("stats %+v, want Len 50 Dropped 70", st)
	}
	// Each writer's surviving messages are in its own order.
	last := map[byte]int{}
	for _, m := range peekMsgs(t, db, 100) {
		var w, i int
		if _, err := fmt.Sscanf(m, "w%d-%d", &w, &i); err != nil {
			t.Fatalf("message %q: %v", m, err)
		}
		if prev, ok := last[byte(w)]; ok && i <= prev {
			t.Errorf("writer %d: message %d after %d", w, i, prev)
		}
		last[byte(w)] = i
	}
}
