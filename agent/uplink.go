package agent

import (
	"context"
	"errors"
	"math"
	"time"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/station"
)

// receiveLoop takes frames from the radio while it runs, across restarts,
// until ctx ends.
func (a *Agent) receiveLoop(ctx context.Context) {
	var recent []heard
	for ctx.Err() == nil {
		changed, running := a.radioChanged()
		if !running {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
				return
			}
		}
		p, err := a.hw.Receive(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !errors.Is(err, hal.ErrStopped) {
				a.log.Warn("radio receive", "error", err)
				// Do not spin on a failing radio; a restart wakes us.
				t := time.NewTimer(100 * time.Millisecond)
				select {
				case <-t.C:
				case <-changed:
				case <-ctx.Done():
				}
				t.Stop()
				continue
			}
			select {
			case <-changed:
			case <-ctx.Done():
				return
			}
			continue
		}
		recent = a.handleRx(ctx, &p, recent)
	}
}

// heard is a recently received frame, for mirror detection.
type heard struct {
	dr      int
	count   uint32
	payload string
}

// handleRx turns a received frame into its uplink message and sends or
// spools it (rxpolling in ral_lgw.c, s2e_flushRxjobs in src/s2e.c).
func (a *Agent) handleRx(ctx context.Context, p *hal.RxPacket, recent []heard) []heard {
	if p.CRC != hal.CRCOK {
		a.count(func(s *Stats) { s.Dropped++ })
		a.log.Debug("frame with bad or no CRC dropped", "freq", p.Freq, "crc", p.CRC.String())
		return recent
	}
	if len(p.Payload) == 0 || len(p.Payload) > hal.MaxPayload {
		a.count(func(s *Stats) { s.Dropped++ })
		return recent
	}
	pl := a.currentPlan()
	if pl == nil {
		a.count(func(s *Stats) { s.Dropped++ })
		return recent
	}
	dr, ok := pl.upDR(p)
	if !ok {
		a.count(func(s *Stats) { s.Dropped++ })
		a.log.Warn("frame dropped: unable to map to an up DR", "freq", p.Freq, "sf", p.SpreadingFactor, "bw", p.Bandwidth)
		return recent
	}
	for _, h := range recent {
		if d := int32(p.CountUS - h.count); h.dr == dr && d < mirrorWindowUS && d > -mirrorWindowUS && h.payload == string(p.Payload) {
			a.count(func(s *Stats) { s.Dropped++ })
			a.log.Debug("mirror frame dropped", "freq", p.Freq, "dr", dr)
			return recent
		}
	}
	if len(recent) >= mirrorRemembers {
		recent = append(recent[:0], recent[1:]...)
	}
	recent = append(recent, heard{dr: dr, count: p.CountUS, payload: string(p.Payload)})

	a.rmu.Lock()
	if !a.radio.running {
		a.rmu.Unlock()
		return recent
	}
	xt := a.widenLocked(p.CountUS)
	gps := a.xtimeToGPSLocked(xt)
	a.rmu.Unlock()

	a.count(func(s *Stats) { s.Received++ })
	us := a.ustime()
	meta := station.UplinkMeta{
		RefTime: a.refTime(us),
		DR:      dr,
		Freq:    p.Freq,
		UpInfo: station.UpInfo{
			Rctx:    0,
			XTime:   xt,
			GPSTime: gps,
			Fts:     -1,
			RSSI:    stationRSSI(p.RSSI),
			SNR:     stationSNR(p.SNR),
			RxTime:  a.utc(us),
		},
	}
	msg, err := pl.filter.Split(p.Payload, meta)
	if errors.Is(err, station.ErrFiltered) {
		a.count(func(s *Stats) { s.Filtered++ })
		a.log.Debug("frame filtered by router_config", "freq", p.Freq, "dr", dr)
		return recent
	}
	if err != nil {
		a.count(func(s *Stats) { s.Dropped++ })
		a.log.Info("not a LoRaWAN frame, dropped", "freq", p.Freq, "dr", dr, "error", err)
		return recent
	}
	b, err := station.Encode(msg)
	if err != nil {
		a.count(func(s *Stats) { s.Dropped++ })
		a.log.Error("uplink encoding", "error", err)
		return recent
	}
	a.emitUplink(ctx, b)
	return recent
}

// emitUplink writes an uplink to the LNS when the connection takes live
// uplinks, and spools it otherwise (or when the write fails), keeping the
// order in which frames were received.
func (a *Agent) emitUplink(ctx context.Context, b []byte) {
	a.outMu.Lock()
	defer a.outMu.Unlock()
	if c := a.live; c != nil {
		err := c.WriteText(b)
		if err == nil {
			a.count(func(s *Stats) { s.Sent++ })
			return
		}
		a.log.Info("uplink write failed, spooling", "error", err)
		a.live = nil
	}
	if err := a.spool.SpoolPut(context.WithoutCancel(ctx), b, a.clock.Now()); err != nil {
		a.count(func(s *Stats) { s.SpoolErrors++ })
		a.log.Error("uplink lost: spool refused it", "error", err)
		return
	}
	a.count(func(s *Stats) { s.Spooled++ })
}

// stationRSSI rounds an RSSI as Station does: it keeps the negated value
// in a byte (truncated) and writes its negation back.
func stationRSSI(rssi float32) float64 {
	v := math.Trunc(-float64(rssi))
	v = max(0, min(255, v))
	if v == 0 {
		return 0
	}
	return -v
}

// stationSNR rounds an SNR as Station does: quarter dB, truncated, in a
// signed byte.
func stationSNR(snr float32) float64 {
	q := math.Trunc(float64(snr) * 4)
	q = max(-128, min(127, q))
	return q / 4
}
