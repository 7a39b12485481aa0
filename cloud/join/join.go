// Package join is the cloud's join server: it answers LoRaWAN OTAA
// join-requests (1.0.x and 1.1) and LoRaWAN 1.1 rejoin-requests.
//
// A join-request is checked in this order: the device by DevEUI (OTAA, the
// JoinEUI it was registered with), the MIC under its root key (AppKey for
// 1.0.x, NwkKey for 1.1), then the DevNonce policy, atomically with the
// store (1.0.x: not among the recent DevNonces; 1.1: greater than the last).
// The accepted request gets a fresh JoinNonce from the store, a DevAddr in
// the network's NetID block (random NwkAddr, avoiding addresses in use),
// session keys (1.0: NwkSKey/AppSKey; 1.1 with OptNeg: the four 1.1 keys),
// and a join-accept with the configured RX settings and the region's CFList
// (extra frequencies in dynamic plans, the channel mask of the uplink's
// sub-band in US915/AU915). The join-accept goes to the downlink scheduler;
// only once it is scheduled is the new session stored, as the device's
// pending session, which its first uplink makes active. A join event is
// then published to the device's destination.
//
// Rejoin-requests (1.1 devices only) are checked with the current session's
// SNwkSIntKey (types 0 and 2) or the JSIntKey (type 1) and their RJcount
// with the store; the join-accept answering them is encrypted with JSEncKey,
// and RJcount takes the place of DevNonce in its MIC and in the key
// derivation, as LoRaWAN 1.1 devices (LoRaMac-node) expect. Basics Station
// 2.0.6 forwards no real rejoin-request (it only passes 23-byte frames of
// that type), so these reach the join server only from other forwarders.
//
// Root keys are expanded once per device (lorawan.RootKeys) and cached,
// the cache entry being replaced when the device's keys change.
package join

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Refusals the join server reports; callers count them with errors.Is.
// DevNonce and RJcount refusals wrap the store's sentinels
// (store.ErrDevNonceReused, store.ErrDevNonceNotIncreasing,
// store.ErrRejoinCountReused, store.ErrJoinNonceExhausted).
var (
	// ErrUnknownDevice: no device has the request's DevEUI.
	ErrUnknownDevice = errors.New("join: unknown device")
	// ErrNotOTAA: the device is activated by personalisation.
	ErrNotOTAA = errors.New("join: device is not an otaa device")
	// ErrJoinEUI: the request's JoinEUI is not the device's.
	ErrJoinEUI = errors.New("join: joineui mismatch")
	// ErrMIC: the request's MIC does not verify under the device's key.
	ErrMIC = errors.New("join: mic mismatch")
	// ErrNetID: a rejoin-request of type 0 or 2 names another network.
	ErrNetID = errors.New("join: netid mismatch")
	// ErrNoSession: a rejoin-request of type 0 or 2 from a device without
	// an active LoRaWAN 1.1 session.
	ErrNoSession = errors.New("join: no lorawan 1.1 session to rejoin")
	// ErrRejoinVersion: a rejoin-request from a LoRaWAN 1.0.x device.
	ErrRejoinVersion = errors.New("join: rejoin-request from a lorawan 1.0 device")
	// ErrNotScheduled: the join-accept could not be scheduled (the DevNonce
	// is used up all the same).
	ErrNotScheduled = errors.New("join: join-accept not scheduled")
)

// Store is what the join server needs from the store (*store.DB satisfies
// it).
type Store interface {
	GetDevice(ctx context.Context, devEUI lorawan.EUI64) (store.Device, error)
	GetSession(ctx context.Context, devEUI lorawan.EUI64) (store.Session, error)
	AcceptDevNonce(ctx context.Context, devEUI lorawan.EUI64, devNonce uint16) (uint32, error)
	AcceptRejoin(ctx context.Context, devEUI lorawan.EUI64, rejoinType uint8, rjCount uint16) (uint32, error)
	SessionsByDevAddr(ctx context.Context, addr lorawan.DevAddr) ([]store.Session, error)
	PutPendingSession(ctx context.Context, sess store.Session) error
}

