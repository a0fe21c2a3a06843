// Command hello maps a registered function over inputs on a pool and prints
// the results with each call's statistics: the smallest burst program.
//
//	go run ./examples/hello                              # in this process
//	go run ./examples/hello -backend 'process://?workers=2'
//	go run ./examples/hello -config burst.yaml           # wherever the config says
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"text/tabwriter"
	"time"

	"github.com/burst-dev/burst/pool"
	_ "github.com/burst-dev/burst/pool/process"
	"github.com/burst-dev/burst/providers"
)

// Collatz counts the steps of the Collatz sequence from n down to 1.
var Collatz = pool.Register("hello.collatz", func(ctx context.Context, n int) (int, error) {
	steps := 0
	for ; n != 1; steps++ {
		if n%2 == 0 {
			n /= 2
		} else {
			n = 3*n + 1
		}
	}
	return steps, nil
})

func main() {
	pool.Main() // a worker serves here and never returns
	backend := flag.String("backend", "local://", "pool URL: local://, process://?workers=N, …")
	config := flag.String("config", "", "burst.yaml choosing the provider (overrides -backend)")
	flag.Parse()
	ctx := context.Background()
	var p *pool.Pool
	if *config != "" {
		cfg, err := providers.Load(*config)
		if err != nil {
			log.Fatal(err)
		}
		env, err := providers.Open(ctx, cfg)
		if err != nil {
			log.Fatal(err)
		}
		defer env.Close()
		p = env.Pool
		*backend = *config
	} else {
		var err error
		if p, err = pool.Open(ctx, *backend); err != nil {
			log.Fatal(err)
		}
		defer p.Close()
	}

	g, ctx := pool.WithContext(ctx, p)
	var futs []*pool.Future[int]
	for _, n := range []int{7, 27, 97, 871, 6171, 77031, 837799} {
		futs = append(futs, Collatz.Go(g, n))
	}
	if err := g.Wait(); err != nil {
		log.Fatal(err)
	}
	tw := tabwriter.NewWriter(os.Stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "n\tsteps\tworker\tattempts\tbytes in\tbytes out\trun time\t")
	for i, n := range []int{7, 27, 97, 871, 6171, 77031, 837799} {
		steps, _ := futs[i].Get(ctx)
		s := futs[i].Stats()
		fmt.Fprintf(tw, "%d\t%d\t%s\t%d\t%d\t%d\t%s\t\n", n, steps, s.Worker, s.Attempts, s.BytesIn, s.BytesOut,
			s.Ended.Sub(s.Started).Round(time.Microsecond))
	}
	tw.Flush()
	st := p.Stats()
	fmt.Printf("%d calls, %d failed, %d retries, %d backups on %s\n", st.Calls, st.Failed, st.Retries, st.Backups, *backend)
}
