package cupsclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/store/agentstore"
)

// endpoint is a parsed cups.uri (or tc.uri, for checking credentials).
type endpoint struct {
	tls  bool
	host string // without port or brackets
	base string // scheme://host:port
}

// parseEndpoint checks uri as Station does for kind k (host, explicit port,
// no path) and splits it.
func parseEndpoint(k agentstore.Kind, uri string) (endpoint, error) {
	if err := k.CheckURI(uri); err != nil {
		return endpoint{}, fmt.Errorf("cupsclient: %w", err)
	}
	u, err := url.Parse(uri)
	if err != nil {
		return endpoint{}, fmt.Errorf("cupsclient: %s uri %q: %w", k, uri, err)
	}
	s := strings.ToLower(u.Scheme)
	return endpoint{tls: s == "https" || s == "wss", host: u.Hostname(), base: s + "://" + u.Host}, nil
}

// clientTLS builds the TLS configuration Station uses with a credential
// set: the agent's (agent.Credentials.TLSConfig), shared by TC and CUPS.
func clientTLS(c agentstore.Credentials, host string) (*tls.Config, error) {
	cfg, err := agentCredentials(c).TLSConfig(host)
	if err != nil {
		return nil, fmt.Errorf("cupsclient: %w", err)
	}
	return cfg, nil
}

// agentCredentials is the set as the agent's TLS code takes it.
func agentCredentials(c agentstore.Credentials) agent.Credentials {
	return agent.Credentials{URI: c.URI, Trust: c.Trust, Cert: c.Cert, Key: c.Key, Token: c.Token}
}

// authHeader returns the set's token header lines as a header (see
// agent.Credentials.AuthHeader).
func authHeader(c agentstore.Credentials) (http.Header, error) {
	h, err := agentCredentials(c).AuthHeader()
	if err != nil {
		return nil, fmt.Errorf("cupsclient: %w", err)
	}
	return h, nil
}

// checkUsable reports whether a set can be used for kind k: its URI, and
// for a TLS URI its trust, certificate and key or token, all parse. A set
// that fails here is never staged.
func checkUsable(k agentstore.Kind, c agentstore.Credentials) error {
	if err := c.Validate(k); err != nil {
		return fmt.Errorf("cupsclient: %w", err)
	}
	if c.URI == "" {
		return nil
	}
	ep, err := parseEndpoint(k, c.URI)
	if err != nil {
		return err
	}
	if !ep.tls {
		return nil
	}
	if _, err := clientTLS(c, ep.host); err != nil {
		return err
	}
	_, err = authHeader(c)
	return err
}

// post sends one update-info request with the CUPS set c and returns the
// answer's body: 200 only, at most limit bytes, each read within timeout of
// the previous one (Station rewinds CUPS_CONN_TIMEOUT at every chunk).
func post(ctx context.Context, c agentstore.Credentials, body []byte, timeout time.Duration, limit int64) ([]byte, error) {
	ep, err := parseEndpoint(agentstore.KindCUPS, c.URI)
	if err != nil {
		return nil, err
	}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: timeout}).DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		DisableKeepAlives:     true,
	}
	defer tr.CloseIdleConnections()
	header := http.Header{"Content-Type": {"application/json"}}
	if ep.tls {
		if tr.TLSClientConfig, err = clientTLS(c, ep.host); err != nil {
			return nil, err
		}
		h, err := authHeader(c)
		if err != nil {
			return nil, err
		}
		for k, v := range h {
			header[k] = v
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	idle := time.AfterFunc(timeout, cancel)
	defer idle.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.base+"/update-info", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("cupsclient: %w", err)
	}
	req.Header = header
	client := &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("cupsclient: update-info %s: %w", ep.base, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: update-info %s: HTTP %d", ErrRejected, ep.base, resp.StatusCode)
	}
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: update-info %s: %d bytes announced, at most %d taken", ErrTooLarge, ep.base, resp.ContentLength, limit)
	}
	out := make([]byte, 0, min(max(resp.ContentLength, 512), 1<<20, limit))
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			idle.Reset(timeout)
			if int64(len(out)+n) > limit {
				return nil, fmt.Errorf("%w: update-info %s: over %d bytes", ErrTooLarge, ep.base, limit)
			}
			out = append(out, buf[:n]...)
		}
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("cupsclient: update-info %s: read answer: %w", ep.base, err)
		}
	}
}
