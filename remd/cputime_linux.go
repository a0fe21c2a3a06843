//go:build linux

package remd

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// threadCPU measures the CPU time of fn on the calling OS thread, so that a
// segment that waits for a core (other goroutines, other processes) is not
// charged for the wait. The goroutine is pinned to its thread meanwhile.
//
// CLOCK_THREAD_CPUTIME_ID rather than getrusage(RUSAGE_THREAD): the latter
// leaves out the time since the thread's last scheduler tick, which
// undercounted 5 ms segments by a sixth.
func threadCPU(fn func()) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var a, b unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &a) != nil {
		fn()
		return 0
	}
	fn()
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &b) != nil {
		return 0
	}
	return float64(b.Nano()-a.Nano()) * 1e-9
}
