//go:build linux

package main

import (
	"fmt"
	"image/color"
	"io"
	"path/filepath"

	"github.com/burst-dev/burst/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// plots draws the study's figures from our runs: Fig. 13 (exp 1), Fig. 14
// and 15 (exp 2), Fig. 16 (both), each as SVG and PNG.
func (o *options) plots(rows []row) error {
	gs := groups(rows)
	bi := byImpl(gs)
	var names []string
	for _, n := range implOrder {
		if len(bi[n]) > 0 {
			names = append(names, n)
		}
	}
	if o.exp == 1 {
		if err := o.fig13(gs); err != nil {
			return err
		}
	} else {
		if err := o.fig14(bi, names); err != nil {
			return err
		}
		if err := o.fig15(bi, names); err != nil {
			return err
		}
	}
	return o.fig16(bi, names)
}

func save(p *plot.Plot, dir, name string) error {
	w, h := 16*vg.Centimeter, 11*vg.Centimeter
	svg := vgsvg.New(w, h)
	p.Draw(draw.New(svg))
	if err := writeTo(filepath.Join(dir, name+".svg"), svg); err != nil {
		return err
	}
	png := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(110), vgimg.UseBackgroundColor(color.White))
	p.Draw(draw.New(png))
	return writeTo(filepath.Join(dir, name+".png"), vgimg.PngCanvas{Canvas: png})
}

func writeTo(path string, w io.WriterTo) error {
	return atomicfile.Write(path, 0o644, func(fh io.Writer) error {
		_, err := w.WriteTo(fh)
		return err
	})
}

// fig13: wall time per storage mode, ours and the study's, each relative to
// its payload (local dictionary) mode, since only ratios compare.
func (o *options) fig13(gs []*group) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Experiment 1: time per storage mode (%d replicas, %d×%d steps)", o.replicas, o.rounds, o.steps)
	p.Y.Label.Text = "wall time ÷ payload's"
	var ours, study plotter.Values
	var errs plotter.YErrors
	var labels []string
	var base float64
	for _, g := range gs {
		if g.name == "payload" {
			base, _ = g.stat(func(r row) float64 { return r.Wall })
		}
	}
	if base == 0 {
		return nil
	}
	for _, name := range []string{"objectstore", "payload", "shared"} {
		for _, g := range gs {
			if g.name != name {
				continue
			}
			m, sd := g.stat(func(r row) float64 { return r.Wall })
			ours = append(ours, m/base)
			errs = append(errs, struct{ Low, High float64 }{sd / base, sd / base})
			study = append(study, studyExp1[name][0]/studyExp1["payload"][0])
			labels = append(labels, name)
		}
	}
	w := vg.Points(18)
	b1, err := plotter.NewBarChart(ours, w)
	if err != nil {
		return err
	}
	b1.Color = plotutil.Color(0)
	b2, err := plotter.NewBarChart(study, w)
	if err != nil {
		return err
	}
	b2.Color = plotutil.Color(1)
	b2.Offset = w
	p.Add(b1, b2)
	// Error bars of ±1 sd over our runs, on our bars.
	var pts plotter.XYs
	for i, v := range ours {
		pts = append(pts, plotter.XY{X: float64(i), Y: v})
	}
	eb, err := plotter.NewYErrorBars(struct {
		plotter.XYer
		plotter.YErrorer
	}{pts, errs})
	if err != nil {
		return err
	}
	p.Add(eb)
	p.Legend.Add("burst (this run)", b1)
	p.Legend.Add("study (IBM Cloud Functions)", b2)
	p.Legend.Top = true
	p.NominalX(labels...)
	return save(p, o.out, "fig13-storage")
}

// fig14: total time against replicas per implementation, ours beside the
// study's measured runs.
func (o *options) fig14(bi map[string][]*group, names []string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Experiment 2: total time (%d rounds × %d steps, %d cores)", o.rounds, o.steps, o.workers)
	p.X.Label.Text = "replicas"
	p.Y.Label.Text = "wall time, s"
	var lines []any
	for _, n := range names {
		var xy plotter.XYs
		for _, g := range bi[n] {
			m, _ := g.stat(func(r row) float64 { return r.Wall })
			xy = append(xy, plotter.XY{X: float64(g.replicas), Y: m})
		}
		lines = append(lines, implLabel(n), xy)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	p.Legend.Top, p.Legend.Left = true, true
	if err := save(p, o.out, "fig14-replicas"); err != nil {
		return err
	}
	st := studyExp2(o.data)
	if len(st) == 0 {
		return nil
	}
	q := plot.New()
	q.Title.Text = "The study's experiment 2 (100 rounds × 10 000 steps, a core per replica)"
	q.X.Label.Text = "replicas"
	q.Y.Label.Text = "total time, s"
	lines = nil
	for _, k := range []string{"objectstore", "shared"} {
		var xy plotter.XYs
		for _, r := range st[k] {
			xy = append(xy, plotter.XY{X: float64(r.Replicas), Y: r.Total})
		}
		lines = append(lines, map[string]string{"objectstore": "study: COS prototype", "shared": "study: Redis prototype"}[k], xy)
	}
	if err := plotutil.AddLinePoints(q, lines...); err != nil {
		return err
	}
	q.Legend.Top, q.Legend.Left = false, false
	return save(q, o.out, "fig14-study")
}

// fig15: mean function time per implementation, by replicas.
func (o *options) fig15(bi map[string][]*group, names []string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Experiment 2: mean function time (%d steps per segment)", o.steps)
	p.X.Label.Text = "replicas"
	p.Y.Label.Text = "function time per call, s"
	var lines []any
	for _, n := range names {
		var xy plotter.XYs
		for _, g := range bi[n] {
			m, _ := g.stat(func(r row) float64 { return r.SegMean })
			xy = append(xy, plotter.XY{X: float64(g.replicas), Y: m})
		}
		lines = append(lines, implLabel(n), xy)
	}
	if err := plotutil.AddLinePoints(p, lines...); err != nil {
		return err
	}
	p.Legend.Top, p.Legend.Left = true, true
	return save(p, o.out, "fig15-function-time")
}

// fig16: cost per implementation on each provider, summed over sizes.
func (o *options) fig16(bi map[string][]*group, names []string) error {
	p := plot.New()
	p.Title.Text = fmt.Sprintf("Experiment %d: cost per implementation (%d MB, %g vCPU per call)", o.exp, o.memoryMB, o.cpu)
	p.Y.Label.Text = "USD per run (all sizes)"
	w := vg.Points(12)
	for i, prov := range costProviders {
		var v plotter.Values
		for _, n := range names {
			var c float64
			for _, g := range bi[n] {
				cm, _ := g.stat(func(r row) float64 { return r.Cost[prov] })
				c += cm
			}
			v = append(v, c)
		}
		bc, err := plotter.NewBarChart(v, w)
		if err != nil {
			return err
		}
		bc.Color = plotutil.Color(i)
		bc.Offset = vg.Length(i-len(costProviders)/2)*w + w/2
		p.Add(bc)
		p.Legend.Add(prov, bc)
	}
	labels := make([]string, len(names))
	for i, n := range names {
		labels[i] = n
	}
	p.NominalX(labels...)
	p.Legend.Top = true
	return save(p, o.out, "fig16-cost")
}
