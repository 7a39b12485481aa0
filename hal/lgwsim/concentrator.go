package lgwsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"sync"
	"time"

	"github.com/loraedge/loraedge/hal"
)

// Defaults of Options, Station's values where it has one.
const (
	// DefaultRetryInterval is how long to wait before connecting again
	// when the socket is absent or refuses (try_connecting in lgwsim.c).
	DefaultRetryInterval = time.Second
	// DefaultCounterStart is the counter value at Start: lgw_start sets
	// the time offset so that xticks start at 0x10000000.
	DefaultCounterStart = 0x10000000
	// DefaultWriteLead is how long before its start a frame is written to
	// the simulator: Station hands a frame to the radio TX_AIM_GAP (20 ms)
	// ahead, and lgw_send writes it at once.
	DefaultWriteLead = 20 * time.Millisecond
	// DefaultLateMargin is how far past its instant a timestamped frame may
	// be handed over and still be accepted.
	DefaultLateMargin = time.Millisecond
	// DefaultRxQueue is the number of received frames held for Receive
	// (RX_NPKTS in lgwsim.c).
	DefaultRxQueue = 1000
	// DefaultTxQueue is the number of frames that may be queued for
	// transmission, counting reports not yet read from TxDone.
	DefaultTxQueue = 16
)

// writeTimeout bounds one record write, so that a simulator that stops
// reading cannot block the concentrator; the connection is then dropped
// and made again.
const writeTimeout = time.Second

// Errors of the Concentrator beyond hal's sentinels.
var (
	// ErrNotConnected is returned by Send while no simulator is connected
	// (lgw_send fails with LGW_HAL_ERROR then), and is the Err of a TxDone
	// for a frame whose connection was lost before the frame could start.
	ErrNotConnected = errors.New("lgwsim: not connected to the simulator")
	// ErrLBT is returned by Send, together with hal.ErrBusy, when the
	// simulator's CCA table marks the channel busy at the frame's start
	// (LGW_LBT_ISSUE).
	ErrLBT = errors.New("lgwsim: channel busy (listen before talk)")
)

// Options are the settings of a Concentrator; the zero value gives the
// defaults.
type Options struct {
	// Unit is the TX unit announced in the time-base record's f_dev
	// (Station: max(0, slave index)).
	Unit uint8
	// RetryInterval overrides DefaultRetryInterval.
	RetryInterval time.Duration
	// CounterStart is the counter value at Start; 0 means
	// DefaultCounterStart, as Station.
	CounterStart uint32
	// WriteLead overrides DefaultWriteLead; a negative value writes every
	// frame as soon as Send accepts it.
	WriteLead time.Duration
	// LateMargin overrides DefaultLateMargin; a negative value allows no
	// lateness at all.
	LateMargin time.Duration
	// RxQueue and TxQueue override DefaultRxQueue and DefaultTxQueue.
	RxQueue, TxQueue int
	// PPS gives the concentrator a PPS input on the whole seconds of UTC,
	// as lgwsim.c simulates it when the board's PPS is enabled.
	PPS bool
	// Monotonic returns the monotonic clock in µs; nil means
	// MonotonicMicros, the clock the simulator must share.
	Monotonic func() int64
	// Logger receives the connection's logs; nil discards them.
	Logger *slog.Logger
}

// Stats counts what happened on the connection, for tests and operators.
type Stats struct {
	Connects    int // connections made (each began with a time-base record)
	Disconnects int // connections lost
	Received    int // frames queued for Receive
	Overflow    int // frames dropped because Receive did not keep up
	Malformed   int // records that could not be decoded (see LastError)
	CCATables   int // CCA records received
	Written     int // frames written to the simulator
	Sent        int // frames reported sent on TxDone
	Lost        int // frames reported lost with ErrNotConnected
	TooLate     int // Send refused with hal.ErrTooLate
	Busy        int // Send refused with hal.ErrBusy (LBT included)
	LBT         int // Send refused because of the CCA table
}

// Concentrator is a hal.Concentrator that is the client side of Basics
// Station's radio-simulation socket: it connects to the Unix socket a
// simulator listens on, announces its time base, reads received frames as
// struct lgw_pkt_rx_s records and writes frames to send as struct
// lgw_pkt_tx_s records, exactly as Station's lgwsim.c does.
type Concentrator struct {
	path string
	opts Options
	log  *slog.Logger
	now  func() int64

	wmu sync.Mutex // serialises writes on a connection

	mu      sync.Mutex
	running bool
	run     *run // the current or last run
	gen     uint64
	stats   Stats
	lastErr error
}

