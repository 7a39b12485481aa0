package join_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

var (
	netID   = lorawan.NetID{0x00, 0x00, 0x13}
	joinEUI = lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x01}
	appKey  = lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	nwkKey  = lorawan.AES128Key{0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff}
	gw1     = lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xa, 1}
	gw2     = lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xa, 2}
)

// recorder is the scheduler of these tests: it keeps every request and
// fails when told to.
type recorder struct {
	mu   sync.Mutex
	reqs []downlink.ClassA
	fail error
}

func (r *recorder) ScheduleClassA(_ context.Context, req downlink.ClassA) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.reqs = append(r.reqs, req)
	return nil
}

func (r *recorder) last(t *testing.T) downlink.ClassA {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.reqs) == 0 {
		t.Fatal("nothing scheduled")
	}
	return r.reqs[len(r.reqs)-1]
}

// events collects published join events.
type events struct {
	mu   sync.Mutex
	msgs map[string][]route.Message
}

func (e *events) Publish(_ context.Context, dest string, msg route.Message) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.msgs == nil {
		e.msgs = map[string][]route.Message{}
	}
	e.msgs[dest] = append(e.msgs[dest], msg)
	return nil
}

type env struct {
	db    *store.DB
	sched *recorder
	pub   *events
	srv   *join.Server
}

