package model

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/burst-dev/burst/remd/engine"
)

func newEngine(t *testing.T, name, opts string) engine.Engine {
	t.Helper()
	e, err := engine.New(engine.Spec{Name: name, Options: json.RawMessage(opts)})
	if err != nil {
		t.Fatalf("engine.New(%s, %s): %v", name, opts, err)
	}
	return e
}

// The force every integrator uses must be −∇U; check it against central
// differences of Potential at random points.
func TestForceIsMinusGradient(t *testing.T) {
	cases := []struct{ name, opts string }{
		{"harmonic", `{"dim":4}`},
		{"doublewell", `{}`},
		{"lj13", `{}`},
		{"lj", `{"n":7,"container":1.2}`}, // container strongly engaged
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, c.name, c.opts)
			rng := rand.New(rand.NewPCG(1, 2))
			st, err := e.Initial(rng, 1)
			if err != nil {
				t.Fatal(err)
			}
			x := st.X
			for i := range x {
				x[i] += 0.05 * rng.NormFloat64()
			}
			f := make([]float64, len(x))
			u := forceOf(e)(x, f)
			if got, want := u, e.Potential(x); got != want {
				t.Errorf("force returned U=%v, Potential=%v", got, want)
			}
			const h = 1e-6
			for i := range x {
				xi := x[i]
				x[i] = xi + h
				up := e.Potential(x)
				x[i] = xi - h
				um := e.Potential(x)
				x[i] = xi
				num := -(up - um) / (2 * h)
				if d := math.Abs(num - f[i]); d > 1e-5*math.Max(1, math.Abs(num)) {
					t.Errorf("coordinate %d: force %v, −dU/dx by differences %v", i, f[i], num)
				}
			}
		})
	}
}

func forceOf(e engine.Engine) forceFunc {
	switch e := e.(type) {
	case *Harmonic:
		return e.force
	case *DoubleWell:
		return e.force
	case *LJ:
		return e.force
	}
	panic("unknown engine")
}

// With gamma = 0, BAOAB is velocity Verlet: total energy fluctuates by O(dt²)
// and does not drift. Bounds: the largest deviation of E = U + ½v² from its
// start over the whole run, relative to the kinetic energy scale.
func TestNVEConservesEnergy(t *testing.T) {
	cases := []struct {
		name, opts string
		temp       float64
		steps      int
		bound      float64 // max |E(t) − E(0)| / (½·dim·T)
	}{
		{"harmonic", `{"dim":3,"gamma":0,"dt":0.01}`, 1, 200000, 1e-4},
		{"doublewell", `{"gamma":0,"dt":0.001}`, 1, 200000, 1e-3},
		{"lj13", `{"gamma":0,"dt":0.002}`, 0.3, 50000, 2e-3},
		{"lj38", `{"gamma":0,"dt":0.002}`, 0.3, 20000, 2e-3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEngine(t, c.name, c.opts)
			rng := rand.New(rand.NewPCG(3, 4))
			st, err := e.Initial(rng, c.temp)
			if err != nil {
				t.Fatal(err)
			}
			energy := func(u float64) float64 {
				k := 0.0
				for _, v := range st.V {
					k += v * v / 2
				}
				return u + k
			}
			e0 := energy(e.Potential(st.X))
			scale := float64(e.Dim()) * c.temp / 2
			worst := 0.0
			const seg = 500
			for done := 0; done < c.steps; done += seg {
				u, err := e.Segment(context.Background(), &st, c.temp, seg, rng)
				if err != nil {
					t.Fatal(err)
				}
				worst = math.Max(worst, math.Abs(energy(u)-e0)/scale)
			}
			if worst > c.bound {
				t.Errorf("max |E−E0|/(d·T/2) over %d steps = %.3g, want ≤ %.3g", c.steps, worst, c.bound)
			}
			t.Logf("max relative energy deviation %.3g (bound %.3g)", worst, c.bound)
		})
	}
}

// Continuation must be exact: with gamma = 0 (no random numbers), k segments
// of n steps are one trajectory of k·n steps, bit for bit.
func TestSegmentsContinueExactly(t *testing.T) {
	for _, name := range []string{"harmonic", "doublewell", "lj13"} {
		t.Run(name, func(t *testing.T) {
			e := newEngine(t, name, `{"gamma":0}`)
			rng := rand.New(rand.NewPCG(5, 6))
			a, _ := e.Initial(rng, 0.5)
			b := a.Clone()
			for range 10 {
				if _, err := e.Segment(context.Background(), &a, 0.5, 37, nil); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := e.Segment(context.Background(), &b, 0.5, 370, nil); err != nil {
				t.Fatal(err)
			}
			for i := range a.X {
				if a.X[i] != b.X[i] || a.V[i] != b.V[i] {
					t.Fatalf("coordinate %d: 10×37 steps gave x=%v v=%v, 370 steps gave x=%v v=%v", i, a.X[i], a.V[i], b.X[i], b.V[i])
				}
			}
		})
	}
}

func TestBadOptionsAreRejected(t *testing.T) {
	cases := []struct{ name, opts, want string }{
		{"harmonic", `{"dim":-1}`, "dim"},
		{"harmonic", `{"dimension":3}`, "unknown field"},
		{"doublewell", `{"dt":-0.1}`, "dt"},
		{"doublewell", `{"gamma":-1}`, "gamma"},
		{"lj", `{}`, "n = 0"},
		{"lj13", `{"n":38}`, "contradicts"},
		{"lj38", `{"container":-2}`, "container"},
	}
	for _, c := range cases {
		_, err := engine.New(engine.Spec{Name: c.name, Options: json.RawMessage(c.opts)})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("engine.New(%s, %s) error = %v, want one mentioning %q", c.name, c.opts, err, c.want)
		}
	}
}

func TestLJInitialIsCompact(t *testing.T) {
	for _, n := range []int{13, 38, 55} {
		e := newEngine(t, "lj", `{"n":`+itoa(n)+`}`)
		st, err := e.Initial(rand.New(rand.NewPCG(1, 1)), 0.1)
		if err != nil {
			t.Fatal(err)
		}
		// A compact fcc cluster has about −3 to −5 ε per atom; overlaps
		// would make it hugely positive.
		if u := e.Potential(st.X) / float64(n); u > -2 {
			t.Errorf("lj%d: initial U/N = %v, want a bound cluster (< −2)", n, u)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
