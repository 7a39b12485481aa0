package cups

import "errors"

// ErrMalformed is wrapped by every error that reports a request, answer or
// credential blob that does not follow the CUPS wire format, so callers (the
// server answering 400, the client keeping its current credentials) can tell
// bad input from other failures with errors.Is.
var ErrMalformed = errors.New("cups: malformed")

// ErrUnverified is wrapped by Verify's errors: there was no signature, no key,
// or no held key verifies the signature. A client that holds keys must not
// run such an update.
var ErrUnverified = errors.New("cups: update not verified")
