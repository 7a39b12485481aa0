package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

func TestGateways(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	oldCert, newCert := []byte("old certificate der"), []byte("new certificate der")
	g := store.Gateway{EUI: eui(0xa1), Name: "roof", Region: "US915", SubBand: 2,
		CertFingerprints: []string{store.CertFingerprint(oldCert), store.CertFingerprint(newCert)}}
	g.SetToken("gw-token")
	if err := db.PutGateway(ctx, g); err != nil {
		t.Fatal(err)
	}
	got, err := db.GetGateway(ctx, g.EUI)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "roof" || got.Region != "US915" || got.SubBand != 2 || got.CreatedAt.IsZero() {
		t.Errorf("GetGateway = %+v, want the stored gateway with CreatedAt set", got)
	}
	if !got.TokenMatches("gw-token") || got.TokenMatches("gw-tokem") || got.TokenMatches("") {
		t.Error("TokenMatches does not tell the right token from others")
	}
	if strings.Contains(string(got.TokenSHA256), "gw-token") {
		t.Error("the token is stored in clear")
	}
	if !got.AllowsCert(oldCert) || !got.AllowsCert(newCert) || got.AllowsCert([]byte("another")) {
		t.Error("AllowsCert does not accept exactly the listed certificates")
	}
	seen := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := db.TouchGateway(ctx, g.EUI, seen); err != nil {
		t.Fatal(err)
	}
	// Replacing the gateway keeps CreatedAt and LastSeen.
	g.Name = "mast"
	if err := db.PutGateway(ctx, g); err != nil {
		t.Fatal(err)
	}
	got2, _ := db.GetGateway(ctx, g.EUI)
	if !got2.LastSeen.Equal(seen) || !got2.CreatedAt.Equal(got.CreatedAt) || got2.Name != "mast" {
		t.Errorf("after replace: %+v, want name mast, LastSeen %v, CreatedAt %v", got2, seen, got.CreatedAt)
	}
	if err := db.PutGateway(ctx, store.Gateway{EUI: eui(0xa0), Region: "EU868"}); err != nil {
		t.Fatal(err)
	}
	list, err := db.ListGateways(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].EUI != eui(0xa0) || list[1].EUI != eui(0xa1) {
		t.Errorf("ListGateways = %v, want two gateways ordered by EUI", list)
	}
	if err := db.DeleteGateway(ctx, g.EUI); err != nil {
		t.Fatal(err)
	}
	for name, err := range map[string]error{
		"get":    func() error { _, err := db.GetGateway(ctx, g.EUI); return err }(),
		"delete": db.DeleteGateway(ctx, g.EUI),
		"touch":  db.TouchGateway(ctx, g.EUI, seen),
	} {
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s of a deleted gateway: %v, want ErrNotFound", name, err)
		}
	}
}

func TestGatewayValidation(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	tests := []struct {
		name string
		g    store.Gateway
	}{
		{"zero eui", store.Gateway{Region: "EU868"}},
		{"no region", store.Gateway{EUI: eui(1)}},
		{"sub-band 9", store.Gateway{EUI: eui(1), Region: "US915", SubBand: 9}},
		{"negative sub-band", store.Gateway{EUI: eui(1), Region: "US915", SubBand: -1}},
		{"bad fingerprint", store.Gateway{EUI: eui(1), Region: "EU868", CertFingerprints: []string{"abc"}}},
		{"control character", store.Gateway{EUI: eui(1), Region: "EU868", Name: "a\nb"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.PutGateway(context.Background(), tc.g); !errors.Is(err, store.ErrInvalid) {
				t.Errorf("PutGateway: %v, want ErrInvalid", err)
			}
		})
	}
}

func TestDeviceValidation(t *testing.T) {
	t.Parallel()
	db := storetest.Open(t)
	ok := otaaDevice(1, "1.0.3")
	mod := func(f func(*store.Device)) store.Device { d := ok; f(&d); return d }
	tests := []struct {
		name string
		d    store.Device
		want error
	}{
		{"ok 1.0.3", ok, nil},
		{"ok 1.1", otaaDevice(2, "1.1"), nil},
		{"ok class C 1.0.4", mod(func(d *store.Device) { d.DevEUI = eui(3); d.Class = "C"; d.MACVersion = "1.0.4" }), nil},
		{"zero deveui", mod(func(d *store.Device) { d.DevEUI = lorawan.EUI64{} }), store.ErrInvalid},
		{"mac 1.2", mod(func(d *store.Device) { d.MACVersion = "1.2" }), store.ErrInvalid},
		{"class B", mod(func(d *store.Device) { d.Class = "B" }), store.ErrInvalid},
		{"no region", mod(func(d *store.Device) { d.Region = "" }), store.ErrInvalid},
		{"no appkey", mod(func(d *store.Device) { d.RootKeys = store.RootKeys{} }), store.ErrInvalid},
		{"1.1 without nwkkey", mod(func(d *store.Device) { d.MACVersion = "1.1" }), store.ErrInvalid},
		{"abp without keys", mod(func(d *store.Device) { d.ABP = true }), store.ErrInvalid},
		{"unknown destination", mod(func(d *store.Device) { d.Destination = "nowhere" }), store.ErrInvalid},
		{"bad destination name", mod(func(d *store.Device) { d.Destination = "a b" }), store.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.PutDevice(context.Background(), tc.d)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Errorf("PutDevice: %v, want %v", err, tc.want)
			}
		})
	}
}

