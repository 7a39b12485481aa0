package route

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/loraedge/loraedge/store"
)

// BenchmarkPublishMQTT measures Router.Publish of an AWS-shaped uplink
// through the embedded broker to one subscriber: templating, JSON, paho,
// broker (and, for QoS 1, the PUBACK round trip). "parallel" runs
// GOMAXPROCS publishers at once, as concurrent uplinks would.
func BenchmarkPublishMQTT(b *testing.B) {
	br := startBroker(b, "127.0.0.1:0")
	var received atomic.Int64
	sub := paho.NewClient(paho.NewClientOptions().AddBroker(br.URL()))
	if tok := sub.Connect(); !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	defer sub.Disconnect(0)
	if tok := sub.Subscribe("bench/#", 0, func(paho.Client, paho.Message) { received.Add(1) }); !tok.WaitTimeout(waitFor) || tok.Error() != nil {
		b.Fatal(tok.Error())
	}
	for _, qos := range []uint8{0, 1} {
		name := fmt.Sprint("q", qos)
		r := startRouter(b, []store.Destination{mqttDest(name, "bench/{{.DevEui}}/{{.FPort}}", qos)}, Options{Broker: br.URL()})
		up := awsExampleUplink(b)
		b.Run(fmt.Sprintf("qos%d/serial", qos), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				if err := r.Publish(ctx, name, up); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
		b.Run(fmt.Sprintf("qos%d/parallel", qos), func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.Publish(ctx, name, up); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
	if received.Load() == 0 {
		b.Error("subscriber received nothing")
	}
}

// BenchmarkEncodeUplink measures the router's own share of a publish: the
// topic template and the JSON of an AWS-shaped uplink.
func BenchmarkEncodeUplink(b *testing.B) {
	tt, err := parseTopic("d", "bench/{{.DevEui}}/{{.FPort}}")
	if err != nil {
		b.Fatal(err)
	}
	up := awsExampleUplink(b)
	b.ReportAllocs()
	for b.Loop() {
		f := up.TopicFields()
		f.Destination = "d"
		if _, err := tt.render(f); err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(up); err != nil {
			b.Fatal(err)
		}
	}
}
