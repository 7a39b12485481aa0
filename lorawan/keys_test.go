package lorawan

import (
	"bytes"
	"crypto/aes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
)

var (
	secTestAppKey  = AES128Key{0xa0, 0x0a, 1}
	secTestNwkKey  = AES128Key{0xb0, 0x0b, 2}
	secTestDevEUI  = EUI64{0x00, 0x80, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03}
	secTestJoinEUI = EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x01}
)

// secRefAES returns AES(key, in) for a 16-byte in.
func secRefAES(key AES128Key, in []byte) AES128Key {
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic(err)
	}
	var out AES128Key
	block.Encrypt(out[:], in)
	return out
}

// secRefDerive builds tag | fields | pad16 and encrypts it under key.
func secRefDerive(key AES128Key, tag byte, fields ...[]byte) AES128Key {
	in := []byte{tag}
	for _, f := range fields {
		in = append(in, f...)
	}
	in = append(in, make([]byte, 16-len(in))...)
	return secRefAES(key, in)
}

func secLE24(v uint32) []byte    { return []byte{byte(v), byte(v >> 8), byte(v >> 16)} }
func secLE16(v uint16) []byte    { return []byte{byte(v), byte(v >> 8)} }
func secLEBytes(b []byte) []byte { return vecLE(b) }

func TestSessionKeysSpec(t *testing.T) {
	joinNonce, devNonce := uint32(0xabcdef), uint16(0x1234)
	netID := NetID{0x00, 0x00, 0x13}
	t.Run("1.0", func(t *testing.T) {
		nwkS, appS, err := NewRootKeys10(secTestAppKey).SessionKeys10(joinNonce, netID, devNonce)
		if err != nil {
			t.Fatal(err)
		}
		fields := [][]byte{secLE24(joinNonce), secLEBytes(netID[:]), secLE16(devNonce)}
		if want := secRefDerive(secTestAppKey, 0x01, fields...); nwkS != want {
			t.Errorf("NwkSKey = %x, want %x", nwkS, want)
		}
		if want := secRefDerive(secTestAppKey, 0x02, fields...); appS != want {
			t.Errorf("AppSKey = %x, want %x", appS, want)
		}
	})
	t.Run("1.1 device, OptNeg unset: NwkKey, not AppKey", func(t *testing.T) {
		nwkS, appS, err := NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI).SessionKeys10(joinNonce, netID, devNonce)
		if err != nil {
			t.Fatal(err)
		}
		fields := [][]byte{secLE24(joinNonce), secLEBytes(netID[:]), secLE16(devNonce)}
		if want := secRefDerive(secTestNwkKey, 0x01, fields...); nwkS != want {
			t.Errorf("NwkSKey = %x, want %x", nwkS, want)
		}
		if want := secRefDerive(secTestNwkKey, 0x02, fields...); appS != want {
			t.Errorf("AppSKey = %x, want %x", appS, want)
		}
	})
	t.Run("1.1", func(t *testing.T) {
		got, err := NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI).SessionKeys11(joinNonce, secTestJoinEUI, devNonce)
		if err != nil {
			t.Fatal(err)
		}
		fields := [][]byte{secLE24(joinNonce), secLEBytes(secTestJoinEUI[:]), secLE16(devNonce)}
		want := SessionKeys11{
			FNwkSIntKey: secRefDerive(secTestNwkKey, 0x01, fields...),
			AppSKey:     secRefDerive(secTestAppKey, 0x02, fields...),
			SNwkSIntKey: secRefDerive(secTestNwkKey, 0x03, fields...),
			NwkSEncKey:  secRefDerive(secTestNwkKey, 0x04, fields...),
		}
		if got != want {
			t.Errorf("keys = %x, want %x", got, want)
		}
	})
}

