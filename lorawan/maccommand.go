package lorawan

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrUnknownMACCommand is wrapped by the error the MAC command readers return
// when they meet a command identifier they do not know in that direction
// (including the proprietary 0x80–0xFF): its length is unknown, so reading
// stops there, and the commands before it remain valid.
var ErrUnknownMACCommand = errors.New("lorawan: unknown mac command")

// CID is a MAC command identifier. One CID names a request and its answer,
// which travel in opposite directions; Name tells them apart.
type CID uint8

// MAC command identifiers of LoRaWAN 1.0.4 and 1.1 (Class B included).
const (
	CIDReset            CID = 0x01 // ResetInd (up) / ResetConf (down), 1.1
	CIDLinkCheck        CID = 0x02 // LinkCheckReq (up) / LinkCheckAns (down)
	CIDLinkADR          CID = 0x03 // LinkADRReq (down) / LinkADRAns (up)
	CIDDutyCycle        CID = 0x04 // DutyCycleReq (down) / DutyCycleAns (up)
	CIDRXParamSetup     CID = 0x05 // RXParamSetupReq (down) / RXParamSetupAns (up)
	CIDDevStatus        CID = 0x06 // DevStatusReq (down) / DevStatusAns (up)
	CIDNewChannel       CID = 0x07 // NewChannelReq (down) / NewChannelAns (up)
	CIDRXTimingSetup    CID = 0x08 // RXTimingSetupReq (down) / RXTimingSetupAns (up)
	CIDTxParamSetup     CID = 0x09 // TxParamSetupReq (down) / TxParamSetupAns (up)
	CIDDlChannel        CID = 0x0A // DlChannelReq (down) / DlChannelAns (up)
	CIDRekey            CID = 0x0B // RekeyInd (up) / RekeyConf (down), 1.1
	CIDADRParamSetup    CID = 0x0C // ADRParamSetupReq (down) / ADRParamSetupAns (up), 1.1
	CIDDeviceTime       CID = 0x0D // DeviceTimeReq (up) / DeviceTimeAns (down)
	CIDForceRejoin      CID = 0x0E // ForceRejoinReq (down only), 1.1
	CIDRejoinParamSetup CID = 0x0F // RejoinParamSetupReq (down) / RejoinParamSetupAns (up), 1.1
	CIDPingSlotInfo     CID = 0x10 // PingSlotInfoReq (up) / PingSlotInfoAns (down), Class B
	CIDPingSlotChannel  CID = 0x11 // PingSlotChannelReq (down) / PingSlotChannelAns (up), Class B
	CIDBeaconTiming     CID = 0x12 // BeaconTimingReq (up) / BeaconTimingAns (down), deprecated Class B
	CIDBeaconFreq       CID = 0x13 // BeaconFreqReq (down) / BeaconFreqAns (up), Class B
	CIDDeviceMode       CID = 0x20 // DeviceModeInd (up) / DeviceModeConf (down), 1.1
)

// Payload lengths indexed by CID (0x00..0x20); 0xff marks a CID unknown in
// that direction. Strings, so the tables cannot be modified.
const (
	macLenUp = "\xff\x01\x00\x01\x00\x01\x02\x01\x00\x00\x01\x01\x00\x00\xff\x01\x01\x01\x00\x01" +
		"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
	macLenDown = "\xff\x01\x02\x04\x01\x04\x00\x05\x01\x01\x04\x01\x01\x05\x02\x01\x00\x04\x03\x03" +
		"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
)

// MACCommandPayloadLen returns the payload length (after the CID byte) of
// the command cid in the given direction, and false if that command is not
// defined there (proprietary CIDs 0x80–0xFF included).
func MACCommandPayloadLen(cid CID, uplink bool) (int, bool) {
	n := macPayloadLen(cid, uplink)
	return n, n >= 0
}

// macPayloadLen is MACCommandPayloadLen with -1 for unknown.
func macPayloadLen(cid CID, uplink bool) int {
	if int(cid) >= len(macLenUp) {
		return -1
	}
	n := macLenDown[cid]
	if uplink {
		n = macLenUp[cid]
	}
	if n == 0xff {
		return -1
	}
	return int(n)
}

// String returns the command family name without direction, e.g. "LinkADR";
// use Name for the request or answer.
func (c CID) String() string {
	if s := c.family(); s != "" {
		return s
	}
	if c >= 0x80 {
		return fmt.Sprintf("Proprietary(0x%02X)", uint8(c))
	}
	return fmt.Sprintf("CID(0x%02X)", uint8(c))
}

// family returns the name shared by request and answer, or "".
func (c CID) family() string {
	switch c {
	case CIDReset:
		return "Reset"
	case CIDLinkCheck:
		return "LinkCheck"
	case CIDLinkADR:
		return "LinkADR"
	case CIDDutyCycle:
		return "DutyCycle"
	case CIDRXParamSetup:
		return "RXParamSetup"
	case CIDDevStatus:
		return "DevStatus"
	case CIDNewChannel:
		return "NewChannel"
	case CIDRXTimingSetup:
		return "RXTimingSetup"
	case CIDTxParamSetup:
		return "TxParamSetup"
	case CIDDlChannel:
		return "DlChannel"
	case CIDRekey:
		return "Rekey"
	case CIDADRParamSetup:
		return "ADRParamSetup"
	case CIDDeviceTime:
		return "DeviceTime"
	case CIDForceRejoin:
		return "ForceRejoin"
	case CIDRejoinParamSetup:
		return "RejoinParamSetup"
	case CIDPingSlotInfo:
		return "PingSlotInfo"
	case CIDPingSlotChannel:
		return "PingSlotChannel"
	case CIDBeaconTiming:
		return "BeaconTiming"
	case CIDBeaconFreq:
		return "BeaconFreq"
	case CIDDeviceMode:
		return "DeviceMode"
	}
	return ""
}

// Name returns the command's name in the given direction, e.g.
// "LinkADRAns" for CIDLinkADR uplink, or a "CID(0x..)"-style name with the
// direction when the command does not exist there.
func (c CID) Name(uplink bool) string {
	if macPayloadLen(c, uplink) < 0 {
		if uplink {
			return c.String() + " uplink"
		}
		return c.String() + " downlink"
	}
	var suffix string
	switch c {
	case CIDReset, CIDRekey, CIDDeviceMode:
		suffix = "Conf"
		if uplink {
			suffix = "Ind"
		}
	case CIDLinkCheck, CIDDeviceTime, CIDPingSlotInfo, CIDBeaconTiming:
		// Requested by the device.
		suffix = "Ans"
		if uplink {
			suffix = "Req"
		}
	default:
		suffix = "Req"
		if uplink {
			suffix = "Ans"
		}
	}
	return c.family() + suffix
}

