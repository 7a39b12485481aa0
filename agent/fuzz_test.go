package agent

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/loraedge/loraedge/agent/internal/rctest"
	"github.com/loraedge/loraedge/hal/sim"
)

// discardWS is a websocket that takes every write.
type discardWS struct {
	mu     sync.Mutex
	writes int
}

func (d *discardWS) WriteMessage(int, []byte) error {
	d.mu.Lock()
	d.writes++
	d.mu.Unlock()
	return nil
}
func (d *discardWS) WriteControl(int, []byte, time.Time) error { return nil }
func (d *discardWS) SetWriteDeadline(time.Time) error          { return nil }
func (d *discardWS) Close() error                              { return nil }

// fuzzClock adapts sim's VirtualClock to Clock.
type fuzzClock struct{ *sim.VirtualClock }

func (c fuzzClock) AfterFunc(d time.Duration, f func()) Timer { return c.VirtualClock.AfterFunc(d, f) }

const fuzzRouterConfig = `{"msgtype":"router_config","NetID":null,"JoinEui":null,"region":"EU868","hwspec":"sx1301/1",` +
	`"freq_range":[863000000,870000000],"DRs":` + rctest.EU868DRs + `,"sx1301_conf":[{"radio_0":{"enable":true,"freq":867500000},` +
	`"radio_1":{"enable":true,"freq":868500000},"chan_multiSF_0":{"enable":true,"radio":1,"if":-400000}}],"MuxTime":1795783677.292109}`

// FuzzHandleMessage feeds arbitrary LNS messages to a configured agent on a
// simulated radio: nothing may panic, whatever the LNS sends.
func FuzzHandleMessage(f *testing.F) {
	for _, s := range []string{
		fuzzRouterConfig,
		`{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":1,"pdu":"6001020304","RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"RX2DR":0,"RX2Freq":869525000,"priority":0,"xtime":72057594037927936,"rctx":0}`,
		`{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":2,"diid":2,"pdu":"60","RxDelay":0,"RX2DR":0,"RX2Freq":869525000}`,
		`{"msgtype":"dnmsg","DevEUI":"00-00-00-00-00-00-00-01","dC":1,"seqno":3,"pdu":"60","RxDelay":0,"DR":5,"Freq":868100000,"gpstime":1400000000000000}`,
		`{"msgtype":"dnsched","MuxTime":1795783690.0,"schedule":[{"diid":1,"DR":3,"Freq":869525000,"xtime":72057594037927936,"pdu":"00"},{"DR":3,"Freq":869525000,"ontime":1400000000,"pdu":"00"}]}`,
		`{"msgtype":"dnframe","DR":5,"Freq":868100000,"DevEui":"00-00-00-00-00-00-00-01","xtime":72057594038927936,"diid":5,"pdu":"60","asap":true}`,
		`{"msgtype":"timesync","txtime":1000000,"gpstime":1400000000000000,"MuxTime":1795783690.0}`,
		`{"msgtype":"timesync","xtime":72057594037927936,"gpstime":1400000000000000}`,
		`{"msgtype":"getxtime","MuxTime":1795783690.5}`,
		`{"msgtype":"runcmd","command":"/bin/false","arguments":["x"]}`,
		`{"msgtype":"rmtsh","user":"root","start":0}`,
		`{"msgtype":"error","error":"x"}`,
		`{"msgtype":"what"}`,
		`{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1","sx1301_conf":[{"radio_0":{"enable":true,"freq":100}}]}`,
		`[1,2,3]`,
		``,
	} {
		f.Add([]byte(s))
	}
	clock := sim.NewVirtualClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	air := sim.NewAir(clock, sim.AirConfig{DefaultPathLoss: 100})
	gw, err := sim.NewConcentrator(air, "gw", sim.ConcentratorOptions{PPS: true})
	if err != nil {
		f.Fatal(err)
	}
	a, err := New(Options{
		RouterEUI: [8]byte{1}, TC: Credentials{URI: "ws://127.0.0.1:1"}, Radio: gw,
		Clock: fuzzClock{clock}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.runCtx = ctx
	c := &conn{ws: &discardWS{}, writeTimeout: time.Second}
	a.conn = c
	if err := a.handleMessage(ctx, c, []byte(fuzzRouterConfig)); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() {
		cancel()
		a.stopRadio()
		a.wg.Wait()
	})
	f.Fuzz(func(t *testing.T, msg []byte) {
		_ = a.handleMessage(ctx, c, msg)
		clock.Advance(10 * time.Millisecond)
	})
}
