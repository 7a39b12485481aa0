package station

// Rejoin is what Station sends for a frame of MType 6 (rejoin-request).
// Station forwards such a frame only when it is exactly 23 bytes long and
// splits it with the join-request layout, so the fields are named as in Jreq
// but hold bytes 1–8, 9–16 and 17–18 of the frame. LoRaWAN 1.1 rejoin
// requests are 19 bytes (types 0 and 2) or 24 bytes (type 1), so Station
// 2.0.6 drops every real one as "not a LoRaWAN frame"; an LNS only sees
// rejoin from Station for 23-byte frames, and PHYPayload gives their bytes
// back unchanged.
type Rejoin Jreq

// MsgType returns "rejoin".
func (Rejoin) MsgType() string { return MsgTypeRejoin }

func (Rejoin) ownMessage() {}

// MarshalJSON writes the message with its msgtype, in Station's key order.
func (r Rejoin) MarshalJSON() ([]byte, error) { return Jreq(r).marshal(MsgTypeRejoin) }

// UnmarshalJSON reads either spelling of the EUI keys.
func (r *Rejoin) UnmarshalJSON(b []byte) error { return (*Jreq)(r).unmarshal(b) }

// PHYPayload rebuilds the 23-byte frame in the join-request layout.
func (r *Rejoin) PHYPayload() ([]byte, error) { return (*Jreq)(r).phy(), nil }
