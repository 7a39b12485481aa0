package loadgen

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// handshakeTimeout bounds each dial and each answer of the connection
// sequence.
const handshakeTimeout = 15 * time.Second

// writeTimeout bounds each updf write.
const writeTimeout = 10 * time.Second

// simGateway is a lean Basics Station: discovery on /router-info, the
// traffic socket with its version message and router_config, then updf
// messages out, and dnmsg counted in and confirmed with a dntxed as
// Station does once it transmitted (here at once, as no radio waits for
// the receive window).
type simGateway struct {
	eui     lorawan.EUI64
	conn    *websocket.Conn
	started time.Time // xtime origin
	session uint8     // xtime session id
	rssi    float64   // this gateway's base RSSI, dBm
	snr     float64   // base SNR, dB
	done    chan struct{}
	once    sync.Once
	wmu     sync.Mutex // serialises writes: updf from the sender, dntxed from the reader
}

// connectGateway issues a client certificate for eui, runs discovery and
// opens the traffic socket, returning once router_config arrived.
func connectGateway(ctx context.Context, t Target, eui lorawan.EUI64, rec *recorder, log *slog.Logger) (*simGateway, error) {
	now := time.Now()
	kp, err := t.CA.IssueGatewayCert(eui, now.Add(-time.Minute), now.Add(certValidity))
	if err != nil {
		return nil, fmt.Errorf("loadgen: gateway %s: certificate: %w", eui, err)
	}
	cert, err := kp.TLSCertificate()
	if err != nil {
		return nil, fmt.Errorf("loadgen: gateway %s: certificate: %w", eui, err)
	}
	u, err := url.Parse(t.TCURI)
	if err != nil || u.Scheme != "wss" || u.Host == "" {
		return nil, fmt.Errorf("%w: tc uri %q: want wss://host:port", ErrOptions, t.TCURI)
	}
	tlsConf := &tls.Config{
		RootCAs:    t.CA.Pool(),
		ServerName: u.Hostname(),
		// Like Station's mbedTLS: send the certificate whatever CAs the
		// server names.
		GetClientCertificate: func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil },
	}
	dialer := &websocket.Dialer{TLSClientConfig: tlsConf, HandshakeTimeout: handshakeTimeout}

	trafficURI, err := routerInfo(ctx, dialer, strings.TrimSuffix(t.TCURI, "/")+"/router-info", eui)
	if err != nil {
		return nil, fmt.Errorf("loadgen: gateway %s: router-info: %w", eui, err)
	}
	dctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	conn, resp, err := dialer.DialContext(dctx, trafficURI, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("loadgen: gateway %s: traffic: %w", eui, err)
	}
	v, err := station.Encode(station.Version{
		Station: "2.0.6(loraedge-load)", Firmware: "load", Package: "load", Model: "loadgen",
		Protocol: station.ProtocolVersion,
	})
	if err == nil {
		err = conn.WriteMessage(websocket.TextMessage, v)
	}
	if err == nil {
		err = awaitRouterConfig(conn)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("loadgen: gateway %s: traffic: %w", eui, err)
	}
	g := &simGateway{
		eui:     eui,
		conn:    conn,
		started: time.Now(),
		session: uint8(rand.IntN(255) + 1),
		rssi:    -60 - 50*rand.Float64(),
		snr:     -5 + 15*rand.Float64(),
		done:    make(chan struct{}),
	}
	go g.read(rec, log)
	return g, nil
}

// routerInfo runs discovery: send {"router":"<id6>"}, read the answer's uri.
func routerInfo(ctx context.Context, dialer *websocket.Dialer, uri string, eui lorawan.EUI64) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, handshakeTimeout)
	defer cancel()
	conn, resp, err := dialer.DialContext(ctx, uri, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return "", err
	}
	defer conn.Close()
	req, err := json.Marshal(station.RouterInfoRequest{Router: eui})
	if err != nil {
		return "", err
	}
	if err := conn.WriteMessage(websocket.TextMessage, req); err != nil {
		return "", err
	}
	_ = conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	_, b, err := conn.ReadMessage()
	if err != nil {
		return "", err
	}
	var ans station.RouterInfoResponse
	if err := json.Unmarshal(b, &ans); err != nil {
		return "", err
	}
	if ans.Error != "" || ans.URI == "" {
		return "", fmt.Errorf("refused: %q", ans.Error)
	}
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	return ans.URI, nil
}

