//go:build linux

package remd

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	_ "github.com/burst-dev/burst/cloudfs/s3upload" // as examples/study links it
	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/remd/engine"
)

// BenchmarkObjectStoreCall is the storage part of one remd segment call
// on objectstore, with a state of the WW domain's size, against the S3
// test server: load the input state, save the output state (a new
// directory each round, as stateKey names them); the driver drops old
// states, one request a round for all replicas. It reports the CPU time per
// call of this process (the worker's client side) and of the server, each
// from the kernel's accounting, so the figures do not depend on the
// machine's load.
//
//	go test -run '^$' -bench ObjectStoreCall -benchtime 500x ./remd/
func BenchmarkObjectStoreCall(b *testing.B) {
	s3 := testenv.StartS3(b)
	u := s3.BucketURL(b, "remdbench")
	ctx := context.Background()
	st, err := storeOpeners[ObjectStore](ctx, u)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	state := engine.State{X: make(engine.Floats, wwDim), V: make(engine.Floats, wwDim)}
	for i := range state.X {
		state.X[i], state.V[i] = 10*rng.NormFloat64(), rng.NormFloat64()
	}
	const replicas = 72
	key := func(r, rep int) string { return stateKey("bench", r, rep) }
	for rep := range replicas {
		if err := st.save(ctx, key(0, rep), state); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	cpu0, srv0 := selfCPU(), procCPU(b, s3.Pid())
	i := 0
	for b.Loop() {
		r, rep := 1+i/replicas, i%replicas
		i++
		got, err := st.load(ctx, key(r-1, rep))
		if err != nil {
			b.Fatal(err)
		}
		if err := st.save(ctx, key(r, rep), got); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(selfCPU()-cpu0)/float64(b.N), "client-cpu-ns/op")
	b.ReportMetric(float64(procCPU(b, s3.Pid())-srv0)/float64(b.N), "server-cpu-ns/op")
}

// selfCPU is the user and system CPU time this process has used.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is the user and system CPU time of process pid, from
// /proc/<pid>/stat (fields 14 and 15, in clock ticks of 1/100 s).
func procCPU(tb testing.TB, pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		tb.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		tb.Fatalf("/proc/%d/stat: %q", pid, s)
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}
