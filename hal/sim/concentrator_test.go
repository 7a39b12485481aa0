package sim_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// probeFrame is a LoRa uplink-style frame for raw air tests.
func probeFrame(freq uint32, sf int, n int) sim.Frame {
	return sim.Frame{Freq: freq, Modulation: hal.ModulationLoRa, SpreadingFactor: sf, Bandwidth: hal.BW125,
		CodeRate: hal.CodeRate4_5, CRC: true, Power: 14, Payload: make([]byte, n)}
}

// TestCollision puts two frames on the air from two transmitters and
// checks which the gateway receives.
func TestCollision(t *testing.T) {
	t.Parallel()
	toa12 := lorawan.UplinkTimeOnAir(20, 12, 125_000)
	tests := []struct {
		name     string
		a, b     sim.Frame
		gap      time.Duration // b starts this long after a
		badCRC   bool          // DeliverBadCRC
		wantRx   int
		wantBad  int
		wantLost int
	}{
		{name: "same channel and SF at once", a: probeFrame(868_100_000, 9, 20), b: probeFrame(868_100_000, 9, 20), wantLost: 2},
		{name: "same channel and SF, partial overlap", a: probeFrame(868_100_000, 12, 20), b: probeFrame(868_100_000, 12, 20), gap: toa12 - time.Millisecond, wantLost: 2},
		{name: "same channel and SF, back to back", a: probeFrame(868_100_000, 12, 20), b: probeFrame(868_100_000, 12, 20), gap: toa12, wantRx: 2},
		{name: "same channel, other SF", a: probeFrame(868_100_000, 9, 20), b: probeFrame(868_100_000, 10, 20), wantRx: 2},
		{name: "other channel, same SF", a: probeFrame(868_100_000, 9, 20), b: probeFrame(868_300_000, 9, 20), wantRx: 2},
		{name: "collision delivered with bad CRC", a: probeFrame(868_100_000, 9, 20), b: probeFrame(868_100_000, 9, 20), badCRC: true, wantBad: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			gw := w.gateway("gw1", sim.ConcentratorOptions{DeliverBadCRC: tc.badCRC})
			w.air.SetPathLoss("gw1", "a", 100)
			w.air.SetPathLoss("gw1", "b", 100)
			if _, err := w.air.Transmit("a", tc.a); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(tc.gap)
			if _, err := w.air.Transmit("b", tc.b); err != nil {
				t.Fatal(err)
			}
			w.clock.Advance(10 * time.Second)
			var ok, bad int
			for range tc.wantRx + tc.wantBad {
				p := receive(t, gw)
				if p.CRC == hal.CRCBad {
					bad++
					if string(p.Payload) == string(tc.a.Payload) {
						t.Error("a bad-CRC frame carries the intact payload")
					}
				} else {
					ok++
				}
			}
			noFrame(t, gw)
			s := gw.Stats()
			if ok != tc.wantRx || bad != tc.wantBad || s.Collided != tc.wantLost {
				t.Fatalf("received %d ok, %d bad, %d lost; want %d, %d, %d", ok, bad, s.Collided, tc.wantRx, tc.wantBad, tc.wantLost)
			}
		})
	}
}

// TestDemodulators: the multi-SF channels share 8 demodulators; a ninth
// simultaneous frame is lost.
func TestDemodulators(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw := w.gateway("gw1", sim.ConcentratorOptions{})
	cfg := eu868Config()
	for i := 0; i < 9; i++ {
		name := string(rune('a' + i))
		w.air.SetPathLoss("gw1", name, 100)
		// Eight channels, the ninth frame on channel 0 at another SF.
		f := probeFrame(cfg.ChannelFreq(i%8), 7+i/8, 10)
		if _, err := w.air.Transmit(name, f); err != nil {
			t.Fatal(err)
		}
	}
	w.clock.Advance(time.Second)
	if s := gw.Stats(); s.Received != 8 || s.NoDemodulator != 1 {
		t.Fatalf("stats %+v, want 8 received and 1 without demodulator", s)
	}
}

