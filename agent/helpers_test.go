package agent_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/loraedge/loraedge/internal/logtest"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/agent"
	"github.com/loraedge/loraedge/hal/sim"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// routerEUI is the gateway of every test: id6 "b827:ebff:fe61:51a5".
var routerEUI = lorawan.EUI64{0xb8, 0x27, 0xeb, 0xff, 0xfe, 0x61, 0x51, 0xa5}

// t0 is where virtual clocks start: a whole second, so that a simulated
// PPS pulses at t0.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// waitTimeout bounds every wait on the agent or a socket.
const waitTimeout = 10 * time.Second

// vclock adapts sim's VirtualClock to agent.Clock.
type vclock struct{ *sim.VirtualClock }

func (c vclock) AfterFunc(d time.Duration, f func()) agent.Timer {
	return c.VirtualClock.AfterFunc(d, f)
}

// logSink keeps every log record (logtest.Sink) with the waits these
// tests use: attributes matched as substrings.
type logSink struct{ *logtest.Sink }

func newLogSink() *logSink { return &logSink{logtest.New()} }

// wait waits for a record whose message is msg and whose attributes
// contain each of attrs (values matched as substrings); it returns the
// number of records seen so far.
func (l *logSink) wait(t *testing.T, msg string, attrs map[string]string) int {
	t.Helper()
	_, seen := l.Wait(t, waitTimeout, msg, attrs, strings.Contains)
	return seen
}

// count returns how many records have message msg.
func (l *logSink) count(msg string) int { return l.Count(msg) }

func (l *logSink) text() string { return l.Text() }

// world is a simulated radio side on a virtual clock.
type world struct {
	t      *testing.T
	clock  *sim.VirtualClock
	air    *sim.Air
	region *lorawan.Region
	gw     *sim.Concentrator
	frames chan sim.Frame // every frame put on the air
}

// pathLoss between every device and the gateway: a 14 dBm device is heard
// at exactly -86 dBm.
const pathLoss = 100

func newWorld(t *testing.T, opts sim.ConcentratorOptions) *world {
	t.Helper()
	w := &world{t: t, clock: sim.NewVirtualClock(t0), frames: make(chan sim.Frame, 256)}
	w.air = sim.NewAir(w.clock, sim.AirConfig{DefaultPathLoss: pathLoss, OnFrame: func(f sim.Frame) {
		f.Payload = append([]byte(nil), f.Payload...)
		w.frames <- f
	}})
	var err error
	if w.region, err = lorawan.RegionByName("EU868"); err != nil {
		t.Fatal(err)
	}
	if w.gw, err = sim.NewConcentrator(w.air, "gw", opts); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.gw.Close() })
	return w
}

// abpDevice is an ABP device with its network-side session.
type abpDevice struct {
	dev     *sim.Device
	events  chan sim.Event
	devEUI  lorawan.EUI64
	devAddr lorawan.DevAddr
	sess    *lorawan.Session
	fCntDn  uint32
}

// device adds an ABP LoRaWAN 1.0.4 device at DR5.
func (w *world) device(n byte, class sim.Class) *abpDevice {
	w.t.Helper()
	d := &abpDevice{
		events:  make(chan sim.Event, 64),
		devEUI:  lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0, 0, n},
		devAddr: lorawan.DevAddr{0x26, 0x01, 0x1b, n},
	}
	nwk := lorawan.AES128Key{1, 2, 3, n}
	app := lorawan.AES128Key{4, 5, 6, n}
	d.sess = lorawan.NewSession10(nwk, app)
	dev, err := sim.NewDevice(w.air, sim.DeviceConfig{
		Name: fmt.Sprintf("dev%d", n), Region: w.region, MACVersion: lorawan.MACVersion1_0, Class: class,
		DevEUI: d.devEUI, DataRate: 5, Seed: uint64(n),
		ABP:     &sim.ABPConfig{DevAddr: d.devAddr, NwkSKey: nwk, AppSKey: app, RxDelay: 1},
		OnEvent: func(e sim.Event) { d.events <- e },
	})
	if err != nil {
		w.t.Fatal(err)
	}
	d.dev = dev
	w.t.Cleanup(dev.Close)
	return d
}