// MACCommandPayload is the typed payload of one MAC command: it knows its
// command and direction and converts itself from and to the bytes after the
// CID. Every command, even an empty one, has its own type (*LinkADRReq, …).
type MACCommandPayload interface {
	// CID returns the command identifier the payload belongs to.
	CID() CID
	// Uplink reports whether the command travels from device to network.
	Uplink() bool
	// AppendBinary appends the payload bytes (without the CID).
	AppendBinary(dst []byte) ([]byte, error)
	// UnmarshalBinary decodes the payload bytes (without the CID).
	UnmarshalBinary(b []byte) error
}

// MACCommand is one decoded MAC command.
type MACCommand struct {
	CID     CID
	Payload MACCommandPayload
}

// NewMACCommandPayload returns a zero payload of the right type for cid in
// the given direction, ready for UnmarshalBinary, or an error wrapping
// ErrUnknownMACCommand.
func NewMACCommandPayload(cid CID, uplink bool) (MACCommandPayload, error) {
	if uplink {
		switch cid {
		case CIDReset:
			return new(ResetInd), nil
		case CIDLinkCheck:
			return new(LinkCheckReq), nil
		case CIDLinkADR:
			return new(LinkADRAns), nil
		case CIDDutyCycle:
			return new(DutyCycleAns), nil
		case CIDRXParamSetup:
			return new(RXParamSetupAns), nil
		case CIDDevStatus:
			return new(DevStatusAns), nil
		case CIDNewChannel:
			return new(NewChannelAns), nil
		case CIDRXTimingSetup:
			return new(RXTimingSetupAns), nil
		case CIDTxParamSetup:
			return new(TxParamSetupAns), nil
		case CIDDlChannel:
			return new(DlChannelAns), nil
		case CIDRekey:
			return new(RekeyInd), nil
		case CIDADRParamSetup:
			return new(ADRParamSetupAns), nil
		case CIDDeviceTime:
			return new(DeviceTimeReq), nil
		case CIDRejoinParamSetup:
			return new(RejoinParamSetupAns), nil
		case CIDPingSlotInfo:
			return new(PingSlotInfoReq), nil
		case CIDPingSlotChannel:
			return new(PingSlotChannelAns), nil
		case CIDBeaconTiming:
			return new(BeaconTimingReq), nil
		case CIDBeaconFreq:
			return new(BeaconFreqAns), nil
		case CIDDeviceMode:
			return new(DeviceModeInd), nil
		}
		return nil, macUnknown(cid, uplink)
	}
	switch cid {
	case CIDReset:
		return new(ResetConf), nil
	case CIDLinkCheck:
		return new(LinkCheckAns), nil
	case CIDLinkADR:
		return new(LinkADRReq), nil
	case CIDDutyCycle:
		return new(DutyCycleReq), nil
	case CIDRXParamSetup:
		return new(RXParamSetupReq), nil
	case CIDDevStatus:
		return new(DevStatusReq), nil
	case CIDNewChannel:
		return new(NewChannelReq), nil
	case CIDRXTimingSetup:
		return new(RXTimingSetupReq), nil
	case CIDTxParamSetup:
		return new(TxParamSetupReq), nil
	case CIDDlChannel:
		return new(DlChannelReq), nil
	case CIDRekey:
		return new(RekeyConf), nil
	case CIDADRParamSetup:
		return new(ADRParamSetupReq), nil
	case CIDDeviceTime:
		return new(DeviceTimeAns), nil
	case CIDForceRejoin:
		return new(ForceRejoinReq), nil
	case CIDRejoinParamSetup:
		return new(RejoinParamSetupReq), nil
	case CIDPingSlotInfo:
		return new(PingSlotInfoAns), nil
	case CIDPingSlotChannel:
		return new(PingSlotChannelReq), nil
	case CIDBeaconTiming:
		return new(BeaconTimingAns), nil
	case CIDBeaconFreq:
		return new(BeaconFreqReq), nil
	case CIDDeviceMode:
		return new(DeviceModeConf), nil
	}
	return nil, macUnknown(cid, uplink)
}

// NextMACCommand reads the first MAC command of b without allocating:
// its CID, its payload (aliasing b) and the bytes after it. Loop while
// len(rest) > 0. At a CID unknown in that direction it returns an error
// wrapping ErrUnknownMACCommand, at a truncated payload or an empty b one
// wrapping ErrMalformed; rest is then b, where reading stopped.
func NextMACCommand(b []byte, uplink bool) (cid CID, payload, rest []byte, err error) {
	if len(b) == 0 {
		return 0, nil, b, phyErr("mac commands: no command to read")
	}
	cid = CID(b[0])
	n := macPayloadLen(cid, uplink)
	if n < 0 {
		return cid, nil, b, macUnknown(cid, uplink)
	}
	if 1+n > len(b) {
		return cid, nil, b, phyErr("mac command %s: %d payload bytes, want %d", cid.Name(uplink), len(b)-1, n)
	}
	return cid, b[1 : 1+n : 1+n], b[1+n:], nil
}

// macUnknown is the error for a CID unknown in a direction.
func macUnknown(cid CID, uplink bool) error {
	return fmt.Errorf("%w: %s", ErrUnknownMACCommand, cid.Name(uplink))
}

// ParseMACCommands decodes every MAC command of b (FOpts, or an FPort 0
// FRMPayload, in clear) into typed payloads. If it meets an unknown CID or a
// bad payload it returns the commands decoded before it with the error
// (wrapping ErrUnknownMACCommand or ErrMalformed). An empty b yields none.
func ParseMACCommands(b []byte, uplink bool) ([]MACCommand, error) {
	var cmds []MACCommand
	for len(b) > 0 {
		cid, payload, rest, err := NextMACCommand(b, uplink)
		if err != nil {
			return cmds, err
		}
		p, err := NewMACCommandPayload(cid, uplink)
		if err != nil {
			return cmds, err
		}
		if err := p.UnmarshalBinary(payload); err != nil {
			return cmds, err
		}
		cmds = append(cmds, MACCommand{CID: cid, Payload: p})
		b = rest
	}
	return cmds, nil
}

