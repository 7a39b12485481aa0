package lgwsim

import (
	"bytes"
	"encoding/hex"
	"errors"
	"reflect"
	"testing"
)

// FuzzRxRecord feeds arbitrary bytes to the receive-record decoder, as a
// simulator could send them: it must never panic, must refuse what it
// cannot use with ErrMalformed, and every frame it accepts must encode back
// to a record that decodes to the same frame.
func FuzzRxRecord(f *testing.F) {
	for _, h := range []string{goldenRx, goldenCCA} {
		b, _ := hex.DecodeString(h)
		f.Add(append(b, make([]byte, RxRecordSize-len(b))...))
	}
	f.Add([]byte{})
	f.Add(make([]byte, RxRecordSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		if IsCCA(b) {
			var tbl CCATable
			if err := tbl.UnmarshalBinary(b); err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("cca error %v does not wrap ErrMalformed", err)
				}
				return
			}
			again, err := tbl.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var back CCATable
			if err := back.UnmarshalBinary(again); err != nil || !reflect.DeepEqual(back, tbl) {
				t.Fatalf("cca round trip: %+v (%v), want %+v", back, err, tbl)
			}
			return
		}
		var r RxRecord
		err := r.UnmarshalBinary(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		p, err := r.Packet()
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		rec, err := RxRecordFrom(&p)
		if err != nil {
			t.Fatalf("accepted frame %+v cannot be encoded: %v", p, err)
		}
		enc, err := rec.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var back RxRecord
		if err := back.UnmarshalBinary(enc); err != nil {
			t.Fatal(err)
		}
		p2, err := back.Packet()
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(p2, p) {
			t.Fatalf("round trip gave %+v, want %+v", p2, p)
		}
		if !bytes.Equal(r.Payload, p.Payload) {
			t.Fatalf("payload %x, want %x", p.Payload, r.Payload)
		}
	})
}

// FuzzTxRecord does the same for the transmit-record decoder the simulator
// side uses.
func FuzzTxRecord(f *testing.F) {
	for _, h := range []string{goldenTx, goldenTxFSK} {
		b, _ := hex.DecodeString(h)
		f.Add(append(b, make([]byte, TxRecordSize-len(b))...))
	}
	f.Add(make([]byte, TxRecordSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r TxRecord
		err := r.UnmarshalBinary(b)
		if err == nil {
			if _, _, ok := r.TimeBase(); ok {
				return
			}
			_, err = r.Packet()
		}
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		p, _ := r.Packet()
		rec, err := TxRecordFrom(&p)
		if err != nil {
			t.Fatalf("accepted frame %+v cannot be encoded: %v", p, err)
		}
		p2, err := rec.Packet()
		p.Preamble = p.PreambleLength() // a record's 0 is the default, written out again
		if err != nil || !reflect.DeepEqual(p2, p) {
			t.Fatalf("round trip gave %+v (%v), want %+v", p2, err, p)
		}
	})
}
