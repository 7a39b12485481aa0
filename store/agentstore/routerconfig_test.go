package agentstore_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/store/agentstore"
	"github.com/loraedge/loraedge/store/agentstore/agentstoretest"
)

// TestRouterConfigMemory: nothing is remembered at first; a saved message
// comes back byte for byte, replaces the previous one, and survives a
// reopen; empty and oversized messages are refused and change nothing.
func TestRouterConfigMemory(t *testing.T) {
	ctx := context.Background()
	db, path := agentstoretest.Open(t, nil)
	if b, err := db.LastRouterConfig(ctx); b != nil || err != nil {
		t.Fatalf("fresh store: LastRouterConfig = %q, %v; want nil, nil", b, err)
	}
	first := []byte(`{"msgtype":"router_config","region":"EU863"}`)
	second := []byte(`{"msgtype":"router_config","region":"US902"}`)
	for _, msg := range [][]byte{first, second} {
		if err := db.SaveRouterConfig(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want string
	}{
		{"empty", nil, "empty router_config"},
		{"oversized", bytes.Repeat([]byte{' '}, 64<<10+1), "over the 65536-byte limit"},
	} {
		if err := db.SaveRouterConfig(ctx, tc.msg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: SaveRouterConfig = %v, want an error saying %q", tc.name, err, tc.want)
		}
	}
	agentstoretest.Close(t, db)

	db, err := agentstore.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { agentstoretest.Close(t, db) })
	if b, err := db.LastRouterConfig(ctx); !bytes.Equal(b, second) || err != nil {
		t.Errorf("after reopen: LastRouterConfig = %q, %v; want %q", b, err, second)
	}
}
