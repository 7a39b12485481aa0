package lorawan_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// macCases holds one frame of every MAC command in both directions (CID
// first), with its decoded payload. name is the command's specification name.
var macCases = []struct {
	name   string
	uplink bool
	hex    string
	want   lorawan.MACCommandPayload
}{
	// Uplink: device to network.
	{"ResetInd", true, "01 01", &lorawan.ResetInd{Minor: 1}},
	{"LinkCheckReq", true, "02", &lorawan.LinkCheckReq{}},
	{"LinkADRAns", true, "03 07", &lorawan.LinkADRAns{PowerACK: true, DataRateACK: true, ChannelMaskACK: true}},
	{"LinkADRAns", true, "03 05", &lorawan.LinkADRAns{PowerACK: true, ChannelMaskACK: true}},
	{"DutyCycleAns", true, "04", &lorawan.DutyCycleAns{}},
	{"RXParamSetupAns", true, "05 06", &lorawan.RXParamSetupAns{RX1DROffsetACK: true, RX2DataRateACK: true}},
	{"RXParamSetupAns", true, "05 01", &lorawan.RXParamSetupAns{ChannelACK: true}},
	{"DevStatusAns", true, "06 73 07", &lorawan.DevStatusAns{Battery: 115, Margin: 7}},
	{"DevStatusAns", true, "06 ff 3f", &lorawan.DevStatusAns{Battery: 255, Margin: -1}},
	{"DevStatusAns", true, "06 00 20", &lorawan.DevStatusAns{Battery: 0, Margin: -32}},
	{"DevStatusAns", true, "06 01 1f", &lorawan.DevStatusAns{Battery: 1, Margin: 31}},
	{"NewChannelAns", true, "07 03", &lorawan.NewChannelAns{DataRateRangeOK: true, ChannelFreqOK: true}},
	{"NewChannelAns", true, "07 02", &lorawan.NewChannelAns{DataRateRangeOK: true}},
	{"RXTimingSetupAns", true, "08", &lorawan.RXTimingSetupAns{}},
	{"TxParamSetupAns", true, "09", &lorawan.TxParamSetupAns{}},
	{"DlChannelAns", true, "0a 02", &lorawan.DlChannelAns{UplinkFreqExists: true}},
	{"DlChannelAns", true, "0a 01", &lorawan.DlChannelAns{ChannelFreqOK: true}},
	{"RekeyInd", true, "0b 01", &lorawan.RekeyInd{Minor: 1}},
	{"ADRParamSetupAns", true, "0c", &lorawan.ADRParamSetupAns{}},
	{"DeviceTimeReq", true, "0d", &lorawan.DeviceTimeReq{}},
	{"RejoinParamSetupAns", true, "0f 01", &lorawan.RejoinParamSetupAns{TimeOK: true}},
	{"PingSlotInfoReq", true, "10 07", &lorawan.PingSlotInfoReq{Periodicity: 7}},
	{"PingSlotChannelAns", true, "11 02", &lorawan.PingSlotChannelAns{DataRateOK: true}},
	{"PingSlotChannelAns", true, "11 01", &lorawan.PingSlotChannelAns{ChannelFreqOK: true}},
	{"BeaconTimingReq", true, "12", &lorawan.BeaconTimingReq{}},
	{"BeaconFreqAns", true, "13 01", &lorawan.BeaconFreqAns{BeaconFreqOK: true}},
	{"DeviceModeInd", true, "20 02", &lorawan.DeviceModeInd{Class: lorawan.DeviceModeClassC}},

	// Downlink: network to device.
	{"ResetConf", false, "01 01", &lorawan.ResetConf{Minor: 1}},
	{"LinkCheckAns", false, "02 14 03", &lorawan.LinkCheckAns{Margin: 20, GwCnt: 3}},
	{"LinkCheckAns", false, "02 07 01", &lorawan.LinkCheckAns{Margin: 7, GwCnt: 1}},
	{"LinkADRReq", false, "03 52 ff00 61", &lorawan.LinkADRReq{DataRate: 5, TXPower: 2, ChMask: 0x00ff, ChMaskCntl: 6, NbTrans: 1}},
	{"LinkADRReq", false, "03 ff 0180 7f", &lorawan.LinkADRReq{DataRate: 15, TXPower: 15, ChMask: 0x8001, ChMaskCntl: 7, NbTrans: 15}},
	{"DutyCycleReq", false, "04 0f", &lorawan.DutyCycleReq{MaxDCycle: 15}},
	{"RXParamSetupReq", false, "05 13 d2ad84", &lorawan.RXParamSetupReq{RX1DROffset: 1, RX2DataRate: 3, Freq: 869525000}},
	{"DevStatusReq", false, "06", &lorawan.DevStatusReq{}},
	{"NewChannelReq", false, "07 03 184f84 50", &lorawan.NewChannelReq{ChIndex: 3, Freq: 867100000, MinDR: 0, MaxDR: 5}},
	{"NewChannelReq", false, "07 0f 000000 00", &lorawan.NewChannelReq{ChIndex: 15}},
	{"RXTimingSetupReq", false, "08 05", &lorawan.RXTimingSetupReq{Delay: 5}},
	{"TxParamSetupReq", false, "09 3d", &lorawan.TxParamSetupReq{DownlinkDwellTime: true, UplinkDwellTime: true, MaxEIRP: 13}},
	{"TxParamSetupReq", false, "09 10", &lorawan.TxParamSetupReq{UplinkDwellTime: true}},
	{"DlChannelReq", false, "0a 04 184f84", &lorawan.DlChannelReq{ChIndex: 4, Freq: 867100000}},
	{"RekeyConf", false, "0b 01", &lorawan.RekeyConf{Minor: 1}},
	{"ADRParamSetupReq", false, "0c 65", &lorawan.ADRParamSetupReq{LimitExp: 6, DelayExp: 5}},
	{"DeviceTimeAns", false, "0d 78563412 80", &lorawan.DeviceTimeAns{Seconds: 0x12345678, Fraction: 128}},
	{"ForceRejoinReq", false, "0e 241d", &lorawan.ForceRejoinReq{Period: 3, MaxRetries: 5, RejoinType: 2, DataRate: 4}},
	{"ForceRejoinReq", false, "0e 7f3f", &lorawan.ForceRejoinReq{Period: 7, MaxRetries: 7, RejoinType: 7, DataRate: 15}},
	{"RejoinParamSetupReq", false, "0f a3", &lorawan.RejoinParamSetupReq{MaxTimeN: 10, MaxCountN: 3}},
	{"PingSlotInfoAns", false, "10", &lorawan.PingSlotInfoAns{}},
	{"PingSlotChannelReq", false, "11 d2ad84 03", &lorawan.PingSlotChannelReq{Freq: 869525000, DataRate: 3}},
	{"BeaconTimingAns", false, "12 e803 02", &lorawan.BeaconTimingAns{Delay: 1000, Channel: 2}},
	{"BeaconFreqReq", false, "13 d2ad84", &lorawan.BeaconFreqReq{Freq: 869525000}},
	{"DeviceModeConf", false, "20 00", &lorawan.DeviceModeConf{Class: lorawan.DeviceModeClassA}},
}

func TestMACCommandRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tt := range macCases {
		t.Run(tt.name+"/"+strings.ReplaceAll(tt.hex, " ", ""), func(t *testing.T) {
			b := codecMustHex(tt.hex)
			cid := lorawan.CID(b[0])
			if got := cid.Name(tt.uplink); got != tt.name {
				t.Errorf("CID(0x%02x).Name(%v) = %q, want %q", b[0], tt.uplink, got, tt.name)
			}
			if got := reflect.TypeOf(tt.want).Elem().Name(); got != tt.name {
				t.Errorf("payload type %s in the %s case", got, tt.name)
			}
			if tt.want.CID() != cid || tt.want.Uplink() != tt.uplink {
				t.Errorf("payload CID() = %v, Uplink() = %v; want %v, %v", tt.want.CID(), tt.want.Uplink(), cid, tt.uplink)
			}
			cmds, err := lorawan.ParseMACCommands(b, tt.uplink)
			if err != nil {
				t.Fatalf("ParseMACCommands(%x): %v", b, err)
			}
			want := []lorawan.MACCommand{{CID: cid, Payload: tt.want}}
			if !reflect.DeepEqual(cmds, want) {
				t.Errorf("ParseMACCommands(%x) = %+v, want %+v", b, cmds, want)
			}
			enc, err := lorawan.AppendMACCommands([]byte{0xee}, want...)
			if err != nil || !bytes.Equal(enc, append([]byte{0xee}, b...)) {
				t.Errorf("AppendMACCommands(ee, %+v) = %x, %v; want ee%x", tt.want, enc, err, b)
			}
			gotCID, payload, rest, err := lorawan.NextMACCommand(b, tt.uplink)
			if err != nil || gotCID != cid || !bytes.Equal(payload, b[1:]) || len(rest) != 0 {
				t.Errorf("NextMACCommand(%x) = %v, %x, %x, %v; want %v, %x, empty, nil", b, gotCID, payload, rest, err, cid, b[1:])
			}
		})
	}
}

