package cupsclient_test

import (
	"context"
	"crypto/x509"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/cloud/cupsserver"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/agentstore"
)

// TestBootstrapFromCUPS: a gateway that holds only its CUPS bootstrap
// credentials (the boot set) asks the cloud's CUPS server, gets the LNS URI
// and its TC credentials, tries them, connects to the LNS with them and
// promotes them; its next request reports their CRC, so nothing changes.
func TestBootstrapFromCUPS(t *testing.T) {
	c := newCloud(t, true)
	tc := derCreds(t, c.ca, c.ca)
	c.setCUPS(t, func(cs *store.CUPSGateway) { cs.TCCred = storedSet(tc) })

	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetBoot, pemSet(t, c.ca, c.cupsURI))
	g := startGateway(t, dir, db, gwConfig{})

	if ev := g.trace.wait(t, "tc staged", c.logs, isEvent(cupsclient.EventStaged, agentstore.KindTC)); ev.event.CRC != tc.CRC() {
		t.Errorf("staged crc %08x, want %08x", ev.event.CRC, tc.CRC())
	}
	ev := g.trace.wait(t, "first check", c.logs, isEvent(cupsclient.EventChecked, ""))
	if ev.event.Err != nil || ev.event.Set != "boot" || !slices.Equal(ev.event.Changed, []string{"tcUri", "tcCred"}) {
		t.Errorf("first check: via %q changed %v err %v; want via boot, changed [tcUri tcCred]", ev.event.Set, ev.event.Changed, ev.event.Err)
	}
	g.trace.wait(t, "connected", g.logs, isState(agent.StateConnected))
	g.trace.wait(t, "tc promoted", g.logs, isEvent(cupsclient.EventPromoted, agentstore.KindTC))

	reg := g.set(t, agentstore.KindTC, agentstore.SetReg)
	if reg.URI != c.lnsURI || reg.CRC() != tc.CRC() {
		t.Errorf("tc reg set %v, want uri %s crc %08x", reg, c.lnsURI, tc.CRC())
	}
	if _, err := db.Credentials(context.Background(), agentstore.KindTC, agentstore.SetBak); !errors.Is(err, agentstore.ErrNotFound) {
		t.Errorf("tc bak set: %v, want none (there was no set before)", err)
	}
	g.noStaged(t, agentstore.KindTC)
	if got, want := c.connects.wait(t, "LNS connection", c.logs, func(string) bool { return true }), store.CertFingerprint(tc.Cert); got != want {
		t.Errorf("LNS connection with certificate %s, want the one CUPS gave %s", got, want)
	}

	// The next request reports the new set: nothing to change.
	g.client.Trigger()
	ev = g.trace.wait(t, "second check", g.logs, isEvent(cupsclient.EventChecked, ""))
	if ev.event.Err != nil || len(ev.event.Changed) != 0 {
		t.Errorf("second check: changed %v err %v; want nothing", ev.event.Changed, ev.event.Err)
	}
	cs, err := c.db.GetCUPSGateway(context.Background(), routerEUI)
	if err != nil {
		t.Fatal(err)
	}
	if cs.LastRequest.TCCredCRC != tc.CRC() || cs.LastRequest.TCURI != c.lnsURI || cs.LastRequest.Package != "1.0.0" {
		t.Errorf("last request reported tc %08x %q package %q, want %08x %q 1.0.0",
			cs.LastRequest.TCCredCRC, cs.LastRequest.TCURI, cs.LastRequest.Package, tc.CRC(), c.lnsURI)
	}
}

