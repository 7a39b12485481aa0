package lorawan_test

// Independent tables written out from the specifications (LoRaWAN 1.0.4 and
// 1.1 chapter 5, RP002-1.0.4; the RP002 facts were cross-checked against the
// RP002-1.0.4 band definitions of TheThingsNetwork/lorawan-stack and the
// RX1 tables of jgromes/RadioLib), and time-on-air values computed by hand
// from Semtech's formula (SX1276 datasheet 4.1.1.7).

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// TestIndependentMACCommandLengths: the payload length of every CID in each
// direction, from the command tables of LoRaWAN 1.0.4 and 1.1 (Class B
// included); -1 where the command does not exist in that direction.
func TestIndependentMACCommandLengths(t *testing.T) {
	type dir struct {
		name string
		n    int
	}
	spec := map[lorawan.CID][2]dir{ // [uplink, downlink]
		0x01: {{"ResetInd", 1}, {"ResetConf", 1}},
		0x02: {{"LinkCheckReq", 0}, {"LinkCheckAns", 2}},
		0x03: {{"LinkADRAns", 1}, {"LinkADRReq", 4}},
		0x04: {{"DutyCycleAns", 0}, {"DutyCycleReq", 1}},
		0x05: {{"RXParamSetupAns", 1}, {"RXParamSetupReq", 4}},
		0x06: {{"DevStatusAns", 2}, {"DevStatusReq", 0}},
		0x07: {{"NewChannelAns", 1}, {"NewChannelReq", 5}},
		0x08: {{"RXTimingSetupAns", 0}, {"RXTimingSetupReq", 1}},
		0x09: {{"TxParamSetupAns", 0}, {"TxParamSetupReq", 1}},
		0x0a: {{"DlChannelAns", 1}, {"DlChannelReq", 4}},
		0x0b: {{"RekeyInd", 1}, {"RekeyConf", 1}},
		0x0c: {{"ADRParamSetupAns", 0}, {"ADRParamSetupReq", 1}},
		0x0d: {{"DeviceTimeReq", 0}, {"DeviceTimeAns", 5}},
		0x0e: {{"", -1}, {"ForceRejoinReq", 2}},
		0x0f: {{"RejoinParamSetupAns", 1}, {"RejoinParamSetupReq", 1}},
		0x10: {{"PingSlotInfoReq", 1}, {"PingSlotInfoAns", 0}},
		0x11: {{"PingSlotChannelAns", 1}, {"PingSlotChannelReq", 4}},
		0x12: {{"BeaconTimingReq", 0}, {"BeaconTimingAns", 3}},
		0x13: {{"BeaconFreqAns", 1}, {"BeaconFreqReq", 3}},
		0x20: {{"DeviceModeInd", 1}, {"DeviceModeConf", 1}},
	}
	for c := 0; c < 256; c++ {
		cid := lorawan.CID(c)
		for i, uplink := range []bool{true, false} {
			want, known := spec[cid]
			d := dir{"", -1}
			if known {
				d = want[i]
			}
			n, ok := lorawan.MACCommandPayloadLen(cid, uplink)
			if !ok {
				n = -1
			}
			if n != d.n {
				t.Errorf("CID 0x%02x uplink=%v: length %d, want %d", c, uplink, n, d.n)
			}
			if d.n >= 0 && cid.Name(uplink) != d.name {
				t.Errorf("CID 0x%02x uplink=%v: name %q, want %q", c, uplink, cid.Name(uplink), d.name)
			}
			// The walker reads exactly that much, or stops cleanly with the
			// unknown-command error and nothing consumed (proprietary 0x80+ too).
			b := append([]byte{byte(c)}, make([]byte, 6)...)
			got, payload, rest, err := lorawan.NextMACCommand(b, uplink)
			if d.n < 0 {
				if !errors.Is(err, lorawan.ErrUnknownMACCommand) || len(rest) != len(b) {
					t.Errorf("CID 0x%02x uplink=%v: walker gave %v with %d bytes left, want ErrUnknownMACCommand and all 7", c, uplink, err, len(rest))
				}
				continue
			}
			if err != nil || got != cid || len(payload) != d.n || len(rest) != 6-d.n {
				t.Errorf("CID 0x%02x uplink=%v: walker = %v, %d-byte payload, %d left, %v", c, uplink, got, len(payload), len(rest), err)
			}
		}
	}
}

