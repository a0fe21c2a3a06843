package charmm

// rowKernel is what the vector pair kernel reads: pointers, then
// constants broadcast to four lanes, at the offsets the assembly uses.
type rowKernel struct {
	blocks   *atomBlock     // 0
	forces   *forceBlock    // 8
	lj       *[4]float64    // 16: ljPad
	grpM     *int32         // 24
	mask     *uint8         // 32
	_        int            // 40
	lanes    *[16][4]uint64 // 48: laneMasks
	_        int            // 56
	xi       [4]float64     // 64: atom i's, set by the kernel
	yi       [4]float64     // 96
	zi       [4]float64     // 128
	qi       [4]float64     // 160: Coulomb × q_i
	on2      [4]float64     // 192
	off2     [4]float64     // 224
	on2x3    [4]float64     // 256
	inv      [4]float64     // 288: 1/(Off²-On²)³
	one      [4]float64     // 320
	twelv    [4]float64     // 352
	coul     [4]float64     // 384: Coulomb
	_        [8]float64     // 416
	grpStart *int32         // 480
	rowBytes int            // 488: bytes of one ljPad row
	atoms    int            // 496
	i        int            // 504: the row, the kernel's own
}

// laneMasks turns a group's 4-bit partner mask into lanes of all ones
// (partner) or zeros.
var laneMasks = func() (t [16][4]uint64) {
	for m := range t {
		for k := range 4 {
			if m&(1<<k) != 0 {
				t[m][k] = ^uint64(0)
			}
		}
	}
	return t
}()

func bcast(v float64) [4]float64 { return [4]float64{v, v, v, v} }

// pairForcesAVX2 is pairForces with each group of four partners computed
// at once by pairRowAVX2, lane l holding partner 4m+l. Each lane computes
// a pair's force with the same IEEE operations in the same order as
// pairRowForces (no fused multiply-add), lane l's partial sum is the Go
// loop's sum for j mod 4 = l, and the partners' forces are subtracted
// row after row, so the result has the same bits. Lanes that are no
// partner or beyond the cutoff add exact zeros, which change no sum (an
// accumulator that starts at +0 never holds -0).
func (ff *ForceField) pairForcesAVX2(blocks []atomBlock, fb []forceBlock) {
	sw := ff.switchConst()
	nb := &ff.nb
	if len(nb.grpM) == 0 {
		return
	}
	k := rowKernel{
		blocks: &blocks[0], forces: &fb[0], lj: &ff.sys.ljPad[0], grpM: &nb.grpM[0], mask: &nb.grpMask[0], lanes: &laneMasks,
		on2: bcast(sw.on2), off2: bcast(sw.off2), on2x3: bcast(3 * sw.on2),
		inv: bcast(sw.invDen), one: bcast(1), twelv: bcast(12), coul: bcast(Coulomb),
		grpStart: &nb.grpStart[0], rowBytes: 32 * ff.sys.ntype, atoms: ff.sys.N(),
	}
	if useAVX512 {
		pairRowsAVX512(&k)
		return
	}
	pairRowsAVX2(&k)
}
