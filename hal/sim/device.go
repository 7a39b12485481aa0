package sim

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
)

// Errors of Device methods.
var (
	// ErrDeviceBusy is returned when the device is still in the receive
	// windows of its last uplink (class A devices send one frame at a
	// time).
	ErrDeviceBusy = errors.New("sim: device busy with its last uplink")
	// ErrNotJoined is returned by SendData before the device has a
	// session.
	ErrNotJoined = errors.New("sim: device has no session")
	// ErrClosed is returned once the device is closed.
	ErrClosed = errors.New("sim: device closed")
)

// Class is the LoRaWAN class a simulated device runs.
type Class uint8

// Device classes (class B is not simulated).
const (
	ClassA Class = iota // receives only in RX1/RX2 after each uplink
	ClassC              // also listens on the RX2 parameters whenever idle
)

// String returns "A" or "C".
func (c Class) String() string {
	switch c {
	case ClassA:
		return "A"
	case ClassC:
		return "C"
	}
	return fmt.Sprintf("Class(%d)", uint8(c))
}

// Defaults of DeviceConfig.
const (
	// DefaultTxPower is the device's transmit power in dBm.
	DefaultTxPower = 14
	// DefaultRxWindowSymbols is how many symbols a receive window stays
	// open waiting for a preamble (LoRaWAN leaves it to the device).
	DefaultRxWindowSymbols = 8
	// DefaultMinPreambleSymbols is how many preamble symbols the receiver
	// needs to lock onto a frame (LoRaMac-node assumes about 6 for its
	// window sizing; 5 leaves a little slack).
	DefaultMinPreambleSymbols = 5
)

// ABPConfig activates a device by personalisation.
type ABPConfig struct {
	DevAddr lorawan.DevAddr
	// NwkSKey is the 1.0.x network session key.
	NwkSKey lorawan.AES128Key
	// FNwkSIntKey, SNwkSIntKey and NwkSEncKey are the 1.1 network keys.
	FNwkSIntKey, SNwkSIntKey, NwkSEncKey lorawan.AES128Key
	// AppSKey is the application session key.
	AppSKey lorawan.AES128Key
	// FCntUp is the next uplink counter; NFCntDown and AFCntDown the next
	// expected downlink counters (1.0.x uses NFCntDown only).
	FCntUp, NFCntDown, AFCntDown uint32
	// RX1DROffset, RX2DataRate and RX2Freq (Hz) set the receive windows;
	// RX2Freq 0 takes the region's RX2 frequency and data rate.
	RX1DROffset int
	RX2DataRate int
	RX2Freq     uint32
	// RxDelay is the RX1 delay in seconds (0 means 1).
	RxDelay uint8
}

// DeviceConfig describes a simulated end device.
type DeviceConfig struct {
	// Name is the device's name on the air (path losses refer to it);
	// empty means the DevEUI in hex.
	Name string
	// Region is the channel plan (required).
	Region *lorawan.Region
	// MACVersion is the LoRaWAN version the device implements.
	MACVersion lorawan.MACVersion
	// Class is A or C.
	Class Class
	// DevEUI and JoinEUI identify the device for OTAA.
	DevEUI, JoinEUI lorawan.EUI64
	// AppKey (1.0.x and 1.1) and NwkKey (1.1) are the OTAA root keys.
	AppKey, NwkKey lorawan.AES128Key
	// DevNonce is the first DevNonce to use; each join-request uses the
	// next value.
	DevNonce uint16
	// ABP, when set, activates the device by personalisation at once;
	// otherwise it must Join.
	ABP *ABPConfig
	// DataRate is the uplink data rate index (a join uses the nearest rate
	// its channel allows).
	DataRate int
	// TxPower is the transmit power in dBm; 0 means DefaultTxPower.
	TxPower float64
	// SubBand (1..8) restricts a fixed channel plan (US915, AU915) to one
	// sub-band; 0 uses every channel.
	SubBand int
	// ADR sets the ADR bit on uplinks.
	ADR bool
	// Battery is reported in DevStatusAns (0 external power, 1..254
	// level, 255 unknown).
	Battery uint8
	// Seed makes channel choices reproducible; 0 derives one from the
	// DevEUI.
	Seed uint64
	// RxWindowSymbols and MinPreambleSymbols size the receive windows: a
	// downlink is caught if its preamble starts no earlier than
	// (preamble − MinPreambleSymbols) symbols before a window opens and no
	// later than (RxWindowSymbols − MinPreambleSymbols) symbols after; 0
	// means the defaults above.
	RxWindowSymbols, MinPreambleSymbols int
	// OnEvent receives every event of the device. It is called from the
	// simulation (the goroutine advancing a virtual clock, or timer
	// goroutines under a real one) and must not block for long.
	OnEvent func(Event)
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
}

