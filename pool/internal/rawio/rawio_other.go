//go:build !linux

package rawio

import (
	"io"
	"net"
)

// Stream returns s as its reader and writer (see rawio_linux.go).
func Stream(s any) (io.Reader, io.Writer) {
	r, _ := s.(io.Reader)
	w, _ := s.(io.Writer)
	return r, w
}

// Conn returns c (see rawio_linux.go).
func Conn(c net.Conn) net.Conn { return c }
