package cupsserver

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"strings"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Reasons a request is refused, as they appear in log lines (key "reason").
const (
	reasonNoCredentials = "no client certificate and no token"
	reasonUnknownCA     = pki.ReasonUnknownCA
	reasonExpired       = pki.ReasonExpired
	reasonBadCert       = pki.ReasonBadCert
	reasonNoEUI         = "client certificate names no gateway EUI"
	reasonOtherGateway  = "router in the request is not the gateway the certificate names"
	reasonUnknownGW     = "unknown gateway"
	reasonNotListed     = "client certificate not among the gateway's allowed CUPS certificates"
	reasonNoToken       = "gateway has no token configured"
	reasonBadToken      = "token does not match the gateway"
	reasonMalformed     = "malformed update-info request"
	reasonStore         = "store lookup failed"
)

// refusal is a request the server does not answer with an update-info body:
// the HTTP status and the reason to log.
type refusal struct {
	status int
	reason string
	err    error // underlying error, logged when set
}

func (r *refusal) Error() string {
	if r.err != nil {
		return r.reason + ": " + r.err.Error()
	}
	return r.reason
}

// tlsConfig requests a client certificate and verifies it, when given,
// against the gateway CA (verifyClientCert), so that a gateway may instead
// authenticate with a token and every refusal is logged with its reason.
func (s *Server) tlsConfig() *tls.Config {
	base := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{s.opts.ServerCert},
		ClientAuth:   tls.RequestClientCert,
		ClientCAs:    s.opts.ClientCAs,
		NextProtos:   []string{"http/1.1"},
	}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetConfigForClient = nil
		remote := "unknown"
		if hello.Conn != nil {
			remote = hello.Conn.RemoteAddr().String()
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error { return s.verifyClientCert(cs, remote) }
		return c, nil
	}
	return base
}

// verifyClientCert verifies a presented certificate chain against the
// gateway CA at the server's time, for client authentication. No
// certificate passes here: the request must then carry a token.
func (s *Server) verifyClientCert(cs tls.ConnectionState, remote string) error {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	reason, err := pki.VerifyClientChain(cs.PeerCertificates, s.opts.ClientCAs, s.opts.Now())
	if err == nil {
		return nil
	}
	s.log.Warn("cups request refused", "stage", "tls handshake", "remote", remote, "reason", reason,
		"subject", cs.PeerCertificates[0].Subject.CommonName, "error", err)
	return fmt.Errorf("cupsserver: %s: %w", reason, err)
}

// credentials is what a request presents: a verified certificate naming a
// gateway, or a token, or neither.
type credentials struct {
	certDER []byte // nil without a certificate
	certEUI lorawan.EUI64
	token   string // only when there is no certificate
}

// fingerprint returns the certificate's fingerprint, "" for a token.
func (c credentials) fingerprint() string {
	if c.certDER == nil {
		return ""
	}
	return store.CertFingerprint(c.certDER)
}

// requestCredentials reads the credentials of r. The chain was verified
// during the handshake; here the certificate must also name a gateway.
func requestCredentials(r *http.Request) (credentials, *refusal) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		leaf := r.TLS.PeerCertificates[0]
		eui, err := pki.EUIFromCertificate(leaf)
		if err != nil {
			return credentials{}, &refusal{status: http.StatusForbidden, reason: reasonNoEUI, err: err}
		}
		return credentials{certDER: leaf.Raw, certEUI: eui}, nil
	}
	if tok := tokenFromHeader(r.Header.Get("Authorization")); tok != "" {
		return credentials{token: tok}, nil
	}
	return credentials{}, &refusal{status: http.StatusUnauthorized, reason: reasonNoCredentials}
}

// tokenFromHeader takes the token out of an Authorization header value,
// which Station copies from cups.key ("Authorization: Bearer X" or
// "Authorization: X").
func tokenFromHeader(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}

// authorize checks that creds entitle the bearer to speak for the gateway
// whose record g is, and whose CUPS state is c.
func authorize(creds credentials, g store.Gateway, c store.CUPSGateway) *refusal {
	if creds.certDER != nil {
		if creds.certEUI != g.EUI {
			return &refusal{status: http.StatusForbidden, reason: reasonOtherGateway}
		}
		if !c.AllowsCUPSCert(g, creds.certDER) {
			return &refusal{status: http.StatusForbidden, reason: reasonNotListed}
		}
		return nil
	}
	if len(g.TokenSHA256) == 0 {
		return &refusal{status: http.StatusUnauthorized, reason: reasonNoToken}
	}
	if !g.TokenMatches(creds.token) {
		return &refusal{status: http.StatusUnauthorized, reason: reasonBadToken}
	}
	return nil
}

// logRefusal writes the one log line of a refusal; never the token.
func (s *Server) logRefusal(r *http.Request, eui *lorawan.EUI64, ref *refusal) {
	attrs := []any{"remote", r.RemoteAddr, "reason", ref.reason, "status", ref.status}
	if eui != nil {
		attrs = append(attrs, "gateway", eui.String())
	}
	if ref.err != nil {
		attrs = append(attrs, "error", ref.err)
	}
	s.log.Warn("cups request refused", attrs...)
}
