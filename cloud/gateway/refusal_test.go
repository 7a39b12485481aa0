package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
)

// Every refusal is its own test: the gateway is turned away at the TLS
// handshake or before the websocket upgrade (traffic), or gets a router-info
// error answer, and one log line says why.

// refusedAtUpgrade dials path and wants an HTTP refusal with status.
func refusedAtUpgrade(t *testing.T, c *stationClient, path string, status int) {
	t.Helper()
	conn, resp, err := c.dial(path)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s succeeded, want refusal %d", path, status)
	}
	if resp == nil || resp.StatusCode != status {
		t.Fatalf("dial %s: %v (response %v), want HTTP %d", path, err, resp, status)
	}
}

// refusedAtHandshake dials path and wants the TLS handshake to fail.
func refusedAtHandshake(t *testing.T, c *stationClient, path string) {
	t.Helper()
	conn, resp, err := c.dial(path)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s succeeded, want a TLS refusal", path)
	}
	if resp != nil {
		t.Fatalf("dial %s got HTTP %d, want the TLS handshake to fail", path, resp.StatusCode)
	}
}

// routerInfoError runs discovery and wants an error answer without a uri.
func routerInfoError(t *testing.T, c *stationClient, router string) string {
	t.Helper()
	ans, err := c.routerInfo(router)
	if err != nil {
		t.Fatalf("router-info: %v", err)
	}
	msg, _ := ans["error"].(string)
	if msg == "" || ans["uri"] != nil {
		t.Fatalf("router-info answer = %v, want an error and no uri", ans)
	}
	if ans["router"] != router {
		t.Errorf("router-info answer router = %v, want %s", ans["router"], router)
	}
	return msg
}

func TestRefuseNoCredentials(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	c := env.client(nil)
	t.Run("router-info", func(t *testing.T) {
		refusedAtUpgrade(t, c, "/router-info", http.StatusUnauthorized)
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "router-info", "reason": reasonNoCredentials})
	})
	t.Run("traffic", func(t *testing.T) {
		refusedAtUpgrade(t, c, "/traffic/"+gwEU.String(), http.StatusUnauthorized)
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonNoCredentials, "gateway": gwEU.String()})
	})
}

func TestRefuseCertFromAnotherCA(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	otherCA, err := pki.NewCA("other CA", time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cert := issueCert(t, otherCA, gwEU, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	c := env.client(&cert)
	for _, path := range []string{"/router-info", "/traffic/" + gwEU.String()} {
		t.Run(path, func(t *testing.T) {
			refusedAtHandshake(t, c, path)
			env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "tls handshake", "reason": reasonUnknownCA, "subject": gwEU.String()})
		})
	}
}

func TestRefuseExpiredCert(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := issueCert(t, env.ca, gwEU, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour))
	c := env.client(&cert)
	for _, path := range []string{"/router-info", "/traffic/" + gwEU.String()} {
		t.Run(path, func(t *testing.T) {
			refusedAtHandshake(t, c, path)
			env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "tls handshake", "reason": reasonExpired})
		})
	}
}

func TestRefuseCertNotYetValid(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := issueCert(t, env.ca, gwEU, time.Now().Add(24*time.Hour), time.Now().Add(48*time.Hour))
	refusedAtHandshake(t, env.client(&cert), "/traffic/"+gwEU.String())
	env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "tls handshake", "reason": reasonExpired})
}

func TestRefuseServerCertAsClientCert(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	// Signed by the right CA, but for serverAuth only.
	kp, err := env.ca.IssueServerCert([]string{gwEU.String()}, time.Now().Add(-time.Minute), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := kp.TLSCertificate()
	if err != nil {
		t.Fatal(err)
	}
	refusedAtHandshake(t, env.client(&cert), "/traffic/"+gwEU.String())
	env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "tls handshake", "reason": reasonBadCert})
}

