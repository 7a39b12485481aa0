package downlink

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// Reception is one gateway's copy of an uplink (from the deduplicated
// uplink): the gateway, its radio context and timestamps, and the signal.
type Reception struct {
	Gateway    lorawan.EUI64
	Rctx       int64
	XTime      int64 // station.XTime of the uplink; 0 when the gateway gave none
	GPSTime    int64
	RSSI, SNR  float64
	Freq       uint32
	DR         int
	ReceivedAt time.Time
}

// ClassA asks for the answer in the RX1/RX2 windows of one uplink.
type ClassA struct {
	Device     store.Device
	Session    *store.Session   // nil for a join-accept
	Crypto     *lorawan.Session // cached session crypto (nil: built from Session's keys)
	Region     *lorawan.Region
	Receptions []Reception // every gateway's copy; the best one is used
	UplinkDR   int
	UplinkFreq uint32
	ACK        bool   // the uplink was confirmed: set FCtrl.ACK
	ConfFCnt   uint32 // FCnt of the confirmed uplink being ACKed (1.1 MIC)
	// ADR sets FCtrl.ADR: the network manages the device's data rate
	// (normally the ADR bit of the uplink, when the network runs ADR).
	ADR bool
	MAC []byte // MAC commands to send (FOpts when ≤15 bytes, else FPort 0)
	// Reply asks for a frame even when there is nothing to say: the device
	// waits for a downlink (ADRACKReq; RXParamSetupAns, RXTimingSetupAns
	// or DlChannelAns, which it repeats until a Class A downlink comes).
	// Without anything else to carry, the frame is empty (no FPort), on
	// NFCntDown.
	Reply bool
	// JoinAccept is a ready join-accept PHYPayload, sent with the region's
	// join-accept delays instead of a data frame.
	JoinAccept []byte
}

// snrFloor returns the demodulation floor (dB) of LoRa at spreading factor
// sf: -7.5 dB at SF7 down to -20 dB at SF12, 2.5 dB a step (the figures of
// the Semtech SX127x/SX130x datasheets that the ADR and LinkCheck margins
// use).
func snrFloor(sf int) float64 { return -20 + 2.5*float64(12-sf) }

// margin is r's SNR above the floor of its data rate in region (its plain
// SNR when the rate is not LoRa or region is nil).
func margin(r Reception, region *lorawan.Region) float64 {
	if region != nil {
		if dr, err := region.DataRate(r.DR); err == nil && dr.Modulation == lorawan.ModulationLoRa {
			return r.SNR - snrFloor(dr.SpreadingFactor)
		}
	}
	return r.SNR
}

// better reports whether a is a better gateway than b: a higher SNR margin,
// then a higher RSSI.
func better(a, b Reception, region *lorawan.Region) bool {
	ma, mb := margin(a, region), margin(b, region)
	if ma != mb {
		return ma > mb
	}
	return a.RSSI > b.RSSI
}

// rank returns the copies that can carry a Class A answer (a valid xtime),
// best first. Every copy is of the uplink's data rate upDR.
func rank(rs []Reception, region *lorawan.Region, upDR int) []Reception {
	out := make([]Reception, 0, len(rs))
	for _, r := range rs {
		if !station.XTime(r.XTime).Valid() {
			continue
		}
		r.DR = upDR
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool { return better(out[i], out[j], region) })
	return out
}

// rxParams are the receive windows of one Class A answer.
type rxParams struct {
	delay   int // RxDelay, seconds
	rx1DR   int
	rx1Freq uint32
	rx2DR   int
	rx2Freq uint32
	dwell   bool // downlink dwell time
}

// rx2 returns the RX2 data rate and frequency of a session: its RX2DR
// (the region's default when 0, as in sessions the store creates for ABP
// devices) and its RX2Frequency (the region's default when 0); with an RX2
// frequency set (RXParamSetupReq) both are the session's as they are. A nil
// session (a join-accept) gets the region's defaults.
func rx2(region *lorawan.Region, sess *store.Session) (int, uint32) {
	switch {
	case sess == nil:
		return region.RX2DataRate(), region.RX2Frequency()
	case sess.RX2Frequency != 0:
		return int(sess.RX2DR), sess.RX2Frequency
	case sess.RX2DR != 0:
		return int(sess.RX2DR), region.RX2Frequency()
	}
	return region.RX2DataRate(), region.RX2Frequency()
}