// AppendMACCommands appends the commands, CID then payload, to dst. Every
// command needs a payload of its CID's type, and all must go the same way;
// otherwise dst is returned unchanged with an error wrapping ErrMalformed.
func AppendMACCommands(dst []byte, cmds ...MACCommand) ([]byte, error) {
	start := len(dst)
	for i, c := range cmds {
		if c.Payload == nil {
			return dst[:start], phyErr("mac command %d (%s): no payload", i, c.CID)
		}
		up := c.Payload.Uplink()
		if c.Payload.CID() != c.CID {
			return dst[:start], phyErr("mac command %d: cid %s with a %s payload", i, c.CID, c.Payload.CID().Name(up))
		}
		if up != cmds[0].Payload.Uplink() {
			return dst[:start], phyErr("mac command %d (%s): direction differs from command 0", i, c.CID.Name(up))
		}
		dst = append(dst, byte(c.CID))
		n := len(dst)
		var err error
		if dst, err = c.Payload.AppendBinary(dst); err != nil {
			return dst[:start], err
		}
		if want := macPayloadLen(c.CID, up); len(dst)-n != want {
			return dst[:start], phyErr("mac command %s: encoded %d payload bytes, want %d", c.CID.Name(up), len(dst)-n, want)
		}
	}
	return dst, nil
}

// macLen checks that a payload has its command's length.
func macLen(b []byte, cid CID, uplink bool) error {
	if want := macPayloadLen(cid, uplink); len(b) != want {
		return phyErr("mac command %s: %d payload bytes, want %d", cid.Name(uplink), len(b), want)
	}
	return nil
}

// macRFU refuses a payload byte with bits of mask (RFU) set: such a command
// could not be written back unchanged.
func macRFU(v, mask byte, cid CID, uplink bool) error {
	if v&mask != 0 {
		return phyErr("mac command %s: rfu bits set in 0x%02x", cid.Name(uplink), v)
	}
	return nil
}

// macMax refuses a field value above max.
func macMax(v, limit uint8, field string, cid CID, uplink bool) error {
	if v > limit {
		return phyErr("mac command %s: %s %d above %d", cid.Name(uplink), field, v, limit)
	}
	return nil
}

// macBit returns bit if v is true.
func macBit(v bool, bit byte) byte {
	if v {
		return bit
	}
	return 0
}

// ResetInd (uplink, 1.1) tells the network that an ABP device has reset and
// which LoRaWAN 1.x minor version it runs.
type ResetInd struct {
	Minor uint8 // Dev LoRaWAN version minor, 4 bits: 1 for LoRaWAN 1.1
}

// CID returns CIDReset.
func (ResetInd) CID() CID { return CIDReset }

// Uplink returns true.
func (ResetInd) Uplink() bool { return true }

// AppendBinary appends the payload byte.
func (c ResetInd) AppendBinary(dst []byte) ([]byte, error) {
	return appendMinor(dst, c.Minor, CIDReset, true)
}

// UnmarshalBinary decodes the payload byte.
func (c *ResetInd) UnmarshalBinary(b []byte) error {
	return readMinor(b, &c.Minor, CIDReset, true)
}

// ResetConf (downlink, 1.1) acknowledges a ResetInd with the network's
// LoRaWAN 1.x minor version.
type ResetConf struct {
	Minor uint8 // Serv LoRaWAN version minor, 4 bits
}

// CID returns CIDReset.
func (ResetConf) CID() CID { return CIDReset }

// Uplink returns false.
func (ResetConf) Uplink() bool { return false }

// AppendBinary appends the payload byte.
func (c ResetConf) AppendBinary(dst []byte) ([]byte, error) {
	return appendMinor(dst, c.Minor, CIDReset, false)
}

// UnmarshalBinary decodes the payload byte.
func (c *ResetConf) UnmarshalBinary(b []byte) error {
	return readMinor(b, &c.Minor, CIDReset, false)
}

// appendMinor appends a version byte: RFU 7..4, Minor 3..0.
func appendMinor(dst []byte, minor uint8, cid CID, uplink bool) ([]byte, error) {
	if err := macMax(minor, 15, "minor", cid, uplink); err != nil {
		return dst, err
	}
	return append(dst, minor), nil
}

// readMinor decodes a version byte.
func readMinor(b []byte, minor *uint8, cid CID, uplink bool) error {
	if err := macLen(b, cid, uplink); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xf0, cid, uplink); err != nil {
		return err
	}
	*minor = b[0]
	return nil
}

// LinkCheckReq (uplink) asks the network for the link margin and the number
// of gateways that heard the frame.
type LinkCheckReq struct{}

// CID returns CIDLinkCheck.
func (LinkCheckReq) CID() CID { return CIDLinkCheck }

// Uplink returns true.
func (LinkCheckReq) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (LinkCheckReq) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *LinkCheckReq) UnmarshalBinary(b []byte) error { return macLen(b, CIDLinkCheck, true) }

// LinkCheckAns (downlink) answers LinkCheckReq.
type LinkCheckAns struct {
	Margin uint8 // dB above the demodulation floor of the best reception, 0..254
	GwCnt  uint8 // number of gateways that received the LinkCheckReq
}

// CID returns CIDLinkCheck.
func (LinkCheckAns) CID() CID { return CIDLinkCheck }

// Uplink returns false.
func (LinkCheckAns) Uplink() bool { return false }

// AppendBinary appends Margin and GwCnt.
func (c LinkCheckAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, c.Margin, c.GwCnt), nil
}

// UnmarshalBinary decodes Margin and GwCnt.
func (c *LinkCheckAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDLinkCheck, false); err != nil {
		return err
	}
	*c = LinkCheckAns{Margin: b[0], GwCnt: b[1]}
	return nil
}

// LinkADRReq (downlink) sets the device's data rate, power, channel mask and
// repetitions.
type LinkADRReq struct {
	DataRate   uint8  // 4 bits, region's DR index
	TXPower    uint8  // 4 bits, region's TXPower index
	ChMask     uint16 // channel mask, bit 0 = first channel of the block
	ChMaskCntl uint8  // 3 bits: how ChMask applies (region-specific)
	NbTrans    uint8  // 4 bits: transmissions per uplink, 0 keeps the current value
}

// CID returns CIDLinkADR.
func (LinkADRReq) CID() CID { return CIDLinkADR }

// Uplink returns false.
func (LinkADRReq) Uplink() bool { return false }

