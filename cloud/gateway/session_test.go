package gateway

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/loraedge/loraedge/station"
)

// TestStationSession runs a whole Basics Station exchange over real TLS and
// websockets: discovery, version → router_config, every uplink type, an
// unknown message, timesync and a downlink.
func TestStationSession(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	cert := env.gatewayCert(gwEU)
	c := env.client(&cert)

	info, err := c.routerInfo("b827:ebff:fe61:51a5")
	if err != nil {
		t.Fatalf("router-info: %v", err)
	}
	wantURI := "wss://" + env.addr + "/traffic/b827ebfffe6151a5"
	if info["router"] != "b827:ebff:fe61:51a5" || info["uri"] != wantURI || info["muxs"] != "loraedge" || info["error"] != nil {
		t.Fatalf("router-info answer = %v, want router b827:ebff:fe61:51a5, muxs loraedge, uri %s", info, wantURI)
	}
	if err := station.CheckTrafficURI(wantURI); err != nil {
		t.Fatalf("Station would refuse the traffic uri: %v", err)
	}

	conn, rcRaw, err := c.traffic(info["uri"].(string))
	if err != nil {
		t.Fatalf("traffic: %v", err)
	}
	defer conn.Close()
	if err := stationAccepts(rcRaw); err != nil {
		t.Fatalf("router_config %s: Station would refuse it: %v", rcRaw, err)
	}
	msg, err := station.Decode(rcRaw)
	if err != nil {
		t.Fatal(err)
	}
	rc := msg.(*station.RouterConfig)
	if rc.Region != "EU868" || len(rc.SX130xConf) != 1 || len(rc.NetIDs) != 1 || rc.NetIDs[0][2] != 0x13 {
		t.Errorf("router_config = %+v, want EU868, one sx1301_conf, NetID [19]", rc)
	}
	if d := time.Since(rc.MuxTime.Time()); d < 0 || d > time.Minute {
		t.Errorf("MuxTime %v is not now", rc.MuxTime.Time())
	}

	// xtime above 2^53: must arrive exact.
	const xtime = int64(34621422408357864)
	uplinks := []struct {
		name  string
		raw   string
		check func(t *testing.T, m station.Message)
	}{
		{"updf", `{"msgtype":"updf","MHdr":64,"DevAddr":1,"FCtrl":0,"FCnt":1,"FOpts":"","FPort":1,"FRMPayload":"0102","MIC":1,"RefTime":1795783677.292109,"DR":5,"Freq":868100000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-50,"snr":9,"rxtime":1795783677.288253}}`,
			func(t *testing.T, m station.Message) {
				u, ok := m.(*station.Updf)
				if !ok {
					t.Fatalf("got %T", m)
				}
				if int64(u.UpInfo.XTime) != xtime || u.DevAddr != 1 || u.FCnt != 1 || u.Freq != 868100000 || string(u.FRMPayload) != "\x01\x02" {
					t.Errorf("updf = %+v", u)
				}
			}},
		{"jreq", `{"msgtype":"jreq","MHdr":0,"JoinEui":"00-00-00-00-00-00-00-01","DevEui":"01-02-03-04-05-06-07-08","DevNonce":258,"MIC":-12345,"RefTime":0,"DR":0,"Freq":868300000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-80,"snr":-3.5,"rxtime":1795783677.5}}`,
			func(t *testing.T, m station.Message) {
				j, ok := m.(*station.Jreq)
				if !ok {
					t.Fatalf("got %T", m)
				}
				if j.DevEUI.String() != "0102030405060708" || j.DevNonce != 258 || j.MIC != -12345 || int64(j.UpInfo.XTime) != xtime {
					t.Errorf("jreq = %+v", j)
				}
			}},
		{"rejoin", `{"msgtype":"rejoin","MHdr":192,"JoinEui":"00-00-00-00-00-00-00-01","DevEui":"01-02-03-04-05-06-07-08","DevNonce":1,"MIC":7,"RefTime":0,"DR":0,"Freq":868300000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-80,"snr":1,"rxtime":1795783677.5}}`,
			func(t *testing.T, m station.Message) {
				if _, ok := m.(*station.Rejoin); !ok {
					t.Fatalf("got %T", m)
				}
			}},
		{"propdf", `{"msgtype":"propdf","FRMPayload":"E0010203","RefTime":0,"DR":5,"Freq":868500000,"upinfo":{"rctx":0,"xtime":34621422408357864,"gpstime":0,"fts":-1,"rssi":-60,"snr":7,"rxtime":1795783677.6}}`,
			func(t *testing.T, m station.Message) {
				p, ok := m.(*station.Propdf)
				if !ok {
					t.Fatalf("got %T", m)
				}
				if string(p.FRMPayload) != "\xe0\x01\x02\x03" {
					t.Errorf("propdf payload = %x", p.FRMPayload)
				}
			}},
		{"dntxed", `{"msgtype":"dntxed","seqno":77,"diid":77,"DR":5,"Freq":868100000,"DevEui":"01-02-03-04-05-06-07-08","rctx":0,"xtime":34621422408357864,"txtime":1795783678.1,"gpstime":0}`,
			func(t *testing.T, m station.Message) {
				d, ok := m.(*station.Dntxed)
				if !ok {
					t.Fatalf("got %T", m)
				}
				if d.Diid != 77 || int64(d.XTime) != xtime {
					t.Errorf("dntxed = %+v", d)
				}
			}},
	}
	for _, u := range uplinks {
		t.Run(u.name, func(t *testing.T) {
			before := time.Now()
			if err := conn.WriteMessage(websocket.TextMessage, []byte(u.raw)); err != nil {
				t.Fatal(err)
			}
			up := env.waitUplink(t)
			if up.Gateway != gwEU {
				t.Errorf("uplink from %s, want %s", up.Gateway, gwEU)
			}
			if up.ReceivedAt.Before(before) || time.Since(up.ReceivedAt) > time.Minute {
				t.Errorf("ReceivedAt %v not within the test", up.ReceivedAt)
			}
			u.check(t, up.Message)
		})
	}

	// An unknown msgtype and a malformed message are logged; the
	// connection stays (the timesync below still gets its answer).
	for _, raw := range []string{`{"msgtype":"fancy_new_thing","x":1}`, `{"msgtype":"updf","DevAddr":"nope"}`} {
		if err := conn.WriteMessage(websocket.TextMessage, []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	env.logs.waitLog(t, "unknown message from gateway ignored", map[string]string{"gateway": gwEU.String()})
	env.logs.waitLog(t, "malformed message from gateway ignored", map[string]string{"gateway": gwEU.String()})

	t.Run("timesync", func(t *testing.T) {
		before := station.GPSTimeOf(time.Now())
		if err := conn.WriteMessage(websocket.TextMessage, []byte(`{"msgtype":"timesync","txtime":123456789012}`)); err != nil {
			t.Fatal(err)
		}
		m := readJSON(t, conn)
		after := station.GPSTimeOf(time.Now())
		if m["msgtype"] != "timesync" || m["txtime"] != json.Number("123456789012") {
			t.Fatalf("timesync answer = %v, want msgtype timesync, txtime 123456789012", m)
		}
		gps, err := strconv.ParseInt(string(m["gpstime"].(json.Number)), 10, 64)
		if err != nil {
			t.Fatalf("gpstime %v: %v", m["gpstime"], err)
		}
		if gps < int64(before) || gps > int64(after) {
			t.Errorf("gpstime %d not between %d and %d", gps, before, after)
		}
		if _, ok := m["MuxTime"].(json.Number); !ok {
			t.Errorf("no MuxTime in %v", m)
		}
	})

	t.Run("downlink", func(t *testing.T) {
		rx1 := 5
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		dn := &station.Dnmsg{DevEUI: [8]byte{1, 2, 3, 4, 5, 6, 7, 8}, Diid: 9, PDU: []byte{0x60, 1, 2}, RxDelay: 1, RX1DR: &rx1,
			RX1Freq: new(uint32), XTime: station.XTime(xtime), Priority: 1}
		*dn.RX1Freq = 868100000
		if err := env.srv.Send(ctx, gwEU, dn); err != nil {
			t.Fatalf("Send: %v", err)
		}
		m := readJSON(t, conn)
		if m["msgtype"] != "dnmsg" || m["xtime"] != json.Number(strconv.FormatInt(xtime, 10)) || m["pdu"] != "600102" {
			t.Errorf("downlink = %v, want dnmsg with the uplink's xtime and pdu 600102", m)
		}
	})

	t.Run("send refuses runcmd", func(t *testing.T) {
		err := env.srv.Send(context.Background(), gwEU, &station.Runcmd{Command: "reboot"})
		if err == nil {
			t.Fatal("Send(runcmd) succeeded")
		}
	})
}

func TestSendToUnconnectedGateway(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, nil)
	err := env.srv.Send(context.Background(), gwUS, &station.Timesync{GPSTime: 1})
	if err == nil {
		t.Fatal("Send to an unconnected gateway succeeded")
	}
}
