package agent

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// Credentials is one TC credential set, as Station keeps it in tc.uri,
// tc.trust, tc.crt and tc.key: the LNS URI ("wss://host:port", or
// "ws://host:port" without TLS), the CA certificates that sign the LNS's
// server certificate, and either a client certificate with its key (mutual
// TLS) or a token. Certificates and keys may be PEM or DER. Its layout
// matches agentstore.Credentials, so that one converts to the other.
type Credentials struct {
	URI   string
	Trust []byte
	Cert  []byte
	Key   []byte
	// Token holds HTTP header lines ("Authorization: Bearer …", one per
	// line) sent with each websocket request over TLS. As in Station, a Key
	// without a Cert is taken as the token too.
	Token string
}

// tcEndpoint is a parsed tc.uri.
type tcEndpoint struct {
	tls      bool
	host     string // without port, brackets removed
	hostPort string
}

// parseTCURI reads a tc.uri the way Station's uri_checkHostPortUri does:
// ws:// or wss://, a host, a mandatory port, and no path.
func parseTCURI(s string) (tcEndpoint, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil {
		return tcEndpoint{}, fmt.Errorf("agent: tc uri: %w", err)
	}
	var ep tcEndpoint
	switch strings.ToLower(u.Scheme) {
	case "ws":
	case "wss":
		ep.tls = true
	default:
		return tcEndpoint{}, fmt.Errorf("agent: tc uri %q: scheme must be ws or wss", s)
	}
	if u.Host == "" || u.Port() == "" || u.Hostname() == "" {
		return tcEndpoint{}, fmt.Errorf("agent: tc uri %q: host and port are mandatory", s)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
		return tcEndpoint{}, fmt.Errorf("agent: tc uri %q: no path, query or user allowed", s)
	}
	ep.host = u.Hostname()
	ep.hostPort = u.Host
	return ep, nil
}

// url returns the websocket URL of path on the endpoint.
func (ep tcEndpoint) url(path string) string {
	scheme := "ws"
	if ep.tls {
		scheme = "wss"
	}
	return scheme + "://" + ep.hostPort + path
}

// tokenText returns the token header lines: Token, or a Key given without
// a Cert (Station's SYS_AUTH_TOKEN), or "" when the set authenticates by
// certificate or not at all.
func (c Credentials) tokenText() string {
	if c.Token != "" {
		return c.Token
	}
	if len(c.Cert) == 0 && len(c.Key) > 0 {
		return string(c.Key)
	}
	return ""
}

// parseToken checks token header lines as Station's validateAuthToken does
// ("Name: value" per line, the name made of letters, digits, '-' and '_',
// lines ending in "\n" or "\r\n") and returns them as a header. Errors
// never quote the token.
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
			return nil, fmt.Errorf("agent: token line %d is not \"Name: value\"", i+1)
		}
		h.Add(name, value)
	}
	return h, nil
}

// parseCerts reads certificates in PEM (every CERTIFICATE block) or DER
// (one or more concatenated).
func parseCerts(b []byte) ([]*x509.Certificate, error) {
	if bytes.Contains(b, []byte("-----BEGIN")) {
		var out []*x509.Certificate
		rest := b
		for {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
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
	return x509.ParseCertificates(b)
}

// parseKey reads a private key in PEM or DER: PKCS#8, SEC 1 (EC) or
// PKCS#1 (RSA). Errors never show key material.
func parseKey(b []byte) (crypto.Signer, error) {
	der := b
	if bytes.Contains(b, []byte("-----BEGIN")) {
		der = nil
		rest := b
		for {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
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
		return nil, fmt.Errorf("key of type %T cannot sign", k)
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

// TLSConfig is the client TLS configuration Station uses with this set
// (see tlsConfig); the CUPS client shares it for its HTTPS requests.
func (c Credentials) TLSConfig(host string) (*tls.Config, error) { return c.tlsConfig(host) }

// AuthHeader returns the set's token header lines (Token, or a Key without
// a Cert) as an HTTP header, empty when the set authenticates by
// certificate or not at all. Errors never quote the token.
func (c Credentials) AuthHeader() (http.Header, error) { return parseToken(c.tokenText()) }

// tlsConfig builds the client TLS configuration Station would use for the
// set: the server certificate must chain to Trust and name host in its
// subject CN or a DNS SAN (mbedTLS does not look at IP SANs; an IP SAN is
// accepted too); the client certificate, if any, is sent whatever CAs the
// server asks for. Station refuses wss without a trust file, and so does
// this.
func (c Credentials) tlsConfig(host string) (*tls.Config, error) {
	if len(c.Trust) == 0 {
		return nil, errors.New("agent: wss uri needs a trust (tc.trust)")
	}
	roots, err := parseCerts(c.Trust)
	if err != nil {
		return nil, fmt.Errorf("agent: trust: %w", err)
	}
	pool := x509.NewCertPool()
	for _, r := range roots {
		pool.AddCert(r)
	}
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		// Verification is done below, with Station's name rules.
		InsecureSkipVerify: true, //nolint:gosec // replaced by VerifyConnection
		VerifyConnection: func(cs tls.ConnectionState) error {
			return verifyServer(cs, pool, host)
		},
	}
	if net.ParseIP(host) == nil {
		cfg.ServerName = host
	}
	if len(c.Cert) > 0 {
		certs, err := parseCerts(c.Cert)
		if err != nil {
			return nil, fmt.Errorf("agent: client certificate: %w", err)
		}
		if len(c.Key) == 0 {
			return nil, errors.New("agent: client certificate without key")
		}
		key, err := parseKey(c.Key)
		if err != nil {
			return nil, fmt.Errorf("agent: client key: %w", err)
		}
		if !samePublicKey(certs[0], key) {
			return nil, errors.New("agent: client key does not match the certificate")
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
		return errors.New("agent: server sent no certificate")
	}
	leaf := cs.PeerCertificates[0]
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, Intermediates: inter}); err != nil {
		return fmt.Errorf("agent: server certificate: %w", err)
	}
	if leaf.VerifyHostname(host) == nil || strings.EqualFold(leaf.Subject.CommonName, host) {
		return nil
	}
	for _, n := range leaf.DNSNames {
		if strings.EqualFold(n, host) {
			return nil
		}
	}
	return fmt.Errorf("agent: server certificate does not name %s", host)
}
