package cupsclient

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Files the Updater keeps in its directory.
const (
	UpdateFile = "update.bin"  // the last verified update, handed to the command
	MarkerFile = "update.json" // what was installed, from which version, in which state
)

// Defaults of UpdaterOptions.
const (
	DefaultUpdateTimeout = 10 * time.Minute
	DefaultHealthTimeout = 10 * time.Minute
	// DefaultMaxStarts is how many starts of a new version may pass without
	// it becoming healthy before it is rolled back (a crash loop).
	DefaultMaxStarts = 3
)

// maxCommandOutput bounds what is kept of the command's output.
const maxCommandOutput = 64 << 10

// UpdaterOptions configure an Updater.
type UpdaterOptions struct {
	// Dir holds update.bin and update.json (the agent's data directory).
	Dir string
	// Command is the install command (config "update_command"), run
	// without a shell as
	//
	//	Command install FILE   install the update in FILE; exit 0 once it is
	//	                       installed. A stdout line "version=V" names the
	//	                       version it installs. The agent is then expected
	//	                       to be restarted into it (by the command or the
	//	                       package it installs), after the command exited.
	//	Command rollback       go back to the version that ran before the last
	//	                       install, and restart the agent into it.
	//
	// "" refuses every update.
	Command string
	// Timeout bounds each run of the command (default 10 min); the whole
	// process group is killed when it expires.
	Timeout time.Duration
	// HealthTimeout is how long a new version has to reach its LNS
	// (Healthy) after it starts before it is rolled back (default 10 min).
	HealthTimeout time.Duration
	// MaxStarts rolls back a new version that has been started this many
	// times without becoming healthy (default 3).
	MaxStarts int
	// Version is the version this process runs (what it reports as
	// "package").
	Version string
	// Logger receives the updater's logs (default slog.Default()).
	Logger *slog.Logger
	// OnEvent, when set, receives EventUpdateWriting before the update is
	// written (for tests that interrupt the write).
	OnEvent func(Event)
}

// Updater installs verified updates through the configured command, and
// rolls them back when the new version does not come back healthy. Its
// state lives in MarkerFile, written atomically (temporary file, fsync,
// rename, fsync of the directory), as is UpdateFile, so a kill -9 at any
// point leaves either the old file or the new one, never a part.
//
// Life of an update: Install writes the file, records state "installing",
// runs "install FILE", records "installed" (or, when the command fails, runs
// "rollback" and records "failed"). At the next start, Recover reads the
// marker: a process still reporting the version that installed the update
// (or not the version the command named), or an install that was
// interrupted, means the update did not take: "rollback" is run and the
// update recorded as failed, so that the same bytes are not installed again.
// Otherwise the new version is on trial: Healthy (the agent reached its LNS)
// commits it; HealthTimeout without that, or MaxStarts starts, rolls it back.
type Updater struct {
	opts UpdaterOptions
	log  *slog.Logger
}

// marker is MarkerFile's content.
type marker struct {
	State    string    `json:"state"`              // installing, installed, failed
	SHA256   string    `json:"sha256"`             // of the update
	Size     int       `json:"size"`               // of the update
	Previous string    `json:"previous"`           // version that installed it
	Expected string    `json:"expected,omitempty"` // version the command named
	At       time.Time `json:"at"`
	Starts   int       `json:"starts,omitempty"` // starts of the new version while on trial
	Reason   string    `json:"reason,omitempty"` // why it failed
}

// Marker states.
const (
	stateInstalling = "installing"
	stateInstalled  = "installed"
	stateFailed     = "failed"
)

// NewUpdater checks opts and returns an Updater; Dir is created 0700 if
// missing.
func NewUpdater(opts UpdaterOptions) (*Updater, error) {
	if opts.Dir == "" {
		return nil, errors.New("cupsclient: updater needs a directory")
	}
	if opts.Command != "" && !filepath.IsAbs(opts.Command) {
		return nil, fmt.Errorf("cupsclient: update command %q: want an absolute path", opts.Command)
	}
	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("cupsclient: %w", err)
	}
	setDefault(&opts.Timeout, DefaultUpdateTimeout)
	setDefault(&opts.HealthTimeout, DefaultHealthTimeout)
	if opts.MaxStarts <= 0 {
		opts.MaxStarts = DefaultMaxStarts
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Updater{opts: opts, log: opts.Logger}, nil
}

func (u *Updater) path(name string) string { return filepath.Join(u.opts.Dir, name) }

func (u *Updater) emit(e Event) {
	if u.opts.OnEvent != nil {
		u.opts.OnEvent(e)
	}
}