func TestDevices(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	if err := db.PutDestination(ctx, store.Destination{Name: "up", Kind: store.KindMQTT, MQTTTopic: "lorawan/{{.DevEui}}/up", QoS: 1}); err != nil {
		t.Fatal(err)
	}
	d := otaaDevice(5, "1.1")
	d.Destination = "up"
	mustPutDevice(t, db, d)
	got, err := db.GetDevice(ctx, d.DevEUI)
	if err != nil {
		t.Fatal(err)
	}
	if got.RootKeys != d.RootKeys || got.JoinEUI != d.JoinEUI || got.Destination != "up" || got.MACVersion != "1.1" {
		t.Errorf("GetDevice = %+v, want the stored device with its keys", got)
	}
	if v, err := got.Version(); err != nil || v != lorawan.MACVersion1_1 {
		t.Errorf("Version = %v, %v; want 1.1", v, err)
	}
	// Replace with new keys; CreatedAt is kept.
	d.RootKeys.AppKey = testKey("rotated app")
	mustPutDevice(t, db, d)
	got2, _ := db.GetDevice(ctx, d.DevEUI)
	if got2.RootKeys.AppKey != d.RootKeys.AppKey || !got2.CreatedAt.Equal(got.CreatedAt) {
		t.Errorf("after replace: keys changed %v, CreatedAt %v want %v", got2.RootKeys.AppKey == d.RootKeys.AppKey, got2.CreatedAt, got.CreatedAt)
	}
	mustPutDevice(t, db, otaaDevice(4, "1.0.2"))
	list, err := db.ListDevices(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].DevEUI != eui(4) || list[1].DevEUI != eui(5) {
		t.Errorf("ListDevices = %v, want devices 4 and 5 in order", list)
	}
	for _, l := range list {
		if l.RootKeys != (store.RootKeys{}) || l.ABPKeys != (store.SessionKeys{}) {
			t.Errorf("ListDevices returned keys for %s", l.DevEUI)
		}
	}
	if err := db.DeleteDevice(ctx, d.DevEUI); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetDevice(ctx, d.DevEUI); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDevice after delete: %v, want ErrNotFound", err)
	}
	if err := db.DeleteDevice(ctx, d.DevEUI); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteDevice: %v, want ErrNotFound", err)
	}
}

// TestDeleteDeviceTakesEverything checks that a deleted device leaves no
// session, index entry, nonce state or queued downlink behind (storetest's
// Check at cleanup fails on orphans).
func TestDeleteDeviceTakesEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	d := otaaDevice(6, "1.0.3")
	mustPutDevice(t, db, d)
	addr := lorawan.DevAddr{0x26, 6, 6, 6}
	mustPutSession(t, db, session(6, addr, lorawan.MACVersion1_0))
	if err := db.PutPendingSession(ctx, session(6, lorawan.DevAddr{0x26, 7, 7, 7}, lorawan.MACVersion1_0)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AcceptDevNonce(ctx, d.DevEUI, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Enqueue(ctx, d.DevEUI, store.Downlink{FPort: 1, Payload: []byte{1}}); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteDevice(ctx, d.DevEUI); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SessionsByDevAddr(ctx, addr); err != nil || len(got) != 0 {
		t.Errorf("SessionsByDevAddr after delete = %v, %v; want none", got, err)
	}
	if q, err := db.ListDownlinks(ctx, d.DevEUI); err != nil || len(q) != 0 {
		t.Errorf("ListDownlinks after delete = %v, %v; want none", q, err)
	}
	// Re-added, the device starts with a fresh nonce state.
	mustPutDevice(t, db, d)
	if jn, err := db.AcceptDevNonce(ctx, d.DevEUI, 1); err != nil || jn != 1 {
		t.Errorf("AcceptDevNonce after re-adding = %d, %v; want JoinNonce 1", jn, err)
	}
}

func TestABPDeviceSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	d := store.Device{DevEUI: eui(40), MACVersion: "1.0.3", Class: store.ClassA, Region: "EU868",
		ABP: true, DevAddr: lorawan.DevAddr{0x26, 1, 1, 40}, ABPKeys: store.SessionKeys10(testKey("n40"), testKey("a40"))}
	mustPutDevice(t, db, d)
	s, err := db.GetSession(ctx, d.DevEUI)
	if err != nil {
		t.Fatalf("GetSession of a new ABP device: %v", err)
	}
	if s.DevAddr != d.DevAddr || s.Keys != d.ABPKeys || s.MACVersion != lorawan.MACVersion1_0 {
		t.Errorf("ABP session = addr %s, keys equal %v, mac %v", s.DevAddr, s.Keys == d.ABPKeys, s.MACVersion)
	}
	if err := db.AdvanceFCntUp(ctx, d.DevEUI, 10); err != nil {
		t.Fatal(err)
	}
	// Unchanged device: the session and its counter stay.
	d.Name = "renamed"
	mustPutDevice(t, db, d)
	if s, _ := db.GetSession(ctx, d.DevEUI); s.FCntUp != 10 || !s.UplinkSeen {
		t.Errorf("FCntUp after an unchanged re-put = %d (seen %v), want 10", s.FCntUp, s.UplinkSeen)
	}
	// New address: a fresh session.
	d.DevAddr = lorawan.DevAddr{0x26, 1, 1, 41}
	mustPutDevice(t, db, d)
	s, _ = db.GetSession(ctx, d.DevEUI)
	if s.DevAddr != d.DevAddr || s.UplinkSeen {
		t.Errorf("after a new DevAddr: session %s seen %v, want %s fresh", s.DevAddr, s.UplinkSeen, d.DevAddr)
	}
	if got, _ := db.SessionsByDevAddr(ctx, lorawan.DevAddr{0x26, 1, 1, 40}); len(got) != 0 {
		t.Errorf("old DevAddr still finds %d sessions", len(got))
	}
}

