package lorawan_test

// Known answers built independently of the package: an AES-CMAC written from
// RFC 4493 section 2.4 over crypto/aes (checked against the RFC's own
// examples), and every LoRaWAN block (B0, B1, A_i, the key-derivation and
// join-accept MIC inputs) laid out byte by byte from the specifications
// (LoRaWAN 1.0.4 sections 4.3.3, 4.4, 6.2.5; LoRaWAN 1.1 sections 4.3.1.6,
// 4.3.3, 4.4, 6.1.2, 6.2.4, 6.2.5 and the 1.1 erratum on FOpts encryption).
// Only the exported API is used, so nothing here shares code with the
// implementation.

import (
	"bytes"
	"crypto/aes"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// indHex decodes hex with optional spaces; a malformed literal is a bug in
// the test itself.
func indHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)))
	if err != nil {
		t.Fatalf("bad hex literal %q: %v", s, err)
	}
	return b
}

func indKey(t testing.TB, s string) lorawan.AES128Key {
	t.Helper()
	var k lorawan.AES128Key
	if b := indHex(t, s); len(b) != 16 {
		t.Fatalf("key literal %q is not 16 bytes", s)
	} else {
		copy(k[:], b)
	}
	return k
}

// indAES encrypts one block.
func indAES(key, in []byte) []byte {
	c, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	out := make([]byte, 16)
	c.Encrypt(out, in)
	return out
}

// indShift1 is the RFC 4493 "<<1" of a 128-bit string, MSB first.
func indShift1(in []byte) []byte {
	out := make([]byte, 16)
	for i := 0; i < 16; i++ {
		out[i] = in[i] << 1
		if i < 15 {
			out[i] |= in[i+1] >> 7
		}
	}
	return out
}

// indSubkeys is RFC 4493 Generate_Subkey.
func indSubkeys(key []byte) (k1, k2 []byte) {
	l := indAES(key, make([]byte, 16))
	k1 = indShift1(l)
	if l[0]&0x80 != 0 {
		k1[15] ^= 0x87
	}
	k2 = indShift1(k1)
	if k1[0]&0x80 != 0 {
		k2[15] ^= 0x87
	}
	return k1, k2
}

// indCMAC is RFC 4493 AES-CMAC, step by step.
func indCMAC(key, m []byte) []byte {
	k1, k2 := indSubkeys(key)
	n := (len(m) + 15) / 16
	complete := n > 0 && len(m)%16 == 0
	if n == 0 {
		n = 1
	}
	last := make([]byte, 16)
	if complete {
		for i := range last {
			last[i] = m[16*(n-1)+i] ^ k1[i]
		}
	} else {
		tail := m[16*(n-1):]
		pad := make([]byte, 16)
		copy(pad, tail)
		pad[len(tail)] = 0x80
		for i := range last {
			last[i] = pad[i] ^ k2[i]
		}
	}
	x := make([]byte, 16)
	for i := 0; i < n-1; i++ {
		y := make([]byte, 16)
		for j := range y {
			y[j] = x[j] ^ m[16*i+j]
		}
		x = indAES(key, y)
	}
	y := make([]byte, 16)
	for j := range y {
		y[j] = x[j] ^ last[j]
	}
	return indAES(key, y)
}

func TestIndependentCMACAgainstRFC4493(t *testing.T) {
	key := indHex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	k1, k2 := indSubkeys(key)
	if got, want := hex.EncodeToString(k1), "fbeed618357133667c85e08f7236a8de"; got != want {
		t.Errorf("K1 = %s, want %s", got, want)
	}
	if got, want := hex.EncodeToString(k2), "f7ddac306ae266ccf90bc11ee46d513b"; got != want {
		t.Errorf("K2 = %s, want %s", got, want)
	}
	msg := indHex(t, "6bc1bee22e409f96e93d7e117393172a ae2d8a571e03ac9c9eb76fac45af8e51 30c81c46a35ce411e5fbc1191a0a52ef f69f2445df4f9b17ad2b417be66c3710")
	for _, tc := range []struct {
		n    int
		want string
	}{
		{0, "bb1d6929e95937287fa37d129b756746"},
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		t.Run(fmt.Sprintf("len%d", tc.n), func(t *testing.T) {
			if got := hex.EncodeToString(indCMAC(key, msg[:tc.n])); got != tc.want {
				t.Errorf("CMAC = %s, want %s", got, tc.want)
			}
		})
	}
}

