package station

import (
	"encoding/json"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// Jreq is a join-request as Station splits it (src/lora.c): MHdr, the two
// EUIs (MSB first, written "01-02-03-04-05-06-07-08"), DevNonce, MIC as a
// signed 32-bit integer, then the radio metadata. Station writes the EUI keys
// "JoinEui"/"DevEui", or "JoinEUI"/"DevEUI" once a router_config spelled its
// filter key "JoinEUI"; UpperEUIKeys records which.
type Jreq struct {
	MHdr     uint8
	JoinEUI  lorawan.EUI64
	DevEUI   lorawan.EUI64
	DevNonce uint16
	MIC      int32
	// UpperEUIKeys selects the keys "JoinEUI"/"DevEUI" instead of
	// "JoinEui"/"DevEui"; Decode sets it when the input used them.
	UpperEUIKeys bool
	UplinkMeta
}

// joinLen is the only frame length Station splits as jreq or rejoin.
const joinLen = 23

// MsgType returns "jreq".
func (Jreq) MsgType() string { return MsgTypeJreq }

func (Jreq) ownMessage() {}

// MarshalJSON writes the message with its msgtype, in Station's key order.
func (j Jreq) MarshalJSON() ([]byte, error) { return j.marshal(MsgTypeJreq) }

// UnmarshalJSON reads either spelling of the EUI keys.
func (j *Jreq) UnmarshalJSON(b []byte) error { return j.unmarshal(b) }

// PHYPayload rebuilds the 23-byte frame: MHdr, JoinEUI, DevEUI and DevNonce
// little endian, MIC little endian.
func (j *Jreq) PHYPayload() ([]byte, error) { return j.phy(), nil }

func (j *Jreq) phy() []byte {
	b := make([]byte, joinLen)
	b[0] = j.MHdr
	for i := range 8 {
		b[1+i] = j.JoinEUI[7-i]
		b[9+i] = j.DevEUI[7-i]
	}
	b[17] = byte(j.DevNonce)
	b[18] = byte(j.DevNonce >> 8)
	putLE32(b[19:], uint32(j.MIC))
	return b
}

func (j Jreq) marshal(msgType string) ([]byte, error) {
	joinKey, devKey := euiKeys(j.UpperEUIKeys)
	o := newObject(msgType)
	o.add("MHdr", j.MHdr)
	o.add(joinKey, euiText(j.JoinEUI))
	o.add(devKey, euiText(j.DevEUI))
	o.add("DevNonce", j.DevNonce)
	o.add("MIC", j.MIC)
	addUplinkMeta(o, j.UplinkMeta)
	b, err := o.bytes()
	if err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", msgType, err)
	}
	return b, nil
}

func (j *Jreq) unmarshal(b []byte) error {
	var w struct {
		MHdr     uint8    `json:"MHdr"`
		JoinEui  *euiText `json:"JoinEui"`
		JoinEUI  *euiText `json:"JoinEUI"`
		DevEui   *euiText `json:"DevEui"`
		DevEUI   *euiText `json:"DevEUI"`
		DevNonce uint16   `json:"DevNonce"`
		MIC      int32    `json:"MIC"`
		UplinkMeta
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*j = Jreq{MHdr: w.MHdr, DevNonce: w.DevNonce, MIC: w.MIC, UplinkMeta: w.UplinkMeta}
	j.UpperEUIKeys = w.JoinEUI != nil || w.DevEUI != nil
	j.JoinEUI = lorawan.EUI64(*firstEUI(w.JoinEui, w.JoinEUI))
	j.DevEUI = lorawan.EUI64(*firstEUI(w.DevEui, w.DevEUI))
	return nil
}

// firstEUI returns the first non-nil EUI, or a zero one.
func firstEUI(es ...*euiText) *euiText {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return new(euiText)
}

// euiKeys returns the JoinEUI and DevEUI key names for a spelling.
func euiKeys(upper bool) (joinKey, devKey string) {
	if upper {
		return "JoinEUI", "DevEUI"
	}
	return "JoinEui", "DevEui"
}

// addUplinkMeta writes RefTime, DR, Freq and upinfo.
func addUplinkMeta(o *object, m UplinkMeta) {
	o.add("RefTime", m.RefTime)
	o.add("DR", m.DR)
	o.add("Freq", m.Freq)
	o.add("upinfo", m.UpInfo)
}

func putLE32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
