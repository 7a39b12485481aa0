// Package lgwsim speaks Basics Station's radio-simulation protocol (its
// "lgwsim" build, src/lgwsim.c, with the Python side in pysys/simutils.py of
// lorabasics/basicstation) on both ends: Concentrator is the gateway side, a
// hal.Concentrator that attaches to a simulator's Unix socket as Station
// does, and Server is the simulator side, which carries the frames of a
// hal/sim Air to every gateway connected to its socket. Test rigs built for
// Station can so drive the loraedge agent unchanged, and Station built for
// simulation can attach to `loraedge sim`.
//
// # Protocol
//
// The simulator listens on an AF_UNIX SOCK_STREAM socket; the gateway
// connects (retrying every second while the socket is absent) and writes a
// time-base record first: a struct lgw_pkt_tx_s with tx_mode 255, count_us
// the low and freq_hz the high 32 bits of timeOffset, f_dev the TX unit.
// timeOffset is CLOCK_MONOTONIC in µs less the gateway's counter (Station
// sets it at lgw_start so that its counter starts at 0x10000000), so both
// processes compute the gateway's counter as monotonic µs − timeOffset.
//
// Then the simulator writes each frame the gateway hears as a raw struct
// lgw_pkt_rx_s (300 bytes) with count_us the counter at the end of the
// frame, and the gateway writes each frame it sends as a raw struct
// lgw_pkt_tx_s (288 bytes). A receive record whose freq_hz is 0xCCAFCCAF
// carries instead a listen-before-talk table: up to ten (u32 freq, s64
// begin, s64 end) entries, begin and end in the gateway's 64-bit ticks;
// transmissions that would start on such a frequency in such a span fail.
// The gateway learns nothing back about its transmissions: it reports one
// sent once its time on air has passed.
//
// The simulator keeps one connection per unit: a gateway that connects as
// a unit already connected takes its place and hears the air from then
// on, while the earlier connection stays open, hears nothing more and may
// still transmit (simutils.py's LgwSimServer.connected); Server does the
// same, so that two gateways configured alike do not take the unit from
// each other in turn.
//
// # Layout
//
// The records are the C structs of lora_gateway's loragw_hal.h copied byte
// for byte, little endian with natural alignment, identical on x86-64 and
// arm64 (and on any LP64 or ILP32 ABI that aligns int64 on 8 bytes, such as
// 32-bit ARM EABI):
//
//	lgw_pkt_rx_s (300 bytes)          lgw_pkt_tx_s (288 bytes)
//	 0 u32 freq_hz                     0 u32 freq_hz
//	 4 u8  if_chain                    4 u8  tx_mode
//	 5 u8  status                      8 u32 count_us
//	 8 u32 count_us                   12 u8  rf_chain
//	12 u8  rf_chain                   13 s8  rf_power
//	13 u8  modulation                 14 u8  modulation
//	14 u8  bandwidth                  15 u8  bandwidth
//	16 u32 datarate                   16 u32 datarate
//	20 u8  coderate                   20 u8  coderate
//	24 f32 rssi                       21 u8  invert_pol
//	28 f32 snr                        22 u8  f_dev
//	32 f32 snr_min                    24 u16 preamble
//	36 f32 snr_max                    26 u8  no_crc
//	40 u16 crc                        27 u8  no_header
//	42 u16 size                       28 u16 size
//	44 u8  payload[256]               30 u8  payload[256], 2 bytes of padding
//
// Codes are the HAL's: modulation 0x10 LoRa, 0x20 FSK; bandwidth 0x03 125
// kHz, 0x02 250 kHz, 0x01 500 kHz; datarate one bit per spreading factor,
// 0x02 SF7 … 0x40 SF12 (FSK: the bit rate); coderate 1..4 for 4/5..4/8;
// status 0x10 CRC OK, 0x11 CRC bad, 0x01 no CRC; tx_mode 0 immediate, 1
// timestamped, 2 on GPS.
//
// # Differences from lgwsim.c
//
// Station's simulated HAL holds one frame at a time and never refuses a late
// one; this Concentrator keeps hal's contract instead (a queue of frames,
// hal.ErrTooLate, hal.ErrBusy on overlap) and writes each frame
// DefaultWriteLead before its start, as Station's TX queue hands frames to
// its HAL. Frames on a connection that is lost before they start are
// reported with ErrNotConnected. The "lgw2" layouts (SX1301AR boards) are
// not supported.
package lgwsim
