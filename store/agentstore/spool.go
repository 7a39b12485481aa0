package agentstore

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"time"

	bolt "go.etcd.io/bbolt"
)

// SpoolRecord is one spooled uplink.
type SpoolRecord struct {
	// ID orders records: it grows with every SpoolPut and is never reused.
	ID uint64
	// Msg is the encoded Station uplink (updf, jreq, propdf, …) as it would
	// have been sent.
	Msg []byte
	// ReceivedAt is when the radio received the frame; the spool's age
	// bound is measured from it.
	ReceivedAt time.Time
}

// SpoolStats describes the spool.
type SpoolStats struct {
	// Len is the number of records waiting.
	Len int
	// Dropped counts the records dropped, oldest first, because the spool
	// held SpoolMaxCount records. It is kept in the file, so it counts
	// over restarts.
	Dropped uint64
	// DroppedByAge counts the records dropped because they were older than
	// SpoolMaxAge (also kept over restarts).
	DroppedByAge uint64
}

// spoolKey is the big-endian record id: cursors walk the spool in order.
func spoolKey(id uint64) []byte { return binary.BigEndian.AppendUint64(nil, id) }

// encodeRecord lays a record out as the receive time (Unix ns, big endian)
// followed by the message.
func encodeRecord(receivedAt time.Time, msg []byte) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(msg)), uint64(receivedAt.UnixNano()))
	return append(v, msg...)
}

func recordTime(v []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(v)))
}

func decodeRecord(k, v []byte) (SpoolRecord, error) {
	if len(k) != 8 || len(v) <= 8 {
		return SpoolRecord{}, fmt.Errorf("agentstore: spool record %x: bad layout (%d-byte value)", k, len(v))
	}
	return SpoolRecord{ID: binary.BigEndian.Uint64(k), ReceivedAt: recordTime(v), Msg: bytes.Clone(v[8:])}, nil
}

// spoolTx holds the spool's buckets and counters in one write transaction.
type spoolTx struct {
	records, meta *bolt.Bucket
	n             uint64 // records held
	byCount       uint64 // dropped by count in this transaction
	byAge         uint64 // dropped by age in this transaction
}

func newSpoolTx(tx *bolt.Tx) *spoolTx {
	meta := tx.Bucket([]byte(bucketMeta))
	return &spoolTx{records: tx.Bucket([]byte(bucketSpool)), meta: meta, n: getU64(meta, metaSpoolLen)}
}

// dropExpired deletes the records at the head of the spool received before
// cutoff.
func (s *spoolTx) dropExpired(cutoff time.Time) error {
	c := s.records.Cursor()
	for k, v := c.First(); k != nil && len(v) >= 8 && recordTime(v).Before(cutoff); k, v = c.First() {
		if err := s.records.Delete(k); err != nil {
			return err
		}
		s.n--
		s.byAge++
	}
	return nil
}

// dropOldest deletes records from the head until at most keep remain.
func (s *spoolTx) dropOldest(keep uint64) error {
	c := s.records.Cursor()
	for k, _ := c.First(); k != nil && s.n > keep; k, _ = c.First() {
		if err := s.records.Delete(k); err != nil {
			return err
		}
		s.n--
		s.byCount++
	}
	return nil
}

// commit writes the counters back.
func (s *spoolTx) commit() error {
	if err := putU64(s.meta, metaSpoolLen, s.n); err != nil {
		return err
	}
	if s.byCount > 0 {
		if err := putU64(s.meta, metaSpoolDropped, getU64(s.meta, metaSpoolDropped)+s.byCount); err != nil {
			return err
		}
	}
	if s.byAge > 0 {
		return putU64(s.meta, metaSpoolDroppedAt, getU64(s.meta, metaSpoolDroppedAt)+s.byAge)
	}
	return nil
}

