package station

import (
	"errors"
	"strings"
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
	m, err := Decode([]byte(`{"msgtype":"dnframe","DR":0,"Freq":868100000,"DevEUI":"00-00-00-00-00-00-00-02","xtime":1,"seqno":9,"pdu":"60"}`))
	if err != nil {
		t.Fatal(err)
	}
	d := m.(*Dnframe)
	if d.Diid != 9 || d.DevEUI != (lorawan.EUI64{7: 2}) || !d.UpperEUIKeys || d.Rctx != nil {
		t.Errorf("Decode = %+v, want Diid 9, DevEUI ::2, UpperEUIKeys, no rctx", d)
	}
}

// TestDnframeMissingFields: Station needs DR, Freq, DevEui, xtime, diid and
// pdu in a dnframe (handle_dnframe) and ignores it otherwise.
func TestDnframeMissingFields(t *testing.T) {
	full := map[string]string{"DR": `"DR":0`, "Freq": `"Freq":868100000`, "DevEui": `"DevEui":1`,
		"xtime": `"xtime":0`, "diid": `"diid":0`, "pdu": `"pdu":"60"`}
	order := []string{"DR", "Freq", "DevEui", "xtime", "diid", "pdu"}
	for _, drop := range append([]string{""}, order...) {
		t.Run("without "+drop, func(t *testing.T) {
			keys := []string{`"msgtype":"dnframe"`}
			for _, k := range order {
				if k != drop {
					keys = append(keys, full[k])
				}
			}
			_, err := Decode([]byte("{" + strings.Join(keys, ",") + "}"))
			switch {
			case drop == "" && err != nil:
				t.Errorf("Decode: %v", err)
			case drop != "" && (!errors.Is(err, ErrMissingFields) || !strings.HasSuffix(err.Error(), "missing: "+drop)):
				t.Errorf("Decode: %v, want ErrMissingFields naming %s", err, drop)
			}
		})
	}
}
