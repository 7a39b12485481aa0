package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/agent/rmtsh"
	"github.com/loraedge/loraedge/station"
)

// maxLNSMessage bounds one message from the LNS (Station's receive buffer
// is a few KiB; a router_config for a busy plan stays well below this).
const maxLNSMessage = 64 << 10

// spoolBatch is how many spooled uplinks are read at a time.
const spoolBatch = 64

// wsConn is the writing side of a websocket (*websocket.Conn).
type wsConn interface {
	WriteMessage(messageType int, data []byte) error
	WriteControl(messageType int, data []byte, deadline time.Time) error
	SetWriteDeadline(t time.Time) error
	Close() error
}

// conn is one traffic connection.
type conn struct {
	ws           wsConn
	writeTimeout time.Duration
	writeMu      sync.Mutex
	configured   atomic.Bool   // router_config applied
	flushing     atomic.Bool   // spool flush started
	shells       *rmtsh.Shells // remote shells; nil unless Options.AllowRmtsh
}

// WriteText writes one text message; a failed write closes the socket.
func (c *conn) WriteText(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.ws.Close()
		return err
	}
	return nil
}

// WriteBinary writes one binary message (rmtsh data); a failed write
// closes the socket.
func (c *conn) WriteBinary(b []byte) error {
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.writeTimeout))
	if err := c.ws.WriteMessage(websocket.BinaryMessage, b); err != nil {
		c.ws.Close()
		return err
	}
	return nil
}

// send encodes and writes a message.
func (c *conn) send(m station.Message) error {
	b, err := station.Encode(m)
	if err != nil {
		return err
	}
	return c.WriteText(b)
}

// close sends a close frame with code and closes the socket.
func (c *conn) close(code int) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, ""), time.Now().Add(time.Second))
	c.ws.Close()
}

// currentConn returns the traffic connection, nil when there is none.
func (a *Agent) currentConn() *conn {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.conn
}

// credentials returns the credential set to use now.
func (a *Agent) credentials(ctx context.Context) (Credentials, error) {
	if a.opts.LoadTC != nil {
		c, err := a.opts.LoadTC(ctx)
		if err != nil {
			return Credentials{}, fmt.Errorf("agent: load tc credentials: %w", err)
		}
		return c, nil
	}
	return a.opts.TC, nil
}