// indLE returns the bytes of an MSB-first identifier in on-air order.
func indLE(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[len(b)-1-i] = b[i]
	}
	return out
}

// indBlock lays out B0, B1 and A_i (LoRaWAN 1.1 tables 4.3.1.6, 4.4):
// tag | b1 b2 | b3 | b4 | Dir | DevAddr (LE) | FCnt (LE, 32 bits) | 0x00 | b15.
func indBlock(tag byte, b12 uint16, b3, b4 byte, uplink bool, devAddr lorawan.DevAddr, fCnt uint32, b15 byte) []byte {
	dir := byte(0x01)
	if uplink {
		dir = 0x00
	}
	blk := []byte{tag, byte(b12), byte(b12 >> 8), b3, b4, dir}
	blk = append(blk, indLE(devAddr[:])...)
	blk = append(blk, byte(fCnt), byte(fCnt>>8), byte(fCnt>>16), byte(fCnt>>24), 0x00, b15)
	return blk
}

// indCTR encrypts or decrypts with S_i = AES(key, A_i), A_i = a with byte 15 = i.
func indCTR(key lorawan.AES128Key, a, src []byte) []byte {
	out := make([]byte, len(src))
	for i := 0; i < len(src); i += 16 {
		ai := bytes.Clone(a)
		ai[15] = byte(i/16 + 1)
		s := indAES(key[:], ai)
		for j := i; j < len(src) && j < i+16; j++ {
			out[j] = src[j] ^ s[j-i]
		}
	}
	return out
}

// indDataFrame builds an on-air data frame without MIC: MHDR | DevAddr |
// FCtrl | FCnt (16) | FOpts | [FPort | payload].
func indDataFrame(mhdr, fctrl byte, devAddr lorawan.DevAddr, fCnt uint32, fOpts []byte, fPort int, payload []byte) []byte {
	f := []byte{mhdr}
	f = append(f, indLE(devAddr[:])...)
	f = append(f, fctrl|byte(len(fOpts)), byte(fCnt), byte(fCnt>>8))
	f = append(f, fOpts...)
	if fPort >= 0 {
		f = append(f, byte(fPort))
		f = append(f, payload...)
	}
	return f
}

// indKeys are fixed, distinct session keys for the data-frame cases.
type indKeys struct{ fNwkSInt, sNwkSInt, nwkSEnc, appS lorawan.AES128Key }

func indSessionKeys(t testing.TB) indKeys {
	return indKeys{
		fNwkSInt: indKey(t, "3c5f1b2a9e8d7c6b5a4f3e2d1c0b0a99"),
		sNwkSInt: indKey(t, "a1b2c3d4e5f60718293a4b5c6d7e8f90"),
		nwkSEnc:  indKey(t, "0f1e2d3c4b5a69788796a5b4c3d2e1f0"),
		appS:     indKey(t, "00112233445566778899aabbccddeeff"),
	}
}

// indUplinkMIC is the specification's uplink MIC. 1.0: CMAC(NwkSKey, B0 |
// msg)[0:4]. 1.1: CMAC(SNwkSIntKey, B1 | msg)[0:2] | CMAC(FNwkSIntKey, B0 |
// msg)[0:2], B1 carrying ConfFCnt (only when ACK is set), TxDr and TxCh.
func indUplinkMIC(k indKeys, v11 bool, msg []byte, devAddr lorawan.DevAddr, fCnt uint32, confFCnt uint16, txDR, txCh byte) [4]byte {
	b0 := indBlock(0x49, 0, 0, 0, true, devAddr, fCnt, byte(len(msg)))
	cmacF := indCMAC(k.fNwkSInt[:], append(b0, msg...))
	if !v11 {
		return [4]byte(cmacF[:4])
	}
	if msg[5]&0x20 == 0 {
		confFCnt = 0
	}
	b1 := indBlock(0x49, confFCnt, txDR, txCh, true, devAddr, fCnt, byte(len(msg)))
	cmacS := indCMAC(k.sNwkSInt[:], append(b1, msg...))
	return [4]byte{cmacS[0], cmacS[1], cmacF[0], cmacF[1]}
}

