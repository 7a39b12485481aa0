package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// runCLI runs the binary's entry point in process and returns exit code and outputs.
func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// decodeJSON runs `loraedge decode` and parses its JSON output.
func decodeJSON(t *testing.T, args ...string) (int, map[string]any) {
	t.Helper()
	code, stdout, stderr := runCLI(t, append([]string{"decode"}, args...)...)
	if code == exitUsage {
		t.Fatalf("decode %v: exit 2: %s", args, stderr)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(stdout), &m); err != nil {
		t.Fatalf("decode %v: output is not JSON: %v\n%s", args, err, stdout)
	}
	return code, m
}

// vector is one entry of the shared known-answer file.
type vector struct {
	ID       string         `json:"id"`
	Category string         `json:"category"`
	Inputs   map[string]any `json:"inputs"`
	Expected map[string]any `json:"expected"`
	Computed map[string]any `json:"computed"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "lorawan", "testdata", "vectors", "lorawan.json"))
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Vectors []vector `json:"vectors"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Vectors) == 0 {
		t.Fatal("no vectors")
	}
	return f.Vectors
}

func (v vector) in(k string) string {
	s, _ := v.Inputs[k].(string)
	return s
}

func (v vector) num(k string) (int, bool) {
	f, ok := v.Inputs[k].(float64)
	return int(f), ok
}

func (v vector) want(k string) string {
	if s, ok := v.Expected[k].(string); ok {
		return s
	}
	s, _ := v.Computed[k].(string)
	return s
}

func (v vector) key(name string) string {
	keys, _ := v.Inputs["keys"].(map[string]any)
	s, _ := keys[name].(string)
	return s
}

// TestDecodeVectors reproduces every shared known-answer vector through the
// decode command: the MIC verdict, the decrypted payloads and derived keys.
func TestDecodeVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.ID, func(t *testing.T) {
			checked := 0
			for _, cat := range strings.Split(v.Category, "+") {
				switch cat {
				case "uplink_mic_1_0", "uplink_mic_1_1", "downlink_mic_1_0", "downlink_mic_1_1",
					"frmpayload_encrypt_up", "frmpayload_encrypt_down", "fopts_encrypt_1_1":
					checked += checkDataVector(t, v)
				case "join_request_mic":
					_, m := decodeJSON(t, "--appkey", v.in("key"), v.in("phypayload_hex"))
					expectField(t, m, "mic", v.want("mic"))
					expectField(t, m, "mic_ok", true)
					checked++
				case "rejoin_request_mic":
					checked += checkRejoinVector(t, v)
				case "join_accept_mic_1_0", "join_accept_mic_1_1", "join_accept_encrypt":
					checked += checkJoinAcceptVector(t, v)
				case "session_keys_1_0", "session_keys_1_1":
					checked += checkSessionKeysVector(t, v)
				default:
					t.Fatalf("category %q has no check", cat)
				}
			}
			if checked == 0 {
				t.Fatal("nothing checked")
			}
		})
	}
}

func expectField(t *testing.T, m map[string]any, k string, want any) {
	t.Helper()
	got, ok := m[k]
	if !ok {
		t.Errorf("%s absent, want %v", k, want)
		return
	}
	if g, ok := got.(float64); ok {
		got = int(g)
	}
	if got != want {
		t.Errorf("%s = %v, want %v", k, got, want)
	}
}

// checkDataVector checks one data-frame vector (a MIC, FRMPayload or FOpts
// encryption, or several) through the decode command.
func checkDataVector(t *testing.T, v vector) int {
	t.Helper()
	var args []string
	v11 := v.in("mac_version") == "1.1"
	if v11 {
		args = append(args, "--version", "1.1")
	}
	flags := map[string]string{
		"NwkSKey": "--nwkskey", "AppSKey": "--appskey", "FNwkSIntKey": "--fnwksintkey",
		"SNwkSIntKey": "--snwksintkey", "NwkSEncKey": "--nwksenckey",
	}
	for name, flag := range flags {
		if k := v.key(name); k != "" {
			args = append(args, flag, k)
		}
	}
	if k := v.in("key"); k != "" { // an encryption-only vector: the key is AppSKey
		args = append(args, "--appskey", k)
	}
	if fcnt, ok := v.num("fcnt"); ok {
		args = append(args, "--fcnt", strconv.Itoa(fcnt))
	}
	for in, flag := range map[string]string{"conf_fcnt": "--conffcnt", "tx_dr": "--txdr", "tx_ch": "--txch"} {
		if n, ok := v.num(in); ok {
			args = append(args, flag, strconv.Itoa(n))
		}
	}
	code, m := decodeJSON(t, append(args, v.in("phypayload_hex"))...)
	checked := 0
	if mic := v.want("mic"); mic != "" {
		expectField(t, m, "mic", mic)
		expectField(t, m, "mic_ok", true)
		if code != exitOK {
			t.Errorf("exit %d, want 0", code)
		}
		checked++
	}
	// Plaintexts are expected outputs only of encryption vectors (a MIC
	// vector may carry a plaintext made with another key than the spec's).
	encrypts := strings.Contains(v.Category, "frmpayload_encrypt")
	if p := v.in("plaintext_hex"); p != "" && encrypts {
		expectField(t, m, "frm_payload_hex", p)
		checked++
	} else if p := v.want("plaintext_hex"); p != "" && encrypts {
		expectField(t, m, "frm_payload_hex", p)
		checked++
	}
	if c := v.want("frm_ciphertext_hex"); c != "" {
		expectField(t, m, "frm_payload_encrypted_hex", c)
		checked++
	}
	if p := v.in("fopts_plaintext_hex"); p != "" {
		expectField(t, m, "fopts_decrypted_hex", p)
		expectField(t, m, "fopts_hex", v.want("fopts_ciphertext_hex"))
		checked++
	}
	return checked
}

