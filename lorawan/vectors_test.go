package lorawan

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// The known-answer vectors of testdata/vectors/lorawan.json (a copy of the
// project's shared vectors), each passed through the public API operation by
// operation. The file's conventions are checked first, unknown fields or
// categories fail the test, and the number of operations run per category
// must match the file's own counts.

type secVectorFile struct {
	Description string            `json:"description"`
	Conventions map[string]string `json:"conventions"`
	Counts      map[string]int    `json:"counts_by_category"`
	Vectors     []secVector       `json:"vectors"`
}

type secVector struct {
	ID       string           `json:"id"`
	Category string           `json:"category"`
	Source   json.RawMessage  `json:"source"`
	Inputs   secVectorInputs  `json:"inputs"`
	Expected secVectorOutputs `json:"expected"`
	Computed secVectorOutputs `json:"computed"`
	Notes    string           `json:"notes"`
	Verified bool             `json:"verified"`
}

type secVectorInputs struct {
	MACVersion string            `json:"mac_version"`
	Direction  string            `json:"direction"`
	DevAddr    string            `json:"devaddr"`
	FCnt       *uint32           `json:"fcnt"`
	FPort      *uint8            `json:"fport"`
	ConfFCnt   uint16            `json:"conf_fcnt"`
	TxDR       uint8             `json:"tx_dr"`
	TxCh       uint8             `json:"tx_ch"`
	Keys       map[string]string `json:"keys"`

	PlaintextHex      string `json:"plaintext_hex"`
	CiphertextHex     string `json:"ciphertext_hex"`
	PHYPayloadHex     string `json:"phypayload_hex"`
	MsgHex            string `json:"msg_hex"`
	FOptsHex          string `json:"fopts_hex"`
	FOptsPlaintextHex string `json:"fopts_plaintext_hex"`
	FOptsAVariant     string `json:"fopts_a_variant"`
	FOptsAByte4       *uint8 `json:"fopts_a_byte4"`

	Key                    string  `json:"key"`
	KeyName                string  `json:"key_name"`
	MICKey                 string  `json:"mic_key"`
	MICKeyName             string  `json:"mic_key_name"`
	JoinEUI                string  `json:"join_eui"`
	DevEUI                 string  `json:"dev_eui"`
	DevNonce               string  `json:"dev_nonce"`
	JoinNonce              string  `json:"join_nonce"`
	NetID                  string  `json:"net_id"`
	JoinReqType            string  `json:"join_req_type"`
	DLSettings             *uint8  `json:"dl_settings"`
	RxDelay                *uint8  `json:"rx_delay"`
	CFListHex              *string `json:"cflist_hex"`
	PlaintextPHYPayloadHex string  `json:"plaintext_phypayload_hex"`
	RejoinType             *uint8  `json:"rejoin_type"`
	RJCount                *uint16 `json:"rj_count"`

	AppKey string `json:"AppKey"`
	NwkKey string `json:"NwkKey"`
}

// secVectorOutputs holds both "expected" (literals from the source) and
// "computed" (filled in by the file's verifier).
type secVectorOutputs struct {
	MIC                    string `json:"mic"`
	FRMCiphertextHex       string `json:"frm_ciphertext_hex"`
	FOptsCiphertextHex     string `json:"fopts_ciphertext_hex"`
	PlaintextHex           string `json:"plaintext_hex"`
	EncryptedPHYPayloadHex string `json:"encrypted_phypayload_hex"`
	PlaintextPHYPayloadHex string `json:"plaintext_phypayload_hex"`
	B0Hex                  string `json:"b0_hex"`
	B1Hex                  string `json:"b1_hex"`
	ByteOrder              string `json:"byte_order"`

	NwkSKey     string `json:"NwkSKey"`
	AppSKey     string `json:"AppSKey"`
	FNwkSIntKey string `json:"FNwkSIntKey"`
	SNwkSIntKey string `json:"SNwkSIntKey"`
	NwkSEncKey  string `json:"NwkSEncKey"`
}

