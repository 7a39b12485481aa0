package lorawan_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/loraedge/loraedge/lorawan"
)

// FuzzPHYPayload checks that no input makes the codec panic, that every
// error wraps ErrMalformed, and that whatever decodes encodes back to the
// same bytes. It also runs the clear-text readers (MAC commands in FOpts, a
// join-accept body as if decrypted) on what the frame carries.
func FuzzPHYPayload(f *testing.F) {
	for _, tt := range phyRoundTripCases() {
		f.Add(codecMustHex(tt.hex))
	}
	f.Add([]byte{})
	f.Add(codecMustHex("40 04030201 0f 0000 0102030405 11223344"))
	f.Add(codecMustHex("c0 03 030201 0807060504030201 0500 01020304"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var p lorawan.PHYPayload
		if err := p.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("UnmarshalBinary(%x) error %v does not wrap ErrMalformed", b, err)
			}
			return
		}
		enc, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("UnmarshalBinary(%x) = %+v, but MarshalBinary fails: %v", b, p, err)
		}
		if !bytes.Equal(enc, b) {
			t.Fatalf("MarshalBinary(UnmarshalBinary(%x)) = %x", b, enc)
		}
		var q lorawan.PHYPayload
		if err := q.UnmarshalBinary(enc); err != nil || !reflect.DeepEqual(p, q) {
			t.Fatalf("decoding the re-encoded frame: %+v, %v; want %+v", q, err, p)
		}
		switch p.MHDR.MType {
		case lorawan.UnconfirmedDataUp, lorawan.UnconfirmedDataDown, lorawan.ConfirmedDataUp, lorawan.ConfirmedDataDown:
			cmds, _ := lorawan.ParseMACCommands(p.FHDR.FOpts, p.MHDR.MType.Uplink())
			if out, err := lorawan.AppendMACCommands(nil, cmds...); err != nil || !bytes.HasPrefix(p.FHDR.FOpts, out) {
				t.Fatalf("FOpts %x: re-encoded commands %x, %v are not its prefix", p.FHDR.FOpts, out, err)
			}
		case lorawan.JoinAccept:
			body := p.JoinAccept[:len(p.JoinAccept)-4]
			var ja lorawan.JoinAcceptPayload
			if err := ja.UnmarshalBinary(body); err == nil {
				if out, err := ja.MarshalBinary(); err != nil || !bytes.Equal(out, body) {
					t.Fatalf("join-accept body %x re-encodes to %x, %v", body, out, err)
				}
			} else if !errors.Is(err, lorawan.ErrMalformed) {
				t.Fatalf("JoinAcceptPayload.UnmarshalBinary(%x) error %v does not wrap ErrMalformed", body, err)
			}
		}
	})
}

// macWalk runs the zero-allocation walker over b like a caller would.
func macWalk(b []byte, uplink bool) (cids []lorawan.CID, payloads [][]byte, err error) {
	for len(b) > 0 {
		cid, payload, rest, err := lorawan.NextMACCommand(b, uplink)
		if err != nil {
			if len(rest) != len(b) {
				return cids, payloads, errors.New("walker consumed bytes on error")
			}
			return cids, payloads, err
		}
		cids = append(cids, cid)
		payloads = append(payloads, payload)
		b = rest
	}
	return cids, payloads, nil
}

// FuzzMACCommands checks, in both directions, that the walker and the typed
// parser agree on every command and on where and why they stop, and that
// re-encoding the typed commands reproduces exactly the bytes they came from.
func FuzzMACCommands(f *testing.F) {
	for _, tt := range macCases {
		f.Add(codecMustHex(tt.hex))
	}
	f.Add(codecMustHex("02 0305 067307"))
	f.Add(codecMustHex("02 0305 42 01"))
	f.Add(codecMustHex("03 52ff00e1"))
	f.Add([]byte{0x80})
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, uplink := range []bool{true, false} {
			cids, payloads, werr := macWalk(b, uplink)
			if werr != nil && !errors.Is(werr, lorawan.ErrUnknownMACCommand) && !errors.Is(werr, lorawan.ErrMalformed) {
				t.Fatalf("uplink=%v walker error %v wraps neither sentinel", uplink, werr)
			}
			cmds, perr := lorawan.ParseMACCommands(b, uplink)
			if len(cmds) > len(cids) {
				t.Fatalf("uplink=%v: parser returned %d commands, walker %d", uplink, len(cmds), len(cids))
			}
			consumed := 0
			for i, c := range cmds {
				if c.CID != cids[i] || c.Payload.CID() != c.CID || c.Payload.Uplink() != uplink {
					t.Fatalf("uplink=%v command %d: parser %v (%T), walker %v", uplink, i, c.CID, c.Payload, cids[i])
				}
				enc, err := c.Payload.AppendBinary(nil)
				if err != nil || !bytes.Equal(enc, payloads[i]) {
					t.Fatalf("uplink=%v command %d %s: payload re-encodes to %x, %v; read from %x", uplink, i, c.CID.Name(uplink), enc, err, payloads[i])
				}
				consumed += 1 + len(payloads[i])
			}
			switch {
			case perr == nil:
				if werr != nil || len(cmds) != len(cids) {
					t.Fatalf("uplink=%v: parser read all %d commands, walker %d then %v", uplink, len(cmds), len(cids), werr)
				}
			case len(cmds) == len(cids):
				// Both stopped at the same command: for the same reason.
				if werr == nil || errors.Is(perr, lorawan.ErrUnknownMACCommand) != errors.Is(werr, lorawan.ErrUnknownMACCommand) {
					t.Fatalf("uplink=%v: parser stopped with %v, walker with %v", uplink, perr, werr)
				}
			default:
				// The parser refused a payload the walker could delimit.
				i := len(cmds)
				p, err := lorawan.NewMACCommandPayload(cids[i], uplink)
				if err != nil {
					t.Fatalf("uplink=%v: walker read CID 0x%02x the constructor does not know: %v", uplink, uint8(cids[i]), err)
				}
				if err := p.UnmarshalBinary(payloads[i]); err == nil || !errors.Is(perr, lorawan.ErrMalformed) {
					t.Fatalf("uplink=%v: parser stopped at %x with %v, payload decodes alone with %v", uplink, payloads[i], perr, err)
				}
			}
			out, err := lorawan.AppendMACCommands(nil, cmds...)
			if err != nil || !bytes.Equal(out, b[:consumed]) {
				t.Fatalf("uplink=%v: AppendMACCommands = %x, %v; want %x", uplink, out, err, b[:consumed])
			}
		}
	})
}
