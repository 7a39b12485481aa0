package uplink

import (
	"context"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/cloud/mac"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// match is the session a data frame's MIC picked, with what was learnt
// on the way.
type match struct {
	sess    store.Session
	crypto  *lorawan.Session
	dev     store.Device // without keys
	devVer  uint64       // the store's DeviceVersion dev was read at
	wid     string       // dev's WirelessDeviceId
	haveDev bool
	region  *lorawan.Region
	fcnt    uint32
	old     bool // the MIC matched a counter below the last accepted one
	wrapped bool // the counter ran past 2^32
}

// handleData runs the data path for one deduplicated uplink.
func (p *Pipeline) handleData(ctx context.Context, f dedup.Frame, o *Outcome) {
	phy := f.PHYPayload
	var fr lorawan.PHYPayload
	if err := fr.UnmarshalBinary(phy); err != nil {
		p.refuse(o, ReasonMalformed, "err", err)
		return
	}
	addr := fr.FHDR.DevAddr
	cands, err := p.db.SessionsByDevAddr(ctx, addr)
	if err != nil {
		p.refuse(o, ReasonStoreError, "dev_addr", addr.String(), "err", err)
		return
	}
	if len(cands) == 0 {
		p.refuse(o, ReasonUnknownDevAddr, "dev_addr", addr.String(), "gateways", len(f.Receptions))
		return
	}
	// The first candidate whose MIC verifies at a counter it may take
	// wins; one that verifies only at an old counter is kept in case no
	// other does.
	var m, cand match
	found := false
	for i := range cands {
		ok, err := p.check(ctx, &cands[i], &fr, phy[:len(phy)-4], f.Receptions[0], &cand)
		if err != nil {
			p.log.Warn("uplink: candidate session unusable", "dev_eui", cands[i].DevEUI.String(), "err", err)
			continue
		}
		if ok && (!found || m.old) {
			m, found = cand, true
		}
		if found && !m.old {
			break
		}
	}
	switch {
	case !found:
		p.refuse(o, ReasonWrongMIC, "dev_addr", addr.String(), "candidates", len(cands))
		return
	case m.old:
		p.refuse(o, ReasonOldFCnt, "dev_eui", m.sess.DevEUI.String(), "fcnt", m.fcnt, "last", m.sess.FCntUp)
		return
	case m.wrapped:
		p.refuse(o, ReasonFCntExhausted, "dev_eui", m.sess.DevEUI.String())
		return
	}
	if !m.haveDev {
		if err := p.device(ctx, &m); err != nil {
			p.refuse(o, deviceReason(err), "dev_eui", m.sess.DevEUI.String(), "err", err)
			return
		}
	}
	o.DevEUI, o.FCnt = m.sess.DevEUI, m.fcnt
	confirmed := fr.MHDR.MType == lorawan.ConfirmedDataUp
	rxs := receptions(f)
	if !p.advance(ctx, &m, confirmed, fr.FHDR.FCtrl.ADR, rxs, o) {
		return
	}
	p.c.uplinks.Add(1)
	sess, dev := &m.sess, m.dev

	// Decrypt in place: the frame's bytes are this worker's.
	if len(fr.FHDR.FOpts) > 0 && sess.MACVersion == lorawan.MACVersion1_1 {
		if err := m.crypto.XORFOpts(fr.FHDR.FOpts, fr.FHDR.FOpts, true, addr, m.fcnt, false); err != nil {
			p.log.Error("uplink: fopts not decrypted", "dev_eui", dev.DevEUI.String(), "err", err)
			return
		}
	}
	if fr.FPortPresent && len(fr.FRMPayload) > 0 {
		if err := m.crypto.XORFRMPayload(fr.FRMPayload, fr.FRMPayload, true, addr, m.fcnt, fr.FPort); err != nil {
			p.log.Error("uplink: payload not decrypted", "dev_eui", dev.DevEUI.String(), "err", err)
			return
		}
	}
	cmds := fr.FHDR.FOpts
	if fr.FPortPresent && fr.FPort == 0 {
		cmds = fr.FRMPayload
	}
	fctrl := fr.FHDR.FCtrl
	if fctrl.ACK {
		if err := p.sched.AckReceived(ctx, dev.DevEUI); err != nil {
			p.log.Warn("uplink: ack not recorded", "dev_eui", dev.DevEUI.String(), "err", err)
		}
	}
	var (
		answers []byte
		reply   bool
	)
	if len(cmds) > 0 || fctrl.ADR || fctrl.ADRACKReq {
		answers, reply = p.runMAC(ctx, &m, f, cmds, fctrl)
	}
	p.schedule(ctx, &m, rxs, confirmed, fctrl.ADR, reply, answers)

	if !fr.FPortPresent || fr.FPort == 0 {
		p.c.unrouted.Add(1)
		return
	}
	// The device may have changed, or gone, while the counter committed:
	// route as it is now.
	if p.db.DeviceVersion(dev.DevEUI) != m.devVer {
		if err := p.device(ctx, &m); err != nil {
			p.refuse(o, deviceReason(err), "dev_eui", dev.DevEUI.String(), "err", err)
			return
		}
		dev = m.dev
	}
	if dev.Destination == "" {
		p.c.unrouted.Add(1)
		return
	}
	msg := p.message(&m, &fr, rxs)
	pctx, cancel := context.WithTimeout(ctx, p.opts.PublishTimeout)
	err = p.pub.Publish(pctx, dev.Destination, msg)
	cancel()
	if err != nil {
		p.c.routeFailed.Add(1)
		p.log.Warn("uplink not routed", "dev_eui", dev.DevEUI.String(), "destination", dev.Destination, "fcnt", m.fcnt, "err", err)
		return
	}
	p.c.routed.Add(1)
	o.Routed = true
}

// check reports whether the frame's MIC verifies under the candidate
// session sess, filling m when it does. The counter is rebuilt from the
// last accepted one; when that fails the MIC is also tried at the counter
// below it with the same low 16 bits, to tell an old frame from a forgery.
//
// A LoRaWAN 1.1 uplink with FCtrl.ACK signs the counter of the confirmed
// downlink it acknowledges (ConfFCnt, in B1): the session's last confirmed
// downlink, or the one before it when the device missed the last (it then
// repeats the uplink that acknowledged the one before). Both are tried,
// from the session itself: the queue item may be gone already (ACKed, or
// deleted) or its transmission never confirmed by a dntxed.
func (p *Pipeline) check(ctx context.Context, sess *store.Session, fr *lorawan.PHYPayload, msg []byte, first dedup.Reception, m *match) (bool, error) {
	crypto, err := p.cache.get(sess)
	if err != nil {
		return false, err
	}
	cand := match{sess: *sess, crypto: crypto}
	var confFCnts [2]uint16
	nConf := 1
	var txDR, txCh uint8
	if sess.MACVersion == lorawan.MACVersion1_1 {
		// B1 carries the channel and data rate of the transmission, and
		// the counter of the confirmed downlink an ACK acknowledges.
		if err := p.device(ctx, &cand); err != nil {
			return false, err
		}
		txDR = uint8(first.DR)
		if ch, err := cand.region.UplinkChannelIndex(first.Freq); err == nil {
			txCh = uint8(ch)
		}
		if fr.FHDR.FCtrl.ACK {
			confFCnts[0] = uint16(sess.LastConfFCntDown)
			if prev := uint16(sess.PrevConfFCntDown); prev != confFCnts[0] {
				confFCnts[1], nConf = prev, 2
			}
		}
	}
	// mic computes the frame's MIC at counter fcnt, trying each ConfFCnt.
	mic := func(fcnt uint32) (bool, error) {
		for _, conf := range confFCnts[:nConf] {
			got, err := crypto.UplinkMIC(msg, fr.FHDR.DevAddr, fcnt, conf, txDR, txCh)
			if err != nil {
				return false, err
			}
			if got == fr.MIC {
				return true, nil
			}
		}
		return false, nil
	}
	last := uint32(0)
	if sess.UplinkSeen {
		last = sess.FCntUp
	}
	fcnt := lorawan.FullFCnt(last, fr.FHDR.FCnt)
	ok, err := mic(fcnt)
	if err != nil {
		return false, err
	}
	if ok {
		cand.fcnt, cand.wrapped = fcnt, sess.UplinkSeen && fcnt < last
		*m = cand
		return true, nil
	}
	if !sess.UplinkSeen {
		return false, nil
	}
	old := last&^0xffff | uint32(fr.FHDR.FCnt)
	if old >= last {
		if last < 1<<16 {
			return false, nil
		}
		old -= 1 << 16
	}
	if ok, err := mic(old); err == nil && ok {
		cand.fcnt, cand.old = old, true
		*m = cand
		return true, nil
	}
	return false, nil
}

// device loads the device of m's session (without keys) and its region,
// from the cache while the store's version of the device is the one the
// cached copy was read at. The version is read before the record, so a
// change committed in between leaves the copy outdated, never served.
func (p *Pipeline) device(ctx context.Context, m *match) error {
	eui := m.sess.DevEUI
	ver := p.db.DeviceVersion(eui)
	e, ok := p.devs.get(eui, ver)
	if !ok {
		dev, err := p.db.GetDeviceInfo(ctx, eui)
		if err != nil {
			return fmt.Errorf("uplink: device %s: %w", eui, err)
		}
		region, err := p.join.Region(dev.Region)
		if err != nil {
			return fmt.Errorf("uplink: device %s: %w", eui, err)
		}
		e = &deviceEntry{ver: ver, dev: dev, region: region, wid: join.WirelessDeviceID(dev)}
		p.devs.put(e)
	}
	m.dev, m.devVer, m.haveDev, m.region, m.wid = e.dev, ver, true, e.region, e.wid
	return nil
}

func deviceReason(err error) Reason {
	switch {
	case errors.Is(err, lorawan.ErrUnknownRegion):
		return ReasonDeviceError
	case errors.Is(err, store.ErrNotFound):
		return ReasonUnknownDevAddr // deleted, sessions and all
	}
	return ReasonStoreError
}

// advance records the frame counter in the store, atomically with its
// check, activating a pending session on its first uplink. It returns
// false when the frame goes no further (refused, or a retransmission
// answered here; adr is the uplink's FCtrl.ADR, for that answer).
func (p *Pipeline) advance(ctx context.Context, m *match, confirmed, adr bool, rxs []downlink.Reception, o *Outcome) bool {
	dev := m.sess.DevEUI
	var err error
	if m.sess.Pending {
		err = p.db.ActivatePendingSession(ctx, dev, m.fcnt, confirmed)
		if err == nil {
			p.cache.active(dev, m.crypto, m.sess.Keys, m.sess.MACVersion)
			m.sess.Pending = false
			p.log.Info("session activated", "dev_eui", dev.String(), "dev_addr", m.sess.DevAddr.String(), "fcnt", m.fcnt)
		} else if errors.Is(err, store.ErrNotFound) {
			// Another copy activated it first: it is the active session.
			m.sess.Pending = false
			err = p.advanceActive(ctx, dev, m.fcnt, confirmed)
		}
	} else {
		err = p.advanceActive(ctx, dev, m.fcnt, confirmed)
	}
	switch {
	case err == nil:
		m.sess.FCntUp, m.sess.UplinkSeen, m.sess.ConfirmedUp = m.fcnt, true, confirmed
		return true
	case errors.Is(err, store.ErrFCntReplay):
		if confirmed && m.sess.ConfirmedUp {
			// The device did not hear the ACK: ACK again, route nothing.
			// FCtrl.ADR stays what the device runs: a downlink without it
			// tells the device the network stopped managing its rate.
			p.c.retrans.Add(1)
			o.Retransmission = true
			p.schedule(ctx, m, rxs, true, adr, false, nil)
			return false
		}
		p.refuse(o, ReasonReplay, "dev_eui", dev.String(), "fcnt", m.fcnt)
	case errors.Is(err, store.ErrFCntTooOld):
		p.refuse(o, ReasonOldFCnt, "dev_eui", dev.String(), "fcnt", m.fcnt)
	case errors.Is(err, store.ErrNotFound):
		p.refuse(o, ReasonUnknownDevAddr, "dev_eui", dev.String(), "err", err)
	default:
		p.refuse(o, ReasonStoreError, "dev_eui", dev.String(), "err", err)
	}
	return false
}

func (p *Pipeline) advanceActive(ctx context.Context, dev lorawan.EUI64, fcnt uint32, confirmed bool) error {
	if confirmed {
		return p.db.AdvanceFCntUpConfirmed(ctx, dev, fcnt)
	}
	return p.db.AdvanceFCntUp(ctx, dev, fcnt)
}

// runMAC hands the uplink's MAC commands (and ADR) to the MAC layer and
// stores the session when the layer changed it. It returns the answers,
// and whether the device waits for a downlink even without any
// (ADRACKReq, or a setup answer it repeats until it hears the network).
func (p *Pipeline) runMAC(ctx context.Context, m *match, f dedup.Frame, cmds []byte, fctrl lorawan.FCtrl) ([]byte, bool) {
	first := f.Receptions[0]
	var buf [8]mac.Reception
	rs := buf[:0]
	for _, r := range f.Receptions {
		rs = append(rs, mac.Reception{SNR: r.SNR, RSSI: r.RSSI, GPSTime: r.GPSTime, RxTime: r.RxTime})
	}
	up := &mac.Uplink{
		Region: m.region, DR: first.DR, Freq: first.Freq, FCnt: m.fcnt,
		ADR: fctrl.ADR, ADRACKReq: fctrl.ADRACKReq,
		Commands: cmds, Receptions: rs, ReceivedAt: first.ReceivedAt,
	}
	trial := m.sess
	res := p.mac.Handle(&trial, up, nil)
	if res.Changed {
		var stored store.Session
		err := p.db.UpdateSession(ctx, m.sess.DevEUI, func(s *store.Session) error {
			res = p.mac.Handle(s, up, nil)
			stored = *s
			return nil
		})
		if err != nil {
			p.log.Warn("uplink: mac state not stored", "dev_eui", m.sess.DevEUI.String(), "err", err)
		} else {
			stored.Pending = false
			m.sess = stored
		}
	}
	if res.Err != nil {
		p.c.macErrors.Add(1)
		p.log.Debug("uplink: mac commands cut short", "dev_eui", m.sess.DevEUI.String(), "err", res.Err)
	}
	if res.StateReset {
		p.log.Warn("uplink: mac state unreadable, started afresh", "dev_eui", m.sess.DevEUI.String())
	}
	return res.Answers, res.NeedDownlink
}

// schedule asks the scheduler for the Class A answer of the uplink (it
// sends nothing when there is nothing to say, unless reply asks for a
// frame all the same).
func (p *Pipeline) schedule(ctx context.Context, m *match, rxs []downlink.Reception, ack, adr, reply bool, answers []byte) {
	first := rxs[0]
	for _, r := range rxs { // the first copy's radio parameters
		if r.ReceivedAt.Before(first.ReceivedAt) {
			first = r
		}
	}
	sess := m.sess
	err := p.sched.ScheduleClassA(ctx, downlink.ClassA{
		Device:     m.dev,
		Session:    &sess,
		Crypto:     m.crypto,
		Region:     m.region,
		Receptions: rxs,
		UplinkDR:   first.DR,
		UplinkFreq: first.Freq,
		ACK:        ack,
		ConfFCnt:   m.fcnt,
		ADR:        adr && !p.opts.MAC.DisableADR,
		MAC:        answers,
		Reply:      reply,
	})
	if err != nil {
		p.c.downlinkFailed.Add(1)
		p.log.Warn("uplink: class a answer not scheduled", "dev_eui", m.dev.DevEUI.String(), "err", err)
	}
}

// message builds the uplink in the AWS IoT Core for LoRaWAN shape.
func (p *Pipeline) message(m *match, fr *lorawan.PHYPayload, rxs []downlink.Reception) *route.Uplink {
	first := rxs[0]
	for _, r := range rxs {
		if r.ReceivedAt.Before(first.ReceivedAt) {
			first = r
		}
	}
	md := route.LoRaWANMetadata{
		ADR:       fr.FHDR.FCtrl.ADR,
		ClassB:    fr.FHDR.FCtrl.ClassB,
		DataRate:  first.DR,
		DevAddr:   fr.FHDR.DevAddr,
		DevEui:    m.dev.DevEUI,
		FCnt:      m.fcnt,
		FOptLen:   len(fr.FHDR.FOpts),
		FPort:     int(fr.FPort),
		Frequency: first.Freq,
		MIC:       route.MIC(fr.MIC),
		MType:     fr.MHDR.MType.String(),
		Major:     route.MajorLoRaWANR1,
		Timestamp: route.Timestamp(first.ReceivedAt.UTC()),
	}
	if dr, err := m.region.DataRate(first.DR); err == nil {
		switch dr.Modulation {
		case lorawan.ModulationLoRa:
			md.Modulation, md.CodeRate = route.ModulationLoRa, route.CodeRate4_5
			md.SpreadingFactor, md.Bandwidth = dr.SpreadingFactor, int(dr.Bandwidth/1000)
		case lorawan.ModulationFSK:
			md.Modulation = route.ModulationFSK
		}
	}
	md.Gateways = make([]route.Gateway, len(rxs))
	for i, r := range rxs {
		md.Gateways[i] = route.Gateway{GatewayEui: r.Gateway, Rssi: r.RSSI, Snr: r.SNR}
	}
	return &route.Uplink{
		WirelessDeviceId: m.wid,
		PayloadData:      route.Payload(fr.FRMPayload),
		WirelessMetadata: route.WirelessMetadata{LoRaWAN: md},
	}
}
