package station

import "testing"

func TestVersionGolden(t *testing.T) {
	// The version message Station 2.0.6 sent in the notes' simulation run.
	checkGolden(t, "version", &Version{
		Station:  "2.0.6(linux/testsim)",
		Firmware: "v1",
		Package:  "v1",
		Model:    "linux",
		Protocol: ProtocolVersion,
		Features: "rmtsh",
	})
}

func TestVersionHasFeature(t *testing.T) {
	v := Version{Features: "rmtsh gps"}
	tests := []struct {
		feature string
		want    bool
	}{
		{"rmtsh", true},
		{"gps", true},
		{"prod", false},
		{"rmt", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.feature, func(t *testing.T) {
			if got := v.HasFeature(tt.feature); got != tt.want {
				t.Errorf("HasFeature(%q) = %v, want %v", tt.feature, got, tt.want)
			}
		})
	}
}
