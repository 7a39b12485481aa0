package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/store"
)

// TestPublishMQTT publishes an uplink through the embedded broker and
// receives exactly one message, on the templated topic, with the exact
// JSON and the destination's QoS.
func TestPublishMQTT(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	for _, qos := range []uint8{0, 1, 2} {
		t.Run(fmt.Sprint("qos", qos), func(t *testing.T) {
			t.Parallel()
			name := fmt.Sprint("farm-q", qos)
			sub := subscribe(t, b.URL(), "up/"+name+"/#", 2)
			r := startRouter(t, []store.Destination{
				mqttDest(name, "up/{{.Destination}}/{{.DevEui}}/{{.FPort}}", qos),
			}, Options{Broker: b.URL()})

			up := awsExampleUplink(t)
			if err := r.Publish(ctxFor(t), name, up); err != nil {
				t.Fatalf("Publish: %v", err)
			}
			m := sub.next(t)
			if want := "up/" + name + "/58a0cb0000202c99/136"; m.Topic() != want {
				t.Errorf("topic %q, want %q", m.Topic(), want)
			}
			if want := golden(t, "uplink-aws-example.json"); !bytes.Equal(m.Payload(), want) {
				t.Errorf("payload\n got %s\nwant %s", m.Payload(), want)
			}
			if m.Qos() != qos {
				t.Errorf("received with QoS %d, want %d", m.Qos(), qos)
			}

			// A second uplink on the same topic arrives next: nothing
			// (no duplicate of the first) came in between.
			up.WirelessMetadata.LoRaWAN.FCnt = 2
			if err := r.Publish(ctxFor(t), name, up); err != nil {
				t.Fatalf("second Publish: %v", err)
			}
			m2 := sub.next(t)
			var got Uplink
			if err := json.Unmarshal(m2.Payload(), &got); err != nil {
				t.Fatalf("second message: %v", err)
			}
			if got.WirelessMetadata.LoRaWAN.FCnt != 2 || m2.Duplicate() {
				t.Errorf("second message FCnt %d dup %v, want FCnt 2 (the first arrived once)", got.WirelessMetadata.LoRaWAN.FCnt, m2.Duplicate())
			}
			select {
			case extra := <-sub.msgs:
				t.Errorf("unexpected extra message on %s: %s", extra.Topic(), extra.Payload())
			default:
			}
			if got, want := r.Metrics().Destinations[name], (Counters{Published: 2}); got != want {
				t.Errorf("Metrics = %+v, want %+v", got, want)
			}
		})
	}
}

// TestPublishJoinAndEvents: joins and downlink events go through a
// destination too, told apart by {{.Event}} and the Event member.
func TestPublishJoinAndEvents(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	sub := subscribe(t, b.URL(), "dev/#", 1)
	r := startRouter(t, []store.Destination{mqttDest("d", "dev/{{.WirelessDeviceId}}/{{.Event}}", 1)}, Options{Broker: b.URL()})
	join := &JoinEvent{
		WirelessDeviceId: "sensor-1", DevEui: eui(t, "0004a30b001c0530"), DevAddr: devAddr(t, "26011bda"),
		JoinEui: eui(t, "70b3d57ed0000000"), MACVersion: "1.1",
		Gateways:  []Gateway{{GatewayEui: eui(t, "b827ebfffe000001"), Rssi: -57, Snr: 9.5}},
		Timestamp: Timestamp(time.Date(2024, 3, 1, 12, 0, 0, 250e6, time.UTC)),
	}
	if err := r.Publish(ctxFor(t), "d", join); err != nil {
		t.Fatalf("Publish(join): %v", err)
	}
	m := sub.next(t)
	if m.Topic() != "dev/sensor-1/join" || !bytes.Equal(m.Payload(), golden(t, "join.json")) {
		t.Errorf("got %s %s, want dev/sensor-1/join and join.json", m.Topic(), m.Payload())
	}
	ack := &DownlinkEvent{Event: EventDownlinkAck, WirelessDeviceId: "sensor-1", DevEui: join.DevEui, FPort: 3, Confirmed: true}
	if err := r.Publish(ctxFor(t), "d", ack); err != nil {
		t.Fatalf("Publish(ack): %v", err)
	}
	if m := sub.next(t); m.Topic() != "dev/sensor-1/downlink_ack" || !strings.Contains(string(m.Payload()), `"Event":"downlink_ack"`) {
		t.Errorf("got %s %s, want dev/sensor-1/downlink_ack", m.Topic(), m.Payload())
	}
}

