package station

import "testing"

func TestTimesyncGolden(t *testing.T) {
	tests := []struct {
		name string
		want *Timesync
	}{
		{"timesync_up", &Timesync{TxTime: 123456789012}},
		{"timesync_reply", &Timesync{TxTime: 123456789012, GPSTime: 1448397618123456, MuxTime: 1795783677.292109}},
		{"timesync_push", &Timesync{XTime: 34621422408357864, GPSTime: 1448397618123457}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
		})
	}
}
