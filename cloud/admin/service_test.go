package admin_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// Test keys: distinct, so a leak of any one is recognisable.
const (
	appKeyHex      = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"
	nwkKeyHex      = "b0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	nwkSKeyHex     = "c0c1c2c3c4c5c6c7c8c9cacbcccdcecf"
	appSKeyHex     = "d0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	fNwkSIntKeyHex = "e0e1e2e3e4e5e6e7e8e9eaebecedeeef"
	sNwkSIntKeyHex = "f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff"
	nwkSEncKeyHex  = "9091929394959697989999a9b9c9d9e9"
	gatewayToken   = "gw-token-0123456789-abcdef"
	headerSecret   = "Bearer hook-secret-0123456789"
)

// secretTexts are every key, token and secret the tests use, in the
// spellings a leak could take.
func secretTexts(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, h := range []string{appKeyHex, nwkKeyHex, nwkSKeyHex, appSKeyHex, fNwkSIntKeyHex, sNwkSIntKeyHex, nwkSEncKeyHex} {
		out = append(out, h, strings.ToUpper(h))
	}
	var g store.Gateway
	g.SetToken(gatewayToken)
	out = append(out, gatewayToken, headerSecret, "hook-secret-0123456789", hexOf(g.TokenSHA256))
	return out
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// assertNoSecrets fails when s holds any test secret.
func assertNoSecrets(t *testing.T, what, s string) {
	t.Helper()
	for _, sec := range secretTexts(t) {
		if strings.Contains(s, sec) {
			t.Errorf("%s holds secret %q:\n%s", what, sec, s)
		}
	}
}

func key(t *testing.T, h string) *admin.Key {
	t.Helper()
	k, err := admin.ParseKey(h)
	if err != nil {
		t.Fatal(err)
	}
	return &k
}

func eui(t *testing.T, s string) lorawan.EUI64 {
	t.Helper()
	e, err := lorawan.ParseEUI64(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func euiPtr(t *testing.T, s string) *lorawan.EUI64 {
	e := eui(t, s)
	return &e
}

func devAddr(t *testing.T, s string) *lorawan.DevAddr {
	t.Helper()
	a, err := lorawan.ParseDevAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return &a
}

func aes(t *testing.T, h string) lorawan.AES128Key { return lorawan.AES128Key(*key(t, h)) }

func u8(v uint8) *uint8 { return &v }

// otaa10 is a valid OTAA LoRaWAN 1.0.3 device naming destination "up".
func otaa10(t *testing.T) admin.DeviceSpec {
	return admin.DeviceSpec{
		DevEUI: eui(t, "0102030405060708"), JoinEUI: euiPtr(t, "0000000000000000"),
		MACVersion: "1.0.3", Region: "EU868", Destination: "up", AppKey: key(t, appKeyHex),
	}
}

func withMQTT(t *testing.T, db *store.DB) {
	t.Helper()
	if err := db.PutDestination(context.Background(), store.Destination{Name: "up", Kind: store.KindMQTT, MQTTTopic: "lorawan/up"}); err != nil {
		t.Fatal(err)
	}
}

func TestGatewaySpecValidation(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	svc := admin.NewService(db)
	gw := eui(t, "0011223344556677")
	tests := []struct {
		name string
		spec admin.GatewaySpec
		want string // in the error
	}{
		{"zero eui", admin.GatewaySpec{Region: "EU868"}, "eui is required"},
		{"no region", admin.GatewaySpec{EUI: gw}, "region is required"},
		{"unknown region", admin.GatewaySpec{EUI: gw, Region: "XX999"}, `region "XX999" is unknown`},
		{"sub-band in a region without", admin.GatewaySpec{EUI: gw, Region: "EU868", SubBand: 1}, "has no sub-bands"},
		{"sub-band 9", admin.GatewaySpec{EUI: gw, Region: "US915", SubBand: 9}, "want 1 to 8"},
		{"negative sub-band", admin.GatewaySpec{EUI: gw, Region: "AU915", SubBand: -1}, "want 1 to 8"},
		{"short token", admin.GatewaySpec{EUI: gw, Region: "EU868", Token: "short"}, "want 16 to 1024 characters"},
		{"token with a space", admin.GatewaySpec{EUI: gw, Region: "EU868", Token: "abcdefgh ijklmnopq"}, "space or control"},
		{"control character in name", admin.GatewaySpec{EUI: gw, Region: "EU868", Name: "a\nb"}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.AddGateway(ctx, tt.spec, false)
			if !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			if tt.spec.Token != "" && strings.Contains(err.Error(), string(tt.spec.Token)) {
				t.Errorf("err %q repeats the token", err)
			}
		})
	}
	if gs, err := db.ListGateways(ctx); err != nil || len(gs) != 0 {
		t.Errorf("refused specs stored %d gateways (%v)", len(gs), err)
	}
}

func TestAddGatewayCreateReplace(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	svc := admin.NewService(db)
	gw := eui(t, "0011223344556677")

	g, err := svc.AddGateway(ctx, admin.GatewaySpec{EUI: gw, Region: "us902-928", SubBand: 2, Name: "roof", Token: gatewayToken}, false)
	if err != nil {
		t.Fatal(err)
	}
	if g.Region != "US915" || g.SubBand != 2 || !g.TokenAuth || g.Name != "roof" || g.CreatedAt.IsZero() {
		t.Errorf("view = %+v; want US915 (canonical), sub-band 2, token auth, name roof, a creation time", g)
	}
	rec, err := db.GetGateway(ctx, gw)
	if err != nil {
		t.Fatal(err)
	}
	if !rec.TokenMatches(gatewayToken) {
		t.Error("stored token hash does not match the token")
	}

	if _, err := svc.AddGateway(ctx, admin.GatewaySpec{EUI: gw, Region: "EU868"}, false); !errors.Is(err, admin.ErrExists) {
		t.Fatalf("second add: err = %v, want ErrExists", err)
	}
	if again, _ := db.GetGateway(ctx, gw); again.Region != "US915" {
		t.Errorf("a refused add changed the gateway: region %s", again.Region)
	}

	// Pin a certificate, then replace: the fingerprint and creation time
	// stay, the token not given again goes.
	rec.CertFingerprints = []string{strings.Repeat("ab", 32)}
	if err := db.PutGateway(ctx, rec); err != nil {
		t.Fatal(err)
	}
	r, err := svc.AddGateway(ctx, admin.GatewaySpec{EUI: gw, Region: "EU868"}, true)
	if err != nil {
		t.Fatal(err)
	}
	if r.Region != "EU868" || r.SubBand != 0 || r.TokenAuth || r.Name != "" {
		t.Errorf("replaced view = %+v; want EU868, no sub-band, no token, no name", r)
	}
	if len(r.CertFingerprints) != 1 || r.CertFingerprints[0] != rec.CertFingerprints[0] {
		t.Errorf("replace dropped the pinned certificate: %v", r.CertFingerprints)
	}
	if !r.CreatedAt.Equal(g.CreatedAt) {
		t.Errorf("CreatedAt %v after replace, want %v", r.CreatedAt, g.CreatedAt)
	}

	if err := svc.DeleteGateway(ctx, gw); err != nil {
		t.Fatal(err)
	}
	if err := svc.DeleteGateway(ctx, gw); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if _, err := svc.GetGateway(ctx, gw); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("get after delete: err = %v, want ErrNotFound", err)
	}
}

func TestDeviceSpecValidation(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	withMQTT(t, db)
	svc := admin.NewService(db)
	abp10 := func(t *testing.T) admin.DeviceSpec {
		return admin.DeviceSpec{
			DevEUI: eui(t, "0102030405060709"), DevAddr: devAddr(t, "26011234"), MACVersion: "1.0.4",
			Region: "EU868", Destination: "up", NwkSKey: key(t, nwkSKeyHex), AppSKey: key(t, appSKeyHex),
		}
	}
	zero := admin.Key{}
	tests := []struct {
		name   string
		modify func(*admin.DeviceSpec)
		base   func(*testing.T) admin.DeviceSpec
		want   string
	}{
		{"zero deveui", func(s *admin.DeviceSpec) { s.DevEUI = lorawan.EUI64{} }, otaa10, "deveui is required"},
		{"no mac", func(s *admin.DeviceSpec) { s.MACVersion = "" }, otaa10, "mac version is required"},
		{"unknown mac", func(s *admin.DeviceSpec) { s.MACVersion = "1.2" }, otaa10, `mac version "1.2"`},
		{"class B", func(s *admin.DeviceSpec) { s.Class = "B" }, otaa10, `class "B": want A or C`},
		{"unknown region", func(s *admin.DeviceSpec) { s.Region = "EU433X" }, otaa10, "is unknown"},
		{"no region", func(s *admin.DeviceSpec) { s.Region = "" }, otaa10, "region is required"},
		{"no destination", func(s *admin.DeviceSpec) { s.Destination = "" }, otaa10, "destination is required"},
		{"missing destination", func(s *admin.DeviceSpec) { s.Destination = "nope" }, otaa10, `destination "nope" does not exist`},
		{"otaa without joineui", func(s *admin.DeviceSpec) { s.JoinEUI = nil }, otaa10, "joineui is required"},
		{"otaa without appkey", func(s *admin.DeviceSpec) { s.AppKey = nil }, otaa10, "appkey is required"},
		{"zero appkey", func(s *admin.DeviceSpec) { s.AppKey = &zero }, otaa10, "appkey is all zeros"},
		{"nwkkey on 1.0", func(s *admin.DeviceSpec) { s.NwkKey = key(t, nwkKeyHex) }, otaa10, "nwkkey does not belong"},
		{"1.1 without nwkkey", func(s *admin.DeviceSpec) { s.MACVersion = "1.1" }, otaa10, "nwkkey is required"},
		{"session key on otaa", func(s *admin.DeviceSpec) { s.AppSKey = key(t, appSKeyHex) }, otaa10, "appskey does not belong"},
		{"abp with appkey", func(s *admin.DeviceSpec) { s.AppKey = key(t, appKeyHex) }, abp10, "appkey does not belong"},
		{"abp 1.0 without nwkskey", func(s *admin.DeviceSpec) { s.NwkSKey = nil }, abp10, "nwkskey is required"},
		{"abp 1.0 with a 1.1 key", func(s *admin.DeviceSpec) { s.NwkSEncKey = key(t, nwkSEncKeyHex) }, abp10, "nwksenckey does not belong"},
		{"abp 1.1 given 1.0 keys", func(s *admin.DeviceSpec) { s.MACVersion = "1.1" }, abp10, "fnwksintkey is required"},
		{"abp 1.1 keys but nwkskey", func(s *admin.DeviceSpec) {
			s.MACVersion = "1.1"
			s.FNwkSIntKey, s.SNwkSIntKey, s.NwkSEncKey = key(t, fNwkSIntKeyHex), key(t, sNwkSIntKeyHex), key(t, nwkSEncKeyHex)
		}, abp10, "nwkskey does not belong"},
		{"control character in name", func(s *admin.DeviceSpec) { s.Name = "x\x00" }, otaa10, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.base(t)
			tt.modify(&spec)
			_, err := svc.AddDevice(ctx, spec, false)
			if !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
	if ds, err := db.ListDevices(ctx); err != nil || len(ds) != 0 {
		t.Errorf("refused specs stored %d devices (%v)", len(ds), err)
	}
}

func TestAddDeviceStoresKeys(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	withMQTT(t, db)
	svc := admin.NewService(db)
	tests := []struct {
		name     string
		spec     admin.DeviceSpec
		wantRoot store.RootKeys
		wantABP  store.SessionKeys
		wantView admin.Device
	}{
		{
			name:     "otaa 1.0.3",
			spec:     otaa10(t),
			wantRoot: store.RootKeys{AppKey: aes(t, appKeyHex)},
			wantView: admin.Device{Activation: admin.ActivationOTAA, MACVersion: "1.0.3", Class: "A", Region: "EU868"},
		},
		{
			name: "otaa 1.1 class c",
			spec: admin.DeviceSpec{
				DevEUI: eui(t, "0102030405060709"), JoinEUI: euiPtr(t, "70b3d57ed0000000"), MACVersion: "1.1", Class: "c",
				Region: "us915", Destination: "up", AppKey: key(t, appKeyHex), NwkKey: key(t, nwkKeyHex),
			},
			wantRoot: store.RootKeys{AppKey: aes(t, appKeyHex), NwkKey: aes(t, nwkKeyHex)},
			wantView: admin.Device{Activation: admin.ActivationOTAA, MACVersion: "1.1", Class: "C", Region: "US915"},
		},
		{
			name: "abp 1.0.4",
			spec: admin.DeviceSpec{
				DevEUI: eui(t, "010203040506070a"), DevAddr: devAddr(t, "26011234"), MACVersion: "1.0.4",
				Region: "EU868", Destination: "up", NwkSKey: key(t, nwkSKeyHex), AppSKey: key(t, appSKeyHex),
			},
			wantABP:  store.SessionKeys10(aes(t, nwkSKeyHex), aes(t, appSKeyHex)),
			wantView: admin.Device{Activation: admin.ActivationABP, MACVersion: "1.0.4", Class: "A", Region: "EU868", DevAddr: devAddr(t, "26011234")},
		},
		{
			name: "abp 1.1",
			spec: admin.DeviceSpec{
				DevEUI: eui(t, "010203040506070b"), DevAddr: devAddr(t, "26011235"), MACVersion: "1.1",
				Region: "EU868", Destination: "up", FNwkSIntKey: key(t, fNwkSIntKeyHex), SNwkSIntKey: key(t, sNwkSIntKeyHex),
				NwkSEncKey: key(t, nwkSEncKeyHex), AppSKey: key(t, appSKeyHex),
			},
			wantABP: store.SessionKeys{FNwkSIntKey: aes(t, fNwkSIntKeyHex), SNwkSIntKey: aes(t, sNwkSIntKeyHex),
				NwkSEncKey: aes(t, nwkSEncKeyHex), AppSKey: aes(t, appSKeyHex)},
			wantView: admin.Device{Activation: admin.ActivationABP, MACVersion: "1.1", Class: "A", Region: "EU868", DevAddr: devAddr(t, "26011235")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := svc.AddDevice(ctx, tt.spec, false)
			if err != nil {
				t.Fatal(err)
			}
			if v.Activation != tt.wantView.Activation || v.MACVersion != tt.wantView.MACVersion || v.Class != tt.wantView.Class ||
				v.Region != tt.wantView.Region || v.Destination != "up" || (v.DevAddr == nil) != (tt.wantView.DevAddr == nil) ||
				(v.DevAddr != nil && *v.DevAddr != *tt.wantView.DevAddr) {
				t.Errorf("view = %+v, want %+v", v, tt.wantView)
			}
			d, err := db.GetDevice(ctx, tt.spec.DevEUI)
			if err != nil {
				t.Fatal(err)
			}
			if d.RootKeys != tt.wantRoot || d.ABPKeys != tt.wantABP {
				t.Error("stored keys differ from the spec's")
			}
			if tt.spec.DevAddr != nil {
				sess, err := db.GetSession(ctx, tt.spec.DevEUI)
				if err != nil || sess.DevAddr != *tt.spec.DevAddr || sess.Keys != tt.wantABP {
					t.Errorf("abp session: %v, addr %s; want the spec's address and keys", err, sess.DevAddr)
				}
			}
			if _, err := svc.AddDevice(ctx, tt.spec, false); !errors.Is(err, admin.ErrExists) {
				t.Errorf("second add: err = %v, want ErrExists", err)
			}
			if _, err := svc.AddDevice(ctx, tt.spec, true); err != nil {
				t.Errorf("replace: %v", err)
			}
		})
	}
	list, err := svc.ListDevices(ctx)
	if err != nil || len(list) != len(tests) {
		t.Fatalf("list: %d devices, %v; want %d", len(list), err, len(tests))
	}
	if err := svc.DeleteDestination(ctx, "up"); !errors.Is(err, admin.ErrInUse) {
		t.Errorf("delete of a destination in use: err = %v, want ErrInUse", err)
	}
	for _, tt := range tests {
		if err := svc.DeleteDevice(ctx, tt.spec.DevEUI); err != nil {
			t.Errorf("delete %s: %v", tt.spec.DevEUI, err)
		}
	}
	if err := svc.DeleteDevice(ctx, tests[0].spec.DevEUI); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("second delete: err = %v, want ErrNotFound", err)
	}
	if err := svc.DeleteDestination(ctx, "up"); err != nil {
		t.Errorf("delete of a destination no device names: %v", err)
	}
}

func TestDestinationSpecValidation(t *testing.T) {
	ctx := context.Background()
	svc := admin.NewService(storetest.Open(t))
	tests := []struct {
		name string
		spec admin.DestinationSpec
		want string
	}{
		{"no name", admin.DestinationSpec{MQTTTopic: "a"}, "name is required"},
		{"bad name", admin.DestinationSpec{Name: "a/b", MQTTTopic: "a"}, "only letters"},
		{"nothing to send to", admin.DestinationSpec{Name: "d"}, "give an mqtt topic or an http url"},
		{"both", admin.DestinationSpec{Name: "d", MQTTTopic: "a", HTTPURL: "https://x"}, "not both"},
		{"unknown kind", admin.DestinationSpec{Name: "d", Kind: "amqp", MQTTTopic: "a"}, `kind "amqp"`},
		{"broken template", admin.DestinationSpec{Name: "d", MQTTTopic: "up/{{.DevEui"}, "template"},
		{"wildcard", admin.DestinationSpec{Name: "d", MQTTTopic: "up/+/x"}, "wildcards"},
		{"wildcard in a branch", admin.DestinationSpec{Name: "d", MQTTTopic: "up/{{if .X}}#{{end}}"}, "wildcards"},
		{"misspelt field", admin.DestinationSpec{Name: "d", MQTTTopic: "lorawan/{{.DevEUI}}/up"}, "DevEUI"},
		{"unknown field", admin.DestinationSpec{Name: "d", MQTTTopic: "lorawan/{{.Gateway}}"}, "Gateway"},
		{"renders empty", admin.DestinationSpec{Name: "d", MQTTTopic: "{{if false}}up{{end}}"}, "empty"},
		{"qos 3", admin.DestinationSpec{Name: "d", MQTTTopic: "up", QoS: u8(3)}, "qos 3"},
		{"http on mqtt", admin.DestinationSpec{Name: "d", Kind: "mqtt", MQTTTopic: "up", HTTPSecret: headerSecret}, "http settings"},
		{"qos on http", admin.DestinationSpec{Name: "d", HTTPURL: "https://x", QoS: u8(1)}, "mqtt settings"},
		{"relative url", admin.DestinationSpec{Name: "d", HTTPURL: "/hook"}, "absolute http or https url"},
		{"ftp url", admin.DestinationSpec{Name: "d", HTTPURL: "ftp://x/"}, "absolute http or https url"},
		{"credentials in url", admin.DestinationSpec{Name: "d", HTTPURL: "https://u:p@x/"}, "credentials in the url"},
		{"header without secret", admin.DestinationSpec{Name: "d", HTTPURL: "https://x", HTTPHeader: "X-Key"}, "without a secret"},
		{"bad header name", admin.DestinationSpec{Name: "d", HTTPURL: "https://x", HTTPHeader: "X Key", HTTPSecret: headerSecret}, "header name"},
		{"secret with a newline", admin.DestinationSpec{Name: "d", HTTPURL: "https://x", HTTPSecret: headerSecret + "\r\nX: y"}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := svc.AddDestination(ctx, tt.spec, false)
			if !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to say %q", err, tt.want)
			}
			assertNoSecrets(t, "error", err.Error())
		})
	}
}

