// Package sim simulates the radio side of a LoRaWAN network for tests,
// demos and load tests: an Air that carries frames with LoRa time on air,
// path loss and collisions; Concentrators on it that implement
// hal.Concentrator (32-bit microsecond counter, end-of-packet timestamps,
// timestamped TX that is really late when late, TX completion, PPS); and
// Devices that speak LoRaWAN 1.0.x and 1.1 with real security (OTAA and
// ABP, class A and C), open their RX1/RX2 windows at the instants the
// specification sets and catch a downlink only if it starts there.
//
// Everything reads time from a Clock. Tests use a VirtualClock, which moves
// only when advanced, so that a join with its five-second delay runs in
// microseconds and always the same way; demos use RealClock.
//
// The Air knows nothing of devices or gateways: it talks to Listeners, so
// a bridge to another process (the later `loraedge sim` over a local
// socket) can attach as one more Listener and transmit with Air.Transmit.
//
// Simplifications, on purpose: frames interfere only on the same frequency
// and data rate (both are lost; no capture effect); RSSI is transmit power
// less path loss, SNR the RSSI over a thermal noise floor, reported already
// calibrated (RFChain.RSSIOffset is not applied); a device's windows are
// sized in symbols (DeviceConfig.RxWindowSymbols); class B, rejoin-requests
// and NbTrans repetitions are not simulated.
package sim