func checkRejoinVector(t *testing.T, v vector) int {
	t.Helper()
	args := []string{"--version", "1.1"}
	switch v.in("key_name") {
	case "SNwkSIntKey":
		args = append(args, "--snwksintkey", v.in("key"))
	case "JSIntKey":
		args = append(args, "--jsintkey", v.in("key"))
	default:
		t.Fatalf("rejoin vector with key %q", v.in("key_name"))
	}
	_, m := decodeJSON(t, append(args, v.in("phypayload_hex"))...)
	expectField(t, m, "mic", v.want("mic"))
	expectField(t, m, "mic_ok", true)
	return 1
}

// checkJoinAcceptVector decrypts the vector's join-accept with the decode
// command and compares fields and MIC. Vectors that give only the plaintext
// are encrypted first with the library (the decode command then reverses it).
func checkJoinAcceptVector(t *testing.T, v vector) int {
	t.Helper()
	enc := v.want("encrypted_phypayload_hex")
	plain := v.want("plaintext_phypayload_hex")
	if plain == "" {
		plain = v.in("plaintext_phypayload_hex")
	}
	key := v.in("key")
	if enc == "" {
		enc = encryptJoinAcceptForTest(t, key, plain)
	}
	args := []string{"--appkey", key}
	if v.in("mac_version") == "1.1" {
		args = []string{"--version", "1.1", "--nwkkey", key, "--joineui", v.in("join_eui"), "--devnonce", v.in("dev_nonce")}
		if mk := v.in("mic_key"); mk != "" {
			args = append(args, "--jsintkey", mk)
		}
	}
	_, m := decodeJSON(t, append(args, enc)...)
	ja, _ := m["join_accept"].(map[string]any)
	if ja == nil {
		t.Fatalf("no join_accept in output: %v", m)
	}
	pb, err := hex.DecodeString(plain)
	if err != nil {
		t.Fatal(err)
	}
	expectField(t, m, "mic", hex.EncodeToString(pb[len(pb)-4:]))
	expectField(t, m, "mic_ok", true)
	if jn := v.in("join_nonce"); jn != "" {
		expectField(t, ja, "join_nonce", jn)
		expectField(t, ja, "net_id", v.in("net_id"))
		expectField(t, ja, "dev_addr", v.in("devaddr"))
	}
	return 1
}

func encryptJoinAcceptForTest(t *testing.T, keyHex, plainHex string) string {
	t.Helper()
	key, err := lorawan.ParseAES128Key(keyHex)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := hex.DecodeString(plainHex)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(nil), plain...)
	if err := lorawan.NewRootKeys10(key).EncryptJoinAccept(out[1:], plain[1:], lorawan.JoinReqTypeJoin); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(out)
}

