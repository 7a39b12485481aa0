package mac_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/loraedge/loraedge/cloud/mac"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

func region(t testing.TB, name string) *lorawan.Region {
	t.Helper()
	r, err := lorawan.RegionByName(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func handler(t testing.TB, opts mac.Options) *mac.Handler {
	t.Helper()
	h, err := mac.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// cmds encodes uplink MAC commands.
func cmds(t testing.TB, ps ...lorawan.MACCommandPayload) []byte {
	t.Helper()
	var list []lorawan.MACCommand
	for _, p := range ps {
		list = append(list, lorawan.MACCommand{CID: p.CID(), Payload: p})
	}
	b, err := lorawan.AppendMACCommands(nil, list...)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// answers decodes the downlink commands of a result.
func answers(t testing.TB, b []byte) []lorawan.MACCommand {
	t.Helper()
	got, err := lorawan.ParseMACCommands(b, false)
	if err != nil {
		t.Fatalf("answers %x: %v", b, err)
	}
	return got
}

var received = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestLinkCheck(t *testing.T) {
	t.Parallel()
	h := handler(t, mac.Options{})
	eu := region(t, "EU868")
	tests := []struct {
		name string
		dr   int
		snrs []float64
		want lorawan.LinkCheckAns
	}{
		{"SF7 two gateways", 5, []float64{5, -2}, lorawan.LinkCheckAns{Margin: 12, GwCnt: 2}},      // 5 − (−7.5)
		{"SF12 one gateway", 0, []float64{-19.25}, lorawan.LinkCheckAns{Margin: 0, GwCnt: 1}},      // 0.75 → 0
		{"SF12 strong", 0, []float64{-3, 8.5}, lorawan.LinkCheckAns{Margin: 28, GwCnt: 2}},         // 8.5 + 20
		{"below floor", 3, []float64{-20}, lorawan.LinkCheckAns{Margin: 0, GwCnt: 1}},              // SF9 −12.5
		{"FSK", 7, []float64{12.3}, lorawan.LinkCheckAns{Margin: 12, GwCnt: 1}},                    // no floor
		{"three gateways SF9", 3, []float64{-1, 0, 1}, lorawan.LinkCheckAns{Margin: 13, GwCnt: 3}}, // 1 + 12.5
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := &mac.Uplink{Region: eu, DR: tc.dr, Freq: 868100000, FCnt: 1, ReceivedAt: received,
				Commands: cmds(t, &lorawan.LinkCheckReq{})}
			for _, s := range tc.snrs {
				up.Receptions = append(up.Receptions, mac.Reception{SNR: s})
			}
			sess := &store.Session{}
			res := h.Handle(sess, up, nil)
			if res.Err != nil {
				t.Fatal(res.Err)
			}
			got := answers(t, res.Answers)
			if len(got) != 1 {
				t.Fatalf("answers %v, want one LinkCheckAns", got)
			}
			if a := *got[0].Payload.(*lorawan.LinkCheckAns); a != tc.want {
				t.Errorf("got %+v, want %+v", a, tc.want)
			}
			if res.Changed {
				t.Error("LinkCheckReq changed the session")
			}
		})
	}
}

func TestDeviceTime(t *testing.T) {
	t.Parallel()
	h := handler(t, mac.Options{})
	eu := region(t, "EU868")
	rxTime := time.Date(2025, 3, 1, 11, 59, 59, 500_000_000, time.UTC)
	// 1425384018 s + 0.75 s: 0.75 × 256 = 192.
	gps := station.GPSTime(1425384018_750_000)
	tests := []struct {
		name string
		rs   []mac.Reception
		want lorawan.DeviceTimeAns
	}{
		{"gateway gps time", []mac.Reception{{SNR: 1}, {SNR: 0, GPSTime: gps}}, lorawan.DeviceTimeAns{Seconds: 1425384018, Fraction: 192}},
		{"gateway rx time", []mac.Reception{{SNR: 1, RxTime: rxTime}}, deviceTimeOf(station.GPSTimeOf(rxTime))},
		{"cloud reception time", []mac.Reception{{SNR: 1}}, deviceTimeOf(station.GPSTimeOf(received))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := &mac.Uplink{Region: eu, DR: 5, FCnt: 9, Receptions: tc.rs, ReceivedAt: received,
				Commands: cmds(t, &lorawan.DeviceTimeReq{})}
			res := h.Handle(&store.Session{}, up, nil)
			got := answers(t, res.Answers)
			if len(got) != 1 {
				t.Fatalf("answers %v, want one DeviceTimeAns", got)
			}
			if a := *got[0].Payload.(*lorawan.DeviceTimeAns); a != tc.want {
				t.Errorf("got %+v, want %+v", a, tc.want)
			}
		})
	}
	// The GPS time of a UTC instant counts the leap seconds: 18 s today.
	if got, want := deviceTimeOf(station.GPSTimeOf(received)).Seconds, uint32(received.Unix()-315964800+18); got != want {
		t.Errorf("GPS seconds of %v: got %d, want %d", received, got, want)
	}
}

func deviceTimeOf(g station.GPSTime) lorawan.DeviceTimeAns {
	us := int64(g)
	return lorawan.DeviceTimeAns{Seconds: uint32(us / 1e6), Fraction: uint8(us % 1e6 * 256 / 1e6)}
}

func TestRekeyResetAndSticky(t *testing.T) {
	t.Parallel()
	h := handler(t, mac.Options{})
	eu := region(t, "EU868")
	up := func(c []byte) *mac.Uplink {
		return &mac.Uplink{Region: eu, DR: 5, FCnt: 3, Receptions: []mac.Reception{{SNR: 3}}, ReceivedAt: received, Commands: c}
	}
	t.Run("RekeyInd 1.1", func(t *testing.T) {
		res := h.Handle(&store.Session{MACVersion: lorawan.MACVersion1_1}, up(cmds(t, &lorawan.RekeyInd{Minor: 1})), nil)
		got := answers(t, res.Answers)
		if len(got) != 1 || *got[0].Payload.(*lorawan.RekeyConf) != (lorawan.RekeyConf{Minor: 1}) {
			t.Errorf("answers %v, want RekeyConf{1}", got)
		}
	})
	t.Run("RekeyInd 1.0 session", func(t *testing.T) {
		res := h.Handle(&store.Session{MACVersion: lorawan.MACVersion1_0}, up(cmds(t, &lorawan.RekeyInd{Minor: 1})), nil)
		if len(res.Answers) != 0 {
			t.Errorf("answers %x to a 1.0 session, want none", res.Answers)
		}
	})
	t.Run("ResetInd", func(t *testing.T) {
		sess := &store.Session{MACVersion: lorawan.MACVersion1_1, RX1DROffset: 2, RX2DR: 3, RX2Frequency: 869525000, RxDelay: 5}
		st := mac.State{TXPower: 4, NbTrans: 2}
		var err error
		if sess.MACState, err = st.MarshalBinary(); err != nil {
			t.Fatal(err)
		}
		res := h.Handle(sess, up(cmds(t, &lorawan.ResetInd{Minor: 1})), nil)
		got := answers(t, res.Answers)
		if len(got) != 1 || *got[0].Payload.(*lorawan.ResetConf) != (lorawan.ResetConf{Minor: 1}) {
			t.Errorf("answers %v, want ResetConf{1}", got)
		}
		if !res.Changed || sess.RX1DROffset != 0 || sess.RX2DR != 0 || sess.RX2Frequency != 0 || sess.RxDelay != 0 {
			t.Errorf("after ResetInd: changed %v, session %+v; want the region's defaults", res.Changed, sess)
		}
		var after mac.State
		if err := after.UnmarshalBinary(sess.MACState); err != nil || after.TXPower != 0 || after.NbTrans != 1 {
			t.Errorf("state after ResetInd %+v (%v), want a fresh one", after, err)
		}
	})
	t.Run("RXParamSetupAns applies the pending request", func(t *testing.T) {
		sess := &store.Session{MACVersion: lorawan.MACVersion1_0}
		st := mac.State{NbTrans: 1, RXParam: &mac.RXParamRequest{RX1DROffset: 1, RX2DR: 3, RX2Frequency: 869525000}}
		sess.MACState, _ = st.MarshalBinary()
		res := h.Handle(sess, up(cmds(t, &lorawan.RXParamSetupAns{RX1DROffsetACK: true, RX2DataRateACK: true, ChannelACK: true})), nil)
		if !res.NeedDownlink || !res.Changed {
			t.Errorf("NeedDownlink %v Changed %v, want both", res.NeedDownlink, res.Changed)
		}
		if sess.RX1DROffset != 1 || sess.RX2DR != 3 || sess.RX2Frequency != 869525000 {
			t.Errorf("session %+v, want RX1DROffset 1 RX2DR 3 RX2Frequency 869525000", sess)
		}
		// Repeated (sticky) answer with nothing pending: still wants a downlink, changes nothing.
		res = h.Handle(sess, up(cmds(t, &lorawan.RXParamSetupAns{RX1DROffsetACK: true, RX2DataRateACK: true, ChannelACK: true})), nil)
		if !res.NeedDownlink || res.Changed {
			t.Errorf("repeat: NeedDownlink %v Changed %v, want true false", res.NeedDownlink, res.Changed)
		}
	})
	t.Run("RXTimingSetupAns", func(t *testing.T) {
		sess := &store.Session{}
		d := uint8(3)
		st := mac.State{NbTrans: 1, RXTiming: &d}
		sess.MACState, _ = st.MarshalBinary()
		res := h.Handle(sess, up(cmds(t, &lorawan.RXTimingSetupAns{})), nil)
		if sess.RxDelay != 3 || !res.Changed || !res.NeedDownlink {
			t.Errorf("RxDelay %d changed %v need %v, want 3 true true", sess.RxDelay, res.Changed, res.NeedDownlink)
		}
	})
	t.Run("DevStatusAns", func(t *testing.T) {
		sess := &store.Session{}
		res := h.Handle(sess, up(cmds(t, &lorawan.DevStatusAns{Battery: 200, Margin: -3})), nil)
		var st mac.State
		if err := st.UnmarshalBinary(sess.MACState); err != nil {
			t.Fatal(err)
		}
		if !res.Changed || !st.HaveStatus || st.Battery != 200 || st.Margin != -3 {
			t.Errorf("state %+v changed %v, want battery 200 margin -3", st, res.Changed)
		}
	})
	t.Run("unknown command stops reading", func(t *testing.T) {
		c := append(cmds(t, &lorawan.LinkCheckReq{}), 0x7f, 0x01)
		res := h.Handle(&store.Session{}, up(c), nil)
		if !errors.Is(res.Err, lorawan.ErrUnknownMACCommand) {
			t.Errorf("err %v, want ErrUnknownMACCommand", res.Err)
		}
		if got := answers(t, res.Answers); len(got) != 1 || got[0].CID != lorawan.CIDLinkCheck {
			t.Errorf("answers %v, want the LinkCheckAns before the unknown command", got)
		}
	})
	t.Run("ADRACKReq wants a downlink", func(t *testing.T) {
		u := up(nil)
		u.ADRACKReq = true
		if res := h.Handle(&store.Session{}, u, nil); !res.NeedDownlink || len(res.Answers) != 0 {
			t.Errorf("NeedDownlink %v answers %x, want true and none", res.NeedDownlink, res.Answers)
		}
	})
}

// adrRun feeds n ADR uplinks with the given SNR and returns the last result.
func adrRun(t *testing.T, h *mac.Handler, sess *store.Session, up mac.Uplink, first uint32, n int, snr float64) mac.Result {
	t.Helper()
	var res mac.Result
	for i := range n {
		u := up
		u.ADR = true
		u.FCnt = first + uint32(i)
		u.Receptions = []mac.Reception{{SNR: snr - 3}, {SNR: snr}}
		res = h.Handle(sess, &u, nil)
		if res.Err != nil {
			t.Fatal(res.Err)
		}
		if i < n-1 && res.ADRRequested {
			t.Fatalf("LinkADRReq after %d uplinks, before the history was full", i+1)
		}
	}
	return res
}

func TestADR(t *testing.T) {
	t.Parallel()
	eu, us, as := region(t, "EU868"), region(t, "US915"), region(t, "AS923-1")
	cf := lorawan.CFList{Type: lorawan.CFListFrequencies, Frequencies: [5]uint32{867100000, 867300000, 867500000, 867700000, 867900000}}
	cfBytes, err := cf.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		region  *lorawan.Region
		dr      int
		freq    uint32
		snr     float64
		state   mac.State
		cfList  []byte
		opts    mac.Options
		want    []lorawan.LinkADRReq // nil: no request
		wantLen int
	}{
		{
			// 10 − (−20) − 10 = 20 dB: 6 steps, DR0→DR5 then one power step.
			name: "EU868 strong from SF12", region: eu, dr: 0, freq: 868100000, snr: 10,
			want: []lorawan.LinkADRReq{{DataRate: 5, TXPower: 1, ChMask: 0x0007, NbTrans: 1}},
		},
		{
			name: "EU868 with CFList channels", region: eu, dr: 0, freq: 868100000, snr: 10, cfList: cfBytes,
			want: []lorawan.LinkADRReq{{DataRate: 5, TXPower: 1, ChMask: 0x00ff, NbTrans: 1}},
		},
		{
			// −2 − (−7.5) − 10 = −4.5 dB: one step back up in power.
			name: "EU868 weak at SF7 raises power", region: eu, dr: 5, freq: 868300000, snr: -2,
			state: mac.State{TXPower: 3, NbTrans: 1},
			want:  []lorawan.LinkADRReq{{DataRate: 5, TXPower: 2, ChMask: 0x0007, NbTrans: 1}},
		},
		{
			// 3 − (−20) − 10 = 13 dB: 4 steps, DR0→DR4.
			name: "EU868 margin for four steps", region: eu, dr: 0, freq: 868500000, snr: 3,
			want: []lorawan.LinkADRReq{{DataRate: 4, TXPower: 0, ChMask: 0x0007, NbTrans: 1}},
		},
		{
			name: "EU868 nothing to change", region: eu, dr: 5, freq: 868100000, snr: 2.5, // 0 steps
		},
		{
			name: "EU868 installation margin 20", region: eu, dr: 0, freq: 868100000, snr: 10,
			opts: mac.Options{InstallationMargin: 20}, // 10 dB: 3 steps
			want: []lorawan.LinkADRReq{{DataRate: 3, TXPower: 0, ChMask: 0x0007, NbTrans: 1}},
		},
		{
			// Sub-band 2 (904.1 MHz is channel 9): 500 kHz channel 65, then 125 kHz block 0 channels 8..15.
			// US915 DR0 is SF10: 10 − (−15) − 10 = 15: 5 steps, DR0→DR3 then two power steps.
			name: "US915 sub-band 2", region: us, dr: 0, freq: 904100000, snr: 10,
			want: []lorawan.LinkADRReq{
				{DataRate: 3, TXPower: 2, ChMaskCntl: 7, ChMask: 0x0002, NbTrans: 1},
				{DataRate: 3, TXPower: 2, ChMaskCntl: 0, ChMask: 0xff00, NbTrans: 1},
			},
		},
		{
			// Sub-band 5 (909.1 MHz is channel 34): 500 kHz channel 68, block 2 channels 32..39.
			name: "US915 sub-band 5", region: us, dr: 2, freq: 909100000, snr: 3, // DR2 is SF8: 3 + 10 − 10 = 3: one step
			want: []lorawan.LinkADRReq{
				{DataRate: 3, TXPower: 0, ChMaskCntl: 7, ChMask: 0x0010, NbTrans: 1},
				{DataRate: 3, TXPower: 0, ChMaskCntl: 2, ChMask: 0x00ff, NbTrans: 1},
			},
		},
		{
			name: "AS923-1 default channels", region: as, dr: 2, freq: 923200000, snr: 5, // 5 + 15 − 10 = 10: 3 steps
			want: []lorawan.LinkADRReq{{DataRate: 5, TXPower: 0, ChMask: 0x0003, NbTrans: 1}},
		},
		{
			name: "ADR disabled", region: eu, dr: 0, freq: 868100000, snr: 10, opts: mac.Options{DisableADR: true},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := handler(t, tc.opts)
			sess := &store.Session{CFList: tc.cfList}
			if tc.state.NbTrans != 0 {
				sess.MACState, _ = tc.state.MarshalBinary()
			}
			res := adrRun(t, h, sess, mac.Uplink{Region: tc.region, DR: tc.dr, Freq: tc.freq, ReceivedAt: received}, 100, mac.DefaultADRHistory, tc.snr)
			var got []lorawan.LinkADRReq
			for _, c := range answers(t, res.Answers) {
				got = append(got, *c.Payload.(*lorawan.LinkADRReq))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("LinkADRReq %+v, want %+v", got, tc.want)
			}
			if res.ADRRequested != (tc.want != nil) {
				t.Errorf("ADRRequested %v", res.ADRRequested)
			}
			if tc.opts.DisableADR && res.Changed {
				t.Error("ADR disabled yet the session changed")
			}
		})
	}
}

