package sx1301

import (
	"bytes"
	"errors"
	"testing"

	"periph.io/x/conn/v3/conntest"
	"periph.io/x/conn/v3/spi"

	"github.com/loraedge/loraedge/hal/internal/sx130xtest"
)

// framing runs ops through a playback, or through a recorder on the SPI
// device sx130xtest.HWEnv names (LORAEDGE_SPI=/dev/spidev0.0 on a Pi with
// an SX1301 board, reset and idle) for the tests marked hw, which only
// read global registers, and checks the transfers.
func framing(t *testing.T, hw bool, ops []conntest.IO, run func(b *bus) error) {
	t.Helper()
	sx130xtest.Framing(t, SPISpeed, hw, "this framing test writes registers or switches pages", ops,
		func(c spi.Conn) error { return run(newBus(c)) })
}

func TestFramingReadVersion(t *testing.T) {
	framing(t, true, []conntest.IO{
		// VERSION (address 1, every page): the header byte with bit 7
		// clear, one dummy byte clocked out; the value is the second
		// byte read back. No mux byte.
		{W: []byte{0x01, 0x00}, R: []byte{0x00, 103}},
	}, func(b *bus) error {
		v, err := b.readReg(registers[regVersion])
		if err == nil && !sx130xtest.OnHW() && v != ChipVersion {
			t.Errorf("version %d, want %d", v, ChipVersion)
		}
		return err
	})
}

func TestFramingFPGAProbe(t *testing.T) {
	framing(t, true, []conntest.IO{
		// lgw_connect's probe in mux mode 1: target FPGA (1), VERSION
		// address, dummy; an FPGA answers in the third byte.
		{W: []byte{0x01, 0x01, 0x00}, R: []byte{0x00, 103, 0x00}},
	}, func(b *bus) error {
		v, err := b.probeFPGA()
		if err == nil && !sx130xtest.OnHW() && v != 0 {
			t.Errorf("probe answer %d, want 0 (no FPGA)", v)
		}
		return err
	})
}

func TestFramingWriteWholeByte(t *testing.T) {
	framing(t, false, []conntest.IO{
		// MCU_PROM_ADDR (9, every page) is a whole byte: one 2-byte write,
		// bit 7 of the header set, no page switch.
		{W: []byte{0x89, 0x00}},
	}, func(b *bus) error { return b.writeReg(registers[regMcuPromAddr], 0) })
}

func TestFramingReadModifyWrite(t *testing.T) {
	framing(t, false, []conntest.IO{
		// GLOBAL_EN is bit 3 of address 16: read the byte…
		{W: []byte{0x10, 0x00}, R: []byte{0x00, 0x05}},
		// …and write it back with bit 3 set, the other bits kept.
		{W: []byte{0x90, 0x0D}},
	}, func(b *bus) error { return b.writeReg(registers[regGlobalEn], 1) })
}

func TestFramingPageSwitchAndMultiByteRead(t *testing.T) {
	framing(t, false, []conntest.IO{
		// TIMESTAMP is in page 2: the page number goes to address 0…
		{W: []byte{0x80, 0x02}},
		// …then a 4-byte burst from address 70, least significant byte
		// first.
		{W: []byte{0x46, 0, 0, 0, 0}, R: []byte{0x00, 0x78, 0x56, 0x34, 0x12}},
		// The page is cached: a second page-2 read needs no switch.
		{W: []byte{0x59, 0x00}, R: []byte{0x00, 0x01}},
	}, func(b *bus) error {
		v, err := b.readReg(registers[regTimestamp])
		if err != nil {
			return err
		}
		if uint32(v) != 0x12345678 {
			t.Errorf("TIMESTAMP 0x%08x, want 0x12345678", uint32(v))
		}
		g, err := b.readReg(registers[regGpsEn])
		if g != 1 {
			t.Errorf("GPS_EN %d, want 1", g)
		}
		return err
	})
}

func TestFramingSignedMultiByteWrite(t *testing.T) {
	framing(t, false, []conntest.IO{
		{W: []byte{0x80, 0x00}}, // page 0
		// IF_FREQ_0 (address 36, 13 bits signed) = -384: two bytes in one
		// burst, least significant first, as reg_w_align32 cuts the int32.
		{W: []byte{0xA4, 0x80, 0xFE}},
	}, func(b *bus) error { return b.writeReg(registers[regIfFreq0], -384) })
}

func TestFramingSignedRead(t *testing.T) {
	framing(t, false, []conntest.IO{
		{W: []byte{0x80, 0x01}}, // page 1
		// TX_OFFSET_I (address 39, signed 8 bits): 0xF6 is -10.
		{W: []byte{0x27, 0x00}, R: []byte{0x00, 0xF6}},
	}, func(b *bus) error {
		v, err := b.readReg(registers[regTxOffsetI])
		if v != -10 {
			t.Errorf("TX_OFFSET_I %d, want -10", v)
		}
		return err
	})
}

