package lgwsim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
)

// GatewayName returns the name under which the gateway of a TX unit is
// attached to the Air while connected, the name its path losses use.
func GatewayName(unit uint8) string { return "lgwsim-" + strconv.Itoa(int(unit)) }

// ServerOptions are the settings of a Server; the zero value gives the
// defaults.
type ServerOptions struct {
	// DeliverBadCRC sends frames damaged on the air (collided, cut) with
	// status STAT_CRC_BAD and a flipped bit instead of dropping them.
	DeliverBadCRC bool
	// FullDuplex lets a gateway hear frames while it transmits; otherwise
	// its own emission blinds it, as a half-duplex SX1301 board.
	FullDuplex bool
	// Monotonic returns the monotonic clock in µs; nil means
	// MonotonicMicros. Gateways must read the same clock.
	Monotonic func() int64
	// OnConnect and OnDisconnect, if set, are told when a gateway's
	// connection begins (after its time-base record) and ends.
	OnConnect, OnDisconnect func(unit uint8)
	// Logger receives the server's logs; nil discards them.
	Logger *slog.Logger
}

// ServerStats counts what a Server did.
type ServerStats struct {
	Connects  int // gateway connections with a valid time base
	Uplinks   int // receive records written to gateways
	Downlinks int // frames from gateways put on the air
	Late      int // of those, frames whose start had passed when they arrived
	Dropped   int // frames a gateway did not hear (too weak, blinded, damaged)
	Malformed int // records from gateways that could not be used
}

// Server is the simulator side of the radio-simulation socket: every
// gateway that connects becomes a receiver on an Air (named by GatewayName,
// heard and hearing through the Air's path losses), the frames it hears
// are written to it as receive records stamped with its own counter, and
// the frames it writes are put on the Air at their counter value. A unit is
// heard through one connection at a time: the newest of a unit takes the place
// of an earlier one, which stays open and may still transmit, as with
// Station's Python simulator.
type Server struct {
	air  *sim.Air
	opts ServerOptions
	log  *slog.Logger
	t0   time.Time // the air clock's time when m0 was read
	m0   int64     // monotonic µs at t0

	mu    sync.Mutex
	gws   map[uint8]*gateway
	conns map[net.Conn]struct{}
	stats ServerStats
}

// NewServer returns a server for gateways on air. The air's clock must be
// real time (sim.RealClock): gateways count time with the monotonic clock.
func NewServer(air *sim.Air, opts ServerOptions) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Monotonic == nil {
		opts.Monotonic = MonotonicMicros
	}
	return &Server{air: air, opts: opts, log: log, t0: air.Clock().Now(), m0: opts.Monotonic(),
		gws: map[uint8]*gateway{}, conns: map[net.Conn]struct{}{}}
}

// Listen listens on a Unix socket at path, first removing a stale socket
// left there (simutils.py unlinks it too); any other file is left alone
// and is an error.
func Listen(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("lgwsim: listen: %s exists and is not a socket", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("lgwsim: listen: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("lgwsim: listen: %w", err)
	}
	return ln, nil
}

// Stats returns the counters since the server was made.
func (s *Server) Stats() ServerStats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

// count updates the counters.
func (s *Server) count(f func(*ServerStats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

// mono converts a time of the air's clock to monotonic µs.
func (s *Server) mono(t time.Time) int64 { return s.m0 + t.Sub(s.t0).Microseconds() }

// Serve accepts gateways on ln until ctx is done (it then returns nil) or
// ln fails; it closes ln and every connection before returning.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		<-ctx.Done()
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
	}()
	var err error
	for {
		conn, aerr := ln.Accept()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("lgwsim: accept: %w", aerr)
			}
			break
		}
		s.mu.Lock()
		s.conns[conn] = struct{}{}
		s.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(ctx, conn)
			s.mu.Lock()
			delete(s.conns, conn)
			s.mu.Unlock()
			conn.Close()
		}()
	}
	cancel()
	wg.Wait()
	return err
}

// SendCCA writes a listen-before-talk table to the gateway of unit.
func (s *Server) SendCCA(unit uint8, t CCATable) error {
	b, err := t.MarshalBinary()
	if err != nil {
		return err
	}
	s.mu.Lock()
	g := s.gws[unit]
	s.mu.Unlock()
	if g == nil {
		return fmt.Errorf("lgwsim: cca: no gateway of unit %d connected", unit)
	}
	return g.write(b)
}

