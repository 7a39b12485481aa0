package sx1301

import (
	"fmt"

	"github.com/loraedge/loraedge/hal/internal/sx130x"
)

// Register is one field of the SX1301 register map as Semtech's HAL
// (lora_gateway v5.0.1, loragw_reg.c struct lgw_reg_s) describes it: Length
// bits at bit Offset of the byte at the 7-bit address Addr, in register
// page Page (-1 for the registers every page shows). Fields longer than 8
// bits start at offset 0 and span Size() consecutive bytes, least
// significant byte first (reg_w_align32, reg_r_align32).
type Register struct {
	// Name is the HAL's name without its LGW_ prefix.
	Name string
	// Page is 0, 1 or 2, or -1 for a register visible in every page.
	Page int8
	// Addr is the 7-bit address.
	Addr uint8
	// Offset and Length place the field; Offset+Length <= 8 for fields
	// within a byte, Offset 0 and Length up to 32 for multi-byte ones.
	Offset, Length uint8
	// Signed fields are sign-extended when read.
	Signed bool
	// ReadOnly fields are refused by the driver's writes.
	ReadOnly bool
	// Default is the value after reset.
	Default int32
}

// Size returns the number of bytes the field occupies.
func (r Register) Size() int {
	if r.Offset+r.Length <= 8 {
		return 1
	}
	return int(r.Length+7) / 8
}

// whole reports whether the field is written without a read-modify-write:
// a whole byte or a multi-byte field.
func (r Register) whole() bool { return r.Offset == 0 && r.Length >= 8 }

// mask returns the bits a within-byte field occupies.
func (r Register) mask() byte { return byte((1<<r.Length)-1) << r.Offset }

// Decode extracts the field's value from the Size() bytes holding it
// (least significant first), sign-extended if the field is signed. Short
// input reads as zeros.
func (r Register) Decode(b []byte) int32 {
	if r.Size() == 1 {
		if len(b) == 0 {
			return 0
		}
		v := int32(b[0]&r.mask()) >> r.Offset
		if r.Signed && v&(1<<(r.Length-1)) != 0 {
			v -= 1 << r.Length
		}
		return v
	}
	var u uint32
	for i := min(r.Size(), len(b)) - 1; i >= 0; i-- {
		u = u<<8 | uint32(b[i])
	}
	if r.Length < 32 {
		u &= 1<<r.Length - 1
		if r.Signed && u&(1<<(r.Length-1)) != 0 {
			return int32(u) - 1<<r.Length
		}
	}
	return int32(u)
}

// Encode returns the bytes to write for value v: for a field within a
// byte, old (the byte holding it) with the field replaced (the HAL's
// "mixing old & new data"); for a multi-byte field, Size() bytes least
// significant first.
func (r Register) Encode(old byte, v int32) []byte {
	if r.Size() == 1 {
		if r.whole() {
			return []byte{byte(v)}
		}
		return []byte{old&^r.mask() | byte(v)<<r.Offset&r.mask()}
	}
	out := make([]byte, r.Size())
	for i := range out {
		out[i] = byte(v >> (8 * i))
	}
	return out
}

// String returns the register's name and place.
func (r Register) String() string {
	if r.Size() > 1 {
		return fmt.Sprintf("%s@p%d:%d[%d bytes]", r.Name, r.Page, r.Addr, r.Size())
	}
	return fmt.Sprintf("%s@p%d:%d[%d:%d]", r.Name, r.Page, r.Addr, r.Offset+r.Length-1, r.Offset)
}

// Registers returns a copy of the register table the driver uses (a
// subset of the HAL's 326 registers; see doc.go).
func Registers() []Register {
	out := make([]Register, len(registers))
	copy(out, registers[:])
	return out
}

// LookupRegister returns the register with the HAL's name (without the
// LGW_ prefix), if the driver's table holds it.
func LookupRegister(name string) (Register, bool) {
	for _, r := range registers {
		if r.Name == name {
			return r, true
		}
	}
	return Register{}, false
}

// Global reports whether addr holds registers visible in every page
// (addresses 0..32 and 125..127 in the HAL's table); the others are paged.
func Global(addr uint8) bool { return addr <= lastLowGlobal || addr >= firstHighGlobal }

// Address ranges of the global registers (loragw_reg.c: every page -1
// register sits at 0..32 or 125..127, every paged one at 33..124).
const (
	lastLowGlobal   = 32
	firstHighGlobal = 125
)

// SPI protocol of the SX1301 (loragw_spi.native.c): one header byte, the
// R/W flag in bit 7 and a 7-bit address, then data. Without an FPGA in
// front of the chip (LGW_SPI_MUX_MODE0) there is no mux byte.
const (
	// WriteAccess is the write flag of the header byte.
	WriteAccess = 0x80
	// BurstChunk is the largest data part of one SPI transaction
	// (LGW_BURST_CHUNK); longer bursts are cut, each chunk sent with the
	// same header.
	BurstChunk = 1024
	// PageAddr is the register holding the page number (bits 1..0) and
	// the soft-reset bit (bit 7).
	PageAddr = 0x00
	// SoftResetBit is the value written to PageAddr to reset the chip.
	SoftResetBit = 0x80
)

// Chip and firmware facts of lora_gateway v5.0.1.
const (
	// ChipVersion is what VERSION reads on an SX1301; lgw_connect refuses
	// any other value.
	ChipVersion = 103
	// FirmwareSize is the size of each MCU image (MCU_AGC_FW_BYTE,
	// MCU_ARB_FW_BYTE).
	FirmwareSize = sx130x.FirmwareSize
	// FirmwareVersionAddr is where each firmware writes its version in
	// its MCU's data RAM (FW_VERSION_ADDR).
	FirmwareVersionAddr = 0x20
	// CalVersion, AGCVersion and ARBVersion are the versions the HAL
	// expects (FW_VERSION_CAL, FW_VERSION_AGC, FW_VERSION_ARB).
	CalVersion = 2
	AGCVersion = 4
	ARBVersion = 1
	// FIFOSize is the depth of the RX packet FIFO (LGW_PKT_FIFO_SIZE).
	FIFOSize = 16
	// DataBufferSize is the RX data buffer holding payloads and metadata
	// (LGW_DATABUFF_SIZE).
	DataBufferSize = 1024
	// RxMetadataSize follows each payload in the RX data buffer
	// (RX_METADATA_NB); TxHeaderSize precedes each payload in the TX data
	// buffer (TX_METADATA_NB).
	RxMetadataSize = 16
	TxHeaderSize   = 16
)

// FPGA versions lgw_connect takes as the sign of an FPGA with an SPI mux
// in front of the SX1301 (FPGA_VERSION in loragw_reg.c).
var fpgaVersions = [...]byte{31, 33}