// indDownlinkMIC is the specification's downlink MIC: CMAC(NwkSKey, B0 |
// msg)[0:4] in 1.0, CMAC(SNwkSIntKey, B0 | msg)[0:4] in 1.1 with ConfFCnt
// in B0 when ACK is set.
func indDownlinkMIC(k indKeys, v11 bool, msg []byte, devAddr lorawan.DevAddr, fCnt uint32, confFCnt uint16) [4]byte {
	key := k.fNwkSInt // NwkSKey in 1.0
	if v11 {
		key = k.sNwkSInt
	}
	if !v11 || msg[5]&0x20 == 0 {
		confFCnt = 0
	}
	b0 := indBlock(0x49, confFCnt, 0, 0, false, devAddr, fCnt, byte(len(msg)))
	return [4]byte(indCMAC(key[:], append(b0, msg...))[:4])
}

func indSessions(k indKeys) map[string]*lorawan.Session {
	return map[string]*lorawan.Session{
		"1.0": lorawan.NewSession10(k.fNwkSInt, k.appS),
		"1.1": lorawan.NewSession11(k.fNwkSInt, k.sNwkSInt, k.nwkSEnc, k.appS),
	}
}

// TestIndependentUplink checks UplinkMIC, OpenUplink and XORFRMPayload on
// uplinks of every shape against the specification's formulas: 1.0 and 1.1,
// ACK set or not with a ConfFCnt, TxDr/TxCh not zero, counters above 2^16,
// FOpts, FPort 0 and application ports, empty payloads and no FPort.
func TestIndependentUplink(t *testing.T) {
	k := indSessionKeys(t)
	sessions := indSessions(k)
	rng := rand.New(rand.NewPCG(1, 2))
	devAddrs := []lorawan.DevAddr{{0x26, 0x01, 0x1b, 0xda}, {0xfe, 0xdc, 0xba, 0x98}, {0, 0, 0, 1}}
	type shape struct {
		fOpts int
		fPort int // -1: none
		n     int
	}
	shapes := []shape{{0, -1, 0}, {3, -1, 0}, {0, 0, 0}, {0, 0, 5}, {0, 1, 0}, {0, 1, 1}, {0, 10, 4}, {0, 2, 7},
		{0, 3, 8}, {0, 200, 15}, {0, 42, 16}, {0, 42, 17}, {2, 42, 23}, {0, 9, 24}, {15, 223, 31}, {0, 1, 51},
		{5, 1, 100}, {0, 0, 222}, {0, 1, 242}}
	for i, sh := range shapes {
		for _, ack := range []bool{false, true} {
			for _, conf := range []bool{false, true} {
				for v, s := range sessions {
					v11 := v == "1.1"
					devAddr := devAddrs[i%len(devAddrs)]
					fCnt := []uint32{1, 0xffff, 0x10000, 0x0002a5f1, 0xfffffffe}[rng.IntN(5)]
					confFCnt := uint16(rng.Uint32())
					txDR, txCh := byte(rng.IntN(16)), byte(rng.IntN(256))
					plain := make([]byte, sh.n)
					for j := range plain {
						plain[j] = byte(rng.Uint32())
					}
					fOpts := make([]byte, sh.fOpts)
					for j := range fOpts {
						fOpts[j] = byte(rng.Uint32())
					}
					mhdr := byte(0x40)
					if conf {
						mhdr = 0x80
					}
					fctrl := byte(0x80)
					if ack {
						fctrl |= 0x20
					}
					if sh.fPort == 0 && sh.fOpts > 0 {
						continue // not a valid frame
					}
					// FRMPayload: AppSKey, or for FPort 0 NwkSKey (1.0) / NwkSEncKey (1.1).
					key := k.appS
					if sh.fPort == 0 {
						key = k.nwkSEnc
						if !v11 {
							key = k.fNwkSInt
						}
					}
					enc := indCTR(key, indBlock(0x01, 0, 0, 0, true, devAddr, fCnt, 0), plain)
					msg := indDataFrame(mhdr, fctrl, devAddr, fCnt, fOpts, sh.fPort, enc)
					mic := indUplinkMIC(k, v11, msg, devAddr, fCnt, confFCnt, txDR, txCh)
					name := fmt.Sprintf("%s/fopts%d/fport%d/len%d/ack=%v/conf=%v", v, sh.fOpts, sh.fPort, sh.n, ack, conf)
					t.Run(name, func(t *testing.T) {
						got, err := s.UplinkMIC(msg, devAddr, fCnt, confFCnt, txDR, txCh)
						if err != nil || got != mic {
							t.Errorf("UplinkMIC = %x, %v; want %x", got, err, mic)
						}
						if sh.fPort >= 0 {
							dec := make([]byte, sh.n)
							if err := s.XORFRMPayload(dec, enc, true, devAddr, fCnt, byte(sh.fPort)); err != nil || !bytes.Equal(dec, plain) {
								t.Errorf("XORFRMPayload = %x, %v; want %x", dec, err, plain)
							}
						}
						frame := append(bytes.Clone(msg), mic[:]...)
						var p lorawan.PHYPayload
						if err := p.UnmarshalBinary(frame); err != nil {
							t.Fatalf("UnmarshalBinary(%x): %v", frame, err)
						}
						dst := make([]byte, 256)
						ok, err := s.OpenUplink(new(lorawan.Scratch), frame, &p, fCnt, confFCnt, txDR, txCh, dst)
						if err != nil || !ok {
							t.Fatalf("OpenUplink = %v, %v; want true", ok, err)
						}
						if sh.fPort >= 0 && !bytes.Equal(dst[:sh.n], plain) {
							t.Errorf("OpenUplink plaintext %x, want %x", dst[:sh.n], plain)
						}
						// One bit off in the MIC, or the wrong TxCh in 1.1: refused.
						frame[len(frame)-1] ^= 0x01
						if ok, err := s.OpenUplink(new(lorawan.Scratch), frame, &p, fCnt, confFCnt, txDR, txCh, dst); ok || err != nil {
							t.Errorf("OpenUplink with a bad MIC = %v, %v; want false, nil", ok, err)
						}
						frame[len(frame)-1] ^= 0x01
						if v11 {
							if ok, _ := s.OpenUplink(new(lorawan.Scratch), frame, &p, fCnt, confFCnt, txDR, txCh^1, dst); ok {
								t.Error("OpenUplink accepted the frame with another TxCh")
							}
						}
					})
				}
			}
		}
	}
}

