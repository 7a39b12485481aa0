package sim

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
)

// Frame is one transmission on the air.
type Frame struct {
	// Freq is the centre frequency in Hz.
	Freq uint32
	// Modulation, SpreadingFactor (LoRa 7..12), Bandwidth (LoRa, Hz),
	// CodeRate (LoRa) and DataRate (FSK bit/s) describe the modulation.
	Modulation      hal.Modulation
	SpreadingFactor int
	Bandwidth       uint32
	CodeRate        hal.CodeRate
	DataRate        uint32
	// InvertIQ is set on downlinks: gateways hear only frames without it,
	// devices only frames with it, as in LoRaWAN.
	InvertIQ bool
	// PrivateSync marks the private sync word; LoRaWAN uses the public one.
	PrivateSync bool
	// Preamble is the preamble in symbols (LoRa) or bytes (FSK); 0 means 8
	// symbols or 5 bytes.
	Preamble int
	// CRC says the frame carries a payload CRC (uplinks do, downlinks not).
	CRC bool
	// NoHeader sends with an implicit LoRa header.
	NoHeader bool
	// Power is the transmit power in dBm.
	Power float64
	// Payload is the PHYPayload (1..255 bytes). Receivers must not modify
	// it.
	Payload []byte

	// Set by the Air when the frame goes out.
	ID     uint64    // unique per Air
	Source string    // name of the transmitter
	Start  time.Time // first preamble symbol
	End    time.Time // end of the last symbol
}

// PreambleLength returns the frame's preamble: Preamble, or the default.
func (f *Frame) PreambleLength() int {
	if f.Preamble != 0 {
		return f.Preamble
	}
	if f.Modulation == hal.ModulationFSK {
		return hal.DefaultFSKPreamble
	}
	return hal.DefaultLoRaPreamble
}

// Symbol returns the duration of one LoRa symbol, 2^SF / BW (one byte for
// FSK).
func (f *Frame) Symbol() time.Duration {
	if f.Modulation == hal.ModulationFSK {
		if f.DataRate == 0 {
			return 0
		}
		return time.Duration(8 * uint64(time.Second) / uint64(f.DataRate))
	}
	return symbolTime(f.SpreadingFactor, f.Bandwidth)
}

// symbolTime is 2^sf / bw.
func symbolTime(sf int, bw uint32) time.Duration {
	if bw == 0 || sf < 0 || sf > 12 {
		return 0
	}
	return time.Duration((uint64(1) << sf) * uint64(time.Second) / uint64(bw))
}

// AirTime returns how long the frame stays on air.
func (f *Frame) AirTime() time.Duration {
	if f.Modulation == hal.ModulationFSK {
		return lorawan.FSKTimeOnAir(len(f.Payload), f.DataRate)
	}
	return lorawan.TimeOnAir(len(f.Payload), f.SpreadingFactor, f.Bandwidth, int(f.CodeRate),
		f.PreambleLength(), !f.NoHeader, f.CRC)
}

// validate checks what the air needs to carry the frame.
func (f *Frame) validate() error {
	if n := len(f.Payload); n == 0 || n > hal.MaxPayload {
		return fmt.Errorf("sim: frame: payload of %d bytes, want 1..%d", n, hal.MaxPayload)
	}
	switch f.Modulation {
	case hal.ModulationLoRa:
		if f.SpreadingFactor < 7 || f.SpreadingFactor > 12 {
			return fmt.Errorf("sim: frame: spreading factor %d outside 7..12", f.SpreadingFactor)
		}
		if f.Bandwidth != hal.BW125 && f.Bandwidth != hal.BW250 && f.Bandwidth != hal.BW500 {
			return fmt.Errorf("sim: frame: bandwidth %d Hz", f.Bandwidth)
		}
		if !f.CodeRate.Valid() {
			return fmt.Errorf("sim: frame: code rate %s", f.CodeRate)
		}
	case hal.ModulationFSK:
		if f.DataRate == 0 {
			return errors.New("sim: frame: fsk bit rate 0")
		}
	default:
		return fmt.Errorf("sim: frame: modulation %s", f.Modulation)
	}
	if f.Preamble < 0 || f.Preamble > 0xffff {
		return fmt.Errorf("sim: frame: preamble %d", f.Preamble)
	}
	return nil
}

// Reception is how one listener hears one frame.
type Reception struct {
	// RSSI (dBm) and SNR (dB) of the frame at the listener: RSSI is the
	// frame's power less the path loss, SNR the RSSI less the noise floor
	// of the bandwidth (-174 dBm/Hz + 10·log10(BW) + noise figure),
	// limited to the -32..31.75 dB an SX130x reports.
	RSSI, SNR float64
	// Collided is set at the frame's end when another frame on the same
	// channel overlapped it at this listener.
	Collided bool
	// Truncated is set at the frame's end when the transmitter stopped
	// before the end.
	Truncated bool
}

