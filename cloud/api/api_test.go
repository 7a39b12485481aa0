package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/api"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

const token = "0123456789abcdef-test-token"

var (
	devA = lorawan.EUI64{0x00, 0x04, 0xa3, 0x0b, 0, 0, 0, 1}
	devB = lorawan.EUI64{0x00, 0x04, 0xa3, 0x0b, 0, 0, 0, 2}
)

// noSender refuses everything: the test devices are Class A, so nothing
// is ever sent.
type noSender struct{}

func (noSender) Send(context.Context, lorawan.EUI64, station.Message) error {
	return fmt.Errorf("test: nothing should be sent")
}

// logBuf collects log output.
type logBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuf) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// env is an API served on 127.0.0.1 over a scheduler and a real store.
type env struct {
	base string
	logs *logBuf
	db   *store.DB
}

func newEnv(t *testing.T, sopts *store.Options, health func(context.Context) error) *env {
	t.Helper()
	db, _, _ := storetest.OpenKEK(t, sopts)
	ctx := context.Background()
	for _, eui := range []lorawan.EUI64{devA, devB} {
		err := db.PutDevice(ctx, store.Device{DevEUI: eui, MACVersion: "1.0.3", Class: store.ClassA, Region: "EU868",
			RootKeys: store.RootKeys{AppKey: lorawan.AES128Key{1}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	logs := &logBuf{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sched, err := downlink.New(db, noSender{}, downlink.Options{Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sched.Close() })
	srv, err := api.New(sched, api.Options{Token: token, Logger: log, Health: health})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(sctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return &env{base: "http://" + ln.Addr().String(), logs: logs, db: db}
}

// do sends a request with the given Authorization header ("" for none) and
// returns the status and body.
func (e *env) do(t *testing.T, method, path, auth, body string) (int, string) {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, r)
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
	if ct := resp.Header.Get("Content-Type"); len(b) > 0 && ct != "application/json" {
		t.Errorf("%s %s: Content-Type %q, want application/json", method, path, ct)
	}
	return resp.StatusCode, string(b)
}

const bearer = "Bearer " + token

func downlinks(devEUI lorawan.EUI64) string {
	return "/api/v1/devices/" + devEUI.String() + "/downlinks"
}

func TestAuth(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	cases := []struct {
		name   string
		method string
		path   string
		auth   string
		want   int
	}{
		{"no token", http.MethodGet, downlinks(devA), "", http.StatusUnauthorized},
		{"wrong token", http.MethodGet, downlinks(devA), "Bearer not-the-token-at-all", http.StatusUnauthorized},
		{"token prefix", http.MethodGet, downlinks(devA), "Bearer " + token[:len(token)-1], http.StatusUnauthorized},
		{"token with suffix", http.MethodGet, downlinks(devA), bearer + "x", http.StatusUnauthorized},
		{"basic scheme", http.MethodGet, downlinks(devA), "Basic " + token, http.StatusUnauthorized},
		{"bare token", http.MethodGet, downlinks(devA), token, http.StatusUnauthorized},
		{"no token on POST", http.MethodPost, downlinks(devA), "", http.StatusUnauthorized},
		{"no token on DELETE", http.MethodDelete, downlinks(devA) + "/1", "", http.StatusUnauthorized},
		{"no token on unknown path", http.MethodGet, "/api/v1/nothing", "", http.StatusUnauthorized},
		{"right token", http.MethodGet, downlinks(devA), bearer, http.StatusOK},
		{"lower-case scheme", http.MethodGet, downlinks(devA), "bearer " + token, http.StatusOK},
		{"unknown path with token", http.MethodGet, "/api/v1/nothing", bearer, http.StatusNotFound},
		{"healthz without token", http.MethodGet, "/healthz", "", http.StatusOK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, tc.auth, "")
			if status != tc.want {
				t.Errorf("status %d (%s), want %d", status, body, tc.want)
			}
			if strings.Contains(body, token) {
				t.Errorf("body echoes the token: %s", body)
			}
		})
	}
	if strings.Contains(e.logs.String(), token) {
		t.Error("the token reached the logs")
	}
	if !strings.Contains(e.logs.String(), "missing or wrong token") {
		t.Error("refusals not logged")
	}
}

type item struct {
	ID          string
	FPort       int
	PayloadData string
	Confirmed   bool
	Attempts    int
}

func list(t *testing.T, e *env, dev lorawan.EUI64) []item {
	t.Helper()
	status, body := e.do(t, http.MethodGet, downlinks(dev), bearer, "")
	if status != http.StatusOK {
		t.Fatalf("list: %d %s", status, body)
	}
	var out struct{ Downlinks []item }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatalf("list body %s: %v", body, err)
	}
	return out.Downlinks
}

func TestEnqueueListDelete(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	var ids []string
	for _, body := range []string{
		`{"FPort":2,"PayloadData":"AQID","Confirmed":true}`,
		`{"FPort":3,"PayloadData":"BAU="}`,
		`{"FPort":4,"PayloadData":""}`,
	} {
		status, resp := e.do(t, http.MethodPost, downlinks(devA), bearer, body)
		if status != http.StatusAccepted {
			t.Fatalf("POST %s: %d %s", body, status, resp)
		}
		var out struct{ ID string }
		if err := json.Unmarshal([]byte(resp), &out); err != nil || out.ID == "" {
			t.Fatalf("POST answer %s: %v", resp, err)
		}
		ids = append(ids, out.ID)
	}
	want := []item{
		{ids[0], 2, "AQID", true, 0},
		{ids[1], 3, "BAU=", false, 0},
		{ids[2], 4, "", false, 0},
	}
	if got := list(t, e, devA); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("list %+v, want %+v", got, want)
	}
	if got := list(t, e, devB); len(got) != 0 {
		t.Errorf("other device's list %+v, want empty", got)
	}

	if status, body := e.do(t, http.MethodDelete, downlinks(devA)+"/"+ids[1], bearer, ""); status != http.StatusNoContent {
		t.Fatalf("DELETE one: %d %s", status, body)
	}
	if status, _ := e.do(t, http.MethodDelete, downlinks(devA)+"/"+ids[1], bearer, ""); status != http.StatusNotFound {
		t.Errorf("DELETE again: %d, want 404", status)
	}
	if got := list(t, e, devA); len(got) != 2 || got[0].ID != ids[0] || got[1].ID != ids[2] {
		t.Fatalf("list after delete %+v", got)
	}
	status, body := e.do(t, http.MethodDelete, downlinks(devA), bearer, "")
	if status != http.StatusOK || strings.TrimSpace(body) != `{"deleted":2}` {
		t.Fatalf("DELETE all: %d %s, want 200 {\"deleted\":2}", status, body)
	}
	if got := list(t, e, devA); len(got) != 0 {
		t.Errorf("list after clear %+v, want empty", got)
	}
	// The store holds what the API says.
	if l, err := e.db.ListDownlinks(context.Background(), devA); err != nil || len(l) != 0 {
		t.Errorf("store queue %v %v, want empty", l, err)
	}
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t, &store.Options{MaxQueue: 1}, nil)
	unknown := lorawan.EUI64{0xde, 0xad, 0, 0, 0, 0, 0, 1}
	cases := []struct {
		name    string
		method  string
		path    string
		body    string
		want    int
		message string // in the error
	}{
		{"not JSON", http.MethodPost, downlinks(devA), `FPort=2`, 400, "invalid downlink request"},
		{"no FPort", http.MethodPost, downlinks(devA), `{"PayloadData":"AQID"}`, 400, "FPort missing"},
		{"FPort 0", http.MethodPost, downlinks(devA), `{"FPort":0,"PayloadData":"AQID"}`, 400, "FPort 0, want 1..223"},
		{"FPort 224", http.MethodPost, downlinks(devA), `{"FPort":224,"PayloadData":"AQID"}`, 400, "FPort 224"},
		{"bad base64", http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":"***"}`, 400, "not standard base64"},
		{"unknown member", http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":"","Priority":1}`, 400, "unknown field"},
		{"trailing data", http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":""} {}`, 400, "data after the JSON object"},
		{"too long payload", http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":"` + strings.Repeat("A", 400) + `"}`, 400, "PayloadData"},
		{"huge body", http.MethodPost, downlinks(devA), strings.Repeat(" ", 5000), 400, "more than 4096 bytes"},
		{"bad devEui", http.MethodPost, "/api/v1/devices/xyz/downlinks", `{"FPort":1,"PayloadData":""}`, 400, "devEui: want 16 hex digits"},
		{"unknown device POST", http.MethodPost, downlinks(unknown), `{"FPort":1,"PayloadData":""}`, 404, "not found"},
		{"unknown device GET", http.MethodGet, downlinks(unknown), "", 404, "not found"},
		{"unknown device DELETE", http.MethodDelete, downlinks(unknown), "", 404, "not found"},
		{"bad id", http.MethodDelete, downlinks(devA) + "/abc", "", 400, "id: want a positive decimal number"},
		{"zero id", http.MethodDelete, downlinks(devA) + "/0", "", 400, "id: want a positive decimal number"},
		{"fills the queue", http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":""}`, 202, ""},
		{"queue full", http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":""}`, 429, "queue full"},
		{"wrong method", http.MethodPut, downlinks(devA), `{}`, 405, "method not allowed"},
		{"wrong method on an item", http.MethodGet, downlinks(devA) + "/1", "", 405, "method not allowed"},
		{"unknown path", http.MethodGet, "/api/v1/devices", "", 404, "no such endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := e.do(t, tc.method, tc.path, bearer, tc.body)
			if status != tc.want {
				t.Fatalf("status %d (%s), want %d", status, body, tc.want)
			}
			if tc.message == "" {
				return
			}
			var out struct{ Error string }
			if err := json.Unmarshal([]byte(body), &out); err != nil {
				t.Fatalf("body %s: %v", body, err)
			}
			if !strings.Contains(out.Error, tc.message) {
				t.Errorf("error %q, want it to say %q", out.Error, tc.message)
			}
		})
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var fail error
	e := newEnv(t, nil, func(context.Context) error {
		mu.Lock()
		defer mu.Unlock()
		return fail
	})
	if status, body := e.do(t, http.MethodGet, "/healthz", "", ""); status != 200 || strings.TrimSpace(body) != `{"status":"ok"}` {
		t.Errorf("healthz %d %s, want 200 ok", status, body)
	}
	mu.Lock()
	fail = fmt.Errorf("store closed")
	mu.Unlock()
	if status, body := e.do(t, http.MethodGet, "/healthz", "", ""); status != 503 || strings.Contains(body, "store closed") {
		t.Errorf("healthz %d %s, want 503 without the cause", status, body)
	}
}

func TestNewRefusesShortToken(t *testing.T) {
	if _, err := api.New(nil, api.Options{Token: token}); err == nil {
		t.Error("New accepted a nil queue")
	}
	db := storetest.Open(t)
	sched, err := downlink.New(db, noSender{}, downlink.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Close()
	_, err = api.New(sched, api.Options{Token: "short-secret"})
	if err == nil {
		t.Fatal("New accepted a 12-character token")
	}
	if strings.Contains(err.Error(), "short-secret") {
		t.Errorf("error echoes the token: %v", err)
	}
}

func TestLoadOrCreateToken(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, api.DefaultTokenFile)
	tok, err := api.LoadOrCreateToken(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(tok) != 64 {
		t.Errorf("token of %d characters, want 64", len(tok))
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token file mode %v, want 0600", fi.Mode().Perm())
	}
	again, err := api.LoadOrCreateToken(path)
	if err != nil || again != tok {
		t.Errorf("second load: %v, same token %v", err, again == tok)
	}
	entries, err := os.ReadDir(dir)
	if err != nil || len(entries) != 1 {
		t.Errorf("data dir holds %d entries (%v), want only the token file", len(entries), err)
	}

	// Concurrent first starts agree.
	path2 := filepath.Join(dir, "race")
	var wg sync.WaitGroup
	toks := make([]string, 8)
	for i := range toks {
		wg.Go(func() {
			var err error
			if toks[i], err = api.LoadOrCreateToken(path2); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	for _, tk := range toks[1:] {
		if tk != toks[0] {
			t.Fatal("racing creators ended with different tokens")
		}
	}

	cases := []struct {
		name    string
		content string
		mode    os.FileMode
		want    string
	}{
		{"readable by others", strings.Repeat("a", 32), 0o644, "permissions too open"},
		{"too short", "short", 0o600, "at least 16 characters"},
		{"two tokens", strings.Repeat("a", 20) + " " + strings.Repeat("b", 20), 0o600, "want one token"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, fmt.Sprintf("token-%d", i))
			if err := os.WriteFile(p, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := api.LoadOrCreateToken(p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.content) {
				t.Errorf("error echoes the file's content: %v", err)
			}
		})
	}
}

// The listing shows the attempts of a transmitted confirmed downlink.
func TestListShowsAttempts(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil, nil)
	ctx := context.Background()
	id, err := e.db.Enqueue(ctx, devA, store.Downlink{FPort: 9, Payload: []byte{9}, Confirmed: true, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.UpdateDownlink(ctx, devA, store.Downlink{ID: id, FPort: 9, Payload: []byte{9}, Confirmed: true,
		Attempts: 2, FCnt: 77, LastAttempt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	_, body := e.do(t, http.MethodGet, downlinks(devA), bearer, "")
	if !strings.Contains(body, `"Attempts":2`) || !strings.Contains(body, `"FCnt":77`) || !strings.Contains(body, `"LastAttempt":`) {
		t.Errorf("list %s, want Attempts 2, FCnt 77 and LastAttempt", body)
	}
}

// Mounted beside another API on a shared mux, the routes still work.
func TestRoutesOnSharedMux(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	if err := db.PutDevice(context.Background(), store.Device{DevEUI: devA, MACVersion: "1.0.3", Class: store.ClassA,
		Region: "EU868", RootKeys: store.RootKeys{AppKey: lorawan.AES128Key{1}}}); err != nil {
		t.Fatal(err)
	}
	sched, err := downlink.New(db, noSender{}, downlink.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer sched.Close()
	srv, err := api.New(sched, api.Options{Token: token, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/devices/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "other api") })
	h := srv.Handler()
	for _, p := range srv.Routes() {
		mux.Handle(p, h)
	}
	cases := []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPost, downlinks(devA), `{"FPort":1,"PayloadData":"AQ=="}`, http.StatusAccepted},
		{http.MethodGet, downlinks(devA), "", http.StatusOK},
		{http.MethodGet, "/api/v1/devices/" + devA.String(), "", http.StatusOK},
		{http.MethodGet, "/healthz", "", http.StatusOK},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
		req.Header.Set("Authorization", bearer)
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		if rec.Code != tc.want {
			t.Errorf("%s %s: %d %s, want %d", tc.method, tc.path, rec.Code, rec.Body.String(), tc.want)
		}
	}
}
