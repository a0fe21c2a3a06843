package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/burst-dev/burst/remd/engine"
)

// Harmonic is U = ½ Σ x_i²: every coordinate an independent oscillator with
// ω = 1. Its potential energy at temperature T is Gamma(d/2, T) distributed,
// which gives replica exchange an exact acceptance rate.
type Harmonic struct {
	dim int
	dyn langevin
}

// NewHarmonic builds the harmonic engine.
func NewHarmonic(o HarmonicOptions) (*Harmonic, error) {
	if o.Dim == 0 {
		o.Dim = 1
	}
	if o.Dim < 1 {
		return nil, fmt.Errorf("dim = %d: must be ≥ 1", o.Dim)
	}
	dyn, err := o.Dynamics.resolve(harmonicDT)
	if err != nil {
		return nil, err
	}
	return &Harmonic{dim: o.Dim, dyn: dyn}, nil
}

func (h *Harmonic) Dim() int           { return h.dim }
func (h *Harmonic) Boltzmann() float64 { return 1 }

// Initial draws x and v from the exact equilibrium distribution at t.
func (h *Harmonic) Initial(rng *rand.Rand, t float64) (engine.State, error) {
	if !(t > 0) {
		return engine.State{}, fmt.Errorf("temperature %v: must be > 0", t)
	}
	return engine.State{X: maxwell(rng, h.dim, t), V: maxwell(rng, h.dim, t)}, nil
}

func (h *Harmonic) Potential(x []float64) float64 {
	u := 0.0
	for _, xi := range x {
		u += float64(xi * xi)
	}
	return u / 2
}

func (h *Harmonic) force(x, f []float64) float64 {
	for i, xi := range x {
		f[i] = -xi
	}
	return h.Potential(x)
}

func (h *Harmonic) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	if len(st.X) != h.dim {
		return math.NaN(), fmt.Errorf("harmonic: state has %d coordinates, want %d", len(st.X), h.dim)
	}
	return h.dyn.run(ctx, st, t, steps, rng, h.force)
}