// TestRotation: the cloud rotates the gateway's credentials; the agent
// takes the new CUPS set (promoted by its next request), restarts its LNS
// connection on the new TC set and promotes it once connected. The old
// certificates are refused from then on, by the LNS and by CUPS, and the
// agent keeps working, across a restart too.
func TestRotation(t *testing.T) {
	c := newCloud(t, true)
	dir := t.TempDir()
	db := openStore(t, dir)
	oldTC, oldCUPS := pemSet(t, c.ca, c.lnsURI), pemSet(t, c.ca, c.cupsURI)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, oldTC)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, oldCUPS)
	g := startGateway(t, dir, db, gwConfig{})
	if ev := g.trace.wait(t, "first check", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || len(ev.event.Changed) != 0 {
		t.Fatalf("first check: changed %v err %v; want nothing", ev.event.Changed, ev.event.Err)
	}
	g.trace.waitAny(t, "connected", g.logs, isState(agent.StateConnected))

	rot, err := cupsserver.Rotate(context.Background(), c.db, c.ca, routerEUI, cupsserver.RotateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	g.client.Trigger()
	ev := g.trace.wait(t, "rotation answer", c.logs, isEvent(cupsclient.EventChecked, ""))
	if ev.event.Err != nil || ev.event.Set != "reg" || !slices.Equal(ev.event.Changed, []string{"cupsCred", "tcCred"}) {
		t.Errorf("rotation check: via %q changed %v err %v; want via reg, [cupsCred tcCred]", ev.event.Set, ev.event.Changed, ev.event.Err)
	}
	if ev := g.trace.wait(t, "cups promoted", c.logs, isEvent(cupsclient.EventPromoted, agentstore.KindCUPS)); ev.event.CRC != rot.CUPS.CRC() {
		t.Errorf("cups promoted crc %08x, want %08x", ev.event.CRC, rot.CUPS.CRC())
	}
	if ev := g.trace.wait(t, "check with the new CUPS set", c.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || ev.event.Set != "staged" || len(ev.event.Changed) != 0 {
		t.Errorf("check with the new CUPS set: via %q changed %v err %v; want via staged, nothing changed", ev.event.Set, ev.event.Changed, ev.event.Err)
	}
	if ev := g.trace.wait(t, "tc restart on trial", c.logs, isEvent(cupsclient.EventTCRestart, "")); ev.event.Set != "staged" {
		t.Errorf("tc restarted with the %s set, want staged", ev.event.Set)
	}
	g.trace.wait(t, "connected on the new set", g.logs, isState(agent.StateConnected))
	if ev := g.trace.wait(t, "tc promoted", c.logs, isEvent(cupsclient.EventPromoted, agentstore.KindTC)); ev.event.CRC != rot.TC.CRC() {
		t.Errorf("tc promoted crc %08x, want %08x", ev.event.CRC, rot.TC.CRC())
	}
	c.connects.wait(t, "LNS connection with the new certificate", c.logs, func(fp string) bool { return fp == rot.TCFingerprint })

	newTC, newCUPS := g.set(t, agentstore.KindTC, agentstore.SetReg), g.set(t, agentstore.KindCUPS, agentstore.SetReg)
	for _, s := range []struct {
		name      string
		got, want uint32
	}{
		{"tc reg", newTC.CRC(), rot.TC.CRC()},
		{"tc bak", g.set(t, agentstore.KindTC, agentstore.SetBak).CRC(), oldTC.CRC()},
		{"cups reg", newCUPS.CRC(), rot.CUPS.CRC()},
		{"cups bak", g.set(t, agentstore.KindCUPS, agentstore.SetBak).CRC(), oldCUPS.CRC()},
	} {
		if s.got != s.want {
			t.Errorf("%s set crc %08x, want %08x", s.name, s.got, s.want)
		}
	}
	if newTC.URI != c.lnsURI || newCUPS.URI != c.cupsURI {
		t.Errorf("new sets' URIs %q %q, want %q %q", newTC.URI, newCUPS.URI, c.lnsURI, c.cupsURI)
	}
	g.noStaged(t, agentstore.KindTC)
	g.noStaged(t, agentstore.KindCUPS)

	// The old certificates no longer work; the new ones do.
	if err := dialLNS(oldTC, c.lnsURI); err == nil {
		t.Error("the LNS still accepts the old TC certificate")
	}
	if err := dialLNS(newTC, c.lnsURI); err != nil {
		t.Errorf("the LNS refuses the new TC certificate: %v", err)
	}
	if st, err := postCUPS(oldCUPS, c.cupsURI); err != nil || st != http.StatusForbidden {
		t.Errorf("CUPS with the old certificate: HTTP %d, %v; want 403", st, err)
	}
	if st, err := postCUPS(newCUPS, c.cupsURI); err != nil || st != http.StatusOK {
		t.Errorf("CUPS with the new certificate: HTTP %d, %v; want 200", st, err)
	}

	// The agent keeps working: CUPS has nothing more to say, and a
	// restarted agent connects with what its store holds.
	g.client.Trigger()
	if ev := g.trace.wait(t, "check after rotation", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || len(ev.event.Changed) != 0 {
		t.Errorf("check after rotation: changed %v err %v; want nothing", ev.event.Changed, ev.event.Err)
	}
	g.stop(t)
	g2 := startGateway(t, dir, db, gwConfig{})
	g2.trace.waitAny(t, "connected after restart", g2.logs, isState(agent.StateConnected))
	c.connects.wait(t, "reconnection with the new certificate", c.logs, func(fp string) bool { return fp == rot.TCFingerprint })
	if ev := g2.trace.waitAny(t, "check after restart", g2.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || len(ev.event.Changed) != 0 {
		t.Errorf("check after restart: changed %v err %v; want nothing", ev.event.Changed, ev.event.Err)
	}
}

// TestSignedUpdateInstalled: the cloud serves an update signed by a key the
// gateway holds; the agent verifies it, writes it and runs the install
// command with it. Restarted into the new version, the agent reaches its
// LNS and commits the update.
func TestSignedUpdateInstalled(t *testing.T) {
	c := newCloud(t, true)
	priv, pub := signingKey(t)
	data := []byte("loraedge update 2.0.0\n")
	sig, err := cups.Sign(priv, data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	der, err := x509.MarshalECPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.db.AddSigningKey(ctx, store.SigningKey{Name: "k0", Public: pub[:], Private: der}); err != nil {
		t.Fatal(err)
	}
	if err := c.db.PutUpdate(ctx, store.Update{Version: "2.0.0", Signatures: []store.UpdateSignature{{Key: "k0", KeyCRC: sig.KeyCRC, DER: sig.DER}}}, data); err != nil {
		t.Fatal(err)
	}
	c.setCUPS(t, func(cs *store.CUPSGateway) { cs.TargetVersion = "2.0.0" })

	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, c.cupsURI))
	command, calls, installed := updateScript(t, "2.0.0")
	keys := func(o *cupsclient.Options) { o.SigKeys = []cups.PublicKey{pub} }
	g := startGateway(t, dir, db, gwConfig{client: keys, updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "1.0.0"}})
	g.trace.wait(t, "update installed", c.logs, isEvent(cupsclient.EventUpdateInstalled, ""))
	if got := calls(); len(got) != 1 || got[0] != "install "+dir+"/"+cupsclient.UpdateFile {
		t.Errorf("update command calls %q, want [install %s/%s]", got, dir, cupsclient.UpdateFile)
	}
	if got := installed(); sha(got) != sha(data) {
		t.Errorf("the command installed %q, want %q", got, data)
	}
	cs, err := c.db.GetCUPSGateway(ctx, routerEUI)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cs.LastRequest.Keys, []uint32{pub.CRC()}) || cs.LastRequest.Package != "1.0.0" {
		t.Errorf("request reported keys %v package %q, want [%08x] 1.0.0", cs.LastRequest.Keys, cs.LastRequest.Package, pub.CRC())
	}
	g.stop(t)

	// The package manager restarted the agent into 2.0.0.
	g2 := startGateway(t, dir, db, gwConfig{client: keys, updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "2.0.0"}})
	g2.trace.wait(t, "update committed", g2.logs, isEvent(cupsclient.EventUpdateCommitted, ""))
	if ev := g2.trace.waitAny(t, "check on the new version", g2.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || len(ev.event.Changed) != 0 {
		t.Errorf("check on the new version: changed %v err %v; want nothing", ev.event.Changed, ev.event.Err)
	}
	if got := calls(); len(got) != 1 {
		t.Errorf("update command calls %q after the commit, want only the install", got)
	}
}

// TestUpdateNotComingBack: the agent is restarted after the install but
// still runs the old version: it runs the rollback command, and refuses the
// same update when CUPS offers it again.
func TestUpdateNotComingBack(t *testing.T) {
	priv, pub := signingKey(t)
	data := []byte("loraedge update 2.0.0\n")
	sig, err := cups.Sign(priv, data)
	if err != nil {
		t.Fatal(err)
	}
	c := newCloud(t, true)
	f := newFakeCUPS(t, c.ca, func(int, *cups.UpdateInfoRequest) (int, []byte) {
		return http.StatusOK, marshal(t, &cups.UpdateInfoResponse{Sig: sig, Update: data})
	})
	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, f.uri))
	command, calls, _ := updateScript(t, "2.0.0")
	keys := func(o *cupsclient.Options) { o.SigKeys = []cups.PublicKey{pub} }
	g := startGateway(t, dir, db, gwConfig{client: keys, updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "1.0.0"}})
	g.trace.wait(t, "update installed", g.logs, isEvent(cupsclient.EventUpdateInstalled, ""))
	g.stop(t)

	g2 := startGateway(t, dir, db, gwConfig{client: keys, updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "1.0.0"}})
	ev := g2.trace.wait(t, "rollback", g2.logs, isEvent(cupsclient.EventUpdateRolledBack, ""))
	if ev.event.Err == nil {
		t.Error("rollback event without a reason")
	}
	if got := calls(); !slices.Equal(got, []string{"install " + dir + "/" + cupsclient.UpdateFile, "rollback"}) {
		t.Errorf("update command calls %q, want install then rollback", got)
	}
	ev = g2.trace.wait(t, "the same update refused", g2.logs, isEvent(cupsclient.EventUpdateRefused, ""))
	if !errors.Is(ev.event.Err, cupsclient.ErrUpdateRefused) {
		t.Errorf("refusal %v, want ErrUpdateRefused (failed before)", ev.event.Err)
	}
	g2.trace.waitAny(t, "connected", g2.logs, isState(agent.StateConnected))
	if got := calls(); len(got) != 2 {
		t.Errorf("update command calls %q, want no third", got)
	}
}

