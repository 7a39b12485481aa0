package admin_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// cupsAPI is what the CUPS commands use; the Service and the Client both
// have it.
type cupsAPI interface {
	CUPSStatus(ctx context.Context, eui lorawan.EUI64) (admin.CUPSStatus, error)
	SetCUPS(ctx context.Context, eui lorawan.EUI64, set admin.CUPSSettings) (admin.CUPSGateway, error)
	RotateGateway(ctx context.Context, eui lorawan.EUI64, spec admin.RotateSpec) (admin.Rotation, error)
	CUPSHome(ctx context.Context, eui lorawan.EUI64, spec admin.RotateSpec) (admin.CUPSHome, error)
	AddSigningKey(ctx context.Context, name string) (admin.SigningKey, error)
	ListUpdates(ctx context.Context) (admin.UpdateList, error)
	SignUpdate(ctx context.Context, spec admin.SignSpec, data []byte) (admin.SignedUpdate, error)
}

var (
	_ cupsAPI = (*admin.Service)(nil)
	_ cupsAPI = (*admin.Client)(nil)
)

const cupsGW = "b827ebfffe6151a5"

// cupsStore is a fresh store with gateway cupsGW registered.
func cupsStore(t testing.TB) *store.DB {
	t.Helper()
	db := storetest.Open(t)
	gw, err := lorawan.ParseEUI64(cupsGW)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.PutGateway(context.Background(), store.Gateway{EUI: gw, Region: "EU868"}); err != nil {
		t.Fatal(err)
	}
	return db
}

