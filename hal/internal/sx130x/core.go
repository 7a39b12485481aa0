package sx130x

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/loraedge/loraedge/hal"
)

// TxState is what a chip's TX state machine says about the frame its
// buffer holds.
type TxState uint8

// TX states a Chip's TxState reports.
const (
	// TxFree: the buffer is free; the frame has left, or never started.
	TxFree TxState = iota
	// TxScheduled: the frame waits for its trigger.
	TxScheduled
	// TxEmitting: the frame is on the air.
	TxEmitting
)

// Chip is what a driver provides: the functions that touch its chip. The
// Core calls each with its lock held, from the caller's goroutine or the
// poll loop's. Check, CheckTx and Slot are optional.
type Chip struct {
	// Name prefixes the Core's errors and log messages ("sx1302").
	Name string
	// Slots name the chip's TX buffers, which each hold one frame
	// ("radio_0", "radio_1" on an SX1302, one shared buffer on an
	// SX1301). Send reports a busy slot as "<name>: <slot> holds a frame
	// already".
	Slots []string

	// Check refuses a configuration the chip cannot take; it runs before
	// Start takes the lock and before any other check.
	Check func(cfg *hal.Config) error
	// Start resets and configures the chip for cfg (lgw_start). Its error
	// is returned as it is: Start adds the driver's prefix.
	Start func(ctx context.Context, cfg *hal.Config) error
	// PollRX fetches what the chip received and hands the frames to
	// Core.Deliver, noting recoverable problems with Core.NoteError. A
	// non-nil error is noted and ends the poll before the TX slots are
	// checked.
	PollRX func() error
	// Counter reads the live 32-bit µs counter.
	Counter func() (uint32, error)
	// PPSLatch reads the counter latched at the last PPS pulse and
	// whether a pulse was seen since Start.
	PPSLatch func() (count uint32, ok bool, err error)

	// CheckTx refuses a frame the driver cannot send; it runs after
	// hal.TxPacket.Validate, before Send takes the lock.
	CheckTx func(tx *hal.TxPacket) error
	// Slot returns the index in Slots of the buffer tx goes to; nil
	// means slot 0.
	Slot func(tx *hal.TxPacket) int
	// WriteTX programs slot's buffer with tx and triggers it (at once or
	// at tx.CountUS).
	WriteTX func(slot int, tx *hal.TxPacket) error
	// TxState reads slot's TX state machine; an error (an unknown state
	// too) is noted and the slot looked at again at the next poll.
	TxState func(slot int) (TxState, error)
	// TxNow returns the counter against which a free slot whose frame
	// was never seen on air is checked: the frame has left once its air
	// time since its start has passed. It is called only then.
	TxNow func() (uint32, error)
	// AbortTX clears slot's trigger when Stop finds a frame pending.
	AbortTX func(ctx context.Context, slot int) error
	// Halt leaves the chip idle once the run has ended (after TxDone's
	// channel is closed).
	Halt func() error
}

// Options are the tunables of a Core, from the driver's Options with its
// defaults applied.
type Options struct {
	// PollInterval is the period of the poll loop (> 0).
	PollInterval time.Duration
	// TxLead is the least time before its start at which Send accepts a
	// timestamped frame.
	TxLead time.Duration
	// Wait pauses for d; nil uses a timer.
	Wait func(ctx context.Context, d time.Duration) error
	// Logger receives the poll loop's warnings; nil discards.
	Logger *slog.Logger
}

// Stats counts what the poll loop met since Start.
type Stats struct {
	// Received counts frames delivered to Receive's queue.
	Received int
	// Dropped counts frames lost.
	Dropped int
	// LastError is the last problem the poll loop met (nil if none).
	LastError error
}

// txDoneCap is the capacity of the TxDone channel; rxQueue how many
// received frames wait for Receive before new ones are dropped.
const (
	txDoneCap = 16
	rxQueue   = 64
)

// slot is the frame one TX buffer holds.
type slot struct {
	busy     bool
	id       uint64
	start    uint32 // counter at which emission starts (requested, or trigger time)
	airUS    uint32
	emitting bool
}

