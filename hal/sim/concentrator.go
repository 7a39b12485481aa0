package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/loraedge/loraedge/hal"
)

// Defaults of ConcentratorOptions.
const (
	// DefaultLateMargin is how far past its instant a timestamped frame may
	// be handed over and still go out (at once, slightly late).
	DefaultLateMargin = time.Millisecond
	// DefaultRxQueue is the number of received frames held for Receive
	// (the SX1301 FIFO holds 16; the host side of a real driver buffers
	// more).
	DefaultRxQueue = 64
	// DefaultTxQueue is the number of frames that may be queued for
	// transmission, counting reports not yet read from TxDone.
	DefaultTxQueue = 16
	// DefaultDemodulators is the number of frames the multi-SF channels
	// can demodulate at once (the SX1301 has 8 multi-SF demodulators).
	DefaultDemodulators = 8
)

// ConcentratorOptions are the settings of a simulated concentrator; the
// zero value gives the defaults.
type ConcentratorOptions struct {
	// CounterStart is the value of the 32-bit microsecond counter at Start
	// (a real one starts near 0; tests start it just before the wrap).
	CounterStart uint32
	// PPS gives the concentrator a PPS input pulsing at every whole second
	// of the clock, as a GPS receiver would.
	PPS bool
	// RxQueue, TxQueue and Demodulators override the defaults above.
	RxQueue, TxQueue, Demodulators int
	// LateMargin overrides DefaultLateMargin; a negative value allows no
	// lateness at all.
	LateMargin time.Duration
	// FullDuplex lets the concentrator receive while it transmits (the
	// SX1302 full_duplex option); otherwise its own emission blinds it.
	FullDuplex bool
	// DeliverBadCRC hands damaged (collided or cut) frames that carry a CRC
	// to Receive with CRC set to hal.CRCBad, as a real concentrator often
	// does, instead of losing them.
	DeliverBadCRC bool
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// ConcentratorStats counts what happened to frames, for tests and demos.
type ConcentratorStats struct {
	Received      int // frames queued for Receive
	BadCRC        int // damaged frames delivered with hal.CRCBad
	Collided      int // frames lost to a collision on their channel
	NoChannel     int // frames on no enabled channel (or with the other polarity or sync word)
	TooWeak       int // frames below the demodulation floor of their SF
	Blind         int // frames missed while the concentrator transmitted
	NoDemodulator int // frames missed because every demodulator was busy
	Overflow      int // frames dropped because Receive did not keep up
	Sent          int // frames fully transmitted
	TooLate       int // Send refused with hal.ErrTooLate
	Busy          int // Send refused with hal.ErrBusy
}

// Concentrator is a simulated SX130x concentrator on an Air. It implements
// hal.Concentrator.
type Concentrator struct {
	air  *Air
	name string
	opts ConcentratorOptions
	log  *slog.Logger

	mu      sync.Mutex
	running bool
	gen     uint64 // run number, checked by callbacks of earlier runs
	cfg     hal.Config
	t0      time.Time // clock time at Start, when the counter was CounterStart
	rx      chan hal.RxPacket
	done    chan hal.TxDone
	stopped chan struct{}
	locked  map[uint64]lock // frames being demodulated, by frame ID
	txq     []*txJob        // queued or emitting frames
	txLog   []span          // recent emissions, for half-duplex blindness
	stats   ConcentratorStats
}

// lock is a frame a demodulator has locked onto.
type lock struct {
	gen     uint64
	ifChain int
	rfChain int
	multiSF bool
}

// span is a time interval [start, end).
type span struct{ start, end time.Time }

// txJob is a frame accepted by Send.
type txJob struct {
	gen      uint64
	id       uint64
	frame    Frame
	start    time.Time
	end      time.Time
	timer    Timer
	emitting bool
	frameID  uint64
}

var _ hal.Concentrator = (*Concentrator)(nil)

// NewConcentrator attaches a stopped concentrator to air under name (the
// name path losses use, a gateway EUI for instance).
func NewConcentrator(air *Air, name string, opts ConcentratorOptions) (*Concentrator, error) {
	if opts.RxQueue <= 0 {
		opts.RxQueue = DefaultRxQueue
	}
	if opts.TxQueue <= 0 {
		opts.TxQueue = DefaultTxQueue
	}
	if opts.Demodulators <= 0 {
		opts.Demodulators = DefaultDemodulators
	}
	switch {
	case opts.LateMargin == 0:
		opts.LateMargin = DefaultLateMargin
	case opts.LateMargin < 0:
		opts.LateMargin = 0
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	done := make(chan hal.TxDone)
	close(done)
	c := &Concentrator{air: air, name: name, opts: opts, log: log.With("gateway", name), done: done}
	if err := air.Attach(name, c); err != nil {
		return nil, err
	}
	return c, nil
}

// Name returns the concentrator's name on the air.
func (c *Concentrator) Name() string { return c.name }

// Close stops the concentrator and takes it off the air.
func (c *Concentrator) Close() error {
	err := c.Stop()
	c.air.Detach(c.name)
	return err
}

// Start validates cfg and starts a run: the counter restarts at
// CounterStart.
func (c *Concentrator) Start(ctx context.Context, cfg hal.Config) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: start: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("sim: start: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return errors.New("sim: start: concentrator already running")
	}
	c.running = true
	c.gen++
	c.cfg = cfg
	c.t0 = c.air.clock.Now()
	c.rx = make(chan hal.RxPacket, c.opts.RxQueue)
	c.done = make(chan hal.TxDone, c.opts.TxQueue)
	c.stopped = make(chan struct{})
	c.locked = map[uint64]lock{}
	c.txq = nil
	c.txLog = nil
	c.log.Debug("concentrator started", "counter", c.opts.CounterStart)
	return nil
}

// Stop ends the run; see hal.Concentrator.
func (c *Concentrator) Stop() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return nil
	}
	c.running = false
	for _, j := range c.txq {
		j.timer.Stop()
		if j.emitting {
			c.air.truncate(j.frameID)
		}
		c.done <- hal.TxDone{ID: j.id, Err: hal.ErrStopped}
	}
	c.txq = nil
	close(c.done)
	close(c.stopped)
	clear(c.locked)
	c.log.Debug("concentrator stopped")
	return nil
}