// newCUPSAPI serves the admin API, with a gateway CA, over a fresh store
// holding gateway cupsGW (maxUpdate 0: the default limit).
func newCUPSAPI(t *testing.T, ca *pki.CA, maxUpdate int64) (*httptest.Server, *admin.Client, *store.DB, *syncBuffer) {
	t.Helper()
	db := cupsStore(t)
	logs := &syncBuffer{}
	h, err := admin.New(db, admin.Options{Token: apiToken, CA: ca, MaxUpdate: maxUpdate,
		Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
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

// updateBytes is an update larger than a JSON request body may be.
func updateBytes(tag string) []byte {
	return bytes.Repeat([]byte("loraedge update "+tag+"\n"), 200<<10/17)
}

// TestCUPSServiceAndClient runs every CUPS method on a Service over a store
// (the CLI with the cloud stopped) and on a Client of the API (the CLI while
// the cloud runs), and checks the same effects and errors on both.
func TestCUPSServiceAndClient(t *testing.T) {
	for _, impl := range []string{"service", "client"} {
		t.Run(impl, func(t *testing.T) {
			ctx := context.Background()
			ca := pkitest.NewCA(t, "test gateway CA")
			var (
				api cupsAPI
				db  *store.DB
			)
			if impl == "service" {
				db = cupsStore(t)
				api = admin.NewService(db, admin.WithCA(func() (*pki.CA, error) { return ca, nil }))
			} else {
				_, api, db, _ = newCUPSAPI(t, ca, 0)
			}
			gw, unknown := eui(t, cupsGW), eui(t, "0102030405060708")

			st, err := api.CUPSStatus(ctx, lorawan.EUI64{})
			if err != nil || len(st.Gateways) != 1 || st.Gateways[0].State != nil || st.Gateways[0].TCCred != "unmanaged" || st.FleetTarget != "" {
				t.Fatalf("status of a fresh store: %+v, %v", st, err)
			}
			if _, err := api.CUPSStatus(ctx, unknown); !errors.Is(err, admin.ErrNotFound) || !strings.Contains(err.Error(), "not registered") {
				t.Errorf("status of an unknown gateway: %v, want ErrNotFound saying not registered", err)
			}

			// Signing keys: made where the store is, only the public half comes back.
			k, err := api.AddSigningKey(ctx, "release")
			if err != nil {
				t.Fatal(err)
			}
			stored, err := db.GetSigningKey(ctx, "release")
			if err != nil {
				t.Fatal(err)
			}
			priv, err := cups.ParseSigningKey(stored.Private)
			if err != nil {
				t.Fatal(err)
			}
			pub, err := cups.PublicKeyFromECDSA(&priv.PublicKey)
			if err != nil || !bytes.Equal(pub[:], k.Public) || k.CRC != crc32.ChecksumIEEE(k.Public) || k.CreatedAt.IsZero() {
				t.Errorf("signing key %+v does not match the stored private key (%v)", k, err)
			}
			for _, tt := range []struct {
				name, key string
				want      error
			}{{"taken", "release", admin.ErrExists}, {"bad name", "a/b", admin.ErrInvalid}, {"empty", "", admin.ErrInvalid}} {
				if _, err := api.AddSigningKey(ctx, tt.key); !errors.Is(err, tt.want) {
					t.Errorf("AddSigningKey %s: %v, want %v", tt.name, err, tt.want)
				}
			}

			// Sign, store, target the fleet.
			data := updateBytes("2.0.0")
			u, err := api.SignUpdate(ctx, admin.SignSpec{Version: "2.0.0", Key: "release"}, data)
			if err != nil {
				t.Fatal(err)
			}
			if u.Size != len(data) || u.KeyCRC != k.CRC || u.Target != admin.TargetFleet || u.SignatureAdded {
				t.Errorf("signed update %+v", u)
			}
			checkStoredUpdate := func(version string, want []byte) {
				t.Helper()
				got, err := db.UpdateData(ctx, version)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("stored bytes of %s differ (%v)", version, err)
				}
				rec, err := db.GetUpdate(ctx, version)
				if err != nil || len(rec.Signatures) != 1 {
					t.Fatalf("update %s: %+v, %v; want one signature", version, rec, err)
				}
				s := rec.Signatures[0]
				if _, err := cups.Verify([]cups.PublicKey{pub}, want, &cups.Signature{KeyCRC: s.KeyCRC, DER: s.DER}); err != nil {
					t.Errorf("stored signature of %s: %v", version, err)
				}
			}
			checkStoredUpdate("2.0.0", data)
			if v, _ := db.FleetTarget(ctx); v != "2.0.0" {
				t.Errorf("fleet target %q, want 2.0.0", v)
			}
			if u, err := api.SignUpdate(ctx, admin.SignSpec{Version: "2.0.0", Key: "release"}, data); err != nil || !u.SignatureAdded {
				t.Errorf("same bytes again: %+v, %v; want the signature added", u, err)
			}
			checkStoredUpdate("2.0.0", data)
			other := updateBytes("other")
			if _, err := api.SignUpdate(ctx, admin.SignSpec{Version: "2.0.0", Key: "release"}, other); !errors.Is(err, admin.ErrExists) {
				t.Errorf("other bytes without replace: %v, want ErrExists", err)
			}
			checkStoredUpdate("2.0.0", data)
			if _, err := api.SignUpdate(ctx, admin.SignSpec{Version: "2.0.0", Key: "release", Replace: true}, other); err != nil {
				t.Errorf("other bytes with replace: %v", err)
			}
			checkStoredUpdate("2.0.0", other)
			u, err = api.SignUpdate(ctx, admin.SignSpec{Version: "2.1.0", Key: "release", Gateways: []lorawan.EUI64{gw}}, data)
			if err != nil || u.Target != admin.TargetGateways || len(u.Gateways) != 1 || u.Gateways[0] != gw {
				t.Errorf("per-gateway target: %+v, %v", u, err)
			}
			if c, err := db.GetCUPSGateway(ctx, gw); err != nil || c.TargetVersion != "2.1.0" {
				t.Errorf("gateway target %q, %v; want 2.1.0", c.TargetVersion, err)
			}
			signErrs := []struct {
				name string
				spec admin.SignSpec
				data []byte
				want error
			}{
				{"unknown key", admin.SignSpec{Version: "3", Key: "nokey"}, data, admin.ErrNotFound},
				{"unknown gateway", admin.SignSpec{Version: "3", Key: "release", Gateways: []lorawan.EUI64{unknown}}, data, admin.ErrNotFound},
				{"no version", admin.SignSpec{Key: "release"}, data, admin.ErrInvalid},
				{"no key", admin.SignSpec{Version: "3"}, data, admin.ErrInvalid},
				{"control character", admin.SignSpec{Version: "3\n", Key: "release"}, data, admin.ErrInvalid},
				{"gateways and no target", admin.SignSpec{Version: "3", Key: "release", NoTarget: true, Gateways: []lorawan.EUI64{gw}}, data, admin.ErrInvalid},
				{"empty", admin.SignSpec{Version: "3", Key: "release"}, nil, admin.ErrInvalid},
			}
			for _, tt := range signErrs {
				if _, err := api.SignUpdate(ctx, tt.spec, tt.data); !errors.Is(err, tt.want) {
					t.Errorf("sign %s: %v, want %v", tt.name, err, tt.want)
				}
			}
			if _, err := db.GetUpdate(ctx, "3"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a refused sign stored update 3: %v", err)
			}
			l, err := api.ListUpdates(ctx)
			if err != nil || len(l.Keys) != 1 || len(l.Updates) != 2 || l.FleetTarget != "2.0.0" || l.Updates[0].SHA256 == "" {
				t.Errorf("update list %+v, %v; want 1 key, 2 updates, fleet 2.0.0", l, err)
			}

			// Desired state.
			g, err := api.SetCUPS(ctx, gw, admin.CUPSSettings{TCURI: "wss://lns.example.com:443", CUPSURI: "https://cups.example.com:443", Target: admin.FleetTarget})
			if err != nil || g.State == nil || g.State.TCURI != "wss://lns.example.com:443" || g.Target != "2.0.0" {
				t.Errorf("set: %+v, %v", g, err)
			}
			if c, _ := db.GetCUPSGateway(ctx, gw); c.CUPSURI != "https://cups.example.com:443" || c.TargetVersion != "" {
				t.Errorf("stored after set: cups uri %q, target %q", c.CUPSURI, c.TargetVersion)
			}
			if _, err := api.SetCUPS(ctx, gw, admin.CUPSSettings{TCURI: admin.DefaultTCURI, CUPSURI: admin.NoCUPSURI}); err != nil {
				t.Error(err)
			}
			if c, _ := db.GetCUPSGateway(ctx, gw); c.CUPSURI != "" || c.TCURI != "" {
				t.Errorf("after default/none: cups uri %q, tc uri %q", c.CUPSURI, c.TCURI)
			}
			setErrs := []struct {
				name string
				eui  lorawan.EUI64
				set  admin.CUPSSettings
				want error
			}{
				{"nothing", gw, admin.CUPSSettings{}, admin.ErrInvalid},
				{"target not stored", gw, admin.CUPSSettings{Target: "9.9"}, admin.ErrInvalid},
				{"tc uri without port", gw, admin.CUPSSettings{TCURI: "wss://h"}, admin.ErrInvalid},
				{"cups uri with a path", gw, admin.CUPSSettings{CUPSURI: "https://h:443/x"}, admin.ErrInvalid},
				{"unknown gateway", unknown, admin.CUPSSettings{Target: admin.FleetTarget}, admin.ErrNotFound},
			}
			for _, tt := range setErrs {
				if _, err := api.SetCUPS(ctx, tt.eui, tt.set); !errors.Is(err, tt.want) {
					t.Errorf("set %s: %v, want %v", tt.name, err, tt.want)
				}
			}

			// Rotation.
			rot, err := api.RotateGateway(ctx, gw, admin.RotateSpec{Days: 30})
			if err != nil {
				t.Fatal(err)
			}
			c, err := db.GetCUPSGateway(ctx, gw)
			if err != nil || c.Rotation == nil || c.TCCred == nil || c.TCCred.Fingerprint != rot.TCFingerprint || c.CUPSCred.Fingerprint != rot.CUPSFingerprint {
				t.Fatalf("stored rotation %+v does not match %+v (%v)", c.Rotation, rot, err)
			}
			if d := time.Until(rot.NotAfter) - 30*24*time.Hour; d > time.Minute || d < -time.Minute || rot.TCPinned || rot.Superseded || rot.CUPSRequested {
				t.Errorf("rotation %+v; want 30 days, unpinned, new, no CUPS request yet", rot)
			}
			home, err := api.CUPSHome(ctx, gw, admin.RotateSpec{CUPSURI: "https://127.0.0.1:6041"})
			if err != nil {
				t.Fatal(err)
			}
			c, _ = db.GetCUPSGateway(ctx, gw)
			if !home.Superseded || home.CUPSURI != "https://127.0.0.1:6041" || c.CUPSURI != home.CUPSURI || !bytes.Equal(c.CUPSCred.Cert, home.CUPS.Cert) {
				t.Errorf("cups home %+v does not match the stored state", home.Rotation)
			}
			if got := cups.CredCRC(home.CUPS.Trust, home.CUPS.Cert, home.CUPS.Key); got != c.CUPSCred.CRC {
				t.Errorf("CRC of the home's credentials %08x, desired %08x", got, c.CUPSCred.CRC)
			}
			key, err := x509.ParseECPrivateKey(home.CUPS.Key)
			if err != nil {
				t.Fatal(err)
			}
			cert, err := x509.ParseCertificate(home.CUPS.Cert)
			if err != nil || !key.PublicKey.Equal(cert.PublicKey.(*ecdsa.PublicKey)) || !bytes.Equal(home.CUPS.Trust, ca.Certificate().Raw) {
				t.Errorf("the home's key, certificate and trust do not belong together (%v)", err)
			}
			rotErrs := []struct {
				name string
				home bool
				eui  lorawan.EUI64
				spec admin.RotateSpec
				want error
			}{
				{"unknown gateway", false, unknown, admin.RotateSpec{}, admin.ErrNotFound},
				{"negative days", false, gw, admin.RotateSpec{Days: -1}, admin.ErrInvalid},
				{"too many days", false, gw, admin.RotateSpec{Days: 1 << 40}, admin.ErrInvalid},
				{"bad tc uri", false, gw, admin.RotateSpec{TCURI: "ws://h"}, admin.ErrInvalid},
				{"home without cups uri", true, gw, admin.RotateSpec{}, admin.ErrInvalid},
				{"home, unknown gateway", true, unknown, admin.RotateSpec{CUPSURI: "https://h:1"}, admin.ErrNotFound},
			}
			for _, tt := range rotErrs {
				var err error
				if tt.home {
					_, err = api.CUPSHome(ctx, tt.eui, tt.spec)
				} else {
					_, err = api.RotateGateway(ctx, tt.eui, tt.spec)
				}
				if !errors.Is(err, tt.want) {
					t.Errorf("rotate %s: %v, want %v", tt.name, err, tt.want)
				}
			}
			if after, _ := db.GetCUPSGateway(ctx, gw); after.CUPSCred.Fingerprint != home.CUPSFingerprint {
				t.Error("a refused rotation changed the stored credentials")
			}

			st, err = api.CUPSStatus(ctx, gw)
			if err != nil || len(st.Gateways) != 1 || st.Gateways[0].State == nil || st.Gateways[0].TCCred != "pending (no request yet)" ||
				len(st.SigningKeys) != 1 || st.FleetTarget != "2.0.0" {
				t.Errorf("status: %+v, %v", st, err)
			}
		})
	}
}

func TestRotateWithoutCA(t *testing.T) {
	svc := admin.NewService(cupsStore(t))
	_, err := svc.RotateGateway(context.Background(), eui(t, cupsGW), admin.RotateSpec{})
	if err == nil || !strings.Contains(err.Error(), "no gateway CA") {
		t.Errorf("rotate without a CA: %v, want an error saying so", err)
	}
	failing := admin.NewService(cupsStore(t), admin.WithCA(func() (*pki.CA, error) { return nil, errors.New("pki: read ca: no such file") }))
	if _, err := failing.CUPSHome(context.Background(), eui(t, cupsGW), admin.RotateSpec{CUPSURI: "https://h:1"}); err == nil || !strings.Contains(err.Error(), "read ca") {
		t.Errorf("rotate with a CA that does not load: %v", err)
	}
}

// rawRequest sends one request with an octet-stream or JSON body; chunked
// hides the body's length.
func rawRequest(t *testing.T, method, url, ctype string, body []byte, chunked bool) (int, string) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
		if chunked {
			r = io.MultiReader(r) // no Len: sent chunked
		}
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
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

func TestCUPSMalformedRequests(t *testing.T) {
	const maxUpdate = 4 << 10
	srv, _, db, _ := newCUPSAPI(t, pkitest.NewCA(t, "test gateway CA"), maxUpdate)
	ctx := context.Background()
	if _, err := admin.NewService(db).AddSigningKey(ctx, "release"); err != nil {
		t.Fatal(err)
	}
	small, big := []byte("update bytes\n"), bytes.Repeat([]byte{'x'}, maxUpdate+1)
	const oct = "application/octet-stream"
	gwPath := "/api/v1/gateways/" + cupsGW
	tests := []struct {
		name, method, path, ctype string
		body                      []byte
		chunked                   bool
		status                    int
		want                      string
	}{
		{"status: bad eui", "GET", "/api/v1/gateways/xyz/cups", "", nil, false, 400, `xyz\" in the path`},
		{"status: zero eui", "GET", "/api/v1/gateways/0000000000000000/cups", "", nil, false, 400, "zero"},
		{"status: unknown gateway", "GET", "/api/v1/gateways/0102030405060708/cups", "", nil, false, 404, "not registered"},
		{"set: nothing", "PATCH", gwPath + "/cups", "", []byte(`{}`), false, 400, "nothing to set"},
		{"set: unknown field", "PATCH", gwPath + "/cups", "", []byte(`{"tcUrl":"wss://h:1"}`), false, 400, `unknown field \"tcUrl\"`},
		{"set: target as a number", "PATCH", gwPath + "/cups", "", []byte(`{"target":2}`), false, 400, "field target: want a json string"},
		{"set: bad tc uri", "PATCH", gwPath + "/cups", "", []byte(`{"tcUri":"http://h:1"}`), false, 400, "tc uri"},
		{"set: target not stored", "PATCH", gwPath + "/cups", "", []byte(`{"target":"9.9"}`), false, 400, "not a stored update"},
		{"set: empty body", "PATCH", gwPath + "/cups", "", nil, false, 400, "empty"},
		{"rotate: negative days", "POST", gwPath + "/rotate", "", []byte(`{"days":-1}`), false, 400, "validity"},
		{"rotate: days too large for a number", "POST", gwPath + "/rotate", "", []byte(`{"days":1e30}`), false, 400, "field days"},
		{"rotate: bad cups uri", "POST", gwPath + "/rotate", "", []byte(`{"cupsUri":"ftp://h:1"}`), false, 400, "cups uri"},
		{"rotate: syntax error", "POST", gwPath + "/rotate", "", []byte(`{"days":`), false, 400, "empty or cut short"},
		{"rotate: unknown gateway", "POST", "/api/v1/gateways/0102030405060708/rotate", "", []byte(`{}`), false, 404, "not registered"},
		{"cups-home: no cups uri", "POST", gwPath + "/cups-home", "", []byte(`{}`), false, 400, "cups uri is required"},
		{"signing key: bad name", "POST", "/api/v1/signing-keys", "", []byte(`{"name":"a b"}`), false, 400, "only letters"},
		{"signing key: taken", "POST", "/api/v1/signing-keys", "", []byte(`{"name":"release"}`), false, 409, "already exists"},
		{"signing key: private key given", "POST", "/api/v1/signing-keys", "", []byte(`{"name":"k","private":"AAAA"}`), false, 400, `unknown field \"private\"`},
		{"sign: no version", "POST", "/api/v1/updates?key=release", oct, small, false, 400, "version is required"},
		{"sign: no key", "POST", "/api/v1/updates?version=2", oct, small, false, 400, "signing key name is required"},
		{"sign: unknown parameter", "POST", "/api/v1/updates?version=2&key=release&target=all", oct, small, false, 400, `\"target\" is unknown`},
		{"sign: version twice", "POST", "/api/v1/updates?version=2&version=3&key=release", oct, small, false, 400, "given 2 times"},
		{"sign: bad boolean", "POST", "/api/v1/updates?version=2&key=release&replace=maybe", oct, small, false, 400, "want true or false"},
		{"sign: bad eui", "POST", "/api/v1/updates?version=2&key=release&eui=12", oct, small, false, 400, "16 hex digits"},
		{"sign: eui and noTarget", "POST", "/api/v1/updates?version=2&key=release&eui=" + cupsGW + "&noTarget=true", oct, small, false, 400, "exclude each other"},
		{"sign: json body", "POST", "/api/v1/updates?version=2&key=release", "application/json", []byte(`{"data":"AAAA"}`), false, 400, "application/octet-stream"},
		{"sign: empty body", "POST", "/api/v1/updates?version=2&key=release", oct, nil, false, 400, "the update is empty"},
		{"sign: too large", "POST", "/api/v1/updates?version=2&key=release", oct, big, false, 413, "larger than"},
		{"sign: too large, chunked", "POST", "/api/v1/updates?version=2&key=release", oct, big, true, 413, "larger than"},
		{"sign: unknown key", "POST", "/api/v1/updates?version=2&key=nokey", oct, small, false, 404, "no signing key"},
		{"sign: unknown gateway", "POST", "/api/v1/updates?version=2&key=release&eui=0102030405060708", oct, small, false, 404, "not registered"},
		{"updates: wrong method", "DELETE", "/api/v1/updates", "", nil, false, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := rawRequest(t, tt.method, srv.URL+tt.path, tt.ctype, tt.body, tt.chunked)
			if status != tt.status {
				t.Fatalf("status %d, want %d: %s", status, tt.status, body)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("body %q, want it to say %q", body, tt.want)
			}
			if status >= 400 && status != 405 {
				var e struct{ Error, Code string }
				if err := json.Unmarshal([]byte(body), &e); err != nil || e.Error == "" || e.Code == "internal" {
					t.Errorf("error answer %q: want a JSON error with a code other than internal (%v)", body, err)
				}
			}
		})
	}
	if us, _ := db.ListUpdates(ctx); len(us) != 0 {
		t.Errorf("refused requests stored %d updates", len(us))
	}
	if c, err := db.GetCUPSGateway(ctx, eui(t, cupsGW)); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("refused requests made CUPS state %+v (%v)", c, err)
	}

	// The one good upload of this API, at its limit.
	status, body := rawRequest(t, "POST", srv.URL+"/api/v1/updates?version=2&key=release&noTarget=true", oct, big[:maxUpdate], true)
	if status != 200 || !strings.Contains(body, `"target": "none"`) {
		t.Errorf("upload of %d bytes, chunked: %d %s", maxUpdate, status, body)
	}
}

