//go:build linux || darwin || freebsd || netbsd || openbsd

package process

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// protocolFiles moves the call and result pipes off fds 3 and 4, where the
// driver handed them over, to descriptors a child of the worker does not
// inherit, and puts a tripwire on 3 and 4: a pipe whose other end the
// worker watches. A function that writes to "fd 4" (or 3) then hits the
// tripwire instead of corrupting the protocol, and its call ends with an
// error naming the cause rather than hanging.
func protocolFiles() (in, out, trip *os.File, err error) {
	fds := [2]int{}
	for i, fd := range []int{3, 4} {
		n, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 10)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("fd %d is not open (%w); a worker must be started by the process backend", fd, err)
		}
		fds[i] = n
	}
	var p [2]int
	if err := unix.Pipe(p[:]); err != nil {
		return nil, nil, nil, fmt.Errorf("tripwire pipe: %w", err)
	}
	for _, fd := range []int{3, 4} {
		if err := unix.Dup2(p[1], fd); err != nil {
			return nil, nil, nil, fmt.Errorf("tripwire on fd %d: %w", fd, err)
		}
		unix.CloseOnExec(fd)
	}
	unix.Close(p[1])
	unix.CloseOnExec(p[0])
	// The driver's exec hands the pipes over in blocking mode. Blocking,
	// a read waiting for the next call holds an OS thread in a system call,
	// and the Go runtime, seeing a processor stuck there, hands it to another
	// thread every 20 µs and never lets its monitor rest: thousands of futex
	// wake-ups and sleeps per second, CPU taken from the calls. Non-blocking,
	// os.NewFile makes them pollable and a waiting read costs nothing (and
	// Close interrupts it).
	for _, fd := range []int{fds[0], fds[1], p[0]} {
		_ = unix.SetNonblock(fd, true)
	}
	return os.NewFile(uintptr(fds[0]), "burst-calls"), os.NewFile(uintptr(fds[1]), "burst-results"),
		os.NewFile(uintptr(p[0]), "burst-tripwire"), nil
}

// stdioFiles takes the call and result pipes from stdin and stdout, where
// the driver handed them over with transport=stdio, onto descriptors a
// child of the worker does not inherit. Stdin then reads /dev/null and
// stdout is stderr, so what a function prints, from Go or from a child
// process, goes to the driver's output instead of into the protocol.
func stdioFiles() (in, out *os.File, err error) {
	fds := [2]int{}
	for i, fd := range []int{0, 1} {
		n, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 10)
		if err != nil {
			return nil, nil, fmt.Errorf("fd %d is not open (%w); a worker must be started by the process backend", fd, err)
		}
		fds[i] = n
	}
	null, err := unix.Open(os.DevNull, unix.O_RDONLY, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("open %s for stdin: %w", os.DevNull, err)
	}
	if err := unix.Dup2(null, 0); err != nil {
		return nil, nil, fmt.Errorf("stdin from %s: %w", os.DevNull, err)
	}
	unix.Close(null)
	if err := unix.Dup2(2, 1); err != nil {
		return nil, nil, fmt.Errorf("stdout to stderr: %w", err)
	}
	// Pollable, as protocolFiles explains.
	for _, fd := range fds {
		_ = unix.SetNonblock(fd, true)
	}
	return os.NewFile(uintptr(fds[0]), "burst-calls"), os.NewFile(uintptr(fds[1]), "burst-results"), nil
}
