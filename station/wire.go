package station

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"
)

// HexBytes is a byte string written as hex text, as Station writes FOpts,
// FRMPayload and pdu: upper-case digits, "" when empty. Either case is read;
// an empty string reads as nil.
type HexBytes []byte

// MarshalText writes upper-case hex, like Station's uj_encHex.
func (h HexBytes) MarshalText() ([]byte, error) {
	out := make([]byte, 2*len(h))
	const digits = "0123456789ABCDEF"
	for i, c := range h {
		out[2*i] = digits[c>>4]
		out[2*i+1] = digits[c&0x0F]
	}
	return out, nil
}

// UnmarshalText reads hex digits of either case; odd lengths and other
// characters are errors.
func (h *HexBytes) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*h = nil
		return nil
	}
	if len(b)%2 != 0 {
		return fmt.Errorf("station: hex string of odd length %d", len(b))
	}
	out := make([]byte, len(b)/2)
	if _, err := hex.Decode(out, b); err != nil {
		return fmt.Errorf("station: hex string: %w", err)
	}
	*h = out
	return nil
}

// String returns the bytes as upper-case hex.
func (h HexBytes) String() string {
	b, _ := h.MarshalText()
	return string(b)
}

// Seconds is a time in seconds as a float, the unit of RefTime, MuxTime,
// rxtime, txtime and UTCtime (UTC seconds since the Unix epoch, or for
// getxtime's ustime, seconds of Station's monotonic clock). It is written
// with six decimals like Station's "%.6f", or with more digits when six would
// not read back to the same value.
type Seconds float64

// SecondsOf converts t to Unix seconds with microsecond resolution.
func SecondsOf(t time.Time) Seconds {
	return Seconds(float64(t.UnixMicro()) / 1e6)
}

// Time converts Unix seconds to a time.Time, rounded to the microsecond.
func (s Seconds) Time() time.Time {
	return time.UnixMicro(int64(math.Round(float64(s) * 1e6)))
}

// MarshalJSON writes the number like Station's "%.6f" when that is exact
// enough to read back the same float64; otherwise with the shortest exact
// decimal.
func (s Seconds) MarshalJSON() ([]byte, error) {
	f := float64(s)
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil, fmt.Errorf("station: seconds value %v is not a json number", f)
	}
	b := strconv.AppendFloat(nil, f, 'f', 6, 64)
	if back, err := strconv.ParseFloat(string(b), 64); err == nil && back == f {
		return b, nil
	}
	return strconv.AppendFloat(nil, f, 'f', -1, 64), nil
}

// UpInfo is the "upinfo" object Station attaches to every uplink: the
// receiving radio (rctx), the receive time as xtime and GPS time (0 when
// unknown), the fine timestamp (-1 when absent), RSSI, SNR and the UTC
// receive time.
type UpInfo struct {
	Rctx    int64   `json:"rctx"`
	XTime   XTime   `json:"xtime"`
	GPSTime GPSTime `json:"gpstime"`
	Fts     int     `json:"fts"`
	RSSI    float64 `json:"rssi"`
	SNR     float64 `json:"snr"`
	RxTime  Seconds `json:"rxtime"`
}

// UplinkMeta holds the fields Station adds after the frame fields of every
// uplink (updf, dndf, jreq, rejoin, propdf, jacc): RefTime (derived from the
// last MuxTime, 0 when none was received), the data rate index, the
// frequency in Hz and upinfo.
type UplinkMeta struct {
	RefTime Seconds `json:"RefTime"`
	DR      int     `json:"DR"`
	Freq    uint32  `json:"Freq"`
	UpInfo  UpInfo  `json:"upinfo"`
}

// marshalNoEscape encodes v as compact JSON without HTML escaping, as
// Station writes strings.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// withMsgType encodes v (a struct without a msgtype field) and writes
// "msgtype" as its first key.
func withMsgType(msgType string, v any) ([]byte, error) {
	b, err := marshalNoEscape(v)
	if err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", msgType, err)
	}
	return spliceMsgType(msgType, b)
}

// spliceMsgType inserts "msgtype" as the first key of the JSON object b.
func spliceMsgType(msgType string, b []byte) ([]byte, error) {
	if len(b) < 2 || b[0] != '{' {
		return nil, fmt.Errorf("station: encode %s: not a json object", msgType)
	}
	q, err := marshalNoEscape(msgType)
	if err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", msgType, err)
	}
	out := make([]byte, 0, len(b)+len(q)+12)
	out = append(out, `{"msgtype":`...)
	out = append(out, q...)
	if !bytes.Equal(b, []byte("{}")) {
		out = append(out, ',')
	}
	return append(out, b[1:]...), nil
}

// object writes a JSON object key by key, in the order Station writes them.
type object struct {
	b   []byte
	err error
}

// newObject starts an object; with a non-empty msgType it begins with
// "msgtype".
func newObject(msgType string) *object {
	o := &object{b: append(make([]byte, 0, 256), '{')}
	if msgType != "" {
		o.add("msgtype", msgType)
	}
	return o
}

// add writes key and the JSON encoding of v.
func (o *object) add(key string, v any) {
	if o.err != nil {
		return
	}
	vb, err := marshalNoEscape(v)
	if err != nil {
		o.err = fmt.Errorf("%s: %w", key, err)
		return
	}
	o.raw(key, vb)
}

// raw writes key and already-encoded JSON.
func (o *object) raw(key string, vb []byte) {
	if len(o.b) > 1 {
		o.b = append(o.b, ',')
	}
	o.b = strconv.AppendQuote(o.b, key)
	o.b = append(o.b, ':')
	o.b = append(o.b, vb...)
}

// bytes closes the object.
func (o *object) bytes() ([]byte, error) {
	if o.err != nil {
		return nil, o.err
	}
	return append(o.b, '}'), nil
}

// present reports whether a raw JSON field was in the input (null counts as
// present, as it does for Station).
func present(r json.RawMessage) bool { return len(r) > 0 }

// isNull reports whether a raw JSON field is the literal null.
func isNull(r json.RawMessage) bool { return string(bytes.TrimSpace(r)) == "null" }