// TestBrokerRestart stops the broker under a running router and starts
// another on the same port: the router reconnects by itself, resubscribes
// to the downlink topic, and later publishes arrive.
func TestBrokerRestart(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	addr, url := b.Addr(), b.URL()
	sub := subscribe(t, url, "up/#", 1)
	connected := make(chan struct{}, 10)
	snk := newSink()
	r := startRouter(t, []store.Destination{mqttDest("d", "up/{{.DevEui}}", 1)}, Options{
		Broker: url, Downlinks: snk, MaxReconnectInterval: time.Second,
		Connected: func() { connected <- struct{}{} },
	})
	<-connected // the first connection
	up := awsExampleUplink(t)
	if err := r.Publish(ctxFor(t), "d", up); err != nil {
		t.Fatalf("Publish before restart: %v", err)
	}
	sub.next(t)

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	startBroker(t, addr)
	sub.waitReady(t)
	select {
	case <-connected:
	case <-time.After(waitFor):
		t.Fatal("router did not reconnect")
	}

	for fcnt := uint32(10); fcnt < 13; fcnt++ {
		up.WirelessMetadata.LoRaWAN.FCnt = fcnt
		if err := r.Publish(ctxFor(t), "d", up); err != nil {
			t.Fatalf("Publish after restart: %v", err)
		}
		var got Uplink
		if err := json.Unmarshal(sub.next(t).Payload(), &got); err != nil {
			t.Fatal(err)
		}
		if got.WirelessMetadata.LoRaWAN.FCnt != fcnt {
			t.Errorf("after restart got FCnt %d, want %d", got.WirelessMetadata.LoRaWAN.FCnt, fcnt)
		}
	}
	// The downlink subscription came back with the connection.
	publishRaw(t, client(t, url), "loraedge/downlink/0011223344556677", false, `{"FPort":5,"PayloadData":"AA=="}`)
	select {
	case s := <-snk.got:
		if s.d.FPort != 5 {
			t.Errorf("downlink FPort %d, want 5", s.d.FPort)
		}
	case <-time.After(waitFor):
		t.Fatal("downlink request after restart not delivered")
	}
}

