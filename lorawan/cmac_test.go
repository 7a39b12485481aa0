package lorawan

import (
	"crypto/aes"
	"encoding/hex"
	"math/rand/v2"
	"testing"
)

// secRFC4493Key is the key of the RFC 4493 section 4 examples.
const secRFC4493Key = "2b7e151628aed2a6abf7158809cf4f3c"

// secRFC4493Msg is the 64-byte message whose prefixes the examples sign.
const secRFC4493Msg = "6bc1bee22e409f96e93d7e117393172a" +
	"ae2d8a571e03ac9c9eb76fac45af8e51" +
	"30c81c46a35ce411e5fbc1191a0a52ef" +
	"f69f2445df4f9b17ad2b417be66c3710"

func TestCMACSubkeysRFC4493(t *testing.T) {
	c := newCMACKey(secMustKey(t, secRFC4493Key))
	if got, want := hex.EncodeToString(c.k1[:]), "fbeed618357133667c85e08f7236a8de"; got != want {
		t.Errorf("K1 = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(c.k2[:]), "f7ddac306ae266ccf90bc11ee46d513b"; got != want {
		t.Errorf("K2 = %s, want %s", got, want)
	}
}

func TestCMACRFC4493(t *testing.T) {
	msg := secMustHex(t, secRFC4493Msg)
	c := newCMACKey(secMustKey(t, secRFC4493Key))
	for _, tc := range []struct {
		name string
		n    int
		want string
	}{
		{"example 1, empty", 0, "bb1d6929e95937287fa37d129b756746"},
		{"example 2, 16 bytes", 16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{"example 3, 40 bytes", 40, "dfa66747de9ae63030ca32611497c827"},
		{"example 4, 64 bytes", 64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var st cmacState
			c.sum(&st, false, msg[:tc.n])
			if got := hex.EncodeToString(st.x[:]); got != tc.want {
				t.Errorf("CMAC = %s, want %s", got, tc.want)
			}
			// The scratch holds garbage from earlier calls in real use.
			st = cmacState{x: [16]byte{0xff, 1, 2}, last: [16]byte{3, 0xfe}}
			c.sum(&st, false, msg[:tc.n])
			if got := hex.EncodeToString(st.x[:]); got != tc.want {
				t.Errorf("CMAC over dirty scratch = %s, want %s", got, tc.want)
			}
		})
	}
}

// secRefCMAC is CMAC written straight from RFC 4493 section 2.4, one byte at a
// time, with its own subkey generation: the reference for lengths the RFC
// examples do not cover.
func secRefCMAC(key, msg []byte) [16]byte {
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	dbl := func(in []byte) []byte {
		out := make([]byte, 16)
		for i := 0; i < 16; i++ {
			out[i] = in[i] << 1
			if i < 15 {
				out[i] |= in[i+1] >> 7
			}
		}
		if in[0]&0x80 != 0 {
			out[15] ^= 0x87
		}
		return out
	}
	l := make([]byte, 16)
	block.Encrypt(l, l)
	k1 := dbl(l)
	k2 := dbl(k1)
	n := (len(msg) + 15) / 16
	complete := n > 0 && len(msg)%16 == 0
	if n == 0 {
		n = 1
	}
	last := make([]byte, 16)
	if complete {
		for i := range 16 {
			last[i] = msg[16*(n-1)+i] ^ k1[i]
		}
	} else {
		rest := msg[16*(n-1):]
		copy(last, rest)
		last[len(rest)] = 0x80
		for i := range 16 {
			last[i] ^= k2[i]
		}
	}
	x := make([]byte, 16)
	for i := 0; i < n-1; i++ {
		for j := range 16 {
			x[j] ^= msg[16*i+j]
		}
		block.Encrypt(x, x)
	}
	for j := range 16 {
		x[j] ^= last[j]
	}
	block.Encrypt(x, x)
	return [16]byte(x)
}

func TestCMACAgainstReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var key AES128Key
	for i := range key {
		key[i] = byte(rng.Uint32())
	}
	c := newCMACKey(key)
	msg := make([]byte, 80)
	for i := range msg {
		msg[i] = byte(rng.Uint32())
	}
	var st cmacState
	for n := 0; n <= len(msg); n++ {
		want := secRefCMAC(key[:], msg[:n])
		c.sum(&st, false, msg[:n])
		if st.x != want {
			t.Errorf("len %d: CMAC = %x, want %x", n, st.x, want)
		}
	}
}

// TestCMACPrefixed checks the B0/B1 form, CMAC(prefix | msg) with the prefix
// already in the state, and the interleaved pair against single sums.
func TestCMACPrefixed(t *testing.T) {
	ka, kb := AES128Key{1, 2, 3}, AES128Key{4, 5, 6}
	a, b := newCMACKey(ka), newCMACKey(kb)
	prefixA := [16]byte{0x49, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	prefixB := [16]byte{0x49, 0xf1, 0xf2}
	msg := make([]byte, 70)
	for i := range msg {
		msg[i] = byte(7*i + 3)
	}
	for n := 0; n <= len(msg); n++ {
		wantA := secRefCMAC(ka[:], append(prefixA[:], msg[:n]...))
		wantB := secRefCMAC(kb[:], append(prefixB[:], msg[:n]...))
		st := cmacState{x: prefixA}
		a.sum(&st, true, msg[:n])
		if st.x != wantA {
			t.Errorf("len %d: CMAC(prefix|msg) = %x, want %x", n, st.x, wantA)
		}
		sa, sb := cmacState{x: prefixA}, cmacState{x: prefixB}
		cmacSum2(&a, &b, &sa, &sb, msg[:n])
		if sa.x != wantA || sb.x != wantB {
			t.Errorf("len %d: interleaved = %x, %x, want %x, %x", n, sa.x, sb.x, wantA, wantB)
		}
	}
}

func secMustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func secMustKey(t testing.TB, s string) AES128Key {
	t.Helper()
	k, err := ParseAES128Key(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
