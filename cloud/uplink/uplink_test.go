package uplink_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/mac"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

func u32(v uint32) *uint32 { return &v }

func TestDataUplinkTwoGateways(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(1, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 1})
	phy := d.uplink(frame{fport: 2, payload: []byte("hello"), dr: 5, freq: 868300000})
	h.send(gwB, phy, 5, 868300000, -2)
	h.send(gwA, phy, 5, 868300000, 7.5)
	h.send(gwB, phy, 5, 868300000, -2) // the same gateway again
	o := h.flush()
	if o.Refused || !o.Routed || o.Gateways != 2 || o.DevEUI != d.d.DevEUI || o.FCnt != 0 {
		t.Fatalf("outcome %+v, want routed from 2 gateways", o)
	}
	ups := h.pub.uplinks()
	if len(ups) != 1 {
		t.Fatalf("%d uplinks published, want 1", len(ups))
	}
	u := ups[0]
	if string(u.PayloadData) != "hello" {
		t.Errorf("payload %q, want hello", u.PayloadData)
	}
	md := u.WirelessMetadata.LoRaWAN
	if len(md.Gateways) != 2 || md.Gateways[0].GatewayEui != gwA || md.Gateways[0].Snr != 7.5 || md.Gateways[1].GatewayEui != gwB {
		t.Errorf("gateways %+v, want gwA (best SNR) then gwB", md.Gateways)
	}
	if md.DevEui != d.d.DevEUI || md.DevAddr != d.addr || md.FPort != 2 || md.FCnt != 0 || md.DataRate != 5 ||
		md.Frequency != 868300000 || md.SpreadingFactor != 7 || md.Bandwidth != 125 || md.Modulation != "LORA" ||
		md.CodeRate != "4/5" || md.MType != "UnconfirmedDataUp" || md.Major != "LoRaWANR1" || md.FOptLen != 0 {
		t.Errorf("metadata %+v", md)
	}
	if want := [4]byte(phy[len(phy)-4:]); md.MIC != want {
		t.Errorf("MIC %x, want %x", md.MIC, want)
	}
	if u.WirelessDeviceId != d.d.DevEUI.String() {
		t.Errorf("WirelessDeviceId %q, want the DevEUI", u.WirelessDeviceId)
	}
	// The AWS shape on the wire.
	b, err := json.Marshal(u)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"PayloadData":"aGVsbG8="`, `"DataRate":"5"`, `"Frequency":"868300000"`, `"GatewayEui":"b827ebfffe000001"`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("JSON %s lacks %s", b, want)
		}
	}
	reqs := h.sched.requests()
	if len(reqs) != 1 || reqs[0].ACK || len(reqs[0].Receptions) != 2 || reqs[0].Session == nil || reqs[0].Crypto == nil {
		t.Fatalf("scheduled %+v, want one answer without ACK over 2 receptions", reqs)
	}
	if reqs[0].Receptions[0].Gateway != gwA || !station.XTime(reqs[0].Receptions[0].XTime).Valid() {
		t.Errorf("receptions %+v, want gwA first with its xtime", reqs[0].Receptions)
	}
	st := h.p.Stats()
	if st.Dedup.Repeats != 1 || st.Dedup.Merged != 1 || st.Uplinks != 1 || st.Routed != 1 || st.Messages["updf"] != 3 {
		t.Errorf("stats %+v", st)
	}
}

func TestRefusals(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(2, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 2})
	up := func(f frame) []byte {
		f.fport, f.payload, f.dr, f.freq = 1, []byte{1, 2, 3}, 5, 868100000
		return d.uplink(f)
	}
	// Accept counters 0..9 and 100.
	for range 10 {
		h.send(gwA, up(frame{}), 5, 868100000, 5)
		if o := h.flush(); !o.Routed {
			t.Fatalf("setup uplink: %+v", o)
		}
	}
	last := up(frame{fcnt: u32(100)})
	h.send(gwA, last, 5, 868100000, 5)
	if o := h.flush(); !o.Routed {
		t.Fatalf("setup uplink: %+v", o)
	}
	routed := len(h.pub.uplinks())
	wrongMIC := up(frame{fcnt: u32(101)})
	wrongMIC[len(wrongMIC)-1] ^= 0x80
	otherKey := *d
	otherKey.sess = lorawan.NewSession10(key(9), key(4))
	forged := otherKey.uplink(frame{fport: 1, payload: []byte{1}, dr: 5, freq: 868100000, fcnt: u32(102)})
	stranger := *d
	stranger.addr = lorawan.DevAddr{0x26, 0x99, 0x99, 0x99}

	tests := []struct {
		name string
		phy  []byte
		want uplink.Reason
	}{
		{"replayed uplink", last, uplink.ReasonReplay},
		{"old FCnt", up(frame{fcnt: u32(50)}), uplink.ReasonOldFCnt},
		{"old FCnt, earlier one", up(frame{fcnt: u32(3)}), uplink.ReasonOldFCnt},
		{"wrong MIC", wrongMIC, uplink.ReasonWrongMIC},
		{"other key", forged, uplink.ReasonWrongMIC},
		{"unknown DevAddr", stranger.uplink(frame{fport: 1, payload: []byte{1}, dr: 5, freq: 868100000, fcnt: u32(1)}), uplink.ReasonUnknownDevAddr},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := h.p.Stats().Refused[tc.want.String()]
			h.later()
			h.send(gwA, tc.phy, 5, 868100000, 5)
			h.send(gwB, tc.phy, 5, 868100000, 1)
			o := h.flush()
			if !o.Refused || o.Reason != tc.want || o.Routed {
				t.Fatalf("outcome %+v, want refused for %s", o, tc.want)
			}
			if got := h.p.Stats().Refused[tc.want.String()]; got != before+1 {
				t.Errorf("refused[%s] = %d, want %d", tc.want, got, before+1)
			}
			if n := len(h.pub.uplinks()); n != routed {
				t.Errorf("%d uplinks routed, want still %d", n, routed)
			}
		})
	}
	// The counter did not move: 101 is still accepted.
	h.send(gwA, up(frame{fcnt: u32(101)}), 5, 868100000, 5)
	if o := h.flush(); !o.Routed || o.FCnt != 101 {
		t.Errorf("uplink 101 after the refusals: %+v", o)
	}
	sess, err := h.db.GetSession(context.Background(), d.d.DevEUI)
	if err != nil || sess.FCntUp != 101 {
		t.Errorf("stored FCntUp %d (%v), want 101", sess.FCntUp, err)
	}
}

func TestConfirmedRetransmission(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(3, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 3})
	phy := d.uplink(frame{fport: 3, payload: []byte("conf"), confirmed: true, dr: 3, freq: 868500000})
	h.send(gwA, phy, 3, 868500000, 2)
	if o := h.flush(); !o.Routed {
		t.Fatalf("first transmission: %+v", o)
	}
	h.later()
	h.send(gwB, phy, 3, 868500000, 2)
	o := h.flush()
	if !o.Retransmission || o.Routed || o.Refused {
		t.Fatalf("retransmission outcome %+v, want ACKed again, not routed", o)
	}
	reqs := h.sched.requests()
	if len(reqs) != 2 || !reqs[0].ACK || !reqs[1].ACK || reqs[1].ConfFCnt != 0 || reqs[1].Receptions[0].Gateway != gwB {
		t.Fatalf("scheduled %+v, want two ACKs, the second through gwB", reqs)
	}
	if n := len(h.pub.uplinks()); n != 1 {
		t.Errorf("%d uplinks routed, want 1", n)
	}
	// An unconfirmed repeat of a counter is a replay.
	h.later()
	un := d.uplink(frame{fport: 3, payload: []byte("x"), dr: 3, freq: 868500000})
	h.send(gwA, un, 3, 868500000, 2)
	h.flush()
	h.later()
	h.send(gwA, un, 3, 868500000, 2)
	if o := h.flush(); o.Reason != uplink.ReasonReplay {
		t.Errorf("unconfirmed repeat: %+v, want a replay", o)
	}
	if st := h.p.Stats(); st.Retransmissions != 1 {
		t.Errorf("retransmissions %d, want 1", st.Retransmissions)
	}
}

func TestFCntRollover(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(4, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 4})
	for _, fc := range []uint32{0xfffe, 0xffff, 0x10000, 0x10005} {
		h.send(gwA, d.uplink(frame{fport: 1, payload: []byte{9}, dr: 5, freq: 868100000, fcnt: u32(fc)}), 5, 868100000, 3)
		if o := h.flush(); !o.Routed || o.FCnt != fc {
			t.Fatalf("FCnt %#x: outcome %+v", fc, o)
		}
	}
	if u := h.pub.uplinks(); u[len(u)-1].WirelessMetadata.LoRaWAN.FCnt != 0x10005 {
		t.Errorf("routed FCnt %#x, want 0x10005", u[len(u)-1].WirelessMetadata.LoRaWAN.FCnt)
	}
}

func TestLoRaWAN11MAC(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(5, "1.1", "EU868", lorawan.DevAddr{0x26, 0, 0, 5})
	ctx := context.Background()
	// A confirmed downlink was sent with AFCntDown 7 (the scheduler takes
	// its counter so): the device's ACK signs it into B1.
	for i := range 8 {
		which := store.AFCntDown
		if i == 7 {
			which = store.AFCntDownConfirmed
		}
		if _, err := h.db.NextFCntDown(ctx, d.d.DevEUI, which); err != nil {
			t.Fatal(err)
		}
	}
	cmds, err := lorawan.AppendMACCommands(nil,
		lorawan.MACCommand{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckReq{}},
		lorawan.MACCommand{CID: lorawan.CIDDeviceTime, Payload: &lorawan.DeviceTimeReq{}})
	if err != nil {
		t.Fatal(err)
	}
	phy := d.uplink(frame{fport: 4, payload: []byte("v11"), fopts: cmds, ack: true, confFCnt: 7, dr: 5, freq: 867500000})
	h.send(gwA, phy, 5, 867500000, 4)
	h.send(gwB, phy, 5, 867500000, -6)
	o := h.flush()
	if !o.Routed {
		t.Fatalf("outcome %+v", o)
	}
	if u := h.pub.uplinks(); string(u[0].PayloadData) != "v11" || u[0].WirelessMetadata.LoRaWAN.FOptLen != len(cmds) {
		t.Errorf("routed %+v", u[0])
	}
	if len(h.sched.acks) != 1 || h.sched.acks[0] != d.d.DevEUI {
		t.Errorf("AckReceived calls %v, want one for the device", h.sched.acks)
	}
	reqs := h.sched.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d scheduled, want 1", len(reqs))
	}
	ans, err := lorawan.ParseMACCommands(reqs[0].MAC, false)
	if err != nil || len(ans) != 2 {
		t.Fatalf("MAC answers %x (%v), want LinkCheckAns and DeviceTimeAns", reqs[0].MAC, err)
	}
	if lc := *ans[0].Payload.(*lorawan.LinkCheckAns); lc.GwCnt != 2 || lc.Margin != 11 { // 4 − (−7.5)
		t.Errorf("LinkCheckAns %+v, want margin 11, 2 gateways", lc)
	}
	dt := *ans[1].Payload.(*lorawan.DeviceTimeAns)
	want := station.GPSTimeOf(t0) // the gateways' rxtime
	if int64(dt.Seconds) != int64(want)/1e6 {
		t.Errorf("DeviceTimeAns %+v, want %d s", dt, int64(want)/1e6)
	}
}

func TestMACOnPort0AndADR(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(6, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 6})
	cmds, _ := lorawan.AppendMACCommands(nil, lorawan.MACCommand{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckReq{}})
	h.send(gwA, d.uplink(frame{fport: 0, payload: cmds, dr: 0, freq: 868100000}), 0, 868100000, -10)
	if o := h.flush(); o.Refused || o.Routed {
		t.Fatalf("MAC-only uplink: %+v, want accepted and not routed", o)
	}
	reqs := h.sched.requests()
	ans, err := lorawan.ParseMACCommands(reqs[0].MAC, false)
	if err != nil || len(ans) != 1 || ans[0].Payload.(*lorawan.LinkCheckAns).Margin != 10 {
		t.Fatalf("answers %v (%v), want LinkCheckAns margin 10", ans, err)
	}
	// 20 ADR uplinks at SF12 with a strong signal: a LinkADRReq.
	for i := range mac.DefaultADRHistory {
		h.send(gwA, d.uplink(frame{fport: 1, payload: []byte{byte(i)}, adr: true, dr: 0, freq: 868100000}), 0, 868100000, 10)
		h.flush()
	}
	reqs = h.sched.requests()
	lastReq := reqs[len(reqs)-1]
	ans, err = lorawan.ParseMACCommands(lastReq.MAC, false)
	if err != nil || len(ans) != 1 || ans[0].CID != lorawan.CIDLinkADR || !lastReq.ADR {
		t.Fatalf("answer %v (%v) ADR %v, want a LinkADRReq with FCtrl.ADR", ans, err, lastReq.ADR)
	}
	if r := *ans[0].Payload.(*lorawan.LinkADRReq); r.DataRate != 5 {
		t.Errorf("LinkADRReq %+v, want DR5", r)
	}
	sess, err := h.db.GetSession(context.Background(), d.d.DevEUI)
	if err != nil {
		t.Fatal(err)
	}
	var st mac.State
	if err := st.UnmarshalBinary(sess.MACState); err != nil || st.ADR == nil || st.ADR.DR != 5 {
		t.Errorf("stored MAC state %+v (%v), want the pending LinkADRReq", st, err)
	}
	if sess.FCntUp != 20 {
		t.Errorf("FCntUp %d, want 20 (the MAC update kept the counter)", sess.FCntUp)
	}
}

func TestJoinThroughPipeline(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	for _, tc := range []struct {
		name, version string
		eui           byte
		refusal       uplink.Reason
	}{
		{"1.0", "1.0.3", 1, uplink.ReasonDevNonceReused},
		{"1.1", "1.1", 2, uplink.ReasonDevNonceNotIncreasing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := h.otaaDevice(tc.eui, tc.version, "EU868")
			jr := d.joinRequest()
			h.send(gwA, jr, 0, 868100000, 3)
			h.send(gwB, jr, 0, 868100000, 8)
			o := h.flush()
			if o.Refused || o.DevEUI != d.d.DevEUI || o.MType != lorawan.JoinRequest {
				t.Fatalf("join outcome %+v", o)
			}
			reqs := h.sched.requests()
			ja := reqs[len(reqs)-1]
			if ja.JoinAccept == nil || len(ja.Receptions) != 2 || ja.Receptions[0].Gateway != gwB {
				t.Fatalf("scheduled %+v, want a join-accept over gwB then gwA", ja)
			}
			acc := d.acceptJoin(ja.JoinAccept)
			// The same DevNonce again is refused.
			h.later()
			h.send(gwA, jr, 0, 868100000, 3)
			if o := h.flush(); o.Reason != tc.refusal {
				t.Errorf("repeated join-request: %+v, want %s", o, tc.refusal)
			}
			// The first uplink under the new keys activates the session.
			var fopts []byte
			if tc.version == "1.1" {
				fopts, _ = lorawan.AppendMACCommands(nil, lorawan.MACCommand{CID: lorawan.CIDRekey, Payload: &lorawan.RekeyInd{Minor: 1}})
			}
			h.send(gwA, d.uplink(frame{fport: 10, payload: []byte("first"), fopts: fopts, dr: 5, freq: 868100000}), 5, 868100000, 3)
			if o := h.flush(); !o.Routed || o.FCnt != 0 {
				t.Fatalf("first uplink: %+v", o)
			}
			sess, err := h.db.GetSession(ctx, d.d.DevEUI)
			if err != nil || sess.DevAddr != acc.DevAddr || !sess.UplinkSeen {
				t.Fatalf("active session %+v (%v), want the joined one", sess, err)
			}
			if _, err := h.db.GetPendingSession(ctx, d.d.DevEUI); err == nil {
				t.Error("pending session still there after the first uplink")
			}
			if tc.version == "1.1" {
				reqs := h.sched.requests()
				ans, _ := lorawan.ParseMACCommands(reqs[len(reqs)-1].MAC, false)
				if len(ans) != 1 || ans[0].CID != lorawan.CIDRekey {
					t.Errorf("answer %v, want RekeyConf", ans)
				}
			}
		})
	}
	st := h.p.Stats()
	if st.Joins != 2 || st.Refused["devnonce_reused"] != 1 || st.Refused["devnonce_not_increasing"] != 1 {
		t.Errorf("stats joins %d refused %v", st.Joins, st.Refused)
	}
}

func TestOtherMessages(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	tx := &station.Dntxed{Diid: 42, DevEUI: lorawan.EUI64{1}}
	h.p.HandleUplink(ctx, gateway.Uplink{Gateway: gwA, Message: tx})
	if len(h.sched.dntxed) != 1 || h.sched.dntxed[0].Diid != 42 {
		t.Errorf("dntxed %v, want forwarded", h.sched.dntxed)
	}
	h.p.HandleUplink(ctx, gateway.Uplink{Gateway: gwA, Message: &station.Propdf{FRMPayload: []byte{0xe0, 1, 2, 3, 4}}})
	// Station passes 23-byte MType 6 frames as rejoin; no LoRaWAN 1.1
	// rejoin-request has that length.
	h.p.HandleUplink(ctx, gateway.Uplink{Gateway: gwA, ReceivedAt: t0, Message: &station.Rejoin{MHdr: 0xc0, DevEUI: lorawan.EUI64{1}}})
	if o := h.flush(); o.Reason != uplink.ReasonMalformed || o.MType != lorawan.RejoinRequest {
		t.Errorf("23-byte rejoin: %+v, want malformed", o)
	}
	// A frame that does not rebuild never reaches the deduplicator.
	h.p.HandleUplink(ctx, gateway.Uplink{Gateway: gwA, Message: &station.Updf{MHdr: 0x40, FCtrl: 0x01, FPort: -1}})
	st := h.p.Stats()
	if st.Messages["dntxed"] != 1 || st.Messages["propdf"] != 1 || st.Messages["rejoin"] != 1 || st.Refused["malformed"] != 2 {
		t.Errorf("stats %+v", st)
	}
}

func TestClose(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	d := h.abpDevice(7, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 7})
	h.send(gwA, d.uplink(frame{fport: 1, payload: []byte{1}, dr: 5, freq: 868100000}), 5, 868100000, 3)
	// Close processes the frame still in its window.
	if err := h.p.Close(); err != nil {
		t.Fatal(err)
	}
	if o := h.next(); !o.Routed {
		t.Errorf("frame pending at Close: %+v, want routed", o)
	}
	h.send(gwA, d.uplink(frame{fport: 1, payload: []byte{2}, dr: 5, freq: 868100000}), 5, 868100000, 3)
	if st := h.p.Stats(); st.Refused["overload"] != 1 {
		t.Errorf("after Close: refused %v, want one overload", st.Refused)
	}
}

// FuzzFrame feeds the pipeline whatever Station could forward: no input may
// crash it, each frame gets exactly one outcome, and nothing refused is
// routed.
func FuzzFrame(f *testing.F) {
	h := newHarness(f, func(o *uplink.Options) { o.Workers = 1 })
	d10 := h.abpDevice(0xf0, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0xf, 0, 1})
	d11 := h.abpDevice(0xf1, "1.1", "EU868", lorawan.DevAddr{0x26, 0xf, 0, 2})
	cmds, _ := lorawan.AppendMACCommands(nil,
		lorawan.MACCommand{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckReq{}},
		lorawan.MACCommand{CID: lorawan.CIDLinkADR, Payload: &lorawan.LinkADRAns{PowerACK: true}})
	f.Add(d10.uplink(frame{fport: 1, payload: []byte("seed"), dr: 5, freq: 868100000}), uint8(5), uint32(868100000))
	f.Add(d10.uplink(frame{fport: 0, payload: cmds, adr: true, dr: 0, freq: 868300000}), uint8(0), uint32(868300000))
	f.Add(d11.uplink(frame{fport: 9, payload: []byte{1}, fopts: cmds, confirmed: true, dr: 3, freq: 868500000}), uint8(3), uint32(868500000))
	f.Add(h.otaaDevice(0xf2, "1.1", "EU868").joinRequest(), uint8(5), uint32(868100000))
	f.Add([]byte{0x40, 1, 0, 0xf, 0x26, 0x80, 0, 0, 1, 2, 3, 4}, uint8(5), uint32(868100000))
	f.Fuzz(func(t *testing.T, phy []byte, dr uint8, freq uint32) {
		msg, err := station.SplitUplink(phy, station.UplinkMeta{DR: int(dr % 16), Freq: freq,
			UpInfo: station.UpInfo{XTime: station.NewXTime(0, 1, 5), SNR: 1}})
		if err != nil {
			return
		}
		if r, ok := msg.(interface{ PHYPayload() ([]byte, error) }); !ok {
			return
		} else if _, err := r.PHYPayload(); err != nil {
			return
		}
		switch msg.(type) {
		case *station.Updf, *station.Jreq, *station.Rejoin:
		default:
			return
		}
		h.t = t // the harness fails this input, not the whole target
		h.later()
		h.p.HandleUplink(context.Background(), gateway.Uplink{Gateway: gwA, ReceivedAt: h.now, Message: msg})
		o := h.flush()
		if o.Refused && o.Routed {
			t.Fatalf("outcome %+v: refused and routed", o)
		}
		if o.Routed && o.DevEUI != d10.d.DevEUI && o.DevEUI != d11.d.DevEUI {
			t.Fatalf("routed for device %s, which sent nothing", o.DevEUI)
		}
	})
}
