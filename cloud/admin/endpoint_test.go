package admin_test

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/admin"
)

func TestEndpointFile(t *testing.T) {
	dir := t.TempDir()
	if _, err := admin.ReadEndpoint(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("read of a missing file: err = %v, want fs.ErrNotExist", err)
	}
	want := admin.Endpoint{URL: "http://127.0.0.1:6040", Token: apiToken}
	if err := admin.WriteEndpoint(dir, want); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, admin.EndpointFile)
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("endpoint file: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	got, err := admin.ReadEndpoint(dir)
	if err != nil || got != want {
		t.Fatalf("read back %v, %v; want the endpoint written", got, err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("data dir holds %d entries after the write, want only %s", len(entries), admin.EndpointFile)
	}

	// Overwriting keeps the mode and replaces the content.
	want.URL = "http://127.0.0.1:7000"
	if err := admin.WriteEndpoint(dir, want); err != nil {
		t.Fatal(err)
	}
	if got, err := admin.ReadEndpoint(dir); err != nil || got.URL != want.URL {
		t.Errorf("after a rewrite: %v, %v", got.URL, err)
	}

	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := admin.ReadEndpoint(dir); !errors.Is(err, admin.ErrInsecureEndpointFile) {
		t.Errorf("mode 0644: err = %v, want ErrInsecureEndpointFile", err)
	}

	if err := os.WriteFile(path, []byte(`{"url": "http://127.0.0.1:1", "token": "`+apiToken+`"`), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = admin.ReadEndpoint(dir)
	if err == nil || strings.Contains(err.Error(), apiToken) {
		t.Errorf("a cut file: err = %v; want an error without the token", err)
	}

	if err := admin.RemoveEndpoint(dir); err != nil {
		t.Fatal(err)
	}
	if err := admin.RemoveEndpoint(dir); err != nil {
		t.Errorf("second remove: %v, want nil", err)
	}
	if err := admin.WriteEndpoint(dir, admin.Endpoint{URL: "http://127.0.0.1:1"}); err == nil {
		t.Error("write without a token: no error")
	}
}

func TestEndpointPrintsNoToken(t *testing.T) {
	e := admin.Endpoint{URL: "http://127.0.0.1:1", Token: apiToken}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if s := fmt.Sprintf(f, e); strings.Contains(s, apiToken) {
			t.Errorf("%s shows the token: %s", f, s)
		}
	}
}

func TestNewToken(t *testing.T) {
	a, err := admin.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	b, err := admin.NewToken()
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != 43 || a == b {
		t.Errorf("tokens %q, %q: want two different 43-character tokens", a, b)
	}
}

func TestNewClientRefusals(t *testing.T) {
	tests := []struct {
		name string
		e    admin.Endpoint
		want string
	}{
		{"plain http to another host", admin.Endpoint{URL: "http://192.0.2.1:6040", Token: apiToken}, "loopback"},
		{"plain http to a name", admin.Endpoint{URL: "http://cloud.example.com", Token: apiToken}, "loopback"},
		{"another scheme", admin.Endpoint{URL: "ftp://127.0.0.1", Token: apiToken}, "want http"},
		{"no host", admin.Endpoint{URL: "http://", Token: apiToken}, "want http"},
		{"credentials", admin.Endpoint{URL: "https://u:p@cloud.example.com", Token: apiToken}, "no credentials"},
		{"no token", admin.Endpoint{URL: "http://127.0.0.1:1"}, "token is required"},
		{"ca for http", admin.Endpoint{URL: "http://127.0.0.1:1", Token: apiToken, CAFile: "x.pem"}, "https"},
		{"missing ca file", admin.Endpoint{URL: "https://cloud.example.com", Token: apiToken, CAFile: filepath.Join(t.TempDir(), "none.pem")}, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := admin.NewClient(tt.e)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to say %q", err, tt.want)
			}
			if err != nil && (strings.Contains(err.Error(), apiToken) || strings.Contains(err.Error(), "u:p")) {
				t.Errorf("err %q repeats a credential", err)
			}
		})
	}
	for _, ok := range []string{"http://127.0.0.1:6040", "http://[::1]:6040", "http://localhost:6040", "https://cloud.example.com/admin"} {
		if _, err := admin.NewClient(admin.Endpoint{URL: ok, Token: apiToken}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}
