package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

// This file holds what the CUPS server (Basics Station's Configuration and
// Update Server) keeps: per gateway, the state the cloud wants the gateway
// in (URIs, credential sets, target version) and what the gateway last
// reported; the update-signing keys; and the updates with their signatures.

// Buckets of the CUPS records. The per-gateway records and the signing keys
// have a sealed part (private keys, tokens); updates and their data do not.
const (
	bucketCUPS        = "cups"        // EUI → CUPSGateway
	bucketCUPSKeys    = "cupskeys"    // key name → SigningKey
	bucketCUPSUpdates = "cupsupdates" // version → Update (metadata and signatures)
	bucketCUPSData    = "cupsdata"    // version → update bytes
)

// metaFleetTarget is the meta key of the fleet's target version.
var metaFleetTarget = []byte("cups-fleet-target")

// Limits of CUPS records, those of Station's wire format (src/cups.c).
const (
	maxCUPSURI      = 255       // a URI segment has a 1-byte length
	maxCUPSCredBlob = 1<<16 - 1 // a credential segment has a 2-byte length
	maxVersionLen   = 128
	maxUpdateSize   = 1<<31 - 2 // bbolt's largest value; Station refuses 2 GiB and more
	signingKeyLen   = 64        // P-256 X‖Y, as in Station's sig-N.key
	maxSignatureDER = 128       // Station's signature buffer
)

// PrivateKey is the DER of a private key (a gateway's TLS key, an update
// signing key). It prints, logs and marshals to JSON as "[redacted]".
type PrivateKey []byte

// Format prints "[redacted]" for every verb.
func (PrivateKey) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// String returns "[redacted]".
func (PrivateKey) String() string { return redacted }

// LogValue keeps the key out of slog output.
func (PrivateKey) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[redacted]", never the key.
func (PrivateKey) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// CredentialSet is a credential set the CUPS server hands a gateway (its
// tc.* or cups.* files): the CA it must trust, and a client certificate with
// its private key, or a token. Key and Token are sealed at rest and left out
// of listings.
type CredentialSet struct {
	Trust []byte     `json:"trust"`          // DER certificate of the CA the gateway trusts
	Cert  []byte     `json:"cert,omitempty"` // DER client certificate; nil with a token
	Key   PrivateKey `json:"-"`              // DER private key of Cert (SEC 1 or PKCS #1)
	Token Secret     `json:"-"`              // HTTP header lines ("Authorization: Bearer …") instead of Cert and Key

	// CRC is what Station reports as cupsCredCrc or tcCredCrc once it has
	// stored the set (cups.Credentials.CRC), set by the writer so that
	// listings, which carry no key, can compare it with the reported one.
	CRC uint32 `json:"crc"`
	// Fingerprint is CertFingerprint(Cert), set by the store; "" without Cert.
	Fingerprint string `json:"fingerprint,omitempty"`
}

func (c *CredentialSet) validate(what string) error {
	switch {
	case len(c.Trust) == 0:
		return fmt.Errorf("%w: %s: no trust certificate", ErrInvalid, what)
	case len(c.Cert) > 0 && len(c.Key) == 0:
		return fmt.Errorf("%w: %s: certificate without key", ErrInvalid, what)
	case len(c.Cert) == 0 && len(c.Key) > 0:
		return fmt.Errorf("%w: %s: key without certificate", ErrInvalid, what)
	case c.Token != "" && len(c.Cert) > 0:
		return fmt.Errorf("%w: %s: a token excludes a certificate", ErrInvalid, what)
	case len(c.Trust)+max(len(c.Cert), 4)+max(len(c.Key)+len(c.Token), 4) > maxCUPSCredBlob:
		return fmt.Errorf("%w: %s: over %d bytes", ErrInvalid, what, maxCUPSCredBlob)
	}
	return nil
}

