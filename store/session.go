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

// Session slots: a device has an active session and, between a LoRaWAN 1.1
// join (or rejoin) and the first uplink under the new keys, a pending one.
const (
	slotActive  byte = 0
	slotPending byte = 1
)

// maxMACState bounds Session.MACState.
const maxMACState = 64 << 10

// Session is the security context of a device: its address, keys and frame
// counters, and the radio settings the network gave it. Keys are sealed at
// rest and redact themselves under fmt, slog and encoding/json (the JSON
// form, for admin APIs, has every other field).
type Session struct {
	// DevEUI names the device; Pending tells the pending session (a join
	// accepted but not yet confirmed by an uplink) from the active one.
	// Both come from where the session is stored.
	DevEUI  lorawan.EUI64 `json:"devEui"`
	Pending bool          `json:"pending,omitempty"`

	DevAddr    lorawan.DevAddr    `json:"devAddr"`
	MACVersion lorawan.MACVersion `json:"macVersion"`
	Keys       SessionKeys        `json:"-"`

	// FCntUp is the last uplink frame counter accepted in this session;
	// it means something only once UplinkSeen is set (before the first
	// uplink any counter, 0 included, is accepted). ConfirmedUp records
	// that the uplink at FCntUp was confirmed, so its retransmission
	// (ErrFCntReplay) can be ACKed again.
	FCntUp      uint32 `json:"fCntUp"`
	UplinkSeen  bool   `json:"uplinkSeen,omitempty"`
	ConfirmedUp bool   `json:"confirmedUp,omitempty"`

	// NFCntDown and AFCntDown are the next downlink frame counters to use:
	// network (FPort 0 or none) and application (FPort > 0) in LoRaWAN 1.1.
	// A LoRaWAN 1.0.x session has one downlink counter, NFCntDown; see
	// NextFCntDown.
	NFCntDown uint32 `json:"nFCntDown"`
	AFCntDown uint32 `json:"aFCntDown"`

	// LastConfFCntDown and PrevConfFCntDown are the counters of the last
	// two confirmed downlinks built in this session (NextFCntDown with
	// AFCntDownConfirmed), the latest first; zero until there are any. A
	// LoRaWAN 1.1 uplink that acknowledges a confirmed downlink signs that
	// downlink's counter (ConfFCnt, in B1): normally the last one, the one
	// before when the device missed the last (a retransmitted uplink that
	// carried its ACK while the network's answer brought a new confirmed
	// downlink).
	LastConfFCntDown uint32 `json:"lastConfFCntDown,omitempty"`
	PrevConfFCntDown uint32 `json:"prevConfFCntDown,omitempty"`

	// RJCount0 is the last RJcount0 of a LoRaWAN 1.1 rejoin-request type 0
	// or 2 accepted in this session, when RJCount0Seen.
	RJCount0     uint16 `json:"rjCount0,omitempty"`
	RJCount0Seen bool   `json:"rjCount0Seen,omitempty"`

	// Radio settings the network gave the device (join-accept DLSettings,
	// RxDelay, RXParamSetupReq…). Zero RxDelay means 1 s; zero RX2Frequency
	// means the region's default.
	RX1DROffset  uint8  `json:"rx1DrOffset,omitempty"`
	RX2DR        uint8  `json:"rx2Dr,omitempty"`
	RX2Frequency uint32 `json:"rx2Frequency,omitempty"` // Hz
	RxDelay      uint8  `json:"rxDelay,omitempty"`      // s
	CFList       []byte `json:"cfList,omitempty"`       // the 16-byte CFList sent in the join-accept, if any

	// MACState is kept as given for the MAC layer (ADR history, pending
	// commands…); the store does not read it. At most 64 KiB.
	MACState []byte `json:"macState,omitempty"`

	CreatedAt time.Time `json:"createdAt"`
}

