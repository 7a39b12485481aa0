package api_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/loraedge/loraedge/cloud/api"
	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Serve the API on a loopback port and queue a downlink as an application
// would, with the token from the data directory.
func Example() {
	dir, err := os.MkdirTemp("", "api-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	kek, _ := store.NewKEK()
	db, err := store.Open(filepath.Join(dir, store.DefaultDBFile), kek, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer db.Close()
	devEUI := lorawan.EUI64{0x00, 0x04, 0xa3, 0x0b, 0x00, 0x1c, 0x05, 0x30}
	err = db.PutDevice(context.Background(), store.Device{DevEUI: devEUI, MACVersion: "1.0.3", Class: store.ClassA,
		Region: "EU868", RootKeys: store.RootKeys{AppKey: lorawan.AES128Key{1}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	quiet := slog.New(slog.DiscardHandler)
	sched, err := downlink.New(db, noSender{}, downlink.Options{Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sched.Close()

	token, err := api.LoadOrCreateToken(filepath.Join(dir, api.DefaultTokenFile))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv, err := api.New(sched, api.Options{Token: token, Logger: quiet})
	if err != nil {
		fmt.Println(err)
		return
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	defer func() { stop(); <-done }()

	req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/api/v1/devices/0004a30b001c0530/downlinks",
		strings.NewReader(`{"FPort":2,"PayloadData":"AQID","Confirmed":true}`))
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fmt.Print(resp.StatusCode, " ", string(body))
	// Output:
	// 202 {"id":"1"}
}