func secLoadVectors(t *testing.T) secVectorFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "vectors", "lorawan.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var f secVectorFile
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("decode vectors: %v", err)
	}
	return f
}

func TestVectors(t *testing.T) {
	// vectorOps runs one operation of a category on a vector.
	vectorOps := map[string]func(t *testing.T, v *secVector){
		"uplink_mic_1_0":          vecDataMIC,
		"uplink_mic_1_1":          vecDataMIC,
		"downlink_mic_1_0":        vecDataMIC,
		"downlink_mic_1_1":        vecDataMIC,
		"frmpayload_encrypt_up":   vecFRMPayload,
		"frmpayload_encrypt_down": vecFRMPayload,
		"fopts_encrypt_1_1":       vecFOpts,
		"join_request_mic":        vecJoinRequestMIC,
		"rejoin_request_mic":      vecRejoinRequestMIC,
		"join_accept_mic_1_0":     vecJoinAcceptMIC,
		"join_accept_mic_1_1":     vecJoinAcceptMIC,
		"join_accept_encrypt":     vecJoinAcceptEncrypt,
		"session_keys_1_0":        vecSessionKeys10,
		"session_keys_1_1":        vecSessionKeys11,
	}

	f := secLoadVectors(t)

	// The conventions this test reads the file by; a change there must be
	// looked at, not silently misread.
	wantConv := map[string]string{
		"identifiers":     "MSB-first",
		"fcnt":            "full 32-bit",
		"byte_strings":    "msg_hex = bytes covered by the MIC",
		"fopts_a_variant": "'erratum' = A: 01|00 00 00 {01 FCntUp/NFCntDown, 02 AFCntDown}|Dir|DevAddr|FCnt|00|01",
		"category":        "'+'-joined",
	}
	for k, want := range wantConv {
		if got := f.Conventions[k]; !strings.Contains(got, want) {
			t.Errorf("conventions[%q] = %q, want it to say %q", k, got, want)
		}
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}

	ran := map[string]int{}
	for i := range f.Vectors {
		v := &f.Vectors[i]
		ops := strings.Split(v.Category, "+")
		for _, op := range ops {
			ran[op]++
		}
		t.Run(v.ID, func(t *testing.T) {
			if !v.Verified {
				t.Errorf("secVector is not marked verified")
			}
			for _, op := range ops {
				run, ok := vectorOps[op]
				if !ok {
					t.Errorf("unknown category %q", op)
					continue
				}
				t.Run(op, func(t *testing.T) { run(t, v) })
			}
		})
	}
	for cat, want := range f.Counts {
		if ran[cat] != want {
			t.Errorf("category %s: ran %d operations, the file counts %d", cat, ran[cat], want)
		}
	}
	for cat := range ran {
		if _, ok := f.Counts[cat]; !ok {
			t.Errorf("category %s is missing from counts_by_category", cat)
		}
	}
}

