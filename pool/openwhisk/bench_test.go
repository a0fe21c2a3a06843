package openwhisk_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/pool/openwhisk"
	"github.com/burst-dev/burst/pool/openwhisk/owtest"
)

// BenchmarkLoopback compares small calls on openwhisk:// (the local REST
// host in front of two action-loop containers, one activation each at a
// time) with process:// (two workers) in the same run.
func BenchmarkLoopback(b *testing.B) {
	h := owtest.Start(b, 2, time.Minute)
	for _, par := range []int{1, 8} {
		b.Run(fmt.Sprintf("process/par=%d", par), func(b *testing.B) { httpfntest.BenchProcess(b, par) })
		b.Run(fmt.Sprintf("openwhisk/par=%d", par), func(b *testing.B) {
			be, err := openwhisk.New(openwhisk.Options{APIHost: h.URL, Namespace: "guest", Action: "burst", Auth: h.Auth(),
				Secret: []byte(httpfntest.Secret)})
			if err != nil {
				b.Fatal(err)
			}
			p := pool.New(be, pool.WithLimit(par))
			defer p.Close()
			httpfntest.BenchCalls(b, p, par)
		})
	}
}
