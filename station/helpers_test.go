package station

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// golden returns testdata/golden/<name>.json without its final newline.
func golden(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden", name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b, []byte("\n"))
}

// checkGolden checks that the golden message decodes to want, and that both
// want and the decoded value encode back to the golden bytes exactly.
func checkGolden(t *testing.T, name string, want Message) {
	t.Helper()
	g := golden(t, name)
	got, err := Decode(g)
	if err != nil {
		t.Fatalf("Decode(%s): %v", name, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Decode(%s):\n got %#v\nwant %#v", name, got, want)
	}
	enc, err := Encode(want)
	if err != nil {
		t.Fatalf("Encode(want %s): %v", name, err)
	}
	if !bytes.Equal(enc, g) {
		t.Errorf("Encode(want %s):\n got %s\nwant %s", name, enc, g)
	}
	enc, err = Encode(got)
	if err != nil {
		t.Fatalf("Encode(decoded %s): %v", name, err)
	}
	if !bytes.Equal(enc, g) {
		t.Errorf("Encode(Decode(%s)):\n got %s\nwant %s", name, enc, g)
	}
}

// unhex decodes hex test data.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// observedMeta is the metadata of the updf Station 2.0.6 sent in the
// notes' simulation run.
var observedMeta = UplinkMeta{
	RefTime: 1795783677.292109,
	DR:      5,
	Freq:    868100000,
	UpInfo: UpInfo{
		XTime:  34621422408357864,
		Fts:    -1,
		RSSI:   -50,
		SNR:    9,
		RxTime: 1795783677.288253,
	},
}
