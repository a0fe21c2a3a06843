package charmm

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// BondParam is V = K (r - R0)².
type BondParam struct{ K, R0 float64 } // kcal/mol/Å², Å

// AngleParam is V = K (θ - Theta0)² + KUB (s - S0)², s the 1-3 distance.
type AngleParam struct{ K, Theta0, KUB, S0 float64 } // kcal/mol/rad², rad, kcal/mol/Å², Å

// DihedralTerm is V = K (1 + cos(n φ - Delta)).
type DihedralTerm struct {
	K     float64 // kcal/mol
	N     int
	Delta float64 // rad
}

// ImproperParam is V = K (ψ - Psi0)².
type ImproperParam struct{ K, Psi0 float64 } // kcal/mol/rad², rad

// LJParam holds CHARMM's per-type Lennard-Jones parameters: well depth
// (positive here, negative in the file) and half the minimum distance, plus
// the special values for 1-4 pairs (equal to the normal ones unless given).
type LJParam struct{ Eps, RminHalf, Eps14, RminHalf14 float64 }

// PairLJ is an NBFIX override for one pair of types: depth and full Rmin.
type PairLJ struct{ Eps, Rmin, Eps14, Rmin14 float64 }

// Params is a CHARMM parameter set. Look-ups follow CHARMM's matching rules,
// including X wildcards.
type Params struct {
	Bonds     map[[2]string]BondParam
	Angles    map[[3]string]AngleParam
	Dihedrals map[[4]string][]DihedralTerm
	Impropers map[[4]string]ImproperParam
	LJ        map[string]LJParam
	NBFix     map[[2]string]PairLJ
	// E14Fac scales 1-4 electrostatics (NONBONDED e14fac; 1 for CHARMM22).
	E14Fac float64
}

func key2(a, b string) [2]string {
	if b < a {
		a, b = b, a
	}
	return [2]string{a, b}
}

func key3(a, b, c string) [3]string {
	if c < a {
		a, c = c, a
	}
	return [3]string{a, b, c}
}

func key4(a, b, c, d string) [4]string {
	if d < a || (d == a && c < b) {
		a, b, c, d = d, c, b, a
	}
	return [4]string{a, b, c, d}
}

// Bond returns the parameters for a bond between types a and b.
func (p *Params) Bond(a, b string) (BondParam, bool) {
	v, ok := p.Bonds[key2(a, b)]
	return v, ok
}

// Angle returns the parameters for an angle a-b-c.
func (p *Params) Angle(a, b, c string) (AngleParam, bool) {
	v, ok := p.Angles[key3(a, b, c)]
	return v, ok
}

// Dihedral returns the terms for a proper dihedral a-b-c-d: an exact match
// in either direction, else the wildcard X-b-c-X.
func (p *Params) Dihedral(a, b, c, d string) ([]DihedralTerm, bool) {
	if v, ok := p.Dihedrals[key4(a, b, c, d)]; ok {
		return v, true
	}
	v, ok := p.Dihedrals[key4("X", b, c, "X")]
	return v, ok
}

// Improper returns the parameters for an improper a-b-c-d, trying CHARMM's
// patterns in order: a-b-c-d, a-X-X-d, X-b-c-d, X-X-c-d (each either way).
func (p *Params) Improper(a, b, c, d string) (ImproperParam, bool) {
	for _, k := range [][4]string{
		key4(a, b, c, d), key4(a, "X", "X", d), key4("X", b, c, d), key4("X", "X", c, d),
	} {
		if v, ok := p.Impropers[k]; ok {
			return v, true
		}
	}
	return ImproperParam{}, false
}

// PairLJ returns ε and Rmin for a normal and for a 1-4 pair of types a and b:
// NBFIX if given, else the combination rules ε = √(εa εb), Rmin = Rmin/2a + Rmin/2b.
func (p *Params) PairLJ(a, b string) (PairLJ, bool) {
	if v, ok := p.NBFix[key2(a, b)]; ok {
		return v, true
	}
	la, ok1 := p.LJ[a]
	lb, ok2 := p.LJ[b]
	if !ok1 || !ok2 {
		return PairLJ{}, false
	}
	return PairLJ{
		Eps: math.Sqrt(la.Eps * lb.Eps), Rmin: la.RminHalf + lb.RminHalf,
		Eps14: math.Sqrt(la.Eps14 * lb.Eps14), Rmin14: la.RminHalf14 + lb.RminHalf14,
	}, true
}