// AppendBinary appends DataRate_TXPower, ChMask and Redundancy.
func (c LinkADRReq) AppendBinary(dst []byte) ([]byte, error) {
	for _, f := range [...]struct {
		v, limit uint8
		name     string
	}{{c.DataRate, 15, "datarate"}, {c.TXPower, 15, "txpower"}, {c.ChMaskCntl, 7, "chmaskcntl"}, {c.NbTrans, 15, "nbtrans"}} {
		if err := macMax(f.v, f.limit, f.name, CIDLinkADR, false); err != nil {
			return dst, err
		}
	}
	return append(dst, c.DataRate<<4|c.TXPower, byte(c.ChMask), byte(c.ChMask>>8), c.ChMaskCntl<<4|c.NbTrans), nil
}

// UnmarshalBinary decodes the payload; the Redundancy RFU bit 7 must be zero.
func (c *LinkADRReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDLinkADR, false); err != nil {
		return err
	}
	if err := macRFU(b[3], 0x80, CIDLinkADR, false); err != nil {
		return err
	}
	*c = LinkADRReq{
		DataRate:   b[0] >> 4,
		TXPower:    b[0] & 0x0f,
		ChMask:     binary.LittleEndian.Uint16(b[1:3]),
		ChMaskCntl: b[3] >> 4,
		NbTrans:    b[3] & 0x0f,
	}
	return nil
}

// LinkADRAns (uplink) answers LinkADRReq.
type LinkADRAns struct {
	PowerACK       bool // bit 2
	DataRateACK    bool // bit 1
	ChannelMaskACK bool // bit 0
}

// CID returns CIDLinkADR.
func (LinkADRAns) CID() CID { return CIDLinkADR }

// Uplink returns true.
func (LinkADRAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c LinkADRAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.PowerACK, 4)|macBit(c.DataRateACK, 2)|macBit(c.ChannelMaskACK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..3 must be zero.
func (c *LinkADRAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDLinkADR, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xf8, CIDLinkADR, true); err != nil {
		return err
	}
	*c = LinkADRAns{PowerACK: b[0]&4 != 0, DataRateACK: b[0]&2 != 0, ChannelMaskACK: b[0]&1 != 0}
	return nil
}

// DutyCycleReq (downlink) limits the device's aggregated duty cycle to
// 1/2^MaxDCycle.
type DutyCycleReq struct {
	MaxDCycle uint8 // 4 bits
}

// CID returns CIDDutyCycle.
func (DutyCycleReq) CID() CID { return CIDDutyCycle }

// Uplink returns false.
func (DutyCycleReq) Uplink() bool { return false }

// AppendBinary appends DutyCyclePL.
func (c DutyCycleReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.MaxDCycle, 15, "maxdcycle", CIDDutyCycle, false); err != nil {
		return dst, err
	}
	return append(dst, c.MaxDCycle), nil
}

// UnmarshalBinary decodes DutyCyclePL; RFU bits 7..4 must be zero.
func (c *DutyCycleReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDutyCycle, false); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xf0, CIDDutyCycle, false); err != nil {
		return err
	}
	c.MaxDCycle = b[0]
	return nil
}

// DutyCycleAns (uplink) acknowledges DutyCycleReq.
type DutyCycleAns struct{}

// CID returns CIDDutyCycle.
func (DutyCycleAns) CID() CID { return CIDDutyCycle }

// Uplink returns true.
func (DutyCycleAns) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (DutyCycleAns) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *DutyCycleAns) UnmarshalBinary(b []byte) error { return macLen(b, CIDDutyCycle, true) }

// RXParamSetupReq (downlink) changes the RX1 data-rate offset and the RX2
// data rate and frequency.
type RXParamSetupReq struct {
	RX1DROffset uint8  // 3 bits
	RX2DataRate uint8  // 4 bits
	Freq        uint32 // RX2 frequency in Hz, a multiple of 100
}

// CID returns CIDRXParamSetup.
func (RXParamSetupReq) CID() CID { return CIDRXParamSetup }

// Uplink returns false.
func (RXParamSetupReq) Uplink() bool { return false }

// AppendBinary appends DLsettings and Frequency.
func (c RXParamSetupReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.RX1DROffset, 7, "rx1droffset", CIDRXParamSetup, false); err != nil {
		return dst, err
	}
	if err := macMax(c.RX2DataRate, 15, "rx2datarate", CIDRXParamSetup, false); err != nil {
		return dst, err
	}
	out, err := appendFreq100(append(dst, c.RX1DROffset<<4|c.RX2DataRate), c.Freq)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// UnmarshalBinary decodes the payload; the DLsettings RFU bit 7 must be zero.
func (c *RXParamSetupReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDRXParamSetup, false); err != nil {
		return err
	}
	if err := macRFU(b[0], 0x80, CIDRXParamSetup, false); err != nil {
		return err
	}
	*c = RXParamSetupReq{RX1DROffset: b[0] >> 4, RX2DataRate: b[0] & 0x0f, Freq: readFreq100(b[1:])}
	return nil
}

// RXParamSetupAns (uplink) answers RXParamSetupReq.
type RXParamSetupAns struct {
	RX1DROffsetACK bool // bit 2
	RX2DataRateACK bool // bit 1
	ChannelACK     bool // bit 0
}

// CID returns CIDRXParamSetup.
func (RXParamSetupAns) CID() CID { return CIDRXParamSetup }

// Uplink returns true.
func (RXParamSetupAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c RXParamSetupAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.RX1DROffsetACK, 4)|macBit(c.RX2DataRateACK, 2)|macBit(c.ChannelACK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..3 must be zero.
func (c *RXParamSetupAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDRXParamSetup, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xf8, CIDRXParamSetup, true); err != nil {
		return err
	}
	*c = RXParamSetupAns{RX1DROffsetACK: b[0]&4 != 0, RX2DataRateACK: b[0]&2 != 0, ChannelACK: b[0]&1 != 0}
	return nil
}

// DevStatusReq (downlink) asks the device for its battery level and
// demodulation margin.
type DevStatusReq struct{}

// CID returns CIDDevStatus.
func (DevStatusReq) CID() CID { return CIDDevStatus }

// Uplink returns false.
func (DevStatusReq) Uplink() bool { return false }

// AppendBinary appends nothing: the command has no payload.
func (DevStatusReq) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *DevStatusReq) UnmarshalBinary(b []byte) error { return macLen(b, CIDDevStatus, false) }

