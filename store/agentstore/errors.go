package agentstore

import "errors"

// Sentinel errors the callers of this package branch on. Every error the
// package returns is prefixed "agentstore:" and wraps at most one of these;
// test with errors.Is. None of them carries a key or a token.
var (
	// ErrNotFound reports a credential set (or staged set) that is not
	// stored.
	ErrNotFound = errors.New("agentstore: not found")

	// ErrInvalid reports an argument the store refuses: an unknown kind or
	// set, a URI of the wrong scheme, a token together with a client
	// certificate, an empty spool message.
	ErrInvalid = errors.New("agentstore: invalid")

	// ErrLocked reports that another process holds the database file; Open
	// gives up after Options.LockTimeout instead of hanging.
	ErrLocked = errors.New("agentstore: database in use by another process")

	// ErrClosed reports a call on a DB after Close.
	ErrClosed = errors.New("agentstore: database closed")
)
