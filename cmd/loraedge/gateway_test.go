package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// Secrets of the admin command tests: distinct, so a leak of any one is
// recognisable.
const (
	tAppKey      = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	tNwkKey      = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	tNwkSKey     = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	tAppSKey     = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	tFNwkSIntKey = "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	tSNwkSIntKey = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
	tNwkSEncKey  = "9091929394959697989999a9b9c9d9e9"
	tGWToken     = "gw-token-0123456789-abcdef"
	tHookSecret  = "Bearer hook-secret-0123456789"
	tAPIToken    = "api-token-0123456789abcdefghij"
)

// adminSecrets lists every secret of these tests in the spellings a leak
// could take: hex in both cases, the token, its SHA-256, the header value.
func adminSecrets() []string {
	var out []string
	for _, h := range []string{tAppKey, tNwkKey, tNwkSKey, tAppSKey, tFNwkSIntKey, tSNwkSIntKey, tNwkSEncKey} {
		out = append(out, h, strings.ToUpper(h))
	}
	var g store.Gateway
	g.SetToken(tGWToken)
	return append(out, tGWToken, tHookSecret, "hook-secret-0123456789", lorawan.AES128Key(g.TokenSHA256[:16]).String(), tAPIToken)
}

func assertNoAdminSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range adminSecrets() {
		if strings.Contains(s, sec) {
			t.Errorf("%s holds secret %q:\n%s", what, sec, s)
		}
	}
}

// noEnvKEK keeps a KEK in the environment from changing where the store is sealed.
func noEnvKEK(t *testing.T) {
	t.Setenv(store.EnvKEK, "")
}

// writeSecret writes a 0600 file holding s and returns its path.
func writeSecret(t *testing.T, name, s string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// mustRun runs the CLI and fails unless it exits 0; it checks that neither
// output holds a secret.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, stdout, stderr := runCLI(t, args...)
	if code != exitOK {
		t.Fatalf("loraedge %s: exit %d: %s", strings.Join(args, " "), code, stderr)
	}
	assertNoAdminSecrets(t, "stdout of "+args[0]+" "+args[1], stdout)
	assertNoAdminSecrets(t, "stderr of "+args[0]+" "+args[1], stderr)
	return stdout
}

// openData opens the store of a data directory as the cloud does; it is
// checked and closed at cleanup (or by the caller).
func openData(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.OpenWithKEKFile(filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { storetest.Close(t, db) })
	return db
}