// Core runs a chip as a hal.Concentrator: the run state, the poll loop,
// the receive queue and the TX slots. Its lock also guards the driver's
// chip state, which the Chip functions use.
type Core struct {
	chip Chip
	opts Options
	log  *slog.Logger

	mu      sync.Mutex // guards everything below and the driver's chip state
	running bool
	cfg     hal.Config
	stats   Stats
	slots   []slot
	txDone  chan hal.TxDone
	rx      chan hal.RxPacket
	stop    chan struct{}
	loop    sync.WaitGroup
}

var _ hal.Concentrator = (*Core)(nil)

// New returns a stopped Core for chip.
func New(chip Chip, opts Options) *Core {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	closed := make(chan hal.TxDone)
	close(closed)
	return &Core{chip: chip, opts: opts, log: log, slots: make([]slot, len(chip.Slots)), txDone: closed}
}

// Lock takes the Core's lock, for a driver reading its chip state outside
// the Chip functions.
func (c *Core) Lock() { c.mu.Lock() }

// Unlock releases the lock Lock took.
func (c *Core) Unlock() { c.mu.Unlock() }

// Wait pauses for d through Options.Wait, or a timer.
func (c *Core) Wait(ctx context.Context, d time.Duration) error {
	if c.opts.Wait != nil {
		return c.opts.Wait(ctx, d)
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-tm.C:
		return nil
	}
}

// Config returns the configuration of the current run; the caller holds
// the lock (a Chip function).
func (c *Core) Config() *hal.Config { return &c.cfg }

// NoteError records a poll-loop problem that cost dropped frames; the
// caller holds the lock.
func (c *Core) NoteError(err error, dropped int) {
	c.stats.LastError = err
	c.stats.Dropped += dropped
	c.log.Warn(c.chip.Name+" poll", "error", err)
}

// Deliver queues a received frame for Receive, or drops it when the
// queue is full; the caller holds the lock.
func (c *Core) Deliver(p hal.RxPacket) {
	select {
	case c.rx <- p:
		c.stats.Received++
	default:
		c.NoteError(fmt.Errorf("%s: receive queue full: frame dropped", c.chip.Name), 1)
	}
}

// Stats returns the poll loop's counters.
func (c *Core) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// Start checks cfg, starts the chip and the poll loop.
func (c *Core) Start(ctx context.Context, cfg hal.Config) error {
	if c.chip.Check != nil {
		if err := c.chip.Check(&cfg); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return fmt.Errorf("%s: already started: stop it first", c.chip.Name)
	}
	if err := c.chip.Start(ctx, &cfg); err != nil {
		return err
	}
	c.cfg = cfg
	c.running = true
	c.stats = Stats{}
	clear(c.slots)
	c.txDone = make(chan hal.TxDone, txDoneCap)
	c.rx = make(chan hal.RxPacket, rxQueue)
	c.stop = make(chan struct{})
	c.loop.Add(1)
	go c.pollLoop(c.stop)
	return nil
}

