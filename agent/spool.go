package agent

import (
	"context"
	"sync"
	"time"
)

// Spool keeps uplinks that could not be sent because the LNS was
// unreachable, oldest first, until they are sent after a reconnect. The
// agent's bbolt store (store/agentstore) provides the durable one; its
// methods carry the same names.
type Spool interface {
	// SpoolPut stores one encoded uplink message, as it would have been
	// sent, with the time it was received. It returns once the record is
	// safe.
	SpoolPut(ctx context.Context, msg []byte, receivedAt time.Time) error
	// SpoolPeek returns up to max of the oldest records, oldest first.
	SpoolPeek(ctx context.Context, max int) ([]SpoolRecord, error)
	// SpoolDelete removes records once the LNS socket accepted them.
	SpoolDelete(ctx context.Context, ids ...uint64) error
}

// SpoolRecord is one spooled uplink.
type SpoolRecord struct {
	ID         uint64
	Msg        []byte // the station JSON message (updf, jreq, …)
	ReceivedAt time.Time
}

// MemorySpool is a Spool in memory, bounded by a number of records (the
// oldest is dropped, and counted, when a new one does not fit). It loses
// everything when the process ends; the agent uses it when no durable
// spool is given.
type MemorySpool struct {
	mu      sync.Mutex
	max     int
	next    uint64
	recs    []SpoolRecord
	dropped int
}

// DefaultMemorySpool is the capacity of the MemorySpool an agent makes when
// Options.Spool is nil.
const DefaultMemorySpool = 10000

// NewMemorySpool returns an empty spool holding at most max records
// (DefaultMemorySpool when max <= 0).
func NewMemorySpool(max int) *MemorySpool {
	if max <= 0 {
		max = DefaultMemorySpool
	}
	return &MemorySpool{max: max, next: 1}
}

// SpoolPut appends a record, dropping the oldest when full.
func (s *MemorySpool) SpoolPut(_ context.Context, msg []byte, receivedAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.recs) >= s.max {
		s.recs = append(s.recs[:0], s.recs[1:]...)
		s.dropped++
	}
	s.recs = append(s.recs, SpoolRecord{ID: s.next, Msg: append([]byte(nil), msg...), ReceivedAt: receivedAt})
	s.next++
	return nil
}

// SpoolPeek returns copies of up to max oldest records.
func (s *MemorySpool) SpoolPeek(_ context.Context, max int) ([]SpoolRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := min(max, len(s.recs))
	return append([]SpoolRecord(nil), s.recs[:n]...), nil
}

// SpoolDelete removes the records with the given ids.
func (s *MemorySpool) SpoolDelete(_ context.Context, ids ...uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	del := make(map[uint64]bool, len(ids))
	for _, id := range ids {
		del[id] = true
	}
	keep := s.recs[:0]
	for _, r := range s.recs {
		if !del[r.ID] {
			keep = append(keep, r)
		}
	}
	clear(s.recs[len(keep):])
	s.recs = keep
	return nil
}

// Len returns the number of records held.
func (s *MemorySpool) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

// Dropped returns the number of records dropped because the spool was full.
func (s *MemorySpool) Dropped() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dropped
}
