package uplink_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/admin"
	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/route"
	"github.com/loraedge/loraedge/cloud/uplink"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
	"github.com/loraedge/loraedge/store/storetest"
)

// countingStore counts the pipeline's reads of device records.
type countingStore struct {
	*store.DB
	reads atomic.Int64
}

func (s *countingStore) GetDevice(ctx context.Context, eui lorawan.EUI64) (store.Device, error) {
	s.reads.Add(1)
	return s.DB.GetDevice(ctx, eui)
}

func (s *countingStore) GetDeviceInfo(ctx context.Context, eui lorawan.EUI64) (store.Device, error) {
	s.reads.Add(1)
	return s.DB.GetDeviceInfo(ctx, eui)
}

// hookStore runs a hook once, on the worker, right after the next frame
// counter commit: a change made while a frame is in flight.
type hookStore struct {
	*store.DB
	mu   sync.Mutex
	hook func()
}

func (s *hookStore) AdvanceFCntUp(ctx context.Context, eui lorawan.EUI64, fcnt uint32) error {
	err := s.DB.AdvanceFCntUp(ctx, eui, fcnt)
	s.mu.Lock()
	hook := s.hook
	s.hook = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return err
}

func addOtherDestination(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.PutDestination(context.Background(), store.Destination{Name: "other", Kind: store.KindMQTT, MQTTTopic: "other/{{.DevEui}}"}); err != nil {
		t.Fatal(err)
	}
}

// TestDeviceCacheReadsOnce checks that the data path reads a device record
// on its first uplink and after a change to it, not on every uplink.
func TestDeviceCacheReadsOnce(t *testing.T) {
	t.Parallel()
	var cs *countingStore
	h := newHarnessStore(t, func(db *store.DB) uplink.Store {
		cs = &countingStore{DB: db}
		return cs
	}, nil)
	ctx := context.Background()
	addOtherDestination(t, h.db)
	d := h.abpDevice(0x30, "1.1", "EU868", lorawan.DevAddr{0x26, 0, 0, 0x30})
	up := func() uplink.Outcome {
		t.Helper()
		h.later()
		h.send(gwA, d.uplink(frame{fport: 1, payload: []byte{1}, dr: 5, freq: 868100000}), 5, 868100000, 5)
		return h.flush()
	}
	if o := up(); !o.Routed {
		t.Fatalf("first uplink: %+v", o)
	}
	if got := cs.reads.Load(); got != 1 {
		t.Fatalf("device reads after the first uplink: %d, want 1", got)
	}
	for range 5 {
		if o := up(); !o.Routed {
			t.Fatalf("uplink: %+v", o)
		}
	}
	if got := cs.reads.Load(); got != 1 {
		t.Errorf("device reads after 6 uplinks: %d, want still 1", got)
	}
	d.d.Destination = "other"
	if err := h.db.PutDevice(ctx, d.d); err != nil {
		t.Fatal(err)
	}
	if o := up(); !o.Routed {
		t.Fatalf("uplink after the change: %+v", o)
	}
	if got := cs.reads.Load(); got != 2 {
		t.Errorf("device reads after a change and an uplink: %d, want 2", got)
	}
}