func (s Session) validate() error {
	if s.DevEUI == (lorawan.EUI64{}) {
		return fmt.Errorf("%w: session: zero deveui", ErrInvalid)
	}
	if s.MACVersion != lorawan.MACVersion1_0 && s.MACVersion != lorawan.MACVersion1_1 {
		return fmt.Errorf("%w: session %s: mac version %v", ErrInvalid, s.DevEUI, s.MACVersion)
	}
	var zero lorawan.AES128Key
	if s.Keys.FNwkSIntKey == zero || s.Keys.AppSKey == zero {
		return fmt.Errorf("%w: session %s: zero session keys", ErrInvalid, s.DevEUI)
	}
	if s.RX1DROffset > 7 || s.RxDelay > 15 || s.RX2DR > 15 {
		return fmt.Errorf("%w: session %s: rx settings out of range", ErrInvalid, s.DevEUI)
	}
	if len(s.CFList) != 0 && len(s.CFList) != 16 {
		return fmt.Errorf("%w: session %s: cflist of %d bytes, want 16", ErrInvalid, s.DevEUI, len(s.CFList))
	}
	if len(s.MACState) > maxMACState {
		return fmt.Errorf("%w: session %s: mac state of %d bytes, max %d", ErrInvalid, s.DevEUI, len(s.MACState), maxMACState)
	}
	return nil
}

func sessionKey(eui lorawan.EUI64, slot byte) []byte {
	k := make([]byte, 9)
	copy(k, eui[:])
	k[8] = slot
	return k
}

// decodeSession decodes a stored session; with s nil the keys stay zero.
func decodeSession(k, v []byte, s *sealer) (Session, error) {
	var sess Session
	if len(k) != 9 || k[8] > slotPending {
		return Session{}, fmt.Errorf("store: session key %x: bad layout", k)
	}
	sealed, pub, err := decodeEnvelope(v)
	if err != nil {
		return Session{}, fmt.Errorf("store: session %x: %w", k, err)
	}
	if err := decodeSessionPublic(pub, &sess); err != nil {
		return Session{}, fmt.Errorf("store: session %x: %w", k, err)
	}
	copy(sess.DevEUI[:], k)
	sess.Pending = k[8] == slotPending
	if s == nil {
		return sess, nil
	}
	plain, err := s.open(bucketSessions, k, sealed)
	if err != nil {
		return Session{}, err
	}
	defer clear(plain)
	if len(plain) != 1+64 || plain[0] != sessionSecretsVersion {
		return Session{}, fmt.Errorf("%w: session %x: bad secrets layout", ErrUnseal, k)
	}
	sess.Keys.decode(plain[1:])
	return sess, nil
}

const sessionSecretsVersion = 1

func getSession(tx *bolt.Tx, eui lorawan.EUI64, slot byte, s *sealer) (Session, error) {
	k := sessionKey(eui, slot)
	v := tx.Bucket([]byte(bucketSessions)).Get(k)
	if v == nil {
		what := "session"
		if slot == slotPending {
			what = "pending session"
		}
		return Session{}, fmt.Errorf("%w: %s %s", ErrNotFound, what, eui)
	}
	return decodeSession(k, v, s)
}

// sessionAddrs returns the DevAddrs of the device's stored sessions.
func sessionAddrs(b *bolt.Bucket, eui lorawan.EUI64) ([]lorawan.DevAddr, error) {
	var out []lorawan.DevAddr
	for _, slot := range []byte{slotActive, slotPending} {
		k := sessionKey(eui, slot)
		v := b.Get(k)
		if v == nil {
			continue
		}
		sess, err := decodeSession(k, v, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, sess.DevAddr)
	}
	return out, nil
}

func indexKey(addr lorawan.DevAddr, eui lorawan.EUI64) []byte {
	k := make([]byte, 12)
	copy(k, addr[:])
	copy(k[4:], eui[:])
	return k
}

// reindex makes the DevAddr index entries of a device match its sessions,
// given the addresses it had before the change.
func reindex(tx *bolt.Tx, eui lorawan.EUI64, before []lorawan.DevAddr) error {
	after, err := sessionAddrs(tx.Bucket([]byte(bucketSessions)), eui)
	if err != nil {
		return err
	}
	idx := tx.Bucket([]byte(bucketDevAddrIndex))
	for _, a := range before {
		if !containsAddr(after, a) {
			if err := idx.Delete(indexKey(a, eui)); err != nil {
				return err
			}
		}
	}
	for _, a := range after {
		if err := idx.Put(indexKey(a, eui), []byte{}); err != nil {
			return err
		}
	}
	return nil
}

func containsAddr(list []lorawan.DevAddr, a lorawan.DevAddr) bool {
	for _, x := range list {
		if x == a {
			return true
		}
	}
	return false
}

