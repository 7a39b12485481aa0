package cups

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha512"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"hash/crc32"
)

// PublicKey is an update-signing public key in the form of Station's
// sig-N.key files: the P-256 point as 64 raw bytes, X then Y, big endian.
type PublicKey [64]byte

// CRC returns the CRC32 of the key file, the value Station lists in a
// request's keys and a signer puts in Signature.KeyCRC.
func (k PublicKey) CRC() uint32 { return crc32.ChecksumIEEE(k[:]) }

// ECDSA returns the key for crypto/ecdsa, or an error when the bytes are not
// a point of P-256.
func (k PublicKey) ECDSA() (*ecdsa.PublicKey, error) {
	pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append([]byte{4}, k[:]...))
	if err != nil {
		return nil, fmt.Errorf("%w: public key %08x: not a P-256 point: %w", ErrMalformed, k.CRC(), err)
	}
	return pub, nil
}

// PublicKeyFromECDSA returns the sig-N.key form of a P-256 public key.
func PublicKeyFromECDSA(pub *ecdsa.PublicKey) (PublicKey, error) {
	var k PublicKey
	if pub == nil || pub.Curve != elliptic.P256() {
		return k, fmt.Errorf("cups: public key: want P-256")
	}
	b, err := pub.Bytes()
	if err != nil {
		return k, fmt.Errorf("cups: public key: %w", err)
	}
	copy(k[:], b[1:])
	return k, nil
}

// ParsePublicKey reads a P-256 public key from a sig-N.key file (64 raw
// bytes), an uncompressed point (0x04 and 64 bytes), or a PEM or DER
// SubjectPublicKeyInfo ("openssl ec -pubout").
func ParsePublicKey(data []byte) (PublicKey, error) {
	var k PublicKey
	switch {
	case len(data) == 64:
		copy(k[:], data)
		if _, err := k.ECDSA(); err != nil {
			return PublicKey{}, err
		}
		return k, nil
	case len(data) == 65 && data[0] == 4:
		copy(k[:], data[1:])
		if _, err := k.ECDSA(); err != nil {
			return PublicKey{}, err
		}
		return k, nil
	}
	der := data
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "PUBLIC KEY" {
			return k, fmt.Errorf("%w: public key: PEM block %q, want \"PUBLIC KEY\"", ErrMalformed, block.Type)
		}
		der = block.Bytes
	}
	pub, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return k, fmt.Errorf("%w: public key: %w", ErrMalformed, err)
	}
	ec, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return k, fmt.Errorf("%w: public key: %T, want ECDSA P-256", ErrMalformed, pub)
	}
	return PublicKeyFromECDSA(ec)
}

// ParseSigningKey reads a P-256 private key for Sign from PEM or DER, SEC1
// ("EC PRIVATE KEY", as "openssl ecparam -genkey" writes) or PKCS#8
// ("PRIVATE KEY").
func ParseSigningKey(data []byte) (*ecdsa.PrivateKey, error) {
	der := data
	for rest := data; ; {
		block, r := pem.Decode(rest)
		if block == nil {
			break
		}
		rest = r
		if block.Type == "EC PARAMETERS" {
			continue
		}
		der = block.Bytes
		break
	}
	var key any
	var err error
	if key, err = x509.ParseECPrivateKey(der); err != nil {
		key, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: signing key: neither SEC1 nor PKCS#8", ErrMalformed)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%w: signing key: want ECDSA P-256", ErrMalformed)
	}
	return ec, nil
}

// Sign signs an update as Station expects: ECDSA P-256 over the SHA-512 of
// the update (the hash truncated to 256 bits by ECDSA, as mbedTLS and
// "openssl dgst -sha512 -sign" do), DER encoded, with the CRC of the public key.
func Sign(priv *ecdsa.PrivateKey, update []byte) (*Signature, error) {
	if priv == nil {
		return nil, fmt.Errorf("cups: sign: no key")
	}
	pub, err := PublicKeyFromECDSA(&priv.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("cups: sign: %w", err)
	}
	h := sha512.Sum512(update)
	der, err := ecdsa.SignASN1(rand.Reader, priv, h[:])
	if err != nil {
		return nil, fmt.Errorf("cups: sign: %w", err)
	}
	return &Signature{KeyCRC: pub.CRC(), DER: der}, nil
}

// Verify checks sig against every key in keys, as Station's cups_verifySig
// does (KeyCRC is not used to choose), and returns the key that verifies.
// Keys that are not P-256 points are skipped. The error wraps ErrUnverified.
func Verify(keys []PublicKey, update []byte, sig *Signature) (PublicKey, error) {
	if sig == nil {
		return PublicKey{}, fmt.Errorf("%w: no signature", ErrUnverified)
	}
	if len(keys) == 0 {
		return PublicKey{}, fmt.Errorf("%w: no signature key held", ErrUnverified)
	}
	h := sha512.Sum512(update)
	for _, k := range keys {
		pub, err := k.ECDSA()
		if err != nil {
			continue
		}
		if ecdsa.VerifyASN1(pub, h[:], sig.DER) {
			return k, nil
		}
	}
	return PublicKey{}, fmt.Errorf("%w: none of %d keys verifies the signature (key crc %08x)", ErrUnverified, len(keys), sig.KeyCRC)
}
