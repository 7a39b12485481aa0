package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// Defaults of Options, Station's values where Station has one (src/s2conf.h).
const (
	DefaultDialTimeout      = 60 * time.Second // TC_TIMEOUT
	DefaultWriteTimeout     = 10 * time.Second
	DefaultTxLead           = 20 * time.Millisecond // TX_AIM_GAP
	DefaultTxMaxAhead       = 600 * time.Second     // TX_MAX_AHEAD
	DefaultTimesyncInterval = 2100 * time.Millisecond
	DefaultRunCmdTimeout    = time.Minute
	DefaultModel            = "linux"
	DefaultStation          = "loraedge"
)

// Reconnect holds the reconnect timings. After a traffic connection that
// was up closes, the agent retries the same traffic URI after each of
// MuxsBackoff in turn, as long as each retry opens the socket; once they
// are used up, or when a retry cannot open the socket (or discovery is
// what failed), it goes through router-info again, waiting InfosStep ×
// attempt, at most InfosMax. Every wait is lengthened by a random fraction up to
// Jitter. Zero values take the defaults.
type Reconnect struct {
	// MuxsBackoff defaults to 1, 2, 4, 8, 16 s (Station's 1<<retries
	// for retries 0..4).
	MuxsBackoff []time.Duration
	// InfosStep defaults to 10 s, InfosMax to 60 s.
	InfosStep, InfosMax time.Duration
	// Jitter is a fraction of each wait (default 0.2); negative for none.
	Jitter float64
	// RejectAfter is the number of failures in a row after which
	// OnRejected is called (default 10, Station's CUPS trigger).
	RejectAfter int
}

func (r *Reconnect) defaults() {
	if len(r.MuxsBackoff) == 0 {
		r.MuxsBackoff = []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second}
	}
	if r.InfosStep <= 0 {
		r.InfosStep = 10 * time.Second
	}
	if r.InfosMax <= 0 {
		r.InfosMax = 60 * time.Second
	}
	if r.Jitter == 0 {
		r.Jitter = 0.2
	}
	if r.RejectAfter <= 0 {
		r.RejectAfter = 10
	}
}

// State is where the agent stands with its LNS.
type State int32

// States reported to Options.OnState.
const (
	StateDisconnected State = iota // no traffic connection
	StateDiscovering               // asking /router-info
	StateConnecting                // opening the traffic socket, waiting for router_config, sending the spool
	StateConnected                 // router_config applied, radio running, spool sent: uplinks go straight to the LNS
)

func (s State) String() string {
	switch s {
	case StateDisconnected:
		return "disconnected"
	case StateDiscovering:
		return "discovering"
	case StateConnecting:
		return "connecting"
	case StateConnected:
		return "connected"
	}
	return fmt.Sprintf("State(%d)", int32(s))
}

// ErrRejected wraps the error given to OnRejected when the LNS's
// router-info answered with an error or without a traffic URI.
var ErrRejected = errors.New("agent: rejected by the LNS")