var _ Store = (*store.DB)(nil)

// Scheduler takes the join-accept (*downlink.Scheduler satisfies it).
type Scheduler interface {
	ScheduleClassA(ctx context.Context, req downlink.ClassA) error
}

var _ Scheduler = (*downlink.Scheduler)(nil)

// Publisher publishes join events to a device's destination
// (*route.Router satisfies it).
type Publisher interface {
	Publish(ctx context.Context, dest string, msg route.Message) error
}

var _ Publisher = (*route.Router)(nil)

// Defaults of Options.
const (
	DefaultRxDelay         = 1
	DefaultDevAddrAttempts = 16
	DefaultCacheSize       = 1 << 16
)

// Options configures the join server.
type Options struct {
	// NetID is the network's NetID: it goes into join-accepts, and
	// DevAddrs are drawn from its block.
	NetID lorawan.NetID
	// RX1DROffset is the RX1 data-rate offset given to devices (capped to
	// the region's highest). Default 0.
	RX1DROffset uint8
	// RX2DR is the RX2 data rate given to devices; nil means the region's
	// default.
	RX2DR *uint8
	// RxDelay is the RX1 delay in seconds given to devices (1..15).
	// Default 1.
	RxDelay uint8
	// DevAddrAttempts bounds the random draws that look for a DevAddr no
	// session uses; after that a used one is taken (the MIC tells devices
	// apart). Default 16.
	DevAddrAttempts int
	// CacheSize bounds the devices whose expanded root keys are kept.
	// Default 65536.
	CacheSize int
	// Rand is the source of DevAddrs. Default crypto/rand.
	Rand io.Reader
	// Logger receives the join server's logs. Default slog.Default().
	Logger *slog.Logger
	// Now is the clock of join events. Default time.Now.
	Now func() time.Time
}

// Server is the join server. It is safe for concurrent use.
type Server struct {
	db    Store
	sched Scheduler
	pub   Publisher
	opts  Options
	log   *slog.Logger
	space AddrSpace

	mu      sync.Mutex
	keys    map[lorawan.EUI64]rootEntry
	regions map[string]*lorawan.Region
}

// rootEntry is a device's expanded root keys, valid while the stored keys
// and version are these.
type rootEntry struct {
	keys    store.RootKeys
	version lorawan.MACVersion
	rk      *lorawan.RootKeys
}