// TestDeviceChanges changes a device through the admin service, as
// `loraedge device add --replace` and `device rm` do, between uplinks:
// the uplink after each change sees it.
func TestDeviceChanges(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ctx := context.Background()
	addOtherDestination(t, h.db)
	svc := admin.NewService(h.db)
	addr := lorawan.DevAddr{0x26, 0, 0, 0x40}
	d := h.abpDevice(0x40, "1.0.3", "EU868", addr)
	eui := d.d.DevEUI
	nwk, app := admin.Key(key(1)), admin.Key(key(4)) // the keys abpDevice gave it
	spec := func(name, class, dest string) admin.DeviceSpec {
		return admin.DeviceSpec{DevEUI: eui, Name: name, MACVersion: "1.0.3", Class: class, Region: "EU868",
			Destination: dest, DevAddr: &addr, NwkSKey: &nwk, AppSKey: &app}
	}
	replace := func(name, class, dest string) func() error {
		return func() error {
			_, err := svc.AddDevice(ctx, spec(name, class, dest), true)
			return err
		}
	}
	steps := []struct {
		name   string
		change func() error
		dest   string // "" for refused
		id     string // WirelessDeviceId
		class  string
	}{
		{"unchanged", nil, "app", eui.String(), store.ClassA},
		{"unchanged, from the cache", nil, "app", eui.String(), store.ClassA},
		{"destination changed", replace("", "A", "other"), "other", eui.String(), store.ClassA},
		{"renamed, class C", replace("meter-7", "C", "other"), "other", "meter-7", store.ClassC},
		{"destination changed back", replace("meter-7", "C", "app"), "app", "meter-7", store.ClassC},
		{"deleted", func() error { return svc.DeleteDevice(ctx, eui) }, "", "", ""},
		{"added again", func() error {
			_, err := svc.AddDevice(ctx, spec("again", "A", "other"), false)
			d.fcnt = 0 // a new ABP session
			return err
		}, "other", "again", store.ClassA},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.change != nil {
				if err := st.change(); err != nil {
					t.Fatal(err)
				}
			}
			routed, scheduled := len(h.pub.uplinks()), len(h.sched.requests())
			h.later()
			h.send(gwA, d.uplink(frame{fport: 1, payload: []byte(st.name), dr: 5, freq: 868100000}), 5, 868100000, 5)
			o := h.flush()
			if st.dest == "" {
				if !o.Refused || o.Reason != uplink.ReasonUnknownDevAddr || o.Routed {
					t.Fatalf("outcome %+v, want refused as %s", o, uplink.ReasonUnknownDevAddr)
				}
				if n := len(h.pub.uplinks()); n != routed {
					t.Errorf("%d uplinks published, want still %d", n, routed)
				}
				return
			}
			if !o.Routed {
				t.Fatalf("outcome %+v, want routed", o)
			}
			h.pub.mu.Lock()
			last := h.pub.msgs[len(h.pub.msgs)-1]
			h.pub.mu.Unlock()
			u, ok := last.msg.(*route.Uplink)
			if !ok || last.dest != st.dest || string(u.PayloadData) != st.name {
				t.Fatalf("published %q to %q, want the uplink %q to %q", u.PayloadData, last.dest, st.name, st.dest)
			}
			if u.WirelessDeviceId != st.id {
				t.Errorf("WirelessDeviceId %q, want %q", u.WirelessDeviceId, st.id)
			}
			reqs := h.sched.requests()
			if len(reqs) != scheduled+1 {
				t.Fatalf("%d class a requests, want %d", len(reqs), scheduled+1)
			}
			got := reqs[len(reqs)-1].Device
			if got.Class != st.class || got.Destination != st.dest || got.DevEUI != eui {
				t.Errorf("scheduled for device %s class %q destination %q, want %s %q %q", got.DevEUI, got.Class, got.Destination, eui, st.class, st.dest)
			}
			if got.ABPKeys != (store.SessionKeys{}) || got.RootKeys != (store.RootKeys{}) {
				t.Error("the device handed to the scheduler carries keys; the data path needs none")
			}
		})
	}
}

