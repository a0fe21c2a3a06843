package charmm

import "math"

// ljParam is one type pair's Lennard-Jones parameters as the pair loop
// wants them: ε, 12ε (for the force) and Rmin².
type ljParam struct{ eps, eps12, rmin2 float64 }

// nbAtom packs what the pair loop reads of atom j into 40 bytes: one bounds
// check and one or two cache lines instead of four arrays.
type nbAtom struct {
	x, y, z, q float64
	t          int // type index
}

// nbList is the pair list and the pair loop's scratch space.
type nbList struct {
	// Partners j > i of atom i are pairJ[pairStart[i]:pairStart[i+1]],
	// ascending, so the sum over the pairs within the cutoff runs in the
	// same order whenever the list was built: segments split anywhere give
	// the same bits.
	pairStart []int32
	pairJ     []int32
	xRef      []float64
	valid     bool

	atoms []nbAtom
	f     [][3]float64

	// buildList's scratch.
	mark, cell, order, start, fill, found, foundStart, count []int32
}

// listPairs adds the forces of the nonbonded pairs beyond 1-4 within the
// cutoff to f (when not nil) and, when energy is set, returns their LJ and
// Coulomb energies. Both loops compute each pair's force with the same
// expressions, so forces have the same bits with or without energies.
func (ff *ForceField) listPairs(x, f []float64, energy bool) (eLJ, eC float64) {
	ff.ensureList(x)
	s := ff.sys
	nb := &ff.nb
	n := s.N()
	// Entry n is the padding partner rows are filled up with (see
	// buildList): far from everything, so no pair with it is within the
	// cutoff and it adds nothing.
	if len(nb.atoms) != n+1 {
		nb.atoms = make([]nbAtom, n+1)
		nb.f = make([][3]float64, n+1)
	}
	atoms, fa := nb.atoms[:n+1], nb.f[:n+1]
	charge, typeOf := s.Charge[:n], s.typeOf[:n]
	for i := range atoms[:n] {
		atoms[i] = nbAtom{x[3*i], x[3*i+1], x[3*i+2], charge[i], int(typeOf[i])}
		fa[i] = [3]float64{}
	}
	atoms[n] = nbAtom{x: farAway, y: farAway, z: farAway}
	fa[n] = [3]float64{}
	if energy || f == nil {
		eLJ, eC = ff.pairEnergies(atoms, fa)
	} else if useAVX2 {
		ff.pairForcesAVX2(atoms, fa)
	} else {
		ff.pairForces(atoms, fa)
	}
	if f != nil {
		f = f[:3*n]
		for i := range fa[:n] {
			f[3*i] += fa[i][0]
			f[3*i+1] += fa[i][1]
			f[3*i+2] += fa[i][2]
		}
	}
	return eLJ, eC
}

// pairForces is pairEnergies without the energies: the loop of a dynamics
// step, where half the time goes.
func (ff *ForceField) pairForces(atoms []nbAtom, fa [][3]float64) {
	on2, off2 := ff.cut.On*ff.cut.On, ff.cut.Off*ff.cut.Off
	den := off2 - on2
	sw := switchConst{on2, off2, 1 / (den * den * den)}
	nt := ff.sys.ntype
	lj := ff.sys.lj
	pairStart, pairJ := ff.nb.pairStart, ff.nb.pairJ
	for i := range atoms[:len(atoms)-1] {
		ai := &atoms[i]
		pairRowForces(atoms, fa, pairJ[pairStart[i]:pairStart[i+1]], ai, lj[ai.t*nt:(ai.t+1)*nt], &fa[i], &sw)
	}
}

// switchConst is the switching function's constants: On², Off² and
// 1/(Off²-On²)³.
type switchConst struct{ on2, off2, invDen float64 }

