package uplink_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	paho "github.com/eclipse/paho.mqtt.golang"
	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/broker"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// lateHandler forwards to the pipeline once it exists: the pipeline needs
// the scheduler, which needs the endpoint, which needs a handler.
type lateHandler struct {
	p atomic.Pointer[uplink.Pipeline]
}

func (h *lateHandler) HandleUplink(ctx context.Context, up gateway.Uplink) {
	if p := h.p.Load(); p != nil {
		p.HandleUplink(ctx, up)
	}
}

// cloudEnv is the cloud assembled from its parts on 127.0.0.1: store,
// embedded broker, router, gateway endpoint (mTLS), scheduler, pipeline.
type cloudEnv struct {
	db     *store.DB
	ca     *pki.CA
	addr   string
	sched  *downlink.Scheduler
	pipe   *uplink.Pipeline
	broker *broker.Broker
}

func newCloudEnv(t *testing.T, gws ...lorawan.EUI64) *cloudEnv {
	t.Helper()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	now := time.Now()
	e := &cloudEnv{db: storetest.Open(t)}
	var err error
	if e.ca, err = pki.LoadOrCreateCA(t.TempDir(), now); err != nil {
		t.Fatal(err)
	}
	kp, err := e.ca.IssueServerCert([]string{"127.0.0.1"}, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	srvCert, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	for _, gw := range gws {
		if err := e.db.PutGateway(ctx, store.Gateway{EUI: gw, Region: "EU868"}); err != nil {
			t.Fatal(err)
		}
	}
	dest := store.Destination{Name: "app", Kind: store.KindMQTT, MQTTTopic: "lorawan/{{.DevEui}}/up", QoS: 1}
	if err := e.db.PutDestination(ctx, dest); err != nil {
		t.Fatal(err)
	}

	e.broker = broker.New(broker.Options{Addr: "127.0.0.1:0", Logger: quiet})
	if err := e.broker.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.broker.Close() })
	router, err := route.New([]store.Destination{dest}, route.Options{Broker: e.broker.URL(), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := router.Start(sctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { router.Close() })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	e.addr = ln.Addr().String()
	h := &lateHandler{}
	srv, err := gateway.New(gateway.StoreRegistry{DB: e.db}, h, gateway.Options{
		PublicURI: "wss://" + e.addr, ServerCert: srvCert, ClientCAs: e.ca.Pool(),
		NetIDs: []lorawan.NetID{netID}, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.sched, err = downlink.New(e.db, srv, downlink.Options{Events: router, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	if e.pipe, err = uplink.New(e.db, e.sched, router, uplink.Options{NetID: netID, Logger: quiet}); err != nil {
		t.Fatal(err)
	}
	h.p.Store(e.pipe)
	serveCtx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(serveCtx, ln) }()
	// Cleanups run last-registered first: the endpoint stops before the
	// pipeline and the scheduler close.
	t.Cleanup(func() { e.sched.Close() })
	t.Cleanup(func() { e.pipe.Close() })
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("gateway endpoint: %v", err)
		}
	})
	return e
}

// stationGW is a gateway speaking Basics Station over the traffic socket.
type stationGW struct {
	t    *testing.T
	eui  lorawan.EUI64
	conn *websocket.Conn
	in   chan []byte
	mu   sync.Mutex
}

// connect runs discovery and opens the traffic socket as Station does,
// with the gateway's client certificate.
func (e *cloudEnv) connect(t *testing.T, eui lorawan.EUI64) *stationGW {
	t.Helper()
	now := time.Now()
	kp, err := e.ca.IssueGatewayCert(eui, now.Add(-time.Hour), now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	dialer := &websocket.Dialer{HandshakeTimeout: 5 * time.Second, TLSClientConfig: &tls.Config{
		RootCAs: e.ca.Pool(), ServerName: "127.0.0.1",
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
	}}
	disc, _, err := dialer.Dial("wss://"+e.addr+"/router-info", nil)
	if err != nil {
		t.Fatalf("router-info: %v", err)
	}
	req, _ := json.Marshal(station.RouterInfoRequest{Router: eui})
	if err := disc.WriteMessage(websocket.TextMessage, req); err != nil {
		t.Fatal(err)
	}
	_ = disc.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := disc.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	disc.Close()
	var info station.RouterInfoResponse
	if err := json.Unmarshal(b, &info); err != nil || info.URI == "" {
		t.Fatalf("router-info answer %s: %v", b, err)
	}
	conn, _, err := dialer.Dial(info.URI, nil)
	if err != nil {
		t.Fatalf("traffic: %v", err)
	}
	g := &stationGW{t: t, eui: eui, conn: conn, in: make(chan []byte, 64)}
	t.Cleanup(func() { conn.Close() })
	g.send(station.Version{Station: "2.0.6(test)", Protocol: station.ProtocolVersion})
	rc, err := station.Decode(g.read())
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := rc.(*station.RouterConfig); !ok {
		t.Fatalf("first message %T, want router_config", rc)
	}
	go func() {
		defer close(g.in)
		for {
			_, b, err := conn.ReadMessage()
			if err != nil {
				return
			}
			g.in <- b
		}
	}()
	return g
}

func (g *stationGW) read() []byte {
	g.t.Helper()
	_ = g.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := g.conn.ReadMessage()
	if err != nil {
		g.t.Fatal(err)
	}
	_ = g.conn.SetReadDeadline(time.Time{})
	return b
}

func (g *stationGW) send(m station.Message) {
	g.t.Helper()
	b, err := station.Encode(m)
	if err != nil {
		g.t.Fatal(err)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if err := g.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		g.t.Fatal(err)
	}
}

// uplink forwards a received frame as Station does; it returns the xtime
// it stamped.
func (g *stationGW) uplink(phy []byte, dr int, freq uint32, snr float64, micros int64) station.XTime {
	g.t.Helper()
	x := station.NewXTime(0, 9, micros)
	m, err := station.SplitUplink(phy, station.UplinkMeta{DR: dr, Freq: freq, UpInfo: station.UpInfo{
		XTime: x, RSSI: -40 + snr, SNR: snr, Fts: -1, RxTime: station.SecondsOf(time.Now()),
	}})
	if err != nil {
		g.t.Fatal(err)
	}
	g.send(m)
	return x
}

// dnmsg waits for the next dnmsg, confirms it with dntxed as Station does
// once the frame went out, and returns it.
func (g *stationGW) dnmsg() *station.Dnmsg {
	g.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case b, ok := <-g.in:
			if !ok {
				g.t.Fatal("traffic socket closed")
			}
			m, err := station.Decode(b)
			if err != nil {
				continue
			}
			if dn, ok := m.(*station.Dnmsg); ok {
				g.send(station.Dntxed{Diid: dn.Diid, DevEUI: dn.DevEUI, DR: *dn.RX1DR, Freq: *dn.RX1Freq, XTime: dn.XTime.Add(time.Duration(max(dn.RxDelay, 1)) * time.Second)})
				return dn
			}
		case <-deadline:
			g.t.Fatalf("gateway %s: no dnmsg", g.eui)
		}
	}
}

