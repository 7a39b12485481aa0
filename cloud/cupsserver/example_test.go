package cupsserver_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// ExampleRotate bootstraps a gateway for CUPS: a rotation whose new CUPS
// credentials go into a Station home holding cups.* only; the gateway gets
// its TC credentials at its first CUPS request.
func ExampleRotate() {
	dir, _ := os.MkdirTemp("", "cups-example")
	defer os.RemoveAll(dir)
	kek, _ := store.NewKEK()
	db, err := store.Open(filepath.Join(dir, "store.db"), kek, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	ca, _ := pki.NewCA("example CA", time.Now(), time.Hour)
	ctx := context.Background()
	eui := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	if err := db.PutGateway(ctx, store.Gateway{EUI: eui, Region: "EU868"}); err != nil {
		fmt.Println(err)
		return
	}
	const cupsURI = "https://cups.example.com:6041"
	rot, err := cupsserver.Rotate(ctx, db, ca, eui, cupsserver.RotateOptions{CUPSURI: cupsURI})
	if err != nil {
		fmt.Println(err)
		return
	}
	home := filepath.Join(dir, "home")
	if err := cupsserver.WriteCUPSHome(home, cupsURI, rot.CUPS); err != nil {
		fmt.Println(err)
		return
	}
	files, _ := os.ReadDir(home)
	for _, f := range files {
		fmt.Println(f.Name())
	}
	c, _ := db.GetCUPSGateway(ctx, eui)
	fmt.Println("tc credentials desired:", c.TCCred.Fingerprint == rot.TCFingerprint)
	fmt.Println("rotation pending:", c.Rotation != nil)
	// Output:
	// cups.crt
	// cups.key
	// cups.trust
	// cups.uri
	// tc credentials desired: true
	// rotation pending: true
}

func ExampleCheckCUPSURI() {
	for _, uri := range []string{"https://cups.example.com:443", "https://cups.example.com", "https://h:1/update-info"} {
		fmt.Println(uri, cupsserver.CheckCUPSURI(uri) == nil)
	}
	// Output:
	// https://cups.example.com:443 true
	// https://cups.example.com false
	// https://h:1/update-info false
}
