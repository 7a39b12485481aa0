package cupsserver_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

// TestRotationRevokesToken rotates a gateway that authenticates with a
// token, for CUPS and traffic, to certificates: the token keeps working
// until the gateway has used both new certificates (whichever first), and
// is refused afterwards, as the old certificates of a rotation are.
func TestRotationRevokesToken(t *testing.T) {
	t.Parallel()
	const token = "tok-0123456789abcdef0123456789abcdef"
	for _, tcFirst := range []bool{false, true} {
		name := "cups first"
		if tcFirst {
			name = "tc first"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, nil)
			gw := euiOf(0x31)
			e.addGateway(gw, func(g *store.Gateway) { g.SetToken(token) })
			header := http.Header{"Authorization": {"Bearer " + token}}
			nothing := cups.CredCRC(nil, nil, nil)
			body := requestJSON(gw, ptr(e.uri), ptr(testTCURI), nothing, nothing, "", nil)
			withToken := func() int {
				t.Helper()
				status, _, err := post(t, e.client(nil), e.uri, body, header)
				if err != nil {
					t.Fatal(err)
				}
				return status
			}
			tokenWorks := func(step string, want bool) {
				t.Helper()
				g, err := e.db.GetGateway(ctx, gw)
				if err != nil {
					t.Fatal(err)
				}
				if got := g.TokenMatches(token); got != want {
					t.Errorf("%s: token passes traffic %v, want %v", step, got, want)
				}
				wantStatus := http.StatusOK
				if !want {
					wantStatus = http.StatusUnauthorized
				}
				if got := withToken(); got != wantStatus {
					t.Errorf("%s: CUPS with the token: %d, want %d", step, got, wantStatus)
				}
			}
			tokenWorks("before the rotation", true)
			rot, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			tokenWorks("after rotate", true)
			useCUPS := func() {
				t.Helper()
				cert := tlsCert(t, rot.CUPS)
				if status, _, err := post(t, e.client(&cert), e.uri, body, nil); err != nil || status != http.StatusOK {
					t.Fatalf("CUPS with the new certificate: %d, %v", status, err)
				}
			}
			useTC := func() { e.srv.GatewayConnected(gw, store.CertFingerprint(rot.TC.Cert)) }
			if tcFirst {
				useTC()
				tokenWorks("new TC certificate used", true)
				useCUPS()
			} else {
				useCUPS()
				tokenWorks("new CUPS certificate used", true)
				useTC()
			}
			if c := e.cupsState(gw); c.Rotation != nil {
				t.Fatalf("rotation still pending: %+v", c.Rotation)
			}
			tokenWorks("rotation done", false)
			useCUPS()
			if logs := e.logs.String(); !strings.Contains(logs, "token_revoked=true") || strings.Contains(logs, token) {
				t.Errorf("the revocation is not logged, or the token is:\n%s", logs)
			}
		})
	}
}
