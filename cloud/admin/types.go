package admin

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// redacted is what every secret prints and logs as.
const redacted = "[redacted]"

// Key is an AES-128 key in a request. It prints and logs as "[redacted]";
// it marshals to JSON as 32 hex digits so that a Client can send it, and
// nothing else marshals it: responses never hold a Key.
type Key lorawan.AES128Key

// errKeyFormat is the one error a malformed key gets: it never repeats the
// text, which may be most of a real key.
var errKeyFormat = errors.New("want 32 hex digits")

// ParseKey reads a key from 32 hex digits (surrounding space ignored). The
// error never repeats s.
func ParseKey(s string) (Key, error) {
	var k Key
	if err := k.UnmarshalText([]byte(s)); err != nil {
		return Key{}, err
	}
	return k, nil
}

// UnmarshalText reads 32 hex digits; the error never repeats the text.
func (k *Key) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if len(s) != 2*len(k) {
		return errKeyFormat
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		*k = Key{}
		return errKeyFormat
	}
	return nil
}

// MarshalText writes the key as hex, for request bodies only.
func (k Key) MarshalText() ([]byte, error) {
	out := make([]byte, 2*len(k))
	hex.Encode(out, k[:])
	return out, nil
}

// String returns "[redacted]".
func (Key) String() string { return redacted }

// Format prints "[redacted]" for every verb.
func (Key) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// LogValue keeps the key out of slog output.
func (Key) LogValue() slog.Value { return slog.StringValue(redacted) }

func (k *Key) aes() lorawan.AES128Key { return lorawan.AES128Key(*k) }

// Secret is a text secret in a request (a gateway token, an HTTP header
// value). It prints and logs as "[redacted]" and marshals to JSON as its
// text, for request bodies only.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// Format prints "[redacted]" for every verb.
func (Secret) Format(f fmt.State, _ rune) { fmt.Fprint(f, redacted) }

// LogValue keeps the secret out of slog output.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// GatewaySpec is a request to create or replace a gateway.
type GatewaySpec struct {
	EUI    lorawan.EUI64 `json:"eui"`
	Name   string        `json:"name,omitempty"`
	Region string        `json:"region"` // any name lorawan.RegionByName knows; stored canonical
	// SubBand is the US915/AU915 sub-band (1–8) the gateway listens on;
	// 0 leaves it to the endpoint's default. Regions without sub-bands
	// take 0 only.
	SubBand int `json:"subBand,omitempty"`
	// Token, when set, lets the gateway authenticate with
	// "Authorization: Bearer TOKEN" instead of a client certificate. Only
	// its SHA-256 is kept. At least 16 characters, no spaces.
	Token Secret `json:"token,omitempty"`
}

// DeviceSpec is a request to create or replace a device. A device with a
// DevAddr is activated by personalisation (ABP) and takes session keys:
// NwkSKey and AppSKey for LoRaWAN 1.0.x; FNwkSIntKey, SNwkSIntKey,
// NwkSEncKey and AppSKey for 1.1. Without a DevAddr it joins over the air
// (OTAA) and takes JoinEUI and root keys: AppKey for 1.0.x; AppKey and
// NwkKey for 1.1. Keys of the other mode or version are refused.
type DeviceSpec struct {
	DevEUI      lorawan.EUI64  `json:"devEui"`
	JoinEUI     *lorawan.EUI64 `json:"joinEui,omitempty"`
	Name        string         `json:"name,omitempty"`
	MACVersion  string         `json:"macVersion"`      // 1.0, 1.0.0 … 1.0.4, 1.1
	Class       string         `json:"class,omitempty"` // A (default) or C
	Region      string         `json:"region"`
	Destination string         `json:"destination"` // must exist

	AppKey *Key `json:"appKey,omitempty"`
	NwkKey *Key `json:"nwkKey,omitempty"`

	DevAddr     *lorawan.DevAddr `json:"devAddr,omitempty"`
	NwkSKey     *Key             `json:"nwkSKey,omitempty"`
	FNwkSIntKey *Key             `json:"fNwkSIntKey,omitempty"`
	SNwkSIntKey *Key             `json:"sNwkSIntKey,omitempty"`
	NwkSEncKey  *Key             `json:"nwkSEncKey,omitempty"`
	AppSKey     *Key             `json:"appSKey,omitempty"`
}

