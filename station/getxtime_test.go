package station

import "testing"

func TestGetxtimeGolden(t *testing.T) {
	tests := []struct {
		name string
		want *Getxtime
	}{
		{"getxtime_req", &Getxtime{MuxTime: 1795783677.292109}},
		{"getxtime_reply", &Getxtime{
			MuxTime: 1795783677.292109, UsTime: 12.345678, UTCTime: 1795783677.4,
			XTimes: []XTime{NewXTime(0, 0x7B, 12500000), 0, 0, 0},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
		})
	}
}
