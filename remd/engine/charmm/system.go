package charmm

import (
	"fmt"
	"math"
	"os"
	"slices"
)

// System is a PSF with every parameter resolved: the flat arrays the force
// loops run over, in PSF order so summation order never changes.
type System struct {
	Atoms     []Atom
	Mass      []float64
	Charge    []float64
	Bonds     []Bond
	Angles    []Angle
	Dihedrals []Dihedral
	Impropers []Improper
	// Pairs14 are the 1-4 pairs (three bonds apart and not closer),
	// with their special Lennard-Jones parameters.
	Pairs14 []Pair
	// excl[i] lists j > i that are 1-2, 1-3 or 1-4 partners of i, sorted:
	// they are left out of the normal nonbonded sum.
	excl [][]int32
	// exclBelow[j] lists i < j with j in excl[i], sorted: the same pairs
	// seen from the higher index, for building the pair list.
	exclBelow [][]int32
	// The dihedrals flattened for the force loop: coordinate offsets, and
	// their terms grouped by multiplicity, so the loop computing cos nφ
	// runs the same number of times for a whole group.
	dih       []dihedral4
	dihGroups []dihGroup
	// Per-type LJ tables for the normal nonbonded sum.
	typeOf []int32
	ntype  int
	ljEps  []float64 // ntype*ntype
	ljRmin []float64
	lj     []ljParam // the pair loop's view of the same table
	// ljPad is lj with each entry padded to 32 bytes (ε, 12ε, Rmin², 0),
	// for the vector kernel's whole-register loads.
	ljPad  [][4]float64
	E14Fac float64
}

// Bond is one resolved bond term.
type Bond struct {
	I, J int
	BondParam
}

// Angle is one resolved angle with its Urey-Bradley term.
type Angle struct {
	I, J, K int
	P       AngleParam
}

// Dihedral is one resolved proper dihedral with all its cosine terms.
type Dihedral struct {
	I, J, K, L int
	Terms      []DihedralTerm
}

type dihedral4 struct{ i, j, k, l int32 }

// dihGroup holds the dihedral terms of multiplicity n, in PSF order.
type dihGroup struct {
	n     int
	terms []dihTerm
}

// dihTerm is a DihedralTerm of dihedral d with cos δ and sin δ, so the
// energy needs no trigonometry.
type dihTerm struct {
	d          int
	k, delta   float64
	cosD, sinD float64
}

// Improper is one resolved harmonic improper.
type Improper struct {
	I, J, K, L int
	P          ImproperParam
}

// Pair is a 1-4 pair with its Lennard-Jones parameters and charge product.
type Pair struct {
	I, J      int
	Eps, Rmin float64
	QQ        float64
}

// Load reads a PSF, PDB and parameter file and returns the resolved system
// and the PDB coordinates (Å).
func Load(psfPath, pdbPath, parPath string) (*System, []float64, error) {
	var psf *PSF
	var pdb []PDBAtom
	var par *Params
	for _, f := range []struct {
		path  string
		parse func(*os.File) error
	}{
		{psfPath, func(r *os.File) (err error) { psf, err = ParsePSF(r, psfPath); return }},
		{pdbPath, func(r *os.File) (err error) { pdb, err = ParsePDB(r, pdbPath); return }},
		{parPath, func(r *os.File) (err error) { par, err = ParseParams(r, parPath); return }},
	} {
		r, err := os.Open(f.path)
		if err != nil {
			return nil, nil, fmt.Errorf("charmm: %w", err)
		}
		err = f.parse(r)
		r.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("charmm: %w", err)
		}
	}
	x, err := Coordinates(psf, pdb, pdbPath)
	if err != nil {
		return nil, nil, fmt.Errorf("charmm: %w", err)
	}
	sys, err := NewSystem(psf, par)
	if err != nil {
		return nil, nil, fmt.Errorf("charmm: %w", err)
	}
	return sys, x, nil
}

