package azure_test

import (
	"fmt"
	"net/http/httptest"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/azure"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

// BenchmarkLoopback compares small calls on azure:// through an emulated
// Functions host (forwarding, and invocation envelopes) in front of one
// custom handler process with process:// in the same run.
func BenchmarkLoopback(b *testing.B) {
	handler := startHandler(b)
	hosts := map[string]*httptest.Server{"azure-forward": forwardingHost(b, handler), "azure-envelope": envelopeHost(b, handler)}
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("process/par=%d", par), func(b *testing.B) { httpfntest.BenchProcess(b, par) })
		for _, name := range []string{"azure-forward", "azure-envelope"} {
			b.Run(fmt.Sprintf("%s/par=%d", name, par), func(b *testing.B) {
				be, err := azure.New(azure.Options{URL: hosts[name].URL + "/api/burst", Key: functionKey, Secret: []byte(httpfntest.Secret)})
				if err != nil {
					b.Fatal(err)
				}
				p := pool.New(be, pool.WithLimit(par))
				defer p.Close()
				httpfntest.BenchCalls(b, p, par)
			})
		}
	}
}