// TestDeviceChangeInFlight changes a device after its uplink's counter
// committed and before the uplink is routed: the uplink goes where the
// device now says, or nowhere once it is deleted.
func TestDeviceChangeInFlight(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(ctx context.Context, db *store.DB, d store.Device) error
		dest   string // "" for refused
	}{
		{"destination changed", func(ctx context.Context, db *store.DB, d store.Device) error {
			d.Destination = "other"
			return db.PutDevice(ctx, d)
		}, "other"},
		{"deleted", func(ctx context.Context, db *store.DB, d store.Device) error {
			return db.DeleteDevice(ctx, d.DevEUI)
		}, ""},
		{"another device changed", func(ctx context.Context, db *store.DB, _ store.Device) error {
			return db.PutDevice(ctx, store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xee, 1}, MACVersion: "1.0.3",
				Class: store.ClassA, Region: "EU868", Destination: "other", RootKeys: store.RootKeys{AppKey: key(7)}})
		}, "app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var hs *hookStore
			h := newHarnessStore(t, func(db *store.DB) uplink.Store {
				hs = &hookStore{DB: db}
				return hs
			}, nil)
			ctx := context.Background()
			addOtherDestination(t, h.db)
			d := h.abpDevice(0x50, "1.0.3", "EU868", lorawan.DevAddr{0x26, 0, 0, 0x50})
			h.send(gwA, d.uplink(frame{fport: 1, payload: []byte("warm"), dr: 5, freq: 868100000}), 5, 868100000, 5)
			if o := h.flush(); !o.Routed {
				t.Fatalf("first uplink: %+v", o)
			}
			hookErr := make(chan error, 1)
			hs.mu.Lock()
			hs.hook = func() { hookErr <- tc.change(ctx, h.db, d.d) }
			hs.mu.Unlock()
			h.later()
			h.send(gwA, d.uplink(frame{fport: 1, payload: []byte("in flight"), dr: 5, freq: 868100000}), 5, 868100000, 5)
			o := h.flush()
			if err := <-hookErr; err != nil {
				t.Fatalf("change: %v", err)
			}
			ups := h.pub.uplinks()
			if tc.dest == "" {
				if o.Routed || !o.Refused || o.Reason != uplink.ReasonUnknownDevAddr || len(ups) != 1 {
					t.Fatalf("outcome %+v with %d uplinks published, want refused as %s and 1 published", o, len(ups), uplink.ReasonUnknownDevAddr)
				}
				return
			}
			h.pub.mu.Lock()
			last := h.pub.msgs[len(h.pub.msgs)-1]
			h.pub.mu.Unlock()
			if !o.Routed || len(ups) != 2 || last.dest != tc.dest {
				t.Fatalf("outcome %+v, last published to %q (%d uplinks); want routed to %q", o, last.dest, len(ups), tc.dest)
			}
		})
	}
}

// chanPub hands each published uplink to its device's channel.
type chanPub map[lorawan.EUI64]chan published

func (p chanPub) Publish(_ context.Context, dest string, msg route.Message) error {
	u, ok := msg.(*route.Uplink)
	if !ok {
		return nil
	}
	ch, ok := p[u.WirelessMetadata.LoRaWAN.DevEui]
	if !ok {
		return errors.New("published for an unknown device")
	}
	ch <- published{dest, msg}
	return nil
}