// Damaged reports whether the frame arrived damaged (collided or cut).
func (r Reception) Damaged() bool { return r.Collided || r.Truncated }

// Listener is a receiver on the air (a concentrator, a device, or a bridge
// to another process). The Air calls it without holding its own lock; calls
// for different frames may come from different goroutines under a real
// clock.
type Listener interface {
	// FrameStarted tells the listener that a frame it can hear (a path
	// loss is set between them) begins.
	FrameStarted(f *Frame, rx Reception)
	// FrameEnded tells it that the frame ended, and whether it was damaged
	// at this listener.
	FrameEnded(f *Frame, rx Reception)
}

// AirConfig holds the rarely changed settings of an Air.
type AirConfig struct {
	// DefaultPathLoss (dB) links every transmitter to every listener that
	// has no path loss of its own; 0 links only pairs set with
	// SetPathLoss.
	DefaultPathLoss float64
	// NoiseFigure (dB) of every receiver; 0 means 6 dB.
	NoiseFigure float64
	// OnFrame, if set, is called as each frame goes out (after its
	// listeners were told), for tests and demos that watch the air. It
	// must not modify the frame's payload.
	OnFrame func(Frame)
}

// Air is the simulated radio medium: it carries frames from their
// transmitter to every listener linked to it (through a path loss), with
// time on air from lorawan, and tells each listener at the end whether the
// frame collided there. It holds no device or gateway logic, so a bridge to
// another process can attach as one more Listener.
type Air struct {
	clock Clock
	cfg   AirConfig

	mu        sync.Mutex
	listeners map[string]Listener
	order     []string // attach order, for deterministic delivery
	loss      map[[2]string]float64
	recent    map[channelKey][]*airFrame // per channel, frames that may still overlap one on the air
	longest   time.Duration              // longest air time seen, how long frames are kept after their end
	nextID    uint64
}

// channelKey groups frames that interfere with each other: same frequency
// and modulation, and for LoRa the same spreading factor and bandwidth
// (different spreading factors are quasi-orthogonal).
type channelKey struct {
	freq uint32
	mod  hal.Modulation
	sf   int
	bw   uint32
	rate uint32
}

// key returns the frame's channel key.
func (f *Frame) key() channelKey {
	if f.Modulation == hal.ModulationFSK {
		return channelKey{freq: f.Freq, mod: f.Modulation, rate: f.DataRate}
	}
	return channelKey{freq: f.Freq, mod: f.Modulation, sf: f.SpreadingFactor, bw: f.Bandwidth}
}

// airFrame is a frame with the air's bookkeeping.
type airFrame struct {
	Frame
	truncated bool
	heard     []hearing
}

// hearing is one listener that heard a frame.
type hearing struct {
	name string
	l    Listener
	rx   Reception
}

// NewAir returns an empty medium on clock.
func NewAir(clock Clock, cfg AirConfig) *Air {
	if cfg.NoiseFigure == 0 {
		cfg.NoiseFigure = 6
	}
	return &Air{clock: clock, cfg: cfg, listeners: map[string]Listener{}, loss: map[[2]string]float64{},
		recent: map[channelKey][]*airFrame{}}
}

// Clock returns the air's clock.
func (a *Air) Clock() Clock { return a.clock }

