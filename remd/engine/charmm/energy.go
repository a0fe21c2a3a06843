package charmm

import (
	"math"
	"slices"
)

// Coulomb is CHARMM's electrostatic constant CCELEC, kcal·Å/(mol·e²).
const Coulomb = 332.0716

// Terms is a potential energy split by term, kcal/mol. Angle holds only the
// θ term; UreyBradley the 1-3 distance term. LJ and Coul are the nonbonded
// pairs beyond 1-4; LJ14 and Coul14 the 1-4 pairs.
type Terms struct {
	Bond, Angle, UreyBradley, Dihedral, Improper float64
	LJ14, Coul14, LJ, Coul                       float64
}

// Total is the potential energy.
func (t Terms) Total() float64 {
	return t.Bond + t.Angle + t.UreyBradley + t.Dihedral + t.Improper + t.LJ14 + t.Coul14 + t.LJ + t.Coul
}

// Cutoff selects how nonbonded pairs beyond 1-4 are treated.
type Cutoff struct {
	// None sums every pair exactly (O(N²)); for verification.
	None bool
	// On and Off (Å): both Lennard-Jones and Coulomb energies are multiplied
	// by CHARMM's switching function, 1 below On, 0 beyond Off.
	On, Off float64
	// Skin (Å) is added to Off for the pair list, which is rebuilt only when
	// some atom has moved more than Skin/2 since the last build.
	Skin float64
}

// StudyCutoff is the study's setting: switch from 10 Å to 12 Å.
var StudyCutoff = Cutoff{On: 10, Off: 12, Skin: 2}

// ForceField evaluates a System's energy and forces. It keeps a pair list
// between calls, so it is not safe for concurrent use; each replica worker
// holds its own.
type ForceField struct {
	sys *System
	cut Cutoff
	// The pair list: partners j > i of atom i are pairJ[pairStart[i]:pairStart[i+1]],
	// sorted, so the sum over pairs within the cutoff runs in the same order
	// whenever the list was built: segments split anywhere give the same bits.
	pairStart []int32
	pairJ     []int32
	xRef      []float64
	valid     bool
	mark      []int32
	cell      []int32
	order     []int32
	start     []int32
	Builds    int // pair-list builds so far (for tests and tuning)
}

// NewForceField returns an evaluator for sys with the given cutoff.
func NewForceField(sys *System, c Cutoff) *ForceField {
	return &ForceField{sys: sys, cut: c}
}

// Energy returns the potential energy of x (Å) by term, and when f is not
// nil stores the forces (kcal/mol/Å) in it.
func (ff *ForceField) Energy(x, f []float64) Terms {
	if f != nil {
		clear(f)
	}
	var t Terms
	s := ff.sys
	t.Bond = bonds(s.Bonds, x, f)
	t.Angle, t.UreyBradley = angles(s.Angles, x, f)
	t.Dihedral = dihedrals(s.Dihedrals, x, f)
	t.Improper = impropers(s.Impropers, x, f)
	t.LJ14, t.Coul14 = pairs14(s, x, f)
	if ff.cut.None {
		t.LJ, t.Coul = ff.allPairs(x, f)
	} else {
		ff.ensureList(x)
		t.LJ, t.Coul = ff.listPairs(x, f)
	}
	return t
}

func bonds(bs []Bond, x, f []float64) float64 {
	var e float64
	for q := range bs {
		b := &bs[q]
		i, j := 3*b.I, 3*b.J
		dx, dy, dz := x[i]-x[j], x[i+1]-x[j+1], x[i+2]-x[j+2]
		r := math.Sqrt(dx*dx + dy*dy + dz*dz)
		dr := r - b.R0
		e += b.K * dr * dr
		if f != nil {
			g := -2 * b.K * dr / r
			f[i] += g * dx
			f[i+1] += g * dy
			f[i+2] += g * dz
			f[j] -= g * dx
			f[j+1] -= g * dy
			f[j+2] -= g * dz
		}
	}
	return e
}

