package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/burst-dev/burst/remd/engine"
)

// DoubleWell is U(x) = 5(x² − 1)² + 0.5x: two wells near x = ±1 separated by
// a barrier of about 5, tilted so that the left well is lower by about 1. At
// low temperature plain dynamics stays in one well for a very long time;
// replica exchange lets it cross.
type DoubleWell struct {
	dyn langevin
}

// NewDoubleWell builds the double-well engine.
func NewDoubleWell(o DoubleWellOptions) (*DoubleWell, error) {
	dyn, err := o.Dynamics.resolve(doubleWellDT)
	if err != nil {
		return nil, err
	}
	return &DoubleWell{dyn: dyn}, nil
}

func (d *DoubleWell) Dim() int           { return 1 }
func (d *DoubleWell) Boltzmann() float64 { return 1 }

// DoubleWellPotential is U(x) = 5(x² − 1)² + 0.5x.
func DoubleWellPotential(x float64) float64 {
	w := float64(x*x) - 1
	return float64(5*w*w) + float64(0.5*x)
}

// Initial starts in the lower (left) well with thermal velocity.
func (d *DoubleWell) Initial(rng *rand.Rand, t float64) (engine.State, error) {
	if !(t > 0) {
		return engine.State{}, fmt.Errorf("temperature %v: must be > 0", t)
	}
	return engine.State{X: []float64{-1}, V: maxwell(rng, 1, t)}, nil
}

func (d *DoubleWell) Potential(x []float64) float64 { return DoubleWellPotential(x[0]) }

func (d *DoubleWell) force(x, f []float64) float64 {
	w := float64(x[0]*x[0]) - 1
	f[0] = -(float64(20*x[0]*w) + 0.5)
	return float64(5*w*w) + float64(0.5*x[0])
}

func (d *DoubleWell) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	if len(st.X) != 1 {
		return math.NaN(), fmt.Errorf("doublewell: state has %d coordinates, want 1", len(st.X))
	}
	return d.dyn.run(ctx, st, t, steps, rng, d.force)
}