// TestJoinServerKeys checks JSIntKey (through the rejoin type 1 MIC) and
// JSEncKey (through a join-accept answering a rejoin) against their
// definitions.
func TestJoinServerKeys(t *testing.T) {
	r := NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI)
	jsInt := secRefDerive(secTestNwkKey, 0x06, secLEBytes(secTestDevEUI[:]))
	jsEnc := secRefDerive(secTestNwkKey, 0x05, secLEBytes(secTestDevEUI[:]))

	msg := append([]byte{0xc0, 0x01}, secLEBytes(secTestJoinEUI[:])...)
	msg = append(msg, secLEBytes(secTestDevEUI[:])...)
	msg = append(msg, secLE16(7)...)
	got, err := r.RejoinRequestMIC(msg)
	if err != nil {
		t.Fatal(err)
	}
	if want := secMIC4(secRefCMAC(jsInt[:], msg)); got != want {
		t.Errorf("rejoin type 1 mic = %x, want CMAC(JSIntKey) %x", got, want)
	}

	src := bytes.Repeat([]byte{0x5a}, 16)
	enc := make([]byte, 16)
	if err := r.EncryptJoinAccept(enc, src, JoinReqTypeRejoin2); err != nil {
		t.Fatal(err)
	}
	// The network encrypts with AES decrypt: AES encrypt under JSEncKey undoes it.
	if back := secRefAES(jsEnc, enc); !bytes.Equal(back[:], src) {
		t.Errorf("join-accept for a rejoin is not under JSEncKey: AES(JSEncKey, %x) = %x, want %x", enc, back, src)
	}
}

func TestJoinRequestMIC(t *testing.T) {
	msg := []byte{0x00}
	msg = append(msg, secLEBytes(secTestJoinEUI[:])...)
	msg = append(msg, secLEBytes(secTestDevEUI[:])...)
	msg = append(msg, secLE16(0x0102)...)
	for name, tc := range map[string]struct {
		r   *RootKeys
		key AES128Key
	}{
		"1.0 AppKey": {NewRootKeys10(secTestAppKey), secTestAppKey},
		"1.1 NwkKey": {NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI), secTestNwkKey},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := tc.r.JoinRequestMIC(msg)
			if err != nil {
				t.Fatal(err)
			}
			if want := secMIC4(secRefCMAC(tc.key[:], msg)); got != want {
				t.Errorf("mic = %x, want %x", got, want)
			}
			for i := range msg {
				m := bytes.Clone(msg)
				m[i] ^= 0x01
				if other, _ := tc.r.JoinRequestMIC(m); other == got {
					t.Errorf("flipping byte %d leaves the mic %x", i, got)
				}
			}
		})
	}
}

// secTestJoinAccept returns a plaintext MHDR | payload with OptNeg as asked.
func secTestJoinAccept(optNeg, cfList bool) []byte {
	dls := byte(0x15)
	if optNeg {
		dls |= 0x80
	}
	msg := []byte{0x20, 0x01, 0x00, 0x00, 0x13, 0x00, 0x00, 0xda, 0x1b, 0x01, 0x26, dls, 0x01}
	if cfList {
		msg = append(msg, 0x18, 0x4f, 0x84, 0xe8, 0x56, 0x84, 0xb8, 0x5e, 0x84, 0x88, 0x66, 0x84, 0x58, 0x6e, 0x84, 0x00)
	}
	return msg
}

