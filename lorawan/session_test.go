package lorawan

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

// Distinct keys, so that a wrong key choice shows.
var (
	secTestFNwkSIntKey = AES128Key{0xf1, 0x01}
	secTestSNwkSIntKey = AES128Key{0x51, 0x02}
	secTestNwkSEncKey  = AES128Key{0xe1, 0x03}
	secTestAppSKey     = AES128Key{0xa1, 0x04}
)

func secTestSessions() map[MACVersion]*Session {
	return map[MACVersion]*Session{
		MACVersion1_0: NewSession10(secTestFNwkSIntKey, secTestAppSKey),
		MACVersion1_1: NewSession11(secTestFNwkSIntKey, secTestSNwkSIntKey, secTestNwkSEncKey, secTestAppSKey),
	}
}

// secTestFrame returns MHDR | FHDR | FPort | FRMPayload for n payload bytes.
func secTestFrame(mhdr, fctrl byte, devAddr DevAddr, fCnt uint32, n int) []byte {
	msg := []byte{mhdr, devAddr[3], devAddr[2], devAddr[1], devAddr[0], fctrl, byte(fCnt), byte(fCnt >> 8), 1}
	for i := range n {
		msg = append(msg, byte(i*13+5))
	}
	return msg
}

func secMIC4(tag [16]byte) [4]byte { return [4]byte(tag[:4]) }

// TestUplinkMICSpec computes the MIC from the specification's formulas with
// the reference CMAC and hand-built B0/B1.
func TestUplinkMICSpec(t *testing.T) {
	devAddr := DevAddr{0x26, 0x01, 0x1b, 0xda}
	for _, n := range []int{0, 1, 7, 8, 12, 23, 24, 51, 100, 242} {
		for _, ack := range []bool{false, true} {
			fCnt := uint32(0x0001fffe) + uint32(n)
			fctrl := byte(0x80)
			if ack {
				fctrl |= 0x20
			}
			msg := secTestFrame(0x40, fctrl, devAddr, fCnt, n)
			b0 := secRefBlock(0x49, 0, 0, 0, true, devAddr, fCnt, byte(len(msg)))
			conf := uint16(0)
			if ack {
				conf = 0x1234
			}
			b1 := secRefBlock(0x49, conf, 5, 2, true, devAddr, fCnt, byte(len(msg)))
			cmacF := secRefCMAC(secTestFNwkSIntKey[:], append(b0, msg...))
			cmacS := secRefCMAC(secTestSNwkSIntKey[:], append(b1, msg...))
			want := map[MACVersion][4]byte{
				MACVersion1_0: secMIC4(cmacF),
				MACVersion1_1: {cmacS[0], cmacS[1], cmacF[0], cmacF[1]},
			}
			for v, s := range secTestSessions() {
				t.Run(fmt.Sprintf("%v/len%d/ack=%v", v, n, ack), func(t *testing.T) {
					got, err := s.UplinkMIC(msg, devAddr, fCnt, 0x1234, 5, 2)
					if err != nil {
						t.Fatal(err)
					}
					if got != want[v] {
						t.Errorf("mic = %x, want %x", got, want[v])
					}
				})
			}
		}
	}
}

func TestDownlinkMICSpec(t *testing.T) {
	devAddr := DevAddr{1, 2, 3, 4}
	for _, n := range []int{0, 9, 40} {
		for _, ack := range []bool{false, true} {
			fCnt := uint32(0x12345678)
			fctrl := byte(0x10)
			if ack {
				fctrl |= 0x20
			}
			msg := secTestFrame(0x60, fctrl, devAddr, fCnt, n)
			conf := uint16(0)
			if ack {
				conf = 0xabcd
			}
			want := map[MACVersion][4]byte{
				MACVersion1_0: secMIC4(secRefCMAC(secTestFNwkSIntKey[:], append(secRefBlock(0x49, 0, 0, 0, false, devAddr, fCnt, byte(len(msg))), msg...))),
				MACVersion1_1: secMIC4(secRefCMAC(secTestSNwkSIntKey[:], append(secRefBlock(0x49, conf, 0, 0, false, devAddr, fCnt, byte(len(msg))), msg...))),
			}
			for v, s := range secTestSessions() {
				t.Run(fmt.Sprintf("%v/len%d/ack=%v", v, n, ack), func(t *testing.T) {
					got, err := s.DownlinkMIC(msg, devAddr, fCnt, 0xabcd)
					if err != nil {
						t.Fatal(err)
					}
					if got != want[v] {
						t.Errorf("mic = %x, want %x", got, want[v])
					}
				})
			}
		}
	}
}