func angles(as []Angle, x, f []float64) (eAngle, eUB float64) {
	for q := range as {
		a := &as[q]
		i, j, k := 3*a.I, 3*a.J, 3*a.K
		ux, uy, uz := x[i]-x[j], x[i+1]-x[j+1], x[i+2]-x[j+2]
		vx, vy, vz := x[k]-x[j], x[k+1]-x[j+1], x[k+2]-x[j+2]
		uu, vv := ux*ux+uy*uy+uz*uz, vx*vx+vy*vy+vz*vz
		inv := 1 / math.Sqrt(uu*vv)
		c := (ux*vx + uy*vy + uz*vz) * inv
		c = max(-1, min(1, c))
		th := math.Acos(c)
		p := &a.P
		dth := th - p.Theta0
		eAngle += p.K * dth * dth
		if f != nil {
			sn := math.Max(math.Sqrt(1-c*c), 1e-8)
			// dθ/dxi = -(v/(|u||v|) - c u/|u|²)/sinθ; F = -dV/dθ dθ/dx.
			g := 2 * p.K * dth / sn
			gu, gv := g*c/uu, g*c/vv
			gi := g * inv
			fix, fiy, fiz := gi*vx-gu*ux, gi*vy-gu*uy, gi*vz-gu*uz
			fkx, fky, fkz := gi*ux-gv*vx, gi*uy-gv*vy, gi*uz-gv*vz
			f[i] += fix
			f[i+1] += fiy
			f[i+2] += fiz
			f[k] += fkx
			f[k+1] += fky
			f[k+2] += fkz
			f[j] -= fix + fkx
			f[j+1] -= fiy + fky
			f[j+2] -= fiz + fkz
		}
		if p.KUB != 0 {
			dx, dy, dz := x[i]-x[k], x[i+1]-x[k+1], x[i+2]-x[k+2]
			r := math.Sqrt(dx*dx + dy*dy + dz*dz)
			dr := r - p.S0
			eUB += p.KUB * dr * dr
			if f != nil {
				g := -2 * p.KUB * dr / r
				f[i] += g * dx
				f[i+1] += g * dy
				f[i+2] += g * dz
				f[k] -= g * dx
				f[k+1] -= g * dy
				f[k+2] -= g * dz
			}
		}
	}
	return eAngle, eUB
}

// torsion is the geometry of a dihedral i-j-k-l, kept in scalars: arrays
// of three floats passed by value cost several times more here.
type torsion struct {
	i, j, k, l        int
	ijx, ijy, ijz     float64 // r_ij = x_i - x_j
	kjx, kjy, kjz     float64 // r_kj = x_k - x_j
	klx, kly, klz     float64 // r_kl = x_k - x_l
	mx, my, mz        float64 // m = r_ij × r_kj
	nx, ny, nz        float64 // n = r_kj × r_kl
	nkj2, nkj, m2, n2 float64
}

func newTorsion(x []float64, i, j, k, l int) torsion {
	t := torsion{i: i, j: j, k: k, l: l}
	i, j, k, l = 3*i, 3*j, 3*k, 3*l
	t.ijx, t.ijy, t.ijz = x[i]-x[j], x[i+1]-x[j+1], x[i+2]-x[j+2]
	t.kjx, t.kjy, t.kjz = x[k]-x[j], x[k+1]-x[j+1], x[k+2]-x[j+2]
	t.klx, t.kly, t.klz = x[k]-x[l], x[k+1]-x[l+1], x[k+2]-x[l+2]
	t.mx, t.my, t.mz = t.ijy*t.kjz-t.ijz*t.kjy, t.ijz*t.kjx-t.ijx*t.kjz, t.ijx*t.kjy-t.ijy*t.kjx
	t.nx, t.ny, t.nz = t.kjy*t.klz-t.kjz*t.kly, t.kjz*t.klx-t.kjx*t.klz, t.kjx*t.kly-t.kjy*t.klx
	t.nkj2 = t.kjx*t.kjx + t.kjy*t.kjy + t.kjz*t.kjz
	t.nkj = math.Sqrt(t.nkj2)
	t.m2 = t.mx*t.mx + t.my*t.my + t.mz*t.mz
	t.n2 = t.nx*t.nx + t.ny*t.ny + t.nz*t.nz
	return t
}

// cosSin returns cos φ and sin φ of the IUPAC dihedral angle (trans = ±π);
// ok is false for collinear atoms, where φ is undefined.
func (t *torsion) cosSin() (c, s float64, ok bool) {
	mn := math.Sqrt(t.m2 * t.n2)
	if mn < 1e-24 {
		return 0, 0, false
	}
	c = (t.mx*t.nx + t.my*t.ny + t.mz*t.nz) / mn
	s = t.nkj * (t.ijx*t.nx + t.ijy*t.ny + t.ijz*t.nz) / mn
	return c, s, true
}

// dihedral returns the IUPAC dihedral angle of i-j-k-l and its geometry.
func dihedral(x []float64, i, j, k, l int) (float64, torsion) {
	t := newTorsion(x, i, j, k, l)
	return math.Atan2(t.nkj*(t.ijx*t.nx+t.ijy*t.ny+t.ijz*t.nz), t.mx*t.nx+t.my*t.ny+t.mz*t.nz), t
}

