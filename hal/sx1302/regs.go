package sx1302

import (
	"fmt"

	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// Register is one field of the SX1302 register map as Semtech's HAL
// (sx1302_hal V2.1.0, loragw_reg.c) describes it: a bit field of Length
// bits at bit Offset of the byte at Addr in the flat 15-bit address space.
// Fields never span bytes; multi-byte values are runs of byte-wide
// registers read or written in one burst.
type Register struct {
	// Name is the HAL's name without its SX1302_REG_ prefix.
	Name string
	// Addr is the byte address (0x0000..0x7FFF).
	Addr uint16
	// Offset and Length place the field in the byte (Offset+Length <= 8).
	Offset, Length uint8
	// Signed fields are sign-extended when read.
	Signed bool
	// ReadOnly fields are refused by the driver's writes.
	ReadOnly bool
	// Default is the value after reset.
	Default int32
}

// mask returns the bits the field occupies in its byte.
func (r Register) mask() byte { return byte((1<<r.Length)-1) << r.Offset }

// whole reports whether the field is the whole byte (written directly,
// without a read-modify-write).
func (r Register) whole() bool { return r.Offset == 0 && r.Length == 8 }

// Decode extracts the field's value from the byte holding it.
func (r Register) Decode(b byte) int32 {
	v := int32(b&r.mask()) >> r.Offset
	if r.Signed && v&(1<<(r.Length-1)) != 0 {
		v -= 1 << r.Length
	}
	return v
}

// Encode merges v into old, the byte holding the field, and returns the
// new byte (the HAL's lgw_spi_rmw "mixing old & new data").
func (r Register) Encode(old byte, v int32) byte {
	return old&^r.mask() | byte(v)<<r.Offset&r.mask()
}

// String returns the register's name and place.
func (r Register) String() string {
	return fmt.Sprintf("%s@0x%04x[%d:%d]", r.Name, r.Addr, r.Offset+r.Length-1, r.Offset)
}

// Registers returns a copy of the register table the driver uses (a subset
// of the HAL's 1044 registers; see doc.go).
func Registers() []Register {
	out := make([]Register, len(registers))
	copy(out, registers[:])
	return out
}

// LookupRegister returns the register with the HAL's name (without the
// SX1302_REG_ prefix), if the driver's table holds it.
func LookupRegister(name string) (Register, bool) {
	for _, r := range registers {
		if r.Name == name {
			return r, true
		}
	}
	return Register{}, false
}

// Memory map of the SX1302 (loragw_reg.c block bases, loragw_sx1302.c).
const (
	// AGCMemAddr and ARBMemAddr are where the AGC and ARB MCU firmware
	// images are written (AGC_MEM_ADDR, ARB_MEM_ADDR).
	AGCMemAddr = 0x0000
	ARBMemAddr = 0x2000
	// FirmwareSize is the size of each MCU firmware image (MCU_FW_SIZE).
	FirmwareSize = sx130x.FirmwareSize
	// RXBufferAddr is the RX packet FIFO: burst reads there pop bytes.
	RXBufferAddr = 0x4000
	// RXBufferSize is the largest RX buffer the HAL fetches in one go
	// (rx_buffer_t.buffer).
	RXBufferSize = 4096
	// TXBufferA and TXBufferB hold the payload of the frame to send on RF
	// chain 0 and 1.
	TXBufferA = 0x5300
	TXBufferB = 0x5500
	// TXTopBOffset is the distance from each TX_TOP_A register to its
	// TX_TOP_B twin (0x5400 - 0x5200).
	TXTopBOffset = 0x0200
	// BurstChunk is the largest data part of one SPI transaction
	// (LGW_BURST_CHUNK); longer bursts are cut into chunks, each sent with
	// its own header.
	BurstChunk = 1024
)

// SPI mux targets: the first byte of every frame says which chip the
// SX1302 relays it to (loragw_com.h).
const (
	MuxSX1302 = 0x00
	MuxRadioA = 0x01
	MuxRadioB = 0x02
)

// Firmware versions the HAL expects in the AGC mailbox and ARB debug
// register once each MCU has started (loragw_hal.c).
const (
	AGCVersionSX1250 = 10
	ARBVersion       = 2
)

// Model IDs read from OTP byte 0xD0 (sx1302_model_id_t).
const (
	ModelSX1302a = 0x00
	ModelSX1302b = 0x02
	ModelSX1303  = 0x03
)
