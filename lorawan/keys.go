package lorawan

import (
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
)

// JoinReqType is the first byte of the LoRaWAN 1.1 join-accept MIC
// (OptNeg set): which request the join-accept answers.
type JoinReqType uint8

// The join-request types. A join-accept answering a rejoin-request is
// encrypted with JSEncKey, one answering a join-request with NwkKey (AppKey
// in 1.0).
const (
	JoinReqTypeRejoin0 JoinReqType = 0x00 // rejoin-request type 0
	JoinReqTypeRejoin1 JoinReqType = 0x01 // rejoin-request type 1
	JoinReqTypeRejoin2 JoinReqType = 0x02 // rejoin-request type 2
	JoinReqTypeJoin    JoinReqType = 0xFF // join-request
)

// Lengths of the join messages, without MIC unless said.
const (
	secJoinRequestLen = 19 // MHDR | JoinEUI | DevEUI | DevNonce
	secRejoin1Len     = 20 // MHDR | 0x01 | JoinEUI | DevEUI | RJcount1
	secJoinAcceptLen  = 13 // MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay
	secCFListLen      = 16 // optional CFList at the end of a join-accept
)

// The OptNeg bit of DLSettings, at this offset in MHDR | join-accept payload.
const (
	secDLSettingsAt = 11
	secOptNeg       = 0x80
)

// SessionKeys11 are the four keys of a LoRaWAN 1.1 session, as derived at a
// join with OptNeg set; pass them to NewSession11.
type SessionKeys11 struct {
	FNwkSIntKey AES128Key
	SNwkSIntKey AES128Key
	NwkSEncKey  AES128Key
	AppSKey     AES128Key
}

// RootKeys holds the root keys of one device with their AES key schedules,
// CMAC subkeys and the LoRaWAN 1.1 join-server keys (JSIntKey, JSEncKey)
// derived once, so that a join costs only its block encryptions. It serves
// both sides: the join server (check join-requests, build join-accepts,
// derive session keys) and simulated devices (the reverse). It is safe for
// concurrent use; calls on one RootKeys take turns.
//
// The network root key is AppKey for a 1.0 device and NwkKey for a 1.1
// device; it signs join-requests, encrypts join-accepts answering them and,
// when a 1.1 device joins a 1.0 network (OptNeg unset), stands for AppKey in
// the 1.0 join-accept MIC and key derivation, as LoRaWAN 1.1 requires.
type RootKeys struct {
	version MACVersion
	nwk     cmacKey      // NwkKey; AppKey in 1.0
	app     cipher.Block // AppKey (1.1 AppSKey derivation); the same as nwk in 1.0
	jsInt   cmacKey      // JSIntKey; 1.1 only
	jsEnc   cipher.Block // JSEncKey; 1.1 only

	mu sync.Mutex
	sc secScratch // guarded by mu
}

// NewRootKeys10 caches the AppKey of a LoRaWAN 1.0.x device.
func NewRootKeys10(appKey AES128Key) *RootKeys {
	r := &RootKeys{version: MACVersion1_0, nwk: newCMACKey(appKey)}
	r.app = r.nwk.block
	return r
}

// NewRootKeys11 caches the AppKey and NwkKey of a LoRaWAN 1.1 device and
// derives its JSIntKey = AES(NwkKey, 0x06 | DevEUI | pad16) and JSEncKey =
// AES(NwkKey, 0x05 | DevEUI | pad16), DevEUI little-endian.
func NewRootKeys11(appKey, nwkKey AES128Key, devEUI EUI64) *RootKeys {
	r := &RootKeys{version: MACVersion1_1, nwk: newCMACKey(nwkKey), app: newAESBlock(appKey)}
	jsInt, jsEnc := secDeriveJSKeys(r.nwk.block, devEUI)
	r.jsInt = newCMACKey(jsInt)
	r.jsEnc = newAESBlock(jsEnc)
	return r
}