// CUPSRotation is a credential rotation in progress: the new certificates
// are valid alongside the old ones until the gateway has used each of them,
// and only then are the old ones revoked.
type CUPSRotation struct {
	StartedAt time.Time `json:"startedAt"`
	// TCFingerprint is the new TC certificate, pending until the gateway
	// has connected to the traffic endpoint with it; "" once it has.
	TCFingerprint string `json:"tcFingerprint,omitempty"`
	// CUPSFingerprint is the new CUPS certificate, pending until the
	// gateway has made a CUPS request with it; "" once it has.
	CUPSFingerprint string `json:"cupsFingerprint,omitempty"`
}

// CUPSRequest is what a gateway reported in its last /update-info request,
// and what it was answered.
type CUPSRequest struct {
	At     time.Time `json:"at"`
	Remote string    `json:"remote,omitempty"`
	// Fingerprint is the client certificate the gateway authenticated with,
	// "" for a token.
	Fingerprint string   `json:"fingerprint,omitempty"`
	CUPSURI     string   `json:"cupsUri,omitempty"`
	TCURI       string   `json:"tcUri,omitempty"`
	CUPSCredCRC uint32   `json:"cupsCredCrc"`
	TCCredCRC   uint32   `json:"tcCredCrc"`
	Station     string   `json:"station,omitempty"`
	Model       string   `json:"model,omitempty"`
	Package     string   `json:"package,omitempty"`
	Keys        []uint32 `json:"keys,omitempty"`
	// Answer names the segments the answer carried ("cupsUri", "tcUri",
	// "cupsCred", "tcCred", "update"); empty when nothing changed.
	Answer []string `json:"answer,omitempty"`
}

// CUPSGateway is the CUPS state of one registered gateway: what the cloud
// wants it to hold, which certificates may authenticate its CUPS requests,
// a rotation in progress, and what it last reported.
type CUPSGateway struct {
	EUI lorawan.EUI64 `json:"eui"`

	// CUPSURI is the cups.uri the gateway should hold; "" leaves it alone.
	CUPSURI string `json:"cupsUri,omitempty"`
	// TCURI is the tc.uri the gateway should hold; "" means the server's
	// default (the cloud's own LNS).
	TCURI string `json:"tcUri,omitempty"`
	// CUPSCred and TCCred are the credential sets the gateway should hold;
	// nil leaves the gateway's own.
	CUPSCred *CredentialSet `json:"cupsCred,omitempty"`
	TCCred   *CredentialSet `json:"tcCred,omitempty"`
	// TargetVersion is the update the gateway should run; "" means the
	// fleet's target (FleetTarget). It must be a stored update.
	TargetVersion string `json:"targetVersion,omitempty"`

	// CUPSCertFingerprints are the client certificates that may
	// authenticate the gateway's CUPS requests (CertFingerprint). Empty
	// means those Gateway.CertFingerprints allows.
	CUPSCertFingerprints []string `json:"cupsCertFingerprints,omitempty"`

	// Rotation is the credential rotation in progress, nil when none;
	// RotatedAt is when the last one completed.
	Rotation  *CUPSRotation `json:"rotation,omitempty"`
	RotatedAt time.Time     `json:"rotatedAt,omitzero"`

	// LastRequest is the gateway's last CUPS request.
	LastRequest CUPSRequest `json:"lastRequest,omitzero"`
	// LastTCConnect and LastTCFingerprint are when the gateway last
	// connected to the traffic endpoint and with which certificate ("" for
	// a token).
	LastTCConnect     time.Time `json:"lastTcConnect,omitzero"`
	LastTCFingerprint string    `json:"lastTcFingerprint,omitempty"`
}

// AllowsCUPSCert reports whether a client certificate with this DER may
// authenticate the gateway's CUPS requests: it must be among
// CUPSCertFingerprints, or, when that list is empty, pass the gateway's own
// list (Gateway.AllowsCert).
func (c CUPSGateway) AllowsCUPSCert(g Gateway, der []byte) bool {
	if len(c.CUPSCertFingerprints) == 0 {
		return g.AllowsCert(der)
	}
	return containsFold(c.CUPSCertFingerprints, CertFingerprint(der))
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}