// TestJoinAcceptSpec builds join-accepts for every kind of exchange and
// checks MIC and encryption against the definitions, then opens them again
// as a device would.
func TestJoinAcceptSpec(t *testing.T) {
	jsInt := secRefDerive(secTestNwkKey, 0x06, secLEBytes(secTestDevEUI[:]))
	jsEnc := secRefDerive(secTestNwkKey, 0x05, secLEBytes(secTestDevEUI[:]))
	const devNonce = 0x0a0b
	for _, tc := range []struct {
		name    string
		r       *RootKeys
		optNeg  bool
		jrt     JoinReqType
		micKey  AES128Key
		encKey  AES128Key
		prefix1 bool // the 1.1 MIC prefix JoinReqType | JoinEUI | DevNonce
	}{
		{"1.0", NewRootKeys10(secTestAppKey), false, JoinReqTypeJoin, secTestAppKey, secTestAppKey, false},
		{"1.1 on a 1.0 network", NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI), false, JoinReqTypeJoin, secTestNwkKey, secTestNwkKey, false},
		{"1.1 join-request", NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI), true, JoinReqTypeJoin, jsInt, secTestNwkKey, true},
		{"1.1 rejoin 0", NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI), true, JoinReqTypeRejoin0, jsInt, jsEnc, true},
		{"1.1 rejoin 1", NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI), true, JoinReqTypeRejoin1, jsInt, jsEnc, true},
		{"1.1 rejoin 2", NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI), true, JoinReqTypeRejoin2, jsInt, jsEnc, true},
	} {
		for _, cfList := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cflist=%v", tc.name, cfList), func(t *testing.T) {
				msg := secTestJoinAccept(tc.optNeg, cfList)
				covered := msg
				if tc.prefix1 {
					covered = append([]byte{byte(tc.jrt)}, secLEBytes(secTestJoinEUI[:])...)
					covered = append(covered, secLE16(devNonce)...)
					covered = append(covered, msg...)
				}
				wantMIC := secMIC4(secRefCMAC(tc.micKey[:], covered))
				mic, err := tc.r.JoinAcceptMIC(msg, tc.jrt, secTestJoinEUI, devNonce)
				if err != nil {
					t.Fatal(err)
				}
				if mic != wantMIC {
					t.Fatalf("mic = %x, want %x", mic, wantMIC)
				}
				plain := append(bytes.Clone(msg[1:]), wantMIC[:]...)
				block, err := aes.NewCipher(tc.encKey[:])
				if err != nil {
					t.Fatal(err)
				}
				want := []byte{msg[0]}
				for i := 0; i < len(plain); i += 16 {
					out := make([]byte, 16)
					block.Decrypt(out, plain[i:i+16])
					want = append(want, out...)
				}
				got, err := tc.r.AppendJoinAccept(nil, msg, tc.jrt, secTestJoinEUI, devNonce)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("join-accept = %x, want %x", got, want)
				}
				// The device side: decrypt in place, then check the MIC.
				if err := tc.r.DecryptJoinAccept(got[1:], got[1:], tc.jrt); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got[1:], plain) {
					t.Errorf("decrypted = %x, want %x", got[1:], plain)
				}
			})
		}
	}
}

