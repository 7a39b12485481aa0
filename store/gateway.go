package store

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

// Gateway is a gateway allowed to connect. It holds no secret: the token is
// kept as its SHA-256 only.
type Gateway struct {
	EUI     lorawan.EUI64 `json:"eui"`
	Name    string        `json:"name,omitempty"`
	Region  string        `json:"region"`            // e.g. "EU868", "US915"
	SubBand int           `json:"subBand,omitempty"` // US915/AU915 sub-band 1–8; 0 = none

	// TokenSHA256 is the SHA-256 of the gateway's token (Authorization
	// header), empty when the gateway authenticates by certificate only.
	// Set it with SetToken, check with TokenMatches.
	TokenSHA256 []byte `json:"tokenSha256,omitempty"`

	// CertFingerprints lists the SHA-256 fingerprints (lower-case hex of the
	// DER, see CertFingerprint) of the client certificates the gateway may
	// present; several at once, so an old and a new certificate are both
	// valid during a rotation. Empty means any certificate of the gateway CA
	// naming the EUI.
	CertFingerprints []string `json:"certFingerprints,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
	LastSeen  time.Time `json:"lastSeen,omitzero"`
}

// SetToken records the SHA-256 of token ("" removes token authentication).
func (g *Gateway) SetToken(token string) {
	if token == "" {
		g.TokenSHA256 = nil
		return
	}
	h := sha256.Sum256([]byte(token))
	g.TokenSHA256 = h[:]
}

// TokenMatches reports, in constant time, whether token is the gateway's
// token. A gateway without a token matches nothing.
func (g Gateway) TokenMatches(token string) bool {
	if len(g.TokenSHA256) != sha256.Size || token == "" {
		return false
	}
	h := sha256.Sum256([]byte(token))
	return subtle.ConstantTimeCompare(h[:], g.TokenSHA256) == 1
}

// CertFingerprint returns the fingerprint Gateway.CertFingerprints holds for
// a certificate: the lower-case hex SHA-256 of its DER bytes.
func CertFingerprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// AllowsCert reports whether a certificate with this DER passes the
// gateway's fingerprint list (an empty list allows any).
func (g Gateway) AllowsCert(der []byte) bool {
	if len(g.CertFingerprints) == 0 {
		return true
	}
	fp := CertFingerprint(der)
	for _, f := range g.CertFingerprints {
		if strings.EqualFold(f, fp) {
			return true
		}
	}
	return false
}

func (g Gateway) validate() error {
	if g.EUI == (lorawan.EUI64{}) {
		return fmt.Errorf("%w: gateway: zero eui", ErrInvalid)
	}
	if err := checkText("gateway region", g.Region, true); err != nil {
		return err
	}
	if err := checkText("gateway name", g.Name, false); err != nil {
		return err
	}
	if g.SubBand < 0 || g.SubBand > 8 {
		return fmt.Errorf("%w: gateway %s: sub-band %d, want 0 (none) to 8", ErrInvalid, g.EUI, g.SubBand)
	}
	if len(g.TokenSHA256) != 0 && len(g.TokenSHA256) != sha256.Size {
		return fmt.Errorf("%w: gateway %s: token hash of %d bytes", ErrInvalid, g.EUI, len(g.TokenSHA256))
	}
	for _, f := range g.CertFingerprints {
		if b, err := hex.DecodeString(f); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("%w: gateway %s: certificate fingerprint %q is not 64 hex digits", ErrInvalid, g.EUI, f)
		}
	}
	return nil
}

// checkText refuses text that is too long or holds control characters.
func checkText(what, s string, required bool) error {
	if required && s == "" {
		return fmt.Errorf("%w: %s empty", ErrInvalid, what)
	}
	if len(s) > 128 {
		return fmt.Errorf("%w: %s longer than 128 bytes", ErrInvalid, what)
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("%w: %s %q holds a control character", ErrInvalid, what, s)
		}
	}
	return nil
}

// PutGateway creates or replaces a gateway. A zero CreatedAt keeps the
// stored one (or now, for a new gateway); a zero LastSeen keeps the stored one.
func (db *DB) PutGateway(ctx context.Context, g Gateway) error {
	if err := g.validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketGateways))
		if old, err := getGateway(b, g.EUI); err == nil {
			if g.CreatedAt.IsZero() {
				g.CreatedAt = old.CreatedAt
			}
			if g.LastSeen.IsZero() {
				g.LastSeen = old.LastSeen
			}
		}
		if g.CreatedAt.IsZero() {
			g.CreatedAt = time.Now().UTC()
		}
		return putJSON(b, g.EUI[:], g)
	})
}

// GetGateway returns the gateway with this EUI, or ErrNotFound.
func (db *DB) GetGateway(ctx context.Context, eui lorawan.EUI64) (Gateway, error) {
	var g Gateway
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		var err error
		g, err = getGateway(tx.Bucket([]byte(bucketGateways)), eui)
		return err
	})
	return g, err
}

// ListGateways returns every gateway, ordered by EUI.
func (db *DB) ListGateways(ctx context.Context) ([]Gateway, error) {
	var out []Gateway
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return tx.Bucket([]byte(bucketGateways)).ForEach(func(k, v []byte) error {
			var g Gateway
			if err := decodePublic(v, &g); err != nil {
				return fmt.Errorf("store: gateway %x: %w", k, err)
			}
			out = append(out, g)
			return nil
		})
	})
	return out, err
}

// DeleteGateway removes a gateway with its CUPS state, or returns ErrNotFound.
func (db *DB) DeleteGateway(ctx context.Context, eui lorawan.EUI64) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketGateways))
		if b.Get(eui[:]) == nil {
			return fmt.Errorf("%w: gateway %s", ErrNotFound, eui)
		}
		if err := tx.Bucket([]byte(bucketCUPS)).Delete(eui[:]); err != nil { // its CUPS state (cups.go)
			return err
		}
		return b.Delete(eui[:])
	})
}

// TouchGateway sets a gateway's LastSeen, sharing the commit with concurrent
// writers (group commit). It returns ErrNotFound for an unknown gateway.
func (db *DB) TouchGateway(ctx context.Context, eui lorawan.EUI64, at time.Time) error {
	return db.batch(ctx, func(tx *bolt.Tx, _ *sealer) (error, error) {
		b := tx.Bucket([]byte(bucketGateways))
		g, err := getGateway(b, eui)
		if err != nil {
			return err, nil
		}
		g.LastSeen = at.UTC()
		return nil, putJSON(b, eui[:], g)
	})
}

func getGateway(b *bolt.Bucket, eui lorawan.EUI64) (Gateway, error) {
	v := b.Get(eui[:])
	if v == nil {
		return Gateway{}, fmt.Errorf("%w: gateway %s", ErrNotFound, eui)
	}
	var g Gateway
	if err := decodePublic(v, &g); err != nil {
		return Gateway{}, fmt.Errorf("store: gateway %s: %w", eui, err)
	}
	return g, nil
}

// putJSON stores a record without a sealed part.
func putJSON(b *bolt.Bucket, key []byte, rec any) error {
	pub, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("store: encode %x: %w", key, err)
	}
	return b.Put(key, encodeEnvelope(nil, pub))
}

// decodePublic decodes the public part of a stored record into rec.
func decodePublic(v []byte, rec any) error {
	_, pub, err := decodeEnvelope(v)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(pub, rec); err != nil {
		return fmt.Errorf("store: record: %w", err)
	}
	return nil
}
