package downlink_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store/storetest"
)

// oneGateway is a gateway.Registry holding one EU868 gateway.
type oneGateway struct{ eui lorawan.EUI64 }

func (g oneGateway) Gateway(_ context.Context, eui lorawan.EUI64) (gateway.GatewayInfo, error) {
	if eui != g.eui {
		return gateway.GatewayInfo{}, fmt.Errorf("%w: %s", gateway.ErrUnknownGateway, eui)
	}
	return gateway.GatewayInfo{EUI: eui, Region: "EU868"}, nil
}

// dntxedHandler hands dntxed messages to the scheduler, as the uplink
// pipeline does.
type dntxedHandler struct {
	sched atomic.Pointer[downlink.Scheduler]
}

func (h *dntxedHandler) HandleUplink(ctx context.Context, up gateway.Uplink) {
	if m, ok := up.Message.(*station.Dntxed); ok {
		h.sched.Load().HandleDntxed(ctx, up.Gateway, m)
	}
}

// A Class A answer through the real gateway endpoint, over TLS websockets
// on 127.0.0.1: the station side reads a dnmsg the device decrypts, and its
// dntxed, through the endpoint, marks the downlink sent.
func TestThroughGatewayServer(t *testing.T) {
	t.Parallel()
	now := time.Now()
	ca, err := pki.LoadOrCreateCA(t.TempDir(), now)
	if err != nil {
		t.Fatal(err)
	}
	srvKP, err := ca.IssueServerCert([]string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := srvKP.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	gwKP, err := ca.IssueGatewayCert(gw1, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	gwCert, err := gwKP.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	handler := &dntxedHandler{}
	srv, err := gateway.New(oneGateway{gw1}, handler, gateway.Options{
		PublicURI:  "wss://" + ln.Addr().String(),
		ServerCert: srvCert,
		ClientCAs:  ca.Pool(),
		Logger:     quietLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})

	db := storetest.Open(t)
	events := &recEvents{c: make(chan *route.DownlinkEvent, 8)}
	sched, err := downlink.New(db, srv, downlink.Options{Events: events, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Close() })
	handler.sched.Store(sched)
	h := &harness{db: db, sched: sched, events: events}
	td := h.addDevice(t, devSpec{eui: eui(0xa0)})
	h.enqueue(t, td.dev.DevEUI, 15, []byte("over tls"), false)

	// The station side: mutual TLS, version, router_config.
	dialer := &websocket.Dialer{
		TLSClientConfig: &tls.Config{
			RootCAs:              ca.Pool(),
			ServerName:           "127.0.0.1",
			GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &gwCert, nil },
		},
		HandshakeTimeout: 5 * time.Second,
	}
	dctx, dcancel := context.WithTimeout(ctx, 5*time.Second)
	defer dcancel()
	conn, resp, err := dialer.DialContext(dctx, "wss://"+ln.Addr().String()+"/traffic/"+gw1.String(), nil)
	if err != nil {
		t.Fatalf("dial traffic: %v", err)
	}
	resp.Body.Close()
	defer conn.Close()
	read := func() station.Message {
		t.Helper()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, b, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		m, err := station.Decode(b)
		if err != nil {
			t.Fatalf("decode %s: %v", b, err)
		}
		return m
	}
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"2.0.6(linux/testsim)","protocol":2}`)); err != nil {
		t.Fatal(err)
	}
	if m := read(); m.MsgType() != station.MsgTypeRouterConfig {
		t.Fatalf("first message %s, want router_config", m.MsgType())
	}

	req := td.classA(t, 5, 868_100_000)
	req.ACK = true
	if err := sched.ScheduleClassA(ctx, req); err != nil {
		t.Fatal(err)
	}
	m, ok := read().(*station.Dnmsg)
	if !ok {
		t.Fatal("gateway did not receive a dnmsg")
	}
	if err := m.Validate(); err != nil {
		t.Errorf("Validate: %v", err)
	}
	if m.XTime != station.XTime(req.Receptions[0].XTime) || derefInt(m.RX1DR) != 5 || derefU32(m.RX1Freq) != 868_100_000 {
		t.Errorf("dnmsg xtime %d RX1 DR%d %d Hz, want %d DR5 868100000", m.XTime, derefInt(m.RX1DR), derefU32(m.RX1Freq), req.Receptions[0].XTime)
	}
	got := td.deviceReceive(t, m.PDU, 0, 0)
	if got.phy.FPort != 15 || string(got.payload) != "over tls" || !got.phy.FHDR.FCtrl.ACK {
		t.Errorf("device got fport %d payload %q ack %v", got.phy.FPort, got.payload, got.phy.FHDR.FCtrl.ACK)
	}

	dnt, err := station.Encode(&station.Dntxed{Diid: m.Diid, DR: 5, Freq: 868_100_000, DevEUI: m.DevEUI, XTime: m.XTime.Add(time.Second), TxTime: station.SecondsOf(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.WriteMessage(websocket.TextMessage, dnt); err != nil {
		t.Fatal(err)
	}
	if ev := events.next(t); ev.Event != route.EventDownlinkSent || ev.FPort != 15 {
		t.Errorf("event %+v, want downlink_sent of fport 15", *ev)
	}
	if q := h.queue(t, td.dev.DevEUI); len(q) != 0 {
		t.Errorf("queue holds %d after dntxed, want 0", len(q))
	}
}