// keySpellings are the forms a leaked key could take in an answer or a log.
func keySpellings(keys ...[]byte) []string {
	var out []string
	for _, k := range keys {
		out = append(out, hex.EncodeToString(k), strings.ToUpper(hex.EncodeToString(k)), base64.StdEncoding.EncodeToString(k),
			base64.RawURLEncoding.EncodeToString(k), fmt.Sprint(k))
	}
	return out
}

func TestCUPSAnswersHoldNoKeys(t *testing.T) {
	srv, c, db, logs := newCUPSAPI(t, pkitest.NewCA(t, "test gateway CA"), 0)
	ctx := context.Background()
	gw := eui(t, cupsGW)
	auth := "Bearer " + apiToken
	answers := map[string]string{}
	post := func(path, body string) {
		t.Helper()
		status, b := call(t, "POST", srv.URL+path, auth, body)
		if status != 200 && status != 201 {
			t.Fatalf("POST %s: %d %s", path, status, b)
		}
		answers["POST "+path] = b
	}
	post("/api/v1/signing-keys", `{"name":"release"}`)
	post("/api/v1/gateways/"+cupsGW+"/rotate", `{}`)
	rotated, err := db.GetCUPSGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.SignUpdate(ctx, admin.SignSpec{Version: "1", Key: "release"}, []byte("update")); err != nil {
		t.Fatal(err)
	}
	status, b := call(t, "PATCH", srv.URL+"/api/v1/gateways/"+cupsGW+"/cups", auth, `{"target":"1"}`)
	if status != 200 {
		t.Fatalf("PATCH: %d %s", status, b)
	}
	answers["PATCH"] = b
	for _, path := range []string{"/api/v1/cups", "/api/v1/gateways/" + cupsGW + "/cups", "/api/v1/updates"} {
		status, b := call(t, "GET", srv.URL+path, auth, "")
		if status != 200 {
			t.Fatalf("GET %s: %d %s", path, status, b)
		}
		answers["GET "+path] = b
	}
	sk, err := db.GetSigningKey(ctx, "release")
	if err != nil {
		t.Fatal(err)
	}
	secrets := keySpellings(rotated.TCCred.Key, rotated.CUPSCred.Key, sk.Private)
	for what, body := range answers {
		for _, s := range secrets {
			if strings.Contains(body, s) {
				t.Errorf("%s answer holds a private key:\n%s", what, body)
			}
		}
		if strings.Contains(body, `"key":`) && !strings.Contains(what, "updates") {
			t.Errorf("%s answer has a key field:\n%s", what, body)
		}
	}

	// cups-home hands over the new CUPS key, and only that key.
	status, b = call(t, "POST", srv.URL+"/api/v1/gateways/"+cupsGW+"/cups-home", auth, `{"cupsUri":"https://127.0.0.1:6041"}`)
	if status != 200 {
		t.Fatalf("cups-home: %d %s", status, b)
	}
	homed, err := db.GetCUPSGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b, base64.StdEncoding.EncodeToString(homed.CUPSCred.Key)) {
		t.Error("the cups-home answer lacks the new CUPS key")
	}
	for _, s := range keySpellings(homed.TCCred.Key, rotated.TCCred.Key, rotated.CUPSCred.Key, sk.Private) {
		if strings.Contains(b, s) {
			t.Errorf("the cups-home answer holds another private key:\n%s", b)
		}
	}
	for _, s := range append(secrets, keySpellings(homed.TCCred.Key, homed.CUPSCred.Key)...) {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the server log holds a private key:\n%s", logs.String())
		}
	}
}

