package cupsclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store/agentstore"
)

// Defaults of Options, Station's values where Station has one
// (src/s2conf.h).
const (
	DefaultOKSyncInterval  = 24 * time.Hour   // CUPS_OKSYNC_INTV
	DefaultResyncInterval  = time.Minute      // CUPS_RESYNC_INTV
	DefaultConnTimeout     = 60 * time.Second // CUPS_CONN_TIMEOUT
	DefaultMaxResponseSize = 64 << 20
	DefaultTrialTimeout    = 5 * time.Minute
	DefaultTrialFailures   = 3
)

// maxRounds bounds the requests of one check: a CUPS change is followed at
// once by a request with the new set, whose answer may change more.
const maxRounds = 4

// Store is what the client needs of the agent's store; *agentstore.DB has
// it.
type Store interface {
	Credentials(ctx context.Context, kind agentstore.Kind, set agentstore.Set) (agentstore.Credentials, error)
	StagedCredentials(ctx context.Context, kind agentstore.Kind) (agentstore.Credentials, error)
	StageCredentials(ctx context.Context, kind agentstore.Kind, c agentstore.Credentials) error
	PromoteStaged(ctx context.Context, kind agentstore.Kind) error
	DiscardStaged(ctx context.Context, kind agentstore.Kind) error
}

var _ Store = (*agentstore.DB)(nil)

// Options configure a Client. RouterEUI and Store are required.
type Options struct {
	// RouterEUI is the gateway's EUI, sent as "router".
	RouterEUI lorawan.EUI64
	// Store holds the credential sets.
	Store Store
	// Station, Model and Package are reported as "station", "model" and
	// "package" (the version this agent runs; Station's version.txt).
	Station, Model, Package string
	// SigKeys are the update-signature keys held (sig-N.key); their CRCs
	// are reported as "keys" and an update must verify with one of them.
	SigKeys []cups.PublicKey
	// RequireSigned refuses unsigned updates even with no key in SigKeys
	// (set it when a key file is present but could not be read).
	RequireSigned bool
	// Updater installs verified updates; nil refuses them.
	Updater *Updater
	// OKSyncInterval (CUPS_OKSYNC_INTV, default 24 h) follows a successful
	// check, and any check while the LNS connection is up;
	// ResyncInterval (CUPS_RESYNC_INTV, default 1 min) a failed one.
	OKSyncInterval, ResyncInterval time.Duration
	// ConnTimeout (CUPS_CONN_TIMEOUT, default 60 s) bounds connecting, the
	// TLS handshake, the wait for the answer and each read of it.
	ConnTimeout time.Duration
	// MaxResponseSize bounds an answer, update included (default 64 MiB).
	MaxResponseSize int64
	// TrialTimeout (default 5 min) and TrialFailures (default 3) bound the
	// trial of a staged TC set: it is rolled back when the agent has not
	// reached its LNS with it within TrialTimeout, or after TrialFailures
	// failed connection attempts.
	TrialTimeout  time.Duration
	TrialFailures int
	// OnEvent, when set, is told what the client does (from Run's
	// goroutine; it must not block).
	OnEvent func(Event)
	// Logger receives the client's logs (default slog.Default()). Keys and
	// tokens are never logged.
	Logger *slog.Logger
}

// Client is the agent's CUPS client. Create it with New, give its LoadTC,
// OnState and OnRejected to the agent's Options, and run both with Run.
type Client struct {
	opts    Options
	log     *slog.Logger
	keyCRCs []uint32

	running atomic.Bool
	wake    chan struct{} // capacity 1: something in the fields below changed

	mu        sync.Mutex // guards the fields below
	state     agent.State
	connected bool  // the agent reached StateConnected since the last look
	rejected  error // OnRejected outside a trial, since the last look
	triggered bool  // Trigger called since the last look
	trial     *trial
	trialGen  uint64
}

// trial is the trial of a staged TC set.
type trial struct {
	gen       uint64
	connected bool  // the agent reached StateConnected with the staged set
	failures  int   // connection attempts that failed
	rejected  error // OnRejected during the trial
	timedOut  bool
	timer     *time.Timer
}

