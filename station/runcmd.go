package station

// Runcmd asks Station to execute a program on the gateway host, detached
// (handle_runcmd, sys_execCommand). The cloud must send it only when an
// operator asks, and the agent must refuse it unless its configuration
// enables it. Station takes at most 64 arguments.
type Runcmd struct {
	Command   string   `json:"command"`
	Arguments []string `json:"arguments,omitempty"`
}

// MaxRuncmdArgs is the number of arguments Station accepts (MAX_CMDARGS).
const MaxRuncmdArgs = 64

// MsgType returns "runcmd".
func (Runcmd) MsgType() string { return MsgTypeRuncmd }

func (Runcmd) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (r Runcmd) MarshalJSON() ([]byte, error) {
	type wire Runcmd
	return withMsgType(MsgTypeRuncmd, wire(r))
}
