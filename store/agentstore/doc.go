// Package agentstore is the gateway agent's database (agent.db): the
// credential sets the agent connects with, as Basics Station keeps them in
// its home directory, and the uplink spool that carries frames across a
// backhaul outage. It is one bbolt file, mode 0600, in a data directory of
// mode 0700.
//
// # Credentials
//
// A credential set is a server URI with its trust, client certificate and
// key (or token) exactly as they came, PEM or DER, so that its CRC (CRC) is
// the one Station reports to CUPS for the same files (package cups,
// CredCRC). There are two kinds, "tc" (the LNS) and "cups", and three sets
// per kind tried in Station's order: reg, bak, boot. A new set (from CUPS)
// is staged, tried, and promoted after a successful connection: the reg set
// moves to bak and the staged set becomes reg, in one transaction
// (PromoteStaged); a set that fails is discarded (DiscardStaged).
// ImportCredentials writes sets read from files at start, but leaves a set
// alone when its files have not changed since the last import, so that a
// set CUPS installed is not overwritten by the stale files it replaced.
//
// The private key of a set is stored in clear. Unlike the cloud, a gateway
// has no place to keep a key-encryption key apart from the data it would
// protect (Station itself keeps tc.key in a plain file), so sealing would
// only move the secret next door. The protection is the file system: the
// database file is created 0600 (and tightened to 0600 when found looser),
// its directory 0700. Keys and tokens never appear in a log line, an error
// or the fmt and slog output of Credentials.
//
// # Spool
//
// Uplinks received while the LNS is unreachable are kept in arrival order
// under big-endian keys from bbolt's NextSequence, so a cursor walks them
// oldest first. The spool is bounded by count (Options.SpoolMaxCount) and by
// age (Options.SpoolMaxAge); the oldest records go first and every record
// dropped is counted in SpoolStats. Each SpoolPut is its own committed and
// synced transaction: once it returns nil the record survives kill -9 or a
// power cut. The agent sends records from SpoolPeek and deletes them with
// SpoolDelete once the LNS accepted them, so a crash in between sends a
// record twice at worst, never loses it.
package agentstore
