package route

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/loraedge/loraedge/lorawan"
)

// MaxDownlinkPayload is the largest FRMPayload a downlink request may carry:
// the largest N of any region's data rate (RP002: 242 bytes at EU868 DR5–7).
// The scheduler still checks the limit of the data rate it sends at.
const MaxDownlinkPayload = 242

// MaxDownlinkRequest bounds the size of a downlink request body.
const MaxDownlinkRequest = 4096

// ErrInvalidDownlink is wrapped by every error of ParseDownlinkRequest, so
// an HTTP handler can answer 400 with errors.Is.
var ErrInvalidDownlink = errors.New("route: invalid downlink request")

// Downlink is an application downlink request, as AWS's
// SendDataToWirelessDevice takes it: the same JSON over MQTT
// (<prefix>/downlink/<DevEui>) and over the cloud's HTTP API:
//
//	{"FPort":2,"PayloadData":"AQID","Confirmed":true}
type Downlink struct {
	FPort       uint8   // 1..223
	PayloadData Payload // at most MaxDownlinkPayload bytes; base64 in JSON
	Confirmed   bool    // ask the device to acknowledge
}

// DownlinkSink takes validated downlink requests into a device's queue; the
// downlink scheduler implements it. It returns the queued downlink's id,
// which the downlink_queued event carries as MessageId, so that a
// requester can match the later events (sent, ack, dropped) to its
// request. An error refuses the request (unknown device, full queue, …)
// and its text is reported to the requester, so it must not carry secrets.
type DownlinkSink interface {
	Enqueue(ctx context.Context, devEUI lorawan.EUI64, d Downlink) (uint64, error)
}

// ParseDownlinkRequest reads and validates a downlink request: a single JSON
// object with FPort (1..223), PayloadData (standard base64 of at most
// MaxDownlinkPayload bytes; may be empty) and optional Confirmed. Unknown
// members, trailing data and bodies over MaxDownlinkRequest bytes are
// refused. Errors wrap ErrInvalidDownlink.
func ParseDownlinkRequest(b []byte) (Downlink, error) {
	if len(b) > MaxDownlinkRequest {
		return Downlink{}, fmt.Errorf("%w: %d bytes, want at most %d", ErrInvalidDownlink, len(b), MaxDownlinkRequest)
	}
	var req struct {
		FPort       *int
		PayloadData *string
		Confirmed   *bool
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return Downlink{}, fmt.Errorf("%w: %v", ErrInvalidDownlink, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Downlink{}, fmt.Errorf("%w: data after the JSON object", ErrInvalidDownlink)
	}
	var d Downlink
	switch {
	case req.FPort == nil:
		return Downlink{}, fmt.Errorf("%w: FPort missing", ErrInvalidDownlink)
	case *req.FPort < 1 || *req.FPort > 223:
		return Downlink{}, fmt.Errorf("%w: FPort %d, want 1..223", ErrInvalidDownlink, *req.FPort)
	}
	d.FPort = uint8(*req.FPort)
	if req.PayloadData == nil {
		return Downlink{}, fmt.Errorf("%w: PayloadData missing", ErrInvalidDownlink)
	}
	if len(*req.PayloadData) > 4*((MaxDownlinkPayload+2)/3) {
		return Downlink{}, fmt.Errorf("%w: PayloadData longer than %d bytes", ErrInvalidDownlink, MaxDownlinkPayload)
	}
	if err := d.PayloadData.UnmarshalText([]byte(*req.PayloadData)); err != nil {
		return Downlink{}, fmt.Errorf("%w: PayloadData: not standard base64", ErrInvalidDownlink)
	}
	if len(d.PayloadData) > MaxDownlinkPayload {
		return Downlink{}, fmt.Errorf("%w: PayloadData of %d bytes, want at most %d", ErrInvalidDownlink, len(d.PayloadData), MaxDownlinkPayload)
	}
	if req.Confirmed != nil {
		d.Confirmed = *req.Confirmed
	}
	return d, nil
}
