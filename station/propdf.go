package station

import "fmt"

// Propdf is a proprietary frame (MType 7): Station sends the whole frame,
// MHDR included, as FRMPayload, followed by the radio metadata.
type Propdf struct {
	FRMPayload HexBytes `json:"FRMPayload"`
	UplinkMeta
}

// MsgType returns "propdf".
func (Propdf) MsgType() string { return MsgTypePropdf }

func (Propdf) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (p Propdf) MarshalJSON() ([]byte, error) {
	type wire Propdf
	return withMsgType(MsgTypePropdf, wire(p))
}

// PHYPayload returns a copy of the frame, which FRMPayload holds whole.
func (p *Propdf) PHYPayload() ([]byte, error) {
	return wholeFramePHY(MsgTypePropdf, p.FRMPayload)
}

// wholeFramePHY checks and copies a frame carried whole.
func wholeFramePHY(msgType string, b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("station: %s: empty frame", msgType)
	}
	if len(b) > maxFrameLen {
		return nil, fmt.Errorf("station: %s: frame of %d bytes, more than %d", msgType, len(b), maxFrameLen)
	}
	return append([]byte(nil), b...), nil
}
