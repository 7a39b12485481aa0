package sx1302

import (
	"fmt"

	"periph.io/x/conn/v3/spi"
)

// SPI framing of loragw_spi.c: every frame starts with the mux target byte;
// SX1302 frames follow with a 15-bit address whose byte 1 bit 7 is the
// R/W flag (1 = write); reads carry one dummy byte before the data. Each
// frame is exactly one spi.Conn Tx, header and data together, so that the
// chip select stays asserted across the frame as with the C HAL's
// two-transfer SPI_IOC_MESSAGE, and so that spitest.Playback (which does
// not implement TxPackets) can replay it.
const (
	writeAccess = 0x80
	readHeader  = 4 // mux, addr hi, addr lo, dummy
	writeHeader = 3 // mux, addr hi, addr lo
)

// bus frames register, memory and radio-command accesses over one SPI
// connection. It is not safe for concurrent use; Dev serialises callers.
type bus struct {
	c   spi.Conn
	buf []byte // reusable frame buffer, header + one chunk
	rd  []byte
}

func newBus(c spi.Conn) *bus {
	return &bus{c: c, buf: make([]byte, readHeader+BurstChunk), rd: make([]byte, readHeader+BurstChunk)}
}

// header fills the SX1302 frame header for addr.
func header(b []byte, addr uint16, write bool) {
	b[0] = MuxSX1302
	b[1] = byte(addr>>8) & 0x7F
	if write {
		b[1] |= writeAccess
	}
	b[2] = byte(addr)
}

// readByte reads the byte at addr: a 5-byte frame whose last byte is the
// value (lgw_spi_r).
func (b *bus) readByte(addr uint16) (byte, error) {
	w := b.buf[:readHeader+1]
	header(w, addr, false)
	w[3], w[4] = 0, 0
	r := b.rd[:len(w)]
	if err := b.c.Tx(w, r); err != nil {
		return 0, fmt.Errorf("sx1302: spi read 0x%04x: %w", addr, err)
	}
	return r[4], nil
}

// writeByte writes v at addr: a 4-byte frame (lgw_spi_w).
func (b *bus) writeByte(addr uint16, v byte) error {
	w := b.buf[:writeHeader+1]
	header(w, addr, true)
	w[3] = v
	if err := b.c.Tx(w, nil); err != nil {
		return fmt.Errorf("sx1302: spi write 0x%04x: %w", addr, err)
	}
	return nil
}

// writeBurst writes data from addr on, in chunks of at most BurstChunk
// bytes, each with its own header and the address advanced by the bytes
// already written (lgw_mem_wb over lgw_spi_wb).
func (b *bus) writeBurst(addr uint16, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("sx1302: burst write of 0 bytes at 0x%04x", addr)
	}
	for len(data) > 0 {
		n := min(len(data), BurstChunk)
		w := b.buf[:writeHeader+n]
		header(w, addr, true)
		copy(w[writeHeader:], data[:n])
		if err := b.c.Tx(w, nil); err != nil {
			return fmt.Errorf("sx1302: spi burst write 0x%04x: %w", addr, err)
		}
		addr += uint16(n)
		data = data[n:]
	}
	return nil
}

// readBurst fills dst from addr on, in chunks of at most BurstChunk bytes.
// With fifo the address stays the same for every chunk (the RX buffer
// pops bytes); otherwise it advances (lgw_mem_rb).
func (b *bus) readBurst(addr uint16, dst []byte, fifo bool) error {
	if len(dst) == 0 {
		return fmt.Errorf("sx1302: burst read of 0 bytes at 0x%04x", addr)
	}
	for len(dst) > 0 {
		n := min(len(dst), BurstChunk)
		w := b.buf[:readHeader+n]
		header(w, addr, false)
		clear(w[3:])
		r := b.rd[:len(w)]
		if err := b.c.Tx(w, r); err != nil {
			return fmt.Errorf("sx1302: spi burst read 0x%04x: %w", addr, err)
		}
		copy(dst, r[readHeader:])
		if !fifo {
			addr += uint16(n)
		}
		dst = dst[n:]
	}
	return nil
}

// readReg reads a register field, sign-extended if the field is signed
// (reg_r).
func (b *bus) readReg(r Register) (int32, error) {
	v, err := b.readByte(r.Addr)
	if err != nil {
		return 0, fmt.Errorf("sx1302: read %s: %w", r.Name, err)
	}
	return r.Decode(v), nil
}

// writeReg writes a register field: directly for a whole byte, else by
// read-modify-write (reg_w, lgw_spi_rmw). Read-only fields are refused.
func (b *bus) writeReg(r Register, v int32) error {
	if r.ReadOnly {
		return fmt.Errorf("sx1302: write %s: read-only register", r.Name)
	}
	if r.whole() {
		if err := b.writeByte(r.Addr, byte(v)); err != nil {
			return fmt.Errorf("sx1302: write %s: %w", r.Name, err)
		}
		return nil
	}
	old, err := b.readByte(r.Addr)
	if err != nil {
		return fmt.Errorf("sx1302: write %s: %w", r.Name, err)
	}
	if err := b.writeByte(r.Addr, r.Encode(old, v)); err != nil {
		return fmt.Errorf("sx1302: write %s: %w", r.Name, err)
	}
	return nil
}

// radioTarget returns the mux target of RF chain rf.
func radioTarget(rf int) byte {
	if rf == 1 {
		return MuxRadioB
	}
	return MuxRadioA
}

// radioWrite sends an SX1250 command relayed by the SX1302: [mux, opcode,
// data…] (sx1250_spi_w).
func (b *bus) radioWrite(rf int, op byte, data []byte) error {
	w := b.buf[:2+len(data)]
	w[0], w[1] = radioTarget(rf), op
	copy(w[2:], data)
	if err := b.c.Tx(w, nil); err != nil {
		return fmt.Errorf("sx1302: radio %d command 0x%02x: %w", rf, op, err)
	}
	return nil
}

// radioRead sends an SX1250 command with args and returns len(args) bytes
// from the reply, which start at offset 2 (sx1250_spi_r).
func (b *bus) radioRead(rf int, op byte, args []byte) ([]byte, error) {
	w := b.buf[:2+len(args)]
	w[0], w[1] = radioTarget(rf), op
	copy(w[2:], args)
	r := b.rd[:len(w)]
	if err := b.c.Tx(w, r); err != nil {
		return nil, fmt.Errorf("sx1302: radio %d command 0x%02x: %w", rf, op, err)
	}
	return append([]byte(nil), r[2:]...), nil
}