func newEnv(t *testing.T, opts join.Options) *env {
	t.Helper()
	e := &env{db: storetest.Open(t), sched: &recorder{}, pub: &events{}}
	if opts.NetID == (lorawan.NetID{}) {
		opts.NetID = netID
	}
	ctx := context.Background()
	if err := e.db.PutDestination(ctx, store.Destination{Name: "app", Kind: store.KindMQTT, MQTTTopic: "up/{{.DevEui}}"}); err != nil {
		t.Fatal(err)
	}
	opts.Logger = slog.New(slog.DiscardHandler)
	srv, err := join.New(e.db, e.sched, e.pub, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	return e
}

func (e *env) device(t *testing.T, eui lorawan.EUI64, version, region string) store.Device {
	t.Helper()
	d := store.Device{DevEUI: eui, JoinEUI: joinEUI, MACVersion: version, Class: store.ClassA, Region: region,
		Destination: "app", RootKeys: store.RootKeys{AppKey: appKey}}
	if version == "1.1" {
		d.RootKeys.NwkKey = nwkKey
	}
	if err := e.db.PutDevice(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	return d
}

// deviceKeys is the device side's view of its root keys.
func deviceKeys(d store.Device) *lorawan.RootKeys {
	if d.MACVersion == "1.1" {
		return lorawan.NewRootKeys11(d.RootKeys.AppKey, d.RootKeys.NwkKey, d.DevEUI)
	}
	return lorawan.NewRootKeys10(d.RootKeys.AppKey)
}

// joinRequest builds a join-request as the device sends it.
func joinRequest(t *testing.T, d store.Device, devNonce uint16) []byte {
	t.Helper()
	p := lorawan.PHYPayload{
		MHDR:        lorawan.MHDR{MType: lorawan.JoinRequest},
		JoinRequest: lorawan.JoinRequestPayload{JoinEUI: d.JoinEUI, DevEUI: d.DevEUI, DevNonce: devNonce},
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if p.MIC, err = deviceKeys(d).JoinRequestMIC(b[:19]); err != nil {
		t.Fatal(err)
	}
	if b, err = p.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	return b
}

func request(phy []byte, freq uint32) join.Request {
	return join.Request{
		PHYPayload: phy,
		Receptions: []downlink.Reception{
			{Gateway: gw1, XTime: 1 << 48, RSSI: -60, SNR: 9, Freq: freq},
			{Gateway: gw2, XTime: 2 << 48, RSSI: -90, SNR: -4, Freq: freq},
		},
		DR: 0, Freq: freq, ReceivedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
}

// openJoinAccept does what the device does with a join-accept: decrypt,
// check the MIC, parse, derive the session keys.
func openJoinAccept(t *testing.T, d store.Device, phy []byte, jrt lorawan.JoinReqType, nonce uint16) (lorawan.JoinAcceptPayload, store.SessionKeys) {
	t.Helper()
	rk := deviceKeys(d)
	if len(phy) != 17 && len(phy) != 33 {
		t.Fatalf("join-accept of %d bytes", len(phy))
	}
	if phy[0] != 0x20 {
		t.Fatalf("join-accept MHDR %#x, want 0x20", phy[0])
	}
	plain := make([]byte, len(phy))
	plain[0] = phy[0]
	if err := rk.DecryptJoinAccept(plain[1:], phy[1:], jrt); err != nil {
		t.Fatal(err)
	}
	var ja lorawan.JoinAcceptPayload
	if err := ja.UnmarshalBinary(plain[1 : len(plain)-4]); err != nil {
		t.Fatalf("join-accept payload: %v", err)
	}
	mic, err := rk.JoinAcceptMIC(plain[:len(plain)-4], jrt, d.JoinEUI, nonce)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(mic[:], plain[len(plain)-4:]) {
		t.Fatalf("join-accept MIC %x, device computes %x", plain[len(plain)-4:], mic)
	}
	var keys store.SessionKeys
	if ja.DLSettings.OptNeg {
		k, err := rk.SessionKeys11(ja.JoinNonce, d.JoinEUI, nonce)
		if err != nil {
			t.Fatal(err)
		}
		keys = store.SessionKeys{FNwkSIntKey: k.FNwkSIntKey, SNwkSIntKey: k.SNwkSIntKey, NwkSEncKey: k.NwkSEncKey, AppSKey: k.AppSKey}
	} else {
		nwk, app, err := rk.SessionKeys10(ja.JoinNonce, ja.NetID, nonce)
		if err != nil {
			t.Fatal(err)
		}
		keys = store.SessionKeys10(nwk, app)
	}
	return ja, keys
}

func TestJoin(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, version, region string
		freq                  uint32
		wantOptNeg            bool
		wantRX2DR             uint8
	}{
		{"1.0 EU868", "1.0.3", "EU868", 868100000, false, 0},
		{"1.1 EU868", "1.1", "EU868", 868300000, true, 0},
		{"1.0 US915", "1.0.3", "US915", 903900000, false, 8},
		{"1.1 AS923-1", "1.1", "AS923-1", 923200000, true, 2},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, join.Options{})
			ctx := context.Background()
			d := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 1, byte(i)}, tc.version, tc.region)
			acc, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d, 7), tc.freq))
			if err != nil {
				t.Fatal(err)
			}
			sched := e.sched.last(t)
			if !bytes.Equal(sched.JoinAccept, acc.JoinAccept) || sched.Session != nil || sched.Device.DevEUI != d.DevEUI {
				t.Fatalf("scheduled %+v, want the join-accept for %s", sched, d.DevEUI)
			}
			if len(sched.Receptions) != 2 || sched.UplinkFreq != tc.freq || sched.Region.Name() != tc.region {
				t.Errorf("scheduled receptions %d freq %d region %s", len(sched.Receptions), sched.UplinkFreq, sched.Region.Name())
			}
			ja, keys := openJoinAccept(t, d, sched.JoinAccept, lorawan.JoinReqTypeJoin, 7)
			if ja.DLSettings.OptNeg != tc.wantOptNeg || ja.DLSettings.RX2DataRate != tc.wantRX2DR || ja.DLSettings.RX1DROffset != 0 || ja.RxDelay != 1 {
				t.Errorf("DLSettings %+v RxDelay %d, want OptNeg %v RX2DR %d RxDelay 1", ja.DLSettings, ja.RxDelay, tc.wantOptNeg, tc.wantRX2DR)
			}
			if ja.NetID != netID || ja.JoinNonce != 1 {
				t.Errorf("NetID %s JoinNonce %d, want %s and 1", ja.NetID, ja.JoinNonce, netID)
			}
			if !join.AddrSpaceOf(netID).Contains(ja.DevAddr) {
				t.Errorf("DevAddr %s outside the NetID block", ja.DevAddr)
			}
			pend, err := e.db.GetPendingSession(ctx, d.DevEUI)
			if err != nil {
				t.Fatalf("pending session: %v", err)
			}
			if pend.Keys != keys {
				t.Error("stored session keys differ from the ones the device derives")
			}
			if pend.DevAddr != ja.DevAddr || pend.RX2DR != tc.wantRX2DR || pend.RxDelay != 1 {
				t.Errorf("pending session %+v, want DevAddr %s", pend, ja.DevAddr)
			}
			wantVersion := lorawan.MACVersion1_0
			if tc.wantOptNeg {
				wantVersion = lorawan.MACVersion1_1
			}
			if pend.MACVersion != wantVersion {
				t.Errorf("session version %v, want %v", pend.MACVersion, wantVersion)
			}
			if _, err := e.db.GetSession(ctx, d.DevEUI); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("active session after join: %v, want none until the first uplink", err)
			}
			evs := e.pub.msgs["app"]
			if len(evs) != 1 {
				t.Fatalf("%d join events, want 1", len(evs))
			}
			ev := evs[0].(*route.JoinEvent)
			if ev.DevEui != d.DevEUI || ev.DevAddr != ja.DevAddr || ev.JoinEui != joinEUI || ev.MACVersion != wantVersion.String() || len(ev.Gateways) != 2 {
				t.Errorf("join event %+v", ev)
			}
		})
	}
}

