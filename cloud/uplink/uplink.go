// Package uplink is the cloud's uplink pipeline. It takes the messages the
// gateway endpoint decodes (gateway.Handler), rebuilds each frame's bytes,
// merges the copies several gateways forward (cloud/dedup), and hands each
// frame to its path:
//
//   - join- and rejoin-requests to the join server (cloud/join);
//   - data uplinks through the data path: candidate sessions by DevAddr
//     (active and pending), the 32-bit frame counter rebuilt, the MIC
//     picking the device, replays and old counters refused (a
//     retransmission of the last confirmed uplink is ACKed again but not
//     routed twice), the counter advanced in the store atomically with its
//     check (group-committed) before anything is routed, a pending session
//     activated by its first uplink, FOpts (1.1) and FRMPayload decrypted,
//     MAC commands to cloud/mac, the Class A answer to the downlink
//     scheduler, and the uplink, in the AWS IoT Core for LoRaWAN shape, to
//     the device's destination;
//   - dntxed to the scheduler; propdf is counted and logged.
//
// The Class A answer is scheduled before the uplink is published: the
// receive windows open one second after the uplink, while a destination (a
// webhook, a slow broker) may take longer; the uplink is routed either way.
// Only uplinks that carry application data (FPort 1..255) are routed.
//
// Frames are processed by a fixed set of workers, each frame on the worker
// its DevAddr (or DevEUI for joins) hashes to, so the frames of one device
// are handled in order while many devices proceed at once (which lets the
// store group their counter commits). Session crypto (lorawan.Session, with
// its key schedules) is cached per device and replaced when the stored
// keys change, so a frame costs no key expansion; the device's settings
// (region, destination, class, name) are cached too, checked against the
// store's DeviceVersion on every frame, so a frame reads no device record
// and a change to a device (a new destination, a deletion) holds from the
// next frame on, and for a frame in flight from its routing on.
package uplink

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/cloud/mac"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// Store is what the pipeline needs from the store (*store.DB satisfies it).
type Store interface {
	join.Store
	AdvanceFCntUp(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32) error
	AdvanceFCntUpConfirmed(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32) error
	ActivatePendingSession(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32, confirmed bool) error
	UpdateSession(ctx context.Context, devEUI lorawan.EUI64, fn func(*store.Session) error) error
	// GetDeviceInfo and DeviceVersion feed the device cache: the device
	// without its keys, and a version that moves with every change to it.
	GetDeviceInfo(ctx context.Context, devEUI lorawan.EUI64) (store.Device, error)
	DeviceVersion(devEUI lorawan.EUI64) uint64
}

var _ Store = (*store.DB)(nil)

// Scheduler is what the pipeline needs from the downlink scheduler
// (*downlink.Scheduler satisfies it).
type Scheduler interface {
	join.Scheduler
	AckReceived(ctx context.Context, devEUI lorawan.EUI64) error
	HandleDntxed(ctx context.Context, gw lorawan.EUI64, m *station.Dntxed)
}

var _ Scheduler = (*downlink.Scheduler)(nil)

// Publisher delivers messages to a destination by name (*route.Router
// satisfies it).
type Publisher interface {
	Publish(ctx context.Context, dest string, msg route.Message) error
}

var _ Publisher = (*route.Router)(nil)

var _ gateway.Handler = (*Pipeline)(nil)

// Defaults of Options.
const (
	DefaultWorkers        = 256
	DefaultWorkerQueue    = 64
	DefaultPublishTimeout = 10 * time.Second
	DefaultCacheSize      = 1 << 16
)

// Options configures the pipeline; zero values take the defaults.
type Options struct {
	// NetID is the network's NetID (join-accepts, DevAddr block, rejoin
	// checks).
	NetID lorawan.NetID
	// Join holds the join server's radio settings (RX1DROffset, RX2DR,
	// RxDelay) and DevAddr options; its NetID, Logger and Now are set from
	// these Options.
	Join join.Options
	// MAC tunes the MAC layer and the ADR engine.
	MAC mac.Options
	// Dedup tunes the deduplication window (200 ms by default); its Clock
	// is Clock.
	Dedup dedup.Options
	// Workers is the number of frames processed at once. Default 256. A
	// worker waits out its frame's counter commit (the store's group
	// commit: its batch delay, 2 ms by default, and an fsync), so the
	// pipeline's throughput is at most Workers frames per commit.
	Workers int
	// WorkerQueue is the frames waiting per worker before the
	// deduplicator's deliveries (and so the gateways' reads) wait. Default
	// 64.
	WorkerQueue int
	// PublishTimeout bounds the delivery of one uplink to its destination.
	// Default 10 s.
	PublishTimeout time.Duration
	// CacheSize bounds the sessions whose crypto is kept, and the devices
	// whose settings are kept. Default 65536.
	CacheSize int
	// Clock is the deduplicator's clock. Default the wall clock.
	Clock dedup.Clock
	// Logger receives the pipeline's logs. Default slog.Default().
	Logger *slog.Logger
	// Observe, when set, is called with the outcome of every
	// deduplicated frame once the pipeline is done with it (for metrics,
	// traces and tests). It runs on the worker and must be quick.
	Observe func(Outcome)
}

