package lorawan

import (
	"bytes"
	"crypto/aes"
	"testing"
)

// Reference constructions written byte by byte from the specification
// tables (LoRaWAN 1.1 sections 4.3.3 and 4.4, 1.0.x sections 4.3.3 and 4.4),
// independent of secPutBlock.

// secRefBlock is the B0 / B1 / A block: tag | w (2, LE) | b3 | b4 | Dir |
// DevAddr (4, LE) | FCnt (4, LE) | 0x00 | b15.
func secRefBlock(tag byte, w uint16, b3, b4 byte, uplink bool, a DevAddr, fCnt uint32, b15 byte) []byte {
	dir := byte(1)
	if uplink {
		dir = 0
	}
	return []byte{
		tag, byte(w), byte(w >> 8), b3, b4, dir,
		a[3], a[2], a[1], a[0],
		byte(fCnt), byte(fCnt >> 8), byte(fCnt >> 16), byte(fCnt >> 24),
		0x00, b15,
	}
}

// secRefKeyStream XORs src with AES(key, A_i), A_i = a with byte 15 = i.
func secRefKeyStream(key AES128Key, a []byte, src []byte) []byte {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	out := make([]byte, len(src))
	s := make([]byte, 16)
	for i := 0; i < len(src); i++ {
		if i%16 == 0 {
			ai := bytes.Clone(a)
			ai[15] = byte(i/16 + 1)
			block.Encrypt(s, ai)
		}
		out[i] = src[i] ^ s[i%16]
	}
	return out
}

func TestSecPutBlock(t *testing.T) {
	for _, tc := range []struct {
		name       string
		tag        byte
		w          uint16
		b3, b4     byte
		uplink     bool
		devAddr    DevAddr
		fCnt       uint32
		b15        byte
		wantLayout string
	}{
		{"uplink B0", 0x49, 0, 0, 0, true, DevAddr{0x26, 0x01, 0x1b, 0xda}, 0x00010203, 21, "490000000000da1b0126030201000015"},
		{"downlink B0 with ConfFCnt", 0x49, 0xbeef, 0, 0, false, DevAddr{1, 2, 3, 4}, 0xfffffffe, 255, "49efbe00000104030201feffffff00ff"},
		{"B1", 0x49, 0x0102, 5, 2, true, DevAddr{0xaa, 0xbb, 0xcc, 0xdd}, 7, 9, "490201050200ddccbbaa070000000009"},
		{"A for FOpts, AFCntDown", 0x01, 0, 0, 2, false, DevAddr{1, 2, 3, 4}, 0x12345678, 1, "01000000020104030201785634120001"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got [16]byte
			for i := range got {
				got[i] = 0xee // the scratch is never clean
			}
			secPutBlock(&got, tc.tag, tc.w, tc.b3, tc.b4, tc.uplink, tc.devAddr, tc.fCnt, tc.b15)
			want := secRefBlock(tc.tag, tc.w, tc.b3, tc.b4, tc.uplink, tc.devAddr, tc.fCnt, tc.b15)
			if !bytes.Equal(got[:], want) {
				t.Errorf("block = %x, want %x", got, want)
			}
			if !bytes.Equal(got[:], secMustHex(t, tc.wantLayout)) {
				t.Errorf("block = %x, want the literal %s", got, tc.wantLayout)
			}
		})
	}
}

func TestSecXORKeyStream(t *testing.T) {
	key := AES128Key{9, 8, 7, 6, 5, 4, 3, 2, 1}
	block := newAESBlock(key)
	a := secRefBlock(0x01, 0, 0, 0, true, DevAddr{1, 2, 3, 4}, 0x10203, 0)
	src := make([]byte, 255)
	for i := range src {
		src[i] = byte(i * 31)
	}
	var sc secScratch
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 51, 240, 255} {
		want := secRefKeyStream(key, a, src[:n])
		copy(sc.ctr[:], a)
		sc.ctr[15] = 1
		got := make([]byte, n)
		secXORKeyStream(block, &sc, got, src[:n])
		if !bytes.Equal(got, want) {
			t.Errorf("len %d: %x, want %x", n, got, want)
		}
		// In place, over a dst longer than src: the extra bytes stay.
		buf := append(bytes.Clone(src[:n]), 0xa5)
		copy(sc.ctr[:], a)
		sc.ctr[15] = 1
		secXORKeyStream(block, &sc, buf, buf[:n])
		if !bytes.Equal(buf[:n], want) || buf[n] != 0xa5 {
			t.Errorf("len %d in place: %x, want %x then a5", n, buf, want)
		}
	}
}