// apply adds the forces of a torsion potential with derivative dV/dφ
// (Bekker's decomposition, as in GROMACS).
func (t *torsion) apply(f []float64, dV float64) {
	if t.m2 < 1e-24 || t.n2 < 1e-24 {
		return // collinear atoms: the angle and its gradient are undefined
	}
	a := -dV * t.nkj / t.m2
	b := dV * t.nkj / t.n2
	fix, fiy, fiz := a*t.mx, a*t.my, a*t.mz
	flx, fly, flz := b*t.nx, b*t.ny, b*t.nz
	p := (t.ijx*t.kjx + t.ijy*t.kjy + t.ijz*t.kjz) / t.nkj2
	q := (t.klx*t.kjx + t.kly*t.kjy + t.klz*t.kjz) / t.nkj2
	svx, svy, svz := p*fix-q*flx, p*fiy-q*fly, p*fiz-q*flz
	i, j, k, l := 3*t.i, 3*t.j, 3*t.k, 3*t.l
	f[i] += fix
	f[i+1] += fiy
	f[i+2] += fiz
	f[j] -= fix - svx
	f[j+1] -= fiy - svy
	f[j+2] -= fiz - svz
	f[k] -= flx + svx
	f[k+1] -= fly + svy
	f[k+2] -= flz + svz
	f[l] += flx
	f[l+1] += fly
	f[l+2] += flz
}

func dihedrals(ds []Dihedral, x, f []float64) float64 {
	var e float64
	for _, d := range ds {
		tor := newTorsion(x, d.I, d.J, d.K, d.L)
		// cos φ and sin φ straight from the geometry, then cos nφ and sin nφ
		// by the multiple-angle recurrence: no atan2, cos or sin per term.
		c1, s1, ok := tor.cosSin()
		if !ok {
			continue
		}
		var dV float64
		for k, t := range d.Terms {
			if t.N == 0 { // CHARMM: multiplicity 0 means harmonic
				dp := wrap(math.Atan2(s1, c1) - t.Delta)
				e += t.K * dp * dp
				dV += 2 * t.K * dp
				continue
			}
			cn, sn := c1, s1
			for m := 1; m < t.N; m++ {
				cn, sn = cn*c1-sn*s1, sn*c1+cn*s1
			}
			// cos(nφ-δ) and sin(nφ-δ)
			cd := cn*d.cosDelta[k] + sn*d.sinDelta[k]
			sd := sn*d.cosDelta[k] - cn*d.sinDelta[k]
			e += t.K * (1 + cd)
			dV -= t.K * float64(t.N) * sd
		}
		if f != nil {
			tor.apply(f, dV)
		}
	}
	return e
}

func impropers(is []Improper, x, f []float64) float64 {
	var e float64
	for _, d := range is {
		psi, tor := dihedral(x, d.I, d.J, d.K, d.L)
		dp := wrap(psi - d.P.Psi0)
		e += d.P.K * dp * dp
		if f != nil {
			tor.apply(f, 2*d.P.K*dp)
		}
	}
	return e
}

// wrap maps an angle difference into [-π, π).
func wrap(a float64) float64 {
	return a - 2*math.Pi*math.Floor((a+math.Pi)/(2*math.Pi))
}

func pairs14(s *System, x, f []float64) (eLJ, eC float64) {
	for q := range s.Pairs14 {
		p := &s.Pairs14[q]
		i, j := 3*p.I, 3*p.J
		dx, dy, dz := x[i]-x[j], x[i+1]-x[j+1], x[i+2]-x[j+2]
		inv2 := 1 / (dx*dx + dy*dy + dz*dz)
		s6 := p.Rmin * p.Rmin * inv2
		s6 = s6 * s6 * s6
		lj := p.Eps * (s6*s6 - 2*s6)
		c := s.E14Fac * Coulomb * p.QQ * math.Sqrt(inv2)
		eLJ += lj
		eC += c
		if f != nil {
			g := (12*p.Eps*(s6*s6-s6) + c) * inv2 // -(dV/dr)/r
			f[i] += g * dx
			f[i+1] += g * dy
			f[i+2] += g * dz
			f[j] -= g * dx
			f[j+1] -= g * dy
			f[j+2] -= g * dz
		}
	}
	return eLJ, eC
}

