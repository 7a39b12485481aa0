package store

import (
	"bytes"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// FuzzDecodeRecords feeds arbitrary bytes to every stored-record decoder: a
// damaged file must give errors, never a panic, and what decodes must
// encode back to the same bytes.
func FuzzDecodeRecords(f *testing.F) {
	k, _ := NewKEK()
	s, err := newSealer(k)
	if err != nil {
		f.Fatal(err)
	}
	sess := Session{DevEUI: lorawan.EUI64{1}, DevAddr: lorawan.DevAddr{1, 2, 3, 4}, MACVersion: lorawan.MACVersion1_1,
		FCntUp: 7, UplinkSeen: true, CFList: make([]byte, 16), MACState: []byte("m"), CreatedAt: time.Unix(1, 2)}
	f.Add(appendSessionPublic(nil, &sess))
	sess.LastConfFCntDown, sess.PrevConfFCntDown = 9, 5
	f.Add(appendSessionPublic(nil, &sess))
	f.Add(nonceState{hasLast: true, last: 9, joinNonce: 3, history: []uint16{1, 9}}.encode())
	f.Add(encodeEnvelope([]byte{1, 2, 3}, []byte(`{"eui":"0102030405060708","region":"EU868"}`)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Session
		if err := decodeSessionPublic(b, &got); err == nil {
			if again := appendSessionPublic(nil, &got); !bytes.Equal(again, b) {
				t.Errorf("session re-encodes to %x, was %x", again, b)
			}
		}
		if st, err := decodeNonceState(b); err == nil {
			if again := st.encode(); !bytes.Equal(again, b) {
				t.Errorf("nonce state re-encodes to %x, was %x", again, b)
			}
		}
		if sealed, pub, err := decodeEnvelope(b); err == nil {
			if again := encodeEnvelope(sealed, pub); !bytes.Equal(again, b) {
				t.Errorf("envelope re-encodes to %x, was %x", again, b)
			}
		}
		key := []byte{1, 2, 3, 4, 5, 6, 7, 8}
		decodeDevice(key, b, s)
		decodeDestination(key, b, s)
		decodeSession(append(key, 0), b, s)
		decodeDownlink(append(key, key...), b)
		var g Gateway
		decodePublic(b, &g)
		s.open(bucketDevices, key, b)
	})
}
