package agentstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loraedge/loraedge/store/agentstore"
)

// An agent stores its LNS credentials, spools an uplink while the LNS is
// away, and sends and deletes it after reconnecting.
func Example() {
	dir, err := os.MkdirTemp("", "agentstore-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()

	db, err := agentstore.Open(filepath.Join(dir, "data", agentstore.DefaultDBFile), nil)
	if err != nil {
		panic(err)
	}
	defer db.Close()

	tc := agentstore.Credentials{URI: "ws://127.0.0.1:6038"}
	if err := db.PutCredentials(ctx, agentstore.KindTC, agentstore.SetReg, tc); err != nil {
		panic(err)
	}
	got, err := db.Credentials(ctx, agentstore.KindTC, agentstore.SetReg)
	if err != nil {
		panic(err)
	}
	fmt.Printf("tc: %s, tcCredCrc %d\n", got.URI, got.CRC())

	msg := []byte(`{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCnt":7}`)
	if err := db.SpoolPut(ctx, msg, time.Now()); err != nil {
		panic(err)
	}
	recs, err := db.SpoolPeek(ctx, 10)
	if err != nil {
		panic(err)
	}
	for _, r := range recs {
		fmt.Printf("send #%d: %s\n", r.ID, r.Msg)
		if err := db.SpoolDelete(ctx, r.ID); err != nil {
			panic(err)
		}
	}
	fmt.Printf("%+v\n", db.SpoolStats())
	// Output:
	// tc: ws://127.0.0.1:6038, tcCredCrc 2077607535
	// send #1: {"msgtype":"updf","MHdr":64,"DevAddr":1,"FCnt":7}
	// {Len:0 Dropped:0 DroppedByAge:0}
}
