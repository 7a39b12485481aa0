// Package mac is the cloud's LoRaWAN MAC layer: it reads the MAC commands
// of an uplink (FOpts, or an FPort 0 payload, in clear), answers
// LinkCheckReq, DeviceTimeReq, RekeyInd and ResetInd, applies the answers
// to requests the network sent (LinkADRAns, RXParamSetupAns,
// RXTimingSetupAns, NewChannelAns, DlChannelAns), records DevStatusAns,
// and runs the ADR engine that sends LinkADRReq to devices with the ADR bit
// set.
//
// Handle is a pure function of the session and the uplink: it changes the
// session it is given (MACState and radio settings) and returns the
// commands to send, so the caller can run it inside a store transaction
// that may be retried.
package mac

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/station"
	"github.com/loraedge/loraedge/store"
)

// Defaults of Options.
const (
	DefaultInstallationMargin = 10.0 // dB
	DefaultADRHistory         = 20   // uplinks
	DefaultADRHoldoff         = 16   // uplinks
	DefaultADRResendAfter     = 3    // uplinks
)

// ServingMinor is the LoRaWAN 1.x minor version the network serves, sent in
// RekeyConf and ResetConf.
const ServingMinor = 1

// Options tunes the MAC layer; zero values take the defaults.
type Options struct {
	// InstallationMargin is the SNR margin (dB) the ADR engine keeps above
	// the demodulation floor. Default 10 dB.
	InstallationMargin float64
	// ADRHistory is how many uplinks the ADR engine looks at; it decides
	// nothing before it has that many. Default 20.
	ADRHistory int
	// ADRMaxDR is the highest data rate ADR assigns; 0 means the region's
	// highest LoRa 125 kHz uplink data rate (EU868 DR5, US915 DR3).
	ADRMaxDR int
	// ADRHoldoff is how many uplinks ADR waits after a device refused a
	// LinkADRReq, the refusing uplink included. Default 16.
	ADRHoldoff int
	// ADRResendAfter is how many uplinks without a LinkADRAns make the
	// engine consider its request lost and decide afresh. Default 3.
	ADRResendAfter int
	// DisableADR turns the ADR engine off (devices keep their settings).
	DisableADR bool
}

// Handler runs the MAC layer with fixed options; it holds no per-device
// state and is safe for concurrent use.
type Handler struct {
	opts Options
}

// New returns a Handler; it refuses options out of range.
func New(opts Options) (*Handler, error) {
	if opts.InstallationMargin < 0 || opts.ADRHistory < 0 || opts.ADRMaxDR < 0 || opts.ADRHoldoff < 0 || opts.ADRResendAfter < 0 {
		return nil, errors.New("mac: negative option")
	}
	if opts.ADRHistory > maxHistory {
		return nil, fmt.Errorf("mac: adr history %d, at most %d", opts.ADRHistory, maxHistory)
	}
	if opts.ADRMaxDR > 15 || opts.ADRHoldoff > 255 {
		return nil, errors.New("mac: adr max dr or holdoff out of range")
	}
	if opts.InstallationMargin == 0 {
		opts.InstallationMargin = DefaultInstallationMargin
	}
	if opts.ADRHistory == 0 {
		opts.ADRHistory = DefaultADRHistory
	}
	if opts.ADRHoldoff == 0 {
		opts.ADRHoldoff = DefaultADRHoldoff
	}
	if opts.ADRResendAfter == 0 {
		opts.ADRResendAfter = DefaultADRResendAfter
	}
	return &Handler{opts: opts}, nil
}

// Reception is one gateway's copy of the uplink, as the MAC layer needs it.
type Reception struct {
	SNR, RSSI float64
	// GPSTime is the GPS time of the end of the uplink at this gateway,
	// 0 when the gateway has no GPS.
	GPSTime station.GPSTime
	// RxTime is the gateway's UTC reception time, zero when unknown.
	RxTime time.Time
}

// Uplink describes the uplink being handled.
type Uplink struct {
	Region *lorawan.Region
	DR     int    // data rate index of the uplink
	Freq   uint32 // Hz
	FCnt   uint32 // full frame counter
	// ADR and ADRACKReq are the uplink's FCtrl bits.
	ADR, ADRACKReq bool
	// Commands are the uplink's MAC commands in clear (FOpts or the FPort
	// 0 payload).
	Commands []byte
	// Receptions is every gateway's copy; at least one.
	Receptions []Reception
	// ReceivedAt is when the network received the uplink (its first
	// copy), the time DeviceTimeAns falls back on.
	ReceivedAt time.Time
}

