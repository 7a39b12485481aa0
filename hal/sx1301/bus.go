package sx1301

import (
	"fmt"

	"periph.io/x/conn/v3/spi"
)

// bus frames register and data-port accesses over one SPI connection as
// loragw_spi.native.c (mux mode 0) and loragw_reg.c do: a header byte
// (write flag | 7-bit address) and the data, each frame one spi.Conn Tx
// so that chip select stays asserted across it (the HAL's two-transfer
// SPI_IOC_MESSAGE) and spitest.Playback can replay it. The bus caches the
// selected register page as the HAL does (lgw_regpage) and switches it
// only when a paged register needs another one. It is not safe for
// concurrent use; Dev serialises callers.
type bus struct {
	c    spi.Conn
	page int8 // selected page, -1 when unknown
	buf  []byte
	rd   []byte
}

func newBus(c spi.Conn) *bus {
	return &bus{c: c, page: -1, buf: make([]byte, 1+BurstChunk), rd: make([]byte, 1+BurstChunk)}
}

// readByte reads the byte at addr: [addr, 0x00], the value in the second
// byte read back (lgw_spi_r).
func (b *bus) readByte(addr uint8) (byte, error) {
	w := b.buf[:2]
	w[0], w[1] = addr&0x7F, 0
	r := b.rd[:2]
	if err := b.c.Tx(w, r); err != nil {
		return 0, fmt.Errorf("sx1301: spi read %d: %w", addr, err)
	}
	return r[1], nil
}

// writeByte writes v at addr: [0x80|addr, v] (lgw_spi_w).
func (b *bus) writeByte(addr uint8, v byte) error {
	w := b.buf[:2]
	w[0], w[1] = WriteAccess|addr&0x7F, v
	if err := b.c.Tx(w, nil); err != nil {
		return fmt.Errorf("sx1301: spi write %d: %w", addr, err)
	}
	return nil
}

// writeBurst writes data from addr on, in chunks of at most BurstChunk
// bytes, each chunk with the same header (lgw_spi_wb: the chip advances
// its own pointer on data ports, and multi-byte registers never need a
// second chunk).
func (b *bus) writeBurst(addr uint8, data []byte) error {
	if len(data) == 0 {
		return fmt.Errorf("sx1301: burst write of 0 bytes at %d", addr)
	}
	for len(data) > 0 {
		n := min(len(data), BurstChunk)
		w := b.buf[:1+n]
		w[0] = WriteAccess | addr&0x7F
		copy(w[1:], data[:n])
		if err := b.c.Tx(w, nil); err != nil {
			return fmt.Errorf("sx1301: spi burst write %d: %w", addr, err)
		}
		data = data[n:]
	}
	return nil
}

// readBurst fills dst from addr on, in chunks of at most BurstChunk bytes,
// each with the same header (lgw_spi_rb).
func (b *bus) readBurst(addr uint8, dst []byte) error {
	if len(dst) == 0 {
		return fmt.Errorf("sx1301: burst read of 0 bytes at %d", addr)
	}
	for len(dst) > 0 {
		n := min(len(dst), BurstChunk)
		w := b.buf[:1+n]
		w[0] = addr & 0x7F
		clear(w[1:])
		r := b.rd[:1+n]
		if err := b.c.Tx(w, r); err != nil {
			return fmt.Errorf("sx1301: spi burst read %d: %w", addr, err)
		}
		copy(dst, r[1:])
		dst = dst[n:]
	}
	return nil
}

// selectPage switches to page p unless it is selected already or the
// register is global (page_switch: the page number written to address 0,
// which also clears the soft-reset bit).
func (b *bus) selectPage(p int8) error {
	if p < 0 || p == b.page {
		return nil
	}
	if err := b.writeByte(PageAddr, byte(p)&0x03); err != nil {
		return err
	}
	b.page = p & 0x03
	return nil
}

// softReset resets every register (and the radios) to its default:
// 0x80 to address 0, after which page 0 is selected (lgw_soft_reset).
func (b *bus) softReset() error {
	if err := b.writeByte(PageAddr, SoftResetBit); err != nil {
		return fmt.Errorf("sx1301: soft reset: %w", err)
	}
	b.page = 0
	return nil
}

// readReg reads a register field (lgw_reg_r): one byte, or a burst for a
// multi-byte register.
func (b *bus) readReg(r Register) (int32, error) {
	if err := b.selectPage(r.Page); err != nil {
		return 0, fmt.Errorf("sx1301: read %s: %w", r.Name, err)
	}
	if r.Size() == 1 {
		v, err := b.readByte(r.Addr)
		if err != nil {
			return 0, fmt.Errorf("sx1301: read %s: %w", r.Name, err)
		}
		return r.Decode([]byte{v}), nil
	}
	var buf [4]byte
	if err := b.readBurst(r.Addr, buf[:r.Size()]); err != nil {
		return 0, fmt.Errorf("sx1301: read %s: %w", r.Name, err)
	}
	return r.Decode(buf[:r.Size()]), nil
}

