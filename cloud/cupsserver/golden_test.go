package cupsserver_test

import (
	"bytes"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

// TestAnswersGolden has the server answer requests against known desired
// states over TLS and compares the bodies byte for byte with the layout
// Station reads (built here segment by segment); the signature, which ECDSA
// draws at random, is checked with cups.Verify.
func TestAnswersGolden(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	gw := euiOf(1)
	e.addGateway(gw, nil)
	cupsCert := issue(t, e.ca, gw) // what the gateway authenticates with
	cert := tlsCert(t, cupsCert)
	client := e.client(&cert)

	newTC := issue(t, e.ca, gw)
	newCUPS := issue(t, e.ca, gw)
	tokenTC := cups.Credentials{Trust: e.ca.Certificate().Raw, Token: "Authorization: Bearer tc-token-0123"}
	pub, priv := e.signingKey("release")
	update := []byte("loraedge update 2.0.0\n#!/bin/sh\nexit 0\n")
	e.putUpdate("2.0.0", update, map[string]*ecdsa.PrivateKey{"release": priv})

	nothingCRC := cups.CredCRC(nil, nil, nil)
	const cupsURI = "https://cups.example.com:6041"
	tests := []struct {
		name  string
		state func(c *store.CUPSGateway)
		req   string
		want  []byte
		sig   bool // the answer carries a signature and the update
	}{
		{
			name: "nothing changed",
			state: func(c *store.CUPSGateway) {
				c.TCCred = storedSet(newTC)
				c.CUPSCred = storedSet(cupsCert)
			},
			req:  requestJSON(gw, ptr(e.uri), ptr(testTCURI), cupsCert.CRC(), newTC.CRC(), "1.0.0", nil),
			want: make([]byte, 14),
		},
		{
			name:  "tc uri only",
			state: func(*store.CUPSGateway) {},
			req:   requestJSON(gw, ptr(e.uri), nil, nothingCRC, nothingCRC, "1.0.0", nil),
			want:  layout("", testTCURI, nil, nil, nil, nil),
		},
		{
			name:  "tc credentials",
			state: func(c *store.CUPSGateway) { c.TCCred = storedSet(newTC) },
			req:   requestJSON(gw, ptr(e.uri), ptr(testTCURI), nothingCRC, nothingCRC, "", nil),
			want:  layout("", "", nil, blobOf(newTC), nil, nil),
		},
		{
			name:  "tc token",
			state: func(c *store.CUPSGateway) { c.TCCred = storedSet(tokenTC) },
			req:   requestJSON(gw, nil, ptr(testTCURI), nothingCRC, newTC.CRC(), "", nil),
			want:  layout("", "", nil, blobOf(tokenTC), nil, nil),
		},
		{
			name: "cups credentials and uri",
			state: func(c *store.CUPSGateway) {
				c.CUPSURI = cupsURI
				c.CUPSCred = storedSet(newCUPS)
				c.TCCred = storedSet(newTC)
			},
			req:  requestJSON(gw, ptr(e.uri), ptr(testTCURI), cupsCert.CRC(), newTC.CRC(), "", nil),
			want: layout(cupsURI, "", blobOf(newCUPS), nil, nil, nil),
		},
		{
			name: "signed update",
			state: func(c *store.CUPSGateway) {
				c.TargetVersion = "2.0.0"
			},
			req: requestJSON(gw, ptr(e.uri), ptr(testTCURI), nothingCRC, nothingCRC, "1.0.0", []uint32{0x01020304, pub.CRC()}),
			sig: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.setCUPS(gw, func(_ *store.Gateway, c *store.CUPSGateway) {
				*c = store.CUPSGateway{EUI: gw}
				tt.state(c)
			})
			status, body, err := post(t, client, e.uri, tt.req, nil)
			if err != nil || status != http.StatusOK {
				t.Fatalf("POST /update-info: status %d, %v", status, err)
			}
			if tt.sig {
				checkSignedUpdate(t, body, update, pub)
				return
			}
			if !bytes.Equal(body, tt.want) {
				t.Errorf("answer =\n%s\nwant\n%s", hex.Dump(body), hex.Dump(tt.want))
			}
			// What Station reports once it has written the answer.
			var r cups.UpdateInfoResponse
			if err := r.UnmarshalBinary(body); err != nil {
				t.Fatal(err)
			}
			for _, blob := range [][]byte{r.CUPSCred, r.TCCred} {
				if len(blob) == 0 {
					continue
				}
				got, err := cups.BlobCRC(blob)
				if err != nil {
					t.Fatal(err)
				}
				c := e.cupsState(gw)
				if got != c.TCCred.CRC && (c.CUPSCred == nil || got != c.CUPSCred.CRC) {
					t.Errorf("blob CRC %08x is neither desired CRC", got)
				}
			}
		})
	}
}

// checkSignedUpdate checks an answer carrying only a signed update: the
// layout with the signature segment (key CRC, DER) as read, and the
// signature verified with the public key.
func checkSignedUpdate(t *testing.T, body, update []byte, pub cups.PublicKey) {
	t.Helper()
	if len(body) < 10+4 {
		t.Fatalf("answer of %d bytes", len(body))
	}
	sigLen := binary.LittleEndian.Uint32(body[6:10])
	if sigLen < cups.MinSigSegment || sigLen > cups.MaxSigSegment || int(sigLen) > len(body)-14 {
		t.Fatalf("signature segment length %d", sigLen)
	}
	sig := body[10 : 10+sigLen]
	if want := layout("", "", nil, nil, sig, update); !bytes.Equal(body, want) {
		t.Fatalf("answer =\n%s\nwant\n%s", hex.Dump(body), hex.Dump(want))
	}
	if got := binary.LittleEndian.Uint32(sig[:4]); got != pub.CRC() {
		t.Errorf("signature key CRC %08x, want %08x", got, pub.CRC())
	}
	if _, err := cups.Verify([]cups.PublicKey{pub}, update, &cups.Signature{KeyCRC: pub.CRC(), DER: sig[4:]}); err != nil {
		t.Errorf("signature does not verify: %v", err)
	}
	if !strings.HasPrefix(string(sig[4:]), "\x30") {
		t.Errorf("signature is not DER: % x", sig[4:8])
	}
}
