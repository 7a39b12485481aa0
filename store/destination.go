package store

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Destination kinds: where a destination's rule sends a device's uplinks.
const (
	KindMQTT = "mqtt" // publish to an MQTT topic
	KindHTTP = "http" // POST to a webhook
)

// Destination is a named route for uplinks, as devices name it (the AWS IoT
// Core for LoRaWAN resource model). The HTTP header secret is sealed at rest
// and redacts itself under fmt, slog and encoding/json.
type Destination struct {
	Name        string `json:"name"`
	Kind        string `json:"kind"` // KindMQTT or KindHTTP
	Description string `json:"description,omitempty"`

	// MQTTTopic is the topic template (text/template over the uplink, e.g.
	// "lorawan/{{.DevEui}}/up") and QoS its MQTT QoS (0–2); KindMQTT only.
	MQTTTopic string `json:"mqttTopic,omitempty"`
	QoS       uint8  `json:"qos,omitempty"`

	// HTTPURL is the webhook (http or https); KindHTTP only. HTTPHeader,
	// when set, names a header sent with value HTTPSecret (e.g.
	// "Authorization" and "Bearer …").
	HTTPURL    string `json:"httpUrl,omitempty"`
	HTTPHeader string `json:"httpHeader,omitempty"`
	HTTPSecret Secret `json:"-"`

	CreatedAt time.Time `json:"createdAt"`
}

// checkName accepts 1 to 128 letters, digits, '-', '_' and '.'.
func checkName(what, s string) error {
	if s == "" || len(s) > 128 {
		return fmt.Errorf("%w: %s name %q: want 1 to 128 characters", ErrInvalid, what, s)
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
		if !ok {
			return fmt.Errorf("%w: %s name %q: only letters, digits, '-', '_' and '.'", ErrInvalid, what, s)
		}
	}
	return nil
}

func (d Destination) validate() error {
	if err := checkName("destination", d.Name); err != nil {
		return err
	}
	if err := checkText("destination description", d.Description, false); err != nil {
		return err
	}
	switch d.Kind {
	case KindMQTT:
		if err := checkText("destination "+d.Name+" mqtt topic", d.MQTTTopic, true); err != nil {
			return err
		}
		if d.QoS > 2 {
			return fmt.Errorf("%w: destination %s: qos %d, want 0, 1 or 2", ErrInvalid, d.Name, d.QoS)
		}
		if d.HTTPURL != "" || d.HTTPHeader != "" || d.HTTPSecret != "" {
			return fmt.Errorf("%w: destination %s: http settings on an mqtt destination", ErrInvalid, d.Name)
		}
	case KindHTTP:
		u, err := url.Parse(d.HTTPURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%w: destination %s: http url %q: want an absolute http or https url", ErrInvalid, d.Name, d.HTTPURL)
		}
		if u.User != nil {
			return fmt.Errorf("%w: destination %s: credentials in the url; use the header secret", ErrInvalid, d.Name)
		}
		if d.MQTTTopic != "" {
			return fmt.Errorf("%w: destination %s: mqtt topic on an http destination", ErrInvalid, d.Name)
		}
		if d.HTTPHeader != "" && !validHeaderName(d.HTTPHeader) {
			return fmt.Errorf("%w: destination %s: header name %q", ErrInvalid, d.Name, d.HTTPHeader)
		}
		if (d.HTTPHeader == "") != (d.HTTPSecret == "") {
			return fmt.Errorf("%w: destination %s: header name and secret go together", ErrInvalid, d.Name)
		}
		if len(d.HTTPSecret) > 4096 {
			return fmt.Errorf("%w: destination %s: header secret longer than 4096 bytes", ErrInvalid, d.Name)
		}
	default:
		return fmt.Errorf("%w: destination %s: kind %q, want %q or %q", ErrInvalid, d.Name, d.Kind, KindMQTT, KindHTTP)
	}
	return nil
}

// validHeaderName accepts an HTTP field name (RFC 9110 token).
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)
		if !ok {
			return false
		}
	}
	return true
}

