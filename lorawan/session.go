package lorawan

import (
	"crypto/cipher"
	"errors"
	"fmt"
	"sync"
)

// Session holds the session keys of one device with their AES key schedules
// and CMAC subkeys expanded once, so that checking and decrypting a frame
// costs only its block encryptions and allocates nothing. It is safe for
// concurrent use; calls on one Session take turns (each lasts well under a
// microsecond), calls on different Sessions run in parallel.
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
