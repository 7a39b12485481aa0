// Package cupsserver is the cloud's CUPS server (Basics Station's
// Configuration and Update Server): gateways POST /update-info over TLS, and
// the server answers with only what differs from the state the cloud wants
// each gateway in — its CUPS and TC URIs, its CUPS and TC credential sets
// (compared by the CRC Station reports), and its target update, signed by a
// key the gateway holds.
//
// Authentication: the TLS server requests a client certificate and checks it
// against the gateway CA during the handshake; the certificate must name the
// EUI of the request's router and be among the gateway's allowed CUPS
// certificates (store.CUPSGateway.AllowsCUPSCert). A gateway without a
// certificate may send its token in an Authorization header instead.
//
// Credential rotation (Rotate) issues new TC and CUPS certificates and makes
// them the desired state while every certificate the gateway holds stays
// valid: the new TC certificate is added to the gateway's allowed list, the
// new CUPS certificate to its CUPS list. The old ones are revoked only once
// the gateway has used the new ones — the TC certificate on the traffic
// endpoint (GatewayConnected, the cloud/gateway OnConnect hook), the CUPS
// certificate on a CUPS request — so a gateway is never left holding keys
// that one endpoint accepts and the other refuses.
//
// Updates: an update is sent only to a gateway whose reported package
// differs from its target version, and only with a signature by one of the
// signing keys the gateway lists (their CRCs in the request's keys); an
// unsigned update is never sent to a gateway that holds keys, and to a
// gateway without keys only when Options.AllowUnsigned is set.
package cupsserver
