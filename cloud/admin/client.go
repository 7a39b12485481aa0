package admin

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// Client calls a running cloud's admin API. Its methods are the Service's,
// and its errors wrap the same sentinels, so a caller need not know which
// one it holds.
type Client struct {
	base  string // scheme://host[:port], no trailing slash
	token string
	hc    *http.Client
}

// NewClient returns a client for the API at e. It refuses plain http to a
// host that is not loopback, since requests carry device keys: use https
// there (with e.CAFile for a private CA).
func NewClient(e Endpoint) (*Client, error) {
	u, err := url.Parse(e.URL)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("%w: api url %q: want http://127.0.0.1:PORT or https://host[:port]", ErrInvalid, e.URL)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("%w: api url %q: want no credentials, query or fragment", ErrInvalid, u.Redacted())
	}
	if u.Scheme == "http" && !loopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("%w: api url %s: plain http only to a loopback address (keys would cross the network in clear); use https", ErrInvalid, e.URL)
	}
	if e.Token == "" {
		return nil, fmt.Errorf("%w: api token is required", ErrInvalid)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil // the admin API is addressed directly, never through a proxy
	if e.CAFile != "" {
		if u.Scheme != "https" {
			return nil, fmt.Errorf("%w: a ca file is for an https api url", ErrInvalid)
		}
		pem, err := os.ReadFile(e.CAFile)
		if err != nil {
			return nil, fmt.Errorf("admin: api ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%w: api ca %s holds no PEM certificate", ErrInvalid, e.CAFile)
		}
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	return &Client{
		base:  strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"),
		token: string(e.Token),
		hc:    &http.Client{Transport: tr, Timeout: time.Minute},
	}, nil
}

// loopbackHost reports whether a URL host is a loopback address or localhost.
func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// maxResponse bounds what the client reads of an answer.
const maxResponse = 32 << 20

// do sends one request; in, when not nil, is the JSON body; out, when not
// nil, receives the JSON answer.
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	if in == nil {
		return c.send(ctx, c.hc, method, path, nil, "", out)
	}
	b, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("admin: encode request: %w", err)
	}
	return c.send(ctx, c.hc, method, path, bytes.NewReader(b), "application/json", out)
}

// send sends one request with hc; body, when not nil, is of type ctype;
// out, when not nil, receives the JSON answer.
func (c *Client) send(ctx context.Context, hc *http.Client, method, path string, body io.Reader, ctype string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("admin: %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("admin: api at %s: %w", c.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("admin: %s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode >= 300 {
		var ae apiError
		if json.Unmarshal(b, &ae) != nil || ae.Error == "" {
			return fmt.Errorf("admin: %s %s: %s", method, path, resp.Status)
		}
		if kind := sentinelFor(ae.Code); kind != nil {
			return &codedError{kind: kind, msg: ae.Error}
		}
		return errors.New(ae.Error)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("admin: %s %s: malformed answer: %w", method, path, err)
	}
	return nil
}

func resourcePath(kind, id string) string {
	if id == "" {
		return APIPrefix + kind
	}
	return location(kind, id)
}

// AddGateway creates the gateway (POST), or with replace creates or
// replaces it (PUT); see Service.AddGateway.
func (c *Client) AddGateway(ctx context.Context, spec GatewaySpec, replace bool) (Gateway, error) {
	var g Gateway
	method, path := http.MethodPost, resourcePath("gateways", "")
	if replace {
		method, path = http.MethodPut, resourcePath("gateways", spec.EUI.String())
	}
	return g, c.do(ctx, method, path, spec, &g)
}

// GetGateway returns one gateway.
func (c *Client) GetGateway(ctx context.Context, eui lorawan.EUI64) (Gateway, error) {
	var g Gateway
	return g, c.do(ctx, http.MethodGet, resourcePath("gateways", eui.String()), nil, &g)
}

// ListGateways returns every gateway.
func (c *Client) ListGateways(ctx context.Context) ([]Gateway, error) {
	var out struct {
		Gateways []Gateway `json:"gateways"`
	}
	err := c.do(ctx, http.MethodGet, resourcePath("gateways", ""), nil, &out)
	return out.Gateways, err
}

// DeleteGateway removes a gateway.
func (c *Client) DeleteGateway(ctx context.Context, eui lorawan.EUI64) error {
	return c.do(ctx, http.MethodDelete, resourcePath("gateways", eui.String()), nil, nil)
}

// AddDevice creates the device, or with replace creates or replaces it; see
// Service.AddDevice.
func (c *Client) AddDevice(ctx context.Context, spec DeviceSpec, replace bool) (Device, error) {
	var d Device
	method, path := http.MethodPost, resourcePath("devices", "")
	if replace {
		method, path = http.MethodPut, resourcePath("devices", spec.DevEUI.String())
	}
	return d, c.do(ctx, method, path, spec, &d)
}

// GetDevice returns one device, without keys.
func (c *Client) GetDevice(ctx context.Context, devEUI lorawan.EUI64) (Device, error) {
	var d Device
	return d, c.do(ctx, http.MethodGet, resourcePath("devices", devEUI.String()), nil, &d)
}

// ListDevices returns every device, without keys.
func (c *Client) ListDevices(ctx context.Context) ([]Device, error) {
	var out struct {
		Devices []Device `json:"devices"`
	}
	err := c.do(ctx, http.MethodGet, resourcePath("devices", ""), nil, &out)
	return out.Devices, err
}

// DeleteDevice removes a device.
func (c *Client) DeleteDevice(ctx context.Context, devEUI lorawan.EUI64) error {
	return c.do(ctx, http.MethodDelete, resourcePath("devices", devEUI.String()), nil, nil)
}

// AddDestination creates the destination, or with replace creates or
// replaces it; see Service.AddDestination.
func (c *Client) AddDestination(ctx context.Context, spec DestinationSpec, replace bool) (Destination, error) {
	var d Destination
	method, path := http.MethodPost, resourcePath("destinations", "")
	if replace {
		if spec.Name == "" {
			return d, invalid("destination name is required")
		}
		method, path = http.MethodPut, resourcePath("destinations", spec.Name)
	}
	return d, c.do(ctx, method, path, spec, &d)
}

// GetDestination returns one destination, without its secret.
func (c *Client) GetDestination(ctx context.Context, name string) (Destination, error) {
	var d Destination
	if name == "" {
		return d, invalid("destination name is required")
	}
	return d, c.do(ctx, http.MethodGet, resourcePath("destinations", name), nil, &d)
}

// ListDestinations returns every destination, without secrets.
func (c *Client) ListDestinations(ctx context.Context) ([]Destination, error) {
	var out struct {
		Destinations []Destination `json:"destinations"`
	}
	err := c.do(ctx, http.MethodGet, resourcePath("destinations", ""), nil, &out)
	return out.Destinations, err
}

// DeleteDestination removes a destination; ErrInUse while devices name it.
func (c *Client) DeleteDestination(ctx context.Context, name string) error {
	if name == "" {
		return invalid("destination name is required")
	}
	return c.do(ctx, http.MethodDelete, resourcePath("destinations", name), nil, nil)
}
