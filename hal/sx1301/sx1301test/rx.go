package sx1301test

import (
	"fmt"

	"github.com/loraedge/loraedge/hal/sx1301"
)

// rxEntry is one FIFO entry: the FIFO registers and its bytes in the data
// buffer.
type rxEntry struct {
	status, size byte
	addr         int
	data         []byte
	cursor       int
}

// InjectPacket appends a received frame to the RX FIFO.
func (c *Chip) InjectPacket(p sx1301.PacketRecord) error {
	b, err := p.AppendBinary(nil)
	if err != nil {
		return err
	}
	return c.InjectRaw(p.Status, byte(len(p.Payload)), b)
}

// InjectRaw appends a FIFO entry as given: CRC status, payload size and
// the data-buffer bytes, which need not agree (damaged entries). It fails
// when the FIFO or its data buffer is full, as the chip would drop the
// frame.
func (c *Chip) InjectRaw(status, size byte, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.fifo) >= sx1301.FIFOSize {
		return fmt.Errorf("sx1301test: rx fifo full (%d entries)", sx1301.FIFOSize)
	}
	if c.fifoUsed+len(data) > sx1301.DataBufferSize {
		return fmt.Errorf("sx1301test: rx data buffer full (%d of %d bytes used)", c.fifoUsed, sx1301.DataBufferSize)
	}
	c.fifo = append(c.fifo, rxEntry{status: status, size: size, addr: c.fifoAddr, data: append([]byte(nil), data...)})
	c.fifoUsed += len(data)
	c.fifoAddr = (c.fifoAddr + len(data)) % sx1301.DataBufferSize
	return nil
}

// SetNumStored makes RX_PACKET_DATA_FIFO_NUM_STORED read n until the FIFO
// is next advanced, whatever the FIFO holds.
func (c *Chip) SetNumStored(n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.numStored = n
}

// FIFOLen returns the entries left in the RX FIFO.
func (c *Chip) FIFOLen() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.fifo)
}

// rxRead returns the next byte of the head entry (0 past its end or with
// an empty FIFO).
func (c *Chip) rxRead() byte {
	if len(c.fifo) == 0 {
		return 0
	}
	e := &c.fifo[0]
	if e.cursor >= len(e.data) {
		e.cursor++
		return 0
	}
	v := e.data[e.cursor]
	e.cursor++
	return v
}

// rxPop advances the FIFO (any write to NUM_STORED).
func (c *Chip) rxPop() {
	c.numStored = 0
	if len(c.fifo) == 0 {
		return
	}
	c.fifoUsed -= len(c.fifo[0].data)
	c.fifo = c.fifo[1:]
}
