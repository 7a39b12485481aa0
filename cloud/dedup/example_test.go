package dedup_test

import (
	"fmt"
	"time"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/dedup/deduptest"
	"github.com/loraedge/loraedge/lorawan"
)

// Two gateways forward the same frame; one frame comes out when the window
// ends, carrying both receptions.
func Example() {
	clk := deduptest.NewClock(time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	d, err := dedup.New(func(f dedup.Frame) {
		fmt.Printf("frame %x from %d gateways, second SNR %.1f\n", f.PHYPayload, len(f.Receptions), f.Receptions[1].SNR)
	}, dedup.Options{Clock: clk})
	if err != nil {
		fmt.Println(err)
		return
	}
	phy := []byte{0x40, 0x01, 0x00, 0x00, 0x26, 0x00, 0x07, 0x00, 0xde, 0xad, 0xbe, 0xef}
	fmt.Println(d.Add(phy, dedup.Reception{Gateway: lorawan.EUI64{1}, SNR: -4}))
	fmt.Println(d.Add(append([]byte(nil), phy...), dedup.Reception{Gateway: lorawan.EUI64{2}, SNR: 6.5}))
	clk.Advance(dedup.DefaultWindow)
	// Output:
	// first
	// merged
	// frame 4001000026000700deadbeef from 2 gateways, second SNR 6.5
}
