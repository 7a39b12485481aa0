package sx1302

import (
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/hal"
)

// ErrRXBuffer is wrapped by the errors of a fetched RX buffer the driver
// had to drop in part or whole (reported through Stats).
var ErrRXBuffer = errors.New("sx1302: rx buffer")

// Stats counts what the poll loop met since Start.
type Stats struct {
	// Received counts frames delivered to Receive's queue.
	Received int
	// Dropped counts frames lost: damaged records, CRC16 mismatches, a
	// full Receive queue, or buffers discarded whole.
	Dropped int
	// LastError is the last problem the poll loop met (nil if none).
	LastError error
}

// Stats returns the poll loop's counters.
func (d *Dev) Stats() Stats { return Stats(d.core.Stats()) }

// pollRX fetches the RX buffer, refreshes the counter (the HAL's
// sx1302_update, which must run at least once per 2^27 µs) and converts
// the records; a failed counter read ends the poll before the TX slots
// are checked.
func (d *Dev) pollRX() error {
	buf, err := d.fetch()
	if err != nil {
		d.core.NoteError(err, 0)
	}
	if _, _, err := d.readCounters(); err != nil {
		return err
	}
	if len(buf) > 0 {
		d.deliver(buf)
	}
	return nil
}

// fetch reads the RX buffer: its byte count twice (the HAL's multi-byte
// read workaround, keeping the larger), then that many bytes from the FIFO.
// A count beyond RXBufferSize is drained and noted as a dropped buffer,
// never stored.
func (d *Dev) fetch() ([]byte, error) {
	addr := registers[regRxTopRxBufferNbBytesMsbRxBufferNbBytes].Addr
	var a, b [2]byte
	if err := d.bus.readBurst(addr, a[:], false); err != nil {
		return nil, err
	}
	if err := d.bus.readBurst(addr, b[:], false); err != nil {
		return nil, err
	}
	n := max(int(a[0])<<8|int(a[1]), int(b[0])<<8|int(b[1]))
	if n == 0 {
		return nil, nil
	}
	if n > RXBufferSize {
		drain := make([]byte, BurstChunk)
		for left := n; left > 0; left -= len(drain) {
			if err := d.bus.readBurst(RXBufferAddr, drain[:min(left, len(drain))], true); err != nil {
				return nil, err
			}
		}
		d.core.NoteError(fmt.Errorf("%w: byte count %d beyond %d: buffer drained and dropped", ErrRXBuffer, n, RXBufferSize), 1)
		return nil, nil
	}
	buf := make([]byte, n)
	if err := d.bus.readBurst(RXBufferAddr, buf, true); err != nil {
		return nil, err
	}
	return buf, nil
}

// deliver parses the fetched buffer record by record and queues the
// frames. Like the HAL it resynchronises on the first sync word and
// drops the rest of the buffer at an incomplete or damaged record; unlike
// the HAL, a record with invalid metadata or a CRC16 mismatch costs only
// that frame.
func (d *Dev) deliver(buf []byte) {
	temp, terr := d.temp.temperature()
	if terr != nil {
		d.core.NoteError(terr, 0)
		temp = d.lastTemp
	} else {
		d.lastTemp = temp
	}
	for i := 0; i+1 < len(buf); i++ {
		if buf[i] == recordSync0 && buf[i+1] == recordSync1 {
			if i > 0 {
				d.core.NoteError(fmt.Errorf("%w: %d bytes before the first sync word skipped", ErrRXBuffer, i), 0)
			}
			buf = buf[i:]
			break
		}
		if i+2 == len(buf) {
			d.core.NoteError(fmt.Errorf("%w: %d bytes without a sync word dropped", ErrRXBuffer, len(buf)), 1)
			return
		}
	}
	for len(buf) > 0 {
		rec, n, err := ParsePacketRecord(buf)
		if err != nil && n == 0 {
			d.core.NoteError(fmt.Errorf("%w: %w; %d bytes dropped", ErrRXBuffer, err, len(buf)), 1)
			return
		}
		buf = buf[n:]
		if err != nil {
			d.core.NoteError(err, 1)
			continue
		}
		p, err := d.convert(&rec, temp)
		if err != nil {
			d.core.NoteError(err, 1)
			continue
		}
		d.core.Deliver(p)
	}
}

// FSK RSSI linearisation of the HAL (RSSI_FSK_POLY_0..3).
const (
	fskPoly0 = 90.636423
	fskPoly1 = 0.420835
	fskPoly2 = 0.007129
	fskPoly3 = -0.000026
)

// convert turns a record into a hal.RxPacket (sx1302_parse and the RSSI
// part of lgw_receive).
func (d *Dev) convert(rec *PacketRecord, temp float64) (hal.RxPacket, error) {
	cfg := d.core.Config()
	ifc := int(rec.Channel)
	ch, ok := cfg.IFChain(ifc)
	if !ok {
		return hal.RxPacket{}, fmt.Errorf("%w: channel %d", ErrRecordInvalid, ifc)
	}
	rf := ch.RFChain & 1
	p := hal.RxPacket{
		Payload: rec.Payload,
		Freq:    uint32(int64(cfg.Radios[rf].Freq) + int64(ch.IF)),
		IFChain: ifc,
		RFChain: rf,
	}
	crc := func() hal.CRCStatus {
		switch {
		case !rec.CRCEnabled:
			return hal.CRCNone
		case rec.CRCError:
			return hal.CRCBad
		}
		return hal.CRCOK
	}
	cal := float64(cfg.Radios[rf].RSSIOffset) + d.opts.RSSITempComp[rf].offset(temp)
	var corr int32
	if ifc == hal.IFChainFSK {
		p.Modulation = hal.ModulationFSK
		p.CRC = crc()
		p.DataRate = ch.DataRate
		if ch.DataRate > 0 {
			corr = int32(680000/ch.DataRate) - 20
		}
		r := float64(rec.RSSIChan)
		p.RSSI = float32(fskPoly0 + fskPoly1*r + fskPoly2*r*r + fskPoly3*r*r*r + cal)
	} else {
		p.Modulation = hal.ModulationLoRa
		p.CRC = crc()
		if p.CRC == hal.CRCOK && len(rec.Payload) > 0 {
			if got := PayloadCRC(rec.Payload); got != rec.CRC16 {
				return hal.RxPacket{}, fmt.Errorf("%w: payload crc16 0x%04x, record says 0x%04x", ErrRecordInvalid, got, rec.CRC16)
			}
		}
		p.Bandwidth = hal.BW125
		if ifc == hal.IFChainLoRaStd {
			p.Bandwidth = ch.Bandwidth
		}
		p.SpreadingFactor = int(rec.SpreadingFactor)
		if rec.CodingRate >= 1 && rec.CodingRate <= 4 {
			p.CodeRate = hal.CodeRate(rec.CodingRate + 4)
			corr = legacyCorrection(p.Bandwidth, p.SpreadingFactor, int(rec.CodingRate), rec.CRCEnabled, len(rec.Payload))
		}
		p.SNR = float32(rec.SNR) / 4
		p.RSSI = float32(float64(rec.RSSISignal) + cal)
	}
	p.CountUS = d.inst.expandPacket(rec.Timestamp/32) + uint32(corr)
	return p, nil
}
