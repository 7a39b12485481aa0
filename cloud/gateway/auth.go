package gateway

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
)

// Reasons a gateway is refused, as they appear in log lines (key "reason").
const (
	reasonNoCredentials = "no client certificate and no token"
	reasonUnknownCA     = pki.ReasonUnknownCA
	reasonExpired       = pki.ReasonExpired
	reasonBadCert       = pki.ReasonBadCert
	reasonNoEUI         = "client certificate names no gateway EUI"
	reasonOtherGateway  = "client certificate names another gateway"
	reasonUnknownGW     = "unknown gateway"
	reasonBadToken      = "token does not match the gateway"
	reasonNoToken       = "gateway has no token configured"
	reasonRegistry      = "registry lookup failed"
	reasonNotListed     = "client certificate not among the gateway's allowed certificates"
)

// HashToken returns the SHA-256 of a gateway token, the form in which
// GatewayInfo.TokenSHA256 carries it, so that the token itself is never stored.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// CertFingerprint returns the fingerprint GatewayInfo.CertFingerprints
// lists for a certificate: the lower-case hex SHA-256 of its DER bytes.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// tokenFromHeader extracts the token from an Authorization header value,
// which Station copies verbatim from tc.key ("Authorization: Bearer X" or
// "Authorization: X").
func tokenFromHeader(v string) string {
	v = strings.TrimSpace(v)
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		v = strings.TrimSpace(v[7:])
	}
	return v
}

// tokenMatches compares the token against the stored hash in constant time.
func tokenMatches(token string, stored []byte) bool {
	if len(stored) != sha256.Size || token == "" {
		return false
	}
	return subtle.ConstantTimeCompare(HashToken(token), stored) == 1
}

// tlsConfig builds the server side TLS configuration: the server certificate,
// and client certificates requested but verified by verifyClientCert, so that
// a gateway may instead authenticate with a token, and so that every refusal
// is logged with its reason and the remote address.
func (s *Server) tlsConfig() *tls.Config {
	base := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		Certificates: []tls.Certificate{s.opts.ServerCert},
		ClientAuth:   tls.RequestClientCert,
		ClientCAs:    s.opts.ClientCAs, // sent as the acceptable CA list in CertificateRequest
		NextProtos:   []string{"http/1.1"},
	}
	base.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		c := base.Clone()
		c.GetConfigForClient = nil
		remote := "unknown"
		if hello.Conn != nil {
			remote = hello.Conn.RemoteAddr().String()
		}
		c.VerifyConnection = func(cs tls.ConnectionState) error {
			return s.verifyClientCert(cs, remote)
		}
		return c, nil
	}
	return base
}

// verifyClientCert verifies a presented client certificate chain against
// the gateway CA at the current time (Go's own check under
// VerifyClientCertIfGiven, done here to log why). No certificate is allowed
// at this stage: the HTTP layer then requires a token.
func (s *Server) verifyClientCert(cs tls.ConnectionState, remote string) error {
	if len(cs.PeerCertificates) == 0 {
		return nil
	}
	reason, err := pki.VerifyClientChain(cs.PeerCertificates, s.opts.ClientCAs, s.now())
	if err == nil {
		return nil
	}
	s.log.Warn("gateway refused", "stage", "tls handshake", "remote", remote, "reason", reason,
		"subject", cs.PeerCertificates[0].Subject.CommonName, "error", err)
	return fmt.Errorf("gateway: %s: %w", reason, err)
}

// refusal is an authentication failure: the HTTP status to answer before the
// upgrade and the reason to log.
type refusal struct {
	status int
	reason string
	err    error // underlying error, logged when set
}

// Error returns the reason and the underlying error.
func (r *refusal) Error() string {
	if r.err != nil {
		return r.reason + ": " + r.err.Error()
	}
	return r.reason
}

// credentials is what a request presents: a verified certificate's EUI, or a
// token, or neither.
type credentials struct {
	hasCert bool
	certEUI lorawan.EUI64
	certDER []byte
	token   string // only when there is no certificate
}

// requestCredentials reads the credentials of r. The certificate chain was
// verified during the handshake; here it must also name a gateway EUI.
func requestCredentials(r *http.Request) (credentials, *refusal) {
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		eui, err := pki.EUIFromCertificate(r.TLS.PeerCertificates[0])
		if err != nil {
			return credentials{}, &refusal{status: http.StatusForbidden, reason: reasonNoEUI, err: err}
		}
		return credentials{hasCert: true, certEUI: eui, certDER: r.TLS.PeerCertificates[0].Raw}, nil
	}
	if tok := tokenFromHeader(r.Header.Get("Authorization")); tok != "" {
		return credentials{token: tok}, nil
	}
	return credentials{}, &refusal{status: http.StatusUnauthorized, reason: reasonNoCredentials}
}

// authorize checks that creds entitle the bearer to act as gateway eui and
// returns the gateway's registry record.
func (s *Server) authorize(ctx context.Context, creds credentials, eui lorawan.EUI64) (GatewayInfo, *refusal) {
	if creds.hasCert && creds.certEUI != eui {
		return GatewayInfo{}, &refusal{status: http.StatusForbidden, reason: reasonOtherGateway}
	}
	lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	info, err := s.reg.Gateway(lctx, eui)
	if errors.Is(err, ErrUnknownGateway) {
		return GatewayInfo{}, &refusal{status: http.StatusNotFound, reason: reasonUnknownGW}
	}
	if err != nil {
		return GatewayInfo{}, &refusal{status: http.StatusServiceUnavailable, reason: reasonRegistry, err: err}
	}
	if creds.hasCert {
		if len(info.CertFingerprints) > 0 {
			fp := CertFingerprint(creds.certDER)
			if !slices.ContainsFunc(info.CertFingerprints, func(f string) bool { return strings.EqualFold(f, fp) }) {
				return GatewayInfo{}, &refusal{status: http.StatusForbidden, reason: reasonNotListed}
			}
		}
		return info, nil
	}
	if len(info.TokenSHA256) == 0 {
		return GatewayInfo{}, &refusal{status: http.StatusUnauthorized, reason: reasonNoToken}
	}
	if !tokenMatches(creds.token, info.TokenSHA256) {
		return GatewayInfo{}, &refusal{status: http.StatusUnauthorized, reason: reasonBadToken}
	}
	return info, nil
}

// logRefusal writes the one log line of a refusal; never the token.
func (s *Server) logRefusal(r *http.Request, stage string, eui *lorawan.EUI64, ref *refusal) {
	attrs := []any{"stage", stage, "remote", r.RemoteAddr, "reason", ref.reason}
	if eui != nil {
		attrs = append(attrs, "gateway", eui.String())
	}
	if ref.err != nil {
		attrs = append(attrs, "error", ref.err)
	}
	s.log.Warn("gateway refused", attrs...)
}