// Session is the state of an activated device, as the network should hold
// it too.
type Session struct {
	DevAddr lorawan.DevAddr
	// NetID, JoinNonce and DevNonce are those of the join (zero for ABP).
	NetID     lorawan.NetID
	JoinNonce uint32
	DevNonce  uint16
	// MACVersion is the frame security in use: 1.1 only when the device
	// is 1.1 and the join-accept set OptNeg.
	MACVersion lorawan.MACVersion
	// Keys are the session keys; in a 1.0 session FNwkSIntKey,
	// SNwkSIntKey and NwkSEncKey all hold the NwkSKey.
	Keys lorawan.SessionKeys11
	// FCntUp is the counter of the next uplink; NFCntDown and AFCntDown
	// the next expected downlink counters (1.0: NFCntDown counts all).
	FCntUp, NFCntDown, AFCntDown uint32
	// RX1DROffset, RX2DataRate, RX2Freq (Hz) and RxDelay set the windows.
	RX1DROffset int
	RX2DataRate int
	RX2Freq     uint32
	RxDelay     time.Duration
}

// devChannel is one uplink channel of the device.
type devChannel struct {
	lorawan.Channel
	enabled bool
	dlFreq  uint32 // RX1 frequency set by DlChannelReq; 0 for the region's rule
}

// joinAttempt is a join-request waiting for its join-accept.
type joinAttempt struct {
	devNonce uint16
}

// Device is a simulated LoRaWAN end device on an Air, with real LoRaWAN
// security from package lorawan.
type Device struct {
	air    *Air
	cfg    DeviceConfig
	region *lorawan.Region
	name   string
	root   *lorawan.RootKeys // nil for ABP-only devices
	log    *slog.Logger
	winSym int
	minPre int

	mu       sync.Mutex
	closed   bool
	rnd      *rand.Rand
	devNonce uint32 // next DevNonce; above 0xffff when exhausted
	joining  *joinAttempt
	sess     *lorawan.Session
	st       Session
	lastJN   int64 // last JoinNonce accepted with OptNeg, -1 for none

	channels []devChannel
	dataRate int
	txPower  float64
	dlDwell  bool

	pending      []lorawan.MACCommand // answers for the next uplink
	sticky       []lorawan.MACCommand // answers repeated until a downlink arrives
	rekeyPending bool                 // 1.1 OTAA: RekeyInd until RekeyConf
	resetPending bool                 // 1.1 ABP: ResetInd until ResetConf

	ackDown    bool   // the next uplink acknowledges a confirmed downlink
	ackFCnt    uint32 // that downlink's counter
	confUp     bool   // the last uplink was confirmed and is not yet acknowledged
	confUpFCnt uint32
	txStart    time.Time
	txEnd      time.Time
	cycle      *rxCycle
	lastCycle  *rxCycle // the last closed cycle, to explain late downlinks
	rxID       uint64   // frame the receiver is locked onto, 0 for none
	rxWin      Window
	missed     map[uint64]string // downlinks heard but not caught, with the reason
}