func checkFingerprints(what string, eui lorawan.EUI64, fps ...string) error {
	for _, f := range fps {
		if b, err := hex.DecodeString(f); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%w: gateway %s: %s fingerprint %q is not 64 hex digits", ErrInvalid, eui, what, f)
		}
	}
	return nil
}

func (c *CUPSGateway) validate() error {
	if c.EUI == (lorawan.EUI64{}) {
		return fmt.Errorf("%w: cups: zero eui", ErrInvalid)
	}
	for _, u := range []struct{ what, v string }{{"cups uri", c.CUPSURI}, {"tc uri", c.TCURI}} {
		if len(u.v) > maxCUPSURI {
			return fmt.Errorf("%w: gateway %s: %s longer than %d bytes", ErrInvalid, c.EUI, u.what, maxCUPSURI)
		}
		if err := checkText("gateway "+c.EUI.String()+" "+u.what, u.v, false); err != nil {
			return err
		}
	}
	for _, cs := range []struct {
		what string
		set  *CredentialSet
	}{{"cups credentials", c.CUPSCred}, {"tc credentials", c.TCCred}} {
		if cs.set == nil {
			continue
		}
		if err := cs.set.validate("gateway " + c.EUI.String() + " " + cs.what); err != nil {
			return err
		}
	}
	if err := checkVersion(c.TargetVersion, false); err != nil {
		return fmt.Errorf("%w (gateway %s target)", err, c.EUI)
	}
	if err := checkFingerprints("cups certificate", c.EUI, c.CUPSCertFingerprints...); err != nil {
		return err
	}
	if r := c.Rotation; r != nil {
		if err := checkFingerprints("rotation", c.EUI, nonEmpty(r.TCFingerprint, r.CUPSFingerprint)...); err != nil {
			return err
		}
	}
	return nil
}

func nonEmpty(s ...string) []string {
	var out []string
	for _, x := range s {
		if x != "" {
			out = append(out, x)
		}
	}
	return out
}

// checkVersion accepts an update version: printable text of 1 to 128 bytes
// (what Station reports from version.txt).
func checkVersion(v string, required bool) error {
	if len(v) > maxVersionLen {
		return fmt.Errorf("%w: version longer than %d bytes", ErrInvalid, maxVersionLen)
	}
	return checkText("version", v, required)
}

// setFingerprints fills CredentialSet.Fingerprint from the certificates.
func (c *CUPSGateway) setFingerprints() {
	for _, set := range []*CredentialSet{c.CUPSCred, c.TCCred} {
		if set != nil {
			set.Fingerprint = ""
			if len(set.Cert) > 0 {
				set.Fingerprint = CertFingerprint(set.Cert)
			}
		}
	}
}

// The sealed part of a CUPS record: a version byte, then the key and token
// of the CUPS set and of the TC set, each a uvarint length and its bytes.
const cupsSecretsVersion = 1

func (c *CUPSGateway) sealSecrets(s *sealer) ([]byte, error) {
	plain := []byte{cupsSecretsVersion}
	for _, set := range []*CredentialSet{c.CUPSCred, c.TCCred} {
		var key, token []byte
		if set != nil {
			key, token = set.Key, []byte(set.Token)
		}
		plain = binary.AppendUvarint(plain, uint64(len(key)))
		plain = append(plain, key...)
		plain = binary.AppendUvarint(plain, uint64(len(token)))
		plain = append(plain, token...)
	}
	defer clear(plain)
	return s.seal(bucketCUPS, c.EUI[:], plain)
}