// putSessionTx writes sess into slot and keeps the index right. When the
// slot already holds the same keys, their sealed blob is kept: counters and
// settings change often, keys seldom, and each seal spends a random nonce.
func putSessionTx(tx *bolt.Tx, s *sealer, slot byte, sess Session) error {
	if err := sess.validate(); err != nil {
		return err
	}
	if tx.Bucket([]byte(bucketDevices)).Get(sess.DevEUI[:]) == nil {
		return fmt.Errorf("%w: device %s", ErrNotFound, sess.DevEUI)
	}
	b := tx.Bucket([]byte(bucketSessions))
	before, err := sessionAddrs(b, sess.DevEUI)
	if err != nil {
		return err
	}
	k := sessionKey(sess.DevEUI, slot)
	var sealed []byte
	if old := b.Get(k); old != nil {
		if prev, err := decodeSession(k, old, s); err == nil && prev.Keys == sess.Keys {
			oldSealed, _, _ := decodeEnvelope(old)
			sealed = bytes.Clone(oldSealed)
		}
	}
	if sealed == nil {
		plain := make([]byte, 0, 1+64)
		plain = append(plain, sessionSecretsVersion)
		plain = sess.Keys.appendBinary(plain)
		sealed, err = s.seal(bucketSessions, k, plain)
		clear(plain)
		if err != nil {
			return err
		}
	}
	if err := putSessionPublic(b, k, sealed, sess); err != nil {
		return err
	}
	return reindex(tx, sess.DevEUI, before)
}

// putSessionPublic writes a session with an already sealed key blob.
func putSessionPublic(b *bolt.Bucket, k, sealed []byte, sess Session) error {
	v := make([]byte, 0, 1+binary.MaxVarintLen32+len(sealed)+sessionFixedSize+len(sess.CFList)+8+binary.MaxVarintLen32+len(sess.MACState))
	v = append(v, envelopeVersion)
	v = binary.AppendUvarint(v, uint64(len(sealed)))
	v = append(v, sealed...)
	return b.Put(k, appendSessionPublic(v, &sess))
}

func deleteSessionsTx(tx *bolt.Tx, eui lorawan.EUI64) error {
	b := tx.Bucket([]byte(bucketSessions))
	before, err := sessionAddrs(b, eui)
	if err != nil {
		return err
	}
	for _, slot := range []byte{slotActive, slotPending} {
		if err := b.Delete(sessionKey(eui, slot)); err != nil {
			return err
		}
	}
	return reindex(tx, eui, before)
}

// PutSession stores sess as the active session of device sess.DevEUI,
// replacing the one there (the pending slot is left alone). A zero CreatedAt
// is set to now.
func (db *DB) PutSession(ctx context.Context, sess Session) error {
	return db.putSession(ctx, slotActive, sess)
}

// PutPendingSession stores sess as the pending session of device
// sess.DevEUI: the session of a LoRaWAN 1.1 join the device has not yet
// confirmed with an uplink. The active session stays usable until
// ActivatePendingSession.
func (db *DB) PutPendingSession(ctx context.Context, sess Session) error {
	return db.putSession(ctx, slotPending, sess)
}

func (db *DB) putSession(ctx context.Context, slot byte, sess Session) error {
	if sess.CreatedAt.IsZero() {
		sess.CreatedAt = time.Now().UTC()
	}
	return db.update(ctx, func(tx *bolt.Tx, s *sealer) error {
		return putSessionTx(tx, s, slot, sess)
	})
}

// GetSession returns the active session of a device, keys included, or ErrNotFound.
func (db *DB) GetSession(ctx context.Context, devEUI lorawan.EUI64) (Session, error) {
	return db.getSession(ctx, devEUI, slotActive)
}

// GetPendingSession returns the pending session of a device, or ErrNotFound.
func (db *DB) GetPendingSession(ctx context.Context, devEUI lorawan.EUI64) (Session, error) {
	return db.getSession(ctx, devEUI, slotPending)
}

func (db *DB) getSession(ctx context.Context, devEUI lorawan.EUI64, slot byte) (Session, error) {
	var sess Session
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		var err error
		sess, err = getSession(tx, devEUI, slot, s)
		return err
	})
	return sess, err
}