// subscribe collects what the broker delivers on topic.
func subscribe(t *testing.T, url, topic string) <-chan []byte {
	t.Helper()
	out := make(chan []byte, 64)
	c := paho.NewClient(paho.NewClientOptions().AddBroker(url).SetClientID("e2e-app").SetCleanSession(true))
	if tok := c.Connect(); !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt connect: %v", tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(100) })
	tok := c.Subscribe(topic, 1, func(_ paho.Client, m paho.Message) { out <- m.Payload() })
	if !tok.WaitTimeout(10*time.Second) || tok.Error() != nil {
		t.Fatalf("mqtt subscribe: %v", tok.Error())
	}
	return out
}

// nextUplink returns the next data uplink delivered, counting the join
// events (published on the same destination) it passes over.
func nextUplink(t *testing.T, ch <-chan []byte, joins *int) route.Uplink {
	t.Helper()
	for {
		select {
		case b := <-ch:
			var ev struct{ Event string }
			if err := json.Unmarshal(b, &ev); err != nil {
				t.Fatalf("message %s: %v", b, err)
			}
			if ev.Event == route.EventJoin {
				*joins++
				continue
			}
			var u route.Uplink
			if err := json.Unmarshal(b, &u); err != nil {
				t.Fatalf("message %s: %v", b, err)
			}
			return u
		case <-time.After(10 * time.Second):
			t.Fatal("no uplink on the destination topic")
		}
	}
}

