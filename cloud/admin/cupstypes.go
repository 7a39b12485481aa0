package admin

import (
	"encoding/base64"
	"fmt"
	"log/slog"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// This file holds the request and answer types of the CUPS routes: the
// gateways' CUPS state, credential rotation, signing keys and updates.

// MaxUpdateSize is the largest update SignUpdate takes, 128 MiB: room for an
// agent binary or a .deb, small enough that the cloud holding one in memory
// while it signs and stores it stays harmless. It applies the same way
// whether the CLI opens the store or goes through the API.
const MaxUpdateSize = 128 << 20

// maxRotateDays bounds a rotation's certificate validity: 100 years.
const maxRotateDays = 36500

// PrivateKey is a DER private key in an answer: only the new CUPS key of
// CUPSHome, whose purpose is to hand it to the operator. It prints and
// logs as "[redacted]"; it marshals to JSON as base64 so that the answer
// can carry it.
type PrivateKey []byte

// String returns "[redacted]".
func (PrivateKey) String() string { return redacted }

// Format prints "[redacted]" for every verb.
func (PrivateKey) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// LogValue keeps the key out of slog output.
func (PrivateKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText writes the key as standard base64, for the CUPSHome answer.
func (k PrivateKey) MarshalText() ([]byte, error) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(k)))
	base64.StdEncoding.Encode(out, k)
	return out, nil
}

// UnmarshalText reads standard base64; the error never repeats the text.
func (k *PrivateKey) UnmarshalText(b []byte) error {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Decode(out, b)
	if err != nil {
		clear(out)
		return fmt.Errorf("admin: private key: want base64")
	}
	*k = out[:n]
	return nil
}

// CUPSStatus is the CUPS state of the gateways, as `loraedge cups status`
// shows it: never a key or a token.
type CUPSStatus struct {
	// FleetTarget is the update every gateway without a target of its own
	// should run; "" when none is set.
	FleetTarget string `json:"fleetTarget,omitempty"`
	// SigningKeys are the update-signing keys, public halves only.
	SigningKeys []SigningKey `json:"signingKeys"`
	// Gateways are the registered gateways (one with a filter), by EUI.
	Gateways []CUPSGateway `json:"gateways"`
}

// CUPSGateway is one gateway's CUPS state and how it compares with what
// the gateway last reported.
type CUPSGateway struct {
	EUI      lorawan.EUI64 `json:"eui"`
	Name     string        `json:"name,omitempty"`
	LastSeen time.Time     `json:"lastSeen,omitzero"`
	// State is the stored CUPS state; nil when the gateway has made no
	// CUPS request and nothing is desired for it.
	State *CUPSState `json:"cups,omitempty"`
	// Target is the update the gateway should run: its own target, or
	// else the fleet's.
	Target string `json:"target,omitempty"`
	// TCCred and CUPSCred tell whether the gateway holds the desired
	// credential sets: "current", "pending (…)" or "unmanaged".
	TCCred   string `json:"tcCred"`
	CUPSCred string `json:"cupsCred"`
	// TrafficPins are the gateway's allowed traffic certificates; empty
	// means any certificate of the gateway CA naming it.
	TrafficPins []string `json:"trafficCertFingerprints,omitempty"`
}

// CUPSState is a gateway's stored CUPS state (store.CUPSGateway) without
// its private keys and tokens.
type CUPSState struct {
	EUI                  lorawan.EUI64       `json:"eui"`
	CUPSURI              string              `json:"cupsUri,omitempty"`
	TCURI                string              `json:"tcUri,omitempty"`
	CUPSCred             *CredentialInfo     `json:"cupsCred,omitempty"`
	TCCred               *CredentialInfo     `json:"tcCred,omitempty"`
	TargetVersion        string              `json:"targetVersion,omitempty"`
	CUPSCertFingerprints []string            `json:"cupsCertFingerprints,omitempty"`
	Rotation             *store.CUPSRotation `json:"rotation,omitempty"`
	RotatedAt            time.Time           `json:"rotatedAt,omitzero"`
	LastRequest          store.CUPSRequest   `json:"lastRequest,omitzero"`
	LastTCConnect        time.Time           `json:"lastTcConnect,omitzero"`
	LastTCFingerprint    string              `json:"lastTcFingerprint,omitempty"`
}

