//go:build !unix

package remd

import "os"

// Without flock an output directory is not locked on this platform (remd's
// process backend does not build here either); leases still work.
func flockExclusive(f *os.File) error { return nil }

func processAlive(pid int) bool { return true }
