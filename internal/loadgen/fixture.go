package loadgen

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/lorawan"
)

// provisionWorkers bounds the concurrent admin API requests.
const provisionWorkers = 8

// fixture is what one run provisions: its gateways, devices and
// destination, all named after a random run id.
type fixture struct {
	runID       string
	destination string
	topicPrefix string
	gateways    []lorawan.EUI64
	devices     []*device

	mu        sync.Mutex
	addedGWs  []lorawan.EUI64
	addedDevs []lorawan.EUI64
	addedDest bool
}

// newFixture draws the run's identifiers and keys.
func newFixture(netID lorawan.NetID, devices, gateways int) (*fixture, error) {
	var id [4]byte
	if _, err := rand.Read(id[:]); err != nil {
		return nil, fmt.Errorf("loadgen: random: %w", err)
	}
	runID := hex.EncodeToString(id[:])
	fx := &fixture{
		runID:       runID,
		destination: "loadgen-" + runID,
		topicPrefix: "loadgen/" + runID,
	}
	space := join.AddrSpaceOf(netID)
	seenEUI := make(map[lorawan.EUI64]bool)
	seenAddr := make(map[lorawan.DevAddr]bool)
	newEUI := func() (lorawan.EUI64, error) {
		for {
			var e lorawan.EUI64
			if _, err := rand.Read(e[:]); err != nil {
				return e, fmt.Errorf("loadgen: random: %w", err)
			}
			if e != (lorawan.EUI64{}) && !seenEUI[e] {
				seenEUI[e] = true
				return e, nil
			}
		}
	}
	for range gateways {
		e, err := newEUI()
		if err != nil {
			return nil, err
		}
		fx.gateways = append(fx.gateways, e)
	}
	for range devices {
		e, err := newEUI()
		if err != nil {
			return nil, err
		}
		var b [36]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("loadgen: random: %w", err)
		}
		addr := space.Make(binary.BigEndian.Uint32(b[32:]))
		for seenAddr[addr] {
			var r [4]byte
			if _, err := rand.Read(r[:]); err != nil {
				return nil, fmt.Errorf("loadgen: random: %w", err)
			}
			addr = space.Make(binary.BigEndian.Uint32(r[:]))
		}
		seenAddr[addr] = true
		var nwk, app lorawan.AES128Key
		copy(nwk[:], b[:16])
		copy(app[:], b[16:32])
		fx.devices = append(fx.devices, newDevice(e, addr, nwk, app))
	}
	return fx, nil
}

// topicFilter is the MQTT filter of the destination's topics.
func (fx *fixture) topicFilter() string { return fx.topicPrefix + "/+/up" }

// provision adds the destination, the gateways and the devices through the
// admin API. What was added is remembered for remove, also on failure.
func (fx *fixture) provision(ctx context.Context, api *admin.Client, region string) error {
	_, err := api.AddDestination(ctx, admin.DestinationSpec{
		Name:        fx.destination,
		Kind:        "mqtt",
		Description: "loraedge load run " + fx.runID,
		MQTTTopic:   fx.topicPrefix + "/{{.DevEui}}/up",
	}, false)
	if err != nil {
		return fmt.Errorf("loadgen: add destination: %w", err)
	}
	fx.addedDest = true
	for i, eui := range fx.gateways {
		_, err := api.AddGateway(ctx, admin.GatewaySpec{EUI: eui, Name: fmt.Sprintf("loadgen-%s-gw%d", fx.runID, i), Region: region}, false)
		if err != nil {
			return fmt.Errorf("loadgen: add gateway %s: %w", eui, err)
		}
		fx.addedGWs = append(fx.addedGWs, eui)
	}
	return forEach(ctx, len(fx.devices), func(ctx context.Context, i int) error {
		d := fx.devices[i]
		addr := d.devAddr
		nwk, app := admin.Key(d.nwkSKey), admin.Key(d.appSKey)
		_, err := api.AddDevice(ctx, admin.DeviceSpec{
			DevEUI:      d.devEUI,
			Name:        fmt.Sprintf("loadgen-%s-%d", fx.runID, i),
			MACVersion:  "1.0.3",
			Class:       "A",
			Region:      region,
			Destination: fx.destination,
			DevAddr:     &addr,
			NwkSKey:     &nwk,
			AppSKey:     &app,
		}, false)
		if err != nil {
			return fmt.Errorf("loadgen: add device %s: %w", d.devEUI, err)
		}
		fx.mu.Lock()
		fx.addedDevs = append(fx.addedDevs, d.devEUI)
		fx.mu.Unlock()
		return nil
	})
}

// remove deletes what provision added: devices, gateways, destination.
func (fx *fixture) remove(ctx context.Context, api *admin.Client) error {
	fx.mu.Lock()
	devs := fx.addedDevs
	fx.mu.Unlock()
	err := forEach(ctx, len(devs), func(ctx context.Context, i int) error {
		if err := api.DeleteDevice(ctx, devs[i]); err != nil && !errors.Is(err, admin.ErrNotFound) {
			return fmt.Errorf("loadgen: remove device %s: %w", devs[i], err)
		}
		return nil
	})
	var errs []error
	if err != nil {
		errs = append(errs, err)
	}
	for _, eui := range fx.addedGWs {
		if err := api.DeleteGateway(ctx, eui); err != nil && !errors.Is(err, admin.ErrNotFound) {
			errs = append(errs, fmt.Errorf("loadgen: remove gateway %s: %w", eui, err))
		}
	}
	if fx.addedDest && err == nil {
		if err := api.DeleteDestination(ctx, fx.destination); err != nil && !errors.Is(err, admin.ErrNotFound) {
			errs = append(errs, fmt.Errorf("loadgen: remove destination: %w", err))
		}
	}
	return errors.Join(errs...)
}

// forEach runs fn(0..n-1) on provisionWorkers goroutines and returns the
// first error; after an error no further calls start.
func forEach(ctx context.Context, n int, fn func(context.Context, int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(provisionWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(ctx, i); err != nil {
					cancel(err)
				}
			}
		}()
	}
feed:
	for i := range n {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil {
		return err
	}
	return nil
}

// certValidity is how long the gateways' client certificates are valid.
const certValidity = 48 * time.Hour
