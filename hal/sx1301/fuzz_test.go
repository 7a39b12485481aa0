package sx1301_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/hal/sx1301"
)

// FuzzParsePacketRecord feeds the RX parser arbitrary FIFO status, payload
// size and data-buffer bytes: it must never panic, must refuse what it
// cannot decode with one of its errors, and what it decodes must encode
// back to the same bytes (bit 0 of the rate byte, which the HAL ignores,
// aside).
func FuzzParsePacketRecord(f *testing.F) {
	good := sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: []byte("seed"), IFChain: 4, SpreadingFactor: 9,
		CodingRate: 2, SNR: -8, RSSI: 77, Timestamp: 0xDEADBEEF, CRC: 0x1234}
	b, err := good.AppendBinary(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(byte(sx1301.StatusCRCOK), uint8(4), b)
	f.Add(byte(sx1301.StatusNoCRC), uint8(0), b[4:])
	f.Add(byte(0), uint8(255), b)
	f.Add(byte(7), uint8(3), []byte{})
	f.Fuzz(func(t *testing.T, status byte, size uint8, data []byte) {
		rec, err := sx1301.ParsePacketRecord(status, int(size), data)
		if err != nil {
			if !errors.Is(err, sx1301.ErrRecordShort) && !errors.Is(err, sx1301.ErrRecordInvalid) {
				t.Fatalf("error %v is neither ErrRecordShort nor ErrRecordInvalid", err)
			}
			return
		}
		if len(rec.Payload) != int(size) || rec.Status != status&0x07 {
			t.Fatalf("payload of %d bytes, status %d, from size %d and status %d", len(rec.Payload), rec.Status, size, status)
		}
		out, err := rec.AppendBinary(nil)
		if err != nil {
			t.Fatalf("a parsed record does not encode: %v", err)
		}
		want := append([]byte(nil), data[:int(size)+sx1301.RxMetadataSize]...)
		want[int(size)+1] &^= 0x01
		if !bytes.Equal(out, want) {
			t.Fatalf("round trip\n got % x\nwant % x", out, want)
		}
	})
}
