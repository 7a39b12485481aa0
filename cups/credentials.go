package cups

import (
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// Credentials is one credential set (tc.* or cups.*) as the cupsCred and
// tcCred segments carry it and Station stores it in three files.
type Credentials struct {
	Trust []byte // .trust: DER certificate of the CA that signs the server's certificate
	Cert  []byte // .crt: DER client certificate; nil for token or server-only authentication
	Key   []byte // .key: DER private key (SEC1 or PKCS#1) of Cert; nil when Cert is nil
	// Token replaces Cert and Key: HTTP header lines ("Authorization: Bearer …")
	// that Station adds to its requests, stored verbatim in the .key file.
	Token string
}

// noCert is the 4-byte placeholder for an absent certificate or key.
var noCert = []byte{0, 0, 0, 0}

// MarshalBinary returns the credential blob Station's sys_credComplete reads:
// trust, then the certificate or 4 zero bytes, then the key, the token text
// or 4 zero bytes. Each DER part must be one element whose length Station can
// read (short form or 2-byte long form), so that the CRC Station reports back
// equals CRC of these Credentials. A certificate needs a key and a token
// excludes both.
func (c Credentials) MarshalBinary() ([]byte, error) {
	if err := derElement("trust", c.Trust); err != nil {
		return nil, err
	}
	switch {
	case c.Token != "" && (len(c.Cert) > 0 || len(c.Key) > 0):
		return nil, errors.New("cups: credentials: a token excludes a client certificate and key")
	case len(c.Cert) > 0 && len(c.Key) == 0:
		return nil, errors.New("cups: credentials: client certificate without key")
	case len(c.Cert) == 0 && len(c.Key) > 0:
		return nil, errors.New("cups: credentials: key without client certificate (Station would read it as a token)")
	}
	b := append([]byte(nil), c.Trust...)
	switch {
	case len(c.Cert) > 0:
		if err := derElement("cert", c.Cert); err != nil {
			return nil, err
		}
		if err := derElement("key", c.Key); err != nil {
			return nil, err
		}
		b = append(b, c.Cert...)
		b = append(b, c.Key...)
	case c.Token != "":
		if err := checkToken(c.Token); err != nil {
			return nil, err
		}
		b = append(b, noCert...)
		b = append(b, c.Token...)
	default:
		b = append(b, noCert...)
		b = append(b, noCert...)
	}
	if len(b) > MaxCredLen {
		return nil, fmt.Errorf("cups: credentials: blob is %d bytes, limit %d", len(b), MaxCredLen)
	}
	return b, nil
}

// UnmarshalBinary splits a blob the way Station's sys_credComplete does: the
// trust element, a certificate element or a 0x00 byte that skips 4 bytes, then
// a key element, nothing (0x00 or end of blob) or token text up to the end.
// Bytes Station ignores (after a key element, in the 4-byte placeholder) are
// ignored here too. Where Station would read out of bounds or misread a DER
// length (the 1-byte and 3-or-more-byte long forms), this returns an error.
func (c *Credentials) UnmarshalBinary(blob []byte) error {
	n := len(blob)
	if n == 0 {
		return fmt.Errorf("%w: credentials: empty blob", ErrMalformed)
	}
	if blob[0] != 0x30 {
		return fmt.Errorf("%w: credentials: trust starts with 0x%02x, want 0x30 (DER SEQUENCE)", ErrMalformed, blob[0])
	}
	tl, err := stationSeqLen("trust", blob, 0)
	if err != nil {
		return err
	}
	var out Credentials
	out.Trust = clone(blob[:tl])
	co, ko := tl, 0
	switch {
	case co >= n:
		return fmt.Errorf("%w: credentials: blob ends after trust (%d bytes), want a cert or 4 zero bytes", ErrMalformed, n)
	case blob[co] == 0:
		ko = co + 4
	case blob[co] == 0x30:
		cl, err := stationSeqLen("cert", blob, co)
		if err != nil {
			return err
		}
		out.Cert = clone(blob[co : co+cl])
		ko = co + cl
	default:
		return fmt.Errorf("%w: credentials: cert starts with 0x%02x, want 0x30 or 0x00", ErrMalformed, blob[co])
	}
	switch {
	case ko > n:
		return fmt.Errorf("%w: credentials: blob of %d bytes ends before the key at %d", ErrMalformed, n, ko)
	case ko == n || blob[ko] == 0:
		// no key
	case blob[ko] == 0x30:
		kl, err := stationSeqLen("key", blob, ko)
		if err != nil {
			return err
		}
		out.Key = clone(blob[ko : ko+kl])
	default:
		out.Token = string(blob[ko:])
	}
	*c = out
	return nil
}

// CRC returns what Station reports as cupsCredCrc or tcCredCrc after storing
// these credentials: CredCRC over its .trust, .crt and .key files.
func (c Credentials) CRC() uint32 {
	key := c.Key
	if len(key) == 0 {
		key = []byte(c.Token)
	}
	return CredCRC(c.Trust, c.Cert, key)
}

// CredCRC is Station's sys_crcCred: zlib CRC32 chained over the contents of
// the trust, cert and key files, a missing or empty file counting as 4 zero
// bytes. With no files it is 0x7BD5C66F.
func CredCRC(trust, cert, key []byte) uint32 {
	var crc uint32
	for _, part := range [][]byte{trust, cert, key} {
		if len(part) == 0 {
			part = noCert
		}
		crc = crc32.Update(crc, crc32.IEEETable, part)
	}
	return crc
}

// BlobCRC returns the CRC Station reports once it has stored blob: the blob is
// split as Station splits it and CredCRC taken over the parts. For a blob made
// by Credentials.MarshalBinary this is also the plain CRC32 of the blob.
func BlobCRC(blob []byte) (uint32, error) {
	var c Credentials
	if err := c.UnmarshalBinary(blob); err != nil {
		return 0, err
	}
	return c.CRC(), nil
}

// ToDER returns a certificate or key in the DER form a credential blob needs.
// DER input (starting with 0x30) is returned as is. PEM input must hold one
// block besides "EC PARAMETERS"; a PKCS#8 "PRIVATE KEY" is converted to SEC1
// (EC) or PKCS#1 (RSA), forms whose DER length Station can read.
func ToDER(data []byte) ([]byte, error) {
	if len(data) > 0 && data[0] == 0x30 {
		return clone(data), nil
	}
	var der []byte
	found := false
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type == "EC PARAMETERS" {
			continue
		}
		if found {
			return nil, fmt.Errorf("%w: pem: more than one block; a credential part holds one certificate or key", ErrMalformed)
		}
		found = true
		if _, ok := block.Headers["Proc-Type"]; ok {
			return nil, fmt.Errorf("%w: pem: %s is encrypted", ErrMalformed, block.Type)
		}
		der = block.Bytes
		if block.Type == "PRIVATE KEY" {
			var err error
			if der, err = pkcs8ToStation(der); err != nil {
				return nil, err
			}
		}
	}
	if !found || len(der) == 0 {
		return nil, fmt.Errorf("%w: neither DER nor PEM", ErrMalformed)
	}
	return der, nil
}

