package cupsclient_test

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"net/http"
	"slices"
	"testing"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/agent/cupsclient"
	"github.com/loraedge/loraedge/cloud/pki/pkitest"
	"github.com/loraedge/loraedge/cups"
	"github.com/loraedge/loraedge/store/agentstore"
)

// stationCRC is Station's sys_crcCred, written here apart from the code
// under test: zlib CRC32 chained over the three files, an absent one
// counting as 4 zero bytes.
func stationCRC(files ...[]byte) uint32 {
	var crc uint32
	for _, f := range files {
		if len(f) == 0 {
			f = []byte{0, 0, 0, 0}
		}
		crc = crc32.Update(crc, crc32.IEEETable, f)
	}
	return crc
}

// TestRequestAsStation: the update-info body is byte for byte what Station
// sends: its field order, the router as id6, the reg sets' URIs (null when
// absent) and CRCs over the files as stored (4 zero bytes for each missing
// one), the version, and the CRC of each held key.
func TestRequestAsStation(t *testing.T) {
	c := newCloud(t, true)
	_, k0 := signingKey(t)
	_, k1 := signingKey(t)
	for _, tc := range []struct {
		name string
		tc   bool
	}{{"with a tc set", true}, {"without a tc set", false}} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCUPS(t, c.ca, func(int, *cups.UpdateInfoRequest) (int, []byte) { return http.StatusOK, nothing() })
			dir := t.TempDir()
			db := openStore(t, dir)
			cs := pemSet(t, c.ca, f.uri)
			putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, cs)
			tcURI, tcCRC := "null", uint32(2077607535) // Station's CRC with no file (0x7BD5C66F)
			if tc.tc {
				ts := pemSet(t, c.ca, c.lnsURI)
				putSet(t, db, agentstore.KindTC, agentstore.SetReg, ts)
				tcURI, tcCRC = `"`+c.lnsURI+`"`, stationCRC(ts.Trust, ts.Cert, ts.Key)
			}
			g := startGateway(t, dir, db, gwConfig{client: func(o *cupsclient.Options) { o.SigKeys = []cups.PublicKey{k0, k1} }})
			got := f.raw.wait(t, "request", g.logs, func([]byte) bool { return true })
			want := fmt.Sprintf(`{"router":"b827:ebff:fe61:5101","cupsUri":"%s","tcUri":%s,"cupsCredCrc":%d,"tcCredCrc":%d,`+
				`"station":"2.0.6(loraedge/test)","model":"linux","package":"1.0.0","keys":[%d,%d]}`,
				f.uri, tcURI, stationCRC(cs.Trust, cs.Cert, cs.Key), tcCRC, crc32.ChecksumIEEE(k0[:]), crc32.ChecksumIEEE(k1[:]))
			if string(got) != want {
				t.Errorf("request\n got %s\nwant %s", got, want)
			}
		})
	}
}

// TestCUPSFallsBackThroughSets: a CUPS set that is refused is followed, in
// the same check, by the next one: reg (403), then bak (a certificate of
// another CA, refused in the TLS handshake), then boot, which is answered.
// The request still reports the reg set.
func TestCUPSFallsBackThroughSets(t *testing.T) {
	c := newCloud(t, true)
	f := newFakeCUPS(t, c.ca, func(int, *cups.UpdateInfoRequest) (int, []byte) { return http.StatusOK, nothing() })
	dir := t.TempDir()
	db := openStore(t, dir)
	reg, boot := pemSet(t, c.ca, f.uri), pemSet(t, c.ca, f.uri)
	bak := pemSet(t, pkitest.NewCA(t, "other CA"), f.uri)
	bak.Trust = c.ca.CertPEM()
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, reg)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetBak, bak)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetBoot, boot)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	f.setAllow(fingerprintOf(t, boot.Cert))
	g := startGateway(t, dir, db, gwConfig{})
	ev := g.trace.waitAny(t, "check", g.logs, isEvent(cupsclient.EventChecked, ""))
	if ev.event.Err != nil || ev.event.Set != "boot" {
		t.Errorf("check via %q, err %v; want via boot", ev.event.Set, ev.event.Err)
	}
	req := f.requests.wait(t, "request", g.logs, func(cups.UpdateInfoRequest) bool { return true })
	if req.CUPSCredCRC != reg.CRC() {
		t.Errorf("request reported cupsCredCrc %08x, want the reg set's %08x", req.CUPSCredCRC, reg.CRC())
	}
	if got := g.set(t, agentstore.KindCUPS, agentstore.SetReg); !got.Equal(reg) {
		t.Errorf("cups reg set changed to %v", got)
	}
}

