package sx1302

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
// a CoreCell board, reset and idle) for the tests marked hw, and checks
// the transfers.
func framing(t *testing.T, hw bool, ops []conntest.IO, run func(b *bus) error) {
	t.Helper()
	sx130xtest.Framing(t, SPISpeed, hw, "this framing test writes registers a running board needs", ops,
		func(c spi.Conn) error { return run(newBus(c)) })
}

func seq(n int, from byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = from + byte(i*7)
	}
	return b
}

func TestFramingReadVersion(t *testing.T) {
	framing(t, true, []conntest.IO{
		// Single read of COMMON_VERSION (0x5606): mux 0, address with the
		// R/W bit clear, a dummy byte; the value is the fifth byte.
		{W: []byte{0x00, 0x56, 0x06, 0x00, 0x00}, R: []byte{0, 0, 0, 0, 0x10}},
	}, func(b *bus) error {
		v, err := b.readReg(registers[regCommonVersionVersion])
		if err == nil && v != 0x10 && !sx130xtest.OnHW() {
			t.Errorf("version 0x%02x, want 0x10", v)
		}
		return err
	})
}

func TestFramingWriteWholeByte(t *testing.T) {
	framing(t, true, []conntest.IO{
		// GPIO_OUT_L (0x5643) is a whole byte: one 4-byte write, bit 7 of
		// byte 1 set.
		{W: []byte{0x00, 0xD6, 0x43, 0x00}},
	}, func(b *bus) error { return b.writeReg(registers[regGpioGpioOutLOutValue], 0) })
}

func TestFramingReadModifyWrite(t *testing.T) {
	r := registers[regTimestampGpsCtrlGpsPol] // 0x6100 bit 1
	framing(t, false, []conntest.IO{
		// Read the byte holding GPS_POL…
		{W: []byte{0x00, 0x61, 0x00, 0x00, 0x00}, R: []byte{0, 0, 0, 0, 0xF1}},
		// …and write it back with bit 1 set, the other bits kept.
		{W: []byte{0x00, 0xE1, 0x00, 0xF3}},
	}, func(b *bus) error { return b.writeReg(r, 1) })
}

func TestFramingSignedField(t *testing.T) {
	// A 4-bit signed field at bits 5..2 holding 0b1110 reads as -2.
	r := Register{Name: "TEST", Addr: 0x1234, Offset: 2, Length: 4, Signed: true}
	framing(t, false, []conntest.IO{
		{W: []byte{0x00, 0x12, 0x34, 0x00, 0x00}, R: []byte{0, 0, 0, 0, 0b1011_1001}},
	}, func(b *bus) error {
		v, err := b.readReg(r)
		if v != -2 {
			t.Errorf("signed field = %d, want -2", v)
		}
		return err
	})
}

func TestFramingReadOnlyRefused(t *testing.T) {
	framing(t, false, nil, func(b *bus) error {
		err := b.writeReg(registers[regCommonVersionVersion], 1)
		if err == nil {
			t.Error("write to a read-only register succeeded")
		}
		return nil
	})
}

func TestFramingBurstWriteChunks(t *testing.T) {
	data := seq(2500, 3)
	framing(t, false, []conntest.IO{
		// 2500 bytes to AGC RAM: three transfers of at most 1024 data
		// bytes, each with its own 3-byte write header, the address
		// advanced by what was written (lgw_mem_wb).
		{W: append([]byte{0x00, 0x80, 0x00}, data[:1024]...)},
		{W: append([]byte{0x00, 0x84, 0x00}, data[1024:2048]...)},
		{W: append([]byte{0x00, 0x88, 0x00}, data[2048:]...)},
	}, func(b *bus) error { return b.writeBurst(AGCMemAddr, data) })
}

func TestFramingBurstReadFIFO(t *testing.T) {
	data := seq(1500, 9)
	framing(t, false, []conntest.IO{
		// RX buffer: 4-byte read header (dummy byte included) resent with
		// the same address 0x4000 for each chunk: the FIFO pops.
		{W: make4000(1024), R: append(make([]byte, 4), data[:1024]...)},
		{W: make4000(476), R: append(make([]byte, 4), data[1024:]...)},
	}, func(b *bus) error {
		got := make([]byte, len(data))
		if err := b.readBurst(RXBufferAddr, got, true); err != nil {
			return err
		}
		if !bytes.Equal(got, data) {
			t.Error("FIFO data differs")
		}
		return nil
	})
}

func make4000(n int) []byte {
	w := make([]byte, 4+n)
	w[1] = 0x40
	return w
}

func TestFramingCounterRead(t *testing.T) {
	framing(t, true, []conntest.IO{
		// 8 bytes from TIMESTAMP_PPS_MSB2 (0x6101): PPS then the free-running
		// counter, big-endian.
		{W: []byte{0x00, 0x61, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0}, R: []byte{0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8}},
	}, func(b *bus) error {
		var got [8]byte
		if err := b.readBurst(registers[regTimestampTimestampPpsMsb2TimestampPps].Addr, got[:], false); err != nil {
			return err
		}
		if !sx130xtest.OnHW() && got != [8]byte{1, 2, 3, 4, 5, 6, 7, 8} {
			t.Errorf("got % x", got)
		}
		return nil
	})
}

func TestFramingRadioCommand(t *testing.T) {
	f := SX1250FreqReg(868_100_000)
	framing(t, false, []conntest.IO{
		// SET_RF_FREQUENCY to radio B: mux 2, opcode 0x86, 4 bytes BE.
		{W: []byte{0x02, 0x86, byte(f >> 24), byte(f >> 16), byte(f >> 8), byte(f)}},
	}, func(b *bus) error {
		return b.radioWrite(1, opSetRFFrequency, []byte{byte(f >> 24), byte(f >> 16), byte(f >> 8), byte(f)})
	})
	if f != 0x36419999 {
		t.Errorf("868.1 MHz = 0x%08x in SX1250 steps, want 0x36419999", f)
	}
}

func TestFramingRadioStatus(t *testing.T) {
	framing(t, true, []conntest.IO{
		// GET_STATUS to radio A: mux 1, opcode 0xC0, one argument byte;
		// the reply is read from offset 2.
		{W: []byte{0x01, 0xC0, 0x00}, R: []byte{0, 0, 0x52}},
	}, func(b *bus) error {
		st, err := b.radioRead(0, opGetStatus, []byte{0})
		if err == nil && !sx130xtest.OnHW() && st[0] != 0x52 {
			t.Errorf("status 0x%02x, want 0x52", st[0])
		}
		return err
	})
}

func TestFramingTxError(t *testing.T) {
	_, err := newBus(sx130xtest.PlaybackConn(t, SPISpeed)).readByte(0x5606)
	if err == nil || !conntest.IsErr(errors.Unwrap(err)) {
		t.Errorf("read on an exhausted playback: %v, want the playback's error wrapped", err)
	}
}
