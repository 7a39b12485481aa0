package store_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// leaks reports which of the secrets appear in s, as hex (either case) or as
// the decimal byte list fmt prints for a [16]byte.
func leaks(s string, secrets [][]byte) []string {
	var found []string
	low := strings.ToLower(s)
	for _, k := range secrets {
		h := hex.EncodeToString(k)
		if strings.Contains(low, h) || strings.Contains(low, h[:12]) {
			found = append(found, "hex "+h[:4]+"…")
		}
		dec := strings.Trim(fmt.Sprint(k[:6]), "[]")
		if strings.Contains(s, dec) {
			found = append(found, "decimal "+dec)
		}
		if strings.Contains(s, string(k)) {
			found = append(found, "raw")
		}
	}
	return found
}

func TestRecordsNeverPrintKeys(t *testing.T) {
	t.Parallel()
	kek, _ := store.NewKEK()
	dev := otaaDevice(7, "1.1")
	abp := store.Device{DevEUI: eui(8), MACVersion: "1.0.3", Class: "A", Region: "EU868", ABP: true,
		DevAddr: lorawan.DevAddr{1, 2, 3, 4}, ABPKeys: store.SessionKeys10(testKey("abp n"), testKey("abp a"))}
	sess := session(7, lorawan.DevAddr{0x26, 0, 0, 7}, lorawan.MACVersion1_1)
	dest := store.Destination{Name: "d", Kind: store.KindHTTP, HTTPURL: "https://x", HTTPHeader: "Authorization", HTTPSecret: "Bearer tok-9f8e7d6c5b4a"}
	secrets := [][]byte{
		dev.RootKeys.AppKey[:], dev.RootKeys.NwkKey[:], abp.ABPKeys.FNwkSIntKey[:], abp.ABPKeys.AppSKey[:],
		sess.Keys.FNwkSIntKey[:], sess.Keys.SNwkSIntKey[:], sess.Keys.NwkSEncKey[:], sess.Keys.AppSKey[:],
		kek[:], []byte("tok-9f8e7d6c5b4a"),
	}
	values := map[string]any{
		"device": dev, "*device": &dev, "abp device": abp, "devices": []store.Device{dev, abp},
		"session": sess, "*session": &sess, "sessions": []store.Session{sess},
		"destination": dest, "kek": kek, "*kek": &kek, "root keys": dev.RootKeys, "session keys": sess.Keys,
		"secret": dest.HTTPSecret, "map": map[string]any{"s": sess, "d": dev},
		"nested": struct{ D store.Device }{dev},
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q", "%d"}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			for _, verb := range verbs {
				out := fmt.Sprintf(verb, v)
				if l := leaks(out, secrets); len(l) > 0 {
					t.Errorf("Sprintf(%q) shows keys %v: %s", verb, l, out)
				}
			}
			if out := fmt.Sprint(v) + fmt.Sprintln(v); len(leaks(out, secrets)) > 0 {
				t.Errorf("Sprint shows keys: %s", out)
			}
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("json.Marshal: %v", err)
			}
			if l := leaks(string(b), secrets); len(l) > 0 {
				t.Errorf("json shows keys %v: %s", l, b)
			}
			var logs bytes.Buffer
			slog.New(slog.NewTextHandler(&logs, nil)).Info("x", "v", v)
			slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "v", v)
			if l := leaks(logs.String(), secrets); len(l) > 0 {
				t.Errorf("slog shows keys %v: %s", l, logs.String())
			}
		})
	}
	db, _, dbKEK := storetest.OpenKEK(t, nil)
	for _, verb := range verbs {
		if out := fmt.Sprintf(verb, db); len(leaks(out, [][]byte{dbKEK[:]})) > 0 || !strings.Contains(out, dbKEK.ID()) {
			t.Errorf("Sprintf(%q, db) = %s, want the kek id and no key", verb, out)
		}
	}
	// Positive control: the same check finds a key printed on purpose.
	if l := leaks(fmt.Sprintf("%v", dev.RootKeys.AppKey), secrets); len(l) == 0 {
		t.Error("leaks does not find a key printed as lorawan.AES128Key")
	}
	if l := leaks(fmt.Sprintf("%v", [16]byte(dev.RootKeys.AppKey)), secrets); len(l) == 0 {
		t.Error("leaks does not find a key printed as bytes")
	}
	// Public fields still print, so the records stay useful in logs.
	if out := fmt.Sprintf("%+v", dev); !strings.Contains(out, dev.DevEUI.String()) || !strings.Contains(out, "redacted") {
		t.Errorf("%%+v of a device = %s, want its DevEUI and [redacted] keys", out)
	}
}

