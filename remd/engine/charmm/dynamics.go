package charmm

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
)

// accelUnit converts kcal/mol/Å per amu into Å/fs²
// (1 kcal/mol = 4.184e-4 amu·Å²/fs²).
const accelUnit = 4.184e-4

// Constraint holds atoms I and J at distance D (Å).
type Constraint struct {
	I, J int
	D    float64
}

// HBondConstraints returns one constraint per bond that involves a hydrogen
// (mass below 3.5 amu), at the bond's equilibrium length: SHAKE on bonds to
// hydrogen, which permits 2 fs steps.
func (s *System) HBondConstraints() []Constraint {
	var cs []Constraint
	for _, b := range s.Bonds {
		if s.Mass[b.I] < 3.5 || s.Mass[b.J] < 3.5 {
			cs = append(cs, Constraint{b.I, b.J, b.R0})
		}
	}
	return cs
}

// Integrator is Langevin dynamics in the BAOAB splitting (Leimkuhler and
// Matthews 2013) with SHAKE/RATTLE constraints: positions in Å, velocities
// in Å/fs, time in fs, temperature in K. With Gamma = 0 it is velocity
// Verlet with RATTLE, which conserves energy.
type Integrator struct {
	Sys         *System
	FF          *ForceField
	DT          float64 // fs
	Gamma       float64 // 1/ps
	Constraints []Constraint
	// Tol is the relative tolerance of SHAKE and RATTLE (default 1e-10).
	Tol float64

	f        []float64
	xOld     []float64
	prep     bool         // cons, clusters and single are prepared
	cons     []constraint // coupled constraints, prepared by the first SHAKE or RATTLE
	clusters []int        // cons[clusters[g]:clusters[g+1]] is cluster g
	single   []constraint // constraints sharing no atom with another
}

// ErrConstraint is returned when SHAKE or RATTLE does not converge, which in
// practice means the trajectory has blown up (time step too large).
var ErrConstraint = fmt.Errorf("charmm: SHAKE/RATTLE did not converge")

func (in *Integrator) tol() float64 {
	if in.Tol > 0 {
		return in.Tol
	}
	return 1e-10
}

// Run advances x and v by steps steps at temperature t (K) and returns the
// potential energy terms of the final coordinates.
func (in *Integrator) Run(ctx context.Context, x, v []float64, t float64, steps int, rng *rand.Rand) (Terms, error) {
	s := in.Sys
	n := s.N()
	if len(in.f) != 3*n {
		in.f = make([]float64, 3*n)
		in.xOld = make([]float64, 3*n)
	}
	f := in.f
	h := in.DT
	c1 := math.Exp(-in.Gamma / 1000 * h)
	c2 := math.Sqrt(1 - c1*c1)
	kT := Boltzmann * t * accelUnit // (Å/fs)² · amu
	sd := make([]float64, n)        // thermal velocity scale per atom
	half := make([]float64, n)      // velocity change per unit force in half a step
	for i := range sd {
		sd[i] = math.Sqrt(kT / s.Mass[i])
		half[i] = 0.5 * h * accelUnit / s.Mass[i]
	}
	twoOverH := 2 / h
	var terms Terms
	// Energies only where they are returned: the forces are the same bits
	// either way, so where a segment ends does not change the trajectory.
	if steps == 0 {
		terms = in.FF.Energy(x, f)
	} else if !in.FF.Forces(x, f) {
		return terms, fmt.Errorf("charmm: forces are not finite at the start (bad structure)")
	}
	kick := func() {
		for i := 0; i < n; i++ {
			a := half[i]
			v[3*i] += a * f[3*i]
			v[3*i+1] += a * f[3*i+1]
			v[3*i+2] += a * f[3*i+2]
		}
	}
	drift := func() error {
		if len(in.Constraints) == 0 {
			for k := range x {
				x[k] += 0.5 * h * v[k]
			}
			return nil
		}
		copy(in.xOld, x)
		for k := range x {
			x[k] += 0.5 * h * v[k]
		}
		if err := in.shake(in.xOld, x); err != nil {
			return err
		}
		// The velocity that actually carried the atoms there.
		for k := range x {
			v[k] = (x[k] - in.xOld[k]) * twoOverH
		}
		return nil
	}
	for step := 0; step < steps; step++ {
		if step%100 == 0 {
			if err := ctx.Err(); err != nil {
				return terms, err
			}
		}
		// Velocity components along the constraints need no removal inside
		// the step: SHAKE's corrections lie along the same bond vectors and
		// absorb them, and the one RATTLE at the end leaves v tangent. So one
		// step costs two SHAKEs and one RATTLE instead of five RATTLEs.
		kick()
		if err := drift(); err != nil {
			return terms, fmt.Errorf("step %d: %w", step, err)
		}
		if in.Gamma > 0 {
			for i := 0; i < n; i++ {
				for k := 3 * i; k < 3*i+3; k++ {
					v[k] = c1*v[k] + c2*sd[i]*rng.NormFloat64()
				}
			}
		}
		if err := drift(); err != nil {
			return terms, fmt.Errorf("step %d: %w", step, err)
		}
		if step == steps-1 {
			terms = in.FF.Energy(x, f)
			if e := terms.Total(); math.IsNaN(e) || math.IsInf(e, 0) {
				return terms, fmt.Errorf("charmm: potential energy is %v at step %d (time step too large or bad structure)", e, step)
			}
		} else if !in.FF.Forces(x, f) {
			return terms, fmt.Errorf("charmm: forces are not finite at step %d (time step too large or bad structure)", step)
		}
		kick()
		if err := in.rattle(x, v); err != nil {
			return terms, fmt.Errorf("step %d: %w", step, err)
		}
	}
	return terms, nil
}