// pairRowForces adds the forces between atom i (ai, its force fi, its row
// of the LJ table) and its partners js. It is a function of its own, kept
// from inlining, because with nothing of the loop over i live around it the
// compiler spills fewer registers in this loop (4 % faster).
//
//go:noinline
func pairRowForces(atoms []nbAtom, fa [][3]float64, js []int32, ai *nbAtom, row []ljParam, fi *[3]float64, k *switchConst) {
	xi, yi, zi := ai.x, ai.y, ai.z
	qi := Coulomb * ai.q
	off2 := k.off2
	for _, j := range js {
		aj := &atoms[j]
		dx, dy, dz := xi-aj.x, yi-aj.y, zi-aj.z
		r2 := dx*dx + dy*dy + dz*dz
		if r2 >= off2 {
			continue
		}
		p := &row[aj.t]
		inv2 := 1 / r2
		s6 := p.rmin2 * inv2
		s6 = s6 * s6 * s6
		c := qi * aj.q * math.Sqrt(inv2)
		g := (p.eps12*(s6*s6-s6) + c) * inv2 // -(dV/dr)/r
		if on2 := k.on2; r2 > on2 {
			lj := p.eps * (s6*s6 - 2*s6)
			a := off2 - r2
			sw := a * a * (off2 + 2*r2 - 3*on2) * k.invDen
			dsw := 12 * a * (on2 - r2) * k.invDen // (dS/dr)/r
			g = g*sw - (lj+c)*dsw
		}
		gx, gy, gz := g*dx, g*dy, g*dz
		fi[0] += gx
		fi[1] += gy
		fi[2] += gz
		fj := &fa[j]
		fj[0] -= gx
		fj[1] -= gy
		fj[2] -= gz
	}
}

// pairEnergies is pairForces with the LJ and Coulomb energies.
func (ff *ForceField) pairEnergies(atoms []nbAtom, fa [][3]float64) (eLJ, eC float64) {
	on2, off2 := ff.cut.On*ff.cut.On, ff.cut.Off*ff.cut.Off
	den := off2 - on2
	invDen := 1 / (den * den * den)
	nt := ff.sys.ntype
	ljt := ff.sys.lj
	pairStart, pairJ := ff.nb.pairStart, ff.nb.pairJ
	for i := range atoms[:len(atoms)-1] {
		ai := &atoms[i]
		xi, yi, zi := ai.x, ai.y, ai.z
		qi := Coulomb * ai.q
		row := ljt[ai.t*nt : (ai.t+1)*nt]
		fi := &fa[i] // in memory, not registers: the loop has too few
		for _, j := range pairJ[pairStart[i]:pairStart[i+1]] {
			aj := &atoms[j]
			dx, dy, dz := xi-aj.x, yi-aj.y, zi-aj.z
			r2 := dx*dx + dy*dy + dz*dz
			if r2 >= off2 {
				continue
			}
			p := &row[aj.t]
			inv2 := 1 / r2
			s6 := p.rmin2 * inv2
			s6 = s6 * s6 * s6
			c := qi * aj.q * math.Sqrt(inv2)
			g := (p.eps12*(s6*s6-s6) + c) * inv2
			lj := p.eps * (s6*s6 - 2*s6)
			if r2 > on2 {
				a := off2 - r2
				sw := a * a * (off2 + 2*r2 - 3*on2) * invDen
				dsw := 12 * a * (on2 - r2) * invDen
				g = g*sw - (lj+c)*dsw
				lj *= sw
				c *= sw
			}
			eLJ += lj
			eC += c
			gx, gy, gz := g*dx, g*dy, g*dz
			fi[0] += gx
			fi[1] += gy
			fi[2] += gz
			fj := &fa[j]
			fj[0] -= gx
			fj[1] -= gy
			fj[2] -= gz
		}
	}
	return eLJ, eC
}

// ensureList rebuilds the pair list when it is missing or two atoms may
// have closed in on each other by more than the skin since it was built:
// a pair's distance changes by at most the sum of the two atoms'
// displacements, so the list is good while the two largest add up to less.
func (ff *ForceField) ensureList(x []float64) {
	nb := &ff.nb
	if nb.valid && len(nb.xRef) == len(x) {
		ref := nb.xRef[:len(x)]
		var d1, d2 float64 // the largest squared displacements
		for i := 0; i+2 < len(x); i += 3 {
			dx, dy, dz := x[i]-ref[i], x[i+1]-ref[i+1], x[i+2]-ref[i+2]
			d := dx*dx + dy*dy + dz*dz
			if d > d2 {
				d1, d2 = max(d1, d), min(d1, d)
			}
		}
		if math.Sqrt(d1)+math.Sqrt(d2) < ff.cut.Skin {
			return
		}
	}
	ff.buildList(x)
}

