package tcp

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool/internal/heard"
)

// tlsPair connects a TLS client (the worker's end, returned with the raw
// connection under it) to a TLS server (the driver's end) over loopback.
func tlsPair(t *testing.T) (worker *tls.Conn, raw net.Conn, drv *tls.Conn) {
	t.Helper()
	cert, err := throwawayCert()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan *tls.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		s := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13})
		s.Handshake()
		accepted <- s
	}()
	raw, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	worker = tls.Client(raw, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
	if err := worker.Handshake(); err != nil {
		t.Fatal(err)
	}
	if drv = <-accepted; drv == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { worker.Close(); drv.Close() })
	return worker, raw, drv
}

// A worker whose reader is busy elsewhere (writing a long result to the
// driver over a slow link: the reader writes whatever is queued when it
// answers a ping) cannot hear the driver's pings, which wait unread in the
// kernel; that is no silence of the driver's. The watch took it for one
// and closed the connection under a healthy driver after 3 intervals,
// dropping the result being written.
func TestWatchIgnoresAWorkerNotReading(t *testing.T) {
	wc, raw, drv := tlsPair(t)
	in := &heard.Reader{R: wc}
	const interval = 20 * time.Millisecond
	w := watchDriver(in, raw, "driver", interval)
	defer w.stop()
	// The driver pings every interval; nobody reads them for 25
	// intervals, eight times what the watch needs to decide.
	stop := make(chan struct{})
	pinged := make(chan struct{})
	go func() {
		defer close(pinged)
		tk := time.NewTicker(interval)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				if _, err := drv.Write([]byte("K")); err != nil {
					return
				}
			}
		}
	}()
	time.Sleep(25 * interval)
	close(stop)
	<-pinged
	if err := w.verdict(); err != nil {
		t.Fatalf("the watch left a driver that pinged every interval, while the worker was not reading: %v", err)
	}
	// The pings are there to read, the connection up.
	buf := make([]byte, 1)
	if _, err := in.Read(buf); err != nil || buf[0] != 'K' {
		t.Fatalf("Read after the busy spell = %q, %v; want a ping", buf, err)
	}
}

// A worker waiting to read from a silent driver leaves it, its read ended.
func TestWatchLeavesASilentDriver(t *testing.T) {
	wc, raw, _ := tlsPair(t)
	in := &heard.Reader{R: wc}
	w := watchDriver(in, raw, "driver", 20*time.Millisecond)
	defer w.stop()
	raw.SetReadDeadline(time.Now().Add(time.Minute)) // a guard against a hang, not a bound on the watch
	_, err := in.Read(make([]byte, 1))
	if err == nil || w.verdict() == nil {
		t.Fatalf("Read from a silent driver = %v, verdict %v; want the read ended and a verdict", err, w.verdict())
	}
}
