// Package report draws the figure of a replica-exchange run from the files
// remd.Run wrote: energy traces, potential-energy histograms per temperature
// (their overlap is what makes exchanges succeed), acceptance per neighbour
// pair, and the walks of a few replicas through temperature space.
//
//	err := report.Write("remd-out") // reads remd-out/*.csv, writes report.svg and report.png
package report

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"

	"github.com/burst-dev/burst/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Most lines a panel draws: more temperatures than this are thinned evenly
// (always keeping the coldest and the hottest), so the figure stays readable
// with hundreds of replicas.
const (
	maxTemps   = 8
	maxWalks   = 4
	window     = 300 // traces and walks show the last rounds only, so lines stay apart
	histBins   = 40
	figureW    = 30 * vg.Centimeter
	figureH    = 22 * vg.Centimeter
	pngDPI     = 110
	burnInFrac = 0.1 // histograms skip the first tenth of the rounds
)

type summary struct {
	System       string    `json:"system"`
	Temperatures []float64 `json:"temperatures"`
	Acceptance   []float64 `json:"acceptance"`
	Attempts     []int     `json:"attempts"`
	Rounds       int       `json:"rounds"`
	RoundTrips   int       `json:"round_trips"`
}

// summaryFile is remd.SummaryFile (this package does not link remd).
const summaryFile = "summary.json"

// Write reads dir/summary.json, dir/energies.csv and dir/walks.csv and writes
// dir/report.svg and dir/report.png.
func Write(dir string) error {
	if dir == "" {
		// It would read summary.json of the working directory: another run's.
		return errors.New("report: no directory given")
	}
	var s summary
	b, err := os.ReadFile(filepath.Join(dir, summaryFile))
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("report: %s: %w", summaryFile, err)
	}
	n := len(s.Temperatures)
	if n == 0 {
		return fmt.Errorf("report: %s lists no temperatures", summaryFile)
	}
	// energies[k] is the potential at temperature k, by round.
	energies := make([][]float64, n)
	err = readCSV(filepath.Join(dir, "energies.csv"), 5, func(f []float64) {
		if k := int(f[1]); k >= 0 && k < n {
			energies[k] = append(energies[k], f[4])
		}
	})
	if err != nil {
		return err
	}
	// walks[r] is replica r's temperature index, by round.
	walks := make([][]float64, n)
	err = readCSV(filepath.Join(dir, "walks.csv"), 3, func(f []float64) {
		if r := int(f[1]); r >= 0 && r < n {
			walks[r] = append(walks[r], f[2])
		}
	})
	if err != nil {
		return err
	}

	temps := pick(n, maxTemps)
	plots := [][]*plot.Plot{
		{traces(s, energies, temps), histograms(s, energies, temps)},
		{acceptance(s), walkPlot(s, walks)},
	}
	tiles := draw.Tiles{Rows: 2, Cols: 2, PadX: vg.Centimeter, PadY: vg.Centimeter,
		PadTop: vg.Centimeter, PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadRight: vg.Points(12)}

	title := fmt.Sprintf("%s: %d replicas, T %.3g–%.3g, %d rounds, %d round trips",
		s.System, n, s.Temperatures[0], s.Temperatures[n-1], s.Rounds, s.RoundTrips)
	draws := func(c vg.CanvasSizer) {
		dc := draw.New(c)
		sty := draw.TextStyle{Color: color.Black, Font: font.From(plot.DefaultFont, vg.Points(13)),
			XAlign: draw.XCenter, YAlign: draw.YTop, Handler: plot.DefaultTextHandler}
		dc.FillText(sty, vg.Point{X: dc.Center().X, Y: dc.Max.Y - vg.Points(4)}, title)
		for j, row := range plot.Align(plots, tiles, dc) {
			for i, cv := range row {
				plots[j][i].Draw(cv)
			}
		}
	}
	svg := vgsvg.New(figureW, figureH)
	draws(svg)
	if err := writeFile(filepath.Join(dir, "report.svg"), svg); err != nil {
		return err
	}
	png := vgimg.NewWith(vgimg.UseWH(figureW, figureH), vgimg.UseDPI(pngDPI), vgimg.UseBackgroundColor(color.White))
	draws(png)
	return writeFile(filepath.Join(dir, "report.png"), vgimg.PngCanvas{Canvas: png})
}

// writeFile replaces path whole, through a temporary file of its own: a
// reader never sees half a figure, and two programs writing the report of
// one folder at once do not clash on one temporary name.
func writeFile(path string, w io.WriterTo) error {
	err := atomicfile.Write(path, 0o644, func(f io.Writer) error {
		_, err := w.WriteTo(f)
		return err
	})
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// readCSV calls row with the numeric fields of each data row.
func readCSV(path string, fields int, row func([]float64)) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("report: %w", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.ReuseRecord = true
	r.FieldsPerRecord = -1
	if _, err := r.Read(); err != nil {
		return fmt.Errorf("report: %s: header: %w", path, err)
	}
	vals := make([]float64, fields)
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("report: %s: %w", path, err)
		}
		if len(rec) < fields {
			return fmt.Errorf("report: %s:%d: %d fields, want %d", path, line, len(rec), fields)
		}
		for i := range vals {
			if vals[i], err = strconv.ParseFloat(rec[i], 64); err != nil {
				return fmt.Errorf("report: %s:%d: field %d: %w", path, line, i+1, err)
			}
		}
		row(vals)
	}
}

// pick returns up to m indices spread evenly over 0..n−1, ends included.
func pick(n, m int) []int {
	if n <= m {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, m)
	for i := range out {
		out[i] = int(math.Round(float64(i) * float64(n-1) / float64(m-1)))
	}
	return out
}