// run is the state of one Start..Stop.
type run struct {
	gen     uint64
	cfg     hal.Config
	offset  int64 // monotonic µs at counter 0 (timeOffset in lgwsim.c)
	rx      chan hal.RxPacket
	done    chan hal.TxDone
	stopped chan struct{}
	cancel  context.CancelFunc
	wg      sync.WaitGroup

	conn net.Conn      // nil while disconnected
	up   chan struct{} // closed once connected; replaced on disconnect
	cca  CCATable
	txq  []*txJob
}

// txJob is a frame accepted by Send.
type txJob struct {
	id      uint64
	rec     []byte // the encoded record
	start   int64  // monotonic µs of the first preamble symbol
	end     int64  // monotonic µs of the end of the frame
	count   uint32 // counter at start
	timer   *time.Timer
	written bool
	conn    net.Conn // the connection the record went out on
}

var _ hal.Concentrator = (*Concentrator)(nil)

// New returns a stopped concentrator for the simulator socket at path (a
// Station home's SX1301_conf "device", resolved against the home).
func New(path string, opts Options) (*Concentrator, error) {
	if path == "" {
		return nil, errors.New("lgwsim: empty socket path")
	}
	if opts.RetryInterval <= 0 {
		opts.RetryInterval = DefaultRetryInterval
	}
	if opts.CounterStart == 0 {
		opts.CounterStart = DefaultCounterStart
	}
	switch {
	case opts.WriteLead == 0:
		opts.WriteLead = DefaultWriteLead
	case opts.WriteLead < 0:
		opts.WriteLead = math.MaxInt64 // every frame is due for writing at once
	}
	switch {
	case opts.LateMargin == 0:
		opts.LateMargin = DefaultLateMargin
	case opts.LateMargin < 0:
		opts.LateMargin = 0
	}
	if opts.RxQueue <= 0 {
		opts.RxQueue = DefaultRxQueue
	}
	if opts.TxQueue <= 0 {
		opts.TxQueue = DefaultTxQueue
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.Monotonic
	if now == nil {
		now = MonotonicMicros
	}
	done := make(chan hal.TxDone)
	close(done)
	stopped := make(chan struct{})
	close(stopped)
	return &Concentrator{path: path, opts: opts, log: log.With("lgwsim", path), now: now,
		run: &run{done: done, stopped: stopped, up: make(chan struct{})}}, nil
}

// Path returns the socket path.
func (c *Concentrator) Path() string { return c.path }

// Stats returns the counters since the concentrator was made.
func (c *Concentrator) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stats
}

// LastError returns the last malformed-record or connection error, nil if
// none.
func (c *Concentrator) LastError() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastErr
}

// Start validates cfg, sets the time base (the counter restarts at
// CounterStart) and starts connecting to the simulator in the background,
// retrying every RetryInterval while the socket is absent, as lgw_start
// does: Start does not wait for the connection (WaitConnected does). The
// connection is made again whenever it is lost, until Stop.
func (c *Concentrator) Start(ctx context.Context, cfg hal.Config) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lgwsim: start: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("lgwsim: start: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.running {
		return errors.New("lgwsim: start: concentrator already running")
	}
	c.gen++
	runCtx, cancel := context.WithCancel(context.Background())
	r := &run{
		gen:     c.gen,
		cfg:     cfg,
		offset:  c.now() - int64(c.opts.CounterStart),
		rx:      make(chan hal.RxPacket, c.opts.RxQueue),
		done:    make(chan hal.TxDone, c.opts.TxQueue),
		stopped: make(chan struct{}),
		cancel:  cancel,
		up:      make(chan struct{}),
	}
	c.run, c.running = r, true
	r.wg.Add(1)
	go c.connectLoop(runCtx, r)
	c.log.Debug("radio started", "counter", c.opts.CounterStart, "time_offset", r.offset)
	return nil
}