// dial opens a websocket to url with the credential set, as Station does:
// TLS with the set's trust and client certificate for wss, the token's
// header lines over TLS only, no subprotocol.
func (a *Agent) dial(ctx context.Context, creds Credentials, ep tcEndpoint, url string) (*websocket.Conn, error) {
	d := &websocket.Dialer{HandshakeTimeout: a.opts.DialTimeout, Proxy: http.ProxyFromEnvironment}
	header := http.Header{}
	if ep.tls {
		cfg, err := creds.tlsConfig(ep.host)
		if err != nil {
			return nil, err
		}
		d.TLSClientConfig = cfg
		if tok := creds.tokenText(); tok != "" {
			if header, err = parseToken(tok); err != nil {
				return nil, err
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.DialTimeout)
	defer cancel()
	ws, resp, err := d.DialContext(ctx, url, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("agent: connect %s: %w (HTTP %d)", url, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("agent: connect %s: %w", url, err)
	}
	ws.SetReadLimit(maxLNSMessage)
	return ws, nil
}

// discover asks <tc.uri>/router-info for the traffic URI (tc_info_request
// in src/tc.c). An answer with an error or without a uri is a rejection
// (ErrRejected); a uri Station would refuse is a failure.
func (a *Agent) discover(ctx context.Context) (Credentials, string, error) {
	creds, err := a.credentials(ctx)
	if err != nil {
		return Credentials{}, "", err
	}
	ep, err := parseTCURI(creds.URI)
	if err != nil {
		return Credentials{}, "", err
	}
	if !ep.tls && creds.tokenText() != "" {
		a.log.Warn("token not sent: Station sends tokens over wss only", "uri", creds.URI)
	}
	ws, err := a.dial(ctx, creds, ep, ep.url("/router-info"))
	if err != nil {
		return Credentials{}, "", err
	}
	defer ws.Close()
	stop := context.AfterFunc(ctx, func() { ws.Close() })
	defer stop()
	req, err := json.Marshal(station.RouterInfoRequest{Router: a.opts.RouterEUI})
	if err != nil {
		return Credentials{}, "", err
	}
	_ = ws.SetWriteDeadline(time.Now().Add(a.opts.WriteTimeout))
	if err := ws.WriteMessage(websocket.TextMessage, req); err != nil {
		return Credentials{}, "", fmt.Errorf("agent: router-info request: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(a.opts.DialTimeout))
	var b []byte
	for {
		typ, msg, err := ws.ReadMessage()
		if err != nil {
			return Credentials{}, "", fmt.Errorf("agent: router-info answer: %w", err)
		}
		if typ == websocket.TextMessage {
			b = msg
			break
		}
		a.log.Warn("binary data from router-info ignored", "bytes", len(msg))
	}
	// Station closes the discovery socket with 1000 once it has read it.
	_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	var resp station.RouterInfoResponse
	if err := json.Unmarshal(b, &resp); err != nil {
		return Credentials{}, "", fmt.Errorf("agent: router-info answer: %w", err)
	}
	if resp.Error != "" || resp.URI == "" {
		return Credentials{}, "", fmt.Errorf("%w: router-info error %q", ErrRejected, resp.Error)
	}
	if err := station.CheckTrafficURI(resp.URI); err != nil {
		return Credentials{}, "", fmt.Errorf("agent: router-info: %w", err)
	}
	a.log.Info("router-info", "muxs", resp.Muxs, "uri", resp.URI)
	return creds, resp.URI, nil
}

// traffic runs one traffic connection to uri until it closes. up reports
// whether the websocket was opened (Station's TC_MUXS_CONNECTED), and
// configured whether a router_config was applied on it; err says why it
// ended (errNoRadioConf when the router_config was unusable).
func (a *Agent) traffic(ctx context.Context, creds Credentials, uri string) (up, configured bool, err error) {
	a.setState(StateConnecting)
	ep, err := trafficEndpoint(uri)
	if err != nil {
		a.setState(StateDisconnected)
		return false, false, err
	}
	ws, err := a.dial(ctx, creds, ep, uri)
	if err != nil {
		a.setState(StateDisconnected)
		return false, false, err
	}
	c := &conn{ws: ws, writeTimeout: a.opts.WriteTimeout}
	if a.opts.AllowRmtsh {
		c.shells = rmtsh.New(c, a.log, a.clock)
	}
	a.mu.Lock()
	a.conn = c
	a.stats.Connections++
	a.mu.Unlock()
	a.log.Info("connected to the LNS", "uri", uri)

	var flush sync.WaitGroup
	defer func() {
		a.goOffline(c)
		a.mu.Lock()
		if a.conn == c {
			a.conn = nil
		}
		a.mu.Unlock()
		ws.Close()
		c.shells.Close() // remote shells end with the connection
		flush.Wait()
		a.setState(StateDisconnected)
	}()
	stop := context.AfterFunc(ctx, func() { c.close(websocket.CloseGoingAway) })
	defer stop()

	if err := c.send(a.version()); err != nil {
		return true, false, fmt.Errorf("agent: send version: %w", err)
	}
	for {
		typ, b, err := ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				a.log.Info("LNS closed the connection", "code", ce.Code, "text", ce.Text)
			} else {
				a.log.Info("connection to the LNS lost", "error", err)
			}
			return true, c.configured.Load(), err
		}
		if typ != websocket.TextMessage {
			a.handleBinary(c, b)
			continue
		}
		if err := a.handleMessage(ctx, c, b); err != nil {
			a.log.Error("closing the connection to the LNS", "error", err)
			c.close(websocket.CloseNormalClosure)
			return true, c.configured.Load(), err
		}
		if c.configured.Load() && c.flushing.CompareAndSwap(false, true) {
			flush.Add(1)
			go func() {
				defer flush.Done()
				if a.flushSpool(ctx, c) {
					a.setState(StateConnected)
				}
			}()
		}
	}
}

// trafficEndpoint parses the traffic URI for dialing.
func trafficEndpoint(uri string) (tcEndpoint, error) {
	if err := station.CheckTrafficURI(uri); err != nil {
		return tcEndpoint{}, err
	}
	u, err := url.Parse(uri)
	if err != nil {
		return tcEndpoint{}, err
	}
	return tcEndpoint{tls: u.Scheme == "wss", host: u.Hostname(), hostPort: u.Host}, nil
}

// handleMessage handles one text message from the LNS (s2e_onMsg). It
// returns an error only when the connection must be closed.
func (a *Agent) handleMessage(ctx context.Context, c *conn, b []byte) error {
	rx := a.ustime()
	msg, err := station.Decode(b)
	if errors.Is(err, station.ErrUnknownMsgType) {
		a.log.Warn("unknown msgtype from the LNS ignored", "error", err)
		return nil
	}
	if err != nil {
		a.ignoreUndecodable(err)
		return nil
	}
	switch m := msg.(type) {
	case *station.RouterConfig:
		if err := a.applyRouterConfig(ctx, c, m, rx); err != nil {
			return err
		}
	case *station.Dnmsg:
		a.handleDnmsg(ctx, c, m, rx)
	case *station.Dnsched:
		a.handleDnsched(ctx, c, m, rx)
	case *station.Dnframe:
		a.log.Warn("obsolete dnframe received")
		a.handleDnframe(ctx, c, m, rx)
	case *station.Timesync:
		a.handleTimesync(m, rx)
	case *station.Getxtime:
		a.handleGetxtime(c, m)
	case *station.Runcmd:
		a.handleRuncmd(m)
	case *station.Rmtsh:
		a.handleRmtsh(c, m, rx)
	case *station.ErrorMsg:
		a.log.Warn("LNS error message", "error", m.Error)
	default:
		a.log.Warn("unexpected msgtype from the LNS ignored", "msgtype", msg.MsgType())
	}
	return nil
}

// ignoreUndecodable logs a message from the LNS that does not decode, which
// Station ignores without closing the connection: a router_config it
// cannot parse leaves the configuration in force ("Parsing of JSON message
// failed - ignored" in s2e_onMsg), a downlink without a mandatory field is
// dropped ("Some mandatory fields are missing") and counted as refused.
func (a *Agent) ignoreUndecodable(err error) {
	var de *station.DecodeError
	switch {
	case !errors.As(err, &de):
		a.log.Warn("malformed message from the LNS ignored", "error", err)
	case errors.Is(err, station.ErrMissingFields):
		a.count(func(s *Stats) { s.Refused++ })
		a.log.Warn(de.MsgType+" ignored: some mandatory fields are missing", "error", err)
	case de.MsgType == station.MsgTypeRouterConfig:
		a.log.Warn("router_config ignored: the previous configuration stays", "error", err)
	default:
		a.log.Warn("malformed message from the LNS ignored", "msgtype", de.MsgType, "error", err)
	}
}

// applyRouterConfig configures the agent from a router_config
// (handle_router_config): the plan for uplinks and downlinks, Station's UTC
// and MuxTime references, and the radio (restarted when its configuration
// changed).
func (a *Agent) applyRouterConfig(ctx context.Context, c *conn, rc *station.RouterConfig, rx int64) error {
	p := a.nextPlan(rc)
	cfg, err := radioConfig(rc, a.opts.Board, p)
	if err != nil {
		return err
	}
	if p.region == "" {
		a.log.Warn("unrecognized region in router_config: downlinks will be dropped", "region", rc.Region)
	}
	if rc.Bcning != nil {
		a.log.Warn("router_config bcning ignored: class B beacons are not supported")
	}
	if rc.MuxTime != 0 {
		a.mu.Lock()
		a.muxTime, a.muxRefUs = float64(rc.MuxTime), rx
		a.utcOffset = int64(float64(rc.MuxTime)*1e6) - rx
		a.mu.Unlock()
	}
	// The plan goes first: frames of the (re)started radio need its DRs.
	a.mu.Lock()
	a.plan = p
	a.mu.Unlock()
	restarted, err := a.startRadio(ctx, cfg)
	if err != nil {
		return fmt.Errorf("%w: %w", errNoRadioConf, err)
	}
	c.configured.Store(true)
	a.rememberRouterConfig(ctx, rc)
	a.log.Info("router_config applied", "region", rc.Region, "freq_min", p.freqMin, "freq_max", p.freqMax,
		"tx_power", p.txpow, "radio_restarted", restarted)
	return nil
}

// nextPlan reads a router_config into a plan. The uplink filters and
// development switches the message leaves out keep their last value, as
// Station's globals do (plan.inherit).
func (a *Agent) nextPlan(rc *station.RouterConfig) *plan {
	p := newPlan(rc)
	p.inherit(a.currentPlan(), rc)
	return p
}

// currentPlan returns the plan of the last router_config.
func (a *Agent) currentPlan() *plan {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.plan
}

// flushSpool sends the spooled uplinks in order, then switches the
// connection to live uplinks; it reports whether it got there.
func (a *Agent) flushSpool(ctx context.Context, c *conn) bool {
	for ctx.Err() == nil {
		recs, err := a.spool.SpoolPeek(ctx, spoolBatch)
		if err != nil {
			a.log.Error("spool read failed", "error", err)
			return false
		}
		if len(recs) == 0 {
			a.outMu.Lock()
			recs, err = a.spool.SpoolPeek(ctx, spoolBatch)
			if err == nil && len(recs) == 0 {
				ok := a.currentConn() == c
				if ok {
					a.live = c
				}
				a.outMu.Unlock()
				return ok
			}
			a.outMu.Unlock()
			if err != nil {
				a.log.Error("spool read failed", "error", err)
				return false
			}
		}
		ids := make([]uint64, 0, len(recs))
		for _, r := range recs {
			if err := c.WriteText(r.Msg); err != nil {
				a.log.Info("spool flush interrupted", "error", err)
				if len(ids) > 0 {
					a.deleteSpooled(ctx, ids)
				}
				return false
			}
			ids = append(ids, r.ID)
		}
		a.deleteSpooled(ctx, ids)
		a.log.Info("spooled uplinks sent", "count", len(ids))
	}
	return false
}

func (a *Agent) deleteSpooled(ctx context.Context, ids []uint64) {
	if err := a.spool.SpoolDelete(ctx, ids...); err != nil {
		a.log.Error("spool delete failed; those uplinks may be sent twice", "error", err)
	}
	a.count(func(s *Stats) { s.Unspooled += len(ids) })
}

// goOffline makes uplinks go to the spool again.
func (a *Agent) goOffline(c *conn) {
	a.outMu.Lock()
	if a.live == c {
		a.live = nil
	}
	a.outMu.Unlock()
}
