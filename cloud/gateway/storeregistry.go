package gateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// StoreRegistry is the Registry over the cloud's store: the gateway records
// the admin commands and CUPS rotations write, read at every connection and
// liveness check so that a change holds at once.
type StoreRegistry struct{ DB *store.DB }

// Gateway returns the store's record of eui; a missing one wraps
// ErrUnknownGateway.
func (r StoreRegistry) Gateway(ctx context.Context, eui lorawan.EUI64) (GatewayInfo, error) {
	g, err := r.DB.GetGateway(ctx, eui)
	if errors.Is(err, store.ErrNotFound) {
		return GatewayInfo{}, fmt.Errorf("%w: %w", ErrUnknownGateway, err)
	}
	if err != nil {
		return GatewayInfo{}, err
	}
	return GatewayInfo{
		EUI:              g.EUI,
		Region:           g.Region,
		SubBand:          g.SubBand,
		TokenSHA256:      g.TokenSHA256,
		CertFingerprints: g.CertFingerprints,
	}, nil
}
