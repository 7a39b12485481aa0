package cupsclient_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/store/agentstore"
)

// childEnv names the file of a childSpec: set, the test binary runs a
// gateway (runChild) instead of the tests.
const childEnv = "CUPSCLIENT_TEST_CHILD"

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		os.Exit(runChild(spec))
	}
	os.Exit(m.Run())
}

// childSpec is what the child gateway runs with.
type childSpec struct {
	Dir     string         `json:"dir"`
	Command string         `json:"command"`
	SigKey  cups.PublicKey `json:"sigKey"`
}

// runChild runs a gateway over the store in spec.Dir, checking CUPS
// continuously, and prints every client event on stdout ("kind cred") for
// the parent to kill it at a chosen point. It runs until killed.
func runChild(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var spec childSpec
	if err := json.Unmarshal(b, &spec); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	db, err := agentstore.Open(filepath.Join(spec.Dir, agentstore.DefaultDBFile), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	print := func(e cupsclient.Event) { fmt.Fprintf(os.Stdout, "%s %s\n", e.Kind, e.Cred) }
	u, err := cupsclient.NewUpdater(cupsclient.UpdaterOptions{Dir: spec.Dir, Command: spec.Command, Version: "1.0.0", Logger: log, OnEvent: print})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cl, err := cupsclient.New(cupsclient.Options{
		RouterEUI: routerEUI, Store: db, Package: "1.0.0", SigKeys: []cups.PublicKey{spec.SigKey}, Updater: u,
		OKSyncInterval: 20 * time.Millisecond, ResyncInterval: 20 * time.Millisecond, ConnTimeout: 10 * time.Second,
		TrialTimeout: 20 * time.Second, OnEvent: print, Logger: log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	conc, err := sim.NewConcentrator(sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: 100}), "gateway", sim.ConcentratorOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	a, err := agent.New(agent.Options{
		RouterEUI: routerEUI, LoadTC: cl.LoadTC, OnRejected: cl.OnRejected, OnState: cl.OnState, Radio: conc,
		Reconnect: agent.Reconnect{MuxsBackoff: []time.Duration{20 * time.Millisecond}, InfosStep: 20 * time.Millisecond, InfosMax: 50 * time.Millisecond, Jitter: -1},
		Logger:    log,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Fprintln(os.Stdout, "ready")
	if err := cl.Run(context.Background(), a.Run); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestSIGKILLKeepsAWorkingSet kills (SIGKILL) a gateway process while it
// rotates its TC credentials without pause (the CUPS server hands set A
// and set B in turn, and both work) or while it writes a 32 MiB update, at
// several points; then it starts the gateway again over the same files: the
// store is consistent, its reg TC set is A or B and connects, no partial
// update file is left, and an interrupted install is rolled back.
func TestSIGKILLKeepsAWorkingSet(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	update := make([]byte, 32<<20)
	rand.NewChaCha8([32]byte{7}).Read(update)
	for _, tc := range []struct {
		name    string
		update  bool   // the CUPS server hands the update instead of rotations
		killAt  string // the event line the child is killed at
		nth     int    // … the nth time it is printed
		install bool   // … once the install command runs
	}{
		{"after a tc set is staged", false, "staged tc", 3, false},
		{"while the tc engine restarts", false, "tc-restart ", 4, false},
		{"after a promotion", false, "promoted tc", 2, false},
		{"after a check", false, "checked ", 7, false},
		{"while an update is written", true, "update-writing ", 1, false},
		{"while the install command runs", true, "update-writing ", 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCloud(t, true)
			priv, pub := signingKey(t)
			setA, setB := derCreds(t, c.ca, c.ca), derCreds(t, c.ca, c.ca)
			var ans []byte
			if tc.update {
				sig, err := cups.Sign(priv, update)
				if err != nil {
					t.Fatal(err)
				}
				ans = marshal(t, &cups.UpdateInfoResponse{Sig: sig, Update: update})
			}
			quiet := make(chan struct{})
			f := newFakeCUPS(t, c.ca, func(_ int, req *cups.UpdateInfoRequest) (int, []byte) {
				select {
				case <-quiet:
					return http.StatusOK, nothing()
				default:
				}
				if tc.update {
					return http.StatusOK, ans
				}
				next := setA
				if req.TCCredCRC == setA.CRC() {
					next = setB
				}
				return http.StatusOK, marshal(t, &cups.UpdateInfoResponse{TCCred: blob(t, next)})
			})
			dir := t.TempDir()
			db, err := agentstore.Open(filepath.Join(dir, agentstore.DefaultDBFile), nil)
			if err != nil {
				t.Fatal(err)
			}
			regA := agentstore.FromCUPS(c.lnsURI, setA)
			regB := agentstore.FromCUPS(c.lnsURI, setB)
			putSet(t, db, agentstore.KindTC, agentstore.SetReg, regA)
			putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, f.uri))
			command, calls, _ := updateScript(t, "2.0.0")
			var gate func() error
			if tc.install {
				command, gate = blockingInstall(t)
				calls = func() []string { return readCalls(t, filepath.Dir(command)) }
			}
			if err := db.Close(); err != nil { // the child holds the file lock while it runs
				t.Fatal(err)
			}

			stderr := runAndKill(t, childSpec{Dir: dir, Command: command, SigKey: pub}, tc.killAt, tc.nth, gate)

			// Before any recovery: a complete update file or none.
			if b, err := os.ReadFile(filepath.Join(dir, cupsclient.UpdateFile)); err == nil && sha(b) != sha(update) {
				t.Errorf("%s holds %d bytes that are not the update", cupsclient.UpdateFile, len(b))
			}
			if _, err := os.Stat(filepath.Join(dir, cupsclient.UpdateFile+".tmp")); err == nil {
				t.Logf("killed during the update write (%s left)", cupsclient.UpdateFile+".tmp")
			}

			db = openStore(t, dir)
			ctx := context.Background()
			if err := db.Check(ctx); err != nil {
				t.Fatalf("store after SIGKILL: %v\nchild stderr:\n%s", err, stderr)
			}
			reg, err := db.Credentials(ctx, agentstore.KindTC, agentstore.SetReg)
			if err != nil || !reg.Equal(regA) && !reg.Equal(regB) {
				t.Fatalf("tc reg set after SIGKILL: %v, %v; want set A or B", reg, err)
			}

			close(quiet)
			g := startGateway(t, dir, db, gwConfig{
				client:  func(o *cupsclient.Options) { o.SigKeys = []cups.PublicKey{pub} },
				updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "1.0.0"},
			})
			g.trace.waitAny(t, "connected after the restart", g.logs, isState(agent.StateConnected))
			want := fingerprintOf(t, reg.Cert)
			c.connects.wait(t, "connection with the reg set", c.logs, func(fp string) bool { return fp == want })
			g.noStaged(t, agentstore.KindTC)
			if _, err := os.Stat(filepath.Join(dir, cupsclient.UpdateFile+".tmp")); err == nil {
				t.Errorf("%s.tmp left after the restart", cupsclient.UpdateFile)
			}
			if b, err := os.ReadFile(filepath.Join(dir, cupsclient.MarkerFile)); err == nil {
				var m struct{ State string }
				if err := json.Unmarshal(b, &m); err != nil || m.State != "failed" {
					t.Errorf("update marker after the restart %s (%v); want none or failed", b, err)
				}
				if got := calls(); len(got) == 0 || got[len(got)-1] != "rollback" {
					t.Errorf("update command calls %q: an interrupted install must be rolled back", got)
				}
			}
			if tc.install {
				if got := calls(); len(got) != 2 || !strings.HasPrefix(got[0], "install ") || got[1] != "rollback" {
					t.Errorf("update command calls %q, want install, then rollback after the restart", got)
				}
			}
		})
	}
}

// blockingInstall writes an update command whose install tells the test
// its process id through a FIFO and then waits; gate reads the FIFO and
// kills that process, leaving the install interrupted.
func blockingInstall(t *testing.T) (command string, gate func() error) {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	command = filepath.Join(dir, "update-command")
	script := `#!/bin/sh
here=$(dirname "$0")
echo "$@" >> "$here/calls.log"
if [ "$1" = install ]; then
	echo $$ > "$here/fifo"
	exec sleep 600
fi
`
	if err := os.WriteFile(command, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	gate = func() error {
		f, err := os.Open(fifo) // blocks until the command opens it
		if err != nil {
			return err
		}
		defer f.Close()
		var pid int
		if _, err := fmt.Fscan(f, &pid); err != nil {
			return fmt.Errorf("install command pid: %w", err)
		}
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGKILL) })
		return nil
	}
	return command, gate
}

func readCalls(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "calls.log"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

// runAndKill starts the child gateway with spec, kills it with SIGKILL
// when it prints killAt for the nth time and gate (when not nil) returns,
// and returns its stderr.
func runAndKill(t *testing.T, spec childSpec, killAt string, nth int, gate func() error) string {
	t.Helper()
	b, err := json.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "spec.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	seen := 0
	deadline := time.After(waitTimeout)
	for seen < nth {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("child ended before %q #%d\nstderr:\n%s", killAt, nth, stderr.String())
			}
			if strings.HasPrefix(l+" ", killAt) {
				seen++
			}
		case <-deadline:
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child did not print %q #%d within %v\nstderr:\n%s", killAt, nth, waitTimeout, stderr.String())
		}
	}
	if gate != nil {
		gated := make(chan error, 1)
		go func() { gated <- gate() }()
		select {
		case err := <-gated:
			if err != nil {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal(err)
			}
		case <-deadline:
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("gate not passed within %v\nstderr:\n%s", waitTimeout, stderr.String())
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	go func() {
		for range lines {
		}
	}()
	err = cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ProcessState.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child ended with %v, want killed by SIGKILL", err)
	}
	return stderr.String()
}
