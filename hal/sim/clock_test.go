package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
)

// TestVirtualClock checks the order timers run in, the time they see,
// Stop, timers set from callbacks, and the readiness channel.
func TestVirtualClock(t *testing.T) {
	t.Parallel()
	c := sim.NewVirtualClock(epoch)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(epoch).String()) }
	}
	set := c.TimerSet()
	c.AfterFunc(2*time.Second, at("b"))
	select {
	case <-set:
	default:
		t.Fatal("TimerSet not closed after AfterFunc")
	}
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(2*time.Second, at("c")) // same instant as b, set after it
	stopped := c.AfterFunc(1500*time.Millisecond, at("stopped"))
	c.AfterFunc(500*time.Millisecond, func() {
		got = append(got, "nested-setter@500ms")
		c.AfterFunc(time.Second, at("nested"))
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop: want true, then false")
	}
	if when, ok := c.Next(); !ok || !when.Equal(epoch.Add(500*time.Millisecond)) {
		t.Fatalf("Next = %v %v, want epoch+500ms", when, ok)
	}
	if n := c.Advance(1500 * time.Millisecond); n != 3 {
		t.Fatalf("Advance ran %d timers, want 3", n)
	}
	if now := c.Now(); !now.Equal(epoch.Add(1500 * time.Millisecond)) {
		t.Fatalf("Now = %v, want epoch+1.5s", now)
	}
	c.Advance(time.Hour)
	want := []string{"nested-setter@500ms", "a@1s", "nested@1.5s", "b@2s", "c@2s"}
	if !slices.Equal(got, want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	if c.Pending() != 0 {
		t.Fatalf("%d timers pending, want 0", c.Pending())
	}
	if _, ok := c.Next(); ok {
		t.Fatal("Next reports a timer on an idle clock")
	}
}
