package sim

import (
	"math"

	"github.com/loraedge/loraedge/lorawan"
)

// handleMAC applies downlink MAC commands as a LoRaWAN 1.0.4/1.1 device
// does and queues their answers: most for the next uplink, RXParamSetupAns,
// RXTimingSetupAns and DlChannelAns in every uplink until a downlink comes
// (the specification's sticky answers). Answers (LinkCheckAns,
// DeviceTimeAns) and commands the simulator does not act on are only
// reported in the downlink event. The caller holds d.mu.
func (d *Device) handleMAC(cmds []lorawan.MACCommand, rx Reception) {
	fixed := d.region.FixedChannelPlan()
	answer := func(sticky bool, p lorawan.MACCommandPayload) {
		c := lorawan.MACCommand{CID: p.CID(), Payload: p}
		if sticky {
			d.sticky = append(d.sticky, c)
		} else {
			d.pending = append(d.pending, c)
		}
	}
	for i := 0; i < len(cmds); i++ {
		switch p := cmds[i].Payload.(type) {
		case *lorawan.LinkADRReq:
			// A contiguous block of LinkADRReq is one request: the masks
			// apply in order, the last command's rate and power count, and
			// each command gets the same answer.
			block := []*lorawan.LinkADRReq{p}
			for i+1 < len(cmds) {
				next, ok := cmds[i+1].Payload.(*lorawan.LinkADRReq)
				if !ok {
					break
				}
				block = append(block, next)
				i++
			}
			ans := d.linkADR(block)
			for range block {
				a := ans
				answer(false, &a)
			}
		case *lorawan.DutyCycleReq:
			answer(false, &lorawan.DutyCycleAns{})
		case *lorawan.RXParamSetupReq:
			answer(true, d.rxParamSetup(p))
		case *lorawan.DevStatusReq:
			margin := int8(max(min(math.Round(rx.SNR), 31), -32))
			answer(false, &lorawan.DevStatusAns{Battery: d.cfg.Battery, Margin: margin})
		case *lorawan.NewChannelReq:
			if !fixed {
				answer(false, d.newChannel(p))
			}
		case *lorawan.RXTimingSetupReq:
			d.st.RxDelay = rxDelay(p.Delay)
			answer(true, &lorawan.RXTimingSetupAns{})
		case *lorawan.TxParamSetupReq:
			if d.region.TxParamSetup() {
				d.dlDwell = p.DownlinkDwellTime
				answer(false, &lorawan.TxParamSetupAns{})
			}
		case *lorawan.DlChannelReq:
			if !fixed {
				answer(true, d.dlChannel(p))
			}
		case *lorawan.RekeyConf:
			d.rekeyPending = false
		case *lorawan.ResetConf:
			d.resetPending = false
		case *lorawan.ADRParamSetupReq:
			answer(false, &lorawan.ADRParamSetupAns{})
		case *lorawan.RejoinParamSetupReq:
			answer(false, &lorawan.RejoinParamSetupAns{TimeOK: true})
		}
	}
}

// linkADR applies a LinkADRReq block if every part of it is acceptable;
// otherwise nothing changes. The caller holds d.mu.
func (d *Device) linkADR(block []*lorawan.LinkADRReq) lorawan.LinkADRAns {
	mask := make([]bool, len(d.channels))
	for i, c := range d.channels {
		mask[i] = c.enabled
	}
	chOK := true
	for _, r := range block {
		if !d.applyChMask(mask, r.ChMaskCntl, r.ChMask) {
			chOK = false
		}
	}
	anyOn := false
	for i, on := range mask {
		anyOn = anyOn || on && d.channels[i].Frequency != 0
	}
	chOK = chOK && anyOn
	last := block[len(block)-1]
	dr := d.dataRate
	drOK := true
	if last.DataRate != 15 {
		dr = int(last.DataRate)
		rate, err := d.region.DataRate(dr)
		drOK = err == nil && rate.Uplink && rate.Usable()
		if drOK {
			supported := false
			for i, on := range mask {
				c := d.channels[i]
				supported = supported || on && c.Frequency != 0 && c.MinDR <= dr && dr <= c.MaxDR
			}
			drOK = supported
		}
	}
	power := d.txPower
	powOK := true
	if last.TXPower != 15 {
		off, err := d.region.TXPowerOffset(int(last.TXPower))
		powOK = err == nil
		power = float64(d.region.DefaultMaxEIRP()) + float64(off)
	}
	if chOK && drOK && powOK {
		for i := range d.channels {
			d.channels[i].enabled = mask[i]
		}
		d.dataRate, d.txPower = dr, power
	}
	return lorawan.LinkADRAns{PowerACK: powOK, DataRateACK: drOK, ChannelMaskACK: chOK}
}

