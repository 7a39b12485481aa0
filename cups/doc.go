// Package cups holds the wire format of the Basics Station Configuration and
// Update Server (CUPS) protocol, exactly as Station 2.0.6 reads and writes it
// (lorabasics/basicstation src/cups.c and src/sys.c): the JSON body a gateway
// POSTs to /update-info, the binary answer, the credential blob carried in that
// answer, Station's CRC32 over its credential files, and the ECDSA signature
// that guards an update. Both the cloud (CUPS server) and the agent (CUPS
// client) use it; the server logic and the client loop live elsewhere.
//
// The answer is a sequence of little-endian length-prefixed segments, an empty
// segment meaning "unchanged":
//
//	u8  len | cupsUri      CUPS URI
//	u8  len | tcUri        LNS (TC) URI
//	u16 len | cupsCred     credential blob for CUPS
//	u16 len | tcCred       credential blob for the LNS
//	u32 len | sig          u32 key CRC + DER ECDSA P-256 signature, len = 4 + DER (8..132)
//	u32 len | updData      update (agent binary, package, script)
//
// so an answer with nothing to change is 14 zero bytes.
//
// A credential blob is trust ‖ cert ‖ key: the CA certificate (DER), the
// client certificate (DER, or 4 zero bytes when there is none) and the
// private key (DER), or instead of a key the text of HTTP header lines that
// Station sends as a token. Station writes the three parts to {tc,cups}.trust,
// .crt and .key and reports CRC32 over those files in its next request.
package cups
