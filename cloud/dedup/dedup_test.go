package dedup_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/dedup/deduptest"
	"github.com/loraedge/loraedge/lorawan"
)

var (
	gw1 = lorawan.EUI64{0, 0, 0, 0, 0, 0, 0, 1}
	gw2 = lorawan.EUI64{0, 0, 0, 0, 0, 0, 0, 2}
	gw3 = lorawan.EUI64{0, 0, 0, 0, 0, 0, 0, 3}
)

var start = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// sink collects delivered frames.
type sink struct {
	mu     sync.Mutex
	frames []dedup.Frame
}

func (s *sink) deliver(f dedup.Frame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames = append(s.frames, f)
}

func (s *sink) got() []dedup.Frame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]dedup.Frame(nil), s.frames...)
}

func newDedup(t *testing.T, opts dedup.Options) (*dedup.Deduplicator, *deduptest.Clock, *sink) {
	t.Helper()
	clk := deduptest.NewClock(start)
	opts.Clock = clk
	s := &sink{}
	d, err := dedup.New(s.deliver, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d, clk, s
}

func frame(n byte) []byte { return []byte{0x40, 1, 2, 3, 4, 0, n, 0, 9, 9, 9, 9} }

func rx(gw lorawan.EUI64, snr float64) dedup.Reception {
	return dedup.Reception{Gateway: gw, SNR: snr, RSSI: -80, Freq: 868100000, DR: 5}
}

func TestMergeWithinWindow(t *testing.T) {
	t.Parallel()
	d, clk, s := newDedup(t, dedup.Options{})
	if got := d.Add(frame(1), rx(gw1, 7)); got != dedup.First {
		t.Fatalf("first copy: got %v, want first", got)
	}
	clk.Advance(150 * time.Millisecond)
	if got := d.Add(frame(1), rx(gw2, -3)); got != dedup.Merged {
		t.Fatalf("second gateway: got %v, want merged", got)
	}
	if got := d.Add(frame(1), rx(gw1, 8)); got != dedup.Repeat {
		t.Fatalf("same gateway again: got %v, want repeat", got)
	}
	clk.Advance(49 * time.Millisecond)
	if n := len(s.got()); n != 0 {
		t.Fatalf("delivered %d frames before the window ended", n)
	}
	clk.Advance(time.Millisecond)
	fs := s.got()
	if len(fs) != 1 {
		t.Fatalf("delivered %d frames, want 1", len(fs))
	}
	f := fs[0]
	if !bytes.Equal(f.PHYPayload, frame(1)) {
		t.Errorf("payload %x, want %x", f.PHYPayload, frame(1))
	}
	if len(f.Receptions) != 2 || f.Receptions[0].Gateway != gw1 || f.Receptions[1].Gateway != gw2 {
		t.Fatalf("receptions %+v, want gw1 then gw2", f.Receptions)
	}
	if f.Receptions[0].SNR != 7 {
		t.Errorf("gw1 SNR %v, want the first copy's 7", f.Receptions[0].SNR)
	}
	if !f.FirstSeen.Equal(start) {
		t.Errorf("FirstSeen %v, want %v", f.FirstSeen, start)
	}
	st := d.Stats()
	want := dedup.Stats{Frames: 1, Merged: 1, Repeats: 1, Held: 1}
	if st != want {
		t.Errorf("stats %+v, want %+v", st, want)
	}
}

func TestLateCopies(t *testing.T) {
	t.Parallel()
	d, clk, s := newDedup(t, dedup.Options{Window: 100 * time.Millisecond, Linger: 500 * time.Millisecond})
	d.Add(frame(1), rx(gw1, 1))
	clk.Advance(100 * time.Millisecond)
	if n := len(s.got()); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	// The receiver may change the bytes it got; late copies are still known.
	s.got()[0].PHYPayload[0] = 0xff
	clk.Advance(400 * time.Millisecond)
	if got := d.Add(frame(1), rx(gw3, 1)); got != dedup.Late {
		t.Fatalf("copy 500 ms after the first: got %v, want late", got)
	}
	clk.Advance(100 * time.Millisecond) // linger over
	if got := d.Add(frame(1), rx(gw3, 1)); got != dedup.First {
		t.Fatalf("copy after the linger: got %v, want first", got)
	}
	clk.Advance(100 * time.Millisecond)
	if n := len(s.got()); n != 2 {
		t.Fatalf("delivered %d, want 2", n)
	}
	if st := d.Stats(); st.Late != 1 || st.Frames != 2 {
		t.Errorf("stats %+v, want Late 1 Frames 2", st)
	}
}

func TestDistinctFramesAndOrder(t *testing.T) {
	t.Parallel()
	d, clk, s := newDedup(t, dedup.Options{})
	for i := range byte(5) {
		d.Add(frame(i), rx(gw1, 0))
		clk.Advance(10 * time.Millisecond)
	}
	clk.Advance(2 * time.Second) // windows and lingers all over
	fs := s.got()
	if len(fs) != 5 {
		t.Fatalf("delivered %d, want 5", len(fs))
	}
	for i, f := range fs {
		if f.PHYPayload[6] != byte(i) {
			t.Errorf("frame %d is %x, want arrival order", i, f.PHYPayload)
		}
		if want := start.Add(time.Duration(i) * 10 * time.Millisecond); !f.FirstSeen.Equal(want) {
			t.Errorf("frame %d FirstSeen %v, want %v", i, f.FirstSeen, want)
		}
	}
	if st := d.Stats(); st.Held != 0 || st.Pending != 0 {
		t.Errorf("after linger: held %d pending %d, want 0", st.Held, st.Pending)
	}
	if n := clk.Pending(); n != 0 {
		t.Errorf("%d timers still set with nothing held", n)
	}
}

func TestBounded(t *testing.T) {
	t.Parallel()
	d, clk, s := newDedup(t, dedup.Options{MaxFrames: 4})
	for i := range byte(10) {
		d.Add(frame(i), rx(gw1, 0))
		if st := d.Stats(); st.Held > 4 {
			t.Fatalf("after %d frames: %d held, bound 4", i+1, st.Held)
		}
	}
	if n := len(s.got()); n != 6 {
		t.Fatalf("delivered early %d, want 6", n)
	}
	clk.Advance(200 * time.Millisecond)
	fs := s.got()
	if len(fs) != 10 {
		t.Fatalf("delivered %d, want 10", len(fs))
	}
	for i, f := range fs {
		if f.PHYPayload[6] != byte(i) {
			t.Errorf("delivery %d is frame %d, want oldest first", i, f.PHYPayload[6])
		}
	}
	if st := d.Stats(); st.Early != 6 {
		t.Errorf("early %d, want 6", st.Early)
	}
	// With delivered frames remembered, a full table forgets the oldest
	// of them rather than cut a window short.
	d.Add(frame(100), rx(gw1, 0))
	if st := d.Stats(); st.Early != 6 || st.Held != 4 {
		t.Errorf("stats %+v, want Early 6 Held 4", st)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	d, _, s := newDedup(t, dedup.Options{})
	d.Add(frame(1), rx(gw1, 0))
	d.Add(frame(1), rx(gw2, 0))
	d.Close()
	fs := s.got()
	if len(fs) != 1 || len(fs[0].Receptions) != 2 {
		t.Fatalf("Close delivered %+v, want the pending frame with 2 receptions", fs)
	}
	if got := d.Add(frame(2), rx(gw1, 0)); got != dedup.Closed {
		t.Errorf("Add after Close: got %v, want closed", got)
	}
	d.Close()
}

func TestOptions(t *testing.T) {
	t.Parallel()
	if _, err := dedup.New(nil, dedup.Options{}); err == nil {
		t.Error("nil deliver: no error")
	}
	if _, err := dedup.New(func(dedup.Frame) {}, dedup.Options{Window: -1}); err == nil {
		t.Error("negative window: no error")
	}
	d, err := dedup.New(func(dedup.Frame) {}, dedup.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Window(); got != dedup.DefaultWindow {
		t.Errorf("window %v, want %v", got, dedup.DefaultWindow)
	}
}

// TestConcurrentWallClock runs many gateways at once on the real clock:
// every frame must come out once with every gateway's copy.
func TestConcurrentWallClock(t *testing.T) {
	t.Parallel()
	const frames, gateways = 200, 4
	var mu sync.Mutex
	seen := map[string]int{}
	done := make(chan struct{})
	d, err := dedup.New(func(f dedup.Frame) {
		mu.Lock()
		defer mu.Unlock()
		seen[string(f.PHYPayload)] += len(f.Receptions)
		if len(seen) == frames {
			select {
			case <-done:
			default:
				close(done)
			}
		}
	}, dedup.Options{Window: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range gateways {
		wg.Add(1)
		go func() {
			defer wg.Done()
			eui := lorawan.EUI64{0, 0, 0, 0, 0, 0, 1, byte(g)}
			for i := range frames {
				d.Add([]byte(fmt.Sprintf("frame-%04d", i)), rx(eui, 0))
			}
		}()
	}
	wg.Wait()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("not every frame was delivered")
	}
	d.Close()
	mu.Lock()
	defer mu.Unlock()
	for k, n := range seen {
		if n != gateways {
			t.Errorf("frame %s delivered with %d receptions, want %d", k, n, gateways)
		}
	}
}

// TestOrderWithSlowReceiver holds the receiver up while windows keep
// ending: frames must still come out one at a time in the order their
// windows ended.
func TestOrderWithSlowReceiver(t *testing.T) {
	t.Parallel()
	const n = 300
	gate := make(chan struct{})
	var mu sync.Mutex
	var got []byte
	inDeliver, concurrent := 0, false
	done := make(chan struct{})
	d, err := dedup.New(func(f dedup.Frame) {
		mu.Lock()
		inDeliver++
		concurrent = concurrent || inDeliver > 1
		first := len(got) == 0
		mu.Unlock()
		if first {
			<-gate // hold the receiver until every frame was offered
		}
		mu.Lock()
		got = append(got, f.PHYPayload[6])
		inDeliver--
		if len(got) == n {
			close(done)
		}
		mu.Unlock()
	}, dedup.Options{Window: time.Millisecond, MaxFrames: 4 * n})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := frame(byte(i))
		p[5] = byte(i >> 8)
		d.Add(p, rx(gw1, 0))
	}
	close(gate)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("frames not all delivered")
	}
	d.Close()
	mu.Lock()
	defer mu.Unlock()
	if concurrent {
		t.Error("deliver ran on two goroutines at once")
	}
	for i, b := range got {
		if b != byte(i) {
			t.Fatalf("delivery %d is frame %d: out of order", i, b)
		}
	}
}

// TestBackpressure runs a slow receiver behind a tiny table: Add must wait
// rather than drop, and every frame must come out once, in order.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	const n = 200
	var mu sync.Mutex
	var got []int
	d, err := dedup.New(func(f dedup.Frame) {
		time.Sleep(50 * time.Microsecond) // a slow receiver
		mu.Lock()
		got = append(got, int(f.PHYPayload[5])<<8|int(f.PHYPayload[6]))
		mu.Unlock()
	}, dedup.Options{Window: time.Millisecond, MaxFrames: 2})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		p := frame(byte(i))
		p[5] = byte(i >> 8)
		if r := d.Add(p, rx(gw1, 0)); r != dedup.First {
			t.Fatalf("frame %d: %v", i, r)
		}
		if st := d.Stats(); st.Held > 2 {
			t.Fatalf("%d frames held, bound 2", st.Held)
		}
	}
	d.Close()
	mu.Lock()
	defer mu.Unlock()
	if len(got) != n {
		t.Fatalf("delivered %d, want %d", len(got), n)
	}
	for i, v := range got {
		if v != i {
			t.Fatalf("delivery %d is frame %d", i, v)
		}
	}
	if st := d.Stats(); st.Early == 0 {
		t.Error("no frame was delivered early with a table of 2")
	}
}

func BenchmarkAdd(b *testing.B) {
	d, err := dedup.New(func(dedup.Frame) {}, dedup.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer d.Close()
	phys := make([][]byte, b.N)
	for i := range phys {
		phys[i] = []byte(fmt.Sprintf("frame-%08d-xxxxxxxxxxxxxxxxxxxx", i))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		d.Add(phys[i], rx(gw1, 0))
		d.Add(phys[i], rx(gw2, 0))
	}
}
