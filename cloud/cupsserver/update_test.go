package cupsserver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"net/http"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

// TestUpdatePolicy checks when the target update is sent: only to a
// gateway running another version, signed by a key it holds; never
// unsigned to a gateway that holds keys; unsigned to a keyless gateway only
// when allowed.
func TestUpdatePolicy(t *testing.T) {
	t.Parallel()
	type setup struct {
		allowUnsigned bool
		signers       []string // keys that signed the target
		deleteKey     string   // a signing key removed from the store afterwards
		gatewayTarget string   // the gateway's own target, besides the fleet's "2.0.0"
	}
	tests := []struct {
		name    string
		setup   setup
		pkg     string
		keys    []string // signing keys whose sig-N.key the gateway holds ("foreign": one not ours)
		want    string   // "signed" (by the key named in wantKey), "unsigned" or "none"
		wantKey string
		why     string // logged reason when withheld
	}{
		{"signed by the key held", setup{signers: []string{"release"}}, "1.0.0", []string{"release"}, "signed", "release", ""},
		{"second key held", setup{signers: []string{"release", "backup"}}, "1.0.0", []string{"foreign", "backup"}, "signed", "backup", ""},
		{"same version", setup{signers: []string{"release"}}, "2.0.0", []string{"release"}, "none", "", ""},
		{"same version with a newline", setup{signers: []string{"release"}}, "2.0.0\n", []string{"release"}, "none", "", ""},
		{"unsigned never to a key holder", setup{allowUnsigned: true}, "1.0.0", []string{"release"}, "none", "", "no signature by a key the gateway holds"},
		{"signed by a key not held", setup{allowUnsigned: true, signers: []string{"backup"}}, "1.0.0", []string{"release", "foreign"}, "none", "", "no signature by a key the gateway holds"},
		{"signing key deleted", setup{signers: []string{"release"}, deleteKey: "release"}, "1.0.0", []string{"release"}, "none", "", "no signature by a key the gateway holds"},
		{"keyless, unsigned not allowed", setup{signers: []string{"release"}}, "1.0.0", nil, "none", "", "unsigned updates are not allowed"},
		{"keyless, unsigned allowed", setup{allowUnsigned: true, signers: []string{"release"}}, "1.0.0", nil, "unsigned", "", ""},
		{"gateway target wins", setup{signers: []string{"release"}, gatewayTarget: "3.0.0"}, "2.0.0", []string{"release"}, "signed", "release", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, func(o *cupsserver.Options) { o.AllowUnsigned = tt.setup.allowUnsigned })
			gw := euiOf(1)
			e.addGateway(gw, nil)
			cred := issue(t, e.ca, gw)
			cert := tlsCert(t, cred)
			pubs := map[string]cups.PublicKey{}
			privs := map[string]*ecdsa.PrivateKey{}
			for _, name := range []string{"release", "backup"} {
				pubs[name], privs[name] = e.signingKey(name)
			}
			foreign, _ := newEnv(t, nil).signingKey("foreign")
			pubs["foreign"] = foreign
			signers := map[string]*ecdsa.PrivateKey{}
			for _, n := range tt.setup.signers {
				signers[n] = privs[n]
			}
			data := map[string][]byte{"2.0.0": []byte("loraedge update 2.0.0\n"), "3.0.0": []byte("loraedge update 3.0.0\n")}
			for v, d := range data {
				e.putUpdate(v, d, signers)
			}
			ctx := context.Background()
			if err := e.db.SetFleetTarget(ctx, "2.0.0"); err != nil {
				t.Fatal(err)
			}
			target := "2.0.0"
			if tt.setup.gatewayTarget != "" {
				target = tt.setup.gatewayTarget
				e.setCUPS(gw, func(_ *store.Gateway, c *store.CUPSGateway) { c.TargetVersion = target })
			}
			if tt.setup.deleteKey != "" {
				if err := e.db.DeleteSigningKey(ctx, tt.setup.deleteKey); err != nil {
					t.Fatal(err)
				}
			}
			var held []uint32
			for _, k := range tt.keys {
				held = append(held, pubs[k].CRC())
			}
			nothing := cups.CredCRC(nil, nil, nil)
			status, body, err := post(t, e.client(&cert), e.uri, requestJSON(gw, ptr(e.uri), ptr(testTCURI), nothing, nothing, tt.pkg, held), nil)
			if err != nil || status != http.StatusOK {
				t.Fatalf("status %d, %v", status, err)
			}
			var r cups.UpdateInfoResponse
			if err := r.UnmarshalBinary(body); err != nil {
				t.Fatal(err)
			}
			switch tt.want {
			case "none":
				if !bytes.Equal(body, make([]byte, 14)) {
					t.Errorf("answer carries %d update bytes, signature %v; want 14 zero bytes", len(r.Update), r.Sig != nil)
				}
				if tt.why != "" && !strings.Contains(e.logs.String(), tt.why) {
					t.Errorf("log does not say why the update was withheld (%q):\n%s", tt.why, e.logs.String())
				}
			case "unsigned":
				if r.Sig != nil || !bytes.Equal(r.Update, data[target]) {
					t.Errorf("answer: signature %v, update %q; want %q unsigned", r.Sig != nil, r.Update, data[target])
				}
			case "signed":
				if !bytes.Equal(r.Update, data[target]) || r.Sig == nil {
					t.Fatalf("answer: update %q, signature %v; want %q signed", r.Update, r.Sig != nil, data[target])
				}
				if r.Sig.KeyCRC != pubs[tt.wantKey].CRC() {
					t.Errorf("signature key CRC %08x, want %s's %08x", r.Sig.KeyCRC, tt.wantKey, pubs[tt.wantKey].CRC())
				}
				k, err := cups.Verify([]cups.PublicKey{pubs[tt.wantKey]}, r.Update, r.Sig)
				if err != nil || k != pubs[tt.wantKey] {
					t.Errorf("signature does not verify with %s: %v", tt.wantKey, err)
				}
			}
			c := e.cupsState(gw)
			if c.LastRequest.Package != tt.pkg || len(c.LastRequest.Keys) != len(tt.keys) {
				t.Errorf("recorded request: package %q, %d keys; want %q, %d", c.LastRequest.Package, len(c.LastRequest.Keys), tt.pkg, len(tt.keys))
			}
		})
	}
}

