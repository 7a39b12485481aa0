package agent_test

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal/sim"
)

// TestCounterWrap starts the concentrator's 32-bit counter 1.5 s before it
// wraps and answers uplinks with class A downlinks: before the wrap with
// RX1 after it, after the wrap, and after more than a whole counter period
// (71.6 min). xtime keeps counting past 2^32 and every downlink lands at
// the start of RX1.
func TestCounterWrap(t *testing.T) {
	const start = math.MaxUint32 - 1_500_000 + 1
	s := newScripted(t, sim.ConcentratorOptions{CounterStart: start}, nil)
	w := s.w
	d := w.device(1, sim.ClassA)
	for i, at := range []time.Duration{time.Second, 5 * time.Second, 80 * time.Minute} {
		t.Run(fmt.Sprint(at), func(t *testing.T) {
			w.clock.AdvanceTo(t0.Add(at))
			f := w.uplink(d, fmt.Sprint(i))
			xt := s.expectUpdf(t, d, f, i, 0)
			if i > 0 && xt.Micros() <= math.MaxUint32 {
				t.Errorf("xtime µs %d did not carry past the 32-bit wrap", xt.Micros())
			}
			msg := strings.Replace(dnmsgJSON(d, 100+i, d.dataDown(t, fmt.Sprint("dn", i)), true, xt), "868100000", fmt.Sprint(f.Freq), 1)
			s.send(t, msg)
			w.clock.AdvanceTo(f.End.Add(1500 * time.Millisecond))
			dn := w.nextFrame(true)
			if want := f.End.Add(time.Second); !dn.Start.Equal(want) {
				t.Errorf("downlink at %v, want RX1 at %v", dn.Start, want)
			}
			d.expectDownlink(t, sim.WindowRX1, fmt.Sprint("dn", i))
			s.expectDntxed(t, d, 100+i, 5, f.Freq, xt.Add(time.Second))
			w.clock.AdvanceTo(f.End.Add(3 * time.Second))
		})
	}
}