// TestErrorsAndListingsHoldNoKeys drives the failing paths and the listings
// and searches their output for the keys.
func TestErrorsAndListingsHoldNoKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	if err := db.PutDestination(ctx, store.Destination{Name: "hook", Kind: store.KindHTTP, HTTPURL: "https://x/y", HTTPHeader: "X-Token", HTTPSecret: "tok-0a1b2c3d4e5f"}); err != nil {
		t.Fatal(err)
	}
	dev := otaaDevice(3, "1.1")
	dev.Destination = "hook"
	mustPutDevice(t, db, dev)
	sess := session(3, lorawan.DevAddr{0x26, 0, 0, 3}, lorawan.MACVersion1_1)
	mustPutSession(t, db, sess)
	secrets := [][]byte{dev.RootKeys.AppKey[:], dev.RootKeys.NwkKey[:], sess.Keys.FNwkSIntKey[:], sess.Keys.AppSKey[:], []byte("tok-0a1b2c3d4e5f")}

	devs, err := db.ListDevices(ctx)
	if err != nil || len(devs) != 1 {
		t.Fatalf("ListDevices = %d devices, %v", len(devs), err)
	}
	if devs[0].RootKeys != (store.RootKeys{}) {
		t.Error("ListDevices returned keys")
	}
	dests, err := db.ListDestinations(ctx)
	if err != nil || len(dests) != 1 {
		t.Fatalf("ListDestinations = %d, %v", len(dests), err)
	}
	if dests[0].HTTPSecret != "" || dests[0].HTTPHeader != "X-Token" {
		t.Errorf("ListDestinations = header %q secret set %v, want header kept and secret empty", dests[0].HTTPHeader, dests[0].HTTPSecret != "")
	}
	var errs []error
	bad := dev
	bad.Class = "B"
	errs = append(errs, db.PutDevice(ctx, bad))
	bad = dev
	bad.Destination = "missing"
	errs = append(errs, db.PutDevice(ctx, bad))
	badSess := sess
	badSess.CFList = []byte{1}
	errs = append(errs, db.PutSession(ctx, badSess))
	badSess.DevEUI = eui(99)
	badSess.CFList = nil
	errs = append(errs, db.PutSession(ctx, badSess))
	errs = append(errs, db.AdvanceFCntUp(ctx, dev.DevEUI, 5), db.AdvanceFCntUp(ctx, dev.DevEUI, 5), db.AdvanceFCntUp(ctx, dev.DevEUI, 4))
	errs = append(errs, db.DeleteDestination(ctx, "hook"))
	_, err = db.GetDevice(ctx, eui(1234))
	errs = append(errs, err)
	var all strings.Builder
	nonNil := 0
	for _, err := range errs {
		if err != nil {
			nonNil++
			all.WriteString(err.Error() + "\n")
		}
	}
	if nonNil < len(errs)-1 {
		t.Fatalf("got %d errors from %d failing calls:\n%s", nonNil, len(errs)-1, all.String())
	}
	if l := leaks(all.String()+fmt.Sprintf("%+v %+v", devs, dests), secrets); len(l) > 0 {
		t.Errorf("errors or listings show keys %v:\n%s", l, all.String())
	}
	if !errors.Is(errs[len(errs)-2], store.ErrReferenced) {
		t.Errorf("DeleteDestination of a used destination: %v, want ErrReferenced", errs[len(errs)-2])
	}
}