// New checks opts and returns a Client.
func New(opts Options) (*Client, error) {
	if opts.Store == nil {
		return nil, errors.New("cupsclient: no store")
	}
	if opts.RouterEUI == (lorawan.EUI64{}) {
		return nil, errors.New("cupsclient: no router EUI")
	}
	setDefault(&opts.OKSyncInterval, DefaultOKSyncInterval)
	setDefault(&opts.ResyncInterval, DefaultResyncInterval)
	setDefault(&opts.ConnTimeout, DefaultConnTimeout)
	setDefault(&opts.TrialTimeout, DefaultTrialTimeout)
	if opts.MaxResponseSize <= 0 {
		opts.MaxResponseSize = DefaultMaxResponseSize
	}
	if opts.TrialFailures <= 0 {
		opts.TrialFailures = DefaultTrialFailures
	}
	if opts.Model == "" {
		opts.Model = agent.DefaultModel
	}
	if opts.Station == "" {
		opts.Station = agent.DefaultStation
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	c := &Client{opts: opts, log: opts.Logger.With("module", "cups"), wake: make(chan struct{}, 1)}
	for _, k := range opts.SigKeys {
		c.keyCRCs = append(c.keyCRCs, k.CRC())
	}
	return c, nil
}

func (c *Client) emit(e Event) {
	if c.opts.OnEvent != nil {
		c.opts.OnEvent(e)
	}
}

// poke wakes Run.
func (c *Client) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Trigger asks for a CUPS check as soon as Run can make one.
func (c *Client) Trigger() {
	c.mu.Lock()
	c.triggered = true
	c.mu.Unlock()
	c.poke()
}

// OnState is the agent's Options.OnState: it follows the LNS connection,
// which decides a TC trial, the schedule, and an update's health.
func (c *Client) OnState(s agent.State) {
	c.mu.Lock()
	prev := c.state
	c.state = s
	if s == agent.StateConnected && prev != s {
		c.connected = true
		if c.trial != nil {
			c.trial.connected = true
		}
	}
	if c.trial != nil && s == agent.StateDisconnected && (prev == agent.StateDiscovering || prev == agent.StateConnecting) {
		c.trial.failures++
	}
	c.mu.Unlock()
	c.poke()
}

// OnRejected is the agent's Options.OnRejected: the LNS rejected the
// gateway or failed too often. During a TC trial the staged set is rolled
// back; otherwise a CUPS check comes within ResyncInterval, as Station
// invokes CUPS then.
func (c *Client) OnRejected(err error) {
	c.mu.Lock()
	if c.trial != nil {
		c.trial.rejected = err
	} else {
		c.rejected = err
	}
	c.mu.Unlock()
	c.poke()
}

// LoadTC is the agent's Options.LoadTC: the staged TC set while it is on
// trial, otherwise the first of reg, bak and boot that has a URI.
func (c *Client) LoadTC(ctx context.Context) (agent.Credentials, error) {
	c.mu.Lock()
	trying := c.trial != nil
	c.mu.Unlock()
	if trying {
		s, err := c.opts.Store.StagedCredentials(ctx, agentstore.KindTC)
		if err == nil {
			return agent.Credentials(s), nil
		}
		if !errors.Is(err, agentstore.ErrNotFound) {
			return agent.Credentials{}, err
		}
	}
	s, _, err := firstWithURI(ctx, c.opts.Store, agentstore.KindTC)
	if err != nil {
		return agent.Credentials{}, err
	}
	return agent.Credentials(s), nil
}

// firstWithURI returns the first set of kind k, in Station's order, that
// has a URI.
func firstWithURI(ctx context.Context, st Store, k agentstore.Kind) (agentstore.Credentials, agentstore.Set, error) {
	for _, set := range agentstore.Sets() {
		s, err := st.Credentials(ctx, k, set)
		if errors.Is(err, agentstore.ErrNotFound) || err == nil && s.URI == "" {
			continue
		}
		if err != nil {
			return agentstore.Credentials{}, "", err
		}
		return s, set, nil
	}
	if k == agentstore.KindTC {
		return agentstore.Credentials{}, "", ErrNoTCSet
	}
	return agentstore.Credentials{}, "", ErrNoCUPSSet
}

// notes is what happened since Run last looked.
type notes struct {
	connected, lnsUp, triggered bool
	rejected                    error
	trial                       *trial // a copy, nil without a trial
}

func (c *Client) takeNotes() notes {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := notes{connected: c.connected, lnsUp: c.state == agent.StateConnected, triggered: c.triggered, rejected: c.rejected}
	c.connected, c.triggered, c.rejected = false, false, nil
	if c.trial != nil {
		t := *c.trial
		n.trial = &t
	}
	return n
}

func (c *Client) lnsUp() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state == agent.StateConnected
}

