package lorawan_test

import (
	"encoding/hex"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// A confirmed uplink carrying a DevStatusAns in FOpts: split it into fields
// and read the MAC command (FOpts are in clear in LoRaWAN 1.0).
func ExamplePHYPayload_UnmarshalBinary() {
	frame, _ := hex.DecodeString("80040302010300000673070ae264d4f7e117d2c0")
	var p lorawan.PHYPayload
	if err := p.UnmarshalBinary(frame); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(p.MHDR.MType, p.FHDR.DevAddr, "FCnt", p.FHDR.FCnt)
	fmt.Printf("FOpts %x FPort %d FRMPayload %x MIC %x\n", p.FHDR.FOpts, p.FPort, p.FRMPayload, p.MIC)
	uplink := p.MHDR.MType.Uplink()
	cmds, err := lorawan.ParseMACCommands(p.FHDR.FOpts, uplink)
	if err != nil {
		fmt.Println(err)
	}
	for _, c := range cmds {
		fmt.Printf("%s %+v\n", c.CID.Name(uplink), c.Payload)
	}
	// Output:
	// ConfirmedDataUp 01020304 FCnt 0
	// FOpts 067307 FPort 10 FRMPayload e264d4f7 MIC e117d2c0
	// DevStatusAns &{Battery:115 Margin:7}
}

// Walk MAC commands without allocating, stopping at the first one this
// package does not know.
func ExampleNextMACCommand() {
	fopts, _ := hex.DecodeString("0203050d42")
	for b := fopts; len(b) > 0; {
		cid, payload, rest, err := lorawan.NextMACCommand(b, true)
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Printf("%s [%x]\n", cid.Name(true), payload)
		b = rest
	}
	// Output:
	// LinkCheckReq []
	// LinkADRAns [05]
	// DeviceTimeReq []
	// lorawan: unknown mac command: CID(0x42) uplink
}

// Build a downlink's FOpts from typed commands.
func ExampleAppendMACCommands() {
	fopts, err := lorawan.AppendMACCommands(nil,
		lorawan.MACCommand{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckAns{Margin: 7, GwCnt: 1}},
		lorawan.MACCommand{CID: lorawan.CIDDeviceTime, Payload: &lorawan.DeviceTimeAns{Seconds: 1400000000, Fraction: 64}},
	)
	fmt.Printf("%x %v\n", fopts, err)
	// Output:
	// 0207010d004e725340 <nil>
}