// NewDevice attaches a device to air. An ABP device is active at once; an
// OTAA device waits for Join.
func NewDevice(air *Air, cfg DeviceConfig) (*Device, error) {
	if cfg.Region == nil {
		return nil, errors.New("sim: device: no region")
	}
	region := *cfg.Region
	d := &Device{air: air, cfg: cfg, region: &region, winSym: cfg.RxWindowSymbols, minPre: cfg.MinPreambleSymbols, lastJN: -1}
	if d.winSym <= 0 {
		d.winSym = DefaultRxWindowSymbols
	}
	if d.minPre <= 0 {
		d.minPre = DefaultMinPreambleSymbols
	}
	if d.minPre > d.winSym {
		return nil, fmt.Errorf("sim: device: %d preamble symbols needed in a window of %d", d.minPre, d.winSym)
	}
	d.name = cfg.Name
	if d.name == "" {
		if cfg.DevEUI == (lorawan.EUI64{}) && cfg.ABP != nil {
			d.name = "abp-" + cfg.ABP.DevAddr.String()
		} else {
			d.name = cfg.DevEUI.String()
		}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	d.log = log.With("device", d.name)
	seed := cfg.Seed
	if seed == 0 {
		seed = binary.BigEndian.Uint64(cfg.DevEUI[:]) | 1
	}
	d.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	d.devNonce = uint32(cfg.DevNonce)
	d.txPower = cfg.TxPower
	if d.txPower == 0 {
		d.txPower = DefaultTxPower
	}
	if rate, err := region.DataRate(cfg.DataRate); err != nil || !rate.Uplink || !rate.Usable() {
		return nil, fmt.Errorf("sim: device %s: DR%d is not an uplink data rate the simulator carries", d.name, cfg.DataRate)
	}
	if cfg.SubBand != 0 {
		if _, err := region.UplinkChannelsForSubBand(cfg.SubBand); err != nil {
			return nil, fmt.Errorf("sim: device %s: %w", d.name, err)
		}
	}
	d.dataRate = cfg.DataRate
	d.dlDwell = region.DownlinkDwellTime()
	d.missed = map[uint64]string{}
	d.resetChannels()
	switch cfg.MACVersion {
	case lorawan.MACVersion1_0:
		d.root = lorawan.NewRootKeys10(cfg.AppKey)
	case lorawan.MACVersion1_1:
		d.root = lorawan.NewRootKeys11(cfg.AppKey, cfg.NwkKey, cfg.DevEUI)
	default:
		return nil, fmt.Errorf("sim: device %s: mac version %s", d.name, cfg.MACVersion)
	}
	if cfg.ABP != nil {
		if err := d.activateABP(cfg.ABP); err != nil {
			return nil, err
		}
	}
	if err := air.Attach(d.name, d); err != nil {
		return nil, err
	}
	return d, nil
}

// activateABP installs a personalised session.
func (d *Device) activateABP(a *ABPConfig) error {
	st := Session{
		DevAddr: a.DevAddr, MACVersion: d.cfg.MACVersion,
		FCntUp: a.FCntUp, NFCntDown: a.NFCntDown, AFCntDown: a.AFCntDown,
		RX1DROffset: a.RX1DROffset, RX2DataRate: a.RX2DataRate, RX2Freq: a.RX2Freq,
		RxDelay: rxDelay(a.RxDelay),
	}
	if a.RX2Freq == 0 {
		st.RX2Freq, st.RX2DataRate = d.region.RX2Frequency(), d.region.RX2DataRate()
	}
	if err := d.checkRxParams(st.RX1DROffset, st.RX2DataRate, st.RX2Freq); err != nil {
		return fmt.Errorf("sim: device %s: abp: %w", d.name, err)
	}
	if d.cfg.MACVersion == lorawan.MACVersion1_1 {
		st.Keys = lorawan.SessionKeys11{FNwkSIntKey: a.FNwkSIntKey, SNwkSIntKey: a.SNwkSIntKey, NwkSEncKey: a.NwkSEncKey, AppSKey: a.AppSKey}
		d.sess = lorawan.NewSession11(a.FNwkSIntKey, a.SNwkSIntKey, a.NwkSEncKey, a.AppSKey)
		d.resetPending = true
	} else {
		st.Keys = lorawan.SessionKeys11{FNwkSIntKey: a.NwkSKey, SNwkSIntKey: a.NwkSKey, NwkSEncKey: a.NwkSKey, AppSKey: a.AppSKey}
		d.sess = lorawan.NewSession10(a.NwkSKey, a.AppSKey)
	}
	d.st = st
	return nil
}

// rxDelay turns a RxDelay field (0 meaning 1) into a duration.
func rxDelay(s uint8) time.Duration {
	if s == 0 {
		s = 1
	}
	return time.Duration(s) * time.Second
}

// checkRxParams validates receive-window settings against the region.
func (d *Device) checkRxParams(rx1Offset, rx2DR int, rx2Freq uint32) error {
	if rx1Offset < 0 || rx1Offset > d.region.MaxRX1DROffset() {
		return fmt.Errorf("rx1 data-rate offset %d outside 0..%d", rx1Offset, d.region.MaxRX1DROffset())
	}
	if dr, err := d.region.DataRate(rx2DR); err != nil || !dr.Downlink || !dr.Usable() {
		return fmt.Errorf("rx2 data rate %d is not a downlink rate", rx2DR)
	}
	if lo, hi := d.region.FrequencyRange(); rx2Freq < lo || rx2Freq > hi {
		return fmt.Errorf("rx2 frequency %d Hz outside %d..%d", rx2Freq, lo, hi)
	}
	return nil
}

// resetChannels restores the region's channel plan (at start and at each
// join): the default channels of a dynamic plan, or the configured
// sub-band (or all channels) of a fixed one.
func (d *Device) resetChannels() {
	if d.region.FixedChannelPlan() {
		all := d.region.UplinkChannels()
		d.channels = make([]devChannel, len(all))
		inBand := map[uint32]bool{}
		if d.cfg.SubBand != 0 {
			band, _ := d.region.UplinkChannelsForSubBand(d.cfg.SubBand)
			for _, c := range band {
				inBand[c.Frequency] = true
			}
		}
		for i, c := range all {
			d.channels[i] = devChannel{Channel: c, enabled: d.cfg.SubBand == 0 || inBand[c.Frequency]}
		}
		return
	}
	d.channels = make([]devChannel, 16)
	for i, c := range d.region.DefaultChannels() {
		d.channels[i] = devChannel{Channel: c, enabled: true}
	}
}

// Name returns the device's name on the air.
func (d *Device) Name() string { return d.name }

// Session returns the device's session; ok is false before activation.
func (d *Device) Session() (s Session, ok bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.st, d.sess != nil
}

// DataRate returns the uplink data rate index in use.
func (d *Device) DataRate() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dataRate
}

