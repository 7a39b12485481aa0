package admin

import (
	"bytes"
	"context"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// This file holds the HTTP side of the CUPS routes: the handler's
// functions and the Client's methods.

func (h *Handler) cupsStatus(w http.ResponseWriter, r *http.Request) (int, any, error) {
	st, err := h.svc.CUPSStatus(r.Context(), lorawan.EUI64{})
	return http.StatusOK, st, err
}

func (h *Handler) gatewayCUPSStatus(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	if eui == (lorawan.EUI64{}) {
		return 0, nil, invalid("gateway eui in the path is zero")
	}
	st, err := h.svc.CUPSStatus(r.Context(), eui)
	return http.StatusOK, st, err
}

func (h *Handler) setCUPS(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	var set CUPSSettings
	if err := decodeBody(r, &set); err != nil {
		return 0, nil, err
	}
	g, err := h.svc.SetCUPS(r.Context(), eui, set)
	return http.StatusOK, g, err
}

func (h *Handler) rotateGateway(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	var spec RotateSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	rot, err := h.svc.RotateGateway(r.Context(), eui, spec)
	return http.StatusOK, rot, err
}

func (h *Handler) cupsHome(w http.ResponseWriter, r *http.Request) (int, any, error) {
	eui, err := pathEUI(r, "gateway eui")
	if err != nil {
		return 0, nil, err
	}
	var spec RotateSpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	home, err := h.svc.CUPSHome(r.Context(), eui, spec)
	return http.StatusOK, home, err
}

func (h *Handler) addSigningKey(w http.ResponseWriter, r *http.Request) (int, any, error) {
	var spec SigningKeySpec
	if err := decodeBody(r, &spec); err != nil {
		return 0, nil, err
	}
	k, err := h.svc.AddSigningKey(r.Context(), spec.Name)
	return http.StatusCreated, k, err
}

func (h *Handler) listUpdates(w http.ResponseWriter, r *http.Request) (int, any, error) {
	l, err := h.svc.ListUpdates(r.Context())
	return http.StatusOK, l, err
}

// Query parameters of POST /api/v1/updates.
const (
	qVersion  = "version"
	qKey      = "key"
	qReplace  = "replace"
	qNoTarget = "noTarget"
	qEUI      = "eui"
)

// signQuery reads a SignSpec from the query of POST /api/v1/updates:
// version and key (required), replace and noTarget (booleans), eui
// (repeated, or comma separated).
func signQuery(q url.Values) (SignSpec, error) {
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch k {
		case qVersion, qKey, qReplace, qNoTarget:
			if n := len(q[k]); n > 1 {
				return SignSpec{}, invalid("query parameter %s given %d times", k, n)
			}
		case qEUI:
		default:
			return SignSpec{}, invalid("query parameter %q is unknown: want %s, %s, %s, %s or %s", k, qVersion, qKey, qReplace, qNoTarget, qEUI)
		}
	}
	spec := SignSpec{Version: q.Get(qVersion), Key: q.Get(qKey)}
	for _, b := range []struct {
		name string
		v    *bool
	}{{qReplace, &spec.Replace}, {qNoTarget, &spec.NoTarget}} {
		s := q.Get(b.name)
		if s == "" {
			continue
		}
		v, err := strconv.ParseBool(s)
		if err != nil {
			return SignSpec{}, invalid("query parameter %s=%q: want true or false", b.name, s)
		}
		*b.v = v
	}
	for _, v := range q[qEUI] {
		for part := range strings.SplitSeq(v, ",") {
			e, err := lorawan.ParseEUI64(strings.TrimSpace(part))
			if err != nil {
				return SignSpec{}, invalid("query parameter eui=%q: want EUIs of 16 hex digits", part)
			}
			spec.Gateways = append(spec.Gateways, e)
		}
	}
	return spec, spec.Validate()
}

// readUpdate reads an update's bytes from the body, at most limit bytes
// (the body is bounded by a MaxBytesReader too), into one buffer of the
// announced length when there is one.
func readUpdate(r *http.Request, limit int64) ([]byte, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/octet-stream" {
			return nil, invalid("request body: want the update's bytes as application/octet-stream")
		}
	}
	if r.ContentLength > limit {
		return nil, bodyError(&http.MaxBytesError{Limit: limit})
	}
	if r.ContentLength > 0 {
		data := make([]byte, r.ContentLength)
		if _, err := io.ReadFull(r.Body, data); err != nil {
			return nil, bodyError(err)
		}
		return data, nil
	}
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, bodyError(err)
	}
	return data, nil
}

