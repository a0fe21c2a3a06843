//go:build linux

package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/burst-dev/burst/internal/atomicfile"
)

// resultsHeader are results.csv's columns.
var resultsHeader = []string{
	"experiment", "implementation", "storage", "replicas", "rounds", "steps", "run",
	"wall_seconds", "engine_seconds", "cores", "parallel_efficiency", "overhead_per_segment_seconds",
	"segment_mean_seconds", "segment_sd_seconds", "calls", "retries", "backups", "exchanges", "mean_acceptance",
	"round_trips", "cost_aws_usd", "cost_gcp_usd", "cost_azure_usd", "cost_ibm_usd", "load_average",
}

func f(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }

func writeResults(path string, rows []row) error {
	return atomicfile.Write(path, 0o644, func(fh io.Writer) error {
		w := csv.NewWriter(fh)
		w.Write(resultsHeader)
		for _, r := range rows {
			w.Write([]string{
				strconv.Itoa(r.Experiment), r.Implementation, r.Storage, strconv.Itoa(r.Replicas),
				strconv.Itoa(r.Rounds), strconv.Itoa(r.Steps), strconv.Itoa(r.Run),
				f(r.Wall), f(r.Engine), strconv.Itoa(r.Cores), f(r.Efficiency), f(r.OverheadPerSeg),
				f(r.SegMean), f(r.SegSD), strconv.FormatInt(r.Calls, 10), strconv.FormatInt(r.Retries, 10), strconv.FormatInt(r.Backups, 10),
				strconv.Itoa(r.Exchanges), f(r.Acceptance), strconv.Itoa(r.RoundTrips),
				f(r.Cost["aws"]), f(r.Cost["gcp"]), f(r.Cost["azure"]), f(r.Cost["ibm"]), f(r.Load),
			})
		}
		w.Flush()
		return w.Error()
	})
}

// meanSD of xs (sd 0 for fewer than two).
func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	m := s / float64(len(xs))
	if len(xs) < 2 {
		return m, 0
	}
	var q float64
	for _, x := range xs {
		q += (x - m) * (x - m)
	}
	return m, math.Sqrt(q / float64(len(xs)-1))
}

// group collects rows by implementation name and replica count.
type group struct {
	name     string
	replicas int
	rows     []row
}

func groups(rows []row) []*group {
	var gs []*group
	idx := map[string]*group{}
	for _, r := range rows {
		k := fmt.Sprintf("%s/%d", r.name(), r.Replicas)
		g := idx[k]
		if g == nil {
			g = &group{name: r.name(), replicas: r.Replicas}
			idx[k] = g
			gs = append(gs, g)
		}
		g.rows = append(g.rows, r)
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].replicas < gs[j].replicas })
	return gs
}

func (g *group) stat(fn func(row) float64) (float64, float64) {
	xs := make([]float64, len(g.rows))
	for i, r := range g.rows {
		xs[i] = fn(r)
	}
	return meanSD(xs)
}

// implOrder is the order implementations appear in tables and plots.
var implOrder = []string{"workqueue", "objectstore", "payload", "shared"}

// implLabel names an implementation as the study did, with burst's name.
func implLabel(name string) string {
	switch name {
	case "workqueue":
		return "Work Queue"
	case "objectstore":
		return "object store (study: COS)"
	case "payload":
		return "payload (study: local dictionary)"
	case "shared":
		return "shared (study: Redis)"
	}
	return name
}

func byImpl(gs []*group) map[string][]*group {
	m := map[string][]*group{}
	for _, g := range gs {
		m[g.name] = append(m[g.name], g)
	}
	return m
}

func table(header []string, rows [][]string) string {
	var b strings.Builder
	b.WriteString("| " + strings.Join(header, " | ") + " |\n|")
	for range header {
		b.WriteString("---|")
	}
	b.WriteString("\n")
	for _, r := range rows {
		b.WriteString("| " + strings.Join(r, " | ") + " |\n")
	}
	return b.String()
}
