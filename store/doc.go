// Package store is the cloud's database: gateways, devices, device sessions
// with their frame counters, DevNonce histories, destinations and downlink
// queues, in one bbolt file, with every key sealed at rest.
//
// # Keys at rest
//
// Root keys, session keys and destination secrets are sealed with
// AES-256-GCM under a key-encryption key (KEK) held outside the file (a 0600
// file, LoadOrCreateKEK, or LORAEDGE_KEK). Each record's secrets form one
// sealed value whose associated data is the bucket name and the record id,
// so a sealed value copied to another record does not open. A random 12-byte
// nonce is drawn per seal; keys are resealed only when they change (counter
// updates reuse the sealed value), which keeps the number of seals under one
// KEK far below the 2^32 random-nonce bound. The store records the KEK's id
// (a truncated hash) and Open refuses another KEK with ErrWrongKEK.
// RotateKEK rewraps every sealed value in one transaction; RotateKEKFile and
// OpenWithKEKFile make the swap of the KEK file crash-safe.
//
// Keys never reach a log line, an error or a listing: key-holding types
// (KEK, RootKeys, SessionKeys, Secret) print, log and marshal as
// "[redacted]", record structs skip them in JSON, and List methods return
// records without them.
//
// # Durability and group commit
//
// Hot writes (AdvanceFCntUp, NextFCntDown, AcceptDevNonce, UpdateSession,
// TouchGateway) go through bbolt's DB.Batch: calls that arrive within
// Options.MaxBatchDelay share one transaction and one fsync. A call returns
// only after its transaction is committed and synced, so a frame counter the
// caller saw accepted is never lost by a crash. Refusals (ErrFCntReplay,
// ErrDevNonceReused, …) do not roll back the other calls of the batch.
//
// # Layout
//
// One bucket per record kind; records are an envelope of the sealed part
// and the JSON of the public fields. Sessions are keyed by DevEUI and slot
// (active, pending); a DevAddr index (DevAddr‖DevEUI) gives the candidates
// of an uplink; downlink queues are keyed DevEUI‖sequence (big-endian
// NextSequence), so a cursor walks them in order.
package store