// QueueMAC adds uplink MAC commands (LinkCheckReq, DeviceTimeReq, …) to
// the FOpts of the next uplinks.
func (d *Device) QueueMAC(cmds ...lorawan.MACCommand) error {
	for _, c := range cmds {
		if c.Payload == nil || !c.Payload.Uplink() || c.Payload.CID() != c.CID {
			return fmt.Errorf("sim: device %s: queue mac: %s is not an uplink command", d.name, c.CID)
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending = append(d.pending, cmds...)
	return nil
}

// Close takes the device off the air and cancels its timers.
func (d *Device) Close() {
	d.mu.Lock()
	d.closed = true
	if d.cycle != nil && d.cycle.timer != nil {
		d.cycle.timer.Stop()
	}
	d.cycle = nil
	d.mu.Unlock()
	d.air.Detach(d.name)
}

// emit hands events to OnEvent. The caller holds no lock.
func (d *Device) emit(evs []Event) {
	if d.cfg.OnEvent == nil {
		return
	}
	for _, e := range evs {
		d.cfg.OnEvent(e)
	}
}

// event fills the common fields of an event. The caller holds d.mu.
func (d *Device) event(k EventKind) Event {
	return Event{Kind: k, Device: d.name, Time: d.air.clock.Now(), DevAddr: d.st.DevAddr, FPort: -1}
}

// uplinkChannel picks a random enabled channel for an uplink and the data
// rate to use on it. The caller holds d.mu.
func (d *Device) uplinkChannel(join bool) (idx int, ch lorawan.Channel, dr int, err error) {
	var cands []int
	var drs []int
	if join {
		joinChans := d.region.JoinChannels()
		for i, c := range joinChans {
			if d.region.FixedChannelPlan() && d.cfg.SubBand != 0 && !d.inSubBand(i) {
				continue
			}
			cands = append(cands, i)
			drs = append(drs, min(max(d.dataRate, c.MinDR), c.MaxDR))
		}
		if len(cands) == 0 {
			return 0, ch, 0, fmt.Errorf("sim: device %s: no join channel", d.name)
		}
		k := d.rnd.IntN(len(cands))
		return cands[k], joinChans[cands[k]], drs[k], nil
	}
	for i, c := range d.channels {
		if c.enabled && c.Frequency != 0 && c.MinDR <= d.dataRate && d.dataRate <= c.MaxDR {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return 0, ch, 0, fmt.Errorf("sim: device %s: no enabled channel allows DR%d", d.name, d.dataRate)
	}
	k := cands[d.rnd.IntN(len(cands))]
	return k, d.channels[k].Channel, d.dataRate, nil
}

// inSubBand reports whether fixed-plan channel i is in the configured
// sub-band.
func (d *Device) inSubBand(i int) bool {
	n := d.cfg.SubBand - 1
	return i >= 8*n && i < 8*n+8 || i == 64+n
}

// frameFor builds the air frame of an uplink at data rate dr.
func (d *Device) frameFor(freq uint32, dr int, payload []byte) (Frame, error) {
	rate, err := d.region.DataRate(dr)
	if err != nil {
		return Frame{}, err
	}
	f := Frame{Freq: freq, CRC: true, Power: d.txPower, Payload: payload}
	switch rate.Modulation {
	case lorawan.ModulationLoRa:
		f.Modulation, f.SpreadingFactor, f.Bandwidth, f.CodeRate = hal.ModulationLoRa, rate.SpreadingFactor, rate.Bandwidth, hal.CodeRate4_5
	case lorawan.ModulationFSK:
		f.Modulation, f.DataRate = hal.ModulationFSK, rate.BitRate
	default:
		return Frame{}, fmt.Errorf("sim: device %s: DR%d (%s) cannot be simulated", d.name, dr, rate)
	}
	return f, nil
}

// Join sends a join-request now; the outcome comes as EventJoined,
// EventMICFailed or EventNoDownlink.
func (d *Device) Join() error {
	if d.cfg.ABP != nil {
		return fmt.Errorf("sim: device %s is activated by personalisation", d.name)
	}
	d.mu.Lock()
	if err := d.readyLocked(); err != nil {
		d.mu.Unlock()
		return err
	}
	if d.devNonce > 0xffff {
		d.mu.Unlock()
		return fmt.Errorf("sim: device %s: devnonce exhausted", d.name)
	}
	_, ch, dr, err := d.uplinkChannel(true)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	nonce := uint16(d.devNonce)
	p := lorawan.PHYPayload{
		MHDR:        lorawan.MHDR{MType: lorawan.JoinRequest, Major: lorawan.LoRaWANR1},
		JoinRequest: lorawan.JoinRequestPayload{JoinEUI: d.cfg.JoinEUI, DevEUI: d.cfg.DevEUI, DevNonce: nonce},
	}
	b, err := p.MarshalBinary()
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("sim: device %s: join-request: %w", d.name, err)
	}
	mic, err := d.root.JoinRequestMIC(b[:len(b)-4])
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("sim: device %s: join-request: %w", d.name, err)
	}
	copy(b[len(b)-4:], mic[:])
	f, err := d.frameFor(ch.Frequency, dr, b)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	rx1DR, err := d.region.RX1DataRate(dr, 0, d.dlDwell)
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("sim: device %s: join: %w", d.name, err)
	}
	rx1Freq, err := d.region.RX1Frequency(ch.Frequency)
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("sim: device %s: join: %w", d.name, err)
	}
	d.devNonce++
	d.joining = &joinAttempt{devNonce: nonce}
	c := &rxCycle{join: true}
	ev := d.event(EventUplink)
	ev.MType, ev.Freq, ev.DataRate, ev.DevNonce = lorawan.JoinRequest, ch.Frequency, dr, nonce
	return d.sendLocked(f, c, [2]rxParams{
		{kind: WindowRX1, delay: d.region.JoinAcceptDelay1(), freq: rx1Freq, dr: rx1DR},
		{kind: WindowRX2, delay: d.region.JoinAcceptDelay2(), freq: d.region.RX2Frequency(), dr: d.region.RX2DataRate()},
	}, ev)
}

