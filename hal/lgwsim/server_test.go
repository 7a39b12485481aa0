package lgwsim_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/lgwsim"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
)

// world is a real-time Air served on a socket, with one lgwsim gateway
// attached.
type world struct {
	air          *sim.Air
	connected    chan uint8 // units, as the server reports their connections
	disconnected chan uint8 // and their ends
	srv          *lgwsim.Server
	gw           *lgwsim.Concentrator
	region       *lorawan.Region
	path         string
}

// newWorld serves an Air on a socket and connects a gateway to it; every
// device hears the gateway through a 100 dB path loss.
func newWorld(t *testing.T, opts lgwsim.ServerOptions) *world {
	t.Helper()
	region, err := lorawan.RegionByName("EU868")
	if err != nil {
		t.Fatal(err)
	}
	air := sim.NewAir(sim.RealClock{}, sim.AirConfig{DefaultPathLoss: 100})
	// Sends never block the server: a test that goes wrong must fail, not
	// hang its cleanup.
	connected, disconnected := make(chan uint8, 16), make(chan uint8, 16)
	opts.OnConnect = func(u uint8) {
		select {
		case connected <- u:
		default:
		}
	}
	opts.OnDisconnect = func(u uint8) {
		select {
		case disconnected <- u:
		default:
		}
	}
	srv := lgwsim.NewServer(air, opts)
	path := socketPath(t)
	ln, err := lgwsim.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-served; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	gw := started(t, path, lgwsim.Options{Unit: 0})
	if u := wait(t, connected, "the gateway's connection"); u != 0 {
		t.Errorf("unit %d connected, want 0", u)
	}
	waitConnected(t, gw)
	return &world{air: air, connected: connected, disconnected: disconnected, srv: srv, gw: gw, region: region, path: path}
}

// abp keys of the test device.
var (
	devAddr = lorawan.DevAddr{0x26, 0x01, 0x1b, 0xda}
	nwkSKey = lorawan.AES128Key{0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c}
	appSKey = lorawan.AES128Key{0x3c, 0x4f, 0xcf, 0x09, 0x88, 0x15, 0xf7, 0xab, 0xa6, 0xd2, 0xae, 0x28, 0x16, 0x15, 0x7e, 0x2b}
)

// rxWindowSymbols sizes the test device's receive windows: at SF7 a frame
// may start up to 59 symbols (60 ms) after a window opens. Frames cross two
// processes' timers in real time here, and a loaded test machine delays
// timers by tens of milliseconds; the 8 symbols of hal/sim's default leave
// 3 ms.
const rxWindowSymbols = 64

// device attaches an ABP class A device sending at DR5 (SF7BW125).
func (w *world) device(t *testing.T) (*sim.Device, chan sim.Event) {
	t.Helper()
	events := make(chan sim.Event, 64)
	d, err := sim.NewDevice(w.air, sim.DeviceConfig{
		Name: "dev", Region: w.region, MACVersion: lorawan.MACVersion1_0, DataRate: 5, RxWindowSymbols: rxWindowSymbols,
		ABP:     &sim.ABPConfig{DevAddr: devAddr, NwkSKey: nwkSKey, AppSKey: appSKey},
		OnEvent: func(e sim.Event) { events <- e },
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d, events
}

// nextEvent returns the next event of kind, skipping uplinks and
// no-downlink reports.
func nextEvent(t *testing.T, events chan sim.Event, kind sim.EventKind) sim.Event {
	t.Helper()
	for {
		e := wait(t, events, kind.String()+" event")
		if e.Kind == kind {
			return e
		}
		if e.Kind != sim.EventUplink && e.Kind != sim.EventNoDownlink {
			t.Fatalf("got %s event (%s%v), want %s", e.Kind, e.Reason, e.Err, kind)
		}
	}
}

// downlink encodes an unconfirmed downlink to the test device.
func downlink(t *testing.T, fcnt uint32, fport uint8, payload []byte) []byte {
	t.Helper()
	sess := lorawan.NewSession10(nwkSKey, appSKey)
	p := lorawan.PHYPayload{
		MHDR:  lorawan.MHDR{MType: lorawan.UnconfirmedDataDown},
		FHDR:  lorawan.FHDR{DevAddr: devAddr, FCnt: uint16(fcnt)},
		FPort: fport, FPortPresent: true, FRMPayload: make([]byte, len(payload)),
	}
	if err := sess.XORFRMPayload(p.FRMPayload, payload, false, devAddr, fcnt, fport); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := sess.DownlinkMIC(b[:len(b)-4], devAddr, fcnt, 0)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-4:], mic[:])
	return b
}

// rx1 returns the RX1 transmission answering an uplink, starting at
// counter value at.
func rx1(up hal.RxPacket, at uint32, payload []byte) hal.TxPacket {
	return hal.TxPacket{ID: uint64(at), Mode: hal.TxTimestamped, CountUS: at, Freq: up.Freq, Power: 14,
		Modulation: hal.ModulationLoRa, SpreadingFactor: up.SpreadingFactor, Bandwidth: up.Bandwidth,
		CodeRate: hal.CodeRate4_5, InvertPol: true, NoCRC: true, Payload: payload}
}

