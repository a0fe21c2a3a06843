package ibm_test

import (
	"fmt"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/ibm"
)

// BenchmarkLoopback compares small calls on ibm:// (IAM token from a local
// token server, one worker process) with process:// in the same run.
func BenchmarkLoopback(b *testing.B) {
	iam, _ := iamServer(b, "k")
	addr := startWorker(b)
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("process/par=%d", par), func(b *testing.B) { httpfntest.BenchProcess(b, par) })
		b.Run(fmt.Sprintf("ibm/par=%d", par), func(b *testing.B) {
			be, err := ibm.New(ibm.Options{URL: "http://" + addr, Secret: []byte(httpfntest.Secret), APIKey: "k", IAMEndpoint: iam.URL})
			if err != nil {
				b.Fatal(err)
			}
			p := pool.New(be, pool.WithLimit(par))
			defer p.Close()
			httpfntest.BenchCalls(b, p, par)
		})
	}
}
