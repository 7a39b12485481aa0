package sx130x

import (
	"bytes"
	"fmt"
	"os"
)

// FirmwareSize is the size of every MCU image of both chip families
// (MCU_FW_SIZE in sx1302_hal, MCU_AGC_FW_BYTE and MCU_ARB_FW_BYTE in
// lora_gateway).
const FirmwareSize = 8192

// ReadFirmware reads a FirmwareSize-byte MCU image from path: a raw
// binary file, or Semtech's .var C array file (the hex bytes between its
// braces; the licence comment before them is skipped). what names the
// image in errors, and every error wraps errFirmware, the driver's
// sentinel.
func ReadFirmware(path, what string, errFirmware error) ([]byte, error) {
	if path == "" {
		return nil, fmt.Errorf("%w: no %s firmware file given (see the package documentation for where to get it)", errFirmware, what)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errFirmware, what, err)
	}
	if len(b) == FirmwareSize {
		return b, nil
	}
	fw, err := ParseVar(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %s: %w", errFirmware, what, path, err)
	}
	return fw, nil
}

// ParseVar extracts the FirmwareSize bytes of a C array initialiser
// "= {0x8A, 0x51, …}", each element written 0xNN.
func ParseVar(b []byte) ([]byte, error) { return parseVar(b, FirmwareSize) }

// parseVar is ParseVar for an array of size bytes.
func parseVar(b []byte, size int) ([]byte, error) {
	open := bytes.IndexByte(b, '{')
	end := bytes.LastIndexByte(b, '}')
	if open < 0 || end < open {
		return nil, fmt.Errorf("%d bytes: neither a %d-byte image nor a C array", len(b), size)
	}
	out := make([]byte, 0, size)
	for _, f := range bytes.FieldsFunc(b[open+1:end], func(r rune) bool {
		return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t'
	}) {
		v, ok := hexByte(f)
		if !ok {
			return nil, fmt.Errorf("C array element %q is not a 0xNN byte", f)
		}
		if len(out) == size {
			return nil, fmt.Errorf("C array longer than %d bytes", size)
		}
		out = append(out, v)
	}
	if len(out) != size {
		return nil, fmt.Errorf("C array of %d bytes, want %d", len(out), size)
	}
	return out, nil
}

// hexByte parses "0xNN".
func hexByte(f []byte) (byte, bool) {
	if len(f) != 4 || f[0] != '0' || f[1] != 'x' && f[1] != 'X' {
		return 0, false
	}
	var v byte
	for _, c := range f[2:] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		v = v<<4 | c
	}
	return v, true
}

// CompareReadBack compares an image written to MCU memory with what was
// read back, and says where they first differ.
func CompareReadBack(wrote, read []byte) error {
	if len(read) != len(wrote) {
		return fmt.Errorf("read-back of %d bytes, %d written", len(read), len(wrote))
	}
	for i := range wrote {
		if wrote[i] != read[i] {
			return fmt.Errorf("read-back differs at byte %d (wrote 0x%02x, read 0x%02x)", i, wrote[i], read[i])
		}
	}
	return nil
}
