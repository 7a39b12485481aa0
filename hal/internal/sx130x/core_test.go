package sx130x

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
)

// fakeChip is a Chip that records what the Core asks of it. The tests
// call Core.poll themselves: the poll loop's interval is an hour.
type fakeChip struct {
	core *Core

	checkErr, startErr, checkTxErr, rxErr, abortErr, haltErr error
	counter                                                  uint32
	pps                                                      uint32
	ppsSeen                                                  bool
	states                                                   [2]TxState
	stateErr                                                 error
	toDeliver                                                []hal.RxPacket

	starts, polls, txNowCalls, halts int
	written, aborted                 []int
}

func (f *fakeChip) chip(slots ...string) Chip {
	return Chip{
		Name:  "fake",
		Slots: slots,
		Check: func(*hal.Config) error { return f.checkErr },
		Start: func(context.Context, *hal.Config) error {
			f.starts++
			return f.startErr
		},
		PollRX: func() error {
			f.polls++
			for _, p := range f.toDeliver {
				f.core.Deliver(p)
			}
			f.toDeliver = nil
			return f.rxErr
		},
		Counter:  func() (uint32, error) { return f.counter, nil },
		PPSLatch: func() (uint32, bool, error) { return f.pps, f.ppsSeen, nil },
		CheckTx:  func(*hal.TxPacket) error { return f.checkTxErr },
		Slot:     func(tx *hal.TxPacket) int { return tx.RFChain % len(slots) },
		WriteTX: func(slot int, _ *hal.TxPacket) error {
			f.written = append(f.written, slot)
			return nil
		},
		TxState: func(slot int) (TxState, error) { return f.states[slot], f.stateErr },
		TxNow: func() (uint32, error) {
			f.txNowCalls++
			return f.counter, nil
		},
		AbortTX: func(_ context.Context, slot int) error {
			f.aborted = append(f.aborted, slot)
			return f.abortErr
		},
		Halt: func() error {
			f.halts++
			return f.haltErr
		},
	}
}

// newCore returns a started Core on a fake chip with the given TX slots.
func newCore(t *testing.T, slots ...string) (*Core, *fakeChip) {
	t.Helper()
	f := &fakeChip{counter: 1_000_000}
	c := New(f.chip(slots...), Options{PollInterval: time.Hour, TxLead: 20 * time.Millisecond})
	f.core = c
	if err := c.Start(context.Background(), testConfig()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { c.Stop() })
	return c, f
}

// testConfig enables both radios for TX around 868 MHz.
func testConfig() hal.Config {
	var cfg hal.Config
	for i := range cfg.Radios {
		cfg.Radios[i] = hal.RFChain{Enable: true, Freq: 868_000_000, TxEnable: true, TxFreqMin: 863_000_000, TxFreqMax: 870_000_000}
	}
	return cfg
}

// frame is a valid LoRa frame for radio rf.
func frame(id uint64, rf int, mode hal.TxMode, at uint32) hal.TxPacket {
	return hal.TxPacket{ID: id, Mode: mode, CountUS: at, Freq: 868_100_000, RFChain: rf, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, Payload: []byte{1, 2, 3}}
}

func TestStartTwiceAndChecks(t *testing.T) {
	c, f := newCore(t, "buf")
	if err := c.Start(context.Background(), testConfig()); err == nil || !strings.Contains(err.Error(), "fake: already started") {
		t.Errorf("second Start: %v, want fake: already started", err)
	}
	if f.starts != 1 {
		t.Errorf("chip started %d times, want 1", f.starts)
	}
	// The chip's check runs before the running check.
	f.checkErr = hal.ErrInvalid
	if err := c.Start(context.Background(), testConfig()); !errors.Is(err, hal.ErrInvalid) {
		t.Errorf("Start with a refused config: %v, want ErrInvalid", err)
	}
}

func TestStartFailureLeavesStopped(t *testing.T) {
	f := &fakeChip{startErr: errors.New("fake: start: no chip")}
	c := New(f.chip("buf"), Options{PollInterval: time.Hour})
	f.core = c
	if err := c.Start(context.Background(), testConfig()); !errors.Is(err, f.startErr) {
		t.Fatalf("Start: %v, want the chip's error as it is", err)
	}
	if _, err := c.Receive(context.Background()); !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Receive: %v, want ErrStopped", err)
	}
	if err := c.Send(context.Background(), frame(1, 0, hal.TxImmediate, 0)); !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Send: %v, want ErrStopped", err)
	}
	if _, err := c.Counter(); !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Counter: %v, want ErrStopped", err)
	}
	if _, _, err := c.PPSLatch(); !errors.Is(err, hal.ErrStopped) {
		t.Errorf("PPSLatch: %v, want ErrStopped", err)
	}
	if _, ok := <-c.TxDone(); ok {
		t.Error("TxDone before a run is not closed")
	}
	if err := c.Stop(); err != nil || f.halts != 0 {
		t.Errorf("Stop of a stopped core: %v, %d halts, want nil and none", err, f.halts)
	}
}

