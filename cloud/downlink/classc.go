package downlink

import (
	"context"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// Enqueue stores an application downlink at the end of the device's
// persistent queue and returns its id. For a Class C device it then sends
// the head of the queue at once (see the package comment); a Class C send
// that fails is logged and the downlink waits for the next chance, so the
// error only reports a refusal of the queue: store.ErrNotFound for an
// unknown device, store.ErrQueueFull, store.ErrInvalid (all wrapped).
func (s *Scheduler) Enqueue(ctx context.Context, devEUI lorawan.EUI64, d route.Downlink) (uint64, error) {
	dev, err := s.db.GetDevice(ctx, devEUI)
	if err != nil {
		return 0, fmt.Errorf("downlink: enqueue: %w", err)
	}
	region, err := s.region(dev.Region)
	if err != nil {
		return 0, fmt.Errorf("downlink: enqueue: %w", err)
	}
	if limit := maxAppPayload(region); len(d.PayloadData) > limit {
		// It could never be sent, and it would hold up the queue behind it.
		return 0, fmt.Errorf("downlink: enqueue: %w: %d bytes of payload, and %s carries at most %d in one downlink (its fastest data rate)",
			store.ErrInvalid, len(d.PayloadData), region.Name(), limit)
	}
	id, err := s.db.Enqueue(ctx, devEUI, store.Downlink{
		FPort:     d.FPort,
		Payload:   append([]byte(nil), d.PayloadData...),
		Confirmed: d.Confirmed,
		CreatedAt: s.opts.Now(),
	})
	if err != nil {
		return 0, fmt.Errorf("downlink: enqueue: %w", err)
	}
	s.log.Info("downlink queued", "dev_eui", devEUI, "id", id, "fport", d.FPort, "bytes", len(d.PayloadData),
		"confirmed", d.Confirmed)
	if dev.Class == store.ClassC {
		if err := s.sendClassC(ctx, devEUI); err != nil {
			s.log.Warn("class c downlink not sent; kept queued", "dev_eui", devEUI, "err", err)
		}
	}
	return id, nil
}

// sendClassC sends the head of a Class C device's queue on its RX2
// parameters through the gateway that heard it last. It does nothing for
// another class, a device not heard since the start, without a session, with
// an empty queue, while a downlink of the device is on its way, or while a
// confirmed downlink waits for its ACK.
func (s *Scheduler) sendClassC(ctx context.Context, devEUI lorawan.EUI64) error {
	dev, err := s.db.GetDevice(ctx, devEUI)
	if err != nil {
		return err
	}
	if dev.Class != store.ClassC {
		return nil
	}
	last, ok := s.lastGateway(devEUI)
	if !ok {
		s.log.Debug("class c downlink waits: device not heard yet", "dev_eui", devEUI)
		return nil
	}
	sess, err := s.db.GetSession(ctx, devEUI)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	d, queued, err := s.db.PeekDownlink(ctx, devEUI)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if d.Confirmed && d.Attempts > 0 {
		return nil // its ACK, or the lack of one, comes with the next uplink
	}
	if !s.claim(devEUI, d.ID) {
		return nil
	}
	sent := false
	defer func() {
		if !sent {
			s.release(devEUI, d.ID)
		}
	}()
	region, err := s.region(dev.Region)
	if err != nil {
		return err
	}
	rx2DR, rx2Freq := rx2(region, &sess)
	mp, err := region.MaxPayloadSize(rx2DR, region.DownlinkDwellTime())
	if err != nil {
		return err
	}
	if fhdrLen+1+len(d.Payload) > mp.M {
		s.log.Warn("class c downlink does not fit the rx2 data rate; waits for a class a window",
			"dev_eui", devEUI, "id", d.ID, "bytes", len(d.Payload), "rx2_dr", rx2DR, "max_payload", mp.M)
		return nil
	}
	crypto, err := sessionCrypto(&sess)
	if err != nil {
		return err
	}
	s.mu.Lock()
	adr := s.state(devEUI).adr
	s.mu.Unlock()
	p := plan{adr: adr, app: &d, fpending: queued > 1}
	pdu, fcnt, err := s.buildData(ctx, devEUI, &sess, crypto, p, 0)
	if err != nil {
		return err
	}
	rctx := last.Rctx
	msg := &station.Dnmsg{
		DevEUI:   devEUI,
		DC:       station.ClassC,
		PDU:      pdu,
		RxDelay:  max(int(sess.RxDelay), 1),
		RX2DR:    &rx2DR,
		RX2Freq:  &rx2Freq,
		Priority: s.opts.Priority,
		Rctx:     &rctx,
	}
	pd := &pending{dev: devEUI, devName: wirelessID(dev), classC: true, item: d.ID, confirmed: d.Confirmed,
		fport: d.FPort, fcnt: fcnt}
	if err := s.sendOne(ctx, last.Gateway, msg, pd, s.opts.Now().Add(s.opts.TxTimeout)); err != nil {
		s.m.sendFailed.Add(1)
		return err
	}
	sent = true
	return nil
}

// maxAppPayload is the largest FRMPayload a downlink can carry in region at
// any of its downlink data rates (under its downlink dwell time), with
// empty FOpts: a larger one can never be sent.
func maxAppPayload(region *lorawan.Region) int {
	limit := 0
	drs := region.DataRates()
	for dr := range drs {
		if !drs[dr].Downlink {
			continue
		}
		if mp, err := region.MaxPayloadSize(dr, region.DownlinkDwellTime()); err == nil {
			limit = max(limit, mp.M-fhdrLen-1)
		}
	}
	return limit
}
