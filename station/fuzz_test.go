package station

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// addGoldenSeeds adds every golden message whose name starts with prefix.
func addGoldenSeeds(f *testing.F, prefix string) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", prefix+"*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no golden seeds for %q: %v", prefix, err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(bytes.TrimSpace(b))
	}
}

func FuzzDecode(f *testing.F) {
	addGoldenSeeds(f, "")
	f.Add([]byte(`{"msgtype":"updf","DevAddr":-1,"MIC":-2147483648,"upinfo":{"xtime":9223372036854775807}}`))
	f.Add([]byte(`{"msgtype":"router_config","radio_conf":[{"radio_0x1":{"enable":true},"chan_multiSF_07":{"rf_chain":1,"freq":-1}}]}`))
	f.Add([]byte(`{"msgtype":"dnmsg","DevEUI":-1,"seqno":5,"dC":0,"pdu":"","DR":0,"Freq":0}`))
	f.Add([]byte(`{"msgtype":"dnmsg","DevEui":1,"diid":5,"pdu":"60"}`))
	f.Add([]byte(`{"msgtype":"router_config","JoinEUI":[[1,2]],"sx1301_conf":[{"radio_1":{"freq":1,"txpow_adjust":2},"radio_0":{"enable":null,"antenna_gain":1.05}}]}`))
	f.Add([]byte(`{"msgtype":"dnsched","schedule":[{"Freq":869525000,"xtime":1,"pdu":"00"},{"DR":0}]}`))
	f.Add([]byte(`{"msgtype":"event","evcat":"gps"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m1, err := Decode(b)
		if err != nil {
			return
		}
		e1, err := Encode(m1)
		if err != nil {
			t.Fatalf("Encode(Decode(%q)): %v", b, err)
		}
		m2, err := Decode(e1)
		if err != nil {
			t.Fatalf("Decode(%s) of our own encoding: %v", e1, err)
		}
		if !sameValue(reflect.ValueOf(m1), reflect.ValueOf(m2)) {
			t.Fatalf("value changed through Encode/Decode:\n input %q\n first %#v\n again %#v\n json  %s", b, m1, m2, e1)
		}
		e2, err := Encode(m2)
		if err != nil || !bytes.Equal(e1, e2) {
			t.Fatalf("encoding not stable: %s then %s (%v)", e1, e2, err)
		}
		// A frame rebuilt from the fields, when Station would forward it,
		// splits and rebuilds to the same bytes.
		if p, ok := m1.(phyMessage); ok {
			phy, err := p.PHYPayload()
			if err != nil {
				return
			}
			m3, err := SplitUplink(phy, UplinkMeta{})
			if err != nil {
				return
			}
			again, err := m3.(phyMessage).PHYPayload()
			if err != nil || !bytes.Equal(again, phy) {
				t.Fatalf("frame %x → %#v → %x, %v", phy, m3, again, err)
			}
		}
	})
}

func FuzzRouterInfo(f *testing.F) {
	addGoldenSeeds(f, "router_info")
	for _, s := range []string{
		`{"router":"::0"}`, `{"router":"1::"}`, `{"router":"b827ebfffe6151a5"}`,
		`{"router":"b8-27-eb-ff-fe-61-51-a5"}`, `{"router":13269834311787434405}`, `{"router":-1}`,
		`{"router":"12:::34"}`, `{"router":":12:34"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req RouterInfoRequest
		if err := json.Unmarshal(b, &req); err == nil {
			out, err := json.Marshal(req)
			if err != nil {
				t.Fatalf("Marshal(%+v): %v", req, err)
			}
			var back RouterInfoRequest
			if err := json.Unmarshal(out, &back); err != nil || back != req {
				t.Fatalf("request %q → %s → %+v, %v; want %+v", b, out, back, err, req)
			}
		}
		var resp RouterInfoResponse
		if err := json.Unmarshal(b, &resp); err == nil {
			out, err := json.Marshal(resp)
			if err != nil {
				t.Fatalf("Marshal(%+v): %v", resp, err)
			}
			var back RouterInfoResponse
			if err := json.Unmarshal(out, &back); err != nil || back != resp {
				t.Fatalf("response %q → %s → %+v, %v; want %+v", b, out, back, err, resp)
			}
		}
		// The bytes as router id text: what parses formats back the same.
		s := strings.TrimSpace(string(b))
		if e, err := ParseEUI(s); err == nil {
			for _, text := range []string{FormatID6(e), FormatEUI(e), e.String()} {
				if back, err := ParseEUI(text); err != nil || back != e {
					t.Fatalf("ParseEUI(%q) = %s; %q reads back as %s, %v", s, e, text, back, err)
				}
			}
		}
	})
}

// sameValue compares like reflect.DeepEqual, except that a nil slice equals
// an empty one (an omitted JSON array and [] read back alike).
func sameValue(a, b reflect.Value) bool {
	if a.Kind() != b.Kind() || a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Slice, reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		return reflect.DeepEqual(a.Interface(), b.Interface())
	}
	return a.Equal(b)
}

func TestSameValue(t *testing.T) {
	tests := []struct {
		a, b any
		want bool
	}{
		{&Runcmd{Arguments: nil}, &Runcmd{Arguments: []string{}}, true},
		{&Runcmd{Arguments: []string{"a"}}, &Runcmd{Arguments: []string{"b"}}, false},
		{&Dnmsg{RX1DR: nil}, &Dnmsg{RX1DR: ptr(0)}, false},
		{&Dnmsg{RX1DR: ptr(1)}, &Dnmsg{RX1DR: ptr(1)}, true},
		{&Updf{FPort: 1}, &Updf{FPort: 2}, false},
		{&Updf{}, &Dndf{}, false},
	}
	for _, tt := range tests {
		if got := sameValue(reflect.ValueOf(tt.a), reflect.ValueOf(tt.b)); got != tt.want {
			t.Errorf("sameValue(%#v, %#v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
