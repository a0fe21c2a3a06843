//go:build unix

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/burst-dev/burst/internal/testenv"
	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/pool/slurm"
	"github.com/burst-dev/burst/remd"
	"github.com/burst-dev/burst/remd/engine"
)

func TestMain(m *testing.M) {
	pool.Main()
	os.Exit(m.Run())
}

// BenchmarkSlurmFigure3 is issue 19's figure 3: lj38, 32 replicas, 20 rounds
// × 1000 steps over slurm:// with 2 workers on the one-node test cluster,
// beside local:// and process://?workers=2 in the same run; parallel
// efficiency of each, and slurm's output byte-identical to local's.
//
//	go test -run '^$' -bench SlurmFigure3 -benchtime 1x ./examples/remd-bench/
func BenchmarkSlurmFigure3(b *testing.B) {
	s := testenv.StartSlurm(b, testenv.SlurmOptions{})
	b.Setenv("SLURM_CONF", s.Conf)
	ts, err := remd.Temperatures(remd.Geometric, 0.1, 0.45, 32)
	if err != nil {
		b.Fatal(err)
	}
	backends := []string{"local://", "process://?workers=2",
		fmt.Sprintf("slurm://?workers=2&listen=127.0.0.1:0&log_dir=%s", url.QueryEscape(b.TempDir()))}
	outs := map[string]string{}
	for _, u := range backends {
		ctx := context.Background()
		p, err := pool.Open(ctx, u)
		if err != nil {
			b.Fatal(err)
		}
		if sb := (*slurm.Backend)(nil); p.As(&sb) {
			// The job's start is figure 2's; this figure is the run.
			if err := sb.WaitWorkers(ctx, 2); err != nil {
				b.Fatal(err)
			}
		}
		out := b.TempDir()
		cfg := remd.Config{
			System: "lj38", Engine: engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":38}`)},
			Temperatures: ts, Rounds: 20, Steps: 1000, Seed: 1, Out: out, Backend: u, Storage: remd.Payload,
		}
		load0 := loadavg()
		res, err := remd.Run(ctx, p, cfg)
		p.Close()
		if err != nil {
			b.Fatal(err)
		}
		outs[u] = out
		sm := res.Summary
		b.Logf("%-28s wall %.2f s, engine %.2f s, cores %d: efficiency %.3f, occupancy %.3f, driver overhead %.0f µs/round (load %s/%s)",
			u, sm.WallSeconds, sm.EngineSeconds, sm.Cores, sm.ParallelEfficiency, sm.Occupancy, sm.DriverOverheadUS, load0, loadavg())
		if u[:5] == "slurm" {
			b.ReportMetric(sm.ParallelEfficiency, "slurm-efficiency")
		}
	}
	want := deterministic(b, outs["local://"])
	got := deterministic(b, outs[backends[2]])
	for name, w := range want {
		if !bytes.Equal(got[name], w) {
			b.Errorf("%s differs between slurm:// and local://", name)
		}
	}
	b.Logf("figure 3: %d output files byte-identical between slurm:// and local:// (timing fields of summary.json aside)", len(want))
}

// deterministic reads the outputs one seed fixes: the CSVs but timing.csv,
// and summary.json without its timing fields.
func deterministic(b *testing.B, dir string) map[string][]byte {
	files := map[string][]byte{}
	for _, name := range []string{"energies.csv", "samples.csv", "exchanges.csv", "walks.csv"} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			b.Fatal(err)
		}
		files[name] = data
	}
	data, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil {
		b.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		b.Fatal(err)
	}
	for _, f := range remd.TimingFields {
		delete(m, f)
	}
	files["summary.json"], _ = json.Marshal(m)
	return files
}
