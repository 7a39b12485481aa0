package station

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestRouterInfoRequestForms(t *testing.T) {
	gw := eui(0xb827ebfffe6151a5)
	tests := []struct {
		name, in string
		want     lorawan.EUI64
	}{
		{"id6 (Station)", `{"router":"b827:ebff:fe61:51a5"}`, gw},
		{"id6 ::1 (Station)", `{"router":"::1"}`, eui(1)},
		{"plain hex", `{"router":"b827ebfffe6151a5"}`, gw},
		{"dashed hex", `{"router":"B8-27-EB-FF-FE-61-51-A5"}`, gw},
		{"colon hex", `{"router":"b8:27:eb:ff:fe:61:51:a5"}`, gw},
		{"integer", `{"router":13269834311787434405}`, gw},
		{"small integer", `{"router":1}`, eui(1)},
		{"negative integer", `{"router":-1}`, eui(0xffffffffffffffff)},
		{"integer above 2^53", `{"router":9007199254740993}`, eui(1<<53 + 1)},
		{"extra keys", `{"router":"::1","other":[1]}`, eui(1)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r RouterInfoRequest
			if err := json.Unmarshal([]byte(tt.in), &r); err != nil {
				t.Fatalf("Unmarshal(%s): %v", tt.in, err)
			}
			if r.Router != tt.want {
				t.Errorf("Router = %s, want %s", r.Router, tt.want)
			}
		})
	}
}

func TestRouterInfoRequestRefused(t *testing.T) {
	for _, in := range []string{
		`{}`, `{"router":null}`, `{"router":""}`, `{"router":"zz"}`, `{"router":1.5}`,
		`{"router":18446744073709551616}`, `{"router":true}`, `[]`, `"::1"`, `{"router":"::1"`,
	} {
		t.Run(in, func(t *testing.T) {
			var r RouterInfoRequest
			if err := json.Unmarshal([]byte(in), &r); err == nil {
				t.Errorf("Unmarshal(%s) = %+v, want an error", in, r)
			}
		})
	}
}

func TestRouterInfoGolden(t *testing.T) {
	tests := []struct {
		name string
		req  *RouterInfoRequest
		resp *RouterInfoResponse
	}{
		{name: "router_info_request", req: &RouterInfoRequest{Router: eui(0xb827ebfffe6151a5)}},
		{name: "router_info_request_one", req: &RouterInfoRequest{Router: eui(1)}},
		{name: "router_info_response", resp: &RouterInfoResponse{Router: eui(1), Muxs: "muxs-::0", URI: "ws://127.0.0.1:16039/router"}},
		{name: "router_info_error", resp: &RouterInfoResponse{Router: eui(0xb827ebfffe6151a5), Error: "unknown router"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := golden(t, tt.name)
			var want, got any = tt.req, new(RouterInfoRequest)
			if tt.resp != nil {
				want, got = tt.resp, new(RouterInfoResponse)
			}
			if err := json.Unmarshal(g, got); err != nil {
				t.Fatal(err)
			}
			gb, _ := json.Marshal(got)
			wb, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(wb, g) || !bytes.Equal(gb, g) {
				t.Errorf("Marshal:\n want-value %s\n read-value %s\n golden     %s", wb, gb, g)
			}
		})
	}
}

func TestCheckTrafficURI(t *testing.T) {
	long := "ws://h:1/" + string(bytes.Repeat([]byte("p"), MaxURILen-8))
	tests := []struct {
		uri string
		ok  bool
	}{
		{"ws://127.0.0.1:16039/router", true},
		{"wss://lns.example:443/traffic/b827ebfffe6151a5", true},
		{"ws://[::1]:8080/r", true},
		{"ws://h:1/" + long[9:len(long)-1], true},
		{long, false},
		{"ws://127.0.0.1/router", false},
		{"ws://127.0.0.1:16039", false},
		{"http://127.0.0.1:16039/router", false},
		{"127.0.0.1:16039/router", false},
		{"wss://:443/router", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			if err := CheckTrafficURI(tt.uri); (err == nil) != tt.ok {
				t.Errorf("CheckTrafficURI(%q) = %v, want ok=%v", tt.uri, err, tt.ok)
			}
		})
	}
}
