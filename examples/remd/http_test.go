package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/remd/remdtest"
)

// The same demo through a Knative-style HTTP worker on loopback — this test
// binary serving signed calls as a Knative service would — chosen by a
// burst.yaml alone, writes the same bytes as the embedded default.
func TestDemoThroughHTTPWorkerMatchesLocal(t *testing.T) {
	w := httpfntest.StartWorker(t, "knative-worker", func(port int) []string {
		return []string{"K_SERVICE=remd", "K_REVISION=remd-00001", fmt.Sprintf("PORT=%d", port)}
	})
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	dir := t.TempDir()
	conf := filepath.Join(dir, "burst.yaml")
	yaml := "compute: {backend: knative, function: remd, concurrency: 2}\nknative: {endpoint: \"http://" + w.Addr + "\"}\n"
	if err := os.WriteFile(conf, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	local, remote := filepath.Join(dir, "local"), filepath.Join(dir, "knative")
	ctx := context.Background()
	args := []string{"-quiet", "-rounds", "200"}
	if err := run(ctx, append(args, "-out", local), io.Discard, io.Discard); err != nil {
		t.Fatalf("local: %v", err)
	}
	if err := run(ctx, append(args, "-config", conf, "-out", remote), io.Discard, io.Discard); err != nil {
		t.Fatalf("knative: %v", err)
	}
	want, got := remdtest.Outputs(t, local), remdtest.Outputs(t, remote)
	for f := range want {
		if !bytes.Equal(got[f], want[f]) {
			t.Errorf("%s differs between local:// and the HTTP worker", f)
		}
	}
	summary, _ := os.ReadFile(filepath.Join(remote, "summary.json"))
	if !strings.Contains(string(summary), `"knative://`) {
		t.Errorf("the second run did not go through knative:// (summary: %.300s)", summary)
	}
}