// beginTrial puts the staged TC set on trial: LoadTC returns it from now.
func (c *Client) beginTrial() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.trialGen++
	gen := c.trialGen
	c.trial = &trial{gen: gen}
	c.trial.timer = time.AfterFunc(c.opts.TrialTimeout, func() {
		c.mu.Lock()
		if c.trial != nil && c.trial.gen == gen {
			c.trial.timedOut = true
		}
		c.mu.Unlock()
		c.poke()
	})
}

// endTrial ends a trial, if any: LoadTC returns the reg set again.
func (c *Client) endTrial() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.trial != nil {
		c.trial.timer.Stop()
		c.trial = nil
	}
}

// tcRun is one run of the TC engine.
type tcRun struct {
	cancel context.CancelFunc
	done   chan error
}

func startTC(ctx context.Context, run func(context.Context) error) *tcRun {
	ctx, cancel := context.WithCancel(ctx)
	r := &tcRun{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- run(ctx) }()
	return r
}

// loop is Run's state.
type loop struct {
	c      *Client
	ctx    context.Context
	run    func(context.Context) error
	tc     *tcRun
	timer  *time.Timer
	due    time.Time
	forced bool // the pending check was asked for (start, Trigger, rejection), not a regular one
	health *time.Timer
}

// Run runs the TC engine (run, the agent's Run) and the CUPS schedule until
// ctx ends, restarting the engine when its credentials change. It returns
// nil after ctx ends, once the engine has stopped, or an error if the engine
// stopped by itself.
func (c *Client) Run(ctx context.Context, run func(context.Context) error) error {
	if run == nil {
		return errors.New("cupsclient: no tc engine to run")
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("cupsclient: already running")
	}
	defer c.running.Store(false)
	l := &loop{c: c, ctx: ctx, run: run, forced: true, timer: time.NewTimer(0), due: time.Now()}
	defer l.timer.Stop()
	c.discardLeftovers(ctx)
	if u := c.opts.Updater; u != nil {
		pending, deadline, err := u.Recover(ctx)
		if err != nil {
			c.log.Error("update recovery", "error", err)
		}
		if pending {
			l.health = time.NewTimer(time.Until(deadline))
			defer l.health.Stop()
		}
	}
	l.tc = startTC(ctx, run)
	for {
		var healthC <-chan time.Time
		if l.health != nil {
			healthC = l.health.C
		}
		select {
		case <-ctx.Done():
			c.endTrial()
			l.tc.cancel()
			<-l.tc.done
			return nil
		case err := <-l.tc.done:
			c.endTrial()
			if ctx.Err() != nil {
				return nil
			}
			if err == nil {
				err = errors.New("returned")
			}
			return fmt.Errorf("cupsclient: tc engine stopped: %w", err)
		case <-l.timer.C:
			l.check()
		case <-c.wake:
			l.look()
		case <-healthC:
			l.health = nil
			if err := c.opts.Updater.Rollback(ctx, fmt.Sprintf("version %q did not reach its LNS in time", c.opts.Package)); err != nil {
				c.log.Error("update rollback", "error", err)
			}
		}
	}
}

// discardLeftovers drops staged sets an earlier process left: their trial
// did not finish, so they did not work.
func (c *Client) discardLeftovers(ctx context.Context) {
	for _, k := range []agentstore.Kind{agentstore.KindCUPS, agentstore.KindTC} {
		s, err := c.opts.Store.StagedCredentials(ctx, k)
		if errors.Is(err, agentstore.ErrNotFound) {
			continue
		}
		if err == nil {
			err = c.opts.Store.DiscardStaged(ctx, k)
		}
		if err != nil {
			c.log.Error("staged credentials left by an earlier run", "kind", k, "error", err)
			continue
		}
		c.log.Warn("discarded credentials an earlier run left on trial", "kind", k, "credentials", s)
		c.emit(Event{Kind: EventRolledBack, Cred: k, CRC: s.CRC(), Err: errors.New("cupsclient: left on trial by an earlier run")})
	}
}

