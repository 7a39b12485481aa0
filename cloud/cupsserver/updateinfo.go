package cupsserver

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// serveUpdateInfo answers POST /update-info: authentication, the answer
// computed from the gateway's desired state, the record of the request, and
// the binary body.
func (s *Server) serveUpdateInfo(w http.ResponseWriter, r *http.Request) {
	creds, ref := requestCredentials(r)
	if ref != nil {
		s.refuse(w, r, nil, ref)
		return
	}
	req, err := cups.ReadRequest(r)
	if err != nil {
		s.refuse(w, r, nil, &refusal{status: http.StatusBadRequest, reason: reasonMalformed, err: err})
		return
	}
	eui := req.Router.EUI
	ctx := r.Context()
	g, err := s.st.GetGateway(ctx, eui)
	if errors.Is(err, store.ErrNotFound) {
		s.refuse(w, r, &eui, &refusal{status: http.StatusNotFound, reason: reasonUnknownGW})
		return
	}
	if err != nil {
		s.refuse(w, r, &eui, &refusal{status: http.StatusServiceUnavailable, reason: reasonStore, err: err})
		return
	}
	c, err := s.st.GetCUPSGateway(ctx, eui)
	switch {
	case errors.Is(err, store.ErrNotFound):
		c = store.CUPSGateway{EUI: eui}
	case err != nil:
		s.refuse(w, r, &eui, &refusal{status: http.StatusServiceUnavailable, reason: reasonStore, err: err})
		return
	}
	if ref := authorize(creds, g, c); ref != nil {
		s.refuse(w, r, &eui, ref)
		return
	}
	ans, err := s.answer(ctx, req, c, creds)
	if err != nil {
		s.log.Error("cups answer failed", "gateway", eui.String(), "remote", r.RemoteAddr, "error", err)
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}

	now := s.opts.Now().UTC()
	report := store.CUPSRequest{
		At: now, Remote: r.RemoteAddr, Fingerprint: creds.fingerprint(),
		CUPSURI: deref(req.CUPSURI), TCURI: deref(req.TCURI),
		CUPSCredCRC: req.CUPSCredCRC, TCCredCRC: req.TCCredCRC,
		Station: req.Station, Model: req.Model, Package: req.Package, Keys: req.Keys,
		Answer: ans.changed,
	}
	var rotated, tokenRevoked bool
	err = s.st.UpdateCUPS(ctx, eui, func(g *store.Gateway, c *store.CUPSGateway) error {
		// The record may have changed since it was read (a rotation).
		if ref := authorize(creds, *g, *c); ref != nil {
			return ref
		}
		c.LastRequest = report
		hadToken := len(g.TokenSHA256) > 0
		rotated = confirmCUPSCert(g, c, creds.fingerprint(), now)
		tokenRevoked = hadToken && len(g.TokenSHA256) == 0
		return nil
	})
	var raced *refusal
	if errors.As(err, &raced) {
		s.refuse(w, r, &eui, raced)
		return
	}
	if err != nil {
		s.refuse(w, r, &eui, &refusal{status: http.StatusServiceUnavailable, reason: reasonStore, err: err})
		return
	}
	if rotated {
		s.log.Info("credential rotation: new CUPS certificate in use, the others revoked for CUPS",
			"gateway", eui.String(), "fingerprint", creds.fingerprint(), "token_revoked", tokenRevoked)
	}
	if err := cups.WriteResponse(w, &ans.resp); err != nil {
		s.log.Error("cups answer not written", "gateway", eui.String(), "remote", r.RemoteAddr, "error", err)
		return
	}
	s.logAnswer(r, req, creds, ans)
}

func (s *Server) refuse(w http.ResponseWriter, r *http.Request, eui *lorawan.EUI64, ref *refusal) {
	s.logRefusal(r, eui, ref)
	http.Error(w, http.StatusText(ref.status), ref.status)
}

