package station

import (
	"reflect"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestDntxedGolden(t *testing.T) {
	tests := []struct {
		name string
		want *Dntxed
	}{
		{"dntxed", &Dntxed{
			Diid: 1<<49 + 1, DR: 5, Freq: 868100000, DevEUI: lorawan.EUI64{7: 1},
			XTime: 34621422413357864, TxTime: 1795783678.288253,
		}},
		{"dntxed_upper", &Dntxed{
			Diid: 7, DR: 3, Freq: 869525000, DevEUI: lorawan.EUI64{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe},
			Rctx: 1, XTime: NewXTime(1, 0x7F, 1<<40-1), TxTime: 12.5, GPSTime: 1448397619000000,
			UpperEUIKeys: true,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkGolden(t, tt.name, tt.want)
		})
	}
}

func TestDntxedLegacySeqno(t *testing.T) {
	// Older peers write only "seqno"; "diid" wins when both are there.
	tests := []struct {
		in   string
		want int64
	}{
		{`{"msgtype":"dntxed","seqno":12}`, 12},
		{`{"msgtype":"dntxed","diid":13}`, 13},
		{`{"msgtype":"dntxed","seqno":12,"diid":13}`, 13},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if got := m.(*Dntxed).Diid; got != tt.want {
				t.Errorf("Diid = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestDntxedUnknownFieldsIgnored(t *testing.T) {
	m, err := Decode([]byte(`{"msgtype":"dntxed","diid":1,"extra":{"a":[1,2]},"DR":2}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := (&Dntxed{Diid: 1, DR: 2}); !reflect.DeepEqual(m, want) {
		t.Errorf("Decode = %#v, want %#v", m, want)
	}
}