// uplink makes d send a data frame and runs the clock to the frame's end,
// when the gateway has it. It returns the frame.
func (w *world) uplink(d *abpDevice, payload string) sim.Frame {
	w.t.Helper()
	if err := d.dev.SendData(1, []byte(payload), false); err != nil {
		w.t.Fatal(err)
	}
	f := w.nextFrame(false)
	w.clock.AdvanceTo(f.End)
	return f
}

// nextFrame returns the next frame put on the air in the given direction.
func (w *world) nextFrame(downlink bool) sim.Frame {
	w.t.Helper()
	for {
		select {
		case f := <-w.frames:
			if f.InvertIQ == downlink {
				return f
			}
		case <-time.After(waitTimeout):
			w.t.Fatalf("no frame on the air (downlink %v)", downlink)
		}
	}
}

// counterAt is the simulated counter at t for a radio started at t0.
func counterAt(start uint32, t time.Time) uint32 {
	return start + uint32(t.Sub(t0)/time.Microsecond)
}

// rssiSNR returns what Station reports for a frame heard through pathLoss.
func (w *world) rssiSNR(f sim.Frame) (rssi int, snr string) {
	r := f.Power - pathLoss
	s := r - w.air.NoiseFloor(f.Bandwidth)
	s = max(-32, min(31.75, s))
	q := math.Trunc(s*4) / 4
	return int(math.Trunc(r)), strconv.FormatFloat(q, 'f', -1, 64)
}

// dataDown builds an unconfirmed data downlink for d on port 1.
func (d *abpDevice) dataDown(t *testing.T, payload string) []byte {
	t.Helper()
	fcnt := d.fCntDn
	d.fCntDn++
	p := lorawan.PHYPayload{
		MHDR:         lorawan.MHDR{MType: lorawan.UnconfirmedDataDown},
		FHDR:         lorawan.FHDR{DevAddr: d.devAddr, FCnt: uint16(fcnt)},
		FPort:        1,
		FPortPresent: true,
		FRMPayload:   make([]byte, len(payload)),
	}
	if err := d.sess.XORFRMPayload(p.FRMPayload, []byte(payload), false, d.devAddr, fcnt, 1); err != nil {
		t.Fatal(err)
	}
	b, err := p.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	mic, err := d.sess.DownlinkMIC(b[:len(b)-4], d.devAddr, fcnt, 0)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-4:], mic[:])
	return b
}

// expectDownlink waits for d's next downlink event and checks its window
// and payload.
func (d *abpDevice) expectDownlink(t *testing.T, window sim.Window, payload string) sim.Event {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case e := <-d.events:
			switch e.Kind {
			case sim.EventDownlink:
				if e.Window != window || string(e.Payload) != payload {
					t.Fatalf("downlink in %s with %q, want %s with %q", e.Window, e.Payload, window, payload)
				}
				return e
			case sim.EventMissed, sim.EventMICFailed:
				t.Fatalf("device: %s (%s)", e.Kind, e.Reason)
			}
		case <-deadline:
			t.Fatalf("no downlink for %s", d.devEUI)
		}
	}
}

// states collects the agent's state changes.
type states struct{ c chan agent.State }

func newStates() *states { return &states{c: make(chan agent.State, 64)} }

func (s *states) on(st agent.State) { s.c <- st }

// wait waits until the agent reports want; logs, if given, are shown on
// failure.
func (s *states) wait(t *testing.T, want agent.State, logs ...*logSink) {
	t.Helper()
	deadline := time.After(waitTimeout)
	for {
		select {
		case got := <-s.c:
			if got == want {
				return
			}
		case <-deadline:
			var text string
			for _, l := range logs {
				text += l.text()
			}
			t.Fatalf("agent never reached state %s; logs:\n%s", want, text)
		}
	}
}

// runAgent starts a.Run; the returned function (also run at cleanup)
// stops it and checks that Run returns.
func runAgent(t *testing.T, a *agent.Agent) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitTimeout):
				t.Error("Run did not return after cancel")
			}
		})
	}
	go func() { done <- a.Run(ctx) }()
	t.Cleanup(stop)
	return stop
}

