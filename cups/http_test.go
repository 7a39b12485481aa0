package cups

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

// TestHTTPRoundTrip posts Station's request to a real server on 127.0.0.1
// that answers with ReadRequest and WriteResponse.
func TestHTTPRoundTrip(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	answer := &UpdateInfoResponse{TCURI: "wss://lns.example.com:8887", TCCred: f.tokBlob}
	got := make(chan *UpdateInfoRequest, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("POST /update-info", func(w http.ResponseWriter, r *http.Request) {
		req, err := ReadRequest(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got <- req
		if err := WriteResponse(w, answer); err != nil {
			t.Errorf("WriteResponse: %v", err)
		}
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	body := readTestdata(t, "request-station.json")
	resp, err := http.Post(srv.URL+"/update-info", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/octet-stream" {
		t.Errorf("Content-Type %q, want application/octet-stream", ct)
	}
	if want := readTestdata(t, "resp-tc-token.bin"); !bytes.Equal(raw, want) {
		t.Errorf("body:\n got %x\nwant %x", raw, want)
	}
	req := <-got
	var want UpdateInfoRequest
	if err := want.UnmarshalJSON(body); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*req, want) {
		t.Errorf("server read %+v, want %+v", *req, want)
	}
}

func TestReadRequestErrors(t *testing.T) {
	t.Parallel()
	valid := string(readTestdata(t, "request-station.json"))
	tests := []struct {
		name, contentType, body, wantErr string
	}{
		{"too large", "application/json", `{"router":"::1","station":"` + strings.Repeat("x", MaxRequestSize) + `"}`, "body over 16384 bytes"},
		{"form content type", "application/x-www-form-urlencoded", valid, `content type "application/x-www-form-urlencoded"`},
		{"bad content type", "application/json; =", valid, "content type"},
		{"not JSON", "application/json", "router=::1", "invalid character"},
		{"empty body", "application/json", "", "unexpected end of JSON"},
		{"no router", "application/json", `{"keys":[]}`, "router missing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/update-info", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.contentType)
			req, err := ReadRequest(r)
			if err == nil {
				t.Fatalf("no error, got %+v", req)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}

	t.Run("charset and no content type accepted", func(t *testing.T) {
		t.Parallel()
		for _, ct := range []string{"application/json; charset=utf-8", ""} {
			r := httptest.NewRequest(http.MethodPost, "/update-info", strings.NewReader(valid))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			if _, err := ReadRequest(r); err != nil {
				t.Errorf("Content-Type %q: %v", ct, err)
			}
		}
	})
}

func TestWriteResponse(t *testing.T) {
	t.Parallel()
	t.Run("nil is nothing changed", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		if err := WriteResponse(rec, nil); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusOK {
			t.Errorf("status %d, want 200", rec.Code)
		}
		if got, want := rec.Body.Bytes(), make([]byte, 14); !bytes.Equal(got, want) {
			t.Errorf("body %x, want %x", got, want)
		}
		if got := rec.Header().Get("Content-Length"); got != "14" {
			t.Errorf("Content-Length %q, want 14", got)
		}
	})
	t.Run("invalid answer writes nothing", func(t *testing.T) {
		t.Parallel()
		rec := httptest.NewRecorder()
		err := WriteResponse(rec, &UpdateInfoResponse{TCURI: strings.Repeat("u", 256)})
		if err == nil {
			t.Fatal("no error")
		}
		if rec.Body.Len() != 0 || len(rec.Header()) != 0 {
			t.Errorf("wrote headers %v and %d bytes", rec.Header(), rec.Body.Len())
		}
	})
}
