package station

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/loraedge/loraedge/lorawan"
)

// maxFrameLen is the longest frame a LoRa radio carries.
const maxFrameLen = 255

// Frame layout constants of src/lora.c.
const (
	mhdrFType    = 0xE0
	mhdrRFUMajor = 0x1F // RFU bits and Major: must be 0 (LoRaWAN R1)
	fTypeJreq    = 0x00
	fTypeJacc    = 0x20
	fTypeDataUp  = 0x40
	fTypeDataDn  = 0x60
	fTypeConfUp  = 0x80
	fTypeConfDn  = 0xA0
	fTypeRejoin  = 0xC0
	fTypeProp    = 0xE0
	dataMinLen   = 12 // MHDR, DevAddr, FCtrl, FCnt, MIC
	offFOpts     = 8
	micLen       = 4
)

// ErrFiltered is returned by UplinkFilter.Split for a frame that
// router_config's NetID or JoinEui filter drops; Station drops such frames
// without telling the LNS.
var ErrFiltered = errors.New("station: frame filtered by router_config")

// SplitUplink turns a received frame into the message Station sends for it,
// with meta after the frame fields, exactly as s2e_parse_lora_frame does:
//   - MType 2 and 4 (data up) → *Updf, MType 3 and 5 (data down) → *Dndf,
//     with FOpts and FRMPayload copied, FPort -1 when the frame ends after
//     FOpts;
//   - MType 0 (join-request) → *Jreq and MType 6 (rejoin) → *Rejoin, only
//     for frames of exactly 23 bytes;
//   - MType 7 (proprietary) → *Propdf and MType 1 (join-accept) → *Jacc,
//     carrying the whole frame.
//
// A frame is refused (an error wrapping lorawan.ErrMalformed) when it is
// empty or longer than 255 bytes, when its RFU or Major bits are set, when
// it is shorter than 12 bytes (except proprietary frames), when a join or
// rejoin frame is not 23 bytes, or when a data frame's FOpts run into the
// MIC. No filter applies; see UplinkFilter.
func SplitUplink(phy []byte, meta UplinkMeta) (Message, error) {
	return (*UplinkFilter)(nil).Split(phy, meta)
}

// UplinkFilter holds what a router_config tells Station about uplinks: the
// NetID filter on data frames, the JoinEUI ranges filter on join and
// rejoin frames, and the spelling of the EUI keys. The zero value and nil
// filter nothing and spell "JoinEui"/"DevEui".
type UplinkFilter struct {
	netIDs       [4]uint32 // bit n set: DevAddrs whose top 7 bits are n pass
	netIDsSet    bool      // false: every DevAddr passes
	joinEUIs     []JoinEUIRange
	upperEUIKeys bool
}

// NewUplinkFilter builds the filter Station sets up from rc when it starts,
// with Station's rules (handle_router_config and src/lora.c):
//   - NetID null (or absent) accepts every data frame; an array accepts a
//     frame when the top 7 bits of its DevAddr equal the low 7 bits of one
//     of the NetIDs (so [] accepts none);
//   - JoinEui null, absent or [] accepts every join; otherwise a join
//     passes when its JoinEUI lies in one of the ranges, the list ending
//     early at a range whose lower bound is 0 (a first range starting at 0
//     therefore accepts every join). Station refuses a router_config with
//     more than MaxJoinEUIRanges ranges (Decode does too); of a RouterConfig
//     built with more, only the first MaxJoinEUIRanges count.
//
// It is NextUplinkFilter(nil, rc).
func NewUplinkFilter(rc *RouterConfig) *UplinkFilter { return NextUplinkFilter(nil, rc) }

// NextUplinkFilter returns the filter Station has after router_config rc
// when prev was in force (nil: Station's initial one, accepting all). The
// filters are Station's globals, rewritten only by a router_config that has
// the key: rc's NetIDAbsent and JoinEUIAbsent keep prev's filters. The
// "JoinEUI"/"DevEUI" spelling, once a router_config has used it, stays for
// good (rt_joineui and rt_deveui are never set back).
func NextUplinkFilter(prev *UplinkFilter, rc *RouterConfig) *UplinkFilter {
	f := &UplinkFilter{}
	if prev != nil {
		*f = *prev
	}
	f.upperEUIKeys = f.upperEUIKeys || rc.UpperEUIKeys
	if !rc.NetIDAbsent {
		f.netIDs, f.netIDsSet = [4]uint32{}, rc.NetIDs != nil
		for _, n := range rc.NetIDs {
			v := uint32(n[0])<<16 | uint32(n[1])<<8 | uint32(n[2])
			f.netIDs[(v>>5)&3] |= 1 << (v & 0x1F)
		}
	}
	if !rc.JoinEUIAbsent {
		f.joinEUIs = nil
		for i, r := range rc.JoinEUIs {
			if i == MaxJoinEUIRanges || euiToUint64(r.Min) == 0 {
				break
			}
			f.joinEUIs = append(f.joinEUIs, r)
		}
	}
	return f
}