func (c *CUPSGateway) openSecrets(k, plain []byte) error {
	if len(plain) < 1 || plain[0] != cupsSecretsVersion {
		return fmt.Errorf("%w: cups %x: bad secrets layout", ErrUnseal, k)
	}
	rest := plain[1:]
	field := func() ([]byte, bool) {
		n, m := uvarint(rest)
		if m <= 0 || n > uint64(len(rest)-m) {
			return nil, false
		}
		var v []byte
		if n > 0 {
			v = bytes.Clone(rest[m : m+int(n)])
		}
		rest = rest[m+int(n):]
		return v, true
	}
	for _, set := range []*CredentialSet{c.CUPSCred, c.TCCred} {
		key, ok1 := field()
		token, ok2 := field()
		if !ok1 || !ok2 {
			return fmt.Errorf("%w: cups %x: bad secrets layout", ErrUnseal, k)
		}
		if set != nil {
			set.Key, set.Token = key, Secret(token)
		}
	}
	if len(rest) != 0 {
		return fmt.Errorf("%w: cups %x: bad secrets layout", ErrUnseal, k)
	}
	return nil
}

func encodeCUPS(c *CUPSGateway, s *sealer) ([]byte, error) {
	sealed, err := c.sealSecrets(s)
	if err != nil {
		return nil, err
	}
	pub, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("store: encode cups %s: %w", c.EUI, err)
	}
	return encodeEnvelope(sealed, pub), nil
}

// decodeCUPS decodes a stored CUPS record; with s nil keys and tokens stay empty.
func decodeCUPS(k, v []byte, s *sealer) (CUPSGateway, error) {
	var c CUPSGateway
	sealed, pub, err := decodeEnvelope(v)
	if err != nil {
		return CUPSGateway{}, fmt.Errorf("store: cups %x: %w", k, err)
	}
	if err := json.Unmarshal(pub, &c); err != nil {
		return CUPSGateway{}, fmt.Errorf("store: cups %x: %w", k, err)
	}
	if string(c.EUI[:]) != string(k) {
		return CUPSGateway{}, fmt.Errorf("store: cups %x: record names %s", k, c.EUI)
	}
	if s == nil {
		return c, nil
	}
	plain, err := s.open(bucketCUPS, k, sealed)
	if err != nil {
		return CUPSGateway{}, err
	}
	defer clear(plain)
	if err := c.openSecrets(k, plain); err != nil {
		return CUPSGateway{}, err
	}
	return c, nil
}

// GetCUPSGateway returns the CUPS state of a gateway, private keys and
// tokens included, or ErrNotFound when the gateway has none.
func (db *DB) GetCUPSGateway(ctx context.Context, eui lorawan.EUI64) (CUPSGateway, error) {
	var c CUPSGateway
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		v := tx.Bucket([]byte(bucketCUPS)).Get(eui[:])
		if v == nil {
			return fmt.Errorf("%w: cups state of gateway %s", ErrNotFound, eui)
		}
		var err error
		c, err = decodeCUPS(eui[:], v, s)
		return err
	})
	return c, err
}

// ListCUPSGateways returns the CUPS state of every gateway that has one,
// ordered by EUI, without private keys or tokens.
func (db *DB) ListCUPSGateways(ctx context.Context) ([]CUPSGateway, error) {
	var out []CUPSGateway
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return tx.Bucket([]byte(bucketCUPS)).ForEach(func(k, v []byte) error {
			c, err := decodeCUPS(k, v, nil)
			if err != nil {
				return err
			}
			out = append(out, c)
			return nil
		})
	})
	return out, err
}

