package station

import "strings"

// Version is the first message Station sends on the traffic socket: its
// build ("station"), the contents of version.txt ("firmware" and
// "package"), the platform ("model"), the protocol version (2) and a space
// separated feature list ("rmtsh", "prod", "gps").
type Version struct {
	Station  string `json:"station"`
	Firmware string `json:"firmware"`
	Package  string `json:"package"`
	Model    string `json:"model"`
	Protocol int    `json:"protocol"`
	Features string `json:"features"`
}

// ProtocolVersion is the MUXS protocol version Station 2.0.6 announces.
const ProtocolVersion = 2

// MsgType returns "version".
func (Version) MsgType() string { return MsgTypeVersion }

func (Version) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (v Version) MarshalJSON() ([]byte, error) {
	type wire Version
	return withMsgType(MsgTypeVersion, wire(v))
}

// HasFeature reports whether the feature list names f.
func (v Version) HasFeature(f string) bool {
	for _, x := range strings.Fields(v.Features) {
		if x == f {
			return true
		}
	}
	return false
}