func TestADRAnswers(t *testing.T) {
	t.Parallel()
	eu := region(t, "EU868")
	h := handler(t, mac.Options{})
	base := mac.Uplink{Region: eu, DR: 0, Freq: 868100000, ReceivedAt: received}

	t.Run("accepted", func(t *testing.T) {
		sess := &store.Session{}
		res := adrRun(t, h, sess, base, 0, 20, 10)
		if !res.ADRRequested {
			t.Fatal("no LinkADRReq")
		}
		// The next uplink, before any answer, asks nothing again.
		res = adrRun(t, h, sess, base, 20, 1, 10)
		if res.ADRRequested {
			t.Fatal("LinkADRReq repeated while one is pending")
		}
		u := base
		u.DR, u.FCnt, u.ADR = 5, 21, true
		u.Receptions = []mac.Reception{{SNR: 5}}
		u.Commands = cmds(t, &lorawan.LinkADRAns{PowerACK: true, DataRateACK: true, ChannelMaskACK: true})
		res = h.Handle(sess, &u, nil)
		var st mac.State
		if err := st.UnmarshalBinary(sess.MACState); err != nil {
			t.Fatal(err)
		}
		if st.ADR != nil || st.TXPower != 1 || st.NbTrans != 1 {
			t.Errorf("state after LinkADRAns %+v, want TXPower 1, nothing pending", st)
		}
		if res.ADRRequested {
			t.Error("new LinkADRReq right after the answer")
		}
	})
	t.Run("refused", func(t *testing.T) {
		sess := &store.Session{}
		adrRun(t, h, sess, base, 0, 20, 10)
		u := base
		u.FCnt, u.ADR = 20, true
		u.Receptions = []mac.Reception{{SNR: 10}}
		u.Commands = cmds(t, &lorawan.LinkADRAns{PowerACK: true, DataRateACK: false, ChannelMaskACK: true})
		res := h.Handle(sess, &u, nil)
		var st mac.State
		if err := st.UnmarshalBinary(sess.MACState); err != nil {
			t.Fatal(err)
		}
		if st.ADR != nil || st.TXPower != 0 {
			t.Errorf("state after refusal %+v, want nothing applied", st)
		}
		if res.ADRRequested {
			t.Error("LinkADRReq right after a refusal")
		}
		// Asked again only after the holdoff.
		var asked int
		for i := range mac.DefaultADRHoldoff + 1 {
			r := adrRun(t, h, sess, base, 21+uint32(i), 1, 10)
			if r.ADRRequested {
				asked = i + 1
				break
			}
		}
		// The refusing uplink counts as the first of the holdoff.
		if asked != mac.DefaultADRHoldoff {
			t.Errorf("asked again after %d uplinks, want %d", asked, mac.DefaultADRHoldoff)
		}
	})
	t.Run("lost request is sent again", func(t *testing.T) {
		sess := &store.Session{}
		adrRun(t, h, sess, base, 0, 20, 10)
		var asked int
		for i := range 5 {
			if r := adrRun(t, h, sess, base, 20+uint32(i), 1, 10); r.ADRRequested {
				asked = i + 1
				break
			}
		}
		// Sent at FCnt 19; forgotten at FCnt 19+3.
		if asked != mac.DefaultADRResendAfter {
			t.Errorf("sent again after %d uplinks, want %d", asked, mac.DefaultADRResendAfter)
		}
	})
	t.Run("frame loss raises NbTrans", func(t *testing.T) {
		sess := &store.Session{}
		// Every fourth counter missing: 25 % loss.
		var res mac.Result
		fcnt := uint32(0)
		for range 20 {
			u := base
			u.DR, u.ADR, u.FCnt = 5, true, fcnt
			u.Receptions = []mac.Reception{{SNR: 2.5}} // no margin: 0 steps
			res = h.Handle(sess, &u, nil)
			fcnt++
			if fcnt%4 == 3 {
				fcnt++
			}
		}
		got := answers(t, res.Answers)
		if len(got) != 1 || got[0].Payload.(*lorawan.LinkADRReq).NbTrans != 2 {
			t.Errorf("answers %v, want LinkADRReq with NbTrans 2", got)
		}
	})
}

