package uplink_test

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup/deduptest"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// dnSent is one dnmsg the scheduler handed a gateway.
type dnSent struct {
	gw  lorawan.EUI64
	msg *station.Dnmsg
}

// dnRec is a gateway endpoint that records every dnmsg.
type dnRec struct{ c chan dnSent }

func (r *dnRec) Send(_ context.Context, gw lorawan.EUI64, m station.Message) error {
	r.c <- dnSent{gw, m.(*station.Dnmsg)}
	return nil
}

// take returns the dnmsg sent, if any. The scheduler sends before the
// pipeline reports the frame's outcome, so nothing can still come.
func (r *dnRec) take() (dnSent, bool) {
	select {
	case s := <-r.c:
		return s, true
	default:
		return dnSent{}, false
	}
}

// schedHarness is the pipeline over a real store and the real downlink
// scheduler, whose dnmsgs are recorded.
type schedHarness struct {
	*harness
	sched *downlink.Scheduler
	dn    *dnRec
}

func newSchedHarness(t *testing.T) *schedHarness {
	t.Helper()
	quiet := slog.New(slog.DiscardHandler)
	// The scheduler times dntxed from the uplink's reception: the clocks
	// start now, not in the past.
	now := time.Now()
	h := &harness{t: t, db: storetest.Open(t), clk: deduptest.NewClock(now), out: make(chan uplink.Outcome, 256), now: now}
	ctx := context.Background()
	if err := h.db.PutDestination(ctx, store.Destination{Name: "app", Kind: store.KindMQTT, MQTTTopic: "lorawan/{{.DevEui}}/up"}); err != nil {
		t.Fatal(err)
	}
	sh := &schedHarness{harness: h, dn: &dnRec{c: make(chan dnSent, 64)}}
	var err error
	if sh.sched, err = downlink.New(h.db, sh.dn, downlink.Options{Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sh.sched.Close() })
	h.pub = &recPub{}
	if h.p, err = uplink.New(h.db, sh.sched, h.pub, uplink.Options{
		NetID: netID, Clock: h.clk, Workers: 2, Logger: quiet,
		Observe: func(o uplink.Outcome) { h.out <- o },
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.p.Close() })
	return sh
}

// downlink plays the device receiving a data downlink: it checks the MIC
// (confFCnt: the counter of its confirmed uplink, when ACK is set) and
// decrypts FOpts and FRMPayload.
func (d *dev) downlink(pdu []byte, lastFCnt uint32, confFCnt uint16) (p lorawan.PHYPayload, fcnt uint32, fopts, payload []byte) {
	d.t.Helper()
	frame := bytes.Clone(pdu)
	if err := p.UnmarshalBinary(frame); err != nil {
		d.t.Fatalf("device: parse %x: %v", pdu, err)
	}
	fcnt = lorawan.FullFCnt(lastFCnt, p.FHDR.FCnt)
	var conf uint16
	if p.FHDR.FCtrl.ACK {
		conf = confFCnt
	}
	mic, err := d.sess.DownlinkMIC(frame[:len(frame)-4], d.addr, fcnt, conf)
	if err != nil {
		d.t.Fatal(err)
	}
	if mic != p.MIC {
		d.t.Fatalf("device: downlink MIC %x, want %x", p.MIC, mic)
	}
	fopts = bytes.Clone(p.FHDR.FOpts)
	if len(fopts) > 0 && d.version == lorawan.MACVersion1_1 {
		if err := d.sess.XORFOpts(fopts, fopts, false, d.addr, fcnt, p.FPortPresent && p.FPort > 0); err != nil {
			d.t.Fatal(err)
		}
	}
	if len(p.FRMPayload) > 0 {
		payload = make([]byte, len(p.FRMPayload))
		if err := d.sess.XORFRMPayload(payload, p.FRMPayload, false, d.addr, fcnt, p.FPort); err != nil {
			d.t.Fatal(err)
		}
	}
	return p, fcnt, fopts, payload
}

// TestDownlinkWhenDeviceExpectsOne checks that an uplink asking for an
// answer gets one even when the network has nothing to say: ADRACKReq
// (LoRaWAN 1.0.4 §4.3.1.1: the network answers with any downlink, or the
// device lowers its data rate), and RXTimingSetupAns, which the device
// repeats in every uplink until it receives a Class A downlink.
func TestDownlinkWhenDeviceExpectsOne(t *testing.T) {
	t.Parallel()
	rxTimingAns, err := lorawan.AppendMACCommands(nil, lorawan.MACCommand{CID: lorawan.CIDRXTimingSetup, Payload: &lorawan.RXTimingSetupAns{}})
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		name string
		f    frame
	}{
		{"ADRACKReq", frame{fport: 1, payload: []byte{1}, adr: true, adrAckReq: true}},
		{"RXTimingSetupAns", frame{fport: -1, fopts: rxTimingAns}},
		{"nothing asked", frame{fport: 1, payload: []byte{1}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newSchedHarness(t)
			eui := byte(0x50 + i)
			d := h.abpDevice(eui, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, eui})
			tc.f.dr, tc.f.freq = 5, 868100000
			h.send(gwA, d.uplink(tc.f), 5, 868100000, 5)
			if o := h.flush(); o.Refused {
				t.Fatalf("outcome %+v", o)
			}
			s, sent := h.dn.take()
			if tc.name == "nothing asked" {
				if sent {
					t.Fatalf("dnmsg %+v sent for an uplink that asks for nothing", s.msg)
				}
				return
			}
			if !sent {
				t.Fatal("no downlink sent; the device expects one")
			}
			p, fcnt, fopts, payload := d.downlink(s.msg.PDU, 0, 0)
			if p.FPortPresent || len(fopts) != 0 || len(payload) != 0 || fcnt != 0 {
				t.Errorf("downlink %+v (fcnt %d), want an empty frame on NFCntDown 0", p, fcnt)
			}
			if p.FHDR.FCtrl.ADR != tc.f.adr {
				t.Errorf("downlink FCtrl.ADR %v, want %v (the uplink's, ADR on)", p.FHDR.FCtrl.ADR, tc.f.adr)
			}
		})
	}
}

