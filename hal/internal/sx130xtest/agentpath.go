package sx130xtest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/loraedge/loraedge/internal/pathtest"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// Downlink is a class A downlink the LNS sends in answer to an uplink.
type Downlink struct {
	DevEUI lorawan.EUI64
	Diid   int64
	PDU    []byte
}

// RX1Downlink has lns send dn to pathtest.Gateway in RX1 of up (one
// second after it, on its frequency and data rate; RX2 at 869.525 MHz
// DR0), waits until scheduled reports that the chip holds the frame (and
// otherwise what its TX state is), then advances clock, the model's, until
// the agent reports the frame sent, and checks the dntxed against the
// downlink.
func RX1Downlink(t *testing.T, lns *pathtest.LNS, up *station.Updf, dn Downlink, clock *Clock, scheduled func() (ok bool, state string)) *station.Dntxed {
	t.Helper()
	rx1DR, rx2DR, rx2Freq, rctx := up.DR, 0, uint32(869_525_000), int64(0)
	rx1Freq := up.Freq
	err := lns.Srv.Send(context.Background(), pathtest.Gateway, &station.Dnmsg{
		DevEUI: dn.DevEUI, DC: station.ClassA, Diid: dn.Diid, PDU: dn.PDU, RxDelay: 1,
		RX1DR: &rx1DR, RX1Freq: &rx1Freq, RX2DR: &rx2DR, RX2Freq: &rx2Freq, XTime: up.UpInfo.XTime, Rctx: &rctx,
	})
	if err != nil {
		t.Fatal(err)
	}
	// The frame is programmed and scheduled; then time passes on the
	// chip until the frame has been sent and dntxed comes back.
	deadline := time.After(pathtest.Wait)
	for {
		ok, state := scheduled()
		if ok {
			break
		}
		select {
		case <-deadline:
			t.Fatalf("the downlink was never scheduled (%s)", state)
		case <-time.After(time.Millisecond):
		}
	}
	var tx *station.Dntxed
	for tx == nil {
		select {
		case u := <-lns.Ups:
			d, ok := u.Message.(*station.Dntxed)
			if !ok {
				t.Fatalf("%T came up before dntxed", u.Message)
			}
			tx = d
		case <-deadline:
			t.Fatal("no dntxed")
		case <-time.After(2 * time.Millisecond):
			clock.Advance(20 * time.Millisecond)
		}
	}
	if at := up.UpInfo.XTime.Add(time.Second); tx.Diid != dn.Diid || tx.DevEUI != dn.DevEUI || tx.DR != rx1DR || tx.Freq != rx1Freq || tx.XTime != at {
		t.Errorf("dntxed %+v, want diid %d, %s, DR %d, %d Hz, xtime 0x%x", tx, dn.Diid, dn.DevEUI, rx1DR, rx1Freq, at)
	}
	return tx
}

// NextUpdf returns the next message the gateway sent lns, which must be
// the uplink of phy on freq at data rate dr.
func NextUpdf(t *testing.T, lns *pathtest.LNS, phy []byte, freq uint32, dr int) *station.Updf {
	t.Helper()
	up, ok := lns.Next(t).(*station.Updf)
	if !ok {
		t.Fatal("the first uplink is not an updf")
	}
	if got, err := up.PHYPayload(); err != nil || !bytes.Equal(got, phy) {
		t.Errorf("updf rebuilds % x (%v), want % x", got, err, phy)
	}
	if up.Freq != freq {
		t.Errorf("updf Freq %d, want %d", up.Freq, freq)
	}
	if up.DR != dr {
		t.Errorf("updf DR %d, want %d", up.DR, dr)
	}
	return up
}
