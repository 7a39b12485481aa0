package sim_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// epoch is where virtual clocks start: a whole second, so PPS pulses fall
// on whole seconds from there.
var epoch = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// world is one simulated medium on a virtual clock.
type world struct {
	t      *testing.T
	clock  *sim.VirtualClock
	air    *sim.Air
	region *lorawan.Region
}

func newWorld(t *testing.T) *world {
	t.Helper()
	clock := sim.NewVirtualClock(epoch)
	region, err := lorawan.RegionByName("EU868")
	if err != nil {
		t.Fatal(err)
	}
	return &world{t: t, clock: clock, air: sim.NewAir(clock, sim.AirConfig{}), region: region}
}

// eu868Config is an 8+1+1 channel EU868 radio configuration: multi-SF on
// 867.1..867.9 (radio 0) and 868.1/868.3/868.5 (radio 1), SF7/250 kHz on
// 868.3, FSK on 868.8; radio 0 transmits in 863..870 MHz.
func eu868Config() hal.Config {
	c := hal.Config{
		Radios: [2]hal.RFChain{
			{Enable: true, Freq: 867_500_000, Type: "SX1250", RSSIOffset: -215.4, TxEnable: true, TxFreqMin: 863_000_000, TxFreqMax: 870_000_000},
			{Enable: true, Freq: 868_500_000, Type: "SX1250", RSSIOffset: -215.4},
		},
		LoRaStd: hal.IFChain{Enable: true, RFChain: 1, IF: -200_000, Bandwidth: hal.BW250, SpreadingFactor: 7},
		FSK:     hal.IFChain{Enable: true, RFChain: 1, IF: 300_000, DataRate: 50_000},
	}
	for i, off := range []int32{-400_000, -200_000, 0, 200_000, 400_000} {
		c.MultiSF[i] = hal.IFChain{Enable: true, RFChain: 0, IF: off}
	}
	for i, off := range []int32{-400_000, -200_000, 0} {
		c.MultiSF[5+i] = hal.IFChain{Enable: true, RFChain: 1, IF: off}
	}
	return c
}

// gateway attaches and starts a concentrator.
func (w *world) gateway(name string, opts sim.ConcentratorOptions) *sim.Concentrator {
	w.t.Helper()
	c, err := sim.NewConcentrator(w.air, name, opts)
	if err != nil {
		w.t.Fatal(err)
	}
	if err := c.Start(context.Background(), eu868Config()); err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(func() { _ = c.Close() })
	return c
}

// device attaches a device whose events go to the returned channel.
func (w *world) device(cfg sim.DeviceConfig) (*sim.Device, chan sim.Event) {
	w.t.Helper()
	events := make(chan sim.Event, 256)
	cfg.OnEvent = func(e sim.Event) { events <- e }
	if cfg.Region == nil {
		cfg.Region = w.region
	}
	d, err := sim.NewDevice(w.air, cfg)
	if err != nil {
		w.t.Fatal(err)
	}
	w.t.Cleanup(d.Close)
	return d, events
}

// receive returns the next frame queued at a concentrator, failing if none
// is there (the virtual clock has already delivered everything due).
func receive(t *testing.T, c *sim.Concentrator) hal.RxPacket {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := c.Receive(ctx)
	if err != nil {
		t.Fatalf("%s: no frame received (%v); stats %+v", c.Name(), err, c.Stats())
	}
	return p
}

// noFrame checks that nothing is queued at a concentrator.
func noFrame(t *testing.T, c *sim.Concentrator) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if p, err := c.Receive(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("%s: got frame %+v (err %v), want none", c.Name(), p, err)
	}
}

// nextEvent returns the next event of kind, skipping uplink events, and
// fails if another kind comes first or none is there.
func nextEvent(t *testing.T, events chan sim.Event, kind sim.EventKind) sim.Event {
	t.Helper()
	for {
		select {
		case e := <-events:
			if e.Kind == kind {
				return e
			}
			if e.Kind != sim.EventUplink {
				t.Fatalf("got %s event (%s%v), want %s", e.Kind, e.Reason, e.Err, kind)
			}
		default:
			t.Fatalf("no %s event", kind)
		}
	}
}

// noEvent checks that only uplink events (if any) are pending.
func noEvent(t *testing.T, events chan sim.Event) {
	t.Helper()
	for {
		select {
		case e := <-events:
			if e.Kind != sim.EventUplink {
				t.Fatalf("unexpected %s event (%s)", e.Kind, e.Reason)
			}
		default:
			return
		}
	}
}

// done returns the next TX report, failing if none is there.
func done(t *testing.T, c *sim.Concentrator) hal.TxDone {
	t.Helper()
	select {
	case d, ok := <-c.TxDone():
		if !ok {
			t.Fatal("TxDone closed")
		}
		return d
	default:
		t.Fatal("no TxDone")
	}
	return hal.TxDone{}
}

