package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseDownlinkRequest(t *testing.T) {
	t.Parallel()
	max := strings.Repeat("A", 320) // 240 bytes; + "AAA=" is 242, + "AAAA" 243
	tests := []struct {
		name    string
		in      string
		want    Downlink
		wantErr string // substring; "" means success
	}{
		{name: "confirmed", in: `{"FPort":2,"PayloadData":"AQID","Confirmed":true}`, want: Downlink{FPort: 2, PayloadData: Payload{1, 2, 3}, Confirmed: true}},
		{name: "confirmed omitted", in: `{"FPort":223,"PayloadData":"/w=="}`, want: Downlink{FPort: 223, PayloadData: Payload{0xff}}},
		{name: "empty payload", in: `{"FPort":1,"PayloadData":""}`, want: Downlink{FPort: 1, PayloadData: Payload{}}},
		{name: "whitespace around", in: " \n{\"FPort\":1,\"PayloadData\":\"AA==\"}\n", want: Downlink{FPort: 1, PayloadData: Payload{0}}},
		{name: "largest payload", in: `{"FPort":1,"PayloadData":"` + max + `AAA="}`, want: Downlink{FPort: 1, PayloadData: make(Payload, MaxDownlinkPayload)}},

		{name: "fport 0", in: `{"FPort":0,"PayloadData":"AQID"}`, wantErr: "FPort 0, want 1..223"},
		{name: "fport 224", in: `{"FPort":224,"PayloadData":"AQID"}`, wantErr: "FPort 224"},
		{name: "fport negative", in: `{"FPort":-1,"PayloadData":"AQID"}`, wantErr: "FPort -1"},
		{name: "fport missing", in: `{"PayloadData":"AQID"}`, wantErr: "FPort missing"},
		{name: "fport string", in: `{"FPort":"2","PayloadData":"AQID"}`, wantErr: "cannot unmarshal"},
		{name: "fport fraction", in: `{"FPort":2.5,"PayloadData":"AQID"}`, wantErr: "cannot unmarshal"},
		{name: "payload missing", in: `{"FPort":2}`, wantErr: "PayloadData missing"},
		{name: "payload null", in: `{"FPort":2,"PayloadData":null}`, wantErr: "PayloadData missing"},
		{name: "payload not base64", in: `{"FPort":2,"PayloadData":"AQ$D"}`, wantErr: "not standard base64"},
		{name: "payload url alphabet", in: `{"FPort":2,"PayloadData":"-_8="}`, wantErr: "not standard base64"},
		{name: "payload unpadded", in: `{"FPort":2,"PayloadData":"AQI"}`, wantErr: "not standard base64"},
		{name: "payload too large", in: `{"FPort":2,"PayloadData":"` + max + `AAAA"}`, wantErr: "PayloadData of 243 bytes"},
		{name: "payload far too large", in: `{"FPort":2,"PayloadData":"` + strings.Repeat("A", 1000) + `"}`, wantErr: "longer than 242"},
		{name: "confirmed string", in: `{"FPort":2,"PayloadData":"","Confirmed":"yes"}`, wantErr: "cannot unmarshal"},
		{name: "unknown member", in: `{"FPort":2,"PayloadData":"","Priority":1}`, wantErr: "unknown field"},
		{name: "trailing data", in: `{"FPort":2,"PayloadData":""}{}`, wantErr: "data after"},
		{name: "trailing garbage", in: `{"FPort":2,"PayloadData":""} x`, wantErr: "data after"},
		{name: "array", in: `[1,2]`, wantErr: "cannot unmarshal"},
		{name: "empty", in: ``, wantErr: "EOF"},
		{name: "truncated", in: `{"FPort":2,`, wantErr: "unexpected EOF"},
		{name: "oversized body", in: `{"FPort":2,"PayloadData":""}` + strings.Repeat(" ", MaxDownlinkRequest), wantErr: "want at most 4096"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDownlinkRequest([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil {
					t.Fatalf("ParseDownlinkRequest() = %+v, want an error with %q", got, tc.wantErr)
				}
				if !errors.Is(err, ErrInvalidDownlink) {
					t.Errorf("error %v does not wrap ErrInvalidDownlink", err)
				}
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDownlinkRequest(): %v", err)
			}
			if got.FPort != tc.want.FPort || got.Confirmed != tc.want.Confirmed || !bytes.Equal(got.PayloadData, tc.want.PayloadData) {
				t.Errorf("ParseDownlinkRequest() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDownlinkJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		d    Downlink
		want string
	}{
		{Downlink{FPort: 2, PayloadData: Payload{1, 2, 3}, Confirmed: true}, `{"FPort":2,"PayloadData":"AQID","Confirmed":true}`},
		{Downlink{FPort: 9}, `{"FPort":9,"PayloadData":"","Confirmed":false}`},
	}
	for _, tc := range tests {
		got, err := json.Marshal(tc.d)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("Marshal(%+v) = %s, want %s", tc.d, got, tc.want)
		}
		back, err := ParseDownlinkRequest(got)
		if err != nil {
			t.Fatalf("ParseDownlinkRequest(%s): %v", got, err)
		}
		if back.FPort != tc.d.FPort || back.Confirmed != tc.d.Confirmed || !bytes.Equal(back.PayloadData, tc.d.PayloadData) {
			t.Errorf("round trip of %s = %+v, want %+v", got, back, tc.d)
		}
	}
}

// FuzzParseDownlinkRequest checks that any input gives a request within the
// limits or an ErrInvalidDownlink, never a panic, and that accepted requests
// survive a marshal/parse round trip.
func FuzzParseDownlinkRequest(f *testing.F) {
	for _, s := range []string{
		`{"FPort":2,"PayloadData":"AQID","Confirmed":true}`,
		`{"FPort":223,"PayloadData":""}`,
		`{"FPort":0,"PayloadData":"AQID"}`,
		`{"fport":1,"payloaddata":"AA=="}`,
		`{"FPort":1e2,"PayloadData":"AA=="}`,
		`{"FPort":2,"PayloadData":"AQID"} {}`,
		`null`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := ParseDownlinkRequest(b)
		if err != nil {
			if !errors.Is(err, ErrInvalidDownlink) {
				t.Fatalf("error %v does not wrap ErrInvalidDownlink", err)
			}
			return
		}
		if d.FPort < 1 || d.FPort > 223 || len(d.PayloadData) > MaxDownlinkPayload {
			t.Fatalf("accepted out-of-range request %+v", d)
		}
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		back, err := ParseDownlinkRequest(out)
		if err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if back.FPort != d.FPort || back.Confirmed != d.Confirmed || !bytes.Equal(back.PayloadData, d.PayloadData) {
			t.Fatalf("round trip %+v -> %s -> %+v", d, out, back)
		}
	})
}