// Split is SplitUplink with the filter applied: a frame the filter drops
// gives ErrFiltered, and join messages use the filter's key spelling.
func (f *UplinkFilter) Split(phy []byte, meta UplinkMeta) (Message, error) {
	n := len(phy)
	if n == 0 {
		return nil, fmt.Errorf("station: split: empty frame: %w", lorawan.ErrMalformed)
	}
	if n > maxFrameLen {
		return nil, fmt.Errorf("station: split: frame of %d bytes, more than %d: %w", n, maxFrameLen, lorawan.ErrMalformed)
	}
	mhdr := phy[0]
	ftype := mhdr & mhdrFType
	if n < dataMinLen && ftype != fTypeProp {
		return nil, fmt.Errorf("station: split: frame of %d bytes, less than %d: %w", n, dataMinLen, lorawan.ErrMalformed)
	}
	if mhdr&mhdrRFUMajor != 0 {
		return nil, fmt.Errorf("station: split: MHDR %#02x has RFU or Major bits set: %w", mhdr, lorawan.ErrMalformed)
	}
	switch ftype {
	case fTypeProp:
		return &Propdf{FRMPayload: clone(phy), UplinkMeta: meta}, nil
	case fTypeJacc:
		return &Jacc{FRMPayload: clone(phy), UplinkMeta: meta}, nil
	case fTypeJreq, fTypeRejoin:
		if n != joinLen {
			return nil, fmt.Errorf("station: split: join frame of %d bytes, not %d: %w", n, joinLen, lorawan.ErrMalformed)
		}
		j := Jreq{
			MHdr:       mhdr,
			DevNonce:   binary.LittleEndian.Uint16(phy[17:]),
			MIC:        int32(binary.LittleEndian.Uint32(phy[19:])),
			UplinkMeta: meta,
		}
		binary.BigEndian.PutUint64(j.JoinEUI[:], binary.LittleEndian.Uint64(phy[1:]))
		binary.BigEndian.PutUint64(j.DevEUI[:], binary.LittleEndian.Uint64(phy[9:]))
		if f != nil {
			if !f.allowJoinEUI(j.JoinEUI) {
				return nil, fmt.Errorf("station: split: JoinEUI %s: %w", j.JoinEUI, ErrFiltered)
			}
			j.UpperEUIKeys = f.upperEUIKeys
		}
		if ftype == fTypeRejoin {
			r := Rejoin(j)
			return &r, nil
		}
		return &j, nil
	}
	// Data frames, up or down.
	portOff := offFOpts + int(phy[5]&0x0F)
	if portOff > n-micLen {
		return nil, fmt.Errorf("station: split: FOpts run past the MIC in a %d-byte frame: %w", n, lorawan.ErrMalformed)
	}
	devAddr := binary.LittleEndian.Uint32(phy[1:])
	if f != nil && !f.allowDevAddr(devAddr) {
		return nil, fmt.Errorf("station: split: DevAddr %08X: %w", devAddr, ErrFiltered)
	}
	u := Updf{
		MHdr:       mhdr,
		DevAddr:    int32(devAddr),
		FCtrl:      phy[5],
		FCnt:       binary.LittleEndian.Uint16(phy[6:]),
		FOpts:      clone(phy[offFOpts:portOff]),
		FPort:      -1,
		MIC:        int32(binary.LittleEndian.Uint32(phy[n-micLen:])),
		UplinkMeta: meta,
	}
	if portOff < n-micLen {
		u.FPort = int(phy[portOff])
		u.FRMPayload = clone(phy[portOff+1 : n-micLen])
	}
	if ftype == fTypeDataUp || ftype == fTypeConfUp {
		return &u, nil
	}
	d := Dndf(u)
	return &d, nil
}

// allowDevAddr applies the NetID filter to a DevAddr.
func (f *UplinkFilter) allowDevAddr(devAddr uint32) bool {
	if !f.netIDsSet {
		return true
	}
	id := devAddr >> 25
	return f.netIDs[id>>5]&(1<<(id&0x1F)) != 0
}

// allowJoinEUI applies the JoinEUI ranges filter.
func (f *UplinkFilter) allowJoinEUI(e lorawan.EUI64) bool {
	if len(f.joinEUIs) == 0 {
		return true
	}
	v := euiToUint64(e)
	for _, r := range f.joinEUIs {
		if v >= euiToUint64(r.Min) && v <= euiToUint64(r.Max) {
			return true
		}
	}
	return false
}

// clone copies b; an empty b gives nil, as decoding "" does.
func clone(b []byte) HexBytes {
	if len(b) == 0 {
		return nil
	}
	return append(HexBytes(nil), b...)
}

// dataFramePHY rebuilds a data frame from Station's split fields.
func dataFramePHY(msgType string, mhdr uint8, devAddr int32, fctrl uint8, fcnt uint16, fopts []byte, fport int, payload []byte, mic int32) ([]byte, error) {
	if len(fopts) != int(fctrl&0x0F) {
		return nil, fmt.Errorf("station: %s: %d bytes of FOpts but FCtrl says %d: %w", msgType, len(fopts), fctrl&0x0F, lorawan.ErrMalformed)
	}
	if fport < -1 || fport > 255 {
		return nil, fmt.Errorf("station: %s: FPort %d outside -1..255: %w", msgType, fport, lorawan.ErrMalformed)
	}
	if fport < 0 && len(payload) > 0 {
		return nil, fmt.Errorf("station: %s: FRMPayload without FPort: %w", msgType, lorawan.ErrMalformed)
	}
	n := dataMinLen + len(fopts) + len(payload)
	if fport >= 0 {
		n++
	}
	if n > maxFrameLen {
		return nil, fmt.Errorf("station: %s: frame of %d bytes, more than %d: %w", msgType, n, maxFrameLen, lorawan.ErrMalformed)
	}
	b := make([]byte, 0, n)
	b = append(b, mhdr)
	b = binary.LittleEndian.AppendUint32(b, uint32(devAddr))
	b = append(b, fctrl)
	b = binary.LittleEndian.AppendUint16(b, fcnt)
	b = append(b, fopts...)
	if fport >= 0 {
		b = append(b, byte(fport))
		b = append(b, payload...)
	}
	return binary.LittleEndian.AppendUint32(b, uint32(mic)), nil
}