// vecDataMIC checks an uplink or downlink MIC, the B0/B1 blocks the file's
// verifier computed, and that the frame is msg | MIC.
func vecDataMIC(t *testing.T, v *secVector) {
	in := &v.Inputs
	s := vecSession(t, v)
	msg := vecHex(t, in.MsgHex)
	devAddr := vecDevAddr(t, in.DevAddr)
	fCnt := vecFCnt(t, v)
	want := vecMIC(t, v.Expected.MIC)
	if phy := vecHex(t, in.PHYPayloadHex); !bytes.Equal(phy, append(bytes.Clone(msg), want[:]...)) {
		t.Fatalf("phypayload %x is not msg %x | mic %x", phy, msg, want)
	}
	uplink := vecUplink(t, v)
	ack := msg[5]&0x20 != 0
	conf := in.ConfFCnt
	if !ack {
		conf = 0
	}
	var got [4]byte
	var err error
	if uplink {
		got, err = s.UplinkMIC(msg, devAddr, fCnt, in.ConfFCnt, in.TxDR, in.TxCh)
	} else {
		got, err = s.DownlinkMIC(msg, devAddr, fCnt, in.ConfFCnt)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("mic = %x, want %x", got, want)
	}

	// The blocks as the verifier wrote them.
	var b0 [16]byte
	b0Conf := conf
	if uplink || s.MACVersion() == MACVersion1_0 {
		b0Conf = 0
	}
	secPutBlock(&b0, secTagMIC, b0Conf, 0, 0, uplink, devAddr, fCnt, byte(len(msg)))
	if w := v.Computed.B0Hex; w != "" && hex.EncodeToString(b0[:]) != w {
		t.Errorf("b0 = %x, want %s", b0, w)
	}
	if w := v.Computed.B1Hex; w != "" {
		var b1 [16]byte
		secPutBlock(&b1, secTagMIC, conf, in.TxDR, in.TxCh, true, devAddr, fCnt, byte(len(msg)))
		if hex.EncodeToString(b1[:]) != w {
			t.Errorf("b1 = %x, want %s", b1, w)
		}
	}
}

// vecFRMPayload checks FRMPayload encryption both ways.
func vecFRMPayload(t *testing.T, v *secVector) {
	in := &v.Inputs
	var s *Session
	var plain, cipher []byte
	var fPort uint8
	if in.Key != "" {
		// A bare payload key: used as both keys, so the FPort does not matter.
		k := vecKey(t, in.Key)
		s = NewSession10(k, k)
		cipher, plain = vecHex(t, in.CiphertextHex), vecHex(t, v.Expected.PlaintextHex)
	} else {
		s = vecSession(t, v)
		plain, cipher = vecHex(t, in.PlaintextHex), vecHex(t, v.Expected.FRMCiphertextHex)
		if in.FPort == nil {
			t.Fatal("fport missing")
		}
		fPort = *in.FPort
	}
	if phy := vecHex(t, in.PHYPayloadHex); !bytes.Contains(phy, cipher) {
		t.Errorf("phypayload %x does not carry the ciphertext %x", phy, cipher)
	}
	uplink := vecUplink(t, v)
	devAddr, fCnt := vecDevAddr(t, in.DevAddr), vecFCnt(t, v)
	got := make([]byte, len(plain))
	if err := s.XORFRMPayload(got, plain, uplink, devAddr, fCnt, fPort); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, cipher) {
		t.Errorf("encrypt = %x, want %x", got, cipher)
	}
	if err := s.XORFRMPayload(got, got, uplink, devAddr, fCnt, fPort); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("decrypt in place = %x, want %x", got, plain)
	}
}

// vecFOpts checks LoRaWAN 1.1 FOpts encryption, deriving the counter
// selector from direction and FPort as the specification does.
func vecFOpts(t *testing.T, v *secVector) {
	in := &v.Inputs
	if in.FOptsAVariant != "erratum" {
		t.Fatalf("fopts_a_variant %q: only the erratum is implemented", in.FOptsAVariant)
	}
	uplink := vecUplink(t, v)
	aFCntDown := !uplink && in.FPort != nil && *in.FPort > 0
	if in.FOptsAByte4 == nil {
		t.Fatal("fopts_a_byte4 missing")
	}
	if wantByte4 := map[bool]uint8{false: 1, true: 2}[aFCntDown]; *in.FOptsAByte4 != wantByte4 {
		t.Fatalf("fopts_a_byte4 = %d, but direction and fport select %d", *in.FOptsAByte4, wantByte4)
	}
	s := vecSession(t, v)
	plain, cipher := vecHex(t, in.FOptsPlaintextHex), vecHex(t, v.Expected.FOptsCiphertextHex)
	if msg := vecHex(t, in.MsgHex); len(msg) < 8+len(cipher) || !bytes.Equal(msg[8:8+len(cipher)], cipher) {
		t.Errorf("msg %x does not carry the FOpts %x after FHDR", msg, cipher)
	}
	devAddr, fCnt := vecDevAddr(t, in.DevAddr), vecFCnt(t, v)
	got := make([]byte, len(plain))
	if err := s.XORFOpts(got, plain, uplink, devAddr, fCnt, aFCntDown); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, cipher) {
		t.Errorf("encrypt = %x, want %x", got, cipher)
	}
	if err := s.XORFOpts(got, got, uplink, devAddr, fCnt, aFCntDown); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, plain) {
		t.Errorf("decrypt = %x, want %x", got, plain)
	}
}

