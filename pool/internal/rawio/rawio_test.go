//go:build linux

package rawio_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool/internal/rawio"
)

// A pipe read raw waits for data like any read, gets all of a write larger
// than the pipe's buffer (partial writes go on when it drains), and ends in
// io.EOF when the writer closes.
func TestPipe(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	r, _ := rawio.Stream(pr)
	_, w := rawio.Stream(pw)
	if _, raw := r.(*os.File); raw {
		t.Fatal("a pipe from os.Pipe was not read raw")
	}
	msg := bytes.Repeat([]byte("0123456789abcdef"), 64<<10) // 1 MiB, 16 pipe buffers
	werr := make(chan error, 1)
	go func() {
		time.Sleep(20 * time.Millisecond) // the reader waits first
		n, err := w.Write(msg)
		if err == nil && n != len(msg) {
			err = io.ErrShortWrite
		}
		pw.Close()
		werr <- err
	}()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, msg) {
		t.Fatalf("read %d bytes, want the %d written", len(got), len(msg))
	}
}

// A read waiting on a pipe closed under it returns an error, as a read of
// the file would; a write to a pipe whose reader is gone fails with EPIPE.
func TestClosed(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	r, _ := rawio.Stream(pr)
	done := make(chan error, 1)
	go func() {
		_, err := r.Read(make([]byte, 10))
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	pr.Close()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrClosed) {
			t.Fatalf("read of a pipe closed under it: %v, want os.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a read waiting on a pipe closed under it did not return")
	}
	_, w := rawio.Stream(pw)
	if _, err := w.Write([]byte("x")); err == nil {
		t.Fatal("write to a pipe without a reader succeeded")
	}
}

// A TCP connection is wrapped for TLS to layer over: bytes cross unchanged.
func TestConn(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		rc := rawio.Conn(c)
		io.Copy(rc, rc) // echo
		rc.Close()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	rc := rawio.Conn(c)
	if rc == c {
		t.Fatal("a TCP connection was not wrapped")
	}
	defer rc.Close()
	if _, err := rc.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5)
	if _, err := io.ReadFull(rc, buf); err != nil || string(buf) != "hello" {
		t.Fatalf("echo: %q, %v", buf, err)
	}
}

// A descriptor in blocking mode is left to the os package: a raw read of it
// would hold a thread the scheduler does not know is blocked.
func TestBlockingLeftAlone(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if r, _ := rawio.Stream(f); r != io.Reader(f) {
		t.Fatalf("a blocking descriptor was wrapped: %T", r)
	}
}