// handle serves one gateway connection.
func (s *Server) handle(ctx context.Context, conn net.Conn) {
	buf := make([]byte, TxRecordSize)
	if _, err := io.ReadFull(conn, buf); err != nil {
		if ctx.Err() == nil {
			s.log.Warn("gateway closed before its time-base record", "error", err)
		}
		return
	}
	var rec TxRecord
	offset, unit, ok := int64(0), uint8(0), false
	if err := rec.UnmarshalBinary(buf); err == nil {
		offset, unit, ok = rec.TimeBase()
	}
	if !ok {
		s.count(func(st *ServerStats) { st.Malformed++ })
		s.log.Warn("first record from a gateway is not a time base (tx_mode 255); lgw2 layouts are not supported", "tx_mode", buf[txOffMode])
		return
	}
	g := &gateway{s: s, unit: unit, name: GatewayName(unit), conn: conn, offset: offset, timers: map[uint64]sim.Timer{}}
	if err := s.register(g); err != nil {
		s.log.Warn("gateway refused", "unit", unit, "error", err)
		return
	}
	defer s.unregister(g)
	s.log.Info("gateway connected", "unit", unit, "name", g.name, "time_offset", offset,
		"counter", uint32(s.opts.Monotonic()-offset))
	if s.opts.OnConnect != nil {
		s.opts.OnConnect(unit)
	}
	for {
		if _, err := io.ReadFull(conn, buf); err != nil {
			switch {
			case ctx.Err() != nil, errors.Is(err, net.ErrClosed):
			case errors.Is(err, io.EOF):
				s.log.Info("gateway disconnected", "unit", unit)
			default:
				s.log.Warn("gateway connection lost", "unit", unit, "error", err)
			}
			return
		}
		if err := rec.UnmarshalBinary(buf); err != nil {
			s.count(func(st *ServerStats) { st.Malformed++ })
			s.log.Warn("record from gateway dropped", "unit", unit, "error", err)
			continue
		}
		if off, _, ok := rec.TimeBase(); ok {
			g.mu.Lock()
			g.offset = off
			g.mu.Unlock()
			continue
		}
		g.schedule(&rec)
	}
}

// register attaches g to the air in the place of an earlier connection of
// the same unit, as simutils.py's LgwSimServer.connected does: the earlier
// connection stays open and its frames still go on the air, but it hears
// nothing more, even after g leaves. Closing it instead would make its
// Station reconnect at once and take the unit back, and two Stations of
// one unit would flap forever. The air is changed under s.mu, so that the
// one name of a unit is never attached twice or detached from the wrong
// connection (the air calls listeners without its own lock, and never
// takes s.mu while holding it).
func (s *Server) register(g *gateway) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if old := s.gws[g.unit]; old != nil {
		s.log.Warn("a second gateway connected as the same unit: the newest hears the air, the earlier one "+
			"stays connected but hears nothing (give each gateway its own unit)", "unit", g.unit)
		s.air.Detach(old.name)
		delete(s.gws, g.unit)
	}
	if err := s.air.Attach(g.name, g); err != nil {
		return err
	}
	s.gws[g.unit] = g
	s.stats.Connects++
	return nil
}

// unregister takes g off the air, unless a newer connection of its unit
// took its place (an earlier one is not put back), and drops the frames it
// had scheduled.
func (s *Server) unregister(g *gateway) {
	g.close()
	s.mu.Lock()
	if s.gws[g.unit] == g {
		delete(s.gws, g.unit)
		s.air.Detach(g.name)
	}
	s.mu.Unlock()
	if s.opts.OnDisconnect != nil {
		s.opts.OnDisconnect(g.unit)
	}
}

// gateway is one connected gateway: a listener on the air and a
// transmitter for the frames it writes.
type gateway struct {
	s    *Server
	unit uint8
	name string
	conn net.Conn
	wmu  sync.Mutex

	mu     sync.Mutex
	offset int64
	closed bool
	nextID uint64
	timers map[uint64]sim.Timer // scheduled transmissions
	tx     [][2]int64           // recent emissions, monotonic µs [start, end)
}

// close cancels the gateway's scheduled transmissions.
func (g *gateway) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.closed = true
	for id, t := range g.timers {
		t.Stop()
		delete(g.timers, id)
	}
}

// write sends one record to the gateway; a failed write drops the
// connection.
func (g *gateway) write(b []byte) error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	err := g.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	if err == nil {
		_, err = g.conn.Write(b)
	}
	if err != nil {
		g.conn.Close()
		return fmt.Errorf("lgwsim: write to unit %d: %w", g.unit, err)
	}
	return nil
}

// FrameStarted is part of sim.Listener; gateways act at a frame's end.
func (g *gateway) FrameStarted(*sim.Frame, sim.Reception) {}

