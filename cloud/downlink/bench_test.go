package downlink_test

import (
	"context"
	"testing"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store/storetest"
)

// BenchmarkScheduleClassA measures the answer to one uplink over a real
// bbolt store: with nothing to send (the common case: one queue read), and
// with an ACK (a downlink counter committed, a frame built and handed to
// the sender).
func BenchmarkScheduleClassA(b *testing.B) {
	for _, bc := range []struct {
		name string
		ack  bool
	}{{"nothing", false}, {"ack", true}} {
		b.Run(bc.name, func(b *testing.B) {
			db := storetest.Open(b)
			s, err := downlink.New(db, discardSender{}, downlink.Options{Logger: quietLogger()})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			h := &harness{db: db, sched: s}
			td := h.addDevice(b, devSpec{eui: eui(0xb0)})
			req := td.classA(b, 5, 868_100_000)
			req.ACK = bc.ack
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.ScheduleClassA(ctx, req); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discardSender takes every message.
type discardSender struct{}

func (discardSender) Send(context.Context, lorawan.EUI64, station.Message) error { return nil }
