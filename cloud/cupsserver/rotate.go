package cupsserver

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Updater is what Rotate needs of the store (*store.DB has it).
type Updater interface {
	UpdateCUPS(ctx context.Context, eui lorawan.EUI64, fn func(g *store.Gateway, c *store.CUPSGateway) error) error
}

// RotateOptions tunes Rotate. The zero value issues certificates valid for
// pki.GatewayValidity from now and leaves the URIs alone.
type RotateOptions struct {
	// Validity of the new certificates. Default pki.GatewayValidity.
	Validity time.Duration
	// CUPSURI, when set, becomes the gateway's desired cups.uri
	// (https://host:port, see CheckCUPSURI).
	CUPSURI string
	// TCURI, when set, becomes the gateway's desired tc.uri
	// (wss://host:port, see pki.CheckTCURI).
	TCURI string
	// Now is the time of issue. Default time.Now().
	Now time.Time
}

// Rotation is what Rotate issued.
type Rotation struct {
	EUI lorawan.EUI64
	// TC and CUPS are the new credential sets, private keys included, in
	// the DER form the CUPS answer carries.
	TC, CUPS cups.Credentials
	// TCFingerprint and CUPSFingerprint name the new certificates
	// (store.CertFingerprint).
	TCFingerprint, CUPSFingerprint string
	NotAfter                       time.Time
	// Superseded reports that a rotation that had not completed was
	// replaced; its certificates stay valid until this one completes.
	Superseded bool
	// TCPinned reports whether the gateway's traffic certificates were
	// pinned (store.Gateway.CertFingerprints). When not, any certificate of
	// the CA naming the gateway passes until the new one has connected;
	// from then on only the new one does.
	TCPinned bool
}