// FrameEnded writes a frame the gateway heard as a receive record stamped
// with its counter at the frame's end.
func (g *gateway) FrameEnded(f *sim.Frame, rx sim.Reception) {
	if f.InvertIQ {
		return // a downlink: gateways listen with normal polarity
	}
	s := g.s
	start, end := s.mono(f.Start), s.mono(f.End)
	g.mu.Lock()
	closed, offset := g.closed, g.offset
	blind := !s.opts.FullDuplex && g.transmittedDuring(start, end)
	g.mu.Unlock()
	if closed {
		return
	}
	drop := ""
	switch {
	case !audible(f, rx):
		drop = "too weak"
	case blind:
		drop = "gateway was transmitting"
	case rx.Damaged() && (!s.opts.DeliverBadCRC || !f.CRC):
		drop = "damaged on air"
	}
	if drop != "" {
		s.count(func(st *ServerStats) { st.Dropped++ })
		s.log.Debug("frame not heard", "unit", g.unit, "from", f.Source, "freq", f.Freq, "reason", drop)
		return
	}
	p := hal.RxPacket{
		Payload: append([]byte(nil), f.Payload...), Freq: f.Freq,
		Modulation: f.Modulation, SpreadingFactor: f.SpreadingFactor, Bandwidth: f.Bandwidth,
		CodeRate: f.CodeRate, DataRate: f.DataRate,
		RSSI: float32(rx.RSSI), SNR: float32(rx.SNR), CRC: hal.CRCNone,
		CountUS: uint32(end - offset),
	}
	if f.CRC {
		p.CRC = hal.CRCOK
	}
	if rx.Damaged() {
		p.Payload[len(p.Payload)/2] ^= 0x10
		p.CRC = hal.CRCBad
	}
	rec, err := RxRecordFrom(&p)
	if err != nil {
		s.log.Warn("frame cannot be encoded", "unit", g.unit, "error", err)
		return
	}
	b, _ := rec.MarshalBinary()
	if err := g.write(b); err != nil {
		s.log.Warn("uplink not delivered", "error", err)
		return
	}
	s.count(func(st *ServerStats) { st.Uplinks++ })
}

// transmittedDuring reports whether the gateway emitted during [start,
// end). The caller holds g.mu.
func (g *gateway) transmittedDuring(start, end int64) bool {
	for _, t := range g.tx {
		if start < t[1] && t[0] < end {
			return true
		}
	}
	return false
}

// schedule puts a frame record on the air at its counter value (at once
// for immediate ones, and for those already late).
func (g *gateway) schedule(rec *TxRecord) {
	s := g.s
	p, err := rec.Packet()
	if err != nil {
		s.count(func(st *ServerStats) { st.Malformed++ })
		s.log.Warn("tx record dropped", "unit", g.unit, "error", err)
		return
	}
	f := sim.Frame{
		Freq: p.Freq, Modulation: p.Modulation, SpreadingFactor: p.SpreadingFactor, Bandwidth: p.Bandwidth,
		CodeRate: p.CodeRate, DataRate: p.DataRate, InvertIQ: p.InvertPol, Preamble: p.Preamble,
		CRC: !p.NoCRC, NoHeader: p.NoHeader, Power: float64(p.Power), Payload: p.Payload,
	}
	now := s.mono(s.air.Clock().Now())
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	start := now
	if p.Mode == hal.TxTimestamped {
		start = now + int64(int32(p.CountUS-uint32(now-g.offset)))
	}
	g.nextID++
	id := g.nextID
	g.timers[id] = s.air.Clock().AfterFunc(time.Duration(start-now)*time.Microsecond, func() { g.emit(id, f, start) })
	s.log.Debug("tx scheduled", "unit", g.unit, "freq", p.Freq, "count_us", p.CountUS, "in", time.Duration(start-now)*time.Microsecond)
}

// emit puts a scheduled frame on the air.
func (g *gateway) emit(id uint64, f sim.Frame, nominal int64) {
	s := g.s
	g.mu.Lock()
	if _, ok := g.timers[id]; !ok || g.closed {
		g.mu.Unlock()
		return
	}
	delete(g.timers, id)
	g.mu.Unlock()
	late := s.mono(s.air.Clock().Now()) - nominal
	out, err := s.air.Transmit(g.name, f)
	if err != nil {
		s.count(func(st *ServerStats) { st.Malformed++ })
		s.log.Warn("tx refused by the air", "unit", g.unit, "error", err)
		return
	}
	start, end := s.mono(out.Start), s.mono(out.End)
	g.mu.Lock()
	keep := g.tx[:0]
	for _, t := range g.tx {
		if t[1] > start-txMemory {
			keep = append(keep, t)
		}
	}
	g.tx = append(keep, [2]int64{start, end})
	g.mu.Unlock()
	s.count(func(st *ServerStats) {
		st.Downlinks++
		if late > lateThreshold {
			st.Late++
		}
	})
	s.log.Debug("tx on air", "unit", g.unit, "freq", f.Freq, "late_us", late)
}

// txMemory is how long (µs) a gateway's emissions are remembered for its
// half-duplex blindness: longer than any LoRa frame lasts.
const txMemory = 30_000_000

// lateThreshold (µs) is how late a frame may reach the air before it is
// counted as late: timer latency, not a late gateway.
const lateThreshold = 1000

// audible reports whether a gateway demodulates a frame heard with rx: the
// LoRa floors of hal/sim's concentrators (-7.5 dB at SF7, 2.5 dB less per
// step; SX1276 datasheet, table 13) and 10 dB for FSK.
func audible(f *sim.Frame, rx sim.Reception) bool {
	if f.Modulation == hal.ModulationFSK {
		return rx.SNR >= 10
	}
	return rx.SNR >= -7.5-2.5*float64(f.SpreadingFactor-7)
}