func TestRefuseCertNamingAnotherGateway(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := env.gatewayCert(gwOther) // a registered gateway, but not gwEU
	c := env.client(&cert)
	t.Run("router-info", func(t *testing.T) {
		msg := routerInfoError(t, c, "b827:ebff:fe61:51a5")
		if msg != reasonOtherGateway {
			t.Errorf("error = %q, want %q", msg, reasonOtherGateway)
		}
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "router-info", "reason": reasonOtherGateway, "gateway": gwEU.String()})
	})
	t.Run("traffic", func(t *testing.T) {
		refusedAtUpgrade(t, c, "/traffic/"+gwEU.String(), http.StatusForbidden)
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonOtherGateway, "gateway": gwEU.String()})
	})
}

func TestRefuseUnknownGateway(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	unknown := lorawan.EUI64{0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 1}
	cert := env.gatewayCert(unknown) // valid certificate, gateway not registered
	c := env.client(&cert)
	t.Run("router-info", func(t *testing.T) {
		msg := routerInfoError(t, c, "dead:beef:0:1")
		if msg != reasonUnknownGW {
			t.Errorf("error = %q, want %q", msg, reasonUnknownGW)
		}
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "router-info", "reason": reasonUnknownGW, "gateway": unknown.String()})
	})
	t.Run("traffic", func(t *testing.T) {
		refusedAtUpgrade(t, c, "/traffic/"+unknown.String(), http.StatusNotFound)
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonUnknownGW, "gateway": unknown.String()})
	})
}

func TestRefuseBadToken(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	const wrong = "not-the-token-at-all"
	c := env.tokenClient(wrong)
	t.Run("router-info", func(t *testing.T) {
		msg := routerInfoError(t, c, "::3")
		if strings.Contains(msg, "token does not match") {
			t.Errorf("error %q tells an unauthenticated client which check failed", msg)
		}
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "router-info", "reason": reasonBadToken, "gateway": gwToken.String()})
	})
	t.Run("traffic", func(t *testing.T) {
		refusedAtUpgrade(t, c, "/traffic/"+gwToken.String(), http.StatusUnauthorized)
		env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonBadToken, "gateway": gwToken.String()})
	})
	if logs := env.logs.text(); strings.Contains(logs, wrong) || strings.Contains(logs, testToken) {
		t.Errorf("a token appears in the logs:\n%s", logs)
	}
}

func TestRefuseTokenForGatewayWithoutToken(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	refusedAtUpgrade(t, env.tokenClient(testToken), "/traffic/"+gwEU.String(), http.StatusUnauthorized)
	env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonNoToken, "gateway": gwEU.String()})
}

func TestRefuseCertNotAllowedForGateway(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	allowed := env.gatewayCert(gwEU)
	env.reg.put(GatewayInfo{EUI: gwEU, Region: "EU868", CertFingerprints: []string{CertFingerprint(allowed.Certificate[0])}})
	other := env.gatewayCert(gwEU) // names the gateway, signed by the CA, but not listed
	refusedAtUpgrade(t, env.client(&other), "/traffic/"+gwEU.String(), http.StatusForbidden)
	env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonNotListed, "gateway": gwEU.String()})

	conn, _, err := env.client(&allowed).traffic("/traffic/" + gwEU.String())
	if err != nil {
		t.Fatalf("the listed certificate is refused: %v", err)
	}
	conn.Close()
}

func TestTokenAuthAccepted(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	for _, header := range []string{"Bearer " + testToken, testToken} {
		t.Run(header[:6], func(t *testing.T) {
			c := &stationClient{env: env, header: http.Header{"Authorization": {header}}}
			ans, err := c.routerInfo("::3")
			if err != nil {
				t.Fatal(err)
			}
			uri, _ := ans["uri"].(string)
			if uri == "" {
				t.Fatalf("router-info answer = %v, want a uri", ans)
			}
			conn, rc, err := c.traffic(uri)
			if err != nil {
				t.Fatalf("traffic with a good token: %v", err)
			}
			defer conn.Close()
			if err := stationAccepts(rc); err != nil {
				t.Errorf("router_config: %v", err)
			}
		})
	}
}

// A client certificate takes precedence over a token: a certificate naming
// another gateway is refused even with the right token.
func TestCertWinsOverToken(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := env.gatewayCert(gwOther)
	c := env.client(&cert)
	c.header.Set("Authorization", "Bearer "+testToken)
	refusedAtUpgrade(t, c, "/traffic/"+gwToken.String(), http.StatusForbidden)
	env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "traffic", "reason": reasonOtherGateway})
}
