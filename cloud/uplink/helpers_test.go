package uplink_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/dedup/deduptest"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

var (
	netID   = lorawan.NetID{0, 0, 0x13}
	joinEUI = lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0, 0, 1}
	gwA     = lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0, 0, 1}
	gwB     = lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0, 0, 2}
	t0      = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
)

func key(b byte) lorawan.AES128Key {
	var k lorawan.AES128Key
	for i := range k {
		k[i] = b + byte(i)
	}
	return k
}

// recSched records what the pipeline asks of the scheduler.
type recSched struct {
	mu     sync.Mutex
	reqs   []downlink.ClassA
	acks   []lorawan.EUI64
	dntxed []*station.Dntxed
}

func (s *recSched) ScheduleClassA(_ context.Context, req downlink.ClassA) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	req.Receptions = append([]downlink.Reception(nil), req.Receptions...)
	req.MAC = append([]byte(nil), req.MAC...)
	s.reqs = append(s.reqs, req)
	return nil
}

func (s *recSched) AckReceived(_ context.Context, dev lorawan.EUI64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.acks = append(s.acks, dev)
	return nil
}

func (s *recSched) HandleDntxed(_ context.Context, _ lorawan.EUI64, m *station.Dntxed) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dntxed = append(s.dntxed, m)
}

func (s *recSched) requests() []downlink.ClassA {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]downlink.ClassA(nil), s.reqs...)
}

// recPub records what the pipeline publishes.
type recPub struct {
	mu   sync.Mutex
	msgs []published
}

type published struct {
	dest string
	msg  route.Message
}

func (p *recPub) Publish(_ context.Context, dest string, msg route.Message) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.msgs = append(p.msgs, published{dest, msg})
	return nil
}

// uplinks returns the published data uplinks.
func (p *recPub) uplinks() []*route.Uplink {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []*route.Uplink
	for _, m := range p.msgs {
		if u, ok := m.msg.(*route.Uplink); ok {
			out = append(out, u)
		}
	}
	return out
}

// harness is a pipeline over a real store, with a manual dedup clock.
type harness struct {
	t     testing.TB
	db    *store.DB
	clk   *deduptest.Clock
	sched *recSched
	pub   *recPub
	p     *uplink.Pipeline
	out   chan uplink.Outcome
	now   time.Time
}

func newHarness(t testing.TB, edit func(*uplink.Options)) *harness {
	t.Helper()
	return newHarnessStore(t, nil, edit)
}

// newHarnessStore is newHarness with the pipeline over wrap(db) (db
// itself when wrap is nil), for tests that watch or interleave with the
// pipeline's store calls.
func newHarnessStore(t testing.TB, wrap func(*store.DB) uplink.Store, edit func(*uplink.Options)) *harness {
	t.Helper()
	h := &harness{
		t: t, db: storetest.Open(t), clk: deduptest.NewClock(t0),
		sched: &recSched{}, pub: &recPub{}, out: make(chan uplink.Outcome, 256), now: t0,
	}
	ctx := context.Background()
	if err := h.db.PutDestination(ctx, store.Destination{Name: "app", Kind: store.KindMQTT, MQTTTopic: "lorawan/{{.DevEui}}/up"}); err != nil {
		t.Fatal(err)
	}
	opts := uplink.Options{
		NetID:   netID,
		Clock:   h.clk,
		Workers: 4,
		Logger:  slog.New(slog.DiscardHandler),
		Observe: func(o uplink.Outcome) { h.out <- o },
	}
	if edit != nil {
		edit(&opts)
	}
	var db uplink.Store = h.db
	if wrap != nil {
		db = wrap(h.db)
	}
	p, err := uplink.New(db, h.sched, h.pub, opts)
	if err != nil {
		t.Fatal(err)
	}
	h.p = p
	t.Cleanup(func() { p.Close() })
	return h
}

