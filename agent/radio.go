package agent

import (
	"context"
	"fmt"
	"math"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

// Time-sync constants of src/timesync.c and src/s2conf.h.
const (
	usPerSec        = 1_000_000
	ppsMaxError     = 1000              // µs a PPS may stray from whole seconds (MAX_PPS_ERROR)
	ppsMaxAge       = 600 * usPerSec    // a PPS sync older than this cannot convert times (PPS_VALID_INTV)
	ppsMaxSpread    = usPerSec + 10_000 // latch at most 1 s + TX_MIN_GAP before the counter read
	ppsMaxJitter    = 100               // µs between inferred and latched PPS (MAX_MCU_DRIFT_THRES)
	timesyncRetry   = 71_000            // µs between timesync requests of a volley (TIMESYNC_LNS_RETRY)
	timesyncPause   = 5 * usPerSec      // µs after a volley (TIMESYNC_LNS_PAUSE)
	timesyncBurst   = 10                // requests per volley (TIMESYNC_LNS_BURST)
	timesyncMaxRTT  = 2 * usPerSec      // longer round trips are ignored
	mirrorWindowUS  = 30_000            // identical frames this close are mirrors
	mirrorRemembers = 8
)

// radioState is the running concentrator as the agent sees it: its
// configuration, its xtime session, and the time sync between the agent's
// clock (ustime), the radio counter (xtime) and GPS time.
type radioState struct {
	running bool
	gen     uint64 // run number, checked by timer callbacks and TX reports
	cfg     hal.Config
	session uint8
	last    station.XTime // newest xtime known; the base for widening
	syncUs  int64         // ustime of the last counter read
	syncXt  station.XTime // xtime of the last counter read
	timer   Timer
	changed chan struct{} // closed and replaced at each start and stop

	latchOK   bool
	latch     uint32
	prevPPS   station.XTime // PPS edge seen at the previous sync, 0 if none
	ppsXt     station.XTime // last accepted PPS edge (ppsSync.pps_xtime)
	ppsOffset int64         // phase of the PPS in ustime (µs within the second), -1 unknown
	gpsOffset int64         // GPS µs at ppsXt, 0 while GPS time is unknown
	tsTimer   Timer
	tsCount   int
}

// startRadio starts the concentrator with cfg, unless it already runs
// with that very configuration; a start draws a new xtime session.
func (a *Agent) startRadio(ctx context.Context, cfg hal.Config) (restarted bool, err error) {
	a.rmu.Lock()
	r := &a.radio
	if r.running && r.cfg == cfg {
		a.rmu.Unlock()
		return false, nil
	}
	if r.running {
		a.stopRadioLocked()
	}
	if err := a.hw.Start(ctx, cfg); err != nil {
		a.rmu.Unlock()
		return false, fmt.Errorf("agent: start radio: %w", err)
	}
	cnt, err := a.hw.Counter()
	if err != nil {
		_ = a.hw.Stop()
		a.rmu.Unlock()
		return false, fmt.Errorf("agent: read radio counter: %w", err)
	}
	r.running = true
	r.gen++
	r.cfg = cfg
	r.session = a.newSession()
	// The first counter read carries the 32-bit counter forward from 0,
	// whatever its value (Station's first time sync of a session).
	r.last = station.NewXTime(0, r.session, 0).Widen(cnt)
	r.syncUs, r.syncXt = a.ustime(), r.last
	r.latchOK, r.prevPPS, r.ppsXt, r.ppsOffset, r.gpsOffset, r.tsCount = false, 0, 0, -1, 0, 0
	gen, session := r.gen, r.session
	a.syncPPSLocked(cnt, r.syncUs, r.last)
	r.timer = a.clock.AfterFunc(a.opts.TimesyncInterval, func() { a.syncTick(gen) })
	done := a.hw.TxDone()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		for d := range done {
			a.onTxDone(gen, d)
		}
	}()
	close(r.changed)
	r.changed = make(chan struct{})
	a.rmu.Unlock()

	a.count(func(s *Stats) { s.RadioStarts++ })
	a.log.Info("radio started", "session", session, "counter", cnt)
	return true, nil
}

// stopRadio stops the concentrator if it runs.
func (a *Agent) stopRadio() {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	a.stopRadioLocked()
}

func (a *Agent) stopRadioLocked() {
	r := &a.radio
	if !r.running {
		return
	}
	r.running = false
	r.timer.Stop()
	if r.tsTimer != nil {
		r.tsTimer.Stop()
		r.tsTimer = nil
	}
	if err := a.hw.Stop(); err != nil {
		a.log.Warn("radio stop", "error", err)
	}
	close(r.changed)
	r.changed = make(chan struct{})
	a.log.Info("radio stopped", "session", r.session)
}

// radioChanged returns a channel closed at the next start or stop, and
// whether the radio runs now.
func (a *Agent) radioChanged() (<-chan struct{}, bool) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	return a.radio.changed, a.radio.running
}

