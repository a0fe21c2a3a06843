package providers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/burst-dev/burst/pool/httpfn"
	"github.com/burst-dev/burst/pool/httpfn/httpfntest"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/providers/providerstest"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
	"github.com/burst-dev/burst/remd/remdtest"
)

// TestRemdDemoIdenticalOnEveryBackend runs the examples/remd demo system
// (LJ13, 8 replicas on the default ladder, seed 1; fewer rounds to keep the
// race-enabled run short) on every backend, each chosen by rewriting
// burst.yaml alone and opened by providers.Open, and requires outputs
// byte-identical to the in-process run's. The backends are
// providerstest.Backends: the clouds played by their emulators and
// stand-ins, a local Slurm cluster, tcp workers started by hand.
func TestRemdDemoIdenticalOnEveryBackend(t *testing.T) {
	noEnv(t)
	temps, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, 8)
	if err != nil {
		t.Fatal(err)
	}
	demo := remd.Config{
		System: "lj13", Engine: engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":13,"container":2.25}`)},
		Temperatures: temps, Rounds: 12, Steps: 500, Seed: 1, Backend: "demo",
	}
	run := func(t *testing.T, yaml string) (map[string][]byte, string) {
		t.Helper()
		cfg, err := providers.Parse("burst.yaml", []byte(yaml))
		if err != nil {
			t.Fatal(err)
		}
		purl, err := cfg.PoolURL()
		if err != nil {
			t.Fatal(err)
		}
		env, err := providers.Open(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer env.Close()
		c := demo
		c.Out = t.TempDir()
		if _, err := remd.Run(context.Background(), env.Pool, c); err != nil {
			t.Fatalf("remd on %s: %v", yaml, err)
		}
		return remdtest.Outputs(t, c.Out), purl
	}
	t.Setenv(httpfn.EnvSecret, httpfntest.Secret)
	want, _ := run(t, "compute: {backend: local}\n")
	if len(want) < 4 {
		t.Fatalf("the local run wrote %d files", len(want))
	}
	for _, b := range providerstest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			got, purl := run(t, b.Start(t))
			if !strings.HasPrefix(purl, b.Scheme+":") {
				t.Fatalf("burst.yaml chose %s, want a %s:// pool", purl, b.Scheme)
			}
			for name, w := range want {
				if g := got[name]; !bytes.Equal(g, w) {
					t.Errorf("%s differs between local and %s (%d vs %d bytes)", name, b.Name, len(g), len(w))
				}
			}
			if len(got) != len(want) {
				t.Errorf("%s wrote %d files, local %d", b.Name, len(got), len(want))
			}
		})
	}
}
