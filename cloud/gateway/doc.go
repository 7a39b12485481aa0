// Package gateway is the cloud's Basics Station LNS endpoint: the
// /router-info discovery socket and the /traffic/{eui} socket over mutual
// TLS, the router_config each gateway gets from its region, and the hand-off
// of decoded uplinks to the rest of the cloud.
//
// Authentication: the TLS server requests a client certificate and checks it
// against the gateway CA during the handshake (expired certificates and
// certificates of other CAs never get past it); the HTTP layer then requires
// that the certificate names the gateway (EUIFromCertificate), or, for a
// gateway without a certificate, that its Authorization header carries the
// gateway's token (compared in constant time with the stored SHA-256). Every
// refusal is one log line with its reason; tokens are never logged.
//
// Sessions: one traffic socket per gateway. A new connection supersedes the
// old one, which is closed; websocket pings detect a gateway that stopped
// answering, and a socket silent for longer than the idle timeout is dropped.
// At every ping the session's credentials are checked again against the
// registry, so a gateway that is removed, or whose certificate or token is
// revoked, is cut off within a ping interval.
//
// What the package needs from the rest of the cloud are two small
// interfaces: Registry (the gateways' records) and Handler (where decoded
// uplinks go). Server.Send writes a downlink message to a connected gateway.
package gateway
