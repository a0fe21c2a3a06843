package tcp

import (
	"net"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The bound on unacknowledged data reaches the socket, in milliseconds.
func TestSetUserTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := setUserTimeout(c, 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	rc, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	rc.Control(func(fd uintptr) { got, gerr = unix.GetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT) })
	if gerr != nil || got != 1500 {
		t.Fatalf("TCP_USER_TIMEOUT = %d, %v; want 1500 (ms), nil", got, gerr)
	}
}
