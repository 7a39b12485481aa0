package station

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
)

// Message is one text message of the traffic socket. Its MsgType is the
// value of the "msgtype" key.
type Message interface {
	MsgType() string
}

// Values of "msgtype", as Station spells them.
const (
	MsgTypeVersion      = "version"
	MsgTypeRouterConfig = "router_config"
	MsgTypeJreq         = "jreq"
	MsgTypeRejoin       = "rejoin"
	MsgTypeUpdf         = "updf"
	MsgTypeDndf         = "dndf"
	MsgTypePropdf       = "propdf"
	MsgTypeJacc         = "jacc"
	MsgTypeDntxed       = "dntxed"
	MsgTypeTimesync     = "timesync"
	MsgTypeDnmsg        = "dnmsg"
	MsgTypeDnsched      = "dnsched"
	MsgTypeDnframe      = "dnframe"
	MsgTypeGetxtime     = "getxtime"
	MsgTypeRuncmd       = "runcmd"
	MsgTypeRmtsh        = "rmtsh"
	MsgTypeError        = "error"
)

// ErrUnknownMsgType is wrapped by Decode's error when the message has no
// "msgtype" or one this package does not know. Station logs such messages
// and keeps the connection; callers should do the same.
var ErrUnknownMsgType = errors.New("station: unknown msgtype")

// ErrMissingFields is wrapped by Decode's error for a dnmsg or dnframe
// without a key Station requires, and by DnschedEntry.Validate's. Station
// logs "Some mandatory fields are missing" and ignores the message (or the
// dnsched entry), keeping the connection; callers should do the same.
var ErrMissingFields = errors.New("station: mandatory fields missing")

// DecodeError is Decode's error for a message of a msgtype it knows that
// does not decode: MsgType says which, for a caller to say what it ignores.
type DecodeError struct {
	MsgType string
	Err     error
}

// Error returns "station: decode <msgtype>: <why>".
func (e *DecodeError) Error() string { return "station: decode " + e.MsgType + ": " + e.Err.Error() }

// Unwrap returns why the message did not decode.
func (e *DecodeError) Unwrap() error { return e.Err }

// missingFields is the error of a message or dnsched entry without some of
// its mandatory keys; it matches ErrMissingFields.
type missingFields struct {
	what string   // "dnmsg", "dnframe", "dnsched entry"
	keys []string // the keys missing, in Station's order
}

func (e *missingFields) Error() string {
	return "station: " + e.what + ": mandatory fields missing: " + strings.Join(e.keys, ", ")
}

// Is makes errors.Is(err, ErrMissingFields) true.
func (e *missingFields) Is(target error) bool { return target == ErrMissingFields }

// checkPresent returns a missingFields error naming the keys (name, present
// pairs) that are absent, or nil.
func checkPresent(what string, keys ...keyPresence) error {
	var missing []string
	for _, k := range keys {
		if !k.present {
			missing = append(missing, k.name)
		}
	}
	if missing == nil {
		return nil
	}
	return &missingFields{what: what, keys: missing}
}

// keyPresence is one mandatory key and whether the input had it.
type keyPresence struct {
	name    string
	present bool
}

// newMessage returns a pointer to a zero message of the given type, or nil.
func newMessage(msgType string) Message {
	switch msgType {
	case MsgTypeVersion:
		return &Version{}
	case MsgTypeRouterConfig:
		return &RouterConfig{}
	case MsgTypeJreq:
		return &Jreq{}
	case MsgTypeRejoin:
		return &Rejoin{}
	case MsgTypeUpdf:
		return &Updf{}
	case MsgTypeDndf:
		return &Dndf{}
	case MsgTypePropdf:
		return &Propdf{}
	case MsgTypeJacc:
		return &Jacc{}
	case MsgTypeDntxed:
		return &Dntxed{}
	case MsgTypeTimesync:
		return &Timesync{}
	case MsgTypeDnmsg:
		return &Dnmsg{}
	case MsgTypeDnsched:
		return &Dnsched{}
	case MsgTypeDnframe:
		return &Dnframe{}
	case MsgTypeGetxtime:
		return &Getxtime{}
	case MsgTypeRuncmd:
		return &Runcmd{}
	case MsgTypeRmtsh:
		return &Rmtsh{}
	case MsgTypeError:
		return &ErrorMsg{}
	}
	return nil
}

// Decode reads one text message: it looks at "msgtype" and decodes the
// matching struct, returned as a pointer (*Updf, *Jreq, …). A missing or
// unknown msgtype gives an error wrapping ErrUnknownMsgType; malformed JSON,
// a value of the wrong type, or a value Station refuses gives a
// *DecodeError, which wraps ErrMissingFields when a dnmsg or dnframe lacks a
// mandatory key.
func Decode(b []byte) (Message, error) {
	msgType, ok := leadingMsgType(b)
	if !ok {
		var head struct {
			MsgType *string `json:"msgtype"`
		}
		if err := json.Unmarshal(b, &head); err != nil {
			return nil, fmt.Errorf("station: decode: %w", err)
		}
		if head.MsgType == nil {
			return nil, fmt.Errorf("station: decode: no msgtype: %w", ErrUnknownMsgType)
		}
		msgType = *head.MsgType
	}
	m := newMessage(msgType)
	if m == nil {
		if !json.Valid(b) {
			return nil, fmt.Errorf("station: decode: invalid json")
		}
		return nil, fmt.Errorf("station: decode: msgtype %.40q: %w", msgType, ErrUnknownMsgType)
	}
	if err := json.Unmarshal(b, m); err != nil {
		return nil, &DecodeError{MsgType: msgType, Err: err}
	}
	return m, nil
}

// leadingMsgType reads the msgtype of an object that starts with it, as
// Station and Encode write messages, without parsing the rest (the full
// decode that follows validates it). Like Station's uj_msgtype, it takes the
// first msgtype.
func leadingMsgType(b []byte) (string, bool) {
	const prefix = `{"msgtype":"`
	if !bytes.HasPrefix(b, []byte(prefix)) {
		return "", false
	}
	rest := b[len(prefix):]
	end := bytes.IndexByte(rest, '"')
	if end < 0 || bytes.IndexByte(rest[:end], '\\') >= 0 {
		return "", false
	}
	return string(rest[:end]), true
}

// ownMessage is implemented by this package's messages, whose MarshalJSON
// writes "msgtype" itself.
type ownMessage interface {
	Message
	json.Marshaler
	ownMessage()
}

// Encode writes m as a JSON object whose first key is "msgtype". Messages of
// other packages are accepted too: their encoding must be an object, and
// "msgtype" is added when they do not write it.
func Encode(m Message) ([]byte, error) {
	if m == nil {
		return nil, errors.New("station: encode: nil message")
	}
	if v := reflect.ValueOf(m); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, fmt.Errorf("station: encode: nil %T", m)
	}
	if _, ok := m.(ownMessage); ok {
		return marshalNoEscape(m)
	}
	b, err := marshalNoEscape(m)
	if err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", m.MsgType(), err)
	}
	var head struct {
		MsgType *string `json:"msgtype"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, fmt.Errorf("station: encode %s: %w", m.MsgType(), err)
	}
	switch {
	case head.MsgType == nil:
		return spliceMsgType(m.MsgType(), b)
	case *head.MsgType != m.MsgType():
		return nil, fmt.Errorf("station: encode %s: object says msgtype %q", m.MsgType(), *head.MsgType)
	}
	return b, nil
}