// TestServerUplinkAndRX1 sends a simulated device's uplink through the
// server to the lgwsim gateway, and the gateway's answer at the uplink's
// counter + 1 s back to the device, which catches it in RX1.
func TestServerUplinkAndRX1(t *testing.T) {
	w := newWorld(t, lgwsim.ServerOptions{})
	d, events := w.device(t)
	if err := d.SendData(1, []byte{0xca, 0xfe}, false); err != nil {
		t.Fatal(err)
	}
	up := nextEventUplink(t, events)
	p := receive(t, w.gw)

	var phy lorawan.PHYPayload
	if err := phy.UnmarshalBinary(p.Payload); err != nil {
		t.Fatal(err)
	}
	if phy.MHDR.MType != lorawan.UnconfirmedDataUp || phy.FHDR.DevAddr != devAddr || phy.FHDR.FCnt != 0 {
		t.Errorf("uplink %v from %s FCnt %d, want unconfirmed up from %s FCnt 0", phy.MHDR.MType, phy.FHDR.DevAddr, phy.FHDR.FCnt, devAddr)
	}
	wantRSSI := float32(sim.DefaultTxPower - 100)
	wantSNR := float32(min(float64(wantRSSI)-w.air.NoiseFloor(hal.BW125), 31.75))
	if p.Freq != up.Freq || p.SpreadingFactor != 7 || p.Bandwidth != hal.BW125 || p.CodeRate != hal.CodeRate4_5 ||
		p.Modulation != hal.ModulationLoRa || p.CRC != hal.CRCOK || p.RSSI != wantRSSI || math.Abs(float64(p.SNR-wantSNR)) > 1e-4 {
		t.Errorf("received %+v\nwant %d Hz SF7BW125 4/5, CRC ok, RSSI %v, SNR %v", p, up.Freq, wantRSSI, wantSNR)
	}
	now, _ := w.gw.Counter()
	if d := int32(now - p.CountUS); d < 0 || d > int32(time.Second/time.Microsecond) {
		t.Errorf("uplink stamped %d, gateway counter now %d: want the end of a frame that just ended", p.CountUS, now)
	}

	payload := []byte("hello")
	tx := rx1(p, p.CountUS+1_000_000, downlink(t, 0, 2, payload))
	if err := w.gw.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	e := nextEvent(t, events, sim.EventDownlink)
	if e.Window != sim.WindowRX1 || e.FPort != 2 || !bytes.Equal(e.Payload, payload) || e.Freq != up.Freq {
		t.Errorf("downlink event %+v, want RX1 on %d Hz, port 2, %q", e, up.Freq, payload)
	}
	if done := txDone(t, w.gw); done.ID != tx.ID || done.Err != nil || done.CountUS != tx.CountUS {
		t.Errorf("TxDone %+v, want ID %d sent at %d", done, tx.ID, tx.CountUS)
	}
	if st := w.srv.Stats(); st.Connects != 1 || st.Uplinks != 1 || st.Downlinks != 1 {
		t.Errorf("server stats %+v, want 1 connect, 1 uplink, 1 downlink", st)
	}
}

// nextEventUplink returns the device's next uplink event.
func nextEventUplink(t *testing.T, events chan sim.Event) sim.Event {
	t.Helper()
	e := wait(t, events, "uplink event")
	if e.Kind != sim.EventUplink {
		t.Fatalf("got %s event, want uplink", e.Kind)
	}
	return e
}

// TestServerLateDownlinkMissed sends the answer 300 ms after RX1 opens,
// beyond the device's window: the device must miss it, as a real one would.
func TestServerLateDownlinkMissed(t *testing.T) {
	w := newWorld(t, lgwsim.ServerOptions{})
	d, events := w.device(t)
	if err := d.SendData(1, []byte{1}, false); err != nil {
		t.Fatal(err)
	}
	p := receive(t, w.gw)
	if err := w.gw.Send(context.Background(), rx1(p, p.CountUS+1_300_000, downlink(t, 0, 2, []byte{2}))); err != nil {
		t.Fatal(err)
	}
	e := nextEvent(t, events, sim.EventMissed)
	if !strings.Contains(e.Reason, "late") {
		t.Errorf("missed because %q, want late", e.Reason)
	}
}

// TestServerCCA pushes a listen-before-talk table to the gateway through the
// server.
func TestServerCCA(t *testing.T) {
	w := newWorld(t, lgwsim.ServerOptions{})
	d, _ := w.device(t)
	now, _ := w.gw.Counter()
	// The table is in the gateway's 64-bit ticks: the counter, widened
	// from the time base (it starts at 2^28, far from a wrap).
	xt := int64(now)
	if err := w.srv.SendCCA(0, lgwsim.CCATable{{Freq: 868_100_000, Begin: xt, End: xt + 10_000_000}}); err != nil {
		t.Fatal(err)
	}
	if err := w.srv.SendCCA(3, nil); err == nil {
		t.Error("SendCCA to an absent unit succeeded")
	}
	// An uplink written after the table proves the table was read.
	if err := d.SendData(1, []byte{1}, false); err != nil {
		t.Fatal(err)
	}
	receive(t, w.gw)
	err := w.gw.Send(context.Background(), hal.TxPacket{Mode: hal.TxTimestamped, CountUS: now + 2_000_000,
		Freq: 868_100_000, Modulation: hal.ModulationLoRa, SpreadingFactor: 7, Bandwidth: hal.BW125,
		CodeRate: hal.CodeRate4_5, Payload: []byte{1}})
	if !isErr(err, hal.ErrBusy, lgwsim.ErrLBT) {
		t.Errorf("Send on a busy channel: %v, want hal.ErrBusy and ErrLBT", err)
	}
}