// checkRX checks the receive windows of a Class A dnmsg in EU868 for an
// uplink at DR5 on freq (RX1DROffset 0, RX2 at DR0 on 869.525 MHz).
func checkRX(t *testing.T, dn *station.Dnmsg, rxDelay int, freq uint32, xtime station.XTime, dev lorawan.EUI64) {
	t.Helper()
	if dn.DC != station.ClassA || dn.RxDelay != rxDelay || dn.XTime != xtime || dn.DevEUI != dev || dn.Diid == 0 {
		t.Errorf("dnmsg dC %d RxDelay %d xtime %d DevEui %s diid %d; want class A, RxDelay %d, xtime %d, %s",
			dn.DC, dn.RxDelay, dn.XTime, dn.DevEUI, dn.Diid, rxDelay, xtime, dev)
	}
	if dn.RX1DR == nil || *dn.RX1DR != 5 || dn.RX1Freq == nil || *dn.RX1Freq != freq {
		t.Errorf("RX1 %v/%v, want DR5 on %d", dn.RX1DR, dn.RX1Freq, freq)
	}
	if dn.RX2DR == nil || *dn.RX2DR != 0 || dn.RX2Freq == nil || *dn.RX2Freq != 869525000 {
		t.Errorf("RX2 %v/%v, want DR0 on 869525000", dn.RX2DR, dn.RX2Freq)
	}
	if err := dn.Validate(); err != nil {
		t.Errorf("Station would ignore the dnmsg: %v", err)
	}
}

