package station

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// Device classes of Dnmsg.DC.
const (
	ClassA = 0 // class A: RX1/RX2 after an uplink
	ClassB = 1 // class B ping slot at GPSTime
	ClassC = 2 // class C
)

// MaxPDULen is the largest pdu Station accepts in a dnmsg.
const MaxPDULen = 255

// Dnmsg is the LNS's downlink request (handle_dnmsg in src/s2e.c).
//
// For class A, XTime is the xtime of the uplink being answered; Station adds
// RxDelay seconds itself (RxDelay 0 counts as 1) for RX1 (RX1DR, RX1Freq)
// and one more second for RX2 (RX2DR, RX2Freq), each pair present or absent
// as a whole. With no RX1, Station goes straight to RX2. Class C may come
// without XTime and with RX2 only. Class B uses GPSTime. When Rctx is
// absent Station takes the radio unit from XTime. MuxTime, when set, updates
// Station's MuxTime reference.
//
// The legacy keys "DR" (which also means RxDelay 0, when it comes after
// RxDelay) and "Freq" stand for RX1DR and RX1Freq; they are kept apart here
// so that a message reads back as it was written. "DevEUI" and "seqno" are
// read as DevEui and diid.
//
// DevEui, dC, diid and pdu are mandatory: Station ignores a dnmsg without
// one of them ("Some mandatory fields are missing"), and Decode refuses it
// with an error wrapping ErrMissingFields. A missing RxDelay counts as 1,
// as in Station.
type Dnmsg struct {
	DevEUI   lorawan.EUI64
	DC       int      // "dC": ClassA, ClassB or ClassC
	Diid     int64    // downlink id, echoed in dntxed
	PDU      HexBytes // the frame to send, at most 255 bytes
	RxDelay  int      // 0–15 s, 0 meaning 1
	RX1DR    *int
	RX1Freq  *uint32
	RX2DR    *int
	RX2Freq  *uint32
	DR       *int    // legacy "DR": RX1 data rate, RxDelay 0
	Freq     *uint32 // legacy "Freq": RX1 frequency
	Priority int     // 0–255
	XTime    XTime   // 0 means absent
	Rctx     *int64
	GPSTime  GPSTime // class B ping slot time; 0 means absent
	MuxTime  Seconds // 0 means absent
	Preamble uint16  // preamble symbols; 0 means Station's default (8)
	AddCRC   uint8   // 1 sends the frame with a payload CRC
	DnMode   string  // "dnmode", ignored by Station
	// UpperEUIKeys writes "DevEUI" instead of "DevEui"; Decode sets it from
	// the input.
	UpperEUIKeys bool
}

// MsgType returns "dnmsg".
func (Dnmsg) MsgType() string { return MsgTypeDnmsg }

func (Dnmsg) ownMessage() {}

// MarshalJSON writes the message with its msgtype; absent optional fields
// are left out.
func (d Dnmsg) MarshalJSON() ([]byte, error) {
	_, devKey := euiKeys(d.UpperEUIKeys)
	o := newObject(MsgTypeDnmsg)
	o.add(devKey, euiText(d.DevEUI))
	o.add("dC", d.DC)
	o.add("diid", d.Diid)
	o.add("pdu", d.PDU)
	o.add("RxDelay", d.RxDelay)
	addIf(o, "RX1DR", d.RX1DR)
	addIf(o, "RX1Freq", d.RX1Freq)
	addIf(o, "RX2DR", d.RX2DR)
	addIf(o, "RX2Freq", d.RX2Freq)
	addIf(o, "DR", d.DR)
	addIf(o, "Freq", d.Freq)
	o.add("priority", d.Priority)
	if d.XTime != 0 {
		o.add("xtime", d.XTime)
	}
	addIf(o, "rctx", d.Rctx)
	if d.GPSTime != 0 {
		o.add("gpstime", d.GPSTime)
	}
	if d.MuxTime != 0 {
		o.add("MuxTime", d.MuxTime)
	}
	if d.Preamble != 0 {
		o.add("preamble", d.Preamble)
	}
	if d.AddCRC != 0 {
		o.add("addcrc", d.AddCRC)
	}
	if d.DnMode != "" {
		o.add("dnmode", d.DnMode)
	}
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode dnmsg: %w", err)
	}
	return b, nil
}

// addIf writes key when p is not nil.
func addIf[T any](o *object, key string, p *T) {
	if p != nil {
		o.add(key, *p)
	}
}

