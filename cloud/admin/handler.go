package admin

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
)

// Options configure the admin HTTP handler.
type Options struct {
	// Token is the bearer token every request must carry (NewToken makes
	// one); at least 16 characters. Required.
	Token string
	// Logger receives one line per refused or changing request, never a
	// token or a key. Default slog.Default().
	Logger *slog.Logger
	// MaxBody bounds a request body. Default 64 KiB.
	MaxBody int64
	// MaxUpdate bounds the body of POST /api/v1/updates, an update's
	// bytes. Default, and at most, MaxUpdateSize.
	MaxUpdate int64
	// CA is the gateway CA that signs the certificates of a credential
	// rotation; without it the rotate and cups-home routes fail.
	CA *pki.CA
	// NetIDFilter are the NetIDs the cloud's gateways filter data frames
	// by (WithNetIDFilter): ABP devices they would not hear are refused.
	NetIDFilter []lorawan.NetID
}

// Handler serves the admin API (see the package comment) over a Service.
type Handler struct {
	svc       *Service
	tokenHash [sha256.Size]byte
	log       *slog.Logger
	maxBody   int64
	maxUpdate int64
	mux       *http.ServeMux
}

// APIPrefix is the path every admin route starts with.
const APIPrefix = "/api/v1/"

// New returns the admin API handler over db. It serves every route under
// /api/v1/gateways, /api/v1/devices, /api/v1/destinations, /api/v1/cups,
// /api/v1/signing-keys and /api/v1/updates (exact patterns: Routes) and
// answers 404 for anything else.
func New(db Store, opts Options) (*Handler, error) {
	if len(opts.Token) < minTokenLen {
		return nil, fmt.Errorf("admin: api token: want at least %d characters", minTokenLen)
	}
	sopts := []ServiceOption{WithNetIDFilter(opts.NetIDFilter)}
	if ca := opts.CA; ca != nil {
		sopts = append(sopts, WithCA(func() (*pki.CA, error) { return ca, nil }))
	}
	h := &Handler{
		svc:       NewService(db, sopts...),
		tokenHash: sha256.Sum256([]byte(opts.Token)),
		log:       opts.Logger,
		maxBody:   opts.MaxBody,
		maxUpdate: opts.MaxUpdate,
		mux:       http.NewServeMux(),
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBody <= 0 {
		h.maxBody = 64 << 10
	}
	if h.maxUpdate <= 0 || h.maxUpdate > MaxUpdateSize {
		h.maxUpdate = MaxUpdateSize
	}
	for _, rt := range h.routes() {
		limit := h.maxBody
		if rt.pattern == signUpdatePattern {
			limit = h.maxUpdate
		}
		h.mux.HandleFunc(rt.pattern, h.wrap(rt.fn, limit))
	}
	return h, nil
}

// Service returns the service the handler serves, for in-process callers.
func (h *Handler) Service() *Service { return h.svc }

type route struct {
	pattern string
	fn      func(w http.ResponseWriter, r *http.Request) (int, any, error)
}

// signUpdatePattern is the route whose body is an update's bytes, bounded
// by Options.MaxUpdate instead of Options.MaxBody.
const signUpdatePattern = "POST /api/v1/updates"

func (h *Handler) routes() []route {
	return []route{
		{"GET /api/v1/gateways", h.listGateways},
		{"POST /api/v1/gateways", h.createGateway},
		{"GET /api/v1/gateways/{id}", h.getGateway},
		{"PUT /api/v1/gateways/{id}", h.putGateway},
		{"DELETE /api/v1/gateways/{id}", h.deleteGateway},
		{"GET /api/v1/devices", h.listDevices},
		{"POST /api/v1/devices", h.createDevice},
		{"GET /api/v1/devices/{id}", h.getDevice},
		{"PUT /api/v1/devices/{id}", h.putDevice},
		{"DELETE /api/v1/devices/{id}", h.deleteDevice},
		{"GET /api/v1/destinations", h.listDestinations},
		{"POST /api/v1/destinations", h.createDestination},
		{"GET /api/v1/destinations/{id}", h.getDestination},
		{"PUT /api/v1/destinations/{id}", h.putDestination},
		{"DELETE /api/v1/destinations/{id}", h.deleteDestination},
		// CUPS (cupshandler.go).
		{"GET /api/v1/cups", h.cupsStatus},
		{"GET /api/v1/gateways/{id}/cups", h.gatewayCUPSStatus},
		{"PATCH /api/v1/gateways/{id}/cups", h.setCUPS},
		{"POST /api/v1/gateways/{id}/rotate", h.rotateGateway},
		{"POST /api/v1/gateways/{id}/cups-home", h.cupsHome},
		{"POST /api/v1/signing-keys", h.addSigningKey},
		{"GET /api/v1/updates", h.listUpdates},
		{signUpdatePattern, h.signUpdate},
	}
}

// Routes returns the method-and-path patterns the handler serves, for
// mounting it on a shared http.ServeMux: mux.Handle(p, h) for each.
func (h *Handler) Routes() []string {
	rts := h.routes()
	out := make([]string, len(rts))
	for i, rt := range rts {
		out[i] = rt.pattern
	}
	return out
}

// ServeHTTP serves the admin API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// codeInsecure is the error code of a plain-HTTP request from another host.
const codeInsecure = "insecure"

// wrap adds the transport check, authentication, error mapping and the log
// line around one route.
func (h *Handler) wrap(fn func(w http.ResponseWriter, r *http.Request) (int, any, error), maxBody int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		log := h.log.With("method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		if r.TLS == nil && !loopbackAddr(r.RemoteAddr) {
			log.Warn("admin api: refused plain http from another host")
			writeJSON(w, http.StatusForbidden, apiError{Error: "admin: plain http is for loopback clients only; serve the admin api over tls", Code: codeInsecure})
			return
		}
		if !h.authorized(r.Header.Get("Authorization")) {
			log.Warn("admin api: refused: bearer token missing or wrong")
			w.Header().Set("WWW-Authenticate", `Bearer realm="loraedge admin"`)
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "admin: unauthorized: bearer token missing or wrong", Code: codeUnauthorized})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		status, body, err := fn(w, r)
		if err != nil {
			code, st := errorCode(err)
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				code, st = codeInvalid, http.StatusRequestEntityTooLarge
			}
			if st >= 500 {
				log.Error("admin api: request failed", "error", err)
			} else {
				log.Info("admin api: request refused", "status", st, "error", err)
			}
			writeJSON(w, st, apiError{Error: err.Error(), Code: code})
			return
		}
		if r.Method != http.MethodGet {
			log.Info("admin api: done", "status", status)
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	}
}

