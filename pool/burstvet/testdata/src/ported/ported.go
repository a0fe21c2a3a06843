package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/burst-dev/burst/pool"
)

var (
	verbose = flag.Bool("v", false, "verbose")
	prefix  string
	client  *os.File // opened by main
	mu      sync.Mutex
	seen    = map[string]bool{}
	total   int
)

func init() { flag.StringVar(&prefix, "prefix", "", "prefix") }

type result struct {
	path string
	sum  [16]byte
}

type job struct {
	Name string
	Done chan bool
}

type report struct {
	Err error
	At  time.Time
}

var (
	hash = pool.Register("hash", func(ctx context.Context, path string) (result, error) { // want `pool function "hash": output type ported.result.path: unexported field would be dropped`
		if *verbose { // want `pool function "hash" reads verbose, a flag: workers never run main`
			fmt.Println("hashing", path) // want `pool function "hash" calls fmt.Println: a worker's output goes to the driver's stderr`
		}
		return result{path: prefix + path}, nil // want `pool function "hash" reads prefix, a flag`
	})
	work = pool.Register("work", doWork)                                              // want `pool function "work": input type ported.job.Done: chan bool cannot be encoded`
	rep  = pool.Register("report", func(ctx context.Context, n int) (report, error) { // want `pool function "report": output type ported.report.Err: an error value cannot be restored`
		return report{}, nil
	})
)

func doWork(ctx context.Context, j job) (int, error) {
	if j.Name == "" {
		log.Fatalf("no name") // want `pool function "work" calls log.Fatalf: it ends the worker process`
	}
	if err := os.Chdir("/tmp"); err != nil { // want `pool function "work" calls os.Chdir`
		os.Exit(2) // want `pool function "work" calls os.Exit`
	}
	return record(j.Name), nil
}

func record(name string) int {
	mu.Lock() // want `pool function "work" \(in record\) locks mu, which main also uses: a mutex locks within one process`
	defer mu.Unlock()
	seen[name] = true               // want `pool function "work" \(in record\) writes package variable seen, which main reads: a worker's writes stay in the worker`
	fmt.Fprintln(os.Stderr, name)   // want `pool function "work" \(in record\) uses os.Stderr`
	_, _ = client.WriteString(name) // want `pool function "work" \(in record\) uses package variable client, which main sets: workers never run it`
	return len(seen)
}

type callback struct {
	Name string
	Then func(int)
}

type raw struct{ P unsafe.Pointer }

var (
	args = pool.Register("args", func(ctx context.Context, n int) (string, error) {
		fmt.Fprintln(os.Stdout, n) // want `pool function "args" uses os.Stdout: a worker's output goes to the driver's stderr`
		return flag.Arg(n), nil    // want `pool function "args" calls flag.Arg: workers never run main, so the driver's flags are not parsed there`
	})
	cb  = pool.Register("callback", func(ctx context.Context, c callback) (int, error) { return 0, nil }) // want `pool function "callback": input type ported.callback.Then: func\(int\) cannot be encoded`
	ptr = pool.Register("raw", func(ctx context.Context, n int) ([]raw, error) { return nil, nil })       // want `pool function "raw": output type \[\]ported.raw\[\].P: unsafe.Pointer cannot be encoded`
)

func main() {
	flag.Parse()
	client = os.Stdout
	mu.Lock()
	fmt.Println(len(seen), total)
	mu.Unlock()
}
