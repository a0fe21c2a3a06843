//go:build linux

package main

import (
	"fmt"
	"strings"
	"time"
)

// report is report.md: our numbers beside the study's, in its tables.
func (o *options) report(rows []row, proj []projection, env *services) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# The study's experiment %d, rerun with burst\n\n", o.exp)
	fmt.Fprintf(&b, "%s, %s.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), strings.ReplaceAll(o.scaling(), "\n", ". "))
	if env.storageURL != "" {
		fmt.Fprintf(&b, "Object store: %s. ", env.storageFrom)
	}
	if env.sharedURL != "" {
		fmt.Fprintf(&b, "Shared: %s. ", env.sharedFrom)
	}
	fmt.Fprintf(&b, "Seed %d, the same for every implementation. Bills use %d MB and %g vCPU per call (docs/cost.md).\n\n", o.seed, o.memoryMB, o.cpu)
	gs := groups(rows)
	if o.exp == 1 {
		o.reportExp1(&b, gs)
	} else {
		o.reportExp2(&b, gs)
	}
	reportCost(&b, o.exp, gs)
	reportAcceptance(&b, gs)
	reportProjection(&b, proj)
	return b.String()
}

func fmtMS(m, sd float64) string { return fmt.Sprintf("%.2f ± %.2f", m, sd) }

func (o *options) reportExp1(b *strings.Builder, gs []*group) {
	b.WriteString("## Time per storage mode (the study's Fig. 13)\n\n")
	var base float64
	for _, g := range gs {
		if g.name == "payload" {
			base, _ = g.stat(func(r row) float64 { return r.Wall })
		}
	}
	var rows [][]string
	verdict := map[string]string{}
	for _, name := range implOrder {
		for _, g := range gs {
			if g.name != name {
				continue
			}
			m, sd := g.stat(func(r row) float64 { return r.Wall })
			fm, fsd := g.stat(func(r row) float64 { return r.SegMean })
			ld, _ := g.stat(func(r row) float64 { return r.Load })
			ratio := "—"
			if base > 0 {
				ratio = fmt.Sprintf("%.3f×", m/base)
				if lim, ok := map[string]float64{"objectstore": 1.10, "shared": 1.05}[name]; ok {
					v := "met"
					if m/base > lim {
						v = "NOT met"
					}
					verdict[name] = fmt.Sprintf("%s ≤ %.2f× payload: %.3f×, %s", name, lim, m/base, v)
				}
			}
			st := studyExp1[name]
			sr := fmt.Sprintf("%.2f×", st[0]/studyExp1["payload"][0])
			rows = append(rows, []string{implLabel(name), fmtMS(m, sd), ratio, fmt.Sprintf("%.1f ± %.1f", st[0], st[1]), sr,
				fmtMS(fm, fsd), fmt.Sprint(len(g.rows)), fmt.Sprintf("%.2f", ld)})
		}
	}
	b.WriteString(table([]string{"storage", "ours: wall s (mean ± sd)", "ours ÷ payload", "study: s (mean ± sd)", "study ÷ local dict.",
		"ours: function time s", "runs", "load avg"}, rows))
	b.WriteString("\nThe study ran on IBM Cloud Functions with up to 72 calls at once; ours ran on the cores of this machine, so only the ratios compare.\n")
	if len(verdict) > 0 {
		b.WriteString("\nFigure 1 of issue 12: ")
		b.WriteString(verdict["objectstore"] + "; " + verdict["shared"] + ".\n")
	}
	b.WriteString("\n![Fig. 13](fig13-storage.svg)\n\n")
}