// readMarker returns the marker, nil when there is none.
func (u *Updater) readMarker() (*marker, error) {
	b, err := os.ReadFile(u.path(MarkerFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cupsclient: %w", err)
	}
	var m marker
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("cupsclient: %s: undecodable", MarkerFile)
	}
	return &m, nil
}

func (u *Updater) writeMarker(m *marker) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("cupsclient: %w", err)
	}
	return writeFileAtomic(u.path(MarkerFile), b, 0o600)
}

// Pending reports whether an installed update waits for its restart or its
// health check; Install refuses another meanwhile.
func (u *Updater) Pending() bool {
	m, err := u.readMarker()
	return err == nil && m != nil && (m.State == stateInstalling || m.State == stateInstalled)
}

// Install writes a verified update and runs "Command install FILE". It
// refuses (ErrUpdateRefused) when no command is configured, when an
// installed update still waits for the restart, and when these very bytes
// failed before. A command that fails is followed by "Command rollback".
func (u *Updater) Install(ctx context.Context, data []byte) error {
	if u.opts.Command == "" {
		return fmt.Errorf("%w: no update_command configured", ErrUpdateRefused)
	}
	sum := sha256.Sum256(data)
	digest := hex.EncodeToString(sum[:])
	m, err := u.readMarker()
	if err != nil {
		u.log.Warn("update marker unreadable; replaced", "error", err)
		m = nil
	}
	if m != nil {
		switch {
		case m.State == stateInstalling || m.State == stateInstalled:
			return fmt.Errorf("%w: update %.12s installed from %s waits for the agent's restart", ErrUpdateRefused, m.SHA256, m.Previous)
		case m.State == stateFailed && m.SHA256 == digest:
			return fmt.Errorf("%w: update %.12s failed before (%s)", ErrUpdateRefused, digest, m.Reason)
		}
	}
	u.emit(Event{Kind: EventUpdateWriting})
	if err := writeFileAtomic(u.path(UpdateFile), data, 0o600); err != nil {
		return err
	}
	m = &marker{State: stateInstalling, SHA256: digest, Size: len(data), Previous: u.opts.Version, At: time.Now().UTC()}
	if err := u.writeMarker(m); err != nil {
		return err
	}
	u.log.Warn("installing update", "sha256", digest[:12], "bytes", len(data), "from_version", u.opts.Version, "command", u.opts.Command)
	out, err := u.run(ctx, "install", u.path(UpdateFile))
	if err != nil && ctx.Err() != nil {
		// Stopped while installing: the marker says so, and the next
		// start rolls back unless the new version runs.
		return fmt.Errorf("%w: stopped during the install: %w", ErrUpdateRefused, err)
	}
	if err != nil {
		reason := fmt.Sprintf("install command failed: %v", err)
		u.rollback(ctx, m, reason)
		return fmt.Errorf("%w: %s", ErrUpdateRefused, reason)
	}
	m.State, m.Expected = stateInstalled, expectedVersion(out)
	if err := u.writeMarker(m); err != nil {
		return err
	}
	u.log.Warn("update installed; waiting to be restarted into the new version", "sha256", digest[:12], "expected_version", m.Expected)
	return nil
}

// expectedVersion returns V of the last "version=V" line of the command's
// output, "" when there is none.
func expectedVersion(out []byte) string {
	var v string
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if s, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "version="); ok && len(s) <= 64 {
			v = strings.TrimSpace(s)
		}
	}
	return v
}

// Recover examines, at start, what an earlier process left: temporary
// files are removed; an interrupted install (the process was stopped while
// the command ran, and the version did not change), or a restart that did
// not bring the new version, is rolled back; a new version that is running
// is put on trial (also when the command restarted the agent before it
// exited). It reports whether a trial is pending (call Healthy once the
// agent reaches its LNS, Rollback if that does not happen within
// HealthTimeout) and the trial's deadline.
func (u *Updater) Recover(ctx context.Context) (pending bool, deadline time.Time, err error) {
	for _, name := range []string{UpdateFile, MarkerFile} {
		if err := os.Remove(u.path(name) + tmpSuffix); err == nil {
			u.log.Info("removed a file an interrupted write left", "file", name+tmpSuffix)
		}
	}
	m, err := u.readMarker()
	if err != nil {
		u.log.Error("update marker unreadable; removed", "error", err)
		return false, time.Time{}, u.removeMarker()
	}
	if m == nil {
		return false, time.Time{}, nil
	}
	switch {
	case m.State == stateFailed:
		return false, time.Time{}, nil
	case m.State == stateInstalling && u.opts.Version == m.Previous:
		return false, time.Time{}, u.rollback(ctx, m, "the install was interrupted")
	case m.Expected != "" && u.opts.Version != m.Expected:
		return false, time.Time{}, u.rollback(ctx, m, fmt.Sprintf("running version %q after the install, the command named %q", u.opts.Version, m.Expected))
	case m.Expected == "" && u.opts.Version == m.Previous:
		return false, time.Time{}, u.rollback(ctx, m, fmt.Sprintf("still running version %q after the install", u.opts.Version))
	}
	m.State = stateInstalled
	m.Starts++
	if m.Starts > u.opts.MaxStarts {
		return false, time.Time{}, u.rollback(ctx, m, fmt.Sprintf("version %q started %d times without reaching its LNS", u.opts.Version, m.Starts-1))
	}
	if err := u.writeMarker(m); err != nil {
		return false, time.Time{}, err
	}
	u.log.Info("new version on trial: it must reach its LNS", "version", u.opts.Version, "previous", m.Previous, "within", u.opts.HealthTimeout, "start", m.Starts)
	return true, time.Now().Add(u.opts.HealthTimeout), nil
}