// TestJoinAcceptPublicExample opens a join-accept published with its AppKey
// and decoded fields (a widely quoted LoRaWAN 1.0 example, not in the
// secVector file).
func TestJoinAcceptPublicExample(t *testing.T) {
	phy := secMustHex(t, "204dd85ae608b87fc4889970b7d2042c9e72959b0057aed6094b16003df12de145")
	r := NewRootKeys10(secMustKey(t, "b6b53f4a168a7a88bdf7ea135ce9cfca"))
	plain := make([]byte, len(phy)-1)
	if err := r.DecryptJoinAccept(plain, phy[1:], JoinReqTypeJoin); err != nil {
		t.Fatal(err)
	}
	// JoinNonce e5063a, NetID 000013, DevAddr 26012e43, DLSettings 03,
	// RxDelay 01, CFList 867.1 to 867.9 MHz, MIC 55121de0.
	want := secMustHex(t, "3a06e5"+"130000"+"432e0126"+"03"+"01"+"184f84e85684b85e84886684586e8400"+"55121de0")
	if !bytes.Equal(plain, want) {
		t.Fatalf("plaintext = %x, want %x", plain, want)
	}
	msg := append([]byte{phy[0]}, plain[:len(plain)-4]...)
	mic, err := r.JoinAcceptMIC(msg, JoinReqTypeJoin, EUI64{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if mic != [4]byte(plain[len(plain)-4:]) {
		t.Errorf("mic = %x, want %x", mic, plain[len(plain)-4:])
	}
	out, err := r.AppendJoinAccept(nil, msg, JoinReqTypeJoin, EUI64{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out, phy) {
		t.Errorf("rebuilt = %x, want %x", out, phy)
	}
}

func TestRootKeysErrors(t *testing.T) {
	r10 := NewRootKeys10(secTestAppKey)
	r11 := NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI)
	ja := secTestJoinAccept(false, false)
	jaOptNeg := secTestJoinAccept(true, false)
	buf := make([]byte, 64)
	for _, tc := range []struct {
		name      string
		call      func() error
		malformed bool
	}{
		{"join-request of 18 bytes", func() error { _, err := r10.JoinRequestMIC(make([]byte, 18)); return err }, true},
		{"join-request of 23 bytes (with mic)", func() error { _, err := r11.JoinRequestMIC(make([]byte, 23)); return err }, true},
		{"rejoin type 1 of 19 bytes", func() error { _, err := r11.RejoinRequestMIC(make([]byte, 19)); return err }, true},
		{"rejoin type 0 on root keys", func() error { _, err := r11.RejoinRequestMIC([]byte{0xc0, 0, 19: 0}); return err }, false},
		{"rejoin on a 1.0 device", func() error { _, err := r10.RejoinRequestMIC([]byte{0xc0, 1, 19: 0}); return err }, false},
		{"join-accept mic of 12 bytes", func() error { _, err := r10.JoinAcceptMIC(ja[:12], JoinReqTypeJoin, EUI64{}, 0); return err }, true},
		{"join-accept mic of 17 bytes (with mic)", func() error {
			_, err := r10.JoinAcceptMIC(append(bytes.Clone(ja), 1, 2, 3, 4), JoinReqTypeJoin, EUI64{}, 0)
			return err
		}, true},
		{"join-accept mic of 30 bytes", func() error { _, err := r11.JoinAcceptMIC(make([]byte, 30), JoinReqTypeJoin, EUI64{}, 0); return err }, true},
		{"join-accept mic, unknown type", func() error { _, err := r11.JoinAcceptMIC(jaOptNeg, 3, EUI64{}, 0); return err }, false},
		{"join-accept with OptNeg for a 1.0 device", func() error {
			_, err := r10.AppendJoinAccept(nil, jaOptNeg, JoinReqTypeJoin, EUI64{}, 0)
			return err
		}, false},
		{"join-accept mic, rejoin without OptNeg", func() error { _, err := r11.JoinAcceptMIC(ja, JoinReqTypeRejoin0, EUI64{}, 0); return err }, false},
		{"join-accept mic, rejoin for a 1.0 device", func() error { _, err := r10.JoinAcceptMIC(ja, JoinReqTypeRejoin2, EUI64{}, 0); return err }, false},
		{"encrypt 17 bytes", func() error { return r10.EncryptJoinAccept(buf, buf[:17], JoinReqTypeJoin) }, true},
		{"decrypt 15 bytes", func() error { return r11.DecryptJoinAccept(buf, buf[:15], JoinReqTypeJoin) }, true},
		{"decrypt 33 bytes", func() error { return r11.DecryptJoinAccept(buf, buf[:33], JoinReqTypeJoin) }, true},
		{"encrypt into a short dst", func() error { return r11.EncryptJoinAccept(buf[:16], buf[16:48], JoinReqTypeJoin) }, false},
		{"encrypt, unknown type", func() error { return r11.EncryptJoinAccept(buf, buf[:16], 0x7f) }, false},
		{"encrypt for a rejoin, 1.0 device", func() error { return r10.EncryptJoinAccept(buf, buf[:16], JoinReqTypeRejoin1) }, false},
		{"append join-accept of 14 bytes", func() error {
			_, err := r10.AppendJoinAccept(nil, make([]byte, 14), JoinReqTypeJoin, EUI64{}, 0)
			return err
		}, true},
		{"session keys 1.0, joinnonce of 25 bits", func() error { _, _, err := r10.SessionKeys10(1<<24, NetID{}, 0); return err }, true},
		{"session keys 1.1, joinnonce of 25 bits", func() error { _, err := r11.SessionKeys11(1<<24, EUI64{}, 0); return err }, true},
		{"session keys 1.1 for a 1.0 device", func() error { _, err := r10.SessionKeys11(1, EUI64{}, 0); return err }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if err == nil {
				t.Fatal("no error")
			}
			if got := errors.Is(err, ErrMalformed); got != tc.malformed {
				t.Errorf("errors.Is(%v, ErrMalformed) = %v, want %v", err, got, tc.malformed)
			}
		})
	}
	// AppendJoinAccept leaves dst as it was on error.
	dst := []byte("keep")
	out, err := r10.AppendJoinAccept(dst, jaOptNeg, JoinReqTypeJoin, EUI64{}, 0)
	if err == nil || !bytes.Equal(out, []byte("keep")) {
		t.Errorf("AppendJoinAccept on error = %q, %v; want \"keep\" and an error", out, err)
	}
}

// TestJoinZeroAlloc asserts that a join with cached root keys (request MIC,
// session keys, join-accept into a reused buffer) allocates nothing.
func TestJoinZeroAlloc(t *testing.T) {
	r := NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI)
	req := make([]byte, 19)
	ja := secTestJoinAccept(true, true)
	out := make([]byte, 0, 64)
	got := testing.AllocsPerRun(100, func() {
		if _, err := r.JoinRequestMIC(req); err != nil {
			t.Fatal(err)
		}
		if _, err := r.SessionKeys11(binary.LittleEndian.Uint32(ja[1:5])&0xffffff, secTestJoinEUI, 1); err != nil {
			t.Fatal(err)
		}
		var err error
		if out, err = r.AppendJoinAccept(out[:0], ja, JoinReqTypeJoin, secTestJoinEUI, 1); err != nil {
			t.Fatal(err)
		}
	})
	if got != 0 {
		t.Errorf("%v allocations per join, want 0", got)
	}
}

