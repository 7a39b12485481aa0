package sx130xtest

import (
	"fmt"

	"periph.io/x/conn/v3"
	"periph.io/x/conn/v3/physic"
	"periph.io/x/conn/v3/spi"
)

// Port checks how a driver connects to a modelled chip and hands it the
// model's frame handler as an spi.Conn. The model serialises calls to
// Connect.
type Port struct {
	// Name is the model's package name, which prefixes errors and names
	// the connection ("sx1302test").
	Name string
	// Chip names the chip in errors ("SX1302").
	Chip string
	// MaxSpeed is the chip's fastest SPI clock; 0 accepts any.
	MaxSpeed physic.Frequency
	// Tx carries out one SPI frame: w written, r (when not empty, as long
	// as w) read back.
	Tx func(w, r []byte) error

	connected bool
}

// Connect returns the connection to the chip: once, in SPI mode 0 with
// 8-bit words, at most MaxSpeed.
func (p *Port) Connect(f physic.Frequency, mode spi.Mode, bits int) (spi.Conn, error) {
	if p.connected {
		return nil, fmt.Errorf("%s: Connect called twice", p.Name)
	}
	if mode != spi.Mode0 || bits != 8 {
		return nil, fmt.Errorf("%s: SPI mode %v with %d bits, the %s needs mode 0, 8 bits", p.Name, mode, bits, p.Chip)
	}
	if p.MaxSpeed != 0 && f > p.MaxSpeed {
		return nil, fmt.Errorf("%s: SPI clock %v above the %s's %v", p.Name, f, p.Chip, p.MaxSpeed)
	}
	p.connected = true
	return portConn{p}, nil
}

// portConn is the spi.Conn Connect returns.
type portConn struct{ p *Port }

func (c portConn) String() string       { return c.p.Name }
func (c portConn) Duplex() conn.Duplex  { return conn.Full }
func (c portConn) Tx(w, r []byte) error { return c.p.Tx(w, r) }
func (c portConn) TxPackets([]spi.Packet) error {
	return fmt.Errorf("%s: TxPackets is not modelled: send each frame with Tx", c.p.Name)
}

var _ spi.Conn = portConn{}
