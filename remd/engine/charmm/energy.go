package charmm

import "math"

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
	// the two atoms that moved most since the last build moved more than
	// Skin together.
	Skin float64
}

// StudyCutoff is the study's setting: switch from 10 Å to 12 Å.
var StudyCutoff = Cutoff{On: 10, Off: 12, Skin: 2}

// ForceField evaluates a System's energy and forces. It keeps a pair list
// and scratch space between calls, so it is not safe for concurrent use;
// each replica worker holds its own.
type ForceField struct {
	sys *System
	cut Cutoff
	nb  nbList
	sc  scratch
	// Builds counts pair-list builds so far (for tests and tuning).
	Builds int
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
	t.Angle, t.UreyBradley = angles(s.Angles, x, f, &ff.sc)
	t.Dihedral = dihedrals(s, x, f, &ff.sc)
	t.Improper = impropers(s.Impropers, x, f)
	t.LJ14, t.Coul14 = pairs14(s, x, f)
	if ff.cut.None {
		t.LJ, t.Coul = ff.allPairs(x, f)
	} else {
		t.LJ, t.Coul = ff.listPairs(x, f, true)
	}
	return t
}

// Forces stores the forces on x in f, as Energy does, with the same bits,
// but skips the nonbonded energies, which dynamics needs only at the end of
// a segment. It reports whether every force is finite.
func (ff *ForceField) Forces(x, f []float64) bool {
	clear(f)
	s := ff.sys
	bonds(s.Bonds, x, f)
	angles(s.Angles, x, f, &ff.sc)
	dihedrals(s, x, f, &ff.sc)
	impropers(s.Impropers, x, f)
	pairs14(s, x, f)
	if ff.cut.None {
		ff.allPairs(x, f)
	} else {
		ff.listPairs(x, f, false)
	}
	var sum float64
	for _, v := range f {
		sum += v
	}
	return !math.IsNaN(sum) && !math.IsInf(sum, 0)
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

// scratch holds the per-term intermediate results of the bonded passes.
type scratch struct {
	angC, angInv, angTh, angG []float64
	dih                       []dihGeom
}

// angles sums the angle and Urey-Bradley terms in passes (cos θ; θ; the
// energy and dV/dθ; the forces), for the reason dihedrals gives.
func angles(as []Angle, x, f []float64, sc *scratch) (eAngle, eUB float64) {
	n := len(as)
	if cap(sc.angC) < n {
		sc.angC, sc.angInv, sc.angTh, sc.angG = make([]float64, n), make([]float64, n), make([]float64, n), make([]float64, n)
	}
	cs, invs, ths, gs := sc.angC[:n], sc.angInv[:n], sc.angTh[:n], sc.angG[:n]
	for q := range as {
		a := &as[q]
		i, j, k := 3*a.I, 3*a.J, 3*a.K
		xi, xj, xk := x[i:i+3:i+3], x[j:j+3:j+3], x[k:k+3:k+3]
		ux, uy, uz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
		vx, vy, vz := xk[0]-xj[0], xk[1]-xj[1], xk[2]-xj[2]
		uu, vv := ux*ux+uy*uy+uz*uz, vx*vx+vy*vy+vz*vz
		inv := 1 / math.Sqrt(uu*vv)
		c := (ux*vx + uy*vy + uz*vz) * inv
		cs[q] = max(-1, min(1, c))
		invs[q] = inv
	}
	for q, c := range cs {
		ths[q] = math.Acos(c)
	}
	for q := range as {
		p := &as[q].P
		dth := ths[q] - p.Theta0
		eAngle += p.K * dth * dth
		if f != nil {
			c := cs[q]
			gs[q] = 2 * p.K * dth / math.Max(math.Sqrt(1-c*c), 1e-8) // dV/dθ / sin θ
		}
	}
	for q := range as {
		a := &as[q]
		i, j, k := 3*a.I, 3*a.J, 3*a.K
		xi, xj, xk := x[i:i+3:i+3], x[j:j+3:j+3], x[k:k+3:k+3]
		if f != nil {
			// dθ/dxi = -(v/(|u||v|) - c u/|u|²)/sinθ; F = -dV/dθ dθ/dx.
			ux, uy, uz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
			vx, vy, vz := xk[0]-xj[0], xk[1]-xj[1], xk[2]-xj[2]
			uu, vv := ux*ux+uy*uy+uz*uz, vx*vx+vy*vy+vz*vz
			c, g := cs[q], gs[q]
			gu, gv := g*c/uu, g*c/vv
			gi := g * invs[q]
			fix, fiy, fiz := gi*vx-gu*ux, gi*vy-gu*uy, gi*vz-gu*uz
			fkx, fky, fkz := gi*ux-gv*vx, gi*uy-gv*vy, gi*uz-gv*vz
			fi, fj, fk := f[i:i+3:i+3], f[j:j+3:j+3], f[k:k+3:k+3]
			fi[0] += fix
			fi[1] += fiy
			fi[2] += fiz
			fk[0] += fkx
			fk[1] += fky
			fk[2] += fkz
			fj[0] -= fix + fkx
			fj[1] -= fiy + fky
			fj[2] -= fiz + fkz
		}
		if p := &a.P; p.KUB != 0 {
			dx, dy, dz := xi[0]-xk[0], xi[1]-xk[1], xi[2]-xk[2]
			r := math.Sqrt(dx*dx + dy*dy + dz*dz)
			dr := r - p.S0
			eUB += p.KUB * dr * dr
			if f != nil {
				g := -2 * p.KUB * dr / r
				fi, fk := f[i:i+3:i+3], f[k:k+3:k+3]
				fi[0] += g * dx
				fi[1] += g * dy
				fi[2] += g * dz
				fk[0] -= g * dx
				fk[1] -= g * dy
				fk[2] -= g * dz
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

// dihedrals sums the proper dihedrals. cos φ and sin φ come straight from
// the geometry and cos nφ, sin nφ from the multiple-angle recurrence: no
// atan2, cos or sin per term, and two square roots and two divisions per
// dihedral (the forces as in torsion.apply, Bekker's decomposition).
// dihGeom is what the first pass over the dihedrals hands the others.
type dihGeom struct {
	c1, s1     float64 // cos φ, sin φ
	inv        float64 // 1/(|m||n|)
	nkj, ikj2  float64 // |r_kj|, 1/|r_kj|²
	m2, n2, dV float64
	ok         bool // φ is defined (atoms not collinear)
}

// dihedrals sums the proper dihedrals. cos φ and sin φ come straight from
// the geometry and cos nφ, sin nφ from the multiple-angle recurrence: no
// atan2, cos or sin per term, and two square roots and two divisions per
// dihedral (the forces as in torsion.apply, Bekker's decomposition).
// Geometry, energy and forces are three passes: one pass doing all three
// is a chain of dependent square roots and divisions too long for the CPU
// to overlap dihedrals; and the energy pass runs over the terms grouped by
// multiplicity, since a loop whose trip count changes from one dihedral to
// the next is mispredicted at nearly every dihedral.
func dihedrals(s *System, x, f []float64, sc *scratch) float64 {
	if cap(sc.dih) < len(s.dih) {
		sc.dih = make([]dihGeom, len(s.dih))
	}
	geo := sc.dih[:len(s.dih)]
	for q, d := range s.dih {
		i, j, k, l := int(d.i), int(d.j), int(d.k), int(d.l)
		xi, xj, xk, xl := x[i:i+3:i+3], x[j:j+3:j+3], x[k:k+3:k+3], x[l:l+3:l+3]
		ijx, ijy, ijz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
		kjx, kjy, kjz := xk[0]-xj[0], xk[1]-xj[1], xk[2]-xj[2]
		klx, kly, klz := xk[0]-xl[0], xk[1]-xl[1], xk[2]-xl[2]
		mx, my, mz := ijy*kjz-ijz*kjy, ijz*kjx-ijx*kjz, ijx*kjy-ijy*kjx
		nx, ny, nz := kjy*klz-kjz*kly, kjz*klx-kjx*klz, kjx*kly-kjy*klx
		m2, n2 := mx*mx+my*my+mz*mz, nx*nx+ny*ny+nz*nz
		nkj2 := kjx*kjx + kjy*kjy + kjz*kjz
		nkj := math.Sqrt(nkj2)
		mn := math.Sqrt(m2 * n2)
		g := &geo[q]
		if mn < 1e-24 {
			*g = dihGeom{} // collinear atoms: φ and its gradient are undefined
			continue
		}
		inv := 1 / mn
		// Field by field: a composite literal is built on the stack and
		// copied in 16-byte moves over its 8-byte stores, which stalls
		// store forwarding at every dihedral.
		g.c1 = (mx*nx + my*ny + mz*nz) * inv
		g.s1 = nkj * (ijx*nx + ijy*ny + ijz*nz) * inv
		g.inv, g.nkj, g.ikj2, g.m2, g.n2, g.dV, g.ok = inv, nkj, 1/nkj2, m2, n2, 0, true
	}
	var e float64
	for _, grp := range s.dihGroups {
		n := grp.n
		for _, t := range grp.terms {
			g := &geo[t.d]
			if !g.ok {
				continue
			}
			c1, s1 := g.c1, g.s1
			if n == 0 { // CHARMM: multiplicity 0 means harmonic
				dp := wrap(math.Atan2(s1, c1) - t.delta)
				e += t.k * dp * dp
				g.dV += 2 * t.k * dp
				continue
			}
			cn, sn := c1, s1
			for m := 1; m < n; m++ {
				cn, sn = cn*c1-sn*s1, sn*c1+cn*s1
			}
			// cos(nφ-δ) and sin(nφ-δ)
			cd := cn*t.cosD + sn*t.sinD
			sd := sn*t.cosD - cn*t.sinD
			e += t.k * (1 + cd)
			g.dV -= t.k * float64(n) * sd
		}
	}
	if f == nil {
		return e
	}
	for q, d := range s.dih {
		g := &geo[q]
		if !g.ok || g.m2 < 1e-24 || g.n2 < 1e-24 {
			continue
		}
		i, j, k, l := int(d.i), int(d.j), int(d.k), int(d.l)
		xi, xj, xk, xl := x[i:i+3:i+3], x[j:j+3:j+3], x[k:k+3:k+3], x[l:l+3:l+3]
		ijx, ijy, ijz := xi[0]-xj[0], xi[1]-xj[1], xi[2]-xj[2]
		kjx, kjy, kjz := xk[0]-xj[0], xk[1]-xj[1], xk[2]-xj[2]
		klx, kly, klz := xk[0]-xl[0], xk[1]-xl[1], xk[2]-xl[2]
		mx, my, mz := ijy*kjz-ijz*kjy, ijz*kjx-ijx*kjz, ijx*kjy-ijy*kjx
		nx, ny, nz := kjy*klz-kjz*kly, kjz*klx-kjx*klz, kjx*kly-kjy*klx
		a := -g.dV * g.nkj * g.n2 * g.inv * g.inv // -dV |kj| / m²
		b := g.dV * g.nkj * g.m2 * g.inv * g.inv  // dV |kj| / n²
		fix, fiy, fiz := a*mx, a*my, a*mz
		flx, fly, flz := b*nx, b*ny, b*nz
		p := (ijx*kjx + ijy*kjy + ijz*kjz) * g.ikj2
		r := (klx*kjx + kly*kjy + klz*kjz) * g.ikj2
		svx, svy, svz := p*fix-r*flx, p*fiy-r*fly, p*fiz-r*flz
		fi, fj, fk, fl := f[i:i+3:i+3], f[j:j+3:j+3], f[k:k+3:k+3], f[l:l+3:l+3]
		fi[0] += fix
		fi[1] += fiy
		fi[2] += fiz
		fj[0] -= fix - svx
		fj[1] -= fiy - svy
		fj[2] -= fiz - svz
		fk[0] -= flx + svx
		fk[1] -= fly + svy
		fk[2] -= flz + svz
		fl[0] += flx
		fl[1] += fly
		fl[2] += flz
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
