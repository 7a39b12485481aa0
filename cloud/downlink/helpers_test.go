package downlink_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// The scheduler's dependencies as the cloud wires them.
var (
	_ downlink.Sender         = (*gateway.Server)(nil)
	_ downlink.Store          = (*store.DB)(nil)
	_ downlink.EventPublisher = (*route.Router)(nil)
)

// Session keys of the test devices (1.1 uses all four; 1.0 the first as
// NwkSKey and the last as AppSKey).
var (
	keyF   = lorawan.AES128Key{0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x10}
	keyS   = lorawan.AES128Key{0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30}
	keyE   = lorawan.AES128Key{0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f, 0x50}
	keyApp = lorawan.AES128Key{0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70}
	appKey = lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
)

// Gateways of the tests.
var (
	gw1 = lorawan.EUI64{0xaa, 0, 0, 0, 0, 0, 0, 1}
	gw2 = lorawan.EUI64{0xaa, 0, 0, 0, 0, 0, 0, 2}
	gw3 = lorawan.EUI64{0xaa, 0, 0, 0, 0, 0, 0, 3}
)

// sent is one message a gateway was given.
type sent struct {
	gw  lorawan.EUI64
	msg *station.Dnmsg
	raw []byte // as written on the socket
}

// recSender records what it is asked to send, as the JSON a gateway would
// read, and fails for the gateways listed in fail.
type recSender struct {
	mu   sync.Mutex
	fail map[lorawan.EUI64]bool
	c    chan sent
}

func newRecSender() *recSender {
	return &recSender{fail: map[lorawan.EUI64]bool{}, c: make(chan sent, 256)}
}

var errOffline = errors.New("test: gateway offline")

func (r *recSender) Send(_ context.Context, gw lorawan.EUI64, msg station.Message) error {
	r.mu.Lock()
	fail := r.fail[gw]
	r.mu.Unlock()
	if fail {
		return errOffline
	}
	raw, err := station.Encode(msg)
	if err != nil {
		return err
	}
	back, err := station.Decode(raw)
	if err != nil {
		return err
	}
	r.c <- sent{gw: gw, msg: back.(*station.Dnmsg), raw: raw}
	return nil
}

func (r *recSender) setFail(gw lorawan.EUI64, fail bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fail[gw] = fail
}

// next returns the next message sent, failing the test after 5 s.
func (r *recSender) next(t *testing.T) sent {
	t.Helper()
	select {
	case s := <-r.c:
		return s
	case <-time.After(5 * time.Second):
		t.Fatal("no dnmsg sent")
	}
	return sent{}
}

// none checks that nothing was sent (everything the scheduler does before
// returning is synchronous, so nothing can still come).
func (r *recSender) none(t *testing.T) {
	t.Helper()
	select {
	case s := <-r.c:
		t.Fatalf("unexpected dnmsg to %s: %s", s.gw, s.raw)
	default:
	}
}

// recEvents records published events.
type recEvents struct{ c chan *route.DownlinkEvent }

func (r *recEvents) PublishEvent(_ context.Context, ev *route.DownlinkEvent) error {
	r.c <- ev
	return nil
}

// next returns the next event, failing after 5 s.
func (r *recEvents) next(t *testing.T) *route.DownlinkEvent {
	t.Helper()
	select {
	case ev := <-r.c:
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event published")
	}
	return nil
}