// Healthy commits an update on trial: the new version reached its LNS.
// Without one it does nothing.
func (u *Updater) Healthy() error {
	m, err := u.readMarker()
	if err != nil || m == nil || m.State != stateInstalled {
		return err
	}
	if err := u.removeMarker(); err != nil {
		return err
	}
	_ = os.Remove(u.path(UpdateFile))
	u.log.Info("update committed: the new version reached its LNS", "version", u.opts.Version, "previous", m.Previous)
	u.emit(Event{Kind: EventUpdateCommitted})
	return nil
}

// Rollback rolls back an update on trial (the new version did not reach
// its LNS in time); without one it does nothing.
func (u *Updater) Rollback(ctx context.Context, reason string) error {
	m, err := u.readMarker()
	if err != nil || m == nil || m.State != stateInstalled {
		return err
	}
	return u.rollback(ctx, m, reason)
}

// rollback runs "Command rollback" and records the update as failed, so
// that the same bytes are refused from then on.
func (u *Updater) rollback(ctx context.Context, m *marker, reason string) error {
	u.log.Error("rolling the update back", "reason", reason, "sha256", short(m.SHA256), "previous", m.Previous)
	var runErr error
	if u.opts.Command == "" {
		runErr = errors.New("no update_command configured")
	} else if _, runErr = u.run(ctx, "rollback"); runErr != nil {
		u.log.Error("rollback command failed", "error", runErr)
	}
	m.State, m.Reason = stateFailed, reason
	err := u.writeMarker(m)
	_ = os.Remove(u.path(UpdateFile))
	ev := fmt.Errorf("cupsclient: update rolled back: %s", reason)
	if runErr != nil {
		ev = fmt.Errorf("cupsclient: update rolled back (%s), but the rollback command failed: %w", reason, runErr)
	}
	u.emit(Event{Kind: EventUpdateRolledBack, Err: ev})
	return errors.Join(err, runErr)
}

func short(s string) string { return s[:min(len(s), 12)] }

func (u *Updater) removeMarker() error {
	if err := os.Remove(u.path(MarkerFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cupsclient: %w", err)
	}
	return syncDir(u.opts.Dir)
}

// run runs the command with args under the timeout, in its own process
// group (killed as a whole on timeout), and returns its standard output.
func (u *Updater) run(ctx context.Context, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, u.opts.Timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, u.opts.Command, args...)
	cmd.Dir = u.opts.Dir
	var stdout, stderr limitedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = 5 * time.Second
	ownProcessGroup(cmd)
	err := cmd.Run()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%v)", err, ctx.Err())
		}
		u.log.Warn("update command failed", "command", u.opts.Command, "action", args[0], "error", err, "stderr", lastLine(stderr.Bytes()))
		return stdout.Bytes(), fmt.Errorf("cupsclient: %s %s: %w", filepath.Base(u.opts.Command), args[0], err)
	}
	u.log.Info("update command done", "command", u.opts.Command, "action", args[0])
	return stdout.Bytes(), nil
}

// lastLine returns the last non-empty line of b, at most 200 bytes.
func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	s := strings.TrimSpace(lines[len(lines)-1])
	return s[:min(len(s), 200)]
}

// limitedBuffer keeps the first maxCommandOutput bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxCommandOutput - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// tmpSuffix names the temporary file of an atomic write.
const tmpSuffix = ".tmp"

// writeFileAtomic writes data to path so that a crash leaves either the
// old file or the whole new one: a temporary file, fsync, rename, fsync of
// the directory.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("cupsclient: %w", err)
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cupsclient: write %s: %w", filepath.Base(path), err)
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes a rename or removal in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cupsclient: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cupsclient: sync %s: %w", dir, err)
	}
	return nil
}

func setDefault(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}