// WaitConnected blocks until the simulator is connected, ctx is done, or
// the concentrator stops (hal.ErrStopped).
func (c *Concentrator) WaitConnected(ctx context.Context) error {
	c.mu.Lock()
	r, running := c.run, c.running
	up := r.up
	c.mu.Unlock()
	if !running {
		return fmt.Errorf("lgwsim: wait: %w", hal.ErrStopped)
	}
	select {
	case <-up:
		return nil
	case <-r.stopped:
		return fmt.Errorf("lgwsim: wait: %w", hal.ErrStopped)
	case <-ctx.Done():
		return fmt.Errorf("lgwsim: wait for %s: %w", c.path, ctx.Err())
	}
}

// Stop closes the connection and ends the run; see hal.Concentrator.
func (c *Concentrator) Stop() error {
	c.mu.Lock()
	if !c.running {
		c.mu.Unlock()
		return nil
	}
	c.running = false
	r := c.run
	for _, j := range r.txq {
		j.timer.Stop()
		r.done <- hal.TxDone{ID: j.id, Err: hal.ErrStopped}
	}
	r.txq = nil
	close(r.done)
	close(r.stopped)
	r.cancel()
	conn := r.conn
	r.conn = nil
	c.mu.Unlock()
	if conn != nil {
		conn.Close()
	}
	r.wg.Wait()
	c.log.Debug("radio stopped")
	return nil
}

// Receive returns the next received frame; see hal.Concentrator. A frame
// already queued is returned even if ctx is done.
func (c *Concentrator) Receive(ctx context.Context) (hal.RxPacket, error) {
	c.mu.Lock()
	r, running := c.run, c.running
	c.mu.Unlock()
	if !running {
		return hal.RxPacket{}, fmt.Errorf("lgwsim: receive: %w", hal.ErrStopped)
	}
	select {
	case p := <-r.rx:
		return p, nil
	default:
	}
	select {
	case p := <-r.rx:
		return p, nil
	case <-r.stopped:
		return hal.RxPacket{}, fmt.Errorf("lgwsim: receive: %w", hal.ErrStopped)
	case <-ctx.Done():
		return hal.RxPacket{}, fmt.Errorf("lgwsim: receive: %w", ctx.Err())
	}
}

// TxDone returns the TX report channel of the current run.
func (c *Concentrator) TxDone() <-chan hal.TxDone {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.run.done
}

// Counter returns the live counter: the monotonic clock less the time
// offset, as the simulator computes it too.
func (c *Concentrator) Counter() (uint32, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return 0, fmt.Errorf("lgwsim: counter: %w", hal.ErrStopped)
	}
	return uint32(c.now() - c.run.offset), nil
}

// PPSLatch returns the counter at the last whole second of UTC when the
// PPS option is set (lgw_get_trigcnt in lgwsim.c subtracts the UTC
// microseconds from xticks), once such a second has passed since Start.
func (c *Concentrator) PPSLatch() (uint32, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return 0, false, fmt.Errorf("lgwsim: pps: %w", hal.ErrStopped)
	}
	if !c.opts.PPS {
		return 0, false, nil
	}
	xt := c.now() - c.run.offset
	latch := xt - time.Now().UnixMicro()%1_000_000
	if latch < int64(c.opts.CounterStart) {
		return 0, false, nil
	}
	return uint32(latch), true, nil
}

