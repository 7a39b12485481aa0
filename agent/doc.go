// Package agent is the gateway's Basics Station client: it speaks to any
// Basics Station LNS exactly as Semtech's Station 2.0.6 does, over a
// hal.Concentrator.
//
// # What it does, in Station's terms
//
//   - Discovery (INFOS): a websocket to <tc.uri>/router-info, the text frame
//     {"router":"<id6>"}, and the answer's "uri" checked with
//     station.CheckTrafficURI; an answer with "error" or without "uri" is a
//     rejection (src/tc.c).
//   - Traffic (MUXS): "version" first, then the LNS's "router_config" is
//     applied: region (TX power, duty cycle), DRs, freq_range, max_eirp,
//     NetID and JoinEui filters, MuxTime, and element 0 of the sx1301_conf
//     array merged over the board's station.conf settings into a
//     hal.Config, with the uplink channels allocated to IF chains as
//     Station's ral_challoc does when "upchannels" is given (src/s2e.c,
//     src/sx130xconf.c, src/ral.c). A router_config without hwspec
//     "sx1301/1" or without a radio configuration closes the connection.
//   - Uplinks: CRC-OK frames from the radio are split with
//     station.UplinkFilter into jreq/rejoin/updf/dndf/propdf/jacc with
//     RefTime, DR (from router_config's DRs), Freq and upinfo (rctx, xtime,
//     gpstime, fts -1, rssi and snr rounded as Station rounds them, rxtime).
//   - Downlinks: dnmsg class A at the uplink's xtime + RxDelay on RX1, with
//     RX2 one second later when RX1 is too late, blocked by duty cycle or
//     refused by the radio (any Send error, hal.ErrTooLate and hal.ErrBusy
//     among them); class C at once on RX2 with 100 ms retries; class B at
//     its GPS time; dnsched and the obsolete dnframe. Frequencies outside
//     freq_range and data rates not in DRs make the whole message ignored,
//     as do xtimes of another radio session. dntxed is sent for every job
//     that carries a DevEui 5 ms into its transmission, when Station checks
//     that the radio emits it (TXCHECK_FUDGE), or at its hal TxDone if that
//     comes first; a frame the radio reports failed before then gets none.
//   - Time: xtime is unit (bits 62–56, always 0 here) | session (55–48,
//     random, non-zero, drawn at each radio start) | microseconds widened
//     from the 32-bit counter (47–0); the counter is read every 2.1 s so
//     that the ~71.6 min wrap of the 32-bit counter carries into the upper
//     bits, and a downlink's counter value is uint32(xtime µs + delay).
//     With a PPS (hal PPSLatch ok) the agent learns the PPS phase, sends
//     timesync volleys (10 messages 71 ms apart, then 5 s pause) until the
//     LNS's answers pin GPS time, as src/timesync.c does.
//   - getxtime is answered; runcmd is refused unless Options.AllowRunCmd
//     (then run with exec.CommandContext, no shell, under a timeout; a
//     process it leaves behind is not waited for);
//     error messages are logged; unknown msgtypes are logged and the
//     connection kept.
//   - rmtsh (src-linux/rmtsh.c) is refused and logged unless
//     Options.AllowRmtsh, and only then is "rmtsh" in the version message's
//     features. When on, {"msgtype":"rmtsh","user","start","stop","term"}
//     stops the shell at index "stop", then starts "sh" at index "start"
//     (0 or 1: two shells at most) on a new pseudo-terminal in raw mode,
//     session leader with the terminal as its controlling terminal, TERM
//     from "term" (default "dumb"), as the agent's own user whatever "user"
//     says; every request is answered with
//     {"msgtype":"rmtsh","rmtsh":[{"user","started","age","pid"}…]}, one
//     entry per index (age: seconds since the last input or output, -1
//     for an index never used). Binary frames carry the data both ways: the
//     first byte is the session index, the rest the data, at most 384 bytes
//     a frame towards the LNS; a frame with the index alone is the end of a
//     shell's output, sent when it exits or is stopped. Input the shell has
//     not taken is bounded (4 KiB; more stops the shell, as in Station) and
//     output is read only as fast as the connection takes it. Starts and
//     stops are logged with index, user and pid; the data never is. This
//     hands the LNS a shell on the gateway: leave it off unless the LNS and
//     its credentials are trusted as much as a root login.
//   - Reconnect: after a traffic connection closes, retry the same traffic
//     URI after 1, 2, 4, 8, 16 s for as long as each retry opens the socket
//     (a retry that cannot open it, or whose router_config is unusable,
//     goes back to router-info at once, as in tc_continue), then rediscover
//     in 10 s steps up to 60 s, each wait lengthened by a random jitter;
//     OnRejected is called when discovery is rejected or after 10 failures
//     in a row (Station invokes CUPS then). A connection that gets a
//     router_config starts the traffic retries over; Station never resets
//     its count.
//   - Development switches: a router_config without "nodc" keeps the last
//     value, as Station's global does.
//
// # Where the agent differs from Station, on purpose
//
//   - The radio keeps running while the LNS is away, and uplinks go to a
//     Spool, to be sent in order with their original metadata (RefTime and
//     rxtime included) once a router_config has been received again. The
//     radio, and with it the xtime session, is restarted only when a
//     router_config changes the radio configuration. Station instead stops
//     the radio and loses uplinks while disconnected.
//   - With Options.ConfigMemory (the agent's bbolt store in loraedge), the
//     last router_config is remembered, and Run starts the radio from it
//     before the first connection: a gateway restarted during a backhaul
//     outage spools what it hears. Station stays deaf until the LNS
//     answers. The LNS's next router_config replaces it (the radio is
//     restarted only when the radio configuration differs).
//   - Frames are placed on the concentrator's TX queue as soon as a dnmsg
//     is read (hal.Concentrator queues timestamped frames), so the RX1/RX2
//     decision is made then; priorities between overlapping frames are not
//     weighed (the later one gets hal.ErrBusy and its alternative).
//   - Mirror frames (the same frame heard on a neighbouring channel) are
//     dropped when they come within 30 ms of an identical frame at the same
//     data rate; Station keeps the better copy of those still in its queue.
//   - gpstime of an uplink is 0 until the GPS time is known (Station writes
//     the microseconds since the last PPS meanwhile); dntxed carries the job's
//     gpstime (class B), 0 otherwise, as Station does.
//   - Remote shells end when the connection ends, and stopping one kills
//     every process of its session (its background jobs run in process
//     groups of their own); Station keeps its shells, and the users and
//     ages it reports, across reconnects, and kills only the shell's
//     process group. An index out of range (Station accepts 2, one past its
//     table) makes the request ignored; a start at an index in use is
//     logged and refused; a frame from the LNS with the index alone writes
//     nothing, as in Station.
//   - Not implemented: class B beacons (bcning), listen-before-talk,
//     Station's MCU/radio drift statistics (the hal counter and the Clock
//     are taken as one time base), tx_enable defaults to true on radio_0 when
//     neither station.conf nor router_config says otherwise.
//
// # Where things live
//
// This package holds the connection to the LNS (discovery, the traffic
// session, reconnect), the plan a router_config sets (DRs, filters, TX
// power, duty cycle), uplinks, downlinks, time sync and the spool. Around
// it: agent/radioconf turns a router_config and the board's settings into
// the hal.Config (sx1301_conf merge, channel allocation, the DR table);
// agent/rmtsh runs the remote shells of one connection, reaching it only
// through rmtsh.Conn; agent/cupsclient is the CUPS client loop;
// agent/config reads the agent's TOML file and Station home; agent/metrics
// serves the agent's counters to Prometheus.
package agent
