//go:build linux

package remd

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/tcp"
	"github.com/burst-dev/burst/remd/engine"
)

// BenchmarkSegmentCall measures what one remd segment call costs besides
// its MD steps, on one worker, one call at a time: lj38 with payload
// storage (the state travels both ways, as in issue 19's figure 3) and a
// single MD step, so that nearly all of a call is its per-call cost.
//
//	go test -run '^$' -bench SegmentCall -benchtime 2000x ./remd/
//
// It reports the phases of a call in µs: to-fn (the call made in the driver
// until the worker's handler starts: encoding, the pool's bookkeeping, the
// stream, the worker reading it), decode (the handler decoding the input),
// body (runSegment besides the MD step: engine, state copy, random stream,
// result), md (the MD step's CPU), encode (the handler encoding the result),
// back (the result's way to the caller and its decoding), and the CPU time
// per call of the driver and of the worker processes. The worker's clock is
// the driver's (one machine), so the cross-process phases subtract times
// taken in two processes.
func BenchmarkSegmentCall(b *testing.B) {
	for _, u := range []string{"local://", "process://?workers=1", "tcp://127.0.0.1:0?workers=1"} {
		name, _, _ := strings.Cut(u, ":")
		b.Run(name, func(b *testing.B) { benchSegmentCall(b, u) })
	}
}

func benchSegmentCall(b *testing.B, u string) {
	ctx := context.Background()
	var mu sync.Mutex
	var calls []pool.CallStats
	p, err := pool.Open(ctx, u, pool.WithCallHook(func(s pool.CallStats) {
		mu.Lock()
		calls = append(calls, s)
		mu.Unlock()
	}))
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	if be := (*tcp.Backend)(nil); p.As(&be) {
		w := exec.Command(os.Args[0], "-test.run=^$")
		w.Env = append(os.Environ(), be.WorkerEnv()...)
		if err := w.Start(); err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { w.Wait() }) // after the deferred Close ends it
		if err := be.WaitWorkers(ctx, 1); err != nil {
			b.Fatal(err)
		}
	}
	spec := engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":38}`)}
	e, err := engine.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	st, err := e.Initial(initialRNG(1, 0), 0.2)
	if err != nil {
		b.Fatal(err)
	}
	in := SegmentIn{Engine: spec, Seed: 1, Replica: 0, Round: 1, Steps: 1, T: 0.2, PrevT: 0.2, Storage: Payload, State: &st}
	for range 50 { // warm up: the worker's engine, connections, buffers
		if _, err := segment.Call(ctx, p, in); err != nil {
			b.Fatal(err)
		}
	}
	mu.Lock()
	calls = calls[:0]
	mu.Unlock()
	outs := make([]SegmentOut, 0, b.N)
	local := strings.HasPrefix(u, "local:")
	cpu0, wcpu0 := processCPU(os.Getpid()), childrenCPU()
	b.ResetTimer()
	for range b.N {
		out, err := segment.Call(ctx, p, in)
		if err != nil {
			b.Fatal(err)
		}
		outs = append(outs, out)
	}
	b.StopTimer()
	cpu, wcpu := processCPU(os.Getpid())-cpu0, childrenCPU()-wcpu0
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != len(outs) {
		b.Fatalf("%d call records for %d calls", len(calls), len(outs))
	}
	var toFn, decode, body, md, encode, back float64
	for i, s := range calls {
		o := outs[i]
		us := func(a, b int64) float64 { return float64(b-a) / 1e3 }
		toFn += us(s.Submitted.UnixNano(), s.Started.UnixNano())
		decode += us(s.Started.UnixNano(), o.Start)
		body += us(o.Start, o.End) - 1e6*o.CPUSeconds
		md += 1e6 * o.CPUSeconds
		encode += us(o.End, s.Ended.UnixNano())
		back += us(s.Ended.UnixNano(), s.Returned.UnixNano())
	}
	n := float64(len(outs))
	for _, m := range []struct {
		v    float64
		unit string
	}{{toFn, "to-fn-µs"}, {decode, "decode-µs"}, {body, "body-µs"}, {md, "md-µs"}, {encode, "encode-µs"}, {back, "back-µs"}} {
		b.ReportMetric(m.v/n, m.unit)
	}
	if !local {
		b.ReportMetric(1e6*cpu/n, "driver-cpu-µs")
		b.ReportMetric(1e6*wcpu/n, "worker-cpu-µs")
	} else {
		b.ReportMetric(1e6*cpu/n, "cpu-µs")
	}
}

// processCPU is a process's user+system CPU time in seconds, from /proc.
func processCPU(pid int) float64 {
	data, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0
	}
	// Fields after the command name, which is in parentheses and may hold
	// spaces: state is field 3, utime 14, stime 15.
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / clockTicks
}

// clockTicks is USER_HZ, which Linux fixes at 100 for /proc.
const clockTicks = 100

// childrenCPU sums processCPU over this process's living children: the
// pool's workers.
func childrenCPU() float64 {
	// Each thread lists the children it started.
	files, _ := filepath.Glob(filepath.Join("/proc", strconv.Itoa(os.Getpid()), "task", "*", "children"))
	var sum float64
	for _, name := range files {
		data, _ := os.ReadFile(name)
		for _, f := range strings.Fields(string(data)) {
			if pid, err := strconv.Atoi(f); err == nil {
				sum += processCPU(pid)
			}
		}
	}
	return sum
}
