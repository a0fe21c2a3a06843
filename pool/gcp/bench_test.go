package gcp_test

import (
	"context"
	"fmt"
	"testing"

	"golang.org/x/oauth2"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/gcp"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
)

// BenchmarkLoopback compares small calls on gcp:// (the Functions Framework
// in one worker process, static ID token) with process:// in the same run.
func BenchmarkLoopback(b *testing.B) {
	addr := startFunction(b)
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("process/par=%d", par), func(b *testing.B) { httpfntest.BenchProcess(b, par) })
		b.Run(fmt.Sprintf("gcp/par=%d", par), func(b *testing.B) {
			be, err := gcp.New(context.Background(), gcp.Options{URL: "http://" + addr + "/", Secret: []byte(httpfntest.Secret),
				TokenSource: oauth2.StaticTokenSource(&oauth2.Token{AccessToken: idToken})})
			if err != nil {
				b.Fatal(err)
			}
			p := pool.New(be, pool.WithLimit(par))
			defer p.Close()
			httpfntest.BenchCalls(b, p, par)
		})
	}
}
