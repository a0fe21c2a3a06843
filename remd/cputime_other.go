//go:build !linux

package remd

import "time"

// threadCPU falls back to wall time where per-thread CPU time is not
// available; engine_seconds then includes any wait for a core.
func threadCPU(fn func()) float64 {
	t := time.Now()
	fn()
	return time.Since(t).Seconds()
}