func (h *Handler) signUpdate(w http.ResponseWriter, r *http.Request) (int, any, error) {
	spec, err := signQuery(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	data, err := readUpdate(r, h.maxUpdate)
	if err != nil {
		return 0, nil, err
	}
	u, err := h.svc.SignUpdate(r.Context(), spec, data)
	return http.StatusOK, u, err
}

// uploadTimeout bounds a SignUpdate call of the Client, which sends up to
// MaxUpdateSize bytes.
const uploadTimeout = 15 * time.Minute

// CUPSStatus returns the gateways' CUPS state, or with a non-zero eui that
// gateway's; see Service.CUPSStatus.
func (c *Client) CUPSStatus(ctx context.Context, eui lorawan.EUI64) (CUPSStatus, error) {
	var st CUPSStatus
	path := APIPrefix + "cups"
	if eui != (lorawan.EUI64{}) {
		path = location("gateways", eui.String()) + "/cups"
	}
	return st, c.do(ctx, http.MethodGet, path, nil, &st)
}

// SetCUPS changes what the CUPS server tells a gateway; see Service.SetCUPS.
func (c *Client) SetCUPS(ctx context.Context, eui lorawan.EUI64, set CUPSSettings) (CUPSGateway, error) {
	var g CUPSGateway
	if err := set.Validate(); err != nil {
		return g, err
	}
	return g, c.do(ctx, http.MethodPatch, location("gateways", eui.String())+"/cups", set, &g)
}

// RotateGateway issues new credentials for a gateway, delivered by CUPS;
// see Service.RotateGateway.
func (c *Client) RotateGateway(ctx context.Context, eui lorawan.EUI64, spec RotateSpec) (Rotation, error) {
	var rot Rotation
	if err := spec.Validate(); err != nil {
		return rot, err
	}
	return rot, c.do(ctx, http.MethodPost, location("gateways", eui.String())+"/rotate", spec, &rot)
}

// CUPSHome issues new credentials for a gateway and returns its new CUPS
// credentials, private key included, for a Station home; see
// Service.CUPSHome.
func (c *Client) CUPSHome(ctx context.Context, eui lorawan.EUI64, spec RotateSpec) (CUPSHome, error) {
	var home CUPSHome
	if err := spec.Validate(); err != nil {
		return home, err
	}
	return home, c.do(ctx, http.MethodPost, location("gateways", eui.String())+"/cups-home", spec, &home)
}

// AddSigningKey makes an update-signing key in the cloud's store and
// returns its public half; see Service.AddSigningKey.
func (c *Client) AddSigningKey(ctx context.Context, name string) (SigningKey, error) {
	var k SigningKey
	if err := checkKeyName(name); err != nil {
		return k, err
	}
	return k, c.do(ctx, http.MethodPost, APIPrefix+"signing-keys", SigningKeySpec{Name: name}, &k)
}

// ListUpdates returns the signing keys, the updates and the fleet's
// target; see Service.ListUpdates.
func (c *Client) ListUpdates(ctx context.Context) (UpdateList, error) {
	var l UpdateList
	return l, c.do(ctx, http.MethodGet, APIPrefix+"updates", nil, &l)
}

// SignUpdate sends data, as the raw request body, to be signed and stored;
// see Service.SignUpdate. It checks spec and the size first, so that a
// refused update is not uploaded.
func (c *Client) SignUpdate(ctx context.Context, spec SignSpec, data []byte) (SignedUpdate, error) {
	var u SignedUpdate
	if err := spec.Validate(); err != nil {
		return u, err
	}
	if err := checkUpdateSize(len(data)); err != nil {
		return u, err
	}
	q := url.Values{qVersion: {spec.Version}, qKey: {spec.Key}}
	if spec.Replace {
		q.Set(qReplace, "true")
	}
	if spec.NoTarget {
		q.Set(qNoTarget, "true")
	}
	for _, e := range spec.Gateways {
		q.Add(qEUI, e.String())
	}
	hc := *c.hc
	hc.Timeout = uploadTimeout
	return u, c.send(ctx, &hc, http.MethodPost, APIPrefix+"updates?"+q.Encode(), bytes.NewReader(data), "application/octet-stream", &u)
}
