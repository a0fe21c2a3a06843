// Package model registers the model systems of replica exchange: potentials
// whose equilibrium properties are known exactly, so that remd can be proven
// right against numbers it did not produce.
//
//   - "harmonic": U = ½ Σ x_i² in Dim dimensions;
//   - "doublewell": U(x) = 5(x² − 1)² + 0.5x in one dimension;
//   - "lj" (with N atoms), and the aliases "lj13" and "lj38": Lennard-Jones
//     clusters with ε = σ = 1, held together by the container potential
//     Σ_i (|r_i − r_cm| / R_c)^20.
//
// All of them move by Langevin dynamics with the BAOAB splitting (Leimkuhler
// and Matthews, 2013) in reduced units: unit masses, k_B = 1. With Gamma = 0
// BAOAB is velocity Verlet, so energy is conserved up to O(dt²).
//
// Import the package for its side effect of registering the engines:
//
//	import _ "github.com/burst-dev/burst/remd/engine/model"
//	e, err := engine.New(engine.Spec{Name: "lj", Options: json.RawMessage(`{"n":55}`)})
package model

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/burst-dev/burst/remd/engine"
)

// Dynamics are the integrator options every model system accepts.
type Dynamics struct {
	// DT is the time step. Zero means the system's default.
	DT float64 `json:"dt,omitempty"`
	// Gamma is the Langevin friction; 0 gives Newtonian (NVE) dynamics.
	// Absent means the default, 1.
	Gamma *float64 `json:"gamma,omitempty"`
}

// HarmonicOptions configure "harmonic".
type HarmonicOptions struct {
	Dynamics
	Dim int `json:"dim,omitempty"` // default 1
}

// DoubleWellOptions configure "doublewell".
type DoubleWellOptions struct {
	Dynamics
}

// LJOptions configure "lj", "lj13" and "lj38".
type LJOptions struct {
	Dynamics
	N         int     `json:"n,omitempty"`         // atoms; fixed by the lj13/lj38 aliases
	Container float64 `json:"container,omitempty"` // R_c, default 2.25
}

// Defaults: time steps chosen so that ω·dt ≲ 0.15 at the stiffest mode.
const (
	harmonicDT     = 0.05
	doubleWellDT   = 0.01
	ljDT           = 0.005
	defaultGamma   = 1.0
	defaultRc      = 2.25
	containerPower = 20
)

func init() {
	engine.Register("harmonic", func(o json.RawMessage) (engine.Engine, error) {
		var opt HarmonicOptions
		if err := decode(o, &opt); err != nil {
			return nil, err
		}
		return NewHarmonic(opt)
	})
	engine.Register("doublewell", func(o json.RawMessage) (engine.Engine, error) {
		var opt DoubleWellOptions
		if err := decode(o, &opt); err != nil {
			return nil, err
		}
		return NewDoubleWell(opt)
	})
	engine.Register("lj", func(o json.RawMessage) (engine.Engine, error) {
		var opt LJOptions
		if err := decode(o, &opt); err != nil {
			return nil, err
		}
		return NewLJ(opt)
	})
	for _, n := range []int{13, 38} {
		engine.Register(fmt.Sprintf("lj%d", n), func(o json.RawMessage) (engine.Engine, error) {
			var opt LJOptions
			if err := decode(o, &opt); err != nil {
				return nil, err
			}
			if opt.N != 0 && opt.N != n {
				return nil, fmt.Errorf("option n=%d contradicts the system lj%d (use system \"lj\" for other sizes)", opt.N, n)
			}
			opt.N = n
			return NewLJ(opt)
		})
	}
}

// decode reads options strictly: a misspelt option is an error, not a default.
func decode(raw json.RawMessage, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("options %s: %w", raw, err)
	}
	return nil
}

func (d Dynamics) resolve(defaultDT float64) (langevin, error) {
	l := langevin{dt: d.DT, gamma: defaultGamma}
	if l.dt == 0 {
		l.dt = defaultDT
	}
	if d.Gamma != nil {
		l.gamma = *d.Gamma
	}
	if !(l.dt > 0) || math.IsInf(l.dt, 0) {
		return l, fmt.Errorf("dt = %v: must be a positive finite number", d.DT)
	}
	if !(l.gamma >= 0) || math.IsInf(l.gamma, 0) {
		return l, fmt.Errorf("gamma = %v: must be a finite number ≥ 0", l.gamma)
	}
	return l, nil
}

// langevin integrates dx = v dt, dv = F dt − γ v dt + sqrt(2γT) dW with unit
// masses, by BAOAB: half kick, half drift, exact Ornstein–Uhlenbeck step,
// half drift, half kick.
type langevin struct {
	dt, gamma float64
}

// forceFunc stores −∇U(x) in f and returns U(x).
type forceFunc func(x, f []float64) float64

// run advances st by steps steps at temperature t. The force at the starting
// coordinates is recomputed rather than carried over: it is a pure function
// of x, so n segments of m steps give bit for bit the trajectory of one
// segment of n·m steps when γ = 0.
func (l langevin) run(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand, force forceFunc) (float64, error) {
	if steps < 0 {
		return 0, fmt.Errorf("steps = %d: must be ≥ 0", steps)
	}
	if !(t > 0) {
		return 0, fmt.Errorf("temperature %v: must be > 0", t)
	}
	x, v := st.X, st.V
	if len(v) != len(x) {
		return 0, fmt.Errorf("state has %d coordinates but %d velocities", len(x), len(v))
	}
	f := make([]float64, len(x))
	u := force(x, f)
	h := l.dt / 2
	c1 := math.Exp(-l.gamma * l.dt)
	c2 := math.Sqrt((1 - c1*c1) * t)
	for s := 0; s < steps; s++ {
		if s&1023 == 1023 && ctx.Err() != nil {
			return 0, context.Cause(ctx)
		}
		// The explicit float64 conversions forbid fused multiply-adds, which
		// some architectures would otherwise use, so every GOARCH computes
		// the same bits.
		for i := range x {
			v[i] += float64(h * f[i])
			x[i] += float64(h * v[i])
		}
		if l.gamma > 0 {
			for i := range v {
				v[i] = float64(c1*v[i]) + float64(c2*rng.NormFloat64())
			}
		}
		for i := range x {
			x[i] += float64(h * v[i])
		}
		u = force(x, f)
		for i := range v {
			v[i] += float64(h * f[i])
		}
	}
	if math.IsNaN(u) || math.IsInf(u, 0) {
		return u, fmt.Errorf("trajectory diverged (potential %v after %d steps at T=%v): reduce dt (now %v)", u, steps, t, l.dt)
	}
	return u, nil
}

// maxwell draws velocities from the Maxwell–Boltzmann distribution at t.
func maxwell(rng *rand.Rand, n int, t float64) []float64 {
	v := make([]float64, n)
	s := math.Sqrt(t)
	for i := range v {
		v[i] = s * rng.NormFloat64()
	}
	return v
}
