package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/burst-dev/burst/pool"
	"github.com/burst-dev/burst/providers"
)

func costVerb(_ context.Context, c *cmd, fs *flag.FlagSet, args []string) error {
	mem := fs.Int("memory", 0, "function memory in `MB` (default: compute.memory, else 1024)")
	cpu := fs.Float64("cpu", 0, "vCPUs per instance where billed apart (default: compute.cpu, else each provider's default for the memory)")
	if err := parse(fs, args, 1, 1); err != nil {
		return err
	}
	if *mem < 0 || *cpu < 0 {
		return usagef("-memory and -cpu must not be negative")
	}
	cfg, err := providers.Load(c.config)
	if err != nil {
		return err
	}
	calls, totals, err := readStats(fs.Arg(0))
	if err != nil {
		return err
	}
	if *mem == 0 {
		*mem = cfg.Compute.Memory
	}
	if *cpu == 0 {
		*cpu = cfg.Compute.CPU
	}

	tw := tabwriter.NewWriter(c.stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "provider\tMB\tvCPU\tcalls\trequests\tbilled s\tGB-s\tvCPU-s\tUSD\t\n")
	row := func(name string, e providers.Estimate) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%d\t%d\t%.3f\t%.3f\t%.3f\t%.6f\t\n", name, e.MemoryMB, cpuCol(e.CPU),
			e.Calls, e.Requests, e.BilledSeconds, e.GBSeconds, e.VCPUSeconds, e.Dollars)
	}
	add := func(est interface {
		Add(pool.CallStats)
		AddStats(pool.Stats)
	}) {
		if calls != nil {
			for _, s := range calls {
				est.Add(s)
			}
		} else {
			est.AddStats(*totals)
		}
	}
	for _, p := range providers.Providers() {
		est, err := providers.NewEstimator(p, *mem, *cpu)
		if err != nil {
			return err
		}
		add(est)
		row(p, est.Estimate())
	}
	// The configured provider at the config's own prices, when it has a
	// pricing block or is not one of the billed clouds.
	if b := cfg.Compute.Backend; b != "local" && b != "process" {
		cc := *cfg
		if *mem > 0 {
			cc.Compute.Memory = *mem
		}
		est := cc.Estimator()
		add(est)
		row(b+" (burst.yaml prices)", est.Estimate())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	how := "each call billed by its provider's rules (granularity, minimum, memory steps)"
	if calls == nil {
		how = "from totals: per-call rounding and minimums cannot be applied, so short calls are underestimated"
	}
	fmt.Fprintf(c.stdout, "\nprices of %s, list, first tier, free tier off; %s. Sources: docs/cost.md\n", providers.PricingDate, how)
	return nil
}

func cpuCol(c float64) string {
	if c == 0 {
		return "-"
	}
	return fmt.Sprintf("%g", c)
}

// readStats reads a finished run's statistics: a JSON array of
// pool.CallStats (one per call, as a timeline.Recorder keeps them) or one
// pool.Stats object (a pool's totals).
func readStats(path string) ([]pool.CallStats, *pool.Stats, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	data = bytes.TrimSpace(data)
	switch {
	case len(data) > 0 && data[0] == '[':
		var calls []pool.CallStats
		if err := json.Unmarshal(data, &calls); err != nil {
			return nil, nil, fmt.Errorf("%s: want a JSON array of pool.CallStats: %w", path, err)
		}
		if calls == nil {
			calls = []pool.CallStats{}
		}
		return calls, nil, nil
	case len(data) > 0 && data[0] == '{':
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		var s pool.Stats
		if err := dec.Decode(&s); err != nil {
			return nil, nil, fmt.Errorf("%s: want a JSON pool.Stats object (Calls, Retries, Busy, …): %w", path, err)
		}
		return nil, &s, nil
	}
	return nil, nil, fmt.Errorf("%s: want JSON: an array of pool.CallStats or a pool.Stats object", path)
}
