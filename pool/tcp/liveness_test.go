package tcp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/pooltest"
	"github.com/burst-dev/burst/pool/process"
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
	// The worker, which hears nothing from the driver any more, leaves by
	// itself: the calls it was running when the link went are cancelled
	// and their results dropped.
	leftForSilence(t, behind)
}

// leftForSilence waits for w to exit, and checks that it left because its
// driver fell silent, and cleanly. The bound is a guard against a hang, far
// below what TCP alone would take (a proxy answers keepalive for ever).
func leftForSilence(t *testing.T, w *worker) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(time.Minute):
		t.Fatal("the worker still runs a minute after its driver fell silent")
	}
	// Its output is all copied once Wait returned.
	out := w.out.String()
	if w.err == nil || !strings.Contains(out, "nothing from the driver") || !strings.Contains(out, "taking it for gone") {
		t.Fatalf("worker exited with %v, output:\n%s\nwant exit status 1 and a log line saying the driver fell silent", w.err, out)
	}
	if strings.Contains(out, "panic") || strings.Contains(out, "DATA RACE") {
		t.Fatalf("worker output:\n%s", out)
	}
}

// openIdle opens a tcp:// pool with the given liveness and one worker
// connected through a black hole, not yet open, that has run a call (so
// the driver has its hello and watches it) and is now idle.
func openIdle(t *testing.T, liveness string) (*pool.Pool, *tcp.Backend, *blackHole, *worker) {
	t.Helper()
	p, err := pool.Open(context.Background(), "tcp://127.0.0.1:0?workers=1&liveness="+liveness)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	b := backendOf(t, p)
	h := newBlackHole(t, b.Addr())
	w := startWorkers(t, b, 1, tcp.EnvAddr+"="+h.ln.Addr().String())[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if out, err := pooltest.Square.Call(ctx, p, 3); err != nil || out != 9 {
		t.Fatalf("Square(3) = %d, %v; want 9, nil", out, err)
	}
	return p, b, h, w
}

// An idle worker whose driver vanishes without a FIN or a reset (here a
// link that drops everything; in life a power cut or a partition) leaves
// within a few liveness intervals, rather than serving nobody for ever; and
// the driver, whose pings it no longer answers, drops it.
func TestIdleWorkerLeavesASilentDriver(t *testing.T) {
	logs := captureLog(t)
	_, b, h, w := openIdle(t, "200ms")
	h.hole.Store(true)
	leftForSilence(t, w)
	for deadline := time.Now().Add(time.Minute); b.Connected() != 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Connected = %d a minute after the worker's link went, want 0; log:\n%s", b.Connected(), logs)
		}
	}
	if l := logs.String(); !strings.Contains(l, "stopped answering") {
		t.Fatalf("the driver's log does not say the worker stopped answering:\n%s", l)
	}
}

// hang marks its call started with a file in dir, then runs until its
// context ends.
var hang = pool.Register("tcp.hang", func(ctx context.Context, dir string) (int, error) {
	if err := os.WriteFile(filepath.Join(dir, "started"), nil, 0o666); err != nil {
		return 0, err
	}
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(2 * time.Minute):
		return 0, errors.New("tcp.hang: not cancelled within 2 minutes")
	}
})

// A worker whose driver vanishes while it runs a call leaves as an idle
// one does: the call is cancelled and its result, which nobody could
// receive, dropped.
func TestBusyWorkerLeavesASilentDriver(t *testing.T) {
	p, _, h, w := openIdle(t, "200ms")
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	called := make(chan struct{})
	go func() {
		defer close(called)
		hang.Call(ctx, p, dir) // retried, with no other worker, until cancel
	}()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(filepath.Join(dir, "started")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the call did not start on the worker within a minute")
		}
	}
	h.hole.Store(true)
	leftForSilence(t, w)
	cancel()
	<-called
}

// A healthy idle worker hears the driver's pings and stays, however long
// the pool has nothing for it.
func TestIdleWorkerStaysWithAHealthyDriver(t *testing.T) {
	p, b := openLive(t)
	w := startWorkers(t, b, 1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.WaitWorkers(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// 15 intervals of 200 ms with nothing to do: five times what would
	// make it leave a silent driver.
	select {
	case <-w.done:
		t.Fatalf("the idle worker exited (%v) beside a healthy driver; output:\n%s", w.err, w.out)
	case <-time.After(15 * 200 * time.Millisecond):
	}
	if c := b.Connected(); c != 1 {
		t.Fatalf("Connected = %d after the idle period, want 1", c)
	}
	out, err := slow.Call(ctx, p, 7)
	if err != nil || out != 7 {
		t.Fatalf("Call after the idle period = %d, %v; want 7, nil", out, err)
	}
}

// With liveness=off the driver promises no pings (as an older driver does
// not), and a worker never takes its silence for death: behind a black
// hole it waits, as before, for its connection to end. It is watched for
// longer than the default interval's bound, in case it fell back on it.
func TestLivenessOffWorkerWaitsForItsConnection(t *testing.T) {
	t.Parallel()
	_, _, h, w := openIdle(t, "off")
	h.hole.Store(true)
	select {
	case <-w.done:
		t.Fatalf("the worker exited (%v) with liveness=off; output:\n%s", w.err, w.out)
	case <-time.After((process.LivenessMisses+1)*process.DefaultLiveness + time.Second):
	}
}