// readyLocked checks that the device may transmit now. The caller holds
// d.mu.
func (d *Device) readyLocked() error {
	if d.closed {
		return ErrClosed
	}
	if d.cycle != nil || d.txEnd.After(d.air.clock.Now()) {
		return ErrDeviceBusy
	}
	return nil
}

// SendData sends an application payload on fport (1..224) now, unconfirmed
// or confirmed, with any pending MAC answers in FOpts.
func (d *Device) SendData(fport uint8, payload []byte, confirmed bool) error {
	if fport == 0 || fport > 224 {
		return fmt.Errorf("sim: device %s: fport %d outside 1..224", d.name, fport)
	}
	d.mu.Lock()
	if err := d.readyLocked(); err != nil {
		d.mu.Unlock()
		return err
	}
	if d.sess == nil {
		d.mu.Unlock()
		return ErrNotJoined
	}
	idx, ch, dr, err := d.uplinkChannel(false)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	b, ev, used, err := d.buildData(fport, payload, confirmed, idx, dr)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	f, err := d.frameFor(ch.Frequency, dr, b)
	if err != nil {
		d.mu.Unlock()
		return err
	}
	rx1DR, err := d.region.RX1DataRate(dr, d.st.RX1DROffset, d.dlDwell)
	if err != nil {
		d.mu.Unlock()
		return fmt.Errorf("sim: device %s: %w", d.name, err)
	}
	rx1Freq := d.channels[idx].dlFreq
	if rx1Freq == 0 {
		if rx1Freq, err = d.region.RX1Frequency(ch.Frequency); err != nil {
			d.mu.Unlock()
			return fmt.Errorf("sim: device %s: %w", d.name, err)
		}
	}
	// Committed: advance the counter and consume the answers sent.
	d.st.FCntUp++
	d.ackDown = false
	d.pending = d.pending[used:]
	d.confUp, d.confUpFCnt = confirmed, ev.FCnt
	ev.Freq, ev.DataRate = ch.Frequency, dr
	c := &rxCycle{}
	return d.sendLocked(f, c, [2]rxParams{
		{kind: WindowRX1, delay: d.st.RxDelay, freq: rx1Freq, dr: rx1DR},
		{kind: WindowRX2, delay: d.st.RxDelay + time.Second, freq: d.st.RX2Freq, dr: d.st.RX2DataRate},
	}, ev)
}

