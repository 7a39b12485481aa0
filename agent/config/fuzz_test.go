package config

import "testing"

// FuzzParseStationConf feeds arbitrary text to the station.conf reader: it
// must return an error or a configuration, never panic, and comment
// stripping keeps the text's length (so JSON error offsets stay right).
func FuzzParseStationConf(f *testing.F) {
	f.Add([]byte(minimalStationConf))
	f.Add([]byte(`{"SX1302_conf": {"radio_0x1": {"type": "SX1250"}}, "station_conf": {"routerid": "::1", "pps": "gps"}}`))
	f.Add([]byte(`{"station_conf": {"routerid": "b827eb6151a5", "euiprefix": "1::", "TC_TIMEOUT": 2}}`))
	f.Add([]byte("{/* \" */ \"a\": \"//\"} // x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		clean, err := stripComments(b)
		if err == nil && len(clean) != len(b) {
			t.Fatalf("stripComments changed the length from %d to %d", len(b), len(clean))
		}
		cfg := Default()
		_ = parseStationConf(&cfg, b, "/home/station")
	})
}
