package agent

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// Class C retries (CLASS_C_BACKOFF_BY, CLASS_C_BACKOFF_MAX).
const (
	classCBackoff = 100 * time.Millisecond
	classCTries   = 10
)

// FSK downlink settings of ral_lgw.c (FSK_BAUD, FSK_FDEV, FSK_PRMBL_LEN).
const (
	fskBitRate   = 50_000
	fskDeviation = 25_000
	fskPreamble  = 5
)

// txCheckFudge is how far into a frame Station checks that the radio is
// emitting it and sends dntxed (TXCHECK_FUDGE in src/s2conf.h).
const txCheckFudge = 5 * time.Millisecond

// txJob is a frame the radio accepted, kept until its TxDone.
type txJob struct {
	diid     int64
	devEUI   lorawan.EUI64
	upperEUI bool
	dr       int
	freq     uint32
	gpstime  station.GPSTime
	xtime    station.XTime // start
	timer    Timer         // txCheckFudge into the frame: dntxed
	reported bool          // dntxed is done with (sent, or not due)
}

// dnReq is a downlink to place: a first choice (xtime, freq, dr) and, for
// class A, the RX2 alternative one second later; for class C, RX2 at once
// with retries.
type dnReq struct {
	kind   string // "dnmsg", "dnsched", "dnframe", for logs
	diid   int64
	devEUI lorawan.EUI64
	// upperEUI spells dntxed's key "DevEUI" (router_config said
	// "JoinEUI").
	upperEUI bool
	class    int
	pdu      []byte
	preamble uint16
	addCRC   bool
	xtime    station.XTime // first choice's start; 0 for class C on RX2 only
	freq     uint32        // first choice's frequency; 0 for none
	dr       int
	rx2Freq  uint32 // 0: no RX2
	rx2DR    int
	gpstime  station.GPSTime
}

// candidate is one possible transmission.
type candidate struct {
	xtime station.XTime
	freq  uint32
	dr    int
}

// Reasons a downlink is not placed.
var (
	errNotConfigured = errors.New("no router_config with a recognised region yet")
	errOtherSession  = errors.New("xtime of another radio session")
	errTooFarAhead   = errors.New("too far ahead")
	errNoChance      = errors.New("no transmission slot left")
)

// refuse logs and counts a downlink that is not sent.
func (a *Agent) refuse(kind string, diid int64, err error) {
	a.count(func(s *Stats) { s.Refused++ })
	a.log.Warn(kind+" refused", "diid", diid, "reason", err.Error())
}

// downlinkPlan returns the plan that downlinks may use on c: Station drops
// downlinks before router_config and while the region is unknown.
func (a *Agent) downlinkPlan(c *conn) (*plan, error) {
	p := a.currentPlan()
	if !c.configured.Load() || p == nil || p.region == "" {
		return nil, errNotConfigured
	}
	return p, nil
}

// handleDnmsg executes a dnmsg (handle_dnmsg).
func (a *Agent) handleDnmsg(ctx context.Context, c *conn, m *station.Dnmsg, rx int64) {
	a.updateMuxTime(m.MuxTime, rx)
	p, err := a.downlinkPlan(c)
	if err != nil {
		a.refuse("dnmsg", m.Diid, err)
		return
	}
	rx1DR, rx1Freq := m.RX1DR, m.RX1Freq
	if m.DR != nil {
		rx1DR = m.DR
	}
	if m.Freq != nil {
		rx1Freq = m.Freq
	}
	for _, dr := range []*int{rx1DR, m.RX2DR} {
		if dr != nil {
			if err := p.checkDR(*dr); err != nil {
				a.refuse("dnmsg", m.Diid, err)
				return
			}
		}
	}
	for _, f := range []*uint32{rx1Freq, m.RX2Freq} {
		if f != nil {
			if err := p.checkFreq(*f); err != nil {
				a.refuse("dnmsg", m.Diid, err)
				return
			}
		}
	}
	if err := m.Validate(); err != nil {
		a.refuse("dnmsg", m.Diid, err)
		return
	}
	// "DR" is the legacy form of RX1DR that also means RxDelay 0.
	rxDelay := max(1, m.RxDelay)
	if m.DR != nil {
		rxDelay = 0
	}
	unit := m.XTime.Unit()
	if m.Rctx != nil {
		unit = uint8(*m.Rctx & 0x7F)
	}
	if unit != 0 {
		a.refuse("dnmsg", m.Diid, fmt.Errorf("no radio unit %d", unit))
		return
	}
	req := dnReq{
		kind: "dnmsg", diid: m.Diid, devEUI: m.DevEUI, class: m.DC,
		pdu: m.PDU, preamble: m.Preamble, addCRC: m.AddCRC != 0,
		upperEUI: p.upperEUI,
	}
	if rx1Freq != nil {
		req.freq, req.dr = *rx1Freq, *rx1DR
	}
	if m.RX2Freq != nil {
		req.rx2Freq, req.rx2DR = *m.RX2Freq, *m.RX2DR
	}
	switch m.DC {
	case station.ClassB:
		a.rmu.Lock()
		req.xtime = a.gpsToXTimeLocked(m.GPSTime)
		a.rmu.Unlock()
		req.gpstime = m.GPSTime
		if req.xtime == 0 {
			a.refuse("dnmsg", m.Diid, errors.New("class B ping: GPS time unknown"))
			return
		}
	default:
		if m.XTime != 0 {
			req.xtime = m.XTime.Add(time.Duration(rxDelay) * time.Second)
		}
		if req.xtime == 0 && req.freq != 0 {
			a.refuse("dnmsg", m.Diid, errors.New("RX1 without xtime"))
			return
		}
	}
	ref := m.XTime
	if m.DC == station.ClassB || m.DC == station.ClassC && req.freq == 0 {
		// Class B goes by GPS time and class C on RX2 at once: Station
		// does not look at the xtime then, not even at its session.
		ref = 0
	}
	a.place(ctx, p, req, ref)
}

