package sx1302

import (
	"fmt"

	"periph.io/x/conn/v3/i2c"
)

// STTS751 temperature sensor of SX1302 reference boards (loragw_stts751.c):
// the HAL refuses to start without one and compensates every RSSI with the
// temperature it reads.
const (
	sttsTempH   = 0x00
	sttsTempL   = 0x02
	sttsConf    = 0x03
	sttsRate    = 0x04
	sttsProdID  = 0xFD
	sttsManID   = 0xFE
	sttsRevID   = 0xFF
	sttsSTManID = 0x53
)

// STTS751Addrs returns the I2C addresses the HAL probes, in order
// (I2C_PORT_TEMP_SENSOR: STTS751-0DP3F, STTS751-1DP3F, CN490 board).
func STTS751Addrs() []uint16 { return []uint16{0x39, 0x3B, 0x38} }

// stts751 is a configured sensor.
type stts751 struct {
	bus  i2c.Bus
	addr uint16
}

func i2cRead(b i2c.Bus, addr uint16, reg byte) (byte, error) {
	var r [1]byte
	if err := b.Tx(addr, []byte{reg}, r[:]); err != nil {
		return 0, err
	}
	return r[0], nil
}

// probeSTTS751 checks for an STTS751 at addr and configures it: 12-bit
// resolution, one conversion per second (stts751_configure).
func probeSTTS751(b i2c.Bus, addr uint16) (*stts751, error) {
	prod, err := i2cRead(b, addr, sttsProdID)
	if err != nil {
		return nil, err
	}
	if prod != 0 && prod != 1 {
		return nil, fmt.Errorf("product id 0x%02x is not an STTS751", prod)
	}
	man, err := i2cRead(b, addr, sttsManID)
	if err != nil {
		return nil, err
	}
	if man != sttsSTManID {
		return nil, fmt.Errorf("manufacturer id 0x%02x is not ST", man)
	}
	if _, err := i2cRead(b, addr, sttsRevID); err != nil {
		return nil, err
	}
	if err := b.Tx(addr, []byte{sttsConf, 0x8C}, nil); err != nil {
		return nil, err
	}
	if err := b.Tx(addr, []byte{sttsRate, 0x04}, nil); err != nil {
		return nil, err
	}
	return &stts751{bus: b, addr: addr}, nil
}

// findSTTS751 probes the HAL's addresses in turn.
func findSTTS751(b i2c.Bus) (*stts751, error) {
	if b == nil {
		return nil, fmt.Errorf("sx1302: no temperature sensor: no i2c bus given")
	}
	var errs []error
	for _, a := range STTS751Addrs() {
		s, err := probeSTTS751(b, a)
		if err == nil {
			return s, nil
		}
		errs = append(errs, fmt.Errorf("0x%02x: %w", a, err))
	}
	return nil, fmt.Errorf("sx1302: no temperature sensor found on %s: %v", b, errs)
}

// temperature reads the sensor in °C (low byte first, as the HAL does).
func (s *stts751) temperature() (float64, error) {
	lo, err := i2cRead(s.bus, s.addr, sttsTempL)
	if err != nil {
		return 0, fmt.Errorf("sx1302: read temperature: %w", err)
	}
	hi, err := i2cRead(s.bus, s.addr, sttsTempH)
	if err != nil {
		return 0, fmt.Errorf("sx1302: read temperature: %w", err)
	}
	return float64(int16(uint16(hi)<<8|uint16(lo))) / 256, nil
}
