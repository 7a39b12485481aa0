package route

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// DefaultQueueMax is the number of messages a Queue holds by default.
const DefaultQueueMax = 10000

var bucketQueue = []byte("webhook-retry") // nested bucket per destination; keys: big-endian sequence

// Queue is the persistent, bounded retry queue of webhook deliveries: a
// bbolt file holding, per destination, the JSON bodies not yet accepted by
// the webhook, oldest first. When full, the oldest message of any
// destination is dropped (and counted) to make room. Queue is safe for
// concurrent use; each write is one committed bbolt transaction, so a
// message the queue took survives a crash or restart.
type Queue struct {
	db  *bolt.DB
	max int

	mu      sync.Mutex
	perDest map[string]int // messages held per destination
	total   int
	dropped uint64
}

// OpenQueue opens (or creates) the queue file at path, holding at most max
// messages (DefaultQueueMax when max <= 0). A file left by an earlier run
// keeps its messages, delivered once a Router using the queue starts.
func OpenQueue(path string, max int) (*Queue, error) {
	if max <= 0 {
		max = DefaultQueueMax
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("route: open queue %s: %w", path, err)
	}
	q := &Queue{db: db, max: max, perDest: make(map[string]int)}
	err = db.Update(func(tx *bolt.Tx) error {
		root, err := tx.CreateBucketIfNotExists(bucketQueue)
		if err != nil {
			return err
		}
		return root.ForEachBucket(func(name []byte) error {
			n := root.Bucket(name).Stats().KeyN
			if n > 0 {
				q.perDest[string(name)] = n
				q.total += n
			}
			return nil
		})
	})
	if err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("route: open queue %s: %w", path, err)
	}
	// A file from a run with a larger bound is trimmed now.
	if q.total > q.max {
		q.mu.Lock()
		_, err = q.trim(q.max)
		q.mu.Unlock()
		if err != nil {
			_ = db.Close()
			return nil, fmt.Errorf("route: open queue %s: %w", path, err)
		}
	}
	return q, nil
}

// Close closes the file. Messages still queued stay in it.
func (q *Queue) Close() error {
	if err := q.db.Close(); err != nil {
		return fmt.Errorf("route: close queue: %w", err)
	}
	return nil
}

// Len returns the number of messages queued, all destinations together.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.total
}

// Dropped returns how many messages were dropped to keep the bound since
// the queue was opened.
func (q *Queue) Dropped() uint64 {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.dropped
}

// pending returns how many messages wait for dest.
func (q *Queue) pending(dest string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.perDest[dest]
}

// destinations returns the names of the destinations with messages queued.
func (q *Queue) destinations() []string {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := make([]string, 0, len(q.perDest))
	for name := range q.perDest {
		out = append(out, name)
	}
	return out
}

// push appends body to dest's queue, first dropping the oldest messages of
// any destination while the queue is full, in the same transaction. It
// returns the destinations of the dropped messages, one entry per message.
func (q *Queue) push(ctx context.Context, dest string, body []byte) (dropped []string, err error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("route: queue %s: %w", dest, err)
	}
	if dest == "" {
		return nil, errors.New("route: queue: empty destination name")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	err = q.db.Update(func(tx *bolt.Tx) error {
		root := tx.Bucket(bucketQueue)
		var err error
		if dropped, err = dropOldest(root, q.total+1-q.max); err != nil {
			return err
		}
		b, err := root.CreateBucketIfNotExists([]byte(dest))
		if err != nil {
			return err
		}
		seq, err := root.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(binary.BigEndian.AppendUint64(nil, seq), body)
	})
	if err != nil {
		return nil, fmt.Errorf("route: queue %s: %w", dest, err)
	}
	q.account(dropped)
	q.perDest[dest]++
	q.total++
	return dropped, nil
}

// trim drops the oldest messages until at most keep remain. q.mu is held.
func (q *Queue) trim(keep int) ([]string, error) {
	var dropped []string
	err := q.db.Update(func(tx *bolt.Tx) error {
		var err error
		dropped, err = dropOldest(tx.Bucket(bucketQueue), q.total-keep)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("route: queue: drop oldest: %w", err)
	}
	q.account(dropped)
	return dropped, nil
}

// account lowers the counts for dropped messages. q.mu is held.
func (q *Queue) account(dropped []string) {
	for _, d := range dropped {
		q.forget(d)
	}
	q.dropped += uint64(len(dropped))
}

// dropOldest deletes the n oldest messages (by sequence, across
// destinations) and returns their destinations.
func dropOldest(root *bolt.Bucket, n int) ([]string, error) {
	var dropped []string
	for range n {
		var oldestKey, oldestDest []byte
		err := root.ForEachBucket(func(name []byte) error {
			k, _ := root.Bucket(name).Cursor().First()
			if k != nil && (oldestKey == nil || bytes.Compare(k, oldestKey) < 0) {
				oldestKey, oldestDest = bytes.Clone(k), bytes.Clone(name)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if oldestKey == nil {
			break
		}
		b := root.Bucket(oldestDest)
		if err := b.Delete(oldestKey); err != nil {
			return nil, err
		}
		dropped = append(dropped, string(oldestDest))
		if k, _ := b.Cursor().First(); k == nil {
			if err := root.DeleteBucket(oldestDest); err != nil {
				return nil, err
			}
		}
	}
	return dropped, nil
}

// forget lowers the counts after one message of dest left. q.mu is held.
func (q *Queue) forget(dest string) {
	q.total--
	if q.perDest[dest]--; q.perDest[dest] <= 0 {
		delete(q.perDest, dest)
	}
}

// peek returns the oldest message queued for dest, ok false when none.
func (q *Queue) peek(dest string) (seq uint64, body []byte, ok bool, err error) {
	err = q.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketQueue).Bucket([]byte(dest))
		if b == nil {
			return nil
		}
		k, v := b.Cursor().First()
		if k == nil {
			return nil
		}
		if len(k) != 8 {
			return fmt.Errorf("bad key %x", k)
		}
		seq, body, ok = binary.BigEndian.Uint64(k), bytes.Clone(v), true
		return nil
	})
	if err != nil {
		return 0, nil, false, fmt.Errorf("route: queue %s: %w", dest, err)
	}
	return seq, body, ok, nil
}

// remove deletes a delivered message; one already dropped is no error.
func (q *Queue) remove(dest string, seq uint64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	found := false
	err := q.db.Update(func(tx *bolt.Tx) error {
		found = false
		root := tx.Bucket(bucketQueue)
		b := root.Bucket([]byte(dest))
		if b == nil {
			return nil
		}
		key := binary.BigEndian.AppendUint64(nil, seq)
		if b.Get(key) == nil {
			return nil
		}
		found = true
		if err := b.Delete(key); err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k == nil {
			return root.DeleteBucket([]byte(dest))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("route: queue %s: remove: %w", dest, err)
	}
	if found {
		q.forget(dest)
	}
	return nil
}
