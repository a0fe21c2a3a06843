//go:build linux

package remd

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// threadCPU measures the CPU time of fn on the calling OS thread, so that a
// segment that waits for a core (other goroutines, other processes) is not
// charged for the wait. The goroutine is pinned to its thread meanwhile.
func threadCPU(fn func()) float64 {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var a, b unix.Rusage
	if unix.Getrusage(unix.RUSAGE_THREAD, &a) != nil {
		fn()
		return 0
	}
	fn()
	if unix.Getrusage(unix.RUSAGE_THREAD, &b) != nil {
		return 0
	}
	return tv(b.Utime) + tv(b.Stime) - tv(a.Utime) - tv(a.Stime)
}

func tv(t unix.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)*1e-6 }
