package agent_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// registry is an in-memory gateway.Registry.
type registry struct {
	mu  sync.Mutex
	gws map[lorawan.EUI64]gateway.GatewayInfo
}

func (r *registry) Gateway(_ context.Context, eui lorawan.EUI64) (gateway.GatewayInfo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g, ok := r.gws[eui]
	if !ok {
		return gateway.GatewayInfo{}, fmt.Errorf("%w: %s", gateway.ErrUnknownGateway, eui)
	}
	return g, nil
}

// handler hands the cloud's uplinks to a channel.
type handler struct{ c chan gateway.Uplink }

func (h handler) HandleUplink(_ context.Context, up gateway.Uplink) { h.c <- up }

// cloudLNS is the cloud's gateway endpoint on 127.0.0.1 over TLS.
type cloudLNS struct {
	t      *testing.T
	ca     *pki.CA
	reg    *registry
	srv    *gateway.Server
	addr   string
	ups    chan gateway.Uplink
	cancel context.CancelFunc
	done   chan error
}

// startCloud serves the endpoint on addr ("127.0.0.1:0" for any port),
// with the gateway registered in reg.
func startCloud(t *testing.T, ca *pki.CA, reg *registry, addr string) *cloudLNS {
	t.Helper()
	kp, err := ca.IssueServerCert([]string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c := &cloudLNS{t: t, ca: ca, reg: reg, addr: ln.Addr().String(), ups: make(chan gateway.Uplink, 64), done: make(chan error, 1)}
	c.srv, err = gateway.New(reg, handler{c.ups}, gateway.Options{
		PublicURI:  "wss://" + c.addr,
		ServerCert: cert,
		ClientCAs:  ca.Pool(),
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() { c.done <- c.srv.Serve(ctx, ln) }()
	t.Cleanup(c.stop)
	return c
}

// stop shuts the endpoint down and waits for it.
func (c *cloudLNS) stop() {
	c.cancel()
	select {
	case err := <-c.done:
		if err != nil {
			c.t.Errorf("Serve: %v", err)
		}
		c.done <- nil // later stops return at once
	case <-time.After(waitTimeout):
		c.t.Error("Serve did not return")
	}
}

// next returns the next uplink message the cloud received.
func (c *cloudLNS) next(t *testing.T) station.Message {
	t.Helper()
	select {
	case up := <-c.ups:
		if up.Gateway != routerEUI {
			t.Fatalf("uplink from gateway %s", up.Gateway)
		}
		return up.Message
	case <-time.After(waitTimeout):
		t.Fatal("no uplink reached the cloud")
	}
	return nil
}

// gatewayCreds issues the gateway's mTLS credentials.
func gatewayCreds(t *testing.T, ca *pki.CA, addr string) agent.Credentials {
	t.Helper()
	kp, err := ca.IssueGatewayCert(routerEUI, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	return agent.Credentials{URI: "wss://" + addr, Trust: ca.CertPEM(), Cert: kp.CertPEM, Key: kp.KeyPEM}
}

// testAgent is an agent under test with what observes it.
type testAgent struct {
	*agent.Agent
	states *states
	logs   *logSink
	stop   func()
}

// cloudAgent starts an agent on w's gateway against the cloud.
func cloudAgent(t *testing.T, w *world, creds agent.Credentials, edit func(*agent.Options)) *testAgent {
	t.Helper()
	st, logs := newStates(), newLogSink()
	opts := agent.Options{
		RouterEUI: routerEUI,
		TC:        creds,
		Radio:     w.gw,
		Clock:     vclock{w.clock},
		Logger:    slog.New(logs),
		OnState:   st.on,
		Reconnect: agent.Reconnect{MuxsBackoff: []time.Duration{20 * time.Millisecond, 40 * time.Millisecond},
			InfosStep: 20 * time.Millisecond, InfosMax: 50 * time.Millisecond},
	}
	if edit != nil {
		edit(&opts)
	}
	a, err := agent.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return &testAgent{Agent: a, states: st, logs: logs, stop: runAgent(t, a)}
}

// TestCloudJoin runs a simulated OTAA device through the agent to the
// cloud's Basics Station endpoint over mutual TLS: the router_config is
// applied to the simulated concentrator, the join-request arrives as jreq
// with the right radio metadata, the join-accept goes out in RX1 and the
// device joins, dntxed comes back, and the device's first uplink arrives as
// updf.
func TestCloudJoin(t *testing.T) {
	ca := pkitest.NewCA(t, "loraedge test CA")
	reg := &registry{gws: map[lorawan.EUI64]gateway.GatewayInfo{routerEUI: {EUI: routerEUI, Region: "EU868"}}}
	lns := startCloud(t, ca, reg, "127.0.0.1:0")
	w := newWorld(t, sim.ConcentratorOptions{})
	a := cloudAgent(t, w, gatewayCreds(t, ca, lns.addr), nil)
	a.states.wait(t, agent.StateConnected, a.logs)

	appKey := lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	devEUI := lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x05, 0x00, 0x01}
	joinEUI := lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x00}
	events := make(chan sim.Event, 32)
	dev, err := sim.NewDevice(w.air, sim.DeviceConfig{Name: "otaa", Region: w.region, MACVersion: lorawan.MACVersion1_0,
		DevEUI: devEUI, JoinEUI: joinEUI, AppKey: appKey, DevNonce: 0x0102, DataRate: 5,
		OnEvent: func(e sim.Event) { events <- e }})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()

	if err := dev.Join(); err != nil {
		t.Fatal(err)
	}
	f := w.nextFrame(false)
	w.clock.AdvanceTo(f.End)
	jreq, ok := lns.next(t).(*station.Jreq)
	if !ok {
		t.Fatal("first uplink is not a jreq")
	}
	session := a.Stats().Session
	rssi, _ := w.rssiSNR(f)
	wantXT := station.NewXTime(0, session, int64(counterAt(0, f.End)))
	if jreq.DevEUI != devEUI || jreq.JoinEUI != joinEUI || jreq.DevNonce != 0x0102 {
		t.Errorf("jreq %s/%s nonce %#x, want %s/%s nonce 0x102", jreq.JoinEUI, jreq.DevEUI, jreq.DevNonce, joinEUI, devEUI)
	}
	if jreq.Freq != f.Freq || jreq.DR != 5 || jreq.UpInfo.RSSI != float64(rssi) || jreq.UpInfo.XTime != wantXT {
		t.Errorf("jreq Freq %d DR %d RSSI %v xtime %d, want %d, 5, %d, %d",
			jreq.Freq, jreq.DR, jreq.UpInfo.RSSI, jreq.UpInfo.XTime, f.Freq, rssi, wantXT)
	}
	if phy, err := jreq.PHYPayload(); err != nil || !bytes.Equal(phy, f.Payload) {
		t.Errorf("jreq rebuilds %x (%v), want the frame on air %x", phy, err, f.Payload)
	}

	// The join-accept, as a join server would build it.
	root := lorawan.NewRootKeys10(appKey)
	netID, devAddr := lorawan.NetID{0, 0, 0x13}, lorawan.DevAddr{0x26, 0x0b, 0x01, 0x02}
	ja := lorawan.JoinAcceptPayload{JoinNonce: 1, NetID: netID, DevAddr: devAddr, RxDelay: 1}
	plain, err := ja.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mhdr, _ := lorawan.MHDR{MType: lorawan.JoinAccept}.MarshalByte()
	pdu, err := root.AppendJoinAccept(nil, append([]byte{mhdr}, plain...), lorawan.JoinReqTypeJoin, joinEUI, 0x0102)
	if err != nil {
		t.Fatal(err)
	}
	rx1DR, rx2DR, rx2Freq, rctx := 5, 0, uint32(869_525_000), int64(0)
	rx1Freq := f.Freq
	set := w.clock.TimerSet()
	err = lns.srv.Send(context.Background(), routerEUI, &station.Dnmsg{
		DevEUI: devEUI, DC: station.ClassA, Diid: 77, PDU: pdu, RxDelay: 5,
		RX1DR: &rx1DR, RX1Freq: &rx1Freq, RX2DR: &rx2DR, RX2Freq: &rx2Freq, XTime: jreq.UpInfo.XTime, Rctx: &rctx,
	})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-set:
	case <-time.After(waitTimeout):
		t.Fatalf("join-accept not queued; logs:\n%s", a.logs.text())
	}
	w.clock.AdvanceTo(f.End.Add(5500 * time.Millisecond))
	dn := w.nextFrame(true)
	if want := f.End.Add(5 * time.Second); !dn.Start.Equal(want) || dn.Freq != f.Freq {
		t.Errorf("join-accept at %v on %d Hz, want RX1 at %v on %d Hz", dn.Start, dn.Freq, want, f.Freq)
	}
	for joined := false; !joined; {
		select {
		case e := <-events:
			switch e.Kind {
			case sim.EventJoined:
				if e.DevAddr != devAddr {
					t.Errorf("joined as %s, want %s", e.DevAddr, devAddr)
				}
				joined = true
			case sim.EventMissed, sim.EventMICFailed, sim.EventNoDownlink, sim.EventRejected:
				t.Fatalf("device: %s (%s %v)", e.Kind, e.Reason, e.Err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("device did not join")
		}
	}
	tx, ok := lns.next(t).(*station.Dntxed)
	if !ok {
		t.Fatal("next uplink is not a dntxed")
	}
	if tx.Diid != 77 || tx.DevEUI != devEUI || tx.DR != 5 || tx.Freq != f.Freq || tx.XTime != wantXT.Add(5*time.Second) {
		t.Errorf("dntxed %+v, want diid 77, DR 5, %d Hz, xtime %d", tx, f.Freq, wantXT.Add(5*time.Second))
	}

	w.clock.Advance(2 * time.Second)
	if err := dev.SendData(7, []byte("hello"), false); err != nil {
		t.Fatal(err)
	}
	f = w.nextFrame(false)
	w.clock.AdvanceTo(f.End)
	updf, ok := lns.next(t).(*station.Updf)
	if !ok {
		t.Fatal("uplink is not an updf")
	}
	if updf.Addr() != devAddr || updf.FCnt != 0 || updf.FPort != 7 || updf.Freq != f.Freq || updf.DR != 5 {
		t.Errorf("updf %s FCnt %d FPort %d %d Hz DR %d, want %s 0 7 %d 5", updf.Addr(), updf.FCnt, updf.FPort, updf.Freq, updf.DR, devAddr, f.Freq)
	}
	if phy, err := updf.PHYPayload(); err != nil || !bytes.Equal(phy, f.Payload) {
		t.Errorf("updf rebuilds %x (%v), want the frame on air %x", phy, err, f.Payload)
	}
	a.stop()
	if s := a.Stats(); s.Received != 2 || s.Sent != 2 || s.Downlinks != 1 || s.Dntxed != 1 || s.Spooled != 0 {
		t.Errorf("stats %+v", s)
	}
}

// TestCloudReconnect restarts the cloud mid-stream on the same port: the
// uplinks received while it is down are spooled and arrive, in order and
// with their original metadata, once the agent is back; the radio keeps
// its xtime session throughout.
func TestCloudReconnect(t *testing.T) {
	ca := pkitest.NewCA(t, "loraedge test CA")
	reg := &registry{gws: map[lorawan.EUI64]gateway.GatewayInfo{routerEUI: {EUI: routerEUI, Region: "EU868"}}}
	lns := startCloud(t, ca, reg, "127.0.0.1:0")
	w := newWorld(t, sim.ConcentratorOptions{})
	spool := &notifySpool{MemorySpool: agent.NewMemorySpool(0), put: make(chan struct{}, 16)}
	a := cloudAgent(t, w, gatewayCreds(t, ca, lns.addr), func(o *agent.Options) { o.Spool = spool })
	a.states.wait(t, agent.StateConnected, a.logs)
	d := w.device(1, sim.ClassA)

	send := func(i int) *station.Updf {
		t.Helper()
		w.clock.Advance(3 * time.Second) // past the last uplink's windows
		f := w.uplink(d, fmt.Sprint(i))
		return &station.Updf{FCnt: uint16(i), UplinkMeta: station.UplinkMeta{
			Freq: f.Freq, DR: 5, UpInfo: station.UpInfo{XTime: station.NewXTime(0, a.Stats().Session, int64(counterAt(0, f.End)))}}}
	}
	cur := lns
	check := func(want *station.Updf) {
		t.Helper()
		got, ok := cur.next(t).(*station.Updf)
		if !ok {
			t.Fatal("uplink is not an updf")
		}
		if got.FCnt != want.FCnt || got.Freq != want.Freq || got.UpInfo.XTime != want.UpInfo.XTime {
			t.Errorf("updf FCnt %d %d Hz xtime %d, want FCnt %d %d Hz xtime %d",
				got.FCnt, got.Freq, got.UpInfo.XTime, want.FCnt, want.Freq, want.UpInfo.XTime)
		}
	}

	for i := range 3 {
		check(send(i))
	}
	lns.stop()
	a.states.wait(t, agent.StateDisconnected, a.logs)
	var spooled []*station.Updf
	for i := 3; i < 6; i++ {
		spooled = append(spooled, send(i))
		select {
		case <-spool.put:
		case <-time.After(waitTimeout):
			t.Fatal("uplink not spooled while the cloud was down")
		}
	}
	cur = startCloud(t, ca, reg, lns.addr)
	a.states.wait(t, agent.StateConnected, a.logs)
	for _, want := range spooled {
		check(want)
	}
	check(send(6))
	a.stop()
	s := a.Stats()
	if s.Spooled != 3 || s.Unspooled != 3 || s.Sent != 4 || s.RadioStarts != 1 || s.Connections < 2 {
		t.Errorf("stats %+v: want 3 spooled and unspooled, 4 sent live, one radio start, two connections", s)
	}
	if n := spool.Len(); n != 0 {
		t.Errorf("%d uplinks left in the spool", n)
	}
}

// notifySpool signals each record put in a MemorySpool.
type notifySpool struct {
	*agent.MemorySpool
	put chan struct{}
}

func (s *notifySpool) SpoolPut(ctx context.Context, msg []byte, at time.Time) error {
	err := s.MemorySpool.SpoolPut(ctx, msg, at)
	s.put <- struct{}{}
	return err
}

// TestCloudToken authenticates with a token (Station's tc.key without
// tc.crt) and a DER trust; a wrong token is a rejection, reported to
// OnRejected.
func TestCloudToken(t *testing.T) {
	ca := pkitest.NewCA(t, "loraedge test CA")
	const token = "s3cret-token"
	reg := &registry{gws: map[lorawan.EUI64]gateway.GatewayInfo{routerEUI: {EUI: routerEUI, Region: "EU868", TokenSHA256: gateway.HashToken(token)}}}
	lns := startCloud(t, ca, reg, "127.0.0.1:0")
	blk, _ := pem.Decode(ca.CertPEM())
	if blk == nil {
		t.Fatal("CA PEM")
	}

	t.Run("good token", func(t *testing.T) {
		w := newWorld(t, sim.ConcentratorOptions{})
		creds := agent.Credentials{URI: "wss://" + lns.addr, Trust: blk.Bytes, Key: []byte("Authorization: Bearer " + token + "\r\n")}
		a := cloudAgent(t, w, creds, nil)
		a.states.wait(t, agent.StateConnected, a.logs)
		if bytes.Contains([]byte(a.logs.text()), []byte(token)) {
			t.Error("the token was logged")
		}
	})
	t.Run("bad token", func(t *testing.T) {
		w := newWorld(t, sim.ConcentratorOptions{})
		rejected := make(chan error, 8)
		creds := agent.Credentials{URI: "wss://" + lns.addr, Trust: blk.Bytes, Token: "Authorization: Bearer wrong"}
		cloudAgent(t, w, creds, func(o *agent.Options) { o.OnRejected = func(err error) { rejected <- err } })
		select {
		case err := <-rejected:
			if !errors.Is(err, agent.ErrRejected) {
				t.Errorf("OnRejected(%v), want ErrRejected", err)
			}
		case <-time.After(waitTimeout):
			t.Fatal("OnRejected not called")
		}
	})
	t.Run("server not trusted", func(t *testing.T) {
		w := newWorld(t, sim.ConcentratorOptions{})
		other := pkitest.NewCA(t, "loraedge test CA")
		a := cloudAgent(t, w, gatewayCreds(t, other, lns.addr), nil)
		a.logs.wait(t, "router-info failed", map[string]string{"error": "certificate signed by unknown authority"})
	})
}

// pkiCA makes a throwaway CA.
func pkiCA() (*pki.CA, error) {
	return pki.NewCA("loraedge bench CA", time.Now().Add(-time.Hour), 24*time.Hour)
}

// listen opens a listener on 127.0.0.1 and a channel for Serve's result.
func listen(tb testing.TB) (net.Listener, chan error) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	return ln, make(chan error, 1)
}