// TestJoinAcceptGolden pins the plaintext of join-accepts, CFList
// included, per region: fixed JoinNonce (1), NetID and DevAddr (a fixed
// random source).
func TestJoinAcceptGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		region string
		freq   uint32
		want   string // MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay | CFList, on air (little-endian)
	}{
		// 867.1..867.9 MHz in 100 Hz units, type 0. DevAddr: the 7-bit prefix of NetID 000013 (0x26) and the low 25 bits of 0xff020304.
		{"EU868", 868500000, "20" + "010000" + "130000" + "04030227" + "00" + "01" + "184f84e85684b85e84886684586e8400"},
		// Sub-band 2: ChMask0 0xff00 (channels 8..15), ChMask4 0x0002 (channel 65), type 1. RX2 DR8.
		{"US915", 903900000, "20" + "010000" + "130000" + "04030227" + "08" + "01" + "00ff0000000000000200000000000001"},
		// Sub-band 1 from channel 64 (903.0 MHz, 500 kHz): ChMask0 0x00ff, ChMask4 0x0001.
		{"US915", 903000000, "20" + "010000" + "130000" + "04030227" + "08" + "01" + "ff000000000000000100000000000001"},
		// AU915 sub-band 1 (915.2 MHz).
		{"AU915", 915200000, "20" + "010000" + "130000" + "04030227" + "08" + "01" + "ff000000000000000100000000000001"},
		// 923.6..924.4 MHz, RX2 DR2.
		{"AS923-1", 923200000, "20" + "010000" + "130000" + "04030227" + "02" + "01" + "20ee8cf0f58cc0fd8c90058d600d8d00"},
	}
	for i, tc := range tests {
		t.Run(tc.region, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, join.Options{Rand: bytes.NewReader([]byte{0xff, 0x02, 0x03, 0x04})})
			d := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 2, byte(i)}, "1.0.3", tc.region)
			if _, err := e.srv.HandleJoinRequest(context.Background(), request(joinRequest(t, d, 1), tc.freq)); err != nil {
				t.Fatal(err)
			}
			phy := e.sched.last(t).JoinAccept
			plain := make([]byte, len(phy))
			plain[0] = phy[0]
			if err := deviceKeys(d).DecryptJoinAccept(plain[1:], phy[1:], lorawan.JoinReqTypeJoin); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(plain[:len(plain)-4]); got != tc.want {
				t.Errorf("join-accept\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestCFListFor(t *testing.T) {
	t.Parallel()
	kr, err := lorawan.RegionByName("KR920")
	if err != nil {
		t.Fatal(err)
	}
	cf, err := join.CFListFor(kr, 922100000)
	if err != nil {
		t.Fatal(err)
	}
	if want := [5]uint32{922700000, 922900000, 923100000, 923300000, 0}; cf.Type != lorawan.CFListFrequencies || cf.Frequencies != want {
		t.Errorf("KR920 CFList %+v, want frequencies %v", cf, want)
	}
	us, _ := lorawan.RegionByName("US915")
	if _, err := join.CFListFor(us, 868100000); err == nil {
		t.Error("US915 CFList for an EU868 frequency: no error")
	}
}

func TestJoinRefusals(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, join.Options{})
	d10 := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 3, 1}, "1.0.3", "EU868")
	d11 := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 3, 2}, "1.1", "EU868")
	abp := store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 3, 3}, MACVersion: "1.0.3", Class: store.ClassA, Region: "EU868",
		ABP: true, DevAddr: lorawan.DevAddr{0x26, 0, 0, 1}, ABPKeys: store.SessionKeys10(appKey, nwkKey)}
	if err := e.db.PutDevice(ctx, abp); err != nil {
		t.Fatal(err)
	}
	accept := func(d store.Device, nonce uint16) {
		t.Helper()
		if _, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d, nonce), 868100000)); err != nil {
			t.Fatalf("join %s nonce %d: %v", d.DevEUI, nonce, err)
		}
	}
	accept(d10, 100)
	accept(d11, 100)

	wrongMIC := joinRequest(t, d10, 5)
	wrongMIC[22] ^= 1
	otherJoinEUI := d10
	otherJoinEUI.JoinEUI[7] ^= 1
	unknown := d10
	unknown.DevEUI[7] = 0x99

	tests := []struct {
		name string
		phy  []byte
		want error
	}{
		{"1.0 DevNonce reused", joinRequest(t, d10, 100), store.ErrDevNonceReused},
		{"1.1 DevNonce equal", joinRequest(t, d11, 100), store.ErrDevNonceNotIncreasing},
		{"1.1 DevNonce lower", joinRequest(t, d11, 99), store.ErrDevNonceNotIncreasing},
		{"wrong MIC", wrongMIC, join.ErrMIC},
		{"other JoinEUI", joinRequest(t, otherJoinEUI, 6), join.ErrJoinEUI},
		{"unknown DevEUI", joinRequest(t, unknown, 6), join.ErrUnknownDevice},
		{"ABP device", joinRequest(t, abp, 6), join.ErrNotOTAA},
		{"not a join-request", []byte{0x40, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4}, lorawan.ErrMalformed},
		{"truncated", []byte{0x00, 1, 2}, lorawan.ErrMalformed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.sched.reqs)
			_, err := e.srv.HandleJoinRequest(ctx, request(tc.phy, 868100000))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err %v, want %v", err, tc.want)
			}
			if len(e.sched.reqs) != before {
				t.Error("a refused request was answered")
			}
		})
	}
	// A wrong MIC must not burn the DevNonce.
	accept(d10, 5)
	// 1.0 accepts a lower DevNonce not seen before.
	accept(d10, 4)
}

