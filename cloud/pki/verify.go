package pki

import (
	"crypto/x509"
	"errors"
	"time"
)

// Why VerifyClientChain refused a chain, as the endpoints log it.
const (
	ReasonUnknownCA = "client certificate not signed by the gateway CA"
	ReasonExpired   = "client certificate expired or not yet valid"
	ReasonBadCert   = "client certificate invalid"
)

// VerifyClientChain verifies a client's certificate chain (leaf first, as
// TLS presents it) against roots at now, for client authentication. On
// failure it also returns one of the Reason constants, so the gateway and
// CUPS endpoints log why they refused a handshake in the same words.
func VerifyClientChain(chain []*x509.Certificate, roots *x509.CertPool, now time.Time) (reason string, err error) {
	if len(chain) == 0 {
		return ReasonBadCert, errors.New("pki: no client certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err = chain[0].Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err == nil {
		return "", nil
	}
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknown):
		return ReasonUnknownCA, err
	case errors.As(err, &invalid) && invalid.Reason == x509.Expired:
		return ReasonExpired, err
	}
	return ReasonBadCert, err
}
