package station

// Timesync is the time synchronisation message, in three shapes
// (src/timesync.c, handle_timesync):
//   - Station → LNS: {"txtime"} with TxTime in µs of Station's monotonic
//     clock; Station sends it only once its radio has a PPS offset;
//   - LNS → Station reply: {"txtime" (echoed), "gpstime", "MuxTime"};
//   - LNS → Station push: {"xtime", "gpstime"}, which sets the GPS time of
//     an xtime outright.
//
// Zero fields are left out.
type Timesync struct {
	TxTime  int64   `json:"txtime,omitempty"`
	XTime   XTime   `json:"xtime,omitempty"`
	GPSTime GPSTime `json:"gpstime,omitempty"`
	MuxTime Seconds `json:"MuxTime,omitempty"`
}

// MsgType returns "timesync".
func (Timesync) MsgType() string { return MsgTypeTimesync }

func (Timesync) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (t Timesync) MarshalJSON() ([]byte, error) {
	type wire Timesync
	return withMsgType(MsgTypeTimesync, wire(t))
}