func TestPrivateKeyRedactsItself(t *testing.T) {
	k := admin.PrivateKey{0xde, 0xad, 0xbe, 0xef, 0x01, 0x02}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"} {
		for _, v := range []any{k, admin.HomeCredentials{Key: k}, admin.CUPSHome{CUPS: admin.HomeCredentials{Key: k}}} {
			if got := fmt.Sprintf(f, v); strings.Contains(got, "dead") || strings.Contains(got, "DEAD") || strings.Contains(got, "222") {
				t.Errorf("%s of %T = %s", f, v, got)
			}
		}
	}
	var text bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("home", "key", k)
	if !strings.Contains(text.String(), "[redacted]") || strings.Contains(text.String(), "dead") {
		t.Errorf("slog: %s", text.String())
	}
	b, err := json.Marshal(admin.HomeCredentials{Key: k})
	if err != nil || !strings.Contains(string(b), `"key":"3q2+7wEC"`) {
		t.Fatalf("JSON %s, %v; want the key in base64", b, err)
	}
	var back admin.HomeCredentials
	if err := json.Unmarshal(b, &back); err != nil || !bytes.Equal(back.Key, k) {
		t.Errorf("read back %v", err)
	}
	if err := json.Unmarshal([]byte(`{"key":"3q2+7w!!"}`), &back); err == nil || strings.Contains(err.Error(), "3q2") {
		t.Errorf("malformed base64: %v; want an error that does not repeat it", err)
	}
}