// vecJoinRequestMIC checks the MIC with the key as a 1.0 AppKey and as a 1.1
// NwkKey, and the message layout against the identifiers when given.
func vecJoinRequestMIC(t *testing.T, v *secVector) {
	in := &v.Inputs
	msg := vecHex(t, in.MsgHex)
	want := vecMIC(t, v.Expected.MIC)
	if phy := vecHex(t, in.PHYPayloadHex); !bytes.Equal(phy, append(bytes.Clone(msg), want[:]...)) {
		t.Fatalf("phypayload %x is not msg %x | mic %x", phy, msg, want)
	}
	if in.JoinEUI != "" {
		joinEUI, devEUI := vecEUI(t, in.JoinEUI), vecEUI(t, in.DevEUI)
		built := []byte{0x00}
		built = append(built, vecLE(joinEUI[:])...)
		built = append(built, vecLE(devEUI[:])...)
		built = binary.LittleEndian.AppendUint16(built, vecUint16(t, in.DevNonce))
		if !bytes.Equal(built, msg) {
			t.Errorf("msg from identifiers = %x, want %x", built, msg)
		}
	}
	k := vecKey(t, in.Key)
	for name, r := range map[string]*RootKeys{
		"1.0 AppKey": NewRootKeys10(k),
		"1.1 NwkKey": NewRootKeys11(AES128Key{}, k, EUI64{}),
	} {
		got, err := r.JoinRequestMIC(msg)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: mic = %x, want %x", name, got, want)
		}
	}
}

// vecRejoinRequestMIC checks types 0/2 on a Session (SNwkSIntKey) and type 1
// on RootKeys (JSIntKey, set directly since the secVector gives it as such).
func vecRejoinRequestMIC(t *testing.T, v *secVector) {
	in := &v.Inputs
	msg := vecHex(t, in.MsgHex)
	want := vecMIC(t, v.Expected.MIC)
	if phy := vecHex(t, in.PHYPayloadHex); !bytes.Equal(phy, append(bytes.Clone(msg), want[:]...)) {
		t.Fatalf("phypayload %x is not msg %x | mic %x", phy, msg, want)
	}
	if in.RejoinType == nil || in.RJCount == nil {
		t.Fatal("rejoin_type or rj_count missing")
	}
	built := []byte{0xc0, *in.RejoinType}
	if *in.RejoinType == 1 {
		joinEUI := vecEUI(t, in.JoinEUI)
		built = append(built, vecLE(joinEUI[:])...)
	} else {
		netID, err := ParseNetID(in.NetID)
		if err != nil {
			t.Fatal(err)
		}
		built = append(built, vecLE(netID[:])...)
	}
	devEUI := vecEUI(t, in.DevEUI)
	built = append(built, vecLE(devEUI[:])...)
	built = binary.LittleEndian.AppendUint16(built, *in.RJCount)
	if !bytes.Equal(built, msg) {
		t.Errorf("msg from fields = %x, want %x", built, msg)
	}

	k := vecKey(t, in.Key)
	var got [4]byte
	var err error
	switch *in.RejoinType {
	case 0, 2:
		if in.KeyName != "SNwkSIntKey" {
			t.Fatalf("rejoin type %d with key %q", *in.RejoinType, in.KeyName)
		}
		got, err = NewSession11(AES128Key{}, k, AES128Key{}, AES128Key{}).RejoinRequestMIC(msg)
	case 1:
		if in.KeyName != "JSIntKey" {
			t.Fatalf("rejoin type 1 with key %q", in.KeyName)
		}
		r := NewRootKeys11(AES128Key{}, AES128Key{}, devEUI)
		r.jsInt = newCMACKey(k)
		got, err = r.RejoinRequestMIC(msg)
	default:
		t.Fatalf("rejoin type %d", *in.RejoinType)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("mic = %x, want %x", got, want)
	}
}

