package sx1302_test

import (
	"bytes"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/gateway"
	"github.com/loraedge/loraedge/cloud/pki"
	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
	"github.com/loraedge/loraedge/hal/sx1302"
	"github.com/loraedge/loraedge/internal/pathtest"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// The whole agent path on the modelled SX1302: the gateway agent drives
// sx1302.Dev over sx1302test's chip and talks Basics Station to the
// cloud's real LNS endpoint (cloud/gateway) over mutual-TLS websockets on
// 127.0.0.1.

const pathWait = pathtest.Wait

var pathGateway = pathtest.Gateway

func TestAgentPathOnModel(t *testing.T) {
	ca, err := pki.NewCA("sx1302 agent path CA", time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	info := gateway.GatewayInfo{EUI: pathGateway, Region: "EU868"}
	lns := pathtest.StartLNS(t, ca, info)
	// What the endpoint sends this gateway, computed the same way, gives
	// the channel plan the radio must end up with.
	rc, err := gateway.BuildRouterConfig(info, gateway.RouterConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := rc.SX130xConf[0]

	// A gain table whose middle row covers every EU868 downlink power
	// (16 dBm, 27 dBm in the high-power band): power index 17.
	lut := []sx1302.TxGain{{RFPower: 2, PwrIdx: 1}, {RFPower: 14, PwrIdx: 17}, {RFPower: 30, PAGain: 1, PwrIdx: 22}}
	r := newRig(t, nil, func(o *sx1302.Options) { o.TxGainLUT[0] = lut })
	radio := pathtest.Recorder{Concentrator: r.dev, Got: make(chan hal.RxPacket, 8)}

	const rssiOffset = -215.4
	a, stop := pathtest.StartAgent(t, ca, lns, radio, "SX1250", rssiOffset)

	// router_config applied: the radios are tuned to the plan's centre
	// frequencies and receiving, the IF chains sit at the plan's offsets.
	var radioMask int32
	for rf, rconf := range plan.Radios {
		if rconf == nil || !rconf.Enable {
			continue
		}
		st := r.chip.Radio(rf)
		if want := sx1302.SX1250FreqReg(rconf.Freq); st.FreqReg != want || st.Mode != 5 {
			t.Errorf("radio %d: frequency register 0x%08x mode %d, want 0x%08x in RX (5)", rf, st.FreqReg, st.Mode, want)
		}
	}
	for i, ch := range plan.MultiSF {
		if ch == nil || !ch.Enable {
			continue
		}
		radioMask |= int32(ch.Radio&1) << i
		f := sx1302.IFFreqReg(ch.IF)
		for _, reg := range []struct {
			name string
			want int32
		}{
			{fmt.Sprintf("RX_TOP_FREQ_%d_MSB_IF_FREQ_%d", i, i), f >> 8 & 0x1F},
			{fmt.Sprintf("RX_TOP_FREQ_%d_LSB_IF_FREQ_%d", i, i), f & 0xFF},
		} {
			got, err := r.chip.Reg(reg.name)
			if err != nil {
				t.Fatal(err)
			}
			if got != reg.want {
				t.Errorf("%s = %d, want %d (if %d Hz)", reg.name, got, reg.want, ch.IF)
			}
		}
	}
	if got, _ := r.chip.Reg("RX_TOP_RADIO_SELECT_RADIO_SELECT"); got != radioMask {
		t.Errorf("RADIO_SELECT = 0x%02x, want 0x%02x", got, radioMask)
	}
	session := a.Stats().Session
	if session == 0 {
		t.Fatal("no xtime session after the radio started")
	}

	// An uplink put in the chip's RX buffer.
	const chain = 2
	ch := plan.MultiSF[chain]
	if ch == nil || !ch.Enable {
		t.Fatalf("the EU868 plan has no chan_multiSF_%d", chain)
	}
	wantFreq := uint32(int64(plan.Radios[ch.Radio].Freq) + int64(ch.IF))
	phy := []byte{0x40, 0x04, 0x03, 0x02, 0x01, 0x80, 0x07, 0x00, 0x0A, 0xDE, 0xAD, 0xBE, 0xEF, 0x11, 0x22, 0x33, 0x44}
	stamp := r.chip.Counter() - 32*4000 // ended 4 ms ago, in 32 MHz ticks
	rec := sx1302.PacketRecord{Channel: chain, CRCEnabled: true, CodingRate: 1, SpreadingFactor: 9, ModemID: 4,
		Payload: phy, SNR: 27, RSSIChan: 120, RSSISignal: 118, Timestamp: stamp, CRC16: sx1302.PayloadCRC(phy)}
	if err := r.chip.InjectRecord(rec); err != nil {
		t.Fatal(err)
	}
	var got hal.RxPacket
	select {
	case got = <-radio.Got:
	case <-time.After(pathWait):
		t.Fatal("the driver delivered no frame")
	}
	up := sx130xtest.NextUpdf(t, lns, phy, wantFreq, pathtest.DRFor(t, rc, 9)) // SF9/125
	// RSSI: the signal RSSI byte plus the board's rssi_offset, as Station
	// writes it (truncated toward zero); SNR: the record's quarter dB.
	if want := -math.Trunc(-(118 + rssiOffset)); up.UpInfo.RSSI != want {
		t.Errorf("updf RSSI %v, want %v", up.UpInfo.RSSI, want)
	}
	if want := 27.0 / 4; up.UpInfo.SNR != want {
		t.Errorf("updf SNR %v, want %v", up.UpInfo.SNR, want)
	}
	// xtime: this session, the driver's widened counter value, which is
	// the record's 32 MHz stamp in µs less the demodulator delay.
	wantXT := station.NewXTime(0, session, int64(got.CountUS))
	if up.UpInfo.XTime != wantXT {
		t.Errorf("updf xtime 0x%x, want 0x%x (session %d, counter %d)", up.UpInfo.XTime, wantXT, session, got.CountUS)
	}
	if d := int32(stamp/32 - got.CountUS); d <= 0 || d > 200_000 {
		t.Errorf("counter %d µs for a frame stamped %d µs: correction %d µs out of range", got.CountUS, stamp/32, d)
	}

	// The LNS answers in RX1, one second after the uplink.
	pdu := []byte{0x60, 0x04, 0x03, 0x02, 0x01, 0x20, 0x01, 0x00, 0x9A, 0x8B, 0x7C, 0x6D}
	sx130xtest.RX1Downlink(t, lns, up, sx130xtest.Downlink{DevEUI: lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x05, 0x00, 0x01}, Diid: 4242, PDU: pdu},
		r.clock, func() (bool, string) {
			st := r.chip.TxState(0)
			return st == 0x91, fmt.Sprintf("radio A state 0x%02x", st)
		})
	rx1Freq := up.Freq
	at := got.CountUS + 1_000_000

	// The TX registers the driver programmed for it.
	sent := r.chip.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d frames sent, want 1", len(sent))
	}
	f := sent[0]
	delay := sx1302.TxStartDelay(hal.BW125, 9)
	if want := at*32 - uint32(delay); f.Trigger != want || f.StartDelay != delay || f.Immediate {
		t.Errorf("trigger %d start delay %d immediate %v, want trigger count_us·32 - delay = %d, delay %d, timestamped",
			f.Trigger, f.StartDelay, f.Immediate, want, delay)
	}
	if f.StartTick != at*32 {
		t.Errorf("emission began at tick %d, want %d (uplink + 1 s)", f.StartTick, at*32)
	}
	if f.RFChain != 0 || f.FreqReg != sx1302.SX1302FreqReg(rx1Freq) {
		t.Errorf("radio %d frequency register 0x%06x, want radio 0 and 0x%06x (%d Hz)", f.RFChain, f.FreqReg, sx1302.SX1302FreqReg(rx1Freq), rx1Freq)
	}
	if f.SpreadingFactor != 9 || f.Bandwidth != hal.BW125 || f.CodeRate != 1 || f.Preamble != 8 ||
		!f.InvertPol || f.CRC || f.ImplicitHeader || f.Aborted {
		t.Errorf("frame settings %+v, want SF9 125 kHz 4/5, preamble 8, inverted, no CRC, explicit header", f)
	}
	if f.PowerReg != 17 {
		t.Errorf("power register %d, want 17 (LUT row 14 dBm)", f.PowerReg)
	}
	if !bytes.Equal(f.Payload, pdu) {
		t.Errorf("payload % x, want % x", f.Payload, pdu)
	}
	// Counters are final once Run has returned.
	stop()
	if s := a.Stats(); s.Received != 1 || s.Sent != 1 || s.Downlinks != 1 || s.TxDone != 1 || s.Dntxed != 1 {
		t.Errorf("agent stats %+v, want one frame each way and one dntxed", s)
	}
}
