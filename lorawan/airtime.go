package lorawan

import "time"

// Time on air after the Semtech LoRa modem formula (AN1200.13, SX1276
// datasheet section 4.1.1.7):
//
//	Tsym      = 2^SF / BW
//	Tpreamble = (Npreamble + 4.25) × Tsym
//	Npayload  = 8 + max(ceil((8·PL − 4·SF + 28 + 16·CRC − 20·IH) / (4·(SF − 2·DE))) × (CR + 4), 0)
//	T         = Tpreamble + Npayload × Tsym
//
// where DE (low data-rate optimisation) is on when a symbol lasts 16 ms or
// more: SF11 and SF12 at 125 kHz, SF12 at 250 kHz. The sums are done in
// quarter symbols and nanoseconds with integers, so results are exact to
// the nanosecond (rounded to the nearest).

// toaMaxPayload is the largest PHY payload a LoRa or FSK frame carries.
const toaMaxPayload = 255

// TimeOnAir returns the time on air of a LoRa frame of payloadBytes bytes
// (the whole PHYPayload) at spreading factor sf (7..12) and bandwidth bwHz,
// with codingRate 5..8 for 4/5..4/8, preambleSymbols programmed preamble
// symbols (8 in LoRaWAN), an explicit header or not, and a payload CRC or
// not. Parameters no LoRa modem accepts (payload outside 0..255 bytes, sf
// outside 7..12, bandwidth 0, coding rate outside 5..8, preamble outside
// 0..65535) give 0.
func TimeOnAir(payloadBytes, sf int, bwHz uint32, codingRate, preambleSymbols int, explicitHeader, crc bool) time.Duration {
	if payloadBytes < 0 || payloadBytes > toaMaxPayload || sf < 7 || sf > 12 || bwHz == 0 ||
		codingRate < 5 || codingRate > 8 || preambleSymbols < 0 || preambleSymbols > 0xffff {
		return 0
	}
	// DE is on when Tsym = 2^SF/BW >= 16 ms, i.e. 2^SF × 1000 >= 16 × BW.
	de := 0
	if uint64(1)<<sf*1000 >= 16*uint64(bwHz) {
		de = 1
	}
	num := 8*payloadBytes - 4*sf + 28
	if crc {
		num += 16
	}
	if !explicitHeader {
		num -= 20
	}
	den := 4 * (sf - 2*de)
	symbols := 8
	if num > 0 {
		symbols += (num + den - 1) / den * codingRate
	}
	// Quarter symbols: preamble (N + 4.25) and payload.
	quarters := uint64(4*preambleSymbols+17) + 4*uint64(symbols)
	// T = quarters/4 × 2^SF / BW seconds.
	n := quarters << sf * uint64(time.Second)
	d := 4 * uint64(bwHz)
	return time.Duration((n + d/2) / d)
}

// UplinkTimeOnAir is TimeOnAir with LoRaWAN's uplink settings: coding rate
// 4/5, 8 preamble symbols, explicit header, payload CRC.
func UplinkTimeOnAir(payloadBytes, sf int, bwHz uint32) time.Duration {
	return TimeOnAir(payloadBytes, sf, bwHz, 5, 8, true, true)
}

// DownlinkTimeOnAir is TimeOnAir with LoRaWAN's downlink settings: coding
// rate 4/5, 8 preamble symbols, explicit header, no payload CRC.
func DownlinkTimeOnAir(payloadBytes, sf int, bwHz uint32) time.Duration {
	return TimeOnAir(payloadBytes, sf, bwHz, 5, 8, true, false)
}

// FSK frame overhead in LoRaWAN: 5 bytes of preamble, a 3-byte sync word, a
// length byte and a 2-byte CRC.
const toaFSKOverhead = 5 + 3 + 1 + 2

// FSKTimeOnAir returns the time on air of a LoRaWAN FSK frame of
// payloadBytes bytes at bitRate bit/s (50 kbit/s in every region that has
// FSK), counting preamble, sync word, length byte and CRC. A payload outside
// 0..255 bytes or a bit rate of 0 gives 0.
func FSKTimeOnAir(payloadBytes int, bitRate uint32) time.Duration {
	if payloadBytes < 0 || payloadBytes > toaMaxPayload || bitRate == 0 {
		return 0
	}
	bits := uint64(8 * (payloadBytes + toaFSKOverhead))
	n := bits * uint64(time.Second)
	return time.Duration((n + uint64(bitRate)/2) / uint64(bitRate))
}
