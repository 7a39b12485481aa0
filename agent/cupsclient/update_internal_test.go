package cupsclient

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// script writes an update command that appends its arguments to calls.log
// and then runs body; it returns the command and a reader of its calls.
func script(t *testing.T, body string) (string, func() []string) {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "update-command")
	text := "#!/bin/sh\nhere=$(dirname \"$0\")\necho \"$@\" >> \"$here/calls.log\"\n" + body + "\n"
	if err := os.WriteFile(path, []byte(text), 0o755); err != nil {
		t.Fatal(err)
	}
	return path, func() []string {
		b, err := os.ReadFile(filepath.Join(dir, "calls.log"))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			t.Fatal(err)
		}
		return strings.Split(strings.TrimSpace(string(b)), "\n")
	}
}

func newTestUpdater(t *testing.T, dir, command, version string, edit func(*UpdaterOptions)) (*Updater, *[]Event) {
	t.Helper()
	var events []Event
	o := UpdaterOptions{Dir: dir, Command: command, Version: version, Logger: slog.New(slog.DiscardHandler),
		OnEvent: func(e Event) { events = append(events, e) }}
	if edit != nil {
		edit(&o)
	}
	u, err := NewUpdater(o)
	if err != nil {
		t.Fatal(err)
	}
	return u, &events
}

func kinds(events []Event) []EventKind {
	var out []EventKind
	for _, e := range events {
		out = append(out, e.Kind)
	}
	return out
}

// TestUpdaterLifecycle follows an update from Install across the restart:
// what the next process runs decides between the trial and a rollback.
func TestUpdaterLifecycle(t *testing.T) {
	data := []byte("update bytes")
	for _, tc := range []struct {
		name        string
		prints      string // what the install command prints
		after       string // version of the restarted process
		edit        func(m *marker)
		wantPending bool
		wantCalls   []string // after "install FILE"
	}{
		{name: "new version named and running", prints: "version=2.0.0", after: "2.0.0", wantPending: true},
		{name: "new version unnamed, another one running", after: "2.0.0", wantPending: true},
		{name: "still the old version", after: "1.0.0", wantCalls: []string{"rollback"}},
		{name: "not the version the command named", prints: "version=2.0.0", after: "3.0.0", wantCalls: []string{"rollback"}},
		{name: "interrupted install, old version", after: "1.0.0", edit: func(m *marker) { m.State = stateInstalling }, wantCalls: []string{"rollback"}},
		{name: "install interrupted by its own restart, new version", after: "2.0.0", edit: func(m *marker) { m.State = stateInstalling }, wantPending: true},
		{name: "started too often without reaching the LNS", after: "2.0.0", edit: func(m *marker) { m.Starts = DefaultMaxStarts }, wantCalls: []string{"rollback"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			command, calls := script(t, `[ "$1" = install ] && echo "`+tc.prints+`"; exit 0`)
			u, events := newTestUpdater(t, dir, command, "1.0.0", nil)
			if err := u.Install(context.Background(), data); err != nil {
				t.Fatal(err)
			}
			if got, err := os.ReadFile(filepath.Join(dir, UpdateFile)); err != nil || string(got) != string(data) {
				t.Fatalf("%s: %q, %v; want the update", UpdateFile, got, err)
			}
			if !u.Pending() {
				t.Error("no update pending after Install")
			}
			if err := u.Install(context.Background(), []byte("another")); !errors.Is(err, ErrUpdateRefused) {
				t.Errorf("second Install while one waits: %v, want ErrUpdateRefused", err)
			}
			if tc.edit != nil {
				m, err := u.readMarker()
				if err != nil {
					t.Fatal(err)
				}
				tc.edit(m)
				if err := u.writeMarker(m); err != nil {
					t.Fatal(err)
				}
			}
			if !slices.Equal(kinds(*events), []EventKind{EventUpdateWriting}) {
				t.Errorf("events %v, want [update-writing]", kinds(*events))
			}

			u2, events2 := newTestUpdater(t, dir, command, tc.after, nil)
			pending, deadline, err := u2.Recover(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if pending != tc.wantPending {
				t.Fatalf("pending %v, want %v", pending, tc.wantPending)
			}
			wantCalls := append([]string{"install " + filepath.Join(dir, UpdateFile)}, tc.wantCalls...)
			if got := calls(); !slices.Equal(got, wantCalls) {
				t.Errorf("calls %q, want %q", got, wantCalls)
			}
			if !pending {
				if !slices.Equal(kinds(*events2), []EventKind{EventUpdateRolledBack}) {
					t.Errorf("events %v, want [update-rolled-back]", kinds(*events2))
				}
				if err := u2.Install(context.Background(), data); !errors.Is(err, ErrUpdateRefused) {
					t.Errorf("Install of the update rolled back: %v, want ErrUpdateRefused", err)
				}
				return
			}
			if d := time.Until(deadline); d <= 0 || d > DefaultHealthTimeout {
				t.Errorf("health deadline in %v, want within %v", d, DefaultHealthTimeout)
			}
			if err := u2.Healthy(); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(kinds(*events2), []EventKind{EventUpdateCommitted}) {
				t.Errorf("events %v, want [update-committed]", kinds(*events2))
			}
			for _, f := range []string{UpdateFile, MarkerFile} {
				if _, err := os.Stat(filepath.Join(dir, f)); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s after the commit: %v, want removed", f, err)
				}
			}
			if u2.Pending() {
				t.Error("update still pending after the commit")
			}
		})
	}
}