// secVecJoinAccept gathers a join-accept secVector: the root keys, the plaintext
// PHYPayload (MHDR | payload | MIC) and the MIC arguments.
type secVecJoinAccept struct {
	root     *RootKeys
	plain    []byte
	jrt      JoinReqType
	joinEUI  EUI64
	devNonce uint16
}

func vecJoinAcceptSetup(t *testing.T, v *secVector) secVecJoinAccept {
	in := &v.Inputs
	var ja secVecJoinAccept
	plainHex := in.PlaintextPHYPayloadHex
	if plainHex == "" {
		plainHex = v.Computed.PlaintextPHYPayloadHex
	} else if c := v.Computed.PlaintextPHYPayloadHex; c != "" && c != plainHex {
		t.Fatalf("input plaintext %s differs from the computed one %s", plainHex, c)
	}
	ja.plain = vecHex(t, plainHex)
	if n := len(ja.plain); n != 17 && n != 33 {
		t.Fatalf("plaintext join-accept of %d bytes", n)
	}
	if in.JoinNonce != "" { // the payload from its fields, by hand
		built := []byte{0x20}
		built = binary.LittleEndian.AppendUint32(built, vecUint32(t, in.JoinNonce))[:4]
		netID, err := ParseNetID(in.NetID)
		if err != nil {
			t.Fatal(err)
		}
		built = append(built, vecLE(netID[:])...)
		devAddr := vecDevAddr(t, in.DevAddr)
		built = append(built, vecLE(devAddr[:])...)
		if in.DLSettings == nil || in.RxDelay == nil || in.CFListHex == nil {
			t.Fatal("dl_settings, rx_delay or cflist_hex missing")
		}
		built = append(built, *in.DLSettings, *in.RxDelay)
		built = append(built, vecHex(t, *in.CFListHex)...)
		if got := ja.plain[:len(ja.plain)-4]; !bytes.Equal(built, got) {
			t.Errorf("payload from fields = %x, want %x", built, got)
		}
	}
	ja.jrt = JoinReqTypeJoin
	if in.JoinReqType != "" {
		b := vecHex(t, in.JoinReqType)
		if len(b) != 1 {
			t.Fatalf("join_req_type %q", in.JoinReqType)
		}
		ja.jrt = JoinReqType(b[0])
	}
	if in.JoinEUI != "" {
		ja.joinEUI = vecEUI(t, in.JoinEUI)
		ja.devNonce = vecUint16(t, in.DevNonce)
	}
	k := vecKey(t, in.Key)
	switch in.MACVersion {
	case "1.0", "":
		ja.root = NewRootKeys10(k)
	case "1.1":
		var devEUI EUI64
		if in.DevEUI != "" {
			devEUI = vecEUI(t, in.DevEUI)
		}
		ja.root = NewRootKeys11(AES128Key{}, k, devEUI)
		micKey := vecKey(t, in.MICKey)
		if in.DevEUI != "" {
			// JSIntKey must come out of NwkKey and DevEUI as the secVector says.
			want := newCMACKey(micKey)
			if ja.root.jsInt.k1 != want.k1 {
				t.Errorf("JSIntKey derived from NwkKey %s and DevEUI %s is not %s", in.Key, in.DevEUI, in.MICKey)
			}
		} else {
			// The source used a stand-in JSIntKey: install it.
			ja.root.jsInt = newCMACKey(micKey)
		}
	default:
		t.Fatalf("mac_version %q", in.MACVersion)
	}
	return ja
}

