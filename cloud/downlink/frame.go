package downlink

import (
	"context"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// maxFOpts is the most FOpts bytes a frame carries.
const maxFOpts = 15

// fhdrLen is the length of an FHDR without FOpts: DevAddr, FCtrl, FCnt.
const fhdrLen = 7

// plan is what one data downlink carries, in clear.
type plan struct {
	ack, adr, fpending bool
	reply              bool            // send the frame even if it says nothing
	fopts              []byte          // MAC commands in FOpts
	port0              []byte          // MAC commands as the FPort 0 payload
	app                *store.Downlink // queued application downlink sent
	cut                int             // MAC bytes left out for lack of room
}

// empty reports whether there is no frame to send: it would say nothing,
// and no reply was asked for.
func (p plan) empty() bool {
	return !p.reply && !p.ack && len(p.fopts) == 0 && len(p.port0) == 0 && p.app == nil
}

// itemID is the queue id of the application downlink carried, or 0.
func (p plan) itemID() uint64 {
	if p.app == nil {
		return 0
	}
	return p.app.ID
}

// makePlan decides what a data downlink carries. mac are the MAC commands
// to send; head the first queued application downlink offered (nil when
// none may go now), queued the queue's length and headQueued whether it has
// a head at all; maxM the largest MACPayload of the data rate.
//
// MAC commands come first: in FOpts when they fit in 15 bytes, otherwise
// alone on FPort 0 (cut at a command boundary to fit maxM), leaving the
// application data queued. The application downlink goes when it fits with
// the FOpts in maxM. FPending is set while other downlinks wait.
func makePlan(ack, adr bool, mac []byte, head *store.Downlink, headQueued bool, queued, maxM int) plan {
	p := plan{ack: ack, adr: adr}
	if len(mac) <= maxFOpts {
		p.fopts = mac
	} else {
		p.port0 = fitMAC(mac, maxM-fhdrLen-1)
		p.cut = len(mac) - len(p.port0)
		if len(p.port0) == 0 {
			p.port0 = nil
		}
	}
	if head != nil && p.port0 == nil && fhdrLen+len(p.fopts)+1+len(head.Payload) <= maxM {
		p.app = head
	}
	waiting := queued
	if headQueued && (p.app != nil || head == nil) {
		// The head is either in this frame or already on its way.
		waiting--
	}
	p.fpending = waiting > 0
	return p
}

// fitMAC returns the longest prefix of mac (downlink MAC commands) made of
// whole commands and at most limit bytes long. It stops at a command it
// cannot read.
func fitMAC(mac []byte, limit int) []byte {
	n := 0
	for rest := mac; len(rest) > 0; {
		_, _, next, err := lorawan.NextMACCommand(rest, false)
		if err != nil {
			break
		}
		l := len(mac) - len(next)
		if l > limit {
			break
		}
		n, rest = l, next
	}
	return mac[:n]
}

// sessionCrypto builds the frame security of a stored session.
func sessionCrypto(sess *store.Session) (*lorawan.Session, error) {
	k := sess.Keys
	switch sess.MACVersion {
	case lorawan.MACVersion1_0:
		return lorawan.NewSession10(k.NwkSKey(), k.AppSKey), nil
	case lorawan.MACVersion1_1:
		return lorawan.NewSession11(k.FNwkSIntKey, k.SNwkSIntKey, k.NwkSEncKey, k.AppSKey), nil
	}
	return nil, fmt.Errorf("session of unknown mac version %d", sess.MACVersion)
}

// buildData takes the next downlink counter for p and returns the frame,
// encrypted and signed, and the counter.
func (s *Scheduler) buildData(ctx context.Context, dev lorawan.EUI64, sess *store.Session, crypto *lorawan.Session, p plan, confFCnt uint32) ([]byte, uint32, error) {
	which := store.NFCntDown
	switch {
	case p.app != nil && p.app.Confirmed:
		// Recorded in the session: a LoRaWAN 1.1 uplink acknowledging
		// it signs this counter.
		which = store.AFCntDownConfirmed
	case p.app != nil:
		which = store.AFCntDown
	}
	fcnt, err := s.db.NextFCntDown(ctx, dev, which)
	if err != nil {
		return nil, 0, err
	}
	b, err := encodeData(crypto, sess.DevAddr, fcnt, confFCnt, p)
	return b, fcnt, err
}

// encodeData writes the frame of p with downlink counter fcnt.
func encodeData(crypto *lorawan.Session, addr lorawan.DevAddr, fcnt, confFCnt uint32, p plan) ([]byte, error) {
	phy := lorawan.PHYPayload{
		MHDR: lorawan.MHDR{MType: lorawan.UnconfirmedDataDown, Major: lorawan.LoRaWANR1},
		FHDR: lorawan.FHDR{
			DevAddr: addr,
			FCtrl:   lorawan.FCtrl{ADR: p.adr, ACK: p.ack, FPending: p.fpending},
			FCnt:    uint16(fcnt),
		},
	}
	if len(p.fopts) > 0 {
		fopts := append([]byte(nil), p.fopts...)
		if crypto.MACVersion() == lorawan.MACVersion1_1 {
			if err := crypto.XORFOpts(fopts, fopts, false, addr, fcnt, p.app != nil); err != nil {
				return nil, err
			}
		}
		phy.FHDR.FOpts = fopts
	}
	var clear []byte
	switch {
	case p.app != nil:
		if p.app.Confirmed {
			phy.MHDR.MType = lorawan.ConfirmedDataDown
		}
		phy.FPort, phy.FPortPresent = p.app.FPort, true
		clear = p.app.Payload
	case p.port0 != nil:
		phy.FPort, phy.FPortPresent = 0, true
		clear = p.port0
	}
	if len(clear) > 0 {
		enc := make([]byte, len(clear))
		if err := crypto.XORFRMPayload(enc, clear, false, addr, fcnt, phy.FPort); err != nil {
			return nil, err
		}
		phy.FRMPayload = enc
	}
	b, err := phy.MarshalBinary()
	if err != nil {
		return nil, err
	}
	var conf uint16
	if p.ack {
		conf = uint16(confFCnt)
	}
	mic, err := crypto.DownlinkMIC(b[:len(b)-4], addr, fcnt, conf)
	if err != nil {
		return nil, err
	}
	copy(b[len(b)-4:], mic[:])
	return b, nil
}
