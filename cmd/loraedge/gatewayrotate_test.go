package main

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// liveCloud is `loraedge cloud` run by a test: its gateway endpoint, CUPS
// server, admin API and embedded MQTT broker listen on 127.0.0.1.
type liveCloud struct {
	data    string
	tcURI   string // wss://127.0.0.1:PORT, the LNS
	cupsURI string // https://127.0.0.1:PORT
	log     *signalWriter
	stop    func() // stops the cloud and waits for its exit; idempotent
}

var (
	tcURIRE   = regexp.MustCompile(`tc_uri=(wss://\S+)`)
	cupsURIRE = regexp.MustCompile(`cups_uri=(https://\S+)`)
)

// startLiveCloud runs the cloud until the test ends (or stop), with a
// fresh data directory; it returns once the CUPS server serves.
func startLiveCloud(t *testing.T) *liveCloud {
	t.Helper()
	noEnvKEK(t)
	conf := writeConf(t, "[gateways]\nlisten = \"127.0.0.1:0\"\n[mqtt]\nembedded_listen = \"127.0.0.1:0\"\n"+
		"[api]\nlisten = \"127.0.0.1:0\"\n[cups]\nlisten = \"127.0.0.1:0\"\n")
	lc := &liveCloud{data: filepath.Join(t.TempDir(), "data"), log: &signalWriter{marker: "cups server started", ready: make(chan struct{})}}
	ctx, cancel := context.WithCancel(context.Background())
	code := make(chan int, 1)
	go func() { code <- run(ctx, []string{"cloud", "--config", conf, "--data", lc.data}, io.Discard, lc.log) }()
	var once sync.Once
	lc.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case c := <-code:
				if c != exitOK {
					t.Errorf("cloud exited with %d:\n%s", c, lc.log.String())
				}
			case <-time.After(20 * time.Second):
				t.Errorf("the cloud did not stop:\n%s", lc.log.String())
			}
		})
	}
	t.Cleanup(lc.stop)
	select {
	case <-lc.log.ready:
	case c := <-code:
		t.Fatalf("cloud exited with %d before serving CUPS:\n%s", c, lc.log.String())
	case <-time.After(30 * time.Second):
		t.Fatalf("the cloud did not start:\n%s", lc.log.String())
	}
	out := lc.log.String()
	tc, cu := tcURIRE.FindStringSubmatch(out), cupsURIRE.FindStringSubmatch(out)
	if tc == nil || cu == nil {
		t.Fatalf("no tc_uri or cups_uri in the cloud's log:\n%s", out)
	}
	lc.tcURI, lc.cupsURI = tc[1], cu[1]
	return lc
}

// parseStationKey reads the DER private key of a credential set.
func parseStationKey(t *testing.T, der []byte) crypto.Signer {
	t.Helper()
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return k
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		t.Fatalf("credential key: %v", err)
	}
	return k.(crypto.Signer)
}

// stationTLS is the client side of Station's TLS with a credential set:
// its trust as the only root, its certificate as the client certificate.
func stationTLS(t *testing.T, cred cups.Credentials) *tls.Config {
	t.Helper()
	trust, err := x509.ParseCertificate(cred.Trust)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(trust)
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1",
		Certificates: []tls.Certificate{{Certificate: [][]byte{cred.Cert}, PrivateKey: parseStationKey(t, cred.Key)}}}
}

// stationCUPS makes one /update-info request as Station does, with the
// client certificate of cred; it returns the HTTP status and, on 200, the
// decoded answer.
func stationCUPS(t *testing.T, cupsURI string, cred cups.Credentials, req cups.UpdateInfoRequest) (int, cups.UpdateInfoResponse) {
	t.Helper()
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{TLSClientConfig: stationTLS(t, cred)}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 20 * time.Second, Transport: tr}
	resp, err := client.Post(cupsURI+"/update-info", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var ans cups.UpdateInfoResponse
	if resp.StatusCode == http.StatusOK {
		if err := ans.UnmarshalBinary(b); err != nil {
			t.Fatalf("update-info answer: %v", err)
		}
	}
	return resp.StatusCode, ans
}