// vecJoinAcceptMIC checks the MIC of the plaintext join-accept.
func vecJoinAcceptMIC(t *testing.T, v *secVector) {
	ja := vecJoinAcceptSetup(t, v)
	// Some sources give only the encrypted join-accept: the verifier's MIC,
	// found by decrypting, is then the reference (and AppendJoinAccept in
	// vecJoinAcceptEncrypt checks it against the source's bytes).
	micHex := v.Expected.MIC
	if c := v.Computed.MIC; micHex == "" {
		micHex = c
	} else if c != "" && c != micHex {
		t.Fatalf("expected mic %s differs from the computed one %s", micHex, c)
	}
	want := vecMIC(t, micHex)
	n := len(ja.plain) - 4
	if got := [4]byte(ja.plain[n:]); got != want {
		t.Fatalf("plaintext ends in %x, want the mic %x", got, want)
	}
	got, err := ja.root.JoinAcceptMIC(ja.plain[:n], ja.jrt, ja.joinEUI, ja.devNonce)
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("mic = %x, want %x", got, want)
	}
	if v.Inputs.MACVersion != "1.1" {
		// A 1.1 device on a 1.0 network (OptNeg unset) signs with NwkKey.
		k := vecKey(t, v.Inputs.Key)
		got, err := NewRootKeys11(AES128Key{0xaa}, k, EUI64{}).JoinAcceptMIC(ja.plain[:n], ja.jrt, ja.joinEUI, ja.devNonce)
		if err != nil || got != want {
			t.Errorf("1.1 device, OptNeg unset: mic = %x, %v, want %x", got, err, want)
		}
	}
}

// vecJoinAcceptEncrypt checks encryption both ways and the whole build,
// plaintext fields to on-air bytes, through AppendJoinAccept.
func vecJoinAcceptEncrypt(t *testing.T, v *secVector) {
	ja := vecJoinAcceptSetup(t, v)
	enc := vecHex(t, v.Expected.EncryptedPHYPayloadHex)
	if len(enc) != len(ja.plain) || enc[0] != ja.plain[0] {
		t.Fatalf("encrypted %x and plaintext %x differ in length or MHDR", enc, ja.plain)
	}
	got := make([]byte, len(enc)-1)
	if err := ja.root.EncryptJoinAccept(got, ja.plain[1:], ja.jrt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, enc[1:]) {
		t.Errorf("encrypt = %x, want %x", got, enc[1:])
	}
	if err := ja.root.DecryptJoinAccept(got, enc[1:], ja.jrt); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, ja.plain[1:]) {
		t.Errorf("decrypt = %x, want %x", got, ja.plain[1:])
	}
	prefix := []byte("prefix")
	out, err := ja.root.AppendJoinAccept(prefix, ja.plain[:len(ja.plain)-4], ja.jrt, ja.joinEUI, ja.devNonce)
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte("prefix"), enc...); !bytes.Equal(out, want) {
		t.Errorf("AppendJoinAccept = %x, want %x", out, want)
	}
}

func vecSessionKeys10(t *testing.T, v *secVector) {
	in := &v.Inputs
	if bo := v.Computed.ByteOrder; bo != "" && bo != "msb_first_values" {
		t.Fatalf("byte_order %q", bo)
	}
	netID, err := ParseNetID(in.NetID)
	if err != nil {
		t.Fatal(err)
	}
	joinNonce, devNonce := vecUint32(t, in.JoinNonce), vecUint16(t, in.DevNonce)
	k := vecKey(t, in.AppKey)
	for name, r := range map[string]*RootKeys{
		"1.0 AppKey":               NewRootKeys10(k),
		"1.1 NwkKey, OptNeg unset": NewRootKeys11(AES128Key{0xaa}, k, EUI64{}),
	} {
		nwkS, appS, err := r.SessionKeys10(joinNonce, netID, devNonce)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got, want := nwkS, vecKey(t, v.Expected.NwkSKey); got != want {
			t.Errorf("%s: NwkSKey = %x, want %x", name, got, want)
		}
		if got, want := appS, vecKey(t, v.Expected.AppSKey); got != want {
			t.Errorf("%s: AppSKey = %x, want %x", name, got, want)
		}
	}
}

