package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
	bolt "go.etcd.io/bbolt"
)

// maxDevNonceHistory bounds Options.DevNonceHistory.
const maxDevNonceHistory = 4096

// maxJoinNonce is the largest 24-bit JoinNonce.
const maxJoinNonce = 1<<24 - 1

// nonceState is what the join server keeps per device: recent DevNonces
// (LoRaWAN 1.0.x refuses reuse), the last DevNonce (1.1 requires it to
// increase), the last JoinNonce given and the last RJcount1 (1.1). Stored as
//
//	[0] layout version 1  [1] flags (bit 0 last DevNonce set, bit 1 RJcount1 set)
//	[2:4] last DevNonce  [4:8] last JoinNonce  [8:10] last RJcount1
//	[10:12] n  [12:] n DevNonces, oldest first (all big-endian)
type nonceState struct {
	hasLast   bool
	last      uint16
	joinNonce uint32
	hasRJ1    bool
	rj1       uint16
	history   []uint16
}

const nonceStateVersion = 1

func (st nonceState) encode() []byte {
	b := make([]byte, 12, 12+2*len(st.history))
	b[0] = nonceStateVersion
	if st.hasLast {
		b[1] |= 1
	}
	if st.hasRJ1 {
		b[1] |= 2
	}
	binary.BigEndian.PutUint16(b[2:], st.last)
	binary.BigEndian.PutUint32(b[4:], st.joinNonce)
	binary.BigEndian.PutUint16(b[8:], st.rj1)
	binary.BigEndian.PutUint16(b[10:], uint16(len(st.history)))
	for _, n := range st.history {
		b = binary.BigEndian.AppendUint16(b, n)
	}
	return b
}

func decodeNonceState(b []byte) (nonceState, error) {
	var st nonceState
	if len(b) < 12 || b[0] != nonceStateVersion || b[1]&^3 != 0 {
		return st, errors.New("store: devnonce state: bad layout")
	}
	n := int(binary.BigEndian.Uint16(b[10:]))
	if len(b) != 12+2*n {
		return st, fmt.Errorf("store: devnonce state: %d bytes for %d nonces", len(b), n)
	}
	st.hasLast, st.hasRJ1 = b[1]&1 != 0, b[1]&2 != 0
	st.last = binary.BigEndian.Uint16(b[2:])
	st.joinNonce = binary.BigEndian.Uint32(b[4:])
	st.rj1 = binary.BigEndian.Uint16(b[8:])
	if st.joinNonce > maxJoinNonce {
		return st, errors.New("store: devnonce state: joinnonce out of range")
	}
	st.history = make([]uint16, n)
	for i := range st.history {
		st.history[i] = binary.BigEndian.Uint16(b[12+2*i:])
	}
	return st, nil
}

func (st *nonceState) seen(n uint16) bool {
	for _, h := range st.history {
		if h == n {
			return true
		}
	}
	return false
}

// nextJoinNonce advances and returns the JoinNonce (the first is 1: devices
// accept a JoinNonce greater than the last they stored, which starts at 0).
func (st *nonceState) nextJoinNonce(devEUI lorawan.EUI64) (uint32, error) {
	if st.joinNonce >= maxJoinNonce {
		return 0, fmt.Errorf("%w: device %s", ErrJoinNonceExhausted, devEUI)
	}
	st.joinNonce++
	return st.joinNonce, nil
}