// fitsRX2 reports whether a frame of n bytes (PHYPayload) respects the
// maximum MACPayload of the RX2 data rate.
func fitsRX2(region *lorawan.Region, rx rxParams, n int) bool {
	mp, err := region.MaxPayloadSize(rx.rx2DR, rx.dwell)
	return err == nil && n-5 <= mp.M
}

// classARx computes the windows answering an uplink at upDR on upFreq; a
// nil session means a join-accept.
func classARx(region *lorawan.Region, sess *store.Session, upDR int, upFreq uint32) (rxParams, error) {
	p := rxParams{dwell: region.DownlinkDwellTime()}
	offset := 0
	if sess == nil {
		p.delay = int(region.JoinAcceptDelay1() / time.Second)
	} else {
		offset = int(sess.RX1DROffset)
		p.delay = max(int(sess.RxDelay), 1)
	}
	var err error
	if p.rx1DR, err = region.RX1DataRate(upDR, offset, p.dwell); err != nil {
		return p, fmt.Errorf("downlink: rx1: %w", err)
	}
	if p.rx1Freq, err = region.RX1Frequency(upFreq); err != nil {
		return p, fmt.Errorf("downlink: rx1: %w", err)
	}
	p.rx2DR, p.rx2Freq = rx2(region, sess)
	return p, nil
}

