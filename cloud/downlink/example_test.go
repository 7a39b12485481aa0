package downlink_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/loraedge/loraedge/cloud/downlink"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// printSender prints the dnmsg a gateway would get.
type printSender struct{}

func (printSender) Send(_ context.Context, gw lorawan.EUI64, msg station.Message) error {
	m := msg.(*station.Dnmsg)
	fmt.Printf("to %s: dC %d RxDelay %d RX1 DR%d %d Hz RX2 DR%d %d Hz xtime %d\npdu %x\n",
		gw, m.DC, m.RxDelay, *m.RX1DR, *m.RX1Freq, *m.RX2DR, *m.RX2Freq, m.XTime, []byte(m.PDU))
	return nil
}

// Answer a confirmed uplink of an EU868 device with an ACK and its queued
// downlink, on the gateway that heard it best.
func Example() {
	dir, err := os.MkdirTemp("", "downlink-example")
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
	ctx := context.Background()
	devEUI := lorawan.EUI64{0x00, 0x04, 0xa3, 0x0b, 0x00, 0x1c, 0x05, 0x30}
	nwkSKey := lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	appSKey := lorawan.AES128Key{0x3c, 0x4f, 0xcf, 0x09, 0x88, 0x15, 0xf7, 0xab, 0xa6, 0xd2, 0xae, 0x28, 0x16, 0x15, 0x7e, 0x2b}
	dev := store.Device{DevEUI: devEUI, Name: "sensor-1", MACVersion: "1.0.3", Class: store.ClassA, Region: "EU868",
		ABP: true, DevAddr: lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda}, ABPKeys: store.SessionKeys10(nwkSKey, appSKey)}
	if err := db.PutDevice(ctx, dev); err != nil {
		fmt.Println(err)
		return
	}
	sess, err := db.GetSession(ctx, devEUI)
	if err != nil {
		fmt.Println(err)
		return
	}

	sched, err := downlink.New(db, printSender{}, downlink.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sched.Close()
	if _, err := sched.Enqueue(ctx, devEUI, route.Downlink{FPort: 2, PayloadData: []byte{1, 2, 3}}); err != nil {
		fmt.Println(err)
		return
	}
	eu868, _ := lorawan.RegionByName("EU868")
	err = sched.ScheduleClassA(ctx, downlink.ClassA{
		Device:  dev,
		Session: &sess,
		Region:  eu868,
		Receptions: []downlink.Reception{
			{Gateway: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0, 0, 1}, XTime: int64(station.NewXTime(0, 7, 5_000_000)), SNR: -2, RSSI: -110, ReceivedAt: time.Now()},
			{Gateway: lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0, 0, 2}, XTime: int64(station.NewXTime(0, 9, 8_000_000)), SNR: 8, RSSI: -70, ReceivedAt: time.Now()},
		},
		UplinkDR:   5,
		UplinkFreq: 868_100_000,
		ACK:        true,
	})
	if err != nil {
		fmt.Println(err)
	}
	// Output:
	// to b827ebfffe000002: dC 0 RxDelay 1 RX1 DR5 868100000 Hz RX2 DR0 869525000 Hz xtime 2533274798395904
	// pdu 60da1b0126200000022ab5a852c72500
}