func (o *options) reportExp2(b *strings.Builder, gs []*group) {
	study := studyExp2(o.data)
	bi := byImpl(gs)
	b.WriteString("## Total time against replicas (the study's Fig. 14)\n\n")
	header := []string{"replicas"}
	var impls []string
	for _, name := range implOrder {
		if len(bi[name]) > 0 {
			impls = append(impls, name)
			header = append(header, "ours: "+implLabel(name)+" s")
		}
	}
	header = append(header, "study: COS s", "study: Redis s")
	var rows [][]string
	for _, n := range o.sizeList {
		r := []string{fmt.Sprint(n)}
		for _, name := range impls {
			cell := "—"
			for _, g := range bi[name] {
				if g.replicas == n {
					m, sd := g.stat(func(r row) float64 { return r.Wall })
					cell = fmtMS(m, sd)
				}
			}
			r = append(r, cell)
		}
		for _, k := range []string{"objectstore", "shared"} {
			cell := "—"
			for _, s := range study[k] {
				if s.Replicas == n {
					cell = fmt.Sprintf("%.0f", s.Total)
				}
			}
			r = append(r, cell)
		}
		rows = append(rows, r)
	}
	b.WriteString(table(header, rows))
	b.WriteString("\nThe study gave every replica its own core (total time ≈ rounds × the slowest segment); here all replicas share this machine's cores, so our time grows with the replicas and only the ratios between implementations compare.\n\n![Fig. 14](fig14-replicas.svg)\n\n")

	if len(bi["workqueue"]) > 0 && len(bi["payload"]) > 0 {
		b.WriteString("## burst against Work Queue on the same cores (figure 2 of issue 12)\n\n")
		var rows [][]string
		allEff, allOv := true, true
		for _, n := range o.sizeList {
			var bu, wq *group
			for _, g := range bi["payload"] {
				if g.replicas == n {
					bu = g
				}
			}
			for _, g := range bi["workqueue"] {
				if g.replicas == n {
					wq = g
				}
			}
			if bu == nil || wq == nil {
				continue
			}
			bw, _ := bu.stat(func(r row) float64 { return r.Wall })
			ww, _ := wq.stat(func(r row) float64 { return r.Wall })
			be, _ := bu.stat(func(r row) float64 { return r.Efficiency })
			we, _ := wq.stat(func(r row) float64 { return r.Efficiency })
			bo, _ := bu.stat(func(r row) float64 { return r.OverheadPerSeg })
			wo, _ := wq.stat(func(r row) float64 { return r.OverheadPerSeg })
			ld, _ := bu.stat(func(r row) float64 { return r.Load })
			allEff = allEff && be >= 0.90
			allOv = allOv && bo <= 0.1*wo
			rows = append(rows, []string{fmt.Sprint(n), fmt.Sprintf("%.2f", bw), fmt.Sprintf("%.2f", ww),
				fmt.Sprintf("%.3f", be), fmt.Sprintf("%.3f", we), fmt.Sprintf("%.1f", bo*1000), fmt.Sprintf("%.1f", wo*1000),
				fmt.Sprintf("%.3f", bo/wo), fmt.Sprintf("%.2f", ld)})
		}
		b.WriteString(table([]string{"replicas", "burst wall s", "Work Queue wall s", "burst efficiency", "Work Queue efficiency",
			"burst overhead ms/segment", "Work Queue overhead ms/segment", "overhead ratio", "load avg"}, rows))
		fmt.Fprintf(b, "\nOverhead per segment = (wall × cores − engine CPU time) ÷ calls. Efficiency ≥ 0.90 at every size: %s; overhead ≤ 0.1× Work Queue's at every size: %s.\n",
			yes(allEff), yes(allOv))
		same, where := sameEnergies(o.out, flatten(gs))
		fmt.Fprintf(b, "energies.csv byte-identical between burst and Work Queue (figure 3): %s (%s).\n\n", yes(same), where)
	}

	b.WriteString("## Mean function time (the study's Fig. 15)\n\n")
	rows = nil
	for _, name := range impls {
		var ms []float64
		for _, g := range bi[name] {
			m, _ := g.stat(func(r row) float64 { return r.SegMean })
			ms = append(ms, m)
		}
		m, sd := meanSD(ms)
		st := "—"
		if v := studyTable20[name].MeanFn; v > 0 {
			st = fmt.Sprintf("%.0f", v)
		}
		if name == "workqueue" {
			st = "—"
		}
		rows = append(rows, []string{implLabel(name), fmtMS(m, sd), st})
	}
	b.WriteString(table([]string{"implementation", "ours: function time s (mean ± sd over sizes)", "study: s (10 000 steps)"}, rows))
	b.WriteString("\nFor Work Queue our function time is the whole task as the worker ran it (process start, loading the force field, the segment, staging). The study's Fig. 15 times are for 10 000-step segments.\n\n![Fig. 15](fig15-function-time.svg)\n\n")
}