func TestStateRoundTrip(t *testing.T) {
	t.Parallel()
	d := uint8(2)
	states := []mac.State{
		{NbTrans: 1},
		{
			TXPower: 3, NbTrans: 2, ADRHoldoff: 4,
			History:    []mac.Sample{{FCnt: 1 << 20, MaxSNR: -7.25, GwCnt: 2}, {FCnt: 1<<20 + 1, MaxSNR: 9.5, GwCnt: 1}, {FCnt: 1<<20 + 300, MaxSNR: -32, GwCnt: 255}},
			ADR:        &mac.PendingADR{DR: 5, TXPower: 3, NbTrans: 2, SentFCnt: 77},
			RXParam:    &mac.RXParamRequest{RX1DROffset: 2, RX2DR: 3, RX2Frequency: 869525000},
			RXTiming:   &d,
			NewChannel: &mac.ChannelRequest{Index: 3, Frequency: 867100000, MinDR: 0, MaxDR: 5},
			DlChannel:  &mac.ChannelRequest{Index: 4, Frequency: 868900000},
			HaveStatus: true, Battery: 254, Margin: -20,
		},
	}
	for i, st := range states {
		b, err := st.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		var got mac.State
		if err := got.UnmarshalBinary(b); err != nil {
			t.Fatalf("state %d: %v", i, err)
		}
		if !reflect.DeepEqual(got, st) {
			t.Errorf("state %d: got %+v, want %+v", i, got, st)
		}
	}
	// 20 samples stay small.
	st := mac.State{NbTrans: 1}
	for i := range 20 {
		st.History = append(st.History, mac.Sample{FCnt: uint32(1000 + i), MaxSNR: float64(i) / 4, GwCnt: 1})
	}
	b, _ := st.MarshalBinary()
	if len(b) > 70 {
		t.Errorf("20-sample state is %d bytes, want at most 70", len(b))
	}
	for _, bad := range [][]byte{{2}, {1, 0x80, 0, 1, 0, 0}, {1, 0, 0, 1, 0}, {1, 0, 0, 0, 0, 0}, {1, 0, 0, 1, 0, 1, 1, 2}} {
		var s mac.State
		if err := s.UnmarshalBinary(bad); err == nil {
			t.Errorf("state %x decoded without error", bad)
		}
	}
}

func FuzzState(f *testing.F) {
	d := uint8(2)
	full := mac.State{TXPower: 3, NbTrans: 2, History: []mac.Sample{{FCnt: 5, MaxSNR: 1}, {FCnt: 9, MaxSNR: -3}},
		ADR: &mac.PendingADR{DR: 1}, RXTiming: &d, HaveStatus: true}
	b, _ := full.MarshalBinary()
	f.Add(b)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var s mac.State
		if err := s.UnmarshalBinary(in); err != nil {
			return
		}
		out, err := s.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded state does not encode: %v", err)
		}
		var again mac.State
		if err := again.UnmarshalBinary(out); err != nil {
			t.Fatalf("re-encoded state %x does not decode: %v", out, err)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip: %+v, want %+v", again, s)
		}
	})
}
