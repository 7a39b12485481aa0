package lorawan

import (
	"bytes"
	"fmt"
	"reflect"
	"testing"
)

// Benchmarks of the server's per-frame work with cached keys: parse, rebuild
// the counter, check the MIC, decrypt. Each iteration starts from fresh
// bytes copied into the receive buffer, as a frame arriving from a gateway.
// BenchmarkUplink measures the fastest supported way, OpenUplink with the
// worker's own Scratch; BenchmarkUplinkLocked the Session's locked methods
// (UplinkMIC, then XORFRMPayload), for callers without a Scratch.

// secUplinkBench is one prepared uplink and the state a server keeps for its
// device.
type secUplinkBench struct {
	s        *Session
	sc       *Scratch // the pipeline worker's scratch
	frame    []byte   // on-air bytes
	lastFCnt uint32   // the session's next expected FCntUp
	plain    []byte   // the FRMPayload the device sent
	txDR     uint8
	txCh     uint8
}

func newSecUplinkBench(t testing.TB, v MACVersion, n int) *secUplinkBench {
	t.Helper()
	u := &secUplinkBench{sc: new(Scratch), lastFCnt: 0x0001fff0, txDR: 5, txCh: 2}
	if v == MACVersion1_0 {
		u.s = NewSession10(secTestFNwkSIntKey, secTestAppSKey)
	} else {
		u.s = NewSession11(secTestFNwkSIntKey, secTestSNwkSIntKey, secTestNwkSEncKey, secTestAppSKey)
	}
	fCnt := u.lastFCnt + 0x13 // rolls the 16-bit field over
	devAddr := DevAddr{0x26, 0x01, 0x1b, 0xda}
	u.plain = make([]byte, n)
	for i := range u.plain {
		u.plain[i] = byte(7*i + 3)
	}
	enc := make([]byte, n)
	if err := u.s.XORFRMPayload(enc, u.plain, true, devAddr, fCnt, 1); err != nil {
		t.Fatal(err)
	}
	p := PHYPayload{
		MHDR:         MHDR{MType: UnconfirmedDataUp, Major: LoRaWANR1},
		FHDR:         FHDR{DevAddr: devAddr, FCtrl: FCtrl{ADR: true}, FCnt: uint16(fCnt)},
		FPort:        1,
		FPortPresent: true,
		FRMPayload:   enc,
	}
	frame, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := u.s.UplinkMIC(frame[:len(frame)-4], devAddr, fCnt, 0, u.txDR, u.txCh)
	if err != nil {
		t.Fatal(err)
	}
	copy(frame[len(frame)-4:], mic[:])
	u.frame = frame
	return u
}

// receive is the per-frame work: the bytes in buf are parsed into p, the
// MIC checked and the FRMPayload decrypted into out by one OpenUplink call.
// It returns the payload or an error.
func (u *secUplinkBench) receive(p *PHYPayload, buf, out []byte) ([]byte, error) {
	if err := p.UnmarshalBinary(buf); err != nil {
		return nil, err
	}
	fCnt := FullFCnt(u.lastFCnt, p.FHDR.FCnt)
	ok, err := u.s.OpenUplink(u.sc, buf, p, fCnt, 0, u.txDR, u.txCh, out)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("mic mismatch: frame carries %x", p.MIC)
	}
	return out[:len(p.FRMPayload)], nil
}

// receiveLocked is receive through the Session's locked methods.
func (u *secUplinkBench) receiveLocked(p *PHYPayload, buf, out []byte) ([]byte, error) {
	if err := p.UnmarshalBinary(buf); err != nil {
		return nil, err
	}
	fCnt := FullFCnt(u.lastFCnt, p.FHDR.FCnt)
	mic, err := u.s.UplinkMIC(buf[:len(buf)-4], p.FHDR.DevAddr, fCnt, 0, u.txDR, u.txCh)
	if err != nil {
		return nil, err
	}
	if mic != p.MIC {
		return nil, fmt.Errorf("mic %x, frame carries %x", mic, p.MIC)
	}
	out = out[:len(p.FRMPayload)]
	if err := u.s.XORFRMPayload(out, p.FRMPayload, true, p.FHDR.DevAddr, fCnt, p.FPort); err != nil {
		return nil, err
	}
	return out, nil
}

var secBenchVersions = []struct {
	name string
	v    MACVersion
}{{"1.0", MACVersion1_0}, {"1.1", MACVersion1_1}}

