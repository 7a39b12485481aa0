package store

import "errors"

// Sentinel errors the callers of this package branch on. Every error the
// package returns is prefixed "store:" and wraps at most one of these; test
// with errors.Is. None of them, nor any wrapped message, ever carries a key.
var (
	// ErrNotFound reports that a gateway, device, session, destination,
	// queued downlink or CUPS record (state, signing key, update) does not
	// exist.
	ErrNotFound = errors.New("store: not found")

	// ErrInvalid reports a record that fails validation (an empty name, an
	// unknown MAC version, class or kind, a destination that does not exist).
	ErrInvalid = errors.New("store: invalid record")

	// ErrReferenced reports a destination that cannot be deleted because
	// devices still name it, or an update that is still a target.
	ErrReferenced = errors.New("store: still referenced")

	// ErrLocked reports that another process holds the database file open;
	// Open gives up after Options.LockTimeout instead of hanging.
	ErrLocked = errors.New("store: database in use by another process")

	// ErrClosed reports a call on a DB after Close.
	ErrClosed = errors.New("store: database closed")

	// ErrWrongKEK reports that the key-encryption key given to Open is not
	// the one the store was sealed under (their ids differ).
	ErrWrongKEK = errors.New("store: wrong key-encryption key")

	// ErrInsecureKEKFile reports a KEK file that group or others may read or
	// write; the file must be mode 0600 (or stricter).
	ErrInsecureKEKFile = errors.New("store: kek file permissions too open")

	// ErrUnseal reports a sealed value that does not open under the KEK with
	// its record's associated data: tampered with, or moved to another record.
	ErrUnseal = errors.New("store: sealed value does not open")

	// ErrFCntReplay reports an uplink frame counter equal to the last one the
	// session accepted: a replay, or the device retransmitting that frame
	// (which the caller may ACK again when Session.ConfirmedUp is set, but must
	// not route twice).
	ErrFCntReplay = errors.New("store: uplink frame counter repeated")

	// ErrFCntTooOld reports an uplink frame counter below the last one the
	// session accepted.
	ErrFCntTooOld = errors.New("store: uplink frame counter too old")

	// ErrFCntExhausted reports a downlink frame counter that would pass
	// 2^32-1; the device must join again.
	ErrFCntExhausted = errors.New("store: frame counter exhausted")

	// ErrDevNonceReused reports a join-request whose DevNonce is in the kept
	// history of the device (LoRaWAN 1.0.0–1.0.3, random DevNonces).
	ErrDevNonceReused = errors.New("store: devnonce reused")

	// ErrDevNonceNotIncreasing reports a join-request whose DevNonce is not
	// greater than the last accepted one (LoRaWAN 1.0.4 and 1.1, where
	// DevNonce is a counter).
	ErrDevNonceNotIncreasing = errors.New("store: devnonce not increasing")

	// ErrRejoinCountReused reports a LoRaWAN 1.1 rejoin-request whose RJcount0
	// or RJcount1 is not greater than the last accepted one.
	ErrRejoinCountReused = errors.New("store: rejoin counter not increasing")

	// ErrJoinNonceExhausted reports a device whose 24-bit JoinNonce counter
	// is used up.
	ErrJoinNonceExhausted = errors.New("store: joinnonce exhausted")

	// ErrExists reports a record that must be new but whose name is taken
	// (an update-signing key).
	ErrExists = errors.New("store: already exists")

	// ErrQueueFull reports a device downlink queue holding Options.MaxQueue
	// items already.
	ErrQueueFull = errors.New("store: downlink queue full")
)