func mustEUI(t *testing.T, s string) lorawan.EUI64 {
	t.Helper()
	e, err := lorawan.ParseEUI64(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestGatewayCommands(t *testing.T) {
	noEnvKEK(t)
	data := filepath.Join(t.TempDir(), "data")
	tok := writeSecret(t, "tc.key", "Authorization: Bearer "+tGWToken+"\n")

	if code, _, stderr := runCLI(t, "gateway", "list", "--data", data); code != exitFailure || !strings.Contains(stderr, "no store") {
		t.Errorf("list before any add: exit %d, %q; want 1 and 'no store'", code, stderr)
	}
	if _, err := os.Stat(data); err == nil {
		t.Error("list created the data directory")
	}
	out := mustRun(t, "gateway", "add", "--eui", "00-11-22-33-44-55-66-77", "--region", "us915", "--subband", "2", "--name", "roof", "--token-file", tok, "--data", data)
	if !strings.Contains(out, "0011223344556677 added: US915 sub-band 2") || !strings.Contains(out, "token") {
		t.Errorf("add said %q", out)
	}
	if fi, err := os.Stat(filepath.Join(data, store.DefaultKEKFile)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the first add did not create a 0600 KEK file: %v", err)
	}
	mustRun(t, "gateway", "add", "--eui", "b827ebfffe6151a5", "--region", "EU868", "--data", data)

	code, _, stderr := runCLI(t, "gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--data", data)
	if code != exitFailure || !strings.Contains(stderr, "exists already") || !strings.Contains(stderr, "--replace") {
		t.Errorf("duplicate add: exit %d, %q; want 1 and a hint at --replace", code, stderr)
	}

	table := mustRun(t, "gateway", "list", "--data", data)
	for _, want := range []string{"EUI", "0011223344556677  US915", "b827ebfffe6151a5  EU868", "roof"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	js := mustRun(t, "gateway", "list", "--json", "--data", data)
	if !strings.Contains(js, `"tokenAuth": true`) || strings.Contains(js, "tokenSha256") {
		t.Errorf("json listing: want tokenAuth and no token hash:\n%s", js)
	}

	db := openData(t, data)
	g, err := db.GetGateway(context.Background(), mustEUI(t, "0011223344556677"))
	if err != nil || !g.TokenMatches(tGWToken) || g.SubBand != 2 || g.Region != "US915" {
		t.Errorf("stored gateway: %+v, %v; want US915 sub-band 2 and the token of the tc.key file", g, err)
	}
	storetest.Close(t, db)

	mustRun(t, "gateway", "add", "--eui", "0011223344556677", "--region", "AU915", "--subband", "1", "--replace", "--data", data)
	mustRun(t, "gateway", "rm", "--eui", "b827ebfffe6151a5", "--data", data)
	if code, _, stderr := runCLI(t, "gateway", "rm", "--eui", "b827ebfffe6151a5", "--data", data); code != exitFailure || !strings.Contains(stderr, "not found") {
		t.Errorf("second rm: exit %d, %q; want 1, not found", code, stderr)
	}
	db = openData(t, data)
	gs, err := db.ListGateways(context.Background())
	if err != nil || len(gs) != 1 || gs[0].Region != "AU915" || gs[0].SubBand != 1 || len(gs[0].TokenSHA256) != 0 {
		t.Errorf("after replace and rm: %+v, %v; want one AU915 sub-band 1 gateway without token", gs, err)
	}
}

func TestGatewayCommandRefusals(t *testing.T) {
	noEnvKEK(t)
	data := t.TempDir()
	short := writeSecret(t, "short", "tooshort")
	spaced := writeSecret(t, "spaced", "a token with spaces in it")
	empty := writeSecret(t, "empty", "\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no subcommand", []string{"gateway"}, exitUsage, "usage"},
		{"unknown subcommand", []string{"gateway", "del"}, exitUsage, `unknown command "del"`},
		{"no eui", []string{"gateway", "add", "--region", "EU868"}, exitUsage, "--eui is required"},
		{"bad eui", []string{"gateway", "add", "--eui", "00112233", "--region", "EU868"}, exitUsage, "16 hex digits"},
		{"no region", []string{"gateway", "add", "--eui", "0011223344556677"}, exitUsage, "--region is required"},
		{"unknown region", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU999"}, exitUsage, "unknown; want one of EU868"},
		{"sub-band in EU868", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--subband", "2"}, exitUsage, "no sub-bands"},
		{"sub-band 9", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "US915", "--subband", "9"}, exitUsage, "want 1 to 8"},
		{"sub-band not a number", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "US915", "--subband", "two"}, exitUsage, "invalid value"},
		{"missing token file", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--token-file", filepath.Join(data, "none")}, exitUsage, "--token-file"},
		{"empty token file", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--token-file", empty}, exitUsage, "is empty"},
		{"short token", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--token-file", short}, exitUsage, "want 16 to 1024"},
		{"token with spaces", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--token-file", spaced}, exitUsage, "space"},
		{"extra argument", []string{"gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "now"}, exitUsage, `unexpected argument "now"`},
		{"rm without eui", []string{"gateway", "rm"}, exitUsage, "--eui is required"},
		{"list with an argument", []string{"gateway", "list", "all"}, exitUsage, "unexpected argument"},
		{"api without token file", []string{"gateway", "list", "--api", "http://127.0.0.1:1"}, exitUsage, "--api and --api-token-file go together"},
		{"api over plain http to another host", []string{"gateway", "list", "--api", "http://192.0.2.1:6040", "--api-token-file", short}, exitUsage, "loopback"},
		{"bad config", []string{"gateway", "list", "--config", filepath.Join(data, "none.toml")}, exitUsage, "none.toml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			if len(args) > 2 && !strings.HasPrefix(strings.Join(args, " "), "gateway list --api") {
				args = append(args, "--data", data)
			}
			code, stdout, stderr := runCLI(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Errorf("stderr %q does not say %q", stderr, tt.want)
			}
			if strings.Count(strings.TrimSpace(stderr), "\n") > 0 && tt.want != "usage" {
				t.Errorf("want a one-line error, got %q", stderr)
			}
			for _, s := range []string{"tooshort", "a token with spaces"} {
				if strings.Contains(stdout+stderr, s) {
					t.Errorf("output repeats the token %q", s)
				}
			}
		})
	}
	if _, err := os.Stat(filepath.Join(data, store.DefaultDBFile)); err == nil {
		db := openData(t, data)
		if gs, _ := db.ListGateways(context.Background()); len(gs) != 0 {
			t.Errorf("refused commands stored %d gateways", len(gs))
		}
	}
}

// runningCloud stands for a running cloud: it holds the data directory's
// store open (locked) and serves the admin API over it on 127.0.0.1, with
// the endpoint file written as the cloud writes it.
func runningCloud(t *testing.T, data string) (*store.DB, *httptest.Server) {
	t.Helper()
	if err := os.MkdirAll(data, 0o700); err != nil {
		t.Fatal(err)
	}
	db := openData(t, data)
	h, err := admin.New(db, admin.Options{Token: tAPIToken, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	if err := admin.WriteEndpoint(data, admin.Endpoint{URL: srv.URL, Token: tAPIToken}); err != nil {
		t.Fatal(err)
	}
	return db, srv
}

func TestLockedStoreGoesThroughTheAdminAPI(t *testing.T) {
	noEnvKEK(t)
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	db, srv := runningCloud(t, data)

	code, stdout, stderr := runCLI(t, "gateway", "add", "--eui", "0011223344556677", "--region", "EU868",
		"--token-file", writeSecret(t, "tok", tGWToken), "--data", data)
	if code != exitOK {
		t.Fatalf("add with the store locked: exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "admin API at "+srv.URL) {
		t.Errorf("stderr %q does not say the command went through the admin API", stderr)
	}
	assertNoAdminSecrets(t, "output", stdout+stderr)
	g, err := db.GetGateway(ctx, mustEUI(t, "0011223344556677"))
	if err != nil || !g.TokenMatches(tGWToken) {
		t.Errorf("the running cloud's store: %+v, %v; want the gateway with its token", g, err)
	}
	if out := mustRun(t, "gateway", "list", "--data", data); !strings.Contains(out, "0011223344556677") {
		t.Errorf("list through the API: %s", out)
	}

	// The API refuses without the right token.
	bad := writeSecret(t, "bad", "wrong-token-0123456789abc")
	code, _, stderr = runCLI(t, "gateway", "list", "--api", srv.URL, "--api-token-file", bad)
	if code != exitFailure || !strings.Contains(stderr, "unauthorized") {
		t.Errorf("wrong api token: exit %d, %q; want 1, unauthorized", code, stderr)
	}
	if strings.Contains(stderr, "wrong-token") {
		t.Error("the error repeats the token")
	}

	// Locked, with no endpoint announced: a clear failure.
	if err := admin.RemoveEndpoint(data); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = runCLI(t, "gateway", "list", "--data", data)
	if code != exitFailure || !strings.Contains(stderr, "database in use") || !strings.Contains(stderr, admin.EndpointFile) {
		t.Errorf("locked without endpoint: exit %d, %q; want 1 naming the lock and %s", code, stderr, admin.EndpointFile)
	}
	if strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Errorf("want a one-line error, got %q", stderr)
	}
}

// apiArgs are the flags that point a command at the test's admin API.
func apiArgs(t *testing.T, srv *httptest.Server) []string {
	return []string{"--api", srv.URL, "--api-token-file", writeSecret(t, "api-token", tAPIToken+"\n")}
}

func TestResourceCommandsThroughTheAPI(t *testing.T) {
	noEnvKEK(t)
	ctx := context.Background()
	data := filepath.Join(t.TempDir(), "data")
	db, srv := runningCloud(t, data)
	api := apiArgs(t, srv)
	run := func(args ...string) string { t.Helper(); return mustRun(t, append(args, api...)...) }

	run("destination", "add", "hook", "--http", "https://example.com/up", "--header-secret-file", writeSecret(t, "s", tHookSecret))
	run("destination", "add", "up", "--mqtt-topic", "lorawan/{{.WirelessDeviceId}}/up", "--qos", "0")
	run("gateway", "add", "--eui", "0011223344556677", "--region", "EU868", "--token-file", writeSecret(t, "tok", tGWToken))
	run("device", "add", "--deveui", "0102030405060708", "--joineui", "70b3d57ed0000001", "--appkey", tAppKey,
		"--nwkkey", tNwkKey, "--mac", "1.1", "--class", "C", "--destination", "hook")
	run("device", "add", "--deveui", "0102030405060709", "--devaddr", "26011234", "--nwkskey", tNwkSKey,
		"--appskey", tAppSKey, "--mac", "1.0.2", "--region", "EU868", "--destination", "up")

	d, err := db.GetDevice(ctx, mustEUI(t, "0102030405060708"))
	if err != nil || d.RootKeys.NwkKey.String() != tNwkKey || d.RootKeys.AppKey.String() != tAppKey || d.Region != "EU868" || d.Class != "C" {
		t.Errorf("device through the API: %v; want the keys given, EU868 (the gateways' region), class C", err)
	}
	s, err := db.GetSession(ctx, mustEUI(t, "0102030405060709"))
	if err != nil || s.Keys.AppSKey.String() != tAppSKey || s.Keys.NwkSKey().String() != tNwkSKey {
		t.Errorf("abp session through the API: %v", err)
	}
	for _, list := range [][]string{
		{"gateway", "list"}, {"gateway", "list", "--json"}, {"device", "list"}, {"device", "list", "--json"},
		{"destination", "list"}, {"destination", "list", "--json"},
	} {
		out := run(list...)
		if len(strings.TrimSpace(out)) == 0 {
			t.Errorf("%v printed nothing", list)
		}
	}
	code, _, stderr := runCLI(t, append([]string{"destination", "rm", "hook"}, api...)...)
	if code != exitFailure || !strings.Contains(stderr, "still referenced") {
		t.Errorf("rm of a destination in use: exit %d, %q", code, stderr)
	}
	run("device", "rm", "--deveui", "0102030405060708")
	run("destination", "rm", "hook")
	run("gateway", "rm", "--eui", "0011223344556677")
	if ds, _ := db.ListDevices(ctx); len(ds) != 1 {
		t.Errorf("%d devices left, want 1", len(ds))
	}
}

func TestGatewayCertIsRouted(t *testing.T) {
	data, out := t.TempDir(), filepath.Join(t.TempDir(), "station")
	code, stdout, stderr := runCLI(t, "gateway", "cert", "--eui", "b827ebfffe6151a5", "--out", out, "--data", data, "--uri", "wss://lns.example.com:6039")
	if code != exitOK {
		t.Fatalf("gateway cert: exit %d: %s", code, stderr)
	}
	for _, f := range []string{"tc.uri", "tc.trust", "tc.crt", "tc.key"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("gateway cert wrote no %s: %v", f, err)
		}
	}
	if !strings.Contains(stdout, "b827ebfffe6151a5") {
		t.Errorf("stdout %q does not name the gateway", stdout)
	}
}

// TestGatewaySubBandShown: a US915 gateway added without --subband shows
// the sub-band its router_config will carry (the endpoint's default), in
// the add message and the list; a region without sub-bands shows none.
func TestGatewaySubBandShown(t *testing.T) {
	data := t.TempDir()
	out := mustRun(t, "gateway", "add", "--eui", "0011223344556677", "--region", "US915", "--data", data)
	if want := "US915 sub-band 2 (default)"; !strings.Contains(out, want) {
		t.Errorf("add: %q, want %q", out, want)
	}
	mustRun(t, "gateway", "add", "--eui", "0011223344556688", "--region", "AU915", "--subband", "3", "--data", data)
	mustRun(t, "gateway", "add", "--eui", "b827ebfffe6151a5", "--region", "EU868", "--data", data)
	table := mustRun(t, "gateway", "list", "--data", data)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`0011223344556677\s+US915\s+2 \(default\)\s`),
		regexp.MustCompile(`0011223344556688\s+AU915\s+3\s`),
		regexp.MustCompile(`b827ebfffe6151a5\s+EU868\s+-\s`),
	} {
		if !want.MatchString(table) {
			t.Errorf("list lacks %s:\n%s", want, table)
		}
	}
}
