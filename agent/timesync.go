package agent

import (
	"time"

	"github.com/loraedge/loraedge/station"
)

// timesyncTick sends the LNS a timesync request while the PPS phase is
// known and GPS time is not (onTimesyncLns in src/timesync.c): volleys of
// timesyncBurst requests timesyncRetry apart, then a pause. Without a
// connection it just waits for the next pause.
func (a *Agent) timesyncTick(gen uint64) {
	a.rmu.Lock()
	r := &a.radio
	if !r.running || r.gen != gen {
		a.rmu.Unlock()
		return
	}
	c := a.currentConn()
	send := r.ppsOffset >= 0 && r.gpsOffset == 0 && c != nil && c.configured.Load()
	delay := int64(timesyncPause)
	var txtime int64
	if send {
		txtime = a.ustime()
		if r.tsCount%timesyncBurst != 0 {
			delay = timesyncRetry
		}
		r.tsCount++
	}
	if r.tsTimer != nil {
		r.tsTimer.Stop()
	}
	r.tsTimer = a.clock.AfterFunc(time.Duration(delay)*time.Microsecond, func() { a.timesyncTick(gen) })
	a.rmu.Unlock()
	if !send {
		return
	}
	if err := c.send(&station.Timesync{TxTime: txtime}); err != nil {
		a.log.Debug("timesync not sent", "error", err)
		return
	}
	a.count(func(s *Stats) { s.TimesyncSent++ })
}

// handleTimesync takes the LNS's timesync: an answer to a request
// (txtime echoed, gpstime when the LNS read it) pins the GPS second of the
// PPS edges when exactly one edge fits the round trip; a push (xtime,
// gpstime) sets the GPS time of an xtime outright.
func (a *Agent) handleTimesync(m *station.Timesync, rxtime int64) {
	a.updateMuxTime(m.MuxTime, rxtime)
	a.rmu.Lock()
	defer a.rmu.Unlock()
	r := &a.radio
	if !r.running {
		return
	}
	if m.XTime != 0 {
		if m.XTime.Session() != r.session || m.XTime.Unit() != 0 {
			a.log.Warn("timesync xtime of another radio session ignored", "xtime", int64(m.XTime))
		} else {
			us := a.xtimeToUsLocked(m.XTime)
			g := int64(m.GPSTime)
			r.ppsOffset = (((us - g%usPerSec) % usPerSec) + usPerSec) % usPerSec
			r.gpsOffset, r.ppsXt = g, m.XTime
			a.log.Info("GPS time set by the LNS", "xtime", int64(m.XTime), "gpstime", g)
		}
	}
	if m.TxTime == 0 || m.GPSTime == 0 {
		return
	}
	if r.ppsOffset < 0 || rxtime-m.TxTime >= timesyncMaxRTT || r.gpsOffset != 0 {
		return
	}
	tx, rx := m.TxTime-r.ppsOffset, rxtime-r.ppsOffset
	g := int64(m.GPSTime)
	gpsUs := g % usPerSec
	gpsS := g - gpsUs
	n, usS := 0, int64(0)
	for s := floorDiv(tx, usPerSec); s <= floorDiv(rx, usPerSec); s++ {
		if c := s*usPerSec + gpsUs; c >= tx && c <= rx {
			usS = s*usPerSec + r.ppsOffset
			n++
		}
	}
	if n != 1 {
		a.log.Debug("timesync answer ambiguous", "solutions", n, "rtt_us", rxtime-m.TxTime)
		return
	}
	inferred := r.syncXt.Micros() + (usS - r.syncUs)
	delta := roundSecs(inferred - r.ppsXt.Micros())
	if j := r.ppsXt.Micros() + delta - inferred; j > ppsMaxJitter || j < -ppsMaxJitter {
		a.log.Warn("timesync: too much drift between the last PPS and the inferred one", "jitter_us", j)
		return
	}
	r.gpsOffset = gpsS - delta
	a.log.Info("GPS time acquired from the LNS", "gps_at_pps", r.gpsOffset)
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// handleGetxtime answers getxtime with the echoed MuxTime, the agent's
// monotonic and UTC clocks and the xtime of each of Station's four TX
// units (only unit 0 exists here; the others are 0).
func (a *Agent) handleGetxtime(c *conn, m *station.Getxtime) {
	us := a.ustime()
	xtimes := make([]station.XTime, 4)
	a.rmu.Lock()
	if a.radio.running {
		xtimes[0] = station.XTime(int64(a.radio.syncXt) + (us - a.radio.syncUs))
	}
	a.rmu.Unlock()
	reply := &station.Getxtime{
		MuxTime: m.MuxTime,
		UsTime:  station.Seconds(float64(us) / 1e6),
		UTCTime: a.utc(us),
		XTimes:  xtimes,
	}
	if err := c.send(reply); err != nil {
		a.log.Debug("getxtime answer not sent", "error", err)
	}
}
