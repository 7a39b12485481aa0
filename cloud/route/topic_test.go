package route

import (
	"strings"
	"testing"
)

func TestParseTopic(t *testing.T) {
	t.Parallel()
	f := TopicFields{DevEui: "0004a30b001c0530", WirelessDeviceId: "sensor-1", DevAddr: "26011bda", FPort: 7, Destination: "farm", Event: "uplink"}
	tests := []struct {
		name, tmpl string
		want       string // rendered for f
		parseErr   string // substring of the parse error
	}{
		{name: "fixed", tmpl: "lorawan/uplinks", want: "lorawan/uplinks"},
		{name: "all fields", tmpl: "{{.Destination}}/{{.DevEui}}/{{.WirelessDeviceId}}/{{.DevAddr}}/{{.FPort}}/{{.Event}}", want: "farm/0004a30b001c0530/sensor-1/26011bda/7/uplink"},
		{name: "aws style", tmpl: "$aws/rules/{{.Destination}}/{{.DevEui}}", want: "$aws/rules/farm/0004a30b001c0530"},
		{name: "template functions", tmpl: `up/{{printf "%03d" .FPort}}`, want: "up/007"},
		{name: "unknown field", tmpl: "up/{{.DevEUI}}", parseErr: "can't evaluate field DevEUI"},
		{name: "syntax", tmpl: "up/{{.DevEui", parseErr: "topic template"},
		{name: "wildcard", tmpl: "up/+/{{.DevEui}}", parseErr: "wildcard"},
		{name: "multi-level wildcard", tmpl: "up/#", parseErr: "wildcard"},
		{name: "empty", tmpl: "", parseErr: "empty"},
		{name: "renders empty", tmpl: `{{if false}}x{{end}}`, parseErr: "empty"},
		{name: "nul", tmpl: "up/\x00", parseErr: "NUL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tt, err := parseTopic("farm", tc.tmpl)
			if tc.parseErr != "" {
				if err == nil {
					t.Fatalf("parseTopic(%q) = nil error, want %q", tc.tmpl, tc.parseErr)
				}
				if !strings.Contains(err.Error(), tc.parseErr) || !strings.HasPrefix(err.Error(), "route: destination farm: ") {
					t.Errorf("parseTopic(%q) error %q, want route: destination farm: …%s…", tc.tmpl, err, tc.parseErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseTopic(%q): %v", tc.tmpl, err)
			}
			got, err := tt.render(f)
			if err != nil {
				t.Fatalf("render: %v", err)
			}
			if got != tc.want {
				t.Errorf("render = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestRenderRefusesBadValues: a device id that would put a wildcard into
// the topic is refused at publish time.
func TestRenderRefusesBadValues(t *testing.T) {
	t.Parallel()
	tt, err := parseTopic("d", "up/{{.WirelessDeviceId}}")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a+b", "a#", "x\x00y", "\xff"} {
		if got, err := tt.render(TopicFields{WirelessDeviceId: id}); err == nil {
			t.Errorf("render(id %q) = %q, want an error", id, got)
		}
	}
}