// TestParseMACCommandsSequence parses every command of a direction from one
// buffer, and real FOpts of the shared vectors.
func TestParseMACCommandsSequence(t *testing.T) {
	t.Parallel()
	for _, uplink := range []bool{true, false} {
		var all []byte
		var want []lorawan.MACCommand
		for _, tt := range macCases {
			if tt.uplink != uplink {
				continue
			}
			b := codecMustHex(tt.hex)
			all = append(all, b...)
			want = append(want, lorawan.MACCommand{CID: lorawan.CID(b[0]), Payload: tt.want})
		}
		got, err := lorawan.ParseMACCommands(all, uplink)
		if err != nil {
			t.Fatalf("ParseMACCommands(all, uplink=%v): %v", uplink, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ParseMACCommands(all, uplink=%v)\n got %+v\nwant %+v", uplink, got, want)
		}
		enc, err := lorawan.AppendMACCommands(nil, got...)
		if err != nil || !bytes.Equal(enc, all) {
			t.Errorf("AppendMACCommands(all, uplink=%v) = %x, %v; want %x", uplink, enc, err, all)
		}
	}
	tests := []struct {
		name   string
		hex    string
		uplink bool
		want   []lorawan.MACCommand
	}{
		{"bro-10-up-fopts-cleartext", "020305", true, []lorawan.MACCommand{
			{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckReq{}},
			{CID: lorawan.CIDLinkADR, Payload: &lorawan.LinkADRAns{PowerACK: true, ChannelMaskACK: true}},
		}},
		{"bro-10-up-confirmed-example", "067307", true, []lorawan.MACCommand{
			{CID: lorawan.CIDDevStatus, Payload: &lorawan.DevStatusAns{Battery: 115, Margin: 7}},
		}},
		{"bro-11-down-fopts-nfcnt plaintext", "020701", false, []lorawan.MACCommand{
			{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckAns{Margin: 7, GwCnt: 1}},
		}},
		{"empty", "", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lorawan.ParseMACCommands(codecMustHex(tt.hex), tt.uplink)
			if err != nil {
				t.Fatalf("ParseMACCommands(%s): %v", tt.hex, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseMACCommands(%s) = %+v, want %+v", tt.hex, got, tt.want)
			}
		})
	}
}

func TestParseMACCommandsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		hex     string
		uplink  bool
		wantErr error
		want    string // in the error text
		parsed  int    // commands returned before the error
		walked  int    // commands the walker yields before its error (-1: no walker error)
	}{
		{"unknown cid after good", "02 0305 42 01", true, lorawan.ErrUnknownMACCommand, "CID(0x42) uplink", 2, 2},
		{"cid 0", "00", false, lorawan.ErrUnknownMACCommand, "CID(0x00) downlink", 0, 0},
		{"cid 0x14", "06 14", false, lorawan.ErrUnknownMACCommand, "CID(0x14) downlink", 1, 1},
		{"proprietary up", "0d 80 0102", true, lorawan.ErrUnknownMACCommand, "Proprietary(0x80) uplink", 1, 1},
		{"proprietary down", "ff", false, lorawan.ErrUnknownMACCommand, "Proprietary(0xFF) downlink", 0, 0},
		{"force rejoin uplink", "0e 0000", true, lorawan.ErrUnknownMACCommand, "ForceRejoin uplink", 0, 0},
		{"truncated LinkADRAns", "02 03", true, lorawan.ErrMalformed, "LinkADRAns: 0 payload bytes, want 1", 1, 1},
		{"truncated LinkADRReq", "03 52ff00", false, lorawan.ErrMalformed, "LinkADRReq: 3 payload bytes, want 4", 0, 0},
		{"truncated DeviceTimeAns", "06 0d 01020304", false, lorawan.ErrMalformed, "DeviceTimeAns: 4 payload bytes, want 5", 1, 1},
		{"truncated NewChannelReq", "07 03 184f84", false, lorawan.ErrMalformed, "NewChannelReq: 4 payload bytes, want 5", 0, 0},
		{"LinkADRAns rfu", "02 03 08", true, lorawan.ErrMalformed, "LinkADRAns: rfu bits set in 0x08", 1, -1},
		{"LinkADRReq rfu", "03 52ff00e1", false, lorawan.ErrMalformed, "LinkADRReq: rfu bits set in 0xe1", 0, -1},
		{"DevStatusAns rfu", "06 00 40", true, lorawan.ErrMalformed, "DevStatusAns: rfu bits set", 0, -1},
		{"ResetInd rfu", "01 11", true, lorawan.ErrMalformed, "ResetInd: rfu bits set", 0, -1},
		{"RekeyConf rfu", "0b 81", false, lorawan.ErrMalformed, "RekeyConf: rfu bits set", 0, -1},
		{"DutyCycleReq rfu", "04 10", false, lorawan.ErrMalformed, "DutyCycleReq: rfu bits set", 0, -1},
		{"RXParamSetupReq rfu", "05 83 d2ad84", false, lorawan.ErrMalformed, "RXParamSetupReq: rfu bits set", 0, -1},
		{"RXParamSetupAns rfu", "05 08", true, lorawan.ErrMalformed, "RXParamSetupAns: rfu bits set", 0, -1},
		{"NewChannelAns rfu", "07 04", true, lorawan.ErrMalformed, "NewChannelAns: rfu bits set", 0, -1},
		{"RXTimingSetupReq rfu", "08 10", false, lorawan.ErrMalformed, "RXTimingSetupReq: rfu bits set", 0, -1},
		{"TxParamSetupReq rfu", "09 40", false, lorawan.ErrMalformed, "TxParamSetupReq: rfu bits set", 0, -1},
		{"DlChannelAns rfu", "0a 04", true, lorawan.ErrMalformed, "DlChannelAns: rfu bits set", 0, -1},
		{"ForceRejoinReq rfu 15", "0e 0080", false, lorawan.ErrMalformed, "ForceRejoinReq: rfu bits set in 0x80", 0, -1},
		{"ForceRejoinReq rfu 7", "0e 8000", false, lorawan.ErrMalformed, "ForceRejoinReq: rfu bits set in 0x80", 0, -1},
		{"RejoinParamSetupAns rfu", "0f 02", true, lorawan.ErrMalformed, "RejoinParamSetupAns: rfu bits set", 0, -1},
		{"PingSlotInfoReq rfu", "10 08", true, lorawan.ErrMalformed, "PingSlotInfoReq: rfu bits set", 0, -1},
		{"PingSlotChannelReq rfu", "11 d2ad84 13", false, lorawan.ErrMalformed, "PingSlotChannelReq: rfu bits set", 0, -1},
		{"PingSlotChannelAns rfu", "11 04", true, lorawan.ErrMalformed, "PingSlotChannelAns: rfu bits set", 0, -1},
		{"BeaconFreqAns rfu", "13 02", true, lorawan.ErrMalformed, "BeaconFreqAns: rfu bits set", 0, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := codecMustHex(tt.hex)
			cmds, err := lorawan.ParseMACCommands(b, tt.uplink)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("ParseMACCommands(%x) error = %v, want %v", b, err, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.want) || !strings.HasPrefix(err.Error(), "lorawan: ") {
				t.Errorf("error = %q, want it to start with \"lorawan: \" and contain %q", err, tt.want)
			}
			if len(cmds) != tt.parsed {
				t.Errorf("ParseMACCommands(%x) returned %d commands with the error, want %d", b, len(cmds), tt.parsed)
			}
			// The walker stops at the same place for unknown and truncated
			// commands; RFU bits are the typed parser's business.
			walked, rest := 0, b
			var werr error
			for len(rest) > 0 {
				var next []byte
				if _, _, next, werr = lorawan.NextMACCommand(rest, tt.uplink); werr != nil {
					break
				}
				walked++
				rest = next
			}
			switch {
			case tt.walked < 0 && werr != nil:
				t.Errorf("walker error = %v, want none", werr)
			case tt.walked >= 0 && (!errors.Is(werr, tt.wantErr) || walked != tt.walked):
				t.Errorf("walker stopped after %d commands with %v, want %d with %v", walked, werr, tt.walked, tt.wantErr)
			case werr != nil && len(rest) == 0:
				t.Errorf("walker returned an empty rest with its error, want the unread bytes")
			}
		})
	}
	t.Run("walker on empty input", func(t *testing.T) {
		if _, _, _, err := lorawan.NextMACCommand(nil, true); !errors.Is(err, lorawan.ErrMalformed) {
			t.Errorf("NextMACCommand(nil) error = %v, want ErrMalformed", err)
		}
	})
}