// pkcs8ToStation converts a PKCS#8 key to SEC1 or PKCS#1 DER.
func pkcs8ToStation(der []byte) ([]byte, error) {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("%w: pem: private key: %w", ErrMalformed, err)
	}
	switch k := key.(type) {
	case *ecdsa.PrivateKey:
		out, err := x509.MarshalECPrivateKey(k)
		if err != nil {
			return nil, fmt.Errorf("cups: pem: private key: %w", err)
		}
		return out, nil
	case *rsa.PrivateKey:
		return x509.MarshalPKCS1PrivateKey(k), nil
	}
	return nil, fmt.Errorf("cups: pem: %T keys are not supported by Station", key)
}

// derElement checks that b is one DER SEQUENCE whose length Station reads
// correctly and that fills b exactly.
func derElement(name string, b []byte) error {
	if len(b) == 0 {
		return fmt.Errorf("cups: credentials: %s missing", name)
	}
	if b[0] != 0x30 {
		return fmt.Errorf("%w: credentials: %s starts with 0x%02x, want 0x30 (DER SEQUENCE)", ErrMalformed, name, b[0])
	}
	l, err := stationSeqLen(name, b, 0)
	if err != nil {
		return err
	}
	if l != len(b) {
		return fmt.Errorf("%w: credentials: %s is %d bytes but its DER length says %d", ErrMalformed, name, len(b), l)
	}
	return nil
}

// stationSeqLen is the full length of the DER element at b[off] as Station's
// asn1_seqlen computes it, refusing the length forms it misreads and lengths
// that run past b.
func stationSeqLen(name string, b []byte, off int) (int, error) {
	if off+2 > len(b) {
		return 0, fmt.Errorf("%w: credentials: %s header truncated", ErrMalformed, name)
	}
	var l int
	switch lb := b[off+1]; {
	case lb < 0x80:
		l = 2 + int(lb)
	case lb == 0x82:
		if off+4 > len(b) {
			return 0, fmt.Errorf("%w: credentials: %s header truncated", ErrMalformed, name)
		}
		l = 4 + (int(b[off+2])<<8 | int(b[off+3]))
	default:
		return 0, fmt.Errorf("%w: credentials: %s has DER length byte 0x%02x; Station reads only short lengths and 0x82", ErrMalformed, name, lb)
	}
	if off+l > len(b) {
		return 0, fmt.Errorf("%w: credentials: %s is %d bytes but only %d follow", ErrMalformed, name, l, len(b)-off)
	}
	return l, nil
}

// checkToken checks token text the way Station's validateAuthToken does:
// lines "Name: value" ended by "\n" or "\r\n", the name made of letters,
// digits, '-' and '_'. The text itself never appears in an error.
func checkToken(t string) error {
	if t[0] == 0x30 || t[0] == 0 {
		return fmt.Errorf("%w: credentials: token starts with byte 0x%02x, which Station reads as DER or no key", ErrMalformed, t[0])
	}
	if strings.IndexByte(t, 0) >= 0 {
		return fmt.Errorf("%w: credentials: token holds a NUL byte", ErrMalformed)
	}
	s := t
	for strings.HasSuffix(s, "\n") {
		s = strings.TrimSuffix(strings.TrimSuffix(s, "\n"), "\r")
	}
	if s == "" {
		return fmt.Errorf("%w: credentials: token has no header line", ErrMalformed)
	}
	for i, line := range strings.Split(s, "\n") {
		name, _, ok := strings.Cut(line, ": ")
		if !ok || name == "" || strings.IndexFunc(name, notTokenNameRune) >= 0 {
			return fmt.Errorf("%w: credentials: token line %d is not \"Name: value\"", ErrMalformed, i+1)
		}
	}
	return nil
}

// notTokenNameRune reports a rune Station does not accept in a header name.
func notTokenNameRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
}