// DevStatusAns (uplink) answers DevStatusReq.
type DevStatusAns struct {
	Battery uint8 // 0 external power, 1..254 level, 255 unknown
	Margin  int8  // SNR margin of the last DevStatusReq in dB, -32..31 (6 bits)
}

// CID returns CIDDevStatus.
func (DevStatusAns) CID() CID { return CIDDevStatus }

// Uplink returns true.
func (DevStatusAns) Uplink() bool { return true }

// AppendBinary appends Battery and the radio-status byte.
func (c DevStatusAns) AppendBinary(dst []byte) ([]byte, error) {
	if c.Margin < -32 || c.Margin > 31 {
		return dst, phyErr("mac command DevStatusAns: margin %d outside -32..31", c.Margin)
	}
	return append(dst, c.Battery, byte(c.Margin)&0x3f), nil
}

// UnmarshalBinary decodes the payload; RFU bits 7..6 must be zero.
func (c *DevStatusAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDevStatus, true); err != nil {
		return err
	}
	if err := macRFU(b[1], 0xc0, CIDDevStatus, true); err != nil {
		return err
	}
	*c = DevStatusAns{Battery: b[0], Margin: int8(b[1]<<2) >> 2}
	return nil
}

// NewChannelReq (downlink) creates, changes or (Freq 0) disables a channel.
type NewChannelReq struct {
	ChIndex uint8
	Freq    uint32 // Hz, a multiple of 100; 0 disables the channel
	MinDR   uint8  // 4 bits
	MaxDR   uint8  // 4 bits
}

// CID returns CIDNewChannel.
func (NewChannelReq) CID() CID { return CIDNewChannel }

// Uplink returns false.
func (NewChannelReq) Uplink() bool { return false }

// AppendBinary appends ChIndex, Freq and DrRange.
func (c NewChannelReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.MinDR, 15, "mindr", CIDNewChannel, false); err != nil {
		return dst, err
	}
	if err := macMax(c.MaxDR, 15, "maxdr", CIDNewChannel, false); err != nil {
		return dst, err
	}
	out, err := appendFreq100(append(dst, c.ChIndex), c.Freq)
	if err != nil {
		return dst, err
	}
	return append(out, c.MaxDR<<4|c.MinDR), nil
}

// UnmarshalBinary decodes the payload.
func (c *NewChannelReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDNewChannel, false); err != nil {
		return err
	}
	*c = NewChannelReq{ChIndex: b[0], Freq: readFreq100(b[1:]), MinDR: b[4] & 0x0f, MaxDR: b[4] >> 4}
	return nil
}

// NewChannelAns (uplink) answers NewChannelReq.
type NewChannelAns struct {
	DataRateRangeOK bool // bit 1
	ChannelFreqOK   bool // bit 0
}

// CID returns CIDNewChannel.
func (NewChannelAns) CID() CID { return CIDNewChannel }

// Uplink returns true.
func (NewChannelAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c NewChannelAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.DataRateRangeOK, 2)|macBit(c.ChannelFreqOK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..2 must be zero.
func (c *NewChannelAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDNewChannel, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xfc, CIDNewChannel, true); err != nil {
		return err
	}
	*c = NewChannelAns{DataRateRangeOK: b[0]&2 != 0, ChannelFreqOK: b[0]&1 != 0}
	return nil
}

// RXTimingSetupReq (downlink) sets the delay between the end of an uplink
// and RX1.
type RXTimingSetupReq struct {
	Delay uint8 // 4 bits, seconds; 0 means 1 s
}

// CID returns CIDRXTimingSetup.
func (RXTimingSetupReq) CID() CID { return CIDRXTimingSetup }

// Uplink returns false.
func (RXTimingSetupReq) Uplink() bool { return false }

// AppendBinary appends the Settings byte.
func (c RXTimingSetupReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.Delay, 15, "delay", CIDRXTimingSetup, false); err != nil {
		return dst, err
	}
	return append(dst, c.Delay), nil
}

// UnmarshalBinary decodes the Settings byte; RFU bits 7..4 must be zero.
func (c *RXTimingSetupReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDRXTimingSetup, false); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xf0, CIDRXTimingSetup, false); err != nil {
		return err
	}
	c.Delay = b[0]
	return nil
}

// RXTimingSetupAns (uplink) acknowledges RXTimingSetupReq.
type RXTimingSetupAns struct{}

// CID returns CIDRXTimingSetup.
func (RXTimingSetupAns) CID() CID { return CIDRXTimingSetup }

// Uplink returns true.
func (RXTimingSetupAns) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (RXTimingSetupAns) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *RXTimingSetupAns) UnmarshalBinary(b []byte) error {
	return macLen(b, CIDRXTimingSetup, true)
}

// TxParamSetupReq (downlink) sets dwell-time limits and the maximum EIRP,
// in regions that allow it (AS923, AU915).
type TxParamSetupReq struct {
	DownlinkDwellTime bool  // bit 5: 400 ms limit on downlinks
	UplinkDwellTime   bool  // bit 4: 400 ms limit on uplinks
	MaxEIRP           uint8 // 4 bits, index into 8,10,12,13,14,16,18,20,21,24,26,27,29,30,33,36 dBm
}

// CID returns CIDTxParamSetup.
func (TxParamSetupReq) CID() CID { return CIDTxParamSetup }

// Uplink returns false.
func (TxParamSetupReq) Uplink() bool { return false }

// AppendBinary appends the EIRP_DwellTime byte.
func (c TxParamSetupReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.MaxEIRP, 15, "maxeirp", CIDTxParamSetup, false); err != nil {
		return dst, err
	}
	return append(dst, macBit(c.DownlinkDwellTime, 0x20)|macBit(c.UplinkDwellTime, 0x10)|c.MaxEIRP), nil
}

// UnmarshalBinary decodes the EIRP_DwellTime byte; RFU bits 7..6 must be zero.
func (c *TxParamSetupReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDTxParamSetup, false); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xc0, CIDTxParamSetup, false); err != nil {
		return err
	}
	*c = TxParamSetupReq{DownlinkDwellTime: b[0]&0x20 != 0, UplinkDwellTime: b[0]&0x10 != 0, MaxEIRP: b[0] & 0x0f}
	return nil
}

// TxParamSetupAns (uplink) acknowledges TxParamSetupReq.
type TxParamSetupAns struct{}

// CID returns CIDTxParamSetup.
func (TxParamSetupAns) CID() CID { return CIDTxParamSetup }