// MACVersion reports the device's LoRaWAN version.
func (r *RootKeys) MACVersion() MACVersion { return r.version }

// JoinRequestMIC computes the MIC of a join-request: CMAC(key, msg)[0:4]
// with msg the 19 bytes MHDR | JoinEUI | DevEUI | DevNonce and key the
// network root key (AppKey 1.0, NwkKey 1.1).
func (r *RootKeys) JoinRequestMIC(msg []byte) ([4]byte, error) {
	if len(msg) != secJoinRequestLen {
		return [4]byte{}, secErr("join-request mic: message of %d bytes, want %d", len(msg), secJoinRequestLen)
	}
	return r.mic(&r.nwk, msg), nil
}

// RejoinRequestMIC computes the MIC of a LoRaWAN 1.1 rejoin-request of type
// 1: CMAC(JSIntKey, msg)[0:4], msg being the 20 bytes MHDR | 0x01 | JoinEUI |
// DevEUI | RJcount1. Types 0 and 2 are signed with a session key: see
// Session.RejoinRequestMIC.
func (r *RootKeys) RejoinRequestMIC(msg []byte) ([4]byte, error) {
	if r.version == MACVersion1_0 {
		return [4]byte{}, errors.New("lorawan: rejoin-request needs a lorawan 1.1 device")
	}
	if len(msg) != secRejoin1Len {
		return [4]byte{}, secErr("rejoin-request type 1 mic: message of %d bytes, want %d", len(msg), secRejoin1Len)
	}
	if msg[1] != 1 {
		return [4]byte{}, fmt.Errorf("lorawan: rejoin-request mic: type %d, want 1 (types 0 and 2 are signed with SNwkSIntKey: Session)", msg[1])
	}
	return r.mic(&r.jsInt, msg), nil
}

// JoinAcceptMIC computes the MIC of a join-accept. msg is the plaintext
// MHDR | JoinNonce | NetID | DevAddr | DLSettings | RxDelay [| CFList] (13 or
// 29 bytes). For a 1.0 device, and for a 1.1 device with OptNeg unset in
// DLSettings, the MIC is CMAC(key, msg)[0:4], key being the network root
// key; jrt must then be JoinReqTypeJoin and joinEUI and devNonce are not
// used. DLSettings bit 7 is RFU in LoRaWAN 1.0, so a 1.0 device computes
// that MIC whatever the bit holds (AppendJoinAccept refuses to send it
// set). With OptNeg set for a 1.1 device it is CMAC(JSIntKey, jrt | JoinEUI
// | DevNonce | msg)[0:4], where devNonce is the DevNonce of a join-request
// or the RJcount of a rejoin-request.
func (r *RootKeys) JoinAcceptMIC(msg []byte, jrt JoinReqType, joinEUI EUI64, devNonce uint16) ([4]byte, error) {
	if n := len(msg); n != secJoinAcceptLen && n != secJoinAcceptLen+secCFListLen {
		return [4]byte{}, secErr("join-accept mic: message of %d bytes, want %d or %d", n, secJoinAcceptLen, secJoinAcceptLen+secCFListLen)
	}
	if err := r.checkJoinReqType(jrt); err != nil {
		return [4]byte{}, err
	}
	if r.version == MACVersion1_0 || msg[secDLSettingsAt]&secOptNeg == 0 {
		if jrt != JoinReqTypeJoin {
			return [4]byte{}, errors.New("lorawan: join-accept mic: a rejoin is answered with OptNeg set")
		}
		return r.mic(&r.nwk, msg), nil
	}
	var buf [11 + secJoinAcceptLen + secCFListLen]byte
	buf[0] = byte(jrt)
	secPutLE(buf[1:9], joinEUI[:])
	binary.LittleEndian.PutUint16(buf[9:11], devNonce)
	n := 11 + copy(buf[11:], msg)
	return r.mic(&r.jsInt, buf[:n]), nil
}