// Outcome is what became of one deduplicated frame.
type Outcome struct {
	MType lorawan.MType
	// DevEUI is the device, once known (zero for a frame refused before).
	DevEUI lorawan.EUI64
	// FCnt is the full frame counter of an authenticated data frame.
	FCnt uint32
	// Gateways is the number of gateways that forwarded the frame.
	Gateways int
	// Refused reports a refusal, for Reason.
	Refused bool
	Reason  Reason
	// Retransmission reports a confirmed uplink repeated by the device,
	// ACKed again and not routed.
	Retransmission bool
	// Routed reports an uplink published to its destination.
	Routed bool
}

// Pipeline is the uplink pipeline; create it with New, stop it with Close.
// It is safe for concurrent use.
type Pipeline struct {
	db    Store
	sched Scheduler
	pub   Publisher
	opts  Options
	log   *slog.Logger
	join  *join.Server
	mac   *mac.Handler
	dedup *dedup.Deduplicator
	cache *cryptoCache
	devs  *deviceCache

	ctx    context.Context // ends after Close drained the workers
	cancel context.CancelFunc
	shards []chan dedup.Frame
	wg     sync.WaitGroup

	closeMu      sync.RWMutex // held for reading by deliveries, for writing by Close
	queuesClosed bool         // under closeMu
	closed       atomic.Bool

	c counters
}