// MissingParamError reports a term whose atom types have no parameters.
type MissingParamError struct {
	Section string   // BONDS, ANGLES, DIHEDRALS, IMPROPER or NONBONDED
	Types   []string // the atom types looked up
	Where   string   // the PSF entry that needed it
}

func (e *MissingParamError) Error() string {
	return fmt.Sprintf("no %s parameters for types %v, needed by %s", e.Section, e.Types, e.Where)
}

// NewSystem resolves every PSF term against the parameters. A term without
// parameters is a *MissingParamError.
func NewSystem(psf *PSF, par *Params) (*System, error) {
	n := len(psf.Atoms)
	s := &System{Atoms: psf.Atoms, Mass: make([]float64, n), Charge: make([]float64, n), E14Fac: par.E14Fac}
	desc := func(idx ...int) string {
		str := ""
		for k, i := range idx {
			if k > 0 {
				str += "-"
			}
			a := psf.Atoms[i]
			str += fmt.Sprintf("%s%d:%s(#%d)", a.ResName, a.ResID, a.Name, i+1)
		}
		return str
	}
	typ := func(i int) string { return psf.Atoms[i].Type }
	for i, a := range psf.Atoms {
		if a.Mass <= 0 {
			return nil, fmt.Errorf("atom %s has mass %g; need a positive mass", desc(i), a.Mass)
		}
		s.Mass[i], s.Charge[i] = a.Mass, a.Charge
	}
	for k, b := range psf.Bonds {
		p, ok := par.Bond(typ(b[0]), typ(b[1]))
		if !ok {
			return nil, &MissingParamError{"BONDS", []string{typ(b[0]), typ(b[1])}, fmt.Sprintf("PSF bond %d (%s)", k+1, desc(b[0], b[1]))}
		}
		s.Bonds = append(s.Bonds, Bond{b[0], b[1], p})
	}
	for k, a := range psf.Angles {
		p, ok := par.Angle(typ(a[0]), typ(a[1]), typ(a[2]))
		if !ok {
			return nil, &MissingParamError{"ANGLES", []string{typ(a[0]), typ(a[1]), typ(a[2])}, fmt.Sprintf("PSF angle %d (%s)", k+1, desc(a[0], a[1], a[2]))}
		}
		s.Angles = append(s.Angles, Angle{a[0], a[1], a[2], p})
	}
	for k, d := range psf.Dihedrals {
		t, ok := par.Dihedral(typ(d[0]), typ(d[1]), typ(d[2]), typ(d[3]))
		if !ok {
			return nil, &MissingParamError{"DIHEDRALS", []string{typ(d[0]), typ(d[1]), typ(d[2]), typ(d[3])}, fmt.Sprintf("PSF dihedral %d (%s)", k+1, desc(d[0], d[1], d[2], d[3]))}
		}
		s.Dihedrals = append(s.Dihedrals, Dihedral{I: d[0], J: d[1], K: d[2], L: d[3], Terms: t})
		for _, term := range t {
			g := slices.IndexFunc(s.dihGroups, func(g dihGroup) bool { return g.n == term.N })
			if g < 0 {
				g = len(s.dihGroups)
				s.dihGroups = append(s.dihGroups, dihGroup{n: term.N})
			}
			s.dihGroups[g].terms = append(s.dihGroups[g].terms, dihTerm{len(s.dih), term.K, term.Delta, math.Cos(term.Delta), math.Sin(term.Delta)})
		}
		s.dih = append(s.dih, dihedral4{3 * int32(d[0]), 3 * int32(d[1]), 3 * int32(d[2]), 3 * int32(d[3])})
	}
	for k, d := range psf.Impropers {
		p, ok := par.Improper(typ(d[0]), typ(d[1]), typ(d[2]), typ(d[3]))
		if !ok {
			return nil, &MissingParamError{"IMPROPER", []string{typ(d[0]), typ(d[1]), typ(d[2]), typ(d[3])}, fmt.Sprintf("PSF improper %d (%s)", k+1, desc(d[0], d[1], d[2], d[3]))}
		}
		s.Impropers = append(s.Impropers, Improper{d[0], d[1], d[2], d[3], p})
	}

	// Types in order of first appearance, so tables are reproducible.
	typeIndex := map[string]int32{}
	var types []string
	s.typeOf = make([]int32, n)
	for i, a := range psf.Atoms {
		t, ok := typeIndex[a.Type]
		if !ok {
			if _, ok := par.LJ[a.Type]; !ok {
				return nil, &MissingParamError{"NONBONDED", []string{a.Type}, "PSF atom " + desc(i)}
			}
			t = int32(len(types))
			typeIndex[a.Type] = t
			types = append(types, a.Type)
		}
		s.typeOf[i] = t
	}
	s.ntype = len(types)
	s.ljEps = make([]float64, s.ntype*s.ntype)
	s.ljRmin = make([]float64, s.ntype*s.ntype)
	s.lj = make([]ljParam, s.ntype*s.ntype)
	s.ljPad = make([][4]float64, s.ntype*s.ntype)
	for a, ta := range types {
		for b, tb := range types {
			p, _ := par.PairLJ(ta, tb)
			s.ljEps[a*s.ntype+b], s.ljRmin[a*s.ntype+b] = p.Eps, p.Rmin
			s.lj[a*s.ntype+b] = ljParam{eps: p.Eps, eps12: 12 * p.Eps, rmin2: p.Rmin * p.Rmin}
			s.ljPad[a*s.ntype+b] = [4]float64{p.Eps, 12 * p.Eps, p.Rmin * p.Rmin, 0}
		}
	}

	// Exclusions and 1-4 pairs from the bond graph, by breadth-first
	// distance up to three bonds: a pair both 1-3 and 1-4 (small rings)
	// counts as 1-3 and is simply excluded, as in CHARMM with nbxmod 5.
	adj := make([][]int, n)
	for _, b := range psf.Bonds {
		adj[b[0]] = append(adj[b[0]], b[1])
		adj[b[1]] = append(adj[b[1]], b[0])
	}
	for i := range adj {
		slices.Sort(adj[i])
	}
	s.excl = make([][]int32, n)
	dist := make([]int, n)
	for i := range dist {
		dist[i] = -1
	}
	var seen []int
	for i := 0; i < n; i++ {
		dist[i] = 0
		seen = append(seen[:0], i)
		frontier := []int{i}
		for d := 1; d <= 3; d++ {
			var nextF []int
			for _, a := range frontier {
				for _, b := range adj[a] {
					if dist[b] < 0 {
						dist[b] = d
						seen = append(seen, b)
						nextF = append(nextF, b)
					}
				}
			}
			frontier = nextF
		}
		for _, j := range seen {
			if j > i {
				s.excl[i] = append(s.excl[i], int32(j))
			}
		}
		slices.Sort(s.excl[i])
		for _, j := range s.excl[i] {
			if dist[j] == 3 {
				ti, tj := psf.Atoms[i].Type, psf.Atoms[j].Type
				p, _ := par.PairLJ(ti, tj)
				s.Pairs14 = append(s.Pairs14, Pair{I: i, J: int(j), Eps: p.Eps14, Rmin: p.Rmin14, QQ: s.Charge[i] * s.Charge[int(j)]})
			}
		}
		for _, j := range seen {
			dist[j] = -1
		}
	}
	slices.SortFunc(s.dihGroups, func(a, b dihGroup) int { return a.n - b.n })
	s.exclBelow = make([][]int32, n)
	for i, ex := range s.excl {
		for _, j := range ex {
			s.exclBelow[j] = append(s.exclBelow[j], int32(i))
		}
	}
	return s, nil
}

// N is the number of atoms.
func (s *System) N() int { return len(s.Atoms) }
