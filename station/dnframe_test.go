package station

import (
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestDnframeGolden(t *testing.T) {
	checkGolden(t, "dnframe", &Dnframe{
		DR: 5, Freq: 868100000, DevEUI: lorawan.EUI64{7: 1}, XTime: 34621422413357864, Diid: 3,
		PDU: HexBytes{0x60, 1, 0, 0, 0, 0, 1, 0}, Rctx: ptr[int64](0), Asap: true, MuxTime: 1795783677.292109,
	})
}

func TestDnframeLegacyKeys(t *testing.T) {
	m, err := Decode([]byte(`{"msgtype":"dnframe","DevEUI":"00-00-00-00-00-00-00-02","seqno":9,"pdu":"60"}`))
	if err != nil {
		t.Fatal(err)
	}
	d := m.(*Dnframe)
	if d.Diid != 9 || d.DevEUI != (lorawan.EUI64{7: 2}) || !d.UpperEUIKeys || d.Rctx != nil {
		t.Errorf("Decode = %+v, want Diid 9, DevEUI ::2, UpperEUIKeys, no rctx", d)
	}
}
