package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

// maxDownlinkPayload is the largest FRMPayload any region allows.
const maxDownlinkPayload = 242

// Downlink is an application downlink waiting in a device's queue (the
// queue survives restarts). Items leave the queue in the order they came.
type Downlink struct {
	// ID orders the queue and names the item; Enqueue sets it.
	ID uint64 `json:"-"`

	FPort     uint8  `json:"fPort"` // 1–223
	Payload   []byte `json:"payload,omitempty"`
	Confirmed bool   `json:"confirmed,omitempty"`

	// Attempts counts transmissions so far; FCnt is the downlink counter of
	// the last one (meaningful once Attempts > 0). The downlink scheduler
	// keeps them with UpdateDownlink.
	Attempts    int       `json:"attempts,omitempty"`
	FCnt        uint32    `json:"fCnt,omitempty"`
	LastAttempt time.Time `json:"lastAttempt,omitzero"`

	CreatedAt time.Time `json:"createdAt"`
}

func (d Downlink) validate() error {
	if d.FPort < 1 || d.FPort > 223 {
		return fmt.Errorf("%w: downlink fport %d, want 1 to 223", ErrInvalid, d.FPort)
	}
	if len(d.Payload) > maxDownlinkPayload {
		return fmt.Errorf("%w: downlink payload of %d bytes, max %d", ErrInvalid, len(d.Payload), maxDownlinkPayload)
	}
	if d.Attempts < 0 {
		return fmt.Errorf("%w: downlink attempts %d", ErrInvalid, d.Attempts)
	}
	return nil
}

func queueKey(eui lorawan.EUI64, id uint64) []byte {
	k := make([]byte, 16)
	copy(k, eui[:])
	binary.BigEndian.PutUint64(k[8:], id)
	return k
}

// forQueue calls fn for each item of the device's queue, in order.
func forQueue(b *bolt.Bucket, eui lorawan.EUI64, fn func(k, v []byte) error) error {
	c := b.Cursor()
	for k, v := c.Seek(eui[:]); k != nil && bytes.HasPrefix(k, eui[:]); k, v = c.Next() {
		if len(k) != 16 {
			return fmt.Errorf("store: queue key %x: bad layout", k)
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func decodeDownlink(k, v []byte) (Downlink, error) {
	var d Downlink
	if err := decodePublic(v, &d); err != nil {
		return Downlink{}, fmt.Errorf("store: queue %x: %w", k, err)
	}
	d.ID = binary.BigEndian.Uint64(k[8:])
	return d, nil
}

// Enqueue appends a downlink to the device's queue and returns its ID.
// ErrQueueFull when Options.MaxQueue items wait already, ErrNotFound for an
// unknown device, ErrInvalid for a bad FPort or an oversized payload.
func (db *DB) Enqueue(ctx context.Context, devEUI lorawan.EUI64, d Downlink) (uint64, error) {
	if err := d.validate(); err != nil {
		return 0, err
	}
	if d.CreatedAt.IsZero() {
		d.CreatedAt = time.Now().UTC()
	}
	defer db.queueVer.bump(devEUI) // after the commit, before the return
	var id uint64
	err := db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		if tx.Bucket([]byte(bucketDevices)).Get(devEUI[:]) == nil {
			return fmt.Errorf("%w: device %s", ErrNotFound, devEUI)
		}
		b := tx.Bucket([]byte(bucketQueue))
		n := 0
		if err := forQueue(b, devEUI, func(_, _ []byte) error { n++; return nil }); err != nil {
			return err
		}
		if n >= db.opts.MaxQueue {
			return fmt.Errorf("%w: device %s holds %d", ErrQueueFull, devEUI, n)
		}
		var err error
		if id, err = b.NextSequence(); err != nil {
			return err
		}
		return putJSON(b, queueKey(devEUI, id), d)
	})
	if err != nil {
		return 0, err
	}
	return id, nil
}

// QueueVersion returns a number that moves whenever a downlink is added to
// the device's queue (Enqueue), and only ever grows, so that a caller that
// found the queue empty can skip reading it again: a queue read empty after
// reading version v is still empty as long as QueueVersion returns v (taking
// items out never fills it). It moves after the addition commits and before
// Enqueue returns, so no addition that has returned is ever missed. Devices
// share counters (an addition may move the version of a few others too).
// It reads no transaction: the per-uplink check of the downlink scheduler.
func (db *DB) QueueVersion(devEUI lorawan.EUI64) uint64 {
	return db.queueVer.of(devEUI).Load()
}

// PeekDownlink returns the first downlink of the device's queue without
// removing it, and how many items the queue holds in all (for FPending).
// ErrNotFound when the queue is empty.
func (db *DB) PeekDownlink(ctx context.Context, devEUI lorawan.EUI64) (d Downlink, queued int, err error) {
	err = db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return forQueue(tx.Bucket([]byte(bucketQueue)), devEUI, func(k, v []byte) error {
			if queued == 0 {
				var err error
				if d, err = decodeDownlink(k, v); err != nil {
					return err
				}
			}
			queued++
			return nil
		})
	})
	if err == nil && queued == 0 {
		err = fmt.Errorf("%w: downlink queue of %s empty", ErrNotFound, devEUI)
	}
	return d, queued, err
}

// ListDownlinks returns the device's queue in order (empty is not an error).
func (db *DB) ListDownlinks(ctx context.Context, devEUI lorawan.EUI64) ([]Downlink, error) {
	var out []Downlink
	err := db.view(ctx, func(tx *bolt.Tx, _ *sealer) error {
		return forQueue(tx.Bucket([]byte(bucketQueue)), devEUI, func(k, v []byte) error {
			d, err := decodeDownlink(k, v)
			if err != nil {
				return err
			}
			out = append(out, d)
			return nil
		})
	})
	return out, err
}

// UpdateDownlink rewrites a queued downlink (matched by ID), e.g. to count
// an attempt. ErrNotFound when it is no longer queued.
func (db *DB) UpdateDownlink(ctx context.Context, devEUI lorawan.EUI64, d Downlink) error {
	if err := d.validate(); err != nil {
		return err
	}
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketQueue))
		k := queueKey(devEUI, d.ID)
		if b.Get(k) == nil {
			return fmt.Errorf("%w: downlink %d of %s", ErrNotFound, d.ID, devEUI)
		}
		return putJSON(b, k, d)
	})
}

// DeleteDownlink removes one queued downlink. ErrNotFound when it is not queued.
func (db *DB) DeleteDownlink(ctx context.Context, devEUI lorawan.EUI64, id uint64) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketQueue))
		k := queueKey(devEUI, id)
		if b.Get(k) == nil {
			return fmt.Errorf("%w: downlink %d of %s", ErrNotFound, id, devEUI)
		}
		return b.Delete(k)
	})
}

// ClearQueue removes every queued downlink of the device and returns how
// many there were.
func (db *DB) ClearQueue(ctx context.Context, devEUI lorawan.EUI64) (int, error) {
	var n int
	err := db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		var err error
		n, err = clearQueueTx(tx, devEUI)
		return err
	})
	return n, err
}

func clearQueueTx(tx *bolt.Tx, devEUI lorawan.EUI64) (int, error) {
	b := tx.Bucket([]byte(bucketQueue))
	var keys [][]byte
	err := forQueue(b, devEUI, func(k, _ []byte) error {
		keys = append(keys, bytes.Clone(k))
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}
