package knative_test

import (
	"fmt"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/knative"
)

// BenchmarkLoopback compares small calls on knative:// (one worker process
// serving HTTP) with process:// (two worker processes) in the same run.
func BenchmarkLoopback(b *testing.B) {
	addr := startWorker(b)
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("process/par=%d", par), func(b *testing.B) { httpfntest.BenchProcess(b, par) })
		b.Run(fmt.Sprintf("knative/par=%d", par), func(b *testing.B) {
			be, err := knative.New(knative.Options{URL: "http://" + addr, Secret: []byte(httpfntest.Secret)})
			if err != nil {
				b.Fatal(err)
			}
			p := pool.New(be, pool.WithLimit(par))
			defer p.Close()
			httpfntest.BenchCalls(b, p, par)
		})
	}
}
