package lorawan_test

// Known answers published in the test suites of two other LoRaWAN
// implementations, none of them in ../shared/vectors: only the hex inputs
// and outputs are taken, as facts.
//
//   - TheThingsNetwork/lorawan-stack, pkg/crypto/data_messages_test.go,
//     join_messages_test.go, key_derivation_test.go. Identifiers there are
//     MSB first, like ours (EUI64, DevNonce, JoinNonce, NetID).
//   - brocaar/chirpstack-application-server, the join-server API test
//     (TestJoinServerAPI, "JoinReq LW10" and "JoinReq LW11"), which builds
//     complete join-accepts with brocaar/lorawan.
//
// lorawan-stack's FOpts vectors use the pre-erratum A block (byte 15 = 0)
// and its 1.1 join-accept MIC vector has OptNeg unset in DLSettings (it
// computes the 1.1 formula whatever the bit says); neither describes what
// this package does, so both are left out.

import (
	"bytes"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func TestCrossCheckTTNDataFrames(t *testing.T) {
	key := indKey(t, "01010101010101010101010101010101")
	devAddr := lorawan.DevAddr{1, 2, 3, 4}
	// 40 | 04030201 | 00 | 0100 | 01 | 01020304: FCnt 1, FPort 1.
	msg := indHex(t, "40 04030201 00 0100 01 01020304")
	s10 := lorawan.NewSession10(key, key)
	s11 := lorawan.NewSession11(key, key, key, key)

	for _, tc := range []struct {
		name string
		got  func() ([4]byte, error)
		want string
	}{
		{"legacy uplink MIC", func() ([4]byte, error) { return s10.UplinkMIC(msg, devAddr, 1, 0, 0, 0) }, "3b073182"},
		{"1.1 uplink MIC", func() ([4]byte, error) { return s11.UplinkMIC(msg, devAddr, 1, 0, 0, 0) }, "3b073b07"},
		{"legacy downlink MIC", func() ([4]byte, error) { return s10.DownlinkMIC(msg, devAddr, 1, 0) }, "a5609fa9"},
		{"1.1 downlink MIC", func() ([4]byte, error) { return s11.DownlinkMIC(msg, devAddr, 1, 0) }, "a5609fa9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.got()
			if want := indHex(t, tc.want); err != nil || !bytes.Equal(got[:], want) {
				t.Errorf("MIC = %x, %v; want %x", got, err, want)
			}
		})
	}
	for _, tc := range []struct {
		name   string
		uplink bool
		want   string
	}{
		{"FRMPayload uplink", true, "cff30b4e"},
		{"FRMPayload downlink", false, "4e75f440"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, s := range []*lorawan.Session{s10, s11} {
				got := make([]byte, 4)
				if err := s.XORFRMPayload(got, []byte{1, 2, 3, 4}, tc.uplink, devAddr, 1, 1); err != nil || !bytes.Equal(got, indHex(t, tc.want)) {
					t.Errorf("%v: XORFRMPayload = %x, %v; want %s", s.MACVersion(), got, err, tc.want)
				}
			}
		})
	}
}

