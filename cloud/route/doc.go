// Package route delivers what the cloud has to say about devices to their
// destinations, in the message shape of AWS IoT Core for LoRaWAN, and runs
// the MQTT side of the downlink API.
//
// # Destinations and rules
//
// Each device names a destination (store.Destination). A destination's
// rule is one of:
//
//   - MQTT: publish to the topic its text/template renders, with its QoS.
//     The template sees TopicFields: {{.DevEui}}, {{.WirelessDeviceId}},
//     {{.DevAddr}}, {{.FPort}}, {{.Destination}} and {{.Event}} ("uplink",
//     "join" or a downlink event name), e.g. "lorawan/{{.DevEui}}/up".
//     Templates are parsed once, when the router is built or updated. All
//     MQTT traffic of a Router shares one paho client, which reconnects by
//     itself.
//   - HTTP: POST the JSON to a webhook, with an optional secret header
//     (e.g. Authorization). A message the webhook does not take (network
//     error, 408, 425, 429, 5xx) goes to a persistent, bounded Queue and is
//     retried with exponential backoff, in order, until it is taken; when
//     the queue is full the oldest message is dropped and counted. Delivery
//     from the queue is at least once: a crash between the webhook's answer
//     and the queue update repeats a message.
//
// Router.Metrics counts published, failed, queued, dropped and retried
// messages per destination.
//
// # Messages
//
// An uplink is published as Uplink, the AWS IoT Core for LoRaWAN uplink
// (DataRate and Frequency are JSON strings, hex in lower case):
//
//	{"WirelessDeviceId":"sensor-1","PayloadData":"AQID",
//	 "WirelessMetadata":{"LoRaWAN":{"ADR":true,"Bandwidth":125,"ClassB":false,
//	  "CodeRate":"4/5","DataRate":"5","DevAddr":"26011bda","DevEui":"0004a30b001c0530",
//	  "FCnt":42,"FOptLen":0,"FPort":2,"Frequency":"868100000",
//	  "Gateways":[{"GatewayEui":"b827ebfffe000001","Rssi":-57,"Snr":9.5}],
//	  "MIC":"1a2b3c4d","MType":"UnconfirmedDataUp","Major":"LoRaWANR1",
//	  "Modulation":"LORA","PolarizationInversion":false,"SpreadingFactor":7,
//	  "Timestamp":"2024-03-01T12:00:00.250Z"}}}
//
// A join goes through the same destination as a JoinEvent:
//
//	{"Event":"join","WirelessDeviceId":"sensor-1","DevEui":"0004a30b001c0530",
//	 "DevAddr":"26011bda","JoinEui":"70b3d57ed0000000","MACVersion":"1.0",
//	 "Gateways":[…],"Timestamp":"…"}
//
// # Downlink API
//
// Like AWS's SendDataToWirelessDevice, a client publishes
//
//	{"FPort":2,"PayloadData":"AQID","Confirmed":true}
//
// to <prefix>/downlink/<DevEui> (prefix "loraedge" by default; QoS 1). Do
// not retain requests: the broker replays a retained message at every
// subscription, so the router refuses messages that arrive with the RETAIN
// flag (replays). The router validates it with ParseDownlinkRequest (the
// cloud's HTTP API uses the same function) and hands it to the
// DownlinkSink. What becomes of it is published as a DownlinkEvent on
// <prefix>/events/<DevEui>:
//
//	{"Event":"downlink_refused","DevEui":"0004a30b001c0530","Confirmed":false,
//	 "Reason":"route: invalid downlink request: FPort 0, want 1..223","Timestamp":"…"}
//
// Event is downlink_queued or downlink_refused (published by the router),
// downlink_sent, downlink_ack or downlink_dropped (published by the
// downlink scheduler through Router.PublishEvent; downlink_dropped means a
// confirmed downlink was not acknowledged after Attempts transmissions).
// From downlink_queued on, MessageId is the queue's id of the downlink, so
// the later events of a request can be told from another's. A
// request whose topic does not end in a readable DevEui cannot be answered
// and is only logged.
package route