// secReceiveFuncs are the two ways through the uplink path.
var secReceiveFuncs = []struct {
	name string
	f    func(u *secUplinkBench, p *PHYPayload, buf, out []byte) ([]byte, error)
}{
	{"open", (*secUplinkBench).receive},
	{"locked", (*secUplinkBench).receiveLocked},
}

// benchmarkUplink times receive (or receiveLocked) per frame. Their calls
// are written out in the loop, which runs b.N times, so that the time is the
// frame's and not that of a helper call or of b.Loop's bookkeeping (a few
// nanoseconds, a few percent here); TestUplinkPathZeroAlloc checks receive
// and receiveLocked, which make the same calls.
func benchmarkUplink(b *testing.B, locked bool) {
	for _, n := range []int{12, 51} {
		for _, ver := range secBenchVersions {
			b.Run(fmt.Sprintf("FRM%d/%s", n, ver.name), func(b *testing.B) {
				u := newSecUplinkBench(b, ver.v, n)
				buf := make([]byte, 256)
				out := make([]byte, 256)
				var p PHYPayload
				s, sc, frame, last, dr, ch := u.s, u.sc, u.frame, u.lastFCnt, u.txDR, u.txCh
				b.SetBytes(int64(len(frame)))
				b.ReportAllocs()
				b.ResetTimer()
				if locked {
					for range b.N {
						rx := buf[:copy(buf, frame)]
						if err := p.UnmarshalBinary(rx); err != nil {
							b.Fatal(err)
						}
						fCnt := FullFCnt(last, p.FHDR.FCnt)
						mic, err := s.UplinkMIC(rx[:len(rx)-4], p.FHDR.DevAddr, fCnt, 0, dr, ch)
						if err != nil || mic != p.MIC {
							b.Fatalf("UplinkMIC = %x, %v; frame carries %x", mic, err, p.MIC)
						}
						if err := s.XORFRMPayload(out, p.FRMPayload, true, p.FHDR.DevAddr, fCnt, p.FPort); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				for range b.N {
					rx := buf[:copy(buf, frame)]
					if err := p.UnmarshalBinary(rx); err != nil {
						b.Fatal(err)
					}
					ok, err := s.OpenUplink(sc, rx, &p, FullFCnt(last, p.FHDR.FCnt), 0, dr, ch, out)
					if !ok || err != nil {
						b.Fatalf("OpenUplink = %v, %v; want true, nil", ok, err)
					}
				}
			})
		}
	}
}

func BenchmarkUplink(b *testing.B)       { benchmarkUplink(b, false) }
func BenchmarkUplinkLocked(b *testing.B) { benchmarkUplink(b, true) }

// TestUplinkPathZeroAlloc asserts that the whole uplink path of
// BenchmarkUplink and BenchmarkUplinkLocked (parse, counter, MIC, decrypt)
// allocates nothing, that it gives the device's payload back, and that a
// flipped bit anywhere in the frame is refused.
func TestUplinkPathZeroAlloc(t *testing.T) {
	for _, rf := range secReceiveFuncs {
		for _, n := range []int{0, 12, 51, 222} {
			for _, ver := range secBenchVersions {
				t.Run(fmt.Sprintf("%s/FRM%d/%s", rf.name, n, ver.name), func(t *testing.T) {
					u := newSecUplinkBench(t, ver.v, n)
					buf := make([]byte, 256)
					out := make([]byte, 256)
					var p PHYPayload
					got, err := rf.f(u, &p, buf[:copy(buf, u.frame)], out)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(got, u.plain) {
						t.Fatalf("payload = %x, want %x", got, u.plain)
					}
					allocs := testing.AllocsPerRun(200, func() {
						if _, err := rf.f(u, &p, buf[:copy(buf, u.frame)], out); err != nil {
							t.Fatal(err)
						}
					})
					if allocs != 0 {
						t.Errorf("%v allocations per uplink, want 0", allocs)
					}
					// A flipped bit anywhere must fail the MIC (or the parse).
					for i := range u.frame {
						copy(buf, u.frame)
						buf[i] ^= 0x04
						if _, err := rf.f(u, &p, buf[:len(u.frame)], out); err == nil {
							t.Errorf("byte %d flipped: frame accepted", i)
						}
					}
				})
			}
		}
	}
}

// secJoinBench is one prepared join-request and the join server's state.
type secJoinBench struct {
	r      *RootKeys
	v      MACVersion
	frame  []byte
	accept JoinAcceptPayload
}

func newSecJoinBench(t testing.TB, v MACVersion) *secJoinBench {
	t.Helper()
	j := &secJoinBench{v: v}
	if v == MACVersion1_0 {
		j.r = NewRootKeys10(secTestAppKey)
	} else {
		j.r = NewRootKeys11(secTestAppKey, secTestNwkKey, secTestDevEUI)
	}
	p := PHYPayload{
		MHDR:        MHDR{MType: JoinRequest, Major: LoRaWANR1},
		JoinRequest: JoinRequestPayload{JoinEUI: secTestJoinEUI, DevEUI: secTestDevEUI, DevNonce: 0x0a0b},
	}
	frame, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := j.r.JoinRequestMIC(frame[:19])
	if err != nil {
		t.Fatal(err)
	}
	copy(frame[19:], mic[:])
	j.frame = frame
	j.accept = JoinAcceptPayload{
		JoinNonce:  0x000102,
		NetID:      NetID{0x00, 0x00, 0x13},
		DevAddr:    DevAddr{0x26, 0x01, 0x1b, 0xda},
		DLSettings: DLSettings{OptNeg: v == MACVersion1_1, RX1DROffset: 1, RX2DataRate: 5},
		RxDelay:    1,
		CFList:     &CFList{Type: CFListFrequencies, Frequencies: [5]uint32{867100000, 867300000, 867500000, 867700000, 867900000}},
	}
	return j
}

// join is the join server's work for one join-request in buf: parse, MIC,
// session keys, join-accept (plaintext, MIC, encryption) appended to out.
func (j *secJoinBench) join(p *PHYPayload, buf, plain, out []byte) ([]byte, error) {
	if err := p.UnmarshalBinary(buf); err != nil {
		return nil, err
	}
	mic, err := j.r.JoinRequestMIC(buf[:19])
	if err != nil {
		return nil, err
	}
	if mic != p.MIC {
		return nil, fmt.Errorf("join-request mic %x, frame carries %x", mic, p.MIC)
	}
	req := &p.JoinRequest
	if j.v == MACVersion1_0 {
		if _, _, err := j.r.SessionKeys10(j.accept.JoinNonce, j.accept.NetID, req.DevNonce); err != nil {
			return nil, err
		}
	} else if _, err := j.r.SessionKeys11(j.accept.JoinNonce, req.JoinEUI, req.DevNonce); err != nil {
		return nil, err
	}
	plain = append(plain[:0], 0x20) // MHDR: JoinAccept, LoRaWAN R1
	if plain, err = j.accept.AppendBinary(plain); err != nil {
		return nil, err
	}
	return j.r.AppendJoinAccept(out[:0], plain, JoinReqTypeJoin, req.JoinEUI, req.DevNonce)
}

func BenchmarkJoin(b *testing.B) {
	for _, ver := range secBenchVersions {
		b.Run(ver.name, func(b *testing.B) {
			j := newSecJoinBench(b, ver.v)
			buf := make([]byte, 64)
			plain := make([]byte, 0, 64)
			out := make([]byte, 0, 64)
			var p PHYPayload
			b.ReportAllocs()
			for b.Loop() {
				if _, err := j.join(&p, buf[:copy(buf, j.frame)], plain, out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestJoinPath checks that the benchmarked join work answers with a
// join-accept the device can open and whose keys match its own.
func TestJoinPath(t *testing.T) {
	for _, ver := range secBenchVersions {
		t.Run(ver.name, func(t *testing.T) {
			j := newSecJoinBench(t, ver.v)
			var p PHYPayload
			out, err := j.join(&p, bytes.Clone(j.frame), nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != 33 {
				t.Fatalf("join-accept of %d bytes, want 33", len(out))
			}
			plain := make([]byte, 32)
			if err := j.r.DecryptJoinAccept(plain, out[1:], JoinReqTypeJoin); err != nil {
				t.Fatal(err)
			}
			var got JoinAcceptPayload
			if err := got.UnmarshalBinary(plain[:28]); err != nil {
				t.Fatal(err)
			}
			if got.JoinNonce != j.accept.JoinNonce || got.DevAddr != j.accept.DevAddr || got.DLSettings != j.accept.DLSettings {
				t.Errorf("join-accept decodes to %+v, want %+v", got, j.accept)
			}
			mic, err := j.r.JoinAcceptMIC(append(out[:1:1], plain[:28]...), JoinReqTypeJoin, secTestJoinEUI, 0x0a0b)
			if err != nil {
				t.Fatal(err)
			}
			if mic != [4]byte(plain[28:]) {
				t.Errorf("join-accept mic = %x, device computes %x", plain[28:], mic)
			}
		})
	}
}

// BenchmarkAESBlock is the yardstick: one AES-128 block encryption through
// the standard library, chained (each output is the next input) so that
// its latency, which CMAC chains also pay, is what is measured.
func BenchmarkAESBlock(b *testing.B) {
	block := newAESBlock(secTestAppSKey)
	x := new([16]byte)
	for b.Loop() {
		block.Encrypt(x[:], x[:])
	}
	if *x == [16]byte{} {
		b.Fatal("no encryption happened")
	}
}

// TestUnmarshalDataFastPath checks UnmarshalBinary, whose data frames take a
// path of their own, against the general path alone (unmarshalReset): every
// MHDR byte with a few FCtrl bytes and every FCtrl byte with the data MHDRs
// (and two others), FPort 0 and 1, frame lengths around the limits, each
// decoded into a PHYPayload left over from another message type. Both must
// give the same fields and the same error.
func TestUnmarshalDataFastPath(t *testing.T) {
	t.Parallel()
	type hdr struct{ mhdr, fctrl byte }
	var hdrs []hdr
	for v := range 256 {
		for _, fctrl := range []byte{0x00, 0x45, 0xff} {
			hdrs = append(hdrs, hdr{byte(v), fctrl})
		}
		for _, mhdr := range []byte{0x40, 0x60, 0x80, 0xa0, 0x41, 0xc0} {
			hdrs = append(hdrs, hdr{mhdr, byte(v)})
		}
	}
	frame := make([]byte, 0, 40)
	for _, b := range [][]byte{
		{0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 0xa, 0xb, 1, 2, 3, 4}, // join-request
		{0xc0, 0, 3, 2, 1, 8, 7, 6, 5, 4, 3, 2, 1, 9, 0, 1, 2, 3, 4},                        // rejoin-request type 0
		{0xe0, 1, 2, 3, 4, 5, 6},                                        // proprietary
		{0x40, 4, 3, 2, 1, 0x32, 1, 0, 0xaa, 0xbb, 0xcc, 1, 2, 3, 4},    // data, FOpts
		{0x80, 4, 3, 2, 1, 0x00, 1, 0, 7, 0xaa, 0xbb, 0xcc, 1, 2, 3, 4}, // data, FRMPayload
		{0x20, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},    // join-accept
	} {
		var leftover PHYPayload
		if err := leftover.UnmarshalBinary(b); err != nil {
			t.Fatalf("leftover %x: %v", b, err)
		}
		for _, n := range []int{5, 11, 12, 13, 14, 20, 25, 27, 28, 40} {
			for _, h := range hdrs {
				for _, fport := range []byte{0, 1} {
					frame = frame[:0]
					for i := range n {
						frame = append(frame, byte(i*37+11))
					}
					frame[0] = h.mhdr
					if n > 5 {
						frame[5] = h.fctrl
					}
					if pos := 8 + int(h.fctrl&0x0f); pos < n {
						frame[pos] = fport
					}
					got, want := leftover, PHYPayload{}
					gerr := got.UnmarshalBinary(frame)
					werr := want.unmarshalReset(frame)
					if (gerr == nil) != (werr == nil) || gerr != nil && gerr.Error() != werr.Error() || !reflect.DeepEqual(got, want) {
						t.Fatalf("frame %x after %x:\ngot  %+v, %v\nwant %+v, %v", frame, b, got, gerr, want, werr)
					}
				}
			}
		}
	}
}

// TestSecXORStream checks the decryption's last step for every length up to
// an FRMPayload's largest, into another buffer and in place.
func TestSecXORStream(t *testing.T) {
	var ks [secMaxCTRBlocks * 16]byte
	for i := range ks {
		ks[i] = byte(i*29 + 5)
	}
	src := make([]byte, secMaxFRMPayload)
	for i := range src {
		src[i] = byte(i*13 + 1)
	}
	for n := 0; n <= secMaxFRMPayload; n++ {
		want := make([]byte, n+1)
		for i := range n {
			want[i] = src[i] ^ ks[i]
		}
		want[n] = 0xee // past the end: untouched
		got := bytes.Repeat([]byte{0xee}, n+1)
		secXORStream(got, src[:n], &ks)
		if !bytes.Equal(got, want) {
			t.Errorf("len %d: %x, want %x", n, got, want)
		}
		in := append(bytes.Clone(src[:n]), 0xee)
		secXORStream(in, in[:n], &ks)
		if !bytes.Equal(in, want) {
			t.Errorf("len %d in place: %x, want %x", n, in, want)
		}
	}
}