// schedule sets the next check d from now.
func (l *loop) schedule(d time.Duration) {
	l.timer.Stop()
	select {
	case <-l.timer.C:
	default:
	}
	l.timer.Reset(d)
	l.due = time.Now().Add(d)
}

// check runs a check and schedules the next one as Station's cups_ondone
// does; a staged TC set restarts the engine on trial.
func (l *loop) check() {
	c := l.c
	res, err := c.check(l.ctx)
	if l.ctx.Err() != nil {
		return
	}
	next := c.opts.OKSyncInterval
	if err != nil {
		next = c.opts.ResyncInterval
		c.log.Warn("CUPS check failed", "error", err, "retry_in", next)
	}
	if c.lnsUp() {
		next = c.opts.OKSyncInterval
	}
	l.forced = false
	l.schedule(next)
	if res.tcStaged {
		l.restartTC(true)
	}
}

// look acts on what the agent reported and on Trigger.
func (l *loop) look() {
	c := l.c
	n := c.takeNotes()
	if t := n.trial; t != nil {
		switch {
		case t.connected:
			l.promoteTC()
		case t.rejected != nil:
			l.rollbackTC(fmt.Errorf("cupsclient: the LNS rejected the new set: %w", t.rejected))
		case t.failures >= c.opts.TrialFailures:
			l.rollbackTC(fmt.Errorf("cupsclient: %d connection attempts with the new set failed", t.failures))
		case t.timedOut:
			l.rollbackTC(fmt.Errorf("cupsclient: no LNS connection with the new set within %v", c.opts.TrialTimeout))
		}
	}
	if n.connected {
		if l.health != nil {
			l.health.Stop()
			l.health = nil
			if err := c.opts.Updater.Healthy(); err != nil {
				c.log.Error("update commit", "error", err)
			}
		}
		if !l.forced {
			// Station's sys_delayCUPS: with the LNS up, the next regular
			// check waits the long interval.
			l.schedule(c.opts.OKSyncInterval)
		}
	}
	if n.rejected != nil && n.trial == nil {
		c.log.Warn("the LNS keeps refusing this gateway: asking CUPS", "error", n.rejected, "within", c.opts.ResyncInterval)
		l.forced = true
		if time.Until(l.due) > c.opts.ResyncInterval {
			l.schedule(c.opts.ResyncInterval)
		}
	}
	if n.triggered {
		l.forced = true
		l.schedule(0)
	}
}

// restartTC stops the TC engine and starts it again, with the staged set on
// trial when trialOn.
func (l *loop) restartTC(trialOn bool) {
	c := l.c
	c.endTrial()
	l.tc.cancel()
	<-l.tc.done
	set := string(agentstore.SetReg)
	if trialOn {
		c.beginTrial()
		set = setStaged
	}
	c.log.Info("restarting the TC engine", "credentials", set)
	c.emit(Event{Kind: EventTCRestart, Set: set})
	l.tc = startTC(l.ctx, l.run)
}

// promoteTC makes the staged TC set, which reached the LNS, the reg set.
func (l *loop) promoteTC() {
	c := l.c
	s, _ := c.opts.Store.StagedCredentials(l.ctx, agentstore.KindTC)
	if err := c.opts.Store.PromoteStaged(l.ctx, agentstore.KindTC); err != nil {
		l.rollbackTC(fmt.Errorf("cupsclient: promote: %w", err))
		return
	}
	c.endTrial()
	c.log.Info("new TC credentials reached the LNS: promoted; the previous set is kept as bak", "credentials", s)
	c.emit(Event{Kind: EventPromoted, Cred: agentstore.KindTC, CRC: s.CRC()})
}

// rollbackTC discards the staged TC set and restarts the engine on the reg
// set.
func (l *loop) rollbackTC(why error) {
	c := l.c
	s, _ := c.opts.Store.StagedCredentials(l.ctx, agentstore.KindTC)
	if err := c.opts.Store.DiscardStaged(l.ctx, agentstore.KindTC); err != nil {
		c.log.Error("discard staged TC credentials", "error", err)
	}
	c.log.Warn("new TC credentials rolled back; back on the previous set", "credentials", s, "why", why)
	c.emit(Event{Kind: EventRolledBack, Cred: agentstore.KindTC, CRC: s.CRC(), Err: why})
	l.restartTC(false)
}