// Options configure an Agent. RouterEUI, TC (or LoadTC) and Radio are
// required; the rest has defaults.
type Options struct {
	// RouterEUI is the gateway's EUI, sent as id6 to /router-info.
	RouterEUI lorawan.EUI64
	// TC is the LNS credential set.
	TC Credentials
	// LoadTC, when set, is asked for the credential set before each
	// discovery (so that a CUPS update or a fallback set takes effect) and
	// replaces TC.
	LoadTC func(ctx context.Context) (Credentials, error)
	// Radio is the concentrator; the agent starts it when a router_config
	// arrives and stops it when Run returns.
	Radio hal.Concentrator
	// Board is station.conf's SX1301_conf: the board settings
	// (lorawan_public, clksrc, radio types, rssi_offset, tx_enable) under
	// which router_config's radio configuration is merged.
	Board station.SX130xConf
	// AntennaGain (dBi, station.conf's antenna_gain) is taken off the
	// EIRP to get the radio's TX power; an antenna_gain or txpow_adjust in
	// Board or in the router_config's radio configuration overrides it, as
	// in Station (the router_config's last).
	AntennaGain float64
	// Version is reported in the version message; Protocol is always 2.
	// Empty Station and Model default to DefaultStation and DefaultModel.
	Version station.Version
	// Spool keeps uplinks while the LNS is away; nil keeps up to
	// DefaultMemorySpool in memory.
	Spool Spool
	// ConfigMemory, when set, keeps the last router_config so that Run
	// starts the radio (and spools) before the LNS answers; nil makes the
	// radio wait for the LNS, as Station does.
	ConfigMemory ConfigMemory
	// AllowRunCmd lets the LNS's runcmd run a program (no shell) on the
	// host, under RunCmdTimeout (default 1 min). Off by default.
	AllowRunCmd   bool
	RunCmdTimeout time.Duration
	// AllowRmtsh lets the LNS open remote shells (rmtsh), as Station does:
	// "sh" on a pseudo-terminal, with the agent's user and privileges, at
	// most two at a time, driven over the traffic connection and killed
	// (with their whole session) when the LNS stops them or the
	// connection ends. Whoever controls the LNS, or holds its
	// credentials, then has a shell on the gateway. Off by default; Linux
	// only. The version message advertises "rmtsh" only when it is on.
	AllowRmtsh bool
	// Reconnect holds the reconnect timings.
	Reconnect Reconnect
	// DialTimeout bounds opening a websocket and waiting for the
	// router-info answer (default 60 s); WriteTimeout each write (10 s).
	DialTimeout, WriteTimeout time.Duration
	// TxLead is how far ahead of its start a frame must be handed to the
	// radio (default 20 ms); TxMaxAhead how far ahead it may be (600 s).
	TxLead, TxMaxAhead time.Duration
	// TimesyncInterval is how often the radio counter is read to keep
	// xtime continuous across the 32-bit wrap and to watch the PPS
	// (default 2.1 s; it must stay well under 35 min).
	TimesyncInterval time.Duration
	// OnRejected is called (from Run's goroutine) when discovery was
	// rejected, or after Reconnect.RejectAfter failures in a row: Station
	// then asks CUPS for new credentials.
	OnRejected func(err error)
	// OnState is called (from Run's goroutines, in order) at each change
	// of State.
	OnState func(State)
	// Clock is the time source (default the system clock).
	Clock Clock
	// Rand draws xtime session ids and jitter (default a random seed).
	Rand rand.Source
	// Logger receives the agent's logs (default slog.Default()). Tokens
	// and keys are never logged.
	Logger *slog.Logger
}

// Stats counts what the agent did since New.
type Stats struct {
	State        State
	Session      uint8 // xtime session id of the running radio, 0 when stopped
	RadioStarts  int
	Connections  int // traffic connections opened
	Received     int // frames from the radio with a good CRC
	Dropped      int // frames not forwarded: bad CRC, unknown data rate, malformed, mirror
	Filtered     int // frames dropped by the NetID/JoinEui filters
	Sent         int // uplinks written to the LNS as they came
	Spooled      int // uplinks put in the spool
	Unspooled    int // spooled uplinks sent after a reconnect
	SpoolErrors  int // uplinks lost because the spool refused them
	Downlinks    int // frames the radio accepted
	Refused      int // downlink requests not sent (late, filtered, wrong session…)
	TxDone       int // frames the radio reported sent
	TxFailed     int // frames the radio reported not sent
	Dntxed       int // dntxed messages written
	TimesyncSent int // timesync requests written
}

// Agent is a Basics Station client: create it with New, run it with Run.
type Agent struct {
	opts  Options
	log   *slog.Logger
	clock Clock
	hw    hal.Concentrator
	spool Spool
	epoch time.Time // ustime 0

	rngMu sync.Mutex
	rng   *rand.Rand

	running atomic.Bool
	wg      sync.WaitGroup // goroutines started by Run

	mu          sync.Mutex // guards the fields below
	plan        *plan
	conn        *conn // current traffic connection, nil when none
	state       State
	stats       Stats
	muxTime     float64 // last MuxTime, 0 when none
	muxRefUs    int64   // ustime at which muxTime was received
	utcOffset   int64   // UTC µs = ustime + utcOffset
	savedConfig []byte  // router_config last given to ConfigMemory

	stateMu sync.Mutex // serialises OnState calls

	outMu sync.Mutex // orders uplinks: held while one is sent or spooled
	live  *conn      // connection taking uplinks directly, nil while spooling

	rmu   sync.Mutex // guards the radio state
	radio radioState

	txMu    sync.Mutex
	txSeq   uint64
	pending map[uint64]txJob

	runCtx context.Context // Run's context, for commands started by the LNS
}