// TestIndependentMACFieldEncodings: field layouts computed by hand.
func TestIndependentMACFieldEncodings(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    lorawan.MACCommandPayload
		want string
	}{
		// DataRate_TXPower = DR<<4 | TXPower; ChMask LE; Redundancy = RFU | ChMaskCntl<<4 | NbTrans.
		{"LinkADRReq", &lorawan.LinkADRReq{DataRate: 3, TXPower: 1, ChMask: 0x00ff, ChMaskCntl: 0, NbTrans: 2}, "31 ff00 02"},
		{"LinkADRReq US915 sub-band 2", &lorawan.LinkADRReq{DataRate: 2, ChMask: 0xff00, ChMaskCntl: 7, NbTrans: 1}, "20 00ff 71"},
		// Frequency = Hz / 100, 24 bits LE; DrRange = MaxDR<<4 | MinDR.
		{"NewChannelReq 867.5 MHz", &lorawan.NewChannelReq{ChIndex: 5, Freq: 867_500_000, MinDR: 0, MaxDR: 5}, "05 b85e84 50"},
		{"NewChannelReq 923.6 MHz", &lorawan.NewChannelReq{ChIndex: 2, Freq: 923_600_000, MinDR: 1, MaxDR: 6}, "02 20ee8c 61"},
		{"DlChannelReq", &lorawan.DlChannelReq{ChIndex: 0, Freq: 868_100_000}, "00 287684"},
		// DLsettings = RFU | RX1DROffset<<4 | RX2DataRate.
		{"RXParamSetupReq", &lorawan.RXParamSetupReq{RX1DROffset: 2, RX2DataRate: 8, Freq: 923_300_000}, "28 68e28c"},
		// EIRP_DwellTime = RFU(2) | DownlinkDwellTime | UplinkDwellTime | MaxEIRP.
		{"TxParamSetupReq downlink dwell only", &lorawan.TxParamSetupReq{DownlinkDwellTime: true, MaxEIRP: 5}, "25"},
		{"TxParamSetupReq uplink dwell, 36 dBm", &lorawan.TxParamSetupReq{UplinkDwellTime: true, MaxEIRP: 15}, "1f"},
		// 32-bit seconds LE, then fractional seconds in 1/256.
		{"DeviceTimeAns", &lorawan.DeviceTimeAns{Seconds: 1_400_000_000, Fraction: 64}, "00 4e 72 53 40"},
		// Period(3) bits 13..11, MaxRetries bits 10..8, RejoinType 6..4, DR 3..0, LE.
		{"ForceRejoinReq", &lorawan.ForceRejoinReq{Period: 1, MaxRetries: 2, RejoinType: 2, DataRate: 3}, "23 0a"},
		{"RejoinParamSetupReq", &lorawan.RejoinParamSetupReq{MaxTimeN: 1, MaxCountN: 14}, "1e"},
		{"ADRParamSetupReq", &lorawan.ADRParamSetupReq{LimitExp: 10, DelayExp: 3}, "a3"},
		{"PingSlotChannelReq", &lorawan.PingSlotChannelReq{Freq: 869_525_000, DataRate: 3}, "d2ad84 03"},
		{"BeaconFreqReq", &lorawan.BeaconFreqReq{Freq: 923_400_000}, "50e68c"},
		{"DevStatusAns margin -5", &lorawan.DevStatusAns{Battery: 254, Margin: -5}, "fe 3b"},
		{"DutyCycleReq", &lorawan.DutyCycleReq{MaxDCycle: 7}, "07"},
		{"RXTimingSetupReq", &lorawan.RXTimingSetupReq{Delay: 15}, "0f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.p.AppendBinary(nil)
			if want := indHex(t, tc.want); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("AppendBinary = %x, %v; want %x", got, err, want)
			}
			back, err := lorawan.NewMACCommandPayload(tc.p.CID(), tc.p.Uplink())
			if err != nil {
				t.Fatal(err)
			}
			if err := back.UnmarshalBinary(got); err != nil {
				t.Fatal(err)
			}
			if again, _ := back.AppendBinary(nil); !bytes.Equal(again, got) {
				t.Errorf("decoded and re-encoded: %x, want %x", again, got)
			}
		})
	}
}