// Receive returns the next received frame; see hal.Concentrator. A frame
// already queued is returned even if ctx is done, so a test can drain the
// queue with a cancelled context.
func (c *Concentrator) Receive(ctx context.Context) (hal.RxPacket, error) {
	c.mu.Lock()
	running, rx, stopped := c.running, c.rx, c.stopped
	c.mu.Unlock()
	if !running {
		return hal.RxPacket{}, fmt.Errorf("sim: receive: %w", hal.ErrStopped)
	}
	select {
	case p := <-rx:
		return p, nil
	default:
	}
	select {
	case p := <-rx:
		return p, nil
	case <-stopped:
		return hal.RxPacket{}, fmt.Errorf("sim: receive: %w", hal.ErrStopped)
	case <-ctx.Done():
		return hal.RxPacket{}, fmt.Errorf("sim: receive: %w", ctx.Err())
	}
}

// TxDone returns the TX report channel of the current run.
func (c *Concentrator) TxDone() <-chan hal.TxDone {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done
}

// Counter returns the live counter.
func (c *Concentrator) Counter() (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return 0, fmt.Errorf("sim: counter: %w", hal.ErrStopped)
	}
	return c.counterAt(c.air.clock.Now()), nil
}

// PPSLatch returns the counter at the last whole second of the clock, if
// the concentrator has a PPS input and a pulse came since Start.
func (c *Concentrator) PPSLatch() (uint32, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return 0, false, fmt.Errorf("sim: pps: %w", hal.ErrStopped)
	}
	if !c.opts.PPS {
		return 0, false, nil
	}
	last := c.air.clock.Now().Truncate(time.Second)
	if last.Before(c.t0) {
		return 0, false, nil
	}
	return c.counterAt(last), true, nil
}

// Stats returns the counters since the concentrator was made.
func (c *Concentrator) Stats() ConcentratorStats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// counterAt is the counter value at t. The caller holds c.mu.
func (c *Concentrator) counterAt(t time.Time) uint32 {
	return c.opts.CounterStart + uint32(int64(t.Sub(c.t0)/time.Microsecond))
}

