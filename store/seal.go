package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"

	"github.com/loraedge/loraedge/lorawan"
)

// sealVersion is the first byte of every sealed value: the layout that
// follows is a 12-byte random nonce and the AES-256-GCM ciphertext with its tag.
const sealVersion = 1

const (
	nonceSize  = 12
	sealedSize = 1 + nonceSize // plus len(plaintext) + tag
)

// aadPrefix starts the associated data of every seal, so that a value sealed
// by another program under the same key never opens here.
const aadPrefix = "loraedge/store/v1\x00"

// sealer seals and opens values under one KEK. It holds the AES-GCM AEAD
// built once (one key schedule per KEK, not per record); cipher.AEAD from
// crypto/cipher is safe for concurrent use.
type sealer struct {
	aead cipher.AEAD
	id   string
}

func newSealer(k KEK) (*sealer, error) {
	block, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, fmt.Errorf("store: kek cipher: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("store: kek cipher: %w", err)
	}
	return &sealer{aead: aead, id: k.ID()}, nil
}

// aad binds a sealed value to its bucket and record id: the same blob
// written under another record fails to open.
func aad(bucket string, id []byte) []byte {
	b := make([]byte, 0, len(aadPrefix)+len(bucket)+1+len(id))
	b = append(b, aadPrefix...)
	b = append(b, bucket...)
	b = append(b, 0)
	return append(b, id...)
}

func (s *sealer) seal(bucket string, id, plain []byte) ([]byte, error) {
	out := make([]byte, sealedSize, sealedSize+len(plain)+s.aead.Overhead())
	out[0] = sealVersion
	if _, err := io.ReadFull(rand.Reader, out[1:sealedSize]); err != nil {
		return nil, fmt.Errorf("store: seal nonce: %w", err)
	}
	return s.aead.Seal(out, out[1:sealedSize], plain, aad(bucket, id)), nil
}

func (s *sealer) open(bucket string, id, blob []byte) ([]byte, error) {
	if len(blob) < sealedSize+s.aead.Overhead() || blob[0] != sealVersion {
		return nil, fmt.Errorf("%w: %s: bad sealed layout", ErrUnseal, recordName(bucket, id))
	}
	plain, err := s.aead.Open(nil, blob[1:sealedSize], blob[sealedSize:], aad(bucket, id))
	if err != nil {
		// The GCM error says nothing useful and nothing secret; name the record.
		return nil, fmt.Errorf("%w: %s (tampered, moved from another record, or another kek)", ErrUnseal, recordName(bucket, id))
	}
	return plain, nil
}

// recordName names a record in errors: bucket and id, a name as text.
func recordName(bucket string, id []byte) string {
	if bucket == bucketDestinations {
		return fmt.Sprintf("%s %q", bucket, id)
	}
	return fmt.Sprintf("%s %x", bucket, id)
}

// kekID derives the public identifier of a KEK: the first 8 bytes of a
// domain-separated SHA-256, in hex. It tells KEKs apart without revealing them.
func kekID(k KEK) string {
	h := sha256.New()
	h.Write([]byte("loraedge/store/kek-id\x00"))
	h.Write(k[:])
	return fmt.Sprintf("%x", h.Sum(nil)[:8])
}

// redacted is what every key-holding type prints, whatever the verb.
const redacted = "[redacted]"

// RootKeys are a device's OTAA root keys. LoRaWAN 1.0.x devices have one root
// key, AppKey (NwkKey stays zero); LoRaWAN 1.1 devices have both. The value
// prints, logs and marshals to JSON as "[redacted]".
type RootKeys struct {
	AppKey lorawan.AES128Key
	NwkKey lorawan.AES128Key
}

// SessionKeys are the keys of a device session. For LoRaWAN 1.0.x the single
// NwkSKey fills FNwkSIntKey, SNwkSIntKey and NwkSEncKey (see SessionKeys10).
// The value prints, logs and marshals to JSON as "[redacted]".
type SessionKeys struct {
	FNwkSIntKey lorawan.AES128Key
	SNwkSIntKey lorawan.AES128Key
	NwkSEncKey  lorawan.AES128Key
	AppSKey     lorawan.AES128Key
}

