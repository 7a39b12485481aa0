package sim

import (
	"fmt"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// EventKind says what happened to a simulated device.
type EventKind uint8

// Device events.
const (
	// EventUplink: the device put a frame on the air (join-request or
	// data); FCnt, FPort, Payload (clear), Freq and DataRate describe it.
	EventUplink EventKind = iota + 1
	// EventJoined: a join-accept was accepted; DevAddr and the session
	// (Device.Session) are set.
	EventJoined
	// EventDownlink: a downlink for this device was received in Window
	// and passed its MIC; Payload is decrypted.
	EventDownlink
	// EventMissed: a downlink meant for this device was on the air but
	// the device did not get it (Reason says why: outside its windows,
	// wrong channel, collision, …). Real devices cannot know this; the
	// simulator reports it so tests can tell a late downlink from none.
	EventMissed
	// EventMICFailed: a frame addressed to the device (or a join-accept
	// while joining) failed its MIC check.
	EventMICFailed
	// EventNoDownlink: the receive windows of an uplink closed without a
	// downlink for the device (for a join-request: the join failed).
	EventNoDownlink
	// EventRejected: a frame with a valid MIC was refused (replayed
	// JoinNonce, bad content); Err says why.
	EventRejected
)

// String returns the kind's name, e.g. "downlink".
func (k EventKind) String() string {
	switch k {
	case EventUplink:
		return "uplink"
	case EventJoined:
		return "joined"
	case EventDownlink:
		return "downlink"
	case EventMissed:
		return "missed"
	case EventMICFailed:
		return "mic-failed"
	case EventNoDownlink:
		return "no-downlink"
	case EventRejected:
		return "rejected"
	}
	return fmt.Sprintf("EventKind(%d)", uint8(k))
}

// Window is the receive slot a downlink arrived in (or was aimed at).
type Window uint8

// Receive windows.
const (
	WindowNone Window = iota // not in a window
	WindowRX1                // first class A window
	WindowRX2                // second class A window
	WindowC                  // class C continuous reception on RX2 parameters
)

// String returns "none", "RX1", "RX2" or "C".
func (w Window) String() string {
	switch w {
	case WindowNone:
		return "none"
	case WindowRX1:
		return "RX1"
	case WindowRX2:
		return "RX2"
	case WindowC:
		return "C"
	}
	return fmt.Sprintf("Window(%d)", uint8(w))
}

// Event is one thing that happened to a simulated device. Fields not
// meaningful for a kind are zero.
type Event struct {
	Kind   EventKind
	Device string    // the device's name on the air
	Time   time.Time // clock time of the event
	Window Window
	MType  lorawan.MType
	// DevAddr is the device's address (once it has one).
	DevAddr lorawan.DevAddr
	// FCnt is the full frame counter of the frame.
	FCnt uint32
	// DevNonce is the DevNonce of a join-request (and of the join a
	// join-accept answered).
	DevNonce uint16
	// FPort is the frame's port, -1 when absent.
	FPort int
	// Payload is the FRMPayload in clear (application data, or MAC
	// commands when FPort is 0).
	Payload []byte
	// Confirmed is set for confirmed frames.
	Confirmed bool
	// ACK is set on a downlink that acknowledged the device's last
	// confirmed uplink, and on an uplink that acknowledges a confirmed
	// downlink.
	ACK bool
	// FPending is the downlink's FPending bit.
	FPending bool
	// MAC are the MAC commands the frame carried (sent ones on an uplink,
	// received ones on a downlink).
	MAC []lorawan.MACCommand
	// Freq (Hz), DataRate (region index), RSSI (dBm) and SNR (dB) of the
	// frame at the device (RSSI/SNR on downlinks only).
	Freq      uint32
	DataRate  int
	RSSI, SNR float64
	// Reason explains EventMissed, EventMICFailed and EventNoDownlink.
	Reason string
	// Err is set on EventRejected.
	Err error
}