// DestinationSpec is a request to create or replace a destination: an MQTT
// topic template (Kind "mqtt") or an HTTP webhook (Kind "http").
type DestinationSpec struct {
	Name        string `json:"name"` // letters, digits, '-', '_', '.'
	Kind        string `json:"kind"` // mqtt or http
	Description string `json:"description,omitempty"`

	// MQTTTopic is a text/template over the uplink, e.g.
	// "lorawan/{{.WirelessDeviceId}}/up"; QoS defaults to 1.
	MQTTTopic string `json:"mqttTopic,omitempty"`
	QoS       *uint8 `json:"qos,omitempty"`

	// HTTPURL is the webhook; HTTPSecret, when set, is sent as the value of
	// header HTTPHeader (default "Authorization").
	HTTPURL    string `json:"httpUrl,omitempty"`
	HTTPHeader string `json:"httpHeader,omitempty"`
	HTTPSecret Secret `json:"httpSecret,omitempty"`
}

// Gateway is a gateway as listings show it: no token, no token hash.
type Gateway struct {
	EUI     lorawan.EUI64 `json:"eui"`
	Name    string        `json:"name,omitempty"`
	Region  string        `json:"region"`
	SubBand int           `json:"subBand,omitempty"`
	// TokenAuth tells whether the gateway may authenticate with a token.
	TokenAuth bool `json:"tokenAuth"`
	// CertFingerprints are the pinned client certificates (SHA-256 of the
	// DER); empty means any certificate of the gateway CA naming the EUI.
	CertFingerprints []string  `json:"certFingerprints,omitempty"`
	CreatedAt        time.Time `json:"createdAt"`
	LastSeen         time.Time `json:"lastSeen,omitzero"`
}

// Device is a device as listings show it: no keys.
type Device struct {
	DevEUI      lorawan.EUI64    `json:"devEui"`
	JoinEUI     lorawan.EUI64    `json:"joinEui"`
	Name        string           `json:"name,omitempty"`
	Activation  string           `json:"activation"` // OTAA or ABP
	DevAddr     *lorawan.DevAddr `json:"devAddr,omitempty"`
	MACVersion  string           `json:"macVersion"`
	Class       string           `json:"class"`
	Region      string           `json:"region"`
	Destination string           `json:"destination,omitempty"`
	CreatedAt   time.Time        `json:"createdAt"`
}

// Activation modes of a Device.
const (
	ActivationOTAA = "OTAA"
	ActivationABP  = "ABP"
)

// Destination is a destination as listings show it: whether an HTTP header
// secret is set, never the secret.
type Destination struct {
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	Description string    `json:"description,omitempty"`
	MQTTTopic   string    `json:"mqttTopic,omitempty"`
	QoS         *uint8    `json:"qos,omitempty"`
	HTTPURL     string    `json:"httpUrl,omitempty"`
	HTTPHeader  string    `json:"httpHeader,omitempty"`
	HasSecret   bool      `json:"hasSecret,omitempty"`
	CreatedAt   time.Time `json:"createdAt"`
}

func gatewayView(g store.Gateway) Gateway {
	return Gateway{
		EUI:              g.EUI,
		Name:             g.Name,
		Region:           g.Region,
		SubBand:          g.SubBand,
		TokenAuth:        len(g.TokenSHA256) != 0,
		CertFingerprints: g.CertFingerprints,
		CreatedAt:        g.CreatedAt,
		LastSeen:         g.LastSeen,
	}
}

func deviceView(d store.Device) Device {
	v := Device{
		DevEUI:      d.DevEUI,
		JoinEUI:     d.JoinEUI,
		Name:        d.Name,
		Activation:  ActivationOTAA,
		MACVersion:  d.MACVersion,
		Class:       d.Class,
		Region:      d.Region,
		Destination: d.Destination,
		CreatedAt:   d.CreatedAt,
	}
	if d.ABP {
		v.Activation = ActivationABP
		addr := d.DevAddr
		v.DevAddr = &addr
	}
	return v
}

func destinationView(d store.Destination) Destination {
	v := Destination{
		Name:        d.Name,
		Kind:        d.Kind,
		Description: d.Description,
		MQTTTopic:   d.MQTTTopic,
		HTTPURL:     d.HTTPURL,
		HTTPHeader:  d.HTTPHeader,
		// Store listings leave the secret out but keep the header name,
		// which is set exactly when a secret is.
		HasSecret: d.HTTPHeader != "",
		CreatedAt: d.CreatedAt,
	}
	if d.Kind == store.KindMQTT {
		q := d.QoS
		v.QoS = &q
	}
	return v
}
