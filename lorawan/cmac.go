package lorawan

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
)

// AES-CMAC (RFC 4493) over a cached AES-128 block cipher. LoRaWAN computes
// every MIC with it, so the key schedule and the two subkeys are built once
// per key and kept in a cmacKey.
//
// Allocation: the standard library's AES hides behind the cipher.Block
// interface, so any slice handed to Encrypt escapes to the heap. The
// functions here therefore only ever pass the fixed blocks of a cmacState,
// which callers keep in long-lived memory (mutex-guarded in a Session or
// RootKeys, or a caller's Scratch); message bytes are only read, through
// crypto/subtle and encoding/binary, and do not escape.

// cmacKey is one AES-128 key ready for CMAC: its cipher and subkeys K1, K2.
type cmacKey struct {
	block  cipher.Block
	k1, k2 [16]byte
}

// cmacState is the working memory of one CMAC computation: the chaining
// value x (the tag when done) and the final block, padded and already XORed
// with its subkey.
type cmacState struct {
	x, last [16]byte
}

// newAESBlock expands an AES-128 key. aes.NewCipher fails only for a key of
// another size, which the AES128Key type rules out.
func newAESBlock(k AES128Key) cipher.Block {
	b, err := aes.NewCipher(k[:])
	if err != nil {
		panic("lorawan: aes.NewCipher refused a 16-byte key: " + err.Error())
	}
	return b
}

// newCMACKey expands k and derives the RFC 4493 subkeys
// (K1 = dbl(AES(k, 0^128)), K2 = dbl(K1)).
func newCMACKey(k AES128Key) cmacKey {
	c := cmacKey{block: newAESBlock(k)}
	var l [16]byte
	c.block.Encrypt(l[:], l[:])
	c.k1 = cmacDouble(l)
	c.k2 = cmacDouble(c.k1)
	return c
}

// cmacDouble multiplies a block by x in GF(2^128) (RFC 4493 section 2.3):
// shift left by one bit and, if the top bit fell out, XOR 0x87 into the
// last byte. It runs in constant time.
func cmacDouble(in [16]byte) [16]byte {
	hi := binary.BigEndian.Uint64(in[:8])
	lo := binary.BigEndian.Uint64(in[8:])
	carry := hi >> 63
	hi = hi<<1 | lo>>63
	lo = lo<<1 ^ 0x87*carry
	var out [16]byte
	binary.BigEndian.PutUint64(out[:8], hi)
	binary.BigEndian.PutUint64(out[8:], lo)
	return out
}

// prepare splits msg for a CMAC over [prefix|]msg. It stores the final block,
// padded and XORed with K1 or K2, in st.last and returns the whole blocks of
// msg that come before it. When prefixed and msg is empty the prefix itself is
// the final, complete block: st.last is K1 and nothing else is left.
func (c *cmacKey) prepare(st *cmacState, prefixed bool, msg []byte) (body []byte) {
	if len(msg) == 0 {
		if prefixed {
			st.last = c.k1
		} else {
			st.last = c.k2
			st.last[0] ^= 0x80
		}
		return nil
	}
	n := (len(msg) - 1) &^ 15 // bytes before the final 1..16
	tail := msg[n:]
	if len(tail) == 16 {
		st.last = c.k1
	} else {
		st.last = c.k2
		st.last[len(tail)] ^= 0x80
	}
	for i, b := range tail {
		st.last[i] ^= b
	}
	return msg[:n]
}

// sum computes CMAC(key, [prefix|]msg) into st.x. With prefixed, st.x must
// hold the one-block prefix (LoRaWAN's B0/B1); otherwise it is overwritten.
func (c *cmacKey) sum(st *cmacState, prefixed bool, msg []byte) {
	body := c.prepare(st, prefixed, msg)
	switch {
	case !prefixed:
		st.x = [16]byte{}
	case len(msg) > 0: // the prefix is a whole, non-final block
		c.block.Encrypt(st.x[:], st.x[:])
	}
	for ; len(body) > 0; body = body[16:] {
		subtle.XORBytes(st.x[:], st.x[:], body[:16])
		c.block.Encrypt(st.x[:], st.x[:])
	}
	subtle.XORBytes(st.x[:], st.x[:], st.last[:])
	c.block.Encrypt(st.x[:], st.x[:])
}

// cmacSum2 computes CMAC(a, prefixA|msg) into sa.x and CMAC(b, prefixB|msg)
// into sb.x, both prefixes being one block already in place. The two chains
// are independent, so they are interleaved block by block for the CPU to
// overlap (LoRaWAN 1.1 uplink MIC).
func cmacSum2(a, b *cmacKey, sa, sb *cmacState, msg []byte) {
	body := a.prepare(sa, true, msg)
	b.prepare(sb, true, msg)
	if len(msg) > 0 {
		a.block.Encrypt(sa.x[:], sa.x[:])
		b.block.Encrypt(sb.x[:], sb.x[:])
	}
	for ; len(body) > 0; body = body[16:] {
		subtle.XORBytes(sa.x[:], sa.x[:], body[:16])
		a.block.Encrypt(sa.x[:], sa.x[:])
		subtle.XORBytes(sb.x[:], sb.x[:], body[:16])
		b.block.Encrypt(sb.x[:], sb.x[:])
	}
	subtle.XORBytes(sa.x[:], sa.x[:], sa.last[:])
	a.block.Encrypt(sa.x[:], sa.x[:])
	subtle.XORBytes(sb.x[:], sb.x[:], sb.last[:])
	b.block.Encrypt(sb.x[:], sb.x[:])
}

// lastWords returns the final block of a CMAC over [prefix|]msg for msg of
// at least 8 bytes: its last 1 to 16 bytes, padded with 0x80 0x00... when
// short, XORed with K2 (short) or K1 (complete), as two little-endian
// words. It is prepare's result built in registers from two or three word
// loads of msg, so no byte loop and no store of the block are needed.
func (c *cmacKey) lastWords(msg []byte) (lo, hi uint64) {
	le := binary.LittleEndian
	n := len(msg)
	r := uint(n-1)&15 + 1 // bytes in the final block, 1..16
	end := le.Uint64(msg[n-8:])
	k := &c.k1
	if r < 16 {
		k = &c.k2
	}
	switch {
	case r == 16:
		lo, hi = le.Uint64(msg[n-16:]), end
	case r > 8:
		lo = le.Uint64(msg[n-int(r):])
		hi = end>>((16-r)*8&63) | 0x80<<((r-8)*8&63)
	case r == 8:
		lo, hi = end, 0x80
	default:
		lo = end>>((8-r)*8&63) | 0x80<<(r*8&63)
	}
	return lo ^ le.Uint64(k[:8]), hi ^ le.Uint64(k[8:])
}
