package admin

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// This file holds the Service's CUPS methods: the gateways' CUPS state,
// credential rotation, update-signing keys and signed updates. They work
// on the store the cloud's CUPS server and gateway endpoint read on every
// request, so a change made while the cloud runs holds from the next
// request on.

// ServiceOption configures a Service.
type ServiceOption func(*Service)

// WithCA gives the Service the gateway CA that signs the certificates of a
// credential rotation (RotateGateway, CUPSHome); load is called at each
// rotation. Without it those methods fail.
func WithCA(load func() (*pki.CA, error)) ServiceOption {
	return func(s *Service) { s.ca = load }
}

// notRegistered is the error of a CUPS request for an unknown gateway.
func notRegistered(eui lorawan.EUI64) error {
	return &codedError{kind: ErrNotFound, msg: fmt.Sprintf("admin: gateway %s is not registered (add it first)", eui)}
}

// gatewayErr classifies an error of a store call about gateway eui.
func gatewayErr(eui lorawan.EUI64, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return notRegistered(eui)
	}
	return storeErr(err)
}

// credState compares a desired credential set with the CRC the gateway
// last reported.
func credState(set *store.CredentialSet, reported uint32, asked bool) string {
	switch {
	case set == nil:
		return "unmanaged"
	case !asked:
		return "pending (no request yet)"
	case set.CRC == reported:
		return "current"
	default:
		return fmt.Sprintf("pending (reported %08x, desired %08x)", reported, set.CRC)
	}
}

// CUPSStatus returns the CUPS state of every registered gateway, or with a
// non-zero eui of that gateway only (ErrNotFound when it is not
// registered), with the fleet's target and the signing keys.
func (s *Service) CUPSStatus(ctx context.Context, eui lorawan.EUI64) (CUPSStatus, error) {
	gws, err := s.db.ListGateways(ctx)
	if err != nil {
		return CUPSStatus{}, storeErr(err)
	}
	states, err := s.db.ListCUPSGateways(ctx)
	if err != nil {
		return CUPSStatus{}, storeErr(err)
	}
	fleet, err := s.db.FleetTarget(ctx)
	if err != nil {
		return CUPSStatus{}, storeErr(err)
	}
	keys, err := s.db.ListSigningKeys(ctx)
	if err != nil {
		return CUPSStatus{}, storeErr(err)
	}
	byEUI := make(map[lorawan.EUI64]store.CUPSGateway, len(states))
	for _, c := range states {
		byEUI[c.EUI] = c
	}
	out := CUPSStatus{FleetTarget: fleet, SigningKeys: make([]SigningKey, 0, len(keys)), Gateways: []CUPSGateway{}}
	for _, k := range keys {
		out.SigningKeys = append(out.SigningKeys, signingKeyView(k))
	}
	all := eui == (lorawan.EUI64{})
	for _, g := range gws {
		if !all && g.EUI != eui {
			continue
		}
		st := CUPSGateway{EUI: g.EUI, Name: g.Name, LastSeen: g.LastSeen, Target: fleet,
			TCCred: "unmanaged", CUPSCred: "unmanaged", TrafficPins: g.CertFingerprints}
		if c, ok := byEUI[g.EUI]; ok {
			st.State = cupsStateView(c)
			if c.TargetVersion != "" {
				st.Target = c.TargetVersion
			}
			asked := !c.LastRequest.At.IsZero()
			st.TCCred = credState(c.TCCred, c.LastRequest.TCCredCRC, asked)
			st.CUPSCred = credState(c.CUPSCred, c.LastRequest.CUPSCredCRC, asked)
		}
		out.Gateways = append(out.Gateways, st)
	}
	if !all && len(out.Gateways) == 0 {
		return CUPSStatus{}, notRegistered(eui)
	}
	return out, nil
}

// Validate checks the settings without a store: at least one is given,
// and each URI is of the form Station takes.
func (set CUPSSettings) Validate() error {
	if set.TCURI == "" && set.CUPSURI == "" && set.Target == "" {
		return invalid("nothing to set: give a tc uri, a cups uri or a target")
	}
	if set.TCURI != "" && set.TCURI != DefaultTCURI {
		if err := pki.CheckTCURI(set.TCURI); err != nil {
			return invalid("%v", err)
		}
	}
	if set.CUPSURI != "" && set.CUPSURI != NoCUPSURI {
		if err := cupsserver.CheckCUPSURI(set.CUPSURI); err != nil {
			return invalid("%v", err)
		}
	}
	if set.Target != "" && set.Target != FleetTarget {
		if err := checkVersion(set.Target); err != nil {
			return err
		}
	}
	return nil
}