// TestIndependentDownlink checks DownlinkMIC and the downlink FRMPayload
// encryption: 1.1 signs with SNwkSIntKey and puts ConfFCnt in B0 when ACK is
// set; 1.0 ignores ConfFCnt.
func TestIndependentDownlink(t *testing.T) {
	k := indSessionKeys(t)
	devAddr := lorawan.DevAddr{0x01, 0x23, 0x45, 0x67}
	for v, s := range indSessions(k) {
		v11 := v == "1.1"
		for _, fCnt := range []uint32{0, 7, 0x1ffff, 0x80000001} {
			for _, ack := range []bool{false, true} {
				for _, fPort := range []int{-1, 0, 5} {
					t.Run(fmt.Sprintf("%s/fcnt%x/ack=%v/fport%d", v, fCnt, ack, fPort), func(t *testing.T) {
						plain := []byte("downlink payload of 26 byt")
						key := k.appS
						if fPort == 0 {
							key = k.nwkSEnc
							if !v11 {
								key = k.fNwkSInt
							}
						}
						var enc []byte
						if fPort >= 0 {
							enc = indCTR(key, indBlock(0x01, 0, 0, 0, false, devAddr, fCnt, 0), plain)
							got := make([]byte, len(plain))
							if err := s.XORFRMPayload(got, plain, false, devAddr, fCnt, byte(fPort)); err != nil || !bytes.Equal(got, enc) {
								t.Errorf("XORFRMPayload = %x, %v; want %x", got, err, enc)
							}
						}
						fctrl := byte(0x10)
						if ack {
							fctrl |= 0x20
						}
						msg := indDataFrame(0xa0, fctrl, devAddr, fCnt, nil, fPort, enc)
						want := indDownlinkMIC(k, v11, msg, devAddr, fCnt, 0xc0fe)
						got, err := s.DownlinkMIC(msg, devAddr, fCnt, 0xc0fe)
						if err != nil || got != want {
							t.Errorf("DownlinkMIC = %x, %v; want %x", got, err, want)
						}
					})
				}
			}
		}
	}
}

