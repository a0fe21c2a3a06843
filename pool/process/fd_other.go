//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package process

import (
	"errors"
	"os"
)

// protocolFiles returns the call and result pipes where the driver handed
// them over; this platform gets no tripwire.
func protocolFiles() (in, out, trip *os.File, err error) {
	in, out = os.NewFile(3, "burst-calls"), os.NewFile(4, "burst-results")
	if in == nil || out == nil {
		return nil, nil, nil, errors.New("fds 3 and 4 are not open; a worker must be started by the process backend")
	}
	return in, out, nil, nil
}

// stdioFiles takes the call and result pipes from stdin and stdout, where
// the driver handed them over with transport=stdio (always on Windows).
// Go's os.Stdout becomes stderr, so what a function prints with fmt goes to
// the driver's output; only a write to the process's own stdout handle
// (cgo, or a child process inheriting it) would reach the protocol, which
// this platform cannot redirect.
func stdioFiles() (in, out *os.File, err error) {
	in, out = os.Stdin, os.Stdout
	os.Stdout = os.Stderr
	if null, err := os.Open(os.DevNull); err == nil {
		os.Stdin = null
	}
	return in, out, nil
}