// Uplink returns true.
func (TxParamSetupAns) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (TxParamSetupAns) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *TxParamSetupAns) UnmarshalBinary(b []byte) error { return macLen(b, CIDTxParamSetup, true) }

// DlChannelReq (downlink) moves the RX1 downlink frequency of a channel.
type DlChannelReq struct {
	ChIndex uint8
	Freq    uint32 // Hz, a multiple of 100
}

// CID returns CIDDlChannel.
func (DlChannelReq) CID() CID { return CIDDlChannel }

// Uplink returns false.
func (DlChannelReq) Uplink() bool { return false }

// AppendBinary appends ChIndex and Freq.
func (c DlChannelReq) AppendBinary(dst []byte) ([]byte, error) {
	out, err := appendFreq100(append(dst, c.ChIndex), c.Freq)
	if err != nil {
		return dst, err
	}
	return out, nil
}

// UnmarshalBinary decodes ChIndex and Freq.
func (c *DlChannelReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDlChannel, false); err != nil {
		return err
	}
	*c = DlChannelReq{ChIndex: b[0], Freq: readFreq100(b[1:])}
	return nil
}

// DlChannelAns (uplink) answers DlChannelReq.
type DlChannelAns struct {
	UplinkFreqExists bool // bit 1
	ChannelFreqOK    bool // bit 0
}

// CID returns CIDDlChannel.
func (DlChannelAns) CID() CID { return CIDDlChannel }

// Uplink returns true.
func (DlChannelAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c DlChannelAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.UplinkFreqExists, 2)|macBit(c.ChannelFreqOK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..2 must be zero.
func (c *DlChannelAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDlChannel, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xfc, CIDDlChannel, true); err != nil {
		return err
	}
	*c = DlChannelAns{UplinkFreqExists: b[0]&2 != 0, ChannelFreqOK: b[0]&1 != 0}
	return nil
}

// RekeyInd (uplink, 1.1) confirms the security context after an OTAA join
// and carries the device's LoRaWAN 1.x minor version.
type RekeyInd struct {
	Minor uint8 // Dev LoRaWAN version minor, 4 bits: 1 for LoRaWAN 1.1
}

// CID returns CIDRekey.
func (RekeyInd) CID() CID { return CIDRekey }

// Uplink returns true.
func (RekeyInd) Uplink() bool { return true }

// AppendBinary appends the payload byte.
func (c RekeyInd) AppendBinary(dst []byte) ([]byte, error) {
	return appendMinor(dst, c.Minor, CIDRekey, true)
}

// UnmarshalBinary decodes the payload byte.
func (c *RekeyInd) UnmarshalBinary(b []byte) error {
	return readMinor(b, &c.Minor, CIDRekey, true)
}

// RekeyConf (downlink, 1.1) answers RekeyInd with the network's minor version.
type RekeyConf struct {
	Minor uint8 // Serv LoRaWAN version minor, 4 bits
}

// CID returns CIDRekey.
func (RekeyConf) CID() CID { return CIDRekey }

// Uplink returns false.
func (RekeyConf) Uplink() bool { return false }

// AppendBinary appends the payload byte.
func (c RekeyConf) AppendBinary(dst []byte) ([]byte, error) {
	return appendMinor(dst, c.Minor, CIDRekey, false)
}

// UnmarshalBinary decodes the payload byte.
func (c *RekeyConf) UnmarshalBinary(b []byte) error {
	return readMinor(b, &c.Minor, CIDRekey, false)
}

// ADRParamSetupReq (downlink, 1.1) sets ADR_ACK_LIMIT = 2^LimitExp and
// ADR_ACK_DELAY = 2^DelayExp.
type ADRParamSetupReq struct {
	LimitExp uint8 // 4 bits
	DelayExp uint8 // 4 bits
}

// CID returns CIDADRParamSetup.
func (ADRParamSetupReq) CID() CID { return CIDADRParamSetup }

// Uplink returns false.
func (ADRParamSetupReq) Uplink() bool { return false }

// AppendBinary appends the ADRparam byte.
func (c ADRParamSetupReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.LimitExp, 15, "limitexp", CIDADRParamSetup, false); err != nil {
		return dst, err
	}
	if err := macMax(c.DelayExp, 15, "delayexp", CIDADRParamSetup, false); err != nil {
		return dst, err
	}
	return append(dst, c.LimitExp<<4|c.DelayExp), nil
}

// UnmarshalBinary decodes the ADRparam byte.
func (c *ADRParamSetupReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDADRParamSetup, false); err != nil {
		return err
	}
	*c = ADRParamSetupReq{LimitExp: b[0] >> 4, DelayExp: b[0] & 0x0f}
	return nil
}

// ADRParamSetupAns (uplink, 1.1) acknowledges ADRParamSetupReq.
type ADRParamSetupAns struct{}

// CID returns CIDADRParamSetup.
func (ADRParamSetupAns) CID() CID { return CIDADRParamSetup }

// Uplink returns true.
func (ADRParamSetupAns) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (ADRParamSetupAns) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *ADRParamSetupAns) UnmarshalBinary(b []byte) error {
	return macLen(b, CIDADRParamSetup, true)
}

// DeviceTimeReq (uplink) asks the network for the current time.
type DeviceTimeReq struct{}

// CID returns CIDDeviceTime.
func (DeviceTimeReq) CID() CID { return CIDDeviceTime }

// Uplink returns true.
func (DeviceTimeReq) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (DeviceTimeReq) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *DeviceTimeReq) UnmarshalBinary(b []byte) error { return macLen(b, CIDDeviceTime, true) }

// DeviceTimeAns (downlink) gives the GPS time at the end of the uplink that
// carried DeviceTimeReq.
type DeviceTimeAns struct {
	Seconds  uint32 // seconds since the GPS epoch (1980-01-06T00:00:00Z)
	Fraction uint8  // fractional second in 1/256 s steps
}

// CID returns CIDDeviceTime.
func (DeviceTimeAns) CID() CID { return CIDDeviceTime }

// Uplink returns false.
func (DeviceTimeAns) Uplink() bool { return false }

// AppendBinary appends Seconds (little-endian) and Fraction.
func (c DeviceTimeAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(binary.LittleEndian.AppendUint32(dst, c.Seconds), c.Fraction), nil
}

// UnmarshalBinary decodes Seconds and Fraction.
func (c *DeviceTimeAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDeviceTime, false); err != nil {
		return err
	}
	*c = DeviceTimeAns{Seconds: binary.LittleEndian.Uint32(b), Fraction: b[4]}
	return nil
}