// harness is a scheduler over a real temporary store.
type harness struct {
	db     *store.DB
	sched  *downlink.Scheduler
	sender *recSender
	events *recEvents
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func newHarness(t *testing.T, opts downlink.Options) *harness {
	t.Helper()
	return newHarnessOn(t, storetest.Open(t), opts)
}

func newHarnessOn(t *testing.T, db *store.DB, opts downlink.Options) *harness {
	t.Helper()
	h := &harness{db: db, sender: newRecSender(), events: &recEvents{c: make(chan *route.DownlinkEvent, 64)}}
	opts.Events = h.events
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	s, err := downlink.New(db, h.sender, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h.sched = s
	return h
}

// devSpec describes a test device and its session.
type devSpec struct {
	eui     lorawan.EUI64
	name    string
	region  string
	class   string
	version string // "1.0.3" or "1.1"
	addr    lorawan.DevAddr
	offset  uint8  // RX1DROffset
	delay   uint8  // RxDelay
	rx2DR   uint8  // with rx2Freq
	rx2Freq uint32 // 0: region default
}

// testDevice is a device in the store and its side of the session.
type testDevice struct {
	dev    store.Device
	sess   store.Session
	crypto *lorawan.Session // the network's copy
	device *lorawan.Session // the end device's copy (separately built)
}

func (h *harness) addDevice(t testing.TB, d devSpec) testDevice {
	t.Helper()
	if d.region == "" {
		d.region = "EU868"
	}
	if d.class == "" {
		d.class = store.ClassA
	}
	if d.version == "" {
		d.version = "1.0.3"
	}
	if d.addr == (lorawan.DevAddr{}) {
		d.addr = lorawan.DevAddr{0x26, 0x01, d.eui[6], d.eui[7]}
	}
	dev := store.Device{
		DevEUI:     d.eui,
		JoinEUI:    lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0, 0, 0},
		Name:       d.name,
		MACVersion: d.version,
		Class:      d.class,
		Region:     d.region,
		RootKeys:   store.RootKeys{AppKey: appKey, NwkKey: appKey},
	}
	ctx := context.Background()
	if err := h.db.PutDevice(ctx, dev); err != nil {
		t.Fatal(err)
	}
	ver, err := dev.Version()
	if err != nil {
		t.Fatal(err)
	}
	sess := store.Session{
		DevEUI:       d.eui,
		DevAddr:      d.addr,
		MACVersion:   ver,
		RX1DROffset:  d.offset,
		RxDelay:      d.delay,
		RX2DR:        d.rx2DR,
		RX2Frequency: d.rx2Freq,
	}
	td := testDevice{dev: dev}
	if ver == lorawan.MACVersion1_1 {
		sess.Keys = store.SessionKeys{FNwkSIntKey: keyF, SNwkSIntKey: keyS, NwkSEncKey: keyE, AppSKey: keyApp}
		td.crypto = lorawan.NewSession11(keyF, keyS, keyE, keyApp)
		td.device = lorawan.NewSession11(keyF, keyS, keyE, keyApp)
	} else {
		sess.Keys = store.SessionKeys10(keyF, keyApp)
		td.crypto = lorawan.NewSession10(keyF, keyApp)
		td.device = lorawan.NewSession10(keyF, keyApp)
	}
	if err := h.db.PutSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if td.sess, err = h.db.GetSession(ctx, d.eui); err != nil {
		t.Fatal(err)
	}
	return td
}

func mustRegion(t testing.TB, name string) *lorawan.Region {
	t.Helper()
	r, err := lorawan.RegionByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// xt is a valid xtime of radio unit 0, session 0x42, at µs.
func xt(us int64) int64 { return int64(station.NewXTime(0, 0x42, us)) }

// reception is one gateway copy received now.
func reception(gw lorawan.EUI64, rctx int64, us int64, snr, rssi float64) downlink.Reception {
	return downlink.Reception{Gateway: gw, Rctx: rctx, XTime: xt(us), RSSI: rssi, SNR: snr, ReceivedAt: time.Now()}
}

// classA builds a Class A request for an uplink of td at dr and freq heard
// by gw1.
func (td testDevice) classA(t testing.TB, dr int, freq uint32) downlink.ClassA {
	t.Helper()
	sess := td.sess
	r := reception(gw1, 0, 1_000_000, 5, -60)
	r.DR, r.Freq = dr, freq
	return downlink.ClassA{
		Device:     td.dev,
		Session:    &sess,
		Crypto:     td.crypto,
		Region:     mustRegion(t, td.dev.Region),
		Receptions: []downlink.Reception{r},
		UplinkDR:   dr,
		UplinkFreq: freq,
	}
}

// rx is what the end device makes of a downlink data frame.
type rx struct {
	phy     lorawan.PHYPayload
	fcnt    uint32
	fopts   []byte // in clear
	payload []byte // in clear
}

// deviceReceive plays the end device: it parses pdu, rebuilds the 32-bit
// counter from lastFCnt, checks the MIC with its own copy of the keys
// (confFCnt is the counter of its last confirmed uplink, for 1.1 ACKs), and
// decrypts FOpts (1.1) and FRMPayload.
func (td testDevice) deviceReceive(t *testing.T, pdu []byte, lastFCnt uint32, confFCnt uint16) rx {
	t.Helper()
	var out rx
	frame := bytes.Clone(pdu)
	if err := out.phy.UnmarshalBinary(frame); err != nil {
		t.Fatalf("device: parse %x: %v", pdu, err)
	}
	p := &out.phy
	if p.MHDR.MType != lorawan.UnconfirmedDataDown && p.MHDR.MType != lorawan.ConfirmedDataDown {
		t.Fatalf("device: mtype %v, want a data downlink", p.MHDR.MType)
	}
	if p.FHDR.DevAddr != td.sess.DevAddr {
		t.Fatalf("device: devaddr %s, want %s", p.FHDR.DevAddr, td.sess.DevAddr)
	}
	out.fcnt = lorawan.FullFCnt(lastFCnt, p.FHDR.FCnt)
	var conf uint16
	if p.FHDR.FCtrl.ACK {
		conf = confFCnt
	}
	mic, err := td.device.DownlinkMIC(frame[:len(frame)-4], p.FHDR.DevAddr, out.fcnt, conf)
	if err != nil {
		t.Fatal(err)
	}
	if mic != p.MIC {
		t.Fatalf("device: mic %x, want %x: the frame does not verify", p.MIC, mic)
	}
	out.fopts = bytes.Clone(p.FHDR.FOpts)
	if len(out.fopts) > 0 && td.device.MACVersion() == lorawan.MACVersion1_1 {
		aFCnt := p.FPortPresent && p.FPort > 0
		if err := td.device.XORFOpts(out.fopts, out.fopts, false, p.FHDR.DevAddr, out.fcnt, aFCnt); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.FRMPayload) > 0 {
		out.payload = make([]byte, len(p.FRMPayload))
		if err := td.device.XORFRMPayload(out.payload, p.FRMPayload, false, p.FHDR.DevAddr, out.fcnt, p.FPort); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// enqueue queues an application downlink through the scheduler.
func (h *harness) enqueue(t *testing.T, dev lorawan.EUI64, fport uint8, payload []byte, confirmed bool) uint64 {
	t.Helper()
	id, err := h.sched.Enqueue(context.Background(), dev, route.Downlink{FPort: fport, PayloadData: payload, Confirmed: confirmed})
	if err != nil {
		t.Fatalf("Enqueue: %v", err)
	}
	return id
}

// queue returns the device's queue.
func (h *harness) queue(t *testing.T, dev lorawan.EUI64) []store.Downlink {
	t.Helper()
	l, err := h.db.ListDownlinks(context.Background(), dev)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// dntxed answers s as its gateway would once on air.
func (h *harness) dntxed(s sent) {
	h.sched.HandleDntxed(context.Background(), s.gw, &station.Dntxed{
		Diid: s.msg.Diid, DevEUI: s.msg.DevEUI, XTime: s.msg.XTime, Rctx: derefInt64(s.msg.Rctx),
	})
}

func derefInt64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

// logWatch is a slog.Handler that hands every message to a channel.
type logWatch struct{ c chan string }

func newLogWatch() *logWatch { return &logWatch{c: make(chan string, 256)} }

func (l *logWatch) Enabled(context.Context, slog.Level) bool { return true }

func (l *logWatch) Handle(_ context.Context, r slog.Record) error {
	select {
	case l.c <- r.Message:
	default:
	}
	return nil
}

func (l *logWatch) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logWatch) WithGroup(string) slog.Handler      { return l }

// wait returns once msg was logged, failing after 5 s.
func (l *logWatch) wait(t *testing.T, msg string) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-l.c:
			if m == msg {
				return
			}
		case <-deadline:
			t.Fatalf("%q never logged", msg)
		}
	}
}