// SpoolPut appends an uplink to the spool and returns once it is committed
// and synced to disk. Records older than SpoolMaxAge are dropped first,
// then, with the spool full, the oldest ones, each counted in SpoolStats. A
// record already older than SpoolMaxAge is counted as dropped by age and not
// stored. A zero receivedAt means now.
func (db *DB) SpoolPut(ctx context.Context, msg []byte, receivedAt time.Time) error {
	if len(msg) == 0 {
		return fmt.Errorf("%w: empty spool message", ErrInvalid)
	}
	now := db.opts.Now()
	if receivedAt.IsZero() {
		receivedAt = now
	}
	cutoff := now.Add(-db.opts.SpoolMaxAge)
	var dropped, total uint64
	err := db.update(ctx, func(tx *bolt.Tx) error {
		s := newSpoolTx(tx)
		if err := s.dropExpired(cutoff); err != nil {
			return err
		}
		if receivedAt.Before(cutoff) {
			s.byAge++
		} else {
			if err := s.dropOldest(uint64(db.opts.SpoolMaxCount) - 1); err != nil {
				return err
			}
			id, err := s.records.NextSequence()
			if err != nil {
				return err
			}
			if err := s.records.Put(spoolKey(id), encodeRecord(receivedAt, msg)); err != nil {
				return err
			}
			s.n++
		}
		dropped = s.byCount + s.byAge
		total = getU64(s.meta, metaSpoolDropped) + getU64(s.meta, metaSpoolDroppedAt) + dropped
		return s.commit()
	})
	if err != nil {
		return fmt.Errorf("agentstore: spool put: %w", err)
	}
	// Log when the running total of drops crosses a power of two, so that a
	// long outage gives a few lines, not one per uplink.
	if dropped > 0 && bits.Len64(total) != bits.Len64(total-dropped) {
		db.log.Warn("agentstore: spool full or expired: oldest uplinks dropped", "dropped_total", total, "max_count", db.opts.SpoolMaxCount, "max_age", db.opts.SpoolMaxAge)
	}
	return nil
}

// SpoolPeek returns up to max records, oldest first, leaving them in the
// spool. Records found older than SpoolMaxAge are dropped (and counted)
// instead of returned.
func (db *DB) SpoolPeek(ctx context.Context, max int) ([]SpoolRecord, error) {
	if max <= 0 {
		return nil, fmt.Errorf("%w: spool peek of %d records", ErrInvalid, max)
	}
	cutoff := db.opts.Now().Add(-db.opts.SpoolMaxAge)
	var out []SpoolRecord
	var expired []uint64
	err := db.view(ctx, func(tx *bolt.Tx) error {
		out, expired = out[:0], expired[:0]
		c := tx.Bucket([]byte(bucketSpool)).Cursor()
		for k, v := c.First(); k != nil && len(out) < max; k, v = c.Next() {
			r, err := decodeRecord(k, v)
			if err != nil {
				return err
			}
			if r.ReceivedAt.Before(cutoff) {
				expired = append(expired, r.ID)
				continue
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("agentstore: spool peek: %w", err)
	}
	if len(expired) > 0 {
		err := db.update(ctx, func(tx *bolt.Tx) error {
			s := newSpoolTx(tx)
			s.byAge = 0
			for _, id := range expired {
				if s.records.Get(spoolKey(id)) == nil {
					continue // deleted meanwhile
				}
				if err := s.records.Delete(spoolKey(id)); err != nil {
					return err
				}
				s.n--
				s.byAge++
			}
			return s.commit()
		})
		if err != nil {
			return nil, fmt.Errorf("agentstore: spool peek: drop expired: %w", err)
		}
	}
	return out, nil
}

// SpoolDelete removes records, once the LNS has accepted them. Ids no longer
// in the spool (dropped meanwhile) are ignored.
func (db *DB) SpoolDelete(ctx context.Context, ids ...uint64) error {
	if len(ids) == 0 {
		return nil
	}
	err := db.update(ctx, func(tx *bolt.Tx) error {
		s := newSpoolTx(tx)
		for _, id := range ids {
			k := spoolKey(id)
			if s.records.Get(k) == nil {
				continue
			}
			if err := s.records.Delete(k); err != nil {
				return err
			}
			s.n--
		}
		return s.commit()
	})
	if err != nil {
		return fmt.Errorf("agentstore: spool delete: %w", err)
	}
	return nil
}

// SpoolStats returns the spool's length and drop counters; the zero value
// when the store is closed.
func (db *DB) SpoolStats() SpoolStats {
	var st SpoolStats
	db.view(context.Background(), func(tx *bolt.Tx) error {
		meta := tx.Bucket([]byte(bucketMeta))
		st = SpoolStats{
			Len:          int(getU64(meta, metaSpoolLen)),
			Dropped:      getU64(meta, metaSpoolDropped),
			DroppedByAge: getU64(meta, metaSpoolDroppedAt),
		}
		return nil
	})
	return st
}