// UpdateCUPS applies fn to a gateway's record and its CUPS state (keys
// included; a zero state, EUI set, when it has none yet) and stores both, in
// one transaction shared with concurrent callers (group commit): a rotation
// changes the gateway's allowed certificates and its CUPS state together.
// fn may run more than once and must only change what it is given. An
// error from fn, or a record that fails validation (ErrInvalid, a target
// version that is not stored), is returned and nothing is written.
// ErrNotFound for an unknown gateway.
func (db *DB) UpdateCUPS(ctx context.Context, eui lorawan.EUI64, fn func(g *Gateway, c *CUPSGateway) error) error {
	return db.batch(ctx, func(tx *bolt.Tx, s *sealer) (error, error) {
		gb, cb := tx.Bucket([]byte(bucketGateways)), tx.Bucket([]byte(bucketCUPS))
		g, err := getGateway(gb, eui)
		if err != nil {
			return err, nil
		}
		c := CUPSGateway{EUI: eui}
		if v := cb.Get(eui[:]); v != nil {
			if c, err = decodeCUPS(eui[:], v, s); err != nil {
				return nil, err
			}
		}
		if err := fn(&g, &c); err != nil {
			return err, nil
		}
		if g.EUI != eui || c.EUI != eui {
			return fmt.Errorf("%w: gateway %s: UpdateCUPS must not change the eui", ErrInvalid, eui), nil
		}
		if err := g.validate(); err != nil {
			return err, nil
		}
		if err := c.validate(); err != nil {
			return err, nil
		}
		if c.TargetVersion != "" && tx.Bucket([]byte(bucketCUPSUpdates)).Get([]byte(c.TargetVersion)) == nil {
			return fmt.Errorf("%w: gateway %s: target version %q is not a stored update", ErrInvalid, eui, c.TargetVersion), nil
		}
		c.setFingerprints()
		v, err := encodeCUPS(&c, s)
		if err != nil {
			return nil, err
		}
		if err := putJSON(gb, eui[:], g); err != nil {
			return nil, err
		}
		return nil, cb.Put(eui[:], v)
	})
}

// DeleteCUPSGateway removes the CUPS state of a gateway (the gateway stays
// registered), or returns ErrNotFound.
func (db *DB) DeleteCUPSGateway(ctx context.Context, eui lorawan.EUI64) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketCUPS))
		if b.Get(eui[:]) == nil {
			return fmt.Errorf("%w: cups state of gateway %s", ErrNotFound, eui)
		}
		return b.Delete(eui[:])
	})
}

// SigningKey is an update-signing key: an ECDSA P-256 key whose public half
// gateways hold as a sig-N.key file. The private key is sealed at rest and
// left out of listings.
type SigningKey struct {
	Name string `json:"name"`
	// Public is the public key as Station's sig-N.key holds it: X‖Y, 64 bytes.
	Public []byte `json:"public"`
	// CRC is the CRC32 of Public, what Station lists in a request's keys;
	// set by the store.
	CRC uint32 `json:"crc"`
	// Private is the DER private key (SEC 1 or PKCS #8).
	Private PrivateKey `json:"-"`

	CreatedAt time.Time `json:"createdAt"`
}

func (k SigningKey) validate() error {
	if err := checkName("signing key", k.Name); err != nil {
		return err
	}
	if len(k.Public) != signingKeyLen {
		return fmt.Errorf("%w: signing key %s: public key of %d bytes, want %d (X‖Y)", ErrInvalid, k.Name, len(k.Public), signingKeyLen)
	}
	if len(k.Private) == 0 {
		return fmt.Errorf("%w: signing key %s: no private key", ErrInvalid, k.Name)
	}
	return nil
}

const signingKeySecretsVersion = 1

func decodeSigningKey(k, v []byte, s *sealer) (SigningKey, error) {
	var sk SigningKey
	sealed, pub, err := decodeEnvelope(v)
	if err != nil {
		return SigningKey{}, fmt.Errorf("store: signing key %q: %w", k, err)
	}
	if err := json.Unmarshal(pub, &sk); err != nil {
		return SigningKey{}, fmt.Errorf("store: signing key %q: %w", k, err)
	}
	if sk.Name != string(k) || len(sk.Public) != signingKeyLen || sk.CRC != crc32.ChecksumIEEE(sk.Public) {
		return SigningKey{}, fmt.Errorf("store: signing key %q: inconsistent record", k)
	}
	if s == nil {
		return sk, nil
	}
	plain, err := s.open(bucketCUPSKeys, k, sealed)
	if err != nil {
		return SigningKey{}, err
	}
	defer clear(plain)
	if len(plain) < 2 || plain[0] != signingKeySecretsVersion {
		return SigningKey{}, fmt.Errorf("%w: signing key %q: bad secrets layout", ErrUnseal, k)
	}
	sk.Private = bytes.Clone(plain[1:])
	return sk, nil
}

