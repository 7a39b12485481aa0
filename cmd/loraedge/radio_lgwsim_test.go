package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/hal/lgwsim"
)

// lgwRouterConfig is an EU868 router_config: DR0..5 SF12..SF7 at 125 kHz,
// DR6 SF7 at 250 kHz, the radio as an sx1301_conf array.
const lgwRouterConfig = `{"msgtype":"router_config","region":"EU868","hwspec":"sx1301/1",
"freq_range":[863000000,870000000],"NetID":null,"JoinEui":null,
"DRs":[[12,125,0],[11,125,0],[10,125,0],[9,125,0],[8,125,0],[7,125,0],[7,250,0],[0,0,0],
       [-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0],[-1,0,0]],
"sx1301_conf":[{"radio_0":{"enable":true,"freq":867500000},"radio_1":{"enable":true,"freq":868500000},
 "chan_multiSF_0":{"enable":true,"radio":1,"if":-400000},"chan_multiSF_1":{"enable":true,"radio":1,"if":-200000},
 "chan_multiSF_2":{"enable":true,"radio":1,"if":0},"chan_multiSF_3":{"enable":true,"radio":0,"if":-400000},
 "chan_multiSF_4":{"enable":true,"radio":0,"if":-200000},"chan_multiSF_5":{"enable":true,"radio":0,"if":0},
 "chan_multiSF_6":{"enable":true,"radio":0,"if":200000},"chan_multiSF_7":{"enable":true,"radio":0,"if":400000}}],
"MuxTime":1700000000.5}`

// lgwLNS is a scripted Basics Station LNS: discovery, router_config after
// version, every message read reported, messages to send taken from send.
type lgwLNS struct {
	srv  *httptest.Server
	msgs chan map[string]any
	send chan string
}

func newLgwLNS(t *testing.T) *lgwLNS {
	t.Helper()
	l := &lgwLNS{msgs: make(chan map[string]any, 64), send: make(chan string, 8)}
	var up websocket.Upgrader
	mux := http.NewServeMux()
	mux.HandleFunc("/router-info", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		var req map[string]any
		if err := c.ReadJSON(&req); err != nil {
			return
		}
		c.WriteJSON(map[string]any{"router": req["router"], "muxs": "muxs-test", "uri": "ws://" + r.Host + "/traffic"})
	})
	mux.HandleFunc("/traffic", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		read := make(chan map[string]any)
		go func() {
			defer close(read)
			for {
				_, b, err := c.ReadMessage()
				if err != nil {
					return
				}
				var m map[string]any
				dec := json.NewDecoder(bytes.NewReader(b))
				dec.UseNumber()
				if dec.Decode(&m) != nil {
					t.Errorf("agent sent non-JSON %q", b)
					return
				}
				read <- m
			}
		}()
		for {
			select {
			case m, ok := <-read:
				if !ok {
					return
				}
				if m["msgtype"] == "version" {
					if c.WriteMessage(websocket.TextMessage, []byte(lgwRouterConfig)) != nil {
						return
					}
				}
				l.msgs <- m
			case s := <-l.send:
				if c.WriteMessage(websocket.TextMessage, []byte(s)) != nil {
					return
				}
			case <-r.Context().Done():
				return
			}
		}
	})
	l.srv = httptest.NewServer(mux)
	t.Cleanup(l.srv.Close)
	return l
}

// next returns the next message of msgtype, skipping others.
func (l *lgwLNS) next(t *testing.T, msgtype string, logs *logWatcher) map[string]any {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case m := <-l.msgs:
			if m["msgtype"] == msgtype {
				return m
			}
		case <-deadline:
			t.Fatalf("no %s from the agent:\n%s", msgtype, logs.String())
		}
	}
}

// lgwInt reads a JSON number field as int64.
func lgwInt(t *testing.T, m map[string]any, path ...string) int64 {
	t.Helper()
	var v any = m
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: no object at %q", m, k)
		}
		v = obj[k]
	}
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s = %v, want a number", strings.Join(path, "."), v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatalf("%s = %s: %v", strings.Join(path, "."), n, err)
	}
	return i
}