// awaitRouterConfig reads until router_config, as Station waits for it
// before it forwards anything.
func awaitRouterConfig(conn *websocket.Conn) error {
	_ = conn.SetReadDeadline(time.Now().Add(handshakeTimeout))
	defer conn.SetReadDeadline(time.Time{})
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return err
		}
		m, err := station.Decode(b)
		if err != nil {
			continue // Station logs and ignores what it cannot read
		}
		if _, ok := m.(*station.RouterConfig); ok {
			return nil
		}
	}
}

// sendUplink writes the updf of frame phy as this gateway heard it, with
// its own RSSI and SNR (jittered by ±2 dB) and xtime.
func (g *simGateway) sendUplink(phy []byte, ch channel, at time.Time, rng *rand.Rand) error {
	micros := at.Sub(g.started).Microseconds() + 1
	meta := station.UplinkMeta{
		DR:   ch.dr,
		Freq: ch.freq,
		UpInfo: station.UpInfo{
			XTime:  station.NewXTime(0, g.session, micros),
			Fts:    -1,
			RSSI:   float64(int(g.rssi + 4*rng.Float64() - 2)),
			SNR:    float64(int((g.snr+4*rng.Float64()-2)*4)) / 4,
			RxTime: station.SecondsOf(at),
		},
	}
	m, err := station.SplitUplink(phy, meta)
	if err != nil {
		return fmt.Errorf("loadgen: gateway %s: %w", g.eui, err)
	}
	b, err := station.Encode(m)
	if err != nil {
		return fmt.Errorf("loadgen: gateway %s: %w", g.eui, err)
	}
	if err := g.write(b); err != nil {
		return fmt.Errorf("loadgen: gateway %s: write: %w", g.eui, err)
	}
	return nil
}

// write sends one text message.
func (g *simGateway) write(b []byte) error {
	g.wmu.Lock()
	defer g.wmu.Unlock()
	_ = g.conn.SetWriteDeadline(time.Now().Add(writeTimeout))
	return g.conn.WriteMessage(websocket.TextMessage, b)
}

// dntxed confirms dn as transmitted in its first receive window (RX1
// when it has one, else RX2), as Station reports it.
func (g *simGateway) dntxed(dn *station.Dnmsg) error {
	delay := int64(max(dn.RxDelay, 1))
	tx := station.Dntxed{Diid: dn.Diid, DevEUI: dn.DevEUI, UpperEUIKeys: dn.UpperEUIKeys}
	switch {
	case dn.RX1DR != nil && dn.RX1Freq != nil:
		tx.DR, tx.Freq = *dn.RX1DR, *dn.RX1Freq
	case dn.RX2DR != nil && dn.RX2Freq != nil:
		tx.DR, tx.Freq = *dn.RX2DR, *dn.RX2Freq
		delay++
	}
	if dn.Rctx != nil {
		tx.Rctx = *dn.Rctx
	}
	if dn.XTime != 0 {
		tx.XTime = dn.XTime + station.XTime(delay*1_000_000)
	}
	tx.TxTime = station.SecondsOf(time.Now())
	b, err := station.Encode(tx)
	if err != nil {
		return err
	}
	return g.write(b)
}

// read counts the downlinks the cloud sends until the socket closes.
// Reading also answers the cloud's pings.
func (g *simGateway) read(rec *recorder, log *slog.Logger) {
	defer close(g.done)
	for {
		_, b, err := g.conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) && !errors.Is(err, net.ErrClosed) {
				log.Warn("gateway socket closed", "gateway", g.eui.String(), "err", err)
			}
			return
		}
		m, err := station.Decode(b)
		if err != nil {
			continue
		}
		dn, ok := m.(*station.Dnmsg)
		if !ok {
			continue
		}
		var p lorawan.PHYPayload
		ack := p.UnmarshalBinary(dn.PDU) == nil && !p.MHDR.MType.Uplink() && p.FHDR.FCtrl.ACK
		rec.downlink(ack)
		if err := g.dntxed(dn); err != nil {
			log.Warn("dntxed not sent", "gateway", g.eui.String(), "err", err)
		}
	}
}

// close ends the traffic socket as Station does on shutdown and waits for
// the reader.
func (g *simGateway) close() {
	g.once.Do(func() {
		_ = g.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		select {
		case <-g.done:
		case <-time.After(2 * time.Second):
		}
		g.conn.Close()
		<-g.done
	})
}