// Attach adds a listener under a unique name, the name path losses refer
// to.
func (a *Air) Attach(name string, l Listener) error {
	if name == "" {
		return errors.New("sim: attach: empty name")
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, dup := a.listeners[name]; dup {
		return fmt.Errorf("sim: attach: name %q already on the air", name)
	}
	a.listeners[name] = l
	a.order = append(a.order, name)
	return nil
}

// Detach removes a listener; frames on the air are no longer reported to
// it.
func (a *Air) Detach(name string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.listeners[name]; !ok {
		return
	}
	delete(a.listeners, name)
	for i, n := range a.order {
		if n == name {
			a.order = append(a.order[:i], a.order[i+1:]...)
			break
		}
	}
}

// SetPathLoss links two names (in both directions) with a path loss in dB;
// a loss of 0 or below removes the link.
func (a *Air) SetPathLoss(x, y string, dB float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := pairKey(x, y)
	if dB <= 0 {
		delete(a.loss, k)
		return
	}
	a.loss[k] = dB
}

// pairKey orders a pair of names.
func pairKey(x, y string) [2]string {
	if x > y {
		x, y = y, x
	}
	return [2]string{x, y}
}

// pathLoss returns the loss between x and y; ok false when not linked.
// The caller holds a.mu.
func (a *Air) pathLoss(x, y string) (float64, bool) {
	if l, ok := a.loss[pairKey(x, y)]; ok {
		return l, true
	}
	if a.cfg.DefaultPathLoss > 0 {
		return a.cfg.DefaultPathLoss, true
	}
	return 0, false
}

// NoiseFloor returns the receiver noise power in dBm over bw Hz.
func (a *Air) NoiseFloor(bw uint32) float64 {
	if bw == 0 {
		bw = hal.BW125
	}
	return -174 + 10*math.Log10(float64(bw)) + a.cfg.NoiseFigure
}

// Transmit puts a frame on the air now from the transmitter src (which
// need not be attached; path losses name it). It returns the frame with
// ID, Source, Start and End set.
func (a *Air) Transmit(src string, f Frame) (Frame, error) {
	return a.transmitAt(src, f, a.clock.Now())
}

// frameRetention is how long a concentrator remembers its emissions, for
// its half-duplex blindness; longer than any LoRa frame lasts (SF12, 255
// bytes: about 10 s).
const frameRetention = 30 * time.Second

// transmitAt is Transmit with the nominal start instant, which the
// simulator's own transmitters pass so that timer latency under a real
// clock does not shift frames. Callers must hold no lock of their own: the
// listeners are called from here.
func (a *Air) transmitAt(src string, f Frame, start time.Time) (Frame, error) {
	if err := f.validate(); err != nil {
		return Frame{}, err
	}
	f.Payload = append([]byte(nil), f.Payload...)
	f.Source = src
	f.Start = start
	f.End = start.Add(f.AirTime())
	af := &airFrame{Frame: f}

	a.mu.Lock()
	a.nextID++
	af.ID = a.nextID
	// A frame still on the air started at most `longest` ago, so a frame
	// that ended before that can no longer overlap anything.
	a.longest = max(a.longest, f.End.Sub(f.Start))
	horizon := a.clock.Now().Add(-a.longest)
	k := f.key()
	list := a.recent[k]
	keep := list[:0]
	for _, g := range list {
		if g.End.After(horizon) {
			keep = append(keep, g)
		}
	}
	clear(list[len(keep):])
	a.recent[k] = append(keep, af)
	for _, name := range a.order {
		if name == src {
			continue
		}
		loss, ok := a.pathLoss(src, name)
		if !ok {
			continue
		}
		af.heard = append(af.heard, hearing{name: name, l: a.listeners[name], rx: a.reception(&af.Frame, loss)})
	}
	heard := af.heard
	out := af.Frame
	a.mu.Unlock()

	for i := range heard {
		heard[i].l.FrameStarted(&out, heard[i].rx)
	}
	a.clock.AfterFunc(f.End.Sub(a.clock.Now()), func() { a.finish(af) })
	if a.cfg.OnFrame != nil {
		a.cfg.OnFrame(out)
	}
	return out, nil
}

// reception computes RSSI and SNR of f at a listener behind loss dB.
func (a *Air) reception(f *Frame, loss float64) Reception {
	rssi := f.Power - loss
	bw := f.Bandwidth
	if f.Modulation == hal.ModulationFSK {
		bw = hal.BW125
	}
	snr := rssi - a.NoiseFloor(bw)
	snr = min(max(snr, -32), 31.75)
	return Reception{RSSI: rssi, SNR: snr}
}

// finish reports the end of af to every listener that heard it, with
// whether another frame on the same channel overlapped it there.
func (a *Air) finish(af *airFrame) {
	a.mu.Lock()
	heard := af.heard
	for i := range heard {
		h := &heard[i]
		h.rx.Truncated = af.truncated
		h.rx.Collided = a.collidedAt(af, h.name)
	}
	out := af.Frame
	a.mu.Unlock()
	for i := range heard {
		heard[i].l.FrameEnded(&out, heard[i].rx)
	}
}

// collidedAt reports whether a frame heard by name overlapped af on its
// channel. The caller holds a.mu.
func (a *Air) collidedAt(af *airFrame, name string) bool {
	for _, g := range a.recent[af.key()] {
		if g == af || !g.Start.Before(af.End) || !af.Start.Before(g.End) {
			continue
		}
		if g.Source == name {
			continue // a listener's own emission blinds it; that is its business
		}
		for _, h := range g.heard {
			if h.name == name {
				return true
			}
		}
	}
	return false
}

// truncate marks a frame as cut short by its transmitter: every listener
// gets it damaged.
func (a *Air) truncate(id uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, list := range a.recent {
		for _, g := range list {
			if g.ID == id {
				g.truncated = true
				return
			}
		}
	}
}
