package gateway

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net/http"
	"testing"
	"time"
)

// nameCA is a CA of the test's own making, so that certificates can name
// the gateway in every spelling gateways are issued with elsewhere (pki
// issues the plain hex one only).
type nameCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newNameCA(t *testing.T) *nameCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "name test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &nameCA{cert: cert, key: key}
}

// client issues a client certificate with this CN and these DNS SANs.
func (ca *nameCA) client(t *testing.T, cn string, dns ...string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		DNSNames:     dns,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestCertNameSpellings connects with certificates that name the gateway
// in each usual spelling, in the CN or a DNS SAN: each passes router-info
// and traffic for its gateway, and is refused at another gateway's
// traffic socket.
func TestCertNameSpellings(t *testing.T) {
	t.Parallel()
	ca := newNameCA(t)
	env := newTestEnv(t, func(o *Options) {
		pool := x509.NewCertPool()
		pool.AddCert(ca.cert)
		o.ClientCAs = pool
	})
	tests := []struct {
		name string
		cn   string
		dns  []string
	}{
		{"CN hex", "b827ebfffe6151a5", nil},
		{"CN upper hex", "B827EBFFFE6151A5", nil},
		{"CN dashes", "b8-27-eb-ff-fe-61-51-a5", nil},
		{"CN colons", "b8:27:eb:ff:fe:61:51:a5", nil},
		{"CN id6", "b827:ebff:fe61:51a5", nil},
		{"CN eui- prefix", "eui-b827ebfffe6151a5", nil},
		{"DNS SAN eui- prefix", "gateway", []string{"eui-b827ebfffe6151a5"}},
		{"DNS SAN dashes", "gateway", []string{"b8-27-eb-ff-fe-61-51-a5"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := ca.client(t, tt.cn, tt.dns...)
			c := env.client(&cert)
			ans, err := c.routerInfo("b827:ebff:fe61:51a5")
			if err != nil {
				t.Fatalf("router-info: %v", err)
			}
			uri, _ := ans["uri"].(string)
			if uri == "" {
				t.Fatalf("router-info answer = %v, want a uri", ans)
			}
			conn, rc, err := c.traffic(uri)
			if err != nil {
				t.Fatalf("traffic: %v", err)
			}
			conn.Close()
			if err := stationAccepts(rc); err != nil {
				t.Errorf("router_config: %v", err)
			}
			refusedAtUpgrade(t, c, "/traffic/"+gwOther.String(), http.StatusForbidden)
		})
	}
}