// handleDnsched executes the entries of a dnsched (handle_dnsched): each
// at an absolute xtime, or at a GPS time (ontime in seconds or gpstime),
// with no alternative and no dntxed. A bad data rate or frequency stops
// the processing of the entries that follow, as Station's parser does; an
// entry without a mandatory field is skipped, the next ones still run.
func (a *Agent) handleDnsched(ctx context.Context, c *conn, m *station.Dnsched, rx int64) {
	a.updateMuxTime(m.MuxTime, rx)
	p, err := a.downlinkPlan(c)
	if err != nil {
		a.refuse("dnsched", 0, err)
		return
	}
	for i, e := range m.Schedule {
		// Station checks DR and Freq as it parses them, and the presence
		// of the mandatory fields at the entry's end.
		if e.DR != nil {
			if err := p.checkDR(*e.DR); err != nil {
				a.refuse("dnsched", e.Diid, err)
				return
			}
		}
		if e.Freq != nil {
			if err := p.checkFreq(*e.Freq); err != nil {
				a.refuse("dnsched", e.Diid, err)
				return
			}
		}
		if err := e.Validate(); err != nil {
			a.count(func(s *Stats) { s.Refused++ })
			a.log.Warn("dnsched entry ignored: some mandatory fields are missing", "entry", i, "diid", e.Diid, "error", err)
			continue
		}
		if unit := e.Rctx & 0x7F; unit != 0 {
			a.refuse("dnsched", e.Diid, fmt.Errorf("no radio unit %d", unit))
			continue
		}
		req := dnReq{kind: "dnsched", diid: e.Diid, class: station.ClassA, pdu: e.PDU,
			preamble: e.Preamble, addCRC: e.AddCRC != 0, freq: *e.Freq, dr: *e.DR}
		switch {
		case e.GPSTime != 0 || e.OnTime != 0:
			g := e.GPSTime
			if g == 0 {
				g = station.GPSTime(e.OnTime * usPerSec)
			}
			req.class, req.gpstime = station.ClassB, g
			a.rmu.Lock()
			req.xtime = a.gpsToXTimeLocked(g)
			a.rmu.Unlock()
		default:
			req.xtime = e.XTime
		}
		if req.xtime == 0 {
			a.refuse("dnsched", e.Diid, errors.New("failed to convert the time"))
			continue
		}
		a.place(ctx, p, req, req.xtime)
	}
}

// handleDnframe executes the obsolete dnframe (handle_dnframe): a frame at
// an absolute xtime, class C when asap.
func (a *Agent) handleDnframe(ctx context.Context, c *conn, m *station.Dnframe, rx int64) {
	a.updateMuxTime(m.MuxTime, rx)
	p, err := a.downlinkPlan(c)
	if err != nil {
		a.refuse("dnframe", m.Diid, err)
		return
	}
	if err := p.checkDR(m.DR); err != nil {
		a.refuse("dnframe", m.Diid, err)
		return
	}
	if err := p.checkFreq(m.Freq); err != nil {
		a.refuse("dnframe", m.Diid, err)
		return
	}
	// Decode has refused a dnframe without its mandatory fields; these are
	// present but unusable.
	if m.XTime == 0 || len(m.PDU) == 0 {
		a.refuse("dnframe", m.Diid, errors.New("xtime 0 or empty pdu"))
		return
	}
	unit := m.XTime.Unit()
	if m.Rctx != nil {
		unit = uint8(*m.Rctx & 0x7F)
	}
	if unit != 0 {
		a.refuse("dnframe", m.Diid, fmt.Errorf("no radio unit %d", unit))
		return
	}
	req := dnReq{kind: "dnframe", diid: m.Diid, devEUI: m.DevEUI, upperEUI: p.upperEUI,
		class: station.ClassA, pdu: m.PDU, xtime: m.XTime, freq: m.Freq, dr: m.DR}
	if m.Asap {
		req.class = station.ClassC
	}
	a.place(ctx, p, req, m.XTime)
}

