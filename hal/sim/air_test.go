package sim_test

import (
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// TestAir covers what the air does on its own: frame timing from lorawan,
// the OnFrame hook, links set and removed, and refused input.
func TestAir(t *testing.T) {
	t.Parallel()
	clock := sim.NewVirtualClock(epoch)
	var seen []sim.Frame
	air := sim.NewAir(clock, sim.AirConfig{OnFrame: func(f sim.Frame) { seen = append(seen, f) }})
	l := &countingListener{}
	if err := air.Attach("rx", l); err != nil {
		t.Fatal(err)
	}
	if err := air.Attach("rx", l); err == nil {
		t.Fatal("attaching a name twice: got nil error")
	}
	air.SetPathLoss("tx", "rx", 100)
	clock.Advance(time.Second)
	out, err := air.Transmit("tx", probeFrame(868_100_000, 10, 30))
	if err != nil {
		t.Fatal(err)
	}
	want := lorawan.UplinkTimeOnAir(30, 10, 125_000)
	if out.Source != "tx" || !out.Start.Equal(epoch.Add(time.Second)) || out.End.Sub(out.Start) != want || out.ID == 0 {
		t.Fatalf("frame %s %v..%v id %d, want from tx at epoch+1s lasting %v", out.Source, out.Start, out.End, out.ID, want)
	}
	if len(seen) != 1 || seen[0].ID != out.ID {
		t.Fatalf("OnFrame saw %d frames, want the one sent", len(seen))
	}
	clock.Advance(want - time.Nanosecond)
	if l.started != 1 || l.ended != 0 {
		t.Fatalf("before the end: started %d ended %d, want 1 0", l.started, l.ended)
	}
	clock.Advance(time.Nanosecond)
	if l.ended != 1 {
		t.Fatalf("at the end: ended %d, want 1", l.ended)
	}

	air.SetPathLoss("rx", "tx", 0) // either order names the same link
	if _, err := air.Transmit("tx", probeFrame(868_100_000, 7, 10)); err != nil {
		t.Fatal(err)
	}
	air.Detach("rx")
	air.SetPathLoss("tx", "rx", 100)
	if _, err := air.Transmit("tx", probeFrame(868_100_000, 7, 10)); err != nil {
		t.Fatal(err)
	}
	clock.Advance(time.Second)
	if l.started != 1 {
		t.Fatalf("unlinked or detached listener heard %d frames, want 1", l.started)
	}

	for _, bad := range []sim.Frame{
		{Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5},
		{Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 13, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, Payload: []byte{1}},
		{Freq: 868_100_000, Modulation: hal.ModulationFSK, Payload: []byte{1}},
		{Freq: 868_100_000, Payload: []byte{1}},
	} {
		if _, err := air.Transmit("tx", bad); err == nil {
			t.Errorf("Transmit(%+v): got nil error", bad)
		}
	}
}
