package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// testKey returns a distinct, random-looking key for a label, so that a
// search for its bytes in a file cannot match by accident.
func testKey(label string) lorawan.AES128Key {
	h := sha256.Sum256([]byte("store test key " + label))
	var k lorawan.AES128Key
	copy(k[:], h[:])
	return k
}

func eui(n uint64) lorawan.EUI64 {
	var e lorawan.EUI64
	for i := range e {
		e[7-i] = byte(n >> (8 * i))
	}
	e[0] = 0x70 // never zero
	return e
}

func otaaDevice(n uint64, mac string) store.Device {
	d := store.Device{
		DevEUI:     eui(n),
		JoinEUI:    eui(1 << 40),
		Name:       fmt.Sprintf("device-%d", n),
		MACVersion: mac,
		Class:      store.ClassA,
		Region:     "EU868",
		RootKeys:   store.RootKeys{AppKey: testKey(fmt.Sprintf("app %d", n))},
	}
	if mac == "1.1" {
		d.RootKeys.NwkKey = testKey(fmt.Sprintf("nwk %d", n))
	}
	return d
}

func session(n uint64, addr lorawan.DevAddr, mac lorawan.MACVersion) store.Session {
	keys := store.SessionKeys10(testKey(fmt.Sprintf("nwks %d %s", n, addr)), testKey(fmt.Sprintf("apps %d %s", n, addr)))
	if mac == lorawan.MACVersion1_1 {
		keys.SNwkSIntKey = testKey(fmt.Sprintf("snwk %d %s", n, addr))
		keys.NwkSEncKey = testKey(fmt.Sprintf("nenc %d %s", n, addr))
	}
	return store.Session{DevEUI: eui(n), DevAddr: addr, MACVersion: mac, Keys: keys, RX1DROffset: 1, RX2DR: 3, RxDelay: 1}
}

// mustPutDevice stores a device with an active session at addr.
func mustPutDevice(t testing.TB, db *store.DB, d store.Device) {
	t.Helper()
	if err := db.PutDevice(context.Background(), d); err != nil {
		t.Fatalf("PutDevice(%s): %v", d.DevEUI, err)
	}
}

func mustPutSession(t testing.TB, db *store.DB, s store.Session) {
	t.Helper()
	if err := db.PutSession(context.Background(), s); err != nil {
		t.Fatalf("PutSession(%s): %v", s.DevEUI, err)
	}
}
