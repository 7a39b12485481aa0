package store

import (
	"encoding/binary"
	"errors"
	"time"

	"github.com/loraedge/loraedge/lorawan"
)

// Sessions are read and rewritten on every uplink, so their public part is
// a fixed binary layout rather than JSON (all integers big-endian):
//
//	[0] layout version 1
//	[1] flags: bit 0 UplinkSeen, bit 1 ConfirmedUp, bit 2 RJCount0Seen,
//	    bit 3 confirmed downlink counters follow the CFList
//	[2:6] DevAddr  [6] MACVersion
//	[7:11] FCntUp  [11:15] NFCntDown  [15:19] AFCntDown  [19:21] RJCount0
//	[21] RX1DROffset  [22] RX2DR  [23:27] RX2Frequency  [27] RxDelay
//	[28:36] CreatedAt, Unix nanoseconds (0: zero time)
//	[36] CFList length (0 or 16), the CFList
//	with flag bit 3: LastConfFCntDown, PrevConfFCntDown (4 bytes each;
//	    the flag is set exactly when one of them is not zero, so records
//	    written before they existed read unchanged and every record has
//	    one encoding)
//	uvarint MACState length, MACState
const (
	sessionLayoutVersion = 1
	sessionFixedSize     = 37
)

var errSessionLayout = errors.New("store: session: bad layout")

func appendSessionPublic(b []byte, s *Session) []byte {
	var flags byte
	if s.UplinkSeen {
		flags |= 1
	}
	if s.ConfirmedUp {
		flags |= 2
	}
	if s.RJCount0Seen {
		flags |= 4
	}
	confDown := s.LastConfFCntDown != 0 || s.PrevConfFCntDown != 0
	if confDown {
		flags |= 8
	}
	b = append(b, sessionLayoutVersion, flags)
	b = append(b, s.DevAddr[:]...)
	b = append(b, byte(s.MACVersion))
	b = binary.BigEndian.AppendUint32(b, s.FCntUp)
	b = binary.BigEndian.AppendUint32(b, s.NFCntDown)
	b = binary.BigEndian.AppendUint32(b, s.AFCntDown)
	b = binary.BigEndian.AppendUint16(b, s.RJCount0)
	b = append(b, s.RX1DROffset, s.RX2DR)
	b = binary.BigEndian.AppendUint32(b, s.RX2Frequency)
	b = append(b, s.RxDelay)
	var created int64
	if !s.CreatedAt.IsZero() {
		created = s.CreatedAt.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(created))
	b = append(b, byte(len(s.CFList)))
	b = append(b, s.CFList...)
	if confDown {
		b = binary.BigEndian.AppendUint32(b, s.LastConfFCntDown)
		b = binary.BigEndian.AppendUint32(b, s.PrevConfFCntDown)
	}
	b = binary.AppendUvarint(b, uint64(len(s.MACState)))
	return append(b, s.MACState...)
}

// decodeSessionPublic fills the public fields of s from b. The byte slices
// it sets are copies: b may live in bbolt's memory map.
func decodeSessionPublic(b []byte, s *Session) error {
	if len(b) < sessionFixedSize || b[0] != sessionLayoutVersion || b[1]&^15 != 0 {
		return errSessionLayout
	}
	flags := b[1]
	s.UplinkSeen, s.ConfirmedUp, s.RJCount0Seen = flags&1 != 0, flags&2 != 0, flags&4 != 0
	copy(s.DevAddr[:], b[2:6])
	s.MACVersion = lorawan.MACVersion(b[6])
	s.FCntUp = binary.BigEndian.Uint32(b[7:])
	s.NFCntDown = binary.BigEndian.Uint32(b[11:])
	s.AFCntDown = binary.BigEndian.Uint32(b[15:])
	s.RJCount0 = binary.BigEndian.Uint16(b[19:])
	s.RX1DROffset, s.RX2DR = b[21], b[22]
	s.RX2Frequency = binary.BigEndian.Uint32(b[23:])
	s.RxDelay = b[27]
	s.CreatedAt = time.Time{}
	if ns := int64(binary.BigEndian.Uint64(b[28:])); ns != 0 {
		s.CreatedAt = time.Unix(0, ns).UTC()
	}
	n := int(b[36])
	rest := b[sessionFixedSize:]
	if n != 0 && n != 16 || len(rest) < n {
		return errSessionLayout
	}
	s.CFList = nil
	if n > 0 {
		s.CFList = append([]byte(nil), rest[:n]...)
	}
	rest = rest[n:]
	s.LastConfFCntDown, s.PrevConfFCntDown = 0, 0
	if flags&8 != 0 {
		if len(rest) < 8 {
			return errSessionLayout
		}
		s.LastConfFCntDown = binary.BigEndian.Uint32(rest)
		s.PrevConfFCntDown = binary.BigEndian.Uint32(rest[4:])
		rest = rest[8:]
		if s.LastConfFCntDown == 0 && s.PrevConfFCntDown == 0 {
			return errSessionLayout // not the one encoding
		}
	}
	m, k := uvarint(rest)
	if k <= 0 || m > maxMACState || uint64(len(rest)-k) != m {
		return errSessionLayout
	}
	s.MACState = nil
	if m > 0 {
		s.MACState = append([]byte(nil), rest[k:]...)
	}
	return nil
}
