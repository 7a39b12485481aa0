package cupsclient_test

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store/agentstore"
)

// refusalEnv is a gateway connected to the cloud's LNS with its reg TC set,
// whose CUPS server (fake) gives a chosen first answer and "nothing
// changed" afterwards.
type refusalEnv struct {
	c       *cloud
	f       *fakeCUPS
	g       *gw
	tc      agentstore.Credentials // the working reg TC set
	held    cups.PublicKey
	priv    *ecdsa.PrivateKey // held's private key
	calls   func() []string
	dirFile func(name string) bool
}

func newRefusalEnv(t *testing.T, first func(e *refusalEnv) []byte) *refusalEnv {
	t.Helper()
	e := &refusalEnv{c: newCloud(t, true)}
	e.priv, e.held = signingKey(t)
	e.f = newFakeCUPS(t, e.c.ca, func(n int, _ *cups.UpdateInfoRequest) (int, []byte) {
		if n == 1 {
			return http.StatusOK, first(e)
		}
		return http.StatusOK, nothing()
	})
	dir := t.TempDir()
	db := openStore(t, dir)
	e.tc = pemSet(t, e.c.ca, e.c.lnsURI)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, e.tc)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, e.c.ca, e.f.uri))
	command, calls, _ := updateScript(t, "2.0.0")
	e.calls = calls
	e.dirFile = func(name string) bool {
		_, err := os.Stat(filepath.Join(dir, name))
		return err == nil
	}
	e.g = startGateway(t, dir, db, gwConfig{
		client:  func(o *cupsclient.Options) { o.SigKeys = []cups.PublicKey{e.held} },
		updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "1.0.0"},
	})
	return e
}

// onWorkingSet checks that the gateway is connected to the LNS with its
// original set, which is still its only TC set.
func (e *refusalEnv) onWorkingSet(t *testing.T) {
	t.Helper()
	e.g.trace.waitAny(t, "connected", e.g.logs, isState(agent.StateConnected))
	if got := e.g.set(t, agentstore.KindTC, agentstore.SetReg); !got.Equal(e.tc) {
		t.Errorf("tc reg set %v, want the original %v", got, e.tc)
	}
	e.g.noStaged(t, agentstore.KindTC)
	e.g.noStaged(t, agentstore.KindCUPS)
	if _, err := e.g.db.Credentials(context.Background(), agentstore.KindTC, agentstore.SetBak); !errors.Is(err, agentstore.ErrNotFound) {
		t.Errorf("tc bak set: %v, want none (nothing was promoted)", err)
	}
	e.c.connects.waitAny(t, "LNS connection", e.c.logs, func(string) bool { return true })
	want := fingerprintOf(t, e.tc.Cert)
	for _, got := range e.c.connects.all() {
		if got != want {
			t.Errorf("LNS connection with certificate %s, want only the original %s", got, want)
		}
	}
}

// TestMalformedAnswersChangeNothing: corrupted and truncated answers, and
// answers whose credential blob or URI is unusable, are refused whole:
// nothing is staged and the agent stays on its working set.
func TestMalformedAnswersChangeNothing(t *testing.T) {
	good := func(t *testing.T, e *refusalEnv) []byte {
		return marshal(t, &cups.UpdateInfoResponse{TCURI: e.c.lnsURI, TCCred: blob(t, derCreds(t, e.c.ca, e.c.ca)), Update: []byte("loraedge update 2.0.0\n")})
	}
	for _, tc := range []struct {
		name  string
		want  error
		first func(t *testing.T, e *refusalEnv) []byte
	}{
		{"garbage", cups.ErrMalformed, func(t *testing.T, e *refusalEnv) []byte {
			b := make([]byte, 300)
			r := rand.NewChaCha8([32]byte{1})
			r.Read(b)
			b[0] = 0xf0 // a cupsUri length past the end
			return b
		}},
		{"truncated", cups.ErrMalformed, func(t *testing.T, e *refusalEnv) []byte {
			b := good(t, e)
			return b[:len(b)/2]
		}},
		{"credential length past the end", cups.ErrMalformed, func(t *testing.T, e *refusalEnv) []byte {
			b := good(t, e)
			off := 1 + 1 + len(e.c.lnsURI) + 2 // tcCred length
			binary.LittleEndian.PutUint16(b[off:], binary.LittleEndian.Uint16(b[off:])+200)
			return b
		}},
		{"trailing bytes", cups.ErrMalformed, func(t *testing.T, e *refusalEnv) []byte {
			return append(good(t, e), 0)
		}},
		{"credential blob not DER", cups.ErrMalformed, func(t *testing.T, e *refusalEnv) []byte {
			return marshal(t, &cups.UpdateInfoResponse{TCURI: e.c.lnsURI, TCCred: []byte("not a certificate, not a key")})
		}},
		{"certificate without a matching key", cupsclient.ErrAnswerRefused, func(t *testing.T, e *refusalEnv) []byte {
			a, b := derCreds(t, e.c.ca, e.c.ca), derCreds(t, e.c.ca, e.c.ca)
			a.Key = b.Key
			return marshal(t, &cups.UpdateInfoResponse{TCCred: blob(t, a)})
		}},
		{"tc uri with a path", agentstore.ErrInvalid, func(t *testing.T, e *refusalEnv) []byte {
			return marshal(t, &cups.UpdateInfoResponse{TCURI: e.c.lnsURI + "/router-info", TCCred: blob(t, derCreds(t, e.c.ca, e.c.ca))})
		}},
		{"cups uri of the wrong scheme", agentstore.ErrInvalid, func(t *testing.T, e *refusalEnv) []byte {
			return marshal(t, &cups.UpdateInfoResponse{CUPSURI: e.c.lnsURI, TCCred: blob(t, derCreds(t, e.c.ca, e.c.ca))})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRefusalEnv(t, func(e *refusalEnv) []byte { return tc.first(t, e) })
			ev := e.g.trace.waitAny(t, "first check", e.g.logs, isEvent(cupsclient.EventChecked, ""))
			if !errors.Is(ev.event.Err, tc.want) {
				t.Errorf("check error %v, want %v", ev.event.Err, tc.want)
			}
			for _, x := range e.g.trace.all() {
				if x.event != nil && (x.event.Kind == cupsclient.EventStaged || x.event.Kind == cupsclient.EventUpdateInstalled || x.event.Kind == cupsclient.EventTCRestart) {
					t.Errorf("after a malformed answer: %v", x)
				}
			}
			e.onWorkingSet(t)
			if got := e.calls(); len(got) != 0 {
				t.Errorf("update command run: %q", got)
			}
		})
	}
}