// TestIndependentFOpts checks 1.1 FOpts encryption with the erratum's A block:
// 0x01 | 00 00 00 | 0x01 (FCntUp, NFCntDown) or 0x02 (AFCntDown) | Dir |
// DevAddr | FCnt | 0x00 | 0x01, keyed with NwkSEncKey.
func TestIndependentFOpts(t *testing.T) {
	k := indSessionKeys(t)
	s := lorawan.NewSession11(k.fNwkSInt, k.sNwkSInt, k.nwkSEnc, k.appS)
	devAddr := lorawan.DevAddr{0x00, 0xab, 0xcd, 0xef}
	plain := indHex(t, "0305 0b01 0d 02 0601ff 0a03 20 02 0f10")
	for _, tc := range []struct {
		name      string
		uplink    bool
		aFCntDown bool
		sel       byte
	}{
		{"FCntUp", true, false, 0x01},
		{"NFCntDown", false, false, 0x01},
		{"AFCntDown", false, true, 0x02},
	} {
		for _, fCnt := range []uint32{1, 0x10001, 0xabcdef12} {
			for _, n := range []int{1, 2, 8, 15} {
				t.Run(fmt.Sprintf("%s/fcnt%x/len%d", tc.name, fCnt, n), func(t *testing.T) {
					want := indCTR(k.nwkSEnc, indBlock(0x01, 0, 0, tc.sel, tc.uplink, devAddr, fCnt, 0), plain[:n])
					got := make([]byte, n)
					if err := s.XORFOpts(got, plain[:n], tc.uplink, devAddr, fCnt, tc.aFCntDown); err != nil || !bytes.Equal(got, want) {
						t.Errorf("XORFOpts = %x, %v; want %x", got, err, want)
					}
				})
			}
		}
	}
	if err := lorawan.NewSession10(k.fNwkSInt, k.appS).XORFOpts(make([]byte, 2), []byte{2, 3}, true, devAddr, 1, false); err == nil {
		t.Error("a 1.0 session encrypted FOpts, which 1.0 sends in clear")
	}
}

// indRoot holds the root keys and identities of one device for the join cases.
type indRoot struct {
	appKey, nwkKey  lorawan.AES128Key
	joinEUI, devEUI lorawan.EUI64
}

// indJSKeys derives JSIntKey (0x06) and JSEncKey (0x05) = AES(NwkKey, t |
// DevEUI (LE) | pad16) (LoRaWAN 1.1 section 6.1.1.3).
func indJSKeys(r indRoot) (jsInt, jsEnc []byte) {
	in := make([]byte, 16)
	copy(in[1:], indLE(r.devEUI[:]))
	in[0] = 0x06
	jsInt = indAES(r.nwkKey[:], in)
	in[0] = 0x05
	jsEnc = indAES(r.nwkKey[:], in)
	return jsInt, jsEnc
}

// indDerive returns AES(key, t | fields... | pad16).
func indDerive(key []byte, t byte, fields ...[]byte) []byte {
	in := []byte{t}
	for _, f := range fields {
		in = append(in, f...)
	}
	in = append(in, make([]byte, 16-len(in))...)
	return indAES(key, in)
}

