package gateway

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

func TestParseRouterInfoRequest(t *testing.T) {
	t.Parallel()
	want := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	tests := []struct {
		name string
		in   string
		want lorawan.EUI64
		ok   bool
	}{
		{"id6 as Station sends it", `{"router":"b827:ebff:fe61:51a5"}`, want, true},
		{"id6 compressed", `{"router":"::1"}`, lorawan.EUI64{7: 1}, true},
		{"hex", `{"router":"b827ebfffe6151a5"}`, want, true},
		{"dashed hex", `{"router":"B8-27-EB-FF-FE-61-51-A5"}`, want, true},
		{"integer", `{"router":13269834311787434405}`, want, true},
		{"small integer", `{"router":1}`, lorawan.EUI64{7: 1}, true},
		{"negative integer", `{"router":-1}`, lorawan.EUI64{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, true},
		{"extra keys ignored", `{"router":"::1","station":"x"}`, lorawan.EUI64{7: 1}, true},
		{"integer beyond 64 bits", `{"router":18446744073709551616}`, lorawan.EUI64{}, false},
		{"float", `{"router":1.5}`, lorawan.EUI64{}, false},
		{"no router", `{"id":"::1"}`, lorawan.EUI64{}, false},
		{"null router", `{"router":null}`, lorawan.EUI64{}, false},
		{"not hex", `{"router":"gateway-1"}`, lorawan.EUI64{}, false},
		{"too many digits", `{"router":"b827ebfffe6151a5ff"}`, lorawan.EUI64{}, false},
		{"array", `["::1"]`, lorawan.EUI64{}, false},
		{"not json", `router=::1`, lorawan.EUI64{}, false},
		{"oversized", `{"router":"::1","pad":"` + strings.Repeat("x", 2000) + `"}`, lorawan.EUI64{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRouterInfoRequest([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("ParseRouterInfoRequest(%s) = %v, %v; want ok=%v", tt.in, got, err, tt.ok)
			}
			if tt.ok && got != tt.want {
				t.Errorf("ParseRouterInfoRequest(%s) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzRouterInfoRequest feeds arbitrary bytes to the router-info request
// parser: it must never panic, errors must be typed, and an accepted EUI
// must survive Station's own spelling (id6) and the integer spelling.
func FuzzRouterInfoRequest(f *testing.F) {
	for _, s := range []string{
		`{"router":"b827:ebff:fe61:51a5"}`, `{"router":"::1"}`, `{"router":"1::"}`, `{"router":"12::34"}`,
		`{"router":"b827ebfffe6151a5"}`, `{"router":"b8-27-eb-ff-fe-61-51-a5"}`, `{"router":13269834311787434405}`,
		`{"router":-1}`, `{"router":null}`, `{}`, `[]`, `{"router":"::1","x":[1,2,{"y":null}]}`, `{"router":"\u0031"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		eui, err := ParseRouterInfoRequest(b)
		if err != nil {
			return
		}
		if len(b) > maxRouterInfoRequest {
			t.Fatalf("accepted a request of %d bytes", len(b))
		}
		for _, again := range []string{
			`{"router":"` + station.FormatID6(eui) + `"}`,
			`{"router":` + jsonUint(eui) + `}`,
			`{"router":"` + eui.String() + `"}`,
		} {
			got, err := ParseRouterInfoRequest([]byte(again))
			if err != nil || got != eui {
				t.Fatalf("%s parsed from %q, but %s gives %s, %v", eui, b, again, got, err)
			}
		}
	})
}

func jsonUint(e lorawan.EUI64) string {
	var v uint64
	for _, c := range e {
		v = v<<8 | uint64(c)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func TestParseRouterInfoRequestErrorsAreMalformed(t *testing.T) {
	t.Parallel()
	_, err := ParseRouterInfoRequest(make([]byte, maxRouterInfoRequest+1))
	if !errors.Is(err, lorawan.ErrMalformed) {
		t.Errorf("oversized request error = %v, want lorawan.ErrMalformed", err)
	}
}