const destinationSecretsVersion = 1

func encodeDestination(d Destination, s *sealer) ([]byte, error) {
	plain := append([]byte{destinationSecretsVersion}, d.HTTPSecret...)
	sealed, err := s.seal(bucketDestinations, []byte(d.Name), plain)
	clear(plain)
	if err != nil {
		return nil, err
	}
	pub, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("store: encode destination %s: %w", d.Name, err)
	}
	return encodeEnvelope(sealed, pub), nil
}

// decodeDestination decodes a stored destination; with s nil the secret stays empty.
func decodeDestination(k, v []byte, s *sealer) (Destination, error) {
	var d Destination
	sealed, pub, err := decodeEnvelope(v)
	if err != nil {
		return Destination{}, fmt.Errorf("store: destination %q: %w", k, err)
	}
	if err := json.Unmarshal(pub, &d); err != nil {
		return Destination{}, fmt.Errorf("store: destination %q: %w", k, err)
	}
	if d.Name != string(k) {
		return Destination{}, fmt.Errorf("store: destination %q: record names %q", k, d.Name)
	}
	if s == nil {
		return d, nil
	}
	plain, err := s.open(bucketDestinations, k, sealed)
	if err != nil {
		return Destination{}, err
	}
	if len(plain) < 1 || plain[0] != destinationSecretsVersion {
		return Destination{}, fmt.Errorf("%w: destination %q: bad secrets layout", ErrUnseal, k)
	}
	d.HTTPSecret = Secret(plain[1:])
	clear(plain)
	return d, nil
}

// PutDestination creates or replaces a destination. A zero CreatedAt keeps
// the stored one (or now).
func (db *DB) PutDestination(ctx context.Context, d Destination) error {
	if err := d.validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx, s *sealer) error {
		b := tx.Bucket([]byte(bucketDestinations))
		if d.CreatedAt.IsZero() {
			if old := b.Get([]byte(d.Name)); old != nil {
				if od, err := decodeDestination([]byte(d.Name), old, nil); err == nil {
					d.CreatedAt = od.CreatedAt
				}
			}
			if d.CreatedAt.IsZero() {
				d.CreatedAt = time.Now().UTC()
			}
		}
		v, err := encodeDestination(d, s)
		if err != nil {
			return err
		}
		return b.Put([]byte(d.Name), v)
	})
}

// GetDestination returns the destination with this name, secret included,
// or ErrNotFound.
func (db *DB) GetDestination(ctx context.Context, name string) (Destination, error) {
	var d Destination
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		v := tx.Bucket([]byte(bucketDestinations)).Get([]byte(name))
		if v == nil {
			return fmt.Errorf("%w: destination %q", ErrNotFound, name)
		}
		var err error
		d, err = decodeDestination([]byte(name), v, s)
		return err
	})
	return d, err
}

// ListDestinations returns every destination, ordered by name, without
// secrets (HTTPSecret is empty; HTTPHeader shows whether one is set).
func (db *DB) ListDestinations(ctx context.Context) ([]Destination, error) {
	var out []Destination
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return tx.Bucket([]byte(bucketDestinations)).ForEach(func(k, v []byte) error {
			d, err := decodeDestination(k, v, nil)
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// DeleteDestination removes a destination. It returns ErrReferenced while a
// device names it, ErrNotFound when it does not exist.
func (db *DB) DeleteDestination(ctx context.Context, name string) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketDestinations))
		if b.Get([]byte(name)) == nil {
			return fmt.Errorf("%w: destination %q", ErrNotFound, name)
		}
		err := tx.Bucket([]byte(bucketDevices)).ForEach(func(k, v []byte) error {
			d, err := decodeDevice(k, v, nil)
			if err != nil {
				return err
			}
			if d.Destination == name {
				return fmt.Errorf("%w: destination %q: device %s names it", ErrReferenced, name, d.DevEUI)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return b.Delete([]byte(name))
	})
}
