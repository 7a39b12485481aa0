package lorawan

// FullFCnt rebuilds a 32-bit frame counter from the 16 bits carried in FHDR:
// it returns the smallest value not below last whose low 16 bits are onAir,
// so a roll-over of the 16-bit field carries into the upper half. last is
// the lowest value the counter may take now: the next expected counter, or
// the last one seen when a retransmission may repeat it. Near 2^32 the
// result wraps to a value below last; a session must rejoin before that, and
// callers detect it as result < last. How far ahead a counter may be
// (MAX_FCNT_GAP in 1.0.x) is for the caller to decide.
func FullFCnt(last uint32, onAir uint16) uint32 {
	v := last&^0xFFFF | uint32(onAir)
	if v < last {
		v += 0x10000
	}
	return v
}
