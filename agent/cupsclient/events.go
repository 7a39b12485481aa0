package cupsclient

import (
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/store/agentstore"
)

// Sentinel errors callers branch on. Every error of the package is
// prefixed "cupsclient:" and wraps at most one of these, possibly with the
// cause from package cups (ErrMalformed, ErrUnverified) or agentstore
// (ErrInvalid).
var (
	// ErrRejected reports an update-info request answered with a status
	// other than 200, which Station treats as a rejection.
	ErrRejected = errors.New("cupsclient: rejected by the CUPS server")

	// ErrNoCUPSSet reports that the store holds no CUPS credential set
	// with a URI to send a request with.
	ErrNoCUPSSet = errors.New("cupsclient: no cups credential set with a uri")

	// ErrNoTCSet reports that the store holds no TC credential set with a
	// URI yet (a gateway that waits for CUPS to give it one).
	ErrNoTCSet = errors.New("cupsclient: no tc credential set with a uri")

	// ErrAnswerRefused wraps the reason an answer was refused whole: a
	// URI or credential set in it is malformed or unusable. Nothing of it
	// was applied.
	ErrAnswerRefused = errors.New("cupsclient: answer refused")

	// ErrTooLarge reports an answer over Options.MaxResponseSize.
	ErrTooLarge = errors.New("cupsclient: answer too large")

	// ErrUpdateRefused wraps the reason an update was not installed: no
	// install command configured, an update already waiting for its
	// restart, the same update failed before, or the command failed.
	ErrUpdateRefused = errors.New("cupsclient: update refused")
)

// EventKind says what an Event reports.
type EventKind int

// Kinds of events.
const (
	// EventChecked: a CUPS check ended. Set names the credential set that
	// was answered ("staged", "reg", "bak", "boot"; "" when none was),
	// Changed the answer's segments, Err why it failed.
	EventChecked EventKind = iota + 1
	// EventStaged: a new set of kind Cred was staged (CRC is its CRC).
	EventStaged
	// EventPromoted: the staged set of kind Cred connected and became reg.
	EventPromoted
	// EventRolledBack: the staged set of kind Cred was discarded; Err says
	// why.
	EventRolledBack
	// EventTCRestart: the TC engine is being restarted; Set is "staged"
	// for a trial, "reg" after a rollback.
	EventTCRestart
	// EventUpdateWriting: a verified update is about to be written.
	EventUpdateWriting
	// EventUpdateInstalled: the install command succeeded; the agent now
	// expects to be restarted into the new version.
	EventUpdateInstalled
	// EventUpdateRefused: an update was not installed; Err says why.
	EventUpdateRefused
	// EventUpdateCommitted: the new version came back healthy.
	EventUpdateCommitted
	// EventUpdateRolledBack: the rollback command was run; Err says why.
	EventUpdateRolledBack
)

// String names the kind as logs and tests print it.
func (k EventKind) String() string {
	switch k {
	case EventChecked:
		return "checked"
	case EventStaged:
		return "staged"
	case EventPromoted:
		return "promoted"
	case EventRolledBack:
		return "rolled-back"
	case EventTCRestart:
		return "tc-restart"
	case EventUpdateWriting:
		return "update-writing"
	case EventUpdateInstalled:
		return "update-installed"
	case EventUpdateRefused:
		return "update-refused"
	case EventUpdateCommitted:
		return "update-committed"
	case EventUpdateRolledBack:
		return "update-rolled-back"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is something the client did, reported to Options.OnEvent (for
// monitoring and tests). It never carries a key or a token.
type Event struct {
	Kind    EventKind
	Cred    agentstore.Kind // credential events: tc or cups
	Set     string          // EventChecked, EventTCRestart: the set used
	CRC     uint32          // EventStaged, EventPromoted: the set's CRC
	Changed []string        // EventChecked: cupsUri, tcUri, cupsCred, tcCred, update
	Err     error
}

// setStaged names the staged set in events and logs.
const setStaged = "staged"