// TestBadSignaturesRefused: an update with a wrong signature, one by a key
// the gateway does not hold, one whose signature is not DER, and one without
// a signature (keys held) are never written nor installed.
func TestBadSignaturesRefused(t *testing.T) {
	data := []byte("loraedge update 2.0.0\n")
	for _, tc := range []struct {
		name string
		sig  func(t *testing.T, e *refusalEnv) *cups.Signature
	}{
		{"signature of other data by the held key", func(t *testing.T, e *refusalEnv) *cups.Signature {
			s, err := cups.Sign(e.priv, []byte("loraedge update 1.9.9\n"))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"signature by an unknown key naming the held key", func(t *testing.T, e *refusalEnv) *cups.Signature {
			other, _ := signingKey(t)
			s, err := cups.Sign(other, data)
			if err != nil {
				t.Fatal(err)
			}
			s.KeyCRC = e.held.CRC()
			return s
		}},
		{"signature by an unknown key", func(t *testing.T, e *refusalEnv) *cups.Signature {
			other, _ := signingKey(t)
			s, err := cups.Sign(other, data)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{"signature not DER", func(t *testing.T, e *refusalEnv) *cups.Signature {
			return &cups.Signature{KeyCRC: e.held.CRC(), DER: []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01}}
		}},
		{"no signature while keys are held", func(*testing.T, *refusalEnv) *cups.Signature { return nil }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRefusalEnv(t, func(e *refusalEnv) []byte {
				return marshal(t, &cups.UpdateInfoResponse{Sig: tc.sig(t, e), Update: data})
			})
			ev := e.g.trace.waitAny(t, "update refused", e.g.logs, isEvent(cupsclient.EventUpdateRefused, ""))
			if !errors.Is(ev.event.Err, cups.ErrUnverified) {
				t.Errorf("refusal %v, want cups.ErrUnverified", ev.event.Err)
			}
			if ev := e.g.trace.waitAny(t, "first check", e.g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil {
				t.Errorf("check error %v: a refused update is not a failed check", ev.event.Err)
			}
			e.onWorkingSet(t)
			if got := e.calls(); len(got) != 0 {
				t.Errorf("update command run: %q", got)
			}
			for _, f := range []string{cupsclient.UpdateFile, cupsclient.MarkerFile} {
				if e.dirFile(f) {
					t.Errorf("%s written for a refused update", f)
				}
			}
		})
	}
}

// TestUnworkableTCSetRolledBack: TC credentials (or a TC URI) that CUPS
// hands but that do not connect are tried, rolled back, and the agent goes
// back to its working set.
func TestUnworkableTCSetRolledBack(t *testing.T) {
	for _, tc := range []struct {
		name  string
		first func(t *testing.T, e *refusalEnv) []byte
	}{
		{"certificate of another CA", func(t *testing.T, e *refusalEnv) []byte {
			other := pkitest.NewCA(t, "other CA")
			return marshal(t, &cups.UpdateInfoResponse{TCCred: blob(t, derCreds(t, e.c.ca, other))})
		}},
		{"trust of another CA", func(t *testing.T, e *refusalEnv) []byte {
			other := pkitest.NewCA(t, "other CA")
			return marshal(t, &cups.UpdateInfoResponse{TCCred: blob(t, derCreds(t, other, e.c.ca))})
		}},
		{"uri where nothing listens", func(t *testing.T, e *refusalEnv) []byte {
			ln := listen(t)
			uri := "wss://" + ln.Addr().String()
			ln.Close()
			return marshal(t, &cups.UpdateInfoResponse{TCURI: uri})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newRefusalEnv(t, func(e *refusalEnv) []byte { return tc.first(t, e) })
			e.g.trace.wait(t, "tc staged", e.g.logs, isEvent(cupsclient.EventStaged, agentstore.KindTC))
			if ev := e.g.trace.wait(t, "tc restart on trial", e.g.logs, isEvent(cupsclient.EventTCRestart, "")); ev.event.Set != "staged" {
				t.Errorf("restart with the %s set, want staged", ev.event.Set)
			}
			if ev := e.g.trace.wait(t, "rollback", e.g.logs, isEvent(cupsclient.EventRolledBack, agentstore.KindTC)); ev.event.Err == nil {
				t.Error("rollback without a reason")
			}
			if ev := e.g.trace.wait(t, "tc restart on reg", e.g.logs, isEvent(cupsclient.EventTCRestart, "")); ev.event.Set != "reg" {
				t.Errorf("restart with the %s set, want reg", ev.event.Set)
			}
			e.g.trace.wait(t, "connected again", e.g.logs, isState(agent.StateConnected))
			e.onWorkingSet(t)
			for _, x := range e.g.trace.all() {
				if x.event != nil && x.event.Kind == cupsclient.EventPromoted {
					t.Errorf("promoted: %v", x)
				}
			}
		})
	}
}
