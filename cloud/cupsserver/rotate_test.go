package cupsserver_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
)

// TestStationBootstrapAndRotation runs a client that speaks CUPS as Station
// does, from a home holding only cups.uri, cups.trust, cups.crt and
// cups.key, against the CUPS server and the real traffic endpoint: it gets
// its tc.* and a signed update, connects to the LNS, and its next request is
// answered with 14 zero bytes. Then a rotation moves it to new credentials:
// the old ones keep working until the new ones have been used, and are
// refused afterwards.
func TestStationBootstrapAndRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	lns := e.startLNS()
	gw := euiOf(1)
	e.addGateway(gw, nil)
	pub, priv := e.signingKey("release")
	e.putUpdate("2.0.0", []byte("loraedge update 2.0.0\n#!/bin/sh\n"), map[string]*ecdsa.PrivateKey{"release": priv})
	if err := e.db.SetFleetTarget(ctx, "2.0.0"); err != nil {
		t.Fatal(err)
	}

	// Bootstrap: a rotation whose CUPS credentials go into the home.
	boot, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{CUPSURI: e.uri, TCURI: lns.uri})
	if err != nil {
		t.Fatal(err)
	}
	if boot.TCPinned {
		t.Error("TCPinned for a gateway with no pinned certificate")
	}
	home := t.TempDir()
	if err := cupsserver.WriteCUPSHome(home, e.uri, boot.CUPS); err != nil {
		t.Fatal(err)
	}
	st := &station{t: t, eui: gw, home: home}
	st.write("sig-0.key", pub[:])
	st.write("version.txt", []byte("1.0.0\n"))
	for _, f := range []string{"tc.uri", "tc.trust", "tc.crt", "tc.key"} {
		if st.read(f) != nil {
			t.Fatalf("bootstrap home holds %s", f)
		}
	}
	if got, want := st.credCRC("cups"), boot.CUPS.CRC(); got != want {
		t.Errorf("cups CRC of the written home %08x, want %08x: the first request would fetch the CUPS credentials again", got, want)
	}

	if n := st.sync(); n != 1 {
		t.Errorf("%d exchanges changed something, want 1 (tc.* and the update together)", n)
	}
	if got := string(st.read("tc.uri")); got != lns.uri {
		t.Errorf("tc.uri = %q, want %q", got, lns.uri)
	}
	if got := string(bytes.TrimSpace(st.read("version.txt"))); got != "2.0.0" {
		t.Errorf("version after the update %q, want 2.0.0", got)
	}
	if !bytes.Equal(st.read("tc.crt"), boot.TC.Cert) || st.credCRC("tc") != boot.TC.CRC() {
		t.Error("tc.* are not the issued TC credentials")
	}
	t0, c0 := tlsCert(t, st.tcCreds()), tlsCert(t, st.cupsCreds())
	if status, err := lns.connect(t, gw, t0); err != nil {
		t.Fatalf("connect with the TC credentials from CUPS: %d, %v", status, err)
	}
	c := e.cupsState(gw)
	g, _ := e.db.GetGateway(ctx, gw)
	if c.Rotation != nil || c.RotatedAt.IsZero() || !slices.Equal(g.CertFingerprints, []string{boot.TCFingerprint}) ||
		!slices.Equal(c.CUPSCertFingerprints, []string{boot.CUPSFingerprint}) {
		t.Errorf("after bootstrap: rotation %+v, traffic pins %v, CUPS pins %v; want done, [tc], [cups]", c.Rotation, g.CertFingerprints, c.CUPSCertFingerprints)
	}
	stray := tlsCert(t, issue(t, e.ca, gw))
	if status, err := lns.connect(t, gw, stray); status != http.StatusForbidden {
		t.Errorf("unpinned certificate after bootstrap: %d, %v; want 403", status, err)
	}

	// Rotation.
	rot, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !rot.TCPinned || rot.Superseded {
		t.Errorf("rotation: TCPinned %v, Superseded %v; want true, false", rot.TCPinned, rot.Superseded)
	}
	if status, err := lns.connect(t, gw, t0); err != nil {
		t.Fatalf("old TC certificate right after the rotation: %d, %v", status, err)
	}
	status, body, err := st.update()
	if err != nil || status != http.StatusOK {
		t.Fatalf("CUPS with the old credentials: %d, %v", status, err)
	}
	var r cups.UpdateInfoResponse
	if err := r.UnmarshalBinary(body); err != nil || len(r.CUPSCred) == 0 || len(r.TCCred) == 0 || r.TCURI != "" || len(r.Update) != 0 {
		t.Fatalf("rotation answer: cupsCred %d, tcCred %d bytes, tcUri %q, update %d (%v); want both credentials only",
			len(r.CUPSCred), len(r.TCCred), r.TCURI, len(r.Update), err)
	}
	if !bytes.Equal(st.read("tc.crt"), rot.TC.Cert) || !bytes.Equal(st.read("cups.crt"), rot.CUPS.Cert) {
		t.Fatal("the station did not store the rotated credentials")
	}
	// The gateway holds the new sets but used neither: the old ones work.
	if status, _, err := post(t, e.client(&c0), e.uri, st.request(), nil); err != nil || status != http.StatusOK {
		t.Errorf("old CUPS certificate before the new one was used: %d, %v", status, err)
	}
	if n := st.sync(); n != 0 {
		t.Errorf("%d exchanges with the new CUPS credentials changed something, want 0", n)
	}
	if status, _, err := post(t, e.client(&c0), e.uri, st.request(), nil); err != nil || status != http.StatusForbidden {
		t.Errorf("old CUPS certificate after the new one was used: %d, %v; want 403", status, err)
	}
	if status, err := lns.connect(t, gw, t0); err != nil {
		t.Fatalf("old TC certificate before the new one connected: %d, %v", status, err)
	}
	t1 := tlsCert(t, st.tcCreds())
	if status, err := lns.connect(t, gw, t1); err != nil {
		t.Fatalf("new TC certificate: %d, %v", status, err)
	}
	if status, err := lns.connect(t, gw, t0); status != http.StatusForbidden {
		t.Errorf("old TC certificate after the new one connected: %d, %v; want 403", status, err)
	}
	if status, err := lns.connect(t, gw, t1); err != nil {
		t.Errorf("new TC certificate again: %d, %v", status, err)
	}
	if n := st.sync(); n != 0 {
		t.Errorf("after the rotation %d exchanges changed something, want 0", n)
	}
	c = e.cupsState(gw)
	if c.Rotation != nil || c.LastTCFingerprint != rot.TCFingerprint || c.LastRequest.Fingerprint != rot.CUPSFingerprint {
		t.Errorf("state after rotation: rotation %+v, last TC %s, last CUPS %s", c.Rotation, c.LastTCFingerprint, c.LastRequest.Fingerprint)
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "new TC certificate in use") || !strings.Contains(logs, "new CUPS certificate in use") {
		t.Errorf("rotation steps not logged:\n%s", logs)
	}
	for _, secret := range [][]byte{boot.TC.Key, boot.CUPS.Key, rot.TC.Key, rot.CUPS.Key} {
		if strings.Contains(logs, string(secret)) {
			t.Error("a private key reached the log")
		}
	}
}

