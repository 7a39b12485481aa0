package lorawan

import "crypto/cipher"

// NewRootKeys11WithJSKeys is NewRootKeys11 with JSIntKey and JSEncKey given
// instead of derived from NwkKey and DevEUI: for tools that inspect the
// frames of a join server whose derived keys are known (e.g. `loraedge
// decode --jsintkey`) and for test vectors that state those keys directly.
func NewRootKeys11WithJSKeys(appKey, nwkKey, jsIntKey, jsEncKey AES128Key) *RootKeys {
	return &RootKeys{
		version: MACVersion1_1,
		nwk:     newCMACKey(nwkKey),
		app:     newAESBlock(appKey),
		jsInt:   newCMACKey(jsIntKey),
		jsEnc:   newAESBlock(jsEncKey),
	}
}

// DeriveJSKeys returns the LoRaWAN 1.1 join-server keys of a device:
// JSIntKey = AES(NwkKey, 0x06 | DevEUI | pad16) and JSEncKey = AES(NwkKey,
// 0x05 | DevEUI | pad16), DevEUI little-endian.
func DeriveJSKeys(nwkKey AES128Key, devEUI EUI64) (jsIntKey, jsEncKey AES128Key) {
	return secDeriveJSKeys(newAESBlock(nwkKey), devEUI)
}

// secDeriveJSKeys derives JSIntKey and JSEncKey with nwk, the expanded
// NwkKey: the one implementation behind DeriveJSKeys and NewRootKeys11.
// Its blocks escape through the cipher.Block interface, which costs an
// allocation; it runs once per device, not per frame.
func secDeriveJSKeys(nwk cipher.Block, devEUI EUI64) (jsIntKey, jsEncKey AES128Key) {
	var in [16]byte
	secPutLE(in[1:9], devEUI[:])
	in[0] = 0x06
	nwk.Encrypt(jsIntKey[:], in[:])
	in[0] = 0x05
	nwk.Encrypt(jsEncKey[:], in[:])
	return jsIntKey, jsEncKey
}
