package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// maxRouterInfoRequest bounds the discovery request; Station's is about 40
// bytes.
const maxRouterInfoRequest = 1024

// ParseRouterInfoRequest reads the discovery request {"router": ...} where
// the router EUI is id6 text ("b827:ebff:fe61:51a5", "::1"), hex text
// ("b827ebfffe6151a5", "b8-27-…") or a JSON integer, as
// station.RouterInfoRequest reads it; requests over 1 KiB are refused.
func ParseRouterInfoRequest(b []byte) (lorawan.EUI64, error) {
	if len(b) > maxRouterInfoRequest {
		return lorawan.EUI64{}, fmt.Errorf("gateway: router-info request of %d bytes: %w", len(b), lorawan.ErrMalformed)
	}
	var req station.RouterInfoRequest
	if err := json.Unmarshal(b, &req); err != nil {
		return lorawan.EUI64{}, fmt.Errorf("gateway: %w", err)
	}
	return req.Router, nil
}

// serveRouterInfo answers one discovery request: credentials are checked
// before the upgrade (some are required); the router named in the request
// must then be the certificate's gateway, or own the token.
func (s *Server) serveRouterInfo(w http.ResponseWriter, r *http.Request) {
	creds, ref := requestCredentials(r)
	if ref != nil {
		s.logRefusal(r, "router-info", nil, ref)
		http.Error(w, http.StatusText(ref.status), ref.status)
		return
	}
	conn, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader's Error callback logged and answered
	}
	defer conn.Close()
	conn.SetReadLimit(maxRouterInfoRequest)
	_ = conn.SetReadDeadline(time.Now().Add(s.opts.HandshakeTimeout))
	typ, b, err := conn.ReadMessage()
	if err != nil {
		s.log.Info("router-info: no request", "remote", r.RemoteAddr, "error", err)
		return
	}
	if typ != websocket.TextMessage {
		s.log.Warn("router-info: binary request ignored", "remote", r.RemoteAddr)
		s.closeInfos(conn, websocket.CloseUnsupportedData, "text request expected")
		return
	}
	eui, err := ParseRouterInfoRequest(b)
	if err != nil {
		s.log.Warn("router-info: malformed request", "remote", r.RemoteAddr, "error", err)
		s.closeInfos(conn, websocket.CloseInvalidFramePayloadData, "malformed request")
		return
	}
	resp := station.RouterInfoResponse{Router: eui}
	if _, ref := s.authorize(r.Context(), creds, eui); ref != nil {
		s.logRefusal(r, "router-info", &eui, ref)
		resp.Error = ref.reason
		if !creds.hasCert {
			// Without a certificate the requester is not known: do not
			// tell an unknown gateway from a wrong token.
			resp.Error = "unknown gateway or bad credentials"
		}
	} else {
		resp.Muxs = s.opts.MuxsID
		resp.URI = s.trafficURI(eui)
		s.log.Info("router-info", "remote", r.RemoteAddr, "gateway", eui.String(), "uri", resp.URI)
	}
	out, err := json.Marshal(resp)
	if err != nil {
		s.log.Error("router-info: encode response", "error", err)
		return
	}
	_ = conn.SetWriteDeadline(time.Now().Add(s.opts.WriteTimeout))
	if err := conn.WriteMessage(websocket.TextMessage, out); err != nil {
		s.log.Info("router-info: write response", "remote", r.RemoteAddr, "error", err)
		return
	}
	// Station closes the socket once it has read the answer; wait for
	// that close briefly so it gets its close reply.
	_ = conn.SetReadDeadline(time.Now().Add(s.opts.WriteTimeout))
	for {
		if _, _, err := conn.ReadMessage(); err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) && !isTimeout(err) {
				s.log.Debug("router-info: after response", "remote", r.RemoteAddr, "error", err)
			}
			return
		}
	}
}

// closeInfos sends a close frame and lets the deferred Close end the socket.
func (s *Server) closeInfos(conn *websocket.Conn, code int, text string) {
	_ = conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
}
