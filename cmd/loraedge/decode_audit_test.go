package main

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// auditKey parses a hex key literal of the test.
func auditKey(t *testing.T, s string) lorawan.AES128Key {
	t.Helper()
	k, err := lorawan.ParseAES128Key(s)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// auditJoinAccept builds an on-air join-accept with rk.
func auditJoinAccept(t *testing.T, rk *lorawan.RootKeys, ja lorawan.JoinAcceptPayload, jrt lorawan.JoinReqType, joinEUI lorawan.EUI64, devNonce uint16) []byte {
	t.Helper()
	msg, err := ja.AppendBinary([]byte{0x20})
	if err != nil {
		t.Fatal(err)
	}
	frame, err := rk.AppendJoinAccept(nil, msg, jrt, joinEUI, devNonce)
	if err != nil {
		t.Fatal(err)
	}
	return frame
}

// TestDecodeJoinAcceptWrongKey: a join-accept decrypted with the wrong key
// is noise whose MIC does not match, which is exit 1 with mic_ok false,
// whatever the noise says in its DLSettings and RxDelay bits (it is not
// malformed input, and no session keys are derived from it).
func TestDecodeJoinAcceptWrongKey(t *testing.T) {
	appKey := auditKey(t, "2b7e151628aed2a6abf7158809cf4f3c")
	cf := &lorawan.CFList{Type: lorawan.CFListFrequencies, Frequencies: [5]uint32{867_100_000, 867_300_000}}
	ja := lorawan.JoinAcceptPayload{JoinNonce: 0x0a0b0c, NetID: lorawan.NetID{0, 0, 0x13}, DevAddr: lorawan.DevAddr{0x26, 1, 2, 3}, RxDelay: 1, CFList: cf}
	frames := map[string][]byte{
		"with cflist": auditJoinAccept(t, lorawan.NewRootKeys10(appKey), ja, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0),
	}
	ja.CFList = nil
	frames["without cflist"] = auditJoinAccept(t, lorawan.NewRootKeys10(appKey), ja, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)

	sawOptNeg, sawRFU := false, false
	for name, frame := range frames {
		for i := 0; i < 16; i++ {
			wrong := appKey
			wrong[15] ^= byte(i + 1)
			// What the wrong key makes of the frame, to know the cases are covered.
			plain := make([]byte, len(frame)-1)
			if err := lorawan.NewRootKeys10(wrong).DecryptJoinAccept(plain, frame[1:], lorawan.JoinReqTypeJoin); err != nil {
				t.Fatal(err)
			}
			sawOptNeg = sawOptNeg || plain[10]&0x80 != 0
			sawRFU = sawRFU || plain[11]&0xf0 != 0
			t.Run(name+"/"+wrong.String(), func(t *testing.T) {
				code, stdout, stderr := runCLI(t, "decode", "--appkey", wrong.String(), "--devnonce", "0102", hex.EncodeToString(frame))
				if code != exitFailure {
					t.Fatalf("exit %d (stderr %q), want %d: a wrong key is a MIC mismatch", code, stderr, exitFailure)
				}
				if !strings.Contains(stdout, `"mic_ok": false`) || strings.Contains(stdout, "session_keys") {
					t.Errorf("output %s: want mic_ok false and no session_keys", stdout)
				}
			})
		}
	}
	if !sawOptNeg || !sawRFU {
		t.Fatalf("the wrong keys did not cover both cases: OptNeg bit %v, RxDelay RFU bits %v", sawOptNeg, sawRFU)
	}

	// A 1.1 join-accept answering a rejoin-request, decrypted with a wrong NwkKey.
	nwkKey := auditKey(t, "000102030405060708090a0b0c0d0e0f")
	devEUI := lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}
	joinEUI := lorawan.EUI64{8, 7, 6, 5, 4, 3, 2, 1}
	ja.DLSettings.OptNeg = true
	for jrt := lorawan.JoinReqTypeRejoin0; jrt <= lorawan.JoinReqTypeRejoin2; jrt++ {
		frame := auditJoinAccept(t, lorawan.NewRootKeys11(appKey, nwkKey, devEUI), ja, jrt, joinEUI, 7)
		for i := 0; i < 4; i++ {
			wrong := nwkKey
			wrong[0] ^= byte(i + 1)
			code, stdout, stderr := runCLI(t, "decode", "--version", "1.1", "--nwkkey", wrong.String(), "--deveui", devEUI.String(),
				"--joineui", joinEUI.String(), "--devnonce", "0007", "--joinreqtype", hex.EncodeToString([]byte{byte(jrt)}), hex.EncodeToString(frame))
			if code != exitFailure || !strings.Contains(stdout, `"mic_ok": false`) {
				t.Errorf("rejoin type %d, wrong NwkKey %s: exit %d (stderr %q), output %s; want exit 1 with mic_ok false", jrt, wrong, code, stderr, stdout)
			}
			// The join-server keys given directly, JSEncKey wrong.
			jsInt, jsEnc := lorawan.DeriveJSKeys(nwkKey, devEUI)
			jsEnc[0] ^= byte(i + 1)
			code, stdout, stderr = runCLI(t, "decode", "--version", "1.1", "--jsintkey", jsInt.String(), "--jsenckey", jsEnc.String(),
				"--joineui", joinEUI.String(), "--devnonce", "0007", "--joinreqtype", hex.EncodeToString([]byte{byte(jrt)}), hex.EncodeToString(frame))
			if code != exitFailure || !strings.Contains(stdout, `"mic_ok": false`) {
				t.Errorf("rejoin type %d, wrong JSEncKey %s: exit %d (stderr %q), output %s; want exit 1 with mic_ok false", jrt, jsEnc, code, stderr, stdout)
			}
		}
		code, stdout, stderr := runCLI(t, "decode", "--version", "1.1", "--nwkkey", nwkKey.String(), "--deveui", devEUI.String(),
			"--joineui", joinEUI.String(), "--devnonce", "0007", "--joinreqtype", hex.EncodeToString([]byte{byte(jrt)}), hex.EncodeToString(frame))
		if code != exitOK || !strings.Contains(stdout, `"mic_ok": true`) || !strings.Contains(stdout, `"FNwkSIntKey"`) {
			t.Errorf("rejoin type %d, right keys: exit %d (stderr %q), output %s; want exit 0, mic_ok true and 1.1 session keys", jrt, code, stderr, stdout)
		}
	}
}