// ParseParams reads a CHARMM parameter file (the card format of
// par_all27_prot_lipid.inp and friends). name is used in error messages.
// CMAP and HBOND sections are skipped: a vacuum CHARMM22 system needs neither.
func ParseParams(r io.Reader, name string) (*Params, error) {
	p := &Params{
		Bonds:     map[[2]string]BondParam{},
		Angles:    map[[3]string]AngleParam{},
		Dihedrals: map[[4]string][]DihedralTerm{},
		Impropers: map[[4]string]ImproperParam{},
		LJ:        map[string]LJParam{},
		NBFix:     map[[2]string]PairLJ{},
		E14Fac:    1,
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<22)
	section := ""
	var lastDih [4]string
	lastDihLine := -1
	line, data := 0, 0 // data counts lines that hold more than comments
	continued := false // the previous line ended in '-' (a NONBONDED header goes on)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", name, line, fmt.Sprintf(format, args...))
	}
	num := func(f []string, i int, what string) (float64, error) {
		v, err := finite(f[i])
		if err != nil {
			return 0, bad("%s: %s %q is not a finite number", section, what, f[i])
		}
		return v, nil
	}
	for sc.Scan() {
		line++
		l := sc.Text()
		if i := strings.Index(l, "!"); i >= 0 {
			l = l[:i]
		}
		if strings.HasPrefix(strings.TrimSpace(l), "*") && section == "" {
			continue // title
		}
		f := strings.Fields(l)
		if len(f) == 0 {
			continue
		}
		if continued {
			continued = f[len(f)-1] == "-"
			p.headerOptions(f)
			continue
		}
		if s := sectionName(f[0]); s != "" {
			section = s
			if s == "END" {
				break
			}
			if s == "NONBONDED" || s == "NBFIX" {
				continued = f[len(f)-1] == "-"
				p.headerOptions(f[1:])
			}
			continue
		}
		data++
		var err error
		switch section {
		case "":
			return nil, bad("%q before any section (BONDS, ANGLES, DIHEDRALS, IMPROPER, NONBONDED, NBFIX)", f[0])
		case "BONDS":
			if len(f) < 4 {
				return nil, bad("BONDS line needs: type1 type2 Kb b0; got %q", strings.TrimSpace(l))
			}
			var k, r0 float64
			if k, err = num(f, 2, "Kb"); err == nil {
				r0, err = num(f, 3, "b0")
			}
			if err != nil {
				return nil, err
			}
			p.Bonds[key2(f[0], f[1])] = BondParam{K: k, R0: r0}
		case "ANGLES":
			if len(f) != 5 && len(f) != 7 {
				return nil, bad("ANGLES line needs: type1 type2 type3 Ktheta theta0 [Kub S0]; got %q", strings.TrimSpace(l))
			}
			var v [4]float64
			for i := 3; i < len(f); i++ {
				if v[i-3], err = num(f, i, []string{"Ktheta", "theta0", "Kub", "S0"}[i-3]); err != nil {
					return nil, err
				}
			}
			p.Angles[key3(f[0], f[1], f[2])] = AngleParam{K: v[0], Theta0: v[1] * math.Pi / 180, KUB: v[2], S0: v[3]}
		case "DIHEDRALS":
			if len(f) < 7 {
				return nil, bad("DIHEDRALS line needs: type1 type2 type3 type4 Kchi n delta; got %q", strings.TrimSpace(l))
			}
			var k, d float64
			if k, err = num(f, 4, "Kchi"); err == nil {
				d, err = num(f, 6, "delta")
			}
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(f[5])
			if err != nil || n < 0 {
				return nil, bad("DIHEDRALS: multiplicity %q is not a non-negative integer", f[5])
			}
			key := key4(f[0], f[1], f[2], f[3])
			term := DihedralTerm{K: k, N: n, Delta: d * math.Pi / 180}
			// Consecutive lines for the same types add terms (comment lines
			// between them do not count); a later block for the same types
			// replaces the earlier one, as in CHARMM.
			if key == lastDih && lastDihLine == data-1 {
				p.Dihedrals[key] = append(p.Dihedrals[key], term)
			} else {
				p.Dihedrals[key] = []DihedralTerm{term}
			}
			lastDih, lastDihLine = key, data
		case "IMPROPER":
			if len(f) < 7 {
				return nil, bad("IMPROPER line needs: type1 type2 type3 type4 Kpsi 0 psi0; got %q", strings.TrimSpace(l))
			}
			var k, psi0 float64
			if k, err = num(f, 4, "Kpsi"); err == nil {
				psi0, err = num(f, 6, "psi0")
			}
			if err != nil {
				return nil, err
			}
			p.Impropers[key4(f[0], f[1], f[2], f[3])] = ImproperParam{K: k, Psi0: psi0 * math.Pi / 180}
		case "NONBONDED":
			if len(f) != 4 && len(f) != 7 {
				return nil, bad("NONBONDED line needs: type ignored epsilon Rmin/2 [ignored eps14 Rmin/2_14]; got %q", strings.TrimSpace(l))
			}
			var v [6]float64
			for i := 1; i < len(f); i++ {
				if v[i-1], err = num(f, i, "parameter"); err != nil {
					return nil, err
				}
			}
			lj := LJParam{Eps: math.Abs(v[1]), RminHalf: v[2], Eps14: math.Abs(v[1]), RminHalf14: v[2]}
			if len(f) == 7 {
				lj.Eps14, lj.RminHalf14 = math.Abs(v[4]), v[5]
			}
			p.LJ[f[0]] = lj
		case "NBFIX":
			if len(f) != 4 && len(f) != 6 {
				return nil, bad("NBFIX line needs: type1 type2 Emin Rmin [Emin14 Rmin14]; got %q", strings.TrimSpace(l))
			}
			var v [4]float64
			for i := 2; i < len(f); i++ {
				if v[i-2], err = num(f, i, "parameter"); err != nil {
					return nil, err
				}
			}
			fix := PairLJ{Eps: math.Abs(v[0]), Rmin: v[1], Eps14: math.Abs(v[0]), Rmin14: v[1]}
			if len(f) == 6 {
				fix.Eps14, fix.Rmin14 = math.Abs(v[2]), v[3]
			}
			p.NBFix[key2(f[0], f[1])] = fix
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line, err)
	}
	return p, nil
}

