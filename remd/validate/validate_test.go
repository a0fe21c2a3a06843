package validate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The acceptance formula itself, checked against direct Monte Carlo of
// independent Gamma(d/2, T) energies (no MD involved), and its limits.
func TestHarmonicAcceptance(t *testing.T) {
	if got := HarmonicAcceptance(3, 1); math.Abs(got-1) > 1e-12 {
		t.Errorf("R=1: got %v, want 1", got)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range []struct {
		d int
		r float64
	}{{1, 1.5}, {2, 2}, {6, 1.3}, {20, 1.2}} {
		const n = 200000
		sum := 0.0
		for range n {
			// U at T is T·χ²_d/2.
			u1, u2 := chi2(rng, c.d)/2, c.r*chi2(rng, c.d)/2
			delta := (1 - 1/c.r) * (u2 - u1) // β1 = 1, β2 = 1/r
			sum += math.Min(1, math.Exp(-delta))
		}
		mc := sum / n
		if got := HarmonicAcceptance(c.d, c.r); math.Abs(got-mc) > 0.005 {
			t.Errorf("d=%d R=%v: formula %v, Monte Carlo %v", c.d, c.r, got, mc)
		}
	}
}

func chi2(rng *rand.Rand, d int) float64 {
	s := 0.0
	for range d {
		z := rng.NormFloat64()
		s += z * z
	}
	return s
}

func TestDoubleWellQuadrature(t *testing.T) {
	// At high temperature the tilt matters little; at low temperature the
	// left well (lower by about 1) dominates as exp(−1/T).
	d := NewDoubleWell(0.2)
	if d.PRight > 0.01 || d.PRight <= 0 {
		t.Errorf("T=0.2: P(x>0) = %v, want a small positive number", d.PRight)
	}
	if got := d.CDF(0); math.Abs(got-(1-d.PRight)) > 1e-4 {
		t.Errorf("CDF(0) = %v, want 1 − P(x>0) = %v", got, 1-d.PRight)
	}
	// Harmonic approximation in the left well: ⟨U⟩ ≈ U_min + T/2.
	umin := math.Inf(1)
	for x := -1.1; x < -0.9; x += 1e-5 {
		umin = math.Min(umin, 5*(x*x-1)*(x*x-1)+0.5*x)
	}
	if got, want := NewDoubleWell(0.01).MeanU, umin+0.005; math.Abs(got-want) > 5e-4 {
		t.Errorf("T=0.01: <U> = %v, want ≈ %v", got, want)
	}
}

func TestKS(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 20000)
	for i := range xs {
		xs[i] = rng.Float64()
	}
	uniform := func(x float64) float64 { return math.Max(0, math.Min(1, x)) }
	if d := KS(xs, uniform); d > 0.015 {
		t.Errorf("KS of uniform samples vs uniform CDF = %v, want < 0.015", d)
	}
	if d := KS(xs, func(x float64) float64 { return uniform(x * x) }); d < 0.2 {
		t.Errorf("KS against a wrong CDF = %v, want large", d)
	}
}

func TestBlockMean(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	// AR(1) with correlation 0.9: the naive SE is too small by √19.
	xs := make([]float64, 100000)
	for i := 1; i < len(xs); i++ {
		xs[i] = 0.9*xs[i-1] + rng.NormFloat64()
	}
	_, se := BlockMean(xs, 20)
	want := math.Sqrt(1/(1-0.81)) * math.Sqrt(19) / math.Sqrt(float64(len(xs)))
	if se < want/2 || se > want*2 {
		t.Errorf("block SE = %v, want about %v", se, want)
	}
}