// pair evaluates one nonbonded pair at squared distance r2 and returns the
// LJ and Coulomb energies and -(dV/dr)/r, all including the switch.
func (ff *ForceField) pair(i, j int, r2 float64) (lj, c, g float64) {
	s := ff.sys
	t := int(s.typeOf[i])*s.ntype + int(s.typeOf[j])
	eps, rmin := s.ljEps[t], s.ljRmin[t]
	inv2 := 1 / r2
	s6 := rmin * rmin * inv2
	s6 = s6 * s6 * s6
	lj = eps * (s6*s6 - 2*s6)
	c = Coulomb * s.Charge[i] * s.Charge[j] * math.Sqrt(inv2)
	g = (12*eps*(s6*s6-s6) + c) * inv2
	if !ff.cut.None {
		on2, off2 := ff.cut.On*ff.cut.On, ff.cut.Off*ff.cut.Off
		if r2 > on2 {
			den := off2 - on2
			den = den * den * den
			a := off2 - r2
			sw := a * a * (off2 + 2*r2 - 3*on2) / den
			dsw := 12 * a * (on2 - r2) / den // (dS/dr)/r
			g = g*sw - (lj+c)*dsw
			lj *= sw
			c *= sw
		}
	}
	return lj, c, g
}

func (ff *ForceField) allPairs(x, f []float64) (eLJ, eC float64) {
	s := ff.sys
	n := s.N()
	for i := 0; i < n; i++ {
		ex := s.excl[i]
		xi, yi, zi := x[3*i], x[3*i+1], x[3*i+2]
		for j := i + 1; j < n; j++ {
			if len(ex) > 0 && int(ex[0]) == j {
				ex = ex[1:]
				continue
			}
			dx, dy, dz := xi-x[3*j], yi-x[3*j+1], zi-x[3*j+2]
			lj, c, g := ff.pair(i, j, dx*dx+dy*dy+dz*dz)
			eLJ += lj
			eC += c
			if f != nil {
				f[3*i] += g * dx
				f[3*i+1] += g * dy
				f[3*i+2] += g * dz
				f[3*j] -= g * dx
				f[3*j+1] -= g * dy
				f[3*j+2] -= g * dz
			}
		}
	}
	return eLJ, eC
}

func (ff *ForceField) listPairs(x, f []float64) (eLJ, eC float64) {
	s := ff.sys
	on2, off2 := ff.cut.On*ff.cut.On, ff.cut.Off*ff.cut.Off
	den := off2 - on2
	invDen := 1 / (den * den * den)
	// Slice headers in locals: the compiler cannot prove that stores into f
	// leave the System's fields alone, and would reload them every pair.
	nt := s.ntype
	typeOf, charge, ljEps, ljRmin2 := s.typeOf, s.Charge, s.ljEps, s.ljRmin2
	pairStart, pairJ := ff.pairStart, ff.pairJ
	n := s.N()
	for i := 0; i < n; i++ {
		xi, yi, zi := x[3*i], x[3*i+1], x[3*i+2]
		qi := Coulomb * charge[i]
		row := ljEps[int(typeOf[i])*nt : int(typeOf[i]+1)*nt]
		row2 := ljRmin2[int(typeOf[i])*nt : int(typeOf[i]+1)*nt]
		var fxi, fyi, fzi float64
		for _, jj := range pairJ[pairStart[i]:pairStart[i+1]] {
			j := int(jj)
			xj := x[3*j : 3*j+3 : 3*j+3]
			dx, dy, dz := xi-xj[0], yi-xj[1], zi-xj[2]
			r2 := dx*dx + dy*dy + dz*dz
			if r2 >= off2 {
				continue
			}
			t := typeOf[j]
			eps := row[t]
			inv2 := 1 / r2
			s6 := row2[t] * inv2
			s6 = s6 * s6 * s6
			lj := eps * (s6*s6 - 2*s6)
			c := qi * charge[j] * math.Sqrt(inv2)
			g := (12*eps*(s6*s6-s6) + c) * inv2
			if r2 > on2 {
				a := off2 - r2
				sw := a * a * (off2 + 2*r2 - 3*on2) * invDen
				dsw := 12 * a * (on2 - r2) * invDen // (dS/dr)/r
				g = g*sw - (lj+c)*dsw
				lj *= sw
				c *= sw
			}
			eLJ += lj
			eC += c
			if f != nil {
				fxi += g * dx
				fyi += g * dy
				fzi += g * dz
				fj := f[3*j : 3*j+3 : 3*j+3]
				fj[0] -= g * dx
				fj[1] -= g * dy
				fj[2] -= g * dz
			}
		}
		if f != nil {
			f[3*i] += fxi
			f[3*i+1] += fyi
			f[3*i+2] += fzi
		}
	}
	return eLJ, eC
}

