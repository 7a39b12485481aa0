package gateway_test

import (
	"context"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// TestStoreRegistry: a stored gateway comes back with everything the
// endpoint checks and configures by; an unknown one is ErrUnknownGateway.
func TestStoreRegistry(t *testing.T) {
	ctx := context.Background()
	db := storetest.Open(t)
	eui := lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}
	g := store.Gateway{EUI: eui, Region: "US915", SubBand: 3, CertFingerprints: []string{"0a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20212223242526272829"}}
	g.SetToken("a gateway token of some length")
	if err := db.PutGateway(ctx, g); err != nil {
		t.Fatal(err)
	}
	reg := gateway.StoreRegistry{DB: db}
	info, err := reg.Gateway(ctx, eui)
	if err != nil || info.EUI != eui || info.Region != "US915" || info.SubBand != 3 || len(info.CertFingerprints) != 1 ||
		info.CertFingerprints[0] != g.CertFingerprints[0] || string(info.TokenSHA256) != string(g.TokenSHA256) || len(info.TokenSHA256) == 0 {
		t.Errorf("Gateway = %+v, %v; want the stored record", info, err)
	}
	if _, err := reg.Gateway(ctx, lorawan.EUI64{1}); !errors.Is(err, gateway.ErrUnknownGateway) {
		t.Errorf("unknown gateway: %v, want ErrUnknownGateway", err)
	}
}
