package gateway

import (
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// A connected gateway whose credentials stop being valid (the gateway is
// removed, its certificate is no longer among the allowed ones after a
// rotation, its token is revoked) is cut off within a ping interval, with a
// log line saying why, instead of staying connected on credentials the
// endpoint would refuse now.
func TestRevokedGatewayCutOff(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		dial   func(env *testEnv) (*websocket.Conn, error)
		revoke func(env *testEnv)
		reason string
	}{
		{
			name: "gateway removed",
			dial: func(env *testEnv) (*websocket.Conn, error) {
				cert := env.gatewayCert(gwEU)
				conn, _, err := env.client(&cert).traffic("/traffic/" + gwEU.String())
				return conn, err
			},
			revoke: func(env *testEnv) { env.reg.remove(gwEU) },
			reason: reasonUnknownGW,
		},
		{
			name: "certificate no longer allowed",
			dial: func(env *testEnv) (*websocket.Conn, error) {
				cert := env.gatewayCert(gwEU)
				conn, _, err := env.client(&cert).traffic("/traffic/" + gwEU.String())
				return conn, err
			},
			revoke: func(env *testEnv) {
				other := env.gatewayCert(gwEU)
				env.reg.put(GatewayInfo{EUI: gwEU, Region: "EU868", CertFingerprints: []string{CertFingerprint(other.Certificate[0])}})
			},
			reason: reasonNotListed,
		},
		{
			name: "token revoked",
			dial: func(env *testEnv) (*websocket.Conn, error) {
				conn, _, err := env.tokenClient(testToken).traffic("/traffic/" + gwToken.String())
				return conn, err
			},
			revoke: func(env *testEnv) { env.reg.put(GatewayInfo{EUI: gwToken, Region: "EU868"}) },
			reason: reasonNoToken,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			env := newTestEnv(t, func(o *Options) {
				o.PingInterval = 20 * time.Millisecond
				o.IdleTimeout = time.Minute
			})
			conn, err := tt.dial(env)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The gateway answers pings, so only the revocation can end
			// the session.
			pings := make(chan struct{}, 1000)
			conn.SetPingHandler(func(data string) error {
				pings <- struct{}{}
				return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
			})
			closed := make(chan error, 1)
			go func() {
				for {
					if _, _, err := conn.ReadMessage(); err != nil {
						closed <- err
						return
					}
				}
			}()
			// Alive through several pings (and their checks) first.
			for range 3 {
				select {
				case <-pings:
				case err := <-closed:
					t.Fatalf("closed before the revocation: %v", err)
				case <-time.After(5 * time.Second):
					t.Fatal("no ping")
				}
			}
			tt.revoke(env)
			select {
			case err := <-closed:
				if !websocket.IsCloseError(err, websocket.ClosePolicyViolation) {
					t.Errorf("closed with %v, want close code %d", err, websocket.ClosePolicyViolation)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("still connected 5 s after the revocation")
			}
			env.logs.waitLog(t, "gateway refused", map[string]string{"stage": "recheck", "reason": tt.reason})
		})
	}
}