// TestCorruptSignatureNotServed stores an update whose signature does not
// match its bytes: the server logs it and sends nothing Station would
// refuse.
func TestCorruptSignatureNotServed(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	gw := euiOf(1)
	e.addGateway(gw, nil)
	cert := tlsCert(t, issue(t, e.ca, gw))
	pub, priv := e.signingKey("release")
	sig, err := cups.Sign(priv, []byte("other bytes"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	u := store.Update{Version: "2.0.0", Signatures: []store.UpdateSignature{{Key: "release", KeyCRC: sig.KeyCRC, DER: sig.DER}}}
	if err := e.db.PutUpdate(ctx, u, []byte("loraedge update 2.0.0\n")); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SetFleetTarget(ctx, "2.0.0"); err != nil {
		t.Fatal(err)
	}
	nothing := cups.CredCRC(nil, nil, nil)
	status, body, err := post(t, e.client(&cert), e.uri, requestJSON(gw, ptr(e.uri), ptr(testTCURI), nothing, nothing, "1.0.0", []uint32{pub.CRC()}), nil)
	if err != nil || status != http.StatusOK {
		t.Fatalf("status %d, %v", status, err)
	}
	if !bytes.Equal(body, make([]byte, 14)) {
		t.Errorf("answer of %d bytes, want 14 zero bytes", len(body))
	}
	if !strings.Contains(e.logs.String(), "stored update signature does not verify") {
		t.Errorf("no log line about the bad signature:\n%s", e.logs.String())
	}
}