// A join server answers a LoRaWAN 1.0 join-request: it checks the MIC with
// the device's cached root keys, derives the session keys and builds the
// encrypted join-accept.
func ExampleRootKeys_AppendJoinAccept() {
	appKey, _ := ParseAES128Key("0102030405060708090a0b0c0d0e0f10")
	r := NewRootKeys10(appKey)

	req, _ := hex.DecodeString("0001010101010101010202020202020202030309b97b32")
	var p PHYPayload
	if err := p.UnmarshalBinary(req); err != nil {
		fmt.Println(err)
		return
	}
	if mic, err := r.JoinRequestMIC(req[:19]); err != nil || mic != p.MIC {
		fmt.Println("mic mismatch")
		return
	}
	ja := JoinAcceptPayload{JoinNonce: 0x010101, NetID: NetID{2, 2, 2}, DevAddr: DevAddr{1, 2, 3, 4}}
	nwkSKey, appSKey, err := r.SessionKeys10(ja.JoinNonce, ja.NetID, p.JoinRequest.DevNonce)
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = NewSession10(nwkSKey, appSKey) // kept for the device's uplinks

	msg, err := ja.AppendBinary([]byte{0x20}) // MHDR: JoinAccept
	if err != nil {
		fmt.Println(err)
		return
	}
	out, err := r.AppendJoinAccept(nil, msg, JoinReqTypeJoin, p.JoinRequest.JoinEUI, p.JoinRequest.DevNonce)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%x\n", out)
	// Output: 2023cf335489aae3183c0be0baa8dee5f3
}