// checkSessionKeysVector builds a join-accept with the vector's JoinNonce
// and NetID, then lets the decode command derive the session keys from it.
func checkSessionKeysVector(t *testing.T, v vector) int {
	t.Helper()
	joinNonce, err := strconv.ParseUint(v.in("join_nonce"), 16, 24)
	if err != nil {
		t.Fatal(err)
	}
	netID := lorawan.NetID{}
	if s := v.in("net_id"); s != "" {
		if netID, err = lorawan.ParseNetID(s); err != nil {
			t.Fatal(err)
		}
	}
	devEUI := lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8} // only for the 1.1 MIC key; not part of session keys
	var args []string
	var rk *lorawan.RootKeys
	ja := lorawan.JoinAcceptPayload{JoinNonce: uint32(joinNonce), NetID: netID, DevAddr: lorawan.DevAddr{1, 2, 3, 4}}
	var joinEUI lorawan.EUI64
	if v.in("mac_version") == "1.1" {
		app, err1 := lorawan.ParseAES128Key(v.in("AppKey"))
		nwk, err2 := lorawan.ParseAES128Key(v.in("NwkKey"))
		je, err3 := lorawan.ParseEUI64(v.in("join_eui"))
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatal(err1, err2, err3)
		}
		joinEUI = je
		rk = lorawan.NewRootKeys11(app, nwk, devEUI)
		ja.DLSettings.OptNeg = true
		args = []string{"--version", "1.1", "--appkey", v.in("AppKey"), "--nwkkey", v.in("NwkKey"),
			"--joineui", v.in("join_eui"), "--deveui", devEUI.String()}
	} else {
		app, err := lorawan.ParseAES128Key(v.in("AppKey"))
		if err != nil {
			t.Fatal(err)
		}
		rk = lorawan.NewRootKeys10(app)
		args = []string{"--appkey", v.in("AppKey")}
	}
	devNonce, err := strconv.ParseUint(v.in("dev_nonce"), 16, 16)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ja.AppendBinary([]byte{0x20})
	if err != nil {
		t.Fatal(err)
	}
	frame, err := rk.AppendJoinAccept(nil, msg, lorawan.JoinReqTypeJoin, joinEUI, uint16(devNonce))
	if err != nil {
		t.Fatal(err)
	}
	_, m := decodeJSON(t, append(args, "--devnonce", v.in("dev_nonce"), hex.EncodeToString(frame))...)
	expectField(t, m, "mic_ok", true)
	sk, _ := m["session_keys"].(map[string]any)
	if sk == nil {
		t.Fatalf("no session_keys in output: %v", m)
	}
	n := 0
	for name, want := range v.Expected {
		expectField(t, sk, name, want)
		n++
	}
	if len(sk) != n {
		t.Errorf("session_keys = %v, want exactly %v", sk, v.Expected)
	}
	return n
}

// TestDecodeExitCodes pins the command's contract: 0 valid, 1 wrong MIC, 2 bad input.
func TestDecodeExitCodes(t *testing.T) {
	const frame = "400403020180010001a694642615d6c3b582"
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string // substring of stderr
	}{
		{"valid mic", []string{"--nwkskey", "02020202020202020202020202020202", frame}, exitOK, ""},
		{"no key, no check", []string{frame}, exitOK, ""},
		{"wrong mic", []string{"--nwkskey", "03030303030303030303030303030303", frame}, exitFailure, ""},
		{"base64 input", []string{"--nwkskey", "02020202020202020202020202020202", "QAQDAgGAAQABppRkJhXWw7WC"}, exitOK, ""},
		{"truncated", []string{"40040302018001"}, exitUsage, "want at least 12"},
		{"not hex nor base64", []string{"!!!"}, exitUsage, "neither hex nor base64"},
		{"bad key", []string{"--nwkskey", "0202", frame}, exitUsage, "32 hex digits"},
		{"bad version", []string{"--version", "2.0", frame}, exitUsage, "--version"},
		{"two frames", []string{frame, frame}, exitUsage, "exactly one frame"},
		{"no frame", nil, exitUsage, "exactly one frame"},
		{"fcnt mismatch", []string{"--fcnt", "65538", frame}, exitUsage, "does not end"},
		{"unknown flag", []string{"--nope", frame}, exitUsage, "nope"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"decode"}, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			if tt.wantCode == exitUsage {
				if stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, tt.wantErr) {
					t.Errorf("stdout %q, stderr %q: want one error line containing %q", stdout, stderr, tt.wantErr)
				}
			}
		})
	}
}

// TestDecodeFrames checks the printed fields of each message type against golden files.
func TestDecodeFrames(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"data_up_1_0", []string{"--nwkskey", "02020202020202020202020202020202", "--appskey", "01010101010101010101010101010101", "400403020180010001a694642615d6c3b582"}},
		{"data_up_no_keys", []string{"400403020180010001a694642615d6c3b582"}},
		{"data_down_1_1_fopts", []string{"--version", "1.1", "--snwksintkey", "02020202020202020202020202020202", "--nwksenckey", "02020202020202020202020202020204", "6004030201030000dfb4f1e24f1f9f"}},
		{"join_request", []string{"--appkey", "01010101010101010101010101010101", "00040302010403020105040302050403022d106a990e12"}},
		{"join_accept_1_0_cflist", []string{"--appkey", "01020304050607080102030405060708", "--devnonce", "0102", "2083f7255404805c23650ba3c9adfba977122baab015b4aa59651654f0ec252d11"}},
		{"rejoin_type2", []string{"--version", "1.1", "--snwksintkey", "00000000000000000000000000000000", "c0020302010807060504030201db003c8642ae"}},
		{"proprietary", []string{"e0010203040506"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, append([]string{"decode"}, tt.args...)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden := filepath.Join("testdata", "decode", tt.name+".json")
			if os.Getenv("UPDATE_GOLDEN") != "" {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (UPDATE_GOLDEN=1 writes it)", err)
			}
			if stdout != string(want) {
				t.Errorf("output differs from %s:\ngot:\n%s\nwant:\n%s", golden, stdout, want)
			}
		})
	}
}