// buildList fills the pair list with a cell grid over the bounding box
// (vacuum: no periodic images), so its cost grows linearly with atoms.
// Each pair is found once, from its higher atom j, with j ascending; a
// counting pass then hands every i its partners already in ascending order,
// so the list needs no sorting and is the same however it was found.
func (ff *ForceField) buildList(x []float64) {
	s := ff.sys
	nb := &ff.nb
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
	nb.cell = resize(nb.cell, n)
	nb.start = resize(nb.start, ncell+1)
	nb.order = resize(nb.order, n)
	nb.fill = resize(nb.fill, ncell)
	clear(nb.start)
	cellOf := func(i int) (c [3]int) {
		for k := 0; k < 3; k++ {
			c[k] = min(int((x[3*i+k]-lo[k])/size), dim[k]-1)
		}
		return c
	}
	for i := 0; i < n; i++ {
		c := cellOf(i)
		id := (c[0]*dim[1]+c[1])*dim[2] + c[2]
		nb.cell[i] = int32(id)
		nb.start[id+1]++
	}
	for c := 0; c < ncell; c++ {
		nb.start[c+1] += nb.start[c]
	}
	copy(nb.fill, nb.start[:ncell])
	for i := 0; i < n; i++ {
		c := nb.cell[i]
		nb.order[nb.fill[c]] = int32(i) // ascending within each cell
		nb.fill[c]++
	}

	// Partners i < j of every j, j ascending, into found.
	nb.mark = resize(nb.mark, n)
	for i := range nb.mark {
		nb.mark[i] = -1
	}
	nb.count = resize(nb.count, n+1)
	clear(nb.count)
	nb.foundStart = resize(nb.foundStart, n+1)
	found := nb.found[:0]
	for j := 0; j < n; j++ {
		nb.foundStart[j] = int32(len(found))
		for _, i := range s.exclBelow[j] {
			nb.mark[i] = int32(j)
		}
		c := cellOf(j)
		xj, yj, zj := x[3*j], x[3*j+1], x[3*j+2]
		for a := max(c[0]-1, 0); a <= min(c[0]+1, dim[0]-1); a++ {
			for b := max(c[1]-1, 0); b <= min(c[1]+1, dim[1]-1); b++ {
				for cc := max(c[2]-1, 0); cc <= min(c[2]+1, dim[2]-1); cc++ {
					id := (a*dim[1]+b)*dim[2] + cc
					for _, i := range nb.order[nb.start[id]:nb.start[id+1]] {
						if int(i) >= j {
							break // cells hold atoms in ascending order
						}
						dx, dy, dz := xj-x[3*i], yj-x[3*i+1], zj-x[3*i+2]
						if dx*dx+dy*dy+dz*dz < rl2 && nb.mark[i] != int32(j) {
							found = append(found, i)
							nb.count[i+1]++
						}
					}
				}
			}
		}
	}
	nb.foundStart[n] = int32(len(found))
	nb.found = found

	// Hand each i its partners: j runs ascending, so each row is sorted.
	// Rows are filled up to a multiple of rowPad with partner n, the
	// padding atom, for the vector kernel.
	for i := 0; i < n; i++ {
		nb.count[i+1] = nb.count[i] + (nb.count[i+1]+rowPad-1)/rowPad*rowPad
	}
	nb.pairStart = resize(nb.pairStart, n+1)
	copy(nb.pairStart, nb.count)
	nb.pairJ = resize(nb.pairJ, int(nb.count[n]))
	next := nb.count[:n]
	for j := 0; j < n; j++ {
		for _, i := range found[nb.foundStart[j]:nb.foundStart[j+1]] {
			nb.pairJ[next[i]] = int32(j)
			next[i]++
		}
	}
	for i := 0; i < n; i++ {
		for k := next[i]; k < nb.pairStart[i+1]; k++ {
			nb.pairJ[k] = int32(n)
		}
	}
	nb.xRef = append(nb.xRef[:0], x...)
	nb.valid = true
	ff.Builds++
}

// rowPad is what every row of the pair list is filled up to a multiple of,
// with the padding atom: the vector kernel takes partners four at a time.
const rowPad = 4

// farAway is the padding atom's coordinates (Å): no atom of a real system
// is within a cutoff of it, and its squared distances stay finite.
const farAway = 1e10

// resize returns s with length n, reallocating with room to spare, since
// the pair list grows and shrinks a little with every build.
func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n+n/8)
	}
	return s[:n]
}