// New checks opts and returns an Agent.
func New(opts Options) (*Agent, error) {
	if opts.Radio == nil {
		return nil, errors.New("agent: no radio")
	}
	if opts.LoadTC == nil {
		if _, err := parseTCURI(opts.TC.URI); err != nil {
			return nil, err
		}
	}
	var zero lorawan.EUI64
	if opts.RouterEUI == zero {
		return nil, errors.New("agent: no router EUI")
	}
	opts.Reconnect.defaults()
	setDefault(&opts.DialTimeout, DefaultDialTimeout)
	setDefault(&opts.WriteTimeout, DefaultWriteTimeout)
	setDefault(&opts.TxLead, DefaultTxLead)
	setDefault(&opts.TxMaxAhead, DefaultTxMaxAhead)
	setDefault(&opts.TimesyncInterval, DefaultTimesyncInterval)
	setDefault(&opts.RunCmdTimeout, DefaultRunCmdTimeout)
	if opts.Version.Station == "" {
		opts.Version.Station = DefaultStation
	}
	if opts.Version.Model == "" {
		opts.Version.Model = DefaultModel
	}
	opts.Version.Protocol = station.ProtocolVersion
	if opts.Clock == nil {
		opts.Clock = systemClock{}
	}
	if opts.Rand == nil {
		opts.Rand = rand.NewPCG(rand.Uint64(), rand.Uint64())
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	a := &Agent{
		opts:    opts,
		log:     opts.Logger.With("router", station.FormatID6(opts.RouterEUI)),
		clock:   opts.Clock,
		hw:      opts.Radio,
		spool:   opts.Spool,
		rng:     rand.New(opts.Rand),
		pending: map[uint64]txJob{},
	}
	if a.spool == nil {
		a.spool = NewMemorySpool(0)
	}
	a.epoch = a.clock.Now()
	a.utcOffset = a.epoch.UnixMicro()
	a.radio.changed = make(chan struct{})
	a.radio.ppsOffset = -1
	return a, nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// Stats returns the counters.
func (a *Agent) Stats() Stats {
	a.mu.Lock()
	s := a.stats
	s.State = a.state
	a.mu.Unlock()
	a.rmu.Lock()
	if a.radio.running {
		s.Session = a.radio.session
	}
	a.rmu.Unlock()
	return s
}

// count applies f to the stats.
func (a *Agent) count(f func(*Stats)) {
	a.mu.Lock()
	f(&a.stats)
	a.mu.Unlock()
}

// setState records and reports a state change.
func (a *Agent) setState(s State) {
	a.stateMu.Lock()
	defer a.stateMu.Unlock()
	a.mu.Lock()
	changed := a.state != s
	a.state = s
	a.mu.Unlock()
	if changed && a.opts.OnState != nil {
		a.opts.OnState(s)
	}
}

// ustime is Station's monotonic microsecond clock.
func (a *Agent) ustime() int64 { return a.clock.Now().Sub(a.epoch).Microseconds() }

// utc converts ustime to UTC seconds as Station's clock gives them (set
// from the LNS's MuxTime once a router_config has been received).
func (a *Agent) utc(us int64) station.Seconds {
	a.mu.Lock()
	off := a.utcOffset
	a.mu.Unlock()
	return station.Seconds(float64(us+off) / 1e6)
}

// refTime is RefTime: the last MuxTime moved on by the time since it came,
// 0 when none came.
func (a *Agent) refTime(us int64) station.Seconds {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.muxTime == 0 {
		return 0
	}
	return station.Seconds(a.muxTime + float64(us-a.muxRefUs)/1e6)
}

// updateMuxTime is s2e_updateMuxtime.
func (a *Agent) updateMuxTime(m station.Seconds, us int64) {
	if m == 0 {
		return
	}
	a.mu.Lock()
	a.muxTime, a.muxRefUs = float64(m), us
	a.mu.Unlock()
}

// jitter lengthens d by a random fraction up to Reconnect.Jitter.
func (a *Agent) jitter(d time.Duration) time.Duration {
	j := a.opts.Reconnect.Jitter
	if j <= 0 {
		return d
	}
	a.rngMu.Lock()
	f := a.rng.Float64()
	a.rngMu.Unlock()
	return d + time.Duration(float64(d)*j*f)
}

// newSession draws a non-zero xtime session id.
func (a *Agent) newSession() uint8 {
	a.rngMu.Lock()
	defer a.rngMu.Unlock()
	return uint8(a.rng.IntN(255) + 1)
}

// Run runs the agent until ctx ends: discovery, traffic, reconnects. It
// returns nil after ctx ends, having stopped the radio.
func (a *Agent) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("agent: already running")
	}
	defer a.running.Store(false)
	ctx, cancel := context.WithCancel(ctx)
	a.runCtx = ctx
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.receiveLoop(ctx)
	}()
	defer func() {
		cancel()
		a.stopRadio()
		a.wg.Wait()
		a.setState(StateDisconnected)
	}()
	a.resumeRadio(ctx)
	a.tcLoop(ctx)
	return nil
}