// buildData encodes a data uplink with its FOpts, encryption and MIC; used
// is the number of d.pending commands it carries. The caller holds d.mu.
func (d *Device) buildData(fport uint8, payload []byte, confirmed bool, chIdx, dr int) (b []byte, ev Event, used int, err error) {
	st := &d.st
	fcnt := st.FCntUp
	var macs []lorawan.MACCommand
	if d.rekeyPending {
		macs = append(macs, lorawan.MACCommand{CID: lorawan.CIDRekey, Payload: &lorawan.RekeyInd{Minor: 1}})
	}
	if d.resetPending {
		macs = append(macs, lorawan.MACCommand{CID: lorawan.CIDReset, Payload: &lorawan.ResetInd{Minor: 1}})
	}
	macs = append(macs, d.sticky...)
	var fopts []byte
	var sent []lorawan.MACCommand
	add := func(m lorawan.MACCommand) bool {
		next, err := lorawan.AppendMACCommands(fopts, m)
		if err != nil || len(next) > 15 {
			return false
		}
		fopts = next
		sent = append(sent, m)
		return true
	}
	for _, m := range macs {
		if !add(m) {
			break
		}
	}
	for _, m := range d.pending {
		if !add(m) {
			break
		}
		used++
	}
	macs = sent
	if d.st.MACVersion == lorawan.MACVersion1_1 && len(fopts) > 0 {
		if err := d.sess.XORFOpts(fopts, fopts, true, st.DevAddr, fcnt, false); err != nil {
			return nil, ev, 0, fmt.Errorf("sim: device %s: %w", d.name, err)
		}
	}
	enc := make([]byte, len(payload))
	if len(payload) > 0 {
		if err := d.sess.XORFRMPayload(enc, payload, true, st.DevAddr, fcnt, fport); err != nil {
			return nil, ev, 0, fmt.Errorf("sim: device %s: %w", d.name, err)
		}
	}
	mtype := lorawan.UnconfirmedDataUp
	if confirmed {
		mtype = lorawan.ConfirmedDataUp
	}
	p := lorawan.PHYPayload{
		MHDR: lorawan.MHDR{MType: mtype, Major: lorawan.LoRaWANR1},
		FHDR: lorawan.FHDR{
			DevAddr: st.DevAddr,
			FCtrl:   lorawan.FCtrl{ADR: d.cfg.ADR, ACK: d.ackDown},
			FCnt:    uint16(fcnt),
			FOpts:   fopts,
		},
		FPort: fport, FPortPresent: true, FRMPayload: enc,
	}
	if b, err = p.MarshalBinary(); err != nil {
		return nil, ev, 0, fmt.Errorf("sim: device %s: %w", d.name, err)
	}
	if mp, err := d.region.MaxPayloadSize(dr, false); err != nil || len(b)-5 > mp.M {
		return nil, ev, 0, fmt.Errorf("sim: device %s: %d-byte MACPayload too long for DR%d", d.name, len(b)-5, dr)
	}
	mic, err := d.sess.UplinkMIC(b[:len(b)-4], st.DevAddr, fcnt, uint16(d.ackFCnt), uint8(dr), uint8(chIdx))
	if err != nil {
		return nil, ev, 0, fmt.Errorf("sim: device %s: %w", d.name, err)
	}
	copy(b[len(b)-4:], mic[:])
	ev = d.event(EventUplink)
	ev.MType, ev.FCnt, ev.FPort, ev.Confirmed, ev.ACK = mtype, fcnt, int(fport), confirmed, d.ackDown
	ev.Payload = append([]byte(nil), payload...)
	ev.MAC = macs
	return b, ev, used, nil
}