// TestDownlinkEndToEnd: a request published on <prefix>/downlink/<DevEui>
// reaches the sink, and a downlink_queued event comes back on the device's
// event topic.
func TestDownlinkEndToEnd(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	snk := newSink()
	r := startRouter(t, nil, Options{Broker: b.URL(), Downlinks: snk, TopicPrefix: "site1"})
	if got, want := r.DownlinkTopic(), "site1/downlink/+"; got != want {
		t.Errorf("DownlinkTopic() = %q, want %q", got, want)
	}
	events := subscribe(t, b.URL(), "site1/events/#", 1)
	c := client(t, b.URL())

	publishRaw(t, c, "site1/downlink/0004A30B001C0530", false, `{"FPort":2,"PayloadData":"AQID","Confirmed":true}`)
	select {
	case s := <-snk.got:
		want := Downlink{FPort: 2, PayloadData: Payload{1, 2, 3}, Confirmed: true}
		if s.eui != eui(t, "0004a30b001c0530") || s.d.FPort != want.FPort || !bytes.Equal(s.d.PayloadData, want.PayloadData) || !s.d.Confirmed {
			t.Errorf("sink got %v %+v, want 0004a30b001c0530 %+v", s.eui, s.d, want)
		}
	case <-time.After(waitFor):
		t.Fatal("sink got nothing")
	}
	m := events.next(t)
	if want := r.EventTopic(eui(t, "0004a30b001c0530")); m.Topic() != want || want != "site1/events/0004a30b001c0530" {
		t.Errorf("event topic %q, want %q", m.Topic(), want)
	}
	var ev DownlinkEvent
	if err := json.Unmarshal(m.Payload(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != EventDownlinkQueued || ev.FPort != 2 || !ev.Confirmed || time.Time(ev.Timestamp).IsZero() {
		t.Errorf("event %+v, want downlink_queued FPort 2 confirmed with a timestamp", ev)
	}
	// The id the queue gave, which the sent/ack/dropped events carry too.
	if want := fmt.Sprint(sinkFirstID); ev.MessageId != want {
		t.Errorf("downlink_queued MessageId %q, want the queue's id %q", ev.MessageId, want)
	}

	// The scheduler reports the ACK through PublishEvent.
	ack := &DownlinkEvent{Event: EventDownlinkAck, DevEui: ev.DevEui, FPort: 2, Confirmed: true, FCnt: 4}
	if err := r.PublishEvent(ctxFor(t), ack); err != nil {
		t.Fatalf("PublishEvent: %v", err)
	}
	var got DownlinkEvent
	if err := json.Unmarshal(events.next(t).Payload(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Event != EventDownlinkAck || got.FCnt != 4 {
		t.Errorf("ack event %+v, want downlink_ack FCnt 4", got)
	}
	mt := r.Metrics()
	if mt.DownlinksAccepted != 1 || mt.DownlinksRefused != 0 || mt.EventsPublished != 2 {
		t.Errorf("Metrics = %+v, want 1 accepted, 0 refused, 2 events", mt)
	}
}

// TestDownlinkRefused: malformed or refused requests give a
// downlink_refused event with the reason and never reach the sink; a
// topic without a readable DevEui is only counted.
func TestDownlinkRefused(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	snk := newSink()
	r := startRouter(t, nil, Options{Broker: b.URL(), Downlinks: snk})
	events := subscribe(t, b.URL(), "loraedge/events/#", 1)
	c := client(t, b.URL())
	const dev = "0102030405060708"

	tests := []struct {
		name, payload string
		sinkErr       error
		reason        string
	}{
		{name: "fport 0", payload: `{"FPort":0,"PayloadData":"AQID"}`, reason: "FPort 0, want 1..223"},
		{name: "bad base64", payload: `{"FPort":1,"PayloadData":"**"}`, reason: "not standard base64"},
		{name: "too large", payload: `{"FPort":1,"PayloadData":"` + strings.Repeat("AAAA", 81) + `"}`, reason: "PayloadData of 243 bytes"},
		{name: "not json", payload: `FPort=1`, reason: "invalid character"},
		{name: "sink refuses", payload: `{"FPort":1,"PayloadData":""}`, sinkErr: errors.New("unknown device"), reason: "unknown device"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			snk.mu.Lock()
			snk.refuse = tc.sinkErr
			snk.mu.Unlock()
			publishRaw(t, c, "loraedge/downlink/"+dev, false, tc.payload)
			m := events.next(t)
			var ev DownlinkEvent
			if err := json.Unmarshal(m.Payload(), &ev); err != nil {
				t.Fatal(err)
			}
			if m.Topic() != "loraedge/events/"+dev || ev.Event != EventDownlinkRefused || ev.DevEui.String() != dev || !strings.Contains(ev.Reason, tc.reason) {
				t.Errorf("got %s %+v, want downlink_refused for %s with reason containing %q", m.Topic(), ev, dev, tc.reason)
			}
		})
	}
	snk.mu.Lock()
	snk.refuse = nil
	snk.mu.Unlock()

	// An unreadable DevEui: no event can be addressed. The next valid
	// request is handled after it (one at a time, in order).
	before := r.Metrics().DownlinksRefused
	publishRaw(t, c, "loraedge/downlink/not-an-eui", false, `{"FPort":1,"PayloadData":""}`)
	publishRaw(t, c, "loraedge/downlink/"+dev, false, `{"FPort":9,"PayloadData":""}`)
	select {
	case s := <-snk.got:
		if s.d.FPort != 9 {
			t.Errorf("sink got FPort %d, want only the valid request (9)", s.d.FPort)
		}
	case <-time.After(waitFor):
		t.Fatal("valid request not delivered")
	}
	if m := events.next(t); !strings.Contains(string(m.Payload()), EventDownlinkQueued) {
		t.Errorf("event %s, want downlink_queued (none for the unreadable topic)", m.Payload())
	}
	if got := r.Metrics().DownlinksRefused - before; got != 1 {
		t.Errorf("DownlinksRefused grew by %d, want 1", got)
	}
	select {
	case s := <-snk.got:
		t.Errorf("sink got a refused request %+v", s)
	default:
	}
}

// TestDownlinkRetainedReplayRefused: a retained request is replayed by the
// broker at every subscription (RETAIN set); the router refuses replays.
func TestDownlinkRetainedReplayRefused(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	const dev = "0102030405060708"
	// The broker acknowledges a publish before it hands it to the
	// subscribers: a router subscribing in between would get a live copy
	// too. A second publish from the same client, seen by a probe, marks
	// the first one's hand-out done.
	pub, probe := client(t, b.URL()), subscribe(t, b.URL(), "test/barrier", 1)
	publishRaw(t, pub, "loraedge/downlink/"+dev, true, `{"FPort":1,"PayloadData":""}`)
	publishRaw(t, pub, "test/barrier", false, "done")
	probe.next(t)
	events := subscribe(t, b.URL(), "loraedge/events/#", 1)
	snk := newSink()
	startRouter(t, nil, Options{Broker: b.URL(), Downlinks: snk})
	var ev DownlinkEvent
	if err := json.Unmarshal(events.next(t).Payload(), &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Event != EventDownlinkRefused || !strings.Contains(ev.Reason, "retained") {
		t.Errorf("event %+v, want downlink_refused about a retained request", ev)
	}
	select {
	case s := <-snk.got:
		t.Errorf("sink got the replayed request %+v", s)
	default:
	}
}

func TestPublishErrors(t *testing.T) {
	t.Parallel()
	up := awsExampleUplink(t)
	dests := []store.Destination{mqttDest("m", "up/{{.WirelessDeviceId}}", 1)}

	notStarted, err := New(dests, Options{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if err := notStarted.Publish(ctxFor(t), "m", up); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Publish before Start = %v, want ErrNotStarted", err)
	}

	r := startRouter(t, dests, Options{}) // no broker
	if err := r.Publish(ctxFor(t), "nope", up); !errors.Is(err, ErrUnknownDestination) {
		t.Errorf("Publish(unknown) = %v, want ErrUnknownDestination", err)
	}
	if err := r.Publish(ctxFor(t), "m", up); !errors.Is(err, ErrNoBroker) {
		t.Errorf("Publish(mqtt, no broker) = %v, want ErrNoBroker", err)
	}
	if err := r.PublishEvent(ctxFor(t), &DownlinkEvent{Event: EventDownlinkAck}); !errors.Is(err, ErrNoBroker) {
		t.Errorf("PublishEvent(no broker) = %v, want ErrNoBroker", err)
	}
	if err := r.Publish(ctxFor(t), "m", (*Uplink)(nil)); err == nil {
		t.Error("Publish(nil *Uplink): nil error")
	}
	if err := r.Publish(ctxFor(t), "m", nil); err == nil {
		t.Error("Publish(nil): nil error")
	}
	m := r.Metrics()
	if m.Total.Failed != 4 || m.Destinations["m"].Failed != 3 || m.EventsFailed != 1 {
		t.Errorf("Metrics = %+v, want 4 failed in total, 3 for m, 1 event failed", m)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(ctxFor(t), "m", up); !errors.Is(err, ErrNotStarted) {
		t.Errorf("Publish after Close = %v, want ErrNotStarted", err)
	}
	if err := r.Start(ctxFor(t)); err == nil {
		t.Error("Start after Close: nil error")
	}

	// A device id that would put a wildcard into the topic.
	b := startBroker(t, "127.0.0.1:0")
	r2 := startRouter(t, dests, Options{Broker: b.URL()})
	bad := awsExampleUplink(t)
	bad.WirelessDeviceId = "a/#"
	if err := r2.Publish(ctxFor(t), "m", bad); err == nil || !strings.Contains(err.Error(), "wildcard") {
		t.Errorf("Publish(id with #) = %v, want a wildcard error", err)
	}
}

func TestStartFails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		broker string
	}{
		{"nothing listening", "tcp://127.0.0.1:1"},
		{"bad scheme", "gopher://127.0.0.1:1883"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := New(nil, Options{Broker: tc.broker, Logger: quietLogger()})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ctx, cancel := ctxWithTimeout(2 * time.Second)
			defer cancel()
			if err := r.Start(ctx); err == nil {
				t.Fatalf("Start(%s) = nil, want an error", tc.broker)
			}
		})
	}
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		dests []store.Destination
		opts  Options
		want  string
	}{
		{"kind", []store.Destination{{Name: "x", Kind: "ftp"}}, Options{}, `kind "ftp"`},
		{"empty name", []store.Destination{{Kind: store.KindMQTT, MQTTTopic: "a"}}, Options{}, "empty name"},
		{"qos", []store.Destination{mqttDest("x", "a", 3)}, Options{}, "qos 3"},
		{"template", []store.Destination{mqttDest("x", "a/{{.Nope}}", 0)}, Options{}, "Nope"},
		{"duplicate", []store.Destination{mqttDest("x", "a", 0), mqttDest("x", "b", 0)}, Options{}, "named twice"},
		{"http url", []store.Destination{{Name: "h", Kind: store.KindHTTP, HTTPURL: "ftp://h/tok3n"}}, Options{}, "webhook url"},
		{"header without secret", []store.Destination{{Name: "h", Kind: store.KindHTTP, HTTPURL: "http://h/", HTTPHeader: "Authorization"}}, Options{}, "go together"},
		{"secret with newline", []store.Destination{{Name: "h", Kind: store.KindHTTP, HTTPURL: "http://h/", HTTPHeader: "Authorization", HTTPSecret: "tok3n\r\nX: y"}}, Options{}, "control characters"},
		{"prefix", nil, Options{TopicPrefix: "a/+"}, "wildcard"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.dests, tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error with %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "tok3n") {
				t.Errorf("error %q repeats the webhook url", err)
			}
		})
	}
}