// TestIndependentFCtrl decodes every FCtrl byte in every data MType from a
// frame built by hand: bit 7 ADR, bit 6 ADRACKReq (uplink; RFU downlink),
// bit 5 ACK, bit 4 ClassB (uplink) or FPending (downlink), bits 3..0
// FOptsLen; and the frame must come back byte for byte.
func TestIndependentFCtrl(t *testing.T) {
	for _, mtype := range []lorawan.MType{lorawan.UnconfirmedDataUp, lorawan.UnconfirmedDataDown, lorawan.ConfirmedDataUp, lorawan.ConfirmedDataDown} {
		up := mtype == lorawan.UnconfirmedDataUp || mtype == lorawan.ConfirmedDataUp
		for fc := 0; fc < 256; fc++ {
			n := fc & 0x0f
			frame := []byte{byte(mtype) << 5, 0x44, 0x33, 0x22, 0x11, byte(fc), 0x34, 0x12}
			for i := 0; i < n; i++ {
				frame = append(frame, 0x06) // DevStatusAns/Req bytes; content is opaque here
			}
			frame = append(frame, 0x07, 0xaa, 0xbb, 1, 2, 3, 4) // FPort 7, payload, MIC
			var p lorawan.PHYPayload
			err := p.UnmarshalBinary(frame)
			if !up && fc&0x40 != 0 {
				if !errors.Is(err, lorawan.ErrMalformed) {
					t.Errorf("%v FCtrl %02x: error %v, want ErrMalformed (RFU bit 6)", mtype, fc, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%v FCtrl %02x: %v", mtype, fc, err)
				continue
			}
			want := lorawan.FCtrl{ADR: fc&0x80 != 0, ACK: fc&0x20 != 0, FOptsLen: uint8(n)}
			if up {
				want.ADRACKReq, want.ClassB = fc&0x40 != 0, fc&0x10 != 0
			} else {
				want.FPending = fc&0x10 != 0
			}
			h := p.FHDR
			if h.FCtrl != want || h.DevAddr != (lorawan.DevAddr{0x11, 0x22, 0x33, 0x44}) || h.FCnt != 0x1234 || len(h.FOpts) != n ||
				!p.FPortPresent || p.FPort != 7 || !bytes.Equal(p.FRMPayload, []byte{0xaa, 0xbb}) || p.MIC != [4]byte{1, 2, 3, 4} {
				t.Errorf("%v FCtrl %02x: decoded %+v", mtype, fc, p)
			}
			if out, err := p.MarshalBinary(); err != nil || !bytes.Equal(out, frame) {
				t.Errorf("%v FCtrl %02x: re-encoded %x, %v; want %x", mtype, fc, out, err, frame)
			}
		}
	}
}

// TestIndependentFrameLayouts: a frame of every MType laid out by hand, its
// length rules, and FPort absent versus present with an empty payload.
func TestIndependentFrameLayouts(t *testing.T) {
	for _, tc := range []struct {
		name  string
		hex   string
		check func(p *lorawan.PHYPayload) bool
	}{
		{"join-request", "00 0807060504030201 1122334455667788 3412 aabbccdd", func(p *lorawan.PHYPayload) bool {
			return p.JoinRequest == lorawan.JoinRequestPayload{JoinEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, DevEUI: lorawan.EUI64{0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11}, DevNonce: 0x1234}
		}},
		{"join-accept 17", "20 00112233445566778899aabbccddeeff", func(p *lorawan.PHYPayload) bool { return len(p.JoinAccept) == 16 }},
		{"join-accept 33", "20 00112233445566778899aabbccddeeff 00112233445566778899aabbccddeeff", func(p *lorawan.PHYPayload) bool { return len(p.JoinAccept) == 32 }},
		{"rejoin 0", "c0 00 130000 0807060504030201 0100 aabbccdd", func(p *lorawan.PHYPayload) bool {
			return p.Rejoin == lorawan.RejoinRequestPayload{Type: 0, NetID: lorawan.NetID{0, 0, 0x13}, DevEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, RJCount: 1}
		}},
		{"rejoin 1", "c0 01 0807060504030201 1807060504030201 0201 aabbccdd", func(p *lorawan.PHYPayload) bool {
			return p.Rejoin == lorawan.RejoinRequestPayload{Type: 1, JoinEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 8}, DevEUI: lorawan.EUI64{1, 2, 3, 4, 5, 6, 7, 0x18}, RJCount: 0x0102}
		}},
		{"rejoin 2", "c0 02 010000 0807060504030201 ffff aabbccdd", func(p *lorawan.PHYPayload) bool {
			return p.Rejoin.Type == 2 && p.Rejoin.NetID == lorawan.NetID{0, 0, 1} && p.Rejoin.RJCount == 0xffff
		}},
		{"proprietary", "e0 0102 aabbccdd", func(p *lorawan.PHYPayload) bool { return bytes.Equal(p.Proprietary, []byte{1, 2}) }},
		{"no FPort", "40 01000000 00 0000 aabbccdd", func(p *lorawan.PHYPayload) bool { return !p.FPortPresent && p.FRMPayload == nil }},
		{"FPort, empty payload", "40 01000000 00 0000 09 aabbccdd", func(p *lorawan.PHYPayload) bool {
			return p.FPortPresent && p.FPort == 9 && len(p.FRMPayload) == 0
		}},
		{"FOpts only", "60 01000000 02 0000 0203 aabbccdd", func(p *lorawan.PHYPayload) bool {
			return !p.FPortPresent && bytes.Equal(p.FHDR.FOpts, []byte{2, 3})
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := indHex(t, tc.hex)
			var p lorawan.PHYPayload
			if err := p.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if !tc.check(&p) || (p.MHDR.MType != lorawan.JoinAccept && p.MIC != [4]byte{0xaa, 0xbb, 0xcc, 0xdd}) {
				t.Errorf("decoded %+v", p)
			}
			if out, err := p.MarshalBinary(); err != nil || !bytes.Equal(out, b) {
				t.Errorf("re-encoded %x, %v", out, err)
			}
			// Every shorter and one longer frame: an error, never a panic
			// (proprietary frames have no fixed length; data frames only a minimum).
			for n := 0; n <= len(b)+1; n++ {
				c := append(bytes.Clone(b), 0x00)[:n]
				var q lorawan.PHYPayload
				err := q.UnmarshalBinary(c)
				if err != nil && !errors.Is(err, lorawan.ErrMalformed) {
					t.Errorf("%d bytes: error %v does not wrap ErrMalformed", n, err)
				}
				var lengths []int // the lengths the message type allows
				switch p.MHDR.MType {
				case lorawan.JoinRequest:
					lengths = []int{23}
				case lorawan.JoinAccept:
					lengths = []int{17, 33}
				case lorawan.RejoinRequest:
					lengths = []int{len(b)}
				}
				if lengths != nil && err == nil && !slices.Contains(lengths, n) {
					t.Errorf("%d bytes accepted for a %v message", n, p.MHDR.MType)
				}
				if lengths != nil && err != nil && slices.Contains(lengths, n) {
					t.Errorf("%d bytes refused for a %v message: %v", n, p.MHDR.MType, err)
				}
			}
		})
	}
	// A CFList of each type, laid out by hand.
	var c0, c1 lorawan.CFList
	if err := c0.UnmarshalBinary(indHex(t, "184f84 e85684 b85e84 886684 586e84 00")); err != nil ||
		c0.Frequencies != [5]uint32{867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000} {
		t.Errorf("CFList type 0 = %+v, %v", c0, err)
	}
	if err := c1.UnmarshalBinary(indHex(t, "00ff 0000 0000 0000 0200 0000000000 01")); err != nil ||
		c1.Type != lorawan.CFListChannelMask || c1.ChMasks != [5]uint16{0xff00, 0, 0, 0, 0x0002} {
		t.Errorf("CFList type 1 = %+v, %v", c1, err)
	}
}

// TestIndependentRX1Tables: the complete RX1 data-rate tables of RP002-1.0.4,
// rows uplink DR, columns RX1DROffset.
func TestIndependentRX1Tables(t *testing.T) {
	type table map[int][]int
	sub := func(rows map[int]int, offsets int) table { // max(base - offset, 0)
		out := table{}
		for up, base := range rows {
			for off := 0; off < offsets; off++ {
				out[up] = append(out[up], max(base-off, 0))
			}
		}
		return out
	}
	as923 := table{
		0: {0, 0, 0, 0, 0, 0, 1, 2}, 1: {1, 0, 0, 0, 0, 0, 2, 3}, 2: {2, 1, 0, 0, 0, 0, 3, 4}, 3: {3, 2, 1, 0, 0, 0, 4, 5},
		4: {4, 3, 2, 1, 0, 0, 5, 6}, 5: {5, 4, 3, 2, 1, 0, 6, 7}, 6: {6, 5, 4, 3, 2, 1, 7, 7}, 7: {7, 6, 5, 4, 3, 2, 7, 7},
	}
	as923Dwell := table{
		0: {2, 2, 2, 2, 2, 2, 2, 2}, 1: {2, 2, 2, 2, 2, 2, 2, 3}, 2: {2, 2, 2, 2, 2, 2, 3, 4}, 3: {3, 2, 2, 2, 2, 2, 4, 5},
		4: {4, 3, 2, 2, 2, 2, 5, 6}, 5: {5, 4, 3, 2, 2, 2, 6, 7}, 6: {6, 5, 4, 3, 2, 2, 7, 7}, 7: {7, 6, 5, 4, 3, 2, 7, 7},
	}
	for _, tc := range []struct {
		region string
		dwell  bool
		want   table
	}{
		{"EU868", false, sub(map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 1, 9: 2, 10: 1, 11: 2}, 6)},
		{"KR920", false, sub(map[int]int{0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5}, 6)},
		{"US915", false, table{0: {10, 9, 8, 8}, 1: {11, 10, 9, 8}, 2: {12, 11, 10, 9}, 3: {13, 12, 11, 10}, 4: {13, 13, 12, 11}, 5: {10, 9, 8, 8}, 6: {11, 10, 9, 8}}},
		{"AU915", false, table{
			0: {8, 8, 8, 8, 8, 8}, 1: {9, 8, 8, 8, 8, 8}, 2: {10, 9, 8, 8, 8, 8}, 3: {11, 10, 9, 8, 8, 8},
			4: {12, 11, 10, 9, 8, 8}, 5: {13, 12, 11, 10, 9, 8}, 6: {13, 13, 12, 11, 10, 9}, 7: {9, 8, 8, 8, 8, 8},
		}},
		{"AS923-1", false, as923}, {"AS923-1", true, as923Dwell},
		{"AS923-2", false, as923}, {"AS923-3", true, as923Dwell}, {"AS923-4", true, as923Dwell},
		// DR6 is RFU in IN865: the table steps from DR7 to DR5.
		{"IN865", false, table{
			0: {0, 0, 0, 0, 0, 0, 1, 2}, 1: {1, 0, 0, 0, 0, 0, 2, 3}, 2: {2, 1, 0, 0, 0, 0, 3, 4}, 3: {3, 2, 1, 0, 0, 0, 4, 5},
			4: {4, 3, 2, 1, 0, 0, 5, 5}, 5: {5, 4, 3, 2, 1, 0, 5, 7}, 7: {7, 5, 5, 4, 3, 2, 7, 7},
		}},
	} {
		t.Run(fmt.Sprintf("%s/dwell=%v", tc.region, tc.dwell), func(t *testing.T) {
			r, err := lorawan.RegionByName(tc.region)
			if err != nil {
				t.Fatal(err)
			}
			for up := 0; up < 16; up++ {
				row, ok := tc.want[up]
				for off := 0; off < 8; off++ {
					got, err := r.RX1DataRate(up, off, tc.dwell)
					if !ok || off >= len(row) {
						if err == nil {
							t.Errorf("DR%d offset %d: %d, want an error", up, off, got)
						}
						continue
					}
					if err != nil || got != row[off] {
						t.Errorf("DR%d offset %d: %d, %v; want %d", up, off, got, err, row[off])
					}
				}
			}
		})
	}
}

