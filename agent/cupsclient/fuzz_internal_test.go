package cupsclient

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store/agentstore"
)

// memStore is a Store in memory for the fuzz target.
type memStore struct {
	mu     sync.Mutex
	sets   map[string]agentstore.Credentials
	staged map[agentstore.Kind]agentstore.Credentials
}

func newMemStore() *memStore {
	return &memStore{sets: map[string]agentstore.Credentials{}, staged: map[agentstore.Kind]agentstore.Credentials{}}
}

func (m *memStore) Credentials(_ context.Context, k agentstore.Kind, s agentstore.Set) (agentstore.Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.sets[string(k)+"/"+string(s)]
	if !ok {
		return c, agentstore.ErrNotFound
	}
	return c, nil
}

func (m *memStore) StagedCredentials(_ context.Context, k agentstore.Kind) (agentstore.Credentials, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.staged[k]
	if !ok {
		return c, agentstore.ErrNotFound
	}
	return c, nil
}

func (m *memStore) StageCredentials(_ context.Context, k agentstore.Kind, c agentstore.Credentials) error {
	if err := c.Validate(k); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.staged[k] = c
	return nil
}

func (m *memStore) PromoteStaged(_ context.Context, k agentstore.Kind) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.staged[k]
	if !ok {
		return agentstore.ErrNotFound
	}
	if reg, ok := m.sets[string(k)+"/reg"]; ok {
		m.sets[string(k)+"/bak"] = reg
	}
	m.sets[string(k)+"/reg"] = c
	delete(m.staged, k)
	return nil
}

func (m *memStore) DiscardStaged(_ context.Context, k agentstore.Kind) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.staged, k)
	return nil
}

// FuzzAnswer feeds arbitrary answers to the client as if a CUPS server had
// sent them: it must never panic, a refused answer must stage nothing, and
// whatever it stages must be a usable set of its kind.
func FuzzAnswer(f *testing.F) {
	f.Add(make([]byte, 14))
	seed := func(r cups.UpdateInfoResponse) {
		b, err := r.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	seed(cups.UpdateInfoResponse{TCURI: "wss://127.0.0.1:6039"})
	seed(cups.UpdateInfoResponse{CUPSURI: "https://127.0.0.1:6040", TCURI: "ws://lns.example.com:80"})
	seed(cups.UpdateInfoResponse{TCCred: append(append([]byte{0x30, 0x03, 0x02, 0x01, 0x00}, 0, 0, 0, 0), "Authorization: Bearer x"...)})
	seed(cups.UpdateInfoResponse{Sig: &cups.Signature{KeyCRC: 1, DER: []byte{0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01}}, Update: []byte("u")})
	f.Fuzz(func(t *testing.T, data []byte) {
		var ans cups.UpdateInfoResponse
		if err := ans.UnmarshalBinary(data); err != nil {
			return
		}
		st := newMemStore()
		reg := agentstore.Credentials{URI: "https://127.0.0.1:1"}
		st.sets["cups/reg"] = reg
		c, err := New(Options{RouterEUI: lorawan.EUI64{1}, Store: st, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		rep, err := c.report(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out, err := c.apply(ctx, &ans, reg, rep)
		if err != nil {
			if len(st.staged) != 0 {
				t.Fatalf("refused answer (%v) staged %v", err, st.staged)
			}
			if !errors.Is(err, ErrAnswerRefused) {
				t.Fatalf("apply error %v does not wrap ErrAnswerRefused", err)
			}
			return
		}
		for k, s := range st.staged {
			if err := checkUsable(k, s); err != nil {
				t.Fatalf("staged an unusable %s set: %v", k, err)
			}
		}
		for k, flag := range map[agentstore.Kind]bool{agentstore.KindTC: out.tcStaged, agentstore.KindCUPS: out.cupsStaged} {
			if _, staged := st.staged[k]; staged != flag {
				t.Fatalf("%s staged %v, reported %v", k, staged, flag)
			}
		}
	})
}
