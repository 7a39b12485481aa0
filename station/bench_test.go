package station

import "testing"

func BenchmarkDecodeUpdf(b *testing.B) {
	g := golden(b, "updf")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(g); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeUpdf(b *testing.B) {
	m, err := Decode(golden(b, "updf"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSplitUplink(b *testing.B) {
	frame := unhex(b, "4004030201030000020305016a3798f5b64dc039")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := SplitUplink(frame, observedMeta); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkUpdfPHYPayload(b *testing.B) {
	m, err := SplitUplink(unhex(b, "4004030201030000020305016a3798f5b64dc039"), observedMeta)
	if err != nil {
		b.Fatal(err)
	}
	u := m.(*Updf)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := u.PHYPayload(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeJreq(b *testing.B) {
	m, err := Decode(golden(b, "jreq"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode(m); err != nil {
			b.Fatal(err)
		}
	}
}
