package route_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

func ExampleParseDownlinkRequest() {
	d, err := route.ParseDownlinkRequest([]byte(`{"FPort":2,"PayloadData":"AQID","Confirmed":true}`))
	fmt.Println(d.FPort, d.PayloadData, d.Confirmed, err)

	_, err = route.ParseDownlinkRequest([]byte(`{"FPort":0,"PayloadData":"AQID"}`))
	fmt.Println(err)
	// Output:
	// 2 [1 2 3] true <nil>
	// route: invalid downlink request: FPort 0, want 1..223
}

// A webhook destination receives the AWS-shaped uplink as JSON.
func ExampleRouter_Publish() {
	got := make(chan string, 1)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r.Header.Get("X-Token") + " " + string(b)
	}))
	defer hook.Close()

	r, err := route.New([]store.Destination{{
		Name: "app", Kind: store.KindHTTP, HTTPURL: hook.URL,
		HTTPHeader: "X-Token", HTTPSecret: "t0ken",
	}}, route.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := r.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()

	devEUI, _ := lorawan.ParseEUI64("0004a30b001c0530")
	gwEUI, _ := lorawan.ParseEUI64("b827ebfffe000001")
	devAddr, _ := lorawan.ParseDevAddr("26011bda")
	up := &route.Uplink{
		WirelessDeviceId: "sensor-1",
		PayloadData:      route.Payload{1, 2, 3},
		WirelessMetadata: route.WirelessMetadata{LoRaWAN: route.LoRaWANMetadata{
			ADR: true, Bandwidth: 125, CodeRate: route.CodeRate4_5, DataRate: 5,
			DevAddr: devAddr, DevEui: devEUI, FCnt: 42, FPort: 2, Frequency: 868100000,
			Gateways: []route.Gateway{{GatewayEui: gwEUI, Rssi: -57, Snr: 9.5}},
			MIC:      route.MIC{0x1a, 0x2b, 0x3c, 0x4d}, MType: lorawan.UnconfirmedDataUp.String(),
			Major: route.MajorLoRaWANR1, Modulation: route.ModulationLoRa, SpreadingFactor: 7,
			Timestamp: route.Timestamp(time.Date(2024, 3, 1, 12, 0, 0, 250e6, time.UTC)),
		}},
	}
	if err := r.Publish(context.Background(), "app", up); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(<-got)
	// Output:
	// t0ken {"WirelessDeviceId":"sensor-1","PayloadData":"AQID","WirelessMetadata":{"LoRaWAN":{"ADR":true,"Bandwidth":125,"ClassB":false,"CodeRate":"4/5","DataRate":"5","DevAddr":"26011bda","DevEui":"0004a30b001c0530","FCnt":42,"FOptLen":0,"FPort":2,"Frequency":"868100000","Gateways":[{"GatewayEui":"b827ebfffe000001","Rssi":-57,"Snr":9.5}],"MIC":"1a2b3c4d","MType":"UnconfirmedDataUp","Major":"LoRaWANR1","Modulation":"LORA","PolarizationInversion":false,"SpreadingFactor":7,"Timestamp":"2024-03-01T12:00:00.250Z"}}}
}