// Send checks a frame and queues it: it is written to the simulator
// WriteLead before its start and reported on TxDone once its time on air
// has passed (lgw_status in lgwsim.c derives TX status from air time the
// same way). It fails with hal.ErrTooLate, hal.ErrBusy (with ErrLBT when
// the CCA table refuses the channel), hal.ErrFreqOutOfRange, hal.ErrInvalid,
// ErrNotConnected or hal.ErrStopped.
func (c *Concentrator) Send(ctx context.Context, tx hal.TxPacket) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lgwsim: send: %w", err)
	}
	rec, err := TxRecordFrom(&tx)
	if err != nil {
		return fmt.Errorf("lgwsim: send: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running {
		return fmt.Errorf("lgwsim: send: %w", hal.ErrStopped)
	}
	r := c.run
	if err := r.cfg.CheckTx(&tx); err != nil {
		return fmt.Errorf("lgwsim: send: %w", err)
	}
	if r.conn == nil {
		return fmt.Errorf("lgwsim: send: %w", ErrNotConnected)
	}
	now := c.now()
	start := now
	if tx.Mode == hal.TxTimestamped {
		start = now + int64(int32(tx.CountUS-uint32(now-r.offset)))
		if late := now - start; late > c.opts.LateMargin.Microseconds() {
			c.stats.TooLate++
			return fmt.Errorf("lgwsim: send at counter %d, %v after its instant: %w", tx.CountUS, time.Duration(late)*time.Microsecond, hal.ErrTooLate)
		}
	} else {
		rec.CountUS = uint32(now - r.offset)
	}
	if r.cca.Blocks(tx.Freq, start-r.offset) {
		c.stats.Busy++
		c.stats.LBT++
		return fmt.Errorf("lgwsim: send at counter %d on %d Hz: %w: %w", rec.CountUS, tx.Freq, hal.ErrBusy, ErrLBT)
	}
	end := max(start, now) + tx.AirTime().Microseconds()
	for _, j := range r.txq {
		if start < j.end && j.start < end {
			c.stats.Busy++
			return fmt.Errorf("lgwsim: send at counter %d overlaps frame %d: %w", rec.CountUS, j.id, hal.ErrBusy)
		}
	}
	if len(r.txq)+len(r.done) >= cap(r.done) {
		c.stats.Busy++
		return fmt.Errorf("lgwsim: send: %d frames queued or unreported: %w", len(r.txq)+len(r.done), hal.ErrBusy)
	}
	b, err := rec.MarshalBinary()
	if err != nil {
		return fmt.Errorf("lgwsim: send: %w", err)
	}
	j := &txJob{id: tx.ID, rec: b, start: start, end: end, count: rec.CountUS}
	r.txq = append(r.txq, j)
	wait := time.Duration(start-now)*time.Microsecond - c.opts.WriteLead
	j.timer = time.AfterFunc(max(wait, 0), func() { c.write(r, j) })
	c.log.Debug("tx queued", "id", tx.ID, "freq", tx.Freq, "count_us", rec.CountUS, "start_in", time.Duration(start-now)*time.Microsecond)
	return nil
}

// write sends a queued frame's record to the simulator.
func (c *Concentrator) write(r *run, j *txJob) {
	c.mu.Lock()
	if !c.queued(r, j) {
		c.mu.Unlock()
		return
	}
	conn := r.conn
	if conn == nil {
		c.lose(r, j, "no connection when the frame was due")
		c.mu.Unlock()
		return
	}
	j.conn = conn
	c.mu.Unlock()

	err := c.writeRecord(conn, j.rec)

	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.queued(r, j) {
		return
	}
	now := c.now()
	switch {
	case err != nil:
		c.lastErr = err
		c.lose(r, j, err.Error())
		conn.Close() // the reader notices and connects again
		return
	case r.conn != conn && j.start > now:
		c.lose(r, j, "connection lost while writing")
		return
	}
	j.written = true
	c.stats.Written++
	j.timer = time.AfterFunc(time.Duration(j.end-now)*time.Microsecond, func() { c.finish(r, j) })
}

// finish reports a frame whose time on air has passed.
func (c *Concentrator) finish(r *run, j *txJob) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.queued(r, j) {
		return
	}
	c.remove(r, j)
	c.stats.Sent++
	r.done <- hal.TxDone{ID: j.id, CountUS: j.count}
}

// lose drops a queued frame with ErrNotConnected. The caller holds c.mu.
func (c *Concentrator) lose(r *run, j *txJob, why string) {
	j.timer.Stop()
	c.remove(r, j)
	c.stats.Lost++
	r.done <- hal.TxDone{ID: j.id, Err: fmt.Errorf("lgwsim: frame %d: %s: %w", j.id, why, ErrNotConnected)}
	c.log.Warn("tx lost", "id", j.id, "reason", why)
}

// queued reports whether j is still queued in the running run r. The
// caller holds c.mu.
func (c *Concentrator) queued(r *run, j *txJob) bool {
	if !c.running || c.run != r {
		return false
	}
	for _, q := range r.txq {
		if q == j {
			return true
		}
	}
	return false
}

// remove drops j from r's queue. The caller holds c.mu.
func (c *Concentrator) remove(r *run, j *txJob) {
	for i, q := range r.txq {
		if q == j {
			r.txq = append(r.txq[:i], r.txq[i+1:]...)
			return
		}
	}
}