// TestTopicTemplatesAsTheRouterTakesThem checks that a topic template the
// admin service accepts is one the cloud's router starts with, and that one
// the router refuses is refused here first: a stored destination the router
// refuses would stop the cloud from starting.
func TestTopicTemplatesAsTheRouterTakesThem(t *testing.T) {
	ctx := context.Background()
	for _, topic := range []string{
		"lorawan/up",
		"lorawan/{{.DevEui}}/{{.Event}}",
		"lorawan/{{.WirelessDeviceId}}/{{.FPort}}/{{.DevAddr}}/{{.Destination}}",
		"lorawan/{{.DevEUI}}/up",
		"lorawan/{{.deveui}}",
		"lorawan/{{.DevEui.X}}",
		"{{if false}}up{{end}}",
		"up/{{if .DevEui}}+{{end}}",
		"up/{{.DevEui",
	} {
		t.Run(topic, func(t *testing.T) {
			svc := admin.NewService(storetest.Open(t))
			_, adminErr := svc.AddDestination(ctx, admin.DestinationSpec{Name: "d", MQTTTopic: topic}, false)
			_, routerErr := route.New([]store.Destination{{Name: "d", Kind: store.KindMQTT, MQTTTopic: topic, QoS: 1}}, route.Options{})
			if (adminErr == nil) != (routerErr == nil) {
				t.Errorf("admin: %v; router: %v; want both to accept or both to refuse", adminErr, routerErr)
			}
			if adminErr != nil && !errors.Is(adminErr, admin.ErrInvalid) {
				t.Errorf("admin: %v, want ErrInvalid", adminErr)
			}
		})
	}
}

