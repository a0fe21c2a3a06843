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
//
// The map/ sub-benchmarks run the calls as remd does: rounds of 32
// segments of 1000 steps as one Map with backups on, over 2 workers (b.N is
// the number of rounds), and report the CPU time per call of the driver and
// of the workers besides the MD steps: what a call costs the cores the MD
// runs on.
func BenchmarkSegmentCall(b *testing.B) {
	for _, u := range []string{"local://", "process://?workers=1", "tcp://127.0.0.1:0?workers=1"} {
		name, _, _ := strings.Cut(u, ":")
		b.Run(name, func(b *testing.B) { benchSegmentCall(b, u) })
	}
	for _, u := range []string{"process://?workers=2", "tcp://127.0.0.1:0?workers=2"} {
		name, _, _ := strings.Cut(u, ":")
		b.Run("map/"+name, func(b *testing.B) { benchSegmentMap(b, u) })
	}
}

func benchSegmentMap(b *testing.B, u string) {
	ctx := context.Background()
	p := openBenchPool(b, u, 2)
	spec := engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":38}`)}
	e, err := engine.New(spec)
	if err != nil {
		b.Fatal(err)
	}
	ins := make([]SegmentIn, 32)
	for rep := range ins {
		st, err := e.Initial(initialRNG(1, rep), 0.2)
		if err != nil {
			b.Fatal(err)
		}
		ins[rep] = SegmentIn{Engine: spec, Seed: 1, Replica: rep, Round: 1, Steps: 1000, T: 0.2, PrevT: 0.2, Storage: Payload, State: &st}
	}
	rp := p.With(pool.WithBackups(0, 0))                 // as Run has it
	if _, err := segment.Map(ctx, rp, ins); err != nil { // warm up
		b.Fatal(err)
	}
	var md float64
	cpu0, wcpu0 := processCPU(os.Getpid()), childrenCPU()
	b.ResetTimer()
	for range b.N {
		outs, err := segment.Map(ctx, rp, ins)
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range outs {
			md += o.CPUSeconds
		}
	}
	b.StopTimer()
	cpu, wcpu := processCPU(os.Getpid())-cpu0, childrenCPU()-wcpu0
	n := float64(b.N * len(ins))
	b.ReportMetric(1e6*md/n, "md-µs")
	b.ReportMetric(1e6*cpu/n, "driver-cpu-µs")
	b.ReportMetric(1e6*(wcpu-md)/n, "worker-cpu-besides-md-µs")
}

// openBenchPool opens a pool, and for tcp:// starts its workers as child
// processes of this test binary.
func openBenchPool(b *testing.B, u string, workers int, opts ...pool.Option) *pool.Pool {
	ctx := context.Background()
	p, err := pool.Open(ctx, u, opts...)
	if err != nil {
		b.Fatal(err)
	}
	var started []*exec.Cmd
	b.Cleanup(func() {
		p.Close()
		for _, w := range started {
			w.Wait() // Close ends it
		}
	})
	if be := (*tcp.Backend)(nil); p.As(&be) {
		for range workers {
			w := exec.Command(os.Args[0], "-test.run=^$")
			w.Env = append(os.Environ(), be.WorkerEnv()...)
			if err := w.Start(); err != nil {
				b.Fatal(err)
			}
			started = append(started, w)
		}
		if err := be.WaitWorkers(ctx, workers); err != nil {
			b.Fatal(err)
		}
	}
	return p
}

func benchSegmentCall(b *testing.B, u string) {
	ctx := context.Background()
	var mu sync.Mutex
	var calls []pool.CallStats
	p := openBenchPool(b, u, 1, pool.WithCallHook(func(s pool.CallStats) {
		mu.Lock()
		calls = append(calls, s)
		mu.Unlock()
	}))
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
