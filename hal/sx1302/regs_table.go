// Code generated from sx1302_hal V2.1.0 libloragw/src/loragw_reg.c (register table values: hardware facts); DO NOT EDIT.

package sx1302

// regID indexes registers.
type regID int

// Registers the driver uses, in the HAL's table order.
const (
	regCommonPagePage regID = iota
	regCommonCtrl0Clk32RifCtrl
	regCommonCtrl0HostRadioCtrl
	regCommonCtrl0Sx1261ModeRadioB
	regCommonCtrl0Sx1261ModeRadioA
	regCommonGenGlobalEn
	regCommonGenFskModemEnable
	regCommonGenConcentratorModemEnable
	regCommonGenMbwssfModemEnable
	regCommonVersionVersion
	regAgcMcuCtrlForceHostFeCtrl
	regAgcMcuCtrlMcuClear
	regAgcMcuCtrlHostProg
	regAgcMcuCtrlParityError
	regAgcMcuMcuAgcStatusMcuAgcStatus
	regAgcMcuRfEnARadioRst
	regAgcMcuRfEnARadioEn
	regAgcMcuRfEnAPaEn
	regAgcMcuRfEnALnaEn
	regAgcMcuRfEnBRadioRst
	regAgcMcuRfEnBRadioEn
	regAgcMcuLutTableAPaLut
	regAgcMcuLutTableALnaLut
	regAgcMcuLutTableBPaLut
	regAgcMcuLutTableBLnaLut
	regAgcMcuMcuMailBoxWrDataByte3McuMailBoxWrData
	regAgcMcuMcuMailBoxWrDataByte2McuMailBoxWrData
	regAgcMcuMcuMailBoxWrDataByte1McuMailBoxWrData
	regAgcMcuMcuMailBoxWrDataByte0McuMailBoxWrData
	regAgcMcuMcuMailBoxRdDataByte3McuMailBoxRdData
	regAgcMcuMcuMailBoxRdDataByte2McuMailBoxRdData
	regAgcMcuMcuMailBoxRdDataByte1McuMailBoxRdData
	regAgcMcuMcuMailBoxRdDataByte0McuMailBoxRdData
	regClkCtrlClkSelClkdivEn
	regClkCtrlClkSelClkRadioBSel
	regClkCtrlClkSelClkRadioASel
	regTxTopATxTrigTxTrigGps
	regTxTopATxTrigTxTrigDelayed
	regTxTopATxTrigTxTrigImmediate
	regTxTopATimerTrigByte3TimerDelayedTrig
	regTxTopATimerTrigByte2TimerDelayedTrig
	regTxTopATimerTrigByte1TimerDelayedTrig
	regTxTopATimerTrigByte0TimerDelayedTrig
	regTxTopATxStartDelayMsbTxStartDelay
	regTxTopATxStartDelayLsbTxStartDelay
	regTxTopATxCtrlWriteBuffer
	regTxTopAGenCfg0ModulationType
	regTxTopAAgcTxBwAgcTxBw
	regTxTopAAgcTxPwrAgcTxPwr
	regTxTopATxFsmStatusTxStatus
	regTxTopATxRffeIfCtrlTxClkEdge
	regTxTopATxRffeIfCtrlTxMode
	regTxTopATxRffeIfCtrlTxIfDst
	regTxTopATxRffeIfCtrlTxIfSrc
	regTxTopATxRffeIfCtrl2PllDivCtrlAgc
	regTxTopATxRffeIfIqGainIqGain
	regTxTopATxRffeIfIOffsetIOffset
	regTxTopATxRffeIfQOffsetQOffset
	regTxTopATxRffeIfFreqRfHFreqRf
	regTxTopATxRffeIfFreqRfMFreqRf
	regTxTopATxRffeIfFreqRfLFreqRf
	regTxTopATxRffeIfFreqDevHFreqDev
	regTxTopATxRffeIfFreqDevLFreqDev
	regTxTopATxrxCfg00ModemBw
	regTxTopATxrxCfg00ModemSf
	regTxTopATxrxCfg01PpmOffsetHdrCtrl
	regTxTopATxrxCfg01PpmOffset
	regTxTopATxrxCfg01CodingRate
	regTxTopATxrxCfg02FineSynchEn
	regTxTopATxrxCfg02ModemEn
	regTxTopATxrxCfg02Cadrxtx
	regTxTopATxrxCfg02ImplicitHeader
	regTxTopATxrxCfg02CrcEn
	regTxTopATxrxCfg03PayloadLength
	regTxTopATxrxCfg11ModemStart
	regTxTopATxrxCfg12PreambleSymbNb
	regTxTopATxrxCfg13PreambleSymbNb
	regTxTopATxCfg00ChirpLowpass
	regTxTopATxCfg00ChirpInvert
	regTxTopATxCfg00Continuous
	regTxTopAFrameSynch0Peak1Pos
	regTxTopAFrameSynch1Peak2Pos
	regGpioGpioDirLDirection
	regGpioGpioOutLOutValue
	regGpioGpioSel0Selection
	regGpioGpioSel1Selection
	regGpioGpioSel2Selection
	regGpioGpioSel3Selection
	regGpioGpioSel4Selection
	regGpioGpioSel5Selection
	regGpioGpioSel6Selection
	regGpioGpioSel7Selection
	regTimestampGpsCtrlGpsPol
	regTimestampGpsCtrlGpsEn
	regTimestampTimestampPpsMsb2TimestampPps
	regRxTopFreq0MsbIfFreq0
	regRxTopFreq0LsbIfFreq0
	regRxTopFreq1MsbIfFreq1
	regRxTopFreq1LsbIfFreq1
	regRxTopFreq2MsbIfFreq2
	regRxTopFreq2LsbIfFreq2
	regRxTopFreq3MsbIfFreq3
	regRxTopFreq3LsbIfFreq3
	regRxTopFreq4MsbIfFreq4
	regRxTopFreq4LsbIfFreq4
	regRxTopFreq5MsbIfFreq5
	regRxTopFreq5LsbIfFreq5
	regRxTopFreq6MsbIfFreq6
	regRxTopFreq6LsbIfFreq6
	regRxTopFreq7MsbIfFreq7
	regRxTopFreq7LsbIfFreq7
	regRxTopRadioSelectRadioSelect
	regRxTopRssiControlRssiFilterAlpha
	regRxTopRssiDefValueChanRssiDefValue
	regRxTopChannDagcCfg1ChanDagcThresholdHigh
	regRxTopChannDagcCfg2ChanDagcThresholdLow
	regRxTopChannDagcCfg3ChanDagcMaxAtten
	regRxTopChannDagcCfg3ChanDagcMinAtten
	regRxTopChannDagcCfg5ChanDagcMode
	regRxTopCorrClockEnableClkEn
	regRxTopCorrelatorEnCorrEn
	regRxTopCorrelatorSfEnCorrSfEn
	regRxTopCorrelatorEnableOnlyFirstDetEdgeEnableOnlyFirstDetEdge
	regRxTopCorrelatorEnableAccClearEnableCorrAccClear
	regRxTopSf5Cfg2AccPnr
	regRxTopSf5Cfg4MspPnr
	regRxTopSf5Cfg6MspPeakNb
	regRxTopSf5Cfg7Msp2PeakNb
	regRxTopSf6Cfg2AccPnr
	regRxTopSf6Cfg4MspPnr
	regRxTopSf6Cfg6MspPeakNb
	regRxTopSf6Cfg7Msp2PeakNb
	regRxTopSf7Cfg2AccPnr
	regRxTopSf7Cfg4MspPnr
	regRxTopSf7Cfg6MspPeakNb
	regRxTopSf7Cfg7Msp2PeakNb
	regRxTopSf8Cfg2AccPnr
	regRxTopSf8Cfg4MspPnr
	regRxTopSf8Cfg6MspPeakNb
	regRxTopSf8Cfg7Msp2PeakNb
	regRxTopSf9Cfg2AccPnr
	regRxTopSf9Cfg4MspPnr
	regRxTopSf9Cfg6MspPeakNb
	regRxTopSf9Cfg7Msp2PeakNb
	regRxTopSf10Cfg2AccPnr
	regRxTopSf10Cfg4MspPnr
	regRxTopSf10Cfg6MspPeakNb
	regRxTopSf10Cfg7Msp2PeakNb
	regRxTopSf11Cfg2AccPnr
	regRxTopSf11Cfg4MspPnr
	regRxTopSf11Cfg6MspPeakNb
	regRxTopSf11Cfg7Msp2PeakNb
	regRxTopSf12Cfg2AccPnr
	regRxTopSf12Cfg4MspPnr
	regRxTopSf12Cfg6MspPeakNb
	regRxTopSf12Cfg7Msp2PeakNb
	regRxTopDcNotchCfg1Enable
	regRxTopRxDfeAgc1ForceDefaultFir
	regRxTopDagcCfgTargetLvl
	regRxTopDagcCfgGainDropComp
	regRxTopTxrxCfg6PreambleSymbNb
	regRxTopTxrxCfg7PreambleSymbNb
	regRxTopRxCfg0DftPeakEn
	regRxTopFrameSynch0Sf5Peak1PosSf5
	regRxTopFrameSynch1Sf5Peak2PosSf5
	regRxTopFrameSynch0Sf6Peak1PosSf6
	regRxTopFrameSynch1Sf6Peak2PosSf6
	regRxTopFrameSynch0Sf7to12Peak1PosSf7to12
	regRxTopFrameSynch1Sf7to12Peak2PosSf7to12
	regRxTopFineTimingA1GainPAuto
	regRxTopFineTimingA1GainPPayload
	regRxTopFineTimingA5GainIEnSf12
	regRxTopFineTimingA5GainIEnSf11
	regRxTopFineTimingB0Rounding
	regRxTopFineTimingB0Mode
	regRxTopFineTimingB1GainPAuto
	regRxTopFineTimingB1GainPPayload
	regRxTopFineTimingB1GainPPreamb
	regRxTopFineTimingB2GainIAuto
	regRxTopFineTimingB2GainIPayload
	regRxTopFineTimingB2GainIPreamb
	regRxTopFineTimingB5GainIEnSf12
	regRxTopFineTimingB5GainIEnSf11
	regRxTopFreqToTime0FreqToTimeDriftMant
	regRxTopFreqToTime1FreqToTimeDriftMant
	regRxTopFreqToTime2FreqToTimeDriftExp
	regRxTopFreqToTime3FreqToTimeInvertTimeSymb
	regRxTopFreqTrackA0FreqTrackEnSf8
	regRxTopFreqTrackA0FreqTrackEnSf7
	regRxTopFreqTrackA0FreqTrackEnSf6
	regRxTopFreqTrackA0FreqTrackEnSf5
	regRxTopFreqTrackA1FreqTrackEnSf12
	regRxTopFreqTrackA1FreqTrackEnSf11
	regRxTopFreqTrackA1FreqTrackEnSf10
	regRxTopFreqTrackA1FreqTrackEnSf9
	regRxTopFreqTrackB0FreqTrackEnSf8
	regRxTopFreqTrackB0FreqTrackEnSf7
	regRxTopFreqTrackB0FreqTrackEnSf6
	regRxTopFreqTrackB0FreqTrackEnSf5
	regRxTopFreqTrackB1FreqTrackEnSf12
	regRxTopFreqTrackB1FreqTrackEnSf11
	regRxTopFreqTrackB1FreqTrackEnSf10
	regRxTopFreqTrackB1FreqTrackEnSf9
	regRxTopFreqTrack4FreqSynchThr
	regRxTopModemSyncDeltaMsbModemSyncDelta
	regRxTopModemSyncDeltaLsbModemSyncDelta
	regRxTopModemPpmOffset1PpmOffsetSf8
	regRxTopModemPpmOffset1PpmOffsetSf7
	regRxTopModemPpmOffset1PpmOffsetSf6
	regRxTopModemPpmOffset1PpmOffsetSf5
	regRxTopModemPpmOffset2PpmOffsetSf12
	regRxTopModemPpmOffset2PpmOffsetSf11
	regRxTopModemPpmOffset2PpmOffsetSf10
	regRxTopModemPpmOffset2PpmOffsetSf9
	regRxTopRxBufferLegacyTimestamp
	regRxTopRxBufferNbBytesMsbRxBufferNbBytes
	regRxTopRxBufferNbBytesLsbRxBufferNbBytes
	regArbMcuCtrlMcuClear
	regArbMcuCtrlHostProg
	regArbMcuCtrlParityError
	regArbMcuMcuArbStatusMcuArbStatus
	regArbMcuArbDebugCfg0ArbDebugCfg0
	regArbMcuArbDebugCfg1ArbDebugCfg1
	regArbMcuArbDebugCfg2ArbDebugCfg2
	regArbMcuArbDebugCfg3ArbDebugCfg3
	regArbMcuArbDebugSts0ArbDebugSts0
	regArbMcuChannelSyncOffset01Channel1Offset
	regArbMcuChannelSyncOffset01Channel0Offset
	regArbMcuChannelSyncOffset23Channel3Offset
	regArbMcuChannelSyncOffset23Channel2Offset
	regArbMcuChannelSyncOffset45Channel5Offset
	regArbMcuChannelSyncOffset45Channel4Offset
	regArbMcuChannelSyncOffset67Channel7Offset
	regArbMcuChannelSyncOffset67Channel6Offset
	regRadioFeCtrl0RadioADcNotchEn
	regRadioFeCtrl0RadioAHostFilterGain
	regRadioFeRssiDbDefRadioARssiDbDefaultValue
	regRadioFeRssiDecDefRadioARssiDecDefaultValue
	regRadioFeRssiBbFilterAlphaRadioARssiBbFilterAlpha
	regRadioFeRssiDecFilterAlphaRadioARssiDecFilterAlpha
	regRadioFeCtrl0RadioBDcNotchEn
	regRadioFeCtrl0RadioBHostFilterGain
	regRadioFeRssiDbDefRadioBRssiDbDefaultValue
	regRadioFeRssiDecDefRadioBRssiDecDefaultValue
	regRadioFeRssiBbFilterAlphaRadioBRssiBbFilterAlpha
	regRadioFeRssiDecFilterAlphaRadioBRssiDecFilterAlpha
	regOtpByteAddrAddr
	regOtpRdDataRdData
	regOtpModemEn0ModemEn
	regOtpModemEn1ModemEn
	regRxTopLoraServiceFskLoraServiceFreqMsbIfFreq0
	regRxTopLoraServiceFskLoraServiceFreqLsbIfFreq0
	regRxTopLoraServiceFskLoraServiceRadioSelRadioSelect
	regRxTopLoraServiceFskDcNotchCfg1Enable
	regRxTopLoraServiceFskRxDfeAgc1ForceDefaultFir
	regRxTopLoraServiceFskRxDfeAgc2DagcInComp
	regRxTopLoraServiceFskDagcCfgTargetLvl
	regRxTopLoraServiceFskDagcCfgGainDropComp
	regRxTopLoraServiceFskTxrxCfg0ModemBw
	regRxTopLoraServiceFskTxrxCfg0ModemSf
	regRxTopLoraServiceFskTxrxCfg1PpmOffset
	regRxTopLoraServiceFskTxrxCfg1ModemEn
	regRxTopLoraServiceFskTxrxCfg1CodingRate
	regRxTopLoraServiceFskTxrxCfg2FineSynchEn
	regRxTopLoraServiceFskTxrxCfg2ModemStart
	regRxTopLoraServiceFskTxrxCfg2Cadrxtx
	regRxTopLoraServiceFskTxrxCfg2ImplicitHeader
	regRxTopLoraServiceFskTxrxCfg2CrcEn
	regRxTopLoraServiceFskTxrxCfg3PayloadLength
	regRxTopLoraServiceFskTxrxCfg6PreambleSymbNb
	regRxTopLoraServiceFskTxrxCfg7PreambleSymbNb
	regRxTopLoraServiceFskRxCfg0DftPeakEn
	regRxTopLoraServiceFskFrameSynch0Peak1Pos
	regRxTopLoraServiceFskFrameSynch1Peak2Pos
	regRxTopLoraServiceFskFineTiming1GainPAuto
	regRxTopLoraServiceFskFineTiming1GainPPreamb
	regRxTopLoraServiceFskFineTiming2GainIEn
	regRxTopLoraServiceFskFineTiming2GainIPayload
	regRxTopLoraServiceFskFreqToTime0FreqToTimeDriftMant
	regRxTopLoraServiceFskFreqToTime1FreqToTimeDriftMant
	regRxTopLoraServiceFskFreqToTime2FreqToTimeDriftExp
	regRxTopLoraServiceFskFreqToTime3FreqToTimeInvertTimeSymb
	regRxTopLoraServiceFskDetectMsp2Msp2PeakNb
	regRxTopLoraServiceFskDetectMsp2MspPeakNb
	regRxTopLoraServiceFskDetectAcc1UseGainSymb
	regRxTopLoraServiceFskDetectAcc1AccPnr
	regRxTopLoraServiceFskFskFreqMsbIfFreq0
	regRxTopLoraServiceFskFskFreqLsbIfFreq0
	regRxTopLoraServiceFskFskCfg0CrcIbm
	regRxTopLoraServiceFskFskCfg0DcfreeEnc
	regRxTopLoraServiceFskFskCfg0CrcEn
	regRxTopLoraServiceFskFskCfg0PktMode
	regRxTopLoraServiceFskFskCfg1Psize
	regRxTopLoraServiceFskFskCfg1ChBwExpo
	regRxTopLoraServiceFskFskCfg3ModemInvertIq
	regRxTopLoraServiceFskFskCfg3AutoAfc
	regRxTopLoraServiceFskFskCfg3RadioSelect
	regRxTopLoraServiceFskFskCfg3RxInvert
	regRxTopLoraServiceFskFskCfg4RssiLength
	regRxTopLoraServiceFskFskCfg4ErrorOsrTol
	regRxTopLoraServiceFskFskNodeAdrsNodeAdrs
	regRxTopLoraServiceFskFskBroadcastBroadcast
	regRxTopLoraServiceFskFskPktLengthPktLength
	regRxTopLoraServiceFskFskTimeoutMsbTimeout
	regRxTopLoraServiceFskFskTimeoutLsbTimeout
	regRxTopLoraServiceFskBitRateMsbBitRate
	regRxTopLoraServiceFskBitRateLsbBitRate
	regRxTopLoraServiceFskFskRefPatternByte7FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte6FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte5FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte4FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte3FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte2FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte1FskRefPattern
	regRxTopLoraServiceFskFskRefPatternByte0FskRefPattern
)

