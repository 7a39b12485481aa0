package sx1301_test

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
	"github.com/loraedge/loraedge/hal/sx1301"
	"github.com/loraedge/loraedge/internal/pathtest"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
)

// The whole agent path on the modelled SX1301: the gateway agent drives
// sx1301.Dev over sx1301test's chip and talks Basics Station to the
// cloud's real LNS endpoint (cloud/gateway) over mutual-TLS websockets on
// 127.0.0.1.

const pathWait = pathtest.Wait

var pathGateway = pathtest.Gateway

func TestAgentPathOnModel(t *testing.T) {
	ca, err := pki.NewCA("sx1301 agent path CA", time.Now().Add(-time.Hour), 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	info := gateway.GatewayInfo{EUI: pathGateway, Region: "EU868"}
	lns := pathtest.StartLNS(t, ca, info)
	rc, err := gateway.BuildRouterConfig(info, gateway.RouterConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	plan := rc.SX130xConf[0]

	// A gain table whose middle row covers every EU868 downlink power
	// (16 dBm, 27 dBm in the high-power band): power index 1.
	lut := []sx1301.TxGain{{RFPower: 2, PAGain: 0, DACGain: 3, MixGain: 8}, {RFPower: 14, PAGain: 2, DACGain: 3, MixGain: 11},
		{RFPower: 30, PAGain: 3, DACGain: 3, MixGain: 15}}
	r := newRig(t, nil, nil, func(o *sx1301.Options) { o.TxGainLUT = lut })
	radio := pathtest.Recorder{Concentrator: r.dev, Got: make(chan hal.RxPacket, 8)}

	const rssiOffset = -166.0
	a, stop := pathtest.StartAgent(t, ca, lns, radio, "SX1257", rssiOffset)

	// router_config applied: radios tuned and locked, IF chains at the
	// plan's offsets, the multi-SF radio mapping given to the AGC.
	var radioMask byte
	for rf, rconf := range plan.Radios {
		if rconf == nil || !rconf.Enable {
			continue
		}
		st := r.chip.Radio(rf)
		if want := sx1301.SX125xFreqReg("SX1257", rconf.Freq); st.FreqReg != want || !st.Locked {
			t.Errorf("radio %d: PLL 0x%06x locked %v, want 0x%06x locked", rf, st.FreqReg, st.Locked, want)
		}
	}
	for i, ch := range plan.MultiSF {
		if ch == nil || !ch.Enable {
			continue
		}
		radioMask |= byte(ch.Radio&1) << i
		name := fmt.Sprintf("IF_FREQ_%d", i)
		if got, _ := r.chip.Reg(name); got != sx1301.IFFreqReg(ch.IF) {
			t.Errorf("%s = %d, want %d (if %d Hz)", name, got, sx1301.IFFreqReg(ch.IF), ch.IF)
		}
	}
	if agc := r.chip.AGC(); !agc.Done || agc.RadioSelect != radioMask {
		t.Errorf("AGC radio mapping 0x%02x (done %v), want 0x%02x", agc.RadioSelect, agc.Done, radioMask)
	}
	session := a.Stats().Session
	if session == 0 {
		t.Fatal("no xtime session after the radio started")
	}

	// An uplink in the chip's RX FIFO.
	const chain = 6
	ch := plan.MultiSF[chain]
	if ch == nil || !ch.Enable {
		t.Fatalf("the EU868 plan has no chan_multiSF_%d", chain)
	}
	wantFreq := uint32(int64(plan.Radios[ch.Radio].Freq) + int64(ch.IF))
	phy := []byte{0x80, 0x04, 0x03, 0x02, 0x01, 0x00, 0x2A, 0x00, 0x01, 0x55, 0x66, 0x11, 0x22, 0x33, 0x44}
	stamp := r.chip.Counter() - 3000 // ended 3 ms ago
	rec := sx1301.PacketRecord{Status: sx1301.StatusCRCOK, Payload: phy, IFChain: chain, SpreadingFactor: 10, CodingRate: 1,
		SNR: -22, RSSI: 44, Timestamp: stamp}
	if err := r.chip.InjectPacket(rec); err != nil {
		t.Fatal(err)
	}
	var got hal.RxPacket
	select {
	case got = <-radio.Got:
	case <-time.After(pathWait):
		t.Fatal("the driver delivered no frame")
	}
	up := sx130xtest.NextUpdf(t, lns, phy, wantFreq, pathtest.DRFor(t, rc, 10)) // SF10/125
	// RSSI: raw + rssi_offset + 35 (multi-SF), truncated as Station does.
	if want := -math.Trunc(-(44 + rssiOffset + 35)); up.UpInfo.RSSI != want {
		t.Errorf("updf RSSI %v, want %v", up.UpInfo.RSSI, want)
	}
	if want := -22.0 / 4; up.UpInfo.SNR != want {
		t.Errorf("updf SNR %v, want %v", up.UpInfo.SNR, want)
	}
	// xtime: the µs counter of the frame's end, less lgw_receive's
	// correction, in this session.
	corr := sx1301.TimestampCorrection(false, hal.BW125, 10, 1, true, len(phy))
	if got.CountUS != stamp-corr {
		t.Errorf("driver counter %d, want %d - %d", got.CountUS, stamp, corr)
	}
	if want := station.NewXTime(0, session, int64(stamp-corr)); up.UpInfo.XTime != want {
		t.Errorf("updf xtime 0x%x, want 0x%x", up.UpInfo.XTime, want)
	}

	// RX1 one second later.
	pdu := []byte{0xA0, 0x04, 0x03, 0x02, 0x01, 0x20, 0x05, 0x00, 0x01, 0x02, 0x03, 0x04}
	sx130xtest.RX1Downlink(t, lns, up, sx130xtest.Downlink{DevEUI: lorawan.EUI64{0x70, 0xb3, 0xd5, 0x7e, 0xd0, 0x05, 0x00, 0x02}, Diid: 31, PDU: pdu},
		r.clock, func() (bool, string) {
			st := r.chip.TxStatus()
			return st == 0x90, fmt.Sprintf("TX_STATUS 0x%02x", st)
		})
	rx1Freq := up.Freq

	// The TX header and registers lgw_send would have written.
	sent := r.chip.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d frames sent, want 1", len(sent))
	}
	f := sent[0]
	h := f.Header
	at := got.CountUS + 1_000_000
	delay := sx1301.TxStartDelay(false, hal.BW125)
	if h.Trigger != at-uint32(delay) || f.StartDelay != delay || f.StartUS != at || f.Immediate {
		t.Errorf("trigger %d, start delay %d, emission at %d: want count_us - %d = %d, emission at %d",
			h.Trigger, f.StartDelay, f.StartUS, delay, at-uint32(delay), at)
	}
	if want := sx1301.SX125xFreqReg("SX1257", rx1Freq) & 0x3FFFFF; h.FreqReg != want || h.RFChain != 0 {
		t.Errorf("radio %d PLL 0x%06x, want radio 0 and 0x%06x", h.RFChain, h.FreqReg, want)
	}
	if h.SpreadingFactor != 10 || h.Bandwidth != 0 || h.CodingRate != 1 || h.Preamble != 8 || !h.InvertPol || h.CRC ||
		h.ImplicitHeader || h.FSK || int(h.Size) != len(pdu) {
		t.Errorf("header %+v, want SF10 125 kHz 4/5, preamble 8, inverted, no CRC", h)
	}
	off := testCalOffsets()
	if h.PowerIndex != 1 || f.GainRow != 11+48+128 || f.OffsetI != off[3] || f.OffsetQ != off[8+3] {
		t.Errorf("power index %d gain row 0x%02x offsets %d/%d, want row 1 (0x%02x) with radio A's offsets for mixer gain 11",
			h.PowerIndex, f.GainRow, f.OffsetI, f.OffsetQ, 11+48+128)
	}
	if !bytes.Equal(f.Payload, pdu) {
		t.Errorf("payload % x, want % x", f.Payload, pdu)
	}
	stop()
	if s := a.Stats(); s.Received != 1 || s.Sent != 1 || s.Downlinks != 1 || s.TxDone != 1 || s.Dntxed != 1 {
		t.Errorf("agent stats %+v, want one frame each way and one dntxed", s)
	}
}