// TestUnhealthyUpdateRolledBack: restarted into the new version, the agent
// does not reach its LNS within the health timeout: Run rolls the update
// back.
func TestUnhealthyUpdateRolledBack(t *testing.T) {
	priv, pub := signingKey(t)
	data := []byte("loraedge update 2.0.0\n")
	sig, err := cups.Sign(priv, data)
	if err != nil {
		t.Fatal(err)
	}
	c := newCloud(t, true)
	f := newFakeCUPS(t, c.ca, func(n int, _ *cups.UpdateInfoRequest) (int, []byte) {
		if n == 1 {
			return http.StatusOK, marshal(t, &cups.UpdateInfoResponse{Sig: sig, Update: data})
		}
		return http.StatusOK, nothing()
	})
	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, f.uri))
	command, calls, _ := updateScript(t, "2.0.0")
	keys := func(o *cupsclient.Options) { o.SigKeys = []cups.PublicKey{pub} }
	g := startGateway(t, dir, db, gwConfig{client: keys, updater: &cupsclient.UpdaterOptions{Dir: dir, Command: command, Version: "1.0.0"}})
	g.trace.wait(t, "update installed", g.logs, isEvent(cupsclient.EventUpdateInstalled, ""))
	g.stop(t)

	// The new version finds no LNS.
	ln := listen(t)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, "wss://"+ln.Addr().String()))
	ln.Close()
	g2 := startGateway(t, dir, db, gwConfig{client: keys, updater: &cupsclient.UpdaterOptions{
		Dir: dir, Command: command, Version: "2.0.0", HealthTimeout: 200 * time.Millisecond}})
	ev := g2.trace.wait(t, "rollback", g2.logs, isEvent(cupsclient.EventUpdateRolledBack, ""))
	if ev.event.Err == nil || !strings.Contains(ev.event.Err.Error(), "did not reach its LNS") {
		t.Errorf("rollback reason %v, want the LNS not reached", ev.event.Err)
	}
	if got := calls(); len(got) != 2 || got[1] != "rollback" {
		t.Errorf("update command calls %q, want install then rollback", got)
	}
	for _, e := range g2.trace.all() {
		if e.event == nil && e.state == agent.StateConnected {
			t.Error("connected, yet rolled back")
		}
	}
}