// SetCUPS changes what the CUPS server tells gateway eui at its next
// request and returns the gateway's CUPS state. A target must be a stored
// update.
func (s *Service) SetCUPS(ctx context.Context, eui lorawan.EUI64, set CUPSSettings) (CUPSGateway, error) {
	if err := set.Validate(); err != nil {
		return CUPSGateway{}, err
	}
	err := s.db.UpdateCUPS(ctx, eui, func(_ *store.Gateway, c *store.CUPSGateway) error {
		switch set.TCURI {
		case "":
		case DefaultTCURI:
			c.TCURI = ""
		default:
			c.TCURI = set.TCURI
		}
		switch set.CUPSURI {
		case "":
		case NoCUPSURI:
			c.CUPSURI = ""
		default:
			c.CUPSURI = set.CUPSURI
		}
		switch set.Target {
		case "":
		case FleetTarget:
			c.TargetVersion = ""
		default:
			c.TargetVersion = set.Target
		}
		return nil
	})
	if err != nil {
		return CUPSGateway{}, gatewayErr(eui, err)
	}
	st, err := s.CUPSStatus(ctx, eui)
	if err != nil {
		return CUPSGateway{}, err
	}
	return st.Gateways[0], nil
}

// Validate checks the spec without a store.
func (spec RotateSpec) Validate() error {
	if spec.Days < 0 || spec.Days > maxRotateDays {
		return invalid("certificate validity of %d days: want 1 to %d", spec.Days, maxRotateDays)
	}
	if spec.TCURI != "" {
		if err := pki.CheckTCURI(spec.TCURI); err != nil {
			return invalid("%v", err)
		}
	}
	if spec.CUPSURI != "" {
		if err := cupsserver.CheckCUPSURI(spec.CUPSURI); err != nil {
			return invalid("%v", err)
		}
	}
	return nil
}

// rotate runs cupsserver.Rotate with the Service's CA.
func (s *Service) rotate(ctx context.Context, eui lorawan.EUI64, spec RotateSpec) (*cupsserver.Rotation, Rotation, error) {
	if err := spec.Validate(); err != nil {
		return nil, Rotation{}, err
	}
	if s.ca == nil {
		return nil, Rotation{}, errors.New("admin: no gateway CA: credential rotation is not available here")
	}
	ca, err := s.ca()
	if err != nil {
		return nil, Rotation{}, fmt.Errorf("admin: gateway ca: %w", err)
	}
	opts := cupsserver.RotateOptions{TCURI: spec.TCURI, CUPSURI: spec.CUPSURI}
	if spec.Days > 0 {
		opts.Validity = time.Duration(spec.Days) * 24 * time.Hour
	}
	rot, err := cupsserver.Rotate(ctx, s.db, ca, eui, opts)
	if err != nil {
		return nil, Rotation{}, gatewayErr(eui, err)
	}
	view := Rotation{
		EUI:             rot.EUI,
		TCFingerprint:   rot.TCFingerprint,
		CUPSFingerprint: rot.CUPSFingerprint,
		NotAfter:        rot.NotAfter.UTC(),
		Superseded:      rot.Superseded,
		TCPinned:        rot.TCPinned,
	}
	st, err := s.db.ListCUPSGateways(ctx) // without keys
	if err != nil {
		return nil, Rotation{}, storeErr(err)
	}
	for _, c := range st {
		if c.EUI == eui {
			view.CUPSRequested = !c.LastRequest.At.IsZero()
		}
	}
	return rot, view, nil
}

// RotateGateway issues a new TC and a new CUPS client certificate for
// gateway eui and makes them the credentials its next CUPS request gets
// (cupsserver.Rotate): the gateway's current certificates stay valid until
// it has used the new ones. The answer names the certificates; their keys
// stay in the store, sealed, for the CUPS server to deliver.
func (s *Service) RotateGateway(ctx context.Context, eui lorawan.EUI64, spec RotateSpec) (Rotation, error) {
	_, view, err := s.rotate(ctx, eui, spec)
	return view, err
}

