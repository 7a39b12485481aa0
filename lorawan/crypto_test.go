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
		got := make([]byte, n)
		secXORKeyStream(block, &sc, got, src[:n])
		if !bytes.Equal(got, want) {
			t.Errorf("len %d: %x, want %x", n, got, want)
		}
		// In place, over a dst longer than src: the extra bytes stay.
		buf := append(bytes.Clone(src[:n]), 0xa5)
		copy(sc.ctr[:], a)
		secXORKeyStream(block, &sc, buf, buf[:n])
		if !bytes.Equal(buf[:n], want) || buf[n] != 0xa5 {
			t.Errorf("len %d in place: %x, want %x then a5", n, buf, want)
		}
	}
}
