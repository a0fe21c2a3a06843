package tcp_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/tcp"
)

// captureLog sends the default logger to a buffer for the test.
func captureLog(t *testing.T) *lockedBuffer {
	buf := &lockedBuffer{}
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// openLive opens a tcp:// pool with a short liveness interval and no
// workers yet.
func openLive(t *testing.T) (*pool.Pool, *tcp.Backend) {
	t.Helper()
	p, err := pool.Open(context.Background(), "tcp://127.0.0.1:0?workers=2&liveness=200ms",
		pool.WithBackoff(time.Millisecond, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p, backendOf(t, p)
}

// mapAll runs slow over 0..n-1 and checks every result, failing the test
// if the Map does not end within a generous bound.
func mapAll(t *testing.T, p *pool.Pool, n int, logs *lockedBuffer, during func()) {
	t.Helper()
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	var out []int
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		out, err = slow.Map(context.Background(), p, in)
	}()
	if during != nil {
		during()
	}
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("Map hung on a silent worker; log:\n%s", logs)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range out {
		if v != i {
			t.Fatalf("out[%d] = %d, want %d", i, v, i)
		}
	}
}

// A worker process stopped with SIGSTOP keeps its connection up (its kernel
// answers TCP, keepalive included), so only the protocol's pings notice it:
// its connection is closed and its calls are retried on the other worker.
func TestStoppedWorkerIsDropped(t *testing.T) {
	logs := captureLog(t)
	p, b := openLive(t)
	ws := startWorkers(t, b, 2)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	victim := ws[0].cmd.Process.Pid
	mapAll(t, p, 40, logs, func() {
		time.Sleep(300 * time.Millisecond) // both busy: 2 workers, 200 ms calls
		if err := syscall.Kill(victim, syscall.SIGSTOP); err != nil {
			t.Error(err)
		}
	})
	if l := logs.String(); !strings.Contains(l, "/"+strconv.Itoa(victim)) || !strings.Contains(l, "stopped answering") {
		t.Fatalf("the log does not name the stopped worker (pid %d) and say it stopped answering:\n%s", victim, l)
	}
	// Woken, it finds its connection closed and leaves; nothing it sends
	// reaches the pool.
	syscall.Kill(victim, syscall.SIGCONT)
	select {
	case <-ws[0].done:
	case <-time.After(30 * time.Second):
		t.Fatal("the dropped worker still runs 30 s after SIGCONT")
	}
	if c := b.Connected(); c != 1 {
		t.Fatalf("Connected = %d, want 1", c)
	}
	mapAll(t, p, 6, logs, nil)
}

// blackHole forwards connections to target until its hole opens: from then
// on it drops every byte both ways and closes nothing, as a network that
// lost a host does (no reset, no FIN).
type blackHole struct {
	ln     net.Listener
	target string
	hole   atomic.Bool
}

func newBlackHole(t *testing.T, target string) *blackHole {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &blackHole{ln: ln, target: target}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			d, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, d)
			mu.Unlock()
			go h.pipe(d, c)
			go h.pipe(c, d)
		}
	}()
	return h
}

func (h *blackHole) pipe(dst io.Writer, src io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !h.hole.Load() {
			if _, err := dst.Write(buf[:n]); err != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// A worker behind a link that silently stops carrying anything is dropped
// and its calls retried on the other worker.
func TestBlackHoledWorkerIsDropped(t *testing.T) {
	logs := captureLog(t)
	p, b := openLive(t)
	h := newBlackHole(t, b.Addr())
	behind := startWorkers(t, b, 1, tcp.EnvAddr+"="+h.ln.Addr().String())[0]
	startWorkers(t, b, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.WaitWorkers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	mapAll(t, p, 40, logs, func() {
		time.Sleep(300 * time.Millisecond)
		h.hole.Store(true)
	})
	if l := logs.String(); !strings.Contains(l, "/"+strconv.Itoa(behind.cmd.Process.Pid)) || !strings.Contains(l, "stopped answering") {
		t.Fatalf("the log does not name the black-holed worker (pid %d) and say it stopped answering:\n%s", behind.cmd.Process.Pid, l)
	}
	if c := b.Connected(); c != 1 {
		t.Fatalf("Connected = %d, want 1", c)
	}
}