// TestRotationNeverStrands rotates gateways pinned in the different ways a
// gateway can be, then has them use the new credentials in either order,
// and checks after every step that each certificate the gateway may still
// hold passes where it is used (no dead end), and at the end that only the
// new ones pass.
func TestRotationNeverStrands(t *testing.T) {
	t.Parallel()
	type pins struct{ traffic, cups bool }
	tests := []struct {
		name     string
		pins     pins
		cupsIsTC bool // the gateway's cups.* is a copy of its tc.*
		tcFirst  bool // the new TC certificate is used before the new CUPS one
	}{
		{"nothing pinned, cups is tc, cups first", pins{}, true, false},
		{"nothing pinned, cups is tc, tc first", pins{}, true, true},
		{"traffic pinned, cups falls back, cups first", pins{traffic: true}, true, false},
		{"traffic pinned, cups falls back, tc first", pins{traffic: true}, true, true},
		{"both pinned, cups first", pins{traffic: true, cups: true}, false, false},
		{"both pinned, tc first", pins{traffic: true, cups: true}, false, true},
		{"nothing pinned, own cups cert, tc first", pins{}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newEnv(t, nil)
			gw := euiOf(4)
			oldTC := issue(t, e.ca, gw)
			oldCUPS := oldTC
			if !tt.cupsIsTC {
				oldCUPS = issue(t, e.ca, gw)
			}
			e.addGateway(gw, func(g *store.Gateway) {
				if tt.pins.traffic {
					g.CertFingerprints = []string{store.CertFingerprint(oldTC.Cert)}
				}
			})
			e.setCUPS(gw, func(_ *store.Gateway, c *store.CUPSGateway) {
				if tt.pins.cups {
					c.CUPSCertFingerprints = []string{store.CertFingerprint(oldCUPS.Cert)}
				}
				c.CUPSURI = e.uri
				c.TCCred, c.CUPSCred = storedSet(oldTC), storedSet(oldCUPS)
			})
			// The gateway has used CUPS with its certificate before.
			oc := tlsCert(t, oldCUPS)
			cupsOnce := func(cert tls.Certificate) int {
				t.Helper()
				nothing := cups.CredCRC(nil, nil, nil)
				status, _, err := post(t, e.client(&cert), e.uri, requestJSON(gw, ptr(e.uri), ptr(testTCURI), nothing, nothing, "", nil), nil)
				if err != nil {
					t.Fatal(err)
				}
				return status
			}
			if st := cupsOnce(oc); st != http.StatusOK {
				t.Fatalf("CUPS before the rotation: %d", st)
			}
			rot, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			newTC, newCUPS := rot.TC, rot.CUPS

			// passes reports whether cert passes CUPS and traffic now.
			passes := func(cert []byte) (cupsOK, trafficOK bool) {
				g, err := e.db.GetGateway(ctx, gw)
				if err != nil {
					t.Fatal(err)
				}
				c := e.cupsState(gw)
				return c.AllowsCUPSCert(g, cert), g.AllowsCert(cert)
			}
			expect := func(step string, cert []byte, what string, wantCUPS, wantTraffic bool) {
				t.Helper()
				gotCUPS, gotTraffic := passes(cert)
				if gotCUPS != wantCUPS || gotTraffic != wantTraffic {
					t.Errorf("%s: %s passes CUPS %v, traffic %v; want %v, %v", step, what, gotCUPS, gotTraffic, wantCUPS, wantTraffic)
				}
			}
			// Before anything is used, everything the gateway may hold works.
			expect("after rotate", oldCUPS.Cert, "old CUPS cert", true, tt.cupsIsTC || !tt.pins.traffic)
			expect("after rotate", oldTC.Cert, "old TC cert", tt.cupsIsTC || !tt.pins.cups, true)
			expect("after rotate", newCUPS.Cert, "new CUPS cert", true, !tt.pins.traffic)
			expect("after rotate", newTC.Cert, "new TC cert", !tt.pins.cups && !tt.pins.traffic, true)

			useCUPS := func() {
				if st := cupsOnce(tlsCert(t, newCUPS)); st != http.StatusOK {
					t.Fatalf("CUPS with the new certificate: %d", st)
				}
			}
			useTC := func() { e.srv.GatewayConnected(gw, store.CertFingerprint(newTC.Cert)) }
			if tt.tcFirst {
				useTC()
				expect("tc used", oldCUPS.Cert, "old CUPS cert (CUPS not yet moved)", true, false)
				expect("tc used", newCUPS.Cert, "new CUPS cert", true, false)
				expect("tc used", oldTC.Cert, "old TC cert", tt.cupsIsTC, false)
				useCUPS()
			} else {
				useCUPS()
				expect("cups used", oldTC.Cert, "old TC cert (TC not yet moved)", false, true)
				expect("cups used", newTC.Cert, "new TC cert", false, true)
				expect("cups used", oldCUPS.Cert, "old CUPS cert", false, tt.cupsIsTC || !tt.pins.traffic)
				useTC()
			}
			expect("done", newCUPS.Cert, "new CUPS cert", true, false)
			expect("done", newTC.Cert, "new TC cert", false, true)
			expect("done", oldCUPS.Cert, "old CUPS cert", false, false)
			expect("done", oldTC.Cert, "old TC cert", false, false)
			if c := e.cupsState(gw); c.Rotation != nil {
				t.Errorf("rotation still pending: %+v", c.Rotation)
			}
			if st := cupsOnce(oc); st != http.StatusForbidden {
				t.Errorf("CUPS with the old certificate after the rotation: %d, want 403", st)
			}
		})
	}
}

