package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// maxMessageSize bounds one message from a gateway. Station's uplinks are
// well under 1 KiB; its receive and send buffers are a few KiB.
const maxMessageSize = 16 << 10

// session is one gateway's traffic socket.
type session struct {
	eui    lorawan.EUI64
	remote string
	conn   *websocket.Conn
	log    *slog.Logger
	creds  credentials // what the gateway authenticated with, checked again at every ping

	writeTimeout time.Duration

	writeMu sync.Mutex    // gorilla allows one writer at a time
	ready   chan struct{} // closed once router_config was sent
	once    sync.Once     // guards ready
	done    chan struct{} // closed when the session ended
	closing sync.Once
}

// markReady records that router_config went out.
func (ss *session) markReady() { ss.once.Do(func() { close(ss.ready) }) }

// writeText writes one text message within ctx and the write timeout.
func (ss *session) writeText(ctx context.Context, b []byte) error {
	ss.writeMu.Lock()
	defer ss.writeMu.Unlock()
	deadline := time.Now().Add(ss.writeTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := ss.conn.SetWriteDeadline(deadline); err != nil {
		return err
	}
	if err := ss.conn.WriteMessage(websocket.TextMessage, b); err != nil {
		// A failed or timed-out write leaves the stream unusable.
		ss.conn.Close()
		return err
	}
	return nil
}

// close sends a close frame (best effort) and closes the connection, which
// ends the session's read loop.
func (ss *session) close(code int, reason string) {
	ss.closing.Do(func() {
		msg := websocket.FormatCloseMessage(code, reason)
		// WriteControl may run concurrently with WriteMessage.
		_ = ss.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		ss.conn.Close()
	})
}

// serveTraffic runs a gateway's traffic socket: authentication before the
// upgrade, then version → router_config, uplinks to the Handler, timesync
// answers, pings, until the gateway goes or is superseded.
func (s *Server) serveTraffic(w http.ResponseWriter, r *http.Request) {
	eui, err := station.ParseEUI(r.PathValue("eui"))
	if err != nil {
		s.logRefusal(r, "traffic", nil, &refusal{status: http.StatusNotFound, reason: "malformed gateway EUI in path", err: err})
		http.Error(w, "malformed gateway EUI", http.StatusNotFound)
		return
	}
	creds, ref := requestCredentials(r)
	if ref == nil {
		var info GatewayInfo
		info, ref = s.authorize(r.Context(), creds, eui)
		if ref == nil {
			s.runTraffic(w, r, eui, info, creds)
			return
		}
	}
	s.logRefusal(r, "traffic", &eui, ref)
	http.Error(w, http.StatusText(ref.status), ref.status)
}

func (s *Server) runTraffic(w http.ResponseWriter, r *http.Request, eui lorawan.EUI64, info GatewayInfo, creds credentials) {
	// The router_config is built before the upgrade: a gateway whose
	// record cannot make one is refused rather than left unconfigured.
	rc, err := BuildRouterConfig(info, s.routerConfigOptions())
	if err != nil {
		s.log.Error("gateway refused", "stage", "traffic", "remote", r.RemoteAddr, "gateway", eui.String(),
			"reason", "no router_config for the gateway's record", "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader's Error callback logged and answered
	}
	sess := &session{
		eui:    eui,
		remote: r.RemoteAddr,
		conn:   conn,
		creds:  creds,
		log:    s.log.With("gateway", eui.String(), "remote", r.RemoteAddr),
		ready:  make(chan struct{}),
		done:   make(chan struct{}),

		writeTimeout: s.opts.WriteTimeout,
	}
	if !s.register(sess) {
		sess.close(websocket.CloseGoingAway, "server shutting down")
		return
	}
	defer func() {
		s.unregister(sess)
		sess.close(websocket.CloseNormalClosure, "")
		close(sess.done)
	}()
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	sess.log.Info("gateway connected", "region", info.Region)
	if s.opts.OnConnect != nil {
		fp := ""
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			fp = CertFingerprint(r.TLS.PeerCertificates[0].Raw)
		}
		s.opts.OnConnect(eui, fp)
	}

	conn.SetReadLimit(maxMessageSize)
	idle := s.opts.IdleTimeout
	alive := func() error { return conn.SetReadDeadline(time.Now().Add(idle)) }
	_ = alive()
	conn.SetPongHandler(func(string) error { return alive() })

	pingDone := make(chan struct{})
	go func() {
		defer close(pingDone)
		s.pingLoop(ctx, sess)
	}()
	defer func() { cancel(); <-pingDone }()

	err = s.readLoop(ctx, sess, rc, alive)
	var ce *websocket.CloseError
	switch {
	case errors.As(err, &ce):
		sess.log.Info("gateway disconnected", "code", ce.Code, "text", ce.Text)
	case isTimeout(err):
		sess.log.Warn("gateway dropped", "reason", fmt.Sprintf("nothing heard for %v (no message, no pong)", idle))
	default:
		sess.log.Info("gateway disconnected", "error", err)
	}
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// pingLoop pings the gateway every PingInterval until ctx ends; the pongs
// move the read deadline (see the pong handler). After each ping it checks
// the gateway's credentials again (recheck).
func (s *Server) pingLoop(ctx context.Context, sess *session) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := sess.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(s.opts.WriteTimeout)); err != nil {
				sess.log.Debug("ping failed", "error", err)
				sess.conn.Close()
				return
			}
			if !s.recheck(ctx, sess) {
				return
			}
		}
	}
}