// TestMICFieldSensitivity changes one B0/B1 input at a time: the MIC must
// change exactly when the specification puts that input in a block.
func TestMICFieldSensitivity(t *testing.T) {
	type in struct {
		up      bool
		msg     []byte
		devAddr DevAddr
		fCnt    uint32
		conf    uint16
		txDR    uint8
		txCh    uint8
	}
	base := in{up: true, devAddr: DevAddr{1, 2, 3, 4}, fCnt: 0x00050007, conf: 9, txDR: 3, txCh: 1}
	base.msg = secTestFrame(0x40, 0x20, base.devAddr, base.fCnt, 12) // ACK set
	noACK := base
	noACK.msg = secTestFrame(0x40, 0x00, base.devAddr, base.fCnt, 12)
	mic := func(t *testing.T, s *Session, x in) [4]byte {
		t.Helper()
		var m [4]byte
		var err error
		if x.up {
			m, err = s.UplinkMIC(x.msg, x.devAddr, x.fCnt, x.conf, x.txDR, x.txCh)
		} else {
			m, err = s.DownlinkMIC(x.msg, x.devAddr, x.fCnt, x.conf)
		}
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name   string
		from   in
		change func(*in)
		// changes says whether the MIC must change, per version.
		changes10, changes11 bool
	}{
		{"direction", base, func(x *in) { x.up = false }, true, true},
		{"devaddr", base, func(x *in) { x.devAddr[0] ^= 1 }, true, true},
		{"fcnt low bits", base, func(x *in) { x.fCnt ^= 1 }, true, true},
		{"fcnt bit 16 (not on air)", base, func(x *in) { x.fCnt ^= 1 << 16 }, true, true},
		{"fcnt bit 31 (not on air)", base, func(x *in) { x.fCnt ^= 1 << 31 }, true, true},
		{"msg byte", base, func(x *in) { x.msg = bytes.Clone(x.msg); x.msg[12] ^= 0x40 }, true, true},
		{"msg length", base, func(x *in) { x.msg = x.msg[:len(x.msg)-1] }, true, true},
		{"confFCnt with ACK", base, func(x *in) { x.conf++ }, false, true},
		{"confFCnt without ACK", noACK, func(x *in) { x.conf++ }, false, false},
		{"txDR", base, func(x *in) { x.txDR++ }, false, true},
		{"txCh", base, func(x *in) { x.txCh++ }, false, true},
		{"downlink confFCnt with ACK", in{msg: base.msg, devAddr: base.devAddr, fCnt: 3}, func(x *in) { x.conf++ }, false, true},
		{"downlink confFCnt without ACK", in{msg: noACK.msg, devAddr: base.devAddr, fCnt: 3}, func(x *in) { x.conf++ }, false, false},
	} {
		for v, s := range secTestSessions() {
			t.Run(tc.name+"/"+v.String(), func(t *testing.T) {
				before := mic(t, s, tc.from)
				x := tc.from
				tc.change(&x)
				after := mic(t, s, x)
				want := tc.changes10
				if v == MACVersion1_1 {
					want = tc.changes11
				}
				if got := before != after; got != want {
					t.Errorf("mic changed = %v (%x -> %x), want %v", got, before, after, want)
				}
			})
		}
	}
}

// TestXORFRMPayloadSpec checks FRMPayload encryption against A_i blocks
// built by hand, and the key the specification picks per FPort and version.
func TestXORFRMPayloadSpec(t *testing.T) {
	devAddr := DevAddr{0xde, 0xad, 0xbe, 0xef}
	plain := make([]byte, 242)
	for i := range plain {
		plain[i] = byte(i)
	}
	for _, tc := range []struct {
		version MACVersion
		fPort   uint8
		key     AES128Key
	}{
		{MACVersion1_0, 1, secTestAppSKey},
		{MACVersion1_0, 224, secTestAppSKey},
		{MACVersion1_0, 0, secTestFNwkSIntKey}, // NwkSKey
		{MACVersion1_1, 1, secTestAppSKey},
		{MACVersion1_1, 0, secTestNwkSEncKey},
	} {
		s := secTestSessions()[tc.version]
		for _, uplink := range []bool{true, false} {
			for _, n := range []int{0, 1, 12, 16, 17, 51, 242} {
				t.Run(fmt.Sprintf("%v/fport%d/uplink=%v/len%d", tc.version, tc.fPort, uplink, n), func(t *testing.T) {
					fCnt := uint32(0xfedc0001)
					a := secRefBlock(0x01, 0, 0, 0, uplink, devAddr, fCnt, 0)
					want := secRefKeyStream(tc.key, a, plain[:n])
					got := make([]byte, n)
					if err := s.XORFRMPayload(got, plain[:n], uplink, devAddr, fCnt, tc.fPort); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, want) {
						t.Fatalf("ciphertext = %x, want %x", got, want)
					}
					// Decrypting is the same operation, here in place.
					if err := s.XORFRMPayload(got, got, uplink, devAddr, fCnt, tc.fPort); err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, plain[:n]) {
						t.Errorf("decrypt(encrypt(p)) = %x, want %x", got, plain[:n])
					}
				})
			}
		}
	}
}

