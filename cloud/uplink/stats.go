package uplink

import (
	"errors"
	"sync/atomic"

	"github.com/loraedge/loraedge/cloud/dedup"
	"github.com/loraedge/loraedge/cloud/join"
	"github.com/loraedge/loraedge/lorawan"
	"github.com/loraedge/loraedge/store"
)

// Reason names why an uplink was refused; Stats counts refusals by these
// names.
type Reason uint8

// Refusal reasons.
const (
	ReasonMalformed             Reason = iota // not a frame lorawan decodes, or of a type not handled
	ReasonUnknownDevAddr                      // no session has the DevAddr
	ReasonWrongMIC                            // no candidate session's MIC matches
	ReasonReplay                              // the frame counter of the last accepted uplink again
	ReasonOldFCnt                             // a frame counter below the last accepted one
	ReasonFCntExhausted                       // the 32-bit frame counter wrapped: the device must rejoin
	ReasonUnknownDevEUI                       // join: no device has the DevEUI
	ReasonJoinEUIMismatch                     // join: the JoinEUI is not the device's
	ReasonNotOTAA                             // join: the device is ABP
	ReasonDevNonceReused                      // join (1.0.x): DevNonce seen before
	ReasonDevNonceNotIncreasing               // join (1.1): DevNonce not above the last
	ReasonRejoinCountReused                   // rejoin: RJcount not above the last
	ReasonJoinNonceExhausted                  // join: the device's JoinNonce is used up
	ReasonNetIDMismatch                       // rejoin type 0/2 for another network
	ReasonNoSession                           // rejoin type 0/2 without a 1.1 session
	ReasonRejoinVersion                       // rejoin from a 1.0.x device
	ReasonNotScheduled                        // join-accept not scheduled
	ReasonDeviceError                         // the device record is unusable (unknown region…)
	ReasonStoreError                          // the store failed
	ReasonOverload                            // dropped at shutdown or with the pipeline closed
	numReasons
)

// String returns the reason's name as Stats reports it.
func (r Reason) String() string {
	switch r {
	case ReasonMalformed:
		return "malformed"
	case ReasonUnknownDevAddr:
		return "unknown_devaddr"
	case ReasonWrongMIC:
		return "wrong_mic"
	case ReasonReplay:
		return "replay"
	case ReasonOldFCnt:
		return "old_fcnt"
	case ReasonFCntExhausted:
		return "fcnt_exhausted"
	case ReasonUnknownDevEUI:
		return "unknown_deveui"
	case ReasonJoinEUIMismatch:
		return "joineui_mismatch"
	case ReasonNotOTAA:
		return "not_otaa"
	case ReasonDevNonceReused:
		return "devnonce_reused"
	case ReasonDevNonceNotIncreasing:
		return "devnonce_not_increasing"
	case ReasonRejoinCountReused:
		return "rjcount_reused"
	case ReasonJoinNonceExhausted:
		return "joinnonce_exhausted"
	case ReasonNetIDMismatch:
		return "netid_mismatch"
	case ReasonNoSession:
		return "no_session"
	case ReasonRejoinVersion:
		return "rejoin_version"
	case ReasonNotScheduled:
		return "not_scheduled"
	case ReasonDeviceError:
		return "device_error"
	case ReasonStoreError:
		return "store_error"
	case ReasonOverload:
		return "overload"
	}
	return "unknown"
}

// joinReason classifies an error of the join server.
func joinReason(err error) Reason {
	switch {
	case errors.Is(err, lorawan.ErrMalformed):
		return ReasonMalformed
	case errors.Is(err, join.ErrUnknownDevice):
		return ReasonUnknownDevEUI
	case errors.Is(err, join.ErrJoinEUI):
		return ReasonJoinEUIMismatch
	case errors.Is(err, join.ErrNotOTAA):
		return ReasonNotOTAA
	case errors.Is(err, join.ErrMIC):
		return ReasonWrongMIC
	case errors.Is(err, store.ErrDevNonceReused):
		return ReasonDevNonceReused
	case errors.Is(err, store.ErrDevNonceNotIncreasing):
		return ReasonDevNonceNotIncreasing
	case errors.Is(err, store.ErrRejoinCountReused):
		return ReasonRejoinCountReused
	case errors.Is(err, store.ErrJoinNonceExhausted):
		return ReasonJoinNonceExhausted
	case errors.Is(err, join.ErrNetID):
		return ReasonNetIDMismatch
	case errors.Is(err, join.ErrNoSession):
		return ReasonNoSession
	case errors.Is(err, join.ErrRejoinVersion):
		return ReasonRejoinVersion
	case errors.Is(err, join.ErrNotScheduled):
		return ReasonNotScheduled
	case errors.Is(err, lorawan.ErrUnknownRegion):
		return ReasonDeviceError
	}
	return ReasonStoreError
}

// Stats counts what the pipeline did since it started.
type Stats struct {
	// Messages counts the station messages handed in, by msgtype.
	Messages map[string]uint64
	// Dedup is the deduplicator's view: frames, merged copies, repeats
	// from one gateway, late copies.
	Dedup dedup.Stats
	// Uplinks counts data uplinks accepted (frame counter advanced).
	Uplinks uint64
	// Retransmissions counts retransmissions of a confirmed uplink, ACKed
	// again and not routed.
	Retransmissions uint64
	// Routed counts uplinks published to their destination, RouteFailed
	// those the destination did not take, Unrouted accepted uplinks with no
	// destination or no application payload.
	Routed, RouteFailed, Unrouted uint64
	// Joins counts join-accepts scheduled (rejoins included).
	Joins uint64
	// MACErrors counts uplinks whose MAC commands could not all be read.
	MACErrors uint64
	// DownlinkFailed counts Class A answers the scheduler refused.
	DownlinkFailed uint64
	// Refused counts refused uplinks by reason (Reason.String).
	Refused map[string]uint64
}

// counters are the pipeline's atomic counters.
type counters struct {
	updf, jreq, rejoin, propdf, dntxed, other       atomic.Uint64
	uplinks, retrans, routed, routeFailed, unrouted atomic.Uint64
	joins, macErrors, downlinkFailed                atomic.Uint64
	refused                                         [numReasons]atomic.Uint64
}

// Stats returns the counters.
func (p *Pipeline) Stats() Stats {
	c := &p.c
	st := Stats{
		Messages: map[string]uint64{
			"updf": c.updf.Load(), "jreq": c.jreq.Load(), "rejoin": c.rejoin.Load(),
			"propdf": c.propdf.Load(), "dntxed": c.dntxed.Load(), "other": c.other.Load(),
		},
		Dedup:           p.dedup.Stats(),
		Uplinks:         c.uplinks.Load(),
		Retransmissions: c.retrans.Load(),
		Routed:          c.routed.Load(),
		RouteFailed:     c.routeFailed.Load(),
		Unrouted:        c.unrouted.Load(),
		Joins:           c.joins.Load(),
		MACErrors:       c.macErrors.Load(),
		DownlinkFailed:  c.downlinkFailed.Load(),
		Refused:         make(map[string]uint64, numReasons),
	}
	for r := range numReasons {
		st.Refused[r.String()] = c.refused[r].Load()
	}
	return st
}

// RefusedTotal is the sum of Refused.
func (s Stats) RefusedTotal() uint64 {
	var n uint64
	for _, v := range s.Refused {
		n += v
	}
	return n
}