// headerOptions picks e14fac out of a NONBONDED header.
func (p *Params) headerOptions(f []string) {
	for i := 0; i+1 < len(f); i++ {
		if strings.EqualFold(f[i], "e14fac") {
			if v, err := strconv.ParseFloat(f[i+1], 64); err == nil {
				p.E14Fac = v
			}
		}
	}
}

// sectionName recognises CHARMM section keywords, which may be abbreviated
// to four letters.
func sectionName(tok string) string {
	t := strings.ToUpper(tok)
	if t == "END" {
		return "END"
	}
	if t == "PHI" {
		return "DIHEDRALS"
	}
	if len(t) < 4 {
		return ""
	}
	for _, s := range []struct{ kw, name string }{
		{"BONDS", "BONDS"}, {"ANGLES", "ANGLES"}, {"THETAS", "ANGLES"},
		{"DIHEDRALS", "DIHEDRALS"}, {"IMPROPER", "IMPROPER"}, {"IMPHI", "IMPROPER"},
		{"NONBONDED", "NONBONDED"}, {"NBONDED", "NONBONDED"}, {"NBFIX", "NBFIX"},
		{"CMAP", "SKIP"}, {"HBOND", "SKIP"},
	} {
		if strings.HasPrefix(s.kw, t) {
			return s.name
		}
	}
	return ""
}
