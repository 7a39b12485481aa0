// Package pathtest is the test harness of the "whole agent path" tests
// of the concentrator drivers: the cloud's real Basics Station endpoint
// (cloud/gateway) on 127.0.0.1 with mutual TLS, a radio wrapper that
// records what the driver hands the agent, and waits on the agent's state.
package pathtest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// Wait bounds every wait of a path test.
const Wait = 10 * time.Second

// Gateway is the EUI of the gateway under test.
var Gateway = lorawan.EUI64{0x00, 0x16, 0xc0, 0x01, 0xff, 0xfe, 0x00, 0x42}

// registry is an in-memory gateway.Registry with one gateway.
type registry struct{ info gateway.GatewayInfo }

func (r registry) Gateway(_ context.Context, eui lorawan.EUI64) (gateway.GatewayInfo, error) {
	if eui != r.info.EUI {
		return gateway.GatewayInfo{}, fmt.Errorf("%w: %s", gateway.ErrUnknownGateway, eui)
	}
	return r.info, nil
}

// handler records what the gateway sends up.
type handler struct{ ups chan gateway.Uplink }

func (h handler) HandleUplink(_ context.Context, up gateway.Uplink) { h.ups <- up }

// LNS is the cloud's gateway endpoint serving one gateway on 127.0.0.1.
type LNS struct {
	Srv  *gateway.Server
	Addr string
	Ups  chan gateway.Uplink
}

// StartLNS serves info's gateway with a server certificate from ca until
// the test ends.
func StartLNS(t testing.TB, ca *pki.CA, info gateway.GatewayInfo) *LNS {
	t.Helper()
	kp, err := ca.IssueServerCert([]string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := &LNS{Addr: ln.Addr().String(), Ups: make(chan gateway.Uplink, 16)}
	l.Srv, err = gateway.New(registry{info}, handler{l.Ups}, gateway.Options{
		PublicURI:  "wss://" + l.Addr,
		ServerCert: cert,
		ClientCAs:  ca.Pool(),
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(Wait):
			t.Error("Serve did not return")
		}
	})
	return l
}

// Next returns the next message the gateway sent up.
func (l *LNS) Next(t testing.TB) station.Message {
	t.Helper()
	select {
	case up := <-l.Ups:
		if up.Gateway != Gateway {
			t.Fatalf("uplink from gateway %s, want %s", up.Gateway, Gateway)
		}
		return up.Message
	case <-time.After(Wait):
		t.Fatal("nothing reached the cloud")
	}
	return nil
}

// Recorder is a radio whose every received frame is also copied to Got,
// so that a test can compare the agent's xtime with the driver's counter.
type Recorder struct {
	hal.Concentrator
	Got chan hal.RxPacket
}

// Receive receives from the radio and records the frame.
func (r Recorder) Receive(ctx context.Context) (hal.RxPacket, error) {
	p, err := r.Concentrator.Receive(ctx)
	if err == nil {
		r.Got <- p
	}
	return p, err
}

// States collects the agent's state changes (pass On as Options.OnState).
type States struct{ C chan agent.State }

// On records a state change.
func (s *States) On(st agent.State) { s.C <- st }

// Wait returns once the agent reached want.
func (s *States) Wait(t testing.TB, want agent.State) {
	t.Helper()
	deadline := time.After(Wait)
	for {
		select {
		case got := <-s.C:
			if got == want {
				return
			}
		case <-deadline:
			t.Fatalf("agent never reached %s", want)
		}
	}
}

// DRFor returns the uplink data rate of rc with sf at 125 kHz.
func DRFor(t testing.TB, rc *station.RouterConfig, sf int) int {
	t.Helper()
	for i, d := range rc.DRs {
		if d.SF == sf && d.BW == 125 && !d.DnOnly {
			return i
		}
	}
	t.Fatalf("router_config has no uplink DR for SF%d/125", sf)
	return 0
}

// StartAgent runs the gateway agent for Gateway against lns with a client
// certificate from ca, on radio with the board's radio types and RSSI
// offset (radio 0 transmits), and waits until it is connected. It returns
// the agent, and stop, which ends it and checks it returned cleanly (the
// test's cleanup calls it too).
func StartAgent(t testing.TB, ca *pki.CA, lns *LNS, radio hal.Concentrator, radioType string, rssiOffset float64) (a *agent.Agent, stop func()) {
	t.Helper()
	kp, err := ca.IssueGatewayCert(Gateway, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	txOn := true
	states := &States{C: make(chan agent.State, 32)}
	a, err = agent.New(agent.Options{
		RouterEUI: Gateway,
		TC:        agent.Credentials{URI: "wss://" + lns.Addr, Trust: ca.CertPEM(), Cert: kp.CertPEM, Key: kp.KeyPEM},
		Radio:     radio,
		Board: station.SX130xConf{Radios: [2]*station.RadioConf{
			{Type: radioType, RSSIOffset: &rssiOffset, TxEnable: &txOn},
			{Type: radioType, RSSIOffset: &rssiOffset},
		}},
		OnState: states.On,
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-runDone:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(Wait):
				t.Error("Run did not return")
			}
		})
	}
	t.Cleanup(stop)
	states.Wait(t, agent.StateConnected)
	return a, stop
}