// place tries the request's transmissions in Station's order until the
// radio accepts one: a start closer than TxLead, a duty cycle that forbids
// it, or any refusal by the radio (late, busy, …) moves on to the
// alternative (altTxTime in src/s2e.c). ref is the xtime the LNS gave,
// checked against the running session.
func (a *Agent) place(ctx context.Context, p *plan, req dnReq, ref station.XTime) {
	a.rmu.Lock()
	defer a.rmu.Unlock()
	r := &a.radio
	if !r.running {
		a.refuse(req.kind, req.diid, hal.ErrStopped)
		return
	}
	if ref != 0 && (ref.Session() != r.session || ref.Unit() != 0) {
		a.refuse(req.kind, req.diid, fmt.Errorf("%w (session %d, current %d)", errOtherSession, ref.Session(), r.session))
		return
	}
	now, err := a.nowXTimeLocked()
	if err != nil {
		a.refuse(req.kind, req.diid, err)
		return
	}
	earliest := now.Add(a.opts.TxLead)
	var cands []candidate
	if req.freq != 0 {
		cands = append(cands, candidate{req.xtime, req.freq, req.dr})
	}
	switch req.class {
	case station.ClassA:
		if req.rx2Freq != 0 {
			cands = append(cands, candidate{req.xtime.Add(time.Second), req.rx2Freq, req.rx2DR})
		}
	case station.ClassC:
		f, dr, t := req.rx2Freq, req.rx2DR, earliest
		if f == 0 {
			f, dr = req.freq, req.dr
			if req.xtime > t {
				t = req.xtime
			}
		}
		for i := 0; i <= classCTries; i++ {
			cands = append(cands, candidate{t.Add(time.Duration(i) * classCBackoff), f, dr})
		}
	}
	if len(cands) == 0 {
		a.refuse(req.kind, req.diid, errors.New("no frequency to send on"))
		return
	}
	if cands[0].xtime.Sub(now) > a.opts.TxMaxAhead {
		a.refuse(req.kind, req.diid, fmt.Errorf("%w: %v", errTooFarAhead, cands[0].xtime.Sub(now)))
		return
	}
	var reasons []error
	for i, cand := range cands {
		err := a.tryTx(ctx, p, req, cand, earliest)
		if err == nil {
			if i > 0 {
				a.log.Info(req.kind+" sent on its alternative", "diid", req.diid, "freq", cand.freq, "dr", cand.dr,
					"first_choice", errors.Join(reasons...).Error())
			}
			return
		}
		reasons = append(reasons, err)
	}
	a.refuse(req.kind, req.diid, fmt.Errorf("%w: %w", errNoChance, errors.Join(reasons...)))
}

