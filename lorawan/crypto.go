package lorawan

import (
	"crypto/cipher"
	"encoding/binary"
	"fmt"
)

// Frame security shared by Session and RootKeys: the 16-byte blocks that
// LoRaWAN feeds to AES (B0, B1, A_i), the CTR keystream, and the scratch
// memory they are built in.
//
// Byte orders, as on air: DevAddr, FCnt, ConfFCnt, JoinNonce, NetID, EUIs
// and DevNonce are little-endian inside every block; the Go values
// (DevAddr, NetID, EUI64) are MSB first, as people write them, and are
// reversed here. FCnt is always the full 32-bit counter, of which only the
// low 16 bits travel in FHDR (see FullFCnt).

// Limits of the messages the functions here accept.
const (
	secMinDataMsg    = 8             // MHDR | DevAddr | FCtrl | FCnt
	secMaxMsg        = 255 - 4       // the largest PHYPayload less its MIC
	secMaxFRMPayload = secMaxMsg - 9 // less MHDR, the shortest FHDR and FPort
	secMaxFOpts      = 15            // FOptsLen has four bits
	// secMaxCTRBlocks is how many keystream blocks the longest FRMPayload needs.
	secMaxCTRBlocks = (secMaxFRMPayload + 15) / 16
)

// First bytes of the LoRaWAN blocks.
const (
	secTagMIC = 0x49 // B0 and B1, the CMAC prefix of data frames
	secTagEnc = 0x01 // A_i, the CTR counter blocks
)

// secFCtrlACK is the ACK bit of FCtrl, the same in both directions.
const secFCtrlACK = 0x20

// secScratch is the working memory of the cryptographic operations of one
// Session or RootKeys. It lives beside the keys, guarded by their mutex, so
// the blocks given to the AES interface never escape from a caller's stack
// and a call allocates nothing.
type secScratch struct {
	mic1, mic2 cmacState // CMAC chains (two for the 1.1 uplink MIC)
	ctr, ks    [16]byte  // counter block A_i and keystream block S_i
}

// secPutBlock writes the block layout that B0, B1 and the A blocks share:
//
//	byte  0     tag (0x49 for B0/B1, 0x01 for A)
//	bytes 1-2   w, little-endian (ConfFCnt in 1.1 B0/B1, else 0)
//	byte  3     b3 (TxDr in B1, else 0)
//	byte  4     b4 (TxCh in B1, the FOpts counter selector in A, else 0)
//	byte  5     Dir: 0 uplink, 1 downlink
//	bytes 6-9   DevAddr, little-endian
//	bytes 10-13 FCnt, little-endian (all 32 bits)
//	byte  14    0x00
//	byte  15    b15 (len(msg) in B0/B1, block index i in A)
func secPutBlock(dst *[16]byte, tag byte, w uint16, b3, b4 byte, uplink bool, devAddr DevAddr, fCnt uint32, b15 byte) {
	var dir uint64
	if !uplink {
		dir = 1
	}
	lo := uint64(tag) | uint64(w)<<8 | uint64(b3)<<24 | uint64(b4)<<32 | dir<<40 |
		uint64(devAddr[3])<<48 | uint64(devAddr[2])<<56
	hi := uint64(devAddr[1]) | uint64(devAddr[0])<<8 | uint64(fCnt)<<16 | uint64(b15)<<56
	binary.LittleEndian.PutUint64(dst[:8], lo)
	binary.LittleEndian.PutUint64(dst[8:], hi)
}

// secXORKeyStream XORs src into dst with the LoRaWAN CTR keystream
// S_i = AES(block, A_i), i = 1, 2, ..., where sc.ctr holds A_1 and A_i is
// A_1 with byte 15 set to i. The caller checks that len(dst) >= len(src)
// and that src is no longer than an FRMPayload, so i fits its byte.
func secXORKeyStream(block cipher.Block, sc *secScratch, dst, src []byte) {
	for len(src) > 0 {
		block.Encrypt(sc.ks[:], sc.ctr[:])
		n := secXOR(dst, src, &sc.ks)
		dst, src = dst[n:], src[n:]
		sc.ctr[15]++
	}
}

// secXOR writes src XOR ks for the first min(len(src), 16) bytes into dst
// and returns how many it wrote. dst and src may be the same slice; if they
// overlap otherwise the output is garbage (but nothing panics).
func secXOR(dst, src []byte, ks *[16]byte) int {
	if len(src) >= 16 {
		s, d := src[:16], dst[:16]
		le := binary.LittleEndian
		le.PutUint64(d[:8], le.Uint64(s[:8])^le.Uint64(ks[:8]))
		le.PutUint64(d[8:], le.Uint64(s[8:])^le.Uint64(ks[8:]))
		return 16
	}
	n := len(src)
	d, i := dst[:n], 0
	if n >= 8 {
		le := binary.LittleEndian
		le.PutUint64(d[:8], le.Uint64(src[:8])^le.Uint64(ks[:8]))
		i = 8
	}
	for ; i < n; i++ {
		d[i] = src[i] ^ ks[i]
	}
	return n
}

// secCheckXOR checks the buffers of an encryption or decryption.
func secCheckXOR(what string, dst, src []byte, limit int) error {
	if len(src) > limit {
		return secErr("%s of %d bytes, at most %d", what, len(src), limit)
	}
	if len(dst) < len(src) {
		return fmt.Errorf("lorawan: %s: output buffer of %d bytes for %d bytes", what, len(dst), len(src))
	}
	return nil
}

// secCheckDataMsg checks the bytes a data-frame MIC covers.
func secCheckDataMsg(msg []byte) error {
	if len(msg) < secMinDataMsg || len(msg) > secMaxMsg {
		return secErr("data frame mic: message of %d bytes, want %d to %d", len(msg), secMinDataMsg, secMaxMsg)
	}
	return nil
}

// secErr builds an error wrapping ErrMalformed.
func secErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// secMIC returns the first four bytes of a CMAC tag.
func secMIC(tag *[16]byte) [4]byte {
	return [4]byte{tag[0], tag[1], tag[2], tag[3]}
}

// secXORStream writes src XOR ks into dst, word by word: the last step of a
// decryption whose keystream is already in ks. The caller checks that
// len(dst) >= len(src); src longer than ks is cut to it (never the case for
// an FRMPayload). dst may be src itself.
func secXORStream(dst, src []byte, ks *[secMaxCTRBlocks * 16]byte) {
	le := binary.LittleEndian
	n := min(len(src), len(ks))
	dst, src = dst[:n], src[:n]
	if n >= 8 && n <= 16 {
		// Two words, the second overlapping the first when n < 16: both
		// are read before either is written, so dst may be src.
		a := le.Uint64(src) ^ le.Uint64(ks[:8])
		b := le.Uint64(src[n-8:]) ^ le.Uint64(ks[n-8:])
		le.PutUint64(dst, a)
		le.PutUint64(dst[n-8:], b)
		return
	}
	i := 0
	for ; i+8 <= n; i += 8 {
		le.PutUint64(dst[i:i+8], le.Uint64(src[i:i+8])^le.Uint64(ks[i:i+8]))
	}
	if i+4 <= n {
		le.PutUint32(dst[i:i+4], le.Uint32(src[i:i+4])^le.Uint32(ks[i:i+4]))
		i += 4
	}
	for ; i < n; i++ {
		dst[i] = src[i] ^ ks[i]
	}
}
