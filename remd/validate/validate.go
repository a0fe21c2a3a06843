// Package validate holds the exact answers and the statistics that prove a
// replica-exchange run right: exchange acceptance of harmonic oscillators
// (Predescu, Predescu and Ciobanu, J. Chem. Phys. 120, 4119 (2004)), the
// Boltzmann distribution of the double well by numerical quadrature, block
// averages for the standard error of correlated samples, and the
// Kolmogorov–Smirnov distance.
//
// Tests in package remd and the program examples/remd-validate use it; the
// numbers it produces come from formulas and quadrature, never from a
// simulation.
package validate

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"gonum.org/v1/gonum/integrate"
	"gonum.org/v1/gonum/mathext"
	"gonum.org/v1/gonum/stat"

	"github.com/burst-dev/burst/remd/engine/model"
)

// HarmonicAcceptance is the mean Metropolis acceptance probability of
// exchanges between two d-dimensional harmonic oscillators at temperatures
// T1 and T2 = r·T1: 2·I_{1/(1+r)}(d/2, d/2), with I the regularized
// incomplete beta function.
func HarmonicAcceptance(d int, r float64) float64 {
	return 2 * mathext.RegIncBeta(float64(d)/2, float64(d)/2, 1/(1+r))
}

// DoubleWell is the exact equilibrium of model.DoubleWellPotential at one
// temperature (k_B = 1), by quadrature on a fine grid over [−3, 3], outside
// of which the Boltzmann weight is below e^−300/T.
type DoubleWell struct {
	T      float64
	PRight float64 // P(x > 0)
	MeanU  float64 // ⟨U⟩
	xs     []float64
	cdf    []float64
}

// NewDoubleWell integrates the Boltzmann distribution at t.
func NewDoubleWell(t float64) *DoubleWell {
	const lo, hi, n = -3.0, 3.0, 120001 // odd, for Simpson's rule
	xs := make([]float64, n)
	w := make([]float64, n)
	wu := make([]float64, n)
	for i := range xs {
		x := lo + (hi-lo)*float64(i)/float64(n-1)
		u := model.DoubleWellPotential(x)
		xs[i], w[i], wu[i] = x, math.Exp(-u/t), math.Exp(-u/t)*u
	}
	z := integrate.Simpsons(xs, w)
	mid := (n - 1) / 2 // xs[mid] == 0
	d := &DoubleWell{T: t, xs: xs, cdf: make([]float64, n)}
	d.PRight = integrate.Simpsons(xs[mid:], w[mid:]) / z
	d.MeanU = integrate.Simpsons(xs, wu) / z
	// The cumulative distribution by the trapezoid rule, normalised by its
	// own total so it ends at exactly 1.
	for i := 1; i < n; i++ {
		d.cdf[i] = d.cdf[i-1] + (xs[i]-xs[i-1])*(w[i]+w[i-1])/2
	}
	total := d.cdf[n-1]
	for i := range d.cdf {
		d.cdf[i] /= total
	}
	return d
}

// CDF is P(X ≤ x), interpolated linearly on the grid.
func (d *DoubleWell) CDF(x float64) float64 {
	if x <= d.xs[0] {
		return 0
	}
	if x >= d.xs[len(d.xs)-1] {
		return 1
	}
	i := sort.SearchFloat64s(d.xs, x)
	f := (x - d.xs[i-1]) / (d.xs[i] - d.xs[i-1])
	return d.cdf[i-1] + f*(d.cdf[i]-d.cdf[i-1])
}

// BlockMean is the mean of a correlated series and its standard error from
// the scatter of the means of `blocks` consecutive blocks: if blocks are
// longer than the correlation time their means are independent. Samples
// beyond a whole number of blocks are dropped from the end.
func BlockMean(xs []float64, blocks int) (mean, se float64) {
	if blocks < 2 || len(xs) < blocks {
		panic(fmt.Sprintf("validate: BlockMean of %d samples in %d blocks", len(xs), blocks))
	}
	size := len(xs) / blocks
	means := make([]float64, blocks)
	for b := range means {
		means[b] = stat.Mean(xs[b*size:(b+1)*size], nil)
	}
	m, sd := stat.MeanStdDev(means, nil)
	return m, sd / math.Sqrt(float64(blocks))
}

// KS is the Kolmogorov–Smirnov distance sup_x |F_n(x) − F(x)| between the
// empirical distribution of xs and cdf.
func KS(xs []float64, cdf func(float64) float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := float64(len(s))
	d := 0.0
	for i, x := range s {
		f := cdf(x)
		d = math.Max(d, math.Max(f-float64(i)/n, float64(i+1)/n-f))
	}
	return d
}

// Check is one comparison of a measured value with an exact one.
type Check struct {
	Name     string
	Got, SE  float64 // measured value and its standard error (0 if none)
	Want     float64 // exact value
	Limit    float64 // the largest |Got − Want| accepted
	LimitDoc string  // how Limit was chosen, e.g. "3 SE"
}

// OK reports whether the measured value is within the limit.
func (c Check) OK() bool { return math.Abs(c.Got-c.Want) <= c.Limit }

func (c Check) String() string {
	verdict := "ok"
	if !c.OK() {
		verdict = "FAIL"
	}
	if c.SE > 0 {
		return fmt.Sprintf("%-4s %-28s got %.5f ± %.5f, exact %.5f, |diff| %.5f (%.1f SE), limit %s", verdict, c.Name, c.Got, c.SE, c.Want, math.Abs(c.Got-c.Want), math.Abs(c.Got-c.Want)/c.SE, c.LimitDoc)
	}
	return fmt.Sprintf("%-4s %-28s got %.5f, exact %.5f, |diff| %.5f, limit %s", verdict, c.Name, c.Got, c.Want, math.Abs(c.Got-c.Want), c.LimitDoc)
}

// Within3SE builds the check |got − want| ≤ 3·SE.
func Within3SE(name string, got, se, want float64) Check {
	return Check{Name: name, Got: got, SE: se, Want: want, Limit: 3 * se, LimitDoc: "3 SE"}
}

// DoubleWellChecks compares the samples x (one series per temperature, in
// ladder order, equilibration already dropped) with the exact distribution:
// P(x > 0) and ⟨U⟩ within 3 block-average standard errors, and the KS
// distance below ksLimit.
func DoubleWellChecks(temps []float64, xs [][]float64, blocks int, ksLimit float64) []Check {
	var checks []Check
	for k, t := range temps {
		ex := NewDoubleWell(t)
		right := make([]float64, len(xs[k]))
		us := make([]float64, len(xs[k]))
		for i, x := range xs[k] {
			if x > 0 {
				right[i] = 1
			}
			us[i] = model.DoubleWellPotential(x)
		}
		m, se := BlockMean(right, blocks)
		checks = append(checks, Within3SE(fmt.Sprintf("T=%.4g P(x>0)", t), m, se, ex.PRight))
		m, se = BlockMean(us, blocks)
		checks = append(checks, Within3SE(fmt.Sprintf("T=%.4g <U>", t), m, se, ex.MeanU))
		checks = append(checks, Check{Name: fmt.Sprintf("T=%.4g KS distance", t), Got: KS(xs[k], ex.CDF), Want: 0,
			Limit: ksLimit, LimitDoc: fmt.Sprintf("< %g", ksLimit)})
	}
	return checks
}

// Failed returns the checks that failed.
func Failed(checks []Check) []Check {
	var bad []Check
	for _, c := range checks {
		if !c.OK() {
			bad = append(bad, c)
		}
	}
	return bad
}
