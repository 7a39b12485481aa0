// Package station holds the messages of the Basics Station LNS protocol, as
// Semtech's Station (lorabasics/basicstation 2.0.6) speaks it, so that the
// cloud's gateway endpoint and the gateway agent share one set of structs.
//
// The package covers discovery (RouterInfoRequest, RouterInfoResponse), every
// text message of the traffic socket (version, router_config, jreq, rejoin,
// updf, dndf, propdf, jacc, dntxed, timesync, dnmsg, dnsched, dnframe,
// getxtime, runcmd, rmtsh, error) with Decode and Encode, the bridge between
// a LoRaWAN PHYPayload and Station's split uplink fields (SplitUplink and the
// PHYPayload methods, with router_config's NetID and JoinEui filters in
// UplinkFilter), router EUIs in id6 and Station's EUI text (ParseEUI,
// FormatID6, FormatEUI), and the time types Station puts on the wire (XTime,
// GPSTime, Seconds).
//
// Facts are read in Station's source: src/s2e.c (message handlers),
// src/lora.c (frame splitting and filters), src/tc.c (router-info),
// src/timesync.c and src/ral.h (xtime layout), src/sx130xconf.c (radio
// configuration names), src/uj.c (JSON encoding: upper-case hex, "%.6f"
// times, "01-02-…" EUIs, id6) and src/rt.c (EUI parsing).
//
// Wire rules kept here:
//   - 64-bit counters (xtime, gpstime, diid, EUIs sent as integers) are
//     decoded as integers, never through float64, so values above 2^53 stay
//     exact.
//   - DevAddr and MIC are signed 32-bit integers on the wire.
//   - Fields Station treats as optional and whose absence differs from zero
//     (RX1/RX2 pairs, rctx, max_eirp, …) are pointers.
//   - Encode writes "msgtype" first, field names exactly as Station spells
//     them, upper-case hex and times with six decimals like Station.
package station
