package station

// Rmtsh is the remote-shell message, both ways (src-linux/rmtsh.c). From the
// LNS it may stop the session at index Stop and start one at index Start
// (forking "sh" on a pty as User with terminal Term); the shell's data then
// travels in binary frames whose first byte is the session index (an empty
// payload means end of file). Station answers every request with the state
// of its sessions in Sessions. The cloud must send it only when an operator
// asks; the agent must refuse it unless its configuration enables it.
type Rmtsh struct {
	User     string         `json:"user,omitempty"`
	Start    *int           `json:"start,omitempty"`
	Stop     *int           `json:"stop,omitempty"`
	Term     string         `json:"term,omitempty"`
	MuxTime  Seconds        `json:"MuxTime,omitempty"`
	Sessions []RmtshSession `json:"rmtsh,omitempty"`
}

// RmtshSession is one entry of Station's rmtsh answer: the user, whether the
// shell runs, the seconds since its last activity (-1 if never) and its
// process id.
type RmtshSession struct {
	User    string `json:"user"`
	Started bool   `json:"started"`
	Age     int    `json:"age"`
	PID     int    `json:"pid"`
}

// MsgType returns "rmtsh".
func (Rmtsh) MsgType() string { return MsgTypeRmtsh }

func (Rmtsh) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (r Rmtsh) MarshalJSON() ([]byte, error) {
	type wire Rmtsh
	return withMsgType(MsgTypeRmtsh, wire(r))
}