// TestDecodeNumberFlags: the counter and index flags are decimal as people
// write them (a leading zero is not octal), or hex with 0x.
func TestDecodeNumberFlags(t *testing.T) {
	nwkSKey := auditKey(t, "02020202020202020202020202020202")
	devAddr := lorawan.DevAddr{1, 2, 3, 4}
	s10 := lorawan.NewSession10(nwkSKey, nwkSKey)
	frameAt := func(fCnt uint32) string {
		msg := []byte{0x40, 4, 3, 2, 1, 0, byte(fCnt), byte(fCnt >> 8), 1, 0xaa}
		mic, err := s10.UplinkMIC(msg, devAddr, fCnt, 0, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		return hex.EncodeToString(append(msg, mic[:]...))
	}
	for _, tc := range []struct {
		flag string
		fCnt uint32
	}{
		{"10", 10},
		{"010", 10},
		{"0x1000a", 0x1000a},
		{"65546", 0x1000a},
		{"0065546", 0x1000a},
	} {
		t.Run("fcnt "+tc.flag, func(t *testing.T) {
			code, m := decodeJSON(t, "--nwkskey", nwkSKey.String(), "--fcnt", tc.flag, frameAt(tc.fCnt))
			if code != exitOK {
				t.Fatalf("exit %d, want 0", code)
			}
			expectField(t, m, "fcnt", int(tc.fCnt))
			expectField(t, m, "mic_ok", true)
		})
	}
	for _, args := range [][]string{{"--txdr", "08"}, {"--txch", "09"}, {"--conffcnt", "0100"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"decode", "--version", "1.1"}, append(args, frameAt(1))...)...)
			if code != exitOK {
				t.Errorf("exit %d (stderr %q, stdout %s), want 0", code, stderr, stdout)
			}
		})
	}
}