func TestSendChecks(t *testing.T) {
	c, f := newCore(t, "radio_0", "radio_1")
	now := f.counter
	if err := c.Send(context.Background(), frame(1, 0, hal.TxTimestamped, now+500_000)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	cases := []struct {
		name  string
		tx    hal.TxPacket
		setup func()
		want  error
		msg   string
	}{
		{name: "slot busy", tx: frame(2, 0, hal.TxImmediate, 0), want: hal.ErrBusy, msg: "fake: radio_0 holds a frame already"},
		{name: "too late", tx: frame(3, 1, hal.TxTimestamped, now+19_000), want: hal.ErrTooLate, msg: "fake: frame starts in 19000 µs"},
		{name: "in the past", tx: frame(4, 1, hal.TxTimestamped, now-1), want: hal.ErrTooLate},
		{name: "invalid frame", tx: hal.TxPacket{ID: 5, Mode: hal.TxImmediate}, want: hal.ErrInvalid},
		{name: "out of band", tx: func() hal.TxPacket { p := frame(6, 1, hal.TxImmediate, 0); p.Freq = 871_000_000; return p }(),
			want: hal.ErrFreqOutOfRange},
		{name: "refused by the chip", tx: frame(7, 1, hal.TxImmediate, 0), setup: func() { f.checkTxErr = hal.ErrInvalid },
			want: hal.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f.checkTxErr = nil
			if tc.setup != nil {
				tc.setup()
			}
			err := c.Send(context.Background(), tc.tx)
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("Send: %v, want %v saying %q", err, tc.want, tc.msg)
			}
		})
	}
	f.checkTxErr = nil
	if err := c.Send(context.Background(), frame(8, 1, hal.TxImmediate, 0)); err != nil {
		t.Errorf("Send on the other slot: %v", err)
	}
	if want := []int{0, 1}; len(f.written) != 2 || f.written[0] != want[0] || f.written[1] != want[1] {
		t.Errorf("slots written %v, want %v", f.written, want)
	}
}

func TestSendWhileTxDoneFull(t *testing.T) {
	c, f := newCore(t, "buf")
	// Reports nobody reads fill TxDone's channel; Send then refuses a
	// frame even though the buffer is free, so that the poll loop never
	// blocks on a report.
	f.states[0] = TxEmitting
	for i := range txDoneCap {
		if err := c.Send(context.Background(), frame(uint64(i), 0, hal.TxImmediate, 0)); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
		f.states[0] = TxEmitting
		c.poll()
		f.states[0] = TxFree
		c.poll()
	}
	if n := len(c.TxDone()); n != txDoneCap {
		t.Fatalf("%d reports waiting, want %d", n, txDoneCap)
	}
	if err := c.Send(context.Background(), frame(99, 0, hal.TxImmediate, 0)); !errors.Is(err, hal.ErrBusy) {
		t.Errorf("Send with TxDone full: %v, want ErrBusy", err)
	}
	<-c.TxDone()
	if err := c.Send(context.Background(), frame(100, 0, hal.TxImmediate, 0)); err != nil {
		t.Errorf("Send once a report was read: %v", err)
	}
}

func TestPollReportsTxDone(t *testing.T) {
	c, f := newCore(t, "radio_0", "radio_1")
	start := f.counter + 100_000
	tx := frame(1, 0, hal.TxTimestamped, start)
	air := uint32(tx.AirTime().Microseconds())
	if err := c.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), frame(2, 1, hal.TxImmediate, 0)); err != nil {
		t.Fatal(err)
	}
	done := c.TxDone()
	steps := []struct {
		name    string
		states  [2]TxState
		counter uint32
		want    []uint64 // IDs reported by this poll
	}{
		{"both scheduled", [2]TxState{TxScheduled, TxScheduled}, f.counter, nil},
		{"radio_0 on air, radio_1 free before its air time", [2]TxState{TxEmitting, TxFree}, f.counter + 10, nil},
		{"radio_0 free after being seen on air", [2]TxState{TxFree, TxFree}, f.counter + 20, []uint64{1}},
		{"radio_1 free after its air time", [2]TxState{TxFree, TxFree}, f.counter + air + 1000, []uint64{2}},
	}
	for _, s := range steps {
		f.states, f.counter = s.states, s.counter
		c.poll()
		var got []uint64
		for len(done) > 0 {
			d := <-done
			if d.Err != nil {
				t.Errorf("%s: TxDone %+v with an error", s.name, d)
			}
			if d.ID == 1 && d.CountUS != start {
				t.Errorf("%s: frame 1 reported at %d, want its start %d", s.name, d.CountUS, start)
			}
			got = append(got, d.ID)
		}
		if len(got) != len(s.want) || len(got) > 0 && got[0] != s.want[0] {
			t.Errorf("%s: reported %v, want %v", s.name, got, s.want)
		}
	}
	// TxNow is read only for a free slot whose frame was never seen on
	// air: radio_1 at the second, third and fourth polls.
	if f.txNowCalls != 3 {
		t.Errorf("TxNow called %d times, want 3", f.txNowCalls)
	}
}