// Result is what Handle decided.
type Result struct {
	// Answers are the downlink MAC commands to send (CID and payload),
	// in the order the device should read them.
	Answers []byte
	// NeedDownlink reports that the device expects a downlink even if
	// Answers is empty: ADRACKReq, or answers it repeats until it hears
	// from the network (RXParamSetupAns, RXTimingSetupAns, DlChannelAns).
	NeedDownlink bool
	// Changed reports that the session (MACState or radio settings) was
	// changed and must be stored.
	Changed bool
	// ADRRequested reports that Answers carry a LinkADRReq.
	ADRRequested bool
	// StateReset reports a MACState that did not decode and was started
	// afresh.
	StateReset bool
	// Err is the first command that could not be read (unknown CID or bad
	// payload); the commands before it were handled.
	Err error
}

// Handle processes the uplink's MAC commands and the ADR engine for the
// session sess, whose MACState and radio settings it updates, and appends
// the answers to dst (returned in Result.Answers).
func (h *Handler) Handle(sess *store.Session, up *Uplink, dst []byte) Result {
	res := Result{Answers: dst}
	var st State
	if err := st.UnmarshalBinary(sess.MACState); err != nil {
		res.StateReset = true
		_ = st.UnmarshalBinary(nil)
	}
	radio := radioOf(sess)

	var adrAns, adrNack bool
	b := up.Commands
	for len(b) > 0 {
		cid, payload, rest, err := lorawan.NextMACCommand(b, true)
		if err != nil {
			res.Err = fmt.Errorf("mac: %w", err)
			break
		}
		b = rest
		switch cid {
		case lorawan.CIDLinkCheck:
			res.Answers = appendCmd(res.Answers, linkCheckAns(up))
		case lorawan.CIDDeviceTime:
			res.Answers = appendCmd(res.Answers, deviceTimeAns(up))
		case lorawan.CIDLinkADR:
			var a lorawan.LinkADRAns
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: LinkADRAns: %w", err)
				break
			}
			adrAns = true
			adrNack = adrNack || !(a.PowerACK && a.DataRateACK && a.ChannelMaskACK)
		case lorawan.CIDDevStatus:
			var a lorawan.DevStatusAns
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: DevStatusAns: %w", err)
				break
			}
			st.HaveStatus, st.Battery, st.Margin = true, a.Battery, a.Margin
		case lorawan.CIDRXParamSetup:
			var a lorawan.RXParamSetupAns
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: RXParamSetupAns: %w", err)
				break
			}
			res.NeedDownlink = true
			if p := st.RXParam; p != nil {
				if a.RX1DROffsetACK && a.RX2DataRateACK && a.ChannelACK {
					sess.RX1DROffset, sess.RX2DR, sess.RX2Frequency = p.RX1DROffset, p.RX2DR, p.RX2Frequency
				}
				st.RXParam = nil
			}
		case lorawan.CIDRXTimingSetup:
			res.NeedDownlink = true
			if st.RXTiming != nil {
				sess.RxDelay = *st.RXTiming
				st.RXTiming = nil
			}
		case lorawan.CIDNewChannel:
			var a lorawan.NewChannelAns
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: NewChannelAns: %w", err)
				break
			}
			st.NewChannel = nil
		case lorawan.CIDDlChannel:
			var a lorawan.DlChannelAns
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: DlChannelAns: %w", err)
				break
			}
			res.NeedDownlink = true
			st.DlChannel = nil
		case lorawan.CIDRekey:
			var a lorawan.RekeyInd
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: RekeyInd: %w", err)
				break
			}
			if sess.MACVersion == lorawan.MACVersion1_1 {
				res.Answers = appendCmd(res.Answers, lorawan.RekeyConf{Minor: min(a.Minor, ServingMinor)})
			}
		case lorawan.CIDReset:
			var a lorawan.ResetInd
			if err := a.UnmarshalBinary(payload); err != nil {
				res.Err = fmt.Errorf("mac: ResetInd: %w", err)
				break
			}
			if sess.MACVersion == lorawan.MACVersion1_1 {
				// The device restarted with its default settings:
				// forget what the network had set.
				_ = st.UnmarshalBinary(nil)
				sess.RX1DROffset, sess.RX2DR, sess.RX2Frequency, sess.RxDelay = 0, uint8(up.Region.RX2DataRate()), 0, 0
				res.Answers = appendCmd(res.Answers, lorawan.ResetConf{Minor: min(a.Minor, ServingMinor)})
			}
		}
		if res.Err != nil {
			break
		}
	}

	if adrAns && st.ADR != nil {
		if adrNack {
			st.ADRHoldoff = uint8(h.opts.ADRHoldoff)
		} else {
			// Applied: the link quality seen at the old settings no
			// longer tells what the new ones give.
			st.TXPower, st.NbTrans = st.ADR.TXPower, st.ADR.NbTrans
			st.History = st.History[:0]
		}
		st.ADR = nil
	}
	if up.ADRACKReq {
		res.NeedDownlink = true
	}
	if up.ADR && !h.opts.DisableADR {
		res.Answers = h.adr(&st, sess, up, res.Answers, &res)
	}

	var enc []byte
	if !st.fresh() {
		enc, _ = st.MarshalBinary() // within bounds by construction
	}
	if string(enc) != string(sess.MACState) {
		sess.MACState = enc
		res.Changed = true
	}
	if radioOf(sess) != radio {
		res.Changed = true
	}
	return res
}