// writeReg writes a register field (lgw_reg_w): a whole byte directly, a
// field within a byte by read-modify-write, a multi-byte register in one
// burst. Writes to PAGE_REG switch the page and writes of 1 to SOFT_RESET
// reset the chip, as the HAL intercepts them; read-only fields are
// refused.
func (b *bus) writeReg(r Register, v int32) error {
	switch r.Name {
	case registers[regPageReg].Name:
		b.page = -1 // force the write: the HAL always writes it
		return b.selectPage(int8(v & 0x03))
	case registers[regSoftReset].Name:
		if v&1 != 0 {
			return b.softReset()
		}
		return nil
	}
	if r.ReadOnly {
		return fmt.Errorf("sx1301: write %s: read-only register", r.Name)
	}
	if err := b.selectPage(r.Page); err != nil {
		return fmt.Errorf("sx1301: write %s: %w", r.Name, err)
	}
	var err error
	switch {
	case r.Size() > 1:
		err = b.writeBurst(r.Addr, r.Encode(0, v))
	case r.whole():
		err = b.writeByte(r.Addr, byte(v))
	default:
		var old byte
		if old, err = b.readByte(r.Addr); err == nil {
			err = b.writeByte(r.Addr, r.Encode(old, v)[0])
		}
	}
	if err != nil {
		return fmt.Errorf("sx1301: write %s: %w", r.Name, err)
	}
	return nil
}

// writeData writes a burst to a data port register (lgw_reg_wb).
func (b *bus) writeData(r Register, data []byte) error {
	if err := b.selectPage(r.Page); err != nil {
		return err
	}
	return b.writeBurst(r.Addr, data)
}

// readData reads a burst from a register (lgw_reg_rb).
func (b *bus) readData(r Register, dst []byte) error {
	if err := b.selectPage(r.Page); err != nil {
		return err
	}
	return b.readBurst(r.Addr, dst)
}

// probeFPGA reads what an FPGA with an SPI mux would answer with its
// version: the frame [mux target FPGA, VERSION address, 0] of
// lgw_connect, the answer in the third byte. A plain SX1301 reads the
// frame as a burst read of VERSION and what follows it.
func (b *bus) probeFPGA() (byte, error) {
	const muxTargetFPGA = 0x01
	w := b.buf[:3]
	w[0], w[1], w[2] = muxTargetFPGA, registers[regVersion].Addr, 0
	r := b.rd[:3]
	if err := b.c.Tx(w, r); err != nil {
		return 0, fmt.Errorf("sx1301: spi fpga probe: %w", err)
	}
	return r[2], nil
}

// spiRadio are the SX1301's SPI-master registers for one radio.
type spiRadio struct{ addr, data, cs, readback regID }

var spiRadios = [2]spiRadio{
	{regSpiRadioAAddr, regSpiRadioAData, regSpiRadioACs, regSpiRadioADataReadback},
	{regSpiRadioBAddr, regSpiRadioBData, regSpiRadioBCs, regSpiRadioBDataReadback},
}

// radioWrite writes an SX125x register through the SX1301's SPI master:
// CS low, address with bit 7 set, data, CS high then low (sx125x_write).
func (b *bus) radioWrite(rf int, addr, v byte) error {
	if rf < 0 || rf > 1 || addr >= 0x7F {
		return fmt.Errorf("sx1301: radio %d register 0x%02x: out of range", rf, addr)
	}
	s := spiRadios[rf]
	for _, op := range []struct {
		id regID
		v  int32
	}{{s.cs, 0}, {s.addr, int32(0x80 | addr)}, {s.data, int32(v)}, {s.cs, 1}, {s.cs, 0}} {
		if err := b.writeReg(registers[op.id], op.v); err != nil {
			return fmt.Errorf("sx1301: radio %d write 0x%02x: %w", rf, addr, err)
		}
	}
	return nil
}

// radioRead reads an SX125x register through the SPI master: the same
// sequence with bit 7 clear and data 0, then the read-back register
// (sx125x_read).
func (b *bus) radioRead(rf int, addr byte) (byte, error) {
	if rf < 0 || rf > 1 || addr >= 0x7F {
		return 0, fmt.Errorf("sx1301: radio %d register 0x%02x: out of range", rf, addr)
	}
	s := spiRadios[rf]
	for _, op := range []struct {
		id regID
		v  int32
	}{{s.cs, 0}, {s.addr, int32(addr)}, {s.data, 0}, {s.cs, 1}, {s.cs, 0}} {
		if err := b.writeReg(registers[op.id], op.v); err != nil {
			return 0, fmt.Errorf("sx1301: radio %d read 0x%02x: %w", rf, addr, err)
		}
	}
	v, err := b.readReg(registers[s.readback])
	if err != nil {
		return 0, fmt.Errorf("sx1301: radio %d read 0x%02x: %w", rf, addr, err)
	}
	return byte(v), nil
}