func TestAddDestination(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	svc := admin.NewService(db)
	m, err := svc.AddDestination(ctx, admin.DestinationSpec{Name: "up", MQTTTopic: "lorawan/{{.WirelessDeviceId}}/up"}, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != store.KindMQTT || m.QoS == nil || *m.QoS != 1 {
		t.Errorf("mqtt view = %+v; want kind mqtt, default qos 1", m)
	}
	h, err := svc.AddDestination(ctx, admin.DestinationSpec{Name: "hook", HTTPURL: "https://example.com/up", HTTPSecret: headerSecret}, false)
	if err != nil {
		t.Fatal(err)
	}
	if h.Kind != store.KindHTTP || h.HTTPHeader != "Authorization" || !h.HasSecret || h.QoS != nil {
		t.Errorf("http view = %+v; want kind http, header Authorization, a secret, no qos", h)
	}
	rec, err := db.GetDestination(ctx, "hook")
	if err != nil || string(rec.HTTPSecret) != headerSecret {
		t.Errorf("stored secret differs from the spec's (%v)", err)
	}
	if _, err := svc.AddDestination(ctx, admin.DestinationSpec{Name: "hook", MQTTTopic: "x"}, false); !errors.Is(err, admin.ErrExists) {
		t.Errorf("second add: err = %v, want ErrExists", err)
	}
	r, err := svc.AddDestination(ctx, admin.DestinationSpec{Name: "hook", MQTTTopic: "x", QoS: u8(0)}, true)
	if err != nil || r.Kind != store.KindMQTT || *r.QoS != 0 || r.HasSecret || !r.CreatedAt.Equal(h.CreatedAt) {
		t.Errorf("replace: %+v, %v; want mqtt qos 0 without secret, CreatedAt kept", r, err)
	}
	if _, err := svc.GetDestination(ctx, "nope"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("get of a missing destination: err = %v, want ErrNotFound", err)
	}
}

// TestABPDevAddrOutsideNetID: with the cloud's NetID filter on, gateways
// drop the frames of a DevAddr outside the network's block, so an ABP
// device with one is refused with the block to pick from; OTAA devices get
// their address at the join and are not concerned.
func TestABPDevAddrOutsideNetID(t *testing.T) {
	ctx := context.Background()
	abp := func(t *testing.T, dev, addr string) admin.DeviceSpec {
		return admin.DeviceSpec{
			DevEUI: eui(t, dev), DevAddr: devAddr(t, addr), MACVersion: "1.0.3",
			Region: "EU868", Destination: "up", NwkSKey: key(t, nwkSKeyHex), AppSKey: key(t, appSKeyHex),
		}
	}
	tests := []struct {
		name    string
		netIDs  []lorawan.NetID
		spec    func(t *testing.T) admin.DeviceSpec
		wantErr []string // what the error must say; nil: accepted
	}{
		{"outside NetID 000000", []lorawan.NetID{{0, 0, 0}}, func(t *testing.T) admin.DeviceSpec { return abp(t, "0102030405060701", "26011bda") },
			[]string{"26011bda", "000000", "00000000", "01ffffff", "filter_net_id"}},
		{"inside NetID 000000", []lorawan.NetID{{0, 0, 0}}, func(t *testing.T) admin.DeviceSpec { return abp(t, "0102030405060702", "01011bda") }, nil},
		{"inside NetID 000013", []lorawan.NetID{{0, 0, 0x13}}, func(t *testing.T) admin.DeviceSpec { return abp(t, "0102030405060703", "26011bda") }, nil},
		{"outside NetID 000013", []lorawan.NetID{{0, 0, 0x13}}, func(t *testing.T) admin.DeviceSpec { return abp(t, "0102030405060704", "01011bda") },
			[]string{"26000000", "27ffffff"}},
		{"no filter", nil, func(t *testing.T) admin.DeviceSpec { return abp(t, "0102030405060705", "26011bda") }, nil},
		{"otaa", []lorawan.NetID{{0, 0, 0}}, otaa10, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := storetest.Open(t)
			withMQTT(t, db)
			spec := tt.spec(t)
			svc := admin.NewService(db, admin.WithNetIDFilter(tt.netIDs))
			_, err := svc.AddDevice(ctx, spec, false)
			verr := spec.ValidateNetID(tt.netIDs)
			if tt.wantErr == nil {
				if err != nil || verr != nil {
					t.Fatalf("AddDevice: %v; ValidateNetID: %v; want both to accept", err, verr)
				}
				return
			}
			for _, e := range []error{err, verr} {
				if !errors.Is(e, admin.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", e)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(e.Error(), w) {
						t.Errorf("err = %q, want it to say %q", e, w)
					}
				}
				assertNoSecrets(t, "error", e.Error())
			}
			if _, gerr := db.GetDevice(ctx, spec.DevEUI); !errors.Is(gerr, store.ErrNotFound) {
				t.Errorf("the refused device was stored: %v", gerr)
			}
		})
	}
}