// send hands the pipeline a frame as gateway gw's Station forwards it.
func (h *harness) send(gw lorawan.EUI64, phy []byte, dr int, freq uint32, snr float64) {
	h.t.Helper()
	meta := station.UplinkMeta{DR: dr, Freq: freq, UpInfo: station.UpInfo{
		Rctx: 0, XTime: station.NewXTime(0, 7, h.now.UnixMicro()&(1<<40-1)), RSSI: -50 + snr, SNR: snr,
		RxTime: station.SecondsOf(h.now),
	}}
	msg, err := station.SplitUplink(phy, meta)
	if err != nil {
		h.t.Fatal(err)
	}
	// Through the JSON codec, as the gateway endpoint decodes it.
	b, err := station.Encode(msg)
	if err != nil {
		h.t.Fatal(err)
	}
	dec, err := station.Decode(b)
	if err != nil {
		h.t.Fatal(err)
	}
	h.p.HandleUplink(context.Background(), gateway.Uplink{Gateway: gw, ReceivedAt: h.now, Message: dec})
}

// flush ends the dedup window and returns the outcome of the frame.
func (h *harness) flush() uplink.Outcome {
	h.t.Helper()
	h.clk.Advance(dedup.DefaultWindow)
	h.now = h.now.Add(dedup.DefaultWindow)
	return h.next()
}

// next waits for the next outcome.
func (h *harness) next() uplink.Outcome {
	h.t.Helper()
	select {
	case o := <-h.out:
		return o
	case <-time.After(5 * time.Second):
		h.t.Fatal("no frame came out of the pipeline")
	}
	return uplink.Outcome{}
}

// later moves the clocks past the dedup linger, so the same bytes count as
// a new frame.
func (h *harness) later() {
	h.clk.Advance(10 * time.Second)
	h.now = h.now.Add(10 * time.Second)
}

// dev is the device side of an end device: keys, counters and frame
// building with the lorawan package.
type dev struct {
	t       testing.TB
	d       store.Device
	region  *lorawan.Region
	version lorawan.MACVersion
	addr    lorawan.DevAddr
	sess    *lorawan.Session
	fcnt    uint32
	nonce   uint16
}

// abpDevice registers an ABP device and returns its device side.
func (h *harness) abpDevice(eui byte, version, region string, addr lorawan.DevAddr) *dev {
	h.t.Helper()
	d := store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xab, eui}, MACVersion: version, Class: store.ClassA,
		Region: region, Destination: "app", ABP: true, DevAddr: addr}
	v, _ := lorawan.ParseMACVersion(version)
	dv := &dev{t: h.t, version: v, addr: addr}
	if v == lorawan.MACVersion1_1 {
		d.ABPKeys = store.SessionKeys{FNwkSIntKey: key(1), SNwkSIntKey: key(2), NwkSEncKey: key(3), AppSKey: key(4)}
		dv.sess = lorawan.NewSession11(key(1), key(2), key(3), key(4))
	} else {
		d.ABPKeys = store.SessionKeys10(key(1), key(4))
		dv.sess = lorawan.NewSession10(key(1), key(4))
	}
	if err := h.db.PutDevice(context.Background(), d); err != nil {
		h.t.Fatal(err)
	}
	dv.d = d
	dv.region, _ = lorawan.RegionByName(region)
	return dv
}

// otaaDevice registers an OTAA device.
func (h *harness) otaaDevice(eui byte, version, region string) *dev {
	h.t.Helper()
	d := store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 0x0a, eui}, JoinEUI: joinEUI, MACVersion: version,
		Class: store.ClassA, Region: region, Destination: "app", RootKeys: store.RootKeys{AppKey: key(0x10)}}
	v, _ := lorawan.ParseMACVersion(version)
	if v == lorawan.MACVersion1_1 {
		d.RootKeys.NwkKey = key(0x20)
	}
	if err := h.db.PutDevice(context.Background(), d); err != nil {
		h.t.Fatal(err)
	}
	r, _ := lorawan.RegionByName(region)
	return &dev{t: h.t, d: d, region: r, version: v}
}

func (d *dev) rootKeys() *lorawan.RootKeys {
	if d.version == lorawan.MACVersion1_1 {
		return lorawan.NewRootKeys11(d.d.RootKeys.AppKey, d.d.RootKeys.NwkKey, d.d.DevEUI)
	}
	return lorawan.NewRootKeys10(d.d.RootKeys.AppKey)
}

// joinRequest builds the next join-request.
func (d *dev) joinRequest() []byte {
	d.t.Helper()
	d.nonce++
	p := lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.JoinRequest},
		JoinRequest: lorawan.JoinRequestPayload{JoinEUI: d.d.JoinEUI, DevEUI: d.d.DevEUI, DevNonce: d.nonce}}
	b, err := p.MarshalBinary()
	if err != nil {
		d.t.Fatal(err)
	}
	if p.MIC, err = d.rootKeys().JoinRequestMIC(b[:19]); err != nil {
		d.t.Fatal(err)
	}
	b, _ = p.MarshalBinary()
	return b
}

