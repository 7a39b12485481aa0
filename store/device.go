package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

// Device classes the cloud serves.
const (
	ClassA = "A"
	ClassC = "C"
)

// Device is an end device the cloud serves. Its keys are sealed at rest;
// they never print, log or marshal to JSON (the key fields are skipped by
// encoding/json and redact themselves under fmt and slog).
type Device struct {
	DevEUI      lorawan.EUI64 `json:"devEui"`
	JoinEUI     lorawan.EUI64 `json:"joinEui"`
	Name        string        `json:"name,omitempty"`
	MACVersion  string        `json:"macVersion"` // "1.0", "1.0.1" … "1.0.4", "1.1"
	Class       string        `json:"class"`      // ClassA or ClassC
	Region      string        `json:"region"`     // e.g. "EU868"
	Destination string        `json:"destination,omitempty"`

	// RootKeys are the OTAA root keys (AppKey; NwkKey for 1.1).
	RootKeys RootKeys `json:"-"`

	// ABP marks a device activated by personalisation: DevAddr and ABPKeys
	// are its fixed session, and it never joins. PutDevice (re)creates the
	// active session from them when it is missing or they changed.
	ABP     bool            `json:"abp,omitempty"`
	DevAddr lorawan.DevAddr `json:"devAddr,omitzero"`
	ABPKeys SessionKeys     `json:"-"`

	CreatedAt time.Time `json:"createdAt"`
}

// Version returns the device's MAC version as lorawan understands it
// (PutDevice has checked that it parses).
func (d Device) Version() (lorawan.MACVersion, error) {
	v, err := lorawan.ParseMACVersion(d.MACVersion)
	if err != nil {
		return 0, fmt.Errorf("%w: device %s: %w", ErrInvalid, d.DevEUI, err)
	}
	return v, nil
}

func (d Device) validate() error {
	if d.DevEUI == (lorawan.EUI64{}) {
		return fmt.Errorf("%w: device: zero deveui", ErrInvalid)
	}
	if _, err := d.Version(); err != nil {
		return err
	}
	if d.Class != ClassA && d.Class != ClassC {
		return fmt.Errorf("%w: device %s: class %q, want %q or %q", ErrInvalid, d.DevEUI, d.Class, ClassA, ClassC)
	}
	if err := checkText("device region", d.Region, true); err != nil {
		return err
	}
	if err := checkText("device name", d.Name, false); err != nil {
		return err
	}
	if d.Destination != "" {
		if err := checkName("destination", d.Destination); err != nil {
			return err
		}
	}
	var zero lorawan.AES128Key
	if d.ABP {
		if d.ABPKeys.FNwkSIntKey == zero || d.ABPKeys.AppSKey == zero {
			return fmt.Errorf("%w: device %s: abp without session keys", ErrInvalid, d.DevEUI)
		}
	} else {
		if d.RootKeys.AppKey == zero {
			return fmt.Errorf("%w: device %s: otaa without appkey", ErrInvalid, d.DevEUI)
		}
		if v, _ := d.Version(); v == lorawan.MACVersion1_1 && d.RootKeys.NwkKey == zero {
			return fmt.Errorf("%w: device %s: lorawan 1.1 without nwkkey", ErrInvalid, d.DevEUI)
		}
	}
	return nil
}

// device secrets: 1 byte layout version, RootKeys (32), ABPKeys (64).
const deviceSecretsVersion = 1

func (d Device) sealSecrets(s *sealer) ([]byte, error) {
	plain := make([]byte, 0, 1+32+64)
	plain = append(plain, deviceSecretsVersion)
	plain = d.RootKeys.appendBinary(plain)
	plain = d.ABPKeys.appendBinary(plain)
	defer clear(plain)
	return s.seal(bucketDevices, d.DevEUI[:], plain)
}

func encodeDevice(d Device, s *sealer) ([]byte, error) {
	sealed, err := d.sealSecrets(s)
	if err != nil {
		return nil, err
	}
	pub, err := json.Marshal(d)
	if err != nil {
		return nil, fmt.Errorf("store: encode device %s: %w", d.DevEUI, err)
	}
	return encodeEnvelope(sealed, pub), nil
}

// decodeDevice decodes a stored device; with s nil the keys stay zero.
func decodeDevice(k, v []byte, s *sealer) (Device, error) {
	var d Device
	sealed, pub, err := decodeEnvelope(v)
	if err != nil {
		return Device{}, fmt.Errorf("store: device %x: %w", k, err)
	}
	if err := json.Unmarshal(pub, &d); err != nil {
		return Device{}, fmt.Errorf("store: device %x: %w", k, err)
	}
	if string(d.DevEUI[:]) != string(k) {
		return Device{}, fmt.Errorf("store: device %x: record names %s", k, d.DevEUI)
	}
	if s == nil {
		return d, nil
	}
	plain, err := s.open(bucketDevices, k, sealed)
	if err != nil {
		return Device{}, err
	}
	defer clear(plain)
	if len(plain) != 1+32+64 || plain[0] != deviceSecretsVersion {
		return Device{}, fmt.Errorf("%w: device %x: bad secrets layout", ErrUnseal, k)
	}
	d.ABPKeys.decode(d.RootKeys.decode(plain[1:]))
	return d, nil
}

func getDevice(tx *bolt.Tx, eui lorawan.EUI64, s *sealer) (Device, error) {
	v := tx.Bucket([]byte(bucketDevices)).Get(eui[:])
	if v == nil {
		return Device{}, fmt.Errorf("%w: device %s", ErrNotFound, eui)
	}
	return decodeDevice(eui[:], v, s)
}

