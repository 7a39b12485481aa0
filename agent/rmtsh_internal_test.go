package agent

import (
	"strings"
	"testing"

	"github.com/loraedge/loraedge/agent/rmtsh"
	"github.com/loraedge/loraedge/station"
)

// TestRmtshVersionFeatures: "rmtsh" is among the version message's
// features exactly when remote shells are allowed and supported here.
func TestRmtshVersionFeatures(t *testing.T) {
	tests := []struct {
		name     string
		allow    bool
		features string
		want     string
	}{
		{"off", false, "", ""},
		{"off, not advertised even if asked", false, "rmtsh", ""},
		{"off, others kept", false, "gps rmtsh prod", "gps prod"},
		{"on", true, "", "rmtsh"},
		{"on, once", true, "rmtsh  gps", "gps rmtsh"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &Agent{opts: Options{AllowRmtsh: tt.allow, Version: station.Version{Features: tt.features}}}
			want := tt.want
			if !rmtsh.Supported {
				want = strings.TrimSpace(strings.ReplaceAll(want, "rmtsh", ""))
			}
			if got := a.version().Features; got != want {
				t.Errorf("features %q, want %q", got, want)
			}
			if a.opts.Version.Features != tt.features {
				t.Errorf("Options.Version.Features changed to %q", a.opts.Version.Features)
			}
		})
	}
}