// DeleteSession removes the active and pending sessions of a device, or
// returns ErrNotFound when it has neither.
func (db *DB) DeleteSession(ctx context.Context, devEUI lorawan.EUI64) error {
	return db.update(ctx, func(tx *bolt.Tx, _ *sealer) error {
		b := tx.Bucket([]byte(bucketSessions))
		if b.Get(sessionKey(devEUI, slotActive)) == nil && b.Get(sessionKey(devEUI, slotPending)) == nil {
			return fmt.Errorf("%w: session %s", ErrNotFound, devEUI)
		}
		return deleteSessionsTx(tx, devEUI)
	})
}

// SessionsByDevAddr returns every session, active or pending, with this
// DevAddr, keys included: the candidates of an uplink, among which the MIC
// picks the device. None is not an error (an empty list).
func (db *DB) SessionsByDevAddr(ctx context.Context, addr lorawan.DevAddr) ([]Session, error) {
	var out []Session
	err := db.view(ctx, func(tx *bolt.Tx, s *sealer) error {
		// The hot path of every uplink: an absent slot (most devices have
		// no pending session) is skipped without building an error.
		sessions := tx.Bucket([]byte(bucketSessions))
		var sk [9]byte // sessionKey, on the stack
		c := tx.Bucket([]byte(bucketDevAddrIndex)).Cursor()
		for k, _ := c.Seek(addr[:]); k != nil && bytes.HasPrefix(k, addr[:]); k, _ = c.Next() {
			if len(k) != 12 {
				return fmt.Errorf("store: devaddr index key %x: bad layout", k)
			}
			copy(sk[:8], k[4:])
			for _, slot := range [...]byte{slotActive, slotPending} {
				sk[8] = slot
				v := sessions.Get(sk[:])
				if v == nil {
					continue
				}
				sess, err := decodeSession(sk[:], v, s)
				if err != nil {
					return err
				}
				if sess.DevAddr == addr {
					out = append(out, sess)
				}
			}
		}
		return nil
	})
	return out, err
}

// ActivatePendingSession makes the pending session of a device its active
// one, on the first uplink under the new keys (frame counter fcnt, confirmed
// or not), replacing the previous active session. It returns ErrNotFound
// when there is no pending session. When it returns nil, the change is durable.
func (db *DB) ActivatePendingSession(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32, confirmed bool) error {
	return db.batch(ctx, func(tx *bolt.Tx, s *sealer) (error, error) {
		sess, err := getSession(tx, devEUI, slotPending, s)
		if isNotFound(err) {
			return err, nil
		}
		if err != nil {
			return nil, err
		}
		sess.Pending = false
		sess.FCntUp, sess.UplinkSeen, sess.ConfirmedUp = fcnt, true, confirmed
		if err := tx.Bucket([]byte(bucketSessions)).Delete(sessionKey(devEUI, slotPending)); err != nil {
			return nil, err
		}
		return nil, putSessionTx(tx, s, slotActive, sess)
	})
}

// AdvanceFCntUp checks an uplink frame counter of the device's active
// session against the last one accepted and, when it is higher (or is the
// session's first uplink), records it, in one transaction. It returns
// ErrFCntReplay for the same counter, ErrFCntTooOld for a lower one,
// ErrNotFound without a session.
//
// Concurrent calls share commits (bbolt group commit, Options.MaxBatchDelay)
// instead of one fsync each, yet when AdvanceFCntUp returns nil the new
// counter is on disk: a crash never lets the counter fall behind an uplink
// that was routed after it returned.
func (db *DB) AdvanceFCntUp(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32) error {
	return db.advanceFCntUp(ctx, devEUI, fcnt, false)
}

// AdvanceFCntUpConfirmed is AdvanceFCntUp for a confirmed uplink: it also
// records that the uplink at this counter was confirmed (Session.ConfirmedUp).
func (db *DB) AdvanceFCntUpConfirmed(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32) error {
	return db.advanceFCntUp(ctx, devEUI, fcnt, true)
}