func TestJoinNotScheduled(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, join.Options{})
	d := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 4, 1}, "1.0.3", "EU868")
	e.sched.fail = errors.New("no gateway")
	_, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d, 1), 868100000))
	if !errors.Is(err, join.ErrNotScheduled) {
		t.Fatalf("err %v, want ErrNotScheduled", err)
	}
	if _, err := e.db.GetPendingSession(ctx, d.DevEUI); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("pending session after a failed schedule: %v, want none", err)
	}
	if n := len(e.pub.msgs["app"]); n != 0 {
		t.Errorf("%d join events for a join never answered", n)
	}
}

func TestDevAddrAvoidsUsed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// First draw 0x00000001 → 26000001 is in use; the second draw is taken.
	rnd := bytes.NewReader([]byte{0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2})
	e := newEnv(t, join.Options{Rand: rnd})
	d1 := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 5, 1}, "1.0.3", "EU868")
	d2 := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 5, 2}, "1.0.3", "EU868")
	a1, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d1, 1), 868100000))
	if err != nil {
		t.Fatal(err)
	}
	a2, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d2, 1), 868100000))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := a1.Session.DevAddr, (lorawan.DevAddr{0x26, 0, 0, 1}); got != want {
		t.Errorf("first DevAddr %s, want %s", got, want)
	}
	if got, want := a2.Session.DevAddr, (lorawan.DevAddr{0x26, 0, 0, 2}); got != want {
		t.Errorf("second DevAddr %s, want %s (the first draw was taken)", got, want)
	}
}

