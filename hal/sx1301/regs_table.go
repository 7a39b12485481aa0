// Code generated from lora_gateway v5.0.1 libloragw/src/loragw_reg.c (register table values: hardware facts); DO NOT EDIT.

package sx1301

// regID indexes registers.
type regID int

// Registers the driver and its model use, in the HAL's table order.
const (
	regPageReg                        regID = iota // LGW_PAGE_REG (0)
	regSoftReset                                   // LGW_SOFT_RESET (1)
	regVersion                                     // LGW_VERSION (2)
	regRxDataBufAddr                               // LGW_RX_DATA_BUF_ADDR (3)
	regRxDataBufData                               // LGW_RX_DATA_BUF_DATA (4)
	regTxDataBufAddr                               // LGW_TX_DATA_BUF_ADDR (5)
	regTxDataBufData                               // LGW_TX_DATA_BUF_DATA (6)
	regMcuPromAddr                                 // LGW_MCU_PROM_ADDR (9)
	regMcuPromData                                 // LGW_MCU_PROM_DATA (10)
	regRxPacketDataFifoNumStored                   // LGW_RX_PACKET_DATA_FIFO_NUM_STORED (11)
	regRxPacketDataFifoAddrPointer                 // LGW_RX_PACKET_DATA_FIFO_ADDR_POINTER (12)
	regRxPacketDataFifoStatus                      // LGW_RX_PACKET_DATA_FIFO_STATUS (13)
	regRxPacketDataFifoPayloadSize                 // LGW_RX_PACKET_DATA_FIFO_PAYLOAD_SIZE (14)
	regMbwssfModemEnable                           // LGW_MBWSSF_MODEM_ENABLE (15)
	regConcentratorModemEnable                     // LGW_CONCENTRATOR_MODEM_ENABLE (16)
	regFskModemEnable                              // LGW_FSK_MODEM_ENABLE (17)
	regGlobalEn                                    // LGW_GLOBAL_EN (18)
	regClk32mEn                                    // LGW_CLK32M_EN (19)
	regGpioSelectOutput                            // LGW_GPIO_SELECT_OUTPUT (76)
	regGpioMode                                    // LGW_GPIO_MODE (77)
	regMcuAgcStatus                                // LGW_MCU_AGC_STATUS (80)
	regMcuArbStatus                                // LGW_MCU_ARB_STATUS (81)
	regChipId                                      // LGW_CHIP_ID (82)
	regEmergencyForceHostCtrl                      // LGW_EMERGENCY_FORCE_HOST_CTRL (83)
	regFskModemInvertIq                            // LGW_FSK_MODEM_INVERT_IQ (89)
	regRadioSelect                                 // LGW_RADIO_SELECT (91)
	regIfFreq0                                     // LGW_IF_FREQ_0 (92)
	regIfFreq1                                     // LGW_IF_FREQ_1 (93)
	regIfFreq2                                     // LGW_IF_FREQ_2 (94)
	regIfFreq3                                     // LGW_IF_FREQ_3 (95)
	regIfFreq4                                     // LGW_IF_FREQ_4 (96)
	regIfFreq5                                     // LGW_IF_FREQ_5 (97)
	regIfFreq6                                     // LGW_IF_FREQ_6 (98)
	regIfFreq7                                     // LGW_IF_FREQ_7 (99)
	regIfFreq8                                     // LGW_IF_FREQ_8 (100)
	regIfFreq9                                     // LGW_IF_FREQ_9 (101)
	regCorr0DetectEn                               // LGW_CORR0_DETECT_EN (104)
	regCorr1DetectEn                               // LGW_CORR1_DETECT_EN (105)
	regCorr2DetectEn                               // LGW_CORR2_DETECT_EN (106)
	regCorr3DetectEn                               // LGW_CORR3_DETECT_EN (107)
	regCorr4DetectEn                               // LGW_CORR4_DETECT_EN (108)
	regCorr5DetectEn                               // LGW_CORR5_DETECT_EN (109)
	regCorr6DetectEn                               // LGW_CORR6_DETECT_EN (110)
	regCorr7DetectEn                               // LGW_CORR7_DETECT_EN (111)
	regCorrMacGain                                 // LGW_CORR_MAC_GAIN (127)
	regAdjustModemStartOffsetRdx4                  // LGW_ADJUST_MODEM_START_OFFSET_RDX4 (128)
	regAdjustModemStartOffsetSf12Rdx4              // LGW_ADJUST_MODEM_START_OFFSET_SF12_RDX4 (129)
	regFreqToTimeDrift                             // LGW_FREQ_TO_TIME_DRIFT (140)
	regFrameSynchPeak1Pos                          // LGW_FRAME_SYNCH_PEAK1_POS (144)
	regFrameSynchPeak2Pos                          // LGW_FRAME_SYNCH_PEAK2_POS (145)
	regSnrAvgCst                                   // LGW_SNR_AVG_CST (150)
	regPpmOffset                                   // LGW_PPM_OFFSET (151)
	regDecGainOffset                               // LGW_DEC_GAIN_OFFSET (155)
	regChanGainOffset                              // LGW_CHAN_GAIN_OFFSET (156)
	regForceHostRadioCtrl                          // LGW_FORCE_HOST_RADIO_CTRL (157)
	regForceHostFeCtrl                             // LGW_FORCE_HOST_FE_CTRL (158)
	regForceDecFilterGain                          // LGW_FORCE_DEC_FILTER_GAIN (159)
	regMcuRst0                                     // LGW_MCU_RST_0 (160)
	regMcuRst1                                     // LGW_MCU_RST_1 (161)
	regMcuSelectMux0                               // LGW_MCU_SELECT_MUX_0 (162)
	regMcuSelectMux1                               // LGW_MCU_SELECT_MUX_1 (163)
	regRssiBbDefaultValue                          // LGW_RSSI_BB_DEFAULT_VALUE (169)
	regRssiDecDefaultValue                         // LGW_RSSI_DEC_DEFAULT_VALUE (170)
	regRssiChannDefaultValue                       // LGW_RSSI_CHANN_DEFAULT_VALUE (171)
	regRssiBbFilterAlpha                           // LGW_RSSI_BB_FILTER_ALPHA (172)
	regRssiDecFilterAlpha                          // LGW_RSSI_DEC_FILTER_ALPHA (173)
	regRssiChannFilterAlpha                        // LGW_RSSI_CHANN_FILTER_ALPHA (174)
	regTxTrigImmediate                             // LGW_TX_TRIG_IMMEDIATE (180)
	regTxTrigDelayed                               // LGW_TX_TRIG_DELAYED (181)
	regTxTrigGps                                   // LGW_TX_TRIG_GPS (182)
	regTxStartDelay                                // LGW_TX_START_DELAY (183)
	regTxFrameSynchPeak1Pos                        // LGW_TX_FRAME_SYNCH_PEAK1_POS (184)
	regTxFrameSynchPeak2Pos                        // LGW_TX_FRAME_SYNCH_PEAK2_POS (185)
	regTxOffsetI                                   // LGW_TX_OFFSET_I (187)
	regTxOffsetQ                                   // LGW_TX_OFFSET_Q (188)
	regTxGain                                      // LGW_TX_GAIN (193)
	regTxSwapIq                                    // LGW_TX_SWAP_IQ (196)
	regMbwssfFrameSynchPeak1Pos                    // LGW_MBWSSF_FRAME_SYNCH_PEAK1_POS (202)
	regMbwssfFrameSynchPeak2Pos                    // LGW_MBWSSF_FRAME_SYNCH_PEAK2_POS (203)
	regMbwssfFreqToTimeDrift                       // LGW_MBWSSF_FREQ_TO_TIME_DRIFT (210)
	regMbwssfModemBw                               // LGW_MBWSSF_MODEM_BW (216)
	regMbwssfRadioSelect                           // LGW_MBWSSF_RADIO_SELECT (217)
	regMbwssfPpmOffset                             // LGW_MBWSSF_PPM_OFFSET (221)
	regMbwssfRateSf                                // LGW_MBWSSF_RATE_SF (222)
	regTxStatus                                    // LGW_TX_STATUS (225)
	regFskChBwExpo                                 // LGW_FSK_CH_BW_EXPO (226)
	regFskRssiLength                               // LGW_FSK_RSSI_LENGTH (227)
	regFskRxInvert                                 // LGW_FSK_RX_INVERT (228)
	regFskPktMode                                  // LGW_FSK_PKT_MODE (229)
	regFskPsize                                    // LGW_FSK_PSIZE (230)
	regFskCrcEn                                    // LGW_FSK_CRC_EN (231)
	regFskDcfreeEnc                                // LGW_FSK_DCFREE_ENC (232)
	regFskErrorOsrTol                              // LGW_FSK_ERROR_OSR_TOL (234)
	regFskRadioSelect                              // LGW_FSK_RADIO_SELECT (235)
	regFskBrRatio                                  // LGW_FSK_BR_RATIO (236)
	regFskRefPatternLsb                            // LGW_FSK_REF_PATTERN_LSB (237)
	regFskRefPatternMsb                            // LGW_FSK_REF_PATTERN_MSB (238)
	regFskPktLength                                // LGW_FSK_PKT_LENGTH (239)
	regFskTxGaussianSelectBt                       // LGW_FSK_TX_GAUSSIAN_SELECT_BT (241)
	regFskTxPsize                                  // LGW_FSK_TX_PSIZE (244)
	regFskPatternTimeoutCfg                        // LGW_FSK_PATTERN_TIMEOUT_CFG (248)
	regSpiRadioAData                               // LGW_SPI_RADIO_A__DATA (249)
	regSpiRadioADataReadback                       // LGW_SPI_RADIO_A__DATA_READBACK (250)
	regSpiRadioAAddr                               // LGW_SPI_RADIO_A__ADDR (251)
	regSpiRadioACs                                 // LGW_SPI_RADIO_A__CS (252)
	regSpiRadioBData                               // LGW_SPI_RADIO_B__DATA (253)
	regSpiRadioBDataReadback                       // LGW_SPI_RADIO_B__DATA_READBACK (254)
	regSpiRadioBAddr                               // LGW_SPI_RADIO_B__ADDR (255)
	regSpiRadioBCs                                 // LGW_SPI_RADIO_B__CS (256)
	regRadioAEn                                    // LGW_RADIO_A_EN (257)
	regRadioBEn                                    // LGW_RADIO_B_EN (258)
	regRadioRst                                    // LGW_RADIO_RST (259)
	regDbgArbMcuRamData                            // LGW_DBG_ARB_MCU_RAM_DATA (285)
	regDbgAgcMcuRamData                            // LGW_DBG_AGC_MCU_RAM_DATA (286)
	regTimestamp                                   // LGW_TIMESTAMP (289)
	regDbgArbMcuRamAddr                            // LGW_DBG_ARB_MCU_RAM_ADDR (301)
	regDbgAgcMcuRamAddr                            // LGW_DBG_AGC_MCU_RAM_ADDR (302)
	regGpsEn                                       // LGW_GPS_EN (316)
	regGpsPol                                      // LGW_GPS_POL (317)
	regTxTrigAll                                   // LGW_TX_TRIG_ALL (325)
	numRegs
)