// us is d in whole microseconds, as counters count.
func us(d time.Duration) uint32 { return uint32(d / time.Microsecond) }

// downlinkTx builds a LoRaWAN downlink (inverted polarity, no CRC, 4/5) at
// data rate dr, timestamped at count.
func downlinkTx(t *testing.T, region *lorawan.Region, count uint32, freq uint32, dr int, payload []byte) hal.TxPacket {
	t.Helper()
	rate, err := region.DataRate(dr)
	if err != nil {
		t.Fatal(err)
	}
	return hal.TxPacket{
		Mode: hal.TxTimestamped, CountUS: count, Freq: freq, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: rate.SpreadingFactor, Bandwidth: rate.Bandwidth,
		CodeRate: hal.CodeRate4_5, InvertPol: true, NoCRC: true, Payload: payload,
	}
}

// uplinkDR returns the data rate index of a received LoRa frame.
func uplinkDR(t testing.TB, region *lorawan.Region, p hal.RxPacket) int {
	t.Helper()
	dr, err := region.DataRateIndex(p.SpreadingFactor, p.Bandwidth)
	if err != nil {
		t.Fatal(err)
	}
	return dr
}

// testNS is the smallest network server that can serve a simulated
// device, written straight on package lorawan: it checks join-requests,
// builds join-accepts, derives the session, checks and decrypts uplinks and
// builds downlinks.
type testNS struct {
	t       testing.TB
	region  *lorawan.Region
	version lorawan.MACVersion // the device's version
	optNeg  bool               // answer a 1.1 device as a 1.1 network
	root    *lorawan.RootKeys
	joinEUI lorawan.EUI64
	netID   lorawan.NetID
	devAddr lorawan.DevAddr

	joinNonce uint32
	keys      lorawan.SessionKeys11
	sess      *lorawan.Session
	sessVer   lorawan.MACVersion
	fCntUp    uint32
	nFCntDown uint32
	aFCntDown uint32
	lastDown  uint32 // counter of the last downlink built
}

// acceptJoin checks a received join-request and returns the join-accept
// bytes, deriving the session.
func (ns *testNS) acceptJoin(p hal.RxPacket, dls lorawan.DLSettings, rxDelay uint8, cf *lorawan.CFList) []byte {
	t := ns.t
	t.Helper()
	var jr lorawan.PHYPayload
	if err := jr.UnmarshalBinary(p.Payload); err != nil {
		t.Fatal(err)
	}
	if jr.MHDR.MType != lorawan.JoinRequest {
		t.Fatalf("got %s, want a join-request", jr.MHDR.MType)
	}
	mic, err := ns.root.JoinRequestMIC(p.Payload[:19])
	if err != nil {
		t.Fatal(err)
	}
	if mic != jr.MIC {
		t.Fatalf("join-request MIC %x, want %x", jr.MIC, mic)
	}
	ns.joinNonce++
	dls.OptNeg = ns.optNeg
	ja := lorawan.JoinAcceptPayload{JoinNonce: ns.joinNonce, NetID: ns.netID, DevAddr: ns.devAddr, DLSettings: dls, RxDelay: rxDelay, CFList: cf}
	plain, err := ja.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mhdr, _ := lorawan.MHDR{MType: lorawan.JoinAccept}.MarshalByte()
	out, err := ns.root.AppendJoinAccept(nil, append([]byte{mhdr}, plain...), lorawan.JoinReqTypeJoin, jr.JoinRequest.JoinEUI, jr.JoinRequest.DevNonce)
	if err != nil {
		t.Fatal(err)
	}
	if ns.optNeg {
		if ns.keys, err = ns.root.SessionKeys11(ns.joinNonce, jr.JoinRequest.JoinEUI, jr.JoinRequest.DevNonce); err != nil {
			t.Fatal(err)
		}
		ns.sess = lorawan.NewSession11(ns.keys.FNwkSIntKey, ns.keys.SNwkSIntKey, ns.keys.NwkSEncKey, ns.keys.AppSKey)
		ns.sessVer = lorawan.MACVersion1_1
	} else {
		nwk, app, err := ns.root.SessionKeys10(ns.joinNonce, ns.netID, jr.JoinRequest.DevNonce)
		if err != nil {
			t.Fatal(err)
		}
		ns.keys = lorawan.SessionKeys11{FNwkSIntKey: nwk, SNwkSIntKey: nwk, NwkSEncKey: nwk, AppSKey: app}
		ns.sess = lorawan.NewSession10(nwk, app)
		ns.sessVer = lorawan.MACVersion1_0
	}
	ns.fCntUp, ns.nFCntDown, ns.aFCntDown = 0, 0, 0
	return out
}

// uplink is a data uplink as the network sees it.
type uplink struct {
	phy       lorawan.PHYPayload
	fcnt      uint32
	fopts     []byte // in clear
	payload   []byte // in clear
	confirmed bool
}