// authorized checks an Authorization header against the token, in constant
// time.
func (h *Handler) authorized(v string) bool {
	const prefix = "bearer "
	if len(v) <= len(prefix) || !strings.EqualFold(v[:len(prefix)], prefix) {
		return false
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(v[len(prefix):])))
	return subtle.ConstantTimeCompare(sum[:], h.tokenHash[:]) == 1
}

// loopbackAddr reports whether a RemoteAddr is a loopback address.
func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// apiError is the body of every error answer.
type apiError struct {
	Error string `json:"error"`
	Code  string `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v) // the client went away; nothing to do
}

// decodeBody reads one JSON value into v, refusing unknown fields and
// trailing data. Its errors never repeat a value from the body, which may
// hold keys.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalid("request body: want one json object")
	}
	return nil
}

func bodyError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &codedError{kind: ErrInvalid, msg: fmt.Sprintf("admin: request body larger than %d bytes", mbe.Limit), err: mbe}
	case errors.As(err, &syn):
		return invalid("request body: malformed json at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return invalid("request body: field %s: want a json %s", typ.Field, typeName(typ))
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return invalid("request body: empty or cut short")
	case errors.Is(err, errKeyFormat):
		return invalid("request body: a key is malformed: want 32 hex digits")
	case errors.Is(err, lorawan.ErrMalformed):
		return invalid("request body: an eui or devaddr is malformed: want 16 or 8 hex digits")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return invalid("request body: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return invalid("request body: malformed")
}

func typeName(e *json.UnmarshalTypeError) string {
	if e.Type == nil {
		return "value"
	}
	tu := reflect.TypeFor[encoding.TextUnmarshaler]()
	if e.Type.Implements(tu) || reflect.PointerTo(e.Type).Implements(tu) {
		return "string"
	}
	switch e.Type.Kind().String() {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "number"
	}
	return "value of another type"
}

func pathEUI(r *http.Request, what string) (lorawan.EUI64, error) {
	id := r.PathValue("id")
	eui, err := lorawan.ParseEUI64(id)
	if err != nil {
		return eui, invalid("%s %q in the path: want 16 hex digits", what, id)
	}
	return eui, nil
}

// location returns the URL path of a resource.
func location(kind, id string) string { return APIPrefix + kind + "/" + url.PathEscape(id) }

func (h *Handler) listGateways(w http.ResponseWriter, r *http.Request) (int, any, error) {
	gs, err := h.svc.ListGateways(r.Context())
	return http.StatusOK, struct {
		Gateways []Gateway `json:"gateways"`
	}{gs}, err
}

func (h *Handler) getGateway(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	g, err := h.svc.GetGateway(r.Context(), eui)
	return http.StatusOK, g, err
}

func (h *Handler) createGateway(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var spec GatewaySpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	g, err := h.svc.AddGateway(r.Context(), spec, false)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Location", location("gateways", g.EUI.String()))
	return http.StatusCreated, g, nil
}

func (h *Handler) putGateway(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	var spec GatewaySpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	switch spec.EUI {
	case lorawan.EUI64{}:
		spec.EUI = eui
	case eui:
	default:
		return 0, nil, invalid("gateway eui %s in the body differs from %s in the path", spec.EUI, eui)
	}
	g, err := h.svc.AddGateway(r.Context(), spec, true)
	return http.StatusOK, g, err
}

func (h *Handler) deleteGateway(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.svc.DeleteGateway(r.Context(), eui)
}

func (h *Handler) listDevices(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ds, err := h.svc.ListDevices(r.Context())
	return http.StatusOK, struct {
		Devices []Device `json:"devices"`
	}{ds}, err
}

func (h *Handler) getDevice(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "deveui")
	if err != nil {
		return 0, nil, err
	}
	d, err := h.svc.GetDevice(r.Context(), eui)
	return http.StatusOK, d, err
}

func (h *Handler) createDevice(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var spec DeviceSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	d, err := h.svc.AddDevice(r.Context(), spec, false)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Location", location("devices", d.DevEUI.String()))
	return http.StatusCreated, d, nil
}

func (h *Handler) putDevice(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "deveui")
	if err != nil {
		return 0, nil, err
	}
	var spec DeviceSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	switch spec.DevEUI {
	case lorawan.EUI64{}:
		spec.DevEUI = eui
	case eui:
	default:
		return 0, nil, invalid("deveui %s in the body differs from %s in the path", spec.DevEUI, eui)
	}
	d, err := h.svc.AddDevice(r.Context(), spec, true)
	return http.StatusOK, d, err
}

func (h *Handler) deleteDevice(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "deveui")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, h.svc.DeleteDevice(r.Context(), eui)
}

func (h *Handler) listDestinations(w http.ResponseWriter, r *http.Request) (int, any, error) {
	ds, err := h.svc.ListDestinations(r.Context())
	return http.StatusOK, struct {
		Destinations []Destination `json:"destinations"`
	}{ds}, err
}

func (h *Handler) getDestination(w http.ResponseWriter, r *http.Request) (int, any, error) {
	d, err := h.svc.GetDestination(r.Context(), r.PathValue("id"))
	return http.StatusOK, d, err
}

func (h *Handler) createDestination(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var spec DestinationSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	d, err := h.svc.AddDestination(r.Context(), spec, false)
	if err != nil {
		return 0, nil, err
	}
	w.Header().Set("Location", location("destinations", d.Name))
	return http.StatusCreated, d, nil
}

func (h *Handler) putDestination(w http.ResponseWriter, r *http.Request) (int, any, error) {
	name := r.PathValue("id")
	var spec DestinationSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	switch spec.Name {
	case "":
		spec.Name = name
	case name:
	default:
		return 0, nil, invalid("destination %q in the body differs from %q in the path", spec.Name, name)
	}
	d, err := h.svc.AddDestination(r.Context(), spec, true)
	return http.StatusOK, d, err
}

func (h *Handler) deleteDestination(w http.ResponseWriter, r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, h.svc.DeleteDestination(r.Context(), r.PathValue("id"))
}