// TestLoRaWAN11AckAfterQueueItemGone checks the uplink MIC of a LoRaWAN 1.1
// device acknowledging a confirmed downlink (ConfFCnt in B1) once the
// network no longer has the queue item: a retransmission of the confirmed
// uplink that carried the ACK (the device missed the network's ACK), and
// an ACK whose downlink's dntxed never came. Each must be accepted, not
// refused as a wrong MIC.
func TestLoRaWAN11AckAfterQueueItemGone(t *testing.T) {
	t.Parallel()
	const up = 868100000
	for i, dntxed := range []bool{true, false} {
		name := "retransmission"
		if !dntxed {
			name = "dntxed lost"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			h := newSchedHarness(t)
			eui := byte(0x60 + i)
			d := h.abpDevice(eui, "1.1", "EU868", lorawan.DevAddr{0x26, 0, 0, eui})
			for range 5 { // earlier application downlinks
				if _, err := h.db.NextFCntDown(ctx, d.d.DevEUI, store.AFCntDown); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := h.sched.Enqueue(ctx, d.d.DevEUI, route.Downlink{FPort: 2, PayloadData: []byte("cmd"), Confirmed: true}); err != nil {
				t.Fatal(err)
			}
			h.send(gwA, d.uplink(frame{fport: 1, payload: []byte("a"), dr: 5, freq: up}), 5, up, 5)
			if o := h.flush(); !o.Routed {
				t.Fatalf("first uplink: %+v", o)
			}
			s, ok := h.dn.take()
			if !ok {
				t.Fatal("confirmed downlink not sent")
			}
			p, aFCnt, _, payload := d.downlink(s.msg.PDU, 0, 0)
			if p.MHDR.MType != lorawan.ConfirmedDataDown || string(payload) != "cmd" || aFCnt != 5 {
				t.Fatalf("downlink %v %q AFCntDown %d, want the confirmed \"cmd\" on 5", p.MHDR.MType, payload, aFCnt)
			}
			if dntxed {
				h.sched.HandleDntxed(ctx, s.gw, &station.Dntxed{Diid: s.msg.Diid, DevEUI: s.msg.DevEUI, XTime: s.msg.XTime})
			}
			h.later()
			ack := d.uplink(frame{fport: 1, payload: []byte("b"), confirmed: true, ack: true, confFCnt: uint16(aFCnt), dr: 5, freq: up})
			h.send(gwA, ack, 5, up, 5)
			o := h.flush()
			if !o.Routed {
				t.Fatalf("uplink acknowledging the downlink: %+v, want routed", o)
			}
			if _, ok := h.dn.take(); !ok {
				t.Fatal("confirmed uplink not ACKed")
			}
			if !dntxed {
				return
			}
			if q, _ := h.db.ListDownlinks(ctx, d.d.DevEUI); len(q) != 0 {
				t.Fatalf("queue %+v after the ACK, want empty", q)
			}
			// The device missed the ACK and sends the frame again, on
			// another channel (1.1 signs the channel into B1).
			h.later()
			again := d.uplink(frame{fport: 1, payload: []byte("b"), confirmed: true, ack: true, confFCnt: uint16(aFCnt),
				dr: 5, freq: 868300000, fcnt: u32(o.FCnt)})
			h.send(gwB, again, 5, 868300000, 5)
			if o := h.flush(); !o.Retransmission || o.Refused {
				t.Fatalf("retransmission: %+v, want ACKed again", o)
			}
			s, ok = h.dn.take()
			if !ok {
				t.Fatal("retransmission not ACKed")
			}
			if p, _, _, _ := d.downlink(s.msg.PDU, 0, uint16(o.FCnt)); !p.FHDR.FCtrl.ACK {
				t.Errorf("answer to the retransmission without ACK")
			}
		})
	}
}

// TestRetransmissionKeepsADR checks that the ACK answering a retransmitted
// confirmed uplink keeps FCtrl.ADR set for a device running ADR: a
// downlink without it tells the device the network stopped managing its
// data rate.
func TestRetransmissionKeepsADR(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(0x70, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 0x70})
	phy := d.uplink(frame{fport: 3, payload: []byte("c"), confirmed: true, adr: true, dr: 5, freq: 868100000})
	h.send(gwA, phy, 5, 868100000, 2)
	if o := h.flush(); !o.Routed {
		t.Fatalf("first transmission: %+v", o)
	}
	h.later()
	h.send(gwA, phy, 5, 868100000, 2)
	if o := h.flush(); !o.Retransmission {
		t.Fatalf("retransmission outcome %+v", o)
	}
	reqs := h.sched.requests()
	if len(reqs) != 2 {
		t.Fatalf("%d answers scheduled, want 2", len(reqs))
	}
	for i, r := range reqs {
		if !r.ACK || !r.ADR {
			t.Errorf("answer %d: ACK %v ADR %v, want both", i, r.ACK, r.ADR)
		}
	}
}