// readUplink checks the MIC of a received data uplink and decrypts it.
func (ns *testNS) readUplink(p hal.RxPacket) uplink {
	t := ns.t
	t.Helper()
	var u uplink
	if err := u.phy.UnmarshalBinary(p.Payload); err != nil {
		t.Fatal(err)
	}
	if u.phy.FHDR.DevAddr != ns.devAddr {
		t.Fatalf("uplink from %s, want %s", u.phy.FHDR.DevAddr, ns.devAddr)
	}
	u.fcnt = lorawan.FullFCnt(ns.fCntUp, u.phy.FHDR.FCnt)
	dr := uplinkDR(t, ns.region, p)
	ch, err := ns.region.UplinkChannelIndex(p.Freq)
	if err != nil {
		t.Fatal(err)
	}
	mic, err := ns.sess.UplinkMIC(p.Payload[:len(p.Payload)-4], ns.devAddr, u.fcnt, uint16(ns.lastDown), uint8(dr), uint8(ch))
	if err != nil {
		t.Fatal(err)
	}
	if mic != u.phy.MIC {
		t.Fatalf("uplink MIC %x, want %x", u.phy.MIC, mic)
	}
	ns.fCntUp = u.fcnt + 1
	u.fopts = append([]byte(nil), u.phy.FHDR.FOpts...)
	if ns.sessVer == lorawan.MACVersion1_1 && len(u.fopts) > 0 {
		if err := ns.sess.XORFOpts(u.fopts, u.fopts, true, ns.devAddr, u.fcnt, false); err != nil {
			t.Fatal(err)
		}
	}
	u.payload = make([]byte, len(u.phy.FRMPayload))
	if len(u.payload) > 0 {
		if err := ns.sess.XORFRMPayload(u.payload, u.phy.FRMPayload, true, ns.devAddr, u.fcnt, u.phy.FPort); err != nil {
			t.Fatal(err)
		}
	}
	u.confirmed = u.phy.MHDR.MType == lorawan.ConfirmedDataUp
	return u
}

// down describes a data downlink to build.
type down struct {
	confirmed bool
	ack       bool
	confFCnt  uint16 // the acknowledged uplink's counter (1.1 MIC)
	fopts     []byte // MAC commands in clear
	fport     int    // -1 for none
	payload   []byte
}

// dataDown encodes, encrypts and signs a downlink, using the next
// downlink counter.
func (ns *testNS) dataDown(d down) []byte {
	t := ns.t
	t.Helper()
	app := ns.sessVer == lorawan.MACVersion1_1 && d.fport > 0
	fcnt := ns.nFCntDown
	if app {
		fcnt = ns.aFCntDown
	}
	mtype := lorawan.UnconfirmedDataDown
	if d.confirmed {
		mtype = lorawan.ConfirmedDataDown
	}
	fopts := append([]byte(nil), d.fopts...)
	if ns.sessVer == lorawan.MACVersion1_1 && len(fopts) > 0 {
		if err := ns.sess.XORFOpts(fopts, fopts, false, ns.devAddr, fcnt, app); err != nil {
			t.Fatal(err)
		}
	}
	p := lorawan.PHYPayload{
		MHDR: lorawan.MHDR{MType: mtype},
		FHDR: lorawan.FHDR{DevAddr: ns.devAddr, FCtrl: lorawan.FCtrl{ACK: d.ack}, FCnt: uint16(fcnt), FOpts: fopts},
	}
	if d.fport >= 0 {
		p.FPort, p.FPortPresent = uint8(d.fport), true
		p.FRMPayload = make([]byte, len(d.payload))
		if len(d.payload) > 0 {
			if err := ns.sess.XORFRMPayload(p.FRMPayload, d.payload, false, ns.devAddr, fcnt, uint8(d.fport)); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := ns.sess.DownlinkMIC(b[:len(b)-4], ns.devAddr, fcnt, d.confFCnt)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-4:], mic[:])
	ns.lastDown = fcnt
	if app {
		ns.aFCntDown++
	} else {
		ns.nFCntDown++
	}
	return b
}

// macBytes encodes downlink MAC commands.
func macBytes(t *testing.T, cmds ...lorawan.MACCommandPayload) []byte {
	t.Helper()
	var list []lorawan.MACCommand
	for _, c := range cmds {
		list = append(list, lorawan.MACCommand{CID: c.CID(), Payload: c})
	}
	b, err := lorawan.AppendMACCommands(nil, list...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// hasMAC reports whether FOpts bytes (in clear) carry a command of cid.
func hasMAC(t *testing.T, fopts []byte, cid lorawan.CID) bool {
	t.Helper()
	cmds, err := lorawan.ParseMACCommands(fopts, true)
	if err != nil {
		t.Fatalf("uplink mac commands %x: %v", fopts, err)
	}
	for _, c := range cmds {
		if c.CID == cid {
			return true
		}
	}
	return false
}

// mustEqualBytes fails if got differs from want.
func mustEqualBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s = %x, want %x", what, got, want)
	}
}