// acceptJoin decrypts and checks a join-accept as the device does, and
// takes the new session.
func (d *dev) acceptJoin(phy []byte) lorawan.JoinAcceptPayload {
	d.t.Helper()
	rk := d.rootKeys()
	plain := make([]byte, len(phy))
	plain[0] = phy[0]
	if err := rk.DecryptJoinAccept(plain[1:], phy[1:], lorawan.JoinReqTypeJoin); err != nil {
		d.t.Fatal(err)
	}
	mic, err := rk.JoinAcceptMIC(plain[:len(plain)-4], lorawan.JoinReqTypeJoin, d.d.JoinEUI, d.nonce)
	if err != nil {
		d.t.Fatal(err)
	}
	if string(mic[:]) != string(plain[len(plain)-4:]) {
		d.t.Fatalf("join-accept MIC does not verify on the device")
	}
	var ja lorawan.JoinAcceptPayload
	if err := ja.UnmarshalBinary(plain[1 : len(plain)-4]); err != nil {
		d.t.Fatal(err)
	}
	if ja.DLSettings.OptNeg {
		k, err := rk.SessionKeys11(ja.JoinNonce, d.d.JoinEUI, d.nonce)
		if err != nil {
			d.t.Fatal(err)
		}
		d.sess = lorawan.NewSession11(k.FNwkSIntKey, k.SNwkSIntKey, k.NwkSEncKey, k.AppSKey)
	} else {
		nwk, app, err := rk.SessionKeys10(ja.JoinNonce, ja.NetID, d.nonce)
		if err != nil {
			d.t.Fatal(err)
		}
		d.sess = lorawan.NewSession10(nwk, app)
	}
	d.addr, d.fcnt = ja.DevAddr, 0
	return ja
}

// frame describes one uplink to build.
type frame struct {
	fport     int // -1: none
	payload   []byte
	confirmed bool
	fopts     []byte // MAC commands in clear
	adr, ack  bool
	adrAckReq bool
	confFCnt  uint16
	dr        int
	freq      uint32
	fcnt      *uint32 // overrides the device's next counter
}

// uplink builds a data uplink with the device's session and advances its
// counter.
func (d *dev) uplink(f frame) []byte {
	d.t.Helper()
	fcnt := d.fcnt
	if f.fcnt != nil {
		fcnt = *f.fcnt
	} else {
		d.fcnt++
	}
	mt := lorawan.UnconfirmedDataUp
	if f.confirmed {
		mt = lorawan.ConfirmedDataUp
	}
	p := lorawan.PHYPayload{
		MHDR: lorawan.MHDR{MType: mt},
		FHDR: lorawan.FHDR{DevAddr: d.addr, FCtrl: lorawan.FCtrl{ADR: f.adr, ADRACKReq: f.adrAckReq, ACK: f.ack}, FCnt: uint16(fcnt)},
	}
	if len(f.fopts) > 0 {
		fo := append([]byte(nil), f.fopts...)
		if d.version == lorawan.MACVersion1_1 {
			if err := d.sess.XORFOpts(fo, fo, true, d.addr, fcnt, false); err != nil {
				d.t.Fatal(err)
			}
		}
		p.FHDR.FOpts = fo
	}
	if f.fport >= 0 {
		p.FPort, p.FPortPresent = uint8(f.fport), true
		enc := make([]byte, len(f.payload))
		if err := d.sess.XORFRMPayload(enc, f.payload, true, d.addr, fcnt, uint8(f.fport)); err != nil {
			d.t.Fatal(err)
		}
		p.FRMPayload = enc
	}
	b, err := p.MarshalBinary()
	if err != nil {
		d.t.Fatal(err)
	}
	var txCh int
	if d.version == lorawan.MACVersion1_1 {
		if txCh, err = d.region.UplinkChannelIndex(f.freq); err != nil {
			d.t.Fatal(err)
		}
	}
	if p.MIC, err = d.sess.UplinkMIC(b[:len(b)-4], d.addr, fcnt, f.confFCnt, uint8(f.dr), uint8(txCh)); err != nil {
		d.t.Fatal(err)
	}
	b, _ = p.MarshalBinary()
	return b
}
