package route

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"

	"github.com/loraedge/loraedge/lorawan"
)

// mqttConn is the router's one client connection to its broker, shared by
// every MQTT destination, the events and the downlink subscription. paho
// reconnects it; QoS 1/2 messages published while it reconnects are kept
// in memory and sent once it is back.
type mqttConn struct {
	client paho.Client
}

// inbound is a message received on the downlink API topic.
type inbound struct {
	topic    string
	payload  []byte
	retained bool
}

// downlinkBacklog bounds the downlink requests waiting for the sink; more
// are refused (logged) rather than blocking the MQTT client.
const downlinkBacklog = 256

// dialMQTT connects to r.opts.Broker and, when r has a downlink sink,
// subscribes to the downlink topic; it returns once both are done.
func dialMQTT(ctx context.Context, r *Router) (*mqttConn, error) {
	first := make(chan error, 1)
	o := paho.NewClientOptions().
		AddBroker(r.opts.Broker).
		SetClientID(r.opts.ClientID).
		SetCleanSession(true).
		SetAutoReconnect(true).
		SetConnectRetry(true).
		SetConnectRetryInterval(time.Second).
		SetMaxReconnectInterval(r.opts.MaxReconnectInterval).
		SetConnectTimeout(10 * time.Second).
		SetWriteTimeout(10 * time.Second).
		SetKeepAlive(30 * time.Second).
		SetPingTimeout(10 * time.Second).
		SetOrderMatters(true)
	if r.opts.Username != "" {
		o.SetUsername(r.opts.Username)
	}
	if r.opts.Password != "" {
		o.SetPassword(r.opts.Password)
	}
	if r.opts.TLSConfig != nil {
		o.SetTLSConfig(r.opts.TLSConfig)
	}
	o.SetOnConnectHandler(func(c paho.Client) {
		err := r.subscribeDownlinks(c)
		if err != nil {
			r.log.Error("route: mqtt downlink subscription failed", "broker", r.broker, "err", err)
		} else {
			r.log.Info("route: mqtt connected", "broker", r.broker)
		}
		select {
		case first <- err:
		default:
		}
		if err == nil && r.opts.Connected != nil {
			r.opts.Connected()
		}
	})
	o.SetConnectionLostHandler(func(_ paho.Client, err error) {
		r.log.Warn("route: mqtt connection lost; reconnecting", "broker", r.broker, "err", err)
	})

	conn := &mqttConn{client: paho.NewClient(o)}
	if r.opts.Downlinks != nil {
		r.wg.Add(1)
		go r.downlinkLoop(conn)
	}
	tok := conn.client.Connect()
	fail := func(err error) (*mqttConn, error) {
		conn.client.Disconnect(0)
		return nil, fmt.Errorf("route: mqtt broker %s: %w", r.broker, err)
	}
	connected := tok.Done()
	for {
		select {
		case err := <-first:
			if err != nil {
				return fail(err)
			}
			return conn, nil
		case <-connected:
			if err := tok.Error(); err != nil {
				return fail(err)
			}
			connected = nil // now wait for the subscription
		case <-ctx.Done():
			return fail(ctx.Err())
		}
	}
}

func (r *Router) subscribeDownlinks(c paho.Client) error {
	if r.opts.Downlinks == nil {
		return nil
	}
	tok := c.Subscribe(r.DownlinkTopic(), 1, func(_ paho.Client, m paho.Message) {
		in := inbound{topic: m.Topic(), payload: m.Payload(), retained: m.Retained()}
		select {
		case r.dl <- in:
		default:
			r.dlRefused.Add(1)
			r.log.Warn("route: downlink request refused: backlog full", "topic", clip(in.topic))
		}
	})
	if !tok.WaitTimeout(10 * time.Second) {
		return errors.New("subscribe: no answer")
	}
	if err := tok.Error(); err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	if st, ok := tok.(*paho.SubscribeToken); ok {
		for topic, qos := range st.Result() {
			if qos > 2 {
				return fmt.Errorf("subscribe %s: refused by the broker (code %#x)", topic, qos)
			}
		}
	}
	return nil
}

// publish sends one message and waits until the broker took it or ctx
// ends. A QoS 0 message while disconnected is an error (paho would drop it
// silently); QoS 1/2 messages wait for the reconnection.
func (c *mqttConn) publish(ctx context.Context, topic string, qos byte, body []byte) error {
	if qos == 0 && !c.client.IsConnectionOpen() {
		return errors.New("mqtt publish: not connected to the broker")
	}
	tok := c.client.Publish(topic, qos, false, body)
	select {
	case <-tok.Done():
		if err := tok.Error(); err != nil {
			return fmt.Errorf("mqtt publish: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("mqtt publish: %w", ctx.Err())
	}
}

func (c *mqttConn) close() { c.client.Disconnect(250) }

// downlinkLoop hands downlink requests to the sink one at a time, in the
// order they arrived.
func (r *Router) downlinkLoop(conn *mqttConn) {
	defer r.wg.Done()
	for {
		select {
		case <-r.ctx.Done():
			return
		case in := <-r.dl:
			r.handleDownlink(conn, in)
		}
	}
}

func (r *Router) handleDownlink(conn *mqttConn, in inbound) {
	level := in.topic[strings.LastIndexByte(in.topic, '/')+1:]
	eui, err := lorawan.ParseEUI64(level)
	if err != nil {
		r.dlRefused.Add(1)
		r.log.Warn("route: downlink request refused: topic does not end in a DevEui", "topic", clip(in.topic))
		return
	}
	refuse := func(reason string) {
		r.dlRefused.Add(1)
		r.log.Info("route: downlink request refused", "dev_eui", eui, "reason", reason)
		r.sendEvent(conn, &DownlinkEvent{Event: EventDownlinkRefused, DevEui: eui, Reason: reason})
	}
	if in.retained {
		refuse("replay of a retained downlink request refused: do not retain downlink requests")
		return
	}
	d, err := ParseDownlinkRequest(in.payload)
	if err != nil {
		refuse(err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.opts.DownlinkTimeout)
	id, err := r.opts.Downlinks.Enqueue(ctx, eui, d)
	cancel()
	if err != nil {
		refuse(err.Error())
		return
	}
	r.dlAccepted.Add(1)
	r.sendEvent(conn, &DownlinkEvent{Event: EventDownlinkQueued, DevEui: eui, MessageId: strconv.FormatUint(id, 10),
		FPort: int(d.FPort), Confirmed: d.Confirmed})
}

// sendEvent publishes an event from the downlink loop, logging a failure.
func (r *Router) sendEvent(conn *mqttConn, ev *DownlinkEvent) {
	ctx, cancel := context.WithTimeout(r.ctx, 10*time.Second)
	defer cancel()
	if err := r.publishEvent(ctx, conn, ev); err != nil {
		r.log.Warn("route: downlink event not published", "dev_eui", ev.DevEui, "event", ev.Event, "err", err)
	}
}

// clip shortens untrusted text for a log line.
func clip(s string) string {
	if len(s) > 128 {
		return s[:128] + "…"
	}
	return s
}
