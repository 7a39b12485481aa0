package sim

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
)

// rxCycle is the class A reception that follows one uplink: RX1, then RX2
// unless RX1 brought a frame for the device.
type rxCycle struct {
	join     bool
	upEnd    time.Time
	win      [2]rxWindow
	timer    Timer
	closeDue bool // the windows closed while a frame was still arriving
}

// rxWindow is one receive window.
type rxWindow struct {
	kind Window
	open time.Time
	freq uint32
	dr   int
	rate lorawan.DataRate
}

// symbol is the duration of one symbol at the window's data rate.
func (w *rxWindow) symbol() time.Duration {
	if w.rate.Modulation == lorawan.ModulationFSK {
		return time.Duration(8 * uint64(time.Second) / uint64(w.rate.BitRate))
	}
	return symbolTime(w.rate.SpreadingFactor, w.rate.Bandwidth)
}

// tunedTo reports whether a receiver on the window's frequency and data
// rate demodulates f.
func (w *rxWindow) tunedTo(f *Frame) bool {
	if f.Freq != w.freq {
		return false
	}
	switch w.rate.Modulation {
	case lorawan.ModulationLoRa:
		return f.Modulation == hal.ModulationLoRa && f.SpreadingFactor == w.rate.SpreadingFactor && f.Bandwidth == w.rate.Bandwidth
	case lorawan.ModulationFSK:
		return f.Modulation == hal.ModulationFSK && f.DataRate == w.rate.BitRate
	}
	return false
}

// catches reports whether the window catches f, or why not.
func (d *Device) catches(w *rxWindow, f *Frame) (bool, string) {
	if !w.tunedTo(f) {
		return false, fmt.Sprintf("%s listens on %d Hz DR%d (%s), frame on %d Hz %s",
			w.kind, w.freq, w.dr, w.rate, f.Freq, frameRate(f))
	}
	sym := w.symbol()
	lead := time.Duration(max(f.PreambleLength()-d.minPre, 0)) * sym
	tail := time.Duration(d.winSym-d.minPre) * sym
	switch {
	case f.Start.Before(w.open.Add(-lead)):
		return false, fmt.Sprintf("%s: frame started %v before the window opened", w.kind, w.open.Sub(f.Start))
	case f.Start.After(w.open.Add(tail)):
		return false, fmt.Sprintf("%s: frame started %v after the window opened (late)", w.kind, f.Start.Sub(w.open))
	}
	return true, ""
}

// frameRate names a frame's modulation like a data rate, e.g. "SF7BW125".
func frameRate(f *Frame) string {
	if f.Modulation == hal.ModulationFSK {
		return fmt.Sprintf("FSK%d", f.DataRate)
	}
	return fmt.Sprintf("SF%dBW%d", f.SpreadingFactor, f.Bandwidth/1000)
}

// classCWindow returns the RX2 parameters class C listens on.
func (d *Device) classCWindow() (rxWindow, bool) {
	rate, err := d.region.DataRate(d.st.RX2DataRate)
	if err != nil {
		return rxWindow{}, false
	}
	return rxWindow{kind: WindowC, freq: d.st.RX2Freq, dr: d.st.RX2DataRate, rate: rate}, true
}

// windowFor finds the window that catches f, or says why none does. The
// caller holds d.mu.
func (d *Device) windowFor(f *Frame) (Window, string) {
	var why []string
	c := d.cycle
	if c != nil {
		for i := range c.win {
			ok, reason := d.catches(&c.win[i], f)
			if ok {
				return c.win[i].kind, ""
			}
			why = append(why, reason)
		}
	} else if last := d.lastCycle; last != nil && f.Start.Sub(last.upEnd) < lastCycleMemory {
		// Closed already: say how the frame relates to those windows.
		why = append(why, "receive windows closed")
		for i := range last.win {
			if _, reason := d.catches(&last.win[i], f); reason != "" {
				why = append(why, reason)
			}
		}
	}
	if d.cfg.Class == ClassC && d.sess != nil {
		w, ok := d.classCWindow()
		switch {
		case !ok:
		case !w.tunedTo(f):
			why = append(why, fmt.Sprintf("class C listens on %d Hz DR%d, frame on %d Hz %s", w.freq, w.dr, f.Freq, frameRate(f)))
		case c != nil && d.inRX1(c, f.Start):
			why = append(why, "class C receiver was on RX1")
		default:
			return WindowC, ""
		}
	}
	if len(why) == 0 {
		return WindowNone, "no receive window open"
	}
	return WindowNone, strings.Join(why, "; ")
}

