package downlink

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// take removes and returns the pending downlink diid, or nil.
func (s *Scheduler) take(diid int64) *pending {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending[diid]
	if p == nil {
		return nil
	}
	p.timer.Stop()
	delete(s.pending, diid)
	return p
}

// HandleDntxed takes a gateway's report that a downlink went on air: an
// unconfirmed application downlink leaves the queue, a confirmed one has
// its transmission counted and waits for the device's ACK; a
// downlink_sent event reports either. For a Class C device the next
// queued downlink is sent. A dntxed that matches no pending downlink (late,
// from another process, or for another device or gateway) is counted and
// ignored.
func (s *Scheduler) HandleDntxed(ctx context.Context, gw lorawan.EUI64, m *station.Dntxed) {
	if m == nil {
		return
	}
	s.mu.Lock()
	p := s.pending[m.Diid]
	match := p != nil && p.gw == gw && p.dev == m.DevEUI
	s.mu.Unlock()
	if !match {
		s.m.unknown.Add(1)
		s.log.Debug("dntxed for no pending downlink", "gateway", gw, "diid", m.Diid, "dev_eui", m.DevEUI)
		return
	}
	if p = s.take(m.Diid); p == nil {
		s.m.unknown.Add(1) // timed out meanwhile
		return
	}
	s.m.confirmed.Add(1)
	s.log.Debug("downlink on air", "dev_eui", p.dev, "gateway", gw, "diid", m.Diid, "fcnt", p.fcnt,
		"dr", m.DR, "freq", m.Freq)
	if p.item != 0 {
		attempts, err := s.markSent(ctx, p)
		if err != nil {
			s.log.Error("downlink queue not updated after dntxed", "dev_eui", p.dev, "id", p.item, "err", err)
		}
		s.publish(&route.DownlinkEvent{
			Event:            route.EventDownlinkSent,
			WirelessDeviceId: p.devName,
			DevEui:           p.dev,
			MessageId:        strconv.FormatUint(p.item, 10),
			FPort:            int(p.fport),
			Confirmed:        p.confirmed,
			FCnt:             p.fcnt,
			Attempts:         attempts,
		})
	}
	s.release(p.dev, p.item)
	if p.classC {
		if err := s.sendClassC(ctx, p.dev); err != nil {
			s.log.Warn("class c downlink not sent", "dev_eui", p.dev, "err", err)
		}
	}
}

// markSent updates the queue item of p after its transmission and returns
// the attempts counted (0 for an unconfirmed downlink).
func (s *Scheduler) markSent(ctx context.Context, p *pending) (int, error) {
	if !p.confirmed {
		err := s.db.DeleteDownlink(ctx, p.dev, p.item)
		if errors.Is(err, store.ErrNotFound) {
			err = nil // deleted through the API meanwhile
		}
		return 0, err
	}
	d, err := s.findItem(ctx, p.dev, p.item)
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil // acknowledged or deleted through the API meanwhile
	}
	if err != nil {
		return 0, err
	}
	d.Attempts++
	d.FCnt = p.fcnt
	d.LastAttempt = s.opts.Now()
	if err := s.db.UpdateDownlink(ctx, p.dev, d); err != nil && !errors.Is(err, store.ErrNotFound) {
		return d.Attempts, err
	}
	return d.Attempts, nil
}

// findItem returns queue item id of dev (normally the head).
func (s *Scheduler) findItem(ctx context.Context, dev lorawan.EUI64, id uint64) (store.Downlink, error) {
	d, _, err := s.db.PeekDownlink(ctx, dev)
	if err == nil && d.ID == id {
		return d, nil
	}
	l, err := s.db.ListDownlinks(ctx, dev)
	if err != nil {
		return store.Downlink{}, err
	}
	for _, d := range l {
		if d.ID == id {
			return d, nil
		}
	}
	return store.Downlink{}, fmt.Errorf("downlink: item %d of %s: %w", id, dev, store.ErrNotFound)
}

// txTimeout reports pending downlink diid, for which no dntxed came in
// time; its queue item stays for the next window.
func (s *Scheduler) txTimeout(diid int64) {
	s.mu.Lock()
	p := s.pending[diid]
	if p == nil || s.closed {
		s.mu.Unlock()
		return
	}
	delete(s.pending, diid)
	s.mu.Unlock()
	s.release(p.dev, p.item)
	s.m.txTimeouts.Add(1)
	s.log.Warn("downlink not confirmed by the gateway in time", "dev_eui", p.dev, "gateway", p.gw,
		"diid", diid, "id", p.item, "fcnt", p.fcnt)
	if p.item == 0 {
		return
	}
	s.publish(&route.DownlinkEvent{
		Event:            EventDownlinkTxTimeout,
		WirelessDeviceId: p.devName,
		DevEui:           p.dev,
		MessageId:        strconv.FormatUint(p.item, 10),
		FPort:            int(p.fport),
		Confirmed:        p.confirmed,
		FCnt:             p.fcnt,
		Reason:           fmt.Sprintf("gateway %s did not report the transmission; kept queued", p.gw),
	})
}

// AckReceived tells the scheduler that an uplink of the device carried
// FCtrl.ACK: the confirmed downlink it last transmitted (the head of its
// queue) is acknowledged, leaves the queue and is reported as downlink_ack.
// The uplink pipeline must call it before ScheduleClassA for the same
// uplink, which would otherwise count the downlink as missed. An ACK with
// no confirmed downlink transmitted is ignored.
func (s *Scheduler) AckReceived(ctx context.Context, devEUI lorawan.EUI64) error {
	d, _, err := s.db.PeekDownlink(ctx, devEUI)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("downlink: ack of %s: %w", devEUI, err)
	}
	if !d.Confirmed || d.Attempts == 0 {
		s.log.Debug("ack with no confirmed downlink sent", "dev_eui", devEUI)
		return nil
	}
	if err := s.db.DeleteDownlink(ctx, devEUI, d.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("downlink: ack of %s: %w", devEUI, err)
	}
	s.m.acked.Add(1)
	name := devEUI.String()
	if dev, err := s.db.GetDevice(ctx, devEUI); err == nil {
		name = wirelessID(dev)
	}
	s.publish(&route.DownlinkEvent{
		Event:            route.EventDownlinkAck,
		WirelessDeviceId: name,
		DevEui:           devEUI,
		MessageId:        strconv.FormatUint(d.ID, 10),
		FPort:            int(d.FPort),
		Confirmed:        true,
		FCnt:             d.FCnt,
		Attempts:         d.Attempts,
	})
	return nil
}