// TestMACCommandTable checks, for every CID in both directions, that the
// length table, the typed constructor and the typed encoders agree.
func TestMACCommandTable(t *testing.T) {
	t.Parallel()
	known := map[bool]int{}
	for c := 0; c < 256; c++ {
		for _, uplink := range []bool{true, false} {
			cid := lorawan.CID(c)
			n, ok := lorawan.MACCommandPayloadLen(cid, uplink)
			p, err := lorawan.NewMACCommandPayload(cid, uplink)
			if ok != (err == nil) {
				t.Fatalf("CID 0x%02x uplink=%v: MACCommandPayloadLen ok=%v but NewMACCommandPayload error %v", c, uplink, ok, err)
			}
			if !ok {
				if !errors.Is(err, lorawan.ErrUnknownMACCommand) {
					t.Errorf("NewMACCommandPayload(0x%02x, %v) error = %v, want ErrUnknownMACCommand", c, uplink, err)
				}
				continue
			}
			known[uplink]++
			if p.CID() != cid || p.Uplink() != uplink {
				t.Errorf("NewMACCommandPayload(0x%02x, %v) = %T with CID %v uplink %v", c, uplink, p, p.CID(), p.Uplink())
			}
			if got := reflect.TypeOf(p).Elem().Name(); got != cid.Name(uplink) {
				t.Errorf("NewMACCommandPayload(0x%02x, %v) = %s, want %s", c, uplink, got, cid.Name(uplink))
			}
			enc, err := p.AppendBinary(nil)
			if err != nil || len(enc) != n {
				t.Errorf("%T zero value encodes to %d bytes (%v), table says %d", p, len(enc), err, n)
			}
			if err := p.UnmarshalBinary(make([]byte, n+1)); !errors.Is(err, lorawan.ErrMalformed) {
				t.Errorf("%T.UnmarshalBinary(%d bytes) error = %v, want ErrMalformed", p, n+1, err)
			}
		}
	}
	// 19 uplink commands (0x0E is downlink only) and 20 downlink commands.
	if known[true] != 19 || known[false] != 20 {
		t.Errorf("known commands: %d uplink, %d downlink; want 19, 20", known[true], known[false])
	}
}