// TestSendErrors covers the refusals of Send.
func TestSendErrors(t *testing.T) {
	t.Parallel()
	valid := func() hal.TxPacket {
		return hal.TxPacket{Mode: hal.TxImmediate, Freq: 869_525_000, Power: 14, Modulation: hal.ModulationLoRa,
			SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, InvertPol: true, NoCRC: true, Payload: []byte{1, 2, 3}}
	}
	tests := []struct {
		name    string
		edit    func(p *hal.TxPacket, now uint32)
		stopped bool
		want    error
	}{
		{name: "valid", edit: func(*hal.TxPacket, uint32) {}},
		{name: "stopped", edit: func(*hal.TxPacket, uint32) {}, stopped: true, want: hal.ErrStopped},
		{name: "too late", edit: func(p *hal.TxPacket, now uint32) { p.Mode, p.CountUS = hal.TxTimestamped, now-2_000 }, want: hal.ErrTooLate},
		{name: "half a counter period ahead", edit: func(p *hal.TxPacket, now uint32) { p.Mode, p.CountUS = hal.TxTimestamped, now+1<<31-1 }},
		{name: "above the radio's TX range", edit: func(p *hal.TxPacket, _ uint32) { p.Freq = 870_100_000 }, want: hal.ErrFreqOutOfRange},
		{name: "radio without TX", edit: func(p *hal.TxPacket, _ uint32) { p.RFChain = 1 }, want: hal.ErrInvalid},
		{name: "SF6", edit: func(p *hal.TxPacket, _ uint32) { p.SpreadingFactor = 6 }, want: hal.ErrInvalid},
		{name: "no mode", edit: func(p *hal.TxPacket, _ uint32) { p.Mode = 0 }, want: hal.ErrInvalid},
		{name: "empty payload", edit: func(p *hal.TxPacket, _ uint32) { p.Payload = nil }, want: hal.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t)
			gw := w.gateway("gw1", sim.ConcentratorOptions{CounterStart: 10_000})
			w.clock.Advance(time.Second)
			now, err := gw.Counter()
			if err != nil {
				t.Fatal(err)
			}
			if tc.stopped {
				if err := gw.Stop(); err != nil {
					t.Fatal(err)
				}
			}
			p := valid()
			tc.edit(&p, now)
			err = gw.Send(context.Background(), p)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("Send: %v, want %v", err, tc.want)
			}
		})
	}
}

// TestTxQueue covers overlap (busy), queue capacity, the TxDone reports in
// order with their start counters, and Stop reporting what was pending.
func TestTxQueue(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw := w.gateway("gw1", sim.ConcentratorOptions{TxQueue: 2})
	tx := func(id uint64, at uint32) hal.TxPacket {
		p := downlinkTx(t, w.region, at, 869_525_000, 0, make([]byte, 20)) // SF12: about 1.2 s
		p.ID = id
		return p
	}
	ctx := context.Background()
	if err := gw.Send(ctx, tx(1, 1_000_000)); err != nil {
		t.Fatal(err)
	}
	if err := gw.Send(ctx, tx(2, 1_500_000)); !errors.Is(err, hal.ErrBusy) {
		t.Fatalf("overlapping Send: %v, want ErrBusy", err)
	}
	if err := gw.Send(ctx, tx(3, 5_000_000)); err != nil {
		t.Fatal(err)
	}
	if err := gw.Send(ctx, tx(4, 9_000_000)); !errors.Is(err, hal.ErrBusy) {
		t.Fatalf("Send on a full queue: %v, want ErrBusy", err)
	}
	w.clock.Advance(3 * time.Second)
	// Frame 1 has left; its unread report still counts against the queue.
	if err := gw.Send(ctx, tx(5, 9_000_000)); !errors.Is(err, hal.ErrBusy) {
		t.Fatalf("Send with a full report channel: %v, want ErrBusy", err)
	}
	if d := done(t, gw); d.ID != 1 || d.CountUS != 1_000_000 || d.Err != nil {
		t.Fatalf("first TxDone %+v, want ID 1 at 1000000", d)
	}
	w.clock.Advance(2*time.Second + 100*time.Millisecond) // frame 3 is on the air
	if err := gw.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := done(t, gw); d.ID != 3 || !errors.Is(d.Err, hal.ErrStopped) {
		t.Fatalf("TxDone at Stop %+v, want ID 3 with ErrStopped", d)
	}
	if _, ok := <-gw.TxDone(); ok {
		t.Fatal("TxDone not closed after Stop")
	}
	if s := gw.Stats(); s.Sent != 1 || s.Busy != 3 {
		t.Fatalf("stats %+v, want 1 sent, 3 busy", s)
	}
}

