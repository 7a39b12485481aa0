package lgwsim_test

import (
	"fmt"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/lgwsim"
)

// The first record on every connection carries the gateway's time base:
// the simulator rebuilds timeOffset from it and stamps frames with the
// gateway's counter, monotonic µs − timeOffset.
func ExampleTimeBaseRecord() {
	rec := lgwsim.TimeBaseRecord(0x0000_0123_3567_89ab, 0)
	b, _ := rec.MarshalBinary()
	fmt.Printf("%d bytes, tx_mode %d, freq_hz %#x, count_us %#x\n", len(b), b[4], rec.FreqHz, rec.CountUS)
	offset, unit, _ := rec.TimeBase()
	fmt.Printf("offset %#x, unit %d\n", offset, unit)
	// Output:
	// 288 bytes, tx_mode 255, freq_hz 0x123, count_us 0x356789ab
	// offset 0x123356789ab, unit 0
}

// A simulator encodes a frame a gateway heard as a 300-byte receive record;
// the gateway decodes it back into the frame the agent sees.
func ExampleRxRecord_Packet() {
	heard := hal.RxPacket{Payload: []byte{0x40, 1, 0, 0, 0, 0, 5, 0, 1, 0xaa, 1, 0, 0, 0}, Freq: 868_100_000,
		Modulation: hal.ModulationLoRa, SpreadingFactor: 9, Bandwidth: hal.BW125, CodeRate: hal.CodeRate4_5,
		RSSI: -72.5, SNR: 6.25, CRC: hal.CRCOK, CountUS: 269_436_433}
	rec, _ := lgwsim.RxRecordFrom(&heard)
	b, _ := rec.MarshalBinary()
	fmt.Printf("%d bytes: datarate %#x, bandwidth %#x, status %#x\n", len(b), rec.Datarate, rec.Bandwidth, rec.Status)

	var back lgwsim.RxRecord
	if err := back.UnmarshalBinary(b); err != nil {
		fmt.Println(err)
		return
	}
	p, err := back.Packet()
	fmt.Printf("SF%d %d Hz on %d Hz, RSSI %v, SNR %v, CRC %s, count %d, %v\n",
		p.SpreadingFactor, p.Bandwidth, p.Freq, p.RSSI, p.SNR, p.CRC, p.CountUS, err)
	// Output:
	// 300 bytes: datarate 0x8, bandwidth 0x3, status 0x10
	// SF9 125000 Hz on 868100000 Hz, RSSI -72.5, SNR 6.25, CRC ok, count 269436433, <nil>
}