// Send queues a frame; see hal.Concentrator.
func (c *Concentrator) Send(ctx context.Context, tx hal.TxPacket) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: send: %w", err)
	}
	if err := tx.Validate(); err != nil {
		return fmt.Errorf("sim: send: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return fmt.Errorf("sim: send: %w", hal.ErrStopped)
	}
	if err := c.cfg.CheckTx(&tx); err != nil {
		return fmt.Errorf("sim: send: %w", err)
	}
	now := c.air.clock.Now()
	start := now
	if tx.Mode == hal.TxTimestamped {
		elapsed := int64(now.Sub(c.t0) / time.Microsecond)
		delta := int64(int32(tx.CountUS - c.counterAt(now)))
		start = c.t0.Add(time.Duration(elapsed+delta) * time.Microsecond)
		if late := now.Sub(start); late > c.opts.LateMargin {
			c.stats.TooLate++
			return fmt.Errorf("sim: send at counter %d, %v after its instant: %w", tx.CountUS, late, hal.ErrTooLate)
		}
		if start.Before(now) {
			start = now
		}
	}
	f := Frame{
		Freq:            tx.Freq,
		Modulation:      tx.Modulation,
		SpreadingFactor: tx.SpreadingFactor,
		Bandwidth:       tx.Bandwidth,
		CodeRate:        tx.CodeRate,
		DataRate:        tx.DataRate,
		InvertIQ:        tx.InvertPol,
		PrivateSync:     c.cfg.PrivateSyncWord,
		Preamble:        tx.Preamble,
		CRC:             !tx.NoCRC,
		NoHeader:        tx.NoHeader,
		Power:           float64(tx.Power),
		Payload:         append([]byte(nil), tx.Payload...),
	}
	end := start.Add(f.AirTime())
	for _, j := range c.txq {
		if start.Before(j.end) && j.start.Before(end) {
			c.stats.Busy++
			return fmt.Errorf("sim: send at counter %d overlaps frame %d: %w", tx.CountUS, j.id, hal.ErrBusy)
		}
	}
	if len(c.txq)+len(c.done) >= cap(c.done) {
		c.stats.Busy++
		return fmt.Errorf("sim: send: %d frames queued or unreported: %w", len(c.txq)+len(c.done), hal.ErrBusy)
	}
	j := &txJob{gen: c.gen, id: tx.ID, frame: f, start: start, end: end}
	c.txq = append(c.txq, j)
	j.timer = c.air.clock.AfterFunc(start.Sub(now), func() { c.emit(j) })
	c.log.Debug("tx queued", "id", tx.ID, "freq", tx.Freq, "start_in", start.Sub(now))
	return nil
}

// emit puts a queued frame on the air at its instant.
func (c *Concentrator) emit(j *txJob) {
	c.mu.Lock()
	if !c.running || j.gen != c.gen {
		c.mu.Unlock()
		return
	}
	j.emitting = true
	c.txLog = appendSpan(c.txLog, span{j.start, j.end}, c.air.clock.Now())
	c.mu.Unlock()

	// Listeners are called from transmitAt: hold no lock here.
	out, err := c.air.transmitAt(c.name, j.frame, j.start)

	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running || j.gen != c.gen {
		if err == nil {
			c.air.truncate(out.ID)
		}
		return
	}
	if err != nil {
		c.removeJob(j)
		c.done <- hal.TxDone{ID: j.id, Err: fmt.Errorf("sim: emit: %w", err)}
		return
	}
	j.frameID = out.ID
	j.end = out.End
	j.timer = c.air.clock.AfterFunc(out.End.Sub(c.air.clock.Now()), func() { c.finishTx(j) })
}

// finishTx reports a frame that has left.
func (c *Concentrator) finishTx(j *txJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running || j.gen != c.gen {
		return
	}
	c.removeJob(j)
	c.stats.Sent++
	c.done <- hal.TxDone{ID: j.id, CountUS: c.counterAt(j.start)}
}

// removeJob drops j from the queue. The caller holds c.mu.
func (c *Concentrator) removeJob(j *txJob) {
	for i, q := range c.txq {
		if q == j {
			c.txq = append(c.txq[:i], c.txq[i+1:]...)
			return
		}
	}
}

// appendSpan adds s to a log of spans, dropping those long past.
func appendSpan(log []span, s span, now time.Time) []span {
	keep := log[:0]
	for _, x := range log {
		if x.end.Add(frameRetention).After(now) {
			keep = append(keep, x)
		}
	}
	return append(keep, s)
}

// transmittedDuring reports whether the concentrator emitted during
// [start, end). The caller holds c.mu.
func (c *Concentrator) transmittedDuring(start, end time.Time) bool {
	for _, s := range c.txLog {
		if start.Before(s.end) && s.start.Before(end) {
			return true
		}
	}
	return false
}

// LoRa demodulation floors: the lowest SNR at which a frame of each
// spreading factor is still received (SX1276 datasheet, table 13):
// -7.5 dB at SF7, 2.5 dB less per step, -20 dB at SF12.
func demodFloor(sf int) float64 { return -7.5 - 2.5*float64(sf-7) }

