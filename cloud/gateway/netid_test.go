package gateway

import (
	"errors"
	"fmt"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// TestForwardsDevAddr checks ForwardsDevAddr against what a gateway does
// with the router_config the endpoint sends: Station's NetID filter as the
// station package implements it, for NetIDs of every type and DevAddrs at
// the edges of their blocks.
func TestForwardsDevAddr(t *testing.T) {
	t.Parallel()
	netIDs := [][]lorawan.NetID{
		nil,
		{{0x00, 0x00, 0x00}},
		{{0x00, 0x00, 0x13}},
		{{0x60, 0x00, 0x2d}},                     // type 3
		{{0xe0, 0x01, 0x23}},                     // type 7
		{{0x00, 0x00, 0x01}, {0x00, 0x00, 0x3f}}, // two type-0 networks
	}
	addrs := []uint32{0x00000000, 0x01ffffff, 0x02000000, 0x26000000, 0x27ffffff, 0x28000000,
		0x26011bda, 0x7f000000, 0xe0000000, 0xfe000000, 0xffffffff, 0x016c0000}
	for _, ids := range netIDs {
		rc, err := BuildRouterConfig(GatewayInfo{EUI: gwEU, Region: "EU868"}, RouterConfigOptions{NetIDs: ids})
		if err != nil {
			t.Fatal(err)
		}
		filter := station.NewUplinkFilter(rc)
		for _, a := range addrs {
			addr := lorawan.DevAddrFromUint32(a)
			t.Run(fmt.Sprintf("%v/%s", ids, addr), func(t *testing.T) {
				// An unconfirmed data uplink: MHDR, DevAddr (LSB first),
				// FCtrl, FCnt, MIC.
				phy := []byte{0x40, byte(a), byte(a >> 8), byte(a >> 16), byte(a >> 24), 0, 1, 0, 1, 2, 3, 4}
				_, err := filter.Split(phy, station.UplinkMeta{})
				if err != nil && !errors.Is(err, station.ErrFiltered) {
					t.Fatalf("Split: %v", err)
				}
				if got, want := ForwardsDevAddr(ids, addr), err == nil; got != want {
					t.Errorf("ForwardsDevAddr = %v, the gateway forwards: %v", got, want)
				}
			})
		}
	}
}

func TestNetIDDevAddrRanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		netID       lorawan.NetID
		first, last string
	}{
		{lorawan.NetID{0, 0, 0}, "00000000", "01ffffff"},
		{lorawan.NetID{0, 0, 0x13}, "26000000", "27ffffff"},
	}
	for _, tt := range tests {
		first, last := ForwardedDevAddrs(tt.netID)
		if first.String() != tt.first || last.String() != tt.last {
			t.Errorf("ForwardedDevAddrs(%s) = %s–%s, want %s–%s", tt.netID, first, last, tt.first, tt.last)
		}
		if !ForwardsDevAddr([]lorawan.NetID{tt.netID}, first) || !ForwardsDevAddr([]lorawan.NetID{tt.netID}, last) {
			t.Errorf("the ends of the range of %s are not forwarded", tt.netID)
		}
	}
}