// TestEndToEnd runs the cloud over real websockets with mTLS and the
// embedded broker: a device joins through two gateways, sends unconfirmed
// and confirmed uplinks; the application gets exactly one AWS-shaped
// message per uplink with both gateways, and the join-accept and the ACK
// come back as dnmsg the device can verify.
func TestEndToEnd(t *testing.T) {
	t.Parallel()
	e := newCloudEnv(t, gwA, gwB)
	ups := subscribe(t, e.broker.URL(), "lorawan/+/up")
	a, b := e.connect(t, gwA), e.connect(t, gwB)
	ctx := context.Background()
	joins := 0

	for _, tc := range []struct {
		name, version string
		eui           byte
	}{{"1.0.3", "1.0.3", 1}, {"1.1", "1.1", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			d := &dev{t: t, d: store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xee, tc.eui}, JoinEUI: joinEUI,
				MACVersion: tc.version, Class: store.ClassA, Region: "EU868", Destination: "app",
				RootKeys: store.RootKeys{AppKey: key(0x30 + tc.eui), NwkKey: key(0x40 + tc.eui)}}}
			d.version, _ = lorawan.ParseMACVersion(tc.version)
			d.region, _ = lorawan.RegionByName("EU868")
			if d.version == lorawan.MACVersion1_0 {
				d.d.RootKeys.NwkKey = lorawan.AES128Key{}
			}
			if err := e.db.PutDevice(ctx, d.d); err != nil {
				t.Fatal(err)
			}
			micros := int64(tc.eui) * 100_000_000

			// Join: both gateways hear it, B better; the join-accept goes
			// through B in the join-accept windows.
			jr := d.joinRequest()
			a.uplink(jr, 5, 868100000, -3, micros)
			xb := b.uplink(jr, 5, 868100000, 6, micros+10)
			dn := b.dnmsg()
			checkRX(t, dn, 5, 868100000, xb, d.d.DevEUI)
			ja := d.acceptJoin(dn.PDU)
			if want := d.version == lorawan.MACVersion1_1; ja.DLSettings.OptNeg != want {
				t.Errorf("OptNeg %v, want %v", ja.DLSettings.OptNeg, want)
			}

			// Unconfirmed uplink: one message with both gateways, nothing
			// to answer. (An answer would reach A, the better gateway,
			// before the ACK below, and fail the check of that ACK's
			// xtime: the scheduler sends before the pipeline publishes.)
			var fopts []byte
			if d.version == lorawan.MACVersion1_1 {
				fopts, _ = lorawan.AppendMACCommands(nil, lorawan.MACCommand{CID: lorawan.CIDRekey, Payload: &lorawan.RekeyInd{Minor: 1}})
			}
			phy := d.uplink(frame{fport: 2, payload: []byte("unconfirmed"), dr: 5, freq: 868300000})
			a.uplink(phy, 5, 868300000, 4, micros+2_000_000)
			b.uplink(phy, 5, 868300000, -1, micros+2_000_010)
			u := nextUplink(t, ups, &joins)
			md := u.WirelessMetadata.LoRaWAN
			if string(u.PayloadData) != "unconfirmed" || md.FCnt != 0 || md.DevEui != d.d.DevEUI || md.DevAddr != ja.DevAddr ||
				md.MType != "UnconfirmedDataUp" || md.FPort != 2 || md.Frequency != 868300000 || md.DataRate != 5 {
				t.Errorf("uplink %+v", u)
			}
			if len(md.Gateways) != 2 || md.Gateways[0].GatewayEui != gwA || md.Gateways[1].GatewayEui != gwB {
				t.Errorf("gateways %+v, want A (SNR 4) then B", md.Gateways)
			}

			// Confirmed uplink (1.1: with RekeyInd): one message, and the
			// ACK (with RekeyConf) through the better gateway, A this time.
			phy = d.uplink(frame{fport: 3, payload: []byte("confirmed"), confirmed: true, fopts: fopts, dr: 5, freq: 868500000})
			xa := a.uplink(phy, 5, 868500000, 7, micros+4_000_000)
			b.uplink(phy, 5, 868500000, 2, micros+4_000_010)
			u = nextUplink(t, ups, &joins)
			md = u.WirelessMetadata.LoRaWAN
			if string(u.PayloadData) != "confirmed" || md.FCnt != 1 || md.MType != "ConfirmedDataUp" || len(md.Gateways) != 2 {
				t.Errorf("uplink %+v", u)
			}
			dn = a.dnmsg()
			checkRX(t, dn, 1, 868500000, xa, d.d.DevEUI)
			var down lorawan.PHYPayload
			if err := down.UnmarshalBinary(dn.PDU); err != nil {
				t.Fatal(err)
			}
			if down.MHDR.MType != lorawan.UnconfirmedDataDown || !down.FHDR.FCtrl.ACK || down.FHDR.DevAddr != ja.DevAddr || down.FHDR.FCnt != 0 {
				t.Errorf("downlink %+v, want an ACK at FCnt 0", down)
			}
			mic, err := d.sess.DownlinkMIC(dn.PDU[:len(dn.PDU)-4], ja.DevAddr, 0, 1)
			if err != nil || mic != down.MIC {
				t.Errorf("downlink MIC %x, device computes %x (%v)", down.MIC, mic, err)
			}
			if d.version == lorawan.MACVersion1_1 {
				fo := append([]byte(nil), down.FHDR.FOpts...)
				if err := d.sess.XORFOpts(fo, fo, false, ja.DevAddr, 0, false); err != nil {
					t.Fatal(err)
				}
				cmds, err := lorawan.ParseMACCommands(fo, false)
				if err != nil || len(cmds) != 1 || cmds[0].CID != lorawan.CIDRekey {
					t.Errorf("downlink FOpts %x → %v (%v), want RekeyConf", fo, cmds, err)
				}
			}
		})
	}
	if joins != 2 {
		t.Errorf("%d join events, want 2", joins)
	}
	// Exactly one message per uplink: the pipeline published four, and
	// nothing else arrived.
	e.pipe.Close() // waits for the last uplink's processing
	select {
	case b := <-ups:
		t.Errorf("extra message on the destination topic: %s", b)
	default:
	}
	// Two join-accepts and two ACKs, nothing else.
	if m := e.sched.Metrics(); m.Scheduled != 4 || m.SendFailed != 0 {
		t.Errorf("scheduler sent %d downlinks (%d failed), want 4", m.Scheduled, m.SendFailed)
	}
	st := e.pipe.Stats()
	if st.Routed != 4 || st.Joins != 2 || st.RefusedTotal() != 0 || st.Dedup.Merged != 6 {
		t.Errorf("pipeline stats: routed %d joins %d refused %v merged %d", st.Routed, st.Joins, st.Refused, st.Dedup.Merged)
	}
}