// constraint is a Constraint as SHAKE and RATTLE use it: coordinate
// offsets, inverse masses and the squared length.
type constraint struct {
	i, j        int
	wi, wj, wij float64 // 1/m_i, 1/m_j, their sum
	d2, shakeOK float64 // D², 2·tol·D²
	fi, fj      float64 // wi/wij, wj/wij
}

// prepared returns the constraints grouped into clusters that share no
// atom (a methyl group's three bonds are one cluster, a lone N-H another),
// each in PSF order, and the clusters' bounds. SHAKE and RATTLE iterate
// each cluster until it converges: clusters move disjoint atoms, so this
// gives the same bits as sweeping all constraints until all converge, and
// spares the many lone bonds, done after one correction, the sweeps that
// the methyl groups need.
//
// A constraint that shares no atom with another (a lone N-H or C-H bond,
// about half of them) is kept apart in single: SHAKE solves it exactly in
// one pass and RATTLE needs no second look after its one correction.
func (in *Integrator) prepared() ([]constraint, []int) {
	if in.prep && len(in.cons)+len(in.single) == len(in.Constraints) {
		return in.cons, in.clusters
	}
	in.prep = true
	m := in.Sys.Mass
	tol := in.tol()
	// Union-find over atoms, then constraints ordered by cluster.
	parent := map[int]int{}
	var find func(a int) int
	find = func(a int) int {
		p, ok := parent[a]
		if !ok || p == a {
			return a
		}
		r := find(p)
		parent[a] = r
		return r
	}
	for _, c := range in.Constraints {
		if a, b := find(c.I), find(c.J); a != b {
			parent[max(a, b)] = min(a, b)
		}
	}
	first := map[int]int{} // root -> cluster index, in order of first constraint
	var members [][]int
	for k, c := range in.Constraints {
		r := find(c.I)
		g, ok := first[r]
		if !ok {
			g = len(members)
			first[r] = g
			members = append(members, nil)
		}
		members[g] = append(members[g], k)
	}
	in.cons, in.single = in.cons[:0], in.single[:0]
	in.clusters = append(in.clusters[:0], 0)
	for _, ks := range members {
		for _, k := range ks {
			c := in.Constraints[k]
			wi, wj := 1/m[c.I], 1/m[c.J]
			d2 := c.D * c.D
			p := constraint{3 * c.I, 3 * c.J, wi, wj, wi + wj, d2, 2 * tol * d2, wi / (wi + wj), wj / (wi + wj)}
			if len(ks) == 1 {
				in.single = append(in.single, p)
			} else {
				in.cons = append(in.cons, p)
			}
		}
		if len(ks) > 1 {
			in.clusters = append(in.clusters, len(in.cons))
		}
	}
	return in.cons, in.clusters
}

// shake moves x (unconstrained new positions) onto the constraint surface
// along the bond vectors of ref, which satisfies the constraints.
func (in *Integrator) shake(ref, x []float64) error {
	all, clusters := in.prepared()
	// A lone constraint moves x_i - x_j to r + λ·o (o the reference bond
	// vector), and |r + λo|² = D² is a quadratic in λ: its root nearest
	// zero, in the form that cancels nothing, is exact in one pass where
	// the iteration needs two corrections and a check.
	for q := range in.single {
		c := &in.single[q]
		xi, xj := x[c.i:c.i+3:c.i+3], x[c.j:c.j+3:c.j+3]
		rx, ry, rz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
		diff := c.d2 - (rx*rx + ry*ry + rz*rz)
		if math.Abs(diff) <= c.shakeOK {
			continue
		}
		ri, rj := ref[c.i:c.i+3:c.i+3], ref[c.j:c.j+3:c.j+3]
		ox, oy, oz := ri[0]-rj[0], ri[1]-rj[1], ri[2]-rj[2]
		ro := ox*rx + oy*ry + oz*rz
		disc := ro*ro + (ox*ox+oy*oy+oz*oz)*diff
		if !(disc >= 0) {
			return ErrConstraint // no point along o is at distance D
		}
		den := ro + math.Copysign(math.Sqrt(disc), ro)
		if den == 0 || math.IsNaN(den) {
			return ErrConstraint
		}
		l := diff / den
		gi, gj := l*c.fi, l*c.fj
		xi[0] += gi * ox
		xi[1] += gi * oy
		xi[2] += gi * oz
		xj[0] -= gj * ox
		xj[1] -= gj * oy
		xj[2] -= gj * oz
	}
	for g := 0; g+1 < len(clusters); g++ {
		cons := all[clusters[g]:clusters[g+1]]
		for iter := 0; ; iter++ {
			if iter == 1000 {
				return ErrConstraint
			}
			done := true
			for q := range cons {
				c := &cons[q]
				xi, xj := x[c.i:c.i+3:c.i+3], x[c.j:c.j+3:c.j+3]
				rx, ry, rz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
				diff := c.d2 - (rx*rx + ry*ry + rz*rz)
				if math.Abs(diff) <= c.shakeOK {
					continue
				}
				done = false
				ri, rj := ref[c.i:c.i+3:c.i+3], ref[c.j:c.j+3:c.j+3]
				ox, oy, oz := ri[0]-rj[0], ri[1]-rj[1], ri[2]-rj[2]
				den := 2 * (ox*rx + oy*ry + oz*rz) * c.wij
				if den == 0 || math.IsNaN(den) {
					return ErrConstraint
				}
				g := diff / den
				gi, gj := g*c.wi, g*c.wj
				xi[0] += gi * ox
				xi[1] += gi * oy
				xi[2] += gi * oz
				xj[0] -= gj * ox
				xj[1] -= gj * oy
				xj[2] -= gj * oz
			}
			if done {
				break
			}
		}
	}
	return nil
}

