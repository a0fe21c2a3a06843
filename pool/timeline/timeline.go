// Package timeline records the calls a pool makes and draws them: one
// horizontal bar per call from submission to return, with the time the
// function actually ran drawn over it, so queueing, cold starts and
// stragglers show at a glance.
//
//	rec := timeline.New()
//	p, err := pool.Open(ctx, url, pool.WithCallHook(rec.Observe))
//	…
//	rec.WriteSVG(f, "my job")
package timeline

import (
	"fmt"
	"image/color"
	"io"
	"slices"
	"sync"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/burst-dev/burst/pool"
)

// Recorder collects call statistics. It is safe for concurrent use.
type Recorder struct {
	mu    sync.Mutex
	calls []pool.CallStats
}

// New returns an empty Recorder.
func New() *Recorder { return &Recorder{} }

// Observe records one call; pass it to pool.WithCallHook.
func (r *Recorder) Observe(s pool.CallStats) {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
}

// Calls returns the recorded calls ordered by submission.
func (r *Recorder) Calls() []pool.CallStats {
	r.mu.Lock()
	cs := slices.Clone(r.calls)
	r.mu.Unlock()
	slices.SortStableFunc(cs, func(a, b pool.CallStats) int { return a.Submitted.Compare(b.Submitted) })
	return cs
}

// Summary is what a timeline says in numbers.
type Summary struct {
	Calls      int
	Span       time.Duration // first submission to last return
	Busy       time.Duration // sum of function run times
	ColdStarts int
	Attempts   int
	MaxWait    time.Duration // longest submission-to-start
}

// Summarize computes the Summary of the recorded calls.
func (r *Recorder) Summarize() Summary {
	cs := r.Calls()
	var s Summary
	if len(cs) == 0 {
		return s
	}
	first, last := cs[0].Submitted, cs[0].Returned
	for _, c := range cs {
		s.Calls++
		s.Attempts += c.Attempts
		if c.ColdStart {
			s.ColdStarts++
		}
		if c.Returned.After(last) {
			last = c.Returned
		}
		if !c.Started.IsZero() {
			s.Busy += c.Ended.Sub(c.Started)
			s.MaxWait = max(s.MaxWait, c.Started.Sub(c.Submitted))
		}
	}
	s.Span = last.Sub(first)
	return s
}

// WriteSVG draws the timeline as SVG.
func (r *Recorder) WriteSVG(w io.Writer, title string) error {
	cs := r.Calls()
	if len(cs) == 0 {
		return fmt.Errorf("timeline: no calls recorded")
	}
	t0 := cs[0].Submitted
	sec := func(t time.Time) float64 { return t.Sub(t0).Seconds() }
	p := plot.New()
	sum := r.Summarize()
	p.Title.Text = fmt.Sprintf("%s: %d calls in %.2fs, %d cold starts", title, sum.Calls, sum.Span.Seconds(), sum.ColdStarts)
	p.X.Label.Text = "seconds since the first call"
	p.Y.Label.Text = "call (by submission)"
	waiting := color.RGBA{R: 190, G: 190, B: 190, A: 255}
	running := color.RGBA{R: 40, G: 100, B: 200, A: 255}
	cold := color.RGBA{R: 220, G: 80, B: 40, A: 255}
	// Thin lines scale to thousands of calls, where boxes would not.
	width := vg.Length(max(0.5, min(4, 400/float64(len(cs)))))
	for i, c := range cs {
		y := float64(i)
		if err := addSegment(p, sec(c.Submitted), sec(c.Returned), y, waiting, width); err != nil {
			return err
		}
		if !c.Started.IsZero() {
			col := running
			if c.ColdStart {
				col = cold
			}
			if err := addSegment(p, sec(c.Started), sec(c.Ended), y, col, width); err != nil {
				return err
			}
		}
	}
	p.Legend.Top = true
	for _, l := range []struct {
		name string
		c    color.Color
	}{{"submitted → returned", waiting}, {"function running", running}, {"cold start", cold}} {
		ln, err := plotter.NewLine(plotter.XYs{{}, {}})
		if err != nil {
			return err
		}
		ln.Color, ln.Width = l.c, 3
		p.Legend.Add(l.name, ln)
	}
	wt, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "svg")
	if err != nil {
		return err
	}
	_, err = wt.WriteTo(w)
	return err
}

func addSegment(p *plot.Plot, x0, x1, y float64, c color.Color, width vg.Length) error {
	if x1 < x0 {
		x1 = x0
	}
	ln, err := plotter.NewLine(plotter.XYs{{X: x0, Y: y}, {X: x1, Y: y}})
	if err != nil {
		return err
	}
	ln.LineStyle = draw.LineStyle{Color: c, Width: width}
	p.Add(ln)
	return nil
}