// tryTx hands one transmission to the radio. The caller holds rmu.
func (a *Agent) tryTx(ctx context.Context, p *plan, req dnReq, cand candidate, earliest station.XTime) error {
	if cand.xtime < earliest {
		return fmt.Errorf("%d Hz: too late by %v", cand.freq, earliest.Sub(cand.xtime))
	}
	if !p.dcAllows(cand.freq, cand.xtime.Micros()) {
		return fmt.Errorf("%d Hz: no duty cycle left", cand.freq)
	}
	d := p.drs[cand.dr]
	power := p.txPower(cand.freq, a.opts.AntennaGain)
	pkt := hal.TxPacket{
		Mode:    hal.TxTimestamped,
		CountUS: uint32(cand.xtime.Micros()),
		Freq:    cand.freq,
		RFChain: 0,
		Power:   int8(max(math.MinInt8, min(math.MaxInt8, math.Trunc(power)))),
		NoCRC:   !req.addCRC,
		Payload: req.pdu,
	}
	if d.FSK {
		pkt.Modulation, pkt.DataRate, pkt.FreqDeviation, pkt.Preamble = hal.ModulationFSK, fskBitRate, fskDeviation, fskPreamble
	} else {
		pkt.Modulation, pkt.SpreadingFactor, pkt.Bandwidth, pkt.CodeRate = hal.ModulationLoRa, d.SF, d.BW, hal.CodeRate4_5
		pkt.InvertPol = true
		pkt.Preamble = int(req.preamble)
	}
	a.txMu.Lock()
	a.txSeq++
	id := a.txSeq
	pkt.ID = id
	a.pending[id] = txJob{diid: req.diid, devEUI: req.devEUI, upperEUI: req.upperEUI,
		dr: cand.dr, freq: cand.freq, gpstime: req.gpstime, xtime: cand.xtime}
	a.txMu.Unlock()
	if err := a.hw.Send(ctx, pkt); err != nil {
		a.txMu.Lock()
		delete(a.pending, id)
		a.txMu.Unlock()
		return fmt.Errorf("%d Hz: %w", cand.freq, err)
	}
	// Station reports the frame once the radio emits it, TXCHECK_FUDGE
	// after its start (s2e_nextTxAction), not when it has ended.
	if req.devEUI != (lorawan.EUI64{}) {
		gen := a.radio.gen
		due := time.Duration(a.xtimeToUsLocked(cand.xtime)-a.ustime())*time.Microsecond + txCheckFudge
		a.txMu.Lock()
		if job, ok := a.pending[id]; ok {
			job.timer = a.clock.AfterFunc(due, func() { a.onTxStarted(gen, id) })
			a.pending[id] = job
		}
		a.txMu.Unlock()
	}
	p.dcBook(cand.freq, cand.xtime.Micros(), pkt.AirTime().Microseconds())
	a.count(func(s *Stats) { s.Downlinks++ })
	a.log.Debug(req.kind+" queued", "diid", req.diid, "freq", cand.freq, "dr", cand.dr,
		"power", pkt.Power, "in", cand.xtime.Sub(earliest)+a.opts.TxLead)
	return nil
}

// onTxStarted sends the dntxed of a frame the radio is emitting
// (send_dntxed, called by s2e_nextTxAction once the frame is on the air).
func (a *Agent) onTxStarted(gen, id uint64) {
	a.txMu.Lock()
	job, ok := a.pending[id]
	if !ok || job.reported {
		a.txMu.Unlock()
		return
	}
	job.reported = true
	a.pending[id] = job
	a.txMu.Unlock()
	a.rmu.Lock()
	if !a.radio.running || a.radio.gen != gen {
		a.rmu.Unlock()
		return
	}
	us := a.xtimeToUsLocked(job.xtime)
	a.rmu.Unlock()
	a.sendDntxed(job, job.xtime, us)
}

// onTxDone takes the radio's report on a frame: a frame that ended before
// onTxStarted ran gets its dntxed now (Station's check at the frame's end).
func (a *Agent) onTxDone(gen uint64, d hal.TxDone) {
	a.txMu.Lock()
	job, ok := a.pending[d.ID]
	delete(a.pending, d.ID)
	a.txMu.Unlock()
	if !ok {
		return
	}
	if job.timer != nil {
		job.timer.Stop()
	}
	if d.Err != nil {
		a.count(func(s *Stats) { s.TxFailed++ })
		a.log.Warn("transmission failed", "diid", job.diid, "dntxed_sent", job.reported, "error", d.Err)
		return
	}
	a.rmu.Lock()
	if a.radio.gen != gen {
		a.rmu.Unlock()
		return
	}
	xt := a.widenLocked(d.CountUS)
	us := a.xtimeToUsLocked(xt)
	a.rmu.Unlock()
	a.count(func(s *Stats) { s.TxDone++ })
	a.log.Info("TX done", "diid", job.diid, "freq", job.freq, "dr", job.dr, "xtime", int64(xt))
	if !job.reported {
		a.sendDntxed(job, xt, us)
	}
}

// sendDntxed writes the dntxed of a job that carries a DevEui (jobs of
// dnsched carry none and get none, as in Station).
func (a *Agent) sendDntxed(job txJob, xt station.XTime, us int64) {
	var zero lorawan.EUI64
	if job.devEUI == zero {
		return
	}
	c := a.currentConn()
	if c == nil {
		a.log.Warn("dntxed not sent: no connection to the LNS", "diid", job.diid)
		return
	}
	err := c.send(&station.Dntxed{
		Diid: job.diid, DR: job.dr, Freq: job.freq, DevEUI: job.devEUI, Rctx: 0,
		XTime: xt, TxTime: station.Seconds(float64(us) / 1e6), GPSTime: job.gpstime,
		UpperEUIKeys: job.upperEUI,
	})
	if err != nil {
		a.log.Warn("dntxed not sent", "diid", job.diid, "error", err)
		return
	}
	a.count(func(s *Stats) { s.Dntxed++ })
}