// stationTraffic connects to the LNS traffic endpoint with cred's client
// certificate, as Station does after router-info, and waits for
// router_config; the error says why the endpoint refused.
func stationTraffic(t *testing.T, tcURI string, eui lorawan.EUI64, cred cups.Credentials) error {
	t.Helper()
	dialer := &websocket.Dialer{HandshakeTimeout: 20 * time.Second, TLSClientConfig: stationTLS(t, cred)}
	conn, resp, err := dialer.Dial(tcURI+"/traffic/"+eui.String(), nil)
	if err != nil {
		if resp != nil {
			return fmt.Errorf("%w (status %d)", err, resp.StatusCode)
		}
		return err
	}
	defer conn.Close()
	if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"version","station":"2.0.6","firmware":"","package":"","model":"linux","protocol":2,"features":""}`)); err != nil {
		return err
	}
	if err := conn.SetReadDeadline(time.Now().Add(20 * time.Second)); err != nil {
		return err
	}
	_, msg, err := conn.ReadMessage()
	if err != nil {
		return err
	}
	if m, err := station.Decode(msg); err != nil || m.MsgType() != "router_config" {
		return fmt.Errorf("first message %.80s, %v; want router_config", msg, err)
	}
	return nil
}

// unblob decodes a credential blob of a CUPS answer.
func unblob(t *testing.T, what string, blob []byte) cups.Credentials {
	t.Helper()
	var c cups.Credentials
	if err := c.UnmarshalBinary(blob); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return c
}

var fingerprintRE = regexp.MustCompile(`(tc|cups) certificate +([0-9a-f]{64})`)

// printedFingerprints reads the TC and CUPS fingerprints a rotation printed.
func printedFingerprints(t *testing.T, out string) (tc, cupsFP string) {
	t.Helper()
	for _, m := range fingerprintRE.FindAllStringSubmatch(out, -1) {
		if m[1] == "tc" {
			tc = m[2]
		} else {
			cupsFP = m[2]
		}
	}
	if tc == "" || cupsFP == "" {
		t.Fatalf("no certificate fingerprints in:\n%s", out)
	}
	return tc, cupsFP
}

// TestCUPSCommandsWhileTheCloudRuns runs every CUPS command against a
// running cloud, which holds the store, so that each goes through the admin
// API; the running cloud's CUPS server and LNS act on the changes at once.
// A gateway bootstrapped with `gateway cups-home` gets its TC credentials
// and the signed update from CUPS, connects; `gateway rotate` gives it new
// credentials by CUPS while the old ones keep working until the new ones
// are used, after which the old ones are refused. Then the cloud stops and
// the same read commands, now on the store, print the same.
func TestCUPSCommandsWhileTheCloudRuns(t *testing.T) {
	lc := startLiveCloud(t)
	gw := mustEUI(t, tCUPSGateway)
	dir := t.TempDir()
	live := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := runCLI(t, append(args, "--data", lc.data)...)
		if code != exitOK {
			t.Fatalf("loraedge %s while the cloud runs: exit %d: %s", strings.Join(args, " "), code, stderr)
		}
		if !strings.Contains(stderr, "admin API at") {
			t.Errorf("loraedge %s: stderr %q does not say it went through the admin API", strings.Join(args, " "), stderr)
		}
		return stdout
	}
	live("gateway", "add", "--eui", tCUPSGateway, "--region", "EU868")

	// update keygen and sign: the cloud makes and keeps the key, and signs
	// the file sent as the request body (larger than a JSON body may be).
	pubFile := filepath.Join(dir, "sig-release.key")
	out := live("update", "keygen", "--name", "release", "--out", pubFile)
	pub, err := cups.ParsePublicKey(mustRead(t, pubFile))
	if err != nil || !strings.Contains(out, hex.EncodeToString(pub[:])) {
		t.Fatalf("keygen: public key file %v; output:\n%s", err, out)
	}
	body := bytes.Repeat([]byte("loraedge agent 2.0.0 payload\n"), 40000)
	file := filepath.Join(dir, "agent-2.0.0.bin")
	if err := os.WriteFile(file, body, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	out = live("update", "sign", "--key", "release", file, "--version", "2.0.0")
	if want := fmt.Sprintf("update 2.0.0: %d bytes, sha256 %x, signed by release (key crc %08x)", len(body), sum, pub.CRC()); !strings.Contains(out, want) ||
		!strings.Contains(out, "target of every gateway") {
		t.Errorf("sign output:\n%s\nwant %q", out, want)
	}
	var list admin.UpdateList
	if err := json.Unmarshal([]byte(live("update", "list", "--json")), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Updates) != 1 || list.FleetTarget != "2.0.0" || len(list.Updates[0].Signatures) != 1 || list.Updates[0].SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("update list: %+v", list)
	}
	if code, _, stderr := runCLI(t, "update", "sign", "--key", "release", file, "--version", "2.0.0", "--data", lc.data); code != exitOK {
		t.Errorf("signing the same bytes again: exit %d, %s", code, stderr)
	}
	if err := os.WriteFile(filepath.Join(dir, "other"), []byte("other bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCLI(t, "update", "sign", "--key", "release", filepath.Join(dir, "other"), "--version", "2.0.0", "--data", lc.data); code != exitFailure || !strings.Contains(stderr, "--replace") {
		t.Errorf("other bytes without --replace: exit %d, %s", code, stderr)
	}

	// gateway cups-home: the CUPS key comes back through the API and is
	// written 0600 by the CLI.
	home := filepath.Join(dir, "home")
	out = live("gateway", "cups-home", "--eui", tCUPSGateway, "--out", home, "--cups-uri", lc.cupsURI, "--sig-keys")
	tcFP1, cupsFP1 := printedFingerprints(t, out)
	if fi, err := os.Stat(filepath.Join(home, "cups.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("cups.key: %v, %v; want mode 0600", fi, err)
	}
	if !bytes.Equal(mustRead(t, filepath.Join(home, "sig-0.key")), pub[:]) {
		t.Error("sig-0.key is not the signing key's public key")
	}
	cups1 := cups.Credentials{Trust: mustRead(t, filepath.Join(home, "cups.trust")), Cert: mustRead(t, filepath.Join(home, "cups.crt")), Key: mustRead(t, filepath.Join(home, "cups.key"))}
	if store.CertFingerprint(cups1.Cert) != cupsFP1 {
		t.Errorf("cups.crt is not the certificate printed (%s)", cupsFP1)
	}

	// The gateway's first CUPS request, from that home: tc.uri, TC
	// credentials and the signed update.
	req := cups.UpdateInfoRequest{Router: cups.RouterID{EUI: gw}, CUPSURI: &lc.cupsURI, CUPSCredCRC: cups1.CRC(), TCCredCRC: cups.CredCRC(nil, nil, nil),
		Station: "2.0.6", Model: "linux", Package: "1.0.0", Keys: []uint32{pub.CRC()}}
	status, ans := stationCUPS(t, lc.cupsURI, cups1, req)
	if status != http.StatusOK {
		t.Fatalf("first CUPS request: status %d", status)
	}
	if ans.TCURI != lc.tcURI || len(ans.CUPSCred) != 0 || !bytes.Equal(ans.Update, body) || ans.Sig == nil {
		t.Fatalf("first CUPS answer: tcUri %q, cupsCred %d bytes, update %d bytes, sig %v", ans.TCURI, len(ans.CUPSCred), len(ans.Update), ans.Sig)
	}
	if _, err := cups.Verify([]cups.PublicKey{pub}, ans.Update, ans.Sig); err != nil {
		t.Errorf("the update's signature: %v", err)
	}
	tc1 := unblob(t, "tcCred", ans.TCCred)
	if store.CertFingerprint(tc1.Cert) != tcFP1 {
		t.Errorf("tcCred is not the TC certificate cups-home printed")
	}
	if err := stationTraffic(t, lc.tcURI, gw, tc1); err != nil {
		t.Fatalf("traffic with the TC credentials from CUPS: %v", err)
	}
	var st []admin.CUPSGateway
	if err := json.Unmarshal([]byte(live("cups", "status", "--json", "--eui", tCUPSGateway)), &st); err != nil {
		t.Fatal(err)
	}
	if len(st) != 1 || st[0].State == nil || st[0].State.Rotation != nil || st[0].State.RotatedAt.IsZero() || st[0].State.LastTCFingerprint != tcFP1 {
		t.Fatalf("status after the bootstrap: %+v; want the rotation done, last traffic with %s", st, tcFP1)
	}

	// gateway rotate while the gateway is in service.
	out = live("gateway", "rotate", "--eui", tCUPSGateway)
	tcFP2, cupsFP2 := printedFingerprints(t, out)
	if strings.Contains(out, "no CUPS request yet") || strings.Contains(out, "were not pinned") {
		t.Errorf("rotate output:\n%s", out)
	}
	if tcFP2 == tcFP1 || cupsFP2 == cupsFP1 {
		t.Fatal("rotate issued the old certificates")
	}
	req.TCURI, req.TCCredCRC, req.Package = &lc.tcURI, tc1.CRC(), "2.0.0"
	status, ans = stationCUPS(t, lc.cupsURI, cups1, req)
	if status != http.StatusOK || len(ans.TCCred) == 0 || len(ans.CUPSCred) == 0 || len(ans.Update) != 0 {
		t.Fatalf("CUPS request after rotate: status %d, tcCred %d bytes, cupsCred %d bytes, update %d bytes", status, len(ans.TCCred), len(ans.CUPSCred), len(ans.Update))
	}
	tc2, cups2 := unblob(t, "tcCred", ans.TCCred), unblob(t, "cupsCred", ans.CUPSCred)
	if store.CertFingerprint(tc2.Cert) != tcFP2 || store.CertFingerprint(cups2.Cert) != cupsFP2 {
		t.Fatal("CUPS delivered other certificates than rotate printed")
	}
	// The old TC certificate works until the new one has connected, then
	// only the new one does.
	if err := stationTraffic(t, lc.tcURI, gw, tc1); err != nil {
		t.Errorf("old TC certificate before the new one connected: %v", err)
	}
	if err := stationTraffic(t, lc.tcURI, gw, tc2); err != nil {
		t.Fatalf("new TC certificate: %v", err)
	}
	if err := stationTraffic(t, lc.tcURI, gw, tc1); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("old TC certificate after the new one connected: %v, want a refusal (403)", err)
	}
	// The same for CUPS.
	req.CUPSCredCRC, req.TCCredCRC = cups2.CRC(), tc2.CRC()
	if status, ans = stationCUPS(t, lc.cupsURI, cups2, req); status != http.StatusOK || len(ans.TCCred)+len(ans.CUPSCred)+len(ans.TCURI) != 0 {
		t.Errorf("CUPS request with the new credentials: status %d, answer %+v; want 200 with nothing new", status, ans)
	}
	if status, _ = stationCUPS(t, lc.cupsURI, cups1, req); status != http.StatusForbidden {
		t.Errorf("CUPS request with the old certificate after the new one was used: status %d, want 403", status)
	}

	// cups set: the running CUPS server answers with it at the next request.
	live("cups", "set", "--eui", tCUPSGateway, "--tc-uri", "wss://lns.example.com:443")
	if status, ans = stationCUPS(t, lc.cupsURI, cups2, req); status != http.StatusOK || ans.TCURI != "wss://lns.example.com:443" {
		t.Errorf("CUPS request after cups set: status %d, tcUri %q", status, ans.TCURI)
	}

	// What the read commands print through the API, they print from the
	// store once the cloud has stopped.
	reads := [][]string{{"cups", "status"}, {"cups", "status", "--json"}, {"cups", "status", "--eui", tCUPSGateway}, {"update", "list"}, {"update", "list", "--json"}}
	var viaAPI []string
	for _, args := range reads {
		viaAPI = append(viaAPI, live(args...))
	}
	if !strings.Contains(viaAPI[0], "done ") || !strings.Contains(viaAPI[0], "current") || !strings.Contains(viaAPI[0], "release (crc") {
		t.Errorf("cups status through the API:\n%s", viaAPI[0])
	}
	// --api names the API explicitly, as from another machine over https.
	ep, err := admin.ReadEndpoint(lc.data)
	if err != nil {
		t.Fatal(err)
	}
	if out := mustRun(t, "update", "list", "--json", "--api", ep.URL, "--api-token-file", writeSecret(t, "api-token", string(ep.Token))); out != viaAPI[4] {
		t.Errorf("update list --api prints:\n%s\nwant:\n%s", out, viaAPI[4])
	}
	lc.stop()
	for i, args := range reads {
		code, stdout, stderr := runCLI(t, append(args, "--data", lc.data)...)
		if code != exitOK || strings.Contains(stderr, "admin API") {
			t.Fatalf("loraedge %s with the cloud stopped: exit %d, %s", strings.Join(args, " "), code, stderr)
		}
		if stdout != viaAPI[i] {
			t.Errorf("loraedge %s prints differently on the store:\n%s\nthan through the API:\n%s", strings.Join(args, " "), stdout, viaAPI[i])
		}
	}

	// No private key in any output or the cloud's log.
	db := openData(t, lc.data)
	sk, err := db.GetSigningKey(context.Background(), "release")
	if err != nil {
		t.Fatal(err)
	}
	texts := append(viaAPI, lc.log.String(), out)
	for _, k := range [][]byte{sk.Private, tc1.Key, tc2.Key, cups1.Key, cups2.Key} {
		for _, spelling := range []string{hex.EncodeToString(k), base64.StdEncoding.EncodeToString(k)} {
			for _, s := range texts {
				if strings.Contains(s, spelling) {
					t.Fatalf("a private key appears in an output or the log:\n%s", s)
				}
			}
		}
	}
	if err := db.Check(context.Background()); err != nil {
		t.Error(err)
	}
}
