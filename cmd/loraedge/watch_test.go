package main

import "testing"

// TestFormatWatched: the topic, then the JSON indented on the next lines or
// compact on the same one, the decoded payload of an uplink, and anything
// that is not JSON quoted; no line ends in a space.
func TestFormatWatched(t *testing.T) {
	for _, tc := range []struct {
		name    string
		payload string
		compact bool
		want    string
	}{
		{"indented", `{"a":1}`, false, "t/1\n{\n  \"a\": 1\n}"},
		{"compact", `{ "a": 1 }`, true, `t/1 {"a":1}`},
		{"uplink", `{"PayloadData":"AQI="}`, true, "t/1 {\"PayloadData\":\"AQI=\"}\n  payload: 0102 \"\\x01\\x02\""},
		{"not json", `hello`, false, `t/1 "hello"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := formatWatched("t/1", []byte(tc.payload), tc.compact); got != tc.want {
				t.Errorf("formatWatched(%q, compact %v)\n got %q\nwant %q", tc.payload, tc.compact, got, tc.want)
			}
		})
	}
}
