package mac_test

import (
	"fmt"
	"time"

	"github.com/loraedge/loraedge/cloud/mac"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// A device asks for a link check on an SF9 uplink heard by two gateways.
func ExampleHandler_Handle() {
	h, err := mac.New(mac.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	eu, _ := lorawan.RegionByName("EU868")
	up := &mac.Uplink{
		Region: eu, DR: 3, Freq: 868100000, FCnt: 42,
		Commands:   []byte{byte(lorawan.CIDLinkCheck)},
		Receptions: []mac.Reception{{SNR: -4.25}, {SNR: 1.5}},
		ReceivedAt: time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC),
	}
	res := h.Handle(&store.Session{}, up, nil)
	cmds, _ := lorawan.ParseMACCommands(res.Answers, false)
	fmt.Printf("%s %+v\n", cmds[0].CID.Name(false), *cmds[0].Payload.(*lorawan.LinkCheckAns))
	// Output:
	// LinkCheckAns {Margin:14 GwCnt:2}
}