// ScheduleClassA answers one uplink in its receive windows, on its best
// gateway: the join-accept when req carries one, otherwise a data frame
// with the ACK, the MAC commands and the device's first queued application
// downlink, as fit (see the package comment). Nothing is sent when there is
// nothing to say, unless req.Reply asks for a frame all the same. Call it for every data uplink (so that queued downlinks
// go out) after AckReceived when the uplink carries FCtrl.ACK. The error
// reports a downlink that could not be built or that no gateway took.
func (s *Scheduler) ScheduleClassA(ctx context.Context, req ClassA) error {
	dev := req.Device.DevEUI
	if req.Region == nil {
		return fmt.Errorf("downlink: %s: no region", dev)
	}
	cands := rank(req.Receptions, req.Region, req.UplinkDR)
	if len(cands) == 0 {
		return fmt.Errorf("downlink: %s: no gateway copy of the uplink with an xtime", dev)
	}
	s.NoteUplink(dev, cands[0])
	if req.JoinAccept != nil {
		return s.scheduleJoinAccept(ctx, req, cands)
	}
	if req.Session == nil {
		return fmt.Errorf("downlink: %s: data downlink without a session", dev)
	}
	s.mu.Lock()
	s.state(dev).adr = req.ADR
	s.mu.Unlock()

	sess := req.Session
	rx, err := classARx(req.Region, sess, req.UplinkDR, req.UplinkFreq)
	if err != nil {
		return fmt.Errorf("downlink: %s: %w", dev, err)
	}
	mp, err := req.Region.MaxPayloadSize(rx.rx1DR, rx.dwell)
	if err != nil {
		return fmt.Errorf("downlink: %s: %w", dev, err)
	}
	head, queued, err := s.headForUplink(ctx, req.Device)
	if err != nil {
		// The ACK and MAC answers matter more than the queue.
		s.log.Error("downlink queue unreadable", "dev_eui", dev, "err", err)
		head, queued = nil, 0
	}
	claimed := head != nil && s.claim(dev, head.ID)
	offer := head
	if !claimed {
		offer = nil
	}
	p := makePlan(req.ACK, req.ADR, req.MAC, offer, head != nil, queued, mp.M)
	p.reply = req.Reply
	if claimed && p.app == nil {
		s.release(dev, head.ID)
	}
	if p.cut > 0 {
		s.log.Warn("downlink: mac commands left out", "dev_eui", dev, "bytes", p.cut, "max_payload", mp.M)
	}
	if head != nil && claimed && p.app == nil && p.port0 == nil {
		s.log.Warn("downlink: queued downlink does not fit the rx1 data rate; left queued",
			"dev_eui", dev, "id", head.ID, "bytes", len(head.Payload), "rx1_dr", rx.rx1DR, "max_payload", mp.M)
	}
	if p.empty() {
		s.m.nothing.Add(1)
		return nil
	}
	crypto := req.Crypto
	if crypto == nil {
		if crypto, err = sessionCrypto(sess); err != nil {
			s.release(dev, p.itemID())
			return fmt.Errorf("downlink: %s: %w", dev, err)
		}
	}
	pdu, fcnt, err := s.buildData(ctx, dev, sess, crypto, p, req.ConfFCnt)
	if err != nil {
		s.release(dev, p.itemID())
		return fmt.Errorf("downlink: %s: %w", dev, err)
	}
	msg := &station.Dnmsg{
		DevEUI:   dev,
		DC:       station.ClassA,
		PDU:      pdu,
		RxDelay:  rx.delay,
		RX1DR:    &rx.rx1DR,
		RX1Freq:  &rx.rx1Freq,
		RX2DR:    &rx.rx2DR,
		RX2Freq:  &rx.rx2Freq,
		Priority: s.opts.Priority,
	}
	if !fitsRX2(req.Region, rx, len(pdu)) {
		// Station would fall back to RX2 when RX1 cannot be sent; a frame
		// too long for the RX2 data rate goes in RX1 or not at all.
		msg.RX2DR, msg.RX2Freq = nil, nil
	}
	pd := &pending{dev: dev, devName: wirelessID(req.Device), classC: req.Device.Class == store.ClassC, fcnt: fcnt}
	if p.app != nil {
		pd.item, pd.confirmed, pd.fport = p.app.ID, p.app.Confirmed, p.app.FPort
	}
	last := time.Duration(rx.delay)*time.Second + time.Second // RX2 opens
	if err := s.sendClassA(ctx, msg, cands, pd, last); err != nil {
		s.release(dev, p.itemID())
		return fmt.Errorf("downlink: %s: %w", dev, err)
	}
	return nil
}

// scheduleJoinAccept sends a join-accept in the join-accept windows.
func (s *Scheduler) scheduleJoinAccept(ctx context.Context, req ClassA, cands []Reception) error {
	dev := req.Device.DevEUI
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(req.JoinAccept); err != nil || p.MHDR.MType != lorawan.JoinAccept {
		return fmt.Errorf("downlink: %s: join-accept: not a join-accept frame", dev)
	}
	rx, err := classARx(req.Region, nil, req.UplinkDR, req.UplinkFreq)
	if err != nil {
		return fmt.Errorf("downlink: %s: join-accept: %w", dev, err)
	}
	msg := &station.Dnmsg{
		DevEUI:   dev,
		DC:       station.ClassA,
		PDU:      append(station.HexBytes(nil), req.JoinAccept...),
		RxDelay:  rx.delay,
		RX1DR:    &rx.rx1DR,
		RX1Freq:  &rx.rx1Freq,
		RX2DR:    &rx.rx2DR,
		RX2Freq:  &rx.rx2Freq,
		Priority: s.opts.Priority,
	}
	pd := &pending{dev: dev, devName: wirelessID(req.Device)}
	if err := s.sendClassA(ctx, msg, cands, pd, req.Region.JoinAcceptDelay2()); err != nil {
		return fmt.Errorf("downlink: %s: join-accept: %w", dev, err)
	}
	return nil
}