func vecSessionKeys11(t *testing.T, v *secVector) {
	in := &v.Inputs
	r := NewRootKeys11(vecKey(t, in.AppKey), vecKey(t, in.NwkKey), EUI64{})
	got, err := r.SessionKeys11(vecUint32(t, in.JoinNonce), vecEUI(t, in.JoinEUI), vecUint16(t, in.DevNonce))
	if err != nil {
		t.Fatal(err)
	}
	want := SessionKeys11{
		FNwkSIntKey: vecKey(t, v.Expected.FNwkSIntKey),
		SNwkSIntKey: vecKey(t, v.Expected.SNwkSIntKey),
		NwkSEncKey:  vecKey(t, v.Expected.NwkSEncKey),
		AppSKey:     vecKey(t, v.Expected.AppSKey),
	}
	if got != want {
		t.Errorf("keys = %+v, want %+v", got, want)
	}
}

// vecSession builds the Session of a data-frame secVector; keys it does not
// give are zero.
func vecSession(t *testing.T, v *secVector) *Session {
	t.Helper()
	keys := map[string]AES128Key{}
	for name, h := range v.Inputs.Keys {
		switch name {
		case "NwkSKey", "AppSKey", "FNwkSIntKey", "SNwkSIntKey", "NwkSEncKey":
			keys[name] = vecKey(t, h)
		default:
			t.Fatalf("unknown key %q", name)
		}
	}
	switch v.Inputs.MACVersion {
	case "1.0":
		return NewSession10(keys["NwkSKey"], keys["AppSKey"])
	case "1.1":
		return NewSession11(keys["FNwkSIntKey"], keys["SNwkSIntKey"], keys["NwkSEncKey"], keys["AppSKey"])
	}
	t.Fatalf("mac_version %q", v.Inputs.MACVersion)
	return nil
}

func vecUplink(t *testing.T, v *secVector) bool {
	t.Helper()
	switch v.Inputs.Direction {
	case "uplink":
		return true
	case "downlink":
		return false
	}
	t.Fatalf("direction %q", v.Inputs.Direction)
	return false
}

func vecFCnt(t *testing.T, v *secVector) uint32 {
	t.Helper()
	if v.Inputs.FCnt == nil {
		t.Fatal("fcnt missing")
	}
	return *v.Inputs.FCnt
}

func vecHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("hex %q: %v", s, err)
	}
	return b
}

func vecKey(t *testing.T, s string) AES128Key {
	t.Helper()
	k, err := ParseAES128Key(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func vecMIC(t *testing.T, s string) [4]byte {
	t.Helper()
	b := vecHex(t, s)
	if len(b) != 4 {
		t.Fatalf("mic %q is not 4 bytes", s)
	}
	return [4]byte(b)
}

func vecDevAddr(t *testing.T, s string) DevAddr {
	t.Helper()
	a, err := ParseDevAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func vecEUI(t *testing.T, s string) EUI64 {
	t.Helper()
	e, err := ParseEUI64(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// vecUint16 and vecUint32 read MSB-first hex values (DevNonce, JoinNonce).
func vecUint16(t *testing.T, s string) uint16 {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 16)
	if err != nil || len(s) != 4 {
		t.Fatalf("16-bit hex value %q: %v", s, err)
	}
	return uint16(v)
}

func vecUint32(t *testing.T, s string) uint32 {
	t.Helper()
	v, err := strconv.ParseUint(s, 16, 32)
	if err != nil {
		t.Fatalf("hex value %q: %v", s, err)
	}
	return uint32(v)
}

// vecLE returns the MSB-first b in wire (little-endian) order.
func vecLE(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[len(b)-1-i]
	}
	return out
}
