package store_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// The cloud's default run: the KEK file is created on first start, a device
// is added, and uplink counters are checked and advanced.
func Example() {
	dir, err := os.MkdirTemp("", "store-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := store.OpenWithKEKFile(filepath.Join(dir, store.DefaultDBFile), filepath.Join(dir, store.DefaultKEKFile), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	ctx := context.Background()
	devEUI, _ := lorawan.ParseEUI64("70b3d57ed005a1b2")
	appKey, _ := lorawan.ParseAES128Key("2b7e151628aed2a6abf7158809cf4f3c")
	dev := store.Device{DevEUI: devEUI, MACVersion: "1.0.3", Class: store.ClassA, Region: "EU868",
		RootKeys: store.RootKeys{AppKey: appKey}}
	if err := db.PutDevice(ctx, dev); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%v\n", dev.RootKeys)

	// After a join: the session, then the uplinks.
	sess := store.Session{DevEUI: devEUI, DevAddr: lorawan.DevAddr{0x26, 0x01, 0x02, 0x03},
		Keys: store.SessionKeys10(lorawan.AES128Key{1}, lorawan.AES128Key{2})}
	if err := db.PutSession(ctx, sess); err != nil {
		log.Fatal(err)
	}
	for _, fcnt := range []uint32{0, 1, 1, 0} {
		err := db.AdvanceFCntUp(ctx, devEUI, fcnt)
		switch {
		case err == nil:
			fmt.Println(fcnt, "accepted")
		case errors.Is(err, store.ErrFCntReplay):
			fmt.Println(fcnt, "repeated")
		case errors.Is(err, store.ErrFCntTooOld):
			fmt.Println(fcnt, "too old")
		default:
			log.Fatal(err)
		}
	}
	// Output:
	// RootKeys[redacted]
	// 0 accepted
	// 1 accepted
	// 1 repeated
	// 0 too old
}
