package station

// Dnsched asks Station to send frames at given times (handle_dnsched in
// src/s2e.c), for beacon-like traffic: each entry needs DR, Freq, a time and
// a pdu. It carries no DevEui, so Station sends no dntxed for it.
type Dnsched struct {
	MuxTime  Seconds        `json:"MuxTime,omitempty"`
	Schedule []DnschedEntry `json:"schedule"`
}

// DnschedEntry is one frame of a Dnsched. The time is one of OnTime (whole
// GPS seconds), GPSTime (GPS µs; both send as a class B ping) or XTime (an
// absolute xtime, sent as class A); zero values are left out. DR and Freq
// are nil when absent. Station skips an entry without DR, Freq, a time or
// pdu and goes on with the next; Validate reports such an entry.
type DnschedEntry struct {
	Diid     int64    `json:"diid"`
	Priority int      `json:"priority"`
	DR       *int     `json:"DR,omitempty"`
	Freq     *uint32  `json:"Freq,omitempty"`
	OnTime   int64    `json:"ontime,omitempty"`
	GPSTime  GPSTime  `json:"gpstime,omitempty"`
	XTime    XTime    `json:"xtime,omitempty"`
	PDU      HexBytes `json:"pdu"`
	Rctx     int64    `json:"rctx,omitempty"`
	Preamble uint16   `json:"preamble,omitempty"`
	AddCRC   uint8    `json:"addcrc,omitempty"`
}

// MsgType returns "dnsched".
func (Dnsched) MsgType() string { return MsgTypeDnsched }

func (Dnsched) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (d Dnsched) MarshalJSON() ([]byte, error) {
	type wire Dnsched
	w := wire(d)
	if w.Schedule == nil {
		w.Schedule = []DnschedEntry{} // Station needs an array, never null
	}
	return withMsgType(MsgTypeDnsched, w)
}

// Validate reports, with an error wrapping ErrMissingFields, an entry that
// Station skips for a missing mandatory key ("Some mandatory fields in
// dnsched.schedule[i] are missing", handle_dnsched): DR, Freq, a time
// (ontime, gpstime or xtime) or pdu. An empty pdu counts as missing.
func (e *DnschedEntry) Validate() error {
	return checkPresent("dnsched entry",
		keyPresence{"DR", e.DR != nil},
		keyPresence{"Freq", e.Freq != nil},
		keyPresence{"ontime/gpstime/xtime", e.OnTime != 0 || e.GPSTime != 0 || e.XTime != 0},
		keyPresence{"pdu", len(e.PDU) > 0},
	)
}