// SessionKeys10 builds the session keys of a LoRaWAN 1.0.x session, whose one
// network key serves for the MIC and for FPort 0 encryption.
func SessionKeys10(nwkSKey, appSKey lorawan.AES128Key) SessionKeys {
	return SessionKeys{FNwkSIntKey: nwkSKey, SNwkSIntKey: nwkSKey, NwkSEncKey: nwkSKey, AppSKey: appSKey}
}

// NwkSKey returns the LoRaWAN 1.0.x network session key (FNwkSIntKey).
func (k SessionKeys) NwkSKey() lorawan.AES128Key { return k.FNwkSIntKey }

// Secret is a text secret (an HTTP header value) that prints, logs and
// marshals to JSON as "[redacted]"; convert it with string() to use it.
type Secret string

// Format prints "[redacted]" for every verb, so %v, %+v, %#v, %s, %x and %q
// never show the keys.
func (RootKeys) Format(f fmt.State, _ rune) { io.WriteString(f, "RootKeys"+redacted) }

// String returns "RootKeys[redacted]".
func (RootKeys) String() string { return "RootKeys" + redacted }

// LogValue keeps the keys out of slog output.
func (RootKeys) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[redacted]", never the keys.
func (RootKeys) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Format prints "SessionKeys[redacted]" for every verb.
func (SessionKeys) Format(f fmt.State, _ rune) { io.WriteString(f, "SessionKeys"+redacted) }

// String returns "SessionKeys[redacted]".
func (SessionKeys) String() string { return "SessionKeys" + redacted }

// LogValue keeps the keys out of slog output.
func (SessionKeys) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[redacted]", never the keys.
func (SessionKeys) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Format prints "[redacted]" for every verb.
func (Secret) Format(f fmt.State, _ rune) { io.WriteString(f, redacted) }

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// LogValue keeps the secret out of slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON writes "[redacted]", never the secret.
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// Plain encodings of the secrets, sealed as one blob per record.

func (k RootKeys) appendBinary(b []byte) []byte {
	b = append(b, k.AppKey[:]...)
	return append(b, k.NwkKey[:]...)
}

func (k *RootKeys) decode(b []byte) []byte {
	copy(k.AppKey[:], b)
	copy(k.NwkKey[:], b[16:])
	return b[32:]
}

func (k SessionKeys) appendBinary(b []byte) []byte {
	b = append(b, k.FNwkSIntKey[:]...)
	b = append(b, k.SNwkSIntKey[:]...)
	b = append(b, k.NwkSEncKey[:]...)
	return append(b, k.AppSKey[:]...)
}

func (k *SessionKeys) decode(b []byte) []byte {
	copy(k.FNwkSIntKey[:], b)
	copy(k.SNwkSIntKey[:], b[16:])
	copy(k.NwkSEncKey[:], b[32:])
	copy(k.AppSKey[:], b[48:])
	return b[64:]
}

// Records are stored as an envelope: a version byte, the length of the
// sealed part as a uvarint, the sealed part (empty for records without
// secrets) and the JSON of the public fields.
const envelopeVersion = 1

func encodeEnvelope(sealed, public []byte) []byte {
	b := make([]byte, 0, 1+binary.MaxVarintLen32+len(sealed)+len(public))
	b = append(b, envelopeVersion)
	b = binary.AppendUvarint(b, uint64(len(sealed)))
	b = append(b, sealed...)
	return append(b, public...)
}

// decodeEnvelope splits a stored value; the returned slices alias v.
func decodeEnvelope(v []byte) (sealed, public []byte, err error) {
	if len(v) < 2 || v[0] != envelopeVersion {
		return nil, nil, fmt.Errorf("store: record: unknown layout")
	}
	n, k := uvarint(v[1:])
	if k <= 0 || n > uint64(len(v)-1-k) {
		return nil, nil, fmt.Errorf("store: record: bad sealed length")
	}
	start := 1 + k
	return v[start : start+int(n)], v[start+int(n):], nil
}

// uvarint is binary.Uvarint refusing non-minimal encodings (k <= 0), so
// that every stored value has one encoding.
func uvarint(b []byte) (uint64, int) {
	n, k := binary.Uvarint(b)
	if k > 0 && k != uvarintLen(n) {
		return 0, -1
	}
	return n, k
}

func uvarintLen(n uint64) int {
	k := 1
	for ; n >= 0x80; n >>= 7 {
		k++
	}
	return k
}
