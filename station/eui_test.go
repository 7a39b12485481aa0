package station

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

func eui(v uint64) lorawan.EUI64 {
	var e lorawan.EUI64
	binary.BigEndian.PutUint64(e[:], v)
	return e
}

func TestParseEUI(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
	}{
		// Station's own selftests of rt_readEui (src/selftest_rt.c).
		{"123456", 0x123456},
		{"12-34-56-78-9a-bc-de-f0", 0x123456789abcdef0},
		{"12:34:56:78:9a", 0x123456789a},
		{"12::34", 0x0012000000000034},
		{"::12:34", 0x0000000000120034},
		{"12:34::", 0x0012003400000000},
		{"1:2:3:4", 0x0001000200030004},
		// The notes' router ids.
		{"b827:ebff:fe61:51a5", 0xb827ebfffe6151a5},
		{"b827ebfffe6151a5", 0xb827ebfffe6151a5},
		{"B8-27-EB-FF-FE-61-51-A5", 0xb827ebfffe6151a5},
		{"b8:27:eb:ff:fe:61:51:a5", 0xb827ebfffe6151a5},
		{"::1", 1},
		{"::0", 0},
		{"1::", 0x0001000000000000},
		{"1:2::3", 0x0001000200000003},
		{"1::2:3", 0x0001000000020003},
		{"1:2:3", 0x0000000100020003}, // three groups, no "::": Station right-aligns them
		{"0", 0},
		{"ffffffffffffffff", 0xffffffffffffffff},
		// With one colon, or four to seven, colons are separators, not id6.
		{"a:b", 0xab},
		{"b827:ebff:fe61:51a5:", 0xb827ebfffe6151a5},
		{"1::2::3", 0x123},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseEUI(tt.in)
			if err != nil {
				t.Fatalf("ParseEUI(%q): %v", tt.in, err)
			}
			if want := eui(tt.want); got != want {
				t.Errorf("ParseEUI(%q) = %s, want %s", tt.in, got, want)
			}
		})
	}
}

func TestParseEUIRefused(t *testing.T) {
	for _, in := range []string{
		// Station's selftests of refused input.
		"12:::34", "1:2:3:4:5:6:7:8:9:0", ":12:34",
		// Others.
		"", "::", "-", "1-2:3", "12345:1::", "0x12", "g", "1 2", "12345678901234567", "1-2-3-4-5-6-7-8-9",
	} {
		t.Run(in, func(t *testing.T) {
			got, err := ParseEUI(in)
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Errorf("ParseEUI(%q) = %s, %v; want an error wrapping lorawan.ErrMalformed", in, got, err)
			}
		})
	}
}

func TestFormatID6(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		// Station's selftests of uj_encId6 (src/selftest_ujenc.c).
		{0x0000000000000000, "::0"},
		{0x0000000000000001, "::1"},
		{0x0000000000020001, "::2:1"},
		{0x0004000000000001, "4::1"},
		{0x0004000300000000, "4:3::"},
		{0x0004000000000000, "4::"},
		{0x0000000300020000, "0:3:2:0"},
		// Others.
		{0xb827ebfffe6151a5, "b827:ebff:fe61:51a5"},
		{0x0000000100000001, "0:1:0:1"},
		{0x0000000000010000, "::1:0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := FormatID6(eui(tt.in)); got != tt.want {
				t.Errorf("FormatID6(%016x) = %q, want %q", tt.in, got, tt.want)
			}
			back, err := ParseEUI(tt.want)
			if err != nil || back != eui(tt.in) {
				t.Errorf("ParseEUI(%q) = %s, %v; want %016x", tt.want, back, err, tt.in)
			}
		})
	}
}

func TestFormatEUI(t *testing.T) {
	// Station's selftest of uj_encEui.
	if got, want := FormatEUI(eui(0x91A2B3C4D5E6F708)), "91-A2-B3-C4-D5-E6-F7-08"; got != want {
		t.Errorf("FormatEUI = %q, want %q", got, want)
	}
}

func TestEUIFormatsReadBack(t *testing.T) {
	for _, v := range []uint64{0, 1, 0xffff, 0x10000, 0xffffffffffffffff, 0x0001000000000000,
		0x8000000000000001, 0x00000000ffff0000, 0xffff0000ffff0000, 0x0000ffff0000ffff} {
		e := eui(v)
		for _, s := range []string{FormatID6(e), FormatEUI(e), e.String()} {
			got, err := ParseEUI(s)
			if err != nil || got != e {
				t.Errorf("ParseEUI(%q) = %s, %v; want %s", s, got, err, e)
			}
		}
	}
}