// AddSigningKey stores a new signing key; CRC is computed from Public and a
// zero CreatedAt set to now. A key of that name, or with the CRC of another
// key (Station would list both the same), is refused with ErrExists.
func (db *DB) AddSigningKey(ctx context.Context, k SigningKey) error {
	if err := k.validate(); err != nil {
		return err
	}
	k.CRC = crc32.ChecksumIEEE(k.Public)
	if k.CreatedAt.IsZero() {
		k.CreatedAt = time.Now().UTC()
	}
	return db.update(ctx, func(tx *bolt.Tx, s *sealer) error {
		b := tx.Bucket([]byte(bucketCUPSKeys))
		if b.Get([]byte(k.Name)) != nil {
			return fmt.Errorf("%w: signing key %q", ErrExists, k.Name)
		}
		err := b.ForEach(func(name, v []byte) error {
			other, err := decodeSigningKey(name, v, nil)
			if err != nil {
				return err
			}
			if other.CRC == k.CRC {
				return fmt.Errorf("%w: signing key %q has the same crc %08x as %q", ErrExists, k.Name, k.CRC, name)
			}
			return nil
		})
		if err != nil {
			return err
		}
		plain := append([]byte{signingKeySecretsVersion}, k.Private...)
		sealed, err := s.seal(bucketCUPSKeys, []byte(k.Name), plain)
		clear(plain)
		if err != nil {
			return err
		}
		pub, err := json.Marshal(k)
		if err != nil {
			return fmt.Errorf("store: encode signing key %s: %w", k.Name, err)
		}
		return b.Put([]byte(k.Name), encodeEnvelope(sealed, pub))
	})
}

// GetSigningKey returns a signing key, private key included, or ErrNotFound.
func (db *DB) GetSigningKey(ctx context.Context, name string) (SigningKey, error) {
	var k SigningKey
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		v := tx.Bucket([]byte(bucketCUPSKeys)).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: signing key %q", ErrNotFound, name)
		}
		var err error
		k, err = decodeSigningKey([]byte(name), v, s)
		return err
	})
	return k, err
}

// ListSigningKeys returns every signing key, ordered by name, without the
// private keys.
func (db *DB) ListSigningKeys(ctx context.Context) ([]SigningKey, error) {
	var out []SigningKey
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return tx.Bucket([]byte(bucketCUPSKeys)).ForEach(func(k, v []byte) error {
			sk, err := decodeSigningKey(k, v, nil)
			if err != nil {
				return err
			}
			out = append(out, sk)
			return nil
		})
	})
	return out, err
}

// DeleteSigningKey removes a signing key, or returns ErrNotFound. Updates
// keep their signatures by it, but the CUPS server no longer serves those.
func (db *DB) DeleteSigningKey(ctx context.Context, name string) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketCUPSKeys))
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: signing key %q", ErrNotFound, name)
		}
		return b.Delete([]byte(name))
	})
}

// UpdateSignature is a signature of an update by one signing key: the DER
// ECDSA signature Station checks (cups.Sign).
type UpdateSignature struct {
	Key    string `json:"key"`    // the signing key's name
	KeyCRC uint32 `json:"keyCrc"` // its CRC, as a request's keys list it
	DER    []byte `json:"der"`
}

