package providers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/providers"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model"
)

// TestRemdDemoThroughLambdaEmulatorMatchesLocal runs the examples/remd demo
// system (LJ13, 8 replicas on the default ladder, seed 1; fewer rounds to
// keep the race-enabled run short) once in process and once through the
// Lambda emulator, both opened from a burst.yaml by providers.Open, and
// requires byte-identical outputs.
func TestRemdDemoThroughLambdaEmulatorMatchesLocal(t *testing.T) {
	for _, kv := range testenv.LambdaEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	noEnv(t)
	l := testenv.StartLambda(t, testenv.LambdaOptions{Timeout: 120})
	temps, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, 8)
	if err != nil {
		t.Fatal(err)
	}
	demo := remd.Config{
		System: "lj13", Engine: engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":13,"container":2.25}`)},
		Temperatures: temps, Rounds: 12, Steps: 500, Seed: 1, Backend: "demo",
	}
	run := func(yaml string) map[string][]byte {
		t.Helper()
		cfg, err := providers.Parse("burst.yaml", []byte(yaml))
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
		return outputs(t, c.Out)
	}
	local := run("compute: {backend: local}\n")
	// The classic emulator runs one call at a time.
	lambda := run("compute: {backend: aws, function: function, concurrency: 1}\naws: {region: us-east-1, endpoint: \"" + l.Endpoint + "\"}\n")
	for name, want := range local {
		if got := lambda[name]; !bytes.Equal(got, want) {
			t.Errorf("%s differs between local:// and the Lambda emulator (%d vs %d bytes)", name, len(got), len(want))
		}
	}
	if len(lambda) != len(local) || len(local) < 4 {
		t.Fatalf("compared %d files with %d", len(lambda), len(local))
	}
}

// outputs reads remd's deterministic outputs: every CSV but timing.csv, and
// summary.json without its timing fields.
func outputs(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	names, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	for _, n := range names {
		if filepath.Base(n) == "timing.csv" {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, f := range remd.TimingFields {
		delete(m, f)
	}
	files["summary.json"], _ = json.Marshal(m)
	return files
}
