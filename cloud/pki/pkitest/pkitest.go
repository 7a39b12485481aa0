// Package pkitest makes the certificates tests need: a CA valid from an
// hour ago for a day, and server certificates for 127.0.0.1 signed by it,
// so that TLS tests on loopback use real certificates made in the test.
package pkitest

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/pki"
)

// NewCA returns a CA named name, valid from an hour ago for a day.
func NewCA(t testing.TB, name string) *pki.CA {
	t.Helper()
	ca, err := pki.NewCA(name, time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

// ServerCert returns a server certificate for 127.0.0.1 signed by ca,
// valid from an hour ago for a day.
func ServerCert(t testing.TB, ca *pki.CA) tls.Certificate {
	t.Helper()
	kp, err := ca.IssueServerCert([]string{"127.0.0.1"}, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	c, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	return c
}
