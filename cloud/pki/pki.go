// Package pki holds the cloud's certificate authority for gateways: it
// creates and keeps the CA and the server certificate in the data directory,
// issues gateway client certificates that name the gateway EUI, and reads the
// EUI back out of a certificate presented on a TLS connection.
//
// One ECDSA P-256 CA signs both the server certificate (extended key usage
// serverAuth) and the gateway certificates (clientAuth), so a Basics Station
// home needs a single trust file (tc.trust) and a gateway certificate can
// never pass as the server.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// File names inside the data directory.
const (
	CACertFile     = "gateway-ca.crt" // the CA certificate, PEM: the tc.trust of every gateway
	CAKeyFile      = "gateway-ca.key" // the CA private key, PEM, mode 0600
	ServerCertFile = "server.crt"     // the TLS server certificate, PEM
	ServerKeyFile  = "server.key"     // the TLS server private key, PEM, mode 0600
)

// Validity periods used when the caller has no opinion.
const (
	CAValidity      = 20 * 365 * 24 * time.Hour
	ServerValidity  = 2 * 365 * 24 * time.Hour
	GatewayValidity = 10 * 365 * 24 * time.Hour
	// serverRenewBefore is how close to expiry a stored server certificate
	// may come before LoadOrCreateServerCert replaces it.
	serverRenewBefore = 30 * 24 * time.Hour
	// clockSkew back-dates NotBefore so a gateway whose clock runs a little
	// behind still accepts a fresh certificate.
	clockSkew = time.Hour
)

// CA is the certificate authority that signs the server certificate and the
// gateways' client certificates.
type CA struct {
	cert    *x509.Certificate
	key     *ecdsa.PrivateKey
	certPEM []byte
}

// KeyPair is a certificate with its private key, in PEM and parsed forms.
type KeyPair struct {
	Cert    *x509.Certificate
	CertPEM []byte // one CERTIFICATE block
	KeyPEM  []byte // one EC PRIVATE KEY block (SEC 1), which Station's mbedTLS reads
}

// TLSCertificate returns the pair as a tls.Certificate.
func (kp *KeyPair) TLSCertificate() (tls.Certificate, error) {
	c, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("pki: key pair: %w", err)
	}
	c.Leaf = kp.Cert
	return c, nil
}

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate in PEM, as written to tc.trust.
func (ca *CA) CertPEM() []byte { return bytes.Clone(ca.certPEM) }

// Pool returns a pool holding only the CA certificate, for verifying gateway
// certificates (server side) or the server certificate (client side).
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

// NewCA creates a CA in memory, valid from now for validity. Most callers
// want LoadOrCreateCA, which also persists it.
func NewCA(commonName string, now time.Time, validity time.Duration) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate ca key: %w", err)
	}
	serial, err := newSerial()
	if err != nil {
		return nil, err
	}
	ski, err := subjectKeyID(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"loraedge"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(validity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          ski,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("pki: create ca certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse ca certificate: %w", err)
	}
	return &CA{cert: cert, key: key, certPEM: pemBlock("CERTIFICATE", der)}, nil
}

// LoadOrCreateCA reads the CA from dir, or creates one (key mode 0600) when
// neither of its files exists. A directory holding only one of the two files
// is an error rather than a silent replacement.
func LoadOrCreateCA(dir string, now time.Time) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CACertFile), filepath.Join(dir, CAKeyFile)
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		return parseCA(certPEM, keyPEM)
	case errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist):
	case certErr != nil && !errors.Is(certErr, fs.ErrNotExist):
		return nil, fmt.Errorf("pki: read ca: %w", certErr)
	case keyErr != nil && !errors.Is(keyErr, fs.ErrNotExist):
		return nil, fmt.Errorf("pki: read ca key: %w", keyErr)
	default:
		return nil, fmt.Errorf("pki: %s holds only one of %s and %s; restore the other or remove both", dir, CACertFile, CAKeyFile)
	}
	ca, err := NewCA("loraedge gateway CA", now, CAValidity)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(ca.key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode ca key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", dir, err)
	}
	// The key first and exclusively: two processes starting at once must
	// not end with a certificate from one and a key from the other.
	if err := writeNew(keyPath, pemBlock("EC PRIVATE KEY", keyDER), 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// LoadCA reads an existing CA from dir; unlike LoadOrCreateCA it never
// creates one, for tools that must sign with the CA the cloud trusts.
func LoadCA(dir string) (*CA, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, CACertFile))
	if err != nil {
		return nil, fmt.Errorf("pki: read ca: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, CAKeyFile))
	if err != nil {
		return nil, fmt.Errorf("pki: read ca key: %w", err)
	}
	return parseCA(certPEM, keyPEM)
}

func parseCA(certPEM, keyPEM []byte) (*CA, error) {
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: ca: %w", err)
	}
	if !cert.IsCA {
		return nil, errors.New("pki: ca: certificate is not a CA")
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: ca key: %w", err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, errors.New("pki: ca key does not match the ca certificate")
	}
	return &CA{cert: cert, key: key, certPEM: pemBlock("CERTIFICATE", cert.Raw)}, nil
}

