// Package admin manages the cloud's resources — gateways, devices,
// destinations, and the gateways' CUPS state, credentials, signing keys and
// updates — in the AWS-like model the CLI exposes: a Service that
// validates requests and applies them to the store, an HTTP handler that
// serves the Service as /api/v1 with a bearer token while the cloud runs
// (the store is then locked by the cloud), and a Client with the same
// methods, so `loraedge gateway|device|destination` work the same whether
// they open the store or talk to the running cloud; the same holds for
// `loraedge cups`, `loraedge update`, `gateway rotate` and `gateway
// cups-home`.
//
// # HTTP API
//
// Every request carries "Authorization: Bearer TOKEN". Bodies are JSON.
//
//	GET    /api/v1/gateways            list           → {"gateways": [Gateway…]}
//	POST   /api/v1/gateways            create         GatewaySpec → 201 Gateway, 409 if it exists
//	GET    /api/v1/gateways/{eui}      read one       → Gateway
//	PUT    /api/v1/gateways/{eui}      create/replace GatewaySpec → 200 Gateway
//	DELETE /api/v1/gateways/{eui}      delete         → 204
//
// and the same for /api/v1/devices/{deveui} (DeviceSpec, Device) and
// /api/v1/destinations/{name} (DestinationSpec, Destination). Errors are
// {"error": "...", "code": "invalid|unauthorized|not_found|exists|in_use|internal"}.
//
// The CUPS routes work on the store the running cloud's CUPS server and
// gateway endpoint read on every request, so a change holds from their
// next request on, without a restart:
//
//	GET   /api/v1/cups                     CUPS state of every gateway → CUPSStatus
//	GET   /api/v1/gateways/{eui}/cups      one gateway's → CUPSStatus
//	PATCH /api/v1/gateways/{eui}/cups      set tc.uri, cups.uri, target: CUPSSettings → CUPSGateway
//	POST  /api/v1/gateways/{eui}/rotate    new credentials, delivered by CUPS: RotateSpec → Rotation
//	POST  /api/v1/gateways/{eui}/cups-home the same, for a bootstrap home: RotateSpec → CUPSHome
//	POST  /api/v1/signing-keys             make an update-signing key: SigningKeySpec → 201 SigningKey
//	GET   /api/v1/updates                  keys, updates, fleet target → UpdateList
//	POST  /api/v1/updates?version=V&key=K[&replace=true][&noTarget=true][&eui=E…]
//	                                       sign and store the body → SignedUpdate
//
// POST /api/v1/updates takes the update's bytes as the body itself
// (application/octet-stream, not JSON), at most MaxUpdateSize (128 MiB;
// 413 beyond), read into one buffer of the announced length.
//
// # Secrets
//
// Keys and tokens go in (request specs) and never come out: responses,
// listings, errors and logs carry no key, no gateway token and no token
// hash. Key and Secret values print and log as "[redacted]"; they marshal to
// JSON only so that a Client can send them. The one exception is the answer
// of cups-home, whose purpose is to hand the operator the new CUPS client
// key for the gateway's cups.key (a PrivateKey, which prints and logs as
// "[redacted]" too). Update-signing keys are made by the store's owner
// (POST /api/v1/signing-keys) and never leave it; the TC key of a rotation
// reaches the gateway through CUPS only. Requests carrying keys travel in
// clear only over loopback: the handler refuses plain HTTP from any other
// address, and the Client refuses an http:// URL that is not loopback.
package admin