// rxParams describes one receive window of an uplink.
type rxParams struct {
	kind  Window
	delay time.Duration
	freq  uint32
	dr    int
}

// sendLocked opens the class A cycle of an uplink, puts the frame on the
// air and reports ev. The caller holds d.mu; sendLocked releases it.
func (d *Device) sendLocked(f Frame, c *rxCycle, wins [2]rxParams, ev Event) error {
	now := d.air.clock.Now()
	end := now.Add(f.AirTime())
	c.upEnd = end
	for i, w := range wins {
		rate, err := d.region.DataRate(w.dr)
		if err != nil {
			d.mu.Unlock()
			return fmt.Errorf("sim: device %s: %s: %w", d.name, w.kind, err)
		}
		c.win[i] = rxWindow{kind: w.kind, open: end.Add(w.delay), freq: w.freq, dr: w.dr, rate: rate}
	}
	rx2 := &c.win[1]
	closeAt := rx2.open.Add(time.Duration(d.winSym) * rx2.symbol())
	c.timer = d.air.clock.AfterFunc(closeAt.Sub(now), func() { d.closeCycle(c) })
	d.cycle = c
	d.txStart, d.txEnd = now, end
	d.mu.Unlock()

	if _, err := d.air.transmitAt(d.name, f, now); err != nil {
		d.mu.Lock()
		c.timer.Stop()
		if d.cycle == c {
			d.cycle = nil
		}
		d.mu.Unlock()
		return err
	}
	d.emit([]Event{ev})
	return nil
}