// UnmarshalJSON reads a dnmsg, with either DevEui spelling and the legacy
// seqno; a missing (or null) DevEui, dC, diid or pdu is an error wrapping
// ErrMissingFields.
func (d *Dnmsg) UnmarshalJSON(b []byte) error {
	var w struct {
		DevEui   *euiText  `json:"DevEui"`
		DevEUI   *euiText  `json:"DevEUI"`
		DC       *int      `json:"dC"`
		Diid     *int64    `json:"diid"`
		Seqno    *int64    `json:"seqno"`
		PDU      *HexBytes `json:"pdu"`
		RxDelay  int       `json:"RxDelay"`
		RX1DR    *int      `json:"RX1DR"`
		RX1Freq  *uint32   `json:"RX1Freq"`
		RX2DR    *int      `json:"RX2DR"`
		RX2Freq  *uint32   `json:"RX2Freq"`
		DR       *int      `json:"DR"`
		Freq     *uint32   `json:"Freq"`
		Priority int       `json:"priority"`
		XTime    XTime     `json:"xtime"`
		Rctx     *int64    `json:"rctx"`
		GPSTime  GPSTime   `json:"gpstime"`
		MuxTime  Seconds   `json:"MuxTime"`
		Preamble uint16    `json:"preamble"`
		AddCRC   uint8     `json:"addcrc"`
		DnMode   string    `json:"dnmode"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if err := checkPresent(MsgTypeDnmsg,
		keyPresence{"DevEui", w.DevEui != nil || w.DevEUI != nil},
		keyPresence{"dC", w.DC != nil},
		keyPresence{"diid", w.Diid != nil || w.Seqno != nil},
		keyPresence{"pdu", w.PDU != nil},
	); err != nil {
		return err
	}
	*d = Dnmsg{
		DevEUI:       lorawan.EUI64(*firstEUI(w.DevEui, w.DevEUI)),
		DC:           *w.DC,
		Diid:         derefOr(w.Diid, w.Seqno),
		PDU:          *w.PDU,
		RxDelay:      w.RxDelay,
		RX1DR:        w.RX1DR,
		RX1Freq:      w.RX1Freq,
		RX2DR:        w.RX2DR,
		RX2Freq:      w.RX2Freq,
		DR:           w.DR,
		Freq:         w.Freq,
		Priority:     w.Priority,
		XTime:        w.XTime,
		Rctx:         w.Rctx,
		GPSTime:      w.GPSTime,
		MuxTime:      w.MuxTime,
		Preamble:     w.Preamble,
		AddCRC:       w.AddCRC,
		DnMode:       w.DnMode,
		UpperEUIKeys: w.DevEUI != nil,
	}
	return nil
}

// Validate reports what would make Station ignore the message: dC outside
// 0–2, RxDelay outside 0–15, priority outside 0–255, an empty pdu or one
// longer than 255 bytes, an RX1 or RX2 pair given by halves, RX1 given both
// as RX1DR/RX1Freq and as legacy DR/Freq, no frequency at all, class B
// without GPSTime, class A without XTime. Frequencies and data rates are
// checked against the router_config by Station, not here.
func (d *Dnmsg) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf(format, args...))
	}
	if d.DC < ClassA || d.DC > ClassC {
		bad("dC %d outside 0..2", d.DC)
	}
	if d.RxDelay < 0 || d.RxDelay > 15 {
		bad("RxDelay %d outside 0..15", d.RxDelay)
	}
	if d.Priority < 0 || d.Priority > 255 {
		bad("priority %d outside 0..255", d.Priority)
	}
	if len(d.PDU) == 0 || len(d.PDU) > MaxPDULen {
		bad("pdu of %d bytes, want 1..%d", len(d.PDU), MaxPDULen)
	}
	rx1DR, rx1Freq := d.RX1DR != nil || d.DR != nil, d.RX1Freq != nil || d.Freq != nil
	if rx1DR != rx1Freq {
		bad("RX1 data rate and frequency must come together")
	}
	if (d.RX1DR != nil && d.DR != nil) || (d.RX1Freq != nil && d.Freq != nil) {
		bad("RX1 given both as RX1DR/RX1Freq and as DR/Freq")
	}
	if (d.RX2DR != nil) != (d.RX2Freq != nil) {
		bad("RX2DR and RX2Freq must come together")
	}
	if !rx1Freq && d.RX2Freq == nil {
		bad("neither RX1 nor RX2 frequency")
	}
	if d.DC == ClassB && d.GPSTime == 0 {
		bad("class B without gpstime")
	}
	if d.DC == ClassA && d.XTime == 0 {
		bad("class A without xtime")
	}
	if len(errs) > 0 {
		return fmt.Errorf("station: dnmsg: %w", errors.Join(errs...))
	}
	return nil
}