// FuzzFrameSecurity feeds every Session and RootKeys operation inputs of
// arbitrary length: none may panic, errors must come for the lengths the
// specification rules out and only for them, and every encryption must undo
// itself.
func FuzzFrameSecurity(f *testing.F) {
	f.Add([]byte("\x40\x04\x03\x02\x01\x80\x01\x00\x01hello"), uint32(1), uint8(0), uint8(1))
	f.Add(make([]byte, 19), uint32(0x10000), uint8(0xff), uint8(0))
	f.Add(make([]byte, 33), uint32(0xffffffff), uint8(2), uint8(0))
	f.Add(make([]byte, 300), uint32(7), uint8(1), uint8(224))
	s10 := NewSession10(AES128Key{1}, AES128Key{2})
	s11 := NewSession11(AES128Key{3}, AES128Key{4}, AES128Key{5}, AES128Key{6})
	r10 := NewRootKeys10(AES128Key{7})
	r11 := NewRootKeys11(AES128Key{8}, AES128Key{9}, EUI64{1, 2, 3})
	f.Fuzz(func(t *testing.T, data []byte, fCnt uint32, sel, fPort uint8) {
		devAddr := DevAddr{byte(fCnt), 2, 3, 4}
		uplink := sel&1 == 0
		jrt := JoinReqType(sel)
		dataMsgOK := len(data) >= 8 && len(data) <= 251
		for _, s := range []*Session{s10, s11} {
			if _, err := s.UplinkMIC(data, devAddr, fCnt, 1, 2, 3); (err == nil) != dataMsgOK {
				t.Errorf("UplinkMIC(%d bytes): err = %v", len(data), err)
			}
			if _, err := s.DownlinkMIC(data, devAddr, fCnt, 1); (err == nil) != dataMsgOK {
				t.Errorf("DownlinkMIC(%d bytes): err = %v", len(data), err)
			}
			for _, dstLen := range []int{len(data), len(data) / 2} {
				dst := make([]byte, dstLen)
				err := s.XORFRMPayload(dst, data, uplink, devAddr, fCnt, fPort)
				if ok := len(data) <= 242 && dstLen >= len(data); (err == nil) != ok {
					t.Errorf("XORFRMPayload(%d into %d bytes): err = %v", len(data), dstLen, err)
				}
				if err == nil {
					if err := s.XORFRMPayload(dst, dst, uplink, devAddr, fCnt, fPort); err != nil || !bytes.Equal(dst, data) {
						t.Errorf("XORFRMPayload does not undo itself: %x -> %x, %v", data, dst, err)
					}
				}
				err = s.XORFOpts(dst, data, uplink, devAddr, fCnt, !uplink && fPort > 0)
				if ok := s.MACVersion() == MACVersion1_1 && len(data) <= 15 && dstLen >= len(data); (err == nil) != ok {
					t.Errorf("XORFOpts(%v, %d into %d bytes): err = %v", s.MACVersion(), len(data), dstLen, err)
				}
			}
			_, err := s.RejoinRequestMIC(data)
			if ok := s.MACVersion() == MACVersion1_1 && len(data) == 15 && (data[1] == 0 || data[1] == 2); (err == nil) != ok {
				t.Errorf("Session.RejoinRequestMIC(%v, %x): err = %v", s.MACVersion(), data, err)
			}
		}
		for _, r := range []*RootKeys{r10, r11} {
			if _, err := r.JoinRequestMIC(data); (err == nil) != (len(data) == 19) {
				t.Errorf("JoinRequestMIC(%d bytes): err = %v", len(data), err)
			}
			_, err := r.RejoinRequestMIC(data)
			if ok := r.MACVersion() == MACVersion1_1 && len(data) == 20 && data[1] == 1; (err == nil) != ok {
				t.Errorf("RootKeys.RejoinRequestMIC(%v, %x): err = %v", r.MACVersion(), data, err)
			}
			knownType := jrt == JoinReqTypeJoin || (jrt <= JoinReqTypeRejoin2 && r.MACVersion() == MACVersion1_1)
			_, err = r.JoinAcceptMIC(data, jrt, EUI64{}, uint16(fCnt))
			if n := len(data); n == 13 || n == 29 {
				optNeg := data[11]&0x80 != 0
				v10 := r.MACVersion() == MACVersion1_0
				// DLSettings bit 7 is RFU for a 1.0 device: its MIC is the
				// 1.0 one whatever the bit holds, but it is never sent set.
				ok := knownType && (optNeg && !v10 || jrt == JoinReqTypeJoin && (!optNeg || v10))
				if (err == nil) != ok {
					t.Errorf("JoinAcceptMIC(%v, type %#x, %x): err = %v", r.MACVersion(), uint8(jrt), data, err)
				}
				out, err := r.AppendJoinAccept(nil, data, jrt, EUI64{}, uint16(fCnt))
				if sendOK := ok && !(v10 && optNeg); (err == nil) != sendOK {
					t.Errorf("AppendJoinAccept: err = %v", err)
				}
				if err == nil {
					plain := make([]byte, len(out)-1)
					if err := r.DecryptJoinAccept(plain, out[1:], jrt); err != nil || !bytes.Equal(plain[:n-1], data[1:]) {
						t.Errorf("join-accept does not decrypt back: %x -> %x, %v", data, plain, err)
					}
				}
			} else if err == nil {
				t.Errorf("JoinAcceptMIC(%d bytes): no error", n)
			}
			dst := make([]byte, len(data))
			err = r.EncryptJoinAccept(dst, data, jrt)
			if ok := knownType && (len(data) == 16 || len(data) == 32); (err == nil) != ok {
				t.Errorf("EncryptJoinAccept(%v, type %#x, %d bytes): err = %v", r.MACVersion(), uint8(jrt), len(data), err)
			}
			if err == nil {
				if err := r.DecryptJoinAccept(dst, dst, jrt); err != nil || !bytes.Equal(dst, data) {
					t.Errorf("join-accept encryption does not undo itself: %v", err)
				}
			}
			_, _, err = r.SessionKeys10(fCnt, NetID{}, 0)
			if (err == nil) != (fCnt <= 0xffffff) {
				t.Errorf("SessionKeys10(joinNonce %#x): err = %v", fCnt, err)
			}
		}
	})
}