// TestIndependentMaxPayload: M per data rate without and with the 400 ms
// dwell time (0: not allowed or undefined), RP002-1.0.4.
func TestIndependentMaxPayload(t *testing.T) {
	for _, tc := range []struct {
		region        string
		noDwell, with []int
	}{
		{"EU868", []int{59, 59, 59, 123, 250, 250, 250, 250, 58, 123, 58, 123}, nil},
		{"KR920", []int{59, 59, 59, 123, 250, 250}, nil},
		{"IN865", []int{59, 59, 59, 123, 250, 250, 0, 250}, nil},
		{"US915", []int{19, 61, 133, 250, 250, 58, 133, 0, 61, 137, 250, 250, 250, 250}, nil},
		{"AU915", []int{59, 59, 59, 123, 250, 250, 250, 58, 61, 137, 250, 250, 250, 250},
			[]int{0, 0, 19, 61, 133, 250, 250, 58, 61, 137, 250, 250, 250, 250}},
		{"AS923-1", []int{59, 59, 123, 123, 250, 250, 250, 250}, []int{0, 0, 19, 61, 133, 250, 250, 250}},
		{"AS923-4", []int{59, 59, 123, 123, 250, 250, 250, 250}, []int{0, 0, 19, 61, 133, 250, 250, 250}},
	} {
		r, err := lorawan.RegionByName(tc.region)
		if err != nil {
			t.Fatal(err)
		}
		if tc.with == nil {
			tc.with = tc.noDwell // no dwell-time column: the same
		}
		for d, want := range [][]int{tc.noDwell, tc.with} {
			for dr := 0; dr < 16; dr++ {
				w := 0
				if dr < len(want) {
					w = want[dr]
				}
				mp, err := r.MaxPayloadSize(dr, d == 1)
				if w == 0 {
					if err == nil {
						t.Errorf("%s DR%d dwell=%v: %+v, want an error", tc.region, dr, d == 1, mp)
					}
					continue
				}
				if err != nil || mp.M != w || mp.N != w-8 {
					t.Errorf("%s DR%d dwell=%v: %+v, %v; want M=%d N=%d", tc.region, dr, d == 1, mp, err, w, w-8)
				}
			}
		}
	}
}

