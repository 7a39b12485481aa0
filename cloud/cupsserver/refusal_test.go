package cupsserver_test

import (
	"bytes"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

// TestRefusals sends requests that must not be answered and checks the
// status, the log line's reason, and that no token reaches the log.
func TestRefusals(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	gwA, gwB, gwTok, unknown := euiOf(1), euiOf(2), euiOf(3), euiOf(9)
	const token = "gw-token-s3cr3t-0123456789"
	e.addGateway(gwA, nil)
	e.addGateway(gwB, nil)
	e.addGateway(gwTok, func(g *store.Gateway) { g.SetToken(token) })
	credA := issue(t, e.ca, gwA)
	certA := tlsCert(t, credA)
	unknownCert := tlsCert(t, issue(t, e.ca, unknown))
	otherCA := pkitest.NewCA(t, "another CA")
	foreign := tlsCert(t, issue(t, otherCA, gwA))
	pinnedOut := tlsCert(t, issue(t, e.ca, gwB))
	e.setCUPS(gwB, func(_ *store.Gateway, c *store.CUPSGateway) {
		c.CUPSCertFingerprints = []string{store.CertFingerprint(issue(t, e.ca, gwB).Cert)}
	})

	nothing := cups.CredCRC(nil, nil, nil)
	req := func(router [8]byte) string {
		return requestJSON(router, ptr(e.uri), ptr(testTCURI), nothing, nothing, "", nil)
	}
	bearer := func(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }
	tests := []struct {
		name   string
		cert   *tls.Certificate
		header http.Header
		body   string
		status int    // 0: the TLS handshake fails
		reason string // in the log line
	}{
		{"no certificate and no token", nil, nil, req(gwA), http.StatusUnauthorized, "no client certificate and no token"},
		{"certificate of another CA", &foreign, nil, req(gwA), 0, "not signed by the gateway CA"},
		{"router is not the certificate's gateway", &certA, nil, req(gwB), http.StatusForbidden, "router in the request is not the gateway"},
		{"unknown gateway", &unknownCert, nil, req(unknown), http.StatusNotFound, "unknown gateway"},
		{"certificate not among the CUPS certificates", &pinnedOut, nil, req(gwB), http.StatusForbidden, "not among the gateway's allowed CUPS certificates"},
		{"bad token", nil, bearer("wrong-token"), req(gwTok), http.StatusUnauthorized, "token does not match"},
		{"token of a gateway without one", nil, bearer(token), req(gwA), http.StatusUnauthorized, "gateway has no token"},
		{"malformed request", &certA, nil, `{"router":`, http.StatusBadRequest, "malformed update-info request"},
		{"request without router", &certA, nil, `{"cupsUri":null}`, http.StatusBadRequest, "malformed update-info request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(e.logs.String())
			status, body, err := post(t, e.client(tt.cert), e.uri, tt.body, tt.header)
			if tt.status == 0 {
				if err == nil {
					t.Fatalf("request answered %d, want a failed TLS handshake", status)
				}
			} else if err != nil || status != tt.status {
				t.Fatalf("status %d, %v; want %d", status, err, tt.status)
			}
			if bytes.Equal(body, make([]byte, 14)) {
				t.Error("a refused request got an update-info answer")
			}
			logs := e.logs.String()[before:]
			if !strings.Contains(logs, "cups request refused") || !strings.Contains(logs, tt.reason) {
				t.Errorf("log has no refusal with reason %q:\n%s", tt.reason, logs)
			}
		})
	}

	// The same credentials are answered when right.
	ok := []struct {
		name   string
		cert   *tls.Certificate
		header http.Header
		router [8]byte
	}{
		{"certificate", &certA, nil, gwA},
		{"token", nil, bearer(token), gwTok},
		{"token as Station sends tc.key", nil, http.Header{"Authorization": {token}}, gwTok},
	}
	for _, tt := range ok {
		t.Run("accepted "+tt.name, func(t *testing.T) {
			status, body, err := post(t, e.client(tt.cert), e.uri, req(tt.router), tt.header)
			if err != nil || status != http.StatusOK {
				t.Fatalf("status %d, %v; want 200", status, err)
			}
			var r cups.UpdateInfoResponse
			if err := r.UnmarshalBinary(body); err != nil {
				t.Fatal(err)
			}
		})
	}
	if strings.Contains(e.logs.String(), token) || strings.Contains(e.logs.String(), "wrong-token") {
		t.Error("a token reached the log")
	}

	// Only POST.
	resp, err := e.client(&certA).Get(e.uri + "/update-info")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /update-info: %d, want 405", resp.StatusCode)
	}
}
