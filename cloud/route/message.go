package route

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// Values of the fixed-vocabulary fields of LoRaWANMetadata, as AWS IoT Core
// for LoRaWAN writes them.
const (
	MajorLoRaWANR1 = "LoRaWANR1" // Major: LoRaWAN R1, the only major version
	ModulationLoRa = "LORA"      // Modulation of LoRa data rates
	ModulationFSK  = "FSK"       // Modulation of FSK data rates
	CodeRate4_5    = "4/5"       // CodeRate of LoRaWAN uplinks
)

// Uplink is a data uplink in the AWS IoT Core for LoRaWAN message shape, the
// JSON a destination's rule publishes for every routed uplink.
type Uplink struct {
	// WirelessDeviceId names the device (its id in the store).
	WirelessDeviceId string
	// PayloadData is the decrypted FRMPayload, base64 (standard, padded) in JSON.
	PayloadData Payload
	// WirelessMetadata holds the LoRaWAN frame and radio metadata.
	WirelessMetadata WirelessMetadata
}

// WirelessMetadata wraps the LoRaWAN metadata, as AWS nests it.
type WirelessMetadata struct {
	LoRaWAN LoRaWANMetadata
}

// LoRaWANMetadata describes the uplink frame, its radio parameters and the
// gateways that heard it. The JSON value types follow AWS's published
// examples: DataRate and Frequency are strings, hex values lower case.
type LoRaWANMetadata struct {
	ADR       bool   // FCtrl.ADR of the uplink
	Bandwidth int    // kHz: 125, 250, 500 (LoRa)
	ClassB    bool   // FCtrl.ClassB of the uplink
	CodeRate  string // "4/5"
	// DataRate is the region's data rate index, a JSON string ("5").
	DataRate int             `json:",string"`
	DevAddr  lorawan.DevAddr // 8 hex digits
	DevEui   lorawan.EUI64   // 16 hex digits
	FCnt     uint32          // the 32-bit frame counter the network rebuilt
	FOptLen  int             // length of FOpts in bytes
	FPort    int             // 1..223 application, 0 MAC only, 224 test
	// Frequency is the uplink frequency in Hz, a JSON string ("868100000").
	Frequency uint32 `json:",string"`
	// Gateways is every gateway that heard the uplink, best first.
	Gateways              []Gateway `json:",omitempty"`
	MIC                   MIC       // 8 hex digits
	MType                 string    // lorawan.MType's name, e.g. "UnconfirmedDataUp"
	Major                 string    // MajorLoRaWANR1
	Modulation            string    // ModulationLoRa or ModulationFSK
	PolarizationInversion bool      // false for uplinks
	SpreadingFactor       int       // 7..12 (LoRa)
	// Timestamp is when the network received the uplink, RFC 3339 UTC with
	// milliseconds.
	Timestamp Timestamp
}

// Gateway is one gateway's reception of a message.
type Gateway struct {
	GatewayEui lorawan.EUI64 // 16 hex digits
	Rssi       float64       // dBm
	Snr        float64       // dB
}

// JoinEvent reports a device's (re)join: published through the device's
// destination like an uplink, with "Event":"join" first.
type JoinEvent struct {
	WirelessDeviceId string
	DevEui           lorawan.EUI64
	DevAddr          lorawan.DevAddr // the address the join-accept assigned
	JoinEui          lorawan.EUI64
	MACVersion       string    // "1.0" or "1.1" (lorawan.MACVersion.String())
	Gateways         []Gateway `json:",omitempty"`
	Timestamp        Timestamp
}

// Downlink event names, the Event field of DownlinkEvent.
const (
	// EventDownlinkQueued: a downlink request was accepted into the device's queue.
	EventDownlinkQueued = "downlink_queued"
	// EventDownlinkRefused: a downlink request was refused (Reason says why).
	EventDownlinkRefused = "downlink_refused"
	// EventDownlinkSent: a gateway reported the downlink transmitted (dntxed).
	EventDownlinkSent = "downlink_sent"
	// EventDownlinkAck: the device acknowledged a confirmed downlink.
	EventDownlinkAck = "downlink_ack"
	// EventDownlinkDropped: a confirmed downlink was not acknowledged after
	// the allowed number of transmissions (Attempts), or expired.
	EventDownlinkDropped = "downlink_dropped"
)

// EventJoin is the Event value of a JoinEvent.
const EventJoin = "join"

// DownlinkEvent reports what became of a downlink request. It is published
// on <prefix>/events/<DevEui> and may also go through a destination.
type DownlinkEvent struct {
	Event            string // one of the EventDownlink… names
	WirelessDeviceId string `json:",omitempty"`
	DevEui           lorawan.EUI64
	// MessageId identifies the queued downlink when the queue assigned one.
	MessageId string `json:",omitempty"`
	FPort     int    `json:",omitempty"`
	Confirmed bool
	// FCnt is the downlink frame counter it was sent with, once sent.
	FCnt uint32 `json:",omitempty"`
	// Attempts counts transmissions of a confirmed downlink.
	Attempts int `json:",omitempty"`
	// Reason explains a refusal or a drop.
	Reason    string `json:",omitempty"`
	Timestamp Timestamp
}

