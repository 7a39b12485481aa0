package sx130x

// PPMOn reports whether the LoRa low data rate optimisation is on for a
// bandwidth (Hz) and spreading factor (the HAL's SET_PPM_ON).
func PPMOn(bw uint32, sf int) bool {
	return bw == 125_000 && sf >= 11 || bw == 250_000 && sf == 12
}