// scriptLNS is a Basics Station LNS played by the test: each websocket the
// agent opens is handed to the test, which reads and writes exact bytes.
type scriptLNS struct {
	t       *testing.T
	addr    string
	infos   chan *websocket.Conn
	traffic chan *websocket.Conn
	// reqs receives every request's path and headers, in order.
	reqs chan *http.Request
	// refuseTraffic answers traffic requests with 503.
	refuseTraffic atomic.Bool
}

func newScriptLNS(t *testing.T) *scriptLNS {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &scriptLNS{t: t, addr: ln.Addr().String(), infos: make(chan *websocket.Conn, 4),
		traffic: make(chan *websocket.Conn, 4), reqs: make(chan *http.Request, 256)}
	up := websocket.Upgrader{}
	var mu sync.Mutex
	var conns []*websocket.Conn
	handle := func(ch chan *websocket.Conn) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			select {
			case s.reqs <- r.Clone(context.Background()):
			default:
			}
			if ch == s.traffic && s.refuseTraffic.Load() {
				http.Error(w, "try later", http.StatusServiceUnavailable)
				return
			}
			c, err := up.Upgrade(w, r, nil)
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			ch <- c
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /router-info", handle(s.infos))
	mux.HandleFunc("GET /traffic/{eui}", handle(s.traffic))
	srv := &http.Server{Handler: mux}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return s
}

// uri is the tc.uri of the LNS.
func (s *scriptLNS) uri() string { return "ws://" + s.addr }

// trafficURI is the traffic URI router-info hands out.
func (s *scriptLNS) trafficURI() string { return "ws://" + s.addr + "/traffic/b827ebfffe6151a5" }

func accept(t *testing.T, ch chan *websocket.Conn) *websocket.Conn {
	t.Helper()
	select {
	case c := <-ch:
		return c
	case <-time.After(waitTimeout):
		t.Fatal("the agent did not connect")
	}
	return nil
}

// read returns the next text message.
func read(t *testing.T, c *websocket.Conn) string {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	typ, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("message of type %d, want text", typ)
	}
	return string(b)
}

func write(t *testing.T, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// discovery plays the LNS's side of router-info, checking the agent's
// request byte for byte and that it closes with 1000.
func (s *scriptLNS) discovery(t *testing.T) {
	t.Helper()
	c := accept(t, s.infos)
	if got, want := read(t, c), `{"router":"b827:ebff:fe61:51a5"}`; got != want {
		t.Fatalf("router-info request %s, want %s", got, want)
	}
	write(t, c, `{"router":"b827:ebff:fe61:51a5","muxs":"muxs-::0","uri":"`+s.trafficURI()+`"}`)
	_ = c.SetReadDeadline(time.Now().Add(waitTimeout))
	_, _, err := c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
		t.Fatalf("after the answer: %v, want a close 1000", err)
	}
}

// jsonField reads one field of a JSON message, numbers kept exact.
func jsonField(t *testing.T, msg, key string) json.Number {
	t.Helper()
	d := json.NewDecoder(strings.NewReader(msg))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		t.Fatalf("%s: %v", msg, err)
	}
	switch v := m[key].(type) {
	case json.Number:
		return v
	case map[string]any:
		b, _ := json.Marshal(v)
		return json.Number(b)
	}
	t.Fatalf("%s: no number %q", msg, key)
	return ""
}

// secs formats seconds as Station does ("%.6f").
func secs(d time.Duration) string { return fmt.Sprintf("%.6f", d.Seconds()) }

// stationTime formats MuxTime + d as Station does.
func stationTime(mux float64, d time.Duration) string {
	b, err := station.Seconds(mux + d.Seconds()).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return string(b)
}

// utcTime formats the UTC time Station derives from a MuxTime received d
// earlier (its UTC offset is taken in whole microseconds).
func utcTime(mux float64, d time.Duration) string {
	b, err := station.Seconds(float64(int64(mux*1e6)+d.Microseconds()) / 1e6).MarshalJSON()
	if err != nil {
		panic(err)
	}
	return string(b)
}