func TestAddrSpace(t *testing.T) {
	t.Parallel()
	tests := []struct {
		netID  lorawan.NetID
		prefix lorawan.DevAddr
		bits   int
	}{
		{lorawan.NetID{0x00, 0x00, 0x13}, lorawan.DevAddr{0x26, 0, 0, 0}, 7}, // type 0, The Things Network
		{lorawan.NetID{0x00, 0x00, 0x00}, lorawan.DevAddr{0, 0, 0, 0}, 7},    // type 0, private
		{lorawan.NetID{0x20, 0x00, 0x3f}, lorawan.DevAddr{0xbf, 0, 0, 0}, 8}, // type 1
		{lorawan.NetID{0x40, 0x01, 0x55}, lorawan.DevAddr{0xd5, 0x50, 0, 0}, 12},
		{lorawan.NetID{0x60, 0x00, 0x05}, lorawan.DevAddr{0xe0, 0x0a, 0, 0}, 15},
		{lorawan.NetID{0x80, 0x00, 0xab}, lorawan.DevAddr{0xf0, 0x55, 0x80, 0}, 17},
		{lorawan.NetID{0xa0, 0x0f, 0xff}, lorawan.DevAddr{0xf9, 0xff, 0xe0, 0}, 19},
		{lorawan.NetID{0xc0, 0x01, 0x23}, lorawan.DevAddr{0xfc, 0x04, 0x8c, 0}, 22},
		{lorawan.NetID{0xe0, 0x00, 0x01}, lorawan.DevAddr{0xfe, 0x00, 0x00, 0x80}, 25},
	}
	for _, tc := range tests {
		t.Run(tc.netID.String(), func(t *testing.T) {
			s := join.AddrSpaceOf(tc.netID)
			if s.Prefix != tc.prefix || s.PrefixBits != tc.bits {
				t.Fatalf("got %s, want %s/%d", s, tc.prefix, tc.bits)
			}
			for _, r := range []uint32{0, 0xffffffff, 0x12345678} {
				a := s.Make(r)
				if !s.Contains(a) {
					t.Errorf("Make(%#x) = %s outside %s", r, a, s)
				}
				if mask := uint32(1)<<(32-tc.bits) - 1; a.Uint32()&mask != r&mask {
					t.Errorf("Make(%#x) = %s lost the NwkAddr bits", r, a)
				}
			}
			outside := lorawan.DevAddrFromUint32(s.Prefix.Uint32() ^ 1<<31)
			if s.Contains(outside) {
				t.Errorf("%s contains %s", s, outside)
			}
		})
	}
}

