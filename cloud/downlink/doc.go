// Package downlink schedules the cloud's downlinks to Basics Station
// gateways: Class A answers (join-accepts, ACKs, MAC commands, queued
// application data) in the RX1/RX2 windows of an uplink, and Class C
// downlinks sent at once on RX2 parameters. It builds the LoRaWAN frames
// (FHDR, FOpts, FRMPayload encryption, downlink MIC, 1.0 and 1.1) and the
// dnmsg that carries them, follows each one until its dntxed, and keeps the
// device's persistent queue (the store's) in step.
//
// # Class A
//
// ScheduleClassA answers one uplink on its best gateway: the copy with the
// highest SNR margin over the demodulation floor of the uplink's data rate,
// then the highest RSSI (a gateway that refuses the message is skipped for
// the next). The dnmsg carries the uplink's xtime and rctx, RxDelay (the
// session's; JoinAcceptDelay1 for a join-accept), RX1DR from the region's
// RX1 offset table with the session's RX1DROffset and the region's default
// downlink dwell time, RX1Freq by the region's rule, and RX2DR/RX2Freq from
// the session (each zero field meaning the region's default, unless an RX2
// frequency is set, and the defaults always for a join-accept); a frame
// longer than the RX2 data rate allows goes without RX2, so Station cannot
// fall back to it.
//
// A data frame carries, in this order of precedence: the MAC commands
// (in FOpts when they fit in 15 bytes, otherwise alone on FPort 0, cut at a
// command boundary to the data rate's maximum payload), the ACK of a
// confirmed uplink, and the first queued application downlink when it fits
// in the RX1 data rate's maximum MACPayload with the FOpts. What does not
// fit stays queued and FPending tells the device more is waiting. An uplink
// after which the device waits for a downlink (ClassA.Reply: ADRACKReq, a
// repeated RXParamSetupAns, RXTimingSetupAns or DlChannelAns) gets a frame
// even with nothing to carry: an empty one. Frame counters come from the
// store (NFCntDown for FPort 0 or no FPort, AFCntDown for application data
// in LoRaWAN 1.1; a confirmed downlink's is recorded in the session, for
// the LoRaWAN 1.1 uplink that acknowledges it and signs it); every
// transmission, retries included, takes a fresh counter. A queue read
// empty is not read again before the store's QueueVersion of the device
// moves, so the uplinks of a device with nothing queued cost no queue read.
//
// # Confirmation, retries and drops
//
// Every dnmsg has a diid unique within the process (a random start below
// 2^52, then counting up), so a late dntxed from before a restart is
// unlikely to match a downlink of this process.
// HandleDntxed marks the downlink sent: an unconfirmed application
// downlink leaves the queue, a confirmed one stays with its attempt
// counted until the device acknowledges it (AckReceived, which the uplink
// pipeline calls, before ScheduleClassA, for an uplink with FCtrl.ACK). A
// confirmed downlink still unacknowledged at the next uplink after
// Options.MaxAttempts transmissions is dropped and reported as
// route.EventDownlinkDropped. A downlink with no dntxed by the end of its
// last receive window plus Options.TxTimeout is reported
// (EventDownlinkTxTimeout for a queued item, a warning otherwise); its
// queue item stays for the next window, its attempt not counted.
//
// # Class C
//
// Enqueue stores the downlink in the device's queue; for a Class C device
// it also sends the head of the queue at once (dC 2, RX2DR/RX2Freq, no
// xtime) through the gateway that heard the device last (NoteUplink), and
// after each dntxed the next one. A confirmed Class C downlink holds the
// queue until the device's next uplink acknowledges it (or not, which
// counts as above).
package downlink
