package agent_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// countHandler counts the cloud's uplinks.
type countHandler struct {
	n      atomic.Int64
	notify chan struct{}
}

func (h *countHandler) HandleUplink(context.Context, gateway.Uplink) {
	h.n.Add(1)
	select {
	case h.notify <- struct{}{}:
	default:
	}
}

// BenchmarkUplink pushes data frames from the simulated air through the
// agent (split, encode, websocket over TLS) to the cloud's gateway
// endpoint, and reports uplinks per second end to end.
func BenchmarkUplink(b *testing.B) {
	ca, err := pkiCA()
	if err != nil {
		b.Fatal(err)
	}
	kp, err := ca.IssueServerCert([]string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	cert, err := kp.TLSCertificate()
	if err != nil {
		b.Fatal(err)
	}
	reg := &registry{gws: map[lorawan.EUI64]gateway.GatewayInfo{routerEUI: {EUI: routerEUI, Region: "EU868"}}}
	h := &countHandler{notify: make(chan struct{}, 1)}
	ln, srvDone := listen(b)
	srv, err := gateway.New(reg, h, gateway.Options{PublicURI: "wss://" + ln.Addr().String(), ServerCert: cert,
		ClientCAs: ca.Pool(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel(); <-srvDone }()
	go func() { srvDone <- srv.Serve(ctx, ln) }()

	clock := sim.NewVirtualClock(t0)
	air := sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: pathLoss})
	gw, err := sim.NewConcentrator(air, "gw", sim.ConcentratorOptions{RxQueue: 4096})
	if err != nil {
		b.Fatal(err)
	}
	defer gw.Close()
	gwKP, err := ca.IssueGatewayCert(routerEUI, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	st := newStates()
	a, err := agent.New(agent.Options{
		RouterEUI: routerEUI,
		TC:        agent.Credentials{URI: "wss://" + ln.Addr().String(), Trust: ca.CertPEM(), Cert: gwKP.CertPEM, Key: gwKP.KeyPEM},
		Radio:     gw, Clock: vclock{clock}, Logger: slog.New(slog.DiscardHandler), OnState: st.on,
	})
	if err != nil {
		b.Fatal(err)
	}
	actx, acancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- a.Run(actx) }()
	defer func() { acancel(); <-runDone }()
	select {
	case s := <-st.c:
		for s != agent.StateConnected {
			s = <-st.c
		}
	case <-time.After(waitTimeout):
		b.Fatal("agent did not connect")
	}

	frame := func(fcnt uint16) []byte {
		p := lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.UnconfirmedDataUp},
			FHDR: lorawan.FHDR{DevAddr: lorawan.DevAddr{0x26, 0x01, 0x02, 0x03}, FCnt: fcnt}, FPort: 1, FPortPresent: true,
			FRMPayload: []byte("0123456789abcdef"), MIC: [4]byte{1, 2, 3, 4}}
		out, err := p.MarshalBinary()
		if err != nil {
			b.Fatal(err)
		}
		return out
	}
	freqs := []uint32{868_100_000, 868_300_000, 868_500_000}
	wait := func(n int64) {
		for h.n.Load() < n {
			select {
			case <-h.notify:
			case <-time.After(waitTimeout):
				b.Fatalf("%d of %d uplinks reached the cloud", h.n.Load(), n)
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		f, err := air.Transmit("dev", sim.Frame{Freq: freqs[i%3], Modulation: hal.ModulationLoRa, SpreadingFactor: 7,
			Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5, CRC: true, Power: 14, Payload: frame(uint16(i))})
		if err != nil {
			b.Fatal(err)
		}
		clock.AdvanceTo(f.End)
		if i%1024 == 1023 {
			wait(int64(i + 1 - 2048)) // keep the radio's queue from overflowing
		}
	}
	wait(int64(b.N))
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "uplinks/s")
	if s := a.Stats(); s.Dropped != 0 || s.Spooled != 0 {
		b.Errorf("stats %+v", s)
	}
}