// IssueServerCert signs a TLS server certificate for hosts. The first host is
// the subject CN; every host is also a DNS SAN, IP addresses included,
// because Station's mbedTLS matches the CN and DNS names but not IP SANs; IP
// hosts get an IP SAN as well for clients that do match them.
func (ca *CA) IssueServerCert(hosts []string, notBefore, notAfter time.Time) (*KeyPair, error) {
	if len(hosts) == 0 {
		return nil, errors.New("pki: server certificate needs at least one host name")
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: hosts[0], Organization: []string{"loraedge"}},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if h == "" || strings.ContainsAny(h, " /\t\r\n") {
			return nil, fmt.Errorf("pki: invalid host name %q", h)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		}
	}
	return ca.sign(tmpl)
}

// IssueGatewayCert signs a client certificate for the gateway eui: the
// subject CN is the EUI as 16 hex digits, repeated as a DNS SAN, so that
// EUIFromCertificate reads it back whichever name a verifier looks at.
func (ca *CA) IssueGatewayCert(eui lorawan.EUI64, notBefore, notAfter time.Time) (*KeyPair, error) {
	name := eui.String()
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: name, Organization: []string{"loraedge gateway"}},
		DNSNames:    []string{name},
		NotBefore:   notBefore,
		NotAfter:    notAfter,
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	return ca.sign(tmpl)
}

// sign fills the serial and key ids of tmpl, generates a P-256 key and signs.
func (ca *CA) sign(tmpl *x509.Certificate) (*KeyPair, error) {
	if !tmpl.NotAfter.After(tmpl.NotBefore) {
		return nil, fmt.Errorf("pki: validity ends (%s) before it starts (%s)", tmpl.NotAfter.Format(time.RFC3339), tmpl.NotBefore.Format(time.RFC3339))
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("pki: generate key: %w", err)
	}
	if tmpl.SerialNumber, err = newSerial(); err != nil {
		return nil, err
	}
	if tmpl.SubjectKeyId, err = subjectKeyID(&key.PublicKey); err != nil {
		return nil, err
	}
	tmpl.AuthorityKeyId = ca.cert.SubjectKeyId
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, fmt.Errorf("pki: sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("pki: parse certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode key: %w", err)
	}
	return &KeyPair{Cert: cert, CertPEM: pemBlock("CERTIFICATE", der), KeyPEM: pemBlock("EC PRIVATE KEY", keyDER)}, nil
}

// LoadOrCreateServerCert returns the server certificate stored in dir when
// it was signed by ca, names exactly hosts (CN first) and stays valid for
// more than 30 days after now; otherwise it issues a new one and stores it
// (key mode 0600).
func LoadOrCreateServerCert(dir string, ca *CA, hosts []string, now time.Time) (*KeyPair, error) {
	certPath, keyPath := filepath.Join(dir, ServerCertFile), filepath.Join(dir, ServerKeyFile)
	if kp, err := loadKeyPair(certPath, keyPath); err == nil && serverCertFits(kp.Cert, ca, hosts, now) {
		return kp, nil
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	kp, err := ca.IssueServerCert(hosts, now.Add(-clockSkew), now.Add(ServerValidity))
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: create %s: %w", dir, err)
	}
	if err := writeFileAtomic(keyPath, kp.KeyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFileAtomic(certPath, kp.CertPEM, 0o644); err != nil {
		return nil, err
	}
	return kp, nil
}

func serverCertFits(cert *x509.Certificate, ca *CA, hosts []string, now time.Time) bool {
	if cert.CheckSignatureFrom(ca.cert) != nil {
		return false
	}
	if cert.Subject.CommonName != hosts[0] || !slices.Equal(cert.DNSNames, hosts) {
		return false
	}
	return now.Add(serverRenewBefore).Before(cert.NotAfter)
}

func loadKeyPair(certPath, keyPath string) (*KeyPair, error) {
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("pki: read %s: %w", certPath, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("pki: read %s: %w", keyPath, err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", certPath, err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: %s: %w", keyPath, err)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("pki: %s does not match %s", keyPath, certPath)
	}
	return &KeyPair{Cert: cert, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("parse certificate: %w", err)
	}
	return cert, nil
}

// parseKeyPEM reads an ECDSA key in SEC 1 or PKCS #8 form. Its errors never
// quote the key material.
func parseKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		k, err := x509.ParseECPrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("malformed EC private key")
		}
		return k, nil
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, errors.New("malformed PKCS #8 private key")
		}
		ek, ok := k.(*ecdsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("private key is %T, want ECDSA", k)
		}
		return ek, nil
	}
	return nil, fmt.Errorf("unexpected PEM block %q", block.Type)
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func newSerial() (*big.Int, error) {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("pki: serial number: %w", err)
	}
	return n.Add(n, big.NewInt(1)), nil // never zero
}

// subjectKeyID is the SHA-1 of the public key bytes (RFC 5280 §4.2.1.2 method 1).
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	ek, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("pki: public key is %T, want ECDSA", pub)
	}
	raw, err := ek.Bytes()
	if err != nil {
		return nil, fmt.Errorf("pki: public key: %w", err)
	}
	sum := sha1.Sum(raw)
	return sum[:], nil
}

// writeNew creates path exclusively, failing if it exists.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("pki: create %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pki: sync %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: close %s: %w", path, err)
	}
	return nil
}

// writeFileAtomic writes data to a temporary file beside path and renames it
// into place, so readers see the old or the new content, never a mix.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("pki: write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(mode); err != nil {
		f.Close()
		return fmt.Errorf("pki: chmod %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pki: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("pki: rename %s: %w", path, err)
	}
	return nil
}
