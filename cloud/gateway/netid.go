package gateway

import "github.com/loraedge/loraedge/lorawan"

// ForwardsDevAddr reports whether a gateway forwards the data frames of a
// device with this DevAddr when the endpoint's Options.NetIDs are netIDs:
// Station keeps a frame when the top 7 bits of its DevAddr equal one of the
// router_config NetID values (netIDFilterValue). No NetIDs forwards all. An
// ABP device whose address fails here is never heard by the cloud.
func ForwardsDevAddr(netIDs []lorawan.NetID, addr lorawan.DevAddr) bool {
	if len(netIDs) == 0 {
		return true
	}
	top7 := addr[0] >> 1
	for _, n := range netIDs {
		if netIDFilterValue(n)[2] == top7 {
			return true
		}
	}
	return false
}

// ForwardedDevAddrs returns the first and last DevAddr of the block whose
// frames gateways forward for NetID n (the DevAddrs whose top 7 bits are its
// router_config value): for a type-0 NetID, the network's own block.
func ForwardedDevAddrs(n lorawan.NetID) (first, last lorawan.DevAddr) {
	v := uint32(netIDFilterValue(n)[2]) << 25
	return lorawan.DevAddrFromUint32(v), lorawan.DevAddrFromUint32(v | (1<<25 - 1))
}