// tempColor runs from blue (coldest) to red (hottest).
func tempColor(k, n int) color.Color {
	f := 0.0
	if n > 1 {
		f = float64(k) / float64(n-1)
	}
	return color.RGBA{R: uint8(30 + 200*f), G: uint8(60 + 60*math.Sin(math.Pi*f)), B: uint8(220 - 190*f), A: 255}
}

// intTicks labels only whole numbers, without decimals: rounds and indices.
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	ts := plot.DefaultTicks{}.Ticks(lo, hi)
	for i, t := range ts {
		if t.Label == "" {
			continue
		}
		if t.Value != math.Round(t.Value) {
			ts[i].Label = ""
		} else {
			ts[i].Label = strconv.FormatFloat(t.Value, 'f', 0, 64)
		}
	}
	return ts
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	return p
}

func traces(s summary, energies [][]float64, temps []int) *plot.Plot {
	p := newPlot("Potential energy per temperature", "round", "U")
	if s.Rounds > window {
		p.Title.Text += fmt.Sprintf(" (last %d rounds)", window)
	}
	p.X.Tick.Marker = intTicks{}
	// Hottest first, so the colder, flatter traces are drawn on top.
	for i := len(temps) - 1; i >= 0; i-- {
		k := temps[i]
		e := energies[k]
		var xy plotter.XYs
		for r := max(0, len(e)-window); r < len(e); r++ {
			xy = append(xy, plotter.XY{X: float64(r), Y: e[r]})
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.Color = tempColor(k, len(s.Temperatures))
		l.Width = vg.Points(0.7)
		p.Add(l)
	}
	return p
}

func histograms(s summary, energies [][]float64, temps []int) *plot.Plot {
	p := newPlot("Histograms of U (overlap lets exchanges succeed)", "U", "density")
	// The range covers all but the rarest 0.2 % at each end, so a few
	// excursions do not squeeze the histograms into one corner.
	var all []float64
	for _, k := range temps {
		e := energies[k]
		all = append(all, e[int(burnInFrac*float64(len(e))):]...)
	}
	if len(all) == 0 {
		return p
	}
	sort.Float64s(all)
	lo, hi := all[int(0.002*float64(len(all)))], all[int(0.998*float64(len(all)-1))]
	if !(hi > lo) {
		lo, hi = all[0], all[len(all)-1]
	}
	if !(hi > lo) {
		return p
	}
	w := (hi - lo) / histBins
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	for _, k := range temps {
		e := energies[k]
		e = e[int(burnInFrac*float64(len(e))):]
		if len(e) == 0 {
			continue
		}
		counts := make([]float64, histBins)
		for _, u := range e {
			if u >= lo && u <= hi {
				counts[min(histBins-1, int((u-lo)/w))]++
			}
		}
		// A step outline, so overlapping histograms stay visible.
		var xy plotter.XYs
		for b, c := range counts {
			d := c / (float64(len(e)) * w)
			xy = append(xy, plotter.XY{X: lo + float64(b)*w, Y: d}, plotter.XY{X: lo + float64(b+1)*w, Y: d})
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.Color = tempColor(k, len(s.Temperatures))
		l.Width = vg.Points(1)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("T=%.3g", s.Temperatures[k]), l)
	}
	return p
}

func acceptance(s summary) *plot.Plot {
	p := newPlot("Exchange acceptance per neighbour pair", "pair k (temperatures k, k+1)", "acceptance")
	p.X.Tick.Marker = intTicks{}
	p.Y.Min, p.Y.Max = 0, 1
	if len(s.Acceptance) == 0 {
		return p
	}
	var xy plotter.XYs
	for k, a := range s.Acceptance {
		xy = append(xy, plotter.XY{X: float64(k), Y: a})
	}
	if len(xy) <= 40 {
		vals := make(plotter.Values, len(s.Acceptance))
		copy(vals, s.Acceptance)
		bars, err := plotter.NewBarChart(vals, vg.Points(math.Max(2, 300/float64(len(vals)))))
		if err == nil {
			bars.Color = color.RGBA{R: 70, G: 110, B: 180, A: 255}
			bars.LineStyle.Width = 0
			p.Add(bars)
			return p
		}
	}
	l, err := plotter.NewLine(xy)
	if err == nil {
		l.Color = color.RGBA{R: 70, G: 110, B: 180, A: 255}
		p.Add(l)
	}
	return p
}

func walkPlot(s summary, walks [][]float64) *plot.Plot {
	p := newPlot("Replica walks through temperature", "round", "temperature index")
	if s.Rounds > window {
		p.Title.Text += fmt.Sprintf(" (last %d rounds)", window)
	}
	p.X.Tick.Marker = intTicks{}
	p.Y.Tick.Marker = intTicks{}
	p.Legend.Top = true
	p.Legend.TextStyle.Font.Size = vg.Points(8)
	for i, r := range pick(len(walks), maxWalks) {
		w := walks[r]
		var xy plotter.XYs
		for t := max(0, len(w)-window); t < len(w); t++ {
			xy = append(xy, plotter.XY{X: float64(t), Y: w[t]})
		}
		if len(xy) == 0 {
			continue
		}
		l, err := plotter.NewLine(xy)
		if err != nil {
			continue
		}
		l.Color = walkColors[i%len(walkColors)]
		l.Width = vg.Points(0.8)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("replica %d", r), l)
	}
	p.Y.Min, p.Y.Max = -0.5, float64(len(s.Temperatures))-0.5
	return p
}

var walkColors = []color.Color{
	color.RGBA{R: 31, G: 119, B: 180, A: 255},
	color.RGBA{R: 214, G: 39, B: 40, A: 255},
	color.RGBA{R: 44, G: 160, B: 44, A: 255},
	color.RGBA{R: 148, G: 103, B: 189, A: 255},
}
