package admin

import "errors"

// Sentinel errors callers branch on; test with errors.Is. The Client maps the
// API's error codes back to them, so a caller sees the same errors whether it
// uses a Service directly or through HTTP.
var (
	// ErrInvalid reports a request that fails validation: a malformed or
	// unknown value, a missing or extra key, a destination that does not exist.
	ErrInvalid = errors.New("admin: invalid request")

	// ErrNotFound reports a gateway, device or destination that does not exist.
	ErrNotFound = errors.New("admin: not found")

	// ErrExists reports a create of a resource that exists already (replace
	// it explicitly instead).
	ErrExists = errors.New("admin: already exists")

	// ErrInUse reports a destination that devices still name.
	ErrInUse = errors.New("admin: still in use")

	// ErrUnauthorized reports an API request without the right bearer token.
	ErrUnauthorized = errors.New("admin: unauthorized")
)

// codedError carries a message together with the sentinel that classifies
// it, without repeating the sentinel's text in the message.
type codedError struct {
	kind error
	msg  string
	err  error // the cause, if any
}

func (e *codedError) Error() string { return e.msg }

func (e *codedError) Unwrap() []error {
	if e.err == nil {
		return []error{e.kind}
	}
	return []error{e.kind, e.err}
}

// classify wraps err (a store error, whose message never carries a key) as
// kind, keeping its message.
func classify(kind, err error) error {
	return &codedError{kind: kind, msg: err.Error(), err: err}
}

// Error codes of the HTTP API, one per sentinel.
const (
	codeInvalid      = "invalid"
	codeUnauthorized = "unauthorized"
	codeNotFound     = "not_found"
	codeExists       = "exists"
	codeInUse        = "in_use"
	codeInternal     = "internal"
)

// errorCode returns the API code and HTTP status for err.
func errorCode(err error) (string, int) {
	switch {
	case errors.Is(err, ErrInvalid):
		return codeInvalid, 400
	case errors.Is(err, ErrUnauthorized):
		return codeUnauthorized, 401
	case errors.Is(err, ErrNotFound):
		return codeNotFound, 404
	case errors.Is(err, ErrExists):
		return codeExists, 409
	case errors.Is(err, ErrInUse):
		return codeInUse, 409
	}
	return codeInternal, 500
}

// sentinelFor is the inverse of errorCode; nil for "internal" and unknown codes.
func sentinelFor(code string) error {
	switch code {
	case codeInvalid:
		return ErrInvalid
	case codeUnauthorized:
		return ErrUnauthorized
	case codeNotFound:
		return ErrNotFound
	case codeExists:
		return ErrExists
	case codeInUse:
		return ErrInUse
	}
	return nil
}