// recheck authorizes the session's credentials against the gateway's
// current record, so that a gateway removed from the registry, a
// certificate no longer allowed (a rotation completed) or a revoked token
// does not keep a connection made before. A refused session is closed and
// recheck returns false; a registry that cannot answer leaves it be.
func (s *Server) recheck(ctx context.Context, sess *session) bool {
	_, ref := s.authorize(ctx, sess.creds, sess.eui)
	if ref == nil || ref.reason == reasonRegistry || ctx.Err() != nil {
		return true
	}
	attrs := []any{"stage", "recheck", "reason", ref.reason}
	if ref.err != nil {
		attrs = append(attrs, "error", ref.err)
	}
	sess.log.Warn("gateway refused", attrs...)
	sess.close(websocket.ClosePolicyViolation, "credentials no longer valid")
	return false
}

// readLoop reads the gateway's messages until the connection ends and
// returns the read error.
func (s *Server) readLoop(ctx context.Context, sess *session, rc *station.RouterConfig, alive func() error) error {
	for {
		typ, b, err := sess.conn.ReadMessage()
		if err != nil {
			return err
		}
		received := s.now()
		if err := alive(); err != nil {
			return err
		}
		if typ != websocket.TextMessage {
			sess.log.Warn("binary message from gateway ignored", "bytes", len(b))
			continue
		}
		msg, err := station.Decode(b)
		if errors.Is(err, station.ErrUnknownMsgType) {
			sess.log.Warn("unknown message from gateway ignored", "error", err)
			continue
		}
		if err != nil {
			sess.log.Warn("malformed message from gateway ignored", "error", err)
			continue
		}
		switch m := msg.(type) {
		case *station.Version:
			sess.log.Info("gateway version", "station", m.Station, "firmware", m.Firmware, "package", m.Package,
				"model", m.Model, "protocol", m.Protocol, "features", m.Features)
			rc.MuxTime = station.SecondsOf(s.now())
			out, err := station.Encode(rc)
			if err != nil {
				return fmt.Errorf("gateway: encode router_config: %w", err)
			}
			if err := sess.writeText(ctx, out); err != nil {
				return err
			}
			sess.markReady()
		case *station.Timesync:
			if err := s.answerTimesync(ctx, sess, m, received); err != nil {
				return err
			}
		case *station.Jreq, *station.Rejoin, *station.Updf, *station.Propdf, *station.Dntxed:
			s.handler.HandleUplink(ctx, Uplink{Gateway: sess.eui, ReceivedAt: received, Message: msg})
		default:
			sess.log.Warn("message not expected from a gateway ignored", "msgtype", msg.MsgType())
		}
	}
}

// answerTimesync answers a timesync request with the GPS time at which it
// was read, echoing the gateway's txtime.
func (s *Server) answerTimesync(ctx context.Context, sess *session, req *station.Timesync, received time.Time) error {
	resp := &station.Timesync{
		TxTime:  req.TxTime,
		GPSTime: station.GPSTimeOf(received),
		MuxTime: station.SecondsOf(s.now()),
	}
	out, err := station.Encode(resp)
	if err != nil {
		return fmt.Errorf("gateway: encode timesync: %w", err)
	}
	return sess.writeText(ctx, out)
}
