package charmm

import "math"

// ljParam is one type pair's Lennard-Jones parameters as the pair loop
// wants them: ε, 12ε (for the force) and Rmin².
type ljParam struct{ eps, eps12, rmin2 float64 }

// atomBlock holds four consecutive atoms 4m..4m+3 as the pair loop reads
// them, one quantity per 32 bytes, so that the vector kernel loads each
// quantity of four partners with one instruction.
type atomBlock struct {
	x, y, z, q [4]float64
	t          [4]int64 // type index
}

// forceBlock is the pair forces on four consecutive atoms.
type forceBlock struct{ x, y, z [4]float64 }

// nbList is the pair list and the pair loop's scratch space.
type nbList struct {
	// The partners j > i of atom i within the list's reach, grouped by
	// j/4: row i is the groups grpM[grpStart[i]:grpStart[i+1]] (block
	// index m, ascending) with grpMask saying which of 4m..4m+3 are
	// partners (bit k for 4m+k).
	grpStart []int32
	grpM     []int32
	grpMask  []uint8
	xRef     []float64
	valid    bool

	blocks []atomBlock
	forces []forceBlock

	// buildList's scratch.
	mark, cell, order, start, fill, found, foundStart, count, pairJ []int32
}

// The pair loop's order of summation, the same in the Go loop and the
// vector kernel, and the same whatever pairs beyond the cutoff the list
// holds (so segments split anywhere, with lists built at other times,
// give the same bits): the force on partner j is subtracted row after
// row, i ascending; the force on atom i from its partners is summed in
// four partial sums, one for each j mod 4, each over j ascending, and
// added to atom i's force as (s0+s1)+(s2+s3) at the end of its row.

// listPairs adds the forces of the nonbonded pairs beyond 1-4 within the
// cutoff to f (when not nil) and, when energy is set, returns their LJ and
// Coulomb energies. Both loops compute each pair's force with the same
// expressions in the same order, so forces have the same bits with or
// without energies.
func (ff *ForceField) listPairs(x, f []float64, energy bool) (eLJ, eC float64) {
	ff.ensureList(x)
	s := ff.sys
	nb := &ff.nb
	n := s.N()
	nblk := (n + 3) / 4
	if len(nb.blocks) != nblk {
		nb.blocks = make([]atomBlock, nblk)
		nb.forces = make([]forceBlock, nblk)
	}
	blocks, fb := nb.blocks[:nblk], nb.forces[:nblk]
	charge, typeOf := s.Charge[:n], s.typeOf[:n]
	for m := range blocks {
		b := &blocks[m]
		for k := 0; k < 4; k++ {
			i := 4*m + k
			if i >= n {
				// Lanes beyond the last atom are in no row; far away, they
				// keep every lane's arithmetic finite.
				b.x[k], b.y[k], b.z[k], b.q[k], b.t[k] = farAway, farAway, farAway, 0, 0
				continue
			}
			b.x[k], b.y[k], b.z[k], b.q[k], b.t[k] = x[3*i], x[3*i+1], x[3*i+2], charge[i], int64(typeOf[i])
		}
		fb[m] = forceBlock{}
	}
	if energy || f == nil {
		eLJ, eC = ff.pairEnergies(blocks, fb)
	} else if useAVX2 {
		ff.pairForcesAVX2(blocks, fb)
	} else {
		ff.pairForces(blocks, fb)
	}
	if f != nil {
		f = f[:3*n]
		for i := 0; i < n; i++ {
			b := &fb[i>>2]
			k := i & 3
			f[3*i] += b.x[k]
			f[3*i+1] += b.y[k]
			f[3*i+2] += b.z[k]
		}
	}
	return eLJ, eC
}

// switchConst is the switching function's constants: On², Off² and
// 1/(Off²-On²)³.
type switchConst struct{ on2, off2, invDen float64 }

func (ff *ForceField) switchConst() switchConst {
	on2, off2 := ff.cut.On*ff.cut.On, ff.cut.Off*ff.cut.Off
	den := off2 - on2
	return switchConst{on2, off2, 1 / (den * den * den)}
}

// pairForces is pairEnergies without the energies: the loop of a dynamics
// step, where half the time goes, on machines without the vector kernel.
func (ff *ForceField) pairForces(blocks []atomBlock, fb []forceBlock) {
	sw := ff.switchConst()
	nt := ff.sys.ntype
	lj := ff.sys.lj
	nb := &ff.nb
	for i := range ff.sys.N() {
		a := &blocks[i>>2]
		li := i & 3
		g0, g1 := nb.grpStart[i], nb.grpStart[i+1]
		var sum [4][3]float64
		pairRowForces(blocks, fb, nb.grpM[g0:g1], nb.grpMask[g0:g1], a.x[li], a.y[li], a.z[li], Coulomb*a.q[li], lj[int(a.t[li])*nt:(int(a.t[li])+1)*nt], &sum, &sw)
		addRowSum(&fb[i>>2], li, &sum)
	}
}

// addRowSum adds atom i's four partial sums to its force.
func addRowSum(b *forceBlock, k int, s *[4][3]float64) {
	b.x[k] += (s[0][0] + s[1][0]) + (s[2][0] + s[3][0])
	b.y[k] += (s[0][1] + s[1][1]) + (s[2][1] + s[3][1])
	b.z[k] += (s[0][2] + s[1][2]) + (s[2][2] + s[3][2])
}