// PutDevice creates or replaces a device. Its destination, when named, must
// exist (ErrInvalid otherwise). A zero CreatedAt keeps the stored one (or
// now). For an ABP device, the active session is created from DevAddr and
// ABPKeys, with fresh counters, when the device has none or they changed;
// an unchanged ABP device keeps its session and counters.
func (db *DB) PutDevice(ctx context.Context, d Device) error {
	if err := d.validate(); err != nil {
		return err
	}
	defer db.devVer.bump(d.DevEUI) // after the commit, before the return
	return db.update(ctx, func(tx *bolt.Tx, s *sealer) error {
		if d.Destination != "" && tx.Bucket([]byte(bucketDestinations)).Get([]byte(d.Destination)) == nil {
			return fmt.Errorf("%w: device %s: destination %q does not exist", ErrInvalid, d.DevEUI, d.Destination)
		}
		b := tx.Bucket([]byte(bucketDevices))
		if d.CreatedAt.IsZero() {
			if old := b.Get(d.DevEUI[:]); old != nil {
				if od, err := decodeDevice(d.DevEUI[:], old, nil); err == nil {
					d.CreatedAt = od.CreatedAt
				}
			}
			if d.CreatedAt.IsZero() {
				d.CreatedAt = time.Now().UTC()
			}
		}
		v, err := encodeDevice(d, s)
		if err != nil {
			return err
		}
		if err := b.Put(d.DevEUI[:], v); err != nil {
			return err
		}
		if d.ABP {
			return ensureABPSession(tx, s, d)
		}
		return nil
	})
}

// ensureABPSession writes the ABP device's session unless one with the same
// address and keys is active.
func ensureABPSession(tx *bolt.Tx, s *sealer, d Device) error {
	v, _ := d.Version()
	cur, err := getSession(tx, d.DevEUI, slotActive, s)
	if err == nil && cur.DevAddr == d.DevAddr && cur.Keys == d.ABPKeys && cur.MACVersion == v {
		return nil
	}
	return putSessionTx(tx, s, slotActive, Session{
		DevEUI:     d.DevEUI,
		DevAddr:    d.DevAddr,
		MACVersion: v,
		Keys:       d.ABPKeys,
		CreatedAt:  time.Now().UTC(),
	})
}

// GetDevice returns the device with this DevEUI, keys included, or ErrNotFound.
func (db *DB) GetDevice(ctx context.Context, devEUI lorawan.EUI64) (Device, error) {
	var d Device
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		var err error
		d, err = getDevice(tx, devEUI, s)
		return err
	})
	return d, err
}

// GetDeviceInfo returns the device with this DevEUI without its keys
// (RootKeys and ABPKeys zero), or ErrNotFound: its settings, for the paths
// that need no root key, read without unsealing anything.
func (db *DB) GetDeviceInfo(ctx context.Context, devEUI lorawan.EUI64) (Device, error) {
	var d Device
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		var err error
		d, err = getDevice(tx, devEUI, nil)
		return err
	})
	return d, err
}

// DeviceVersion returns a number that moves whenever the device with this
// DevEUI is written or deleted (PutDevice, DeleteDevice, RotateKEK), and
// only ever grows, so that a cache of devices can tell a copy it may still
// use. It moves after the write commits and before the write returns: a
// copy read after reading version v is current as long as DeviceVersion
// still returns v, and is never served once a change to the device has
// returned. Devices share counters (a write may move the version of a few
// others too); session and frame counter writes do not move it.
func (db *DB) DeviceVersion(devEUI lorawan.EUI64) uint64 {
	return db.devVer.of(devEUI).Load()
}

// The devices' versions are spread over 1<<deviceStripeBits counters: a
// change to one device makes a cache forget 1/256 of what it holds.
const deviceStripeBits = 8

// deviceVersions are the counters behind DB.DeviceVersion.
type deviceVersions [1 << deviceStripeBits]atomic.Uint64

// of returns the counter of a device. DevEUIs share their first bytes (the
// vendor's OUI), so all eight are mixed.
func (v *deviceVersions) of(eui lorawan.EUI64) *atomic.Uint64 {
	h := binary.BigEndian.Uint64(eui[:]) * 0x9e3779b97f4a7c15
	return &v[h>>(64-deviceStripeBits)]
}

func (v *deviceVersions) bump(eui lorawan.EUI64) { v.of(eui).Add(1) }

func (v *deviceVersions) bumpAll() {
	for i := range v {
		v[i].Add(1)
	}
}

// ListDevices returns every device, ordered by DevEUI, without keys:
// RootKeys and ABPKeys are zero in the listing (use GetDevice for them).
func (db *DB) ListDevices(ctx context.Context) ([]Device, error) {
	var out []Device
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return tx.Bucket([]byte(bucketDevices)).ForEach(func(k, v []byte) error {
			d, err := decodeDevice(k, v, nil)
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// DeleteDevice removes a device with everything kept for it: its sessions
// and their DevAddr index entries, its DevNonce history and JoinNonce
// counter, and its downlink queue. It returns ErrNotFound for an unknown device.
func (db *DB) DeleteDevice(ctx context.Context, devEUI lorawan.EUI64) error {
	defer db.devVer.bump(devEUI) // after the commit, before the return
	return db.update(ctx, func(tx *bolt.Tx, s *sealer) error {
		b := tx.Bucket([]byte(bucketDevices))
		if b.Get(devEUI[:]) == nil {
			return fmt.Errorf("%w: device %s", ErrNotFound, devEUI)
		}
		if err := b.Delete(devEUI[:]); err != nil {
			return err
		}
		if err := deleteSessionsTx(tx, devEUI); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketDevNonces)).Delete(devEUI[:]); err != nil {
			return err
		}
		_, err := clearQueueTx(tx, devEUI)
		return err
	})
}
