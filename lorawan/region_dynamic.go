package lorawan

// Regions with a dynamic channel plan (RP002-1.0.4 chapters on EU863-870,
// AS923, KR920-923 and IN865-867): a few default channels every device
// knows, more given by the network in the join-accept CFList.

// rpChannels writes into dst one channel per frequency, each allowing
// minDR..maxDR, and returns how many it wrote.
func rpChannels(dst []Channel, minDR, maxDR int, freqs ...uint32) int {
	for i, f := range freqs {
		dst[i] = Channel{Frequency: f, MinDR: minDR, MaxDR: maxDR}
	}
	return len(freqs)
}

// rpRX1Subtract fills the RX1 table of the regions whose RX1 rate is the
// uplink rate minus the offset, floored at DR0 (offsets 0..5). equiv maps an
// uplink rate to the rate it counts as (EU868 LR-FHSS DR8/DR10 count as DR1,
// DR9/DR11 as DR2).
func (r *Region) rpRX1Subtract(equiv func(up int) int) {
	r.maxOffset = 5
	for up := range r.drs {
		if !r.drs[up].Uplink {
			continue
		}
		base := equiv(up)
		for off := 0; off <= r.maxOffset; off++ {
			v := max(base-off, 0)
			r.rx1[0][up][off] = int8(v)
			r.rx1[1][up][off] = int8(v)
		}
	}
}

// rpRX1Signed fills the RX1 table of AS923 and IN865: offsets 0..7, where 6
// and 7 stand for -1 and -2 (a downlink faster than the uplink), the result
// bounded by minDR (per dwell setting) and DR7; a result the region leaves
// undefined (IN865 DR6) falls to the next defined downlink rate below.
func (r *Region) rpRX1Signed(minDR [2]int) {
	r.maxOffset = 7
	effective := [rpMaxOffsets]int{0, 1, 2, 3, 4, 5, -1, -2}
	for dwell := range r.rx1 {
		for up := range r.drs {
			if !r.drs[up].Uplink {
				continue
			}
			for off := 0; off <= r.maxOffset; off++ {
				v := min(max(up-effective[off], minDR[dwell]), 7)
				for v > 0 && !r.drs[v].Downlink {
					v--
				}
				r.rx1[dwell][up][off] = int8(v)
			}
		}
	}
}

func rpEU868() Region {
	r := rpNewRegion("EU868", "EU868")
	r.minFreq, r.maxFreq = 863_000_000, 870_000_000
	r.rpLoRa125(0, true, true)
	r.drs[6] = rpLoRa(7, 250_000, true, true)
	r.drs[7] = rpFSK()
	r.drs[8] = rpLRFHSS("1/3", 137_000)
	r.drs[9] = rpLRFHSS("2/3", 137_000)
	r.drs[10] = rpLRFHSS("1/3", 336_000)
	r.drs[11] = rpLRFHSS("2/3", 336_000)
	for _, dwell := range []bool{false, true} {
		r.rpSetPayload(dwell, 59, 59, 59, 123, 250, 250, 250, 250, 58, 123, 58, 123)
	}
	r.rpRX1Subtract(func(up int) int {
		switch up {
		case 8, 10:
			return 1
		case 9, 11:
			return 2
		}
		return up
	})
	r.rx2Freq, r.rx2DR = 869_525_000, 0
	r.defaultMaxEIRP = 16
	r.dlEIRP, r.dlEIRPHigh = 16, 27
	r.dlHighMin, r.dlHighMax = 869_400_000, 869_650_000
	r.maxTXPower = 7
	r.nDefaults = rpChannels(r.defaults[:], 0, 5, 868_100_000, 868_300_000, 868_500_000)
	r.nExtra = rpChannels(r.extra[:], 0, 5, 867_100_000, 867_300_000, 867_500_000, 867_700_000, 867_900_000)
	return r
}

// rpAS923 builds an AS923 group: its channels are those of group 1 moved
// down by offset Hz (AS923-2: 1.8 MHz, AS923-3: 6.6 MHz, AS923-4: 5.9 MHz).
func rpAS923(name string, offset uint32) Region {
	r := rpNewRegion(name, "AS923-1")
	switch name {
	case "AS923-1":
		r.minFreq, r.maxFreq = 915_000_000, 928_000_000
	case "AS923-2":
		r.minFreq, r.maxFreq = 920_000_000, 923_000_000
	case "AS923-3":
		r.minFreq, r.maxFreq = 915_000_000, 921_000_000
	case "AS923-4":
		r.minFreq, r.maxFreq = 917_000_000, 920_000_000
	}
	r.rpLoRa125(0, true, true)
	r.drs[6] = rpLoRa(7, 250_000, true, true)
	r.drs[7] = rpFSK()
	r.rpSetPayload(false, 59, 59, 123, 123, 250, 250, 250, 250)
	r.rpSetPayload(true, 0, 0, 19, 61, 133, 250, 250, 250)
	r.rpRX1Signed([2]int{0, 2})
	r.rx2Freq, r.rx2DR = 923_200_000-offset, 2
	r.defaultMaxEIRP = 16
	r.dlEIRP = 16
	r.maxTXPower = 7
	r.uplinkDwell, r.downlinkDwell = true, false
	r.txParamSetup = true
	r.nDefaults = rpChannels(r.defaults[:], 0, 5, 923_200_000-offset, 923_400_000-offset)
	r.nExtra = rpChannels(r.extra[:], 0, 5, 923_600_000-offset, 923_800_000-offset,
		924_000_000-offset, 924_200_000-offset, 924_400_000-offset)
	return r
}

func rpKR920() Region {
	r := rpNewRegion("KR920", "KR920")
	r.minFreq, r.maxFreq = 920_900_000, 923_300_000
	r.rpLoRa125(0, true, true)
	for _, dwell := range []bool{false, true} {
		r.rpSetPayload(dwell, 59, 59, 59, 123, 250, 250)
	}
	r.rpRX1Subtract(func(up int) int { return up })
	r.rx2Freq, r.rx2DR = 921_900_000, 0
	r.defaultMaxEIRP = 14
	r.dlEIRP = 23
	r.maxTXPower = 7
	r.nDefaults = rpChannels(r.defaults[:], 0, 5, 922_100_000, 922_300_000, 922_500_000)
	r.nExtra = rpChannels(r.extra[:], 0, 5, 922_700_000, 922_900_000, 923_100_000, 923_300_000)
	return r
}

func rpIN865() Region {
	r := rpNewRegion("IN865", "AU915")
	r.minFreq, r.maxFreq = 865_000_000, 867_000_000
	r.rpLoRa125(0, true, true)
	r.drs[7] = rpFSK()
	for _, dwell := range []bool{false, true} {
		r.rpSetPayload(dwell, 59, 59, 59, 123, 250, 250, 0, 250)
	}
	r.rpRX1Signed([2]int{0, 0})
	r.rx2Freq, r.rx2DR = 866_550_000, 2
	r.defaultMaxEIRP = 30
	r.dlEIRP = 30
	r.maxTXPower = 10
	r.nDefaults = rpChannels(r.defaults[:], 0, 5, 865_062_500, 865_402_500, 865_985_000)
	r.nExtra = rpChannels(r.extra[:], 0, 5, 865_232_500, 866_185_000, 866_385_000, 866_585_000, 866_785_000)
	return r
}