// TestRotateUnknownGateway refuses to issue for a gateway not registered.
func TestRotateUnknownGateway(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	_, err := cupsserver.Rotate(context.Background(), e.db, e.ca, euiOf(7), cupsserver.RotateOptions{})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Rotate of an unknown gateway = %v, want store.ErrNotFound", err)
	}
	for _, bad := range []cupsserver.RotateOptions{{CUPSURI: "https://h"}, {CUPSURI: "ftp://h:1"}, {TCURI: "wss://h:1/path"}} {
		e.addGateway(euiOf(8), nil)
		if _, err := cupsserver.Rotate(context.Background(), e.db, e.ca, euiOf(8), bad); err == nil {
			t.Errorf("Rotate with %+v: no error", bad)
		}
	}
}

// TestSupersededRotation replaces a rotation the gateway never picked up:
// the gateway, still on its first credentials, keeps working, and the
// second rotation completes as the first would have.
func TestSupersededRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, nil)
	lns := e.startLNS()
	gw := euiOf(5)
	e.addGateway(gw, nil)
	first, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{CUPSURI: e.uri, TCURI: lns.uri})
	if err != nil {
		t.Fatal(err)
	}
	st := &station{t: t, eui: gw, home: t.TempDir()}
	if err := cupsserver.WriteCUPSHome(st.home, e.uri, first.CUPS); err != nil {
		t.Fatal(err)
	}
	st.sync()
	if status, err := lns.connect(t, gw, tlsCert(t, st.tcCreds())); err != nil {
		t.Fatalf("connect: %d, %v", status, err)
	}
	oldTC := tlsCert(t, st.tcCreds())
	if _, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{}); err != nil {
		t.Fatal(err)
	}
	second, err := cupsserver.Rotate(ctx, e.db, e.ca, gw, cupsserver.RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !second.Superseded {
		t.Error("Superseded not reported")
	}
	if status, err := lns.connect(t, gw, oldTC); err != nil {
		t.Fatalf("first credentials after two rotations: %d, %v", status, err)
	}
	st.sync()
	if !bytes.Equal(st.read("tc.crt"), second.TC.Cert) {
		t.Fatal("the station did not get the second rotation's credentials")
	}
	if status, err := lns.connect(t, gw, tlsCert(t, st.tcCreds())); err != nil {
		t.Fatalf("connect with the second rotation's certificate: %d, %v", status, err)
	}
	if status, _ := lns.connect(t, gw, oldTC); status != http.StatusForbidden {
		t.Errorf("first credentials after the rotation completed: %d, want 403", status)
	}
	g, _ := e.db.GetGateway(ctx, gw)
	if !slices.Equal(g.CertFingerprints, []string{second.TCFingerprint}) {
		t.Errorf("traffic pins %v, want only the second rotation's", g.CertFingerprints)
	}
}