// sleep waits d (real time) or until ctx ends; it reports whether the wait
// completed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// tcLoop is Station's TC engine (tc_start, tc_continue): discovery, the
// traffic connection, and the reconnect schedule.
func (a *Agent) tcLoop(ctx context.Context) {
	rc := &a.opts.Reconnect
	infosTries := 0
	failures := 0
	fail := func(err error) {
		failures++
		rejected := errors.Is(err, ErrRejected)
		if (rejected || failures >= rc.RejectAfter) && a.opts.OnRejected != nil {
			a.opts.OnRejected(err)
		}
		if failures >= rc.RejectAfter {
			failures = 0
		}
	}
	for ctx.Err() == nil {
		// INFOS
		if infosTries > 0 {
			wait := min(time.Duration(infosTries)*rc.InfosStep, rc.InfosMax)
			a.log.Info("router-info reconnect backoff", "wait", wait, "retry", infosTries)
			if !sleep(ctx, a.jitter(wait)) {
				return
			}
		}
		infosTries++
		a.setState(StateDiscovering)
		creds, uri, err := a.discover(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.log.Warn("router-info failed", "error", err)
			a.setState(StateDisconnected)
			fail(err)
			continue
		}
		up, configured, err := a.traffic(ctx, creds, uri)
		if ctx.Err() != nil {
			return
		}
		if !up || errors.Is(err, errNoRadioConf) {
			a.log.Warn("traffic connection failed", "uri", uri, "error", err)
			fail(err)
			continue
		}
		infosTries = 1
		if configured {
			failures = 0
		} else {
			fail(err)
		}
		// MUXS: the connection was up and closed; retry the same URI
		// (tc_continue's TC_ERR_CLOSED). A retry that opens and closes
		// again moves on to the next wait; one that cannot open the
		// socket, or whose router_config is unusable, goes back to
		// router-info at once, as Station's TC_ERR_FAILED does. A
		// connection that got as far as a router_config starts the
		// schedule over (Station never resets its count, so that a
		// gateway whose link dropped five times in a month would always
		// go through router-info).
		for i := 0; i < len(rc.MuxsBackoff); {
			wait := rc.MuxsBackoff[i]
			a.log.Info("traffic reconnect backoff", "wait", wait, "retry", i+1)
			if !sleep(ctx, a.jitter(wait)) {
				return
			}
			up, configured, err = a.traffic(ctx, creds, uri)
			if ctx.Err() != nil {
				return
			}
			switch {
			case !up || errors.Is(err, errNoRadioConf):
				a.log.Warn("traffic reconnect failed: back to router-info", "uri", uri, "up", up, "error", err)
				fail(err)
				i = len(rc.MuxsBackoff)
			case configured:
				i, failures = 0, 0
			default:
				a.log.Warn("traffic connection closed before router_config", "uri", uri, "error", err)
				fail(err)
				i++
			}
		}
	}
}
