package sx1302

import "github.com/loraedge/loraedge/hal/internal/sx130x"

// The SX1302 counts at 32 MHz in 32 bits; the HAL divides by 32 to get a
// 27-bit microsecond count (wrapping every 2^27 µs ≈ 134 s) and widens it
// to the 32-bit count_us with a 5-bit wrap counter kept by the host
// (loragw_sx1302_timestamp.c). The widening is only right if the counter
// is read at least once per wrap, which the driver's poll loop does.

// wrap27 widens one 27-bit microsecond counter.
type wrap27 struct {
	ref  uint32 // last 27-bit value seen
	wrap uint32 // wraps seen, modulo 32
}

// update records a new 27-bit reading and returns its 32-bit widening.
func (w *wrap27) update(v uint32) uint32 {
	if v < w.ref {
		w.wrap = (w.wrap + 1) % 32
	}
	w.ref = v
	return w.wrap<<27 | v
}

// expandPacket widens a packet's 27-bit timestamp against the live
// counter: a packet stamped after the last reading (a larger value) was
// received before the most recent wrap (timestamp_pkt_expand).
func (w *wrap27) expandPacket(v uint32) uint32 {
	wrap := w.wrap
	if w.ref < v {
		wrap = (wrap + 31) % 32
	}
	return wrap<<27 | v
}

// legacyCorrection returns the microseconds to add to a LoRa packet's
// end-of-packet timestamp to undo the demodulator's processing delays
// (legacy_timestamp_correction, DFT peak mode "auto"). cr is the HAL code
// 1..4; an unknown bandwidth gives 0.
func legacyCorrection(bw uint32, sf int, cr int, crcOn bool, size int) int32 {
	var bwPow uint64
	switch bw {
	case 125_000:
		bwPow = 1
	case 250_000:
		bwPow = 2
	case 500_000:
		bwPow = 4
	default:
		return 0
	}
	ppm := uint64(0)
	if sx130x.PPMOn(bw, sf) {
		ppm = 1
	}
	crc := 0
	if crcOn {
		crc = 1
	}
	usf := uint64(sf)
	clk := 250_000 / bwPow // clock period in ps·1000 units, as the HAL counts
	nibbles := uint64((size+2*crc)*2 + 5)
	hdrNibbles := usf - 2
	if sf == 5 || sf == 6 {
		hdrNibbles = usf
	}
	perBlock := usf - 2*ppm
	last := nibbles - hdrNibbles - perBlock*((nibbles-hdrNibbles)/perBlock)
	if last == 0 {
		last = perBlock
	}
	iter := (usf + 1) / 2
	dftPeak := uint64(1)
	crLocal := uint64(cr)
	inHeader := 2*(size+2*crc)-(sf-7) <= 0 || size == 0 && !crcOn
	if inHeader {
		dftPeak = 0
		crLocal = 4
		last = hdrNibbles
	}
	filtering := 16_000_000/bwPow + 2_031_250
	sym := uint64(1) << usf
	var demap uint64
	if inHeader {
		demap = clk + sym*clk*3/4 + 3*clk + (usf-2)*clk
	} else {
		// The HAL's (1 - ppm/4) is integer arithmetic: always 1.
		demap = clk + sym*clk + 3*clk + (usf-2*ppm)*clk
	}
	fftState3 := clk*((sym-6)+2*(sym*(iter-1)+6)) + 4*clk
	var fft uint64
	if dftPeak == 1 {
		fft = (5-2*ppm)*(sym*clk+7*clk) + 2*clk
	} else {
		fft = sym*2*clk + 3*clk
	}
	decode := 5*clk + (9*clk+clk*crLocal)*last + 3*clk
	total := (filtering + fftState3 + fft + demap + decode + 500_000) / 1_000_000
	return -int32(total)
}
