package lgwsim

import (
	"time"

	"golang.org/x/sys/unix"
)

// MonotonicMicros returns CLOCK_MONOTONIC in microseconds, the clock
// Station's sys_time reads and Python's time.monotonic returns: the one
// time base a gateway and a simulator on the same machine share.
func MonotonicMicros() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		// Unreachable on Linux; the wall clock keeps a lone process
		// consistent with itself.
		return time.Now().UnixMicro()
	}
	return ts.Nano() / 1000
}