func indU24(v uint32) []byte { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
func indU16(v uint16) []byte { return []byte{byte(v), byte(v >> 8)} }

// indJoinAccept is the plaintext MHDR | JoinNonce | NetID | DevAddr |
// DLSettings | RxDelay [| CFList].
func indJoinAccept(joinNonce uint32, netID lorawan.NetID, devAddr lorawan.DevAddr, dlSettings, rxDelay byte, cfList []byte) []byte {
	m := []byte{0x20}
	m = append(m, indU24(joinNonce)...)
	m = append(m, indLE(netID[:])...)
	m = append(m, indLE(devAddr[:])...)
	m = append(m, dlSettings, rxDelay)
	return append(m, cfList...)
}

// TestIndependentJoin11 covers the LoRaWAN 1.1 join: the join-request and
// rejoin-request MICs, JSIntKey and JSEncKey from DevEUI (not JoinEUI), the
// join-accept MIC for each JoinReqType with its encryption key (NwkKey for a
// join-request, JSEncKey for a rejoin), and the session keys.
func TestIndependentJoin11(t *testing.T) {
	r := indRoot{
		appKey:  indKey(t, "7e8f9a0b1c2d3e4f5061728394a5b6c7"),
		nwkKey:  indKey(t, "c7b6a5948372615f4e3d2c1b0a9f8e7d"),
		joinEUI: lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x01},
		devEUI:  lorawan.EUI64{0x00, 0x80, 0xe1, 0x15, 0x00, 0x0a, 0x9b, 0x3c},
	}
	rk := lorawan.NewRootKeys11(r.appKey, r.nwkKey, r.devEUI)
	jsInt, jsEnc := indJSKeys(r)

	t.Run("JSIntKey and JSEncKey from DevEUI", func(t *testing.T) {
		gi, ge := lorawan.DeriveJSKeys(r.nwkKey, r.devEUI)
		if !bytes.Equal(gi[:], jsInt) || !bytes.Equal(ge[:], jsEnc) {
			t.Errorf("DeriveJSKeys = %x, %x; want %x, %x", gi, ge, jsInt, jsEnc)
		}
		wrong := indRoot{nwkKey: r.nwkKey, devEUI: r.joinEUI}
		if wi, _ := indJSKeys(wrong); bytes.Equal(gi[:], wi) {
			t.Error("JSIntKey equals the one derived from JoinEUI")
		}
	})

	t.Run("join-request MIC", func(t *testing.T) {
		msg := append([]byte{0x00}, indLE(r.joinEUI[:])...)
		msg = append(msg, indLE(r.devEUI[:])...)
		msg = append(msg, indU16(0x1a2b)...)
		want := [4]byte(indCMAC(r.nwkKey[:], msg)[:4])
		if got, err := rk.JoinRequestMIC(msg); err != nil || got != want {
			t.Errorf("JoinRequestMIC = %x, %v; want %x", got, err, want)
		}
	})

	netID := lorawan.NetID{0x00, 0x00, 0x13}
	t.Run("rejoin-request MICs", func(t *testing.T) {
		sNwkSInt := indKey(t, "5a5a5a5a00112233445566778899aabb")
		s := lorawan.NewSession11(indKey(t, "11111111111111111111111111111111"), sNwkSInt,
			indKey(t, "22222222222222222222222222222222"), indKey(t, "33333333333333333333333333333333"))
		for _, typ := range []byte{0, 2} {
			msg := []byte{0xc0, typ}
			msg = append(msg, indLE(netID[:])...)
			msg = append(msg, indLE(r.devEUI[:])...)
			msg = append(msg, indU16(0x0102)...)
			want := [4]byte(indCMAC(sNwkSInt[:], msg)[:4])
			if got, err := s.RejoinRequestMIC(msg); err != nil || got != want {
				t.Errorf("type %d: RejoinRequestMIC = %x, %v; want %x", typ, got, err, want)
			}
		}
		msg := []byte{0xc0, 0x01}
		msg = append(msg, indLE(r.joinEUI[:])...)
		msg = append(msg, indLE(r.devEUI[:])...)
		msg = append(msg, indU16(0xbeef)...)
		want := [4]byte(indCMAC(jsInt, msg)[:4])
		if got, err := rk.RejoinRequestMIC(msg); err != nil || got != want {
			t.Errorf("type 1: RejoinRequestMIC = %x, %v; want %x", got, err, want)
		}
	})

	cfList := indHex(t, "184f84 e85684 b85e84 886684 586e84 00")
	for _, jrt := range []lorawan.JoinReqType{lorawan.JoinReqTypeJoin, lorawan.JoinReqTypeRejoin0, lorawan.JoinReqTypeRejoin1, lorawan.JoinReqTypeRejoin2} {
		for _, withCF := range []bool{false, true} {
			t.Run(fmt.Sprintf("join-accept/type%02x/cflist=%v", byte(jrt), withCF), func(t *testing.T) {
				var cf []byte
				if withCF {
					cf = cfList
				}
				const devNonce = 0x0f0e
				plain := indJoinAccept(0xa1b2c3, netID, lorawan.DevAddr{0x26, 0x0b, 0x0c, 0x0d}, 0x80|0x30|0x05, 0x01, cf)
				in := []byte{byte(jrt)}
				in = append(in, indLE(r.joinEUI[:])...)
				in = append(in, indU16(devNonce)...)
				in = append(in, plain...)
				mic := indCMAC(jsInt, in)[:4]
				got, err := rk.JoinAcceptMIC(plain, jrt, r.joinEUI, devNonce)
				if err != nil || !bytes.Equal(got[:], mic) {
					t.Fatalf("JoinAcceptMIC = %x, %v; want %x", got, err, mic)
				}
				// On air: MHDR | aes128_decrypt(K, payload | MIC), K = NwkKey
				// for a join-request, JSEncKey for a rejoin-request.
				encKey := jsEnc
				if jrt == lorawan.JoinReqTypeJoin {
					encKey = r.nwkKey[:]
				}
				body := append(bytes.Clone(plain[1:]), mic...)
				c, _ := aes.NewCipher(encKey)
				want := []byte{0x20}
				for i := 0; i < len(body); i += 16 {
					blk := make([]byte, 16)
					c.Decrypt(blk, body[i:i+16])
					want = append(want, blk...)
				}
				air, err := rk.AppendJoinAccept(nil, plain, jrt, r.joinEUI, devNonce)
				if err != nil || !bytes.Equal(air, want) {
					t.Fatalf("AppendJoinAccept = %x, %v; want %x", air, err, want)
				}
				back := make([]byte, len(air)-1)
				if err := rk.DecryptJoinAccept(back, air[1:], jrt); err != nil || !bytes.Equal(back, body) {
					t.Errorf("DecryptJoinAccept = %x, %v; want %x", back, err, body)
				}
			})
		}
	}

	t.Run("session keys", func(t *testing.T) {
		const joinNonce, devNonce = 0x00c0de, 0x7f01
		fields := [][]byte{indU24(joinNonce), indLE(r.joinEUI[:]), indU16(devNonce)}
		got, err := rk.SessionKeys11(joinNonce, r.joinEUI, devNonce)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			got  lorawan.AES128Key
			want []byte
		}{
			{"FNwkSIntKey", got.FNwkSIntKey, indDerive(r.nwkKey[:], 0x01, fields...)},
			{"AppSKey", got.AppSKey, indDerive(r.appKey[:], 0x02, fields...)},
			{"SNwkSIntKey", got.SNwkSIntKey, indDerive(r.nwkKey[:], 0x03, fields...)},
			{"NwkSEncKey", got.NwkSEncKey, indDerive(r.nwkKey[:], 0x04, fields...)},
		} {
			if !bytes.Equal(c.got[:], c.want) {
				t.Errorf("%s = %x, want %x", c.name, c.got, c.want)
			}
		}
	})
}

