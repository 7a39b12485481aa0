package sx1302test

import (
	"fmt"
	"math"
	"sync"

	"periph.io/x/conn/v3/i2c"
	"periph.io/x/conn/v3/physic"
)

// STTS751 is an I2C bus with one ST STTS751 temperature sensor on it, as
// SX1302 reference boards carry. Transactions at any other address fail
// as a missing device would (no acknowledge).
type STTS751 struct {
	mu sync.Mutex
	// Addr is the sensor's address (0x39 on CoreCell boards).
	Addr uint16
	// Temp is the temperature the sensor reports, °C.
	Temp float64
	// ProductID is 0 (STTS751-0) or 1 (STTS751-1); another value makes
	// the driver reject the device.
	ProductID byte
	// Conf and Rate are what was written to the configuration and
	// conversion-rate registers.
	Conf, Rate byte
}

var _ i2c.Bus = (*STTS751)(nil)

// String names the bus.
func (s *STTS751) String() string { return "sx1302test-i2c" }

// SetSpeed accepts any speed.
func (s *STTS751) SetSpeed(physic.Frequency) error { return nil }

// Tx writes w (register, then data) and reads len(r) bytes from the
// register.
func (s *STTS751) Tx(addr uint16, w, r []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if addr != s.Addr {
		return fmt.Errorf("sx1302test: i2c: no device acknowledges 0x%02x", addr)
	}
	if len(w) == 0 {
		return fmt.Errorf("sx1302test: i2c: no register address")
	}
	reg := w[0]
	if len(w) >= 2 {
		switch reg {
		case 0x03:
			s.Conf = w[1]
		case 0x04:
			s.Rate = w[1]
		}
	}
	raw := int16(math.Round(s.Temp * 256))
	for i := range r {
		switch reg {
		case 0x00:
			r[i] = byte(uint16(raw) >> 8)
		case 0x02:
			r[i] = byte(raw) & 0xF0 // 12-bit resolution: fraction in the high nibble
		case 0xFD:
			r[i] = s.ProductID
		case 0xFE:
			r[i] = 0x53 // ST
		case 0xFF:
			r[i] = 0x01
		default:
			r[i] = 0
		}
	}
	return nil
}