// TestCUPSCredentialsRolledBack: new CUPS credentials that the CUPS server
// then refuses are discarded in the same check, which goes on with the reg
// set; the reg set stays.
func TestCUPSCredentialsRolledBack(t *testing.T) {
	c := newCloud(t, true)
	refused := derCreds(t, c.ca, c.ca)
	f := newFakeCUPS(t, c.ca, func(n int, _ *cups.UpdateInfoRequest) (int, []byte) {
		if n == 1 {
			return http.StatusOK, marshal(t, &cups.UpdateInfoResponse{CUPSCred: blob(t, refused)})
		}
		return http.StatusOK, nothing()
	})
	dir := t.TempDir()
	db := openStore(t, dir)
	reg := pemSet(t, c.ca, f.uri)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, reg)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	f.setAllow(fingerprintOf(t, reg.Cert))
	g := startGateway(t, dir, db, gwConfig{})
	if ev := g.trace.wait(t, "cups staged", g.logs, isEvent(cupsclient.EventStaged, agentstore.KindCUPS)); ev.event.CRC != refused.CRC() {
		t.Errorf("staged crc %08x, want %08x", ev.event.CRC, refused.CRC())
	}
	if ev := g.trace.wait(t, "cups rolled back", g.logs, isEvent(cupsclient.EventRolledBack, agentstore.KindCUPS)); !errors.Is(ev.event.Err, cupsclient.ErrRejected) {
		t.Errorf("rollback reason %v, want ErrRejected", ev.event.Err)
	}
	if ev := g.trace.wait(t, "check via reg", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || ev.event.Set != "reg" || len(ev.event.Changed) != 0 {
		t.Errorf("check via %q changed %v err %v; want via reg, nothing", ev.event.Set, ev.event.Changed, ev.event.Err)
	}
	if got := g.set(t, agentstore.KindCUPS, agentstore.SetReg); !got.Equal(reg) {
		t.Errorf("cups reg set %v, want the original", got)
	}
	g.noStaged(t, agentstore.KindCUPS)
	if _, err := db.Credentials(context.Background(), agentstore.KindCUPS, agentstore.SetBak); !errors.Is(err, agentstore.ErrNotFound) {
		t.Errorf("cups bak set: %v, want none", err)
	}
}

// TestCUPSURIChange: a new CUPS URI is used at once, promoted when the new
// server answers, and the old URI is kept in the bak set.
func TestCUPSURIChange(t *testing.T) {
	c := newCloud(t, true)
	f2 := newFakeCUPS(t, c.ca, func(int, *cups.UpdateInfoRequest) (int, []byte) { return http.StatusOK, nothing() })
	f1 := newFakeCUPS(t, c.ca, func(int, *cups.UpdateInfoRequest) (int, []byte) {
		return http.StatusOK, marshal(t, &cups.UpdateInfoResponse{CUPSURI: f2.uri})
	})
	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, f1.uri))
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	g := startGateway(t, dir, db, gwConfig{})
	if ev := g.trace.wait(t, "first check", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || !slices.Equal(ev.event.Changed, []string{"cupsUri"}) {
		t.Errorf("first check changed %v err %v; want [cupsUri]", ev.event.Changed, ev.event.Err)
	}
	g.trace.wait(t, "cups promoted", g.logs, isEvent(cupsclient.EventPromoted, agentstore.KindCUPS))
	if ev := g.trace.wait(t, "check with the new uri", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil || ev.event.Set != "staged" {
		t.Errorf("second check via %q err %v; want via staged", ev.event.Set, ev.event.Err)
	}
	req := f2.requests.wait(t, "request to the new server", g.logs, func(cups.UpdateInfoRequest) bool { return true })
	if req.CUPSURI == nil || *req.CUPSURI != f2.uri {
		t.Errorf("request to the new server reported cupsUri %v, want %s", req.CUPSURI, f2.uri)
	}
	if got := g.set(t, agentstore.KindCUPS, agentstore.SetReg).URI; got != f2.uri {
		t.Errorf("cups reg uri %s, want %s", got, f2.uri)
	}
	if got := g.set(t, agentstore.KindCUPS, agentstore.SetBak).URI; got != f1.uri {
		t.Errorf("cups bak uri %s, want %s", got, f1.uri)
	}
}

// TestResyncAfterFailure: a failed check is retried after ResyncInterval
// (OKSyncInterval is an hour here, and the LNS never answers, so nothing
// else asks for a check).
func TestResyncAfterFailure(t *testing.T) {
	c := newCloud(t, true)
	f := newFakeCUPS(t, c.ca, func(n int, _ *cups.UpdateInfoRequest) (int, []byte) {
		if n == 1 {
			return http.StatusInternalServerError, nil
		}
		return http.StatusOK, nothing()
	})
	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, f.uri))
	ln := listen(t)
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, "wss://"+ln.Addr().String()))
	ln.Close()
	g := startGateway(t, dir, db, gwConfig{agent: func(o *agent.Options) { o.Reconnect.RejectAfter = 1 << 20 }})
	if ev := g.trace.wait(t, "failed check", g.logs, isEvent(cupsclient.EventChecked, "")); !errors.Is(ev.event.Err, cupsclient.ErrRejected) {
		t.Errorf("first check error %v, want ErrRejected", ev.event.Err)
	}
	if ev := g.trace.wait(t, "retried check", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil {
		t.Errorf("retried check error %v", ev.event.Err)
	}
}

// TestRejectionAsksCUPS: when the LNS rejects the gateway, the agent asks
// CUPS (here the first check succeeded and the regular interval is an
// hour, so only the rejection can bring the second).
func TestRejectionAsksCUPS(t *testing.T) {
	c := newCloud(t, false) // the LNS does not know the gateway
	f := newFakeCUPS(t, c.ca, func(int, *cups.UpdateInfoRequest) (int, []byte) { return http.StatusOK, nothing() })
	dir := t.TempDir()
	db := openStore(t, dir)
	putSet(t, db, agentstore.KindCUPS, agentstore.SetReg, pemSet(t, c.ca, f.uri))
	putSet(t, db, agentstore.KindTC, agentstore.SetReg, pemSet(t, c.ca, c.lnsURI))
	g := startGateway(t, dir, db, gwConfig{})
	for i := range 2 {
		if ev := g.trace.wait(t, "check", g.logs, isEvent(cupsclient.EventChecked, "")); ev.event.Err != nil {
			t.Errorf("check %d error %v", i+1, ev.event.Err)
		}
	}
	for _, e := range g.trace.all() {
		if e.event == nil && e.state == agent.StateConnected {
			t.Error("connected to an LNS that does not know the gateway")
		}
	}
}
