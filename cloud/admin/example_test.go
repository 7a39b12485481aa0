package admin_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"net/http/httptest"
	"os"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// The cloud serves the admin API over its store and announces it in the
// data directory; a CLI that finds the store locked reads the announcement
// and calls the API.
func Example() {
	dir, err := os.MkdirTemp("", "admin-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	kek, err := store.NewKEK()
	if err != nil {
		log.Fatal(err)
	}
	db, err := store.Open(dir+"/store.db", kek, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	// Cloud side.
	token, err := admin.NewToken()
	if err != nil {
		log.Fatal(err)
	}
	h, err := admin.New(db, admin.Options{Token: token, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		log.Fatal(err)
	}
	srv := httptest.NewServer(h) // the cloud listens on 127.0.0.1
	defer srv.Close()
	if err := admin.WriteEndpoint(dir, admin.Endpoint{URL: srv.URL, Token: admin.Secret(token)}); err != nil {
		log.Fatal(err)
	}

	// CLI side.
	e, err := admin.ReadEndpoint(dir)
	if err != nil {
		log.Fatal(err)
	}
	c, err := admin.NewClient(e)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	g, err := c.AddGateway(ctx, admin.GatewaySpec{EUI: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}, Region: "us915", SubBand: 2}, false)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(g.EUI, g.Region, g.SubBand)
	_, err = c.AddGateway(ctx, admin.GatewaySpec{EUI: g.EUI, Region: "EU868"}, false)
	fmt.Println(err)
	// Output:
	// b827ebfffe6151a5 US915 2
	// admin: gateway b827ebfffe6151a5 exists already
}

// The CUPS methods work the same on a Service over the store and on a
// Client of the running cloud's API: here a Service, with the gateway CA
// that signs the certificates of a rotation.
func ExampleService_SignUpdate() {
	dir, err := os.MkdirTemp("", "admin-cups-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	kek, err := store.NewKEK()
	if err != nil {
		log.Fatal(err)
	}
	db, err := store.Open(dir+"/store.db", kek, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	gw := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	if err := db.PutGateway(ctx, store.Gateway{EUI: gw, Region: "EU868"}); err != nil {
		log.Fatal(err)
	}
	ca, err := pki.LoadOrCreateCA(dir, time.Now())
	if err != nil {
		log.Fatal(err)
	}
	svc := admin.NewService(db, admin.WithCA(func() (*pki.CA, error) { return ca, nil }))

	if _, err := svc.AddSigningKey(ctx, "release"); err != nil {
		log.Fatal(err)
	}
	u, err := svc.SignUpdate(ctx, admin.SignSpec{Version: "2.0.0", Key: "release"}, []byte("#!/bin/sh\necho updated\n"))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(u.Version, u.Size, u.Target)
	rot, err := svc.RotateGateway(ctx, gw, admin.RotateSpec{Days: 365})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rot.EUI, len(rot.TCFingerprint), rot.CUPSRequested)
	// Output:
	// 2.0.0 23 fleet
	// b827ebfffe6151a5 64 false
}