// TestXORFOptsSpec checks 1.1 FOpts encryption against the erratum's A
// block: NwkSEncKey, never AppSKey, and byte 4 naming the counter.
func TestXORFOptsSpec(t *testing.T) {
	s := secTestSessions()[MACVersion1_1]
	devAddr := DevAddr{0x01, 0x02, 0x03, 0x04}
	fopts := []byte{0x02, 0x07, 0x01, 0x03, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f}
	for _, tc := range []struct {
		name      string
		uplink    bool
		aFCntDown bool
		byte4     byte
	}{
		{"uplink FCntUp", true, false, 0x01},
		{"downlink NFCntDown", false, false, 0x01},
		{"downlink AFCntDown", false, true, 0x02},
	} {
		for _, n := range []int{0, 1, 3, 15} {
			t.Run(fmt.Sprintf("%s/len%d", tc.name, n), func(t *testing.T) {
				fCnt := uint32(0x00020003)
				a := secRefBlock(0x01, 0, 0, tc.byte4, tc.uplink, devAddr, fCnt, 0)
				want := secRefKeyStream(secTestNwkSEncKey, a, fopts[:n])
				got := make([]byte, n)
				if err := s.XORFOpts(got, fopts[:n], tc.uplink, devAddr, fCnt, tc.aFCntDown); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("ciphertext = %x, want %x", got, want)
				}
				if n > 0 {
					notWant := secRefKeyStream(secTestAppSKey, a, fopts[:n])
					if bytes.Equal(got, notWant) {
						t.Errorf("FOpts encrypted with AppSKey")
					}
				}
				if err := s.XORFOpts(got, got, tc.uplink, devAddr, fCnt, tc.aFCntDown); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, fopts[:n]) {
					t.Errorf("decrypt(encrypt(p)) = %x, want %x", got, fopts[:n])
				}
			})
		}
	}
	// The FOpts keystream differs from that of an FPort 0 FRMPayload with
	// the same key and counter: A[4] and A[15] set them apart.
	frm := make([]byte, 3)
	opts := make([]byte, 3)
	if err := s.XORFRMPayload(frm, fopts[:3], true, devAddr, 5, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.XORFOpts(opts, fopts[:3], true, devAddr, 5, false); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(frm, opts) {
		t.Errorf("FOpts and FPort 0 FRMPayload share a keystream: %x", frm)
	}
}

func TestRejoinRequestMICSession(t *testing.T) {
	s := secTestSessions()[MACVersion1_1]
	msg := []byte{0xc0, 0x02, 0x03, 0x02, 0x01, 8, 7, 6, 5, 4, 3, 2, 1, 0xdb, 0x00}
	want := secMIC4(secRefCMAC(secTestSNwkSIntKey[:], msg))
	got, err := s.RejoinRequestMIC(msg)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("mic = %x, want %x", got, want)
	}
}