// applyChMask applies one ChMask/ChMaskCntl pair to mask as the region
// defines it; false means the pair is not acceptable.
func (d *Device) applyChMask(mask []bool, cntl uint8, chMask uint16) bool {
	bit := func(i int) bool { return chMask&(1<<i) != 0 }
	if !d.region.FixedChannelPlan() {
		switch cntl {
		case 0:
			for i := 0; i < 16 && i < len(mask); i++ {
				if bit(i) && d.channels[i].Frequency == 0 {
					return false
				}
				mask[i] = bit(i)
			}
			return true
		case 6:
			for i := range mask {
				mask[i] = d.channels[i].Frequency != 0
			}
			return true
		}
		return false
	}
	// Fixed plans: channels 0..63 of 125 kHz, 64..71 of 500 kHz.
	set500 := func() {
		for i := 0; i < 8; i++ {
			mask[64+i] = bit(i)
		}
	}
	switch {
	case cntl <= 3:
		for i := 0; i < 16; i++ {
			mask[16*int(cntl)+i] = bit(i)
		}
	case cntl == 4:
		set500()
	case cntl == 5:
		for b := 0; b < 8; b++ {
			for i := 0; i < 8; i++ {
				mask[8*b+i] = bit(b)
			}
			mask[64+b] = bit(b)
		}
	case cntl == 6 || cntl == 7:
		for i := 0; i < 64; i++ {
			mask[i] = cntl == 6
		}
		set500()
	default:
		return false
	}
	return true
}

// rxParamSetup applies an RXParamSetupReq if all of it is acceptable. The
// caller holds d.mu.
func (d *Device) rxParamSetup(p *lorawan.RXParamSetupReq) *lorawan.RXParamSetupAns {
	ans := &lorawan.RXParamSetupAns{
		RX1DROffsetACK: int(p.RX1DROffset) <= d.region.MaxRX1DROffset(),
		RX2DataRateACK: d.checkRxParams(0, int(p.RX2DataRate), d.region.RX2Frequency()) == nil,
		ChannelACK:     d.checkRxParams(0, d.region.RX2DataRate(), p.Freq) == nil,
	}
	if ans.RX1DROffsetACK && ans.RX2DataRateACK && ans.ChannelACK {
		d.st.RX1DROffset, d.st.RX2DataRate, d.st.RX2Freq = int(p.RX1DROffset), int(p.RX2DataRate), p.Freq
	}
	return ans
}

// newChannel applies a NewChannelReq (dynamic plans): default channels
// cannot change, frequency 0 removes a channel. The caller holds d.mu.
func (d *Device) newChannel(p *lorawan.NewChannelReq) *lorawan.NewChannelAns {
	idx := int(p.ChIndex)
	nDefaults := len(d.region.DefaultChannels())
	if idx < nDefaults || idx >= len(d.channels) {
		return &lorawan.NewChannelAns{}
	}
	if p.Freq == 0 {
		d.channels[idx] = devChannel{}
		return &lorawan.NewChannelAns{DataRateRangeOK: true, ChannelFreqOK: true}
	}
	lo, hi := d.region.FrequencyRange()
	ans := &lorawan.NewChannelAns{ChannelFreqOK: p.Freq >= lo && p.Freq <= hi}
	minRate, errMin := d.region.DataRate(int(p.MinDR))
	maxRate, errMax := d.region.DataRate(int(p.MaxDR))
	ans.DataRateRangeOK = errMin == nil && errMax == nil && p.MinDR <= p.MaxDR && minRate.Uplink && maxRate.Uplink
	if ans.ChannelFreqOK && ans.DataRateRangeOK {
		d.channels[idx] = devChannel{Channel: lorawan.Channel{Frequency: p.Freq, MinDR: int(p.MinDR), MaxDR: int(p.MaxDR)}, enabled: true}
	}
	return ans
}

// dlChannel applies a DlChannelReq (dynamic plans). The caller holds d.mu.
func (d *Device) dlChannel(p *lorawan.DlChannelReq) *lorawan.DlChannelAns {
	idx := int(p.ChIndex)
	lo, hi := d.region.FrequencyRange()
	ans := &lorawan.DlChannelAns{
		UplinkFreqExists: idx < len(d.channels) && d.channels[idx].Frequency != 0,
		ChannelFreqOK:    p.Freq >= lo && p.Freq <= hi,
	}
	if ans.UplinkFreqExists && ans.ChannelFreqOK {
		d.channels[idx].dlFreq = p.Freq
	}
	return ans
}