// EncryptJoinAccept encrypts a join-accept for sending: src is the plaintext
// after MHDR (payload | MIC, 16 or 32 bytes), written encrypted to dst, which
// must be at least as long and may be src. As the specification has it, the
// network "encrypts" with the AES decrypt operation (ECB) so that devices
// need only AES encrypt. The key is the network root key for a join-request
// (AppKey 1.0, NwkKey 1.1) and JSEncKey for a rejoin-request.
func (r *RootKeys) EncryptJoinAccept(dst, src []byte, jrt JoinReqType) error {
	return r.joinAcceptECB(dst, src, jrt, true)
}

// DecryptJoinAccept is the inverse of EncryptJoinAccept (the AES encrypt
// operation), as a device runs it on a received join-accept.
func (r *RootKeys) DecryptJoinAccept(dst, src []byte, jrt JoinReqType) error {
	return r.joinAcceptECB(dst, src, jrt, false)
}

// AppendJoinAccept appends to dst the on-air join-accept for msg, the
// plaintext MHDR | payload of JoinAcceptMIC: MHDR, then payload and MIC
// encrypted as by EncryptJoinAccept. OptNeg set for a 1.0 device (an RFU
// bit there) is refused. On error dst is returned unchanged.
func (r *RootKeys) AppendJoinAccept(dst, msg []byte, jrt JoinReqType, joinEUI EUI64, devNonce uint16) ([]byte, error) {
	mic, err := r.JoinAcceptMIC(msg, jrt, joinEUI, devNonce)
	if err != nil {
		return dst, err
	}
	if r.version == MACVersion1_0 && msg[secDLSettingsAt]&secOptNeg != 0 {
		return dst, errors.New("lorawan: join-accept: OptNeg set for a lorawan 1.0 device")
	}
	var plain [secJoinAcceptLen - 1 + secCFListLen + 4]byte
	n := copy(plain[:], msg[1:])
	n += copy(plain[n:], mic[:])
	start := len(dst)
	dst = append(dst, msg[0])
	dst = append(dst, make([]byte, n)...)
	if err := r.EncryptJoinAccept(dst[start+1:], plain[:n], jrt); err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// SessionKeys10 derives the keys of a LoRaWAN 1.0 session, or of a 1.1
// device that joined a 1.0 network (OptNeg unset, where FNwkSIntKey,
// SNwkSIntKey and NwkSEncKey all equal the NwkSKey returned here):
// NwkSKey = AES(key, 0x01 | JoinNonce | NetID | DevNonce | pad16) and
// AppSKey the same with 0x02, key being the network root key (AppKey 1.0,
// NwkKey 1.1). joinNonce (AppNonce in 1.0) has 24 bits.
func (r *RootKeys) SessionKeys10(joinNonce uint32, netID NetID, devNonce uint16) (nwkSKey, appSKey AES128Key, err error) {
	if joinNonce > 0xFFFFFF {
		return nwkSKey, appSKey, secErr("session keys: joinnonce %#x above 24 bits", joinNonce)
	}
	var in [16]byte
	secPutUint24(in[1:4], joinNonce)
	secPutLE(in[4:7], netID[:])
	binary.LittleEndian.PutUint16(in[7:9], devNonce)
	in[0] = 0x01
	nwkSKey = r.deriveKey(r.nwk.block, in)
	in[0] = 0x02
	appSKey = r.deriveKey(r.nwk.block, in)
	return nwkSKey, appSKey, nil
}

// SessionKeys11 derives the keys of a LoRaWAN 1.1 session (OptNeg set):
// AES(NwkKey, t | JoinNonce | JoinEUI | DevNonce | pad16) with t = 0x01
// FNwkSIntKey, 0x03 SNwkSIntKey, 0x04 NwkSEncKey, and AppSKey the same with
// AppKey and t = 0x02. joinNonce has 24 bits.
func (r *RootKeys) SessionKeys11(joinNonce uint32, joinEUI EUI64, devNonce uint16) (SessionKeys11, error) {
	var k SessionKeys11
	if r.version == MACVersion1_0 {
		return k, errors.New("lorawan: session keys: a lorawan 1.0 device has no 1.1 session keys")
	}
	if joinNonce > 0xFFFFFF {
		return k, secErr("session keys: joinnonce %#x above 24 bits", joinNonce)
	}
	var in [16]byte
	secPutUint24(in[1:4], joinNonce)
	secPutLE(in[4:12], joinEUI[:])
	binary.LittleEndian.PutUint16(in[12:14], devNonce)
	in[0] = 0x01
	k.FNwkSIntKey = r.deriveKey(r.nwk.block, in)
	in[0] = 0x02
	k.AppSKey = r.deriveKey(r.app, in)
	in[0] = 0x03
	k.SNwkSIntKey = r.deriveKey(r.nwk.block, in)
	in[0] = 0x04
	k.NwkSEncKey = r.deriveKey(r.nwk.block, in)
	return k, nil
}

// checkJoinReqType refuses unknown types and rejoins for 1.0 devices.
func (r *RootKeys) checkJoinReqType(jrt JoinReqType) error {
	switch jrt {
	case JoinReqTypeJoin:
		return nil
	case JoinReqTypeRejoin0, JoinReqTypeRejoin1, JoinReqTypeRejoin2:
		if r.version == MACVersion1_0 {
			return errors.New("lorawan: join-accept: rejoin-requests need a lorawan 1.1 device")
		}
		return nil
	}
	return fmt.Errorf("lorawan: join-accept: unknown join-request type %#02x", uint8(jrt))
}

// joinAcceptECB runs AES decrypt (encrypt true, the network side) or AES
// encrypt (the device side) over the 16-byte blocks of src into dst.
func (r *RootKeys) joinAcceptECB(dst, src []byte, jrt JoinReqType, encrypt bool) error {
	if n := len(src); n != 16 && n != 32 {
		return secErr("join-accept: %d bytes after mhdr, want 16 or 32", n)
	}
	if len(dst) < len(src) {
		return fmt.Errorf("lorawan: join-accept: output buffer of %d bytes for %d bytes", len(dst), len(src))
	}
	if err := r.checkJoinReqType(jrt); err != nil {
		return err
	}
	block := r.nwk.block
	if jrt != JoinReqTypeJoin {
		block = r.jsEnc
	}
	r.mu.Lock()
	b := &r.sc.ks
	for ; len(src) > 0; src, dst = src[16:], dst[16:] {
		copy(b[:], src)
		if encrypt {
			block.Decrypt(b[:], b[:])
		} else {
			block.Encrypt(b[:], b[:])
		}
		copy(dst, b[:])
	}
	r.mu.Unlock()
	return nil
}

// mic returns CMAC(key, msg)[0:4].
func (r *RootKeys) mic(key *cmacKey, msg []byte) [4]byte {
	r.mu.Lock()
	st := &r.sc.mic1
	key.sum(st, false, msg)
	mic := secMIC(&st.x)
	r.mu.Unlock()
	return mic
}

// deriveKey returns AES(block, in) as a key.
func (r *RootKeys) deriveKey(block cipher.Block, in [16]byte) AES128Key {
	r.mu.Lock()
	b := &r.sc.ks
	*b = in
	block.Encrypt(b[:], b[:])
	k := AES128Key(*b)
	r.mu.Unlock()
	return k
}

// secPutLE writes the MSB-first src into dst little-endian (reversed).
func secPutLE(dst, src []byte) {
	for i, b := range src {
		dst[len(src)-1-i] = b
	}
}

// secPutUint24 writes the low 24 bits of v little-endian.
func secPutUint24(dst []byte, v uint32) {
	dst[0], dst[1], dst[2] = byte(v), byte(v>>8), byte(v>>16)
}