// writeRecord writes one record, bounded by writeTimeout.
func (c *Concentrator) writeRecord(conn net.Conn, b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := conn.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return fmt.Errorf("lgwsim: write: %w", err)
	}
	if _, err := conn.Write(b); err != nil {
		return fmt.Errorf("lgwsim: write: %w", err)
	}
	return nil
}

// connectLoop connects to the simulator, reads its records, and connects
// again when the connection is lost, until the run ends.
func (c *Concentrator) connectLoop(ctx context.Context, r *run) {
	defer r.wg.Done()
	var d net.Dialer
	tbRec := TimeBaseRecord(r.offset, c.opts.Unit)
	tb, _ := tbRec.MarshalBinary()
	failures := 0
	for {
		conn, err := d.DialContext(ctx, "unix", c.path)
		if err == nil {
			if err = c.writeRecord(conn, tb); err != nil {
				conn.Close()
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.mu.Lock()
			c.lastErr = err
			c.mu.Unlock()
			if failures == 0 {
				c.log.Warn("cannot connect to the radio simulator, retrying", "every", c.opts.RetryInterval, "error", err)
			}
			failures++
			t := time.NewTimer(c.opts.RetryInterval)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		failures = 0
		if !c.attach(r, conn) {
			conn.Close()
			return
		}
		c.log.Info("connected to the radio simulator", "unit", c.opts.Unit, "time_offset", r.offset,
			"counter", uint32(c.now()-r.offset))
		c.readLoop(ctx, r, conn)
		conn.Close()
		c.detach(r, conn)
		if ctx.Err() != nil {
			return
		}
	}
}

// attach makes conn the run's connection; false if the run has ended.
func (c *Concentrator) attach(r *run, conn net.Conn) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running || c.run != r {
		return false
	}
	r.conn = conn
	close(r.up)
	c.stats.Connects++
	return true
}

// detach forgets a lost connection: frames written on it that had not yet
// started are reported lost (the simulator drops them with the
// connection); frames not yet written wait for the next connection.
func (c *Concentrator) detach(r *run, conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.running || c.run != r || r.conn != conn {
		return
	}
	r.conn = nil
	r.up = make(chan struct{})
	c.stats.Disconnects++
	now := c.now()
	for _, j := range append([]*txJob(nil), r.txq...) {
		if j.written && j.conn == conn && j.start > now {
			c.lose(r, j, "connection lost before the frame's start")
		}
	}
}

// readLoop reads 300-byte records until the connection fails.
func (c *Concentrator) readLoop(ctx context.Context, r *run, conn net.Conn) {
	buf := make([]byte, RxRecordSize)
	for {
		n, err := io.ReadFull(conn, buf)
		if err != nil {
			switch {
			case ctx.Err() != nil:
			case errors.Is(err, io.EOF):
				c.log.Warn("the radio simulator closed the connection")
			case errors.Is(err, io.ErrUnexpectedEOF):
				c.malformed(fmt.Errorf("%w: short record: %d of %d bytes before the connection closed", ErrMalformed, n, RxRecordSize))
			default:
				c.log.Warn("radio simulator connection lost", "error", err)
			}
			return
		}
		c.handleRecord(r, buf)
	}
}

// handleRecord decodes one record: a CCA table replaces the current one, a
// frame goes to Receive, anything else is counted and logged.
func (c *Concentrator) handleRecord(r *run, b []byte) {
	if IsCCA(b) {
		var t CCATable
		if err := t.UnmarshalBinary(b); err != nil {
			c.malformed(err)
			return
		}
		c.mu.Lock()
		r.cca = t
		c.stats.CCATables++
		c.mu.Unlock()
		c.log.Debug("cca table", "entries", len(t))
		return
	}
	var rec RxRecord
	if err := rec.UnmarshalBinary(b); err != nil {
		c.malformed(err)
		return
	}
	p, err := rec.Packet()
	if err != nil {
		c.malformed(err)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	select {
	case r.rx <- p:
		c.stats.Received++
	default:
		c.stats.Overflow++
	}
}

// malformed counts and logs a record that could not be used.
func (c *Concentrator) malformed(err error) {
	c.mu.Lock()
	c.stats.Malformed++
	c.lastErr = err
	c.mu.Unlock()
	c.log.Warn("record from the radio simulator dropped", "error", err)
}