// inRX1 reports whether t falls in the RX1 window of c, when a class C
// device leaves its RX2 parameters.
func (d *Device) inRX1(c *rxCycle, t time.Time) bool {
	w := &c.win[0]
	sym := w.symbol()
	return !t.Before(w.open.Add(-time.Duration(hal.DefaultLoRaPreamble)*sym)) && t.Before(w.open.Add(time.Duration(d.winSym)*sym))
}

// FrameStarted locks the receiver onto a downlink that starts inside an
// open window (or, for class C, on the RX2 parameters).
func (d *Device) FrameStarted(f *Frame, rx Reception) {
	if !f.InvertIQ || f.PrivateSync {
		return // uplinks of other devices, or another network's frames
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.closed {
		return
	}
	var reason string
	switch {
	case !audible(f, rx):
		reason = fmt.Sprintf("signal too weak (SNR %.1f dB)", rx.SNR)
	case !f.Start.Before(d.txStart) && f.Start.Before(d.txEnd):
		reason = "device was transmitting"
	case d.rxID != 0:
		reason = "device was receiving another frame"
	default:
		var w Window
		if w, reason = d.windowFor(f); w != WindowNone {
			d.rxID, d.rxWin = f.ID, w
			return
		}
	}
	d.missed[f.ID] = reason
}

// FrameEnded processes the frame the receiver locked onto, and reports a
// downlink meant for the device that it did not catch.
func (d *Device) FrameEnded(f *Frame, rx Reception) {
	if !f.InvertIQ || f.PrivateSync {
		return
	}
	d.mu.Lock()
	var evs []Event
	switch {
	case d.closed:
	case d.rxID == f.ID:
		d.rxID = 0
		w := d.rxWin
		forMe := false
		if rx.Damaged() {
			if d.meantForMe(f) {
				ev := d.rxEvent(EventMissed, f, rx, w)
				ev.Reason = "frame damaged on air (collision or cut)"
				evs = append(evs, ev)
			}
		} else {
			evs, forMe = d.processDownlink(f, rx, w)
		}
		evs = append(evs, d.afterRx(w, forMe)...)
	default:
		if reason, ok := d.missed[f.ID]; ok {
			delete(d.missed, f.ID)
			if d.meantForMe(f) {
				ev := d.rxEvent(EventMissed, f, rx, WindowNone)
				ev.Reason = reason
				evs = append(evs, ev)
			}
		}
	}
	d.mu.Unlock()
	d.emit(evs)
}

// rxEvent fills the radio fields of an event about f. The caller holds
// d.mu.
func (d *Device) rxEvent(k EventKind, f *Frame, rx Reception, w Window) Event {
	ev := d.event(k)
	ev.Window, ev.Freq, ev.RSSI, ev.SNR = w, f.Freq, rx.RSSI, rx.SNR
	ev.DataRate = -1
	if f.Modulation == hal.ModulationFSK {
		if dr, err := d.region.DownlinkDataRateIndex(0, 0); err == nil {
			ev.DataRate = dr
		}
	} else if dr, err := d.region.DownlinkDataRateIndex(f.SpreadingFactor, f.Bandwidth); err == nil {
		ev.DataRate = dr
	}
	var p lorawan.PHYPayload
	if p.UnmarshalBinary(f.Payload) == nil {
		ev.MType = p.MHDR.MType
	}
	return ev
}

// afterRx ends the cycle when a frame received in it was for the device,
// or when it was the last chance. The caller holds d.mu.
func (d *Device) afterRx(w Window, forMe bool) []Event {
	c := d.cycle
	if c == nil || w != WindowRX1 && w != WindowRX2 {
		return nil // class C frames leave the class A windows as they are
	}
	switch {
	case forMe:
		d.endCycle(c)
	case w == WindowRX2 || c.closeDue:
		return d.noDownlink(c)
	}
	return nil
}

// closeCycle runs when the RX2 window closes.
func (d *Device) closeCycle(c *rxCycle) {
	d.mu.Lock()
	if d.cycle != c {
		d.mu.Unlock()
		return
	}
	if d.rxID != 0 && (d.rxWin == WindowRX1 || d.rxWin == WindowRX2) {
		c.closeDue = true // decided when the frame ends
		d.mu.Unlock()
		return
	}
	evs := d.noDownlink(c)
	d.mu.Unlock()
	d.emit(evs)
}

// noDownlink ends a cycle that brought nothing. The caller holds d.mu.
func (d *Device) noDownlink(c *rxCycle) []Event {
	d.endCycle(c)
	ev := d.event(EventNoDownlink)
	ev.Reason = "no downlink in RX1 or RX2"
	if c.join {
		ev.Reason = "no join-accept in RX1 or RX2"
		ev.MType = lorawan.JoinAccept
		if d.joining != nil {
			ev.DevNonce = d.joining.devNonce
		}
	}
	return []Event{ev}
}

// endCycle closes the class A windows. The caller holds d.mu.
func (d *Device) endCycle(c *rxCycle) {
	c.timer.Stop()
	if d.cycle == c {
		d.cycle = nil
		d.lastCycle = c
	}
}

// lastCycleMemory is how long after an uplink a missed downlink is still
// explained against that uplink's windows.
const lastCycleMemory = 30 * time.Second

// meantForMe tells, with the simulator's knowledge, whether a downlink was
// addressed to this device: a data frame to its DevAddr, or a join-accept
// that opens with its keys while it is joining. The caller holds d.mu.
func (d *Device) meantForMe(f *Frame) bool {
	var p lorawan.PHYPayload
	if p.UnmarshalBinary(f.Payload) != nil {
		return false
	}
	switch p.MHDR.MType {
	case lorawan.UnconfirmedDataDown, lorawan.ConfirmedDataDown:
		return d.sess != nil && p.FHDR.DevAddr == d.st.DevAddr
	case lorawan.JoinAccept:
		if d.joining == nil {
			return false
		}
		_, ok, _ := d.openJoinAccept(f.Payload, d.joining.devNonce)
		return ok
	}
	return false
}

// processDownlink handles a frame received intact in window w; forMe is
// true when it was for the device and passed its MIC. The caller holds
// d.mu.
func (d *Device) processDownlink(f *Frame, rx Reception, w Window) (evs []Event, forMe bool) {
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(f.Payload); err != nil {
		return nil, false
	}
	switch p.MHDR.MType {
	case lorawan.JoinAccept:
		return d.processJoinAccept(f, rx, w)
	case lorawan.UnconfirmedDataDown, lorawan.ConfirmedDataDown:
		return d.processData(f, &p, rx, w)
	}
	return nil, false
}

// openJoinAccept decrypts a join-accept and checks its MIC against the
// join-request with devNonce; ok is false when the MIC does not match.
func (d *Device) openJoinAccept(b []byte, devNonce uint16) (ja lorawan.JoinAcceptPayload, ok bool, err error) {
	enc := b[1:]
	dec := make([]byte, len(enc))
	if err := d.root.DecryptJoinAccept(dec, enc, lorawan.JoinReqTypeJoin); err != nil {
		return ja, false, err
	}
	n := len(dec) - 4
	msg := append([]byte{b[0]}, dec[:n]...)
	mic, err := d.root.JoinAcceptMIC(msg, lorawan.JoinReqTypeJoin, d.cfg.JoinEUI, devNonce)
	if err != nil || !bytes.Equal(mic[:], dec[n:]) {
		return ja, false, err
	}
	if err := ja.UnmarshalBinary(dec[:n]); err != nil {
		return ja, true, err
	}
	return ja, true, nil
}

// processJoinAccept opens a join-accept and, if it answers the pending
// join-request, installs the new session. The caller holds d.mu.
func (d *Device) processJoinAccept(f *Frame, rx Reception, w Window) ([]Event, bool) {
	j := d.joining
	if j == nil {
		return nil, false
	}
	ja, ok, err := d.openJoinAccept(f.Payload, j.devNonce)
	if !ok {
		ev := d.rxEvent(EventMICFailed, f, rx, w)
		ev.DevNonce = j.devNonce
		ev.Reason = "join-accept MIC does not match"
		if err != nil {
			ev.Reason += ": " + err.Error()
		}
		return []Event{ev}, false
	}
	reject := func(err error) ([]Event, bool) {
		ev := d.rxEvent(EventRejected, f, rx, w)
		ev.DevNonce = j.devNonce
		ev.Err = fmt.Errorf("sim: device %s: join-accept: %w", d.name, err)
		return []Event{ev}, false
	}
	if err != nil {
		return reject(err)
	}
	optNeg := ja.DLSettings.OptNeg && d.cfg.MACVersion == lorawan.MACVersion1_1
	if optNeg && d.lastJN >= 0 && int64(ja.JoinNonce) <= d.lastJN {
		return reject(fmt.Errorf("joinnonce %d not above the last one, %d", ja.JoinNonce, d.lastJN))
	}
	st := Session{
		DevAddr: ja.DevAddr, NetID: ja.NetID, JoinNonce: ja.JoinNonce, DevNonce: j.devNonce,
		RX1DROffset: int(ja.DLSettings.RX1DROffset), RX2DataRate: int(ja.DLSettings.RX2DataRate),
		RX2Freq: d.region.RX2Frequency(), RxDelay: rxDelay(ja.RxDelay),
	}
	if err := d.checkRxParams(st.RX1DROffset, st.RX2DataRate, st.RX2Freq); err != nil {
		return reject(err)
	}
	var sess *lorawan.Session
	if optNeg {
		keys, err := d.root.SessionKeys11(ja.JoinNonce, d.cfg.JoinEUI, j.devNonce)
		if err != nil {
			return reject(err)
		}
		st.MACVersion, st.Keys = lorawan.MACVersion1_1, keys
		sess = lorawan.NewSession11(keys.FNwkSIntKey, keys.SNwkSIntKey, keys.NwkSEncKey, keys.AppSKey)
		d.lastJN = int64(ja.JoinNonce)
	} else {
		nwk, app, err := d.root.SessionKeys10(ja.JoinNonce, ja.NetID, j.devNonce)
		if err != nil {
			return reject(err)
		}
		st.MACVersion = lorawan.MACVersion1_0
		st.Keys = lorawan.SessionKeys11{FNwkSIntKey: nwk, SNwkSIntKey: nwk, NwkSEncKey: nwk, AppSKey: app}
		sess = lorawan.NewSession10(nwk, app)
	}
	d.resetChannels()
	if ja.CFList != nil {
		d.applyCFList(ja.CFList)
	}
	d.st, d.sess, d.joining = st, sess, nil
	d.rekeyPending = optNeg
	d.resetPending = false
	d.pending, d.sticky = nil, nil
	d.ackDown, d.confUp = false, false
	ev := d.rxEvent(EventJoined, f, rx, w)
	ev.DevNonce = j.devNonce
	d.log.Debug("joined", "devaddr", st.DevAddr, "window", w)
	return []Event{ev}, true
}

// applyCFList installs the channels (dynamic plans) or channel masks
// (fixed plans) of a join-accept; a list of the other kind is ignored. The
// caller holds d.mu.
func (d *Device) applyCFList(cf *lorawan.CFList) {
	fixed := d.region.FixedChannelPlan()
	switch {
	case cf.Type == lorawan.CFListFrequencies && !fixed:
		defaults := d.region.DefaultChannels()
		minDR, maxDR := defaults[0].MinDR, defaults[0].MaxDR
		for i, freq := range cf.Frequencies {
			idx := len(defaults) + i
			if freq == 0 || idx >= len(d.channels) {
				continue
			}
			d.channels[idx] = devChannel{Channel: lorawan.Channel{Frequency: freq, MinDR: minDR, MaxDR: maxDR}, enabled: true}
		}
	case cf.Type == lorawan.CFListChannelMask && fixed:
		for i := range d.channels {
			m := cf.ChMasks[min(i/16, 4)]
			bit := i % 16
			if i >= 64 {
				bit = i - 64
			}
			d.channels[i].enabled = m&(1<<bit) != 0
		}
	}
}

// processData checks and decrypts a data downlink addressed to the device.
// The caller holds d.mu.
func (d *Device) processData(f *Frame, p *lorawan.PHYPayload, rx Reception, w Window) ([]Event, bool) {
	if d.sess == nil || p.FHDR.DevAddr != d.st.DevAddr {
		return nil, false
	}
	st := &d.st
	appCounter := st.MACVersion == lorawan.MACVersion1_1 && p.FPortPresent && p.FPort > 0
	next := &st.NFCntDown
	if appCounter {
		next = &st.AFCntDown
	}
	full := lorawan.FullFCnt(*next, p.FHDR.FCnt)
	var confFCnt uint16
	if p.FHDR.FCtrl.ACK && d.confUp {
		confFCnt = uint16(d.confUpFCnt)
	}
	mic, err := d.sess.DownlinkMIC(f.Payload[:len(f.Payload)-4], st.DevAddr, full, confFCnt)
	if err != nil || mic != p.MIC {
		ev := d.rxEvent(EventMICFailed, f, rx, w)
		ev.FCnt = full
		ev.Reason = fmt.Sprintf("downlink MIC does not match at FCnt %d", full)
		return []Event{ev}, false
	}
	ev := d.rxEvent(EventDownlink, f, rx, w)
	if full < *next {
		ev.Kind = EventRejected
		ev.Err = fmt.Errorf("sim: device %s: downlink counter wrapped below %d", d.name, *next)
		return []Event{ev}, false
	}
	*next = full + 1
	fopts := p.FHDR.FOpts
	if len(fopts) > 0 && st.MACVersion == lorawan.MACVersion1_1 {
		clearOpts := make([]byte, len(fopts))
		if err := d.sess.XORFOpts(clearOpts, fopts, false, st.DevAddr, full, appCounter); err != nil {
			ev.Kind, ev.Err = EventRejected, err
			return []Event{ev}, false
		}
		fopts = clearOpts
	}
	if p.FPortPresent {
		ev.FPort = int(p.FPort)
		ev.Payload = make([]byte, len(p.FRMPayload))
		if len(p.FRMPayload) > 0 {
			if err := d.sess.XORFRMPayload(ev.Payload, p.FRMPayload, false, st.DevAddr, full, p.FPort); err != nil {
				ev.Kind, ev.Err = EventRejected, err
				return []Event{ev}, false
			}
		}
	}
	macBytes := fopts
	if p.FPortPresent && p.FPort == 0 {
		macBytes = ev.Payload
	}
	// A class A downlink ends the repetition of sticky answers; the
	// commands of this one may add new ones.
	d.sticky = nil
	cmds, macErr := lorawan.ParseMACCommands(macBytes, false)
	d.handleMAC(cmds, rx)
	if macErr != nil {
		ev.Reason = "mac commands: " + macErr.Error()
	}
	ev.MAC = cmds
	ev.FCnt = full
	ev.Confirmed = p.MHDR.MType == lorawan.ConfirmedDataDown
	ev.FPending = p.FHDR.FCtrl.FPending
	if p.FHDR.FCtrl.ACK && d.confUp {
		ev.ACK = true
		d.confUp = false
	}
	if ev.Confirmed {
		d.ackDown, d.ackFCnt = true, full
	}
	return []Event{ev}, true
}