// rattle removes the velocity components along every constraint.
func (in *Integrator) rattle(x, v []float64) error {
	if len(in.Constraints) == 0 {
		return nil
	}
	all, clusters := in.prepared()
	tol2 := in.tol() * in.tol()
	// A lone constraint's one correction leaves r·v zero up to rounding,
	// far inside the tolerance: no second pass to see that.
	for q := range in.single {
		c := &in.single[q]
		xi, xj := x[c.i:c.i+3:c.i+3], x[c.j:c.j+3:c.j+3]
		vi, vj := v[c.i:c.i+3:c.i+3], v[c.j:c.j+3:c.j+3]
		rx, ry, rz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
		vx, vy, vz := vi[0]-vj[0], vi[1]-vj[1], vi[2]-vj[2]
		rv := rx*vx + ry*vy + rz*vz
		if rv*rv <= tol2*c.d2*max(vx*vx+vy*vy+vz*vz, 1e-6) {
			continue
		}
		k := rv / ((rx*rx + ry*ry + rz*rz) * c.wij)
		if math.IsNaN(k) || math.IsInf(k, 0) {
			return ErrConstraint
		}
		ki, kj := k*c.wi, k*c.wj
		vi[0] -= ki * rx
		vi[1] -= ki * ry
		vi[2] -= ki * rz
		vj[0] += kj * rx
		vj[1] += kj * ry
		vj[2] += kj * rz
	}
	for g := 0; g+1 < len(clusters); g++ {
		cons := all[clusters[g]:clusters[g+1]]
		for iter := 0; ; iter++ {
			if iter == 1000 {
				return ErrConstraint
			}
			done := true
			for q := range cons {
				c := &cons[q]
				xi, xj := x[c.i:c.i+3:c.i+3], x[c.j:c.j+3:c.j+3]
				vi, vj := v[c.i:c.i+3:c.i+3], v[c.j:c.j+3:c.j+3]
				rx, ry, rz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
				vx, vy, vz := vi[0]-vj[0], vi[1]-vj[1], vi[2]-vj[2]
				rv := rx*vx + ry*vy + rz*vz
				// |r·v| relative to |r||v| with a floor of 1e-3 Å/fs so that
				// nearly motionless atoms do not demand impossible precision;
				// compared squared, which saves a square root.
				if rv*rv <= tol2*c.d2*max(vx*vx+vy*vy+vz*vz, 1e-6) {
					continue
				}
				done = false
				k := rv / ((rx*rx + ry*ry + rz*rz) * c.wij)
				ki, kj := k*c.wi, k*c.wj
				vi[0] -= ki * rx
				vi[1] -= ki * ry
				vi[2] -= ki * rz
				vj[0] += kj * rx
				vj[1] += kj * ry
				vj[2] += kj * rz
			}
			if done {
				break
			}
		}
	}
	return nil
}

// Constrain puts x exactly on the constraint surface (starting from itself)
// and removes constrained components from v; for initial structures.
func (in *Integrator) Constrain(x, v []float64) error {
	if len(in.Constraints) == 0 {
		return nil
	}
	ref := append([]float64(nil), x...)
	if err := in.shake(ref, x); err != nil {
		return err
	}
	if v != nil {
		return in.rattle(x, v)
	}
	return nil
}

// Kinetic returns the kinetic energy of v in kcal/mol.
func (s *System) Kinetic(v []float64) float64 {
	var e float64
	for i, m := range s.Mass {
		e += 0.5 * m * (v[3*i]*v[3*i] + v[3*i+1]*v[3*i+1] + v[3*i+2]*v[3*i+2])
	}
	return e / accelUnit
}