// TestIndependentJoin10 covers the LoRaWAN 1.0 join and a 1.1 device that
// joins a 1.0 network (OptNeg unset): the MIC is CMAC(root, MHDR | payload)
// and the keys AES(root, t | JoinNonce | NetID | DevNonce | pad16), the root
// key being AppKey in 1.0 and NwkKey for a 1.1 device.
func TestIndependentJoin10(t *testing.T) {
	appKey := indKey(t, "2b7e151628aed2a6abf7158809cf4f3c")
	nwkKey := indKey(t, "9a8b7c6d5e4f30211203f4e5d6c7b8a9")
	devEUI := lorawan.EUI64{0xde, 0xad, 0xbe, 0xef, 0x00, 0x11, 0x22, 0x33}
	netID := lorawan.NetID{0x60, 0x00, 0x13}
	const joinNonce, devNonce = 0x123456, 0xa0b1
	for _, tc := range []struct {
		name string
		rk   *lorawan.RootKeys
		root lorawan.AES128Key
	}{
		{"1.0 device", lorawan.NewRootKeys10(appKey), appKey},
		{"1.1 device, OptNeg unset", lorawan.NewRootKeys11(appKey, nwkKey, devEUI), nwkKey},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fields := [][]byte{indU24(joinNonce), indLE(netID[:]), indU16(devNonce)}
			nwkS, appS, err := tc.rk.SessionKeys10(joinNonce, netID, devNonce)
			if err != nil {
				t.Fatal(err)
			}
			if want := indDerive(tc.root[:], 0x01, fields...); !bytes.Equal(nwkS[:], want) {
				t.Errorf("NwkSKey = %x, want %x", nwkS, want)
			}
			if want := indDerive(tc.root[:], 0x02, fields...); !bytes.Equal(appS[:], want) {
				t.Errorf("AppSKey = %x, want %x", appS, want)
			}
			plain := indJoinAccept(joinNonce, netID, lorawan.DevAddr{1, 2, 3, 4}, 0x12, 0x03, nil)
			want := indCMAC(tc.root[:], plain)[:4]
			got, err := tc.rk.JoinAcceptMIC(plain, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)
			if err != nil || !bytes.Equal(got[:], want) {
				t.Errorf("JoinAcceptMIC = %x, %v; want %x", got, err, want)
			}
		})
	}

	// DLSettings bit 7 is RFU in LoRaWAN 1.0 (1.0.4 section 6.2.5): a 1.0
	// device checks CMAC(AppKey, MHDR | ...) over the bytes it received,
	// whatever that bit holds (a join-accept meant for another device, or
	// one signed the 1.1 way, then simply fails the check). Only the sender
	// must keep it zero: building such a join-accept for a 1.0 device is
	// refused.
	t.Run("1.0 device, DLSettings bit 7 set", func(t *testing.T) {
		rk := lorawan.NewRootKeys10(appKey)
		plain := indJoinAccept(joinNonce, netID, lorawan.DevAddr{1, 2, 3, 4}, 0x80|0x12, 0x03, nil)
		want := indCMAC(appKey[:], plain)[:4]
		got, err := rk.JoinAcceptMIC(plain, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)
		if err != nil || !bytes.Equal(got[:], want) {
			t.Errorf("JoinAcceptMIC = %x, %v; want %x", got, err, want)
		}
		if out, err := rk.AppendJoinAccept(nil, plain, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0); err == nil {
			t.Errorf("AppendJoinAccept built %x with OptNeg set for a 1.0 device", out)
		}
	})
}