// fskMinSNR is the SNR (over 125 kHz) this simulator asks of an FSK frame.
const fskMinSNR = 10

// audible reports whether a frame is strong enough to be demodulated.
func audible(f *Frame, rx Reception) bool {
	if f.Modulation == hal.ModulationFSK {
		return rx.SNR >= fskMinSNR
	}
	return rx.SNR >= demodFloor(f.SpreadingFactor)
}

// matchChannel finds the IF chain that receives f. The caller holds c.mu.
func (c *Concentrator) matchChannel(f *Frame) (l lock, ok bool) {
	switch f.Modulation {
	case hal.ModulationLoRa:
		if f.Bandwidth == hal.BW125 {
			for i := 0; i < hal.NumMultiSF; i++ {
				if c.cfg.ChannelFreq(i) == f.Freq {
					return lock{ifChain: i, rfChain: c.cfg.MultiSF[i].RFChain, multiSF: true}, true
				}
			}
		}
		std := c.cfg.LoRaStd
		if c.cfg.ChannelFreq(hal.IFChainLoRaStd) == f.Freq && std.Bandwidth == f.Bandwidth && std.SpreadingFactor == f.SpreadingFactor {
			return lock{ifChain: hal.IFChainLoRaStd, rfChain: std.RFChain}, true
		}
	case hal.ModulationFSK:
		fsk := c.cfg.FSK
		if c.cfg.ChannelFreq(hal.IFChainFSK) == f.Freq && fsk.DataRate == f.DataRate {
			return lock{ifChain: hal.IFChainFSK, rfChain: fsk.RFChain}, true
		}
	}
	return lock{}, false
}

// FrameStarted locks a demodulator onto a frame the configured channels
// receive.
func (c *Concentrator) FrameStarted(f *Frame, rx Reception) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running || f.Start.Before(c.t0) {
		return
	}
	if f.InvertIQ || f.PrivateSync != c.cfg.PrivateSyncWord {
		c.stats.NoChannel++
		return
	}
	l, ok := c.matchChannel(f)
	if !ok {
		c.stats.NoChannel++
		return
	}
	if !audible(f, rx) {
		c.stats.TooWeak++
		return
	}
	if !c.opts.FullDuplex && c.transmittedDuring(f.Start, f.Start.Add(time.Nanosecond)) {
		c.stats.Blind++
		return
	}
	busy := 0
	for _, x := range c.locked {
		if l.multiSF && x.multiSF || !l.multiSF && x.ifChain == l.ifChain {
			busy++
		}
	}
	if l.multiSF && busy >= c.opts.Demodulators || !l.multiSF && busy > 0 {
		c.stats.NoDemodulator++
		return
	}
	l.gen = c.gen
	c.locked[f.ID] = l
}

// FrameEnded delivers a frame the concentrator locked onto, stamped with
// the counter at its end.
func (c *Concentrator) FrameEnded(f *Frame, rx Reception) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.locked[f.ID]
	if !ok {
		return
	}
	delete(c.locked, f.ID)
	if !c.running || l.gen != c.gen {
		return
	}
	if !c.opts.FullDuplex && c.transmittedDuring(f.Start, f.End) {
		c.stats.Blind++
		return
	}
	p := hal.RxPacket{
		Payload:         append([]byte(nil), f.Payload...), // the caller's own copy
		Freq:            f.Freq,
		IFChain:         l.ifChain,
		RFChain:         l.rfChain,
		Modulation:      f.Modulation,
		SpreadingFactor: f.SpreadingFactor,
		Bandwidth:       f.Bandwidth,
		CodeRate:        f.CodeRate,
		DataRate:        f.DataRate,
		RSSI:            float32(rx.RSSI),
		SNR:             float32(rx.SNR),
		CRC:             hal.CRCNone,
		CountUS:         c.counterAt(f.End),
	}
	if f.Modulation == hal.ModulationFSK {
		p.SNR = 0
	}
	if f.CRC {
		p.CRC = hal.CRCOK
	}
	if rx.Damaged() {
		if !c.opts.DeliverBadCRC || !f.CRC {
			c.stats.Collided++
			return
		}
		// A damaged frame: flip a bit so that the payload is really wrong.
		p.Payload[len(p.Payload)/2] ^= 0x10
		p.CRC = hal.CRCBad
		c.stats.BadCRC++
	}
	select {
	case c.rx <- p:
		if p.CRC != hal.CRCBad {
			c.stats.Received++
		}
	default:
		c.stats.Overflow++
	}
}
