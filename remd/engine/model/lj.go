package model

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/burst-dev/burst/remd/engine"
)

// LJ is a cluster of N Lennard-Jones atoms (ε = σ = 1),
//
//	U = 4 Σ_{i<j} (r_ij⁻¹² − r_ij⁻⁶) + Σ_i (|r_i − r_cm| / R_c)^20,
//
// where the second term is a soft container that keeps evaporated atoms from
// wandering off at high temperature without touching the cluster itself.
// LJ13 and LJ38 are the classic parallel-tempering benchmarks (LJ38's global
// minimum, a truncated octahedron, is hard to reach from the icosahedral
// funnel).
type LJ struct {
	n   int
	rc  float64
	dyn langevin
}

// NewLJ builds an LJ cluster engine.
func NewLJ(o LJOptions) (*LJ, error) {
	if o.N < 2 {
		return nil, fmt.Errorf("n = %d atoms: must be ≥ 2", o.N)
	}
	if o.Container == 0 {
		o.Container = defaultRc
	}
	if !(o.Container > 0) || math.IsInf(o.Container, 0) {
		return nil, fmt.Errorf("container = %v: must be a positive finite radius", o.Container)
	}
	dyn, err := o.Dynamics.resolve(ljDT)
	if err != nil {
		return nil, err
	}
	return &LJ{n: o.N, rc: o.Container, dyn: dyn}, nil
}

func (l *LJ) Dim() int           { return 3 * l.n }
func (l *LJ) Boltzmann() float64 { return 1 }

// Initial places the atoms on the N face-centred-cubic sites nearest the
// origin, at the LJ pair distance 2^(1/6) (a compact, low-energy start that
// has no overlaps), and draws Maxwell–Boltzmann velocities without net
// momentum.
func (l *LJ) Initial(rng *rand.Rand, t float64) (engine.State, error) {
	if !(t > 0) {
		return engine.State{}, fmt.Errorf("temperature %v: must be > 0", t)
	}
	x := fccCluster(l.n)
	v := maxwell(rng, 3*l.n, t)
	for d := 0; d < 3; d++ {
		m := 0.0
		for i := 0; i < l.n; i++ {
			m += v[3*i+d]
		}
		m /= float64(l.n)
		for i := 0; i < l.n; i++ {
			v[3*i+d] -= m
		}
	}
	return engine.State{X: x, V: v}, nil
}

func fccCluster(n int) []float64 {
	type site struct{ i, j, k, r2 int }
	var sites []site
	for m := 1; len(sites) < n; m++ {
		sites = sites[:0]
		for i := -m; i <= m; i++ {
			for j := -m; j <= m; j++ {
				for k := -m; k <= m; k++ {
					if (i+j+k)%2 == 0 {
						sites = append(sites, site{i, j, k, i*i + j*j + k*k})
					}
				}
			}
		}
		// Only sites within the inscribed sphere are complete shells.
		sites = slices.DeleteFunc(sites, func(s site) bool { return s.r2 > m*m })
	}
	slices.SortFunc(sites, func(a, b site) int {
		if a.r2 != b.r2 {
			return a.r2 - b.r2
		}
		if a.i != b.i {
			return a.i - b.i
		}
		if a.j != b.j {
			return a.j - b.j
		}
		return a.k - b.k
	})
	// Neighbouring fcc sites (1,1,0) are √2 grid units apart.
	scale := math.Pow(2, 1.0/6) / math.Sqrt2
	x := make([]float64, 3*n)
	var cm [3]float64
	for a := 0; a < n; a++ {
		s := sites[a]
		for d, c := range [3]int{s.i, s.j, s.k} {
			x[3*a+d] = float64(c) * scale
			cm[d] += x[3*a+d]
		}
	}
	for a := 0; a < n; a++ {
		for d := 0; d < 3; d++ {
			x[3*a+d] -= cm[d] / float64(n)
		}
	}
	return x
}

func (l *LJ) Potential(x []float64) float64 {
	return l.force(x, make([]float64, len(x)))
}

func (l *LJ) force(x, f []float64) float64 {
	return l.forceWith(x, f, make([]float64, len(x)))
}

// forceWith is force with g as scratch space, so that a segment allocates
// once rather than every step (which would keep the garbage collector busy).
func (l *LJ) forceWith(x, f, g []float64) float64 {
	n := l.n
	clear(f)
	u := 0.0
	for i := 0; i < n; i++ {
		xi, yi, zi := x[3*i], x[3*i+1], x[3*i+2]
		fxi, fyi, fzi := 0.0, 0.0, 0.0
		for j := i + 1; j < n; j++ {
			dx, dy, dz := xi-x[3*j], yi-x[3*j+1], zi-x[3*j+2]
			ir2 := 1 / (float64(dx*dx) + float64(dy*dy) + float64(dz*dz))
			ir6 := ir2 * ir2 * ir2
			u += float64(ir6*ir6) - ir6
			g := 24 * (float64(2*ir6*ir6) - ir6) * ir2
			gx, gy, gz := g*dx, g*dy, g*dz
			fxi += gx
			fyi += gy
			fzi += gz
			f[3*j] -= gx
			f[3*j+1] -= gy
			f[3*j+2] -= gz
		}
		f[3*i] += fxi
		f[3*i+1] += fyi
		f[3*i+2] += fzi
	}
	u *= 4

	// Container: with d_k = r_k − r_cm and s_k = |d_k|²/R_c², the term is
	// s_k^10, its gradient in r_k is G_k = 20 s_k^9 d_k / R_c², and because
	// r_cm moves with every atom, ∂/∂r_i = G_i − mean(G).
	var cm [3]float64
	for a := 0; a < n; a++ {
		cm[0] += x[3*a]
		cm[1] += x[3*a+1]
		cm[2] += x[3*a+2]
	}
	for d := range cm {
		cm[d] /= float64(n)
	}
	rc2 := l.rc * l.rc
	var gm [3]float64
	for a := 0; a < n; a++ {
		dx, dy, dz := x[3*a]-cm[0], x[3*a+1]-cm[1], x[3*a+2]-cm[2]
		s := (float64(dx*dx) + float64(dy*dy) + float64(dz*dz)) / rc2
		s2 := s * s
		s4 := s2 * s2
		s8 := s4 * s4
		u += s8 * s2
		c := 20 * s8 * s / rc2
		g[3*a], g[3*a+1], g[3*a+2] = c*dx, c*dy, c*dz
		gm[0] += g[3*a]
		gm[1] += g[3*a+1]
		gm[2] += g[3*a+2]
	}
	for d := range gm {
		gm[d] /= float64(n)
	}
	for a := 0; a < n; a++ {
		for d := 0; d < 3; d++ {
			f[3*a+d] -= g[3*a+d] - gm[d]
		}
	}
	return u
}

func (l *LJ) Segment(ctx context.Context, st *engine.State, t float64, steps int, rng *rand.Rand) (float64, error) {
	if len(st.X) != 3*l.n {
		return math.NaN(), fmt.Errorf("lj: state has %d coordinates, want %d (3 × %d atoms)", len(st.X), 3*l.n, l.n)
	}
	g := make([]float64, 3*l.n)
	return l.dyn.run(ctx, st, t, steps, rng, func(x, f []float64) float64 { return l.forceWith(x, f, g) })
}
