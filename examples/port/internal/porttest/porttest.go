// Package porttest runs a ported example on every kind of backend and
// compares its output with the original program's.
package porttest

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	_ "github.com/burst-dev/burst/pool/knative" // an HTTP backend, served by the test binary on loopback
	_ "github.com/burst-dev/burst/pool/process"
)

// Backends opens one pool per kind of backend: in-process, in-process through
// the codec, worker processes, and an HTTP function (Knative's protocol)
// whose worker is the test binary. The test binary's TestMain must call
// pool.Main.
func Backends(t *testing.T) map[string]*pool.Pool {
	t.Helper()
	w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=port-test", "K_REVISION=port-test-00001", fmt.Sprintf("PORT=%d", port)}
	})
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	pools := map[string]*pool.Pool{}
	for name, url := range map[string]string{
		"local":   "local://",
		"encoded": "local://?encode=1",
		"process": "process://?workers=2",
		"http":    "knative://" + w.Addr + "?tls=false",
	} {
		p, err := pool.Open(context.Background(), url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		t.Cleanup(func() { p.Close() })
		pools[name] = p
	}
	return pools
}

// Original runs the original program (a package directory) with args and
// returns its stdout.
func Original(t *testing.T, dir string, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	cmd := exec.Command("go", append([]string{"run", dir}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("go run %s: %v\n%s", dir, err, errs.String())
	}
	return out.String()
}