// New returns a running pipeline that checks frames against db, answers
// through sched and routes through pub.
func New(db Store, sched Scheduler, pub Publisher, opts Options) (*Pipeline, error) {
	if db == nil || sched == nil || pub == nil {
		return nil, errors.New("uplink: store, scheduler and publisher are required")
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.WorkerQueue <= 0 {
		opts.WorkerQueue = DefaultWorkerQueue
	}
	if opts.PublishTimeout <= 0 {
		opts.PublishTimeout = DefaultPublishTimeout
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	p := &Pipeline{db: db, sched: sched, pub: pub, opts: opts, log: opts.Logger,
		cache: newCryptoCache(opts.CacheSize), devs: newDeviceCache(opts.CacheSize)}
	jopts := opts.Join
	jopts.NetID, jopts.Logger = opts.NetID, opts.Logger
	var err error
	if p.join, err = join.New(db, sched, pub, jopts); err != nil {
		return nil, err
	}
	if p.mac, err = mac.New(opts.MAC); err != nil {
		return nil, err
	}
	dopts := opts.Dedup
	dopts.Clock = opts.Clock
	if p.dedup, err = dedup.New(p.deliver, dopts); err != nil {
		return nil, err
	}
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.shards = make([]chan dedup.Frame, opts.Workers)
	for i := range p.shards {
		ch := make(chan dedup.Frame, opts.WorkerQueue)
		p.shards[i] = ch
		p.wg.Add(1)
		go p.work(ch)
	}
	return p, nil
}

// Close stops taking messages, processes the frames still in their
// deduplication window and those queued, and returns once every worker is
// done.
func (p *Pipeline) Close() error {
	if p.closed.Swap(true) {
		return nil
	}
	p.dedup.Close() // delivers what is pending
	p.closeMu.Lock()
	p.queuesClosed = true
	for _, ch := range p.shards {
		close(ch)
	}
	p.closeMu.Unlock()
	p.wg.Wait()
	p.cancel()
	return nil
}

// HandleUplink takes one message from a gateway: uplink frames go to the
// deduplicator, dntxed to the scheduler.
func (p *Pipeline) HandleUplink(ctx context.Context, up gateway.Uplink) {
	var (
		phy  []byte
		meta *station.UplinkMeta
		err  error
	)
	switch m := up.Message.(type) {
	case *station.Updf:
		p.c.updf.Add(1)
		phy, err = m.PHYPayload()
		meta = &m.UplinkMeta
	case *station.Jreq:
		p.c.jreq.Add(1)
		phy, err = m.PHYPayload()
		meta = &m.UplinkMeta
	case *station.Rejoin:
		p.c.rejoin.Add(1)
		phy, err = m.PHYPayload()
		meta = &m.UplinkMeta
	case *station.Dntxed:
		p.c.dntxed.Add(1)
		p.sched.HandleDntxed(ctx, up.Gateway, m)
		return
	case *station.Propdf:
		p.c.propdf.Add(1)
		p.log.Debug("proprietary frame", "gateway", up.Gateway.String(), "bytes", len(m.FRMPayload))
		return
	default:
		p.c.other.Add(1)
		p.log.Debug("message not handled", "gateway", up.Gateway.String(), "msgtype", up.Message.MsgType())
		return
	}
	if err != nil {
		p.refuse(nil, ReasonMalformed, "gateway", up.Gateway.String(), "err", err)
		return
	}
	if p.closed.Load() {
		p.refuse(nil, ReasonOverload, "gateway", up.Gateway.String())
		return
	}
	r := dedup.Reception{
		Gateway:    up.Gateway,
		Rctx:       meta.UpInfo.Rctx,
		XTime:      meta.UpInfo.XTime,
		GPSTime:    meta.UpInfo.GPSTime,
		RSSI:       meta.UpInfo.RSSI,
		SNR:        meta.UpInfo.SNR,
		Freq:       meta.Freq,
		DR:         meta.DR,
		ReceivedAt: up.ReceivedAt,
	}
	if meta.UpInfo.RxTime > 0 {
		r.RxTime = meta.UpInfo.RxTime.Time()
	}
	if r.ReceivedAt.IsZero() {
		r.ReceivedAt = time.Now()
	}
	if p.dedup.Add(phy, r) == dedup.Closed {
		p.refuse(nil, ReasonOverload, "gateway", up.Gateway.String())
	}
}

// deliver hands a deduplicated frame to the worker of its device.
func (p *Pipeline) deliver(f dedup.Frame) {
	p.closeMu.RLock()
	defer p.closeMu.RUnlock()
	if p.queuesClosed {
		p.refuse(nil, ReasonOverload)
		return
	}
	p.shards[shardOf(f.PHYPayload, len(p.shards))] <- f
}

// shardOf picks the worker of a frame: by DevAddr for data frames, by
// DevEUI for join and rejoin requests, so that one device's frames keep
// their order.
func shardOf(phy []byte, n int) int {
	var key uint64
	switch {
	case len(phy) >= 5 && (phy[0]>>5 == byte(lorawan.UnconfirmedDataUp) || phy[0]>>5 == byte(lorawan.ConfirmedDataUp)):
		key = uint64(phy[1]) | uint64(phy[2])<<8 | uint64(phy[3])<<16 | uint64(phy[4])<<24
	case len(phy) >= 17:
		for _, b := range phy[9:17] {
			key = key<<8 | uint64(b)
		}
	}
	key *= 0x9e3779b97f4a7c15 // spread the bits
	return int((key >> 32) % uint64(n))
}

// work processes the frames of one queue until it is closed.
func (p *Pipeline) work(ch <-chan dedup.Frame) {
	defer p.wg.Done()
	for f := range ch {
		p.process(f)
	}
}

// process sends a frame down its path.
func (p *Pipeline) process(f dedup.Frame) {
	o := Outcome{Gateways: len(f.Receptions)}
	switch {
	case len(f.PHYPayload) == 0 || len(f.Receptions) == 0:
		p.refuse(&o, ReasonMalformed)
	default:
		o.MType = lorawan.MType(f.PHYPayload[0] >> 5)
		switch o.MType {
		case lorawan.UnconfirmedDataUp, lorawan.ConfirmedDataUp:
			p.handleData(p.ctx, f, &o)
		case lorawan.JoinRequest:
			p.handleJoin(p.ctx, f, false, &o)
		case lorawan.RejoinRequest:
			p.handleJoin(p.ctx, f, true, &o)
		default:
			p.refuse(&o, ReasonMalformed, "mhdr", f.PHYPayload[0])
		}
	}
	if p.opts.Observe != nil {
		p.opts.Observe(o)
	}
}

// receptions converts the deduplicated copies for the scheduler, best
// first (SNR, then RSSI).
func receptions(f dedup.Frame) []downlink.Reception {
	out := make([]downlink.Reception, len(f.Receptions))
	for i, r := range f.Receptions {
		out[i] = downlink.Reception{
			Gateway: r.Gateway, Rctx: r.Rctx, XTime: int64(r.XTime), GPSTime: int64(r.GPSTime),
			RSSI: r.RSSI, SNR: r.SNR, Freq: r.Freq, DR: r.DR, ReceivedAt: r.ReceivedAt,
		}
	}
	// Insertion sort: a handful of gateways.
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && betterCopy(out[j], out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func betterCopy(a, b downlink.Reception) bool {
	if a.SNR != b.SNR {
		return a.SNR > b.SNR
	}
	return a.RSSI > b.RSSI
}

// handleJoin passes a join- or rejoin-request to the join server.
func (p *Pipeline) handleJoin(ctx context.Context, f dedup.Frame, rejoin bool, o *Outcome) {
	first := f.Receptions[0]
	req := join.Request{
		PHYPayload: f.PHYPayload,
		Receptions: receptions(f),
		DR:         first.DR,
		Freq:       first.Freq,
		ReceivedAt: first.ReceivedAt,
	}
	var (
		acc *join.Accepted
		err error
	)
	if rejoin {
		acc, err = p.join.HandleRejoinRequest(ctx, req)
	} else {
		acc, err = p.join.HandleJoinRequest(ctx, req)
	}
	if err != nil {
		p.refuse(o, joinReason(err), "err", err, "gateways", len(f.Receptions))
		return
	}
	o.DevEUI = acc.Device.DevEUI
	p.c.joins.Add(1)
}

// refuse counts a refusal, notes it in o (nil for a message refused
// before deduplication) and logs it at debug level.
func (p *Pipeline) refuse(o *Outcome, r Reason, args ...any) {
	p.c.refused[r].Add(1)
	if o != nil {
		o.Refused, o.Reason = true, r
	}
	if p.log.Enabled(context.Background(), slog.LevelDebug) {
		p.log.Debug("uplink refused", append([]any{"reason", r.String()}, args...)...)
	}
}
