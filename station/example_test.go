package station_test

import (
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/station"
)

// The cloud reads what a gateway sends and rebuilds the frame of an uplink.
func ExampleDecode() {
	msg := []byte(`{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795783677.292109,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795783677.288253}}`)
	m, err := station.Decode(msg)
	if errors.Is(err, station.ErrUnknownMsgType) {
		return // log it and keep the connection, as Station does
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	switch m := m.(type) {
	case *station.Updf:
		phy, err := m.PHYPayload()
		if err != nil {
			fmt.Println(err)
			return
		}
		x := m.UpInfo.XTime
		fmt.Printf("%X from %s, radio %d session %#x\n", phy, m.Addr(), x.Unit(), x.Session())
	}
	// Output: 400100000000010001010201000000 from 00000001, radio 0 session 0x7b
}

// The agent splits a received frame into the message Station would send.
func ExampleSplitUplink() {
	frame := []byte{0x40, 0x01, 0, 0, 0, 0x00, 0x01, 0x00, 0x01, 0x01, 0x02, 0x01, 0, 0, 0}
	meta := station.UplinkMeta{DR: 5, Freq: 868100000, UpInfo: station.UpInfo{
		XTime: station.NewXTime(0, 0x7B, 1000000), Fts: -1, RSSI: -50, SNR: 9,
	}}
	m, err := station.SplitUplink(frame, meta)
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := station.Encode(m)
	fmt.Println(string(b))
	// Output: {"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":0.000000,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":34621422136410688,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":0.000000}}
}

// The cloud answers a class A uplink in RX1 and RX2.
func ExampleEncode() {
	up := station.XTime(34621422408357864)
	rx1DR, rx1Freq, rx2DR, rx2Freq := 5, uint32(868100000), 0, uint32(869525000)
	b, err := station.Encode(&station.Dnmsg{
		DevEUI: [8]byte{7: 1}, DC: station.ClassA, Diid: 1, PDU: []byte{0x60, 1, 0, 0, 0, 0x20, 1, 0, 0xA1, 0xB2, 0xC3, 0xD4},
		RxDelay: 1, RX1DR: &rx1DR, RX1Freq: &rx1Freq, RX2DR: &rx2DR, RX2Freq: &rx2Freq, XTime: up,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output: {"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":1,"pdu":"6001000000200100A1B2C3D4","RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"RX2DR":0,"RX2Freq":869525000,"priority":0,"xtime":34621422408357864}
}

// Router ids come as id6 text, hex, or integers; Station writes id6.
func ExampleParseEUI() {
	for _, s := range []string{"b827:ebff:fe61:51a5", "b8-27-eb-ff-fe-61-51-a5", "::1"} {
		e, err := station.ParseEUI(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(e, station.FormatID6(e), station.FormatEUI(e))
	}
	// Output:
	// b827ebfffe6151a5 b827:ebff:fe61:51a5 B8-27-EB-FF-FE-61-51-A5
	// b827ebfffe6151a5 b827:ebff:fe61:51a5 B8-27-EB-FF-FE-61-51-A5
	// 0000000000000001 ::1 00-00-00-00-00-00-00-01
}