func TestSessionErrors(t *testing.T) {
	s10, s11 := secTestSessions()[MACVersion1_0], secTestSessions()[MACVersion1_1]
	a := DevAddr{1, 2, 3, 4}
	short := make([]byte, 7)
	long := make([]byte, 252)
	buf := make([]byte, 300)
	for _, tc := range []struct {
		name      string
		call      func() error
		malformed bool
	}{
		{"uplink mic of 7 bytes", func() error { _, err := s10.UplinkMIC(short, a, 0, 0, 0, 0); return err }, true},
		{"uplink mic of 252 bytes", func() error { _, err := s11.UplinkMIC(long, a, 0, 0, 0, 0); return err }, true},
		{"downlink mic of 7 bytes", func() error { _, err := s11.DownlinkMIC(short, a, 0, 0); return err }, true},
		{"downlink mic of nil", func() error { _, err := s10.DownlinkMIC(nil, a, 0, 0); return err }, true},
		{"frmpayload of 243 bytes", func() error { return s10.XORFRMPayload(buf, buf[:243], true, a, 0, 1) }, true},
		{"frmpayload into a short dst", func() error { return s10.XORFRMPayload(buf[:3], buf[10:14], true, a, 0, 1) }, false},
		{"fopts of 16 bytes", func() error { return s11.XORFOpts(buf, buf[:16], true, a, 0, false) }, true},
		{"fopts into a short dst", func() error { return s11.XORFOpts(buf[:2], buf[10:13], true, a, 0, false) }, false},
		{"fopts on a 1.0 session", func() error { return s10.XORFOpts(buf, buf[:3], true, a, 0, false) }, false},
		{"fopts uplink with AFCntDown", func() error { return s11.XORFOpts(buf, buf[:3], true, a, 0, true) }, false},
		{"rejoin on a 1.0 session", func() error { _, err := s10.RejoinRequestMIC(make([]byte, 15)); return err }, false},
		{"rejoin of 14 bytes", func() error { _, err := s11.RejoinRequestMIC(make([]byte, 14)); return err }, true},
		{"rejoin type 1 on a session", func() error { _, err := s11.RejoinRequestMIC([]byte{0xc0, 1, 14: 0}); return err }, false},
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
}

// TestSessionConcurrent runs many goroutines on one Session (run with
// -race): every result must match the one computed alone.
func TestSessionConcurrent(t *testing.T) {
	t.Parallel()
	for v, s := range secTestSessions() {
		t.Run(v.String(), func(t *testing.T) {
			const frames = 64
			devAddr := DevAddr{7, 7, 7, 7}
			type result struct {
				mic   [4]byte
				plain []byte
			}
			msgs := make([][]byte, frames)
			want := make([]result, frames)
			for i := range msgs {
				msgs[i] = secTestFrame(0x40, 0x20, devAddr, uint32(i), i%40)
				mic, err := s.UplinkMIC(msgs[i], devAddr, uint32(i), 1, 2, 3)
				if err != nil {
					t.Fatal(err)
				}
				want[i] = result{mic, make([]byte, i%40)}
				if err := s.XORFRMPayload(want[i].plain, msgs[i][9:], true, devAddr, uint32(i), 1); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Go(func() {
					out := make([]byte, 64)
					for round := range 50 {
						i := (g*7 + round) % frames
						mic, err := s.UplinkMIC(msgs[i], devAddr, uint32(i), 1, 2, 3)
						if err == nil {
							err = s.XORFRMPayload(out, msgs[i][9:], true, devAddr, uint32(i), 1)
						}
						if err == nil && (mic != want[i].mic || !bytes.Equal(out[:len(msgs[i])-9], want[i].plain)) {
							err = fmt.Errorf("frame %d: mic %x, payload %x; want %x, %x", i, mic, out[:len(msgs[i])-9], want[i].mic, want[i].plain)
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestSessionZeroAlloc asserts that the per-frame operations of a cached
// Session allocate nothing.
func TestSessionZeroAlloc(t *testing.T) {
	devAddr := DevAddr{1, 2, 3, 4}
	msg := secTestFrame(0x40, 0x20, devAddr, 0x10005, 51)
	out := make([]byte, 64)
	for v, s := range secTestSessions() {
		for name, op := range map[string]func(){
			"uplink mic + decrypt": func() {
				if _, err := s.UplinkMIC(msg, devAddr, 0x10005, 1, 2, 3); err != nil {
					t.Fatal(err)
				}
				if err := s.XORFRMPayload(out, msg[9:], true, devAddr, 0x10005, 1); err != nil {
					t.Fatal(err)
				}
			},
			"downlink mic + encrypt": func() {
				if err := s.XORFRMPayload(out, msg[9:], false, devAddr, 7, 0); err != nil {
					t.Fatal(err)
				}
				if _, err := s.DownlinkMIC(msg, devAddr, 7, 1); err != nil {
					t.Fatal(err)
				}
			},
		} {
			if got := testing.AllocsPerRun(100, op); got != 0 {
				t.Errorf("%v %s: %v allocations per run, want 0", v, name, got)
			}
		}
	}
	s := secTestSessions()[MACVersion1_1]
	if got := testing.AllocsPerRun(100, func() {
		if err := s.XORFOpts(out, msg[1:4], false, devAddr, 9, true); err != nil {
			t.Fatal(err)
		}
	}); got != 0 {
		t.Errorf("fopts: %v allocations per run, want 0", got)
	}
}

// A network server checks an uplink and decrypts its payload with the
// session it keeps cached for the device.
func ExampleSession_UplinkMIC() {
	nwkSKey, _ := ParseAES128Key("02020202020202020202020202020202")
	appSKey, _ := ParseAES128Key("01010101010101010101010101010101")
	s := NewSession10(nwkSKey, appSKey)

	frame, _ := hex.DecodeString("400403020180010001a694642615d6c3b582")
	var p PHYPayload
	if err := p.UnmarshalBinary(frame); err != nil {
		fmt.Println(err)
		return
	}
	fCnt := FullFCnt(0, p.FHDR.FCnt) // the session's next expected FCntUp
	mic, err := s.UplinkMIC(frame[:len(frame)-4], p.FHDR.DevAddr, fCnt, 0, 0, 0)
	if err != nil || mic != p.MIC {
		fmt.Println("mic mismatch")
		return
	}
	payload := make([]byte, len(p.FRMPayload))
	if err := s.XORFRMPayload(payload, p.FRMPayload, true, p.FHDR.DevAddr, fCnt, p.FPort); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("DevAddr %s FCnt %d FPort %d: %q\n", p.FHDR.DevAddr, fCnt, p.FPort, payload)
	// Output: DevAddr 01020304 FCnt 1 FPort 1: "hello"
}

// secTestUplink builds an uplink data frame with its MIC, from the
// specification's formulas (reference CMAC, hand-built B0/B1, reference
// keystream), independent of Session. fPort < 0 leaves the FPort out.
// confFCnt, txDR and txCh enter the 1.1 MIC (confFCnt only with ack).
func secTestUplink(v MACVersion, confirmed, ack bool, fOpts []byte, fPort int, plain []byte, devAddr DevAddr, fCnt uint32, confFCnt uint16, txDR, txCh uint8) []byte {
	mhdr, fctrl := byte(0x40), byte(0x80|len(fOpts))
	if confirmed {
		mhdr = 0x80
	}
	if ack {
		fctrl |= 0x20
	}
	msg := []byte{mhdr, devAddr[3], devAddr[2], devAddr[1], devAddr[0], fctrl, byte(fCnt), byte(fCnt >> 8)}
	msg = append(msg, fOpts...)
	if fPort >= 0 {
		key := secTestAppSKey
		if fPort == 0 {
			key = secTestFNwkSIntKey // NwkSKey
			if v == MACVersion1_1 {
				key = secTestNwkSEncKey
			}
		}
		msg = append(msg, byte(fPort))
		msg = append(msg, secRefKeyStream(key, secRefBlock(0x01, 0, 0, 0, true, devAddr, fCnt, 1), plain)...)
	}
	b0 := secRefBlock(0x49, 0, 0, 0, true, devAddr, fCnt, byte(len(msg)))
	cmacF := secRefCMAC(secTestFNwkSIntKey[:], append(b0, msg...))
	if v == MACVersion1_0 {
		return append(msg, cmacF[:4]...)
	}
	if !ack {
		confFCnt = 0
	}
	b1 := secRefBlock(0x49, confFCnt, txDR, txCh, true, devAddr, fCnt, byte(len(msg)))
	cmacS := secRefCMAC(secTestSNwkSIntKey[:], append(b1, msg...))
	return append(msg, cmacS[0], cmacS[1], cmacF[0], cmacF[1])
}

// TestOpenUplinkSpec opens frames of every payload length class, with and
// without FOpts, FPort 0 and application ports, ACK set or not, against the
// specification's formulas; then the same frames with a wrong MIC, a wrong
// counter or a wrong TxDr must be refused with dst untouched.
func TestOpenUplinkSpec(t *testing.T) {
	devAddr := DevAddr{0x26, 0x01, 0x1b, 0xda}
	sessions := secTestSessions()
	sc := new(Scratch)
	type frameCase struct {
		confirmed, ack bool
		fOpts          int
		fPort          int
		n              int
	}
	var cases []frameCase
	for _, n := range []int{0, 1, 4, 7, 8, 9, 12, 15, 16, 17, 31, 32, 33, 51, 100, 222, 242} {
		cases = append(cases,
			frameCase{fPort: 1, n: n},
			frameCase{confirmed: true, ack: true, fPort: 224, n: n},
			frameCase{fPort: 0, n: n})
		if n+15 <= 242 {
			cases = append(cases, frameCase{ack: true, fOpts: 15, fPort: 2, n: n}, frameCase{fOpts: 3, fPort: 2, n: n})
		}
	}
	cases = append(cases, frameCase{fPort: -1}, frameCase{ack: true, fOpts: 5, fPort: -1}, frameCase{fOpts: 15, fPort: -1})
	for _, v := range []MACVersion{MACVersion1_0, MACVersion1_1} {
		s := sessions[v]
		for _, c := range cases {
			name := fmt.Sprintf("%v/conf=%v/ack=%v/fopts%d/fport%d/len%d", v, c.confirmed, c.ack, c.fOpts, c.fPort, c.n)
			t.Run(name, func(t *testing.T) {
				fCnt := uint32(0x0002fff0) + uint32(c.n)
				plain := make([]byte, c.n)
				for i := range plain {
					plain[i] = byte(i*31 + c.n)
				}
				fOpts := bytes.Repeat([]byte{0x02}, c.fOpts)
				frame := secTestUplink(v, c.confirmed, c.ack, fOpts, c.fPort, plain, devAddr, fCnt, 0x4321, 3, 7)
				var p PHYPayload
				if err := p.UnmarshalBinary(frame); err != nil {
					t.Fatal(err)
				}
				dst := bytes.Repeat([]byte{0xee}, 256)
				ok, err := s.OpenUplink(sc, frame, &p, fCnt, 0x4321, 3, 7, dst)
				if err != nil || !ok {
					t.Fatalf("OpenUplink = %v, %v; want true, nil", ok, err)
				}
				if !bytes.Equal(dst[:c.n], plain) || dst[c.n] != 0xee {
					t.Errorf("dst = %x, want %x then ee", dst[:c.n+1], plain)
				}

				// Refusals: the MIC bytes, the counter, and (1.1 only,
				// where B1 carries them) TxDr and the ACKed ConfFCnt.
				type refusal struct {
					name               string
					frame              []byte
					fCnt               uint32
					confFCnt           uint16
					txDR               uint8
					wantOK10, wantOK11 bool
				}
				badMIC := bytes.Clone(frame)
				badMIC[len(badMIC)-1] ^= 0x80
				refusals := []refusal{
					{"mic", badMIC, fCnt, 0x4321, 3, false, false},
					{"fcnt", frame, fCnt + 0x10000, 0x4321, 3, false, false},
					{"txdr", frame, fCnt, 0x4321, 4, true, false},
					{"conffcnt", frame, fCnt, 0x4322, 3, true, !c.ack},
				}
				for _, r := range refusals {
					var p PHYPayload
					if err := p.UnmarshalBinary(r.frame); err != nil {
						t.Fatal(err)
					}
					want := r.wantOK10
					if v == MACVersion1_1 {
						want = r.wantOK11
					}
					dst := bytes.Repeat([]byte{0xee}, 256)
					ok, err := s.OpenUplink(sc, r.frame, &p, r.fCnt, r.confFCnt, r.txDR, 7, dst)
					if err != nil || ok != want {
						t.Errorf("%s changed: OpenUplink = %v, %v; want %v, nil", r.name, ok, err, want)
					}
					if !ok && !bytes.Equal(dst, bytes.Repeat([]byte{0xee}, 256)) {
						t.Errorf("%s changed: dst written after a refused mic: %x", r.name, dst[:c.n])
					}
				}
			})
		}
	}
}

// TestOpenUplinkMatchesLocked opens random frames with OpenUplink and with
// the locked UplinkMIC/XORFRMPayload pair: both must agree on the MIC and
// the payload.
func TestOpenUplinkMatchesLocked(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	sc := new(Scratch)
	for v, s := range secTestSessions() {
		for range 500 {
			n := rnd.IntN(243)
			frame := make([]byte, 9+n+4)
			for i := range frame {
				frame[i] = byte(rnd.Uint32())
			}
			frame[0] = 0x40
			frame[5] &^= 0x0f // no FOpts
			fCnt, conf, dr, ch := rnd.Uint32(), uint16(rnd.Uint32()), uint8(rnd.Uint32()), uint8(rnd.Uint32())
			var p PHYPayload
			if err := p.UnmarshalBinary(frame); err != nil {
				t.Fatal(err)
			}
			mic, err := s.UplinkMIC(frame[:len(frame)-4], p.FHDR.DevAddr, fCnt, conf, dr, ch)
			if err != nil {
				t.Fatal(err)
			}
			copy(frame[len(frame)-4:], mic[:])
			want := make([]byte, n)
			if err := s.XORFRMPayload(want, p.FRMPayload, true, p.FHDR.DevAddr, fCnt, p.FPort); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, n)
			ok, err := s.OpenUplink(sc, frame, &p, fCnt, conf, dr, ch, got)
			if err != nil || !ok || !bytes.Equal(got, want) {
				t.Fatalf("%v len %d: OpenUplink = %v, %v, %x; locked path says true, %x", v, n, ok, err, got, want)
			}
		}
	}
}

// TestOpenUplinkErrors feeds OpenUplink arguments it must refuse: an error,
// ok false, no panic, dst untouched.
func TestOpenUplinkErrors(t *testing.T) {
	s := secTestSessions()[MACVersion1_0]
	devAddr := DevAddr{1, 2, 3, 4}
	frame := secTestUplink(MACVersion1_0, false, false, nil, 1, []byte("hello"), devAddr, 9, 0, 0, 0)
	parsed := func(b []byte) *PHYPayload {
		var p PHYPayload
		if err := p.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		return &p
	}
	p := parsed(frame)
	other := parsed(bytes.Clone(frame))
	wrongPort := parsed(frame)
	wrongPort.FPort = 2
	long := append(bytes.Clone(frame), make([]byte, 250)...)
	down := bytes.Clone(frame)
	down[0] = 0x60 // UnconfirmedDataDown
	join := bytes.Clone(frame)
	join[0] = 0x00
	for _, tc := range []struct {
		name      string
		sc        *Scratch
		frame     []byte
		p         *PHYPayload
		dst       []byte
		malformed bool
	}{
		{"nil scratch", nil, frame, p, make([]byte, 5), false},
		{"nil phypayload", new(Scratch), frame, nil, make([]byte, 5), false},
		{"empty frame", new(Scratch), nil, &PHYPayload{}, make([]byte, 5), true},
		{"11 bytes", new(Scratch), frame[:11], &PHYPayload{}, make([]byte, 5), true},
		{"256 bytes", new(Scratch), long, &PHYPayload{}, make([]byte, 5), true},
		{"downlink", new(Scratch), down, parsed(down), make([]byte, 5), true},
		{"join-request mhdr", new(Scratch), join, &PHYPayload{}, make([]byte, 5), true},
		{"payload of another buffer", new(Scratch), frame, other, make([]byte, 5), false},
		{"fport not the frame's", new(Scratch), frame, wrongPort, make([]byte, 5), false},
		{"payload longer than frame", new(Scratch), frame[:12], p, make([]byte, 5), false},
		{"short dst", new(Scratch), frame, p, make([]byte, 4), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := bytes.Clone(tc.dst)
			ok, err := s.OpenUplink(tc.sc, tc.frame, tc.p, 9, 0, 0, 0, dst)
			if ok || err == nil {
				t.Fatalf("OpenUplink = %v, %v; want false and an error", ok, err)
			}
			if got := errors.Is(err, ErrMalformed); got != tc.malformed {
				t.Errorf("error %q: wraps ErrMalformed = %v, want %v", err, got, tc.malformed)
			}
			if !bytes.Equal(dst, tc.dst) {
				t.Errorf("dst = %x, want it untouched", dst)
			}
		})
	}
	// The same arguments, set right, open the frame.
	dst := make([]byte, 5)
	if ok, err := s.OpenUplink(new(Scratch), frame, p, 9, 0, 0, 0, dst); !ok || err != nil || string(dst) != "hello" {
		t.Errorf("OpenUplink = %v, %v, %q; want true, nil, \"hello\"", ok, err, dst)
	}
}

// TestOpenUplinkConcurrent runs OpenUplink on one Session from several
// goroutines, each with its own Scratch (run with -race).
func TestOpenUplinkConcurrent(t *testing.T) {
	t.Parallel()
	for v, s := range secTestSessions() {
		t.Run(v.String(), func(t *testing.T) {
			const frames = 32
			devAddr := DevAddr{7, 7, 7, 7}
			msgs := make([][]byte, frames)
			plains := make([][]byte, frames)
			for i := range msgs {
				plains[i] = bytes.Repeat([]byte{byte(i)}, i*5)
				msgs[i] = secTestUplink(v, false, true, nil, 1, plains[i], devAddr, uint32(i), 1, 2, 3)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for g := range 8 {
				wg.Go(func() {
					sc := new(Scratch)
					out := make([]byte, 256)
					var p PHYPayload
					for round := range 100 {
						i := (g*5 + round) % frames
						if err := p.UnmarshalBinary(msgs[i]); err != nil {
							errs <- err
							return
						}
						ok, err := s.OpenUplink(sc, msgs[i], &p, uint32(i), 1, 2, 3, out)
						if err == nil && (!ok || !bytes.Equal(out[:len(plains[i])], plains[i])) {
							err = fmt.Errorf("frame %d: ok %v, payload %x; want true, %x", i, ok, out[:len(plains[i])], plains[i])
						}
						if err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestCMACLastWords checks the word-built final CMAC block against prepare,
// the byte-by-byte construction, for every data-frame length.
func TestCMACLastWords(t *testing.T) {
	msg := make([]byte, secMaxMsg)
	for i := range msg {
		msg[i] = byte(i*73 + 11)
	}
	for _, key := range []AES128Key{secTestFNwkSIntKey, secTestSNwkSIntKey} {
		c := newCMACKey(key)
		for n := secMinDataMsg; n <= secMaxMsg; n++ {
			var st cmacState
			c.prepare(&st, true, msg[:n])
			lo, hi := c.lastWords(msg[:n])
			var got [16]byte
			binary.LittleEndian.PutUint64(got[:8], lo)
			binary.LittleEndian.PutUint64(got[8:], hi)
			if got != st.last {
				t.Errorf("key %x len %d: %x, want %x", key[:2], n, got, st.last)
			}
		}
	}
}

// FuzzOpenUplink compares OpenUplink with the locked UplinkMIC and
// XORFRMPayload on arbitrary frames: no panic, the same verdict, the same
// payload.
func FuzzOpenUplink(f *testing.F) {
	f.Add(secTestUplink(MACVersion1_0, false, false, nil, 1, []byte("hello"), DevAddr{1, 2, 3, 4}, 9, 0, 0, 0), uint32(9), uint16(0), uint8(0), uint8(0), false)
	f.Add(secTestUplink(MACVersion1_1, true, true, []byte{2, 3}, 0, make([]byte, 40), DevAddr{1, 2, 3, 4}, 0x10009, 7, 5, 2), uint32(0x10009), uint16(7), uint8(5), uint8(2), true)
	f.Add([]byte{0x40, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0}, uint32(0), uint16(0), uint8(0), uint8(0), true)
	sessions := secTestSessions()
	sc := new(Scratch)
	f.Fuzz(func(t *testing.T, frame []byte, fCnt uint32, conf uint16, dr, ch uint8, v11 bool) {
		s := sessions[MACVersion1_0]
		if v11 {
			s = sessions[MACVersion1_1]
		}
		var p PHYPayload
		perr := p.UnmarshalBinary(frame)
		got := make([]byte, 256)
		ok, err := s.OpenUplink(sc, frame, &p, fCnt, conf, dr, ch, got)
		if perr != nil || !p.MHDR.MType.Uplink() || !p.MHDR.MType.dataFrame() {
			if ok || err == nil {
				t.Fatalf("frame %x (parse: %v): OpenUplink = %v, %v; want an error", frame, perr, ok, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("frame %x: %v", frame, err)
		}
		mic, err := s.UplinkMIC(frame[:len(frame)-4], p.FHDR.DevAddr, fCnt, conf, dr, ch)
		if err != nil {
			t.Fatal(err)
		}
		if ok != (mic == p.MIC) {
			t.Fatalf("frame %x: OpenUplink says %v, UplinkMIC %x against %x", frame, ok, mic, p.MIC)
		}
		if !ok {
			return
		}
		want := make([]byte, len(p.FRMPayload))
		if err := s.XORFRMPayload(want, p.FRMPayload, true, p.FHDR.DevAddr, fCnt, p.FPort); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got[:len(want)], want) {
			t.Fatalf("frame %x: payload %x, want %x", frame, got[:len(want)], want)
		}
	})
}

// A pipeline worker owns a Scratch and opens each uplink in one call, with
// the Session cached for the frame's device.
func ExampleSession_OpenUplink() {
	nwkSKey, _ := ParseAES128Key("02020202020202020202020202020202")
	appSKey, _ := ParseAES128Key("01010101010101010101010101010101")
	s := NewSession10(nwkSKey, appSKey)
	sc := new(Scratch) // one per worker goroutine, reused for every frame

	frame, _ := hex.DecodeString("400403020180010001a694642615d6c3b582")
	var p PHYPayload
	if err := p.UnmarshalBinary(frame); err != nil {
		fmt.Println(err)
		return
	}
	fCnt := FullFCnt(0, p.FHDR.FCnt) // the session's next expected FCntUp
	payload := make([]byte, len(p.FRMPayload))
	ok, err := s.OpenUplink(sc, frame, &p, fCnt, 0, 0, 0, payload)
	if err != nil || !ok {
		fmt.Println("refused:", ok, err)
		return
	}
	fmt.Printf("DevAddr %s FCnt %d FPort %d: %q\n", p.FHDR.DevAddr, fCnt, p.FPort, payload)
	// Output: DevAddr 01020304 FCnt 1 FPort 1: "hello"
}
