package mac

import (
	"math"

	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// adr records the uplink in the ADR history and, when the history is full
// and nothing is pending, decides the device's data rate, TX power and
// NbTrans with the usual SNR-margin algorithm (Semtech's recommendation, as
// network servers commonly run it):
//
//	margin = max SNR of the history − required SNR of the DR − installation margin
//	steps  = margin / 3 dB (truncated)
//
// Each positive step raises the data rate up to the maximum, then lowers
// the TX power (a higher TXPower index) down to the region's lowest; each
// negative step raises the TX power back up to the maximum. The data rate
// is never lowered: a device that loses the network falls back by itself
// (ADRACKReq). NbTrans follows the frame loss seen in the history. When the
// decision differs from what the device runs, LinkADRReq commands are
// appended to dst and remembered as pending.
func (h *Handler) adr(st *State, sess *store.Session, up *Uplink, dst []byte, res *Result) []byte {
	n := len(st.History)
	switch {
	case n > 0 && up.FCnt < st.History[n-1].FCnt:
		st.History = st.History[:0] // a new session: start over
		fallthrough
	case n == 0 || up.FCnt != st.History[n-1].FCnt:
		st.History = append(st.History, Sample{
			FCnt:   up.FCnt,
			MaxSNR: float64(quarterDB(bestSNR(up.Receptions))) / 4,
			GwCnt:  uint8(min(len(up.Receptions), 255)),
		})
		if over := len(st.History) - h.opts.ADRHistory; over > 0 {
			st.History = append(st.History[:0], st.History[over:]...)
		}
	}
	if st.ADRHoldoff > 0 {
		st.ADRHoldoff--
		return dst
	}
	if st.ADR != nil {
		if up.FCnt-st.ADR.SentFCnt < uint32(h.opts.ADRResendAfter) {
			return dst
		}
		st.ADR = nil // no answer: the request was lost
	}
	if len(st.History) < h.opts.ADRHistory {
		return dst
	}
	dr, txPower, ok := h.decide(st, up)
	if !ok {
		return dst
	}
	nbTrans := nbTransFor(st)
	if dr == up.DR && txPower == int(st.TXPower) && nbTrans == st.NbTrans {
		return dst
	}
	reqs := linkADRReqs(up, sess, uint8(dr), uint8(txPower), nbTrans)
	if len(reqs) == 0 {
		return dst
	}
	for _, r := range reqs {
		dst = appendCmd(dst, r)
	}
	st.ADR = &PendingADR{DR: uint8(dr), TXPower: uint8(txPower), NbTrans: nbTrans, SentFCnt: up.FCnt}
	res.ADRRequested = true
	return dst
}

// decide returns the data rate and TXPower index the history calls for;
// false when the uplink's data rate is not one ADR works with.
func (h *Handler) decide(st *State, up *Uplink) (dr, txPower int, ok bool) {
	rate, err := up.Region.DataRate(up.DR)
	if err != nil {
		return 0, 0, false
	}
	required, ok := RequiredSNR(rate)
	if !ok {
		return 0, 0, false
	}
	maxSNR := math.Inf(-1)
	for _, s := range st.History {
		maxSNR = max(maxSNR, s.MaxSNR)
	}
	steps := int((maxSNR - required - h.opts.InstallationMargin) / 3)
	maxDR := h.opts.ADRMaxDR
	if maxDR == 0 {
		maxDR = MaxADRDataRate(up.Region)
	}
	dr, txPower = up.DR, int(st.TXPower)
	maxPower := up.Region.MaxTXPowerIndex()
	for ; steps > 0 && dr < maxDR; steps-- {
		dr++
	}
	for ; steps > 0 && txPower < maxPower; steps-- {
		txPower++
	}
	for ; steps < 0 && txPower > 0; steps++ {
		txPower--
	}
	return dr, txPower, true
}

// MaxADRDataRate returns the highest uplink data rate of the region with
// LoRa modulation at 125 kHz: what ADR raises devices to by default.
func MaxADRDataRate(r *lorawan.Region) int {
	best := 0
	for i, d := range r.DataRates() {
		if d.Uplink && d.Modulation == lorawan.ModulationLoRa && d.Bandwidth == 125000 {
			best = i
		}
	}
	return best
}

// nbTransFor returns the transmissions per uplink for the frame loss of the
// history: below 5 % one fewer (down to 1), below 10 % the same, below 30 %
// one more, otherwise 3, never above 3.
func nbTransFor(st *State) uint8 {
	cur := max(st.NbTrans, 1)
	h := st.History
	if len(h) < 2 {
		return cur
	}
	expected := float64(h[len(h)-1].FCnt-h[0].FCnt) + 1
	loss := (expected - float64(len(h))) / expected * 100
	var nb uint8
	switch {
	case loss < 5:
		nb = max(cur, 2) - 1
	case loss < 10:
		nb = cur
	case loss < 30:
		nb = cur + 1
	default:
		nb = 3
	}
	return min(nb, 3)
}

// linkADRReqs builds the LinkADRReq block that sets dr, txPower and nbTrans
// and keeps the device on the channels it uses: for a fixed plan the
// sub-band of the uplink (ChMaskCntl 7 for the 500 kHz channels, then the
// block of its 125 kHz channels); for a dynamic plan the default channels
// and those of the session's CFList.
func linkADRReqs(up *Uplink, sess *store.Session, dr, txPower, nbTrans uint8) []lorawan.LinkADRReq {
	base := lorawan.LinkADRReq{DataRate: dr, TXPower: txPower, NbTrans: nbTrans}
	r := up.Region
	if r.FixedChannelPlan() {
		idx, err := r.UplinkChannelIndex(up.Freq)
		if err != nil {
			return nil
		}
		sb := idx/8 + 1
		if idx >= 64 {
			sb = idx - 64 + 1
		}
		masks, err := r.CFListChMask(sb)
		if err != nil {
			return nil
		}
		first, second := base, base
		first.ChMaskCntl, first.ChMask = 7, masks[4]
		block := (sb - 1) / 2
		second.ChMaskCntl, second.ChMask = uint8(block), masks[block]
		return []lorawan.LinkADRReq{first, second}
	}
	n := len(r.DefaultChannels())
	mask := uint16(1)<<n - 1
	if len(sess.CFList) == 16 {
		var cf lorawan.CFList
		if cf.UnmarshalBinary(sess.CFList) == nil && cf.Type == lorawan.CFListFrequencies {
			for i, f := range cf.Frequencies {
				if f != 0 && n+i < 16 {
					mask |= 1 << (n + i)
				}
			}
		}
	}
	base.ChMask = mask
	return []lorawan.LinkADRReq{base}
}