// deref returns a reported URI, "" for null; surrounding space, which a
// hand-written file may hold, does not count.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return strings.TrimSpace(*p)
}

// answer is what the server tells one request, with what the log says of it.
type answer struct {
	resp     cups.UpdateInfoResponse
	changed  []string // segments carried: "cupsUri", "tcUri", "cupsCred", "tcCred", "update"
	version  string   // the update sent, or the one withheld
	withheld string   // why the target update was not sent, "" when it was or none is due
}

// answer compares the request with the gateway's desired state c and
// returns what differs; creds are the request's credentials.
func (s *Server) answer(ctx context.Context, req *cups.UpdateInfoRequest, c store.CUPSGateway, creds credentials) (*answer, error) {
	a := &answer{}
	if c.CUPSURI != "" && deref(req.CUPSURI) != c.CUPSURI {
		a.resp.CUPSURI = c.CUPSURI
		a.changed = append(a.changed, "cupsUri")
	}
	tcURI := c.TCURI
	if tcURI == "" {
		tcURI = s.opts.TCURI
	}
	if tcURI != "" && deref(req.TCURI) != tcURI {
		a.resp.TCURI = tcURI
		a.changed = append(a.changed, "tcUri")
	}
	for _, cred := range []struct {
		name     string
		set      *store.CredentialSet
		reported uint32
		out      *[]byte
	}{
		{"cupsCred", c.CUPSCred, req.CUPSCredCRC, &a.resp.CUPSCred},
		{"tcCred", c.TCCred, req.TCCredCRC, &a.resp.TCCred},
	} {
		if cred.set == nil {
			continue
		}
		blob, err := credentialsOf(cred.set).MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("cupsserver: %s of gateway %s: %w", cred.name, c.EUI, err)
		}
		// The CRC Station will report once it has written the blob.
		want, err := cups.BlobCRC(blob)
		if err != nil {
			return nil, fmt.Errorf("cupsserver: %s of gateway %s: %w", cred.name, c.EUI, err)
		}
		if want != cred.reported {
			*cred.out = blob
			a.changed = append(a.changed, cred.name)
		}
	}
	if c.TCCred == nil {
		if err := s.answerTokenTC(req, creds, tcURI, a); err != nil {
			return nil, fmt.Errorf("cupsserver: tcCred of gateway %s: %w", c.EUI, err)
		}
	}
	if err := s.answerUpdate(ctx, req, c, a); err != nil {
		return nil, err
	}
	return a, nil
}

// answerTokenTC gives a token gateway that holds no TC credentials at all
// (the CRC Station reports for no tc.trust, tc.crt or tc.key) the set that
// lets it reach the cloud's own LNS: the LNS's trust and, as tc.key, the
// token it has just authenticated with, as the header line Station sends.
// Station 2.0.6 bootstrapped from cups.* alone with a token otherwise gets
// a wss:// tc.uri it cannot open ("tc URI requires TLS but no trust
// configured") and never connects. The token goes to no other tc.uri.
func (s *Server) answerTokenTC(req *cups.UpdateInfoRequest, creds credentials, tcURI string, a *answer) error {
	if creds.token == "" || len(s.opts.TCTrust) == 0 || s.opts.TCURI == "" || tcURI != s.opts.TCURI ||
		req.TCCredCRC != cups.CredCRC(nil, nil, nil) {
		return nil
	}
	blob, err := cups.Credentials{Trust: s.opts.TCTrust, Token: "Authorization: Bearer " + creds.token + "\r\n"}.MarshalBinary()
	if err != nil {
		return err
	}
	a.resp.TCCred = blob
	a.changed = append(a.changed, "tcCred")
	return nil
}

// credentialsOf converts a stored credential set to the wire form.
func credentialsOf(set *store.CredentialSet) cups.Credentials {
	return cups.Credentials{Trust: set.Trust, Cert: set.Cert, Key: set.Key, Token: string(set.Token)}
}

