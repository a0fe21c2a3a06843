package tcp

import (
	"net"
	"time"

	"golang.org/x/sys/unix"
)

// setUserTimeout makes the connection fail once data sent on it has gone
// unacknowledged for d (TCP_USER_TIMEOUT), instead of after the kernel's
// retransmissions, about 15 minutes: a worker writing a result to a driver
// whose host vanished learns it in bounded time. A connection that is not
// TCP is left alone.
func setUserTimeout(c net.Conn, d time.Duration) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
	}); err != nil {
		return err
	}
	return serr
}
