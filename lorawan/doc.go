// Package lorawan holds the LoRaWAN link layer that every other part of
// loraedge stands on: the PHYPayload codec for every message type, MAC
// commands, frame security (MIC, FRMPayload and FOpts encryption, join-accept
// and key derivation for LoRaWAN 1.0.x and 1.1) and the regional parameters.
//
// Identifiers (EUIs, DevAddr, NetID) are held MSB-first, in the order people
// write them; the codec turns them into LoRaWAN's little-endian wire order.
// The uplink path (parse, MIC check, decrypt) is built to run without
// allocation or key schedule once a Session is cached for the device.
package lorawan