// registers is the table: page (-1: every page), 7-bit address, bit offset,
// length in bits, signed, read-only, default.
var registers = [numRegs]Register{
	{"PAGE_REG", -1, 0, 0, 2, false, false, 0},
	{"SOFT_RESET", -1, 0, 7, 1, false, false, 0},
	{"VERSION", -1, 1, 0, 8, false, true, 103},
	{"RX_DATA_BUF_ADDR", -1, 2, 0, 16, false, false, 0},
	{"RX_DATA_BUF_DATA", -1, 4, 0, 8, false, false, 0},
	{"TX_DATA_BUF_ADDR", -1, 5, 0, 8, false, false, 0},
	{"TX_DATA_BUF_DATA", -1, 6, 0, 8, false, false, 0},
	{"MCU_PROM_ADDR", -1, 9, 0, 8, false, false, 0},
	{"MCU_PROM_DATA", -1, 10, 0, 8, false, false, 0},
	{"RX_PACKET_DATA_FIFO_NUM_STORED", -1, 11, 0, 8, false, false, 0},
	{"RX_PACKET_DATA_FIFO_ADDR_POINTER", -1, 12, 0, 16, false, true, 0},
	{"RX_PACKET_DATA_FIFO_STATUS", -1, 14, 0, 8, false, true, 0},
	{"RX_PACKET_DATA_FIFO_PAYLOAD_SIZE", -1, 15, 0, 8, false, true, 0},
	{"MBWSSF_MODEM_ENABLE", -1, 16, 0, 1, false, false, 0},
	{"CONCENTRATOR_MODEM_ENABLE", -1, 16, 1, 1, false, false, 0},
	{"FSK_MODEM_ENABLE", -1, 16, 2, 1, false, false, 0},
	{"GLOBAL_EN", -1, 16, 3, 1, false, false, 0},
	{"CLK32M_EN", -1, 17, 0, 1, false, false, 1},
	{"GPIO_SELECT_OUTPUT", -1, 28, 0, 4, false, false, 0},
	{"GPIO_MODE", -1, 29, 0, 5, false, false, 0},
	{"MCU_AGC_STATUS", -1, 32, 0, 8, false, true, 0},
	{"MCU_ARB_STATUS", -1, 125, 0, 8, false, true, 0},
	{"CHIP_ID", -1, 126, 0, 8, false, true, 1},
	{"EMERGENCY_FORCE_HOST_CTRL", -1, 127, 0, 1, false, false, 1},
	{"FSK_MODEM_INVERT_IQ", 0, 33, 5, 1, false, false, 0},
	{"RADIO_SELECT", 0, 35, 0, 8, false, false, 240},
	{"IF_FREQ_0", 0, 36, 0, 13, true, false, -384},
	{"IF_FREQ_1", 0, 38, 0, 13, true, false, -128},
	{"IF_FREQ_2", 0, 40, 0, 13, true, false, 128},
	{"IF_FREQ_3", 0, 42, 0, 13, true, false, 384},
	{"IF_FREQ_4", 0, 44, 0, 13, true, false, -384},
	{"IF_FREQ_5", 0, 46, 0, 13, true, false, -128},
	{"IF_FREQ_6", 0, 48, 0, 13, true, false, 128},
	{"IF_FREQ_7", 0, 50, 0, 13, true, false, 384},
	{"IF_FREQ_8", 0, 52, 0, 13, true, false, 0},
	{"IF_FREQ_9", 0, 54, 0, 13, true, false, 0},
	{"CORR0_DETECT_EN", 0, 65, 0, 7, false, false, 0},
	{"CORR1_DETECT_EN", 0, 66, 0, 7, false, false, 0},
	{"CORR2_DETECT_EN", 0, 67, 0, 7, false, false, 0},
	{"CORR3_DETECT_EN", 0, 68, 0, 7, false, false, 0},
	{"CORR4_DETECT_EN", 0, 69, 0, 7, false, false, 0},
	{"CORR5_DETECT_EN", 0, 70, 0, 7, false, false, 0},
	{"CORR6_DETECT_EN", 0, 71, 0, 7, false, false, 0},
	{"CORR7_DETECT_EN", 0, 72, 0, 7, false, false, 0},
	{"CORR_MAC_GAIN", 0, 78, 4, 3, false, false, 5},
	{"ADJUST_MODEM_START_OFFSET_RDX4", 0, 81, 0, 12, false, false, 0},
	{"ADJUST_MODEM_START_OFFSET_SF12_RDX4", 0, 83, 0, 12, false, false, 4092},
	{"FREQ_TO_TIME_DRIFT", 0, 93, 0, 6, false, false, 9},
	{"FRAME_SYNCH_PEAK1_POS", 0, 95, 0, 4, false, false, 1},
	{"FRAME_SYNCH_PEAK2_POS", 0, 95, 4, 4, false, false, 2},
	{"SNR_AVG_CST", 0, 99, 4, 2, false, false, 2},
	{"PPM_OFFSET", 0, 100, 0, 7, false, false, 0},
	{"DEC_GAIN_OFFSET", 0, 104, 0, 4, false, false, 8},
	{"CHAN_GAIN_OFFSET", 0, 104, 4, 4, false, false, 7},
	{"FORCE_HOST_RADIO_CTRL", 0, 105, 1, 1, false, false, 1},
	{"FORCE_HOST_FE_CTRL", 0, 105, 2, 1, false, false, 1},
	{"FORCE_DEC_FILTER_GAIN", 0, 105, 3, 1, false, false, 1},
	{"MCU_RST_0", 0, 106, 0, 1, false, false, 1},
	{"MCU_RST_1", 0, 106, 1, 1, false, false, 1},
	{"MCU_SELECT_MUX_0", 0, 106, 2, 1, false, false, 0},
	{"MCU_SELECT_MUX_1", 0, 106, 3, 1, false, false, 0},
	{"RSSI_BB_DEFAULT_VALUE", 0, 108, 0, 8, false, false, 32},
	{"RSSI_DEC_DEFAULT_VALUE", 0, 109, 0, 8, false, false, 100},
	{"RSSI_CHANN_DEFAULT_VALUE", 0, 110, 0, 8, false, false, 100},
	{"RSSI_BB_FILTER_ALPHA", 0, 111, 0, 5, false, false, 7},
	{"RSSI_DEC_FILTER_ALPHA", 0, 112, 0, 5, false, false, 5},
	{"RSSI_CHANN_FILTER_ALPHA", 0, 113, 0, 5, false, false, 8},
	{"TX_TRIG_IMMEDIATE", 1, 33, 0, 1, false, false, 0},
	{"TX_TRIG_DELAYED", 1, 33, 1, 1, false, false, 0},
	{"TX_TRIG_GPS", 1, 33, 2, 1, false, false, 0},
	{"TX_START_DELAY", 1, 34, 0, 16, false, false, 0},
	{"TX_FRAME_SYNCH_PEAK1_POS", 1, 36, 0, 4, false, false, 1},
	{"TX_FRAME_SYNCH_PEAK2_POS", 1, 36, 4, 4, false, false, 2},
	{"TX_OFFSET_I", 1, 39, 0, 8, true, false, 0},
	{"TX_OFFSET_Q", 1, 40, 0, 8, true, false, 0},
	{"TX_GAIN", 1, 42, 0, 2, false, false, 0},
	{"TX_SWAP_IQ", 1, 42, 7, 1, false, false, 1},
	{"MBWSSF_FRAME_SYNCH_PEAK1_POS", 1, 46, 0, 4, false, false, 1},
	{"MBWSSF_FRAME_SYNCH_PEAK2_POS", 1, 46, 4, 4, false, false, 2},
	{"MBWSSF_FREQ_TO_TIME_DRIFT", 1, 53, 0, 6, false, false, 36},
	{"MBWSSF_MODEM_BW", 1, 58, 0, 2, false, false, 0},
	{"MBWSSF_RADIO_SELECT", 1, 58, 2, 1, false, false, 0},
	{"MBWSSF_PPM_OFFSET", 1, 59, 6, 1, false, false, 0},
	{"MBWSSF_RATE_SF", 1, 60, 0, 4, false, false, 7},
	{"TX_STATUS", 1, 62, 0, 8, false, true, 128},
	{"FSK_CH_BW_EXPO", 1, 63, 0, 3, false, false, 0},
	{"FSK_RSSI_LENGTH", 1, 63, 3, 3, false, false, 0},
	{"FSK_RX_INVERT", 1, 63, 6, 1, false, false, 0},
	{"FSK_PKT_MODE", 1, 63, 7, 1, false, false, 0},
	{"FSK_PSIZE", 1, 64, 0, 3, false, false, 0},
	{"FSK_CRC_EN", 1, 64, 3, 1, false, false, 0},
	{"FSK_DCFREE_ENC", 1, 64, 4, 2, false, false, 0},
	{"FSK_ERROR_OSR_TOL", 1, 65, 0, 5, false, false, 0},
	{"FSK_RADIO_SELECT", 1, 65, 7, 1, false, false, 0},
	{"FSK_BR_RATIO", 1, 66, 0, 16, false, false, 0},
	{"FSK_REF_PATTERN_LSB", 1, 68, 0, 32, false, false, 0},
	{"FSK_REF_PATTERN_MSB", 1, 72, 0, 32, false, false, 0},
	{"FSK_PKT_LENGTH", 1, 76, 0, 8, false, false, 0},
	{"FSK_TX_GAUSSIAN_SELECT_BT", 1, 77, 1, 2, false, false, 0},
	{"FSK_TX_PSIZE", 1, 77, 5, 3, false, false, 0},
	{"FSK_PATTERN_TIMEOUT_CFG", 1, 83, 0, 10, false, false, 0},
	{"SPI_RADIO_A__DATA", 2, 33, 0, 8, false, false, 0},
	{"SPI_RADIO_A__DATA_READBACK", 2, 34, 0, 8, false, true, 0},
	{"SPI_RADIO_A__ADDR", 2, 35, 0, 8, false, false, 0},
	{"SPI_RADIO_A__CS", 2, 37, 0, 1, false, false, 0},
	{"SPI_RADIO_B__DATA", 2, 38, 0, 8, false, false, 0},
	{"SPI_RADIO_B__DATA_READBACK", 2, 39, 0, 8, false, true, 0},
	{"SPI_RADIO_B__ADDR", 2, 40, 0, 8, false, false, 0},
	{"SPI_RADIO_B__CS", 2, 42, 0, 1, false, false, 0},
	{"RADIO_A_EN", 2, 43, 0, 1, false, false, 0},
	{"RADIO_B_EN", 2, 43, 1, 1, false, false, 0},
	{"RADIO_RST", 2, 43, 2, 1, false, false, 1},
	{"DBG_ARB_MCU_RAM_DATA", 2, 64, 0, 8, false, true, 0},
	{"DBG_AGC_MCU_RAM_DATA", 2, 65, 0, 8, false, true, 0},
	{"TIMESTAMP", 2, 70, 0, 32, false, true, 0},
	{"DBG_ARB_MCU_RAM_ADDR", 2, 80, 0, 8, false, false, 0},
	{"DBG_AGC_MCU_RAM_ADDR", 2, 81, 0, 8, false, false, 0},
	{"GPS_EN", 2, 89, 0, 1, false, false, 0},
	{"GPS_POL", 2, 89, 1, 1, false, false, 1},
	{"TX_TRIG_ALL", 1, 33, 0, 8, false, false, 0},
}
