package cupsclient

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

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
// set: the server's chain must lead to Trust and its certificate name host
// in a DNS SAN or the subject CN (mbedTLS ignores IP SANs; one is accepted
// too); the client certificate, when the set has one, is sent whatever CAs
// the server names. Errors never show key material.
func clientTLS(c agentstore.Credentials, host string) (*tls.Config, error) {
	if len(c.Trust) == 0 {
		return nil, errors.New("cupsclient: a TLS uri needs a trust certificate")
	}
	roots, err := parseCerts(c.Trust)
	if err != nil {
		return nil, fmt.Errorf("cupsclient: trust: %w", err)
	}
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verified in VerifyConnection with Station's name rules.
		InsecureSkipVerify: true, //nolint:gosec // replaced by VerifyConnection
		VerifyConnection:   func(cs tls.ConnectionState) error { return verifyServer(cs, pool, host) },
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	if len(c.Cert) > 0 {
		certs, err := parseCerts(c.Cert)
		if err != nil {
			return nil, fmt.Errorf("cupsclient: client certificate: %w", err)
		}
		key, err := parseKey(c.Key)
		if err != nil {
			return nil, fmt.Errorf("cupsclient: client key: %w", err)
		}
		if !samePublicKey(certs[0], key) {
			return nil, errors.New("cupsclient: client key does not match the certificate")
		}
		cert := &tls.Certificate{PrivateKey: key, Leaf: certs[0]}
		for _, x := range certs {
			cert.Certificate = append(cert.Certificate, x.Raw)
		}
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return cert, nil }
	}
	return cfg, nil
}

// verifyServer checks the server's chain against pool and its name against
// host.
func verifyServer(cs tls.ConnectionState, pool *x509.CertPool, host string) error {
	if len(cs.PeerCertificates) == 0 {
		return errors.New("cupsclient: server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter}); err != nil {
		return fmt.Errorf("cupsclient: server certificate: %w", err)
	}
	if leaf.VerifyHostname(host) == nil || strings.EqualFold(leaf.Subject.CommonName, host) {
		return nil
	}
	for _, n := range leaf.DNSNames {
		if strings.EqualFold(n, host) {
			return nil
		}
	}
	return fmt.Errorf("cupsclient: server certificate does not name %s", host)
}

// parseCerts reads certificates in PEM (every CERTIFICATE block) or DER
// (one or more concatenated).
func parseCerts(b []byte) ([]*x509.Certificate, error) {
	if !bytes.Contains(b, []byte("-----BEGIN")) {
		certs, err := x509.ParseCertificates(b)
		if err != nil {
			return nil, err
		}
		if len(certs) == 0 {
			return nil, errors.New("no certificate")
		}
		return certs, nil
	}
	var out []*x509.Certificate
	for rest := b; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			break
		}
		if blk.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, errors.New("no CERTIFICATE block")
	}
	return out, nil
}

// parseKey reads a private key in PEM or DER: PKCS#8, SEC 1 (EC) or PKCS#1
// (RSA). Errors never show key material.
func parseKey(b []byte) (crypto.Signer, error) {
	der := b
	if bytes.Contains(b, []byte("-----BEGIN")) {
		der = nil
		for rest := b; ; {
			var blk *pem.Block
			if blk, rest = pem.Decode(rest); blk == nil {
				break
			}
			if strings.HasSuffix(blk.Type, "PRIVATE KEY") {
				der = blk.Bytes
				break
			}
		}
		if der == nil {
			return nil, errors.New("no PRIVATE KEY block")
		}
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok {
			return s, nil
		}
		return nil, errors.New("key cannot sign")
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k, nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return k, nil
	}
	return nil, errors.New("not a PKCS#8, SEC 1 or PKCS#1 private key")
}

// samePublicKey reports whether the certificate's key is the signer's.
func samePublicKey(cert *x509.Certificate, s crypto.Signer) bool {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	switch pub := cert.PublicKey.(type) {
	case *ecdsa.PublicKey, *rsa.PublicKey, ed25519.PublicKey:
		return pub.(equaler).Equal(s.Public())
	}
	return false
}

// tokenText returns the header lines a set sends instead of a client
// certificate: Token, or a Key without a Cert (Station's SYS_AUTH_TOKEN).
func tokenText(c agentstore.Credentials) string {
	if c.Token != "" {
		return c.Token
	}
	if len(c.Cert) == 0 && len(c.Key) > 0 {
		return string(c.Key)
	}
	return ""
}

// parseToken checks token header lines as Station's validateAuthToken does
// ("Name: value" per line) and returns them as a header. Errors never quote
// the token.
func parseToken(text string) (http.Header, error) {
	h := http.Header{}
	text = strings.TrimRight(text, "\r\n")
	if text == "" {
		return h, nil
	}
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSuffix(line, "\r")
		name, value, ok := strings.Cut(line, ": ")
		if !ok || name == "" || strings.IndexFunc(name, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
		}) >= 0 {
			return nil, fmt.Errorf("cupsclient: token line %d is not \"Name: value\"", i+1)
		}
		h.Add(name, value)
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
	if tok := tokenText(c); tok != "" {
		if _, err := parseToken(tok); err != nil {
			return err
		}
	}
	return nil
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
		if tok := tokenText(c); tok != "" {
			h, err := parseToken(tok)
			if err != nil {
				return nil, err
			}
			for k, v := range h {
				header[k] = v
			}
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