// sendClassA sends msg through the best gateway that takes it, with that
// gateway's xtime and rctx. last is the delay from the uplink to the
// opening of the last receive window, after which (plus TxTimeout) a
// missing dntxed is reported.
func (s *Scheduler) sendClassA(ctx context.Context, msg *station.Dnmsg, cands []Reception, pd *pending, last time.Duration) error {
	var errs []error
	for _, c := range cands {
		rctx := c.Rctx
		msg.XTime = station.XTime(c.XTime)
		msg.Rctx = &rctx
		at := c.ReceivedAt
		if at.IsZero() {
			at = s.opts.Now()
		}
		err := s.sendOne(ctx, c.Gateway, msg, pd, at.Add(last+s.opts.TxTimeout))
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if errors.Is(err, errInvalid) || errors.Is(err, errClosed) || ctx.Err() != nil {
			break
		}
	}
	s.m.sendFailed.Add(1)
	return errors.Join(errs...)
}

var (
	errInvalid = errors.New("downlink: invalid dnmsg")
	errClosed  = errors.New("downlink: scheduler closed")
)

// sendOne gives msg a fresh diid, registers it as pending until deadline
// and sends it to gw.
func (s *Scheduler) sendOne(ctx context.Context, gw lorawan.EUI64, msg *station.Dnmsg, tmpl *pending, deadline time.Time) error {
	msg.Diid = s.newDiid()
	msg.MuxTime = station.SecondsOf(s.opts.Now())
	if err := msg.Validate(); err != nil {
		return fmt.Errorf("%w: %v", errInvalid, err)
	}
	pd := *tmpl
	pd.gw = gw
	diid := msg.Diid
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return errClosed
	}
	pd.timer = time.AfterFunc(max(deadline.Sub(s.opts.Now()), 0), func() { s.txTimeout(diid) })
	s.pending[diid] = &pd
	s.mu.Unlock()
	if err := s.sender.Send(ctx, gw, msg); err != nil {
		s.mu.Lock()
		if s.pending[diid] == &pd {
			pd.timer.Stop()
			delete(s.pending, diid)
		}
		s.mu.Unlock()
		s.log.Warn("downlink: gateway did not take dnmsg", "dev_eui", msg.DevEUI, "gateway", gw, "diid", diid, "err", err)
		return fmt.Errorf("gateway %s: %w", gw, err)
	}
	s.m.scheduled.Add(1)
	s.log.Debug("dnmsg sent", "dev_eui", msg.DevEUI, "gateway", gw, "diid", diid, "dC", msg.DC,
		"item", pd.item, "fcnt", pd.fcnt, "bytes", len(msg.PDU))
	return nil
}

// headForUplink returns the first queued downlink of the device that may go
// in the windows of an uplink and the queue's length, after dropping
// confirmed downlinks that used up their transmissions without an ACK. A
// queue read empty is not read again until the store's QueueVersion of the
// device moves (most devices have nothing queued at most uplinks).
func (s *Scheduler) headForUplink(ctx context.Context, dev store.Device) (*store.Downlink, int, error) {
	for {
		ver := s.db.QueueVersion(dev.DevEUI) // before the read: see Store
		if s.queueKnownEmpty(dev.DevEUI, ver) {
			return nil, 0, nil
		}
		d, n, err := s.db.PeekDownlink(ctx, dev.DevEUI)
		if errors.Is(err, store.ErrNotFound) {
			s.noteQueueEmpty(dev.DevEUI, ver)
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		if !d.Confirmed || d.Attempts < s.opts.MaxAttempts || s.busy(dev.DevEUI, d.ID) {
			return &d, n, nil
		}
		if err := s.db.DeleteDownlink(ctx, dev.DevEUI, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, 0, err
		}
		s.m.dropped.Add(1)
		s.publish(&route.DownlinkEvent{
			Event:            route.EventDownlinkDropped,
			WirelessDeviceId: wirelessID(dev),
			DevEui:           dev.DevEUI,
			MessageId:        strconv.FormatUint(d.ID, 10),
			FPort:            int(d.FPort),
			Confirmed:        true,
			FCnt:             d.FCnt,
			Attempts:         d.Attempts,
			Reason:           fmt.Sprintf("not acknowledged after %d transmissions", d.Attempts),
		})
	}
}
