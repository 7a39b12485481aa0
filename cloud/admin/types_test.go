package admin_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/cloud/admin"
)

func TestSecretsRedactThemselves(t *testing.T) {
	k := key(t, appKeyHex)
	spec := admin.DeviceSpec{DevEUI: eui(t, "0102030405060708"), AppKey: k, MACVersion: "1.0.3"}
	gw := admin.GatewaySpec{EUI: eui(t, "0011223344556677"), Token: gatewayToken}
	for _, f := range []string{"%v", "%+v", "%#v", "%s", "%x", "%X", "%q"} {
		for _, v := range []any{*k, k, admin.Secret(gatewayToken), gw, spec} {
			assertNoSecrets(t, fmt.Sprintf(f+" of %T", v), fmt.Sprintf(f, v))
		}
	}
	var text, js bytes.Buffer
	for _, h := range []slog.Handler{slog.NewTextHandler(&text, nil), slog.NewJSONHandler(&js, nil)} {
		slog.New(h).Info("spec", "key", *k, "token", gw.Token, "secret", admin.Secret(headerSecret))
	}
	assertNoSecrets(t, "slog text", text.String())
	assertNoSecrets(t, "slog json", js.String())
}

func TestKeyJSON(t *testing.T) {
	// Keys marshal as hex in request bodies, and read back.
	b, err := json.Marshal(admin.DeviceSpec{AppKey: key(t, appKeyHex)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"appKey":"`+appKeyHex+`"`) {
		t.Fatalf("request body %s lacks the key in hex", b)
	}
	var back admin.DeviceSpec
	if err := json.Unmarshal(b, &back); err != nil || back.AppKey == nil || *back.AppKey != *key(t, appKeyHex) {
		t.Errorf("read back: %v", err)
	}
	for _, bad := range []string{"", appKeyHex[:30], appKeyHex + "00", "zz" + appKeyHex[2:], appKeyHex[:16] + " " + appKeyHex[16:]} {
		_, err := admin.ParseKey(bad)
		if err == nil {
			t.Errorf("ParseKey(%q): no error", bad)
			continue
		}
		if len(bad) > 8 && strings.Contains(err.Error(), bad[2:10]) {
			t.Errorf("ParseKey error %q repeats the text", err)
		}
	}
	if k, err := admin.ParseKey("  " + strings.ToUpper(appKeyHex) + "\n"); err != nil || k != *key(t, appKeyHex) {
		t.Errorf("upper case with space around: %v", err)
	}
}
