package lorawan

import (
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// Session holds the session keys of one device with their AES key schedules
// and CMAC subkeys expanded once, so that checking and decrypting a frame
// costs only its block encryptions and allocates nothing. It is safe for
// concurrent use; calls on one Session take turns (each lasts well under a
// microsecond), calls on different Sessions run in parallel. OpenUplink,
// the uplink path of a server, takes no turn: it works in a Scratch that
// its caller owns.
//
// Every method takes the full 32-bit frame counter (see FullFCnt) and the
// DevAddr MSB first, as held in Go; both are written little-endian into the
// blocks. Methods that write into dst accept dst and src being the same
// slice (in-place), but not otherwise overlapping.
type Session struct {
	version  MACVersion
	fNwkSInt cmacKey      // FNwkSIntKey; NwkSKey in 1.0
	sNwkSInt cmacKey      // SNwkSIntKey; 1.1 only
	nwkSEnc  cipher.Block // NwkSEncKey; NwkSKey in 1.0
	appS     cipher.Block // AppSKey

	mu sync.Mutex
	sc secScratch // guarded by mu
}

// NewSession10 caches the keys of a LoRaWAN 1.0.x session: NwkSKey (MICs,
// FPort 0 payloads) and AppSKey (application payloads).
func NewSession10(nwkSKey, appSKey AES128Key) *Session {
	s := &Session{version: MACVersion1_0, fNwkSInt: newCMACKey(nwkSKey), appS: newAESBlock(appSKey)}
	s.nwkSEnc = s.fNwkSInt.block
	return s
}

// NewSession11 caches the keys of a LoRaWAN 1.1 session: FNwkSIntKey and
// SNwkSIntKey (MICs), NwkSEncKey (FOpts and FPort 0 payloads) and AppSKey.
// A 1.1 device that joined a 1.0 network (OptNeg unset) runs a 1.0 session:
// use NewSession10 with the keys from RootKeys.SessionKeys10.
func NewSession11(fNwkSIntKey, sNwkSIntKey, nwkSEncKey, appSKey AES128Key) *Session {
	return &Session{
		version:  MACVersion1_1,
		fNwkSInt: newCMACKey(fNwkSIntKey),
		sNwkSInt: newCMACKey(sNwkSIntKey),
		nwkSEnc:  newAESBlock(nwkSEncKey),
		appS:     newAESBlock(appSKey),
	}
}

// MACVersion reports which specification's frame security the session uses.
func (s *Session) MACVersion() MACVersion { return s.version }

// UplinkMIC computes the MIC of an uplink data frame. msg is the frame
// without its MIC (MHDR | FHDR | [FPort | FRMPayload], 8 to 251 bytes), fCnt
// the full FCntUp.
//
// LoRaWAN 1.0: CMAC(NwkSKey, B0 | msg)[0:4]; confFCnt, txDR and txCh are
// not used. LoRaWAN 1.1: cmacS[0:2] | cmacF[0:2] with cmacF =
// CMAC(FNwkSIntKey, B0 | msg) and cmacS = CMAC(SNwkSIntKey, B1 | msg), B1
// carrying confFCnt (the counter of the confirmed downlink being
// acknowledged; it counts only when msg's ACK bit is set, as the
// specification says), txDR (data rate index) and txCh (channel index) of
// the transmission.
func (s *Session) UplinkMIC(msg []byte, devAddr DevAddr, fCnt uint32, confFCnt uint16, txDR, txCh uint8) ([4]byte, error) {
	if err := secCheckDataMsg(msg); err != nil {
		return [4]byte{}, err
	}
	if msg[5]&secFCtrlACK == 0 {
		confFCnt = 0
	}
	// The blocks are built on the stack and copied in under the lock: a
	// block stored in narrow pieces right before AES reads it whole costs a
	// store-forwarding stall, which the lock's memory fence absorbs.
	var b0, b1 [16]byte
	n := byte(len(msg))
	secPutBlock(&b0, secTagMIC, 0, 0, 0, true, devAddr, fCnt, n)
	if s.version == MACVersion1_0 {
		s.mu.Lock()
		f := &s.sc.mic1
		f.x = b0
		s.fNwkSInt.sum(f, true, msg)
		mic := secMIC(&f.x)
		s.mu.Unlock()
		return mic, nil
	}
	secPutBlock(&b1, secTagMIC, confFCnt, txDR, txCh, true, devAddr, fCnt, n)
	s.mu.Lock()
	f, sb := &s.sc.mic1, &s.sc.mic2
	f.x, sb.x = b0, b1
	cmacSum2(&s.fNwkSInt, &s.sNwkSInt, f, sb, msg)
	mic := [4]byte{sb.x[0], sb.x[1], f.x[0], f.x[1]}
	s.mu.Unlock()
	return mic, nil
}

// DownlinkMIC computes the MIC of a downlink data frame: CMAC(key, B0 |
// msg)[0:4] with msg as in UplinkMIC and fCnt the full downlink counter
// (NFCntDown or AFCntDown in 1.1). The key is NwkSKey in 1.0 and SNwkSIntKey
// in 1.1, where B0 also carries confFCnt, the counter of the confirmed
// uplink being acknowledged, when msg's ACK bit is set; 1.0 ignores it.
func (s *Session) DownlinkMIC(msg []byte, devAddr DevAddr, fCnt uint32, confFCnt uint16) ([4]byte, error) {
	if err := secCheckDataMsg(msg); err != nil {
		return [4]byte{}, err
	}
	key := &s.fNwkSInt // NwkSKey
	if s.version == MACVersion1_1 {
		key = &s.sNwkSInt
	}
	if s.version == MACVersion1_0 || msg[5]&secFCtrlACK == 0 {
		confFCnt = 0
	}
	var b0 [16]byte
	secPutBlock(&b0, secTagMIC, confFCnt, 0, 0, false, devAddr, fCnt, byte(len(msg)))
	s.mu.Lock()
	f := &s.sc.mic1
	f.x = b0
	key.sum(f, true, msg)
	mic := secMIC(&f.x)
	s.mu.Unlock()
	return mic, nil
}

// XORFRMPayload encrypts or decrypts (the same operation) an FRMPayload of
// at most 242 bytes (all a 255-byte frame can carry) from src into dst,
// which must be at least as long; dst may be src itself. The key is AppSKey, or for fPort 0 (MAC commands) the
// network key: NwkSKey in 1.0, NwkSEncKey in 1.1. fCnt is the full counter
// of the frame's direction (FCntUp, NFCntDown for FPort 0 in 1.1, AFCntDown
// otherwise).
func (s *Session) XORFRMPayload(dst, src []byte, uplink bool, devAddr DevAddr, fCnt uint32, fPort uint8) error {
	if err := secCheckXOR("frmpayload", dst, src, secMaxFRMPayload); err != nil {
		return err
	}
	block := s.appS
	if fPort == 0 {
		block = s.nwkSEnc
	}
	var a [16]byte
	secPutBlock(&a, secTagEnc, 0, 0, 0, uplink, devAddr, fCnt, 1)
	s.mu.Lock()
	s.sc.ctr = a
	secXORKeyStream(block, &s.sc, dst, src)
	s.mu.Unlock()
	return nil
}

// XORFOpts encrypts or decrypts the FOpts of a LoRaWAN 1.1 frame (at most 15
// bytes) with NwkSEncKey, following the 1.1 erratum: A = 0x01 | 00 00 00 |
// 0x01 (FCntUp, NFCntDown) or 0x02 (AFCntDown) | Dir | DevAddr | FCnt | 0x00
// | 0x01. aFCntDown says fCnt is AFCntDown, i.e. a downlink that also carries
// an FPort above 0. A 1.0 session sends FOpts in clear and is refused here.
func (s *Session) XORFOpts(dst, src []byte, uplink bool, devAddr DevAddr, fCnt uint32, aFCntDown bool) error {
	if s.version == MACVersion1_0 {
		return errors.New("lorawan: fopts are encrypted only in lorawan 1.1")
	}
	if uplink && aFCntDown {
		return errors.New("lorawan: fopts: AFCntDown is a downlink counter")
	}
	if err := secCheckXOR("fopts", dst, src, secMaxFOpts); err != nil {
		return err
	}
	var counter byte = 0x01
	if aFCntDown {
		counter = 0x02
	}
	var a [16]byte
	secPutBlock(&a, secTagEnc, 0, 0, counter, uplink, devAddr, fCnt, 1)
	s.mu.Lock()
	s.sc.ctr = a
	secXORKeyStream(s.nwkSEnc, &s.sc, dst, src)
	s.mu.Unlock()
	return nil
}

// RejoinRequestMIC computes the MIC of a LoRaWAN 1.1 rejoin-request of type
// 0 or 2: CMAC(SNwkSIntKey, msg)[0:4], msg being the 15 bytes MHDR |
// RejoinType | NetID | DevEUI | RJcount0. Type 1 is signed by the join
// server's key: see RootKeys.RejoinRequestMIC.
func (s *Session) RejoinRequestMIC(msg []byte) ([4]byte, error) {
	if s.version == MACVersion1_0 {
		return [4]byte{}, errors.New("lorawan: rejoin-request needs a lorawan 1.1 session")
	}
	if len(msg) != 15 {
		return [4]byte{}, secErr("rejoin-request mic: message of %d bytes, want 15", len(msg))
	}
	if msg[1] != 0 && msg[1] != 2 {
		return [4]byte{}, fmt.Errorf("lorawan: rejoin-request mic: type %d, want 0 or 2 (type 1 is signed with JSIntKey: RootKeys)", msg[1])
	}
	s.mu.Lock()
	st := &s.sc.mic1
	s.sNwkSInt.sum(st, false, msg)
	mic := secMIC(&st.x)
	s.mu.Unlock()
	return mic, nil
}

// Scratch is the working memory of Session.OpenUplink (CMAC chains, counter
// blocks, keystream) kept by its caller, so that checking and decrypting an
// uplink needs neither the Session's lock nor an allocation. A pipeline
// worker allocates one (new(Scratch); the zero value is ready) and reuses it
// for every frame of every device; a Scratch must not be used by two
// goroutines at the same time. It holds no key; what it keeps of the last
// frame (CMAC state, counter blocks, keystream) the next one overwrites.
type Scratch struct {
	f, s cmacState                  // MIC chains: FNwkSIntKey (NwkSKey in 1.0), SNwkSIntKey
	ks   [secMaxCTRBlocks * 16]byte // counter blocks A_1..A_n, encrypted in place into the keystream
}

// OpenUplink is the server's work on one uplink data frame in a single call:
// it checks the MIC and, when it is right, decrypts the FRMPayload into
// dst. frame is the whole PHYPayload as received (MIC included), p what
// p.UnmarshalBinary(frame) decoded (p.FRMPayload must alias frame), fCnt the
// full FCntUp (see FullFCnt); confFCnt, txDR and txCh enter the LoRaWAN 1.1
// MIC as in UplinkMIC and are ignored in 1.0. sc is the caller's working
// memory; calls on one Session may run concurrently, each with its own
// Scratch.
//
// ok reports the MIC. When it holds, dst[:len(p.FRMPayload)] is the
// plaintext (decrypted with AppSKey, or for FPort 0 with NwkSKey in 1.0 and
// NwkSEncKey in 1.1); otherwise dst is left untouched. FOpts are not
// touched: in 1.1 decrypt them with XORFOpts. err is set, and ok false, for
// a frame that is not a data uplink, a p that does not describe frame, a
// dst shorter than the payload, or a nil sc or p.
func (s *Session) OpenUplink(sc *Scratch, frame []byte, p *PHYPayload, fCnt uint32, confFCnt uint16, txDR, txCh uint8, dst []byte) (ok bool, err error) {
	n := len(frame) - 4 // the bytes the MIC covers
	if sc == nil || p == nil || n < secMinDataMsg || n > secMaxMsg {
		return false, secOpenErr(sc, frame, p, dst)
	}
	// l is the payload's length, or -1 without an FPort; it takes nb
	// keystream blocks (none for -1).
	l := len(p.FRMPayload)
	if !p.FPortPresent {
		l = ^l
	}
	nb := min((l+15)>>4, secMaxCTRBlocks)
	// The blocks come first, and the checks after them: AES loads a block
	// whole, which the CPU cannot forward from the two word stores that
	// wrote it; it waits until they reach the cache, so they had better be
	// early. Until the checks pass only sc is written. B0, B1 and A_i share
	// bytes 5..14 (Dir 0 for an uplink, DevAddr, FCnt, 0x00); each is
	// written as two little-endian words (see secPutBlock).
	le := binary.LittleEndian
	addr := uint64(le.Uint32(frame[1:5])) // DevAddr as on air, little-endian
	hi := addr>>16 | uint64(fCnt)<<16
	le.PutUint64(sc.ks[:8], secTagEnc|addr<<48) // A_1 even if unused: cheaper than a test
	le.PutUint64(sc.ks[8:16], hi|1<<56)
	for i := 1; i < nb; i++ {
		a := (*[16]byte)(sc.ks[i*16:])
		le.PutUint64(a[:8], secTagEnc|addr<<48)
		le.PutUint64(a[8:], hi|uint64(i+1)<<56)
	}
	hi |= uint64(n) << 56
	fx, sx := &sc.f.x, &sc.s.x
	le.PutUint64(fx[:8], secTagMIC|addr<<48)
	le.PutUint64(fx[8:], hi)
	v11 := s.version == MACVersion1_1
	if v11 {
		if frame[5]&secFCtrlACK == 0 {
			confFCnt = 0
		}
		le.PutUint64(sx[:8], secTagMIC|uint64(confFCnt)<<8|uint64(txDR)<<24|uint64(txCh)<<32|addr<<48)
		le.PutUint64(sx[8:], hi)
	}
	// The frame is checked as UnmarshalBinary checks it, and p must be its
	// decoding: FPort present exactly when the frame has one, the payload
	// the frame's own bytes (compared by address), the same FPort.
	pos := 8 + int(frame[5]&0x0f) // after FOpts: FPort, if any
	if m := frame[0]; m != 0x40 && m != 0x80 || pos > n || n-pos-1 != l ||
		pos > 8 && pos < n && frame[pos] == 0 || len(dst) < l ||
		l > 0 && (&p.FRMPayload[0] != &frame[pos+1] || p.FPort != frame[pos]) {
		return false, secOpenErr(sc, frame, p, dst)
	}
	msg := frame[:n]

	// The MIC chains are serial: AES, XOR the next block in, AES, ... The
	// AES after an XOR waits for the XOR's two word stores to reach the
	// cache (see above), so work that does not depend on the chain is put
	// in between to fill the wait: the final block's set-up, a keystream
	// block. An XOR with nothing to cover goes through subtle.XORBytes,
	// which stores the block whole, at the price of a call.
	if !v11 && n <= 32 && nb <= 1 {
		// Most LoRaWAN 1.0 uplinks: at most one whole block before the
		// final one and at most one keystream block, straight through.
		f := &s.fNwkSInt
		f.block.Encrypt(fx[:], fx[:])
		var lo, lhi uint64
		ctr := s.appS
		if n > 16 {
			secXORWords(fx, le.Uint64(msg[:8]), le.Uint64(msg[8:16]))
			lo, lhi = f.lastWords(msg)
			if frame[pos] == 0 { // FPort 0 (or none: then nb is 0)
				ctr = s.nwkSEnc
			}
			f.block.Encrypt(fx[:], fx[:])
		} else {
			lo, lhi = f.lastWords(msg)
			if frame[pos] == 0 {
				ctr = s.nwkSEnc
			}
		}
		if nb == 1 {
			secXORWords(fx, lo, lhi)
			ctr.Encrypt(sc.ks[:16], sc.ks[:16])
		} else {
			le.PutUint64(sc.f.last[:8], lo)
			le.PutUint64(sc.f.last[8:], lhi)
			subtle.XORBytes(fx[:], fx[:], sc.f.last[:])
		}
		f.block.Encrypt(fx[:], fx[:])
		if le.Uint32(fx[:4]) != le.Uint32(frame[n:]) {
			return false, nil
		}
		secXORStream(dst, p.FRMPayload, &sc.ks)
		return true, nil
	}

	// Longer frames, and LoRaWAN 1.1 with its two chains: the keystream
	// blocks cover the XORs of the first whole blocks.
	ctr := s.appS
	if frame[pos] == 0 { // FPort 0 (or none: then nb is 0)
		ctr = s.nwkSEnc
	}
	lo, lhi := s.fNwkSInt.lastWords(msg)
	le.PutUint64(sc.f.last[:8], lo)
	le.PutUint64(sc.f.last[8:], lhi)
	if v11 {
		lo, lhi = s.sNwkSInt.lastWords(msg)
		le.PutUint64(sc.s.last[:8], lo)
		le.PutUint64(sc.s.last[8:], lhi)
	}
	s.fNwkSInt.block.Encrypt(fx[:], fx[:])
	if v11 {
		s.sNwkSInt.block.Encrypt(sx[:], sx[:])
	}
	i := 0
	for body := msg[:(n-1)&^15]; len(body) >= 16; body = body[16:] {
		if i < nb {
			w0, w1 := le.Uint64(body[:8]), le.Uint64(body[8:16])
			secXORWords(fx, w0, w1)
			if v11 {
				secXORWords(sx, w0, w1)
			}
			a := sc.ks[i*16 : i*16+16]
			ctr.Encrypt(a, a)
			i++
		} else {
			subtle.XORBytes(fx[:], fx[:], body[:16])
			if v11 {
				subtle.XORBytes(sx[:], sx[:], body[:16])
			}
		}
		s.fNwkSInt.block.Encrypt(fx[:], fx[:])
		if v11 {
			s.sNwkSInt.block.Encrypt(sx[:], sx[:])
		}
	}
	for ; i < nb; i++ {
		a := sc.ks[i*16 : i*16+16]
		ctr.Encrypt(a, a)
	}
	subtle.XORBytes(fx[:], fx[:], sc.f.last[:])
	s.fNwkSInt.block.Encrypt(fx[:], fx[:])
	mic := le.Uint32(fx[:4])
	if v11 {
		subtle.XORBytes(sx[:], sx[:], sc.s.last[:])
		s.sNwkSInt.block.Encrypt(sx[:], sx[:])
		mic = mic<<16 | le.Uint32(sx[:4])&0xffff // cmacS[0:2] | cmacF[0:2]
	}
	if mic != le.Uint32(frame[n:]) {
		return false, nil
	}
	secXORStream(dst, p.FRMPayload, &sc.ks)
	return true, nil
}

// secXORWords XORs the little-endian words lo, hi into the block x.
func secXORWords(x *[16]byte, lo, hi uint64) {
	le := binary.LittleEndian
	le.PutUint64(x[:8], le.Uint64(x[:8])^lo)
	le.PutUint64(x[8:], le.Uint64(x[8:])^hi)
}

// secOpenErr says why OpenUplink refused its arguments.
func secOpenErr(sc *Scratch, frame []byte, p *PHYPayload, dst []byte) error {
	if sc == nil || p == nil {
		return errors.New("lorawan: open uplink: nil scratch or phypayload")
	}
	n := len(frame) - 4
	if n < secMinDataMsg || n > secMaxMsg {
		return secErr("open uplink: frame of %d bytes, want %d to %d", len(frame), secMinDataMsg+4, secMaxMsg+4)
	}
	if frame[0] != 0x40 && frame[0] != 0x80 {
		return secErr("open uplink: mhdr 0x%02x is not a lorawan r1 data uplink", frame[0])
	}
	pos := 8 + int(frame[5]&0x0f)
	switch {
	case pos > n:
		return secErr("open uplink: foptslen %d runs past the end of a %d-byte frame", pos-8, len(frame))
	case pos < n && pos > 8 && frame[pos] == 0:
		return secErr("open uplink: fopts present with fport 0")
	case len(dst) < max(n-pos-1, 0) && p.FPortPresent && len(p.FRMPayload) == n-pos-1:
		return fmt.Errorf("lorawan: open uplink: output buffer of %d bytes for %d bytes", len(dst), n-pos-1)
	}
	return errors.New("lorawan: open uplink: the PHYPayload was not decoded from this frame")
}
