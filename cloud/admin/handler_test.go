package admin_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

const apiToken = "api-token-0123456789abcdefghij"

// syncBuffer is a log sink safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newAPI starts the admin API over a fresh store on 127.0.0.1 and returns
// its server, a client, the store and the log.
func newAPI(t *testing.T) (*httptest.Server, *admin.Client, *store.DB, *syncBuffer) {
	t.Helper()
	db := storetest.Open(t)
	logs := &syncBuffer{}
	h, err := admin.New(db, admin.Options{Token: apiToken, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := admin.NewClient(admin.Endpoint{URL: srv.URL, Token: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, db, logs
}

// call sends one raw request and returns the status and body.
func call(t *testing.T, method, url, auth, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func TestNewRefusesAWeakToken(t *testing.T) {
	for _, tok := range []string{"", "short"} {
		if _, err := admin.New(storetest.Open(t), admin.Options{Token: tok}); err == nil {
			t.Errorf("New with token %q: no error", tok)
		}
	}
}

func TestAuthRefusals(t *testing.T) {
	srv, _, db, logs := newAPI(t)
	if err := db.PutGateway(context.Background(), store.Gateway{EUI: eui(t, "0011223344556677"), Region: "EU868"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, auth, body string
		want                           int
	}{
		{"no header", "GET", "/api/v1/gateways", "", "", 401},
		{"wrong token", "GET", "/api/v1/gateways", "Bearer wrong-token-0123456789abc", "", 401},
		{"token with a suffix", "GET", "/api/v1/gateways", "Bearer " + apiToken + "x", "", 401},
		{"token as basic", "GET", "/api/v1/gateways", "Basic " + apiToken, "", 401},
		{"bare token", "GET", "/api/v1/gateways", apiToken, "", 401},
		{"wrong token on delete", "DELETE", "/api/v1/gateways/0011223344556677", "Bearer nope-nope-nope-nope", "", 401},
		{"wrong token on create", "POST", "/api/v1/destinations", "Bearer nope-nope-nope-nope", `{"name":"x","mqttTopic":"t"}`, 401},
		{"right token", "GET", "/api/v1/gateways", "Bearer " + apiToken, "", 200},
		{"right token, lower-case scheme", "GET", "/api/v1/gateways", "bearer " + apiToken, "", 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, body := call(t, tt.method, srv.URL+tt.path, tt.auth, tt.body)
			if got != tt.want {
				t.Fatalf("status %d, want %d: %s", got, tt.want, body)
			}
			if tt.want == 401 {
				var e struct{ Error, Code string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Code != "unauthorized" {
					t.Errorf("body %q: want code unauthorized (%v)", body, err)
				}
			}
		})
	}
	// Nothing changed behind refused requests.
	if _, err := db.GetGateway(context.Background(), eui(t, "0011223344556677")); err != nil {
		t.Errorf("gateway gone after a refused delete: %v", err)
	}
	if ds, _ := db.ListDestinations(context.Background()); len(ds) != 0 {
		t.Errorf("a refused create stored %d destinations", len(ds))
	}
	if l := logs.String(); !strings.Contains(l, "bearer token missing or wrong") || strings.Contains(l, apiToken) || strings.Contains(l, "wrong-token") {
		t.Errorf("log should note refusals without any token:\n%s", l)
	}

	c, err := admin.NewClient(admin.Endpoint{URL: srv.URL, Token: "wrong-token-0123456789abc"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListGateways(context.Background()); !errors.Is(err, admin.ErrUnauthorized) {
		t.Errorf("client with a wrong token: err = %v, want ErrUnauthorized", err)
	}
}

func TestPlainHTTPFromAnotherHostRefused(t *testing.T) {
	h, err := admin.New(storetest.Open(t), admin.Options{Token: apiToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, remote string
		tls          bool
		want         int
	}{
		{"loopback v4", "127.0.0.1:4000", false, 200},
		{"loopback v6", "[::1]:4000", false, 200},
		{"remote", "192.0.2.7:4000", false, 403},
		{"remote over tls", "192.0.2.7:4000", true, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/api/v1/devices", nil)
			req.RemoteAddr = tt.remote
			req.Header.Set("Authorization", "Bearer "+apiToken)
			if tt.tls {
				req.TLS = &tls.ConnectionState{}
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d: %s", rec.Code, tt.want, rec.Body)
			}
		})
	}
}

func TestClientRoundTrip(t *testing.T) {
	ctx := context.Background()
	_, c, db, logs := newAPI(t)

	if _, err := c.AddDestination(ctx, admin.DestinationSpec{Name: "up", MQTTTopic: "lorawan/{{.DevEui}}/up", QoS: u8(2)}, false); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddDestination(ctx, admin.DestinationSpec{Name: "hook", HTTPURL: "https://example.com/up", HTTPHeader: "X-Key", HTTPSecret: headerSecret}, false); err != nil {
		t.Fatal(err)
	}
	g, err := c.AddGateway(ctx, admin.GatewaySpec{EUI: eui(t, "0011223344556677"), Region: "US915", SubBand: 2, Token: gatewayToken}, false)
	if err != nil {
		t.Fatal(err)
	}
	if g.Region != "US915" || g.SubBand != 2 || !g.TokenAuth {
		t.Errorf("created gateway %+v", g)
	}
	spec := otaa10(t)
	spec.Destination = "hook"
	if _, err := c.AddDevice(ctx, spec, false); err != nil {
		t.Fatal(err)
	}
	abp := admin.DeviceSpec{DevEUI: eui(t, "0102030405060709"), DevAddr: devAddr(t, "26011234"), MACVersion: "1.1",
		Region: "EU868", Destination: "up", FNwkSIntKey: key(t, fNwkSIntKeyHex), SNwkSIntKey: key(t, sNwkSIntKeyHex),
		NwkSEncKey: key(t, nwkSEncKeyHex), AppSKey: key(t, appSKeyHex)}
	if _, err := c.AddDevice(ctx, abp, false); err != nil {
		t.Fatal(err)
	}

	// What went through HTTP is in the store, keys included.
	d, err := db.GetDevice(ctx, spec.DevEUI)
	if err != nil || d.RootKeys.AppKey != aes(t, appKeyHex) || d.Destination != "hook" {
		t.Errorf("stored device: %v; want the AppKey sent and destination hook", err)
	}
	d2, err := db.GetDevice(ctx, abp.DevEUI)
	if err != nil || d2.ABPKeys.NwkSEncKey != aes(t, nwkSEncKeyHex) || d2.ABPKeys.SNwkSIntKey != aes(t, sNwkSIntKeyHex) {
		t.Errorf("stored abp device: %v; want the session keys sent", err)
	}
	if rec, _ := db.GetGateway(ctx, g.EUI); !rec.TokenMatches(gatewayToken) {
		t.Error("stored gateway token does not match")
	}
	if rec, _ := db.GetDestination(ctx, "hook"); string(rec.HTTPSecret) != headerSecret || rec.HTTPHeader != "X-Key" {
		t.Error("stored destination secret or header differs")
	}

	// Errors come back as the sentinels.
	errTests := []struct {
		name string
		call func() error
		want error
	}{
		{"duplicate gateway", func() error {
			_, err := c.AddGateway(ctx, admin.GatewaySpec{EUI: g.EUI, Region: "EU868"}, false)
			return err
		}, admin.ErrExists},
		{"duplicate device", func() error { _, err := c.AddDevice(ctx, spec, false); return err }, admin.ErrExists},
		{"duplicate destination", func() error {
			_, err := c.AddDestination(ctx, admin.DestinationSpec{Name: "up", MQTTTopic: "x"}, false)
			return err
		}, admin.ErrExists},
		{"invalid device", func() error {
			s := spec
			s.MACVersion = "2.0"
			_, err := c.AddDevice(ctx, s, true)
			return err
		}, admin.ErrInvalid},
		{"missing gateway", func() error { return c.DeleteGateway(ctx, eui(t, "0000000000000099")) }, admin.ErrNotFound},
		{"missing device", func() error { _, err := c.GetDevice(ctx, eui(t, "0000000000000099")); return err }, admin.ErrNotFound},
		{"missing destination", func() error { return c.DeleteDestination(ctx, "nope") }, admin.ErrNotFound},
		{"destination in use", func() error { return c.DeleteDestination(ctx, "hook") }, admin.ErrInUse},
	}
	for _, tt := range errTests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.call(); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}

	// Replace through PUT.
	r, err := c.AddGateway(ctx, admin.GatewaySpec{EUI: g.EUI, Region: "EU868"}, true)
	if err != nil || r.Region != "EU868" || r.TokenAuth {
		t.Errorf("replace gateway: %+v, %v; want EU868 without token", r, err)
	}
	spec.Class = "C"
	if dv, err := c.AddDevice(ctx, spec, true); err != nil || dv.Class != "C" {
		t.Errorf("replace device: %+v, %v; want class C", dv, err)
	}
	if dv, err := c.AddDestination(ctx, admin.DestinationSpec{Name: "up", MQTTTopic: "v2/{{.DevEui}}"}, true); err != nil || dv.MQTTTopic != "v2/{{.DevEui}}" {
		t.Errorf("replace destination: %+v, %v", dv, err)
	}

	gs, err := c.ListGateways(ctx)
	if err != nil || len(gs) != 1 {
		t.Errorf("gateways: %d, %v; want 1", len(gs), err)
	}
	ds, err := c.ListDevices(ctx)
	if err != nil || len(ds) != 2 || ds[1].Activation != admin.ActivationABP || ds[1].DevAddr == nil || ds[1].DevAddr.String() != "26011234" {
		t.Errorf("devices: %+v, %v; want 2, the second ABP at 26011234", ds, err)
	}
	dests, err := c.ListDestinations(ctx)
	if err != nil || len(dests) != 2 || dests[0].Name != "hook" || !dests[0].HasSecret {
		t.Errorf("destinations: %+v, %v; want hook (with a secret) and up", dests, err)
	}

	for _, d := range ds {
		if err := c.DeleteDevice(ctx, d.DevEUI); err != nil {
			t.Errorf("delete device %s: %v", d.DevEUI, err)
		}
	}
	if err := c.DeleteDestination(ctx, "hook"); err != nil {
		t.Errorf("delete destination: %v", err)
	}
	if err := c.DeleteGateway(ctx, g.EUI); err != nil {
		t.Errorf("delete gateway: %v", err)
	}
	assertNoSecrets(t, "server log", logs.String())
}

func TestResponsesHoldNoSecrets(t *testing.T) {
	srv, _, _, logs := newAPI(t)
	auth := "Bearer " + apiToken
	creates := []struct{ path, body string }{
		{"/api/v1/destinations", `{"name":"hook","httpUrl":"https://example.com/up","httpSecret":"` + headerSecret + `"}`},
		{"/api/v1/gateways", `{"eui":"0011223344556677","region":"EU868","token":"` + gatewayToken + `"}`},
		{"/api/v1/devices", `{"devEui":"0102030405060708","joinEui":"0000000000000001","macVersion":"1.1","region":"EU868","destination":"hook","appKey":"` + appKeyHex + `","nwkKey":"` + nwkKeyHex + `"}`},
		{"/api/v1/devices", `{"devEui":"0102030405060709","devAddr":"26000001","macVersion":"1.0.2","region":"EU868","destination":"hook","nwkSKey":"` + nwkSKeyHex + `","appSKey":"` + appSKeyHex + `"}`},
	}
	for _, c := range creates {
		status, body := call(t, "POST", srv.URL+c.path, auth, c.body)
		if status != http.StatusCreated {
			t.Fatalf("POST %s: %d %s", c.path, status, body)
		}
		assertNoSecrets(t, "POST "+c.path+" answer", body)
	}
	for _, path := range []string{
		"/api/v1/gateways", "/api/v1/devices", "/api/v1/destinations",
		"/api/v1/gateways/0011223344556677", "/api/v1/devices/0102030405060708", "/api/v1/devices/0102030405060709",
		"/api/v1/destinations/hook",
	} {
		status, body := call(t, "GET", srv.URL+path, auth, "")
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		assertNoSecrets(t, "GET "+path, body)
		if strings.Contains(body, "tokenSha256") || strings.Contains(strings.ToLower(body), "redacted") {
			t.Errorf("GET %s shows a token hash or a redacted key field:\n%s", path, body)
		}
	}
	assertNoSecrets(t, "server log", logs.String())
}

func TestMalformedRequests(t *testing.T) {
	srv, _, db, _ := newAPI(t)
	if err := db.PutDestination(context.Background(), store.Destination{Name: "up", Kind: store.KindMQTT, MQTTTopic: "x"}); err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + apiToken
	// A key one digit short, which must not come back in the error.
	shortKey := appKeyHex[:31]
	dev := func(extra string) string {
		return `{"devEui":"0102030405060708","joinEui":"0000000000000001","macVersion":"1.0.3","region":"EU868","destination":"up"` + extra + `}`
	}
	tests := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"short key", "POST", "/api/v1/devices", dev(`,"appKey":"` + shortKey + `"`), 400, "a key is malformed"},
		{"key with a non-hex digit", "POST", "/api/v1/devices", dev(`,"appKey":"` + appKeyHex[:31] + `g"`), 400, "a key is malformed"},
		{"key as a number", "POST", "/api/v1/devices", dev(`,"appKey":12345`), 400, "field appKey: want a json string"},
		{"key where the deveui goes", "POST", "/api/v1/devices", `{"devEui":"` + appKeyHex + `"}`, 400, "eui or devaddr is malformed"},
		{"unknown field", "POST", "/api/v1/devices", dev(`,"appKeys":"` + appKeyHex + `"`), 400, `unknown field \"appKeys\"`},
		{"syntax error", "POST", "/api/v1/devices", `{"appKey": ` + appKeyHex + `}`, 400, "malformed json"},
		{"wrong type", "POST", "/api/v1/gateways", `{"eui":"0011223344556677","region":"EU868","subBand":"2"}`, 400, "field subBand: want a json number"},
		{"two objects", "POST", "/api/v1/destinations", `{"name":"a","mqttTopic":"x"}{}`, 400, "want one json object"},
		{"empty body", "POST", "/api/v1/gateways", "", 400, "empty"},
		{"bad eui in the path", "GET", "/api/v1/gateways/xyz", "", 400, `xyz\" in the path`},
		{"path and body differ", "PUT", "/api/v1/gateways/0011223344556677", `{"eui":"0011223344556678","region":"EU868"}`, 400, "differs"},
		{"oversized body", "POST", "/api/v1/destinations", `{"name":"a","description":"` + strings.Repeat("x", 70<<10) + `"}`, 413, "larger than"},
		{"no such route", "GET", "/api/v1/sessions", "", 404, ""},
		{"wrong method", "PATCH", "/api/v1/gateways", "", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := call(t, tt.method, srv.URL+tt.path, auth, tt.body)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("body %q, want it to say %q", body, tt.want)
			}
			assertNoSecrets(t, "error answer", body)
			if strings.Contains(body, shortKey) {
				t.Errorf("error answer repeats the malformed key: %s", body)
			}
		})
	}
	if ds, _ := db.ListDevices(context.Background()); len(ds) != 0 {
		t.Errorf("malformed requests stored %d devices", len(ds))
	}
}

func TestMountOnASharedMux(t *testing.T) {
	h, err := admin.New(storetest.Open(t), admin.Options{Token: apiToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	for _, p := range h.Routes() {
		mux.Handle(p, h)
	}
	// Another API's routes under the same prefix do not conflict.
	mux.HandleFunc("POST /api/v1/devices/{id}/downlinks", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusAccepted) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	if st, body := call(t, "GET", srv.URL+"/api/v1/destinations", "Bearer "+apiToken, ""); st != 200 || !strings.Contains(body, `"destinations"`) {
		t.Errorf("mounted list: %d %s", st, body)
	}
	if st, _ := call(t, "POST", srv.URL+"/api/v1/devices/0102030405060708/downlinks", "", ""); st != http.StatusAccepted {
		t.Errorf("the other API's route: status %d, want 202", st)
	}
}

func TestClientOverTLS(t *testing.T) {
	h, err := admin.New(storetest.Open(t), admin.Options{Token: apiToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake below
	srv.StartTLS()
	defer srv.Close()
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := admin.NewClient(admin.Endpoint{URL: srv.URL, Token: apiToken, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListGateways(context.Background()); err != nil {
		t.Errorf("https with the server's CA: %v", err)
	}
	untrusting, err := admin.NewClient(admin.Endpoint{URL: srv.URL, Token: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := untrusting.ListGateways(context.Background()); err == nil {
		t.Error("https without the server's CA: no error")
	}
}

func TestConcurrentCreatesOneWins(t *testing.T) {
	_, c, db, _ := newAPI(t)
	const n = 8
	gw := eui(t, "0011223344556677")
	errs := make(chan error, n)
	var start sync.WaitGroup
	start.Add(1)
	for i := range n {
		go func() {
			start.Wait()
			_, err := c.AddGateway(context.Background(), admin.GatewaySpec{EUI: gw, Region: "EU868", Name: string(rune('a' + i))}, false)
			errs <- err
		}()
	}
	start.Done()
	created := 0
	for range n {
		switch err := <-errs; {
		case err == nil:
			created++
		case !errors.Is(err, admin.ErrExists):
			t.Errorf("err = %v, want nil or ErrExists", err)
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent creates succeeded, want 1", created)
	}
	if gs, _ := db.ListGateways(context.Background()); len(gs) != 1 {
		t.Errorf("%d gateways stored, want 1", len(gs))
	}
}

// TestAPIRefusesABPOutsideNetID: the running cloud's admin API applies the
// cloud's NetID filter (Options.NetIDFilter) as the Service does.
func TestAPIRefusesABPOutsideNetID(t *testing.T) {
	db := storetest.Open(t)
	if err := db.PutDestination(context.Background(), store.Destination{Name: "up", Kind: store.KindMQTT, MQTTTopic: "lorawan/up"}); err != nil {
		t.Fatal(err)
	}
	h, err := admin.New(db, admin.Options{Token: apiToken, Logger: slog.New(slog.DiscardHandler), NetIDFilter: []lorawan.NetID{{0, 0, 0}}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := admin.NewClient(admin.Endpoint{URL: srv.URL, Token: apiToken})
	if err != nil {
		t.Fatal(err)
	}
	k, _ := admin.ParseKey("000102030405060708090a0b0c0d0e0f")
	addr := lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda}
	spec := admin.DeviceSpec{DevEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, DevAddr: &addr, MACVersion: "1.0.3",
		Region: "EU868", Destination: "up", NwkSKey: &k, AppSKey: &k}
	if _, err := c.AddDevice(context.Background(), spec, false); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "01ffffff") {
		t.Errorf("AddDevice outside the NetID: %v, want ErrInvalid naming the block", err)
	}
	addr = lorawan.DevAddr{0x01, 0x01, 0x1b, 0xda}
	if _, err := c.AddDevice(context.Background(), spec, false); err != nil {
		t.Errorf("AddDevice inside the NetID: %v", err)
	}
}