func TestCrossCheckTTNJoinMessages(t *testing.T) {
	key := indKey(t, "01010101010101010101010101010101")
	rk10 := lorawan.NewRootKeys10(key)
	// JSIntKey given directly, as the vectors state it.
	rk11 := lorawan.NewRootKeys11WithJSKeys(key, key, key, key)

	t.Run("join-request MIC", func(t *testing.T) {
		msg := indHex(t, "00 0807060504030201 0807060504030201 0201")
		if got, err := rk10.JoinRequestMIC(msg); err != nil || !bytes.Equal(got[:], indHex(t, "e6e10c55")) {
			t.Errorf("JoinRequestMIC = %x, %v; want e6e10c55", got, err)
		}
	})
	t.Run("legacy join-accept MIC and encryption", func(t *testing.T) {
		msg := indHex(t, "20 030201 030201 04030201 00 01")
		mic, err := rk10.JoinAcceptMIC(msg, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)
		if err != nil || !bytes.Equal(mic[:], indHex(t, "32f54ab3")) {
			t.Fatalf("JoinAcceptMIC = %x, %v; want 32f54ab3", mic, err)
		}
		plain := append(bytes.Clone(msg[1:]), mic[:]...)
		enc := make([]byte, 16)
		if err := rk10.EncryptJoinAccept(enc, plain, lorawan.JoinReqTypeJoin); err != nil || !bytes.Equal(enc, indHex(t, "c9fbb259e11649096a568a9e3b7117c3")) {
			t.Errorf("EncryptJoinAccept = %x, %v; want c9fbb259e11649096a568a9e3b7117c3", enc, err)
		}
		air, err := rk10.AppendJoinAccept(nil, msg, lorawan.JoinReqTypeJoin, lorawan.EUI64{}, 0)
		if err != nil || !bytes.Equal(air, indHex(t, "20 c9fbb259e11649096a568a9e3b7117c3")) {
			t.Errorf("AppendJoinAccept = %x, %v", air, err)
		}
	})
	t.Run("rejoin-request MICs", func(t *testing.T) {
		sess := lorawan.NewSession11(key, key, key, key) // SNwkSIntKey
		for _, tc := range []struct{ msg, want string }{
			{"c0 00 030201 0807060504030201 0201", "11da47bd"},
			{"c0 02 030201 0807060504030201 0201", "2b459cf0"},
		} {
			if got, err := sess.RejoinRequestMIC(indHex(t, tc.msg)); err != nil || !bytes.Equal(got[:], indHex(t, tc.want)) {
				t.Errorf("RejoinRequestMIC(%s) = %x, %v; want %s", tc.msg, got, err, tc.want)
			}
		}
		msg := indHex(t, "c0 01 0807060504030201 0807060504030201 0201")
		if got, err := rk11.RejoinRequestMIC(msg); err != nil || !bytes.Equal(got[:], indHex(t, "67f9abe7")) {
			t.Errorf("type 1 RejoinRequestMIC = %x, %v; want 67f9abe7", got, err)
		}
	})
}

func TestCrossCheckTTNKeyDerivation(t *testing.T) {
	key := indKey(t, "bec499c69e9c939e413b663961636c61")
	const devNonce, joinNonce = 0x7369, 0xae3b1c
	netID := lorawan.NetID{0x02, 0x01, 0x01}
	joinEUI := lorawan.EUI64{0x00, 0x00, 0x00, 0x12, 0x23, 0x22, 0x42, 0x42}
	devEUI := lorawan.EUI64{0x00, 0x42, 0x00, 0x42, 0x13, 0x42, 0x43, 0x41}

	rk := lorawan.NewRootKeys11(key, key, devEUI)
	k11, err := rk.SessionKeys11(joinNonce, joinEUI, devNonce)
	if err != nil {
		t.Fatal(err)
	}
	nwkS, appS, err := lorawan.NewRootKeys10(key).SessionKeys10(joinNonce, netID, devNonce)
	if err != nil {
		t.Fatal(err)
	}
	jsInt, jsEnc := lorawan.DeriveJSKeys(key, devEUI)
	for _, tc := range []struct {
		name string
		got  lorawan.AES128Key
		want string
	}{
		{"AppSKey", k11.AppSKey, "b035cce24e4a040eb5cecbf21724412d"},
		{"FNwkSIntKey", k11.FNwkSIntKey, "379084e7ce22ff191bff4b77536f2aa3"},
		{"SNwkSIntKey", k11.SNwkSIntKey, "63c59309d53485bc5164dbf71627aeb9"},
		{"NwkSEncKey", k11.NwkSEncKey, "ce07a009a3970ac0519a099ed53e550b"},
		{"legacy AppSKey", appS, "8c1e0543a229088de6f84e74bb46bd62"},
		{"legacy NwkSKey", nwkS, "0db924ee6af90698e05fc7ce48303c01"},
		{"JSIntKey", jsInt, "cb8e9ee114c3fb5ce472a5aa13ab1855"},
		{"JSEncKey", jsEnc, "bb711eefb9829b4a75866f8616bacd6d"},
	} {
		if tc.got != indKey(t, tc.want) {
			t.Errorf("%s = %x, want %s", tc.name, tc.got, tc.want)
		}
	}
}