// radio is the part of a session's radio settings the MAC layer may change.
type radio struct {
	rx1, rx2dr, delay uint8
	rx2f              uint32
}

func radioOf(s *store.Session) radio {
	return radio{s.RX1DROffset, s.RX2DR, s.RxDelay, s.RX2Frequency}
}

// commandPayload is what appendCmd needs of a command payload.
type commandPayload interface {
	CID() lorawan.CID
	AppendBinary([]byte) ([]byte, error)
}

// appendCmd appends one command; the payloads built here always encode.
func appendCmd(dst []byte, c commandPayload) []byte {
	n := len(dst)
	dst = append(dst, byte(c.CID()))
	out, err := c.AppendBinary(dst)
	if err != nil {
		return dst[:n]
	}
	return out
}

// RequiredSNR returns the SNR (dB) a LoRa receiver needs to demodulate at
// spreading factor sf (SX1301/SX1302 figures: −7.5 dB at SF7 down to −20 dB
// at SF12, 2.5 dB per step), and false for other modulations.
func RequiredSNR(dr lorawan.DataRate) (float64, bool) {
	if dr.Modulation != lorawan.ModulationLoRa || dr.SpreadingFactor < 7 || dr.SpreadingFactor > 12 {
		return 0, false
	}
	return -7.5 - 2.5*float64(dr.SpreadingFactor-7), true
}

// bestSNR returns the highest SNR over the receptions.
func bestSNR(rs []Reception) float64 {
	best := math.Inf(-1)
	for _, r := range rs {
		best = max(best, r.SNR)
	}
	return best
}

// linkCheckAns answers LinkCheckReq: the margin of the best reception above
// the demodulation floor of the uplink's data rate (FSK: the SNR itself),
// and the number of gateways.
func linkCheckAns(up *Uplink) lorawan.LinkCheckAns {
	margin := bestSNR(up.Receptions)
	if dr, err := up.Region.DataRate(up.DR); err == nil {
		if req, ok := RequiredSNR(dr); ok {
			margin -= req
		}
	}
	m := math.Floor(margin)
	switch {
	case math.IsNaN(m) || m < 0:
		m = 0
	case m > 254:
		m = 254
	}
	return lorawan.LinkCheckAns{Margin: uint8(m), GwCnt: uint8(min(len(up.Receptions), 255))}
}

// UplinkGPSTime returns the GPS time of the end of the uplink: the first
// gateway GPS time among the receptions, else the first gateway reception
// time, else ReceivedAt, converted to GPS time.
func UplinkGPSTime(up *Uplink) station.GPSTime {
	for _, r := range up.Receptions {
		if r.GPSTime > 0 {
			return r.GPSTime
		}
	}
	for _, r := range up.Receptions {
		if !r.RxTime.IsZero() {
			return station.GPSTimeOf(r.RxTime)
		}
	}
	return station.GPSTimeOf(up.ReceivedAt)
}

// deviceTimeAns answers DeviceTimeReq with the GPS time of the uplink in
// seconds and 1/256 s.
func deviceTimeAns(up *Uplink) lorawan.DeviceTimeAns {
	us := int64(UplinkGPSTime(up))
	if us < 0 {
		us = 0
	}
	return lorawan.DeviceTimeAns{
		Seconds:  uint32(us / 1e6),
		Fraction: uint8(us % 1e6 * 256 / 1e6),
	}
}
