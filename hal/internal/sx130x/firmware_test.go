package sx130x

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var errTestFirmware = errors.New("test: firmware")

// varFile returns a .var C array of n bytes (byte i is i mod 256) with
// Semtech's licence comment in front, elements written as format.
func varFile(n int, format string) []byte {
	var b strings.Builder
	b.WriteString("/* Revised BSD License (c) Semtech */\n")
	b.WriteString("static uint8_t firmware[MCU_FW_SIZE] = {\n")
	for i := range n {
		if i > 0 {
			b.WriteString(",")
			if i%16 == 0 {
				b.WriteString("\r\n\t")
			} else {
				b.WriteString(" ")
			}
		}
		fmt.Fprintf(&b, format, byte(i))
	}
	b.WriteString("\n};\n")
	return []byte(b.String())
}

func TestReadFirmware(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw := bytes.Repeat([]byte{0xA5, 0x5A}, FirmwareSize/2)
	counting := make([]byte, FirmwareSize)
	for i := range counting {
		counting[i] = byte(i)
	}
	cases := []struct {
		name string
		path string
		want []byte
		msg  string // the error says this; "" for success
	}{
		{"binary image", write("fw.bin", raw), raw, ""},
		{"C array, lower-case hex", write("lower.var", varFile(FirmwareSize, "0x%02x")), counting, ""},
		{"C array, upper-case hex and 0X", write("upper.var", varFile(FirmwareSize, "0X%02X")), counting, ""},
		{"no path", "", nil, "no agc firmware file given"},
		{"no such file", filepath.Join(dir, "nope.var"), nil, "nope.var"},
		{"wrong size, no array", write("short.bin", make([]byte, 100)), nil, "100 bytes: neither a 8192-byte image nor a C array"},
		{"array too short", write("short.var", varFile(FirmwareSize-1, "0x%02x")), nil, "C array of 8191 bytes, want 8192"},
		{"array too long", write("long.var", varFile(FirmwareSize+1, "0x%02x")), nil, "C array longer than 8192 bytes"},
		{"decimal element", write("dec.var", varFile(FirmwareSize, "%d")), nil, `C array element "0" is not a 0xNN byte`},
		{"bad hex digit", write("hex.var", []byte("{0x1g}")), nil, `C array element "0x1g" is not a 0xNN byte`},
		{"braces reversed", write("rev.var", []byte("} 0x00 {")), nil, "neither a 8192-byte image nor a C array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadFirmware(tc.path, "agc", errTestFirmware)
			if tc.msg == "" {
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Fatalf("ReadFirmware: %d bytes, %v; want the %d-byte image", len(got), err, len(tc.want))
				}
				return
			}
			if !errors.Is(err, errTestFirmware) || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("ReadFirmware: %v, want the sentinel and %q", err, tc.msg)
			}
			if got != nil {
				t.Errorf("ReadFirmware returned %d bytes with its error", len(got))
			}
		})
	}
}

func TestCompareReadBack(t *testing.T) {
	cases := []struct {
		name        string
		wrote, read []byte
		msg         string
	}{
		{"same", []byte{1, 2, 3}, []byte{1, 2, 3}, ""},
		{"differs", []byte{1, 2, 3}, []byte{1, 2, 0x83}, "read-back differs at byte 2 (wrote 0x03, read 0x83)"},
		{"short", []byte{1, 2, 3}, []byte{1, 2}, "read-back of 2 bytes, 3 written"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := CompareReadBack(tc.wrote, tc.read)
			if tc.msg == "" && err != nil || tc.msg != "" && (err == nil || err.Error() != tc.msg) {
				t.Errorf("CompareReadBack: %v, want %q", err, tc.msg)
			}
		})
	}
}

func TestPPMOn(t *testing.T) {
	cases := []struct {
		bw   uint32
		sf   int
		want bool
	}{
		{125_000, 10, false}, {125_000, 11, true}, {125_000, 12, true},
		{250_000, 11, false}, {250_000, 12, true}, {500_000, 12, false},
	}
	for _, tc := range cases {
		if got := PPMOn(tc.bw, tc.sf); got != tc.want {
			t.Errorf("PPMOn(%d, SF%d) = %v, want %v", tc.bw, tc.sf, got, tc.want)
		}
	}
}

// fuzzVarSize is the array size FuzzParseVar parses for: the grammar is
// the same as for FirmwareSize, and small inputs keep the fuzzer fast.
const fuzzVarSize = 4

// FuzzParseVar feeds the .var parser arbitrary files: it must never
// panic, and what it accepts is exactly the array size it was asked for,
// each byte written as 0xNN between the braces, in order.
func FuzzParseVar(f *testing.F) {
	f.Add(varFile(fuzzVarSize, "0x%02x"))
	f.Add(varFile(fuzzVarSize+1, "0x%02X"))
	f.Add([]byte("x[4] = {0x00, 0x01,\r\n\t0xfe,0XFF};"))
	f.Add([]byte("{0x00, 0x1g, 0x02, 0x03}"))
	f.Add([]byte("}{"))
	f.Fuzz(func(t *testing.T, b []byte) {
		fw, err := parseVar(b, fuzzVarSize)
		if err != nil {
			if fw != nil {
				t.Fatalf("%d bytes returned with error %v", len(fw), err)
			}
			return
		}
		if len(fw) != fuzzVarSize {
			t.Fatalf("%d bytes accepted, want %d", len(fw), fuzzVarSize)
		}
		// Written back as 0xNN elements, the bytes parse to themselves.
		var again strings.Builder
		again.WriteString("{")
		for _, v := range fw {
			fmt.Fprintf(&again, "0x%02x,", v)
		}
		again.WriteString("}")
		if back, err := parseVar([]byte(again.String()), fuzzVarSize); err != nil || !bytes.Equal(back, fw) {
			t.Fatalf("% x written back parses to % x, %v", fw, back, err)
		}
	})
}