// Rotate issues a new TC and a new CUPS client certificate for gateway eui,
// signed by ca, and makes them the gateway's desired credentials, which its
// next CUPS request receives. Every certificate the gateway may hold stays
// valid: the new TC certificate is added to the gateway's allowed list and
// the new CUPS certificate to its CUPS list. The old TC certificates are
// revoked once the gateway has connected to the traffic endpoint with the new
// one (GatewayConnected), the old CUPS certificates once it has made a CUPS
// request with the new one, and a token the gateway authenticated with once
// it has done both. ErrNotFound (store) for an unknown gateway.
func Rotate(ctx context.Context, st Updater, ca *pki.CA, eui lorawan.EUI64, opts RotateOptions) (*Rotation, error) {
	if opts.CUPSURI != "" {
		if err := CheckCUPSURI(opts.CUPSURI); err != nil {
			return nil, err
		}
	}
	if opts.TCURI != "" {
		if err := pki.CheckTCURI(opts.TCURI); err != nil {
			return nil, fmt.Errorf("cupsserver: %w", err)
		}
	}
	if opts.Validity <= 0 {
		opts.Validity = pki.GatewayValidity
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	res := &Rotation{EUI: eui, NotAfter: opts.Now.Add(opts.Validity)}
	var err error
	if res.TC, err = issue(ca, eui, opts.Now, res.NotAfter); err != nil {
		return nil, err
	}
	if res.CUPS, err = issue(ca, eui, opts.Now, res.NotAfter); err != nil {
		return nil, err
	}
	res.TCFingerprint = store.CertFingerprint(res.TC.Cert)
	res.CUPSFingerprint = store.CertFingerprint(res.CUPS.Cert)
	now := opts.Now.UTC()
	err = st.UpdateCUPS(ctx, eui, func(g *store.Gateway, c *store.CUPSGateway) error {
		res.Superseded = c.Rotation != nil
		switch {
		case len(c.CUPSCertFingerprints) > 0:
			c.CUPSCertFingerprints = appendNew(c.CUPSCertFingerprints, res.CUPSFingerprint)
		case len(g.CertFingerprints) > 0:
			// CUPS requests were checked against the gateway's list, which
			// will shrink to the new TC certificate: make it explicit.
			c.CUPSCertFingerprints = appendNew(slices.Clone(g.CertFingerprints), res.CUPSFingerprint)
		}
		// Both lists empty: any certificate naming the gateway passes, the
		// new ones included, until GatewayConnected pins them.
		res.TCPinned = len(g.CertFingerprints) > 0
		if res.TCPinned {
			g.CertFingerprints = appendNew(g.CertFingerprints, res.TCFingerprint)
		}
		c.TCCred, c.CUPSCred = storedSet(res.TC), storedSet(res.CUPS)
		if opts.CUPSURI != "" {
			c.CUPSURI = opts.CUPSURI
		}
		if opts.TCURI != "" {
			c.TCURI = opts.TCURI
		}
		c.Rotation = &store.CUPSRotation{StartedAt: now, TCFingerprint: res.TCFingerprint, CUPSFingerprint: res.CUPSFingerprint}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cupsserver: rotate gateway %s: %w", eui, err)
	}
	return res, nil
}

// issue signs a client certificate for eui, back-dated an hour for gateways
// whose clock lags, and returns it as a credential set.
func issue(ca *pki.CA, eui lorawan.EUI64, now, notAfter time.Time) (cups.Credentials, error) {
	kp, err := ca.IssueGatewayCert(eui, now.Add(-time.Hour), notAfter)
	if err != nil {
		return cups.Credentials{}, fmt.Errorf("cupsserver: %w", err)
	}
	key, err := cups.ToDER(kp.KeyPEM)
	if err != nil {
		return cups.Credentials{}, fmt.Errorf("cupsserver: %w", err)
	}
	cred := cups.Credentials{Trust: ca.Certificate().Raw, Cert: kp.Cert.Raw, Key: key}
	if _, err := cred.MarshalBinary(); err != nil {
		return cups.Credentials{}, fmt.Errorf("cupsserver: %w", err)
	}
	return cred, nil
}

// storedSet returns a store copy of cred.
func storedSet(cred cups.Credentials) *store.CredentialSet {
	return &store.CredentialSet{
		Trust: slices.Clone(cred.Trust), Cert: slices.Clone(cred.Cert),
		Key: store.PrivateKey(slices.Clone(cred.Key)), Token: store.Secret(cred.Token),
		CRC: cred.CRC(),
	}
}

func appendNew(list []string, fp string) []string {
	if slices.ContainsFunc(list, func(f string) bool { return strings.EqualFold(f, fp) }) {
		return list
	}
	return append(list, fp)
}

// confirmCUPSCert completes the CUPS half of a rotation when fp is its new
// certificate: from now on only that certificate authenticates the
// gateway's CUPS requests. It reports whether it did.
func confirmCUPSCert(g *store.Gateway, c *store.CUPSGateway, fp string, now time.Time) bool {
	r := c.Rotation
	if r == nil || fp == "" || !strings.EqualFold(r.CUPSFingerprint, fp) {
		return false
	}
	c.CUPSCertFingerprints = []string{r.CUPSFingerprint}
	r.CUPSFingerprint = ""
	finishRotation(g, c, now)
	return true
}

// confirmTCCert completes the TC half of a rotation when fp is its new
// certificate: the gateway's allowed list becomes that certificate alone.
// It reports whether it did.
func confirmTCCert(g *store.Gateway, c *store.CUPSGateway, fp string, now time.Time) bool {
	r := c.Rotation
	if r == nil || fp == "" || !strings.EqualFold(r.TCFingerprint, fp) {
		return false
	}
	if len(c.CUPSCertFingerprints) == 0 {
		// CUPS requests were checked against the gateway's list, which now
		// shrinks: keep valid for CUPS the new CUPS certificate and the one
		// the gateway last used there.
		c.CUPSCertFingerprints = nonEmpty(r.CUPSFingerprint, c.LastRequest.Fingerprint)
	}
	g.CertFingerprints = []string{r.TCFingerprint}
	r.TCFingerprint = ""
	finishRotation(g, c, now)
	return true
}

// finishRotation closes a rotation once both new certificates have been
// used. The gateway's token, if it had one, is revoked then: it was one of
// the credentials the rotation replaced, and the gateway, which now holds
// and has used certificates for both CUPS and traffic (and keeps them as
// its fallback sets too), no longer needs it.
func finishRotation(g *store.Gateway, c *store.CUPSGateway, now time.Time) {
	if r := c.Rotation; r != nil && r.TCFingerprint == "" && r.CUPSFingerprint == "" {
		c.Rotation = nil
		c.RotatedAt = now
		g.SetToken("")
	}
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// GatewayConnected is the traffic endpoint's OnConnect hook
// (cloud/gateway.Options.OnConnect): it records that gateway eui connected
// with the certificate of this fingerprint ("" for a token) and, when that is
// the new certificate of a rotation, revokes the gateway's other traffic
// certificates. Gateways without CUPS state are left alone. It returns once
// the change is stored, so the revocation holds for the next connection.
func (s *Server) GatewayConnected(eui lorawan.EUI64, fingerprint string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.st.GetCUPSGateway(ctx, eui); err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("cups: traffic connection not recorded", "gateway", eui.String(), "error", err)
		}
		return
	}
	now := s.opts.Now().UTC()
	var rotated, tokenRevoked bool
	err := s.st.UpdateCUPS(ctx, eui, func(g *store.Gateway, c *store.CUPSGateway) error {
		c.LastTCConnect, c.LastTCFingerprint = now, fingerprint
		hadToken := len(g.TokenSHA256) > 0
		rotated = confirmTCCert(g, c, fingerprint, now)
		tokenRevoked = hadToken && len(g.TokenSHA256) == 0
		return nil
	})
	if err != nil {
		s.log.Error("cups: traffic connection not recorded", "gateway", eui.String(), "error", err)
		return
	}
	if rotated {
		s.log.Info("credential rotation: new TC certificate in use, the others revoked for traffic",
			"gateway", eui.String(), "fingerprint", fingerprint, "token_revoked", tokenRevoked)
	}
}

// CheckCUPSURI reports whether s is a URI for cups.uri: https:// (or
// http://), a host, an explicit port and no path, query or fragment, at most
// 255 bytes (Station adds /update-info).
func CheckCUPSURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Errorf("cupsserver: cups uri %q: %w", s, err)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("cupsserver: cups uri %q: scheme must be https or http", s)
	}
	if u.Hostname() == "" || u.Port() == "" {
		return fmt.Errorf("cupsserver: cups uri %q: needs a host and an explicit port", s)
	}
	if strings.Trim(u.Path, "/") != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("cupsserver: cups uri %q: must be scheme://host:port only (Station adds /update-info)", s)
	}
	if len(s) > cups.MaxURILen {
		return fmt.Errorf("cupsserver: cups uri longer than %d bytes", cups.MaxURILen)
	}
	return nil
}
