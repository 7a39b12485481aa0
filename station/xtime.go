package station

import (
	"time"
)

// XTime is Station's 64-bit radio timestamp (src/ral.h): bit 63 is always
// 0, bits 62–56 are the radio unit (the rctx of the receiving or sending
// radio), bits 55–48 a random session id chosen at each radio start (never
// 0, so a valid xtime is never 0) and bits 47–0 microseconds of the
// concentrator counter, widened from its 32 bits. Values exceed 2^53 and
// must never pass through a float64.
type XTime int64

const (
	xtimeUnitShift    = 56
	xtimeSessionShift = 48
	xtimeUnitMask     = 0x7F
	xtimeSessionMask  = 0xFF
	xtimeMicrosMask   = 1<<48 - 1
)

// NewXTime builds an xtime from a radio unit (0–127; higher bits are
// dropped), a session id and a microsecond count (its low 48 bits are kept).
func NewXTime(unit, session uint8, micros int64) XTime {
	return XTime(int64(unit&xtimeUnitMask)<<xtimeUnitShift |
		int64(session)<<xtimeSessionShift |
		micros&xtimeMicrosMask)
}

// Unit returns the radio unit (bits 62–56), which Station also uses as the
// rctx of a downlink that carries no rctx.
func (x XTime) Unit() uint8 { return uint8(x>>xtimeUnitShift) & xtimeUnitMask }

// Session returns the session id (bits 55–48).
func (x XTime) Session() uint8 { return uint8(x >> xtimeSessionShift) }

// Micros returns the microsecond count (bits 47–0).
func (x XTime) Micros() int64 { return int64(x) & xtimeMicrosMask }

// Valid reports whether x can be a Station xtime: positive with a non-zero
// session id.
func (x XTime) Valid() bool { return x > 0 && x.Session() != 0 }

// SameSession reports whether x and y come from the same radio session (same
// unit and session id); a downlink whose xtime belongs to another session
// must be refused, since the concentrator counter restarted in between.
func (x XTime) SameSession(y XTime) bool { return x>>xtimeSessionShift == y>>xtimeSessionShift }

// Add returns x moved by d (rounded down to the microsecond), keeping unit
// and session; Station adds RxDelay seconds to an uplink's xtime this way.
func (x XTime) Add(d time.Duration) XTime {
	return NewXTime(x.Unit(), x.Session(), x.Micros()+d.Microseconds())
}

// Sub returns the time from y to x. Both must belong to the same session
// for the result to mean anything.
func (x XTime) Sub(y XTime) time.Duration {
	return time.Duration(x.Micros()-y.Micros()) * time.Microsecond
}

// Widen turns a 32-bit concentrator counter value into an xtime of x's unit
// and session, taking x as the last known xtime: the counter is placed
// within ±2^31 µs (±35.8 min) of x, so wraps of the 32-bit counter (every
// 2^32 µs, about 71.6 min) carry into the upper bits as long as x is
// refreshed more often than that. Timestamps slightly older than x (frames
// that waited in the concentrator's FIFO) come out before x, as in Station's
// ts_xticks2xtime; a result that would fall before the session start (x's
// count being below 2^31) is taken forward instead, as Station's first
// time sync of a session does.
func (x XTime) Widen(counter uint32) XTime {
	m := x.Micros()
	d := int64(int32(counter - uint32(m)))
	n := m + d
	if n < 0 {
		n += 1 << 32
	}
	return NewXTime(x.Unit(), x.Session(), n)
}

// GPSTime is a GPS time in microseconds since the GPS epoch (1980-01-06
// 00:00:00 UTC), counting leap seconds, as Station's gpstime fields carry
// it; 0 means unknown.
type GPSTime int64

// gpsEpochUnix is the GPS epoch in Unix seconds.
const gpsEpochUnix = 315964800

// leapSeconds returns the UTC instants (Unix seconds) at which a leap second
// had just been inserted since the GPS epoch: after the n-th of them,
// GPS time is n seconds ahead of UTC. The last, 2017-01-01, makes the
// offset 18 s, the value since then.
func leapSeconds() [GPSLeapSeconds]int64 {
	return [GPSLeapSeconds]int64{
		362793600,  // 1981-07-01
		394329600,  // 1982-07-01
		425865600,  // 1983-07-01
		489024000,  // 1985-07-01
		567993600,  // 1988-01-01
		631152000,  // 1990-01-01
		662688000,  // 1991-01-01
		709948800,  // 1992-07-01
		741484800,  // 1993-07-01
		773020800,  // 1994-07-01
		820454400,  // 1996-01-01
		867715200,  // 1997-07-01
		915148800,  // 1999-01-01
		1136073600, // 2006-01-01
		1230768000, // 2009-01-01
		1341100800, // 2012-07-01
		1435708800, // 2015-07-01
		1483228800, // 2017-01-01
	}
}

// GPSLeapSeconds is GPS time's lead on UTC since 2017-01-01, in seconds.
const GPSLeapSeconds = 18

// leapsAtUnix returns GPS−UTC in seconds at a UTC instant (Unix seconds).
func leapsAtUnix(unix int64) int64 {
	n := int64(0)
	for _, l := range leapSeconds() {
		if unix >= l {
			n++
		}
	}
	return n
}

// GPSTimeOf converts a time to GPS microseconds, adding the leap seconds in
// force at t (18 s since 2017).
func GPSTimeOf(t time.Time) GPSTime {
	us := t.UnixMicro()
	sec := us / 1e6
	if us < 0 && us%1e6 != 0 {
		sec--
	}
	return GPSTime(us - gpsEpochUnix*1e6 + leapsAtUnix(sec)*1e6)
}

// Time converts GPS microseconds back to UTC. The GPS second of an inserted
// leap second has no UTC name of its own and maps to the second after it.
func (g GPSTime) Time() time.Time {
	gs := int64(g) / 1e6
	if g < 0 && int64(g)%1e6 != 0 {
		gs--
	}
	n := int64(0)
	for i, l := range leapSeconds() {
		// In GPS seconds, the i+1-th leap second ends at l-epoch+i+1.
		if gs >= l-gpsEpochUnix+int64(i)+1 {
			n = int64(i) + 1
		}
	}
	return time.UnixMicro(int64(g) + gpsEpochUnix*1e6 - n*1e6).UTC()
}
