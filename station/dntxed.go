package station

import (
	"encoding/json"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// Dntxed confirms that a downlink went on air (send_dntxed in src/s2e.c).
// Station sends it only for jobs that carry a DevEui (dnmsg and dnframe, not
// dnsched): the downlink id, the data rate and frequency used, the DevEUI,
// the antenna (rctx), the xtime and GPS time of the transmission and its
// time in seconds of Station's clock. Station also writes the diid as the
// legacy "seqno"; Encode does the same and Decode reads "seqno" when "diid"
// is absent.
type Dntxed struct {
	Diid    int64
	DR      int
	Freq    uint32
	DevEUI  lorawan.EUI64
	Rctx    int64
	XTime   XTime
	TxTime  Seconds
	GPSTime GPSTime
	// UpperEUIKeys writes "DevEUI" instead of "DevEui", as Station does once
	// a router_config spelled "JoinEUI"; Decode sets it from the input.
	UpperEUIKeys bool
}

// MsgType returns "dntxed".
func (Dntxed) MsgType() string { return MsgTypeDntxed }

func (Dntxed) ownMessage() {}

// MarshalJSON writes the message with its msgtype, in Station's key order.
func (d Dntxed) MarshalJSON() ([]byte, error) {
	_, devKey := euiKeys(d.UpperEUIKeys)
	o := newObject(MsgTypeDntxed)
	o.add("seqno", d.Diid)
	o.add("diid", d.Diid)
	o.add("DR", d.DR)
	o.add("Freq", d.Freq)
	o.add(devKey, euiText(d.DevEUI))
	o.add("rctx", d.Rctx)
	o.add("xtime", d.XTime)
	o.add("txtime", d.TxTime)
	o.add("gpstime", d.GPSTime)
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode dntxed: %w", err)
	}
	return b, nil
}

// UnmarshalJSON reads either spelling of DevEui and the legacy seqno.
func (d *Dntxed) UnmarshalJSON(b []byte) error {
	var w struct {
		Seqno   *int64   `json:"seqno"`
		Diid    *int64   `json:"diid"`
		DR      int      `json:"DR"`
		Freq    uint32   `json:"Freq"`
		DevEui  *euiText `json:"DevEui"`
		DevEUI  *euiText `json:"DevEUI"`
		Rctx    int64    `json:"rctx"`
		XTime   XTime    `json:"xtime"`
		TxTime  Seconds  `json:"txtime"`
		GPSTime GPSTime  `json:"gpstime"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*d = Dntxed{
		Diid:         derefOr(w.Diid, w.Seqno),
		DR:           w.DR,
		Freq:         w.Freq,
		DevEUI:       lorawan.EUI64(*firstEUI(w.DevEui, w.DevEUI)),
		Rctx:         w.Rctx,
		XTime:        w.XTime,
		TxTime:       w.TxTime,
		GPSTime:      w.GPSTime,
		UpperEUIKeys: w.DevEUI != nil,
	}
	return nil
}

// derefOr returns *a, else *b, else 0.
func derefOr(a, b *int64) int64 {
	switch {
	case a != nil:
		return *a
	case b != nil:
		return *b
	}
	return 0
}
