package station

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestDecodeDispatch(t *testing.T) {
	tests := []struct {
		msgType string
		want    string // %T of the result
	}{
		{"version", "*station.Version"},
		{"router_config", "*station.RouterConfig"},
		{"jreq", "*station.Jreq"},
		{"rejoin", "*station.Rejoin"},
		{"updf", "*station.Updf"},
		{"dndf", "*station.Dndf"},
		{"propdf", "*station.Propdf"},
		{"jacc", "*station.Jacc"},
		{"dntxed", "*station.Dntxed"},
		{"timesync", "*station.Timesync"},
		{"dnmsg", "*station.Dnmsg"},
		{"dnsched", "*station.Dnsched"},
		{"dnframe", "*station.Dnframe"},
		{"getxtime", "*station.Getxtime"},
		{"runcmd", "*station.Runcmd"},
		{"rmtsh", "*station.Rmtsh"},
		{"error", "*station.ErrorMsg"},
	}
	for _, tt := range tests {
		t.Run(tt.msgType, func(t *testing.T) {
			// dnmsg and dnframe need their mandatory keys (as in Station).
			body := map[string]string{
				"dnmsg":   `,"DevEui":1,"dC":0,"diid":0,"pdu":""`,
				"dnframe": `,"DR":0,"Freq":0,"DevEui":1,"xtime":0,"diid":0,"pdu":""`,
			}[tt.msgType]
			if body != "" {
				if _, err := Decode([]byte(`{"msgtype":"` + tt.msgType + `"}`)); !errors.Is(err, ErrMissingFields) {
					t.Errorf("Decode of a bare %s: %v, want ErrMissingFields", tt.msgType, err)
				}
			}
			m, err := Decode([]byte(`{"msgtype":"` + tt.msgType + `"` + body + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", m); got != tt.want {
				t.Errorf("Decode type = %s, want %s", got, tt.want)
			}
			if m.MsgType() != tt.msgType {
				t.Errorf("MsgType() = %q, want %q", m.MsgType(), tt.msgType)
			}
			b, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			if prefix := `{"msgtype":"` + tt.msgType + `"`; !bytes.HasPrefix(b, []byte(prefix)) {
				t.Errorf("Encode = %s, want it to start with %s", b, prefix)
			}
		})
	}
}

func TestDecodeUnknownMsgType(t *testing.T) {
	for _, in := range []string{
		`{"msgtype":"event","evcat":"gps"}`,
		`{"msgtype":""}`,
		`{"msgtype":"UPDF"}`,
		`{"DR":5}`,
		`{}`,
		`null`,
	} {
		t.Run(in, func(t *testing.T) {
			m, err := Decode([]byte(in))
			if !errors.Is(err, ErrUnknownMsgType) {
				t.Errorf("Decode(%s) = %#v, %v; want ErrUnknownMsgType", in, m, err)
			}
		})
	}
}

func TestDecodeMalformed(t *testing.T) {
	tests := []struct {
		name, in string
	}{
		{"empty", ``},
		{"not json", `msgtype=updf`},
		{"truncated", `{"msgtype":"updf","DR":`},
		{"trailing garbage", `{"msgtype":"updf"} x`},
		{"two objects", `{"msgtype":"updf"}{"msgtype":"updf"}`},
		{"array", `[{"msgtype":"updf"}]`},
		{"string", `"updf"`},
		{"msgtype a number", `{"msgtype":7}`},
		{"xtime a float", `{"msgtype":"updf","upinfo":{"xtime":1.5}}`},
		{"xtime in exponent form", `{"msgtype":"updf","upinfo":{"xtime":3.4621422408357864e16}}`},
		{"xtime a string", `{"msgtype":"timesync","xtime":"1"}`},
		{"xtime beyond int64", `{"msgtype":"timesync","xtime":9223372036854775808}`},
		{"DevAddr beyond int32", `{"msgtype":"updf","DevAddr":4294967295}`},
		{"MIC beyond int32", `{"msgtype":"jreq","MIC":2147483648}`},
		{"MHdr beyond a byte", `{"msgtype":"updf","MHdr":256}`},
		{"FCnt beyond 16 bits", `{"msgtype":"updf","FCnt":65536}`},
		{"negative Freq", `{"msgtype":"updf","Freq":-1}`},
		{"odd hex", `{"msgtype":"updf","FRMPayload":"123"}`},
		{"bad hex", `{"msgtype":"dnmsg","pdu":"zz"}`},
		{"hex a number", `{"msgtype":"updf","FOpts":12}`},
		{"bad EUI", `{"msgtype":"jreq","DevEui":"01-02-0g"}`},
		{"EUI with 17 digits", `{"msgtype":"jreq","JoinEui":"01-02-03-04-05-06-07-08-9"}`},
		{"EUI a float", `{"msgtype":"dnmsg","DevEui":1.5}`},
		{"EUI an object", `{"msgtype":"dntxed","DevEui":{}}`},
		{"RefTime a string", `{"msgtype":"updf","RefTime":"now"}`},
		{"RefTime out of range", `{"msgtype":"updf","RefTime":1e400}`},
		{"upinfo an array", `{"msgtype":"updf","upinfo":[]}`},
		{"rctx a bool", `{"msgtype":"dnmsg","rctx":true}`},
		{"schedule an object", `{"msgtype":"dnsched","schedule":{}}`},
		{"arguments with a number", `{"msgtype":"runcmd","arguments":[1]}`},
		{"xtimes with a float", `{"msgtype":"getxtime","xtimes":[1.5]}`},
		{"invalid utf-8 escape", `{"msgtype":"error","error":"\x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err == nil {
				t.Fatalf("Decode(%s) = %#v, want an error", tt.in, m)
			}
			if errors.Is(err, ErrUnknownMsgType) {
				t.Errorf("Decode(%s) error %v wraps ErrUnknownMsgType", tt.in, err)
			}
			if !strings.HasPrefix(err.Error(), "station: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

func TestInt64Precision(t *testing.T) {
	// Values float64 cannot hold: 2^53+1, the largest int64, and an xtime
	// with every bit of unit, session and µs used.
	values := []int64{1<<53 + 1, 1<<63 - 1, 0x7FFFFFFFFFFFFFFF - 2, int64(NewXTime(0x7F, 0xFF, 1<<48-3)), -(1<<53 + 1)}
	for _, v := range values {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			in := fmt.Sprintf(`{"msgtype":"dnmsg","DevEui":1,"dC":0,"pdu":"60","diid":%d,"xtime":%d,"gpstime":%d,"rctx":%d}`, v, v, v, v)
			m, err := Decode([]byte(in))
			if err != nil {
				t.Fatal(err)
			}
			d := m.(*Dnmsg)
			if d.Diid != v || int64(d.XTime) != v || int64(d.GPSTime) != v || *d.Rctx != v {
				t.Errorf("decoded diid %d xtime %d gpstime %d rctx %d, want %d", d.Diid, d.XTime, d.GPSTime, *d.Rctx, v)
			}
			b, err := Encode(d)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(b), fmt.Sprint(v)); n != 4 {
				t.Errorf("Encode = %s: %d exact copies of %d, want 4", b, n, v)
			}
			up := fmt.Sprintf(`{"msgtype":"updf","upinfo":{"xtime":%d,"gpstime":%d,"rctx":%d}}`, v, v, v)
			m, err = Decode([]byte(up))
			if err != nil {
				t.Fatal(err)
			}
			ui := m.(*Updf).UpInfo
			if int64(ui.XTime) != v || int64(ui.GPSTime) != v || ui.Rctx != v {
				t.Errorf("updf upinfo = %+v, want %d everywhere", ui, v)
			}
		})
	}
}

// fakeEvent is a message of another package, to check Encode with it.
type fakeEvent struct {
	Evcat   string `json:"evcat"`
	Msgtype string `json:"msgtype,omitempty"`
}

func (fakeEvent) MsgType() string { return "event" }

func TestEncodeForeignMessage(t *testing.T) {
	b, err := Encode(fakeEvent{Evcat: "gps"})
	if err != nil || string(b) != `{"msgtype":"event","evcat":"gps"}` {
		t.Errorf("Encode(without msgtype) = %s, %v", b, err)
	}
	b, err = Encode(fakeEvent{Evcat: "gps", Msgtype: "event"})
	if err != nil || string(b) != `{"evcat":"gps","msgtype":"event"}` {
		t.Errorf("Encode(with msgtype) = %s, %v", b, err)
	}
	if b, err := Encode(fakeEvent{Msgtype: "updf"}); err == nil {
		t.Errorf("Encode(contradicting msgtype) = %s, want an error", b)
	}
}

func TestEncodeNil(t *testing.T) {
	var u *Updf
	for _, m := range []Message{nil, u} {
		if b, err := Encode(m); err == nil {
			t.Errorf("Encode(%#v) = %s, want an error", m, b)
		}
	}
}

func TestDecodeMsgTypePosition(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{`{"msgtype":"updf","msgtype":"jreq"}`, MsgTypeUpdf}, // the first, as Station's uj_msgtype
		{`{"DR":1,"msgtype":"jreq"}`, MsgTypeJreq},
		{` { "msgtype" : "dntxed" } `, MsgTypeDntxed},
		{`{"msgtype":"\u0075pdf"}`, MsgTypeUpdf},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if m.MsgType() != tt.want {
				t.Errorf("MsgType() = %s, want %s", m.MsgType(), tt.want)
			}
		})
	}
	if _, err := Decode([]byte(`{"msgtype":"event",`)); err == nil || errors.Is(err, ErrUnknownMsgType) {
		t.Errorf("Decode(truncated unknown) = %v, want a json error", err)
	}
}