// ForceRejoinReq (downlink, 1.1) makes the device send rejoin-requests.
type ForceRejoinReq struct {
	Period     uint8 // 3 bits: delay between retransmissions, 32 s × 2^Period + random
	MaxRetries uint8 // 3 bits: retransmissions after the first
	RejoinType uint8 // 3 bits: 0 or 2
	DataRate   uint8 // 4 bits: DR of the rejoin-requests
}

// CID returns CIDForceRejoin.
func (ForceRejoinReq) CID() CID { return CIDForceRejoin }

// Uplink returns false.
func (ForceRejoinReq) Uplink() bool { return false }

// AppendBinary appends the 16-bit field, little-endian.
func (c ForceRejoinReq) AppendBinary(dst []byte) ([]byte, error) {
	for _, f := range [...]struct {
		v, limit uint8
		name     string
	}{{c.Period, 7, "period"}, {c.MaxRetries, 7, "maxretries"}, {c.RejoinType, 7, "rejointype"}, {c.DataRate, 15, "datarate"}} {
		if err := macMax(f.v, f.limit, f.name, CIDForceRejoin, false); err != nil {
			return dst, err
		}
	}
	v := uint16(c.Period)<<11 | uint16(c.MaxRetries)<<8 | uint16(c.RejoinType)<<4 | uint16(c.DataRate)
	return binary.LittleEndian.AppendUint16(dst, v), nil
}

// UnmarshalBinary decodes the 16-bit field; RFU bits 15..14 and 7 must be zero.
func (c *ForceRejoinReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDForceRejoin, false); err != nil {
		return err
	}
	if err := macRFU(b[0], 0x80, CIDForceRejoin, false); err != nil {
		return err
	}
	if err := macRFU(b[1], 0xc0, CIDForceRejoin, false); err != nil {
		return err
	}
	v := binary.LittleEndian.Uint16(b)
	*c = ForceRejoinReq{
		Period:     uint8(v>>11) & 7,
		MaxRetries: uint8(v>>8) & 7,
		RejoinType: uint8(v>>4) & 7,
		DataRate:   uint8(v) & 0x0f,
	}
	return nil
}

// RejoinParamSetupReq (downlink, 1.1) asks the device to send a type-0
// rejoin-request every 2^(MaxCountN+4) uplinks or 2^(MaxTimeN+10) seconds.
type RejoinParamSetupReq struct {
	MaxTimeN  uint8 // 4 bits
	MaxCountN uint8 // 4 bits
}

// CID returns CIDRejoinParamSetup.
func (RejoinParamSetupReq) CID() CID { return CIDRejoinParamSetup }

// Uplink returns false.
func (RejoinParamSetupReq) Uplink() bool { return false }

// AppendBinary appends the payload byte.
func (c RejoinParamSetupReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.MaxTimeN, 15, "maxtimen", CIDRejoinParamSetup, false); err != nil {
		return dst, err
	}
	if err := macMax(c.MaxCountN, 15, "maxcountn", CIDRejoinParamSetup, false); err != nil {
		return dst, err
	}
	return append(dst, c.MaxTimeN<<4|c.MaxCountN), nil
}

// UnmarshalBinary decodes the payload byte.
func (c *RejoinParamSetupReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDRejoinParamSetup, false); err != nil {
		return err
	}
	*c = RejoinParamSetupReq{MaxTimeN: b[0] >> 4, MaxCountN: b[0] & 0x0f}
	return nil
}

// RejoinParamSetupAns (uplink, 1.1) answers RejoinParamSetupReq.
type RejoinParamSetupAns struct {
	TimeOK bool // bit 0: the time limit was accepted
}

// CID returns CIDRejoinParamSetup.
func (RejoinParamSetupAns) CID() CID { return CIDRejoinParamSetup }

// Uplink returns true.
func (RejoinParamSetupAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c RejoinParamSetupAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.TimeOK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..1 must be zero.
func (c *RejoinParamSetupAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDRejoinParamSetup, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xfe, CIDRejoinParamSetup, true); err != nil {
		return err
	}
	c.TimeOK = b[0]&1 != 0
	return nil
}

// PingSlotInfoReq (uplink, Class B) tells the network the device's ping
// period: 2^Periodicity seconds.
type PingSlotInfoReq struct {
	Periodicity uint8 // 3 bits
}

// CID returns CIDPingSlotInfo.
func (PingSlotInfoReq) CID() CID { return CIDPingSlotInfo }

// Uplink returns true.
func (PingSlotInfoReq) Uplink() bool { return true }

// AppendBinary appends the PingSlotParam byte.
func (c PingSlotInfoReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.Periodicity, 7, "periodicity", CIDPingSlotInfo, true); err != nil {
		return dst, err
	}
	return append(dst, c.Periodicity), nil
}

// UnmarshalBinary decodes the PingSlotParam byte; RFU bits 7..3 must be zero.
func (c *PingSlotInfoReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDPingSlotInfo, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xf8, CIDPingSlotInfo, true); err != nil {
		return err
	}
	c.Periodicity = b[0]
	return nil
}

// PingSlotInfoAns (downlink, Class B) acknowledges PingSlotInfoReq.
type PingSlotInfoAns struct{}

// CID returns CIDPingSlotInfo.
func (PingSlotInfoAns) CID() CID { return CIDPingSlotInfo }

// Uplink returns false.
func (PingSlotInfoAns) Uplink() bool { return false }

// AppendBinary appends nothing: the command has no payload.
func (PingSlotInfoAns) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *PingSlotInfoAns) UnmarshalBinary(b []byte) error {
	return macLen(b, CIDPingSlotInfo, false)
}

// PingSlotChannelReq (downlink, Class B) sets the ping-slot frequency and
// data rate.
type PingSlotChannelReq struct {
	Freq     uint32 // Hz, a multiple of 100; 0 restores the default
	DataRate uint8  // 4 bits
}

// CID returns CIDPingSlotChannel.
func (PingSlotChannelReq) CID() CID { return CIDPingSlotChannel }

// Uplink returns false.
func (PingSlotChannelReq) Uplink() bool { return false }

// AppendBinary appends Frequency and DR.
func (c PingSlotChannelReq) AppendBinary(dst []byte) ([]byte, error) {
	if err := macMax(c.DataRate, 15, "datarate", CIDPingSlotChannel, false); err != nil {
		return dst, err
	}
	out, err := appendFreq100(dst, c.Freq)
	if err != nil {
		return dst, err
	}
	return append(out, c.DataRate), nil
}