// AcceptDevNonce is the join server's atomic check and record of a
// join-request's DevNonce, for a device whose MIC checked out. The policy
// follows the device's MAC version: LoRaWAN 1.1 requires the DevNonce to be
// greater than the last accepted one (ErrDevNonceNotIncreasing); LoRaWAN
// 1.0.x refuses a DevNonce among the last Options.DevNonceHistory accepted
// (ErrDevNonceReused). On acceptance it records the DevNonce and returns the
// device's next JoinNonce (1, 2, … never repeated, ErrJoinNonceExhausted
// after 2^24-1). The state is durable when it returns (group commit).
// ErrNotFound for an unknown device.
func (db *DB) AcceptDevNonce(ctx context.Context, devEUI lorawan.EUI64, devNonce uint16) (joinNonce uint32, err error) {
	err = db.batch(ctx, func(tx *bolt.Tx, _ *sealer) (error, error) {
		d, err := getDevice(tx, devEUI, nil)
		if isNotFound(err) {
			return err, nil
		}
		if err != nil {
			return nil, err
		}
		v, err := d.Version()
		if err != nil {
			return nil, err
		}
		return updateNonceState(tx, devEUI, func(st *nonceState) error {
			if v == lorawan.MACVersion1_1 {
				if st.hasLast && devNonce <= st.last {
					return fmt.Errorf("%w: device %s devnonce %d, last %d", ErrDevNonceNotIncreasing, devEUI, devNonce, st.last)
				}
			} else if st.seen(devNonce) {
				return fmt.Errorf("%w: device %s devnonce %d", ErrDevNonceReused, devEUI, devNonce)
			}
			jn, err := st.nextJoinNonce(devEUI)
			if err != nil {
				return err
			}
			st.hasLast, st.last = true, devNonce
			st.history = append(st.history, devNonce)
			if over := len(st.history) - db.opts.DevNonceHistory; over > 0 {
				st.history = st.history[over:]
			}
			joinNonce = jn
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	return joinNonce, nil
}

// AcceptRejoin is the atomic check and record of a LoRaWAN 1.1
// rejoin-request's counter: RJcount1 for type 1, kept per device; RJcount0
// for types 0 and 2, kept in the active session (a new session starts it
// afresh). A counter not greater than the last accepted one is refused with
// ErrRejoinCountReused. On acceptance it returns the device's next JoinNonce
// for the join-accept that answers. ErrNotFound for an unknown device (or,
// for types 0 and 2, one without a session); ErrInvalid for another type.
func (db *DB) AcceptRejoin(ctx context.Context, devEUI lorawan.EUI64, rejoinType uint8, rjCount uint16) (joinNonce uint32, err error) {
	if rejoinType > 2 {
		return 0, fmt.Errorf("%w: rejoin type %d", ErrInvalid, rejoinType)
	}
	err = db.batch(ctx, func(tx *bolt.Tx, _ *sealer) (error, error) {
		if tx.Bucket([]byte(bucketDevices)).Get(devEUI[:]) == nil {
			return fmt.Errorf("%w: device %s", ErrNotFound, devEUI), nil
		}
		if rejoinType == 1 {
			return updateNonceState(tx, devEUI, func(st *nonceState) error {
				if st.hasRJ1 && rjCount <= st.rj1 {
					return fmt.Errorf("%w: device %s rjcount1 %d, last %d", ErrRejoinCountReused, devEUI, rjCount, st.rj1)
				}
				jn, err := st.nextJoinNonce(devEUI)
				if err != nil {
					return err
				}
				st.hasRJ1, st.rj1 = true, rjCount
				joinNonce = jn
				return nil
			})
		}
		// Types 0 and 2: check the JoinNonce can advance before touching the
		// session, so a refusal writes nothing.
		st, err := loadNonceState(tx, devEUI)
		if err != nil {
			return nil, err
		}
		jn, r := st.nextJoinNonce(devEUI)
		if r != nil {
			return r, nil
		}
		result, err := updatePublic(tx, devEUI, func(sess *Session) error {
			if sess.RJCount0Seen && rjCount <= sess.RJCount0 {
				return fmt.Errorf("%w: device %s rjcount0 %d, last %d", ErrRejoinCountReused, devEUI, rjCount, sess.RJCount0)
			}
			sess.RJCount0Seen, sess.RJCount0 = true, rjCount
			return nil
		})
		if result != nil || err != nil {
			return result, err
		}
		joinNonce = jn
		return nil, tx.Bucket([]byte(bucketDevNonces)).Put(devEUI[:], st.encode())
	})
	if err != nil {
		return 0, err
	}
	return joinNonce, nil
}

// updateNonceState applies fn to a device's nonce state and stores it. A
// refusal from fn comes back as result, with nothing written.
func updateNonceState(tx *bolt.Tx, devEUI lorawan.EUI64, fn func(*nonceState) error) (result, err error) {
	st, err := loadNonceState(tx, devEUI)
	if err != nil {
		return nil, err
	}
	if r := fn(&st); r != nil {
		return r, nil
	}
	return nil, tx.Bucket([]byte(bucketDevNonces)).Put(devEUI[:], st.encode())
}

// loadNonceState reads a device's nonce state (zero when none is stored).
func loadNonceState(tx *bolt.Tx, devEUI lorawan.EUI64) (nonceState, error) {
	v := tx.Bucket([]byte(bucketDevNonces)).Get(devEUI[:])
	if v == nil {
		return nonceState{}, nil
	}
	st, err := decodeNonceState(v)
	if err != nil {
		return nonceState{}, fmt.Errorf("store: device %s: %w", devEUI, err)
	}
	return st, nil
}

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
