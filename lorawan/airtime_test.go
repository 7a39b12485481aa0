package lorawan

import (
	"fmt"
	"testing"
	"time"
)

func TestTimeOnAir(t *testing.T) {
	t.Parallel()
	us := time.Microsecond
	tests := []struct {
		name     string
		bytes    int
		sf       int
		bw       uint32
		cr       int
		preamble int
		explicit bool
		crc      bool
		want     time.Duration
	}{
		// Published: TTN airtime calculator / brief, 13 bytes SF7 125 kHz.
		{"13B SF7BW125", 13, 7, 125000, 5, 8, true, true, 46_336 * us},
		// Published: 51 bytes SF12 125 kHz (LDRO on) = 2465.792 ms.
		{"51B SF12BW125", 51, 12, 125000, 5, 8, true, true, 2_465_792 * us},
		// Published (rfwireless-world calculator): 10 bytes SF7, 41.216 ms.
		{"10B SF7BW125", 10, 7, 125000, 5, 8, true, true, 41_216 * us},
		// Published (rfwireless-world calculator): 10 bytes SF11, LDRO, 577.536 ms.
		{"10B SF11BW125", 10, 11, 125000, 5, 8, true, true, 577_536 * us},
		// Published (AN1200.13 spreadsheet): 13 bytes SF9, 28 payload symbols, 164.864 ms.
		{"13B SF9BW125", 13, 9, 125000, 5, 8, true, true, 164_864 * us},
		// By hand: Tsym 16.384 ms, LDRO on at 250 kHz: ceil(404/40)=11 → 63 symbols.
		{"51B SF12BW250 LDRO", 51, 12, 250000, 5, 8, true, true, 1_232_896 * us},
		// By hand: Tsym 8.192 ms, no LDRO: ceil(408/44)=10 → 58 symbols.
		{"51B SF11BW250", 51, 11, 250000, 5, 8, true, true, 575_488 * us},
		// By hand: Tsym 0.512 ms: ceil(116/32)=4 → 28 symbols, preamble 6.272 ms.
		{"13B SF8BW500", 13, 8, 500000, 5, 8, true, true, 20_608 * us},
		// By hand, downlink (no CRC): ceil(104/28)=4 → 28 symbols.
		{"13B SF7BW125 no CRC", 13, 7, 125000, 5, 8, true, false, 41_216 * us},
		// By hand: CR 4/8, implicit, no CRC, preamble 6: ceil(60/28)=3 → 8+24 symbols, 10.25+32 × 1.024 ms.
		{"10B SF7 CR4/8 implicit", 10, 7, 125000, 8, 6, false, false, 43_264 * us},
		// Empty payload: the numerator is 0, only the 8 header symbols remain.
		{"0B SF7 no CRC", 0, 7, 125000, 5, 8, true, false, 20_736 * us},
		{"0B SF7 implicit no CRC", 0, 7, 125000, 5, 8, false, false, 20_736 * us},
		// A bandwidth that does not divide evenly: SF7 at 62.5 kHz is twice SF7 at 125 kHz.
		{"13B SF7BW62.5", 13, 7, 62500, 5, 8, true, true, 92_672 * us},
		// Invalid parameters give 0.
		{"SF6", 13, 6, 125000, 5, 8, true, true, 0},
		{"SF13", 13, 13, 125000, 5, 8, true, true, 0},
		{"BW0", 13, 7, 0, 5, 8, true, true, 0},
		{"CR4", 13, 7, 125000, 4, 8, true, true, 0},
		{"CR9", 13, 7, 125000, 9, 8, true, true, 0},
		{"256 bytes", 256, 7, 125000, 5, 8, true, true, 0},
		{"-1 bytes", -1, 7, 125000, 5, 8, true, true, 0},
		{"preamble -1", 13, 7, 125000, 5, -1, true, true, 0},
		{"preamble 65536", 13, 7, 125000, 5, 65536, true, true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := TimeOnAir(tc.bytes, tc.sf, tc.bw, tc.cr, tc.preamble, tc.explicit, tc.crc)
			if got != tc.want {
				t.Errorf("TimeOnAir(%d, SF%d, %d, 4/%d, %d, %v, %v) = %v, want %v",
					tc.bytes, tc.sf, tc.bw, tc.cr, tc.preamble, tc.explicit, tc.crc, got, tc.want)
			}
		})
	}
}

func TestUplinkDownlinkTimeOnAir(t *testing.T) {
	t.Parallel()
	if got, want := UplinkTimeOnAir(13, 7, 125000), 46_336*time.Microsecond; got != want {
		t.Errorf("UplinkTimeOnAir(13, 7, 125000) = %v, want %v", got, want)
	}
	if got, want := DownlinkTimeOnAir(13, 7, 125000), 41_216*time.Microsecond; got != want {
		t.Errorf("DownlinkTimeOnAir(13, 7, 125000) = %v, want %v", got, want)
	}
	if got, want := UplinkTimeOnAir(51, 12, 125000), 2_465_792*time.Microsecond; got != want {
		t.Errorf("UplinkTimeOnAir(51, 12, 125000) = %v, want %v", got, want)
	}
}