// ensureList rebuilds the pair list when it is missing or some atom has
// moved more than half the skin since it was built.
func (ff *ForceField) ensureList(x []float64) {
	if ff.valid && len(ff.xRef) == len(x) {
		lim := ff.cut.Skin * ff.cut.Skin / 4
		ok := true
		for i := 0; i < len(x); i += 3 {
			dx, dy, dz := x[i]-ff.xRef[i], x[i+1]-ff.xRef[i+1], x[i+2]-ff.xRef[i+2]
			if dx*dx+dy*dy+dz*dz > lim {
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
	ff.buildList(x)
}

// buildList fills the pair list with a cell grid over the bounding box
// (vacuum: no periodic images), so its cost grows linearly with atoms.
// Atoms sit in cells in index order and cells are visited in a fixed
// order, so the list, and hence every sum, is reproducible.
func (ff *ForceField) buildList(x []float64) {
	s := ff.sys
	n := s.N()
	rl := ff.cut.Off + ff.cut.Skin
	rl2 := rl * rl
	lo := [3]float64{math.Inf(1), math.Inf(1), math.Inf(1)}
	hi := [3]float64{math.Inf(-1), math.Inf(-1), math.Inf(-1)}
	for i := 0; i < n; i++ {
		for k := 0; k < 3; k++ {
			lo[k] = math.Min(lo[k], x[3*i+k])
			hi[k] = math.Max(hi[k], x[3*i+k])
		}
	}
	size := rl
	var dim [3]int
	for {
		total := 1
		for k := 0; k < 3; k++ {
			dim[k] = int((hi[k]-lo[k])/size) + 1
			total *= dim[k]
		}
		if total <= 8*n+64 {
			break
		}
		size *= 1.5 // a sparse, spread-out system: coarser cells bound memory
	}
	ncell := dim[0] * dim[1] * dim[2]
	ff.cell = resize(ff.cell, n)
	ff.start = resize(ff.start, ncell+1)
	ff.order = resize(ff.order, n)
	clear(ff.start)
	cellOf := func(i int) (c [3]int) {
		for k := 0; k < 3; k++ {
			c[k] = min(int((x[3*i+k]-lo[k])/size), dim[k]-1)
		}
		return c
	}
	for i := 0; i < n; i++ {
		c := cellOf(i)
		id := (c[0]*dim[1]+c[1])*dim[2] + c[2]
		ff.cell[i] = int32(id)
		ff.start[id+1]++
	}
	for c := 0; c < ncell; c++ {
		ff.start[c+1] += ff.start[c]
	}
	fill := append([]int32(nil), ff.start[:ncell]...)
	for i := 0; i < n; i++ {
		c := ff.cell[i]
		ff.order[fill[c]] = int32(i)
		fill[c]++
	}
	ff.mark = resize(ff.mark, n)
	for i := range ff.mark {
		ff.mark[i] = -1
	}
	ff.pairJ = ff.pairJ[:0]
	ff.pairStart = resize(ff.pairStart, n+1)
	for i := 0; i < n; i++ {
		ff.pairStart[i] = int32(len(ff.pairJ))
		for _, j := range s.excl[i] {
			ff.mark[j] = int32(i)
		}
		c := cellOf(i)
		xi, yi, zi := x[3*i], x[3*i+1], x[3*i+2]
		for a := max(c[0]-1, 0); a <= min(c[0]+1, dim[0]-1); a++ {
			for b := max(c[1]-1, 0); b <= min(c[1]+1, dim[1]-1); b++ {
				for cc := max(c[2]-1, 0); cc <= min(c[2]+1, dim[2]-1); cc++ {
					id := (a*dim[1]+b)*dim[2] + cc
					for _, j := range ff.order[ff.start[id]:ff.start[id+1]] {
						if int(j) <= i || ff.mark[j] == int32(i) {
							continue
						}
						dx, dy, dz := xi-x[3*j], yi-x[3*j+1], zi-x[3*j+2]
						if dx*dx+dy*dy+dz*dz < rl2 {
							ff.pairJ = append(ff.pairJ, j)
						}
					}
				}
			}
		}
		slices.Sort(ff.pairJ[ff.pairStart[i]:])
	}
	ff.pairStart[n] = int32(len(ff.pairJ))
	ff.xRef = append(ff.xRef[:0], x...)
	ff.valid = true
	ff.Builds++
}

func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}