// Stop aborts the pending frames (reported with hal.ErrStopped), stops
// the poll loop, closes TxDone's channel, halts the chip and makes
// blocked Receive calls return hal.ErrStopped.
func (c *Core) Stop() error {
	c.mu.Lock()
	if !c.running {
		c.mu.Unlock()
		return nil
	}
	c.running = false
	close(c.stop)
	c.mu.Unlock()
	c.loop.Wait()

	c.mu.Lock()
	defer c.mu.Unlock()
	var errs []error
	ctx := context.Background()
	for i := range c.slots {
		s := &c.slots[i]
		if !s.busy {
			continue
		}
		if err := c.chip.AbortTX(ctx, i); err != nil {
			errs = append(errs, err)
		}
		c.txDone <- hal.TxDone{ID: s.id, Err: hal.ErrStopped}
		*s = slot{}
	}
	close(c.txDone)
	if err := c.chip.Halt(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// TxDone returns the channel of TX reports of the current run.
func (c *Core) TxDone() <-chan hal.TxDone {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txDone
}

// Receive returns the next received frame.
func (c *Core) Receive(ctx context.Context) (hal.RxPacket, error) {
	c.mu.Lock()
	rx, stop, running := c.rx, c.stop, c.running
	c.mu.Unlock()
	if !running {
		return hal.RxPacket{}, hal.ErrStopped
	}
	select {
	case p := <-rx:
		return p, nil
	case <-stop:
		return hal.RxPacket{}, hal.ErrStopped
	case <-ctx.Done():
		return hal.RxPacket{}, ctx.Err()
	}
}

// Counter returns the live 32-bit microsecond counter.
func (c *Core) Counter() (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return 0, hal.ErrStopped
	}
	return c.chip.Counter()
}

// PPSLatch returns the counter latched at the last PPS pulse.
func (c *Core) PPSLatch() (uint32, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return 0, false, hal.ErrStopped
	}
	return c.chip.PPSLatch()
}

// Send checks tx, writes it to its slot's buffer and triggers it, at
// once or at tx.CountUS; the slot is busy until the poll loop reports
// the frame on TxDone.
func (c *Core) Send(ctx context.Context, tx hal.TxPacket) error {
	if err := tx.Validate(); err != nil {
		return err
	}
	if c.chip.CheckTx != nil {
		if err := c.chip.CheckTx(&tx); err != nil {
			return err
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return hal.ErrStopped
	}
	if err := c.cfg.CheckTx(&tx); err != nil {
		return err
	}
	i := 0
	if c.chip.Slot != nil {
		i = c.chip.Slot(&tx)
	}
	queued := 0
	for _, s := range c.slots {
		if s.busy {
			queued++
		}
	}
	if c.slots[i].busy || queued+len(c.txDone) >= cap(c.txDone) {
		return fmt.Errorf("%w: %s: %s holds a frame already", hal.ErrBusy, c.chip.Name, c.chip.Slots[i])
	}
	now, err := c.chip.Counter()
	if err != nil {
		return err
	}
	start := now
	if tx.Mode == hal.TxTimestamped {
		lead := int64(int32(tx.CountUS - now))
		if lead < c.opts.TxLead.Microseconds() {
			return fmt.Errorf("%w: %s: frame starts in %d µs, at least %v needed", hal.ErrTooLate, c.chip.Name, lead, c.opts.TxLead)
		}
		start = tx.CountUS
	}
	if err := c.chip.WriteTX(i, &tx); err != nil {
		return err
	}
	c.slots[i] = slot{busy: true, id: tx.ID, start: start, airUS: uint32(tx.AirTime().Microseconds())}
	return nil
}

// pollLoop polls the chip every PollInterval until stop closes.
func (c *Core) pollLoop(stop <-chan struct{}) {
	defer c.loop.Done()
	t := time.NewTicker(c.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		c.poll()
	}
}

// poll runs the chip's RX poll, then checks the TX slots.
func (c *Core) poll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return
	}
	if err := c.chip.PollRX(); err != nil {
		c.NoteError(err, 0)
		return
	}
	c.pollTX()
}

// pollTX reports the frames whose emission has ended: the slot is free
// again after the frame was seen on air, or after its start plus its air
// time has passed (a short frame between two polls).
func (c *Core) pollTX() {
	for i := range c.slots {
		s := &c.slots[i]
		if !s.busy {
			continue
		}
		st, err := c.chip.TxState(i)
		if err != nil {
			c.NoteError(err, 0)
			continue
		}
		switch st {
		case TxEmitting:
			s.emitting = true
			continue
		case TxScheduled:
			continue
		}
		if !s.emitting {
			now, err := c.chip.TxNow()
			if err != nil {
				c.NoteError(err, 0)
				continue
			}
			if int32(now-s.start) < int32(s.airUS) {
				continue
			}
		}
		c.txDone <- hal.TxDone{ID: s.id, CountUS: s.start}
		*s = slot{}
	}
}