// TestStopAndRestart: Stop unblocks Receive, a new Start restarts the
// counter, and frames of the old run never leave.
func TestStopAndRestart(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	gw := w.gateway("gw1", sim.ConcentratorOptions{CounterStart: 42})
	got := make(chan error, 1)
	go func() {
		_, err := gw.Receive(context.Background())
		got <- err
	}()
	p := downlinkTx(t, w.region, 2_000_000, 869_525_000, 0, []byte{1})
	if err := gw.Send(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	w.air.SetPathLoss("gw1", "dev", 100)
	listener := &countingListener{}
	if err := w.air.Attach("dev", listener); err != nil {
		t.Fatal(err)
	}
	if err := gw.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, hal.ErrStopped) {
		t.Fatalf("Receive after Stop: %v, want ErrStopped", err)
	}
	if _, err := gw.Counter(); !errors.Is(err, hal.ErrStopped) {
		t.Fatalf("Counter after Stop: %v, want ErrStopped", err)
	}
	w.clock.Advance(5 * time.Second)
	if err := gw.Start(context.Background(), eu868Config()); err != nil {
		t.Fatal(err)
	}
	if err := gw.Start(context.Background(), eu868Config()); err == nil {
		t.Fatal("second Start: got nil error")
	}
	if c, err := gw.Counter(); err != nil || c != 42 {
		t.Fatalf("counter after restart %d (%v), want 42", c, err)
	}
	w.clock.Advance(5 * time.Second)
	if listener.started != 0 {
		t.Fatalf("%d frames on the air, want none from the stopped run", listener.started)
	}
	if err := gw.Start(context.Background(), hal.Config{}); err == nil {
		t.Fatal("Start with an empty config: got nil error")
	}
}

// countingListener counts frames heard.
type countingListener struct{ started, ended int }

func (l *countingListener) FrameStarted(*sim.Frame, sim.Reception) { l.started++ }
func (l *countingListener) FrameEnded(*sim.Frame, sim.Reception)   { l.ended++ }

// TestHalfDuplex: a gateway that transmits misses the uplink arriving
// meanwhile, unless it is full duplex.
func TestHalfDuplex(t *testing.T) {
	t.Parallel()
	for _, full := range []bool{false, true} {
		w := newWorld(t)
		gw := w.gateway("gw1", sim.ConcentratorOptions{FullDuplex: full})
		w.air.SetPathLoss("gw1", "dev", 100)
		tx := downlinkTx(t, w.region, 0, 869_525_000, 0, make([]byte, 30))
		tx.Mode = hal.TxImmediate
		if err := gw.Send(context.Background(), tx); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(100 * time.Millisecond)
		if _, err := w.air.Transmit("dev", probeFrame(868_100_000, 7, 12)); err != nil {
			t.Fatal(err)
		}
		w.clock.Advance(3 * time.Second)
		s := gw.Stats()
		if got := s.Received == 1; got != full {
			t.Errorf("full duplex %v: received %v (stats %+v)", full, got, s)
		}
	}
}

// TestPPS: without PPS the latch is never valid; with it, it holds the
// counter at the last whole second since Start.
func TestPPS(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.clock.Advance(300 * time.Millisecond)
	plain := w.gateway("plain", sim.ConcentratorOptions{})
	gps := w.gateway("gps", sim.ConcentratorOptions{PPS: true, CounterStart: 1_000})
	if _, ok, err := gps.PPSLatch(); err != nil || ok {
		t.Fatalf("PPS before the first pulse: ok %v err %v, want false", ok, err)
	}
	w.clock.Advance(2 * time.Second) // epoch + 2.3 s: last pulse at epoch + 2 s
	c, ok, err := gps.PPSLatch()
	if err != nil || !ok || c != 1_000+1_700_000 {
		t.Fatalf("PPS latch %d ok %v err %v, want 1701000 true", c, ok, err)
	}
	if _, ok, err := plain.PPSLatch(); err != nil || ok {
		t.Fatalf("PPS without a PPS input: ok %v err %v, want false", ok, err)
	}
}