// registers is the driver's register table, indexed by regID.
var registers = [...]Register{
	regCommonPagePage:                                              {"COMMON_PAGE_PAGE", 0x5600, 0, 2, false, false, 0},
	regCommonCtrl0Clk32RifCtrl:                                     {"COMMON_CTRL0_CLK32_RIF_CTRL", 0x5601, 4, 1, false, false, 0},
	regCommonCtrl0HostRadioCtrl:                                    {"COMMON_CTRL0_HOST_RADIO_CTRL", 0x5601, 3, 1, false, false, 1},
	regCommonCtrl0Sx1261ModeRadioB:                                 {"COMMON_CTRL0_SX1261_MODE_RADIO_B", 0x5601, 1, 1, false, false, 1},
	regCommonCtrl0Sx1261ModeRadioA:                                 {"COMMON_CTRL0_SX1261_MODE_RADIO_A", 0x5601, 0, 1, false, false, 1},
	regCommonGenGlobalEn:                                           {"COMMON_GEN_GLOBAL_EN", 0x5605, 3, 1, false, false, 0},
	regCommonGenFskModemEnable:                                     {"COMMON_GEN_FSK_MODEM_ENABLE", 0x5605, 2, 1, false, false, 0},
	regCommonGenConcentratorModemEnable:                            {"COMMON_GEN_CONCENTRATOR_MODEM_ENABLE", 0x5605, 1, 1, false, false, 0},
	regCommonGenMbwssfModemEnable:                                  {"COMMON_GEN_MBWSSF_MODEM_ENABLE", 0x5605, 0, 1, false, false, 0},
	regCommonVersionVersion:                                        {"COMMON_VERSION_VERSION", 0x5606, 0, 8, false, true, 16},
	regAgcMcuCtrlForceHostFeCtrl:                                   {"AGC_MCU_CTRL_FORCE_HOST_FE_CTRL", 0x5780, 3, 1, false, false, 0},
	regAgcMcuCtrlMcuClear:                                          {"AGC_MCU_CTRL_MCU_CLEAR", 0x5780, 2, 1, false, false, 1},
	regAgcMcuCtrlHostProg:                                          {"AGC_MCU_CTRL_HOST_PROG", 0x5780, 1, 1, false, false, 0},
	regAgcMcuCtrlParityError:                                       {"AGC_MCU_CTRL_PARITY_ERROR", 0x5780, 0, 1, false, true, 0},
	regAgcMcuMcuAgcStatusMcuAgcStatus:                              {"AGC_MCU_MCU_AGC_STATUS_MCU_AGC_STATUS", 0x5781, 0, 8, false, true, 0},
	regAgcMcuRfEnARadioRst:                                         {"AGC_MCU_RF_EN_A_RADIO_RST", 0x5783, 3, 1, false, false, 0},
	regAgcMcuRfEnARadioEn:                                          {"AGC_MCU_RF_EN_A_RADIO_EN", 0x5783, 2, 1, false, false, 0},
	regAgcMcuRfEnAPaEn:                                             {"AGC_MCU_RF_EN_A_PA_EN", 0x5783, 1, 1, false, false, 0},
	regAgcMcuRfEnALnaEn:                                            {"AGC_MCU_RF_EN_A_LNA_EN", 0x5783, 0, 1, false, false, 0},
	regAgcMcuRfEnBRadioRst:                                         {"AGC_MCU_RF_EN_B_RADIO_RST", 0x5784, 3, 1, false, false, 0},
	regAgcMcuRfEnBRadioEn:                                          {"AGC_MCU_RF_EN_B_RADIO_EN", 0x5784, 2, 1, false, false, 0},
	regAgcMcuLutTableAPaLut:                                        {"AGC_MCU_LUT_TABLE_A_PA_LUT", 0x5785, 4, 4, false, false, 0},
	regAgcMcuLutTableALnaLut:                                       {"AGC_MCU_LUT_TABLE_A_LNA_LUT", 0x5785, 0, 4, false, false, 0},
	regAgcMcuLutTableBPaLut:                                        {"AGC_MCU_LUT_TABLE_B_PA_LUT", 0x5786, 4, 4, false, false, 0},
	regAgcMcuLutTableBLnaLut:                                       {"AGC_MCU_LUT_TABLE_B_LNA_LUT", 0x5786, 0, 4, false, false, 0},
	regAgcMcuMcuMailBoxWrDataByte3McuMailBoxWrData:                 {"AGC_MCU_MCU_MAIL_BOX_WR_DATA_BYTE3_MCU_MAIL_BOX_WR_DATA", 0x5789, 0, 8, false, false, 0},
	regAgcMcuMcuMailBoxWrDataByte2McuMailBoxWrData:                 {"AGC_MCU_MCU_MAIL_BOX_WR_DATA_BYTE2_MCU_MAIL_BOX_WR_DATA", 0x578a, 0, 8, false, false, 0},
	regAgcMcuMcuMailBoxWrDataByte1McuMailBoxWrData:                 {"AGC_MCU_MCU_MAIL_BOX_WR_DATA_BYTE1_MCU_MAIL_BOX_WR_DATA", 0x578b, 0, 8, false, false, 0},
	regAgcMcuMcuMailBoxWrDataByte0McuMailBoxWrData:                 {"AGC_MCU_MCU_MAIL_BOX_WR_DATA_BYTE0_MCU_MAIL_BOX_WR_DATA", 0x578c, 0, 8, false, false, 0},
	regAgcMcuMcuMailBoxRdDataByte3McuMailBoxRdData:                 {"AGC_MCU_MCU_MAIL_BOX_RD_DATA_BYTE3_MCU_MAIL_BOX_RD_DATA", 0x578d, 0, 8, false, true, 0},
	regAgcMcuMcuMailBoxRdDataByte2McuMailBoxRdData:                 {"AGC_MCU_MCU_MAIL_BOX_RD_DATA_BYTE2_MCU_MAIL_BOX_RD_DATA", 0x578e, 0, 8, false, true, 0},
	regAgcMcuMcuMailBoxRdDataByte1McuMailBoxRdData:                 {"AGC_MCU_MCU_MAIL_BOX_RD_DATA_BYTE1_MCU_MAIL_BOX_RD_DATA", 0x578f, 0, 8, false, true, 0},
	regAgcMcuMcuMailBoxRdDataByte0McuMailBoxRdData:                 {"AGC_MCU_MCU_MAIL_BOX_RD_DATA_BYTE0_MCU_MAIL_BOX_RD_DATA", 0x5790, 0, 8, false, true, 0},
	regClkCtrlClkSelClkdivEn:                                       {"CLK_CTRL_CLK_SEL_CLKDIV_EN", 0x57c0, 2, 1, false, false, 0},
	regClkCtrlClkSelClkRadioBSel:                                   {"CLK_CTRL_CLK_SEL_CLK_RADIO_B_SEL", 0x57c0, 1, 1, false, false, 0},
	regClkCtrlClkSelClkRadioASel:                                   {"CLK_CTRL_CLK_SEL_CLK_RADIO_A_SEL", 0x57c0, 0, 1, false, false, 0},
	regTxTopATxTrigTxTrigGps:                                       {"TX_TOP_A_TX_TRIG_TX_TRIG_GPS", 0x5200, 2, 1, false, false, 0},
	regTxTopATxTrigTxTrigDelayed:                                   {"TX_TOP_A_TX_TRIG_TX_TRIG_DELAYED", 0x5200, 1, 1, false, false, 0},
	regTxTopATxTrigTxTrigImmediate:                                 {"TX_TOP_A_TX_TRIG_TX_TRIG_IMMEDIATE", 0x5200, 0, 1, false, false, 0},
	regTxTopATimerTrigByte3TimerDelayedTrig:                        {"TX_TOP_A_TIMER_TRIG_BYTE3_TIMER_DELAYED_TRIG", 0x5201, 0, 8, false, false, 0},
	regTxTopATimerTrigByte2TimerDelayedTrig:                        {"TX_TOP_A_TIMER_TRIG_BYTE2_TIMER_DELAYED_TRIG", 0x5202, 0, 8, false, false, 0},
	regTxTopATimerTrigByte1TimerDelayedTrig:                        {"TX_TOP_A_TIMER_TRIG_BYTE1_TIMER_DELAYED_TRIG", 0x5203, 0, 8, false, false, 0},
	regTxTopATimerTrigByte0TimerDelayedTrig:                        {"TX_TOP_A_TIMER_TRIG_BYTE0_TIMER_DELAYED_TRIG", 0x5204, 0, 8, false, false, 0},
	regTxTopATxStartDelayMsbTxStartDelay:                           {"TX_TOP_A_TX_START_DELAY_MSB_TX_START_DELAY", 0x5205, 0, 8, false, false, 187},
	regTxTopATxStartDelayLsbTxStartDelay:                           {"TX_TOP_A_TX_START_DELAY_LSB_TX_START_DELAY", 0x5206, 0, 8, false, false, 128},
	regTxTopATxCtrlWriteBuffer:                                     {"TX_TOP_A_TX_CTRL_WRITE_BUFFER", 0x5207, 0, 1, false, false, 0},
	regTxTopAGenCfg0ModulationType:                                 {"TX_TOP_A_GEN_CFG_0_MODULATION_TYPE", 0x5209, 0, 1, false, false, 0},
	regTxTopAAgcTxBwAgcTxBw:                                        {"TX_TOP_A_AGC_TX_BW_AGC_TX_BW", 0x520c, 0, 8, false, false, 0},
	regTxTopAAgcTxPwrAgcTxPwr:                                      {"TX_TOP_A_AGC_TX_PWR_AGC_TX_PWR", 0x520d, 0, 8, false, false, 0},
	regTxTopATxFsmStatusTxStatus:                                   {"TX_TOP_A_TX_FSM_STATUS_TX_STATUS", 0x5211, 0, 8, false, true, 0},
	regTxTopATxRffeIfCtrlTxClkEdge:                                 {"TX_TOP_A_TX_RFFE_IF_CTRL_TX_CLK_EDGE", 0x5220, 4, 1, false, false, 1},
	regTxTopATxRffeIfCtrlTxMode:                                    {"TX_TOP_A_TX_RFFE_IF_CTRL_TX_MODE", 0x5220, 3, 1, false, false, 1},
	regTxTopATxRffeIfCtrlTxIfDst:                                   {"TX_TOP_A_TX_RFFE_IF_CTRL_TX_IF_DST", 0x5220, 2, 1, false, false, 0},
	regTxTopATxRffeIfCtrlTxIfSrc:                                   {"TX_TOP_A_TX_RFFE_IF_CTRL_TX_IF_SRC", 0x5220, 0, 2, false, false, 0},
	regTxTopATxRffeIfCtrl2PllDivCtrlAgc:                            {"TX_TOP_A_TX_RFFE_IF_CTRL2_PLL_DIV_CTRL_AGC", 0x5221, 0, 1, false, false, 0},
	regTxTopATxRffeIfIqGainIqGain:                                  {"TX_TOP_A_TX_RFFE_IF_IQ_GAIN_IQ_GAIN", 0x5222, 0, 2, false, false, 0},
	regTxTopATxRffeIfIOffsetIOffset:                                {"TX_TOP_A_TX_RFFE_IF_I_OFFSET_I_OFFSET", 0x5223, 0, 8, false, false, 0},
	regTxTopATxRffeIfQOffsetQOffset:                                {"TX_TOP_A_TX_RFFE_IF_Q_OFFSET_Q_OFFSET", 0x5224, 0, 8, false, false, 0},
	regTxTopATxRffeIfFreqRfHFreqRf:                                 {"TX_TOP_A_TX_RFFE_IF_FREQ_RF_H_FREQ_RF", 0x5225, 0, 8, false, false, 108},
	regTxTopATxRffeIfFreqRfMFreqRf:                                 {"TX_TOP_A_TX_RFFE_IF_FREQ_RF_M_FREQ_RF", 0x5226, 0, 8, false, false, 144},
	regTxTopATxRffeIfFreqRfLFreqRf:                                 {"TX_TOP_A_TX_RFFE_IF_FREQ_RF_L_FREQ_RF", 0x5227, 0, 8, false, false, 0},
	regTxTopATxRffeIfFreqDevHFreqDev:                               {"TX_TOP_A_TX_RFFE_IF_FREQ_DEV_H_FREQ_DEV", 0x5228, 0, 4, false, false, 0},
	regTxTopATxRffeIfFreqDevLFreqDev:                               {"TX_TOP_A_TX_RFFE_IF_FREQ_DEV_L_FREQ_DEV", 0x5229, 0, 8, false, false, 0},
	regTxTopATxrxCfg00ModemBw:                                      {"TX_TOP_A_TXRX_CFG0_0_MODEM_BW", 0x5260, 4, 4, false, false, 5},
	regTxTopATxrxCfg00ModemSf:                                      {"TX_TOP_A_TXRX_CFG0_0_MODEM_SF", 0x5260, 0, 4, false, false, 7},
	regTxTopATxrxCfg01PpmOffsetHdrCtrl:                             {"TX_TOP_A_TXRX_CFG0_1_PPM_OFFSET_HDR_CTRL", 0x5261, 6, 2, false, false, 2},
	regTxTopATxrxCfg01PpmOffset:                                    {"TX_TOP_A_TXRX_CFG0_1_PPM_OFFSET", 0x5261, 4, 2, false, false, 0},
	regTxTopATxrxCfg01CodingRate:                                   {"TX_TOP_A_TXRX_CFG0_1_CODING_RATE", 0x5261, 0, 3, false, false, 2},
	regTxTopATxrxCfg02FineSynchEn:                                  {"TX_TOP_A_TXRX_CFG0_2_FINE_SYNCH_EN", 0x5262, 7, 1, false, false, 0},
	regTxTopATxrxCfg02ModemEn:                                      {"TX_TOP_A_TXRX_CFG0_2_MODEM_EN", 0x5262, 6, 1, false, false, 0},
	regTxTopATxrxCfg02Cadrxtx:                                      {"TX_TOP_A_TXRX_CFG0_2_CADRXTX", 0x5262, 4, 2, false, false, 2},
	regTxTopATxrxCfg02ImplicitHeader:                               {"TX_TOP_A_TXRX_CFG0_2_IMPLICIT_HEADER", 0x5262, 1, 1, false, false, 0},
	regTxTopATxrxCfg02CrcEn:                                        {"TX_TOP_A_TXRX_CFG0_2_CRC_EN", 0x5262, 0, 1, false, false, 1},
	regTxTopATxrxCfg03PayloadLength:                                {"TX_TOP_A_TXRX_CFG0_3_PAYLOAD_LENGTH", 0x5263, 0, 8, false, false, 12},
	regTxTopATxrxCfg11ModemStart:                                   {"TX_TOP_A_TXRX_CFG1_1_MODEM_START", 0x5265, 7, 1, false, false, 0},
	regTxTopATxrxCfg12PreambleSymbNb:                               {"TX_TOP_A_TXRX_CFG1_2_PREAMBLE_SYMB_NB", 0x5266, 0, 8, false, false, 8},
	regTxTopATxrxCfg13PreambleSymbNb:                               {"TX_TOP_A_TXRX_CFG1_3_PREAMBLE_SYMB_NB", 0x5267, 0, 8, false, false, 0},
	regTxTopATxCfg00ChirpLowpass:                                   {"TX_TOP_A_TX_CFG0_0_CHIRP_LOWPASS", 0x5269, 4, 3, false, false, 0},
	regTxTopATxCfg00ChirpInvert:                                    {"TX_TOP_A_TX_CFG0_0_CHIRP_INVERT", 0x5269, 1, 1, false, false, 1},
	regTxTopATxCfg00Continuous:                                     {"TX_TOP_A_TX_CFG0_0_CONTINUOUS", 0x5269, 0, 1, false, false, 0},
	regTxTopAFrameSynch0Peak1Pos:                                   {"TX_TOP_A_FRAME_SYNCH_0_PEAK1_POS", 0x526d, 0, 5, true, false, 2},
	regTxTopAFrameSynch1Peak2Pos:                                   {"TX_TOP_A_FRAME_SYNCH_1_PEAK2_POS", 0x526e, 0, 5, true, false, 4},
	regGpioGpioDirLDirection:                                       {"GPIO_GPIO_DIR_L_DIRECTION", 0x5641, 0, 8, false, false, 0},
	regGpioGpioOutLOutValue:                                        {"GPIO_GPIO_OUT_L_OUT_VALUE", 0x5643, 0, 8, false, false, 0},
	regGpioGpioSel0Selection:                                       {"GPIO_GPIO_SEL_0_SELECTION", 0x5648, 0, 4, false, false, 0},
	regGpioGpioSel1Selection:                                       {"GPIO_GPIO_SEL_1_SELECTION", 0x5649, 0, 4, false, false, 0},
	regGpioGpioSel2Selection:                                       {"GPIO_GPIO_SEL_2_SELECTION", 0x564a, 0, 4, false, false, 0},
	regGpioGpioSel3Selection:                                       {"GPIO_GPIO_SEL_3_SELECTION", 0x564b, 0, 4, false, false, 0},
	regGpioGpioSel4Selection:                                       {"GPIO_GPIO_SEL_4_SELECTION", 0x564c, 0, 4, false, false, 0},
	regGpioGpioSel5Selection:                                       {"GPIO_GPIO_SEL_5_SELECTION", 0x564d, 0, 4, false, false, 0},
	regGpioGpioSel6Selection:                                       {"GPIO_GPIO_SEL_6_SELECTION", 0x564e, 0, 4, false, false, 0},
	regGpioGpioSel7Selection:                                       {"GPIO_GPIO_SEL_7_SELECTION", 0x564f, 0, 4, false, false, 0},
	regTimestampGpsCtrlGpsPol:                                      {"TIMESTAMP_GPS_CTRL_GPS_POL", 0x6100, 1, 1, false, false, 0},
	regTimestampGpsCtrlGpsEn:                                       {"TIMESTAMP_GPS_CTRL_GPS_EN", 0x6100, 0, 1, false, false, 0},
	regTimestampTimestampPpsMsb2TimestampPps:                       {"TIMESTAMP_TIMESTAMP_PPS_MSB2_TIMESTAMP_PPS", 0x6101, 0, 8, false, true, 0},
	regRxTopFreq0MsbIfFreq0:                                        {"RX_TOP_FREQ_0_MSB_IF_FREQ_0", 0x5800, 0, 5, false, false, 0},
	regRxTopFreq0LsbIfFreq0:                                        {"RX_TOP_FREQ_0_LSB_IF_FREQ_0", 0x5801, 0, 8, false, false, 128},
	regRxTopFreq1MsbIfFreq1:                                        {"RX_TOP_FREQ_1_MSB_IF_FREQ_1", 0x5802, 0, 5, false, false, 1},
	regRxTopFreq1LsbIfFreq1:                                        {"RX_TOP_FREQ_1_LSB_IF_FREQ_1", 0x5803, 0, 8, false, false, 128},
	regRxTopFreq2MsbIfFreq2:                                        {"RX_TOP_FREQ_2_MSB_IF_FREQ_2", 0x5804, 0, 5, false, false, 30},
	regRxTopFreq2LsbIfFreq2:                                        {"RX_TOP_FREQ_2_LSB_IF_FREQ_2", 0x5805, 0, 8, false, false, 128},
	regRxTopFreq3MsbIfFreq3:                                        {"RX_TOP_FREQ_3_MSB_IF_FREQ_3", 0x5806, 0, 5, false, false, 0},
	regRxTopFreq3LsbIfFreq3:                                        {"RX_TOP_FREQ_3_LSB_IF_FREQ_3", 0x5807, 0, 8, false, false, 128},
	regRxTopFreq4MsbIfFreq4:                                        {"RX_TOP_FREQ_4_MSB_IF_FREQ_4", 0x5808, 0, 5, false, false, 0},
	regRxTopFreq4LsbIfFreq4:                                        {"RX_TOP_FREQ_4_LSB_IF_FREQ_4", 0x5809, 0, 8, false, false, 50},
	regRxTopFreq5MsbIfFreq5:                                        {"RX_TOP_FREQ_5_MSB_IF_FREQ_5", 0x580a, 0, 5, false, false, 0},
	regRxTopFreq5LsbIfFreq5:                                        {"RX_TOP_FREQ_5_LSB_IF_FREQ_5", 0x580b, 0, 8, false, false, 60},
	regRxTopFreq6MsbIfFreq6:                                        {"RX_TOP_FREQ_6_MSB_IF_FREQ_6", 0x580c, 0, 5, false, false, 0},
	regRxTopFreq6LsbIfFreq6:                                        {"RX_TOP_FREQ_6_LSB_IF_FREQ_6", 0x580d, 0, 8, false, false, 70},
	regRxTopFreq7MsbIfFreq7:                                        {"RX_TOP_FREQ_7_MSB_IF_FREQ_7", 0x580e, 0, 5, false, false, 0},
	regRxTopFreq7LsbIfFreq7:                                        {"RX_TOP_FREQ_7_LSB_IF_FREQ_7", 0x580f, 0, 8, false, false, 80},
	regRxTopRadioSelectRadioSelect:                                 {"RX_TOP_RADIO_SELECT_RADIO_SELECT", 0x5810, 0, 8, false, false, 0},
	regRxTopRssiControlRssiFilterAlpha:                             {"RX_TOP_RSSI_CONTROL_RSSI_FILTER_ALPHA", 0x5811, 3, 5, false, false, 7},
	regRxTopRssiDefValueChanRssiDefValue:                           {"RX_TOP_RSSI_DEF_VALUE_CHAN_RSSI_DEF_VALUE", 0x5812, 0, 8, false, false, 0},
	regRxTopChannDagcCfg1ChanDagcThresholdHigh:                     {"RX_TOP_CHANN_DAGC_CFG1_CHAN_DAGC_THRESHOLD_HIGH", 0x5813, 0, 8, false, false, 0},
	regRxTopChannDagcCfg2ChanDagcThresholdLow:                      {"RX_TOP_CHANN_DAGC_CFG2_CHAN_DAGC_THRESHOLD_LOW", 0x5814, 0, 8, false, false, 0},
	regRxTopChannDagcCfg3ChanDagcMaxAtten:                          {"RX_TOP_CHANN_DAGC_CFG3_CHAN_DAGC_MAX_ATTEN", 0x5815, 4, 4, false, false, 15},
	regRxTopChannDagcCfg3ChanDagcMinAtten:                          {"RX_TOP_CHANN_DAGC_CFG3_CHAN_DAGC_MIN_ATTEN", 0x5815, 0, 4, false, false, 0},
	regRxTopChannDagcCfg5ChanDagcMode:                              {"RX_TOP_CHANN_DAGC_CFG5_CHAN_DAGC_MODE", 0x5817, 0, 2, false, false, 0},
	regRxTopCorrClockEnableClkEn:                                   {"RX_TOP_CORR_CLOCK_ENABLE_CLK_EN", 0x5820, 0, 8, false, false, 255},
	regRxTopCorrelatorEnCorrEn:                                     {"RX_TOP_CORRELATOR_EN_CORR_EN", 0x5821, 0, 8, false, false, 0},
	regRxTopCorrelatorSfEnCorrSfEn:                                 {"RX_TOP_CORRELATOR_SF_EN_CORR_SF_EN", 0x5822, 0, 8, false, false, 255},
	regRxTopCorrelatorEnableOnlyFirstDetEdgeEnableOnlyFirstDetEdge: {"RX_TOP_CORRELATOR_ENABLE_ONLY_FIRST_DET_EDGE_ENABLE_ONLY_FIRST_DET_EDGE", 0x5823, 0, 8, false, false, 255},
	regRxTopCorrelatorEnableAccClearEnableCorrAccClear:             {"RX_TOP_CORRELATOR_ENABLE_ACC_CLEAR_ENABLE_CORR_ACC_CLEAR", 0x5824, 0, 8, false, false, 255},
	regRxTopSf5Cfg2AccPnr:                                          {"RX_TOP_SF5_CFG2_ACC_PNR", 0x5826, 0, 7, false, false, 55},
	regRxTopSf5Cfg4MspPnr:                                          {"RX_TOP_SF5_CFG4_MSP_PNR", 0x5828, 0, 7, false, false, 32},
	regRxTopSf5Cfg6MspPeakNb:                                       {"RX_TOP_SF5_CFG6_MSP_PEAK_NB", 0x582a, 3, 3, false, false, 5},
	regRxTopSf5Cfg7Msp2PeakNb:                                      {"RX_TOP_SF5_CFG7_MSP2_PEAK_NB", 0x582b, 2, 3, false, false, 5},
	regRxTopSf6Cfg2AccPnr:                                          {"RX_TOP_SF6_CFG2_ACC_PNR", 0x582d, 0, 7, false, false, 55},
	regRxTopSf6Cfg4MspPnr:                                          {"RX_TOP_SF6_CFG4_MSP_PNR", 0x582f, 0, 7, false, false, 32},
	regRxTopSf6Cfg6MspPeakNb:                                       {"RX_TOP_SF6_CFG6_MSP_PEAK_NB", 0x5831, 3, 3, false, false, 4},
	regRxTopSf6Cfg7Msp2PeakNb:                                      {"RX_TOP_SF6_CFG7_MSP2_PEAK_NB", 0x5832, 2, 3, false, false, 5},
	regRxTopSf7Cfg2AccPnr:                                          {"RX_TOP_SF7_CFG2_ACC_PNR", 0x5834, 0, 7, false, false, 55},
	regRxTopSf7Cfg4MspPnr:                                          {"RX_TOP_SF7_CFG4_MSP_PNR", 0x5836, 0, 7, false, false, 32},
	regRxTopSf7Cfg6MspPeakNb:                                       {"RX_TOP_SF7_CFG6_MSP_PEAK_NB", 0x5838, 3, 3, false, false, 3},
	regRxTopSf7Cfg7Msp2PeakNb:                                      {"RX_TOP_SF7_CFG7_MSP2_PEAK_NB", 0x5839, 2, 3, false, false, 5},
	regRxTopSf8Cfg2AccPnr:                                          {"RX_TOP_SF8_CFG2_ACC_PNR", 0x583b, 0, 7, false, false, 56},
	regRxTopSf8Cfg4MspPnr:                                          {"RX_TOP_SF8_CFG4_MSP_PNR", 0x583d, 0, 7, false, false, 32},
	regRxTopSf8Cfg6MspPeakNb:                                       {"RX_TOP_SF8_CFG6_MSP_PEAK_NB", 0x583f, 3, 3, false, false, 3},
	regRxTopSf8Cfg7Msp2PeakNb:                                      {"RX_TOP_SF8_CFG7_MSP2_PEAK_NB", 0x5840, 2, 3, false, false, 5},
	regRxTopSf9Cfg2AccPnr:                                          {"RX_TOP_SF9_CFG2_ACC_PNR", 0x5842, 0, 7, false, false, 58},
	regRxTopSf9Cfg4MspPnr:                                          {"RX_TOP_SF9_CFG4_MSP_PNR", 0x5844, 0, 7, false, false, 32},
	regRxTopSf9Cfg6MspPeakNb:                                       {"RX_TOP_SF9_CFG6_MSP_PEAK_NB", 0x5846, 3, 3, false, false, 3},
	regRxTopSf9Cfg7Msp2PeakNb:                                      {"RX_TOP_SF9_CFG7_MSP2_PEAK_NB", 0x5847, 2, 3, false, false, 5},
	regRxTopSf10Cfg2AccPnr:                                         {"RX_TOP_SF10_CFG2_ACC_PNR", 0x5849, 0, 7, false, false, 60},
	regRxTopSf10Cfg4MspPnr:                                         {"RX_TOP_SF10_CFG4_MSP_PNR", 0x584b, 0, 7, false, false, 32},
	regRxTopSf10Cfg6MspPeakNb:                                      {"RX_TOP_SF10_CFG6_MSP_PEAK_NB", 0x584d, 3, 3, false, false, 3},
	regRxTopSf10Cfg7Msp2PeakNb:                                     {"RX_TOP_SF10_CFG7_MSP2_PEAK_NB", 0x584e, 2, 3, false, false, 5},
	regRxTopSf11Cfg2AccPnr:                                         {"RX_TOP_SF11_CFG2_ACC_PNR", 0x5850, 0, 7, false, false, 60},
	regRxTopSf11Cfg4MspPnr:                                         {"RX_TOP_SF11_CFG4_MSP_PNR", 0x5852, 0, 7, false, false, 32},
	regRxTopSf11Cfg6MspPeakNb:                                      {"RX_TOP_SF11_CFG6_MSP_PEAK_NB", 0x5854, 3, 3, false, false, 3},
	regRxTopSf11Cfg7Msp2PeakNb:                                     {"RX_TOP_SF11_CFG7_MSP2_PEAK_NB", 0x5855, 2, 3, false, false, 5},
	regRxTopSf12Cfg2AccPnr:                                         {"RX_TOP_SF12_CFG2_ACC_PNR", 0x5857, 0, 7, false, false, 60},
	regRxTopSf12Cfg4MspPnr:                                         {"RX_TOP_SF12_CFG4_MSP_PNR", 0x5859, 0, 7, false, false, 32},
	regRxTopSf12Cfg6MspPeakNb:                                      {"RX_TOP_SF12_CFG6_MSP_PEAK_NB", 0x585b, 3, 3, false, false, 3},
	regRxTopSf12Cfg7Msp2PeakNb:                                     {"RX_TOP_SF12_CFG7_MSP2_PEAK_NB", 0x585c, 2, 3, false, false, 5},
	regRxTopDcNotchCfg1Enable:                                      {"RX_TOP_DC_NOTCH_CFG1_ENABLE", 0x5860, 0, 1, false, false, 0},
	regRxTopRxDfeAgc1ForceDefaultFir:                               {"RX_TOP_RX_DFE_AGC1_FORCE_DEFAULT_FIR", 0x5875, 3, 1, false, false, 0},
	regRxTopDagcCfgTargetLvl:                                       {"RX_TOP_DAGC_CFG_TARGET_LVL", 0x5878, 6, 2, false, false, 0},
	regRxTopDagcCfgGainDropComp:                                    {"RX_TOP_DAGC_CFG_GAIN_DROP_COMP", 0x5878, 4, 1, false, false, 0},
	regRxTopTxrxCfg6PreambleSymbNb:                                 {"RX_TOP_TXRX_CFG6_PREAMBLE_SYMB_NB", 0x5883, 0, 8, false, false, 8},
	regRxTopTxrxCfg7PreambleSymbNb:                                 {"RX_TOP_TXRX_CFG7_PREAMBLE_SYMB_NB", 0x5884, 0, 8, false, false, 0},
	regRxTopRxCfg0DftPeakEn:                                        {"RX_TOP_RX_CFG0_DFT_PEAK_EN", 0x5887, 4, 2, false, false, 3},
	regRxTopFrameSynch0Sf5Peak1PosSf5:                              {"RX_TOP_FRAME_SYNCH0_SF5_PEAK1_POS_SF5", 0x588a, 0, 5, true, false, 2},
	regRxTopFrameSynch1Sf5Peak2PosSf5:                              {"RX_TOP_FRAME_SYNCH1_SF5_PEAK2_POS_SF5", 0x588b, 0, 5, true, false, 4},
	regRxTopFrameSynch0Sf6Peak1PosSf6:                              {"RX_TOP_FRAME_SYNCH0_SF6_PEAK1_POS_SF6", 0x588c, 0, 5, true, false, 2},
	regRxTopFrameSynch1Sf6Peak2PosSf6:                              {"RX_TOP_FRAME_SYNCH1_SF6_PEAK2_POS_SF6", 0x588d, 0, 5, true, false, 4},
	regRxTopFrameSynch0Sf7to12Peak1PosSf7to12:                      {"RX_TOP_FRAME_SYNCH0_SF7TO12_PEAK1_POS_SF7TO12", 0x588e, 0, 5, true, false, 2},
	regRxTopFrameSynch1Sf7to12Peak2PosSf7to12:                      {"RX_TOP_FRAME_SYNCH1_SF7TO12_PEAK2_POS_SF7TO12", 0x588f, 0, 5, true, false, 4},
	regRxTopFineTimingA1GainPAuto:                                  {"RX_TOP_FINE_TIMING_A_1_GAIN_P_AUTO", 0x5892, 6, 2, false, false, 1},
	regRxTopFineTimingA1GainPPayload:                               {"RX_TOP_FINE_TIMING_A_1_GAIN_P_PAYLOAD", 0x5892, 3, 3, false, false, 2},
	regRxTopFineTimingA5GainIEnSf12:                                {"RX_TOP_FINE_TIMING_A_5_GAIN_I_EN_SF12", 0x5896, 6, 2, false, false, 0},
	regRxTopFineTimingA5GainIEnSf11:                                {"RX_TOP_FINE_TIMING_A_5_GAIN_I_EN_SF11", 0x5896, 4, 2, false, false, 0},
	regRxTopFineTimingB0Rounding:                                   {"RX_TOP_FINE_TIMING_B_0_ROUNDING", 0x5899, 6, 1, false, false, 0},
	regRxTopFineTimingB0Mode:                                       {"RX_TOP_FINE_TIMING_B_0_MODE", 0x5899, 0, 2, false, false, 3},
	regRxTopFineTimingB1GainPAuto:                                  {"RX_TOP_FINE_TIMING_B_1_GAIN_P_AUTO", 0x589a, 6, 2, false, false, 1},
	regRxTopFineTimingB1GainPPayload:                               {"RX_TOP_FINE_TIMING_B_1_GAIN_P_PAYLOAD", 0x589a, 3, 3, false, false, 2},
	regRxTopFineTimingB1GainPPreamb:                                {"RX_TOP_FINE_TIMING_B_1_GAIN_P_PREAMB", 0x589a, 0, 3, false, false, 6},
	regRxTopFineTimingB2GainIAuto:                                  {"RX_TOP_FINE_TIMING_B_2_GAIN_I_AUTO", 0x589b, 6, 2, false, false, 3},
	regRxTopFineTimingB2GainIPayload:                               {"RX_TOP_FINE_TIMING_B_2_GAIN_I_PAYLOAD", 0x589b, 3, 3, false, false, 1},
	regRxTopFineTimingB2GainIPreamb:                                {"RX_TOP_FINE_TIMING_B_2_GAIN_I_PREAMB", 0x589b, 0, 3, false, false, 4},
	regRxTopFineTimingB5GainIEnSf12:                                {"RX_TOP_FINE_TIMING_B_5_GAIN_I_EN_SF12", 0x589e, 6, 2, false, false, 0},
	regRxTopFineTimingB5GainIEnSf11:                                {"RX_TOP_FINE_TIMING_B_5_GAIN_I_EN_SF11", 0x589e, 4, 2, false, false, 0},
	regRxTopFreqToTime0FreqToTimeDriftMant:                         {"RX_TOP_FREQ_TO_TIME0_FREQ_TO_TIME_DRIFT_MANT", 0x58a0, 0, 4, false, false, 9},
	regRxTopFreqToTime1FreqToTimeDriftMant:                         {"RX_TOP_FREQ_TO_TIME1_FREQ_TO_TIME_DRIFT_MANT", 0x58a1, 0, 8, false, false, 112},
	regRxTopFreqToTime2FreqToTimeDriftExp:                          {"RX_TOP_FREQ_TO_TIME2_FREQ_TO_TIME_DRIFT_EXP", 0x58a2, 0, 3, false, false, 3},
	regRxTopFreqToTime3FreqToTimeInvertTimeSymb:                    {"RX_TOP_FREQ_TO_TIME3_FREQ_TO_TIME_INVERT_TIME_SYMB", 0x58a3, 2, 1, false, false, 0},
	regRxTopFreqTrackA0FreqTrackEnSf8:                              {"RX_TOP_FREQ_TRACK_A_0_FREQ_TRACK_EN_SF8", 0x58a5, 6, 2, false, false, 3},
	regRxTopFreqTrackA0FreqTrackEnSf7:                              {"RX_TOP_FREQ_TRACK_A_0_FREQ_TRACK_EN_SF7", 0x58a5, 4, 2, false, false, 3},
	regRxTopFreqTrackA0FreqTrackEnSf6:                              {"RX_TOP_FREQ_TRACK_A_0_FREQ_TRACK_EN_SF6", 0x58a5, 2, 2, false, false, 3},
	regRxTopFreqTrackA0FreqTrackEnSf5:                              {"RX_TOP_FREQ_TRACK_A_0_FREQ_TRACK_EN_SF5", 0x58a5, 0, 2, false, false, 3},
	regRxTopFreqTrackA1FreqTrackEnSf12:                             {"RX_TOP_FREQ_TRACK_A_1_FREQ_TRACK_EN_SF12", 0x58a6, 6, 2, false, false, 3},
	regRxTopFreqTrackA1FreqTrackEnSf11:                             {"RX_TOP_FREQ_TRACK_A_1_FREQ_TRACK_EN_SF11", 0x58a6, 4, 2, false, false, 3},
	regRxTopFreqTrackA1FreqTrackEnSf10:                             {"RX_TOP_FREQ_TRACK_A_1_FREQ_TRACK_EN_SF10", 0x58a6, 2, 2, false, false, 3},
	regRxTopFreqTrackA1FreqTrackEnSf9:                              {"RX_TOP_FREQ_TRACK_A_1_FREQ_TRACK_EN_SF9", 0x58a6, 0, 2, false, false, 3},
	regRxTopFreqTrackB0FreqTrackEnSf8:                              {"RX_TOP_FREQ_TRACK_B_0_FREQ_TRACK_EN_SF8", 0x58a7, 6, 2, false, false, 3},
	regRxTopFreqTrackB0FreqTrackEnSf7:                              {"RX_TOP_FREQ_TRACK_B_0_FREQ_TRACK_EN_SF7", 0x58a7, 4, 2, false, false, 3},
	regRxTopFreqTrackB0FreqTrackEnSf6:                              {"RX_TOP_FREQ_TRACK_B_0_FREQ_TRACK_EN_SF6", 0x58a7, 2, 2, false, false, 3},
	regRxTopFreqTrackB0FreqTrackEnSf5:                              {"RX_TOP_FREQ_TRACK_B_0_FREQ_TRACK_EN_SF5", 0x58a7, 0, 2, false, false, 3},
	regRxTopFreqTrackB1FreqTrackEnSf12:                             {"RX_TOP_FREQ_TRACK_B_1_FREQ_TRACK_EN_SF12", 0x58a8, 6, 2, false, false, 3},
	regRxTopFreqTrackB1FreqTrackEnSf11:                             {"RX_TOP_FREQ_TRACK_B_1_FREQ_TRACK_EN_SF11", 0x58a8, 4, 2, false, false, 3},
	regRxTopFreqTrackB1FreqTrackEnSf10:                             {"RX_TOP_FREQ_TRACK_B_1_FREQ_TRACK_EN_SF10", 0x58a8, 2, 2, false, false, 3},
	regRxTopFreqTrackB1FreqTrackEnSf9:                              {"RX_TOP_FREQ_TRACK_B_1_FREQ_TRACK_EN_SF9", 0x58a8, 0, 2, false, false, 3},
	regRxTopFreqTrack4FreqSynchThr:                                 {"RX_TOP_FREQ_TRACK4_FREQ_SYNCH_THR", 0x58ab, 0, 4, false, false, 8},
	regRxTopModemSyncDeltaMsbModemSyncDelta:                        {"RX_TOP_MODEM_SYNC_DELTA_MSB_MODEM_SYNC_DELTA", 0x58b7, 0, 3, false, false, 0},
	regRxTopModemSyncDeltaLsbModemSyncDelta:                        {"RX_TOP_MODEM_SYNC_DELTA_LSB_MODEM_SYNC_DELTA", 0x58b8, 0, 8, false, false, 127},
	regRxTopModemPpmOffset1PpmOffsetSf8:                            {"RX_TOP_MODEM_PPM_OFFSET1_PPM_OFFSET_SF8", 0x58b9, 6, 2, false, false, 0},
	regRxTopModemPpmOffset1PpmOffsetSf7:                            {"RX_TOP_MODEM_PPM_OFFSET1_PPM_OFFSET_SF7", 0x58b9, 4, 2, false, false, 0},
	regRxTopModemPpmOffset1PpmOffsetSf6:                            {"RX_TOP_MODEM_PPM_OFFSET1_PPM_OFFSET_SF6", 0x58b9, 2, 2, false, false, 0},
	regRxTopModemPpmOffset1PpmOffsetSf5:                            {"RX_TOP_MODEM_PPM_OFFSET1_PPM_OFFSET_SF5", 0x58b9, 0, 2, false, false, 0},
	regRxTopModemPpmOffset2PpmOffsetSf12:                           {"RX_TOP_MODEM_PPM_OFFSET2_PPM_OFFSET_SF12", 0x58ba, 6, 2, false, false, 1},
	regRxTopModemPpmOffset2PpmOffsetSf11:                           {"RX_TOP_MODEM_PPM_OFFSET2_PPM_OFFSET_SF11", 0x58ba, 4, 2, false, false, 1},
	regRxTopModemPpmOffset2PpmOffsetSf10:                           {"RX_TOP_MODEM_PPM_OFFSET2_PPM_OFFSET_SF10", 0x58ba, 2, 2, false, false, 0},
	regRxTopModemPpmOffset2PpmOffsetSf9:                            {"RX_TOP_MODEM_PPM_OFFSET2_PPM_OFFSET_SF9", 0x58ba, 0, 2, false, false, 0},
	regRxTopRxBufferLegacyTimestamp:                                {"RX_TOP_RX_BUFFER_LEGACY_TIMESTAMP", 0x58c0, 2, 1, false, false, 0},
	regRxTopRxBufferNbBytesMsbRxBufferNbBytes:                      {"RX_TOP_RX_BUFFER_NB_BYTES_MSB_RX_BUFFER_NB_BYTES", 0x58c8, 0, 5, false, true, 0},
	regRxTopRxBufferNbBytesLsbRxBufferNbBytes:                      {"RX_TOP_RX_BUFFER_NB_BYTES_LSB_RX_BUFFER_NB_BYTES", 0x58c9, 0, 8, false, true, 0},
	regArbMcuCtrlMcuClear:                                          {"ARB_MCU_CTRL_MCU_CLEAR", 0x6080, 2, 1, false, false, 1},
	regArbMcuCtrlHostProg:                                          {"ARB_MCU_CTRL_HOST_PROG", 0x6080, 1, 1, false, false, 0},
	regArbMcuCtrlParityError:                                       {"ARB_MCU_CTRL_PARITY_ERROR", 0x6080, 0, 1, false, true, 0},
	regArbMcuMcuArbStatusMcuArbStatus:                              {"ARB_MCU_MCU_ARB_STATUS_MCU_ARB_STATUS", 0x6081, 0, 8, false, true, 0},
	regArbMcuArbDebugCfg0ArbDebugCfg0:                              {"ARB_MCU_ARB_DEBUG_CFG_0_ARB_DEBUG_CFG_0", 0x6089, 0, 8, false, false, 0},
	regArbMcuArbDebugCfg1ArbDebugCfg1:                              {"ARB_MCU_ARB_DEBUG_CFG_1_ARB_DEBUG_CFG_1", 0x608a, 0, 8, false, false, 0},
	regArbMcuArbDebugCfg2ArbDebugCfg2:                              {"ARB_MCU_ARB_DEBUG_CFG_2_ARB_DEBUG_CFG_2", 0x608b, 0, 8, false, false, 0},
	regArbMcuArbDebugCfg3ArbDebugCfg3:                              {"ARB_MCU_ARB_DEBUG_CFG_3_ARB_DEBUG_CFG_3", 0x608c, 0, 8, false, false, 0},
	regArbMcuArbDebugSts0ArbDebugSts0:                              {"ARB_MCU_ARB_DEBUG_STS_0_ARB_DEBUG_STS_0", 0x608d, 0, 8, false, true, 0},
	regArbMcuChannelSyncOffset01Channel1Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_01_CHANNEL_1_OFFSET", 0x609d, 4, 4, false, false, 0},
	regArbMcuChannelSyncOffset01Channel0Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_01_CHANNEL_0_OFFSET", 0x609d, 0, 4, false, false, 0},
	regArbMcuChannelSyncOffset23Channel3Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_23_CHANNEL_3_OFFSET", 0x609e, 4, 4, false, false, 0},
	regArbMcuChannelSyncOffset23Channel2Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_23_CHANNEL_2_OFFSET", 0x609e, 0, 4, false, false, 0},
	regArbMcuChannelSyncOffset45Channel5Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_45_CHANNEL_5_OFFSET", 0x609f, 4, 4, false, false, 0},
	regArbMcuChannelSyncOffset45Channel4Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_45_CHANNEL_4_OFFSET", 0x609f, 0, 4, false, false, 0},
	regArbMcuChannelSyncOffset67Channel7Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_67_CHANNEL_7_OFFSET", 0x60a0, 4, 4, false, false, 0},
	regArbMcuChannelSyncOffset67Channel6Offset:                     {"ARB_MCU_CHANNEL_SYNC_OFFSET_67_CHANNEL_6_OFFSET", 0x60a0, 0, 4, false, false, 0},
	regRadioFeCtrl0RadioADcNotchEn:                                 {"RADIO_FE_CTRL0_RADIO_A_DC_NOTCH_EN", 0x5701, 5, 1, false, false, 0},
	regRadioFeCtrl0RadioAHostFilterGain:                            {"RADIO_FE_CTRL0_RADIO_A_HOST_FILTER_GAIN", 0x5701, 0, 4, false, false, 0},
	regRadioFeRssiDbDefRadioARssiDbDefaultValue:                    {"RADIO_FE_RSSI_DB_DEF_RADIO_A_RSSI_DB_DEFAULT_VALUE", 0x5702, 0, 8, false, false, 0},
	regRadioFeRssiDecDefRadioARssiDecDefaultValue:                  {"RADIO_FE_RSSI_DEC_DEF_RADIO_A_RSSI_DEC_DEFAULT_VALUE", 0x5703, 0, 8, false, false, 0},
	regRadioFeRssiBbFilterAlphaRadioARssiBbFilterAlpha:             {"RADIO_FE_RSSI_BB_FILTER_ALPHA_RADIO_A_RSSI_BB_FILTER_ALPHA", 0x5707, 0, 5, false, false, 0},
	regRadioFeRssiDecFilterAlphaRadioARssiDecFilterAlpha:           {"RADIO_FE_RSSI_DEC_FILTER_ALPHA_RADIO_A_RSSI_DEC_FILTER_ALPHA", 0x5708, 0, 5, false, false, 0},
	regRadioFeCtrl0RadioBDcNotchEn:                                 {"RADIO_FE_CTRL0_RADIO_B_DC_NOTCH_EN", 0x570e, 5, 1, false, false, 0},
	regRadioFeCtrl0RadioBHostFilterGain:                            {"RADIO_FE_CTRL0_RADIO_B_HOST_FILTER_GAIN", 0x570e, 0, 4, false, false, 0},
	regRadioFeRssiDbDefRadioBRssiDbDefaultValue:                    {"RADIO_FE_RSSI_DB_DEF_RADIO_B_RSSI_DB_DEFAULT_VALUE", 0x570f, 0, 8, false, false, 0},
	regRadioFeRssiDecDefRadioBRssiDecDefaultValue:                  {"RADIO_FE_RSSI_DEC_DEF_RADIO_B_RSSI_DEC_DEFAULT_VALUE", 0x5710, 0, 8, false, false, 0},
	regRadioFeRssiBbFilterAlphaRadioBRssiBbFilterAlpha:             {"RADIO_FE_RSSI_BB_FILTER_ALPHA_RADIO_B_RSSI_BB_FILTER_ALPHA", 0x5714, 0, 5, false, false, 0},
	regRadioFeRssiDecFilterAlphaRadioBRssiDecFilterAlpha:           {"RADIO_FE_RSSI_DEC_FILTER_ALPHA_RADIO_B_RSSI_DEC_FILTER_ALPHA", 0x5715, 0, 5, false, false, 0},
	regOtpByteAddrAddr:                                             {"OTP_BYTE_ADDR_ADDR", 0x6180, 0, 8, false, false, 0},
	regOtpRdDataRdData:                                             {"OTP_RD_DATA_RD_DATA", 0x6181, 0, 8, false, true, 0},
	regOtpModemEn0ModemEn:                                          {"OTP_MODEM_EN_0_MODEM_EN", 0x6188, 0, 8, false, false, 255},
	regOtpModemEn1ModemEn:                                          {"OTP_MODEM_EN_1_MODEM_EN", 0x6189, 0, 8, false, false, 255},
	regRxTopLoraServiceFskLoraServiceFreqMsbIfFreq0:                {"RX_TOP_LORA_SERVICE_FSK_LORA_SERVICE_FREQ_MSB_IF_FREQ_0", 0x5b00, 0, 5, false, false, 0},
	regRxTopLoraServiceFskLoraServiceFreqLsbIfFreq0:                {"RX_TOP_LORA_SERVICE_FSK_LORA_SERVICE_FREQ_LSB_IF_FREQ_0", 0x5b01, 0, 8, false, false, 128},
	regRxTopLoraServiceFskLoraServiceRadioSelRadioSelect:           {"RX_TOP_LORA_SERVICE_FSK_LORA_SERVICE_RADIO_SEL_RADIO_SELECT", 0x5b02, 0, 1, false, false, 0},
	regRxTopLoraServiceFskDcNotchCfg1Enable:                        {"RX_TOP_LORA_SERVICE_FSK_DC_NOTCH_CFG1_ENABLE", 0x5b03, 0, 1, false, false, 0},
	regRxTopLoraServiceFskRxDfeAgc1ForceDefaultFir:                 {"RX_TOP_LORA_SERVICE_FSK_RX_DFE_AGC1_FORCE_DEFAULT_FIR", 0x5b18, 3, 1, false, false, 0},
	regRxTopLoraServiceFskRxDfeAgc2DagcInComp:                      {"RX_TOP_LORA_SERVICE_FSK_RX_DFE_AGC2_DAGC_IN_COMP", 0x5b19, 6, 1, false, false, 0},
	regRxTopLoraServiceFskDagcCfgTargetLvl:                         {"RX_TOP_LORA_SERVICE_FSK_DAGC_CFG_TARGET_LVL", 0x5b1b, 6, 2, false, false, 0},
	regRxTopLoraServiceFskDagcCfgGainDropComp:                      {"RX_TOP_LORA_SERVICE_FSK_DAGC_CFG_GAIN_DROP_COMP", 0x5b1b, 4, 1, false, false, 0},
	regRxTopLoraServiceFskTxrxCfg0ModemBw:                          {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG0_MODEM_BW", 0x5b21, 4, 4, false, false, 4},
	regRxTopLoraServiceFskTxrxCfg0ModemSf:                          {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG0_MODEM_SF", 0x5b21, 0, 4, false, false, 7},
	regRxTopLoraServiceFskTxrxCfg1PpmOffset:                        {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG1_PPM_OFFSET", 0x5b22, 4, 2, false, false, 0},
	regRxTopLoraServiceFskTxrxCfg1ModemEn:                          {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG1_MODEM_EN", 0x5b22, 3, 1, false, false, 0},
	regRxTopLoraServiceFskTxrxCfg1CodingRate:                       {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG1_CODING_RATE", 0x5b22, 0, 3, false, false, 2},
	regRxTopLoraServiceFskTxrxCfg2FineSynchEn:                      {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG2_FINE_SYNCH_EN", 0x5b23, 5, 1, false, false, 0},
	regRxTopLoraServiceFskTxrxCfg2ModemStart:                       {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG2_MODEM_START", 0x5b23, 4, 1, false, false, 0},
	regRxTopLoraServiceFskTxrxCfg2Cadrxtx:                          {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG2_CADRXTX", 0x5b23, 2, 2, false, false, 1},
	regRxTopLoraServiceFskTxrxCfg2ImplicitHeader:                   {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG2_IMPLICIT_HEADER", 0x5b23, 1, 1, false, false, 0},
	regRxTopLoraServiceFskTxrxCfg2CrcEn:                            {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG2_CRC_EN", 0x5b23, 0, 1, false, false, 1},
	regRxTopLoraServiceFskTxrxCfg3PayloadLength:                    {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG3_PAYLOAD_LENGTH", 0x5b24, 0, 8, false, false, 12},
	regRxTopLoraServiceFskTxrxCfg6PreambleSymbNb:                   {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG6_PREAMBLE_SYMB_NB", 0x5b27, 0, 8, false, false, 8},
	regRxTopLoraServiceFskTxrxCfg7PreambleSymbNb:                   {"RX_TOP_LORA_SERVICE_FSK_TXRX_CFG7_PREAMBLE_SYMB_NB", 0x5b28, 0, 8, false, false, 0},
	regRxTopLoraServiceFskRxCfg0DftPeakEn:                          {"RX_TOP_LORA_SERVICE_FSK_RX_CFG0_DFT_PEAK_EN", 0x5b2a, 4, 2, false, false, 3},
	regRxTopLoraServiceFskFrameSynch0Peak1Pos:                      {"RX_TOP_LORA_SERVICE_FSK_FRAME_SYNCH0_PEAK1_POS", 0x5b2e, 0, 5, true, false, 2},
	regRxTopLoraServiceFskFrameSynch1Peak2Pos:                      {"RX_TOP_LORA_SERVICE_FSK_FRAME_SYNCH1_PEAK2_POS", 0x5b2f, 0, 5, true, false, 4},
	regRxTopLoraServiceFskFineTiming1GainPAuto:                     {"RX_TOP_LORA_SERVICE_FSK_FINE_TIMING1_GAIN_P_AUTO", 0x5b32, 6, 2, false, false, 2},
	regRxTopLoraServiceFskFineTiming1GainPPreamb:                   {"RX_TOP_LORA_SERVICE_FSK_FINE_TIMING1_GAIN_P_PREAMB", 0x5b32, 0, 3, false, false, 4},
	regRxTopLoraServiceFskFineTiming2GainIEn:                       {"RX_TOP_LORA_SERVICE_FSK_FINE_TIMING2_GAIN_I_EN", 0x5b33, 6, 2, false, false, 0},
	regRxTopLoraServiceFskFineTiming2GainIPayload:                  {"RX_TOP_LORA_SERVICE_FSK_FINE_TIMING2_GAIN_I_PAYLOAD", 0x5b33, 3, 3, false, false, 1},
	regRxTopLoraServiceFskFreqToTime0FreqToTimeDriftMant:           {"RX_TOP_LORA_SERVICE_FSK_FREQ_TO_TIME0_FREQ_TO_TIME_DRIFT_MANT", 0x5b36, 0, 4, false, false, 9},
	regRxTopLoraServiceFskFreqToTime1FreqToTimeDriftMant:           {"RX_TOP_LORA_SERVICE_FSK_FREQ_TO_TIME1_FREQ_TO_TIME_DRIFT_MANT", 0x5b37, 0, 8, false, false, 112},
	regRxTopLoraServiceFskFreqToTime2FreqToTimeDriftExp:            {"RX_TOP_LORA_SERVICE_FSK_FREQ_TO_TIME2_FREQ_TO_TIME_DRIFT_EXP", 0x5b38, 0, 3, false, false, 3},
	regRxTopLoraServiceFskFreqToTime3FreqToTimeInvertTimeSymb:      {"RX_TOP_LORA_SERVICE_FSK_FREQ_TO_TIME3_FREQ_TO_TIME_INVERT_TIME_SYMB", 0x5b39, 2, 1, false, false, 0},
	regRxTopLoraServiceFskDetectMsp2Msp2PeakNb:                     {"RX_TOP_LORA_SERVICE_FSK_DETECT_MSP2_MSP2_PEAK_NB", 0x5b40, 4, 3, false, false, 7},
	regRxTopLoraServiceFskDetectMsp2MspPeakNb:                      {"RX_TOP_LORA_SERVICE_FSK_DETECT_MSP2_MSP_PEAK_NB", 0x5b40, 0, 3, false, false, 7},
	regRxTopLoraServiceFskDetectAcc1UseGainSymb:                    {"RX_TOP_LORA_SERVICE_FSK_DETECT_ACC1_USE_GAIN_SYMB", 0x5b42, 7, 1, false, false, 0},
	regRxTopLoraServiceFskDetectAcc1AccPnr:                         {"RX_TOP_LORA_SERVICE_FSK_DETECT_ACC1_ACC_PNR", 0x5b42, 0, 7, false, false, 55},
	regRxTopLoraServiceFskFskFreqMsbIfFreq0:                        {"RX_TOP_LORA_SERVICE_FSK_FSK_FREQ_MSB_IF_FREQ_0", 0x5b50, 0, 5, false, false, 0},
	regRxTopLoraServiceFskFskFreqLsbIfFreq0:                        {"RX_TOP_LORA_SERVICE_FSK_FSK_FREQ_LSB_IF_FREQ_0", 0x5b51, 0, 8, false, false, 128},
	regRxTopLoraServiceFskFskCfg0CrcIbm:                            {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_0_CRC_IBM", 0x5b52, 4, 1, false, false, 0},
	regRxTopLoraServiceFskFskCfg0DcfreeEnc:                         {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_0_DCFREE_ENC", 0x5b52, 2, 2, false, false, 0},
	regRxTopLoraServiceFskFskCfg0CrcEn:                             {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_0_CRC_EN", 0x5b52, 1, 1, false, false, 0},
	regRxTopLoraServiceFskFskCfg0PktMode:                           {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_0_PKT_MODE", 0x5b52, 0, 1, false, false, 0},
	regRxTopLoraServiceFskFskCfg1Psize:                             {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_1_PSIZE", 0x5b53, 3, 3, false, false, 0},
	regRxTopLoraServiceFskFskCfg1ChBwExpo:                          {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_1_CH_BW_EXPO", 0x5b53, 0, 3, false, false, 0},
	regRxTopLoraServiceFskFskCfg3ModemInvertIq:                     {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_3_MODEM_INVERT_IQ", 0x5b54, 3, 1, false, false, 0},
	regRxTopLoraServiceFskFskCfg3AutoAfc:                           {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_3_AUTO_AFC", 0x5b54, 2, 1, false, false, 1},
	regRxTopLoraServiceFskFskCfg3RadioSelect:                       {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_3_RADIO_SELECT", 0x5b54, 1, 1, false, false, 0},
	regRxTopLoraServiceFskFskCfg3RxInvert:                          {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_3_RX_INVERT", 0x5b54, 0, 1, false, false, 0},
	regRxTopLoraServiceFskFskCfg4RssiLength:                        {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_4_RSSI_LENGTH", 0x5b55, 5, 3, false, false, 4},
	regRxTopLoraServiceFskFskCfg4ErrorOsrTol:                       {"RX_TOP_LORA_SERVICE_FSK_FSK_CFG_4_ERROR_OSR_TOL", 0x5b55, 0, 5, false, false, 0},
	regRxTopLoraServiceFskFskNodeAdrsNodeAdrs:                      {"RX_TOP_LORA_SERVICE_FSK_FSK_NODE_ADRS_NODE_ADRS", 0x5b56, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskBroadcastBroadcast:                    {"RX_TOP_LORA_SERVICE_FSK_FSK_BROADCAST_BROADCAST", 0x5b57, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskPktLengthPktLength:                    {"RX_TOP_LORA_SERVICE_FSK_FSK_PKT_LENGTH_PKT_LENGTH", 0x5b58, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskTimeoutMsbTimeout:                     {"RX_TOP_LORA_SERVICE_FSK_FSK_TIMEOUT_MSB_TIMEOUT", 0x5b59, 0, 2, false, false, 0},
	regRxTopLoraServiceFskFskTimeoutLsbTimeout:                     {"RX_TOP_LORA_SERVICE_FSK_FSK_TIMEOUT_LSB_TIMEOUT", 0x5b5a, 0, 8, false, false, 0},
	regRxTopLoraServiceFskBitRateMsbBitRate:                        {"RX_TOP_LORA_SERVICE_FSK_BIT_RATE_MSB_BIT_RATE", 0x5b5b, 0, 8, false, false, 0},
	regRxTopLoraServiceFskBitRateLsbBitRate:                        {"RX_TOP_LORA_SERVICE_FSK_BIT_RATE_LSB_BIT_RATE", 0x5b5c, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte7FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE7_FSK_REF_PATTERN", 0x5b5d, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte6FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE6_FSK_REF_PATTERN", 0x5b5e, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte5FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE5_FSK_REF_PATTERN", 0x5b5f, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte4FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE4_FSK_REF_PATTERN", 0x5b60, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte3FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE3_FSK_REF_PATTERN", 0x5b61, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte2FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE2_FSK_REF_PATTERN", 0x5b62, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte1FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE1_FSK_REF_PATTERN", 0x5b63, 0, 8, false, false, 0},
	regRxTopLoraServiceFskFskRefPatternByte0FskRefPattern:          {"RX_TOP_LORA_SERVICE_FSK_FSK_REF_PATTERN_BYTE0_FSK_REF_PATTERN", 0x5b64, 0, 8, false, false, 0},
}
