package station

import (
	"encoding/json"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// Dnframe is the obsolete downlink request that Station still accepts
// (handle_dnframe in src/s2e.c): a frame to send at an absolute XTime (not
// the uplink's: no RxDelay is added), on DR and Freq. With Asap set it is
// sent as class C. When Rctx is absent Station takes the radio unit from
// XTime. Decode reads "DevEUI" and the legacy "seqno" too. DR, Freq,
// DevEui, xtime, diid and pdu are mandatory: Station ignores a dnframe
// without one of them, and Decode refuses it with an error wrapping
// ErrMissingFields.
type Dnframe struct {
	DR      int
	Freq    uint32
	DevEUI  lorawan.EUI64
	XTime   XTime
	Diid    int64
	PDU     HexBytes
	Rctx    *int64
	Asap    bool
	MuxTime Seconds // 0 means absent
	// UpperEUIKeys writes "DevEUI" instead of "DevEui"; Decode sets it from
	// the input.
	UpperEUIKeys bool
}

// MsgType returns "dnframe".
func (Dnframe) MsgType() string { return MsgTypeDnframe }

func (Dnframe) ownMessage() {}

// MarshalJSON writes the message with its msgtype.
func (d Dnframe) MarshalJSON() ([]byte, error) {
	_, devKey := euiKeys(d.UpperEUIKeys)
	o := newObject(MsgTypeDnframe)
	o.add("DR", d.DR)
	o.add("Freq", d.Freq)
	o.add(devKey, euiText(d.DevEUI))
	o.add("xtime", d.XTime)
	o.add("diid", d.Diid)
	o.add("pdu", d.PDU)
	addIf(o, "rctx", d.Rctx)
	if d.Asap {
		o.add("asap", true)
	}
	if d.MuxTime != 0 {
		o.add("MuxTime", d.MuxTime)
	}
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode dnframe: %w", err)
	}
	return b, nil
}

// UnmarshalJSON reads a dnframe, with either DevEui spelling and the legacy
// seqno; a missing (or null) mandatory key is an error wrapping
// ErrMissingFields.
func (d *Dnframe) UnmarshalJSON(b []byte) error {
	var w struct {
		DR      *int      `json:"DR"`
		Freq    *uint32   `json:"Freq"`
		DevEui  *euiText  `json:"DevEui"`
		DevEUI  *euiText  `json:"DevEUI"`
		XTime   *XTime    `json:"xtime"`
		Diid    *int64    `json:"diid"`
		Seqno   *int64    `json:"seqno"`
		PDU     *HexBytes `json:"pdu"`
		Rctx    *int64    `json:"rctx"`
		Asap    bool      `json:"asap"`
		MuxTime Seconds   `json:"MuxTime"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if err := checkPresent(MsgTypeDnframe,
		keyPresence{"DR", w.DR != nil},
		keyPresence{"Freq", w.Freq != nil},
		keyPresence{"DevEui", w.DevEui != nil || w.DevEUI != nil},
		keyPresence{"xtime", w.XTime != nil},
		keyPresence{"diid", w.Diid != nil || w.Seqno != nil},
		keyPresence{"pdu", w.PDU != nil},
	); err != nil {
		return err
	}
	*d = Dnframe{
		DR:           *w.DR,
		Freq:         *w.Freq,
		DevEUI:       lorawan.EUI64(*firstEUI(w.DevEui, w.DevEUI)),
		XTime:        *w.XTime,
		Diid:         derefOr(w.Diid, w.Seqno),
		PDU:          *w.PDU,
		Rctx:         w.Rctx,
		Asap:         w.Asap,
		MuxTime:      w.MuxTime,
		UpperEUIKeys: w.DevEUI != nil,
	}
	return nil
}