// syncTick is the periodic time sync (synctime in ral_lgw.c): it keeps the
// widening base fresh and watches the PPS.
func (a *Agent) syncTick(gen uint64) {
	a.rmu.Lock()
	r := &a.radio
	if !r.running || r.gen != gen {
		a.rmu.Unlock()
		return
	}
	r.timer = a.clock.AfterFunc(a.opts.TimesyncInterval, func() { a.syncTick(gen) })
	start := false
	cnt, err := a.hw.Counter()
	if err == nil {
		us := a.ustime()
		xt := r.last.Widen(cnt)
		if xt > r.last {
			r.last = xt
		}
		r.syncUs, r.syncXt = us, xt
		start = a.syncPPSLocked(cnt, us, xt)
	}
	a.rmu.Unlock()
	if err != nil {
		a.log.Debug("radio counter", "error", err)
		return
	}
	if start {
		a.timesyncTick(gen)
	}
}

// syncPPSLocked follows the PPS from one counter read to the next
// (ts_updateTimesync): a pulse seen at two reads in a row, on whole
// seconds of each other, gives the PPS phase; the first one starts the
// timesync exchange with the LNS, which is reported by the result.
func (a *Agent) syncPPSLocked(cnt uint32, us int64, xt station.XTime) (startTimesync bool) {
	r := &a.radio
	latch, ok, err := a.hw.PPSLatch()
	ok = ok && err == nil
	var pps station.XTime
	if ok && (!r.latchOK || latch != r.latch) {
		p := xt.Micros() + int64(int32(latch-cnt))
		if p > 0 && xt.Micros()-p <= ppsMaxSpread {
			pps = station.NewXTime(0, r.session, p)
		}
	}
	r.latchOK, r.latch = ok, latch
	defer func() { r.prevPPS = pps }()
	if pps == 0 || r.prevPPS == 0 {
		return false
	}
	e := (pps.Micros() - r.prevPPS.Micros()) % usPerSec
	if e > ppsMaxError && e < usPerSec-ppsMaxError {
		return false
	}
	ppsUs := us + (pps.Micros() - xt.Micros())
	off := ((ppsUs % usPerSec) + usPerSec) % usPerSec
	if r.gpsOffset != 0 {
		r.gpsOffset += roundSecs(pps.Micros() - r.ppsXt.Micros())
	}
	r.ppsXt = pps
	if r.ppsOffset < 0 {
		r.ppsOffset = off
		r.tsCount = 1
		a.log.Info("PPS acquired, starting timesync with the LNS", "pps_offset_us", off)
		return true
	}
	r.ppsOffset = off
	return false
}

// roundSecs rounds µs to whole seconds.
func roundSecs(us int64) int64 {
	return int64(math.Round(float64(us)/usPerSec)) * usPerSec
}

// xtimeToUs converts an xtime of the running session to ustime
// (ts_xtime2ustime). The caller holds rmu.
func (a *Agent) xtimeToUsLocked(xt station.XTime) int64 {
	r := &a.radio
	return r.syncUs + (xt.Micros() - r.syncXt.Micros())
}

// xtimeToGPSLocked converts an xtime to GPS µs (ts_xtime2gpstime), 0
// while GPS time is unknown or the last PPS is too old. The caller holds
// rmu.
func (a *Agent) xtimeToGPSLocked(xt station.XTime) station.GPSTime {
	r := &a.radio
	if r.ppsXt == 0 || r.gpsOffset == 0 || !xt.SameSession(r.ppsXt) {
		return 0
	}
	d := xt.Micros() - r.ppsXt.Micros()
	if d > ppsMaxAge {
		return 0
	}
	return station.GPSTime(r.gpsOffset + d)
}

// gpsToXTimeLocked converts GPS µs to an xtime of the running session
// (ts_gpstime2xtime), 0 when that cannot be done. The caller holds rmu.
func (a *Agent) gpsToXTimeLocked(g station.GPSTime) station.XTime {
	r := &a.radio
	if !r.running || r.ppsXt == 0 || r.gpsOffset == 0 || r.syncXt.Micros()-r.ppsXt.Micros() > ppsMaxAge {
		return 0
	}
	return station.NewXTime(0, r.session, int64(g)-r.gpsOffset+r.ppsXt.Micros())
}

// nowXTime reads the counter and returns the current xtime, with the
// session's unit and id.
func (a *Agent) nowXTimeLocked() (station.XTime, error) {
	r := &a.radio
	if !r.running {
		return 0, hal.ErrStopped
	}
	cnt, err := a.hw.Counter()
	if err != nil {
		return 0, err
	}
	xt := r.last.Widen(cnt)
	if xt > r.last {
		r.last = xt
	}
	return xt, nil
}

// widenLocked turns a counter value of the running session into an xtime.
func (a *Agent) widenLocked(cnt uint32) station.XTime {
	r := &a.radio
	xt := r.last.Widen(cnt)
	if xt > r.last {
		r.last = xt
	}
	return xt
}
