package uplink_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// countingPub encodes each message as the router does and counts it,
// closing done at the target.
type countingPub struct {
	n, target atomic.Int64
	done      chan struct{}
}

func (c *countingPub) Publish(_ context.Context, _ string, msg route.Message) error {
	if _, err := json.Marshal(msg); err != nil {
		return err
	}
	if c.n.Add(1) == c.target.Load() {
		close(c.done)
	}
	return nil
}

// discard is a gateway endpoint that takes every downlink.
type discard struct{}

func (discard) Send(context.Context, lorawan.EUI64, station.Message) error { return nil }

// BenchmarkPipeline measures the pipeline in process: decoded station
// messages (*station.Updf, each uplink from two gateways) in, uplinks
// routed out, over a temporary bbolt store holding many ABP devices, with
// the real downlink scheduler (which looks at each device's queue) and a
// publisher that JSON-encodes the AWS message. The deduplication window is
// shortened to 10 ms so that the figure is the steady-state throughput, not
// the window's latency. cpu-µs/uplink is the process's CPU time (every
// goroutine, the garbage collector and the publisher's JSON included) over
// the uplinks: the cost that throughput hides while the pipeline waits on
// commits rather than on the CPU.
func BenchmarkPipeline(b *testing.B) {
	for _, devices := range []int{1000} {
		b.Run(fmt.Sprintf("devices=%d", devices), func(b *testing.B) { benchPipeline(b, devices) })
	}
}

func benchPipeline(b *testing.B, devices int) {
	ctx := context.Background()
	db := storetest.Open(b)
	if err := db.PutDestination(ctx, store.Destination{Name: "app", Kind: store.KindMQTT, MQTTTopic: "up/{{.DevEui}}"}); err != nil {
		b.Fatal(err)
	}
	region, _ := lorawan.RegionByName("EU868")
	devs := make([]*dev, devices)
	for i := range devs {
		addr := lorawan.DevAddr{0x26, 1, byte(i >> 8), byte(i)}
		d := store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 1, 0, 0, byte(i >> 8), byte(i)}, MACVersion: "1.0.3",
			Class: store.ClassA, Region: "EU868", Destination: "app", ABP: true, DevAddr: addr,
			ABPKeys: store.SessionKeys10(key(byte(i)), key(byte(i)+100))}
		if err := db.PutDevice(ctx, d); err != nil {
			b.Fatal(err)
		}
		devs[i] = &dev{t: nil, d: d, region: region, version: lorawan.MACVersion1_0, addr: addr,
			sess: lorawan.NewSession10(key(byte(i)), key(byte(i)+100))}
	}
	now := time.Now()
	msgs := make([][2]gateway.Uplink, b.N)
	payload := []byte("0123456789abcdef")
	for i := range msgs {
		d := devs[i%devices]
		phy := buildUplink(b, d, payload)
		for g, gw := range []lorawan.EUI64{gwA, gwB} {
			meta := station.UplinkMeta{DR: 5, Freq: 868100000, UpInfo: station.UpInfo{
				XTime: station.NewXTime(0, 3, int64(i)*1000), RSSI: -70 - float64(g), SNR: 5 - float64(g), RxTime: station.SecondsOf(now)}}
			m, err := station.SplitUplink(phy, meta)
			if err != nil {
				b.Fatal(err)
			}
			msgs[i][g] = gateway.Uplink{Gateway: gw, ReceivedAt: now, Message: m}
		}
	}
	sched, err := downlink.New(db, discard{}, downlink.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	defer sched.Close()
	pub := &countingPub{done: make(chan struct{})}
	pub.target.Store(int64(b.N))
	p, err := uplink.New(db, sched, pub, uplink.Options{
		NetID:  netID,
		Dedup:  dedup.Options{Window: 10 * time.Millisecond},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()

	b.ReportAllocs()
	b.ResetTimer()
	cpu0, cpuOK := processCPU()
	start := time.Now()
	for i := range msgs {
		p.HandleUplink(ctx, msgs[i][0])
		p.HandleUplink(ctx, msgs[i][1])
	}
	select {
	case <-pub.done:
	case <-time.After(5 * time.Minute):
		b.Fatalf("routed %d of %d; stats %+v", pub.n.Load(), b.N, p.Stats())
	}
	elapsed := time.Since(start)
	cpu1, _ := processCPU()
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "uplinks/s")
	if cpuOK {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/float64(b.N), "cpu-µs/uplink")
	}
	// The publisher saw every uplink; the pipeline counts one as routed
	// only once Publish has returned: drain the workers before reading.
	p.Close()
	if st := p.Stats(); st.RefusedTotal() != 0 || st.Routed != uint64(b.N) {
		b.Fatalf("refused %v routed %d, want none refused and %d routed", st.Refused, st.Routed, b.N)
	}
}

// buildUplink builds the device's next unconfirmed uplink on FPort 1.
func buildUplink(b *testing.B, d *dev, payload []byte) []byte {
	fcnt := d.fcnt
	d.fcnt++
	enc := make([]byte, len(payload))
	if err := d.sess.XORFRMPayload(enc, payload, true, d.addr, fcnt, 1); err != nil {
		b.Fatal(err)
	}
	p := lorawan.PHYPayload{
		MHDR:         lorawan.MHDR{MType: lorawan.UnconfirmedDataUp},
		FHDR:         lorawan.FHDR{DevAddr: d.addr, FCnt: uint16(fcnt)},
		FPort:        1,
		FPortPresent: true,
		FRMPayload:   enc,
	}
	buf, err := p.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	if p.MIC, err = d.sess.UplinkMIC(buf[:len(buf)-4], d.addr, fcnt, 0, 0, 0); err != nil {
		b.Fatal(err)
	}
	buf, _ = p.MarshalBinary()
	return buf
}