// UnmarshalBinary decodes Frequency and DR; DR's RFU bits 7..4 must be zero.
func (c *PingSlotChannelReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDPingSlotChannel, false); err != nil {
		return err
	}
	if err := macRFU(b[3], 0xf0, CIDPingSlotChannel, false); err != nil {
		return err
	}
	*c = PingSlotChannelReq{Freq: readFreq100(b), DataRate: b[3]}
	return nil
}

// PingSlotChannelAns (uplink, Class B) answers PingSlotChannelReq.
type PingSlotChannelAns struct {
	DataRateOK    bool // bit 1
	ChannelFreqOK bool // bit 0
}

// CID returns CIDPingSlotChannel.
func (PingSlotChannelAns) CID() CID { return CIDPingSlotChannel }

// Uplink returns true.
func (PingSlotChannelAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c PingSlotChannelAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.DataRateOK, 2)|macBit(c.ChannelFreqOK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..2 must be zero.
func (c *PingSlotChannelAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDPingSlotChannel, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xfc, CIDPingSlotChannel, true); err != nil {
		return err
	}
	*c = PingSlotChannelAns{DataRateOK: b[0]&2 != 0, ChannelFreqOK: b[0]&1 != 0}
	return nil
}

// BeaconTimingReq (uplink, Class B, deprecated since LoRaWAN 1.0.3 Class B)
// asks when the next beacon is due.
type BeaconTimingReq struct{}

// CID returns CIDBeaconTiming.
func (BeaconTimingReq) CID() CID { return CIDBeaconTiming }

// Uplink returns true.
func (BeaconTimingReq) Uplink() bool { return true }

// AppendBinary appends nothing: the command has no payload.
func (BeaconTimingReq) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }

// UnmarshalBinary accepts an empty payload.
func (c *BeaconTimingReq) UnmarshalBinary(b []byte) error { return macLen(b, CIDBeaconTiming, true) }

// BeaconTimingAns (downlink, Class B, deprecated) answers BeaconTimingReq.
type BeaconTimingAns struct {
	Delay   uint16 // 30 ms units from the end of the downlink to the next beacon
	Channel uint8  // beacon channel index
}

// CID returns CIDBeaconTiming.
func (BeaconTimingAns) CID() CID { return CIDBeaconTiming }

// Uplink returns false.
func (BeaconTimingAns) Uplink() bool { return false }

// AppendBinary appends Delay (little-endian) and Channel.
func (c BeaconTimingAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(binary.LittleEndian.AppendUint16(dst, c.Delay), c.Channel), nil
}

// UnmarshalBinary decodes Delay and Channel.
func (c *BeaconTimingAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDBeaconTiming, false); err != nil {
		return err
	}
	*c = BeaconTimingAns{Delay: binary.LittleEndian.Uint16(b), Channel: b[2]}
	return nil
}

// BeaconFreqReq (downlink, Class B) sets the beacon frequency.
type BeaconFreqReq struct {
	Freq uint32 // Hz, a multiple of 100; 0 restores the default
}

// CID returns CIDBeaconFreq.
func (BeaconFreqReq) CID() CID { return CIDBeaconFreq }

// Uplink returns false.
func (BeaconFreqReq) Uplink() bool { return false }

// AppendBinary appends Frequency.
func (c BeaconFreqReq) AppendBinary(dst []byte) ([]byte, error) {
	return appendFreq100(dst, c.Freq)
}

// UnmarshalBinary decodes Frequency.
func (c *BeaconFreqReq) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDBeaconFreq, false); err != nil {
		return err
	}
	c.Freq = readFreq100(b)
	return nil
}

// BeaconFreqAns (uplink, Class B) answers BeaconFreqReq.
type BeaconFreqAns struct {
	BeaconFreqOK bool // bit 0
}

// CID returns CIDBeaconFreq.
func (BeaconFreqAns) CID() CID { return CIDBeaconFreq }

// Uplink returns true.
func (BeaconFreqAns) Uplink() bool { return true }

// AppendBinary appends the status byte.
func (c BeaconFreqAns) AppendBinary(dst []byte) ([]byte, error) {
	return append(dst, macBit(c.BeaconFreqOK, 1)), nil
}

// UnmarshalBinary decodes the status byte; RFU bits 7..1 must be zero.
func (c *BeaconFreqAns) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDBeaconFreq, true); err != nil {
		return err
	}
	if err := macRFU(b[0], 0xfe, CIDBeaconFreq, true); err != nil {
		return err
	}
	c.BeaconFreqOK = b[0]&1 != 0
	return nil
}

// Device classes carried by DeviceModeInd and DeviceModeConf; other values
// are RFU.
const (
	DeviceModeClassA uint8 = 0x00
	DeviceModeClassC uint8 = 0x02
)

// DeviceModeInd (uplink, 1.1) tells the network the device switched class.
type DeviceModeInd struct {
	Class uint8 // DeviceModeClassA or DeviceModeClassC
}

// CID returns CIDDeviceMode.
func (DeviceModeInd) CID() CID { return CIDDeviceMode }

// Uplink returns true.
func (DeviceModeInd) Uplink() bool { return true }

// AppendBinary appends the Class byte.
func (c DeviceModeInd) AppendBinary(dst []byte) ([]byte, error) { return append(dst, c.Class), nil }

// UnmarshalBinary decodes the Class byte.
func (c *DeviceModeInd) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDeviceMode, true); err != nil {
		return err
	}
	c.Class = b[0]
	return nil
}

// DeviceModeConf (downlink, 1.1) acknowledges DeviceModeInd with the class
// the network now uses.
type DeviceModeConf struct {
	Class uint8 // DeviceModeClassA or DeviceModeClassC
}

// CID returns CIDDeviceMode.
func (DeviceModeConf) CID() CID { return CIDDeviceMode }

// Uplink returns false.
func (DeviceModeConf) Uplink() bool { return false }

// AppendBinary appends the Class byte.
func (c DeviceModeConf) AppendBinary(dst []byte) ([]byte, error) { return append(dst, c.Class), nil }

// UnmarshalBinary decodes the Class byte.
func (c *DeviceModeConf) UnmarshalBinary(b []byte) error {
	if err := macLen(b, CIDDeviceMode, false); err != nil {
		return err
	}
	c.Class = b[0]
	return nil
}
