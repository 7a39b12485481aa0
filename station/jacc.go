package station

// Jacc is a join-accept (MType 1) that Station heard and forwarded whole, as
// it does proprietary frames: FRMPayload holds the entire frame.
type Jacc Propdf

// MsgType returns "jacc".
func (Jacc) MsgType() string { return MsgTypeJacc }

func (Jacc) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (j Jacc) MarshalJSON() ([]byte, error) {
	type wire Jacc
	return withMsgType(MsgTypeJacc, wire(j))
}

// PHYPayload returns a copy of the frame, which FRMPayload holds whole.
func (j *Jacc) PHYPayload() ([]byte, error) {
	return wholeFramePHY(MsgTypeJacc, j.FRMPayload)
}