// CUPSHome is RotateGateway for a gateway to be bootstrapped: it returns
// the new CUPS credentials, private key included, for the caller to write
// into the gateway's Station home (cups.trust, cups.crt, cups.key) with
// spec.CUPSURI, which is required. The new TC credentials reach the
// gateway by CUPS.
func (s *Service) CUPSHome(ctx context.Context, eui lorawan.EUI64, spec RotateSpec) (CUPSHome, error) {
	if spec.CUPSURI == "" {
		return CUPSHome{}, invalid("a cups uri is required: the home holds it as cups.uri")
	}
	rot, view, err := s.rotate(ctx, eui, spec)
	if err != nil {
		return CUPSHome{}, err
	}
	return CUPSHome{
		Rotation: view,
		CUPSURI:  spec.CUPSURI,
		CUPS:     HomeCredentials{Trust: rot.CUPS.Trust, Cert: rot.CUPS.Cert, Key: PrivateKey(rot.CUPS.Key)},
	}, nil
}

// checkKeyName accepts a signing key name as the store does.
func checkKeyName(name string) error {
	if name == "" {
		return invalid("signing key name is required")
	}
	if len(name) > 128 {
		return invalid("signing key name longer than 128 characters")
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return invalid("signing key name %q: only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

// checkVersion accepts an update version as the store does: printable
// text of 1 to 128 bytes.
func checkVersion(v string) error {
	if v == "" {
		return invalid("update version is required")
	}
	return checkText("update version", v)
}

// AddSigningKey makes an ECDSA P-256 update-signing key named name and
// keeps it, sealed, in the store; it returns the public half. The private
// key never leaves the store. ErrExists for a name taken.
func (s *Service) AddSigningKey(ctx context.Context, name string) (SigningKey, error) {
	if err := checkKeyName(name); err != nil {
		return SigningKey{}, err
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return SigningKey{}, fmt.Errorf("admin: signing key: %w", err)
	}
	pub, err := cups.PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		return SigningKey{}, fmt.Errorf("admin: signing key: %w", err)
	}
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		return SigningKey{}, fmt.Errorf("admin: signing key: %w", err)
	}
	defer clear(der)
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.db.AddSigningKey(ctx, store.SigningKey{Name: name, Public: pub[:], Private: store.PrivateKey(der)})
	if errors.Is(err, store.ErrExists) {
		return SigningKey{}, classify(ErrExists, err)
	}
	if err != nil {
		return SigningKey{}, storeErr(err)
	}
	keys, err := s.db.ListSigningKeys(ctx)
	if err != nil {
		return SigningKey{}, storeErr(err)
	}
	for _, k := range keys {
		if k.Name == name {
			return signingKeyView(k), nil
		}
	}
	return SigningKey{}, fmt.Errorf("admin: signing key %q stored but not listed", name)
}

// ListUpdates returns the signing keys (public halves), the stored updates
// (without bytes) and the fleet's target.
func (s *Service) ListUpdates(ctx context.Context) (UpdateList, error) {
	keys, err := s.db.ListSigningKeys(ctx)
	if err != nil {
		return UpdateList{}, storeErr(err)
	}
	updates, err := s.db.ListUpdates(ctx)
	if err != nil {
		return UpdateList{}, storeErr(err)
	}
	fleet, err := s.db.FleetTarget(ctx)
	if err != nil {
		return UpdateList{}, storeErr(err)
	}
	out := UpdateList{Keys: make([]SigningKey, 0, len(keys)), Updates: make([]Update, 0, len(updates)), FleetTarget: fleet}
	for _, k := range keys {
		out.Keys = append(out.Keys, signingKeyView(k))
	}
	for _, u := range updates {
		out.Updates = append(out.Updates, updateView(u))
	}
	return out, nil
}

// Validate checks the spec without a store or the bytes.
func (spec SignSpec) Validate() error {
	if err := checkVersion(spec.Version); err != nil {
		return err
	}
	if err := checkKeyName(spec.Key); err != nil {
		return err
	}
	if spec.NoTarget && len(spec.Gateways) > 0 {
		return invalid("update %s: target gateways and no target exclude each other", spec.Version)
	}
	for _, e := range spec.Gateways {
		if e == (lorawan.EUI64{}) {
			return invalid("update %s: target gateway eui is zero", spec.Version)
		}
	}
	return nil
}

// checkUpdateSize refuses an empty update or one over MaxUpdateSize.
func checkUpdateSize(n int) error {
	switch {
	case n == 0:
		return invalid("the update is empty")
	case n > MaxUpdateSize:
		return invalid("the update has %d bytes, more than the %d an update may have", n, MaxUpdateSize)
	}
	return nil
}

// SignUpdate signs data with the signing key spec.Key, as Station checks it
// (ECDSA P-256 over SHA-512), and stores it as update spec.Version: new,
// or the same bytes gaining this signature, or with spec.Replace other
// bytes replacing the stored ones (ErrExists without it). It then makes
// the update the target of spec.Gateways, or of the fleet, unless
// spec.NoTarget. The key is unsealed only for the signature and appears in
// no answer or error.
func (s *Service) SignUpdate(ctx context.Context, spec SignSpec, data []byte) (SignedUpdate, error) {
	if err := spec.Validate(); err != nil {
		return SignedUpdate{}, err
	}
	if err := checkUpdateSize(len(data)); err != nil {
		return SignedUpdate{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range spec.Gateways {
		if _, err := s.db.GetGateway(ctx, e); err != nil {
			return SignedUpdate{}, gatewayErr(e, err)
		}
	}
	k, err := s.db.GetSigningKey(ctx, spec.Key)
	if errors.Is(err, store.ErrNotFound) {
		return SignedUpdate{}, &codedError{kind: ErrNotFound, msg: fmt.Sprintf("admin: no signing key %q (make one with update keygen; update list shows the keys)", spec.Key)}
	}
	if err != nil {
		return SignedUpdate{}, storeErr(err)
	}
	priv, err := cups.ParseSigningKey(k.Private)
	clear(k.Private)
	if err != nil {
		return SignedUpdate{}, fmt.Errorf("admin: signing key %s: %w", spec.Key, err)
	}
	sig, err := cups.Sign(priv, data)
	if err != nil {
		return SignedUpdate{}, fmt.Errorf("admin: %w", err)
	}
	pub, err := cups.ParsePublicKey(k.Public)
	if err != nil {
		return SignedUpdate{}, fmt.Errorf("admin: signing key %s: %w", spec.Key, err)
	}
	if _, err := cups.Verify([]cups.PublicKey{pub}, data, sig); err != nil {
		return SignedUpdate{}, fmt.Errorf("admin: the signature does not verify with the stored public key of %s: %w", spec.Key, err)
	}
	sum := sha256.Sum256(data)
	out := SignedUpdate{Version: spec.Version, Size: len(data), SHA256: hex.EncodeToString(sum[:]), Key: k.Name, KeyCRC: sig.KeyCRC}
	us := store.UpdateSignature{Key: k.Name, KeyCRC: sig.KeyCRC, DER: sig.DER}
	old, err := s.db.GetUpdate(ctx, spec.Version)
	switch {
	case err == nil && old.SHA256 == out.SHA256:
		out.SignatureAdded = true
		err = s.db.AddUpdateSignature(ctx, spec.Version, us)
	case err == nil && !spec.Replace:
		return SignedUpdate{}, &codedError{kind: ErrExists, msg: fmt.Sprintf("admin: update %s is stored with other bytes (sha256 %s)", spec.Version, old.SHA256)}
	case err == nil || errors.Is(err, store.ErrNotFound):
		err = s.db.PutUpdate(ctx, store.Update{Version: spec.Version, Signatures: []store.UpdateSignature{us}}, data)
	}
	if err != nil {
		return SignedUpdate{}, storeErr(err)
	}
	switch {
	case spec.NoTarget:
		out.Target = TargetNone
	case len(spec.Gateways) > 0:
		out.Target, out.Gateways = TargetGateways, spec.Gateways
		for _, e := range spec.Gateways {
			err := s.db.UpdateCUPS(ctx, e, func(_ *store.Gateway, c *store.CUPSGateway) error {
				c.TargetVersion = spec.Version
				return nil
			})
			if err != nil {
				return SignedUpdate{}, gatewayErr(e, err)
			}
		}
	default:
		out.Target = TargetFleet
		if err := s.db.SetFleetTarget(ctx, spec.Version); err != nil {
			return SignedUpdate{}, storeErr(err)
		}
	}
	return out, nil
}