// TestTokenAuthentication: a CUPS set with a token instead of a client
// certificate sends it as its header line over TLS, and the token never
// reaches a log line.
func TestTokenAuthentication(t *testing.T) {
	c := newCloud(t, false)
	const token = "gw-secret-token-4711"
	if err := c.db.PutGateway(context.Background(), store.Gateway{EUI: routerEUI, Region: "EU868", TokenSHA256: gateway.HashToken(token)}); err != nil {
		t.Fatal(err)
	}
	tc := derCreds(t, c.ca, c.ca)
	c.setCUPS(t, func(cs *store.CUPSGateway) { cs.TCCred = storedSet(tc) })
	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, agentstore.Credentials{URI: c.cupsURI, Trust: c.ca.CertPEM(), Token: "Authorization: Bearer " + token + "\r\n"})
	g := startGateway(t, dir, db, gwConfig{})
	if ev := g.trace.wait(t, "check", c.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || ev.event.Set != "reg" {
		t.Fatalf("check via %q: %v", ev.event.Set, ev.event.Err)
	}
	g.trace.wait(t, "tc promoted", g.logs, isEvent(cupsclient.EventPromoted, agentstore.KindTC))
	if strings.Contains(g.logs.String(), token) || strings.Contains(c.logs.String(), token) {
		t.Error("the token is in a log")
	}
	cs, err := c.db.GetCUPSGateway(context.Background(), routerEUI)
	if err != nil {
		t.Fatal(err)
	}
	if cs.LastRequest.Fingerprint != "" {
		t.Errorf("request authenticated by certificate %s, want the token", cs.LastRequest.Fingerprint)
	}
}
