package cups

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// readTestdata returns the bytes of testdata/name.
func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func strptr(s string) *string { return &s }

func TestRequestGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file string
		want UpdateInfoRequest
	}{
		{
			// The body Station 2.0.6 sent in docs/basicstation-notes.md §6.
			file: "request-station.json",
			want: UpdateInfoRequest{
				Router:      RouterID{EUI: lorawan.EUI64{7: 1}, Text: "::1"},
				CUPSURI:     strptr("http://127.0.0.1:16040"),
				CUPSCredCRC: 0x7BD5C66F,
				TCCredCRC:   0x7BD5C66F,
				Station:     "2.0.6(linux/testsim) 2026-11-27 12:40:30",
				Model:       "linux",
				Package:     "v0",
				Keys:        []uint32{0x1D1E9F14},
			},
		},
		{
			file: "request-eui.json",
			want: UpdateInfoRequest{
				Router:      RouterID{EUI: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}, Text: "b827:ebff:fe61:51a5"},
				CUPSURI:     strptr("https://cups.example.com:443"),
				TCURI:       strptr("wss://lns.example.com:8887"),
				CUPSCredCRC: 373530044, // zlib.crc32 of the blob in resp-cups-cred-uri.bin
				TCCredCRC:   28933985,  // zlib.crc32 of the blob in resp-tc-token.bin
				Station:     "2.0.6(corecell/std) 2022-01-18 08:39:34",
				Model:       "corecell",
				Package:     "1.0.0",
				Keys:        []uint32{0x0863B31B, 0x1D1E9F14},
			},
		},
		{
			file: "request-nokeys.json",
			want: UpdateInfoRequest{
				Router:      RouterID{EUI: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}, Text: "b827:ebff:fe61:51a5"},
				CUPSCredCRC: 0x7BD5C66F,
				TCCredCRC:   0x7BD5C66F,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			golden := readTestdata(t, tt.file)
			var got UpdateInfoRequest
			if err := json.Unmarshal(golden, &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("decode:\n got %+v\nwant %+v", got, tt.want)
			}
			built := tt.want
			built.Router.Text = "" // encoding must not depend on the received text
			enc, err := json.Marshal(built)
			if err != nil {
				t.Fatalf("encode: %v", err)
			}
			if !bytes.Equal(enc, golden) {
				t.Errorf("encode:\n got %s\nwant %s", enc, golden)
			}
		})
	}
}

