// Package admin manages the cloud's resources — gateways, devices and
// destinations — in the AWS-like model the CLI exposes: a Service that
// validates requests and applies them to the store, an HTTP handler that
// serves the Service as /api/v1 with a bearer token while the cloud runs
// (the store is then locked by the cloud), and a Client with the same
// methods, so `loraedge gateway|device|destination` work the same whether
// they open the store or talk to the running cloud.
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
// # Secrets
//
// Keys and tokens go in (request specs) and never come out: responses,
// listings, errors and logs carry no key, no gateway token and no token
// hash. Key and Secret values print and log as "[redacted]"; they marshal to
// JSON only so that a Client can send them. Requests carrying keys travel in
// clear only over loopback: the handler refuses plain HTTP from any other
// address, and the Client refuses an http:// URL that is not loopback.
package admin