// rejoinRequest builds a rejoin-request as a 1.1 device sends it.
func rejoinRequest(t *testing.T, typ uint8, d store.Device, sess *store.Session, count uint16) []byte {
	t.Helper()
	p := lorawan.PHYPayload{
		MHDR:   lorawan.MHDR{MType: lorawan.RejoinRequest},
		Rejoin: lorawan.RejoinRequestPayload{Type: typ, DevEUI: d.DevEUI, RJCount: count},
	}
	if typ == 1 {
		p.Rejoin.JoinEUI = d.JoinEUI
	} else {
		p.Rejoin.NetID = netID
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	msg := b[:len(b)-4]
	if typ == 1 {
		p.MIC, err = deviceKeys(d).RejoinRequestMIC(msg)
	} else {
		k := sess.Keys
		p.MIC, err = lorawan.NewSession11(k.FNwkSIntKey, k.SNwkSIntKey, k.NwkSEncKey, k.AppSKey).RejoinRequestMIC(msg)
	}
	if err != nil {
		t.Fatal(err)
	}
	if b, err = p.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRejoin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, join.Options{RX1DROffset: 2})
	d := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 6, 1}, "1.1", "EU868")
	acc, err := e.srv.HandleJoinRequest(ctx, request(joinRequest(t, d, 1), 868100000))
	if err != nil {
		t.Fatal(err)
	}
	// The first uplink makes the session active; change its radio
	// settings to see type 2 keep them.
	if err := e.db.ActivatePendingSession(ctx, d.DevEUI, 0, false); err != nil {
		t.Fatal(err)
	}
	if err := e.db.UpdateSession(ctx, d.DevEUI, func(s *store.Session) error { s.RX2DR, s.RxDelay = 3, 5; return nil }); err != nil {
		t.Fatal(err)
	}
	active, err := e.db.GetSession(ctx, d.DevEUI)
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name      string
		typ       uint8
		count     uint16
		jrt       lorawan.JoinReqType
		wantRX2DR uint8
		wantDelay uint8
		wantCF    bool
	}{
		{"type 0", 0, 1, lorawan.JoinReqTypeRejoin0, 0, 1, true},
		{"type 2 keeps radio settings", 2, 2, lorawan.JoinReqTypeRejoin2, 3, 5, false},
		{"type 1", 1, 1, lorawan.JoinReqTypeRejoin1, 0, 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := e.srv.HandleRejoinRequest(ctx, request(rejoinRequest(t, tc.typ, d, &active, tc.count), 868100000))
			if err != nil {
				t.Fatal(err)
			}
			ja, keys := openJoinAccept(t, d, e.sched.last(t).JoinAccept, tc.jrt, tc.count)
			if !ja.DLSettings.OptNeg || ja.DLSettings.RX2DataRate != tc.wantRX2DR || ja.RxDelay != tc.wantDelay || (ja.CFList != nil) != tc.wantCF {
				t.Errorf("join-accept %+v, want RX2DR %d RxDelay %d CFList %v", ja, tc.wantRX2DR, tc.wantDelay, tc.wantCF)
			}
			if tc.typ != 2 && ja.DLSettings.RX1DROffset != 2 {
				t.Errorf("RX1DROffset %d, want the configured 2", ja.DLSettings.RX1DROffset)
			}
			pend, err := e.db.GetPendingSession(ctx, d.DevEUI)
			if err != nil {
				t.Fatal(err)
			}
			if pend.Keys != keys || pend.DevAddr != ja.DevAddr || a.Session.DevAddr != ja.DevAddr {
				t.Error("pending session differs from what the device derives")
			}
			if ja.DevAddr == acc.Session.DevAddr {
				t.Error("rejoin kept the DevAddr")
			}
		})
	}

	refusals := []struct {
		name string
		phy  []byte
		want error
	}{
		{"type 0 RJcount0 repeated", rejoinRequest(t, 0, d, &active, 2), store.ErrRejoinCountReused},
		{"type 1 RJcount1 repeated", rejoinRequest(t, 1, d, &active, 1), store.ErrRejoinCountReused},
		{"type 0 wrong MIC", func() []byte { b := rejoinRequest(t, 0, d, &active, 9); b[len(b)-1] ^= 1; return b }(), join.ErrMIC},
		{"type 1 wrong MIC", func() []byte { b := rejoinRequest(t, 1, d, &active, 9); b[len(b)-1] ^= 1; return b }(), join.ErrMIC},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := e.srv.HandleRejoinRequest(ctx, request(tc.phy, 868100000)); !errors.Is(err, tc.want) {
				t.Errorf("err %v, want %v", err, tc.want)
			}
		})
	}

	t.Run("1.0 device", func(t *testing.T) {
		d10 := e.device(t, lorawan.EUI64{0, 0, 0, 0, 0, 0, 6, 2}, "1.0.3", "EU868")
		// Signed as if it were a 1.1 device: the version is refused first.
		as11 := d10
		as11.MACVersion, as11.RootKeys.NwkKey = "1.1", nwkKey
		if _, err := e.srv.HandleRejoinRequest(ctx, request(rejoinRequest(t, 1, as11, nil, 1), 868100000)); !errors.Is(err, join.ErrRejoinVersion) {
			t.Errorf("err %v, want ErrRejoinVersion", err)
		}
	})
	t.Run("other NetID", func(t *testing.T) {
		b := rejoinRequest(t, 0, d, &active, 20)
		// NetID is bytes 2..4 (little-endian); the MIC no longer matters.
		binary.LittleEndian.PutUint16(b[2:], 0x0099)
		if _, err := e.srv.HandleRejoinRequest(ctx, request(b, 868100000)); !errors.Is(err, join.ErrNetID) {
			t.Errorf("err %v, want ErrNetID", err)
		}
	})
}