// TestUpdaterHealthTimeout: a new version that does not reach its LNS is
// rolled back by Rollback (Run calls it at the health deadline).
func TestUpdaterHealthTimeout(t *testing.T) {
	dir := t.TempDir()
	command, calls := script(t, "exit 0")
	u, _ := newTestUpdater(t, dir, command, "1.0.0", nil)
	if err := u.Install(context.Background(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	u2, events := newTestUpdater(t, dir, command, "2.0.0", nil)
	if pending, _, err := u2.Recover(context.Background()); err != nil || !pending {
		t.Fatalf("Recover: pending %v, %v", pending, err)
	}
	if err := u2.Rollback(context.Background(), "too late"); err != nil {
		t.Fatal(err)
	}
	if got := calls(); len(got) != 2 || got[1] != "rollback" {
		t.Errorf("calls %q, want install then rollback", got)
	}
	if len(*events) != 1 || (*events)[0].Kind != EventUpdateRolledBack || !strings.Contains((*events)[0].Err.Error(), "too late") {
		t.Errorf("events %v, want one rollback saying why", *events)
	}
	// Healthy after the rollback changes nothing.
	if err := u2.Healthy(); err != nil || len(*events) != 1 {
		t.Errorf("Healthy after rollback: %v, events %v", err, kinds(*events))
	}
}

// TestUpdaterRefusals: no command, a failing command (rolled back), a
// command over its timeout, and an update that failed before.
func TestUpdaterRefusals(t *testing.T) {
	t.Run("no command", func(t *testing.T) {
		u, _ := newTestUpdater(t, t.TempDir(), "", "1.0.0", nil)
		if err := u.Install(context.Background(), []byte("x")); !errors.Is(err, ErrUpdateRefused) {
			t.Errorf("Install: %v, want ErrUpdateRefused", err)
		}
	})
	t.Run("relative command", func(t *testing.T) {
		if _, err := NewUpdater(UpdaterOptions{Dir: t.TempDir(), Command: "bin/update"}); err == nil {
			t.Error("relative command accepted")
		}
	})
	for _, tc := range []struct {
		name string
		body string
		edit func(*UpdaterOptions)
	}{
		{"install fails", `[ "$1" = install ] && exit 3; exit 0`, nil},
		{"install over its timeout", `[ "$1" = install ] && exec sleep 600; exit 0`, func(o *UpdaterOptions) { o.Timeout = 2 * time.Second }}, // long enough for the script to start on a loaded machine
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			command, calls := script(t, tc.body)
			u, events := newTestUpdater(t, dir, command, "1.0.0", tc.edit)
			err := u.Install(context.Background(), []byte("x"))
			if !errors.Is(err, ErrUpdateRefused) {
				t.Errorf("Install: %v, want ErrUpdateRefused", err)
			}
			first := calls()
			if len(first) != 2 || !strings.HasPrefix(first[0], "install ") || first[1] != "rollback" {
				t.Errorf("calls %q, want install then rollback", first)
			}
			if !slices.Equal(kinds(*events), []EventKind{EventUpdateWriting, EventUpdateRolledBack}) {
				t.Errorf("events %v", kinds(*events))
			}
			if u.Pending() {
				t.Error("a failed install left an update pending")
			}
			if err := u.Install(context.Background(), []byte("x")); !errors.Is(err, ErrUpdateRefused) || !strings.Contains(err.Error(), "failed before") {
				t.Errorf("same update again: %v, want refused as failed before", err)
			}
			if got := len(calls()); got != len(first) {
				t.Errorf("the command ran again for an update that failed (%d calls, %d before)", got, len(first))
			}
		})
	}
}

// TestWriteFileAtomicLeavesNoPart: a temporary file left by an interrupted
// write is removed by Recover, and the previous file is intact.
func TestWriteFileAtomicLeavesNoPart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, UpdateFile)
	if err := writeFileAtomic(path, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+tmpSuffix, []byte("half of the ne"), 0o600); err != nil {
		t.Fatal(err)
	}
	u, _ := newTestUpdater(t, dir, "", "1.0.0", nil)
	if _, _, err := u.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path + tmpSuffix); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file after Recover: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old" {
		t.Errorf("file %q, %v; want the old content", b, err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
	}
}

// TestUpdaterStoppedDuringInstall: an agent stopped while its install
// command runs leaves the update "installing"; the next start, still on
// the old version, rolls it back.
func TestUpdaterStoppedDuringInstall(t *testing.T) {
	dir := t.TempDir()
	command, calls := script(t, `[ "$1" = install ] && exec sleep 600; exit 0`)
	u, _ := newTestUpdater(t, dir, command, "1.0.0", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := u.Install(ctx, []byte("x")); !errors.Is(err, ErrUpdateRefused) {
		t.Fatalf("Install: %v, want ErrUpdateRefused", err)
	}
	if !u.Pending() {
		t.Fatal("no update pending after an interrupted install")
	}
	if got := calls(); len(got) > 1 {
		t.Errorf("calls %q, want no rollback yet", got)
	}
	u2, events := newTestUpdater(t, dir, command, "1.0.0", nil)
	if pending, _, err := u2.Recover(context.Background()); err != nil || pending {
		t.Fatalf("Recover: pending %v, %v; want a rollback", pending, err)
	}
	if got := calls(); len(got) == 0 || got[len(got)-1] != "rollback" {
		t.Errorf("calls %q, want a rollback last", got)
	}
	if !slices.Equal(kinds(*events), []EventKind{EventUpdateRolledBack}) {
		t.Errorf("events %v", kinds(*events))
	}
}
