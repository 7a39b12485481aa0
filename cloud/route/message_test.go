package route

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

func eui(t testing.TB, s string) lorawan.EUI64 {
	t.Helper()
	e, err := lorawan.ParseEUI64(s)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func devAddr(t testing.TB, s string) lorawan.DevAddr {
	t.Helper()
	a, err := lorawan.ParseDevAddr(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// golden reads testdata/name and returns it compacted (member order and
// number spelling kept).
func golden(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b.Bytes()
}

// awsExampleUplink is the uplink of AWS's "View format of uplink messages"
// example (with its 15-digit DevEui completed to 16 digits).
func awsExampleUplink(t testing.TB) *Uplink {
	return &Uplink{
		WirelessDeviceId: "5b58245e-146c-4c30-9703-0ca942e3ff35",
		PayloadData:      Payload{0x09, 0xce, 0x3c, 0, 0, 0, 0, 0, 0, 0, 0},
		WirelessMetadata: WirelessMetadata{LoRaWAN: LoRaWANMetadata{
			Bandwidth:       125,
			CodeRate:        CodeRate4_5,
			DataRate:        0,
			DevAddr:         devAddr(t, "00b96cd4"),
			DevEui:          eui(t, "58a0cb0000202c99"),
			FCnt:            1,
			FOptLen:         2,
			FPort:           136,
			Frequency:       868100000,
			Gateways:        []Gateway{{GatewayEui: eui(t, "80029cfffe5cf1cc"), Rssi: -29, Snr: 9.75}},
			MIC:             MIC{0x72, 0x55, 0xcb, 0x07},
			MType:           lorawan.UnconfirmedDataUp.String(),
			Major:           MajorLoRaWANR1,
			Modulation:      ModulationLoRa,
			SpreadingFactor: 12,
			Timestamp:       Timestamp(time.Date(2021, 5, 3, 3, 24, 29, 0, time.UTC)),
		}},
	}
}

func TestMessageGolden(t *testing.T) {
	t.Parallel()
	paris := time.FixedZone("CET", 3600)
	tests := []struct {
		name   string
		file   string
		msg    Message
		decode any // a fresh value to decode the golden file into
	}{
		{name: "aws example", file: "uplink-aws-example.json", msg: awsExampleUplink(t), decode: new(Uplink)},
		{
			name: "two gateways, empty payload, local time",
			file: "uplink-two-gateways.json",
			msg: &Uplink{
				WirelessDeviceId: "sensor-1",
				PayloadData:      nil,
				WirelessMetadata: WirelessMetadata{LoRaWAN: LoRaWANMetadata{
					ADR: true, Bandwidth: 125, ClassB: true, CodeRate: CodeRate4_5, DataRate: 5,
					DevAddr: devAddr(t, "26011bda"), DevEui: eui(t, "0004a30b001c0530"),
					FCnt: 65537, Frequency: 867500000,
					Gateways: []Gateway{
						{GatewayEui: eui(t, "b827ebfffe000001"), Rssi: -57, Snr: 9.5},
						{GatewayEui: eui(t, "b827ebfffe000002"), Rssi: -110.25, Snr: -7.25},
					},
					MIC: MIC{0xde, 0xad, 0xbe, 0xef}, MType: lorawan.ConfirmedDataUp.String(),
					Major: MajorLoRaWANR1, Modulation: ModulationLoRa, SpreadingFactor: 7,
					// 23:30:00.123456 in UTC+1 is 22:30:00.123 UTC; sub-ms digits dropped.
					Timestamp: Timestamp(time.Date(2024, 2, 29, 23, 30, 0, 123456789, paris)),
				}},
			},
			decode: new(Uplink),
		},
		{
			name: "join",
			file: "join.json",
			msg: &JoinEvent{
				WirelessDeviceId: "sensor-1", DevEui: eui(t, "0004a30b001c0530"), DevAddr: devAddr(t, "26011bda"),
				JoinEui: eui(t, "70b3d57ed0000000"), MACVersion: lorawan.MACVersion1_1.String(),
				Gateways:  []Gateway{{GatewayEui: eui(t, "b827ebfffe000001"), Rssi: -57, Snr: 9.5}},
				Timestamp: Timestamp(time.Date(2024, 3, 1, 12, 0, 0, 250e6, time.UTC)),
			},
			decode: new(JoinEvent),
		},
		{
			name: "downlink dropped",
			file: "downlink-dropped.json",
			msg: &DownlinkEvent{
				Event: EventDownlinkDropped, WirelessDeviceId: "sensor-1", DevEui: eui(t, "0004a30b001c0530"),
				MessageId: "q-17", FPort: 10, Confirmed: true, FCnt: 9, Attempts: 3,
				Reason:    "not acknowledged after 3 transmissions",
				Timestamp: Timestamp(time.Date(2024, 3, 1, 12, 0, 7, 0, time.UTC)),
			},
			decode: new(DownlinkEvent),
		},
		{
			name: "downlink refused",
			file: "downlink-refused.json",
			msg: &DownlinkEvent{
				Event: EventDownlinkRefused, DevEui: eui(t, "0004a30b001c0530"),
				Reason:    "route: invalid downlink request: FPort 0, want 1..223",
				Timestamp: Timestamp(time.Date(2024, 3, 1, 12, 0, 7, 0, time.UTC)),
			},
			decode: new(DownlinkEvent),
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := golden(t, tc.file)
			got, err := json.Marshal(tc.msg)
			if err != nil {
				t.Fatalf("Marshal: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Marshal:\n got %s\nwant %s", got, want)
			}
			// The golden file decodes back to the same JSON.
			if err := json.Unmarshal(want, tc.decode); err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			again, err := json.Marshal(tc.decode)
			if err != nil {
				t.Fatalf("Marshal decoded: %v", err)
			}
			if !bytes.Equal(again, want) {
				t.Errorf("round trip:\n got %s\nwant %s", again, want)
			}
		})
	}
}

// TestUplinkValueTypes pins the JSON types AWS uses, independently of the
// golden files: DataRate and Frequency strings, Rssi/Snr numbers, every
// LoRaWAN member present.
func TestUplinkValueTypes(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal(awsExampleUplink(t))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		WirelessMetadata struct{ LoRaWAN map[string]any }
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	m := v.WirelessMetadata.LoRaWAN
	kinds := map[string]string{
		"ADR": "bool", "Bandwidth": "float64", "ClassB": "bool", "CodeRate": "string",
		"DataRate": "string", "DevAddr": "string", "DevEui": "string", "FCnt": "float64",
		"FOptLen": "float64", "FPort": "float64", "Frequency": "string", "Gateways": "[]interface {}",
		"MIC": "string", "MType": "string", "Major": "string", "Modulation": "string",
		"PolarizationInversion": "bool", "SpreadingFactor": "float64", "Timestamp": "string",
	}
	for name, want := range kinds {
		got, ok := m[name]
		if !ok {
			t.Errorf("LoRaWAN.%s missing", name)
			continue
		}
		if g := reflect.TypeOf(got).String(); g != want {
			t.Errorf("LoRaWAN.%s is %s (%v), want %s", name, g, got, want)
		}
	}
	if len(m) != len(kinds) {
		t.Errorf("LoRaWAN has %d members, want %d: %v", len(m), len(kinds), m)
	}
	gw := m["Gateways"].([]any)[0].(map[string]any)
	for name, want := range map[string]string{"GatewayEui": "string", "Rssi": "float64", "Snr": "float64"} {
		if g := reflect.TypeOf(gw[name]).String(); g != want {
			t.Errorf("Gateways[0].%s is %s, want %s", name, g, want)
		}
	}
}

func TestTopicFields(t *testing.T) {
	t.Parallel()
	up := awsExampleUplink(t)
	tests := []struct {
		name string
		msg  Message
		want TopicFields
	}{
		{"uplink", up, TopicFields{DevEui: "58a0cb0000202c99", WirelessDeviceId: up.WirelessDeviceId, DevAddr: "00b96cd4", FPort: 136, Event: "uplink"}},
		{"join", &JoinEvent{WirelessDeviceId: "d", DevEui: eui(t, "0102030405060708"), DevAddr: devAddr(t, "0a0b0c0d")},
			TopicFields{DevEui: "0102030405060708", WirelessDeviceId: "d", DevAddr: "0a0b0c0d", Event: "join"}},
		{"downlink event", &DownlinkEvent{Event: EventDownlinkAck, WirelessDeviceId: "d", DevEui: eui(t, "0102030405060708"), FPort: 3},
			TopicFields{DevEui: "0102030405060708", WirelessDeviceId: "d", FPort: 3, Event: "downlink_ack"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.msg.TopicFields(); got != tc.want {
				t.Errorf("TopicFields() = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestScalarTextErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json string
		into       any
	}{
		{"mic short", `"7255cb"`, new(MIC)},
		{"mic not hex", `"7255cbzz"`, new(MIC)},
		{"payload not base64", `"%%%"`, new(Payload)},
		{"payload unpadded", `"AQI"`, new(Payload)},
		{"timestamp not rfc3339", `"2021-05-03 03:24:29"`, new(Timestamp)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := json.Unmarshal([]byte(tc.json), tc.into); err == nil {
				t.Errorf("Unmarshal(%s) = nil error, want one", tc.json)
			}
		})
	}
	if _, err := json.Marshal(Timestamp(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))); err == nil || !strings.Contains(err.Error(), "year") {
		t.Errorf("Marshal(year 10000) error = %v, want a year error", err)
	}
}