// TestUpdate replaces the destinations; an invalid set changes nothing.
func TestUpdate(t *testing.T) {
	t.Parallel()
	b := startBroker(t, "127.0.0.1:0")
	sub := subscribe(t, b.URL(), "#", 1)
	r := startRouter(t, []store.Destination{mqttDest("d", "old/{{.DevEui}}", 1)}, Options{Broker: b.URL()})
	up := awsExampleUplink(t)
	if err := r.Update([]store.Destination{mqttDest("d", "new/{{.Bad}}", 1)}); err == nil {
		t.Fatal("Update with a bad template: nil error")
	}
	if err := r.Publish(ctxFor(t), "d", up); err != nil {
		t.Fatal(err)
	}
	if m := nextNonSys(t, sub); m.Topic() != "old/58a0cb0000202c99" {
		t.Errorf("topic %q after a refused Update, want the old one", m.Topic())
	}
	if err := r.Update([]store.Destination{mqttDest("d", "new/{{.DevEui}}", 1), mqttDest("e", "e", 0)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(ctxFor(t), "d", up); err != nil {
		t.Fatal(err)
	}
	if m := nextNonSys(t, sub); m.Topic() != "new/58a0cb0000202c99" {
		t.Errorf("topic %q after Update, want new/…", m.Topic())
	}
	if got := r.Metrics().Destinations["d"].Published; got != 2 {
		t.Errorf("Published = %d, want 2 (kept across Update)", got)
	}
	if err := r.Update(nil); err != nil {
		t.Fatal(err)
	}
	if err := r.Publish(ctxFor(t), "d", up); !errors.Is(err, ErrUnknownDestination) {
		t.Errorf("Publish to a removed destination = %v, want ErrUnknownDestination", err)
	}
}

// nextNonSys skips the broker's $SYS messages ("#" does not match them,
// but be safe) and returns the next message.
func nextNonSys(t testing.TB, s *subscriber) interface {
	Topic() string
	Payload() []byte
} {
	t.Helper()
	for {
		m := s.next(t)
		if !strings.HasPrefix(m.Topic(), "$") {
			return m
		}
	}
}
