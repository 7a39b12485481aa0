package station

import (
	"testing"
	"time"
)

func TestXTimeFields(t *testing.T) {
	// The xtime of the updf Station 2.0.6 sent in the notes: unit 0,
	// session 0x7B.
	x := XTime(34621422408357864)
	if x.Unit() != 0 || x.Session() != 0x7B || x.Micros() != 34621422408357864-0x7B<<48 {
		t.Errorf("unit, session, µs = %d, %#x, %d", x.Unit(), x.Session(), x.Micros())
	}
	tests := []struct {
		unit, session uint8
		micros        int64
		want          XTime
	}{
		{0, 1, 0, 1 << 48},
		{1, 0xFF, 1<<48 - 1, 0x01FFFFFFFFFFFFFF},
		{0x7F, 0x80, 5, 0x7F80000000000005},
		{0xFF, 1, 1 << 48, 0x7F01000000000000}, // unit and µs are masked
	}
	for _, tt := range tests {
		got := NewXTime(tt.unit, tt.session, tt.micros)
		if got != tt.want {
			t.Errorf("NewXTime(%d, %d, %d) = %#x, want %#x", tt.unit, tt.session, tt.micros, int64(got), int64(tt.want))
		}
		if got.Unit() != tt.unit&0x7F || got.Session() != tt.session || got.Micros() != tt.micros&(1<<48-1) {
			t.Errorf("fields of %#x = %d, %d, %d", int64(got), got.Unit(), got.Session(), got.Micros())
		}
		if !got.Valid() {
			t.Errorf("%#x not Valid", int64(got))
		}
	}
	for _, x := range []XTime{0, -1, NewXTime(3, 0, 100)} {
		if x.Valid() {
			t.Errorf("%#x Valid, want not", int64(x))
		}
	}
}

func TestXTimeAddSub(t *testing.T) {
	x := NewXTime(2, 9, 1_000_000)
	y := x.Add(5 * time.Second)
	if y != NewXTime(2, 9, 6_000_000) {
		t.Errorf("Add(5s) = %#x", int64(y))
	}
	if d := y.Sub(x); d != 5*time.Second {
		t.Errorf("Sub = %v, want 5s", d)
	}
	if z := x.Add(-1500 * time.Microsecond); z.Micros() != 998_500 || !z.SameSession(x) {
		t.Errorf("Add(-1.5ms) = %#x", int64(z))
	}
	if x.SameSession(NewXTime(2, 10, 1_000_000)) || x.SameSession(NewXTime(1, 9, 1_000_000)) {
		t.Error("SameSession true across sessions or units")
	}
}

func TestXTimeWiden(t *testing.T) {
	const wrap = int64(1) << 32
	tests := []struct {
		name    string
		last    int64 // µs of the last known xtime
		counter uint32
		want    int64
	}{
		{"session start", 0, 5_000_000, 5_000_000},
		{"session start, counter above 2^31", 0, 3_000_000_000, 3_000_000_000},
		{"forward", 10_000_000, 10_500_000, 10_500_000},
		{"frame from the FIFO, slightly older", 10_000_000, 9_950_000, 9_950_000},
		{"counter wrapped", wrap - 1_000, 2_000, wrap + 2_000},
		{"second wrap", 2*wrap - 10, 10, 2*wrap + 10},
		{"just before a wrap, counter not yet wrapped", wrap + 100, 50, wrap + 50},
		{"older frame across a wrap", wrap + 100, 0xFFFFFF00, wrap - 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			last := NewXTime(1, 0x42, tt.last)
			got := last.Widen(tt.counter)
			if got.Micros() != tt.want || got.Unit() != 1 || got.Session() != 0x42 {
				t.Errorf("Widen(%d) from %d = unit %d session %#x µs %d, want µs %d",
					tt.counter, tt.last, got.Unit(), got.Session(), got.Micros(), tt.want)
			}
		})
	}
}

func TestGPSTime(t *testing.T) {
	tests := []struct {
		name string
		utc  time.Time
		gps  GPSTime
	}{
		{"GPS epoch", time.Date(1980, 1, 6, 0, 0, 0, 0, time.UTC), 0},
		{"before the first leap second", time.Date(1981, 6, 30, 23, 59, 59, 0, time.UTC), 46828799e6},
		{"after the first leap second", time.Date(1981, 7, 1, 0, 0, 0, 0, time.UTC), 46828801e6},
		// 2016-12-31 23:59:59 UTC is 17 s behind GPS, 2017-01-01 00:00:00 18 s.
		{"before 2017", time.Date(2016, 12, 31, 23, 59, 59, 0, time.UTC), (1483228799 - 315964800 + 17) * 1e6},
		{"2017", time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC), (1483228800 - 315964800 + 18) * 1e6},
		// Station's notes: 1795783677.288253 UTC.
		{"simulation run", time.UnixMicro(1795783677288253).UTC(), (1795783677288253 - 315964800e6 + 18e6)},
		{"before the GPS epoch", time.Date(1980, 1, 5, 23, 59, 59, 500000000, time.UTC), -500000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := GPSTimeOf(tt.utc); got != tt.gps {
				t.Errorf("GPSTimeOf(%v) = %d, want %d", tt.utc, got, tt.gps)
			}
			if got := tt.gps.Time(); !got.Equal(tt.utc) {
				t.Errorf("GPSTime(%d).Time() = %v, want %v", tt.gps, got, tt.utc)
			}
		})
	}
	// The inserted leap second 2016-12-31 23:59:60 maps to the next second.
	leap := GPSTime((1483228800 - 315964800 + 17) * 1e6)
	if got, want := leap.Time(), time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("leap second = %v, want %v", got, want)
	}
	now := time.Now().Truncate(time.Microsecond)
	if d := time.Duration(GPSTimeOf(now))*time.Microsecond - now.Sub(time.Date(1980, 1, 6, 0, 0, 0, 0, time.UTC)); d != GPSLeapSeconds*time.Second {
		t.Errorf("GPS lead on UTC today = %v, want %ds", d, GPSLeapSeconds)
	}
}

func TestSecondsTime(t *testing.T) {
	tm := time.Date(2026, 11, 27, 12, 40, 30, 123456000, time.UTC)
	s := SecondsOf(tm)
	if got := s.Time(); !got.Equal(tm) {
		t.Errorf("SecondsOf(%v).Time() = %v", tm, got)
	}
	tests := []struct {
		s    Seconds
		want string
	}{
		{0, "0.000000"},
		{21.5, "21.500000"}, // Station's selftest of uj_encTime
		{1795783677.292109, "1795783677.292109"},
		{-1.25, "-1.250000"},
		{1e-7, "0.0000001"},      // six decimals would lose it
		{0.1234567, "0.1234567"}, // ditto
		{1e21, "1000000000000000000000.000000"},
	}
	for _, tt := range tests {
		b, err := tt.s.MarshalJSON()
		if err != nil || string(b) != tt.want {
			t.Errorf("Seconds(%v).MarshalJSON() = %s, %v; want %s", float64(tt.s), b, err, tt.want)
		}
	}
}