func TestDestinations(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := storetest.Open(t)
	tests := []struct {
		name string
		d    store.Destination
		want error
	}{
		{"mqtt", store.Destination{Name: "mq", Kind: store.KindMQTT, MQTTTopic: "up/{{.DevEui}}", QoS: 2}, nil},
		{"http with secret", store.Destination{Name: "web", Kind: store.KindHTTP, HTTPURL: "https://h.example/p", HTTPHeader: "Authorization", HTTPSecret: "Bearer x"}, nil},
		{"http plain", store.Destination{Name: "web2", Kind: store.KindHTTP, HTTPURL: "http://127.0.0.1:8080/"}, nil},
		{"no name", store.Destination{Kind: store.KindMQTT, MQTTTopic: "t"}, store.ErrInvalid},
		{"name with space", store.Destination{Name: "a b", Kind: store.KindMQTT, MQTTTopic: "t"}, store.ErrInvalid},
		{"unknown kind", store.Destination{Name: "k", Kind: "kafka"}, store.ErrInvalid},
		{"mqtt without topic", store.Destination{Name: "k", Kind: store.KindMQTT}, store.ErrInvalid},
		{"qos 3", store.Destination{Name: "k", Kind: store.KindMQTT, MQTTTopic: "t", QoS: 3}, store.ErrInvalid},
		{"relative url", store.Destination{Name: "k", Kind: store.KindHTTP, HTTPURL: "/up"}, store.ErrInvalid},
		{"ftp url", store.Destination{Name: "k", Kind: store.KindHTTP, HTTPURL: "ftp://h/"}, store.ErrInvalid},
		{"credentials in url", store.Destination{Name: "k", Kind: store.KindHTTP, HTTPURL: "https://u:p@h/"}, store.ErrInvalid},
		{"secret without header", store.Destination{Name: "k", Kind: store.KindHTTP, HTTPURL: "https://h/", HTTPSecret: "x"}, store.ErrInvalid},
		{"bad header name", store.Destination{Name: "k", Kind: store.KindHTTP, HTTPURL: "https://h/", HTTPHeader: "X Y", HTTPSecret: "x"}, store.ErrInvalid},
		{"mqtt with url", store.Destination{Name: "k", Kind: store.KindMQTT, MQTTTopic: "t", HTTPURL: "https://h/"}, store.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := db.PutDestination(ctx, tc.d)
			if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("PutDestination: %v, want %v", err, tc.want)
			}
			if err != nil {
				return
			}
			got, err := db.GetDestination(ctx, tc.d.Name)
			if err != nil {
				t.Fatal(err)
			}
			if got.HTTPSecret != tc.d.HTTPSecret || got.MQTTTopic != tc.d.MQTTTopic || got.HTTPURL != tc.d.HTTPURL || got.QoS != tc.d.QoS {
				t.Errorf("GetDestination = %+v, want %+v", got, tc.d)
			}
		})
	}
	list, err := db.ListDestinations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(list))
	for i, d := range list {
		names[i] = d.Name
	}
	if want := []string{"mq", "web", "web2"}; !slices.Equal(names, want) {
		t.Errorf("ListDestinations = %v, want %v", names, want)
	}
	if err := db.DeleteDestination(ctx, "web2"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.GetDestination(ctx, "web2"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetDestination after delete: %v, want ErrNotFound", err)
	}
}