// Low data-rate optimisation is on exactly when a symbol lasts 16 ms or
// more: compare each SF/BW pair with the formula evaluated both ways.
func TestTimeOnAirLowDataRateOptimisation(t *testing.T) {
	t.Parallel()
	// 51 bytes with CRC: the payload symbol count changes with DE at SF11
	// and SF12, so a wrong LDRO rule shows in the total.
	tests := []struct {
		sf   int
		bw   uint32
		ldro bool
	}{
		{12, 125000, true},
		{11, 125000, true},
		{10, 125000, false},
		{12, 250000, true},
		{11, 250000, false},
		{12, 500000, false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("SF%d/%d", tc.sf, tc.bw), func(t *testing.T) {
			num := 8*51 - 4*tc.sf + 28 + 16
			de := 0
			if tc.ldro {
				de = 1
			}
			den := 4 * (tc.sf - 2*de)
			symbols := 8 + (num+den-1)/den*5
			tsym := time.Duration(float64(time.Second) * float64(uint64(1)<<tc.sf) / float64(tc.bw))
			want := time.Duration(float64(tsym) * (12.25 + float64(symbols)))
			got := UplinkTimeOnAir(51, tc.sf, tc.bw)
			if diff := got - want; diff < -time.Microsecond || diff > time.Microsecond {
				t.Errorf("UplinkTimeOnAir(51, SF%d, %d) = %v, want %v (LDRO %v)", tc.sf, tc.bw, got, want, tc.ldro)
			}
		})
	}
}

// More bytes never take less time.
func TestTimeOnAirMonotonic(t *testing.T) {
	t.Parallel()
	for sf := 7; sf <= 12; sf++ {
		for _, bw := range []uint32{125000, 250000, 500000} {
			prev := time.Duration(0)
			for n := 0; n <= 255; n++ {
				got := UplinkTimeOnAir(n, sf, bw)
				if got < prev || got <= 0 {
					t.Fatalf("UplinkTimeOnAir(%d, SF%d, %d) = %v after %v", n, sf, bw, got, prev)
				}
				prev = got
			}
		}
	}
}

func TestFSKTimeOnAir(t *testing.T) {
	t.Parallel()
	tests := []struct {
		bytes int
		rate  uint32
		want  time.Duration
	}{
		// (13 + 5 preamble + 3 sync + 1 length + 2 CRC) × 8 bits / 50 kbit/s.
		{13, 50000, 3840 * time.Microsecond},
		{0, 50000, 1760 * time.Microsecond},
		{255, 50000, 42560 * time.Microsecond},
		// 88 bits at 3 bit/s: 29.333333333(3) s, rounded to the nanosecond.
		{0, 3, 29_333_333_333},
		{256, 50000, 0},
		{-1, 50000, 0},
		{13, 0, 0},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%dB/%d", tc.bytes, tc.rate), func(t *testing.T) {
			if got := FSKTimeOnAir(tc.bytes, tc.rate); got != tc.want {
				t.Errorf("FSKTimeOnAir(%d, %d) = %v, want %v", tc.bytes, tc.rate, got, tc.want)
			}
		})
	}
}

func FuzzTimeOnAir(f *testing.F) {
	f.Add(13, 7, uint32(125000), 5, 8, true, true)
	f.Add(255, 12, uint32(125000), 8, 65535, false, false)
	f.Add(0, 12, uint32(1), 5, 0, true, false)
	f.Fuzz(func(t *testing.T, n, sf int, bw uint32, cr, pre int, explicit, crc bool) {
		got := TimeOnAir(n, sf, bw, cr, pre, explicit, crc)
		valid := n >= 0 && n <= 255 && sf >= 7 && sf <= 12 && bw > 0 && cr >= 5 && cr <= 8 && pre >= 0 && pre <= 0xffff
		if !valid {
			if got != 0 {
				t.Errorf("TimeOnAir(%d, %d, %d, %d, %d, %v, %v) = %v for invalid input, want 0", n, sf, bw, cr, pre, explicit, crc, got)
			}
			return
		}
		// At least preamble + 8 symbols, at most preamble + the worst payload.
		tsym := float64(uint64(1)<<sf) / float64(bw) * 1e9
		lo := tsym * (float64(pre) + 4.25 + 8)
		hi := tsym * (float64(pre) + 4.25 + 8 + float64((8*255+28+16+4*6)/(4*(sf-2))+1)*8)
		if g := float64(got); g < lo-1 || g > hi+1 {
			t.Errorf("TimeOnAir(%d, %d, %d, %d, %d, %v, %v) = %v outside %v..%v", n, sf, bw, cr, pre, explicit, crc, got, time.Duration(lo), time.Duration(hi))
		}
		if n < 255 {
			if next := TimeOnAir(n+1, sf, bw, cr, pre, explicit, crc); next < got {
				t.Errorf("TimeOnAir with %d bytes = %v, less than %v with %d", n+1, next, got, n)
			}
		}
	})
}

func BenchmarkTimeOnAir(b *testing.B) {
	b.ReportAllocs()
	var sink time.Duration
	for b.Loop() {
		sink += UplinkTimeOnAir(51, 12, 125000)
	}
	if sink == 0 {
		b.Fatal("zero time on air")
	}
}

func ExampleTimeOnAir() {
	// A 13-byte LoRaWAN uplink (empty FRMPayload) at EU868 DR5 (SF7, 125 kHz).
	fmt.Println(UplinkTimeOnAir(13, 7, 125000))
	// The same frame as a downlink carries no payload CRC.
	fmt.Println(DownlinkTimeOnAir(13, 7, 125000))
	// The largest EU868 DR0 uplink: 51 bytes of FRMPayload + 13 of header and MIC.
	fmt.Println(TimeOnAir(64, 12, 125000, 5, 8, true, true))
	// Output:
	// 46.336ms
	// 41.216ms
	// 2.793472s
}
