package lorawan

import "testing"

func TestFullFCnt(t *testing.T) {
	for _, tc := range []struct {
		name  string
		last  uint32
		onAir uint16
		want  uint32
	}{
		{"start", 0, 0, 0},
		{"next", 0, 1, 1},
		{"same as last (retransmission)", 41, 41, 41},
		{"ahead in the same 64 Ki window", 10, 500, 500},
		{"last of the first window", 0xfffe, 0xffff, 0xffff},
		{"16-bit roll-over", 0xffff, 0x0000, 0x10000},
		{"roll-over, a few frames lost", 0xfff0, 0x0005, 0x10005},
		{"behind last: taken as the next window", 100, 99, 0x10063},
		{"upper half kept", 0x00050010, 0x0011, 0x00050011},
		{"upper half carried", 0x0005fffd, 0x0002, 0x00060002},
		{"largest", 0xfffffff0, 0xffff, 0xffffffff},
		{"wraps past 2^32 below last", 0xfffffff0, 0x0001, 0x00000001},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := FullFCnt(tc.last, tc.onAir); got != tc.want {
				t.Errorf("FullFCnt(%#x, %#x) = %#x, want %#x", tc.last, tc.onAir, got, tc.want)
			}
		})
	}
}

// TestFullFCntProperties checks, over a spread of inputs, that the result
// carries the on-air bits and is the smallest such value not below last.
func TestFullFCntProperties(t *testing.T) {
	for _, last := range []uint32{0, 1, 0x7fff, 0xffff, 0x10000, 0x1fffe, 0x12345678, 0xfffeffff} {
		for _, onAir := range []uint16{0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff, uint16(last), uint16(last) - 1, uint16(last) + 1} {
			got := FullFCnt(last, onAir)
			if uint16(got) != onAir {
				t.Errorf("FullFCnt(%#x, %#x) = %#x: low bits differ", last, onAir, got)
			}
			if got < last {
				t.Errorf("FullFCnt(%#x, %#x) = %#x below last", last, onAir, got)
			}
			if got-last > 0xffff {
				t.Errorf("FullFCnt(%#x, %#x) = %#x: a smaller value fits", last, onAir, got)
			}
		}
	}
}