// answerUpdate adds the gateway's target update to a when the gateway runs
// another version and may be given it: signed by a key it holds, or, for a
// gateway without keys, unsigned when allowed.
func (s *Server) answerUpdate(ctx context.Context, req *cups.UpdateInfoRequest, c store.CUPSGateway, a *answer) error {
	target := c.TargetVersion
	if target == "" {
		var err error
		if target, err = s.st.FleetTarget(ctx); err != nil {
			return err
		}
	}
	if target == "" || strings.TrimSpace(req.Package) == target {
		return nil
	}
	a.version = target
	u, err := s.st.GetUpdate(ctx, target)
	if err != nil {
		return err
	}
	if len(req.Keys) == 0 {
		if !s.opts.AllowUnsigned {
			a.withheld = "the gateway holds no signing key and unsigned updates are not allowed"
			return nil
		}
		data, err := s.st.UpdateData(ctx, target)
		if err != nil {
			return err
		}
		a.resp.Update = data
		a.changed = append(a.changed, "update")
		return nil
	}
	keys, err := s.st.ListSigningKeys(ctx)
	if err != nil {
		return err
	}
	var data []byte
	for _, sig := range u.Signatures {
		if !slices.Contains(req.Keys, sig.KeyCRC) {
			continue
		}
		i := slices.IndexFunc(keys, func(k store.SigningKey) bool { return k.Name == sig.Key && k.CRC == sig.KeyCRC })
		if i < 0 {
			continue // the key was deleted: its signatures are no longer served
		}
		pub, err := cups.ParsePublicKey(keys[i].Public)
		if err != nil {
			return fmt.Errorf("cupsserver: signing key %s: %w", sig.Key, err)
		}
		if data == nil {
			if data, err = s.st.UpdateData(ctx, target); err != nil {
				return err
			}
		}
		w := &cups.Signature{KeyCRC: sig.KeyCRC, DER: sig.DER}
		// Never send a signature the gateway would refuse.
		if _, err := cups.Verify([]cups.PublicKey{pub}, data, w); err != nil {
			s.log.Error("stored update signature does not verify; not served", "version", target, "key", sig.Key, "error", err)
			continue
		}
		a.resp.Sig = w
		a.resp.Update = data
		a.changed = append(a.changed, "update")
		return nil
	}
	a.withheld = "no signature by a key the gateway holds"
	return nil
}

// logAnswer writes the one log line of an answer: what changed, never a
// key or token.
func (s *Server) logAnswer(r *http.Request, req *cups.UpdateInfoRequest, creds credentials, a *answer) {
	auth := "certificate"
	if creds.certDER == nil {
		auth = "token"
	}
	attrs := []any{"gateway", req.Router.EUI.String(), "remote", r.RemoteAddr, "auth", auth,
		"package", req.Package, "cups_cred_crc", fmt.Sprintf("%08x", req.CUPSCredCRC), "tc_cred_crc", fmt.Sprintf("%08x", req.TCCredCRC)}
	if len(a.changed) == 0 {
		attrs = append(attrs, "changed", "nothing")
	} else {
		attrs = append(attrs, "changed", strings.Join(a.changed, ","))
	}
	if a.resp.CUPSURI != "" {
		attrs = append(attrs, "cups_uri", a.resp.CUPSURI)
	}
	if a.resp.TCURI != "" {
		attrs = append(attrs, "tc_uri", a.resp.TCURI)
	}
	if len(a.resp.Update) > 0 {
		attrs = append(attrs, "update", a.version, "update_bytes", len(a.resp.Update))
		if a.resp.Sig != nil {
			attrs = append(attrs, "sig_key_crc", fmt.Sprintf("%08x", a.resp.Sig.KeyCRC))
		} else {
			attrs = append(attrs, "signed", false)
		}
	}
	if a.withheld != "" {
		attrs = append(attrs, "update_withheld", a.version, "why", a.withheld)
	}
	s.log.Info("cups answer", attrs...)
}