// FuzzCUPSRoutes sends arbitrary queries and bodies to the CUPS routes that
// take input: every answer is an answer (no panic), and none is a server
// error, since bad input is the client's.
func FuzzCUPSRoutes(f *testing.F) {
	routes := []struct{ method, path, ctype string }{
		{"POST", "/api/v1/updates", "application/octet-stream"},
		{"PATCH", "/api/v1/gateways/" + cupsGW + "/cups", "application/json"},
		{"POST", "/api/v1/gateways/" + cupsGW + "/rotate", "application/json"},
		{"POST", "/api/v1/gateways/" + cupsGW + "/cups-home", "application/json"},
		{"POST", "/api/v1/signing-keys", "application/json"},
	}
	f.Add(uint8(0), "version=2&key=release", []byte("update"))
	f.Add(uint8(0), "version=2&key=release&eui=b827ebfffe6151a5,0102030405060708&replace=1", []byte{0})
	f.Add(uint8(0), "version=%00&key=..&noTarget=true", []byte("x"))
	f.Add(uint8(1), "", []byte(`{"tcUri":"wss://h:1","cupsUri":"none","target":"fleet"}`))
	f.Add(uint8(2), "", []byte(`{"days":36500,"tcUri":"wss://[::1]:1"}`))
	f.Add(uint8(3), "", []byte(`{"cupsUri":"https://h:1","days":1}`))
	f.Add(uint8(4), "", []byte(`{"name":"k"}`))
	db := cupsStore(f)
	h, err := admin.New(db, admin.Options{Token: apiToken, CA: pkitest.NewCA(f, "test gateway CA"), MaxUpdate: 1 << 10, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := admin.NewService(db).AddSigningKey(context.Background(), "release"); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, route uint8, query string, body []byte) {
		rt := routes[int(route)%len(routes)]
		req := httptest.NewRequest(rt.method, rt.path, bytes.NewReader(body))
		req.URL.RawQuery = query
		req.Header.Set("Authorization", "Bearer "+apiToken)
		req.Header.Set("Content-Type", rt.ctype)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Errorf("%s %s?%q: status %d: %s", rt.method, rt.path, query, rec.Code, rec.Body)
		}
	})
}
