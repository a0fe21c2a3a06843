package charmm

// rowKernel is what the vector pair kernel reads for one row of the pair
// list: pointers, then constants broadcast to four lanes, at the offsets
// the assembly uses.
type rowKernel struct {
	atoms *nbAtom     // 0
	fa    *[3]float64 // 8
	row   *[4]float64 // 16: ljPad row of atom i's type
	js    *int32      // 24
	n     int         // 32: partners, a multiple of rowPad
	fi    *[3]float64 // 40
	xi    [4]float64  // 48
	yi    [4]float64  // 80
	zi    [4]float64  // 112
	qi    [4]float64  // 144: Coulomb × q_i
	on2   [4]float64  // 176
	off2  [4]float64  // 208
	on2x3 [4]float64  // 240
	inv   [4]float64  // 272: 1/(Off²-On²)³
	one   [4]float64  // 304
	twelv [4]float64  // 336
}

func bcast(v float64) [4]float64 { return [4]float64{v, v, v, v} }

// pairForcesAVX2 is pairForces with the rows computed four partners at a
// time by pairRowAVX2. Each lane computes a pair's force with the same
// IEEE operations in the same order as pairRowForces (no fused
// multiply-add), and the forces are added in list order, so the result has
// the same bits; pairs beyond the cutoff and the padding add exact zeros,
// which change no sum (an accumulator never holds -0).
func (ff *ForceField) pairForcesAVX2(atoms []nbAtom, fa [][3]float64) {
	on2, off2 := ff.cut.On*ff.cut.On, ff.cut.Off*ff.cut.Off
	den := off2 - on2
	k := rowKernel{
		atoms: &atoms[0], fa: &fa[0],
		on2: bcast(on2), off2: bcast(off2), on2x3: bcast(3 * on2),
		inv: bcast(1 / (den * den * den)), one: bcast(1), twelv: bcast(12),
	}
	nt := ff.sys.ntype
	lj := ff.sys.ljPad
	pairStart, pairJ := ff.nb.pairStart, ff.nb.pairJ
	for i := range atoms[:len(atoms)-1] {
		js := pairJ[pairStart[i]:pairStart[i+1]]
		if len(js) == 0 {
			continue
		}
		ai := &atoms[i]
		k.row = &lj[ai.t*nt : (ai.t+1)*nt][0]
		k.js, k.n, k.fi = &js[0], len(js), &fa[i]
		k.xi, k.yi, k.zi, k.qi = bcast(ai.x), bcast(ai.y), bcast(ai.z), bcast(Coulomb*ai.q)
		pairRowAVX2(&k)
	}
}