func TestPollErrors(t *testing.T) {
	c, f := newCore(t, "buf")
	if err := c.Send(context.Background(), frame(1, 0, hal.TxImmediate, 0)); err != nil {
		t.Fatal(err)
	}
	f.states[0] = TxFree
	f.counter += 10_000_000

	// An RX error ends the poll before the TX slots are looked at.
	f.rxErr = errors.New("fake: spi down")
	c.poll()
	if st := c.Stats(); !errors.Is(st.LastError, f.rxErr) || st.Dropped != 0 {
		t.Errorf("stats %+v, want the RX error noted without a drop", st)
	}
	if len(c.TxDone()) != 0 {
		t.Error("TX reported in a poll whose RX part failed")
	}
	// A TX state error is noted and the slot kept for the next poll.
	f.rxErr, f.stateErr = nil, errors.New("fake: unknown tx status")
	c.poll()
	if st := c.Stats(); !errors.Is(st.LastError, f.stateErr) || len(c.TxDone()) != 0 {
		t.Errorf("stats %+v, want the TX state error and no report", st)
	}
	f.stateErr = nil
	c.poll()
	if d := <-c.TxDone(); d.ID != 1 {
		t.Errorf("TxDone %+v, want frame 1", d)
	}
}

func TestDeliverAndQueueFull(t *testing.T) {
	c, f := newCore(t, "buf")
	for i := range rxQueue + 2 {
		f.toDeliver = append(f.toDeliver, hal.RxPacket{CountUS: uint32(i)})
	}
	c.poll()
	st := c.Stats()
	if st.Received != rxQueue || st.Dropped != 2 || st.LastError == nil || !strings.Contains(st.LastError.Error(), "fake: receive queue full") {
		t.Errorf("stats %+v, want %d received, 2 dropped for a full queue", st, rxQueue)
	}
	for i := range rxQueue {
		p, err := c.Receive(context.Background())
		if err != nil || p.CountUS != uint32(i) {
			t.Fatalf("Receive %d: %+v, %v", i, p, err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Receive with a done context: %v, want context.Canceled", err)
	}
}

func TestStopAbortsReportsAndHalts(t *testing.T) {
	c, f := newCore(t, "radio_0", "radio_1")
	if err := c.Send(context.Background(), frame(9, 1, hal.TxTimestamped, f.counter+2_000_000)); err != nil {
		t.Fatal(err)
	}
	done := c.TxDone()
	recv := make(chan error, 1)
	go func() {
		_, err := c.Receive(context.Background())
		recv <- err
	}()
	f.abortErr, f.haltErr = errors.New("fake: abort"), errors.New("fake: halt")
	err := c.Stop()
	if !errors.Is(err, f.abortErr) || !errors.Is(err, f.haltErr) {
		t.Errorf("Stop: %v, want both the abort and the halt errors", err)
	}
	if len(f.aborted) != 1 || f.aborted[0] != 1 || f.halts != 1 {
		t.Errorf("aborted %v, %d halts, want slot 1 aborted and one halt", f.aborted, f.halts)
	}
	if d, ok := <-done; !ok || d.ID != 9 || !errors.Is(d.Err, hal.ErrStopped) {
		t.Errorf("TxDone %+v (ok %v), want frame 9 with ErrStopped", d, ok)
	}
	if _, ok := <-done; ok {
		t.Error("TxDone still open after Stop")
	}
	if err := <-recv; !errors.Is(err, hal.ErrStopped) {
		t.Errorf("Receive during Stop: %v, want ErrStopped", err)
	}
	if err := c.Stop(); err != nil || f.halts != 1 {
		t.Errorf("second Stop: %v, %d halts, want nil and still one", err, f.halts)
	}
	// A new run starts with free slots and fresh stats.
	f.abortErr, f.haltErr = nil, nil
	if err := c.Start(context.Background(), testConfig()); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(context.Background(), frame(10, 1, hal.TxImmediate, 0)); err != nil {
		t.Errorf("Send after a restart: %v", err)
	}
}

func TestCounterAndPPS(t *testing.T) {
	c, f := newCore(t, "buf")
	f.counter, f.pps, f.ppsSeen = 42, 7, true
	if n, err := c.Counter(); err != nil || n != 42 {
		t.Errorf("Counter: %d, %v, want 42", n, err)
	}
	if n, ok, err := c.PPSLatch(); err != nil || n != 7 || !ok {
		t.Errorf("PPSLatch: %d %v %v, want 7 true", n, ok, err)
	}
}

func TestWait(t *testing.T) {
	c := New(Chip{Name: "fake"}, Options{})
	if err := c.Wait(context.Background(), time.Microsecond); err != nil {
		t.Errorf("Wait on a timer: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := c.Wait(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Wait with a done context: %v, want context.Canceled", err)
	}
	var waited time.Duration
	c = New(Chip{Name: "fake"}, Options{Wait: func(_ context.Context, d time.Duration) error { waited += d; return nil }})
	if err := c.Wait(context.Background(), 3*time.Second); err != nil || waited != 3*time.Second {
		t.Errorf("Wait through Options.Wait: %v, waited %v, want 3s", err, waited)
	}
}