func TestRequestTolerant(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want UpdateInfoRequest
	}{
		{
			name: "unknown fields and other order",
			in:   `{"keys":[1,2],"os":"Linux 6.1","router":"::2","extra":{"a":[1]},"tcCredCrc":7}`,
			want: UpdateInfoRequest{Router: RouterID{EUI: lorawan.EUI64{7: 2}, Text: "::2"}, TCCredCRC: 7, Keys: []uint32{1, 2}},
		},
		{
			name: "integer router, keys null",
			in:   `{"router":1311768467294899695,"keys":null,"cupsUri":""}`,
			want: UpdateInfoRequest{Router: RouterID{EUI: lorawan.EUI64{0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef}, Text: "1311768467294899695"}, CUPSURI: strptr("")},
		},
		{
			name: "whitespace",
			in:   " {\n \"router\" : \"b8-27-eb-ff-fe-61-51-a5\" ,\n \"keys\" : [ ] }\n",
			want: UpdateInfoRequest{Router: RouterID{EUI: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}, Text: "b8-27-eb-ff-fe-61-51-a5"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var got UpdateInfoRequest
			if err := json.Unmarshal([]byte(tt.in), &got); err != nil {
				t.Fatalf("decode: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRouterIDForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string // JSON
		want uint64
		id6  string // what MarshalJSON writes back
	}{
		// Station's own id6 encodings (src/selftest_ujenc.c).
		{`"::0"`, 0, "::0"},
		{`"::1"`, 1, "::1"},
		{`"::2:1"`, 0x20001, "::2:1"},
		{`"4::1"`, 0x0004000000000001, "4::1"},
		{`"4:3::"`, 0x0004000300000000, "4:3::"},
		{`"4::"`, 0x0004000000000000, "4::"},
		{`"0:3:2:0"`, 0x0000000300020000, "0:3:2:0"},
		// Observed: routerid b827ebfffe6151a5 is sent as b827:ebff:fe61:51a5.
		{`"b827:ebff:fe61:51a5"`, 0xb827ebfffe6151a5, "b827:ebff:fe61:51a5"},
		{`"B827:EBFF:FE61:51A5"`, 0xb827ebfffe6151a5, "b827:ebff:fe61:51a5"},
		{`"::"`, 0, "::0"},
		{`"1:2::3"`, 0x0001000200000003, "1:2:0:3"},
		{`"1::2:3"`, 0x0001000000020003, "1:0:2:3"},
		{`"b8-27-eb-ff-fe-61-51-a5"`, 0xb827ebfffe6151a5, "b827:ebff:fe61:51a5"},
		{`"b8:27:eb:ff:fe:61:51:a5"`, 0xb827ebfffe6151a5, "b827:ebff:fe61:51a5"},
		{`"b827ebfffe6151a5"`, 0xb827ebfffe6151a5, "b827:ebff:fe61:51a5"},
		{`"1"`, 1, "::1"},
		{`1`, 1, "::1"},
		{`18446744073709551615`, 0xffffffffffffffff, "ffff:ffff:ffff:ffff"},
		{`-2`, 0xfffffffffffffffe, "ffff:ffff:ffff:fffe"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			var r RouterID
			if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
				t.Fatalf("decode: %v", err)
			}
			var want lorawan.EUI64
			for i := range want {
				want[i] = byte(tt.want >> (56 - 8*i))
			}
			if r.EUI != want {
				t.Errorf("EUI = %s, want %s", r.EUI, want)
			}
			if wantText := strings.Trim(tt.in, `"`); r.Text != wantText {
				t.Errorf("Text = %q, want %q", r.Text, wantText)
			}
			enc, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := string(enc), `"`+tt.id6+`"`; got != want {
				t.Errorf("encode = %s, want %s", got, want)
			}
		})
	}
}

func TestRequestMalformed(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", ``, "unexpected end of JSON"},
		{"not json", `router=::1`, "invalid character"},
		{"array", `[1,2]`, "cannot unmarshal array"},
		{"trailing garbage", `{"router":"::1"} x`, "invalid character"},
		{"router missing", `{"cupsUri":null}`, "router missing"},
		{"router null", `{"router":null}`, "router is null"},
		{"router bool", `{"router":true}`, "want a string or an integer"},
		{"router float", `{"router":1.5}`, "not a 64-bit integer"},
		{"router exponent", `{"router":1e3}`, "not a 64-bit integer"},
		{"router too big", `{"router":18446744073709551616}`, "not a 64-bit integer"},
		{"router empty", `{"router":""}`, "empty"},
		{"router mixed separators", `{"router":"b8-27:eb-ff-fe-61-51-a5"}`, "mixes"},
		{"router two ::", `{"router":"1::2::3"}`, `"::" twice`},
		{"router 5 groups", `{"router":"1:2:3:4:5"}`, "neither id6 nor EUI"},
		{"router :: with 4 groups", `{"router":"1:2::3:4:5"}`, `"::" with 4 groups`},
		{"router long group", `{"router":"12345::"}`, "1-4 hex digits"},
		{"router not hex group", `{"router":"::g"}`, "not hex"},
		{"router 17 hex digits", `{"router":"b827ebfffe6151a5f"}`, "at most 16"},
		{"router not hex", `{"router":"gateway-1"}`, "neither id6 nor EUI"},
		{"router bad pair", `{"router":"b8-27-eb-ff-fe-61-51-a"}`, "want 2 hex digits"},
		{"crc negative", `{"router":"::1","cupsCredCrc":-1}`, "cupsCredCrc"},
		{"crc too big", `{"router":"::1","tcCredCrc":4294967296}`, "tcCredCrc"},
		{"crc string", `{"router":"::1","tcCredCrc":"1"}`, "tcCredCrc"},
		{"uri number", `{"router":"::1","tcUri":5}`, "tcUri"},
		{"keys object", `{"router":"::1","keys":{}}`, "keys"},
		{"key negative", `{"router":"::1","keys":[-5]}`, "keys"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var r UpdateInfoRequest
			err := r.UnmarshalJSON([]byte(tt.in))
			if err == nil {
				t.Fatalf("decode %s: no error, got %+v", tt.in, r)
			}
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("error %q does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