// Message is what a destination's rule delivers: *Uplink, *JoinEvent or
// *DownlinkEvent. Publish writes it with encoding/json.
type Message interface {
	// TopicFields returns the values a destination's topic template sees.
	TopicFields() TopicFields
}

// TopicFields are the values a destination's MQTT topic template may use,
// e.g. "lorawan/{{.DevEui}}/{{.Event}}". Hex values are lower case; FPort is
// 0 for events.
type TopicFields struct {
	DevEui           string
	WirelessDeviceId string
	DevAddr          string
	FPort            int
	// Destination is the destination's name.
	Destination string
	// Event is "uplink", "join" or a downlink event name.
	Event string
}

// EventUplink is the TopicFields.Event of an Uplink.
const EventUplink = "uplink"

// TopicFields implements Message.
func (u *Uplink) TopicFields() TopicFields {
	m := &u.WirelessMetadata.LoRaWAN
	return TopicFields{
		DevEui:           m.DevEui.String(),
		WirelessDeviceId: u.WirelessDeviceId,
		DevAddr:          m.DevAddr.String(),
		FPort:            m.FPort,
		Event:            EventUplink,
	}
}

// TopicFields implements Message.
func (j *JoinEvent) TopicFields() TopicFields {
	return TopicFields{
		DevEui:           j.DevEui.String(),
		WirelessDeviceId: j.WirelessDeviceId,
		DevAddr:          j.DevAddr.String(),
		Event:            EventJoin,
	}
}

// MarshalJSON writes the event with "Event":"join" as its first member.
func (j JoinEvent) MarshalJSON() ([]byte, error) {
	type plain JoinEvent // no methods: no recursion
	return json.Marshal(struct {
		Event string
		plain
	}{EventJoin, plain(j)})
}

// TopicFields implements Message.
func (e *DownlinkEvent) TopicFields() TopicFields {
	return TopicFields{
		DevEui:           e.DevEui.String(),
		WirelessDeviceId: e.WirelessDeviceId,
		FPort:            e.FPort,
		Event:            e.Event,
	}
}

// Payload is application data, written in JSON as standard padded base64
// ("" when empty, never null).
type Payload []byte

// MarshalText writes the bytes as standard base64.
func (p Payload) MarshalText() ([]byte, error) {
	out := make([]byte, base64.StdEncoding.EncodedLen(len(p)))
	base64.StdEncoding.Encode(out, p)
	return out, nil
}

// UnmarshalText reads standard padded base64.
func (p *Payload) UnmarshalText(b []byte) error {
	out := make([]byte, base64.StdEncoding.DecodedLen(len(b)))
	n, err := base64.StdEncoding.Strict().Decode(out, b)
	if err != nil {
		return fmt.Errorf("route: payload: base64: %w", err)
	}
	*p = out[:n]
	return nil
}

// MIC is a frame's message integrity code, written as 8 lower-case hex digits.
type MIC [4]byte

// MarshalText writes the MIC as hex.
func (m MIC) MarshalText() ([]byte, error) {
	out := make([]byte, 8)
	hex.Encode(out, m[:])
	return out, nil
}

// UnmarshalText reads 8 hex digits.
func (m *MIC) UnmarshalText(b []byte) error {
	if len(b) != 8 {
		return fmt.Errorf("route: mic %q: want 8 hex digits", b)
	}
	if _, err := hex.Decode(m[:], b); err != nil {
		return fmt.Errorf("route: mic %q: %w", b, err)
	}
	return nil
}

// Timestamp is a point in time written as RFC 3339 in UTC with milliseconds,
// e.g. "2021-05-03T03:24:29.120Z".
type Timestamp time.Time

const timestampLayout = "2006-01-02T15:04:05.000Z07:00"

// MarshalText writes the time in UTC.
func (t Timestamp) MarshalText() ([]byte, error) {
	tt := time.Time(t).UTC()
	if y := tt.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("route: timestamp year %d outside 0..9999", y)
	}
	return tt.AppendFormat(make([]byte, 0, len(timestampLayout)), timestampLayout), nil
}

// UnmarshalText reads any RFC 3339 time.
func (t *Timestamp) UnmarshalText(b []byte) error {
	tt, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return fmt.Errorf("route: timestamp: %w", err)
	}
	*t = Timestamp(tt.UTC())
	return nil
}

// Time returns the timestamp as a time.Time.
func (t Timestamp) Time() time.Time { return time.Time(t) }