// TestCrossCheckChirpStackJoinServer rebuilds two complete join-accepts
// (with a type-0 CFList of 868.7 and 868.9 MHz) and their session keys.
func TestCrossCheckChirpStackJoinServer(t *testing.T) {
	appKey := indKey(t, "08070605040302010807060904030201")
	nwkKey := indKey(t, "01020304050607080102030405060708")
	devEUI := lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}
	joinEUI := lorawan.EUI64{8, 7, 6, 5, 4, 3, 2, 1}
	const devNonce, joinNonce = 258, 65536
	netID := lorawan.NetID{1, 2, 3}
	cf := &lorawan.CFList{Type: lorawan.CFListFrequencies, Frequencies: [5]uint32{868_700_000, 868_900_000}}
	for _, tc := range []struct {
		name   string
		rk     *lorawan.RootKeys
		optNeg bool
		air    string
		keys   map[string]string
	}{
		{
			name: "LoRaWAN 1.0 (the root key stored as NwkKey)",
			rk:   lorawan.NewRootKeys10(nwkKey),
			air:  "2026f4b247f0a5d7e46a720e61c8bccbc5179f4566e185ed6889589bb1a9c68cc0",
			keys: map[string]string{"NwkSKey": "df53c35f3034ccced0ff354c70de04df", "AppSKey": "927b9c911183cffe4cb2ff4b75545f6d"},
		},
		{
			name: "LoRaWAN 1.1", rk: lorawan.NewRootKeys11(appKey, nwkKey, devEUI), optNeg: true,
			air: "20a4c899795a42f5d16067a822c21b379af8aaa301a90d1c60d4cb792cb8eeb0a3",
			keys: map[string]string{
				"FNwkSIntKey": "537f8aae896c79e015d102d06286354e", "SNwkSIntKey": "589498993092cfdb5fd2e02ac7510bf1",
				"NwkSEncKey": "9898283c4f66eb6c6fd5165882046c40", "AppSKey": "1ceeb68807a915a4acd518b38b20ce03",
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ja := lorawan.JoinAcceptPayload{
				JoinNonce: joinNonce, NetID: netID, DevAddr: lorawan.DevAddr{1, 2, 3, 4},
				DLSettings: lorawan.DLSettings{OptNeg: tc.optNeg, RX1DROffset: 1, RX2DataRate: 5},
				RxDelay:    1, CFList: cf,
			}
			body, err := ja.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			air, err := tc.rk.AppendJoinAccept(nil, append([]byte{0x20}, body...), lorawan.JoinReqTypeJoin, joinEUI, devNonce)
			if err != nil || !bytes.Equal(air, indHex(t, tc.air)) {
				t.Fatalf("AppendJoinAccept = %x, %v; want %s", air, err, tc.air)
			}
			got := map[string]lorawan.AES128Key{}
			if tc.optNeg {
				k, err := tc.rk.SessionKeys11(joinNonce, joinEUI, devNonce)
				if err != nil {
					t.Fatal(err)
				}
				got["FNwkSIntKey"], got["SNwkSIntKey"], got["NwkSEncKey"], got["AppSKey"] = k.FNwkSIntKey, k.SNwkSIntKey, k.NwkSEncKey, k.AppSKey
			} else {
				nwkS, appS, err := tc.rk.SessionKeys10(joinNonce, netID, devNonce)
				if err != nil {
					t.Fatal(err)
				}
				got["NwkSKey"], got["AppSKey"] = nwkS, appS
			}
			for name, want := range tc.keys {
				if got[name] != indKey(t, want) {
					t.Errorf("%s = %x, want %s", name, got[name], want)
				}
			}
		})
	}
}