// TestIndependentFullFCnt rebuilds 32-bit counters and checks that the MIC
// uses all 32 bits: the same frame signed with FCnt and FCnt+2^16 differs.
func TestIndependentFullFCnt(t *testing.T) {
	for _, tc := range []struct {
		last  uint32
		onAir uint16
		want  uint32
	}{
		{0, 0, 0}, {0, 5, 5}, {0xfffe, 0xffff, 0xffff}, {0xffff, 0x0000, 0x10000},
		{0x1fff0, 0x0003, 0x20003}, {0x2a5f1, 0xa5f1, 0x2a5f1}, {0x2a5f2, 0xa5f1, 0x3a5f1},
	} {
		if got := lorawan.FullFCnt(tc.last, tc.onAir); got != tc.want {
			t.Errorf("FullFCnt(%#x, %#x) = %#x, want %#x", tc.last, tc.onAir, got, tc.want)
		}
	}
	k := indSessionKeys(t)
	devAddr := lorawan.DevAddr{1, 2, 3, 4}
	msg := indDataFrame(0x40, 0, devAddr, 0x10005, nil, 1, []byte{1, 2, 3})
	s := lorawan.NewSession10(k.fNwkSInt, k.appS)
	lo, _ := s.UplinkMIC(msg, devAddr, 0x5, 0, 0, 0)
	hi, _ := s.UplinkMIC(msg, devAddr, 0x10005, 0, 0, 0)
	if lo == hi {
		t.Error("FCnt 0x5 and 0x10005 give the same MIC")
	}
	if want := indUplinkMIC(k, false, msg, devAddr, 0x10005, 0, 0, 0); hi != want {
		t.Errorf("MIC with FCnt 0x10005 = %x, want %x", hi, want)
	}
}