// lgwFloat reads a JSON number field as float64.
func lgwFloat(t *testing.T, m map[string]any, path ...string) float64 {
	t.Helper()
	var v any = m
	for _, k := range path {
		v = v.(map[string]any)[k]
	}
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%s = %v, want a number", strings.Join(path, "."), v)
	}
	f, err := n.Float64()
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAgentOnStationSimulationSocket runs `loraedge agent --home DIR` on a
// Station home whose radio device is the socket of a simulator written for
// this test (issue 9): the agent finds the socket, connects when the LNS's
// router_config starts the radio, announces its time base; frames injected
// as receive records reach the LNS as jreq and updf with the right
// frequency, DR, RSSI, SNR and xtime; a dnmsg comes back out as a transmit
// record at the uplink's count_us + RxDelay s, and dntxed follows.
func TestAgentOnStationSimulationSocket(t *testing.T) {
	lns := newLgwLNS(t)
	dir := t.TempDir()
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	writeTestFiles(t, home, map[string]string{
		"station.conf": `{"SX1301_conf": {"lorawan_public": true, "clksrc": 1, "device": "spidev",
			"radio_0": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": true},
			"radio_1": {"type": "SX1257", "rssi_offset": -166.0, "tx_enable": false}},
			"station_conf": {"routerid": "::1", "euiprefix": "::0", "log_level": "DEBUG"}}`,
		"tc.uri": "ws://" + strings.TrimPrefix(lns.srv.URL, "http://") + "\n",
	})
	// The simulator listens before the agent starts: the home's device is
	// then a socket, and the agent attaches to it instead of simulating
	// in process.
	ln, err := net.Listen("unix", filepath.Join(home, "spidev"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	conns := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns <- c
		}
	}()

	logs := newLogWatcher()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	code := make(chan int, 1)
	go func() {
		code <- run(ctx, []string{"agent", "--home", home, "--data", filepath.Join(dir, "data")}, &bytes.Buffer{}, logs)
	}()

	var conn net.Conn
	select {
	case conn = <-conns:
	case c := <-code:
		t.Fatalf("agent exited with %d:\n%s", c, logs.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("the agent did not connect to the simulator:\n%s", logs.String())
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	buf := make([]byte, lgwsim.TxRecordSize)
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatal(err)
	}
	var tb lgwsim.TxRecord
	if err := tb.UnmarshalBinary(buf); err != nil {
		t.Fatal(err)
	}
	offset, unit, ok := tb.TimeBase()
	if !ok || unit != 0 {
		t.Fatalf("first record %+v, want a time base for unit 0", tb)
	}
	logs.waitFor(t, "radio: Basics Station simulation socket", "device="+filepath.Join(home, "spidev"))
	xticks := func() uint32 { return uint32(lgwsim.MonotonicMicros() - offset) }
	inject := func(freq uint32, sfBit uint32, rssi, snr float32, payload []byte) uint32 {
		t.Helper()
		rec := lgwsim.RxRecord{FreqHz: freq, Status: lgwsim.StatCRCOK, CountUS: xticks(), Modulation: lgwsim.ModLoRa,
			Bandwidth: lgwsim.BW125, Datarate: sfBit, Coderate: lgwsim.CRLoRa4_5, RSSI: rssi, SNR: snr,
			SNRMin: snr - 0.3, SNRMax: snr + 0.3, Payload: payload}
		b, err := rec.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
		return rec.CountUS
	}
	checkXTime := func(m map[string]any, count uint32) int64 {
		t.Helper()
		xt := lgwInt(t, m, "upinfo", "xtime")
		if uint32(xt) != count || xt>>48&0xff == 0 || xt>>56 != 0 {
			t.Errorf("xtime %#x: want count_us %#x in its low bits, a session id, unit 0", xt, count)
		}
		return xt
	}

	// A join-request (simutils.py: '<BQQHi'), SF9 on 868.3 MHz: DR3.
	jr, _ := hex.DecodeString("00" + "0807060504030201" + "1122334455667788" + "3412" + "78563412")
	jcount := inject(868_300_000, 0x08, -72.5, 6.3, jr)
	jreq := lns.next(t, "jreq", logs)
	if jreq["JoinEui"] != "01-02-03-04-05-06-07-08" || jreq["DevEui"] != "88-77-66-55-44-33-22-11" ||
		lgwInt(t, jreq, "DevNonce") != 0x1234 || lgwInt(t, jreq, "Freq") != 868_300_000 || lgwInt(t, jreq, "DR") != 3 {
		t.Errorf("jreq %v, want the frame's EUIs, DevNonce 0x1234, 868.3 MHz DR3", jreq)
	}
	// Station truncates: rssi (u1_t)-(-72.5) = 72, snr (s1_t)(6.3*4) = 25 quarters.
	if r, s := lgwFloat(t, jreq, "upinfo", "rssi"), lgwFloat(t, jreq, "upinfo", "snr"); r != -72 || s != 6.25 {
		t.Errorf("jreq rssi %v snr %v, want -72 and 6.25", r, s)
	}
	checkXTime(jreq, jcount)

	// A data uplink (simutils.py makeDF: DevAddr 1, FCnt 5, port 1), SF7 on
	// 868.1 MHz: DR5.
	df, _ := hex.DecodeString("40" + "01000000" + "00" + "0500" + "01" + "0102" + "01000000")
	ucount := inject(868_100_000, 0x02, -50, 9, df)
	updf := lns.next(t, "updf", logs)
	if lgwInt(t, updf, "DevAddr") != 1 || lgwInt(t, updf, "FCnt") != 5 || lgwInt(t, updf, "FPort") != 1 ||
		updf["FRMPayload"] != "0102" || lgwInt(t, updf, "Freq") != 868_100_000 || lgwInt(t, updf, "DR") != 5 ||
		lgwFloat(t, updf, "upinfo", "rssi") != -50 || lgwFloat(t, updf, "upinfo", "snr") != 9 {
		t.Errorf("updf %v, want DevAddr 1 FCnt 5 port 1 0102 on 868.1 MHz DR5, rssi -50, snr 9", updf)
	}
	uxt := checkXTime(updf, ucount)

	// The LNS answers in RX1, one second after the uplink.
	pdu := "60010000000000010a0b0c0d"
	lns.send <- `{"msgtype":"dnmsg","DevEui":"00-00-00-00-00-00-00-01","dC":0,"diid":7,"pdu":"` + pdu + `",
		"RxDelay":1,"RX1DR":5,"RX1Freq":868100000,"RX2DR":0,"RX2Freq":869525000,"priority":0,
		"xtime":` + strconv.FormatInt(uxt, 10) + `,"rctx":0,"MuxTime":1700000001.5}`
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatalf("no transmit record: %v\n%s", err, logs.String())
	}
	var tx lgwsim.TxRecord
	if err := tx.UnmarshalBinary(buf); err != nil {
		t.Fatal(err)
	}
	want, _ := hex.DecodeString(pdu)
	if tx.TxMode != lgwsim.TxModeTimestamped || tx.CountUS != ucount+1_000_000 || tx.FreqHz != 868_100_000 ||
		tx.Modulation != lgwsim.ModLoRa || tx.Datarate != 0x02 || tx.Bandwidth != lgwsim.BW125 ||
		tx.Coderate != lgwsim.CRLoRa4_5 || !tx.InvertPol || tx.Preamble != 8 || !tx.NoCRC || !bytes.Equal(tx.Payload, want) {
		t.Errorf("transmit record %+v\nwant timestamped at %d (uplink + 1 s), 868.1 MHz SF7BW125 4/5, inverted, preamble 8, no CRC, pdu %s",
			tx, ucount+1_000_000, pdu)
	}
	dntxed := lns.next(t, "dntxed", logs)
	if lgwInt(t, dntxed, "diid") != 7 || lgwInt(t, dntxed, "Freq") != 868_100_000 || lgwInt(t, dntxed, "DR") != 5 {
		t.Errorf("dntxed %v, want diid 7 on 868.1 MHz DR5", dntxed)
	}

	cancel()
	select {
	case c := <-code:
		if c != exitOK {
			t.Errorf("exit %d after interrupt:\n%s", c, logs.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("agent did not stop")
	}
}
