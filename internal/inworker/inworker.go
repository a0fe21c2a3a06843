// Package inworker records whether this process serves a burst backend's
// calls (pool.Main found it started as a worker), so that stores that live
// in one process's memory can refuse to open where they would silently be
// the worker's own and not the driver's.
package inworker

import "sync/atomic"

var mode atomic.Pointer[string]

// Set records that this process is a worker of the named backend mode
// ("process", "aws", …). pool.Main calls it before serving.
func Set(name string) { mode.Store(&name) }

// Mode returns the worker mode this process serves, or "" in a driver (or a
// program that is not a burst worker at all).
func Mode() string {
	if m := mode.Load(); m != nil {
		return *m
	}
	return ""
}
