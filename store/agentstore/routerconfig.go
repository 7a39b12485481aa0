package agentstore

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// metaRouterConfig holds the last router_config message the LNS sent.
var metaRouterConfig = []byte("router-config")

// maxRouterConfig bounds a remembered router_config; Station's own limit
// on a message from the LNS is far below it.
const maxRouterConfig = 64 << 10

// LastRouterConfig returns the router_config message last saved, or nil
// and no error when none was. The agent starts its radio from it after a
// restart, before the LNS answers.
func (db *DB) LastRouterConfig(ctx context.Context) ([]byte, error) {
	var out []byte
	err := db.view(ctx, func(tx *bolt.Tx) error {
		if v := tx.Bucket([]byte(bucketMeta)).Get(metaRouterConfig); v != nil {
			out = append([]byte(nil), v...)
		}
		return nil
	})
	return out, err
}

// SaveRouterConfig replaces the saved router_config message; it is
// synced before it returns.
func (db *DB) SaveRouterConfig(ctx context.Context, msg []byte) error {
	switch {
	case len(msg) == 0:
		return errors.New("agentstore: empty router_config")
	case len(msg) > maxRouterConfig:
		return fmt.Errorf("agentstore: router_config of %d bytes is over the %d-byte limit", len(msg), maxRouterConfig)
	}
	return db.update(ctx, func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucketMeta)).Put(metaRouterConfig, msg)
	})
}