// New returns a join server that reads and records in db, schedules
// join-accepts with sched and publishes join events with pub (nil: none).
func New(db Store, sched Scheduler, pub Publisher, opts Options) (*Server, error) {
	if db == nil || sched == nil {
		return nil, errors.New("join: store and scheduler are required")
	}
	if opts.RxDelay == 0 {
		opts.RxDelay = DefaultRxDelay
	}
	if opts.RxDelay > 15 || opts.RX1DROffset > 7 || (opts.RX2DR != nil && *opts.RX2DR > 15) {
		return nil, errors.New("join: rx settings out of range")
	}
	if opts.DevAddrAttempts <= 0 {
		opts.DevAddrAttempts = DefaultDevAddrAttempts
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Server{
		db: db, sched: sched, pub: pub, opts: opts,
		log:     opts.Logger,
		space:   AddrSpaceOf(opts.NetID),
		keys:    make(map[lorawan.EUI64]rootEntry),
		regions: make(map[string]*lorawan.Region),
	}, nil
}

// Request is one deduplicated join- or rejoin-request.
type Request struct {
	// PHYPayload is the frame as received.
	PHYPayload []byte
	// Receptions is every gateway's copy, for the scheduler.
	Receptions []downlink.Reception
	// DR and Freq are the uplink's data rate index and frequency (Hz).
	DR   int
	Freq uint32
	// ReceivedAt is when the first copy arrived.
	ReceivedAt time.Time
}

// Accepted describes a join the server answered.
type Accepted struct {
	Device     store.Device
	Session    store.Session // the pending session stored
	JoinNonce  uint32
	JoinAccept []byte // the join-accept PHYPayload scheduled
}

// HandleJoinRequest answers a join-request. An error reports a refusal
// (see the Err variables and the store's DevNonce sentinels) or a failure;
// nothing is stored for a refused request except the DevNonce of one that
// passed the MIC check.
func (s *Server) HandleJoinRequest(ctx context.Context, req Request) (*Accepted, error) {
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(req.PHYPayload); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if p.MHDR.MType != lorawan.JoinRequest {
		return nil, fmt.Errorf("join: %w: %s is not a join-request", lorawan.ErrMalformed, p.MHDR.MType)
	}
	jr := p.JoinRequest
	dev, rk, err := s.device(ctx, jr.DevEUI)
	if err != nil {
		return nil, err
	}
	if jr.JoinEUI != dev.JoinEUI {
		return nil, fmt.Errorf("%w: device %s, request %s", ErrJoinEUI, jr.DevEUI, jr.JoinEUI)
	}
	mic, err := rk.JoinRequestMIC(req.PHYPayload[:len(req.PHYPayload)-4])
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if mic != p.MIC {
		return nil, fmt.Errorf("%w: device %s", ErrMIC, jr.DevEUI)
	}
	joinNonce, err := s.db.AcceptDevNonce(ctx, jr.DevEUI, jr.DevNonce)
	if err != nil {
		return nil, fmt.Errorf("join: device %s: %w", jr.DevEUI, err)
	}
	return s.accept(ctx, req, dev, rk, nil, lorawan.JoinReqTypeJoin, joinNonce, jr.DevNonce)
}

// HandleRejoinRequest answers a LoRaWAN 1.1 rejoin-request of type 0, 1 or
// 2. Type 2 keeps the session's radio settings; types 0 and 1 restore the
// defaults and send the region's CFList.
func (s *Server) HandleRejoinRequest(ctx context.Context, req Request) (*Accepted, error) {
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(req.PHYPayload); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	if p.MHDR.MType != lorawan.RejoinRequest {
		return nil, fmt.Errorf("join: %w: %s is not a rejoin-request", lorawan.ErrMalformed, p.MHDR.MType)
	}
	rj := p.Rejoin
	dev, rk, err := s.device(ctx, rj.DevEUI)
	if err != nil {
		return nil, err
	}
	if rk.MACVersion() != lorawan.MACVersion1_1 {
		return nil, fmt.Errorf("%w: device %s", ErrRejoinVersion, rj.DevEUI)
	}
	msg := req.PHYPayload[:len(req.PHYPayload)-4]
	var mic [4]byte
	var current *store.Session
	switch rj.Type {
	case 0, 2:
		if rj.NetID != s.opts.NetID {
			return nil, fmt.Errorf("%w: device %s, request %s", ErrNetID, rj.DevEUI, rj.NetID)
		}
		sess, err := s.db.GetSession(ctx, rj.DevEUI)
		if errors.Is(err, store.ErrNotFound) || (err == nil && sess.MACVersion != lorawan.MACVersion1_1) {
			return nil, fmt.Errorf("%w: device %s", ErrNoSession, rj.DevEUI)
		}
		if err != nil {
			return nil, fmt.Errorf("join: device %s: %w", rj.DevEUI, err)
		}
		k := sess.Keys
		if mic, err = lorawan.NewSession11(k.FNwkSIntKey, k.SNwkSIntKey, k.NwkSEncKey, k.AppSKey).RejoinRequestMIC(msg); err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
		current = &sess
	case 1:
		if rj.JoinEUI != dev.JoinEUI {
			return nil, fmt.Errorf("%w: device %s, request %s", ErrJoinEUI, rj.DevEUI, rj.JoinEUI)
		}
		if mic, err = rk.RejoinRequestMIC(msg); err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
	default:
		return nil, fmt.Errorf("join: %w: rejoin type %d", lorawan.ErrMalformed, rj.Type)
	}
	if mic != p.MIC {
		return nil, fmt.Errorf("%w: device %s rejoin type %d", ErrMIC, rj.DevEUI, rj.Type)
	}
	joinNonce, err := s.db.AcceptRejoin(ctx, rj.DevEUI, rj.Type, rj.RJCount)
	if err != nil {
		return nil, fmt.Errorf("join: device %s: %w", rj.DevEUI, err)
	}
	var keep *store.Session
	if rj.Type == 2 {
		keep = current
	}
	return s.accept(ctx, req, dev, rk, keep, lorawan.JoinReqType(rj.Type), joinNonce, rj.RJCount)
}

// device returns the OTAA device devEUI and its expanded root keys.
func (s *Server) device(ctx context.Context, devEUI lorawan.EUI64) (store.Device, *lorawan.RootKeys, error) {
	dev, err := s.db.GetDevice(ctx, devEUI)
	if errors.Is(err, store.ErrNotFound) {
		return dev, nil, fmt.Errorf("%w: %s", ErrUnknownDevice, devEUI)
	}
	if err != nil {
		return dev, nil, fmt.Errorf("join: %w", err)
	}
	if dev.ABP {
		return dev, nil, fmt.Errorf("%w: %s", ErrNotOTAA, devEUI)
	}
	v, err := dev.Version()
	if err != nil {
		return dev, nil, fmt.Errorf("join: device %s: %w", devEUI, err)
	}
	return dev, s.rootKeys(dev, v), nil
}

// rootKeys returns the cached expansion of the device's root keys,
// expanding them when the device is new to the cache or its keys changed.
func (s *Server) rootKeys(dev store.Device, v lorawan.MACVersion) *lorawan.RootKeys {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.keys[dev.DevEUI]; ok && e.keys == dev.RootKeys && e.version == v {
		return e.rk
	}
	var rk *lorawan.RootKeys
	if v == lorawan.MACVersion1_1 {
		rk = lorawan.NewRootKeys11(dev.RootKeys.AppKey, dev.RootKeys.NwkKey, dev.DevEUI)
	} else {
		rk = lorawan.NewRootKeys10(dev.RootKeys.AppKey)
	}
	if len(s.keys) >= s.opts.CacheSize {
		for k := range s.keys { // forget one, any
			delete(s.keys, k)
			break
		}
	}
	s.keys[dev.DevEUI] = rootEntry{keys: dev.RootKeys, version: v, rk: rk}
	return rk
}

// Region returns the cached regional parameters of name.
func (s *Server) Region(name string) (*lorawan.Region, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.regions[name]; ok {
		return r, nil
	}
	r, err := lorawan.RegionByName(name)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	s.regions[name] = r
	return r, nil
}

// accept builds and schedules the join-accept for an accepted (re)join,
// then stores the pending session and publishes the join event. keep, for a
// type 2 rejoin, is the session whose radio settings stay.
func (s *Server) accept(ctx context.Context, req Request, dev store.Device, rk *lorawan.RootKeys, keep *store.Session,
	jrt lorawan.JoinReqType, joinNonce uint32, devNonce uint16) (*Accepted, error) {
	region, err := s.Region(dev.Region)
	if err != nil {
		return nil, err
	}
	addr, err := s.allocate(ctx)
	if err != nil {
		return nil, err
	}
	v := rk.MACVersion()
	sess := store.Session{DevEUI: dev.DevEUI, DevAddr: addr, MACVersion: v}
	if v == lorawan.MACVersion1_1 {
		k, err := rk.SessionKeys11(joinNonce, dev.JoinEUI, devNonce)
		if err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
		sess.Keys = store.SessionKeys{FNwkSIntKey: k.FNwkSIntKey, SNwkSIntKey: k.SNwkSIntKey, NwkSEncKey: k.NwkSEncKey, AppSKey: k.AppSKey}
	} else {
		nwk, app, err := rk.SessionKeys10(joinNonce, s.opts.NetID, devNonce)
		if err != nil {
			return nil, fmt.Errorf("join: %w", err)
		}
		sess.Keys = store.SessionKeys10(nwk, app)
	}

	ja := lorawan.JoinAcceptPayload{JoinNonce: joinNonce, NetID: s.opts.NetID, DevAddr: addr}
	if keep != nil {
		sess.RX1DROffset, sess.RX2DR, sess.RX2Frequency, sess.RxDelay = keep.RX1DROffset, keep.RX2DR, keep.RX2Frequency, keep.RxDelay
		sess.CFList = keep.CFList
	} else {
		sess.RX1DROffset, sess.RX2DR, sess.RxDelay = s.rxSettings(region)
		// The frequency is written out: a session with none set reads an
		// RX2DR of 0 as "the region's default", which it is not in every
		// region (AS923 and IN865: DR2), and the device was told this one.
		sess.RX2Frequency = region.RX2Frequency()
		cf, err := CFListFor(region, req.Freq)
		if err != nil {
			return nil, fmt.Errorf("join: device %s: %w", dev.DevEUI, err)
		}
		if cf != nil {
			ja.CFList = cf
			if sess.CFList, err = cf.MarshalBinary(); err != nil {
				return nil, fmt.Errorf("join: %w", err)
			}
		}
	}
	ja.DLSettings = lorawan.DLSettings{OptNeg: v == lorawan.MACVersion1_1, RX1DROffset: sess.RX1DROffset, RX2DataRate: sess.RX2DR}
	ja.RxDelay = sess.RxDelay

	msg := make([]byte, 1, 1+28)
	msg[0] = byte(lorawan.JoinAccept) << 5
	if msg, err = ja.AppendBinary(msg); err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	phy, err := rk.AppendJoinAccept(make([]byte, 0, 33), msg, jrt, dev.JoinEUI, devNonce)
	if err != nil {
		return nil, fmt.Errorf("join: %w", err)
	}
	err = s.sched.ScheduleClassA(ctx, downlink.ClassA{
		Device:     dev,
		Region:     region,
		Receptions: req.Receptions,
		UplinkDR:   req.DR,
		UplinkFreq: req.Freq,
		JoinAccept: phy,
	})
	if err != nil {
		return nil, fmt.Errorf("%w: device %s: %w", ErrNotScheduled, dev.DevEUI, err)
	}
	if err := s.db.PutPendingSession(ctx, sess); err != nil {
		return nil, fmt.Errorf("join: device %s: store session: %w", dev.DevEUI, err)
	}
	s.log.Info("join accepted", "dev_eui", dev.DevEUI.String(), "dev_addr", addr.String(),
		"mac_version", v.String(), "join_type", joinTypeName(jrt), "gateways", len(req.Receptions))
	s.publishJoin(ctx, dev, sess, req)
	return &Accepted{Device: dev, Session: sess, JoinNonce: joinNonce, JoinAccept: phy}, nil
}

func joinTypeName(jrt lorawan.JoinReqType) string {
	switch jrt {
	case lorawan.JoinReqTypeJoin:
		return "join"
	case lorawan.JoinReqTypeRejoin0:
		return "rejoin0"
	case lorawan.JoinReqTypeRejoin1:
		return "rejoin1"
	case lorawan.JoinReqTypeRejoin2:
		return "rejoin2"
	}
	return "unknown"
}

// rxSettings returns the RX1DROffset, RX2 data rate and RX1 delay to give a
// device of region.
func (s *Server) rxSettings(region *lorawan.Region) (rx1Offset, rx2DR, rxDelay uint8) {
	rx1Offset = min(s.opts.RX1DROffset, uint8(region.MaxRX1DROffset()))
	rx2DR = uint8(region.RX2DataRate())
	if s.opts.RX2DR != nil {
		if d, err := region.DataRate(int(*s.opts.RX2DR)); err == nil && d.Downlink && d.Usable() {
			rx2DR = *s.opts.RX2DR
		}
	}
	return rx1Offset, rx2DR, s.opts.RxDelay
}

// CFListFor returns the CFList of a join-accept in region for a request
// heard on freq: the extra channel frequencies of a dynamic plan, or for a
// fixed plan the channel mask enabling the sub-band that freq belongs to
// (its eight 125 kHz channels and its 500 kHz channel). Nil when the region
// has no extra channels.
func CFListFor(region *lorawan.Region, freq uint32) (*lorawan.CFList, error) {
	if region.FixedChannelPlan() {
		idx, err := region.UplinkChannelIndex(freq)
		if err != nil {
			return nil, fmt.Errorf("join: cflist: %w", err)
		}
		sb := idx/8 + 1
		if idx >= 64 {
			sb = idx - 64 + 1
		}
		masks, err := region.CFListChMask(sb)
		if err != nil {
			return nil, fmt.Errorf("join: cflist: %w", err)
		}
		return &lorawan.CFList{Type: lorawan.CFListChannelMask, ChMasks: masks}, nil
	}
	freqs := region.CFListFrequencies()
	if len(freqs) == 0 {
		return nil, nil
	}
	cf := &lorawan.CFList{Type: lorawan.CFListFrequencies}
	copy(cf.Frequencies[:], freqs)
	return cf, nil
}

// allocate draws a DevAddr in the NetID's block that no session uses, or,
// after DevAddrAttempts draws, the last one drawn.
func (s *Server) allocate(ctx context.Context) (lorawan.DevAddr, error) {
	var addr lorawan.DevAddr
	for i := range s.opts.DevAddrAttempts {
		r, err := s.randomUint32()
		if err != nil {
			return addr, err
		}
		addr = s.space.Make(r)
		used, err := s.db.SessionsByDevAddr(ctx, addr)
		if err != nil {
			return addr, fmt.Errorf("join: devaddr: %w", err)
		}
		if len(used) == 0 {
			return addr, nil
		}
		if i == s.opts.DevAddrAttempts-1 {
			s.log.Warn("join: every devaddr drawn is in use; sharing one", "dev_addr", addr.String(), "space", s.space.String())
		}
	}
	return addr, nil
}

// publishJoin sends the join event to the device's destination, if any.
func (s *Server) publishJoin(ctx context.Context, dev store.Device, sess store.Session, req Request) {
	if s.pub == nil || dev.Destination == "" {
		return
	}
	ev := &route.JoinEvent{
		WirelessDeviceId: WirelessDeviceID(dev),
		DevEui:           dev.DevEUI,
		DevAddr:          sess.DevAddr,
		JoinEui:          dev.JoinEUI,
		MACVersion:       sess.MACVersion.String(),
		Timestamp:        route.Timestamp(req.ReceivedAt),
	}
	if req.ReceivedAt.IsZero() {
		ev.Timestamp = route.Timestamp(s.opts.Now())
	}
	for _, r := range req.Receptions {
		ev.Gateways = append(ev.Gateways, route.Gateway{GatewayEui: r.Gateway, Rssi: r.RSSI, Snr: r.SNR})
	}
	if err := s.pub.Publish(ctx, dev.Destination, ev); err != nil {
		s.log.Warn("join event not published", "dev_eui", dev.DevEUI.String(), "destination", dev.Destination, "err", err)
	}
}

// WirelessDeviceID is how a device is named in the messages it produces:
// its name, or its DevEUI in hex when it has none (the downlink events use
// the same rule).
func WirelessDeviceID(dev store.Device) string {
	if dev.Name != "" {
		return dev.Name
	}
	return dev.DevEUI.String()
}