// CredentialInfo describes a desired credential set: its public parts and
// the CRC Station reports once it holds it; never its key or token.
type CredentialInfo struct {
	Trust       []byte `json:"trust"`
	Cert        []byte `json:"cert,omitempty"`
	CRC         uint32 `json:"crc"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// CUPSSettings is a request to change what the CUPS server tells a
// gateway at its next request. An empty field leaves that setting alone.
type CUPSSettings struct {
	// TCURI is the gateway's tc.uri (wss://host:port), or "default" for
	// the cloud's own.
	TCURI string `json:"tcUri,omitempty"`
	// CUPSURI is the gateway's cups.uri (https://host:port), or "none" to
	// leave the gateway's own alone.
	CUPSURI string `json:"cupsUri,omitempty"`
	// Target is the update the gateway should run (a stored version), or
	// "fleet" for the fleet's target.
	Target string `json:"target,omitempty"`
}

// Special values of CUPSSettings fields.
const (
	DefaultTCURI = "default" // CUPSSettings.TCURI: the cloud's own LNS
	NoCUPSURI    = "none"    // CUPSSettings.CUPSURI: leave the gateway's alone
	FleetTarget  = "fleet"   // CUPSSettings.Target: the fleet's target
)

// RotateSpec is a request to issue new credentials for a gateway.
type RotateSpec struct {
	// Days is the validity of the new certificates, 1 to 36500; 0 takes
	// pki.GatewayValidity.
	Days int `json:"days,omitempty"`
	// TCURI, when set, becomes the gateway's desired tc.uri (wss://host:port).
	TCURI string `json:"tcUri,omitempty"`
	// CUPSURI, when set, becomes the gateway's desired cups.uri
	// (https://host:port); CUPSHome requires it, since the home holds it.
	CUPSURI string `json:"cupsUri,omitempty"`
}

// Rotation describes a credential rotation just started: which
// certificates were issued, never their keys.
type Rotation struct {
	EUI lorawan.EUI64 `json:"eui"`
	// TCFingerprint and CUPSFingerprint name the new certificates
	// (SHA-256 of the DER, hex).
	TCFingerprint   string    `json:"tcFingerprint"`
	CUPSFingerprint string    `json:"cupsFingerprint"`
	NotAfter        time.Time `json:"notAfter"`
	// Superseded reports that a rotation the gateway had not completed was
	// replaced.
	Superseded bool `json:"superseded,omitempty"`
	// TCPinned reports whether the gateway's traffic certificates were
	// pinned; when not, any certificate of the CA naming the gateway passes
	// until the new one has connected.
	TCPinned bool `json:"tcPinned"`
	// CUPSRequested reports whether the gateway has ever made a CUPS
	// request: without one, it needs cups.* (CUPSHome) to get the new
	// credentials.
	CUPSRequested bool `json:"cupsRequested"`
}

// CUPSHome is a rotation whose new CUPS credentials go into a Basics
// Station home: the one answer of the API that carries a private key.
type CUPSHome struct {
	Rotation
	// CUPSURI is the cups.uri the home is for.
	CUPSURI string `json:"cupsUri"`
	// CUPS is the new CUPS credential set: the gateway CA (cups.trust), the
	// client certificate (cups.crt) and its key (cups.key), DER.
	CUPS HomeCredentials `json:"cups"`
}

// HomeCredentials are the files of a Station credential set, DER.
type HomeCredentials struct {
	Trust []byte     `json:"trust"`
	Cert  []byte     `json:"cert"`
	Key   PrivateKey `json:"key"`
}

// SigningKey is an update-signing key as listings show it: its public half
// (X‖Y, what a gateway holds as sig-N.key) and its CRC, never the private
// key, which stays sealed in the store.
type SigningKey struct {
	Name      string    `json:"name"`
	Public    []byte    `json:"public"`
	CRC       uint32    `json:"crc"`
	CreatedAt time.Time `json:"createdAt"`
}

// SigningKeySpec is a request to make a signing key.
type SigningKeySpec struct {
	// Name is 1 to 128 letters, digits, '-', '_' and '.'.
	Name string `json:"name"`
}

// Update is a stored update as listings show it, without its bytes.
type Update struct {
	Version    string            `json:"version"`
	Size       int               `json:"size"`
	SHA256     string            `json:"sha256"`
	Signatures []UpdateSignature `json:"signatures,omitempty"`
	CreatedAt  time.Time         `json:"createdAt"`
}

// UpdateSignature is a signature of an update by one signing key.
type UpdateSignature struct {
	Key    string `json:"key"`
	KeyCRC uint32 `json:"keyCrc"`
	DER    []byte `json:"der"`
}

// UpdateList is what `loraedge update list` shows: the signing keys, the
// updates and the fleet's target.
type UpdateList struct {
	Keys        []SigningKey `json:"keys"`
	Updates     []Update     `json:"updates"`
	FleetTarget string       `json:"fleetTarget,omitempty"`
}

// SignSpec is a request to sign an update and store it. The update's bytes
// travel apart: the HTTP body of POST /api/v1/updates.
type SignSpec struct {
	// Version is the version gateways report once they run the update.
	Version string
	// Key names the signing key.
	Key string
	// Replace lets other bytes replace a stored update of this version
	// (and its signatures); without it the same bytes only gain this
	// signature.
	Replace bool
	// Gateways, when set, makes the update the target of these gateways
	// only; otherwise it becomes the fleet's target, unless NoTarget.
	Gateways []lorawan.EUI64
	// NoTarget stores the update without making it a target.
	NoTarget bool
}

// Targets of a SignedUpdate.
const (
	TargetFleet    = "fleet"
	TargetGateways = "gateways"
	TargetNone     = "none"
)

// SignedUpdate describes an update just signed and stored.
type SignedUpdate struct {
	Version string `json:"version"`
	Size    int    `json:"size"`
	SHA256  string `json:"sha256"`
	Key     string `json:"key"`
	KeyCRC  uint32 `json:"keyCrc"`
	// SignatureAdded reports that the same bytes were stored already and
	// gained this signature.
	SignatureAdded bool `json:"signatureAdded,omitempty"`
	// Target is TargetFleet, TargetGateways (the gateways in Gateways) or
	// TargetNone.
	Target   string          `json:"target"`
	Gateways []lorawan.EUI64 `json:"gateways,omitempty"`
}

func signingKeyView(k store.SigningKey) SigningKey {
	return SigningKey{Name: k.Name, Public: k.Public, CRC: k.CRC, CreatedAt: k.CreatedAt}
}

func updateView(u store.Update) Update {
	v := Update{Version: u.Version, Size: u.Size, SHA256: u.SHA256, CreatedAt: u.CreatedAt}
	for _, s := range u.Signatures {
		v.Signatures = append(v.Signatures, UpdateSignature{Key: s.Key, KeyCRC: s.KeyCRC, DER: s.DER})
	}
	return v
}

func credentialInfo(c *store.CredentialSet) *CredentialInfo {
	if c == nil {
		return nil
	}
	return &CredentialInfo{Trust: c.Trust, Cert: c.Cert, CRC: c.CRC, Fingerprint: c.Fingerprint}
}

func cupsStateView(c store.CUPSGateway) *CUPSState {
	return &CUPSState{
		EUI:                  c.EUI,
		CUPSURI:              c.CUPSURI,
		TCURI:                c.TCURI,
		CUPSCred:             credentialInfo(c.CUPSCred),
		TCCred:               credentialInfo(c.TCCred),
		TargetVersion:        c.TargetVersion,
		CUPSCertFingerprints: c.CUPSCertFingerprints,
		Rotation:             c.Rotation,
		RotatedAt:            c.RotatedAt,
		LastRequest:          c.LastRequest,
		LastTCConnect:        c.LastTCConnect,
		LastTCFingerprint:    c.LastTCFingerprint,
	}
}
