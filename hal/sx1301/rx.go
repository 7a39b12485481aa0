package sx1301

import (
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/hal"
	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// ErrFIFO is wrapped by the errors of an RX FIFO state the driver had to
// drop a frame over (reported through Stats): more frames than the FIFO
// holds, a damaged record.
var ErrFIFO = errors.New("sx1301: rx fifo")

// pollRX empties the RX FIFO (at most FIFOSize frames, as lgw_receive).
func (d *Dev) pollRX() error {
	for range FIFOSize {
		more, err := d.fetchOne()
		if err != nil {
			d.core.NoteError(err, 0)
			break
		}
		if !more {
			break
		}
	}
	return nil
}

// fetchOne reads the frame at the head of the FIFO, queues it and
// advances the FIFO (lgw_receive). A count beyond FIFOSize or a damaged
// record costs that frame, and the FIFO is advanced past it, where the
// HAL would stop and read the same entry again at every call. It reports
// false when the FIFO is empty; the error is an SPI failure.
func (d *Dev) fetchOne() (bool, error) {
	var head [5]byte // frames stored, start address (2), CRC status, payload size
	if err := d.bus.readData(registers[regRxPacketDataFifoNumStored], head[:]); err != nil {
		return false, err
	}
	n, status, size := head[0], head[3], int(head[4])
	if n == 0 {
		return false, nil
	}
	advance := func() error { return d.bus.writeReg(registers[regRxPacketDataFifoNumStored], 0) }
	if n > FIFOSize {
		d.core.NoteError(fmt.Errorf("%w: %d frames stored, the FIFO holds %d: entry dropped", ErrFIFO, n, FIFOSize), 1)
		return true, advance()
	}
	buf := make([]byte, size+RxMetadataSize)
	if err := d.bus.readData(registers[regRxDataBufData], buf); err != nil {
		return false, err
	}
	rec, err := ParsePacketRecord(status, size, buf)
	if err != nil {
		d.core.NoteError(fmt.Errorf("%w: %w", ErrFIFO, err), 1)
		return true, advance()
	}
	p, err := d.convert(&rec)
	if err != nil {
		d.core.NoteError(err, 1)
		return true, advance()
	}
	d.core.Deliver(p)
	return true, advance()
}

// RSSI corrections of lgw_receive: multi-SF chains read 35 dB low
// (RSSI_MULTI_BIAS), FSK RSSI is linearised by a polynomial.
const (
	rssiMultiBias = -35
	rssiFSKPoly0  = 60
	rssiFSKPoly1  = 1.5351
	rssiFSKPoly2  = 0.003
)

// convert turns a record into a hal.RxPacket (lgw_receive).
func (d *Dev) convert(rec *PacketRecord) (hal.RxPacket, error) {
	cfg := d.core.Config()
	ifc := int(rec.IFChain)
	ch, _ := cfg.IFChain(ifc)
	rf := ch.RFChain & 1
	p := hal.RxPacket{
		Payload: rec.Payload,
		Freq:    uint32(int64(cfg.Radios[rf].Freq) + int64(ch.IF)),
		IFChain: ifc,
		RFChain: rf,
	}
	switch rec.Status {
	case StatusCRCOK:
		p.CRC = hal.CRCOK
	case StatusCRCBad:
		p.CRC = hal.CRCBad
	default:
		p.CRC = hal.CRCNone
	}
	rssi := float64(rec.RSSI) + float64(cfg.Radios[rf].RSSIOffset)
	var corr uint32
	if ifc == ifChainFSK {
		p.Modulation = hal.ModulationFSK
		p.DataRate = ch.DataRate
		if ch.DataRate > 0 {
			corr = 680_000/ch.DataRate - 20
		}
		rssi = rssiFSKPoly0 + rssiFSKPoly1*rssi + rssiFSKPoly2*rssi*rssi
	} else {
		p.Modulation = hal.ModulationLoRa
		p.Bandwidth = hal.BW125
		if ifc == ifChainLoRaStd {
			p.Bandwidth = ch.Bandwidth
		} else {
			rssi -= rssiMultiBias
		}
		p.SpreadingFactor = int(rec.SpreadingFactor)
		p.CodeRate = hal.CodeRate(rec.CodingRate + 4)
		p.SNR = float32(rec.SNR) / 4
		corr = TimestampCorrection(ifc == ifChainLoRaStd, p.Bandwidth, int(rec.SpreadingFactor), int(rec.CodingRate),
			rec.Status != StatusNoCRC, len(rec.Payload))
	}
	p.RSSI = float32(rssi)
	p.CountUS = rec.Timestamp - corr
	return p, nil
}

// TimestampCorrection returns the µs lgw_receive subtracts from a LoRa
// frame's raw end-of-frame counter to undo the demodulator's delay: a
// base delay of the modem, a delay from the spreading factor, and one
// from where the payload ends in the last block. It keeps the HAL's
// unsigned 32-bit arithmetic, wrap-arounds included. std selects the LoRa
// standard modem (bandwidth bw), else a multi-SF modem at 125 kHz; cr is
// the HAL code 1..4. Spreading factors outside 6..12 give 0, as in the
// HAL.
func TimestampCorrection(std bool, bw uint32, sf, cr int, crcOn bool, size int) uint32 {
	var x, bwPow uint32 = 114, 1
	if std {
		switch bw {
		case hal.BW125:
			x, bwPow = 64, 1
		case hal.BW250:
			x, bwPow = 32, 2
		case hal.BW500:
			x, bwPow = 16, 4
		default:
			x, bwPow = 0, 0
		}
	}
	if sf < 6 || sf > 12 || bwPow == 0 {
		return 0
	}
	usf, ucr, sz := uint32(sf), uint32(cr), uint32(size)
	crc := uint32(bit(crcOn))
	pbw := uint32(hal.BW125) // multi-SF modems are fixed at 125 kHz
	if std {
		pbw = bw
	}
	ppm := uint32(bit(sx130x.PPMOn(pbw, sf)))
	var y, z uint32
	if 2*(sz+2*crc)-(usf-7) == 0 { // unsigned: "<= 0" in the HAL
		y = ((1<<(usf-1))*(usf+1) + 3*(1<<(usf-4))) / bwPow
		z = 32 * (2*(sz+2*crc) + 5) / bwPow
	} else {
		y = ((1<<(usf-1))*(usf+1) + (4-ppm)*(1<<(usf-4))) / bwPow
		z = (16 + 4*ucr) * (((2*(sz+2*crc) - usf + 6) % (usf - 2*ppm)) + 1) / bwPow
	}
	return x + y + z
}
