// Package hal is the concentrator interface of the gateway agent: what the
// agent needs from an SX1301/SX1302 board (or from the simulator in
// hal/sim) to run a Basics Station session, and nothing more.
//
// # Shape
//
// A Concentrator is started with a Config (the radio part of router_config's
// sx1301_conf merged with station.conf's board settings), then delivers
// received frames through Receive and takes frames to send through Send
// until Stop. Start after Stop is a new radio session: the 32-bit
// microsecond counter restarts, which is why Basics Station draws a new
// xtime session id at each radio start.
//
// Time is the concentrator's free-running 32-bit microsecond counter, as the
// Semtech HAL exposes it (count_us, lgw_get_instcnt, lgw_get_trigcnt): it
// wraps every 2^32 µs (about 71.6 minutes), so callers compare counter
// values by their signed 32-bit difference, never by magnitude. Received
// frames are stamped at the end of the packet (the HAL's legacy timestamp,
// which is what LoRaWAN's RX1/RX2 delays count from), and a timestamped
// transmission names the counter value at which the frame starts.
//
// # Why TX completion is a channel
//
// Basics Station reports dntxed only after a frame has really left the
// antenna, and the agent must learn when a queued frame was refused late
// (stopped radio, lost slot). The HAL answers this with lgw_status polling;
// here Send returns as soon as the frame is queued and every queued frame
// later yields exactly one TxDone on the channel returned by TxDone, carrying
// the caller's TxPacket.ID, the counter value at which emission began, and a
// nil Err (sent) or ErrStopped (never sent, or cut, because of Stop). One
// channel rather than a result per Send keeps the interface to plain values
// (no handles to leak), lets the agent wait for TX completions, received
// frames and its websocket in one select, and lets a hardware driver
// implement it with the single status-polling goroutine it needs anyway.
// The channel never blocks the concentrator and never drops a report:
// Send refuses with ErrBusy when frames queued plus reports not yet read
// would exceed the channel's capacity. Stop closes the channel after the
// last report of the run.
//
// # Errors
//
// The sentinel errors below are the conditions callers branch on; the
// Basics Station agent maps ErrTooLate and ErrBusy on an RX1 attempt to its
// RX2 fallback, and ErrStopped to the end of a radio session. Every other
// failure is wrapped with context by the implementation.
package hal
