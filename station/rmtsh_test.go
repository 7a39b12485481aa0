package station

import "testing"

func TestRmtshGolden(t *testing.T) {
	tests := []struct {
		name string
		want *Rmtsh
	}{
		{"rmtsh_req", &Rmtsh{User: "ops", Start: ptr(0), Term: "xterm", MuxTime: 1795783677.292109}},
		{"rmtsh_stop", &Rmtsh{Stop: ptr(0)}},
		{"rmtsh_reply", &Rmtsh{Sessions: []RmtshSession{
			{User: "ops", Started: true, Age: 3, PID: 4242},
			{Age: -1},
		}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
		})
	}
}
