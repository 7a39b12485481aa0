package station

// Getxtime asks Station for its current xtimes (LNS → Station: only
// MuxTime) and carries its answer (Station → LNS, handle_getxtime): the
// echoed MuxTime, Station's monotonic clock (UsTime) and UTC clock
// (UTCTime) in seconds, and the current xtime of each of its four TX units
// (0 where a unit has no time sync).
type Getxtime struct {
	MuxTime Seconds `json:"MuxTime"`
	UsTime  Seconds `json:"ustime,omitempty"`
	UTCTime Seconds `json:"UTCtime,omitempty"`
	XTimes  []XTime `json:"xtimes,omitempty"`
}

// MsgType returns "getxtime".
func (Getxtime) MsgType() string { return MsgTypeGetxtime }

func (Getxtime) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (g Getxtime) MarshalJSON() ([]byte, error) {
	type wire Getxtime
	return withMsgType(MsgTypeGetxtime, wire(g))
}
