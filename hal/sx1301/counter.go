package sx1301

// The SX1301 counts microseconds in 32 bits and shows them through one
// register, TIMESTAMP: with GPS_EN=1 it holds the value latched at the
// last PPS edge, or at the moment GPS_EN was set if no edge came since;
// with GPS_EN=0 it follows the counter (lgw_get_trigcnt; Basics Station's
// ral_getTimesync reads the latch, clears GPS_EN to read the live counter,
// and sets it again). Each live read therefore overwrites the latch with
// the time of the read. The driver remembers that time and does not take
// a latch within toggleWindow µs of it for a PPS edge; a real edge that
// close to a counter read is seen at the next second instead.

// toggleWindow is how long after a live read (µs) the latch is taken to
// be the GPS_EN re-arm rather than a PPS edge: a read and a
// read-modify-write of GPS_EN at 8 MHz, with the host's latency.
const toggleWindow = 2000

// ppsState follows the TIMESTAMP latch.
type ppsState struct {
	armedAt uint32 // live counter read just before GPS_EN was last set
	pps     uint32 // last PPS edge seen
	seen    bool
}

// notePPS reads the latch (GPS_EN=1) and records it as a PPS edge unless
// it is the re-arm of the last live read.
func (d *Dev) notePPS() error {
	v, err := d.bus.readReg(registers[regTimestamp])
	if err != nil {
		return err
	}
	if u := uint32(v); u-d.pps.armedAt > toggleWindow {
		d.pps.pps, d.pps.seen = u, true
	}
	return nil
}

// liveCounter reads the free-running counter: GPS_EN off, TIMESTAMP, GPS_EN
// on, which re-arms the latch. A PPS edge latched since the last live
// read is noted first, before the re-arm overwrites it.
func (d *Dev) liveCounter() (uint32, error) {
	if err := d.notePPS(); err != nil {
		return 0, err
	}
	return d.readLiveAndArm()
}

// readLiveAndArm is the GPS_EN toggle itself.
func (d *Dev) readLiveAndArm() (uint32, error) {
	if err := d.bus.writeReg(registers[regGpsEn], 0); err != nil {
		return 0, err
	}
	v, err := d.bus.readReg(registers[regTimestamp])
	if err != nil {
		return 0, err
	}
	if err := d.bus.writeReg(registers[regGpsEn], 1); err != nil {
		return 0, err
	}
	d.pps.armedAt = uint32(v)
	return uint32(v), nil
}

// Counter returns the live 32-bit microsecond counter.
func (d *Dev) Counter() (uint32, error) { return d.core.Counter() }

// PPSLatch returns the counter latched at the last PPS edge; ok is false
// until an edge has been seen since Start.
func (d *Dev) PPSLatch() (uint32, bool, error) { return d.core.PPSLatch() }

// ppsLatch notes a PPS edge latched since the last read and returns the
// last edge seen.
func (d *Dev) ppsLatch() (uint32, bool, error) {
	if err := d.notePPS(); err != nil {
		return 0, false, err
	}
	return d.pps.pps, d.pps.seen, nil
}