// TestDecodeSpecCases runs frames built with the (independently checked)
// library through the command: the 1.1 MIC inputs from flags, FOpts with
// the AFCntDown selector, every join-request type, a 1.1 device on a 1.0
// network, and mic_ok left out whenever no key allows the check.
func TestDecodeSpecCases(t *testing.T) {
	appKey := auditKey(t, "0f0e0d0c0b0a09080706050403020100")
	nwkKey := auditKey(t, "00112233445566778899aabbccddeeff")
	devEUI := lorawan.EUI64{0x00, 0x80, 0xe1, 0x15, 0x00, 0x00, 0xaa, 0x01}
	joinEUI := lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x00, 0x00, 0x42}
	fNwk := auditKey(t, "11111111111111111111111111111111")
	sNwk := auditKey(t, "22222222222222222222222222222222")
	nEnc := auditKey(t, "33333333333333333333333333333333")
	appS := auditKey(t, "44444444444444444444444444444444")
	s11 := lorawan.NewSession11(fNwk, sNwk, nEnc, appS)
	devAddr := lorawan.DevAddr{0x26, 0x0b, 0xcd, 0xef}
	keys11 := []string{"--version", "1.1", "--fnwksintkey", fNwk.String(), "--snwksintkey", sNwk.String(), "--nwksenckey", nEnc.String(), "--appskey", appS.String()}

	// 1.1 confirmed uplink, ACK set, FOpts, FCnt above 2^16.
	const fCnt = 0x00030007
	fopts := []byte{0x03, 0x07} // LinkADRAns
	encOpts := make([]byte, 2)
	if err := s11.XORFOpts(encOpts, fopts, true, devAddr, fCnt, false); err != nil {
		t.Fatal(err)
	}
	payload := []byte("hi")
	encPay := make([]byte, 2)
	if err := s11.XORFRMPayload(encPay, payload, true, devAddr, fCnt, 5); err != nil {
		t.Fatal(err)
	}
	up := append([]byte{0x80, 0xef, 0xcd, 0x0b, 0x26, 0x20 | 2, 0x07, 0x00}, encOpts...)
	up = append(up, 5)
	up = append(up, encPay...)
	mic, err := s11.UplinkMIC(up, devAddr, fCnt, 0x0102, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	upHex := hex.EncodeToString(append(up, mic[:]...))

	// 1.1 downlink, FPort 1 so FOpts use AFCntDown, ACK with ConfFCnt.
	const aFCnt = 0x00010002
	encDn := make([]byte, 1)
	if err := s11.XORFOpts(encDn, []byte{0x06}, false, devAddr, aFCnt, true); err != nil {
		t.Fatal(err)
	}
	dn := append([]byte{0x60, 0xef, 0xcd, 0x0b, 0x26, 0x20 | 1, 0x02, 0x00}, encDn...)
	dn = append(dn, 1)
	dmic, err := s11.DownlinkMIC(dn, devAddr, aFCnt, 0x0007)
	if err != nil {
		t.Fatal(err)
	}
	dnHex := hex.EncodeToString(append(dn, dmic[:]...))

	rk11 := lorawan.NewRootKeys11(appKey, nwkKey, devEUI)
	ja := lorawan.JoinAcceptPayload{JoinNonce: 0x000102, NetID: lorawan.NetID{0, 0, 0x13}, DevAddr: devAddr, DLSettings: lorawan.DLSettings{OptNeg: true}, RxDelay: 1}
	jaOptNeg0 := ja
	jaOptNeg0.DLSettings.OptNeg = false
	joinFlags := []string{"--version", "1.1", "--appkey", appKey.String(), "--nwkkey", nwkKey.String(), "--deveui", devEUI.String(), "--joineui", joinEUI.String(), "--devnonce", "00a1"}

	type want struct {
		code   int
		fields map[string]any // top-level fields
		absent []string
	}
	tests := []struct {
		name string
		args []string
		want want
	}{
		{"1.1 uplink, all MIC inputs", append(append([]string{}, keys11...), "--fcnt", "196615", "--conffcnt", "258", "--txdr", "3", "--txch", "7", upHex),
			want{exitOK, map[string]any{"mic_ok": true, "frm_payload_hex": hex.EncodeToString(payload), "fopts_decrypted_hex": hex.EncodeToString(fopts), "fcnt": fCnt}, nil}},
		{"1.1 uplink, wrong TxCh", append(append([]string{}, keys11...), "--fcnt", "196615", "--conffcnt", "258", "--txdr", "3", "--txch", "6", upHex),
			want{exitFailure, map[string]any{"mic_ok": false}, nil}},
		{"1.1 uplink, only FNwkSIntKey", []string{"--version", "1.1", "--fnwksintkey", fNwk.String(), "--fcnt", "196615", upHex},
			want{exitOK, nil, []string{"mic_ok", "frm_payload_hex", "fopts_decrypted_hex"}}},
		{"1.1 downlink, FOpts with AFCntDown", append(append([]string{}, keys11...), "--fcnt", "65538", "--conffcnt", "7", dnHex),
			want{exitOK, map[string]any{"mic_ok": true, "fopts_decrypted_hex": "06"}, nil}},
		{"1.1 downlink, ConfFCnt missing", append(append([]string{}, keys11...), "--fcnt", "65538", dnHex),
			want{exitFailure, map[string]any{"mic_ok": false}, nil}},
		{"join-accept 1.1, OptNeg", append(append([]string{}, joinFlags...), hex.EncodeToString(auditJoinAccept(t, rk11, ja, lorawan.JoinReqTypeJoin, joinEUI, 0xa1))),
			want{exitOK, map[string]any{"mic_ok": true}, nil}},
		{"join-accept 1.1, OptNeg, no DevEUI: no MIC check", []string{"--version", "1.1", "--nwkkey", nwkKey.String(), "--joineui", joinEUI.String(), "--devnonce", "00a1",
			hex.EncodeToString(auditJoinAccept(t, rk11, ja, lorawan.JoinReqTypeJoin, joinEUI, 0xa1))},
			want{exitOK, nil, []string{"mic_ok"}}},
		{"join-accept 1.1 device, OptNeg unset", append(append([]string{}, joinFlags...), hex.EncodeToString(auditJoinAccept(t, rk11, jaOptNeg0, lorawan.JoinReqTypeJoin, joinEUI, 0xa1))),
			want{exitOK, map[string]any{"mic_ok": true}, nil}},
		{"join-request 1.1", []string{"--version", "1.1", "--nwkkey", nwkKey.String(), auditJoinRequest(t, rk11, joinEUI, devEUI, 0xa1)},
			want{exitOK, map[string]any{"mic_ok": true, "dev_nonce": "00a1"}, nil}},
		{"join-request 1.1, AppKey is not its key", []string{"--version", "1.1", "--appkey", appKey.String(), auditJoinRequest(t, rk11, joinEUI, devEUI, 0xa1)},
			want{exitOK, nil, []string{"mic_ok"}}},
		{"rejoin type 1, JSIntKey from NwkKey and DevEUI", []string{"--version", "1.1", "--nwkkey", nwkKey.String(), auditRejoin1(t, rk11, joinEUI, devEUI, 9)},
			want{exitOK, map[string]any{"mic_ok": true, "rj_count": 9}, nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"decode"}, tt.args...)...)
			if code != tt.want.code {
				t.Fatalf("exit %d (stderr %q), want %d\n%s", code, stderr, tt.want.code, stdout)
			}
			_, m := decodeJSON(t, tt.args...)
			for k, v := range tt.want.fields {
				if n, ok := v.(uint32); ok {
					v = int(n)
				}
				expectField(t, m, k, v)
			}
			for _, k := range tt.want.absent {
				if _, ok := m[k]; ok {
					t.Errorf("%s present (%v), want it absent", k, m[k])
				}
			}
		})
	}

	// Session keys are named as the specification names them.
	_, m := decodeJSON(t, append(append([]string{}, joinFlags...), hex.EncodeToString(auditJoinAccept(t, rk11, ja, lorawan.JoinReqTypeJoin, joinEUI, 0xa1)))...)
	sk, _ := m["session_keys"].(map[string]any)
	k11, err := rk11.SessionKeys11(0x000102, joinEUI, 0xa1)
	if err != nil {
		t.Fatal(err)
	}
	wantSK := map[string]any{"FNwkSIntKey": k11.FNwkSIntKey.String(), "SNwkSIntKey": k11.SNwkSIntKey.String(), "NwkSEncKey": k11.NwkSEncKey.String(), "AppSKey": k11.AppSKey.String()}
	if len(sk) != len(wantSK) {
		t.Errorf("session_keys = %v, want %v", sk, wantSK)
	}
	for k, v := range wantSK {
		expectField(t, sk, k, v)
	}
}

func auditJoinRequest(t *testing.T, rk *lorawan.RootKeys, joinEUI, devEUI lorawan.EUI64, devNonce uint16) string {
	t.Helper()
	p := lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.JoinRequest}, JoinRequest: lorawan.JoinRequestPayload{JoinEUI: joinEUI, DevEUI: devEUI, DevNonce: devNonce}}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := rk.JoinRequestMIC(b[:19])
	if err != nil {
		t.Fatal(err)
	}
	copy(b[19:], mic[:])
	return hex.EncodeToString(b)
}

func auditRejoin1(t *testing.T, rk *lorawan.RootKeys, joinEUI, devEUI lorawan.EUI64, rjCount uint16) string {
	t.Helper()
	p := lorawan.PHYPayload{MHDR: lorawan.MHDR{MType: lorawan.RejoinRequest}, Rejoin: lorawan.RejoinRequestPayload{Type: 1, JoinEUI: joinEUI, DevEUI: devEUI, RJCount: rjCount}}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := rk.RejoinRequestMIC(b[:20])
	if err != nil {
		t.Fatal(err)
	}
	copy(b[20:], mic[:])
	return hex.EncodeToString(b)
}