// TestWriteCUPSHome checks the files and their modes.
func TestWriteCUPSHome(t *testing.T) {
	t.Parallel()
	e := newEnv(t, nil)
	cred := issue(t, e.ca, euiOf(1))
	dir := filepath.Join(t.TempDir(), "home")
	if err := cupsserver.WriteCUPSHome(dir, "https://cups.example.com:443", cred); err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		data []byte
		mode os.FileMode
	}{
		cupsserver.CUPSURIFile:   {[]byte("https://cups.example.com:443"), 0o644},
		cupsserver.CUPSTrustFile: {cred.Trust, 0o644},
		cupsserver.CUPSCertFile:  {cred.Cert, 0o644},
		cupsserver.CUPSKeyFile:   {cred.Key, 0o600},
	}
	for name, w := range want {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(filepath.Join(dir, name))
		if !bytes.Equal(b, w.data) || fi.Mode().Perm() != w.mode {
			t.Errorf("%s: %d bytes mode %o, want %d bytes mode %o", name, len(b), fi.Mode().Perm(), len(w.data), w.mode)
		}
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("home mode %o, want 700", fi.Mode().Perm())
	}
	if err := cupsserver.WriteCUPSHome(dir, "https://cups.example.com", cred); err == nil {
		t.Error("a cups uri without a port was written")
	}
	if err := cupsserver.WriteCUPSHome(dir, "https://cups.example.com:443", cups.Credentials{Trust: cred.Trust}); err == nil {
		t.Error("a home without a client certificate was written")
	}
}