// pairRowForces adds the forces between atom i (at xi, yi, zi with
// Coulomb × charge qi and its row of the LJ table) and its partners to
// the partners' forces and to the partial sums.
//
//go:noinline
func pairRowForces(blocks []atomBlock, fb []forceBlock, ms []int32, masks []uint8, xi, yi, zi, qi float64, row []ljParam, sum *[4][3]float64, k *switchConst) {
	off2 := k.off2
	for g, m := range ms {
		a, fj := &blocks[m], &fb[m]
		mask := masks[g]
		for l := 0; l < 4; l++ {
			if mask&(1<<l) == 0 {
				continue
			}
			dx, dy, dz := xi-a.x[l], yi-a.y[l], zi-a.z[l]
			r2 := dx*dx + dy*dy + dz*dz
			if r2 >= off2 {
				continue
			}
			p := &row[a.t[l]]
			inv2 := 1 / r2
			s6 := p.rmin2 * inv2
			s6 = s6 * s6 * s6
			c := qi * a.q[l] * math.Sqrt(inv2)
			g := (p.eps12*(s6*s6-s6) + c) * inv2 // -(dV/dr)/r
			if on2 := k.on2; r2 > on2 {
				lj := p.eps * (s6*s6 - 2*s6)
				a := off2 - r2
				sw := a * a * (off2 + 2*r2 - 3*on2) * k.invDen
				dsw := 12 * a * (on2 - r2) * k.invDen // (dS/dr)/r
				g = g*sw - (lj+c)*dsw
			}
			gx, gy, gz := g*dx, g*dy, g*dz
			s := &sum[l]
			s[0] += gx
			s[1] += gy
			s[2] += gz
			fj.x[l] -= gx
			fj.y[l] -= gy
			fj.z[l] -= gz
		}
	}
}

// pairEnergies is pairForces with the LJ and Coulomb energies, summed over
// the pairs within the cutoff in list order.
func (ff *ForceField) pairEnergies(blocks []atomBlock, fb []forceBlock) (eLJ, eC float64) {
	k := ff.switchConst()
	on2, off2, invDen := k.on2, k.off2, k.invDen
	nt := ff.sys.ntype
	ljt := ff.sys.lj
	nb := &ff.nb
	for i := range ff.sys.N() {
		ai := &blocks[i>>2]
		li := i & 3
		xi, yi, zi := ai.x[li], ai.y[li], ai.z[li]
		qi := Coulomb * ai.q[li]
		row := ljt[int(ai.t[li])*nt : (int(ai.t[li])+1)*nt]
		var sum [4][3]float64
		g0, g1 := nb.grpStart[i], nb.grpStart[i+1]
		for gi, m := range nb.grpM[g0:g1] {
			a, fj := &blocks[m], &fb[m]
			mask := nb.grpMask[int(g0)+gi]
			for l := 0; l < 4; l++ {
				if mask&(1<<l) == 0 {
					continue
				}
				dx, dy, dz := xi-a.x[l], yi-a.y[l], zi-a.z[l]
				r2 := dx*dx + dy*dy + dz*dz
				if r2 >= off2 {
					continue
				}
				p := &row[a.t[l]]
				inv2 := 1 / r2
				s6 := p.rmin2 * inv2
				s6 = s6 * s6 * s6
				c := qi * a.q[l] * math.Sqrt(inv2)
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
				s := &sum[l]
				s[0] += gx
				s[1] += gy
				s[2] += gz
				fj.x[l] -= gx
				fj.y[l] -= gy
				fj.z[l] -= gz
			}
		}
		addRowSum(&fb[i>>2], li, &sum)
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

	// Hand each i its partners: j runs ascending, so each row is sorted;
	// then group each row's partners by j/4.
	for i := 0; i < n; i++ {
		nb.count[i+1] += nb.count[i]
	}
	nb.pairJ = resize(nb.pairJ, len(found))
	next := nb.count[:n]
	for j := 0; j < n; j++ {
		for _, i := range found[nb.foundStart[j]:nb.foundStart[j+1]] {
			nb.pairJ[next[i]] = int32(j)
			next[i]++
		}
	}
	nb.grpStart = resize(nb.grpStart, n+1)
	grpM, grpMask := nb.grpM[:0], nb.grpMask[:0]
	var row0 int32
	for i := 0; i < n; i++ {
		nb.grpStart[i] = int32(len(grpM))
		last := int32(-1)
		for _, j := range nb.pairJ[row0:next[i]] {
			if m := j >> 2; m != last {
				grpM = append(grpM, m)
				grpMask = append(grpMask, 0)
				last = m
			}
			grpMask[len(grpMask)-1] |= 1 << (j & 3)
		}
		row0 = next[i]
	}
	nb.grpStart[n] = int32(len(grpM))
	nb.grpM, nb.grpMask = grpM, grpMask
	nb.xRef = append(nb.xRef[:0], x...)
	nb.valid = true
	ff.Builds++
}

// farAway is the coordinates (Å) of the lanes beyond the last atom: no
// atom of a real system is within a cutoff of them, and their squared
// distances stay finite.
const farAway = 1e10

// resize returns s with length n, reallocating with room to spare, since
// the pair list grows and shrinks a little with every build.
func resize(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n, n+n/8)
	}
	return s[:n]
}
