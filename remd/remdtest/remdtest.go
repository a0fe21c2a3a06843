// Package remdtest holds test helpers for programs and backends that run
// remd: a backend's tests prove with Identical that running replica exchange
// on it changes nothing but where the work runs.
package remdtest

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
	_ "github.com/burst-dev/burst/remd/engine/model" // the doublewell system
)

// Identical runs a small replica-exchange job on p and on local:// and
// checks that their Outputs are byte-identical: the project's promise that
// the backend changes nothing but where the work runs.
func Identical(t *testing.T, p *pool.Pool) {
	cfg := remd.Config{Engine: engine.Spec{Name: "doublewell"}, Temperatures: []float64{0.3, 0.6, 1.2, 2.4, 4.8},
		Rounds: 12, Steps: 40, Seed: 42}
	local, err := pool.Open(context.Background(), "local://")
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	want := remdFiles(t, local, cfg)
	got := remdFiles(t, p, cfg)
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) {
		t.Fatalf("remd wrote %v, local:// wrote %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	for name, w := range want {
		if !bytes.Equal(got[name], w) {
			t.Errorf("remd output %s differs from local://'s:\n%.300s\nvs\n%.300s", name, got[name], w)
		}
	}
}

func remdFiles(t *testing.T, p *pool.Pool, cfg remd.Config) map[string][]byte {
	t.Helper()
	cfg.Out = t.TempDir()
	if _, err := remd.Run(context.Background(), p, cfg); err != nil {
		t.Fatalf("remd.Run: %v", err)
	}
	return Outputs(t, cfg.Out)
}

// Outputs reads, by file name, what one seed fixes of the remd run whose
// output directory is dir: every CSV but timing.csv, and summary.json
// without its timing fields (remd.TimingFields). Runs of one seed on any
// backend, in any storage mode, resumed or not, have the same Outputs.
func Outputs(tb testing.TB, dir string) map[string][]byte {
	tb.Helper()
	files := map[string][]byte{}
	names, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		tb.Fatal(err)
	}
	for _, n := range names {
		if filepath.Base(n) == "timing.csv" { // wall-clock figures
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			tb.Fatal(err)
		}
		files[filepath.Base(n)] = b
	}
	b, err := os.ReadFile(filepath.Join(dir, remd.SummaryFile))
	if err != nil {
		tb.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		tb.Fatalf("%s: %v", filepath.Join(dir, remd.SummaryFile), err)
	}
	for _, f := range remd.TimingFields {
		delete(m, f)
	}
	files[remd.SummaryFile], _ = json.Marshal(m)
	return files
}