func flatten(gs []*group) []row {
	var rs []row
	for _, g := range gs {
		rs = append(rs, g.rows...)
	}
	return rs
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func reportCost(b *strings.Builder, exp int, gs []*group) {
	b.WriteString("## Cost per implementation (the study's Fig. 16 and Table 20)\n\n")
	bi := byImpl(gs)
	var rows [][]string
	for _, name := range implOrder {
		if len(bi[name]) == 0 {
			continue
		}
		var hours float64
		cost := map[string]float64{}
		runs := 0
		for _, g := range bi[name] {
			runs = len(g.rows)
			for _, r := range g.rows {
				hours += r.SegMean * float64(r.Calls) / 3600 / float64(len(g.rows))
				for k, v := range r.Cost {
					cost[k] += v / float64(len(g.rows))
				}
			}
		}
		st := "—"
		if exp == 2 {
			t := studyTable20[name]
			st = fmt.Sprintf("%.2f (%.2f h)", t.USD, t.Hours)
		}
		rows = append(rows, []string{implLabel(name), fmt.Sprintf("%.4f", hours),
			fmt.Sprintf("%.4f", cost["aws"]), fmt.Sprintf("%.4f", cost["gcp"]), fmt.Sprintf("%.4f", cost["azure"]),
			fmt.Sprintf("%.4f", cost["ibm"]), st, fmt.Sprint(runs)})
	}
	b.WriteString(table([]string{"implementation", "ours: function hours", "ours: AWS $", "GCP $", "Azure $", "IBM Code Engine $",
		"study: IBM $ (sweep wall hours), whole sweep at full size", "runs averaged"}, rows))
	b.WriteString("\nOurs: each call's measured duration billed by each provider's rules (granularity, minimum, per-request fee, no free tier), per run and summed over sizes; Work Queue's line is what its tasks would cost as functions. The study's Work Queue cost is its cluster's, and its serverless costs are for the full-size sweep, about 1 000× our default work: compare shapes, not dollars. See the projection for full-size bills.\n\n![Fig. 16](fig16-cost.svg)\n\n")
}

func reportAcceptance(b *strings.Builder, gs []*group) {
	b.WriteString("## Exchanges\n\n")
	var rows [][]string
	for _, g := range gs {
		a, _ := g.stat(func(r row) float64 { return r.Acceptance })
		x, _ := g.stat(func(r row) float64 { return float64(r.Exchanges) })
		t, _ := g.stat(func(r row) float64 { return float64(r.RoundTrips) })
		rows = append(rows, []string{implLabel(g.name), fmt.Sprint(g.replicas), fmt.Sprintf("%.3f", a), fmt.Sprintf("%.0f", x), fmt.Sprintf("%.0f", t)})
	}
	b.WriteString(table([]string{"implementation", "replicas", "mean acceptance", "exchanges accepted", "round trips"}, rows))
	b.WriteString("\nEvery implementation gives the same numbers: the seed fixes every random draw. The study reported 93–98 % acceptance for its Redis runs; its Metropolis test was wrong and every segment restarted from the original structure, so its rates do not measure exchange; ours use Δ = (β_i − β_j)(U_j − U_i) on continuing trajectories, so expect them to differ (docs/study.md).\n\n")
}

func reportProjection(b *strings.Builder, ps []projection) {
	if len(ps) == 0 {
		return
	}
	b.WriteString("## Projected to the clouds\n\n")
	b.WriteString("**Projected, not measured**: each burst run's own call timeline, replayed by a discrete-event simulation at the study's full sizes under each provider's limits: at most `concurrency` calls at once, each taking invocation latency + cold start (new instance, within the scaling rate) + its duration, the engine part scaled by the ratio of steps; the next round starts after the slowest call plus the driver's measured gap. Cost: the projected durations billed by docs/cost.md's rules.\n\n")
	var rows [][]string
	var sweep [][]string
	for _, p := range ps {
		if p.Replicas == 0 {
			t := studyTable20[p.From]
			sweep = append(sweep, []string{"projected", implLabel(p.From), p.Platform, fmt.Sprintf("%.2f", p.FunctionHours), fmt.Sprintf("%.2f", p.Cost),
				fmt.Sprintf("%.1f", p.Wall/3600), fmt.Sprintf("%.2f", p.MeanCall), fmt.Sprintf("%.2f (%.2f h wall, mean function time %.0f s)", t.USD, t.Hours, t.MeanFn)})
			continue
		}
		rows = append(rows, []string{"projected", p.Platform, p.From, p.Label, fmt.Sprint(p.Replicas), fmt.Sprintf("%d × %d", p.Rounds, p.Steps),
			fmt.Sprintf("%.1f", p.Wall/60), fmt.Sprintf("%.2f", p.MeanCall), fmt.Sprintf("%.2f", p.Cost), fmt.Sprint(p.PeakInstances), fmt.Sprint(p.Spilled)})
	}
	b.WriteString(table([]string{"", "platform", "replayed run", "size", "replicas", "rounds × steps", "wall min", "mean call s", "cost $", "instances", "payload over limit"}, rows))
	if len(sweep) > 0 {
		b.WriteString("\n### Table 20 at full size, projected\n\nThe study's whole experiment 2 (replicas 12…192, 100 rounds × 10 000 steps each, one size after another) on each provider, beside the study's bill on IBM Cloud Functions (its Work Queue line, 196.57 USD for 42.19 h, was a cluster):\n\n")
		b.WriteString(table([]string{"", "implementation", "platform", "function hours", "cost $", "wall h", "mean call s", "study: IBM $ (sweep wall h, mean function time)"}, sweep))
	}
	b.WriteString("\nWhere each parameter came from:\n\n")
	b.WriteString(platformSources())
}