// TestDeviceCacheConcurrent runs devices through the pipeline (wall
// clock, shared workers, a cache smaller than the fleet) while each
// device's own goroutine changes it between its uplinks (destination,
// name, delete and add again) and another one keeps writing unrelated
// devices: every uplink goes where its device said when it was sent. Run
// it with -race.
func TestDeviceCacheConcurrent(t *testing.T) {
	const (
		devices    = 6
		iterations = 24
	)
	ctx := context.Background()
	db := storetest.Open(t)
	for _, name := range []string{"app", "other"} {
		if err := db.PutDestination(ctx, store.Destination{Name: name, Kind: store.KindMQTT, MQTTTopic: name + "/{{.DevEui}}"}); err != nil {
			t.Fatal(err)
		}
	}
	pubs := chanPub{}
	outs := map[lorawan.EUI64]chan uplink.Outcome{}
	for i := range devices {
		eui := lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xcc, byte(i)}
		pubs[eui] = make(chan published, 4)
		outs[eui] = make(chan uplink.Outcome, 4)
	}
	var strays atomic.Int64
	p, err := uplink.New(db, &recSched{}, pubs, uplink.Options{
		NetID:     netID,
		Dedup:     dedup.Options{Window: 2 * time.Millisecond},
		Workers:   4,
		CacheSize: devices / 2,
		Logger:    slog.New(slog.DiscardHandler),
		Observe: func(o uplink.Outcome) {
			if ch, ok := outs[o.DevEUI]; ok {
				ch <- o
			} else {
				strays.Add(1)
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	stop, noise := make(chan struct{}), make(chan error, 1)
	go func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				noise <- nil
				return
			default:
			}
			d := store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xdd, byte(n % 32)}, MACVersion: "1.0.3",
				Class: store.ClassA, Region: "EU868", Destination: "app", RootKeys: store.RootKeys{AppKey: key(byte(n))}}
			if err := db.PutDevice(ctx, d); err != nil {
				noise <- err
				return
			}
		}
	}()

	region, _ := lorawan.RegionByName("EU868")
	t.Run("devices", func(t *testing.T) {
		for i := range devices {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				addr := lorawan.DevAddr{0x26, 0, 0xcc, byte(i)}
				sd := store.Device{DevEUI: lorawan.EUI64{0, 0, 0, 0, 0, 0, 0xcc, byte(i)}, MACVersion: "1.0.3", Class: store.ClassA,
					Region: "EU868", Destination: "app", ABP: true, DevAddr: addr, ABPKeys: store.SessionKeys10(key(byte(i)), key(byte(i)+50))}
				if err := db.PutDevice(ctx, sd); err != nil {
					t.Fatal(err)
				}
				d := &dev{t: t, d: sd, region: region, version: lorawan.MACVersion1_0, addr: addr,
					sess: lorawan.NewSession10(key(byte(i)), key(byte(i)+50))}
				flip := map[string]string{"app": "other", "other": "app"}
				for it := range iterations {
					switch it % 4 {
					case 1:
						d.d.Destination = flip[d.d.Destination]
						if err := db.PutDevice(ctx, d.d); err != nil {
							t.Fatal(err)
						}
					case 2:
						d.d.Name = fmt.Sprintf("dev-%d-%d", i, it)
						if err := db.PutDevice(ctx, d.d); err != nil {
							t.Fatal(err)
						}
					case 3:
						if err := db.DeleteDevice(ctx, d.d.DevEUI); err != nil {
							t.Fatal(err)
						}
						d.d.Destination = flip[d.d.Destination]
						if err := db.PutDevice(ctx, d.d); err != nil {
							t.Fatal(err)
						}
						d.fcnt = 0 // a new ABP session
					}
					payload := fmt.Sprintf("%d/%d", i, it)
					phy := d.uplink(frame{fport: 1, payload: []byte(payload), dr: 5, freq: 868100000})
					m, err := station.SplitUplink(phy, station.UplinkMeta{DR: 5, Freq: 868100000, UpInfo: station.UpInfo{RSSI: -60, SNR: 5}})
					if err != nil {
						t.Fatal(err)
					}
					p.HandleUplink(ctx, gateway.Uplink{Gateway: gwA, ReceivedAt: time.Now(), Message: m})
					var got published
					select {
					case got = <-pubs[d.d.DevEUI]:
					case o := <-outs[d.d.DevEUI]:
						t.Fatalf("uplink %s: outcome %+v without a publication", payload, o)
					case <-time.After(10 * time.Second):
						t.Fatalf("uplink %s: nothing published", payload)
					}
					u := got.msg.(*route.Uplink)
					wantID := d.d.Name
					if wantID == "" {
						wantID = d.d.DevEUI.String()
					}
					if string(u.PayloadData) != payload || got.dest != d.d.Destination || u.WirelessDeviceId != wantID {
						t.Errorf("uplink %q published to %q as %q, want %q to %q as %q", u.PayloadData, got.dest, u.WirelessDeviceId, payload, d.d.Destination, wantID)
					}
					select {
					case o := <-outs[d.d.DevEUI]:
						if !o.Routed {
							t.Errorf("uplink %s: outcome %+v, want routed", payload, o)
						}
					case <-time.After(10 * time.Second):
						t.Fatalf("uplink %s: no outcome", payload)
					}
				}
			})
		}
	})
	close(stop)
	if err := <-noise; err != nil {
		t.Errorf("writing other devices: %v", err)
	}
	if n := strays.Load(); n != 0 {
		t.Errorf("%d outcomes for no known device, want none", n)
	}
}