func TestCIDString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		cid  lorawan.CID
		want string
	}{
		{lorawan.CIDLinkADR, "LinkADR"},
		{lorawan.CIDDeviceMode, "DeviceMode"},
		{lorawan.CID(0x42), "CID(0x42)"},
		{lorawan.CID(0x80), "Proprietary(0x80)"},
	}
	for _, tt := range tests {
		if got := tt.cid.String(); got != tt.want {
			t.Errorf("CID(0x%02x).String() = %q, want %q", uint8(tt.cid), got, tt.want)
		}
	}
	if got, want := lorawan.CIDForceRejoin.Name(true), "ForceRejoin uplink"; got != want {
		t.Errorf("CIDForceRejoin.Name(true) = %q, want %q", got, want)
	}
}

func TestAppendMACCommandsErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cmds []lorawan.MACCommand
		want string
	}{
		{"nil payload", []lorawan.MACCommand{{CID: lorawan.CIDLinkCheck}}, "no payload"},
		{"cid mismatch", []lorawan.MACCommand{{CID: lorawan.CIDLinkADR, Payload: &lorawan.LinkCheckReq{}}}, "cid LinkADR with a LinkCheckReq payload"},
		{"mixed directions", []lorawan.MACCommand{
			{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckReq{}},
			{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckAns{}},
		}, "direction differs"},
	}
	bad := []struct {
		name string
		p    lorawan.MACCommandPayload
		want string
	}{
		{"ResetInd minor", &lorawan.ResetInd{Minor: 16}, "minor 16 above 15"},
		{"ResetConf minor", &lorawan.ResetConf{Minor: 16}, "minor 16 above 15"},
		{"RekeyInd minor", &lorawan.RekeyInd{Minor: 16}, "minor 16 above 15"},
		{"RekeyConf minor", &lorawan.RekeyConf{Minor: 16}, "minor 16 above 15"},
		{"LinkADRReq datarate", &lorawan.LinkADRReq{DataRate: 16}, "datarate 16 above 15"},
		{"LinkADRReq txpower", &lorawan.LinkADRReq{TXPower: 16}, "txpower 16 above 15"},
		{"LinkADRReq chmaskcntl", &lorawan.LinkADRReq{ChMaskCntl: 8}, "chmaskcntl 8 above 7"},
		{"LinkADRReq nbtrans", &lorawan.LinkADRReq{NbTrans: 16}, "nbtrans 16 above 15"},
		{"DutyCycleReq", &lorawan.DutyCycleReq{MaxDCycle: 16}, "maxdcycle 16 above 15"},
		{"RXParamSetupReq offset", &lorawan.RXParamSetupReq{RX1DROffset: 8}, "rx1droffset 8 above 7"},
		{"RXParamSetupReq dr", &lorawan.RXParamSetupReq{RX2DataRate: 16}, "rx2datarate 16 above 15"},
		{"RXParamSetupReq freq", &lorawan.RXParamSetupReq{Freq: 869525050}, "frequency 869525050 Hz"},
		{"DevStatusAns margin 32", &lorawan.DevStatusAns{Margin: 32}, "margin 32 outside -32..31"},
		{"DevStatusAns margin -33", &lorawan.DevStatusAns{Margin: -33}, "margin -33 outside -32..31"},
		{"NewChannelReq mindr", &lorawan.NewChannelReq{MinDR: 16}, "mindr 16 above 15"},
		{"NewChannelReq maxdr", &lorawan.NewChannelReq{MaxDR: 16}, "maxdr 16 above 15"},
		{"NewChannelReq freq", &lorawan.NewChannelReq{Freq: 1677721600}, "frequency 1677721600 Hz"},
		{"RXTimingSetupReq", &lorawan.RXTimingSetupReq{Delay: 16}, "delay 16 above 15"},
		{"TxParamSetupReq", &lorawan.TxParamSetupReq{MaxEIRP: 16}, "maxeirp 16 above 15"},
		{"DlChannelReq freq", &lorawan.DlChannelReq{Freq: 1}, "frequency 1 Hz"},
		{"ADRParamSetupReq limit", &lorawan.ADRParamSetupReq{LimitExp: 16}, "limitexp 16 above 15"},
		{"ADRParamSetupReq delay", &lorawan.ADRParamSetupReq{DelayExp: 16}, "delayexp 16 above 15"},
		{"ForceRejoinReq period", &lorawan.ForceRejoinReq{Period: 8}, "period 8 above 7"},
		{"ForceRejoinReq retries", &lorawan.ForceRejoinReq{MaxRetries: 8}, "maxretries 8 above 7"},
		{"ForceRejoinReq type", &lorawan.ForceRejoinReq{RejoinType: 8}, "rejointype 8 above 7"},
		{"ForceRejoinReq dr", &lorawan.ForceRejoinReq{DataRate: 16}, "datarate 16 above 15"},
		{"RejoinParamSetupReq time", &lorawan.RejoinParamSetupReq{MaxTimeN: 16}, "maxtimen 16 above 15"},
		{"RejoinParamSetupReq count", &lorawan.RejoinParamSetupReq{MaxCountN: 16}, "maxcountn 16 above 15"},
		{"PingSlotInfoReq", &lorawan.PingSlotInfoReq{Periodicity: 8}, "periodicity 8 above 7"},
		{"PingSlotChannelReq dr", &lorawan.PingSlotChannelReq{DataRate: 16}, "datarate 16 above 15"},
		{"PingSlotChannelReq freq", &lorawan.PingSlotChannelReq{Freq: 99}, "frequency 99 Hz"},
		{"BeaconFreqReq freq", &lorawan.BeaconFreqReq{Freq: 869525001}, "frequency 869525001 Hz"},
	}
	for _, b := range bad {
		// A valid command first: the error must undo it too.
		first := lorawan.MACCommand{CID: lorawan.CIDLinkCheck, Payload: &lorawan.LinkCheckReq{}}
		if !b.p.Uplink() {
			first.Payload = &lorawan.LinkCheckAns{Margin: 1, GwCnt: 1}
		}
		tests = append(tests, struct {
			name string
			cmds []lorawan.MACCommand
			want string
		}{b.name, []lorawan.MACCommand{first, {CID: b.p.CID(), Payload: b.p}}, b.want})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := []byte{0xaa}
			got, err := lorawan.AppendMACCommands(dst, tt.cmds...)
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("AppendMACCommands() error = %v, want ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to contain %q", err, tt.want)
			}
			if !bytes.Equal(got, dst) {
				t.Errorf("AppendMACCommands() on error = %x, want dst unchanged %x", got, dst)
			}
		})
	}
}

func TestNextMACCommandZeroAllocs(t *testing.T) {
	fopts := codecMustHex("02 0307 0673 07 0d 0501 0a03 0f01")
	var n int
	allocs := testing.AllocsPerRun(200, func() {
		n = 0
		for b := fopts; len(b) > 0; {
			_, _, rest, err := lorawan.NextMACCommand(b, true)
			if err != nil {
				break
			}
			n++
			b = rest
		}
	})
	if n != 7 {
		t.Fatalf("walked %d commands, want 7", n)
	}
	if allocs != 0 {
		t.Errorf("walking FOpts: %v allocations per run, want 0", allocs)
	}
}

func BenchmarkNextMACCommand(b *testing.B) {
	fopts := codecMustHex("02 0307 0673 07 0d 0501 0a03 0f01")
	b.ReportAllocs()
	for b.Loop() {
		for rest := fopts; len(rest) > 0; {
			var err error
			if _, _, rest, err = lorawan.NextMACCommand(rest, true); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkParseMACCommands(b *testing.B) {
	fopts := codecMustHex("02 0307 0673 07 0d 0501 0a03 0f01")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lorawan.ParseMACCommands(fopts, true); err != nil {
			b.Fatal(err)
		}
	}
}
