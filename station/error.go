package station

// ErrorMsg is the "error" message an LNS sends to report a problem;
// Station only logs its text ("LNS ERROR Msg").
type ErrorMsg struct {
	Error string `json:"error"`
}

// MsgType returns "error".
func (ErrorMsg) MsgType() string { return MsgTypeError }

func (ErrorMsg) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (e ErrorMsg) MarshalJSON() ([]byte, error) {
	type wire ErrorMsg
	return withMsgType(MsgTypeError, wire(e))
}
