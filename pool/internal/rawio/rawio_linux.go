package rawio

import (
	"io"
	"net"
	"os"
	"syscall"
	"unsafe"
)

// Conn returns c with its Read and Write made as Stream makes them, for a
// stream layered over c (TLS); c itself where that cannot be done.
func Conn(c net.Conn) net.Conn {
	r, w, ok := raw(c)
	if !ok {
		return c
	}
	return &conn{Conn: c, r: r, w: w}
}

type conn struct {
	net.Conn
	r rawReader
	w rawWriter
}

func (c *conn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *conn) Write(p []byte) (int, error) { return c.w.Write(p) }

// Stream returns a reader and writer for s that make their system calls
// without telling the Go scheduler, where s is a non-blocking descriptor the
// runtime polls (a pipe from os.Pipe, a TCP connection): then a read or
// write never blocks (it fails with EAGAIN, and the runtime's poller waits
// for readiness as for any read), so the scheduler need not know. Through
// os.File or net.Conn, every read and write enters a system call the
// scheduler's way, and while a process is idle its monitor thread sleeps
// until one does: the driver, idle between results, woke that thread on
// nearly every frame it read or wrote, and each wake-up took a CPU from a
// worker's function. Anything else is returned as it is.
func Stream(s any) (io.Reader, io.Writer) {
	if r, w, ok := raw(s); ok {
		return r, w
	}
	r, _ := s.(io.Reader)
	w, _ := s.(io.Writer)
	return r, w
}

// raw returns the raw reader and writer of s, or false where s is not a
// non-blocking descriptor the runtime polls.
func raw(s any) (rawReader, rawWriter, bool) {
	sc, ok := s.(interface {
		SyscallConn() (syscall.RawConn, error)
	})
	if !ok {
		return rawReader{}, rawWriter{}, false
	}
	rc, err := sc.SyscallConn()
	if err != nil || !nonblocking(rc) {
		return rawReader{}, rawWriter{}, false
	}
	f, _ := s.(*os.File)
	return rawReader{rc, f}, rawWriter{rc, f}, true
}

// fileErr gives an error of f's the form os.File's methods give it: a
// *os.PathError, closing reported as os.ErrClosed (the poller's own error
// for it is not exported).
func fileErr(f *os.File, op string, err error) error {
	if f == nil {
		return err
	}
	if err.Error() == "use of closed file" {
		err = os.ErrClosed
	}
	return &os.PathError{Op: op, Path: f.Name(), Err: err}
}

// nonblocking reports whether the descriptor under rc is in non-blocking
// mode: a blocking one would hold a thread in a raw system call, unseen by
// the scheduler.
func nonblocking(rc syscall.RawConn) bool {
	var flags uintptr
	var errno syscall.Errno
	if err := rc.Control(func(fd uintptr) {
		flags, _, errno = syscall.RawSyscall(syscall.SYS_FCNTL, fd, syscall.F_GETFL, 0)
	}); err != nil || errno != 0 {
		return false
	}
	return flags&syscall.O_NONBLOCK != 0
}

type rawReader struct {
	rc syscall.RawConn
	f  *os.File // or nil
}

func (r rawReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var n uintptr
	var errno syscall.Errno
	err := r.rc.Read(func(fd uintptr) bool {
		for {
			n, _, errno = syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
			switch errno {
			case syscall.EINTR:
				continue
			case syscall.EAGAIN:
				return false // wait until readable
			}
			return true
		}
	})
	switch {
	case err != nil:
		return 0, fileErr(r.f, "read", err)
	case errno != 0:
		return 0, fileErr(r.f, "read", errno)
	case n == 0:
		return 0, io.EOF
	}
	return int(n), nil
}

type rawWriter struct {
	rc syscall.RawConn
	f  *os.File // or nil
}

func (w rawWriter) Write(p []byte) (int, error) {
	written := 0
	var errno syscall.Errno
	err := w.rc.Write(func(fd uintptr) bool {
		for written < len(p) {
			n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&p[written])), uintptr(len(p)-written))
			switch e {
			case 0:
				written += int(n)
			case syscall.EINTR:
			case syscall.EAGAIN:
				return false // wait until writable
			default:
				errno = e
				return true
			}
		}
		return true
	})
	if err != nil {
		return written, fileErr(w.f, "write", err)
	}
	if errno != 0 {
		return written, fileErr(w.f, "write", errno)
	}
	return written, nil
}
