package station

import (
	"github.com/loraedge/loraedge/lorawan"
)

// Dndf is a downlink data frame (MType unconfirmed or confirmed data down)
// that Station heard and forwarded: Station splits every frame it receives,
// whatever its direction (for its device_mode), and names data frames that
// are not uplinks "dndf". The fields are those of Updf.
type Dndf Updf

// MsgType returns "dndf".
func (Dndf) MsgType() string { return MsgTypeDndf }

func (Dndf) ownMessage() {}

// MarshalJSON writes the message with its msgtype, in Station's key order.
func (d Dndf) MarshalJSON() ([]byte, error) {
	type wire Dndf
	return withMsgType(MsgTypeDndf, wire(d))
}

// Addr returns DevAddr as a lorawan.DevAddr.
func (d *Dndf) Addr() lorawan.DevAddr { return lorawan.DevAddrFromUint32(uint32(d.DevAddr)) }

// PHYPayload rebuilds the exact frame bytes, as Updf.PHYPayload does.
func (d *Dndf) PHYPayload() ([]byte, error) {
	return dataFramePHY(MsgTypeDndf, d.MHdr, d.DevAddr, d.FCtrl, d.FCnt, d.FOpts, d.FPort, d.FRMPayload, d.MIC)
}
