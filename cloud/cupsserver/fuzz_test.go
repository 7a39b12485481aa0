package cupsserver_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

// FuzzUpdateInfo sends arbitrary bodies to the handler as a gateway
// authenticated by its token: the answer is a refusal with a 4xx status or
// an update-info body Station can read, never a panic or a server error.
func FuzzUpdateInfo(f *testing.F) {
	const token = "fuzz-token-0123456789"
	e := newEnv(f, nil)
	gw := euiOf(1)
	e.addGateway(gw, func(g *store.Gateway) { g.SetToken(token) })
	e.setCUPS(gw, func(_ *store.Gateway, c *store.CUPSGateway) {
		c.CUPSURI = "https://cups.example.com:6041"
		c.TCCred = storedSet(cups.Credentials{Trust: e.ca.Certificate().Raw, Token: "Authorization: Bearer tc"})
	})
	h := e.srv.HTTPHandler()
	f.Add(requestJSON(gw, nil, nil, 0, 0, "1.0", []uint32{1}))
	f.Add(requestJSON(gw, ptr("https://cups.example.com:6041"), ptr(testTCURI), 0, 0, "", nil))
	f.Add(`{"router":"b827:ebff:fe61:5101","cupsUri":"x","tcUri":null,"cupsCredCrc":-1,"tcCredCrc":1e3,"keys":[1,2]}`)
	f.Add(`{"router":1}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/update-info", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		switch {
		case rec.Code == http.StatusOK:
			var r cups.UpdateInfoResponse
			if err := r.UnmarshalBinary(rec.Body.Bytes()); err != nil {
				t.Errorf("200 with an answer Station cannot read: %v", err)
			}
		case rec.Code < 400 || rec.Code >= 500:
			t.Errorf("status %d for body %q", rec.Code, body)
		}
	})
}