func TestFramingSoftResetSelectsPage0(t *testing.T) {
	framing(t, false, []conntest.IO{
		// Soft reset: bit 7 of address 0.
		{W: []byte{0x80, 0x80}},
		// Page 0 is now selected: RADIO_SELECT (page 0, address 35) is
		// read without a switch.
		{W: []byte{0x23, 0x00}, R: []byte{0x00, 0xF0}},
		// PAGE_REG writes always reach the chip (the calibration firmware
		// waits for page 3), even twice in a row.
		{W: []byte{0x80, 0x03}},
		{W: []byte{0x80, 0x03}},
	}, func(b *bus) error {
		if err := b.writeReg(registers[regSoftReset], 1); err != nil {
			return err
		}
		if v, err := b.readReg(registers[regRadioSelect]); err != nil || v != 0xF0 {
			t.Errorf("RADIO_SELECT %d (%v), want 240", v, err)
		}
		if err := b.writeReg(registers[regPageReg], 3); err != nil {
			return err
		}
		return b.writeReg(registers[regPageReg], 3)
	})
}

func TestFramingBurstWriteChunks(t *testing.T) {
	fw := make([]byte, FirmwareSize)
	for i := range fw {
		fw[i] = byte(i*7 + 3)
	}
	var ops []conntest.IO
	// 8192 bytes to MCU_PROM_DATA (10): eight transfers of 1024 data bytes,
	// each with the same header byte (the chip advances its own pointer).
	for off := 0; off < FirmwareSize; off += BurstChunk {
		ops = append(ops, conntest.IO{W: append([]byte{0x8A}, fw[off:off+BurstChunk]...)})
	}
	framing(t, false, ops, func(b *bus) error { return b.writeData(registers[regMcuPromData], fw) })
}

func TestFramingBurstReadChunks(t *testing.T) {
	data := make([]byte, 1100)
	for i := range data {
		data[i] = byte(i * 13)
	}
	header := func(n int) []byte {
		w := make([]byte, 1+n)
		w[0] = 0x04 // RX_DATA_BUF_DATA, read
		return w
	}
	framing(t, false, []conntest.IO{
		// RX_DATA_BUF_DATA (4): 1024 then 76 bytes, the same header.
		{W: header(1024), R: append([]byte{0}, data[:1024]...)},
		{W: header(76), R: append([]byte{0}, data[1024:]...)},
	}, func(b *bus) error {
		got := make([]byte, len(data))
		if err := b.readData(registers[regRxDataBufData], got); err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			t.Error("data read differs")
		}
		return nil
	})
}

func TestFramingRadioWrite(t *testing.T) {
	framing(t, false, []conntest.IO{
		{W: []byte{0x80, 0x02}}, // page 2
		// sx125x_write(radio A, 0x01, 0xD9): CS (37, bit 0) low by
		// read-modify-write, address with bit 7, data, CS high, CS low.
		{W: []byte{0x25, 0x00}, R: []byte{0x00, 0x00}},
		{W: []byte{0xA5, 0x00}},
		{W: []byte{0xA3, 0x81}},
		{W: []byte{0xA1, 0xD9}},
		{W: []byte{0x25, 0x00}, R: []byte{0x00, 0x00}},
		{W: []byte{0xA5, 0x01}},
		{W: []byte{0x25, 0x00}, R: []byte{0x00, 0x01}},
		{W: []byte{0xA5, 0x00}},
	}, func(b *bus) error { return b.radioWrite(0, 0x01, 0xD9) })
}

func TestFramingRadioRead(t *testing.T) {
	framing(t, false, []conntest.IO{
		{W: []byte{0x80, 0x02}},
		// sx125x_read(radio B, 0x11): CS (42), address without bit 7 (40),
		// data 0 (38), CS pulse, then DATA_READBACK (39).
		{W: []byte{0x2A, 0x00}, R: []byte{0x00, 0x00}},
		{W: []byte{0xAA, 0x00}},
		{W: []byte{0xA8, 0x11}},
		{W: []byte{0xA6, 0x00}},
		{W: []byte{0x2A, 0x00}, R: []byte{0x00, 0x00}},
		{W: []byte{0xAA, 0x01}},
		{W: []byte{0x2A, 0x00}, R: []byte{0x00, 0x01}},
		{W: []byte{0xAA, 0x00}},
		{W: []byte{0x27, 0x00}, R: []byte{0x00, 0x02}},
	}, func(b *bus) error {
		v, err := b.radioRead(1, 0x11)
		if v != 0x02 {
			t.Errorf("radio register 0x%02x, want 0x02", v)
		}
		return err
	})
}

func TestFramingReadOnlyRefused(t *testing.T) {
	framing(t, false, nil, func(b *bus) error {
		if err := b.writeReg(registers[regTxStatus], 1); err == nil {
			t.Error("write to a read-only register succeeded")
		}
		if err := b.radioWrite(0, 0x7F, 0); err == nil {
			t.Error("radio register 0x7f accepted")
		}
		return nil
	})
}

func TestFramingTxError(t *testing.T) {
	_, err := newBus(sx130xtest.PlaybackConn(t, SPISpeed)).readByte(1)
	if err == nil || !conntest.IsErr(errors.Unwrap(err)) {
		t.Errorf("read on an exhausted playback: %v, want the playback's error wrapped", err)
	}
}
