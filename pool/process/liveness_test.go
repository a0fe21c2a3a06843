package process_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/process"
)

// captureLog sends the default logger to a buffer for the test.
func captureLog(t *testing.T) *syncBuffer {
	buf := new(syncBuffer)
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	return buf
}

// A worker stopped with SIGSTOP mid-Map neither exits nor closes its pipes:
// without liveness its calls waited for ever. It is pinged, does not answer,
// is killed and replaced, and its calls are retried elsewhere: every result
// arrives once, and the log names the stopped worker.
func TestStoppedWorkerIsDeclaredLost(t *testing.T) {
	logs := captureLog(t)
	p, b := openWith(t, process.Options{Workers: 2, Liveness: 200 * time.Millisecond},
		pool.WithBackoff(time.Millisecond, 10*time.Millisecond))
	const n = 40
	in := make([]holdIn, n)
	for i := range in {
		in[i] = holdIn{X: i, D: 100 * time.Millisecond}
	}
	var out []int
	var err error
	done := make(chan struct{})
	go func() {
		defer close(done)
		out, err = hold.Map(context.Background(), p, in)
	}()
	victim := 0
	for deadline := time.Now().Add(30 * time.Second); victim == 0; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("worker 0 never had a call in flight")
		}
		if w := b.Workers()[0]; w.InFlight > 0 {
			victim = w.PID
		}
	}
	if err := syscall.Kill(victim, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(victim, syscall.SIGKILL) })
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("Map hung on the stopped worker %d; log:\n%s", victim, logs)
	}
	if err != nil {
		t.Fatalf("Map with a stopped worker: %v", err)
	}
	for i, y := range out {
		if y != i {
			t.Fatalf("out[%d] = %d, want %d", i, y, i)
		}
	}
	if st := p.Stats(); st.Calls != n {
		t.Fatalf("Stats.Calls = %d, want %d", st.Calls, n)
	}
	if l := logs.String(); !strings.Contains(l, "pid "+strconv.Itoa(victim)) || !strings.Contains(l, "stopped answering") {
		t.Fatalf("the log does not name the stopped worker (pid %d) and say it stopped answering:\n%s", victim, l)
	}
	// Waking it changes nothing: it was killed, and its calls answered
	// elsewhere.
	syscall.Kill(victim, syscall.SIGCONT)
	for deadline := time.Now().Add(30 * time.Second); contains(b.PIDs(), victim) || len(b.PIDs()) != 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("PIDs = %v: the stopped worker %d should have been replaced", b.PIDs(), victim)
		}
	}
	out, err = hold.Map(context.Background(), p, in[:10])
	if err != nil {
		t.Fatal(err)
	}
	for i, y := range out {
		if y != i {
			t.Fatalf("after SIGCONT: out[%d] = %d, want %d", i, y, i)
		}
	}
}

// A call much longer than the liveness timeout on a healthy worker is not
// taken for a lost worker: the worker answers pings while it runs.
func TestLongCallIsNotLost(t *testing.T) {
	logs := captureLog(t)
	p, b := openWith(t, process.Options{Workers: 1, Liveness: 200 * time.Millisecond}, pool.WithRetries(0))
	before := b.PIDs()
	y, err := hold.Call(context.Background(), p, holdIn{X: 7, D: 10 * process.LivenessMisses * 200 * time.Millisecond / 3})
	if err != nil || y != 7 {
		t.Fatalf("long call: %d, %v; log:\n%s", y, err, logs)
	}
	if after := b.PIDs(); len(after) != 1 || after[0] != before[0] {
		t.Fatalf("PIDs %v → %v: a healthy worker was replaced; log:\n%s", before, after, logs)
	}
}

// liveness=off watches nothing; a bad value is refused naming the parameter.
func TestLivenessParam(t *testing.T) {
	for _, v := range []string{"off", "0", "2s"} {
		p, err := pool.Open(context.Background(), "process://?workers=1&liveness="+v)
		if err != nil {
			t.Fatalf("liveness=%s: %v", v, err)
		}
		if y, err := double.Call(context.Background(), p, 2); err != nil || y != 4 {
			t.Fatalf("liveness=%s: %d, %v", v, y, err)
		}
		p.Close()
	}
	for _, v := range []string{"-1s", "soon", ""} {
		_, err := pool.Open(context.Background(), "process://?workers=1&liveness="+v)
		if err == nil || !strings.Contains(err.Error(), "liveness") {
			t.Fatalf("liveness=%q: err = %v, want one naming liveness", v, err)
		}
	}
}