// Update is an update CUPS may send gateways (an agent binary, a package,
// a script), named by the version a gateway reports once it runs it. The
// bytes are kept apart (UpdateData), so listing updates stays cheap.
type Update struct {
	Version string `json:"version"`
	// Size and SHA256 (hex) describe the bytes; set by the store.
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// Signatures are the signatures of the bytes, at most one per key.
	Signatures []UpdateSignature `json:"signatures,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
}

func (u Update) validate() error {
	if err := checkVersion(u.Version, true); err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, s := range u.Signatures {
		if err := checkName("signing key", s.Key); err != nil {
			return err
		}
		if seen[s.Key] {
			return fmt.Errorf("%w: update %q: two signatures by key %q", ErrInvalid, u.Version, s.Key)
		}
		seen[s.Key] = true
		if len(s.DER) < 2 || len(s.DER) > maxSignatureDER {
			return fmt.Errorf("%w: update %q: signature by %q of %d bytes", ErrInvalid, u.Version, s.Key, len(s.DER))
		}
	}
	return nil
}

func getUpdate(tx *bolt.Tx, version string) (Update, error) {
	v := tx.Bucket([]byte(bucketCUPSUpdates)).Get([]byte(version))
	if v == nil {
		return Update{}, fmt.Errorf("%w: update %q", ErrNotFound, version)
	}
	var u Update
	if err := decodePublic(v, &u); err != nil {
		return Update{}, fmt.Errorf("store: update %q: %w", version, err)
	}
	return u, nil
}

// PutUpdate stores an update with its bytes, replacing one of the same
// version (and its signatures). Size and SHA256 are set from data; a zero
// CreatedAt is set to now.
func (db *DB) PutUpdate(ctx context.Context, u Update, data []byte) error {
	if err := u.validate(); err != nil {
		return err
	}
	if len(data) == 0 || len(data) > maxUpdateSize {
		return fmt.Errorf("%w: update %q: %d bytes, want 1 to %d", ErrInvalid, u.Version, len(data), maxUpdateSize)
	}
	sum := sha256.Sum256(data)
	u.Size, u.SHA256 = len(data), hex.EncodeToString(sum[:])
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now().UTC()
	}
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		if err := putJSON(tx.Bucket([]byte(bucketCUPSUpdates)), []byte(u.Version), u); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketCUPSData)).Put([]byte(u.Version), data)
	})
}

// AddUpdateSignature adds sig to a stored update, replacing a signature by
// the same key. ErrNotFound for an unknown version.
func (db *DB) AddUpdateSignature(ctx context.Context, version string, sig UpdateSignature) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		u, err := getUpdate(tx, version)
		if err != nil {
			return err
		}
		u.Signatures = slices.DeleteFunc(u.Signatures, func(s UpdateSignature) bool { return s.Key == sig.Key })
		u.Signatures = append(u.Signatures, sig)
		if err := u.validate(); err != nil {
			return err
		}
		return putJSON(tx.Bucket([]byte(bucketCUPSUpdates)), []byte(version), u)
	})
}

// GetUpdate returns an update's description and signatures, or ErrNotFound.
func (db *DB) GetUpdate(ctx context.Context, version string) (Update, error) {
	var u Update
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		var err error
		u, err = getUpdate(tx, version)
		return err
	})
	return u, err
}

// UpdateData returns the bytes of an update, or ErrNotFound.
func (db *DB) UpdateData(ctx context.Context, version string) ([]byte, error) {
	var data []byte
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		v := tx.Bucket([]byte(bucketCUPSData)).Get([]byte(version))
		if v == nil {
			return fmt.Errorf("%w: update %q", ErrNotFound, version)
		}
		data = bytes.Clone(v)
		return nil
	})
	return data, err
}

// ListUpdates returns every update, ordered by version text, without bytes.
func (db *DB) ListUpdates(ctx context.Context) ([]Update, error) {
	var out []Update
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return tx.Bucket([]byte(bucketCUPSUpdates)).ForEach(func(k, v []byte) error {
			var u Update
			if err := decodePublic(v, &u); err != nil {
				return fmt.Errorf("store: update %q: %w", k, err)
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

// DeleteUpdate removes an update. It returns ErrReferenced while it is the
// fleet's or a gateway's target, ErrNotFound when it does not exist.
func (db *DB) DeleteUpdate(ctx context.Context, version string) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketCUPSUpdates))
		if b.Get([]byte(version)) == nil {
			return fmt.Errorf("%w: update %q", ErrNotFound, version)
		}
		if string(tx.Bucket([]byte(bucketMeta)).Get(metaFleetTarget)) == version {
			return fmt.Errorf("%w: update %q is the fleet target", ErrReferenced, version)
		}
		err := tx.Bucket([]byte(bucketCUPS)).ForEach(func(k, v []byte) error {
			c, err := decodeCUPS(k, v, nil)
			if err != nil {
				return err
			}
			if c.TargetVersion == version {
				return fmt.Errorf("%w: update %q is the target of gateway %s", ErrReferenced, version, c.EUI)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := b.Delete([]byte(version)); err != nil {
			return err
		}
		return tx.Bucket([]byte(bucketCUPSData)).Delete([]byte(version))
	})
}

// SetFleetTarget makes version the update every gateway without a target of
// its own should run; "" clears it. ErrNotFound for a version not stored.
func (db *DB) SetFleetTarget(ctx context.Context, version string) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		meta := tx.Bucket([]byte(bucketMeta))
		if version == "" {
			return meta.Delete(metaFleetTarget)
		}
		if _, err := getUpdate(tx, version); err != nil {
			return err
		}
		return meta.Put(metaFleetTarget, []byte(version))
	})
}

// FleetTarget returns the fleet's target version, "" when none is set.
func (db *DB) FleetTarget(ctx context.Context) (string, error) {
	var v string
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		v = string(tx.Bucket([]byte(bucketMeta)).Get(metaFleetTarget))
		return nil
	})
	return v, err
}

// checkCUPS is Check's part for the CUPS records: each opens under the KEK,
// belongs to a registered gateway and targets a stored update; each signing
// key opens; each update has its bytes, of the size and hash it records.
func checkCUPS(tx *bolt.Tx, s *sealer) []error {
	var errs []error
	bucket := func(name string) *bolt.Bucket { return tx.Bucket([]byte(name)) }
	updates, data := bucket(bucketCUPSUpdates), bucket(bucketCUPSData)
	bucket(bucketCUPS).ForEach(func(k, v []byte) error {
		c, err := decodeCUPS(k, v, s)
		switch {
		case err != nil:
			errs = append(errs, err)
		case bucket(bucketGateways).Get(k) == nil:
			errs = append(errs, fmt.Errorf("store: check: cups state %x without its gateway", k))
		case c.TargetVersion != "" && updates.Get([]byte(c.TargetVersion)) == nil:
			errs = append(errs, fmt.Errorf("store: check: cups state %x targets missing update %q", k, c.TargetVersion))
		}
		return nil
	})
	bucket(bucketCUPSKeys).ForEach(func(k, v []byte) error {
		if _, err := decodeSigningKey(k, v, s); err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	updates.ForEach(func(k, v []byte) error {
		var u Update
		if err := decodePublic(v, &u); err != nil {
			errs = append(errs, fmt.Errorf("store: update %q: %w", k, err))
			return nil
		}
		d := data.Get(k)
		sum := sha256.Sum256(d)
		if d == nil || len(d) != u.Size || hex.EncodeToString(sum[:]) != u.SHA256 || u.Version != string(k) {
			errs = append(errs, fmt.Errorf("store: check: update %q: bytes missing or not those recorded", k))
		}
		return nil
	})
	data.ForEach(func(k, _ []byte) error {
		if updates.Get(k) == nil {
			errs = append(errs, fmt.Errorf("store: check: update bytes %q without their update", k))
		}
		return nil
	})
	if t := bucket(bucketMeta).Get(metaFleetTarget); t != nil && updates.Get(t) == nil {
		errs = append(errs, fmt.Errorf("store: check: fleet target %q is not a stored update", t))
	}
	return errs
}
