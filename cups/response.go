package cups

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Limits of the answer's segments, as Station reads them (src/cups.c).
const (
	MaxURILen     = math.MaxUint8  // a URI segment has a 1-byte length
	MaxCredLen    = math.MaxUint16 // a credential segment has a 2-byte length
	MinSigSegment = 8              // key CRC + shortest signature Station accepts
	MaxSigSegment = 4 + 128        // key CRC + Station's 128-byte signature buffer
	MaxUpdateLen  = math.MaxInt32  // Station refuses lengths of 2 GiB and more
)

// emptyAnswerSize is the size of the answer with every segment empty.
const emptyAnswerSize = 1 + 1 + 2 + 2 + 4 + 4

// UpdateInfoResponse is the binary answer to /update-info. An empty field
// means "unchanged"; the zero value is the 14-byte "nothing changed" answer.
type UpdateInfoResponse struct {
	CUPSURI  string     // cupsUri: new CUPS URI
	TCURI    string     // tcUri: new LNS URI
	CUPSCred []byte     // cupsCred: credential blob for CUPS (see Credentials)
	TCCred   []byte     // tcCred: credential blob for the LNS
	Sig      *Signature // sig: signature of Update, nil for none
	Update   []byte     // updData: the update itself
}

// Signature is the sig segment: the CRC of the signer's public key (only a
// hint, Station tries every key it holds) and the DER ECDSA signature of the
// SHA-512 of the update.
type Signature struct {
	KeyCRC uint32 // CRC32 of the 64-byte sig-N.key of the signer, little endian on the wire
	DER    []byte // ASN.1 DER ECDSA-Sig-Value (r, s), 4..128 bytes
}

// AppendBinary appends the answer in Station's layout, refusing any field
// Station could not read.
func (r *UpdateInfoResponse) AppendBinary(b []byte) ([]byte, error) {
	if r == nil {
		r = &UpdateInfoResponse{}
	}
	if err := checkURI("cupsUri", []byte(r.CUPSURI)); err != nil {
		return nil, err
	}
	if err := checkURI("tcUri", []byte(r.TCURI)); err != nil {
		return nil, err
	}
	if len(r.CUPSCred) > MaxCredLen {
		return nil, fmt.Errorf("cups: response: cupsCred is %d bytes, limit %d", len(r.CUPSCred), MaxCredLen)
	}
	if len(r.TCCred) > MaxCredLen {
		return nil, fmt.Errorf("cups: response: tcCred is %d bytes, limit %d", len(r.TCCred), MaxCredLen)
	}
	sigLen := 0
	if r.Sig != nil {
		sigLen = 4 + len(r.Sig.DER)
		if sigLen < MinSigSegment || sigLen > MaxSigSegment {
			return nil, fmt.Errorf("cups: response: signature is %d bytes, want %d..%d", len(r.Sig.DER), MinSigSegment-4, MaxSigSegment-4)
		}
	}
	if len(r.Update) > MaxUpdateLen {
		return nil, fmt.Errorf("cups: response: update is %d bytes, limit %d", len(r.Update), MaxUpdateLen)
	}
	b = append(b, byte(len(r.CUPSURI)))
	b = append(b, r.CUPSURI...)
	b = append(b, byte(len(r.TCURI)))
	b = append(b, r.TCURI...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.CUPSCred)))
	b = append(b, r.CUPSCred...)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(r.TCCred)))
	b = append(b, r.TCCred...)
	b = binary.LittleEndian.AppendUint32(b, uint32(sigLen))
	if r.Sig != nil {
		b = binary.LittleEndian.AppendUint32(b, r.Sig.KeyCRC)
		b = append(b, r.Sig.DER...)
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(len(r.Update)))
	b = append(b, r.Update...)
	return b, nil
}

// MarshalBinary returns the answer in Station's layout.
func (r *UpdateInfoResponse) MarshalBinary() ([]byte, error) {
	size := emptyAnswerSize
	if r != nil {
		size += len(r.CUPSURI) + len(r.TCURI) + len(r.CUPSCred) + len(r.TCCred) + len(r.Update)
		if r.Sig != nil {
			size += 4 + len(r.Sig.DER)
		}
	}
	return r.AppendBinary(make([]byte, 0, size))
}

// UnmarshalBinary reads an answer, refusing truncated data, trailing bytes,
// control characters in a URI and a signature segment outside 8..132 bytes.
// The fields are copies; empty segments give "" and nil.
func (r *UpdateInfoResponse) UnmarshalBinary(data []byte) error {
	d := decoder{b: data}
	var out UpdateInfoResponse
	cupsURI := d.segment("cupsUri", 1)
	if d.err == nil {
		d.err = checkURI("cupsUri", cupsURI)
	}
	tcURI := d.segment("tcUri", 1)
	if d.err == nil {
		d.err = checkURI("tcUri", tcURI)
	}
	out.CUPSURI, out.TCURI = string(cupsURI), string(tcURI)
	out.CUPSCred = clone(d.segment("cupsCred", 2))
	out.TCCred = clone(d.segment("tcCred", 2))
	if sig := d.segment("sig", 4); len(sig) > 0 && d.err == nil {
		if len(sig) < MinSigSegment || len(sig) > MaxSigSegment {
			d.err = fmt.Errorf("%w: response: sig segment is %d bytes, want %d..%d", ErrMalformed, len(sig), MinSigSegment, MaxSigSegment)
		} else {
			out.Sig = &Signature{KeyCRC: binary.LittleEndian.Uint32(sig), DER: clone(sig[4:])}
		}
	}
	out.Update = clone(d.segment("updData", 4))
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%w: response: %d bytes after updData", ErrMalformed, len(d.b))
	}
	if d.err != nil {
		return d.err
	}
	*r = out
	return nil
}

// decoder reads length-prefixed segments, keeping the first error.
type decoder struct {
	b   []byte
	err error
}

// segment reads a little-endian length of n bytes and that many bytes.
func (d *decoder) segment(name string, n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("%w: response: truncated in the %s length (%d of %d bytes)", ErrMalformed, name, len(d.b), n)
		return nil
	}
	var l uint64
	for i := n - 1; i >= 0; i-- {
		l = l<<8 | uint64(d.b[i])
	}
	d.b = d.b[n:]
	if n == 4 && l > MaxUpdateLen {
		d.err = fmt.Errorf("%w: response: %s length %#x is 2 GiB or more", ErrMalformed, name, l)
		return nil
	}
	if l > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: response: %s is %d bytes but only %d follow", ErrMalformed, name, l, len(d.b))
		return nil
	}
	s := d.b[:l]
	d.b = d.b[l:]
	return s
}

// checkURI refuses a URI longer than its 1-byte length or holding control
// characters (Station stores it as a C string).
func checkURI(name string, uri []byte) error {
	if len(uri) > MaxURILen {
		return fmt.Errorf("cups: response: %s is %d bytes, limit %d", name, len(uri), MaxURILen)
	}
	for i, c := range uri {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%w: response: %s has control byte 0x%02x at %d", ErrMalformed, name, c, i)
		}
	}
	return nil
}

// clone copies b, returning nil for an empty b.
func clone(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}
