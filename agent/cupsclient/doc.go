// Package cupsclient is the gateway agent's CUPS client: it asks the
// Configuration and Update Server for new credentials, URIs and updates as
// Basics Station's src/cups.c does, and applies them without ever leaving
// the gateway without a set that works.
//
// # Checks
//
// A check POSTs Station's update-info JSON (package cups) to
// <cups.uri>/update-info over HTTPS, authenticated by the CUPS credential
// set (server trust, and a client certificate or token header lines), and
// reads the binary answer, bounded by Options.MaxResponseSize. The request
// reports the reg sets' URIs and CRCs (the staged set's while one is being
// tried, since it is about to become reg) and the CRCs of the signature keys
// held. A check tries the staged CUPS set first when there is one, then
// reg, bak and boot, until one is answered with 200 (Station moves through
// the same sets across its retries).
//
// Schedule, as Station's: a check at start; the next one
// Options.OKSyncInterval (CUPS_OKSYNC_INTV, 24 h) after a success and
// Options.ResyncInterval (CUPS_RESYNC_INTV, 1 min) after a failure, but the
// long interval whenever the LNS connection is up; when the LNS connection
// comes up, a pending regular check is pushed back to the long interval;
// when the agent reports repeated LNS failures or a rejection (OnRejected),
// a check comes within ResyncInterval. Trigger asks for a check at once.
//
// # Credentials: staged, tried, promoted or rolled back
//
// An answer that changes a URI or credentials is merged with the current
// set of its kind (store/agentstore) and staged, never written over the reg
// set. An answer is refused as a whole when any URI or credential blob in it
// is malformed or unusable, so a bad answer stages nothing.
//
//   - A new CUPS set is tried at once: the next update-info request goes
//     out with it (Station reconnects to CUPS immediately after a CUPS
//     change). If that request is answered, the set is promoted (reg
//     becomes bak, staged becomes reg, one transaction); otherwise it is
//     discarded and the check goes on with the reg, bak and boot sets.
//   - A new TC set restarts the TC engine: the agent's Run is cancelled and
//     started again, and while the trial lasts LoadTC hands the agent the
//     staged set. When the agent reaches StateConnected (router_config
//     received) the set is promoted. After Options.TrialFailures failed
//     connection attempts, a rejection, or Options.TrialTimeout without a
//     connection, it is discarded and the engine restarted on the reg set.
//     Cancelling and restarting Run was chosen over waiting for the next
//     reconnect, because a working connection on the old set may last for
//     days; the restart stops the radio for the moment of the reconnect.
//
// Sets left staged by a process that died during a trial are discarded at
// start: a trial that did not finish failed, and the server sends the set
// again since the reported CRC is still the reg set's.
//
// # Updates
//
// An update is run only when its signature verifies with one of the held
// keys (sig-N.key, cups.Verify tries every one); a gateway that holds a key
// refuses an update without a signature. With no key held, an unsigned
// update is accepted, as Station does. In an answer whose update is refused,
// the credentials are still applied, as Station commits them before it reads
// the update. See Updater for the installation and its rollback.
package cupsclient