func (db *DB) advanceFCntUp(ctx context.Context, devEUI lorawan.EUI64, fcnt uint32, confirmed bool) error {
	return db.batch(ctx, func(tx *bolt.Tx, _ *sealer) (error, error) {
		return updatePublic(tx, devEUI, func(sess *Session) error {
			switch {
			case sess.UplinkSeen && fcnt == sess.FCntUp:
				return fmt.Errorf("%w: device %s fcnt %d", ErrFCntReplay, devEUI, fcnt)
			case sess.UplinkSeen && fcnt < sess.FCntUp:
				return fmt.Errorf("%w: device %s fcnt %d, last %d", ErrFCntTooOld, devEUI, fcnt, sess.FCntUp)
			}
			sess.FCntUp, sess.UplinkSeen, sess.ConfirmedUp = fcnt, true, confirmed
			return nil
		})
	})
}

// DownCounter selects a downlink frame counter.
type DownCounter uint8

// Downlink frame counters of LoRaWAN 1.1; a 1.0.x session has one counter,
// which all select.
const (
	NFCntDown DownCounter = iota // network: FPort 0 or no FPort
	AFCntDown                    // application: FPort > 0
	// AFCntDownConfirmed is AFCntDown for a confirmed downlink: the counter
	// handed out is also recorded as the session's LastConfFCntDown (the
	// previous one moving to PrevConfFCntDown), in the same transaction.
	AFCntDownConfirmed
)

// NextFCntDown returns the downlink frame counter to use for the next
// downlink of the device's active session, and advances it, in one
// transaction shared with concurrent callers. For a LoRaWAN 1.0.x session
// every DownCounter selects its single FCntDown (kept in NFCntDown). When it
// returns, the advance is on disk: a counter is never handed out twice, even
// across a crash. 2^32-1 is never handed out (ErrFCntExhausted).
func (db *DB) NextFCntDown(ctx context.Context, devEUI lorawan.EUI64, which DownCounter) (uint32, error) {
	var fcnt uint32
	err := db.batch(ctx, func(tx *bolt.Tx, _ *sealer) (error, error) {
		return updatePublic(tx, devEUI, func(sess *Session) error {
			ctr := &sess.NFCntDown
			if which != NFCntDown && sess.MACVersion == lorawan.MACVersion1_1 {
				ctr = &sess.AFCntDown
			}
			if *ctr == 1<<32-1 {
				return fmt.Errorf("%w: device %s downlink", ErrFCntExhausted, devEUI)
			}
			fcnt = *ctr
			*ctr++
			if which == AFCntDownConfirmed {
				sess.PrevConfFCntDown, sess.LastConfFCntDown = sess.LastConfFCntDown, fcnt
			}
			return nil
		})
	})
	if err != nil {
		return 0, err
	}
	return fcnt, nil
}

// UpdateSession applies fn to the device's active session (keys included)
// and stores the result, in one transaction shared with concurrent callers;
// use it for radio settings and MACState. fn may run more than once and
// must only change the session it is given. An error from fn is returned
// and nothing is written. ErrNotFound without a session.
func (db *DB) UpdateSession(ctx context.Context, devEUI lorawan.EUI64, fn func(*Session) error) error {
	return db.batch(ctx, func(tx *bolt.Tx, s *sealer) (error, error) {
		sess, err := getSession(tx, devEUI, slotActive, s)
		if isNotFound(err) {
			return err, nil
		}
		if err != nil {
			return nil, err
		}
		if err := fn(&sess); err != nil {
			return err, nil
		}
		sess.DevEUI, sess.Pending = devEUI, false
		if err := sess.validate(); err != nil {
			return err, nil
		}
		return nil, putSessionTx(tx, s, slotActive, sess)
	})
}

// updatePublic changes the public fields of the active session without
// opening or resealing its keys: the frame counter path. A refusal from fn
// is returned as result, a storage failure as err.
func updatePublic(tx *bolt.Tx, devEUI lorawan.EUI64, fn func(*Session) error) (result, err error) {
	b := tx.Bucket([]byte(bucketSessions))
	k := sessionKey(devEUI, slotActive)
	v := b.Get(k)
	if v == nil {
		return fmt.Errorf("%w: session %s", ErrNotFound, devEUI), nil
	}
	sess, err := decodeSession(k, v, nil)
	if err != nil {
		return nil, err
	}
	if r := fn(&sess); r != nil {
		return r, nil
	}
	sealed, _, err := decodeEnvelope(v)
	if err != nil {
		return nil, err
	}
	return nil, putSessionPublic(b, k, sealed, sess)
}