// TestServerRefusesNonTimeBase connects with a frame record first: the
// server closes the connection.
func TestServerRefusesNonTimeBase(t *testing.T) {
	w := newWorld(t, lgwsim.ServerOptions{})
	conn, err := net.Dial("unix", w.path)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rec := lgwsim.TxRecord{TxMode: lgwsim.TxModeTimestamped, FreqHz: 868_100_000, Modulation: lgwsim.ModLoRa,
		Bandwidth: lgwsim.BW125, Datarate: lgwsim.DRLoRaSF7, Coderate: lgwsim.CRLoRa4_5, Payload: []byte{1}}
	b, _ := rec.MarshalBinary()
	if _, err := conn.Write(b); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(failAfter))
	if n, err := conn.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("read %d bytes (%v), want the server to close", n, err)
	}
	if st := w.srv.Stats(); st.Malformed != 1 || st.Connects != 1 {
		t.Errorf("server stats %+v, want 1 malformed, only the gateway's connect", st)
	}
}

// TestServerUnitReconnects connects a second gateway as the same unit. As
// in simutils.py (LgwSimServer.connected replaces units[unit] and leaves
// the earlier connection alone), the newest connection takes the unit's
// place on the air and hears its frames, while the earlier one stays open,
// hears nothing more, and may still transmit. Neither is dropped, so
// neither reconnects: two Stations configured as unit 0 used to take the
// unit from each other forever. When the newest leaves, the earlier one
// does not hear again.
func TestServerUnitReconnects(t *testing.T) {
	w := newWorld(t, lgwsim.ServerOptions{})
	gw2 := started(t, w.path, lgwsim.Options{Unit: 0})
	if u := wait(t, w.connected, "the second connection"); u != 0 {
		t.Errorf("second connection as unit %d, want 0", u)
	}
	waitConnected(t, gw2)

	d, events := w.device(t)
	if err := d.SendData(1, []byte{1}, false); err != nil {
		t.Fatal(err)
	}
	up := nextEventUplink(t, events)
	p := receive(t, gw2)
	if p.Freq != up.Freq {
		t.Errorf("newest connection received %+v, want the uplink on %d Hz", p, up.Freq)
	}
	// The first gateway answers in RX1, at its own counter.
	c1, err1 := w.gw.Counter()
	c2, err2 := gw2.Counter()
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	payload := []byte("still here")
	tx := rx1(p, p.CountUS+(c1-c2)+1_000_000, downlink(t, 0, 2, payload))
	if err := w.gw.Send(context.Background(), tx); err != nil {
		t.Fatal(err)
	}
	if e := nextEvent(t, events, sim.EventDownlink); e.Window != sim.WindowRX1 || !bytes.Equal(e.Payload, payload) {
		t.Errorf("downlink event %+v, want RX1 with %q from the earlier connection", e, payload)
	}
	if done := txDone(t, w.gw); done.ID != tx.ID || done.Err != nil {
		t.Errorf("TxDone %+v, want ID %d sent", done, tx.ID)
	}
	for i, gw := range []*lgwsim.Concentrator{w.gw, gw2} {
		if st := gw.Stats(); st.Connects != 1 || st.Disconnects != 0 {
			t.Errorf("gateway %d: %+v, want 1 connect and no disconnect", i+1, st)
		}
	}

	// The newest leaves: the unit is heard by no one.
	if err := gw2.Stop(); err != nil {
		t.Fatal(err)
	}
	if u := wait(t, w.disconnected, "the second connection's end"); u != 0 {
		t.Errorf("unit %d disconnected, want 0", u)
	}
	if err := d.SendData(1, []byte{2}, false); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, events, sim.EventNoDownlink) // after the frame and both windows
	if st := w.srv.Stats(); st.Connects != 2 || st.Uplinks != 1 || st.Downlinks != 1 {
		t.Errorf("server stats %+v, want 2 connects, 1 uplink (to the newest), 1 downlink", st)
	}
	if st := w.gw.Stats(); st.Connects != 1 || st.Disconnects != 0 {
		t.Errorf("first gateway %+v, want it connected all along", st)
	}
}

func TestListen(t *testing.T) {
	path := socketPath(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	// A stale socket: the listener is gone, the file stays.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	ln2, err := lgwsim.Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln2.Close()
	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := lgwsim.Listen(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("Listen over a regular file: %v, want refused", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "data" {
		t.Errorf("regular file now %q (%v), want it untouched", b, err)
	}
}
