package station

import (
	"github.com/loraedge/loraedge/lorawan"
)

// Updf is an uplink data frame (MType unconfirmed or confirmed data up) as
// Station splits it (s2e_parse_lora_frame in src/lora.c): the header fields,
// FOpts and FRMPayload as hex, FPort -1 when the frame has none, DevAddr and
// MIC as signed 32-bit integers, followed by the radio metadata.
type Updf struct {
	MHdr       uint8    `json:"MHdr"`
	DevAddr    int32    `json:"DevAddr"`
	FCtrl      uint8    `json:"FCtrl"`
	FCnt       uint16   `json:"FCnt"`
	FOpts      HexBytes `json:"FOpts"`
	FPort      int      `json:"FPort"`
	FRMPayload HexBytes `json:"FRMPayload"`
	MIC        int32    `json:"MIC"`
	UplinkMeta
}

// MsgType returns "updf".
func (Updf) MsgType() string { return MsgTypeUpdf }

func (Updf) ownMessage() {}

// MarshalJSON writes the message with its msgtype, in Station's key order.
func (u Updf) MarshalJSON() ([]byte, error) {
	type wire Updf
	return withMsgType(MsgTypeUpdf, wire(u))
}

// Addr returns DevAddr as a lorawan.DevAddr.
func (u *Updf) Addr() lorawan.DevAddr { return lorawan.DevAddrFromUint32(uint32(u.DevAddr)) }

// PHYPayload rebuilds the exact frame bytes: MHdr, DevAddr (little endian),
// FCtrl, FCnt (little endian), FOpts, FPort when it is not -1, FRMPayload
// and MIC (little endian). It fails when the fields cannot come from one
// frame (FOpts length differing from FCtrl's FOptsLen, a payload without a
// port, FPort outside -1..255, more than 255 bytes).
func (u *Updf) PHYPayload() ([]byte, error) {
	return dataFramePHY(MsgTypeUpdf, u.MHdr, u.DevAddr, u.FCtrl, u.FCnt, u.FOpts, u.FPort, u.FRMPayload, u.MIC)
}