// TestIndependentRegionFacts: RX2 defaults, join-accept delays, default max
// EIRP, default channels and the RX1 frequency rules.
func TestIndependentRegionFacts(t *testing.T) {
	for _, tc := range []struct {
		region   string
		rx2Freq  uint32
		rx2DR    int
		eirp     float32
		defaults []uint32
	}{
		{"EU868", 869_525_000, 0, 16, []uint32{868_100_000, 868_300_000, 868_500_000}},
		{"AS923-1", 923_200_000, 2, 16, []uint32{923_200_000, 923_400_000}},
		{"AS923-2", 921_400_000, 2, 16, []uint32{921_400_000, 921_600_000}},
		{"AS923-3", 916_600_000, 2, 16, []uint32{916_600_000, 916_800_000}},
		{"AS923-4", 917_300_000, 2, 16, []uint32{917_300_000, 917_500_000}},
		{"KR920", 921_900_000, 0, 14, []uint32{922_100_000, 922_300_000, 922_500_000}},
		{"IN865", 866_550_000, 2, 30, []uint32{865_062_500, 865_402_500, 865_985_000}},
		{"US915", 923_300_000, 8, 30, nil},
		{"AU915", 923_300_000, 8, 30, nil},
	} {
		t.Run(tc.region, func(t *testing.T) {
			r, err := lorawan.RegionByName(tc.region)
			if err != nil {
				t.Fatal(err)
			}
			if r.RX2Frequency() != tc.rx2Freq || r.RX2DataRate() != tc.rx2DR || r.DefaultMaxEIRP() != tc.eirp {
				t.Errorf("RX2 %d Hz DR%d, max EIRP %v; want %d Hz DR%d, %v", r.RX2Frequency(), r.RX2DataRate(), r.DefaultMaxEIRP(), tc.rx2Freq, tc.rx2DR, tc.eirp)
			}
			if r.ReceiveDelay1() != time.Second || r.ReceiveDelay2() != 2*time.Second || r.JoinAcceptDelay1() != 5*time.Second || r.JoinAcceptDelay2() != 6*time.Second {
				t.Errorf("delays %v %v %v %v, want 1s 2s 5s 6s", r.ReceiveDelay1(), r.ReceiveDelay2(), r.JoinAcceptDelay1(), r.JoinAcceptDelay2())
			}
			if tc.defaults != nil {
				var got []uint32
				for _, c := range r.DefaultChannels() {
					got = append(got, c.Frequency)
					if c.MinDR != 0 || c.MaxDR != 5 {
						t.Errorf("default channel %d Hz: DR%d..DR%d, want DR0..DR5", c.Frequency, c.MinDR, c.MaxDR)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(tc.defaults) {
					t.Errorf("default channels %v, want %v", got, tc.defaults)
				}
				for _, f := range tc.defaults {
					if dn, err := r.RX1Frequency(f); err != nil || dn != f {
						t.Errorf("RX1Frequency(%d) = %d, %v; want the uplink frequency", f, dn, err)
					}
				}
			}
		})
	}
	// Fixed plans: RX1 channel = uplink channel mod 8 on 923.3 + 0.6k MHz.
	for _, tc := range []struct {
		region   string
		up, want uint32
	}{
		{"US915", 902_300_000, 923_300_000},             // channel 0
		{"US915", 903_900_000, 923_300_000},             // channel 8
		{"US915", 904_100_000, 923_900_000},             // channel 9
		{"US915", 914_900_000, 927_500_000},             // channel 63
		{"US915", 903_000_000, 923_300_000},             // channel 64 (500 kHz)
		{"US915", 914_200_000, 927_500_000},             // channel 71
		{"AU915", 915_200_000, 923_300_000},             // channel 0
		{"AU915", 916_800_000, 923_300_000},             // channel 8
		{"AU915", 917_500_000, 923_900_000},             // channel 65
		{"AU915", 927_100_000, 923_300_000 + 7*600_000}, // channel 71
	} {
		r, _ := lorawan.RegionByName(tc.region)
		if got, err := r.RX1Frequency(tc.up); err != nil || got != tc.want {
			t.Errorf("%s RX1Frequency(%d) = %d, %v; want %d", tc.region, tc.up, got, err, tc.want)
		}
	}
}

// TestIndependentTimeOnAir: values computed by hand from
// T = (Npreamble + 4.25 + 8 + max(ceil((8PL - 4SF + 28 + 16CRC - 20IH) /
// (4(SF - 2DE))) (CR+4), 0)) × 2^SF/BW, CR 4/5, 8 preamble symbols,
// explicit header, DE for SF11/SF12 at 125 kHz and SF12 at 250 kHz.
func TestIndependentTimeOnAir(t *testing.T) {
	for _, tc := range []struct {
		sf     int
		bw     uint32
		pl     int
		uplink bool
		want   time.Duration
	}{
		{7, 125_000, 13, true, 46_336 * time.Microsecond},     // 45.25 symbols of 1.024 ms
		{12, 125_000, 13, true, 1_155_072 * time.Microsecond}, // DE: 35.25 × 32.768 ms
		{12, 125_000, 64, true, 2_793_472 * time.Microsecond}, // 85.25 × 32.768 ms
		{11, 125_000, 20, true, 741_376 * time.Microsecond},   // DE: 45.25 × 16.384 ms
		{11, 125_000, 30, true, 905_216 * time.Microsecond},   // DE: ceil(240/36)=7; without DE it would be 6
		{10, 125_000, 20, true, 370_688 * time.Microsecond},   // no DE: 45.25 × 8.192 ms
		{9, 125_000, 33, false, 246_784 * time.Microsecond},   // downlink, no CRC: 60.25 × 4.096 ms
		{7, 250_000, 255, true, 199_808 * time.Microsecond},   // 390.25 × 0.512 ms
		{8, 500_000, 13, true, 20_608 * time.Microsecond},     // 40.25 × 0.512 ms
		{12, 500_000, 66, false, 616_448 * time.Microsecond},  // no DE at 500 kHz: 75.25 × 8.192 ms
		{12, 250_000, 30, true, 823_296 * time.Microsecond},   // DE at 250 kHz: 50.25 × 16.384 ms
	} {
		var got time.Duration
		if tc.uplink {
			got = lorawan.UplinkTimeOnAir(tc.pl, tc.sf, tc.bw)
		} else {
			got = lorawan.DownlinkTimeOnAir(tc.pl, tc.sf, tc.bw)
		}
		if got != tc.want {
			t.Errorf("SF%d BW%d %d bytes uplink=%v: %v, want %v", tc.sf, tc.bw/1000, tc.pl, tc.uplink, got, tc.want)
		}
	}
	// FSK 50 kbit/s: (5 preamble + 3 sync + 1 length + 13 + 2 CRC) × 8 bits.
	if got, want := lorawan.FSKTimeOnAir(13, 50_000), 3840*time.Microsecond; got != want {
		t.Errorf("FSK 13 bytes: %v, want %v", got, want)
	}
	eu, _ := lorawan.RegionByName("EU868")
	if got, err := eu.TimeOnAir(0, 13, true); err != nil || got != 1_155_072*time.Microsecond {
		t.Errorf("EU868 DR0 13 bytes: %v, %v", got, err)
	}
}
