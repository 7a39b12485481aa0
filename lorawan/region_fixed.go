package lorawan

// Regions with a fixed channel plan (RP002-1.0.4 chapters on US902-928 and
// AU915-928): 64 uplink channels of 125 kHz 200 kHz apart, 8 of 500 kHz 1.6
// MHz apart, 8 downlink channels of 500 kHz from 923.3 MHz 600 kHz apart.

// rpRX1Table copies an explicit RX1 table (rows: uplink DR, columns:
// offset) into both dwell settings.
func (r *Region) rpRX1Table(rows map[int][]int8) {
	for up, row := range rows {
		r.maxOffset = len(row) - 1
		for off, v := range row {
			r.rx1[0][up][off] = v
			r.rx1[1][up][off] = v
		}
	}
}

func rpUS915() Region {
	r := rpNewRegion("US915", "US915")
	r.minFreq, r.maxFreq = 902_000_000, 928_000_000
	r.fixed = true
	r.drs[0] = rpLoRa(10, 125_000, true, false)
	r.drs[1] = rpLoRa(9, 125_000, true, false)
	r.drs[2] = rpLoRa(8, 125_000, true, false)
	r.drs[3] = rpLoRa(7, 125_000, true, false)
	r.drs[4] = rpLoRa(8, 500_000, true, false)
	r.drs[5] = rpLRFHSS("1/3", 1_523_000)
	r.drs[6] = rpLRFHSS("2/3", 1_523_000)
	for i := 0; i < 6; i++ {
		r.drs[8+i] = rpLoRa(12-i, 500_000, false, true)
	}
	for _, dwell := range []bool{false, true} {
		r.rpSetPayload(dwell, 19, 61, 133, 250, 250, 58, 133, 0, 61, 137, 250, 250, 250, 250)
	}
	r.rpRX1Table(map[int][]int8{
		0: {10, 9, 8, 8},
		1: {11, 10, 9, 8},
		2: {12, 11, 10, 9},
		3: {13, 12, 11, 10},
		4: {13, 13, 12, 11},
		5: {10, 9, 8, 8},
		6: {11, 10, 9, 8},
	})
	r.rx2Freq, r.rx2DR = 923_300_000, 8
	r.defaultMaxEIRP = 30
	r.dlEIRP = 26
	r.maxTXPower = 14
	r.base125, r.base500 = 902_300_000, 903_000_000
	r.drs125Min, r.drs125Max = 0, 3
	r.drs500Min, r.drs500Max = 4, 6
	r.joinDR125, r.joinDR500 = 0, 4
	return r
}

func rpAU915() Region {
	r := rpNewRegion("AU915", "AU915")
	r.minFreq, r.maxFreq = 915_000_000, 928_000_000
	r.fixed = true
	r.rpLoRa125(0, true, false)
	r.drs[6] = rpLoRa(8, 500_000, true, false)
	r.drs[7] = rpLRFHSS("1/3", 1_523_000)
	for i := 0; i < 6; i++ {
		r.drs[8+i] = rpLoRa(12-i, 500_000, false, true)
	}
	r.rpSetPayload(false, 59, 59, 59, 123, 250, 250, 250, 58, 61, 137, 250, 250, 250, 250)
	r.rpSetPayload(true, 0, 0, 19, 61, 133, 250, 250, 58, 61, 137, 250, 250, 250, 250)
	r.rpRX1Table(map[int][]int8{
		0: {8, 8, 8, 8, 8, 8},
		1: {9, 8, 8, 8, 8, 8},
		2: {10, 9, 8, 8, 8, 8},
		3: {11, 10, 9, 8, 8, 8},
		4: {12, 11, 10, 9, 8, 8},
		5: {13, 12, 11, 10, 9, 8},
		6: {13, 13, 12, 11, 10, 9},
		7: {9, 8, 8, 8, 8, 8},
	})
	r.rx2Freq, r.rx2DR = 923_300_000, 8
	r.defaultMaxEIRP = 30
	r.dlEIRP = 30
	r.maxTXPower = 14
	r.uplinkDwell, r.downlinkDwell = true, false
	r.txParamSetup = true
	r.base125, r.base500 = 915_200_000, 915_900_000
	r.drs125Min, r.drs125Max = 0, 5
	r.drs500Min, r.drs500Max = 6, 7
	r.joinDR125, r.joinDR500 = 2, 6
	return r
}
